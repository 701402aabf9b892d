"""What the `llmrun serve` benchmark scripts share: a server on a free loopback port, ready when
/health says so, and streamed chat completions. Standard library only."""
import http.client
import json
import socket
import subprocess
import time


def start_server(binary, model, *options):
    """Starts `binary serve -m model options…` on a free port; returns (process, port) once it is ready."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([binary, "serve", "-m", model, "--port", str(port), *map(str, options)],
                              stderr=subprocess.DEVNULL)
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        assert server.poll() is None, "server exited"
        time.sleep(0.1)


def open_stream(port, body):
    """POSTs a chat completion; the response's lines can be read as they arrive."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    return connection.getresponse()
