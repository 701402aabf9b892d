"""`llmrun serve` driven by the official openai client, plus raw HTTP for what the client hides.

Usage: test_openai.py LLMRUN_BINARY MODEL (with the `openai` package installed; raw HTTP uses the standard library)
Starts two servers on free loopback ports (one with an API key, one with no queue for the 503 and
disconnect tests), runs every test, prints one line per test, exits 1 if any failed.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import http.client
import openai
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from testrunner import finish, run_tests  # noqa: E402

BINARY, MODEL = sys.argv[1], sys.argv[2]
API_KEY = "test-key"
CONTEXT = 2048


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *extra):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(f"/tmp/llmrun-serve-test-{self.port}.log", "w+")
        self.process = subprocess.Popen([BINARY, "serve", "-m", MODEL, "--port", str(self.port), "-c", str(CONTEXT), *extra],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            assert self.process.poll() is None, f"server exited: {self.output()}"
            assert time.time() < deadline, f"server not ready in 120 s: {self.output()}"
            try:
                status = request("GET", "/health", headers={}, server=self).status_code
                if status == 200:
                    break
                assert status == 503, status
            except OSError:
                pass
            time.sleep(0.05)

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


AUTH = {"Authorization": f"Bearer {API_KEY}"}
HELLO = [{"role": "user", "content": "Name three colors."}]


class Reply:
    def __init__(self, status, headers, body):
        self.status_code, self.headers, self.content = status, headers, body
        self.text = body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


def request(method, path, body=None, *, content=None, headers=None, server=None):
    """One HTTP request on its own connection; `content` may be bytes or an iterator of chunks (sent chunked)."""
    server = server or main
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    headers = dict(AUTH if headers is None else headers)
    if body is not None:
        content = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    chunked = content is not None and not isinstance(content, bytes)
    connection.request(method, path, body=content, headers=headers, encode_chunked=chunked)
    response = connection.getresponse()
    reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return reply


def post(path, body=None, **options):
    return request("POST", path, body, **options)


def get(path, **options):
    return request("GET", path, **options)


def expect_error(response, status, param=None):
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"], error
    if param is not None:
        assert error["param"] == param, error
    return error


def stream_raw(path, body, server=None):
    """The events of a streamed response, each checked to be whole UTF-8 on its own, ending in [DONE]."""
    response = post(path, body, server=server)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.content.split(b"\n\n")
    assert events[-1] == b"", events[-1]
    assert events[-2] == b"data: [DONE]", events[-2]
    decoded = []
    for event in events[:-2]:
        if event == b": keep-alive":  # the server's heartbeat, an SSE comment
            continue
        assert event.startswith(b"data: "), event
        decoded.append(json.loads(event[6:].decode("utf-8", errors="strict")))
    return decoded


main = Server("--api-key", API_KEY)
client = openai.OpenAI(base_url=main.url + "/v1", api_key=API_KEY, max_retries=0, timeout=120)


# MARK: - Tests

def test_health_and_models():
    assert get("/health", headers={}).json() == {"status": "ok"}  # no key needed
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL], models
    assert client.models.retrieve(MODEL).id == MODEL
    expect_error(get("/v1/models/gpt-4"), 404, "model")


def test_chat_non_streaming():
    response = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=12, temperature=0)
    choice = response.choices[0]
    assert response.object == "chat.completion" and response.model == MODEL
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    usage = response.usage
    assert usage.prompt_tokens > 5 and 0 < usage.completion_tokens <= 12
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_chat_length_finish():
    response = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Write a long story about a dragon."}],
                                              max_tokens=3, temperature=0)
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 3


def test_chat_streaming_matches_non_streaming():
    whole = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=16, temperature=0)
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=16, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason], finishes
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert text == whole.choices[0].message.content, (text, whole.choices[0].message.content)
    # llama.cpp's `timings`, beside OpenAI's fields: on the whole response and on the finishing chunk.
    timings = whole.model_extra["timings"]
    assert timings["predicted_n"] == whole.usage.completion_tokens and timings["predicted_per_second"] > 0, timings
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishing[0].model_extra["timings"]["predicted_n"] == whole.usage.completion_tokens


def test_prefix_reuse_reported():
    first = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=4, temperature=0)
    grown = HELLO + [{"role": "assistant", "content": first.choices[0].message.content},
                     {"role": "user", "content": "And three more?"}]
    second = client.chat.completions.create(model=MODEL, messages=grown, max_tokens=4, temperature=0)
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= first.usage.prompt_tokens - 1, (cached, first.usage)


def test_completions():
    response = client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=5, temperature=0)
    assert response.object == "text_completion"
    assert response.choices[0].text and response.choices[0].finish_reason in ("stop", "length")
    assert response.usage.completion_tokens <= 5
    chunks = list(client.completions.create(model=MODEL, prompt="The capital of France is", max_tokens=5, temperature=0, stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == response.choices[0].text
    assert chunks[-1].choices[0].finish_reason == response.choices[0].finish_reason


def test_default_completion_length_is_16():
    response = client.completions.create(model=MODEL, prompt="Once upon a time", temperature=0)
    assert response.usage.completion_tokens <= 16


def test_chinese_stream_is_whole_utf8():
    prompt = "北京是中国的首都，上海是中国最大的城市。广州"
    events = stream_raw("/v1/completions", {"model": MODEL, "prompt": prompt, "max_tokens": 40, "temperature": 0, "stream": True})
    texts = [e["choices"][0]["text"] for e in events if e["choices"]]
    joined = "".join(texts)
    assert "\ufffd" not in joined, joined
    assert any(ord(ch) > 0x2E80 for ch in joined), f"no CJK in the continuation: {joined!r}"
    chat = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "请用中文介绍一下北京。"}],
                                          max_tokens=40, temperature=0, stream=True)
    for chunk in chat:
        if chunk.choices and chunk.choices[0].delta.content:
            assert "\ufffd" not in chunk.choices[0].delta.content


def test_stop_strings():
    prompt = "List the numbers: one, two, three, four, five, six, seven, eight,"
    free = client.completions.create(model=MODEL, prompt=prompt, max_tokens=24, temperature=0).choices[0].text
    assert len(free) > 8, free
    # A stop string taken from the middle of the free text, so that it likely spans tokens.
    stop = free[len(free) // 2: len(free) // 2 + 4]
    expected = free[:free.index(stop)]
    stopped = client.completions.create(model=MODEL, prompt=prompt, max_tokens=24, temperature=0, stop=[stop, "\u0000never"])
    assert stopped.choices[0].text == expected, (stopped.choices[0].text, expected, stop)
    assert stopped.choices[0].finish_reason == "stop"
    chunks = list(client.completions.create(model=MODEL, prompt=prompt, max_tokens=24, temperature=0, stop=stop, stream=True))
    pieces = [c.choices[0].text for c in chunks if c.choices]
    assert "".join(pieces) == expected, (pieces, expected)
    assert all(stop not in p for p in pieces)


def test_tokenize_round_trip():
    text = "Hello, 世界! Ünïcödé 123 🙂"
    tokens = post("/tokenize", {"content": text}).json()["tokens"]
    assert tokens and all(isinstance(t, int) for t in tokens)
    assert post("/detokenize", {"tokens": tokens}).json()["content"] == text
    expect_error(post("/detokenize", {"tokens": [10 ** 9]}), 400, "tokens")
    # Numbers no token id can be (past Int32, fractional) name the field too, not "not valid JSON".
    for bad in ([10 ** 20], [1.5], [-(10 ** 12)]):
        expect_error(post("/detokenize", {"tokens": bad}), 400, "tokens")
    expect_error(post("/detokenize", {}), 400, "tokens")


def metric_values(response):
    """The samples of a Prometheus text page, by name with labels."""
    values = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics():
    response = get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    values = metric_values(response)
    for name in ("llmrun_prompt_tokens_total", "llmrun_generated_tokens_total", "llmrun_generation_seconds_total",
                 "llmrun_requests_in_flight", "llmrun_requests_queued", "llmrun_prompt_tokens_cached_total"):
        assert name in values, (name, response.text)
    assert values["llmrun_generated_tokens_total"] > 0
    assert values["llmrun_requests_in_flight"] == 0 and values["llmrun_requests_queued"] == 0
    assert any(k.startswith('llmrun_requests_total{route="/v1/chat/completions",status="200"}') for k in values), values.keys()


ARTICLE = ("The city council met on Monday to discuss the new park. The park will cover ten hectares near the river. "
           "Construction is expected to start in spring and last two years. The budget is twelve million euros. "
           "Residents asked for more trees and a playground. The mayor promised a public consultation in March. "
           "Critics said the money should go to public transport instead. The council will vote on the plan in April.")


def test_summarize():
    response = post("/v1/summarize", {"text": ARTICLE, "length": "short"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "summary" and body["language"] == "en"
    assert isinstance(body["summary"], str) and isinstance(body["points"], list)
    assert body["usage"]["completion_tokens"] > 0
    assert [s["index"] for s in body["article"]["sentences"]] == list(range(1, 9)), body["article"]
    assert body["timings"]["predicted_n"] == body["usage"]["completion_tokens"]
    events = stream_raw("/v1/summarize", {"text": ARTICLE, "length": "short", "stream": True})
    assert events[0]["article"]["sentences"][0] == {"index": 1, "text": "The city council met on Monday to discuss the new park."}, events[0]
    assert events[-1]["object"] == "summary"
    assert all(len(e) == 1 and next(iter(e)) in ("step", "delta", "point") for e in events[1:-1]), events
    assert any("delta" in e for e in events) and events[1]["step"]["stage"] == "point" and events[1]["step"]["part"] == 1
    assert [e["point"] for e in events if "point" in e] == events[-1]["points"]
    expect_error(post("/v1/summarize", {"text": "   "}), 400, "text")
    expect_error(post("/v1/summarize", {"text": ARTICLE, "length": "huge"}), 400, "length")


BRIDGE = ("The old bridge over the river was closed in May. Engineers found cracks in two of its pillars. "
          "A new bridge will be built by 2027 at a cost of forty million euros.")


def test_ask():
    """`POST /v1/ask` returns the JSON of `llmrun ask --json` (the same keys, citations naming the posted articles)."""
    question = "How much will the new bridge cost?"
    articles = [{"text": ARTICLE, "name": "park.txt"}, {"text": BRIDGE, "name": "bridge.txt"}]

    # Greedy answers are compared from the same state, a server of their own: a slot whose cache holds the start of
    # a prompt evaluates only the rest, in other batches, and a 135M model's answer can turn on the last bits.
    def fresh(stream):
        server = Server()
        try:
            body = {"articles": articles, "question": question, "stream": stream}
            return stream_raw("/v1/ask", body, server=server) if stream else post("/v1/ask", body, server=server)
        finally:
            server.stop()

    response = fresh(stream=False)
    assert response.status_code == 200, response.text
    body = response.json()
    # The CLI's JSON for the same articles and question: the same keys, the same answer (greedy, same prompt).
    directory = f"/tmp/llmrun-ask-test-{main.port}"
    os.makedirs(directory, exist_ok=True)
    for article in articles:
        with open(os.path.join(directory, article["name"]), "w") as file:
            file.write(article["text"])
    cli = subprocess.run([os.path.abspath(BINARY), "ask", "park.txt", "bridge.txt", question, "-m", MODEL, "--json"],
                         capture_output=True, text=True, cwd=directory)
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    assert set(body) == set(expected), (sorted(body), sorted(expected))
    for key in ("question", "answer", "answered", "language", "citations", "files", "closest", "shown_sentences"):
        assert body.get(key) == expected.get(key), (key, body.get(key), expected.get(key))
    assert body["citations"] or body["closest"], body
    for citation in body["citations"]:
        assert set(citation) == {"id", "file", "line", "sentence"} and citation["file"] in ("park.txt", "bridge.txt"), citation
    # Streamed: the cleaned answer in pieces, then the same object.
    events = fresh(stream=True)
    final = events[-1]
    assert all(set(e) == {"delta"} for e in events[:-1]), events
    varying = ("seconds",)
    assert {k: v for k, v in final.items() if k not in varying} == {k: v for k, v in body.items() if k not in varying}, (final, body)
    if final["answered"]:
        assert "".join(e["delta"] for e in events[:-1]).strip() == final["answer"], events
    # A name defaults to the article's place in the list.
    unnamed = post("/v1/ask", {"articles": [{"text": BRIDGE}], "question": question}).json()
    assert all(c["file"] == "article 1" for c in unnamed["citations"] + ([unnamed["closest"]] if unnamed.get("closest") else [])), unnamed
    # A question with nothing to search for is refused without the model, as the CLI does.
    empty = post("/v1/ask", {"articles": articles, "question": "？！"}).json()
    assert empty["answered"] is False and empty["generated_tokens"] == 0, empty


def test_malformed_requests():
    expect_error(post("/v1/chat/completions", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}), 400)
    expect_error(post("/v1/chat/completions", content=b"", headers=AUTH), 400)
    expect_error(post("/v1/chat/completions", {"model": MODEL}), 400, "messages")
    expect_error(post("/v1/chat/completions", {"messages": []}), 400, "messages")
    expect_error(post("/v1/chat/completions", {"messages": [{"role": "user"}]}), 400, "messages[0].content")
    expect_error(post("/v1/chat/completions", {"messages": HELLO, "max_tokens": -1}), 400, "max_tokens")
    expect_error(post("/v1/chat/completions", {"messages": HELLO, "temperature": "hot"}), 400, "temperature")
    expect_error(post("/v1/completions", {"prompt": [1, -5]}), 400, "prompt")
    assert post("/v1/completions", {"prompt": "", "max_tokens": 1}).status_code in (200, 400)  # 200 when the model adds BOS
    expect_error(post("/v1/nothing", {}), 404)
    # Through the client: the statuses map to its exception classes.
    try:
        client.chat.completions.create(model="gpt-4", messages=HELLO, max_tokens=2)
        raise AssertionError("unknown model accepted")
    except openai.NotFoundError as error:
        assert error.status_code == 404 and error.body["param"] == "model"
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hello " * 3000}], max_tokens=2)
        raise AssertionError("too-long prompt accepted")
    except openai.BadRequestError as error:
        assert str(CONTEXT) in error.body["message"] and error.body["code"] == "context_length_exceeded", error.body


# The HTTP rows of README's "Bad inputs" table, one entry each: (row, method, path, body or raw bytes, status, param, code).
# A dict body is sent as JSON; bytes as they are.
BAD_REQUESTS = [
    ("malformed JSON", "POST", "/v1/chat/completions", b'{"messages": [', 400, None, None),
    ("empty body", "POST", "/v1/chat/completions", b"", 400, None, None),
    ("body not a JSON object", "POST", "/v1/chat/completions", b"[1, 2]", 400, None, None),
    ("JSON nested 100 000 deep", "POST", "/v1/completions", b"[" * 100000 + b"]" * 100000, 400, None, None),
    ("invalid UTF-8 in a string", "POST", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\xe4\xb8"}]}', 400, None, None),
    ("wrong field type", "POST", "/v1/chat/completions", {"messages": HELLO, "temperature": "hot"}, 400, "temperature", "invalid_type"),
    ("wrong type inside messages", "POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": 3}]}, 400, "messages[0].content", "invalid_type"),
    ("missing messages", "POST", "/v1/chat/completions", {"model": MODEL}, 400, "messages", "missing_required_parameter"),
    ("empty messages", "POST", "/v1/chat/completions", {"messages": []}, 400, "messages", "invalid_value"),
    ("unsupported role", "POST", "/v1/chat/completions", {"messages": [{"role": "tool", "content": "x"}]}, 400, "messages[0].role", "invalid_value"),
    ("non-text content part", "POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, 400, "messages[0].content", "invalid_value"),
    ("max_tokens 0", "POST", "/v1/chat/completions", {"messages": HELLO, "max_tokens": 0}, 400, "max_tokens", "invalid_value"),
    ("max_tokens beyond the context", "POST", "/v1/chat/completions", {"messages": HELLO, "max_tokens": CONTEXT + 1}, 400, "max_tokens", "invalid_value"),
    ("max_tokens beyond 64 bits", "POST", "/v1/completions", b'{"prompt": "a", "max_tokens": 99999999999999999999}', 400, "max_tokens", "invalid_value"),
    ("max_tokens not an integer", "POST", "/v1/chat/completions", {"messages": HELLO, "max_tokens": 1.5}, 400, "max_tokens", "invalid_value"),
    ("token id beyond 32 bits", "POST", "/v1/completions", {"prompt": [1, 2 ** 31]}, 400, "prompt", "invalid_value"),
    ("n other than 1", "POST", "/v1/chat/completions", {"messages": HELLO, "n": 2}, 400, "n", "unsupported_value"),
    ("temperature out of range", "POST", "/v1/chat/completions", {"messages": HELLO, "temperature": 2.5}, 400, "temperature", "invalid_value"),
    ("more than 4 stop strings", "POST", "/v1/completions", {"prompt": "a", "stop": list("abcde")}, 400, "stop", "invalid_value"),
    ("prompt beyond the context", "POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "hello " * 3000}]},
     400, "messages", "context_length_exceeded"),
    ("token ids outside the vocabulary", "POST", "/v1/completions", {"prompt": [1, -5]}, 400, "prompt", "invalid_value"),
    ("several prompts", "POST", "/v1/completions", {"prompt": ["a", "b"]}, 400, "prompt", "invalid_value"),
    ("unknown model", "POST", "/v1/chat/completions", {"model": "gpt-4", "messages": HELLO}, 404, "model", "model_not_found"),
    ("summarize: no text to summarize", "POST", "/v1/summarize", {"text": "   "}, 400, "text", "invalid_value"),
    ("summarize: unknown length", "POST", "/v1/summarize", {"text": "One sentence.", "length": "huge"}, 400, "length", "invalid_value"),
    ("ask: no articles", "POST", "/v1/ask", {"articles": [], "question": "Why?"}, 400, "articles", "invalid_value"),
    ("ask: missing question", "POST", "/v1/ask", {"articles": [{"text": "One sentence."}]}, 400, "question", "missing_required_parameter"),
    ("ask: empty question", "POST", "/v1/ask", {"articles": [{"text": "One sentence."}], "question": "  "}, 400, "question", "invalid_value"),
    ("ask: article without text", "POST", "/v1/ask", {"articles": [{"name": "a.txt"}], "question": "Why?"}, 400, "articles[0].text",
     "missing_required_parameter"),
    ("ask: text not a string", "POST", "/v1/ask", {"articles": [{"text": 3}], "question": "Why?"}, 400, "articles[0].text", "invalid_type"),
    ("ask: article with nothing to answer from", "POST", "/v1/ask",
     {"articles": [{"text": "One sentence.", "name": "a"}, {"text": "   ", "name": "b"}], "question": "Why?"}, 400, "articles[1].text", "invalid_value"),
    ("ask: empty name", "POST", "/v1/ask", {"articles": [{"text": "One sentence.", "name": " "}], "question": "Why?"}, 400, "articles[0].name",
     "invalid_value"),
    ("unknown route", "POST", "/v1/nothing", {}, 404, None, "unknown_url"),
    ("wrong method", "GET", "/v1/chat/completions", None, 405, None, "method_not_allowed"),
]


def test_bad_request_table():
    for row, method, path, body, status, param, code in BAD_REQUESTS:
        if isinstance(body, bytes):
            response = request(method, path, content=body, headers={**AUTH, "Content-Type": "application/json"})
        else:
            response = request(method, path, body)
        try:
            error = expect_error(response, status, param)
            assert code is None or error["code"] == code, error
        except AssertionError as failure:
            raise AssertionError(f"{row}: {failure}") from None
    assert get("/v1/chat/completions").headers.get("allow") == "POST"
    assert post("/v1/models", {}).headers.get("allow") == "GET"
    assert get("/health").status_code == 200


def test_odd_bodies_never_crash():
    """Every field replaced by values of every JSON type, truncated bodies and random bytes: 200 or 4xx, never 5xx."""
    import random
    rng = random.Random(8)
    valid = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "temperature": 0,
             "top_p": 0.9, "stop": ["x"], "seed": 1, "stream": False, "stream_options": {"include_usage": True}, "n": 1}
    odd = [None, True, -1, 0, 2 ** 63, -2 ** 63 - 1, 1e308, 0.5, "", "x" * 300, "\u0000", [], {}, [1, "a", None], {"a": [{}]}]
    statuses = []
    for key in valid:
        for value in odd:
            if key == "max_tokens" and value in (None, 2 ** 63):
                continue  # absent or huge: valid requests that would generate up to the context
            body = dict(valid, **{key: value})
            statuses.append(post("/v1/chat/completions", body).status_code)
            if key == "messages":
                statuses.append(post("/v1/chat/completions", dict(valid, messages=[{"role": "user", "content": value}])).status_code)
                statuses.append(post("/v1/chat/completions", dict(valid, messages=[value])).status_code)
    encoded = json.dumps(valid).encode()
    for cut in range(0, len(encoded), 7):
        statuses.append(post("/v1/chat/completions", content=encoded[:cut]).status_code)
    for _ in range(30):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        for path in ("/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize", "/v1/summarize", "/v1/ask"):
            statuses.append(post(path, content=junk).status_code)
    statuses.append(post("/v1/completions", content=b"[" * 100000 + b"]" * 100000).status_code)
    assert all(code in (200, 400, 404) for code in statuses), sorted(set(statuses))
    assert get("/health").status_code == 200


def test_api_key():
    wrong = openai.OpenAI(base_url=main.url + "/v1", api_key="wrong", max_retries=0)
    try:
        wrong.models.list()
        raise AssertionError("wrong key accepted")
    except openai.AuthenticationError as error:
        assert error.status_code == 401
    expect_error(post("/v1/chat/completions", {"messages": HELLO}, headers={}), 401)
    expect_error(get("/metrics", headers={}), 401)
    expect_error(get("/metrics", headers={"Authorization": "Bearer " + API_KEY + "x"}), 401)
    # The web page loads without the key (it asks for it); only GET of its own files.
    for path, kind in (("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css")):
        page = get(path, headers={})
        assert page.status_code == 200 and page.headers["content-type"].startswith(kind), (path, page.status_code)
        assert "default-src 'none'" in page.headers["content-security-policy"]
    expect_error(post("/", {}, headers={}), 401)


def test_body_too_large():
    body = b'{"messages": [{"role": "user", "content": "' + b"a" * (5 << 20) + b'"}]}'
    expect_error(post("/v1/chat/completions", content=body, headers={**AUTH, "Content-Type": "application/json"}), 413)
    # The same without Content-Length (chunked): the server stops reading at the limit.
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    expect_error(post("/v1/chat/completions", content=chunks), 413)
    assert get("/health").status_code == 200


def test_queue_full_and_disconnect():
    busy = Server("--queue", "0")
    try:
        generated_before = metric_values(get("/metrics", headers={}, server=busy))["llmrun_generated_tokens_total"]
        long_chat = {"messages": [{"role": "user", "content": "Write a very long story about the sea."}], "max_tokens": 1500,
                     "temperature": 0.8, "seed": 1, "stream": True}
        connection = http.client.HTTPConnection("127.0.0.1", busy.port, timeout=60)
        connection.request("POST", "/v1/chat/completions", body=json.dumps(long_chat), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        response.readline(), response.readline(), response.readline()  # generation is under way
        refused = post("/v1/chat/completions", {"messages": HELLO, "max_tokens": 2}, headers={}, server=busy)
        expect_error(refused, 503)
        assert refused.headers.get("retry-after") == "1"
        connection.close()
        # The stream is closed mid-generation: the generation stops there and frees the slot.
        wait_for_free_slot(busy)
        generated = metric_values(get("/metrics", headers={}, server=busy))["llmrun_generated_tokens_total"] - generated_before
        assert generated < 1500, generated  # the long chat's tokens and the probe's two
        # A streamed summary is cancelled too, though it writes nothing while a step runs: the heartbeats (one a
        # second) find the closed connection, then the summary stops at its next token or prompt batch.
        connection = http.client.HTTPConnection("127.0.0.1", busy.port, timeout=60)
        connection.request("POST", "/v1/summarize", body=json.dumps({"text": ARTICLE, "stream": True}),
                           headers={"Content-Type": "application/json"})
        assert connection.getresponse().status == 200
        connection.close()
        wait_for_free_slot(busy)
    finally:
        busy.stop()
    log = busy.output()
    assert "POST /v1/chat/completions 503" in log, log
    assert re.search(r"POST /v1/chat/completions \d+ tokens=\d+\+\d+ \d+ms \(client left\)", log), log
    assert re.search(r"POST /v1/summarize \d+ tokens=\d+\+\d+ \d+ms \(client left\)", log), log


def wait_for_free_slot(server, limit=120):
    """Polls with a two-token chat until the one slot takes it (503 while busy); the limit only guards against a hang."""
    deadline = time.time() + limit
    while True:
        response = post("/v1/chat/completions", {"messages": HELLO, "max_tokens": 2, "temperature": 0}, headers={}, server=server)
        if response.status_code == 200:
            return
        assert response.status_code == 503, response.status_code
        assert time.time() < deadline, f"the slot was not freed in {limit} s"
        time.sleep(0.05)


def test_request_timeout():
    """--timeout 3: a generation never outlives its request's time (cut short, it ends with finish_reason "length")."""
    timed = Server("--timeout", "3")
    try:
        # Greedy, the model counts on for all 1,500 tokens (tens of seconds): the timeout cuts it short.
        whole = post("/v1/completions", {"prompt": "Count: 1, 2, 3,", "max_tokens": 1500, "temperature": 0}, headers={}, server=timed)
        assert whole.status_code == 200, whole.status_code
        assert whole.json()["choices"][0]["finish_reason"] == "length"
        assert whole.json()["usage"]["completion_tokens"] < 1500, whole.json()["usage"]
    finally:
        timed.stop()


def test_concurrent_requests_all_answered():
    results = []

    def one(i):
        response = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"Say {i}."}], max_tokens=4, temperature=0)
        results.append(response.choices[0].finish_reason)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r in ("stop", "length") for r in results), results


def test_batched_streams_equal_alone():
    """--parallel 4: greedy answers decoded together (one batched step for all slots) are each the answer the
    request gets alone, whether streamed or not."""
    batched = Server("--parallel", "4")
    try:
        prompts = [f"Write two sentences about {topic}." for topic in ("the sea", "a cat", "Paris", "rain")]

        def ask(prompt, stream=False):
            body = {"messages": [{"role": "user", "content": prompt}], "max_tokens": 40, "temperature": 0}
            if not stream:
                response = post("/v1/chat/completions", body, headers={}, server=batched)
                assert response.status_code == 200, response.text
                return response.json()["choices"][0]["message"]["content"]
            events = stream_raw("/v1/chat/completions", {**body, "stream": True}, server=batched)
            return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices"))

        alone = [ask(prompt) for prompt in prompts]
        together = [None] * len(prompts)
        threads = [threading.Thread(target=lambda i=i: together.__setitem__(i, ask(prompts[i], stream=i % 2 == 0)))
                   for i in range(len(prompts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert together == alone, (together, alone)
        assert len(set(alone)) == len(alone), alone
    finally:
        batched.stop()


def test_access_log():
    log = main.output()
    line = next(l for l in log.splitlines() if "POST /v1/chat/completions 200" in l)
    assert "tokens=" in line and line.endswith("ms"), line


# MARK: - Runner

if __name__ == "__main__":
    try:
        count, failed = run_tests(globals())
    finally:
        main.stop()
    if main.process.returncode not in (0, -signal.SIGINT):
        failed.append(f"server exit status {main.process.returncode}")
    finish(count, failed, "server tests passed", failure_detail=f"\nserver log: {main.log.name}")
