#!/usr/bin/env python3
"""Aggregate generation rate of `llmrun serve --parallel N` under N concurrent streaming chats, against one stream.

    python3 Benchmarks/serve_concurrency.py [--llmrun PATH] [-m MODEL] [--parallel 8] [--tokens 128] [--llama-server]

Starts the server, streams one greedy chat of at most --tokens tokens, then --parallel of them at once, and prints the
generated tokens per second (from each stream's usage) of both and their ratio. With --llama-server the same runs
against llama.cpp's `llama-server -np N` (continuous batching, 2 threads, the same GGUF, under the AMX shim).
env: LLMRUN_REF=/root/.cache/llmrun-ref  LLAMA_PRELOAD=/tmp/no_amx_preload.so
"""
import argparse
import json
import os
import threading
import time
from pathlib import Path

from llama_reference import BIN, llama_env, model_path
from serve_common import open_stream, start_llama_server, start_server

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


def start_llama(model, parallel, tokens):
    """llama-server on the GGUF `llmrun pull` gives for `model`, `parallel` slots of the context one stream needs."""
    return start_llama_server(os.path.join(BIN, "llama-server"), model_path(model), "-np", parallel,
                              "-c", parallel * (tokens + 512), "-t", 2, env=llama_env())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llmrun", default=str(REPO / ".build/release/llmrun"))
    parser.add_argument("-m", "--model", default="qwen2.5-0.5b")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--llama-server", action="store_true", help="measure llama.cpp's llama-server instead")
    args = parser.parse_args()
    if args.llama_server:
        server, port = start_llama(args.model, args.parallel, args.tokens)
    else:
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
        engine = "llama-server" if args.llama_server else "llmrun serve"
        print(f"{engine}, {args.model}, --parallel {args.parallel}, up to {args.tokens} tokens per stream ({sum(counts)} in all): "
              f"one stream {one:.1f} t/s, {args.parallel} streams together {together:.1f} t/s ({together / one:.2f}x)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
