#!/usr/bin/env python3
"""Generation on the summary workload, llmrun beside llama.cpp, in one run (issue 19).

For each article: `llmrun bench --article ARTICLE -n N [--lookup | --draft DRAFT]` (plain decoding, then drafted,
on the same prompt: a chat turn holding the article and asking for its key points) writes the prompt's text
(`--save-prompt`); llama.cpp then reads that same text: `llama-bench -p 0 -n N -d PROMPT_TOKENS` for its plain
decode at that depth, and `llama-lookup` (prompt lookup) or `llama-speculative` (draft model) on the same prompt
for its own drafted decode. All greedy, same GGUFs and threads. Prints one markdown table of effective generation
tokens/s and the ratios the issue asks for.

  python3 Benchmarks/speculative_compare.py [ARTICLE ...] [-m MODEL] [--draft DRAFT] [-n 128] [-t 2] [-r 2]
  env: LLMRUN=.build/release/llmrun  LLMRUN_REF=/root/.cache/llmrun-ref  LLAMA_PRELOAD=/tmp/no_amx_preload.so
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from llama_reference import BIN, LLMRUN, ROOT, llama_env, model_path


def llmrun_workload(model, article, args, prompt_file):
    command = [LLMRUN, "bench", "-m", model, "--article", article, "-n", str(args.n), "-t", str(args.threads),
               "-r", str(args.repetitions), "--save-prompt", prompt_file, "--json"]
    command += ["--draft", args.draft] if args.draft else ["--lookup"]
    command += ["--max-draft", str(args.max_draft)]
    records = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return {record["speculation"]: record for record in records}


def llama_plain(model, depth, args):
    """llama-bench's tg at the prompt's depth: plain decode with the article's length of cache."""
    command = [os.path.join(BIN, "llama-bench"), "-m", model, "-p", "0", "-n", str(args.n), "-d", str(depth),
               "-t", str(args.threads), "-r", str(args.repetitions), "-o", "json"]
    records = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=llama_env()).stdout)
    return records[0]["avg_ts"]


def llama_drafted(model, prompt_file, args):
    """llama-lookup or llama-speculative on the same prompt text: (effective t/s, drafted, accepted)."""
    # -p, not -f: llama.cpp drops a prompt file's last newline, the one after the template's "assistant".
    with open(prompt_file, encoding="utf-8") as f:
        prompt = f.read()
    common = ["-m", model, "-p", prompt, "-n", str(args.n), "-t", str(args.threads), "--temp", "0",
              "-c", "8192", "-b", "8192", "--spec-draft-n-max", str(args.max_draft)]
    if args.draft:
        command = [os.path.join(BIN, "llama-speculative"), *common, "-md", model_path(args.draft), "--spec-draft-n-min", "0"]
    else:
        command = [os.path.join(BIN, "llama-lookup"), *common]
    log = subprocess.run(command, capture_output=True, text=True, env=llama_env())
    text = log.stdout + log.stderr
    decoded = re.search(r"decoded\s+(\d+) tokens in\s+([\d.]+) seconds, speed:\s+([\d.]+) t/s", text)
    if log.returncode != 0 or not decoded:
        sys.exit(f"{command[0]} failed (exit {log.returncode}):\n{text[-2000:]}")
    drafted = re.search(r"n_drafted\s*=\s*(\d+)", text)
    accepted = re.search(r"n_accept\s*=\s*(\d+)", text)
    return float(decoded.group(3)), int(decoded.group(1)), drafted and int(drafted.group(1)), accepted and int(accepted.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="*")
    parser.add_argument("-m", "--model", default="qwen2.5-1.5b")
    parser.add_argument("--draft", help="draft model (catalog name or .gguf); prompt lookup when absent")
    parser.add_argument("-n", type=int, default=128)
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("-r", "--repetitions", type=int, default=2)
    parser.add_argument("--max-draft", type=int, default=8)
    parser.add_argument("--json", help="write the raw figures here")
    args = parser.parse_args()
    articles = args.articles or sorted(glob.glob(os.path.join(ROOT, "..", "shared", "articles", "*.txt")))
    if not articles:
        sys.exit("no articles: give paths, or put ../shared/articles beside the repository")
    model = model_path(args.model)
    mode = f"draft {args.draft}" if args.draft else "lookup"
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {open('/proc/loadavg').read().split()[0]}, "
          f"model {args.model}, {mode}, -n {args.n} -t {args.threads}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for article in articles:
            name = os.path.splitext(os.path.basename(article))[0]
            prompt_file = os.path.join(scratch, name + ".prompt.txt")
            print(f"== {name}: llmrun", file=sys.stderr)
            ours = llmrun_workload(model, article, args, prompt_file)
            plain, drafted = ours["none"], ours["draft" if args.draft else "lookup"]
            print(f"== {name}: llama.cpp", file=sys.stderr)
            theirs_plain = llama_plain(model, plain["n_prompt"], args)
            theirs, theirs_generated, theirs_drafted, theirs_accepted = llama_drafted(model, prompt_file, args)
            rows.append(dict(article=name, prompt=plain["n_prompt"], generated=plain["n_gen"],
                             llmrun_plain=plain["avg_ts"], llmrun_drafted=drafted["avg_ts"],
                             llmrun_accept=f'{drafted["n_accept"]}/{drafted["n_drafted"]}',
                             llama_plain=theirs_plain, llama_drafted=theirs, llama_generated=theirs_generated,
                             llama_accept=f"{theirs_accepted}/{theirs_drafted}"))
    print(f"| article | prompt | generated | llmrun plain | llmrun {mode} (accepted) | llama.cpp plain | "
          f"llama.cpp {mode} (accepted) | ours drafted / their plain | ours drafted / their drafted |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        print(f"| {row['article']} | {row['prompt']} | {row['generated']} ({row['llama_generated']}) | {row['llmrun_plain']:.2f} | "
              f"{row['llmrun_drafted']:.2f} ({row['llmrun_accept']}) | {row['llama_plain']:.2f} | "
              f"{row['llama_drafted']:.2f} ({row['llama_accept']}) | {row['llmrun_drafted'] / row['llama_plain']:.2f} | "
              f"{row['llmrun_drafted'] / row['llama_drafted']:.2f} |")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
