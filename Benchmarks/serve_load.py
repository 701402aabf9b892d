"""Load test for `llmrun serve` (not part of CI): N concurrent streaming chat clients.

Starts the server on a free loopback port, sends `--clients` streamed chat completions at once, and
reports requests completed, failures, time to first token p50/p95, aggregate generated tokens/s and
the server's peak RSS. Standard library only:

  python3 Benchmarks/serve_load.py .build/release/llmrun -m qwen2.5-0.5b --parallel 2
"""
import argparse
import json
import statistics
import threading
import time

from serve_common import open_stream, start_server

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("-m", "--model", default="smollm2-135m")
parser.add_argument("--clients", type=int, default=32)
parser.add_argument("--parallel", type=int, default=1)
parser.add_argument("--max-tokens", type=int, default=64)
parser.add_argument("-c", "--context", type=int, default=1024)
args = parser.parse_args()

server, port = start_server(args.binary, args.model, "--parallel", args.parallel, "-c", args.context, "--queue", args.clients)

TOPICS = ["the sea", "a mountain", "a robot", "a city at night", "a garden", "a train journey", "the moon", "a library"]
results = []
lock = threading.Lock()
start_gate = threading.Event()


def client(index):
    body = {"model": args.model, "stream": True, "max_tokens": args.max_tokens, "temperature": 0.7, "seed": index,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": f"Write a short story about {TOPICS[index % len(TOPICS)]} (client {index})."}]}
    start_gate.wait()
    start = time.perf_counter()
    first = None
    tokens = 0
    error = None
    try:
        response = open_stream(port, body)
        if response.status != 200:
            error = f"status {response.status}"
        else:
            for raw in response:
                line = raw.decode().strip()
                if not line.startswith("data: {"):
                    continue
                chunk = json.loads(line[6:])
                if chunk.get("choices") and chunk["choices"][0]["delta"].get("content") and first is None:
                    first = time.perf_counter() - start
                if chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
    except Exception as exception:  # noqa: BLE001 — every failure counts
        error = repr(exception)
    with lock:
        results.append({"ttft": first, "tokens": tokens, "error": error, "seconds": time.perf_counter() - start})


threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
for t in threads:
    t.start()
wall_start = time.perf_counter()
start_gate.set()
for t in threads:
    t.join()
wall = time.perf_counter() - wall_start

with open(f"/proc/{server.pid}/status") as status:
    peak_rss_mb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) / 1024
server.terminate()
server.wait()

ok = [r for r in results if r["error"] is None and r["ttft"] is not None]
failures = [r["error"] for r in results if r["error"] is not None]
ttfts = sorted(r["ttft"] for r in ok)
p95 = ttfts[min(len(ttfts) - 1, int(round(0.95 * (len(ttfts) - 1))))] if ttfts else float("nan")
total_tokens = sum(r["tokens"] for r in results)
print(f"model {args.model}, {args.clients} streaming clients, --parallel {args.parallel}, max_tokens {args.max_tokens}, -c {args.context}")
print(f"completed {len(ok)}/{args.clients}, failures {len(failures)}" + (f" {failures[:3]}" if failures else ""))
print(f"TTFT p50 {statistics.median(ttfts) if ttfts else float('nan'):.2f} s, p95 {p95:.2f} s")
print(f"aggregate {total_tokens} tokens in {wall:.1f} s = {total_tokens / wall:.1f} tok/s")
print(f"peak RSS {peak_rss_mb:.0f} MB")
