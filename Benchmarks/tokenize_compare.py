#!/usr/bin/env python3
"""Tokenizer speed on one core: llmrun's encode of a text beside llama.cpp's, for each catalog model.

Run with the reference venv (llama-cpp-python, built by scripts/build-llama-cpp.sh):
    ~/.cache/llmrun-ref/venv/bin/python Benchmarks/tokenize_compare.py [--runs 21] [MODEL ...]

Both engines are pinned to core 0 (taskset / sched_setaffinity), both exclude loading the model, both
tokenize as llama.cpp's add_special=true, parse_special=false (BOS where the model adds one):
- llmrun: `taskset -c 0 llmrun tokenize -m MODEL -f TEXT --json --timing RUNS`, which encodes once to warm
  up, then RUNS times, and prints the median and fastest encode on stderr;
- llama.cpp: one `llama_tokenize` call on the model's vocabulary (`Llama(vocab_only=True)`), through the
  C API into a buffer large enough for every id, once to warm up and then RUNS times, timed around the
  call. (`Llama.tokenize` is not used: it sizes its buffer by the trained context, and when the text has
  more ids than that it tokenizes the whole text twice.)
The ids of both must be identical; the script fails otherwise. Prints one markdown table.
Default text: article 001 of ../shared/articles ($LLMRUN_ARTICLES overrides the folder).
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import llama_cpp
from llama_cpp import Llama

ROOT = Path(__file__).resolve().parent.parent
MODELS = ["qwen2.5-1.5b", "qwen2.5-0.5b", "smollm2-135m", "gemma3-270m"]
ARTICLE = "001_ce9d5f84450590d7.txt"
CORE = 0


def default_text() -> Path:
    folder = os.environ.get("LLMRUN_ARTICLES") or str(ROOT.parent / "shared" / "articles")
    return Path(folder) / ARTICLE


def model_path(name: str) -> Path:
    home = os.environ.get("LLMRUN_HOME") or os.path.expanduser("~/.cache/llmrun")
    return Path(home) / "models" / f"{name}.gguf"


def time_llmrun(llmrun: str, name: str, text: Path, runs: int):
    command = ["taskset", "-c", str(CORE), llmrun, "tokenize", "-m", name, "-f", str(text), "--json", "--timing", str(runs)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)}: exit {result.returncode}: {result.stderr.strip()}")
    ids = json.loads(result.stdout)
    timing = next((line for line in result.stderr.splitlines() if line.startswith("encode:")), None)
    if timing is None:
        sys.exit(f"{' '.join(command)}: no 'encode:' line on stderr (an llmrun without --timing?)")
    # "encode: N ids from B bytes, median X ms, fastest Y ms over R runs"
    words = timing.replace(",", "").split()
    median = float(words[words.index("median") + 1])
    fastest = float(words[words.index("fastest") + 1])
    return ids, median, fastest


def time_llama_cpp(path: Path, data: bytes, runs: int):
    llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    vocab = llm._model.vocab
    capacity = len(data) + 16  # never more ids than bytes, plus BOS/EOS
    buffer = (llama_cpp.llama_token * capacity)()

    def tokenize() -> int:
        count = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, capacity, True, False)
        if count < 0:
            sys.exit(f"{path.name}: llama_tokenize needs {-count} ids, the buffer holds {capacity}")
        return count

    tokenize()
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        count = tokenize()
        samples.append(time.perf_counter_ns() - start)
    ids = list(buffer[:count])
    return ids, statistics.median(samples) / 1e6, min(samples) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=MODELS)
    parser.add_argument("--runs", type=int, default=21, help="timed encodes per engine (after one warm-up)")
    parser.add_argument("--text", type=Path, default=None, help=f"default: ../shared/articles/{ARTICLE}")
    parser.add_argument("--llmrun", default=str(ROOT / ".build" / "release" / "llmrun"))
    args = parser.parse_args()
    text = args.text or default_text()
    if not text.is_file():
        sys.exit(f"{text}: no such file (set LLMRUN_ARTICLES or pass --text)")
    data = text.read_bytes()
    os.sched_setaffinity(0, {CORE})

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"{text.name}: {len(data):,} bytes; core {CORE}; median (fastest) of {args.runs} runs; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load}")
    print()
    print("| model | ids | llmrun ms | llama.cpp ms | llama.cpp / llmrun |")
    print("|---|--:|--:|--:|--:|")
    for name in args.models:
        path = model_path(name)
        if not path.is_file():
            print(f"{name}: {path} is missing (llmrun pull {name}); skipped", file=sys.stderr)
            continue
        ours, our_median, our_fastest = time_llmrun(args.llmrun, name, text, args.runs)
        theirs, their_median, their_fastest = time_llama_cpp(path, data, args.runs)
        if ours != theirs:
            first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
            sys.exit(f"{name}: ids differ: llmrun {len(ours)} ids, llama.cpp {len(theirs)}, first difference at {first}")
        print(f"| {name} | {len(ours):,} | {our_median:.2f} ({our_fastest:.2f}) | {their_median:.2f} ({their_fastest:.2f}) "
              f"| {their_median / our_median:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
