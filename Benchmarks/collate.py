#!/usr/bin/env python3
"""Collates Benchmarks/compare.sh's runs into one markdown table (stdlib only).

Reads OUT/runs.tsv (model, engine, json, time log, load average at start), the JSON arrays written by
llama-bench -o json and llmrun bench --json, and the peak RSS from /usr/bin/time -v's logs.
"""
import json
import platform
import re
import sys
from pathlib import Path


def peak_rss_kib(path):
    text = Path(path).read_text(errors="replace")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(match.group(1)) if match else None


def test_name(record):
    p, n = record.get("n_prompt", 0), record.get("n_gen", 0)
    if p and n:
        return f"pp{p}+tg{n}"
    return f"pp{p}" if p else f"tg{n}"


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def fmt_ts(record):
    if record is None:
        return "-"
    return f"{record['avg_ts']:.2f} ± {record['stddev_ts']:.2f}"


def fmt_mib(kib):
    return "-" if kib is None else f"{kib / 1024:.0f} MiB"


def main(out):
    out = Path(out)
    runs = {}
    order = []
    for line in (out / "runs.tsv").read_text().splitlines():
        model, engine, json_path, time_path, load = line.split("\t")
        if model not in runs:
            runs[model] = {}
            order.append(model)
        try:
            records = json.loads(Path(json_path).read_text() or "[]")
        except json.JSONDecodeError as error:
            sys.exit(f"collate.py: {json_path}: not JSON ({error})")
        runs[model][engine] = {
            "records": {test_name(r): r for r in records},
            "rss": peak_rss_kib(time_path),
            "load": load,
        }

    kernels = "?"
    rows = []
    for model in order:
        llama = runs[model].get("llama.cpp", {"records": {}, "rss": None, "load": "?"})
        ours = runs[model].get("llmrun", {"records": {}, "rss": None, "load": "?"})
        tests = list(llama["records"]) + [t for t in ours["records"] if t not in llama["records"]]
        for test in tests:
            a, b = llama["records"].get(test), ours["records"].get(test)
            if b is not None:
                kernels = b.get("kernels", kernels)
            ratio = f"{b['avg_ts'] / a['avg_ts']:.2f}" if a and b and a["avg_ts"] > 0 else "-"
            rows.append([model, test, fmt_ts(a), fmt_ts(b), ratio, fmt_mib(llama["rss"]), fmt_mib(ours["rss"]),
                         f"{llama['load']} / {ours['load']}"])

    date = (out / "date").read_text().strip()
    start = (out / "loadavg-start").read_text().split()[:3]
    end = (out / "loadavg-end").read_text().split()[:3]
    print(f"date: {date}")
    vcpus = len(re.findall(r"^processor\s*:", Path("/proc/cpuinfo").read_text(), re.M))
    print(f"machine: {cpu_model()}, {vcpus} vCPUs; llmrun kernels: {kernels}")
    print(f"load average (1/5/15 min): start {' '.join(start)}, end {' '.join(end)}")
    print()
    header = ["model", "test", "llama.cpp t/s", "llmrun t/s", "llmrun/llama.cpp",
              "llama.cpp peak RSS", "llmrun peak RSS", "load (llama.cpp / llmrun)"]
    print("| " + " | ".join(header) + " |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("t/s: mean ± sample standard deviation over the repetitions; peak RSS of the whole run (both tests); "
          "load: 1-minute load average when each run started.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".build/compare")
