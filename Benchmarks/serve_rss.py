"""Peak resident memory of `llmrun serve` with every slot's KV cache filled, for sizing a replica's memory
request (deploy/deployment.yaml). Runs the server under /usr/bin/time -v, sends each slot at once a chat
whose prompt nearly fills the context, stops the server with SIGTERM and reads "Maximum resident set size".

Usage: serve_rss.py LLMRUN_BINARY MODEL PARALLEL CONTEXT THREADS
"""
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time

BINARY, MODEL, PARALLEL, CONTEXT, THREADS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    connection.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


port = free_port()
server = subprocess.Popen(["/usr/bin/time", "-v", BINARY, "serve", "-m", MODEL, "--port", str(port), "--parallel", str(PARALLEL),
                           "-c", str(CONTEXT), "-t", THREADS, "--drain-seconds", "600"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
deadline = time.time() + 300
while True:
    assert server.poll() is None and time.time() < deadline, "server did not become ready"
    try:
        if call(port, "GET", "/health")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(0.1)

# A prompt of about CONTEXT - 64 tokens, each slot a different one (no shared prefix to reuse).
word_tokens = len(json.loads(call(port, "POST", "/tokenize", {"content": "river stone " * 100})[1])["tokens"]) / 100
repeats = int((CONTEXT - 128) / word_tokens)


def fill(slot):
    text = f"Slot {slot}. " + "river stone " * repeats
    status, body = call(port, "POST", "/v1/chat/completions",
                        {"messages": [{"role": "user", "content": text}], "max_tokens": 16, "temperature": 0})
    assert status == 200, body
    usage = json.loads(body)["usage"]
    print(f"slot {slot}: prompt {usage['prompt_tokens']} tokens, generated {usage['completion_tokens']}", flush=True)


threads = [threading.Thread(target=fill, args=(i,)) for i in range(PARALLEL)]
for t in threads:
    t.start()
for t in threads:
    t.join()
# SIGTERM to the server, not to time (which does not pass it on): time's only child.
child = int(open(f"/proc/{server.pid}/task/{server.pid}/children").read().split()[0])
subprocess.run(["kill", "-TERM", str(child)], check=True)
report = server.communicate(timeout=120)[1]
peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
print(f"{MODEL} --parallel {PARALLEL} -c {CONTEXT} -t {THREADS}: peak RSS {peak / 1024:.0f} MiB ({peak} KiB), exit {server.returncode}")
