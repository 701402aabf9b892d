"""`llmrun serve`'s lifecycle as a load balancer or Kubernetes sees it: not ready while the model loads,
and on SIGTERM a drain (new requests 503 with Retry-After, /health not ready, streams in flight finish, or
end with an error event once --drain-seconds pass), then exit status 0.

Usage: test_lifecycle.py LLMRUN_BINARY MODEL (the standard library only). Prints one line per test and
exits 1 if any failed.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from testrunner import finish, run_tests  # noqa: E402

BINARY, MODEL = sys.argv[1], sys.argv[2]
# A completion that runs long: counting does not end by itself before max_tokens.
LONG = {"prompt": "Count: 1, 2, 3,", "max_tokens": 1500, "temperature": 0, "stream": True}
HELLO = {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 2}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, model, *extra, ready=True):
        self.port = free_port()
        self.log = open(f"/tmp/llmrun-lifecycle-test-{self.port}.log", "w+")
        self.process = subprocess.Popen([BINARY, "serve", "-m", model, "--port", str(self.port), "-c", "2048", *extra],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            assert self.process.poll() is None, f"server exited: {self.output()}"
            assert time.time() < deadline, f"server not answering in 120 s: {self.output()}"
            try:
                status = self.request("GET", "/health")[0]
                if status == 200 or not ready:
                    break
                assert status == 503, status
            except OSError:
                pass
            time.sleep(0.05)

    def request(self, method, path, body=None):
        """(status, headers, body) of one request on its own connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=None if body is None else json.dumps(body),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        reply = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        connection.close()
        return reply

    def open_stream(self, path, body):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200, (response.status, response.read())
        return Stream(connection, response)

    def metrics(self):
        status, _, body = self.request("GET", "/metrics")
        assert status == 200, status
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in body.decode().splitlines() if line and not line.startswith("#")}

    def wait_exit(self, timeout):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"server still running {timeout} s after SIGTERM: {self.output()}")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Stream:
    """A server-sent event stream read event by event."""

    def __init__(self, connection, response):
        self.connection, self.response = connection, response

    def next_event(self):
        """The next `data:` payload (bytes), skipping heartbeats; None at the end of the stream."""
        lines = []
        while True:
            line = self.response.readline()
            if not line:
                return None
            if line == b"\n":
                if lines:
                    event = b"".join(lines)
                    if event.startswith(b"data: "):
                        return event[6:].rstrip(b"\n")
                    lines = []
                continue
            lines.append(line)

    def rest(self):
        events = []
        while (event := self.next_event()) is not None:
            events.append(event)
        self.connection.close()
        return events


def expect_refused_while_draining(server):
    status, headers, body = server.request("POST", "/v1/chat/completions", HELLO)
    assert status == 503, (status, body)
    assert headers.get("retry-after") == "1", headers
    assert json.loads(body)["error"]["code"] == "server_shutting_down", body
    status, _, body = server.request("GET", "/health")
    assert (status, json.loads(body)) == (503, {"status": "draining"}), (status, body)


def wait_draining(server):
    """Until /health reports the drain (SIGTERM is handled asynchronously)."""
    deadline = time.time() + 30
    while server.request("GET", "/health")[0] == 200:
        assert time.time() < deadline, "SIGTERM never started the drain"
        time.sleep(0.05)


# MARK: - Tests

def test_not_ready_while_loading():
    """/health is 503 until the model is loaded; SIGTERM meanwhile exits at once with status 0."""
    # A model that never finishes loading: its "file" is a named pipe nobody writes.
    pipe = os.path.join(tempfile.mkdtemp(prefix="llmrun-lifecycle-"), "loading.gguf")
    os.mkfifo(pipe)
    server = Server(pipe, ready=False)
    try:
        status, headers, body = server.request("GET", "/health")
        assert (status, json.loads(body)) == (503, {"status": "loading"}), (status, body)
        status, headers, body = server.request("POST", "/v1/chat/completions", HELLO)
        assert status == 503 and headers.get("retry-after") == "1", (status, headers)
        assert json.loads(body)["error"]["code"] == "model_loading", body
        server.process.send_signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0, server.output()
    finally:
        server.kill()


def test_drain_lets_streams_finish():
    """SIGTERM mid-stream: new requests are refused, the stream ends whole ([DONE]), then exit 0."""
    server = Server(MODEL, "--drain-seconds", "600")
    try:
        stream = server.open_stream("/v1/completions", LONG)
        first = json.loads(stream.next_event())
        assert first["choices"][0]["finish_reason"] is None, first
        server.process.send_signal(signal.SIGTERM)
        wait_draining(server)
        # The generation still holds its slot, the gauges an autoscaler reads say so, and nothing else gets in.
        metrics = server.metrics()
        assert metrics["llmrun_requests_in_flight"] == 1 and metrics["llmrun_requests_queued"] == 0, metrics
        expect_refused_while_draining(server)
        assert server.process.poll() is None, "the server exited before its stream ended"
        events = stream.rest()
        assert events[-1] == b"[DONE]", events[-3:]
        last = json.loads(events[-2])
        assert last["choices"][0]["finish_reason"] == "length", last
        text = "".join(json.loads(e)["choices"][0]["text"] for e in events[:-1])
        assert len(text) > 100, text
        assert server.wait_exit(30) == 0, server.output()
    finally:
        server.kill()
    log = server.output()
    assert "draining: refusing new requests, 1 in flight" in log, log
    assert "POST /v1/completions 200" in log, log


def test_drain_time_over_ends_streams_with_an_error():
    """--drain-seconds 1 and a stream that needs longer: it ends with an error event, no finish reason, no [DONE]."""
    server = Server(MODEL, "--drain-seconds", "1")
    try:
        stream = server.open_stream("/v1/completions", LONG)
        assert json.loads(stream.next_event())["choices"][0]["finish_reason"] is None
        server.process.send_signal(signal.SIGTERM)
        wait_draining(server)
        expect_refused_while_draining(server)
        events = stream.rest()
        assert events and b"[DONE]" not in events, events[-3:]
        error = json.loads(events[-1])["error"]
        assert error["code"] == "server_shutting_down" and error["type"] == "server_error", error
        for event in events[:-1]:
            assert json.loads(event)["choices"][0]["finish_reason"] is None, event
        assert server.wait_exit(30) == 0, server.output()
    finally:
        server.kill()
    assert "drain time over: stopping 1 request(s) with an error" in server.output(), server.output()


def test_idle_server_exits_at_once():
    """SIGTERM with nothing in flight: exit status 0 without waiting for the drain time."""
    server = Server(MODEL, "--drain-seconds", "600")
    try:
        status, _, body = server.request("POST", "/v1/chat/completions", {**HELLO, "stream": False})
        assert status == 200, body
        server.process.send_signal(signal.SIGTERM)
        assert server.wait_exit(60) == 0, server.output()
    finally:
        server.kill()


def test_bad_drain_seconds_is_one_line():
    result = subprocess.run([BINARY, "serve", "-m", MODEL, "--drain-seconds=-3"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Error: --drain-seconds must be between 0 and 86400" in result.stderr, (result.returncode, result.stderr)


# MARK: - Runner

if __name__ == "__main__":
    finish(*run_tests(globals()), "lifecycle tests passed")
