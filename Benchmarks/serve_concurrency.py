#!/usr/bin/env python3
"""Concurrent streaming chats against `llmrun serve --parallel N` and llama.cpp's `llama-server -np N`, side by side.

    python3 Benchmarks/serve_concurrency.py [--llmrun PATH] [-m MODEL] [--streams 1,4,8,16] [--tokens 128]
                                            [--engines llmrun,llama-server] [--json FILE]

For each engine and each stream count N: the server starts with N slots (llama-server: continuous batching, 2 threads,
the same GGUF, under the AMX shim), one warm-up chat, then N greedy chats of at most --tokens tokens at once. Printed per
(engine, N): aggregate generated tokens/s (all streams' tokens over the wall time from the first request to the last
token), the mean per-stream rate (its tokens over its own time), the median and worst time to first token (the first
content text), and the aggregate over the same engine's one stream. The engines alternate per N so that a machine
whose speed drifts treats them alike.
env: LLMRUN_REF=/root/.cache/llmrun-ref  LLAMA_PRELOAD=/tmp/no_amx_preload.so
"""
import argparse
import json
import os
import statistics
import threading
import time
from pathlib import Path

from llama_reference import BIN, llama_env, model_path
from serve_common import open_stream, start_llama_server, start_server

REPO = Path(__file__).resolve().parent.parent


def stream(port, topic, tokens):
    """One streamed chat: (seconds to the first content text, seconds in all, generated tokens)."""
    body = {"messages": [{"role": "user", "content": f"Write a long story about {topic}."}], "max_tokens": tokens,
            "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}
    start = time.time()
    first, generated = None, 0
    for line in open_stream(port, body):
        if not line.startswith(b"data: {"):
            continue
        chunk = json.loads(line[6:])
        if first is None and any(choice.get("delta", {}).get("content") for choice in chunk.get("choices", [])):
            first = time.time() - start
        if chunk.get("usage"):
            generated = chunk["usage"]["completion_tokens"]
    return first if first is not None else time.time() - start, time.time() - start, generated


def measure(port, count, tokens):
    """`count` chats at once: the aggregate and per-stream figures."""
    results = [None] * count

    def run(i):
        results[i] = stream(port, f"the sea and {i + 2} ships", tokens)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    start = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.time() - start
    firsts = sorted(r[0] for r in results)
    return {"streams": count, "tokens": sum(r[2] for r in results), "seconds": wall,
            "aggregate": sum(r[2] for r in results) / wall,
            "per_stream": statistics.mean(r[2] / r[1] for r in results),
            "ttft_median": statistics.median(firsts), "ttft_worst": firsts[-1]}


def start_engine(engine, args, slots):
    if engine == "llama-server":
        return start_llama_server(os.path.join(BIN, "llama-server"), model_path(args.model), "-np", slots,
                                  "-c", slots * (args.tokens + 512), "-t", 2, env=llama_env())
    return start_server(args.llmrun, args.model, "--parallel", slots)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llmrun", default=str(REPO / ".build/release/llmrun"))
    parser.add_argument("-m", "--model", default="qwen2.5-0.5b")
    parser.add_argument("--streams", default="1,4,8,16", help="comma-separated stream counts")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--engines", default="llmrun,llama-server")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    counts = [int(c) for c in args.streams.split(",")]
    engines = args.engines.split(",")
    rows = []
    for count in counts:
        for engine in engines:
            server, port = start_engine(engine, args, count)
            try:
                stream(port, "warm-up", 8)
                figures = measure(port, count, args.tokens)
            finally:
                server.terminate()
                server.wait()
            rows.append({"engine": engine, **figures})
            print(f"{engine:12} {count:3} streams: {figures['aggregate']:6.1f} t/s together, {figures['per_stream']:5.1f} t/s "
                  f"per stream, first token {figures['ttft_median']:.2f} s median / {figures['ttft_worst']:.2f} s worst "
                  f"({figures['tokens']} tokens in {figures['seconds']:.1f} s)", flush=True)
    print(f"\n{args.model}, up to {args.tokens} tokens per stream\n")
    both = set(engines) == {"llmrun", "llama-server"}
    headers = ([f"{e} t/s together (per stream, TTFT median)" for e in engines] + [f"{e} together / its one stream" for e in engines]
               + (["llmrun / llama-server"] if both else []))
    print("| streams | " + " | ".join(headers) + " |")
    print("|---" * (1 + len(headers)) + "|")
    one = {r["engine"]: r["aggregate"] for r in rows if r["streams"] == 1}
    for count in counts:
        by = {r["engine"]: r for r in rows if r["streams"] == count}
        cells = [f"{by[e]['aggregate']:.1f} ({by[e]['per_stream']:.1f}, {by[e]['ttft_median']:.2f} s)" for e in engines]
        cells += [f"{by[e]['aggregate'] / one[e]:.2f}" if e in one else "" for e in engines]
        if both:
            cells.append(f"{by['llmrun']['aggregate'] / by['llama-server']['aggregate']:.2f}")
        print(f"| {count} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, "tokens": args.tokens, "runs": rows}, indent=1))


if __name__ == "__main__":
    main()
