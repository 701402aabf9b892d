"""Time to first token of a growing chat with and without the slot's KV-cache prefix reuse (not in CI).

A conversation of several long turns is sent turn by turn to a one-slot server. For each new turn the
request is timed twice: right after the previous turn (the slot still holds that conversation: only the
new turn is evaluated), and after an unrelated request has replaced the slot's cache (the whole
conversation is evaluated). Standard library only:

  python3 Benchmarks/serve_prefix_reuse.py .build/release/llmrun -m qwen2.5-0.5b
"""
import argparse
import json
import statistics
import time

from serve_common import open_stream, start_server

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("-m", "--model", default="smollm2-135m")
parser.add_argument("--turns", type=int, default=4)
args = parser.parse_args()

server, port = start_server(args.binary, args.model, "-c", 4096)

PARAGRAPH = ("The river town kept its old market hall, where on Saturdays farmers sold cheese, apples and honey, "
             "and the children watched the boats go under the stone bridge while their parents talked about the weather. ")


def first_token(messages):
    """Seconds to the first streamed text, and the prompt tokens the server took from the cache."""
    body = {"model": args.model, "messages": messages, "max_tokens": 8, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    ttft, cached, prompt = None, None, None
    response = open_stream(port, body)
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: {"):
            continue
        chunk = json.loads(line[6:])
        if ttft is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            ttft = time.perf_counter() - start
        if chunk.get("usage"):
            cached = chunk["usage"]["prompt_tokens_details"]["cached_tokens"]
            prompt = chunk["usage"]["prompt_tokens"]
    return ttft, cached, prompt


messages = [{"role": "system", "content": "You are a helpful assistant. " + PARAGRAPH * 4}]
rows = []
for turn in range(args.turns):
    messages.append({"role": "user", "content": f"Question {turn + 1}: " + PARAGRAPH * 3 + "What is sold on Saturdays?"})
    warm, warm_cached, prompt_tokens = first_token(messages)
    first_token([{"role": "user", "content": "Unrelated: name a fruit."}])  # replaces the slot's cache
    cold, cold_cached, _ = first_token(messages)
    rows.append((turn + 1, prompt_tokens, warm_cached, warm, cold_cached, cold))
    # The answer becomes part of the conversation, as a chat client would send it back.
    messages.append({"role": "assistant", "content": "Cheese, apples and honey."})
    first_token(messages)  # leaves the slot holding the conversation so far, answer included

server.terminate()
server.wait()
print(f"model {args.model}, one slot; TTFT of each new turn with the slot's cache (warm) and without (cold)")
print("| turn | prompt tokens | cached (warm) | TTFT warm | cached (cold) | TTFT cold | gain |")
print("|---|---|---|---|---|---|---|")
for turn, prompt, warm_cached, warm, cold_cached, cold in rows:
    print(f"| {turn} | {prompt} | {warm_cached} | {warm * 1000:.0f} ms | {cold_cached} | {cold * 1000:.0f} ms | {cold / warm:.1f}x |")
later = rows[1:] or rows
print(f"median gain from turn 2 on: {statistics.median(c / w for _, _, _, w, _, c in later):.1f}x")
