"""What the `llmrun serve` benchmark scripts share: a server on a free loopback port, ready when
/health says so, and streamed chat completions. Standard library only."""
import http.client
import json
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_ready(server, port):
    """Returns once the server on `port` answers /health with 200."""
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        assert server.poll() is None, "server exited"
        time.sleep(0.1)


def start_server(binary, model, *options):
    """Starts `binary serve -m model options…` on a free port; returns (process, port) once it is ready."""
    port = free_port()
    server = subprocess.Popen([binary, "serve", "-m", model, "--port", str(port), *map(str, options)],
                              stderr=subprocess.DEVNULL)
    wait_until_ready(server, port)
    return server, port


def start_llama_server(binary, model_path, *options, env=None):
    """Starts llama.cpp's `llama-server -m model_path options…` on a free port; returns (process, port) once ready."""
    port = free_port()
    server = subprocess.Popen([binary, "-m", model_path, "--port", str(port), *map(str, options)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_until_ready(server, port)
    return server, port


def open_stream(port, body):
    """POSTs a chat completion; the response's lines can be read as they arrive."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    return connection.getresponse()
