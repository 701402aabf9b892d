#!/usr/bin/env python3
"""Aggregate generation rate of `llmrun serve --parallel N` under N concurrent streaming chats, against one stream.

    python3 Benchmarks/serve_concurrency.py [--llmrun PATH] [-m MODEL] [--parallel 8] [--tokens 128]

Starts the server, streams one greedy chat of at most --tokens tokens, then --parallel of them at once, and prints the
generated tokens per second (from each stream's usage) of both and their ratio.
"""
import argparse
import json
import threading
import time
from pathlib import Path

from serve_common import open_stream, start_server

REPO = Path(__file__).resolve().parent.parent


def stream(port, topic, tokens):
    """The tokens one streamed chat generated."""
    body = {"messages": [{"role": "user", "content": f"Write a long story about {topic}."}], "max_tokens": tokens,
            "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}
    generated = 0
    for line in open_stream(port, body):
        if line.startswith(b"data: {"):
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                generated = chunk["usage"]["completion_tokens"]
    return generated


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llmrun", default=str(REPO / ".build/release/llmrun"))
    parser.add_argument("-m", "--model", default="qwen2.5-0.5b")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    server, port = start_server(args.llmrun, args.model, "--parallel", args.parallel)
    try:
        stream(port, "warm-up", 8)
        start = time.time()
        one = stream(port, "the sea", args.tokens) / (time.time() - start)
        counts = [0] * args.parallel

        def run(i):
            counts[i] = stream(port, f"the sea and {i + 2} ships", args.tokens)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(args.parallel)]
        start = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        together = sum(counts) / (time.time() - start)
        print(f"{args.model}, --parallel {args.parallel}, up to {args.tokens} tokens per stream ({sum(counts)} in all): "
              f"one stream {one:.1f} t/s, {args.parallel} streams together {together:.1f} t/s ({together / one:.2f}x)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
