"""The page `llmrun serve` serves at `/`, in headless Chromium (Debian's chromium + chromium-driver) via Selenium.

Usage: test_page.py LLMRUN_BINARY MODEL ARTIFACT_DIR
Starts a server on a free loopback port, loads the page, pastes a short article, summarizes it, follows
a citation, asks a question and stops the answer mid-way, checks a Chinese article's sentences, and saves
screenshots in ARTIFACT_DIR. Prints one line per test; exits 1 if any failed.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

BINARY, MODEL, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3]
CONTEXT = 2048

ARTICLE = ("The city council met on Monday to discuss the new park. The park will cover ten hectares near the river. "
           "Construction is expected to start in spring and last two years. The budget is twelve million euros. "
           "Residents asked for more trees and a playground. The mayor promised a public consultation in March. "
           "Critics said the money should go to public transport instead. The council will vote on the plan in April.")

# Traditional characters on purpose: the page must show them as they are, never as simplified ones.
ARTICLE_ZH = "臺北市議會週一討論新公園計畫。公園面積十公頃，位於河邊。工程預計春天開始，為期兩年。預算為一千兩百萬元。"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(ARTIFACTS, "server.log"), "w+")
        self.process = subprocess.Popen([BINARY, "serve", "-m", MODEL, "--port", str(self.port), "-c", str(CONTEXT)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            assert self.process.poll() is None, "server exited, see server.log"
            assert time.time() < deadline, "server not ready in 120 s"
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.1)

    def metric(self, name):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"no metric {name}")

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def make_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--disable-background-networking", "--no-first-run", "--disable-extensions", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def wait(browser, condition, seconds, message):
    return WebDriverWait(browser, seconds, poll_frequency=0.05).until(lambda b: condition(b), message)


def by_id(browser, name):
    return browser.find_element(By.ID, name)


# MARK: - Tests

def test_page_is_self_contained():
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "connect-src 'self'" in csp, csp
        html = response.read().decode()
    assert "http://" not in html and "https://" not in html, "the page must not name another origin"
    for path, kind in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            assert response.headers["Content-Type"].startswith(kind), response.headers["Content-Type"]
            body = response.read().decode()
            assert "http://" not in body and "https://" not in body, f"{path} must not name another origin"


def test_load_page():
    browser.get(server.url + "/")
    wait(browser, lambda b: by_id(b, "model").text == MODEL, 20, "model name in the status line")
    origins = browser.execute_script("return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert all(origin == server.url for origin in origins), origins


def test_summarize_and_follow_citation():
    article = by_id(browser, "article")
    article.clear()
    article.send_keys(ARTICLE)
    Select(by_id(browser, "length")).select_by_value("short")
    by_id(browser, "summarize").click()
    # The article pane fills before generation; then the draft streams, then the checked points.
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#sentences li")) == 8, 30, "8 numbered sentences")
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#summary li") and by_id(b, "summarize").is_enabled(),
         90, "a finished summary")
    assert not by_id(browser, "error").is_displayed(), by_id(browser, "error").text
    points = browser.find_elements(By.CSS_SELECTOR, "#summary li")
    assert all(p.text.strip() for p in points)
    assert "tok/s" in by_id(browser, "speed").text, by_id(browser, "speed").text
    browser.save_screenshot(os.path.join(ARTIFACTS, "summary.png"))

    citations = browser.find_elements(By.CSS_SELECTOR, "#summary a.cite")
    assert citations, "the summary has no citation: " + " | ".join(p.text for p in points)
    link = citations[-1]
    number = link.get_attribute("data-sentence")
    browser.execute_script("window.scrollTo(0, 0); document.getElementById('sentences').scrollTop = 0")
    link.send_keys(Keys.ENTER)  # keyboard, as a link is followed without a mouse
    wait(browser, lambda b: "highlight" in (by_id(b, f"s{number}").get_attribute("class") or ""), 5, "highlighted sentence")
    highlighted = browser.find_elements(By.CSS_SELECTOR, "#sentences li.highlight")
    assert len(highlighted) == 1 and highlighted[0].get_attribute("id") == f"s{number}"
    assert highlighted[0].text.strip() and highlighted[0].text in ARTICLE, highlighted[0].text
    # Scrolled into view (smooth scrolling takes a moment).
    wait(browser, lambda b: b.execute_script(
        "const r = arguments[0].getBoundingClientRect(); const p = document.getElementById('sentences').getBoundingClientRect();"
        "return r.top >= Math.max(0, p.top) - 1 && r.bottom <= Math.min(innerHeight, p.bottom) + 1", highlighted[0]),
        5, "cited sentence visible")
    browser.save_screenshot(os.path.join(ARTIFACTS, "citation.png"))


def test_chat_stop_mid_answer():
    max_tokens = by_id(browser, "max-tokens")
    max_tokens.clear()
    max_tokens.send_keys("300")
    for attempt in range(3):
        before = len(browser.find_elements(By.CSS_SELECTOR, ".message.assistant"))
        question = by_id(browser, "question")
        question.send_keys("Write a long essay about this park, its history, its trees and its future, in many paragraphs.")
        question.send_keys(Keys.ENTER)
        bubble = wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, ".message.assistant")) > before
                      and b.find_elements(By.CSS_SELECTOR, ".message.assistant")[-1], 10, "an answer bubble")
        wait(browser, lambda b: len(bubble.text) >= 5 or by_id(b, "ask").is_enabled(), 60, "streamed text")
        if by_id(browser, "ask").is_enabled():
            continue  # the model finished before we could stop it; ask again
        by_id(browser, "chat-stop").click()
        wait(browser, lambda b: by_id(b, "ask").is_enabled(), 5, "stop takes effect")
        if "(stopped)" not in bubble.text:
            continue  # it finished in the same instant
        assert not by_id(browser, "chat-stop").is_enabled()
        assert not by_id(browser, "error").is_displayed(), by_id(browser, "error").text
        # The server noticed the disconnect and freed the slot.
        deadline = time.time() + 5
        while server.metric("llmrun_requests_in_flight") != 0:
            assert time.time() < deadline, "the server still generates after Stop"
            time.sleep(0.1)
        return
    raise AssertionError("three answers finished before Stop could cancel them")


def test_chinese_article_and_answer():
    article = by_id(browser, "article")
    article.clear()
    browser.execute_script("const t = document.getElementById('article'); t.value = arguments[0];"
                           "t.dispatchEvent(new Event('input'))", ARTICLE_ZH)
    by_id(browser, "summarize").click()
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#sentences li")) == 4, 30, "4 Chinese sentences")
    by_id(browser, "summarize-stop").click()
    wait(browser, lambda b: by_id(b, "summarize").is_enabled(), 10, "summary stopped")
    first = by_id(browser, "s1").text
    assert first == "臺北市議會週一討論新公園計畫。", first  # traditional characters kept
    assert by_id(browser, "summary-step").text == "Stopped."
    by_id(browser, "chat-clear").click()
    max_tokens = by_id(browser, "max-tokens")
    max_tokens.clear()
    max_tokens.send_keys("48")
    question = by_id(browser, "question")
    question.send_keys("公園在哪裡？請用中文回答。")
    question.send_keys(Keys.ENTER)
    wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".message.assistant") and by_id(b, "ask").is_enabled(), 60, "answer")
    answer = browser.find_elements(By.CSS_SELECTOR, ".message.assistant")[-1].text
    assert answer and "\ufffd" not in answer, answer


if __name__ == "__main__":
    os.makedirs(ARTIFACTS, exist_ok=True)
    started = time.time()
    server = Server()
    browser = make_browser()
    failures = 0
    try:
        for name, test in [(n, f) for n, f in list(globals().items()) if n.startswith("test_") and callable(f)]:
            t = time.time()
            try:
                test()
                print(f"ok    {name} ({time.time() - t:.1f} s)", flush=True)
            except Exception:
                failures += 1
                print(f"FAIL  {name}\n{traceback.format_exc()}", flush=True)
                try:
                    browser.save_screenshot(os.path.join(ARTIFACTS, f"failure-{name}.png"))
                except Exception:
                    pass
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            failures += 1
            print("FAIL  browser console errors:\n" + json.dumps(errors, indent=1, ensure_ascii=False))
    finally:
        browser.quit()
        server.stop()
    print(f"{'FAILED' if failures else 'passed'} in {time.time() - started:.1f} s; screenshots in {ARTIFACTS}")
    sys.exit(1 if failures else 0)
