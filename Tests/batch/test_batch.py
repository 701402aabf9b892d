"""`llmrun summarize DIR --out results.jsonl`: one JSON line per article, resumable.

Usage: test_batch.py LLMRUN_BINARY ARTICLES_DIR [MODEL]
Without MODEL, the checks that need none (--extractive: resume, a torn last line, a changed article, bad
arguments). With MODEL, also a model run killed (SIGKILL) half-way through the articles and rerun: nothing
redone, nothing lost, no corrupt line; and the articles spread over two `llmrun serve` replicas (--server). Prints one line per test; exits 1 if any failed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from testrunner import finish, run_tests  # noqa: E402

BINARY, ARTICLES = sys.argv[1], sys.argv[2]
MODEL = sys.argv[3] if len(sys.argv) > 3 else None


def copy_articles():
    directory = tempfile.mkdtemp(prefix="llmrun-batch-")
    articles = os.path.join(directory, "articles")
    shutil.copytree(ARTICLES, articles)
    return directory, articles, sorted(os.listdir(articles))


def summarize(*arguments):
    return subprocess.run([BINARY, "summarize", *arguments], capture_output=True, text=True, timeout=3600)


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n"), data[-80:]
    lines = data.split(b"\n")[:-1]
    return lines, [json.loads(line) for line in lines]


# MARK: - Tests

def test_resume_skips_what_is_done():
    directory, articles, names = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    first = summarize(articles, "--out", out, "--extractive")
    assert first.returncode == 0, first.stderr
    raw, results = read_lines(out)
    assert [os.path.basename(r["path"]) for r in results] == names, results
    assert all(r["points"] and r["summary"] and len(r["hash"]) == 16 for r in results), results
    assert f"[{len(names)}/{len(names)}]" in first.stderr, first.stderr
    again = summarize(articles, "--out", out, "--extractive")
    assert again.returncode == 0, again.stderr
    assert f"0 summarized, {len(names)} already in" in again.stderr, again.stderr
    assert read_lines(out)[0] == raw, "a rerun changed the results"


def test_torn_last_line_is_redone():
    """A run killed while writing leaves a line without its newline: the next run cuts it off and redoes only that article."""
    directory, articles, names = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    assert summarize(articles, "--out", out, "--extractive").returncode == 0
    raw, _ = read_lines(out)
    with open(out, "wb") as f:
        f.write(b"\n".join(raw[:-1]) + b"\n" + raw[-1][: len(raw[-1]) // 2])
    again = summarize(articles, "--out", out, "--extractive")
    assert again.returncode == 0, again.stderr
    assert "removed an unfinished last line" in again.stderr, again.stderr
    assert f"1 summarized, {len(names) - 1} already in" in again.stderr, again.stderr
    after, results = read_lines(out)
    assert after[:-1] == raw[:-1], "articles done before were touched"
    redone, original = results[-1], json.loads(raw[-1])
    redone.pop("seconds"), original.pop("seconds")  # the only field that may differ
    assert redone == original, (redone, original)


def test_changed_article_is_summarized_again():
    directory, articles, names = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    assert summarize(articles, "--out", out, "--extractive").returncode == 0
    changed = os.path.join(articles, names[0])
    with open(changed, "a") as f:
        f.write("\n\nA paragraph added after the first run changes the article's hash.\n")
    again = summarize(articles, "--out", out, "--extractive")
    assert f"1 summarized, {len(names) - 1} already in" in again.stderr, again.stderr
    _, results = read_lines(out)
    assert len(results) == len(names) + 1 and results[-1]["path"] == results[0]["path"] and results[-1]["hash"] != results[0]["hash"]


def test_bad_inputs_are_one_line_errors():
    directory, articles, _ = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    # Not text: recorded with its error (redoing it would fail the same way), the batch goes on.
    with open(os.path.join(articles, "zz-image.bin"), "wb") as f:
        f.write(bytes(range(256)))
    result = summarize(articles, "--out", out, "--extractive")
    assert result.returncode == 0, result.stderr
    last = read_lines(out)[1][-1]
    assert last["path"].endswith("zz-image.bin") and "binary" in last["error"] and "summary" not in last, last
    # A results file that is not one.
    other = os.path.join(directory, "other.jsonl")
    with open(other, "w") as f:
        f.write("not json\n")
    result = summarize(articles, "--out", other, "--extractive")
    assert result.returncode == 1 and result.stderr.strip() == f"Error: {other}: line 1 is not a result of `llmrun summarize --out` (expected a JSON object with \"path\" and \"hash\")", result.stderr
    result = summarize(os.path.join(directory, "missing"), "--out", out, "--extractive")
    assert result.returncode == 1 and "missing: no such file or directory" in result.stderr, result.stderr
    result = summarize(articles, articles, "--extractive")
    assert result.returncode != 0 and "Several articles need --out" in result.stderr, result.stderr


def test_killed_half_way_resumes():
    """SIGKILL once half the articles are written, then rerun: no article redone, none lost, no corrupt line."""
    if MODEL is None:
        return
    directory, articles, names = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    arguments = [BINARY, "summarize", articles, "--out", out, "-m", MODEL, "--length", "short"]
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    half = len(names) // 2
    deadline = time.time() + 1800
    while not (os.path.exists(out) and open(out, "rb").read().count(b"\n") >= half):
        assert process.poll() is None, process.stderr.read()
        assert time.time() < deadline, "no progress"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with open(out, "rb") as f:
        before = f.read()
    kept = before[: before.rfind(b"\n") + 1]
    done_before = kept.count(b"\n")
    assert done_before < len(names), "the batch finished before the kill"
    rerun = subprocess.run(arguments, capture_output=True, text=True, timeout=3600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(names) - done_before} summarized, {done_before} already in" in rerun.stderr, rerun.stderr
    with open(out, "rb") as f:
        after = f.read()
    assert after.startswith(kept), "lines written before the kill changed"
    _, results = read_lines(out)
    assert sorted(os.path.basename(r["path"]) for r in results) == names, [r["path"] for r in results]
    assert all("summary" in r and "error" not in r for r in results), results


def test_a_bad_gateway_passes_the_article_on():
    """--server A B where A is a load balancer whose replica is gone (502): every article goes to B."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            if self.server.gone:
                body = b"<html>502 Bad Gateway</html>"
                self.send_response(502)
            else:
                # A replica's /v1/summarize, reduced to the fields a results line keeps.
                body = json.dumps({"summary": "- point", "points": [], "language": "zh",
                                   "usage": {"prompt_tokens": 1, "completion_tokens": 1}}).encode()
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments):
            pass

    directory, articles, names = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    servers = []
    for gone in (True, False):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.gone = gone
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
        result = summarize(articles, "--out", out, "--jobs", "2", "--server", *urls)
        assert result.returncode == 0, result.stderr
        _, results = read_lines(out)
        assert sorted(os.path.basename(r["path"]) for r in results) == names, results
        assert all(r["server"] == urls[1] for r in results), [r["server"] for r in results]
    finally:
        for server in servers:
            server.shutdown()


def test_spread_over_servers():
    """--jobs 2 --server A B: the articles go to both replicas' /v1/summarize; a rerun skips them all."""
    if MODEL is None:
        return
    import socket
    directory, articles, names = copy_articles()
    out = os.path.join(directory, "results.jsonl")
    servers = []
    try:
        for name in ("a", "b"):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            log = open(os.path.join(directory, f"{name}.log"), "w+")
            process = subprocess.Popen([BINARY, "serve", "-m", MODEL, "--port", str(port), "-t", "1"], stdout=log, stderr=subprocess.STDOUT)
            servers.append((f"http://127.0.0.1:{port}", process, log))
        urls = [url for url, _, _ in servers]
        # Started at once: a replica still loading answers 503, and the article goes to the other.
        result = summarize(articles, "--out", out, "--length", "short", "--jobs", "2", "--server", *urls)
        assert result.returncode == 0, result.stderr
        _, results = read_lines(out)
        assert sorted(os.path.basename(r["path"]) for r in results) == names, results
        assert all("summary" in r and r["server"] in urls for r in results), results
        assert {r["server"] for r in results} == set(urls), [r["server"] for r in results]
        again = summarize(articles, "--out", out, "--jobs", "2", "--server", *urls)
        assert f"0 summarized, {len(names)} already in" in again.stderr, again.stderr
    finally:
        for _, process, _ in servers:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    for _, _, log in servers:
        log.seek(0)
        assert "POST /v1/summarize 200" in log.read()


# MARK: - Runner

if __name__ == "__main__":
    finish(*run_tests(globals(), note=lambda name: "" if MODEL or not ("killed" in name or "servers" in name) else " (skipped: no MODEL)"),
           "batch tests passed")
