"""Two `llmrun serve` replicas behind nginx (Debian's), everything on 127.0.0.1, driven by the official
openai client: 32 concurrent streamed chats all complete; a replica killed mid-stream fails its streams
cleanly (an error, never a finish reason) while new requests go to the survivor; restarted, it takes
requests again once its model is loaded; a replica stopped with SIGTERM mid-stream drains and nothing fails.

Usage: test_cluster.py LLMRUN_BINARY MODEL [REPORT.json]
Prints one line per step and the figures (requests, failures, latency percentiles); exits 1 on a failure.
"""
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import openai

BINARY, MODEL = sys.argv[1], sys.argv[2]
REPORT = sys.argv[3] if len(sys.argv) > 3 else None
CONCURRENT = 32
# Each replica: two slots sharing one thread (the machine has two cores for both), the rest queue.
REPLICA_OPTIONS = ["--parallel", "2", "-t", "1", "-c", "1024", "--drain-seconds", "120"]
SHORT = dict(max_tokens=48, temperature=0.7)
# Long enough to be mid-stream when the replica dies (the kill waits for every stream's first text).
LONG = dict(max_tokens=400, temperature=0)
COUNT = [{"role": "user", "content": "Count from 1 to 300, separated by commas."}]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/health")
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return None


def wait_until(condition, seconds, what):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.05)


class Replica:
    def __init__(self, directory, name):
        self.port = free_port()
        self.name = name
        self.log_path = os.path.join(directory, f"{name}.log")
        self.process = None

    def start(self):
        log = open(self.log_path, "a")
        self.process = subprocess.Popen([BINARY, "serve", "-m", MODEL, "--host", "127.0.0.1", "--port", str(self.port), *REPLICA_OPTIONS],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def wait_ready(self):
        wait_until(lambda: self.process.poll() is None and health(self.port) == 200 or self.process.poll() is not None, 120,
                   f"{self.name} ready")
        assert self.process.poll() is None, f"{self.name} exited: {self.log()}"

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def served_chats(self):
        """Chat completions this replica answered with 200, by its access log."""
        return self.log().count("POST /v1/chat/completions 200")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Balancer:
    """nginx as a reverse proxy for streams: no buffering, and a request refused before its answer began
    (connection refused, 503 while loading or draining) tried on the other replica."""

    def __init__(self, directory, replicas):
        self.port = free_port()
        self.directory = directory
        servers = "\n".join(f"        server 127.0.0.1:{r.port} max_fails=1 fail_timeout=2s;" for r in replicas)
        config = f"""
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    access_log {directory}/nginx-access.log;
    client_body_temp_path {directory}/client-body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    upstream llmrun {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://llmrun;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 300s;
            proxy_next_upstream error timeout http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""
        self.config_path = os.path.join(directory, "nginx.conf")
        with open(self.config_path, "w") as f:
            f.write(config)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        # -g "daemon off;" keeps it a child of this test, so that it stops with it.
        self.process = subprocess.Popen([nginx, "-p", directory, "-c", self.config_path, "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(lambda: self.process.poll() is not None or self.reachable(), 10, "nginx listening")
        assert self.process.poll() is None, self.error_log()

    def reachable(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def error_log(self):
        path = os.path.join(self.directory, "nginx-error.log")
        return open(path).read() if os.path.exists(path) else ""

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Outcome:
    def __init__(self):
        self.upstream, self.text, self.finish_reason, self.error, self.first_text, self.seconds = None, "", None, None, None, None

    @property
    def served_by(self):
        """The replica that answered: the last address nginx tried ("a, b" when a refused the request)."""
        return self.upstream.split(", ")[-1] if self.upstream else None


def stream_chat(client, messages, options, on_first_text=None):
    """One streamed chat through the balancer: which replica answered, the text, the finish reason or the error."""
    start = time.time()
    outcome = Outcome()
    try:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=messages, stream=True, **options)
        outcome.upstream = raw.headers.get("x-upstream")
        for chunk in raw.parse():
            choice = chunk.choices[0] if chunk.choices else None
            if choice is None:
                continue
            if choice.delta.content:
                if outcome.first_text is None:
                    outcome.first_text = time.time() - start
                    if on_first_text:
                        on_first_text(outcome)
                outcome.text += choice.delta.content
            if choice.finish_reason:
                outcome.finish_reason = choice.finish_reason
    except Exception as error:  # what a client sees when the stream breaks: httpx's or openai's error
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.seconds = time.time() - start
    return outcome


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def main():
    directory = tempfile.mkdtemp(prefix="llmrun-cluster-")
    os.chmod(directory, 0o755)
    replicas = [Replica(directory, "a"), Replica(directory, "b")]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.wait_ready()
    balancer = Balancer(directory, replicas)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{balancer.port}/v1", api_key="unused", max_retries=0, timeout=300)
    report = {}
    failures = []

    def step(name, check):
        start = time.time()
        try:
            check()
            print(f"ok    {name} ({time.time() - start:.1f} s)", flush=True)
        except Exception:
            failures.append(name)
            print(f"FAIL  {name}\n{traceback.format_exc()}", flush=True)

    def all_complete():
        """32 concurrent streamed chats: every one ends with a finish reason, both replicas take a share."""
        prompts = [[{"role": "user", "content": f"Write one sentence about the number {i}."}] for i in range(CONCURRENT)]
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
            outcomes = list(pool.map(lambda m: stream_chat(client, m, SHORT), prompts))
        wall = time.time() - start
        errors = [o.error for o in outcomes if o.error]
        report["concurrent"] = {
            "requests": len(outcomes), "failures": len(errors) + sum(1 for o in outcomes if not o.error and not o.finish_reason),
            "p50_seconds": percentile([o.seconds for o in outcomes], 50), "p95_seconds": percentile([o.seconds for o in outcomes], 95),
            "p50_first_text_seconds": percentile([o.first_text or o.seconds for o in outcomes], 50),
            "p95_first_text_seconds": percentile([o.first_text or o.seconds for o in outcomes], 95),
            "wall_seconds": wall, "per_replica": {r.name: r.served_chats() for r in replicas},
        }
        assert not errors, errors
        assert all(o.finish_reason in ("stop", "length") and o.text for o in outcomes), [(o.finish_reason, o.text) for o in outcomes]
        upstreams = {o.served_by for o in outcomes}
        assert upstreams == {f"127.0.0.1:{r.port}" for r in replicas}, upstreams

    def kill_mid_stream():
        """SIGKILL one replica while streams run on both: its streams end in an error without a finish
        reason; the other replica's finish; requests sent afterwards are all answered, by the survivor."""
        victim, survivor = replicas
        started = []
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(stream_chat, client, COUNT, LONG, started.append) for _ in range(8)]
            # Text is streaming from both replicas.
            wait_until(lambda: {o.served_by for o in list(started)} >= {f"127.0.0.1:{r.port}" for r in replicas}, 120,
                       "streams under way on both replicas")
            victim.process.kill()
            victim.process.wait()
            after = [pool.submit(stream_chat, client, [{"role": "user", "content": f"Say {i}."}], SHORT) for i in range(8)]
            outcomes = [f.result() for f in futures]
            later = [f.result() for f in after]
        on_victim = [o for o in outcomes if o.served_by == f"127.0.0.1:{victim.port}"]
        on_survivor = [o for o in outcomes if o.served_by == f"127.0.0.1:{survivor.port}"]
        report["kill"] = {
            "streams": len(outcomes), "on_killed_replica": len(on_victim),
            # Queued on the killed replica, no answer begun: nginx sent them to the survivor.
            "retried_on_survivor": sum(1 for o in on_survivor if ", " in o.upstream),
            "failed_cleanly": sum(1 for o in on_victim if o.error and o.finish_reason is None),
            "completed_on_survivor": sum(1 for o in on_survivor if o.finish_reason and not o.error),
            "requests_after_kill": len(later), "failures_after_kill": sum(1 for o in later if o.error or not o.finish_reason),
            "client_errors": sorted({o.error.split(":")[0] for o in on_victim if o.error}),
        }
        assert len(on_victim) + len(on_survivor) == len(outcomes), [o.upstream for o in outcomes]
        assert on_victim, "no stream ran on the killed replica"
        for o in on_victim:
            # Never a cut answer passed off as whole: an error, and no finish reason.
            assert o.error and o.finish_reason is None, (o.error, o.finish_reason, o.text[-80:])
        for o in on_survivor:
            assert o.finish_reason and not o.error, (o.error, o.finish_reason)
        for o in later:
            assert o.finish_reason and not o.error, (o.error, o.upstream)
            assert o.served_by == f"127.0.0.1:{survivor.port}", o.upstream

    def rejoin():
        """Restarted, the replica answers requests again once ready (nginx tries it after fail_timeout; while
        it loads its 503 sends the request to the other replica), and no request fails meanwhile."""
        victim = replicas[0]
        before = victim.served_chats()
        victim.start()
        victim.wait_ready()
        outcomes = []
        deadline = time.time() + 120
        while victim.served_chats() == before:
            assert time.time() < deadline, "the restarted replica never got a request"
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                outcomes += list(pool.map(lambda i: stream_chat(client, [{"role": "user", "content": f"Say {i}."}], SHORT), range(4)))
            time.sleep(0.5)
        report["rejoin"] = {"requests": len(outcomes), "failures": sum(1 for o in outcomes if o.error or not o.finish_reason)}
        assert all(o.finish_reason and not o.error for o in outcomes), [(o.error, o.upstream) for o in outcomes]

    def rolling_stop():
        """SIGTERM to a replica while streams run on both (a rolling update): nothing fails. Its streams
        finish, the requests it refuses while draining (503) go to the other replica, and it exits 0."""
        stopping, other = replicas[1], replicas[0]
        started = []
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            futures = [pool.submit(stream_chat, client, COUNT, LONG, started.append) for _ in range(4)]
            wait_until(lambda: f"127.0.0.1:{stopping.port}" in {o.served_by for o in list(started)}, 120, "a stream on the replica to stop")
            stopping.process.send_signal(signal.SIGTERM)
            wait_until(lambda: health(stopping.port) != 200, 30, "the drain begins")
            during = [pool.submit(stream_chat, client, [{"role": "user", "content": f"Say {i}."}], SHORT) for i in range(8)]
            outcomes = [f.result() for f in futures] + [f.result() for f in during]
        status = stopping.process.wait(timeout=60)
        drained = [o for o in outcomes[:4] if o.served_by == f"127.0.0.1:{stopping.port}"]
        report["rolling_stop"] = {"requests": len(outcomes), "failures": sum(1 for o in outcomes if o.error or not o.finish_reason),
                                  "finished_while_draining": len(drained), "exit_status": status}
        assert all(o.finish_reason and not o.error for o in outcomes), [(o.error, o.upstream) for o in outcomes]
        assert drained, "no stream was on the stopped replica"
        assert all(o.served_by == f"127.0.0.1:{other.port}" for o in outcomes[4:]), [o.upstream for o in outcomes[4:]]
        assert status == 0, stopping.log()

    try:
        step("32 concurrent streamed chats through nginx all complete", all_complete)
        step("a replica killed mid-stream fails its streams cleanly; the survivor takes new requests", kill_mid_stream)
        step("the restarted replica rejoins once ready", rejoin)
        step("a replica stopped with SIGTERM mid-stream drains: nothing fails", rolling_stop)
    finally:
        balancer.stop()
        for replica in replicas:
            replica.stop()
    print(json.dumps(report, indent=1))
    if REPORT:
        with open(REPORT, "w") as f:
            json.dump(report, f, indent=1)
    if failures:
        print(f"\n{len(failures)} of 4 failed: {', '.join(failures)}\nlogs: {directory}")
        sys.exit(1)
    print(f"\nall 4 cluster steps passed (logs: {directory})")


if __name__ == "__main__":
    main()
