"""The page `llmrun serve` serves at `/`, in headless Chromium (Debian's chromium + chromium-driver) via Selenium.

Usage: test_page.py LLMRUN_BINARY MODEL ARTIFACT_DIR
Starts a server on a free loopback port and checks the page in a real browser: the whole flow with the
keyboard alone (summary, citation, chat, Stop), Chinese text (never a broken character, traditional kept),
light and dark colour schemes with readable contrast, a narrow window, dropped files, the server's errors
(request limit, model loading), and that nothing is fetched from elsewhere. Screenshots go to ARTIFACT_DIR.
Prints one line per test; exits 1 if any failed.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

BINARY, MODEL, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3]
CONTEXT = 2048
# A small request limit, so that the "article too long" message needs only a 40 kB article.
MAX_BODY = 32768

ARTICLE = ("The city council met on Monday to discuss the new park. The park will cover ten hectares near the river. "
           "Construction is expected to start in spring and last two years. The budget is twelve million euros. "
           "Residents asked for more trees and a playground. The mayor promised a public consultation in March. "
           "Critics said the money should go to public transport instead. The council will vote on the plan in April.")

# Traditional characters on purpose: the page must show them as they are, never as simplified ones.
ARTICLE_ZH_SENTENCES = ["臺北市議會週一討論新公園計畫。", "公園面積十公頃，位於河邊。", "工程預計春天開始，為期兩年。", "預算為一千兩百萬元。"]
ARTICLE_ZH = "".join(ARTICLE_ZH_SENTENCES)

# One sentence of 184 CJK characters with no space or punctuation to break at, and a long HTML tag that the
# cleaner removes (so that the cleaning report shows a long example).
LONG_CJK_LINE = "臺北市議會週一討論新公園計畫公園面積十公頃位於河邊工程預計春天開始為期兩年預算為一千兩百萬元" * 4
ARTICLE_NARROW = (f"{LONG_CJK_LINE}。<span data-tracking-reference=\"{'0123456789abcdef' * 8}\">居民希望多種樹。</span>"
                  "市長承諾三月舉行公聽會。")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, model, *extra, ready=True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(ARTIFACTS, f"server-{self.port}.log"), "w+")
        self.process = subprocess.Popen([BINARY, "serve", "-m", model, "--port", str(self.port), "-c", str(CONTEXT), *extra],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            assert self.process.poll() is None, f"server exited, see {self.log.name}"
            assert time.time() < deadline, "server not ready in 120 s"
            status = self.health()
            if status == 200 or (status == 503 and not ready):
                break
            time.sleep(0.1)

    def health(self):
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

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
            self.process.wait()


def make_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--disable-background-networking", "--no-first-run", "--disable-extensions", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


# MARK: - Helpers

def wait(condition, seconds, message):
    deadline = time.time() + seconds
    while True:
        result = condition()
        if result:
            return result
        assert time.time() < deadline, f"timed out after {seconds} s waiting for {message}"
        time.sleep(0.05)


def by_id(name):
    return browser.find_element(By.ID, name)


def script(source, *arguments):
    return browser.execute_script(source, *arguments)


def open_page(url=None):
    browser.get((url or server.url) + "/")
    if url is None:
        wait(lambda: by_id("model").text == MODEL, 20, "the model name in the status line")


def paste(element_id, text):
    """What a paste does: the value changes and an input event fires."""
    script("const t = document.getElementById(arguments[0]); t.value = arguments[1]; t.dispatchEvent(new Event('input'))",
           element_id, text)


def console_errors():
    """The browser console's errors since the last call."""
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def expect_console_errors(pattern):
    """Drains the console; every error must match `pattern` (the failed requests a test provokes on purpose)."""
    unexpected = [e for e in console_errors() if not re.search(pattern, e["message"])]
    assert not unexpected, json.dumps(unexpected, indent=1, ensure_ascii=False)


def assert_same_origin(origin):
    """Every resource the page has requested (files and fetches) came from `origin`."""
    entries = script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert entries, "no resource entries"
    foreign = [e for e in entries if not e.startswith(origin + "/")]
    assert not foreign, foreign


def record_broken_characters():
    """From now on, every text state of the streamed panes that contains U+FFFD is kept in window.brokenText."""
    script("""
        window.brokenText = [];
        const watched = ['summary', 'summary-draft', 'chat-log', 'sentences'].map((id) => document.getElementById(id));
        new MutationObserver(() => {
          for (const element of watched) if (element.textContent.includes('\\uFFFD')) window.brokenText.push(element.textContent);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });""")


def broken_characters():
    return script("return window.brokenText")


def wait_summary_done(seconds=150):
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#summary li") and by_id("summarize").is_enabled(),
         seconds, "a finished summary")
    assert not by_id("error").is_displayed(), by_id("error").text


# Keyboard

def press(*keys):
    ActionChains(browser).send_keys(*keys).perform()


def shift_tab():
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def focused():
    """The focused element as `#id`, or its tag (`a.cite` for a citation link)."""
    return script("const e = document.activeElement;"
                  "return e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.classList.contains('cite') ? '.cite' : '')")


def assert_focus_visible():
    """The focused element matches :focus-visible and shows it: an outline or a box-shadow, on itself or, for
    an input hidden inside its label (the file button), on the label."""
    problem = script("""
        const e = document.activeElement;
        if (!e.matches(':focus-visible')) return 'not :focus-visible';
        const shown = (n) => { const r = n.getBoundingClientRect(); return r.width > 2 && r.height > 2 && getComputedStyle(n).opacity > 0; };
        const n = shown(e) ? e : e.parentElement;
        const s = getComputedStyle(n);
        if ((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) || s.boxShadow !== 'none') return null;
        return `no outline or box-shadow on ${n.tagName}: ${s.outlineStyle} ${s.outlineWidth} ${s.boxShadow}`;""")
    assert problem is None, f"{focused()}: {problem}"


def tab_to(*expected):
    """Presses Tab once per expected stop; each must be focused in turn, visibly."""
    for stop in expected:
        press(Keys.TAB)
        assert focused() == stop, f"Tab reached {focused()}, expected {stop}"
        assert_focus_visible()


def element_rect(element):
    return script("const r = arguments[0].getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height}", element)


# Colour

CONTRAST_SCRIPT = """
// WCAG 2 contrast of each element's text colour against the background it is drawn on (the first opaque
// background among it and its ancestors, with translucent ones composited over it).
const parse = (c) => { const v = c.match(/[\\d.]+/g).map(Number); return v.length === 3 ? [...v, 1] : v; };
const luminance = ([r, g, b]) => {
  const linear = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
};
const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
function background(element) {
  const layers = [];
  for (let n = element; n; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] === 1) break;
  }
  let color = [255, 255, 255, 1];   // the canvas, if nothing is opaque
  for (const layer of layers.reverse()) color = over(layer, color);
  return color;
}
return arguments[0].map((selector) => {
  const element = document.querySelector(selector);
  if (!element) return { selector, missing: true };
  const back = background(element);
  const fore = over(parse(getComputedStyle(element).color), back);
  const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
  return { selector, ratio: (light + 0.05) / (dark + 0.05), color: fore, background: back,
           colorLuminance: luminance(fore), backgroundLuminance: luminance(back) };
});
"""

# Text that must stay readable in both schemes: body text, muted text, links, both kinds of buttons, the
# highlighted sentence, chat bubbles, the text area and the error box.
CONTRAST_SELECTORS = ["body", "#model", "#status", "#summary-step", "#summary li", "#sentences li:not(.highlight)",
                      "#sentences li.highlight", "a.cite", "#summarize", "#chat-clear", ".file-button",
                      ".message.user", ".message.assistant", "#article", "#error", "footer"]


def emulate_color_scheme(scheme):
    features = [{"name": "prefers-color-scheme", "value": scheme}] if scheme else []
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


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


def test_keyboard_alone():
    """Summary, citation, question and Stop with Tab, Shift+Tab, Enter and Space only; focus always visible."""
    open_page()
    assert focused() == "body"
    tab_to("#article")
    press(ARTICLE)
    assert by_id("article").get_attribute("value") == ARTICLE
    tab_to("#file", "#length", "#summarize")
    press(Keys.SPACE)
    wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#sentences li")) == 8, 30, "8 numbered sentences")
    # Focus follows to Stop while the summary runs, and comes back to Summarize when it is done.
    assert focused() == "#summarize-stop", focused()
    wait_summary_done()
    assert focused() == "#summarize", focused()
    points = browser.find_elements(By.CSS_SELECTOR, "#summary li")
    assert all(p.text.strip() for p in points)
    assert "tok/s" in by_id("speed").text, by_id("speed").text
    browser.save_screenshot(os.path.join(ARTIFACTS, "summary.png"))

    # Summarize → (Stop, disabled) → the numbered sentences (a scrollable list) → the cleaning report → citations.
    citations = browser.find_elements(By.CSS_SELECTOR, "#summary a.cite")
    assert citations, "the summary has no citation: " + " | ".join(p.text for p in points)
    tab_to("#sentences", "summary", "a.cite")
    number = script("return document.activeElement.dataset.sentence")
    assert number == citations[0].get_attribute("data-sentence")
    script("window.scrollTo(0, 0); document.getElementById('sentences').scrollTop = 0")
    press(Keys.ENTER)
    wait(lambda: "highlight" in (by_id(f"s{number}").get_attribute("class") or ""), 5, "the highlighted sentence")
    highlighted = browser.find_elements(By.CSS_SELECTOR, "#sentences li.highlight")
    assert len(highlighted) == 1 and highlighted[0].get_attribute("id") == f"s{number}"
    assert highlighted[0].text.strip() and highlighted[0].text in ARTICLE, highlighted[0].text
    assert focused() == f"#s{number}", focused()
    # Scrolled into view (smooth scrolling takes a moment).
    wait(lambda: script(
        "const r = arguments[0].getBoundingClientRect(); const p = document.getElementById('sentences').getBoundingClientRect();"
        "return r.top >= Math.max(0, p.top) - 1 && r.bottom <= Math.min(innerHeight, p.bottom) + 1", highlighted[0]),
        5, "the cited sentence visible")
    browser.save_screenshot(os.path.join(ARTIFACTS, "citation.png"))

    # On to the chat box past the cleaning report and the other citations.
    for _ in range(len(citations) + 1):
        press(Keys.TAB)
        assert focused() in ("summary", "a.cite"), focused()
        assert_focus_visible()
    tab_to("#question", "#max-tokens")
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys("300").perform()
    assert by_id("max-tokens").get_attribute("value") == "300"
    shift_tab()
    assert focused() == "#question"
    # With an article in the box, questions go to /v1/ask: Stop while it reads the passages or answers.
    for attempt in range(3):
        before = len(browser.find_elements(By.CSS_SELECTOR, ".message.assistant"))
        press("What will the park have, who asked for it, and when will the council vote on it?", Keys.ENTER)
        wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".message.assistant")) > before, 10, "an answer bubble")
        bubble = browser.find_elements(By.CSS_SELECTOR, ".message.assistant")[-1]
        assert by_id("question").get_attribute("value") == "", "Enter sends the question"
        if by_id("ask").is_enabled():
            continue  # the model finished before Stop could be reached; ask again
        tab_to("#max-tokens", "#chat-stop")  # Ask is disabled while the answer runs
        press(Keys.SPACE)
        wait(lambda: by_id("ask").is_enabled(), 5, "Stop taking effect")
        if "(stopped)" not in bubble.text:
            continue  # it finished in the same instant
        assert not by_id("chat-stop").is_enabled()
        assert not by_id("error").is_displayed(), by_id("error").text
        assert focused() == "#question", "after Stop the next question is typed where the last one was"
        # The server noticed the disconnect and freed the slot.
        wait(lambda: server.metric("llmrun_requests_in_flight") == 0, 5, "the server to stop generating after Stop")
        check_answer_cites_the_article()
        assert_same_origin(server.url)
        return
    raise AssertionError("three answers finished before Stop could cancel them")


def check_answer_cites_the_article():
    """A question left to finish: the answer comes with the sentences it rests on, linked to the numbered pane."""
    before = len(browser.find_elements(By.CSS_SELECTOR, ".message.assistant"))
    press("How much is the budget of the park?", Keys.ENTER)
    wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".message.assistant")) > before and by_id("ask").is_enabled(), 90, "the answer")
    bubble = browser.find_elements(By.CSS_SELECTOR, ".message.assistant")[-1]
    sources = bubble.find_elements(By.CSS_SELECTOR, ".sources li")
    assert sources, f"no cited sentence under the answer: {bubble.text}"
    for li in sources:
        label, sentence = li.text.split(" ", 1)
        number = int(label.strip("[]S"))
        assert sentence == by_id(f"s{number}").text, (li.text, by_id(f"s{number}").text)
    link = bubble.find_element(By.CSS_SELECTOR, ".sources a.cite")
    link.click()
    number = link.get_attribute("data-sentence")
    wait(lambda: "highlight" in (by_id(f"s{number}").get_attribute("class") or ""), 5, "the cited sentence highlighted")
    browser.save_screenshot(os.path.join(ARTIFACTS, "answer.png"))


def test_color_schemes():
    """Light and dark follow the system setting; text keeps a WCAG contrast of at least 4.5:1 in both."""
    # A real error from the page (Summarize with nothing to summarize), so that the error box is checked too.
    summary_text = by_id("summary").text
    paste("article", "")
    by_id("summarize").click()
    wait(lambda: by_id("error").is_displayed(), 5, "the error box")
    assert by_id("error").text == "Paste or drop an article first.", by_id("error").text
    assert by_id("summary").text == summary_text
    schemes = {}
    try:
        for scheme in ("light", "dark"):
            emulate_color_scheme(scheme)
            assert script("return matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            results = script(CONTRAST_SCRIPT, CONTRAST_SELECTORS)
            missing = [r["selector"] for r in results if r.get("missing")]
            assert not missing, f"elements to check are missing: {missing}"
            weak = [f"{r['selector']}: {r['ratio']:.2f} ({r['color']} on {r['background']})" for r in results if r["ratio"] < 4.5]
            assert not weak, f"{scheme}: contrast below 4.5:1: {weak}"
            schemes[scheme] = next(r for r in results if r["selector"] == "body")
            browser.save_screenshot(os.path.join(ARTIFACTS, f"{scheme}.png"))
    finally:
        emulate_color_scheme(None)
    # Dark text on a light page, light text on a dark page.
    light, dark = schemes["light"], schemes["dark"]
    assert light["backgroundLuminance"] > 0.8 and light["colorLuminance"] < 0.05, light
    assert dark["backgroundLuminance"] < 0.05 and dark["colorLuminance"] > 0.7, dark


def test_chinese_article_and_answer():
    """Traditional characters stay as written, citations point at them, and no streamed state shows U+FFFD."""
    open_page()
    record_broken_characters()
    paste("article", ARTICLE_ZH)
    by_id("summarize").click()
    wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#sentences li")) == 4, 30, "4 Chinese sentences")
    assert [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#sentences li")] == ARTICLE_ZH_SENTENCES
    assert script("return [document.getElementById('sentences').lang, document.getElementById('summary').lang]") == ["zh-Hant"] * 2
    wait_summary_done()
    points = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#summary li")]
    assert all(p.strip() for p in points), points
    citations = browser.find_elements(By.CSS_SELECTOR, "#summary a.cite")
    assert citations, "the Chinese summary has no citation: " + " | ".join(points)
    for link in citations:
        link.click()
        number = int(link.get_attribute("data-sentence"))
        highlighted = browser.find_elements(By.CSS_SELECTOR, "#sentences li.highlight")
        assert len(highlighted) == 1 and highlighted[0].text == ARTICLE_ZH_SENTENCES[number - 1], highlighted[0].text
    browser.save_screenshot(os.path.join(ARTIFACTS, "summary-zh.png"))

    max_tokens = by_id("max-tokens")
    max_tokens.clear()
    max_tokens.send_keys("48")
    question = by_id("question")
    question.send_keys("公園在哪裡？請用中文回答。")
    question.send_keys(Keys.ENTER)
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".message.assistant") and by_id("ask").is_enabled(), 60, "the answer")
    bubble = browser.find_elements(By.CSS_SELECTOR, ".message.assistant")[-1]
    answer = bubble.text
    assert answer.strip(), "empty answer"
    # Answered from the article: the sentences it rests on (or the closest one) follow, as written.
    sources = [li.text.split(" ", 1)[1] for li in bubble.find_elements(By.CSS_SELECTOR, ".sources li")]
    assert sources and all(s in ARTICLE_ZH_SENTENCES for s in sources), (answer, sources)
    assert by_id("chat-log").find_element(By.CSS_SELECTOR, ".message.user").text == "公園在哪裡？請用中文回答。"
    assert not broken_characters(), broken_characters()
    assert_same_origin(server.url)


def test_narrow_window():
    """At 360×740 the panes stack, nothing scrolls sideways, and a long CJK line wraps inside its pane."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": False})
    try:
        open_page()
        assert script("return innerWidth") == 360
        paste("article", ARTICLE_NARROW)
        by_id("summarize").click()
        wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#sentences li"), 30, "numbered sentences")
        press(Keys.ESCAPE)  # Esc stops a running summary
        wait(lambda: by_id("summarize").is_enabled(), 10, "the summary stopped")
        assert by_id("summary-step").text == "Stopped."
        by_id("cleaning").find_element(By.TAG_NAME, "summary").click()
        assert "markup" in by_id("cleaning-body").text, by_id("cleaning-body").text
        by_id("max-tokens").clear()
        by_id("max-tokens").send_keys("1")
        by_id("question").send_keys(LONG_CJK_LINE, Keys.ENTER)
        wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".message.assistant") and by_id("ask").is_enabled(), 60, "the answer")

        width = script("return document.documentElement.clientWidth")
        scroll_width = script("return document.documentElement.scrollWidth")
        overflowing = script("return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > arguments[0] + 1)"
                             ".map((e) => e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right))", width)
        assert scroll_width <= width, f"the page scrolls sideways: {scroll_width} > {width}: {overflowing}"
        panes = [element_rect(by_id(name)) for name in ("article-panel", "summary-panel", "chat-panel")]
        for upper, lower in zip(panes, panes[1:]):
            assert abs(upper["left"] - lower["left"]) < 1 and lower["top"] >= upper["bottom"] - 1, f"panes not stacked: {panes}"
        for selector, pane in (("#s1", "article-panel"), ("#cleaning table", "article-panel"), ("#article", "article-panel"),
                               (".message.user", "chat-panel")):
            inner, outer = element_rect(browser.find_element(By.CSS_SELECTOR, selector)), element_rect(by_id(pane))
            assert outer["left"] - 1 <= inner["left"] and inner["right"] <= outer["right"] + 1, f"{selector} overflows {pane}: {inner} {outer}"
            assert outer["right"] <= width, f"{pane} is wider than the window: {outer}"
        # The line wrapped: the sentence is many lines tall, not one wide line.
        line_height = script("return parseFloat(getComputedStyle(document.getElementById('s1')).lineHeight)")
        assert element_rect(by_id("s1"))["height"] > 5 * line_height, element_rect(by_id("s1"))
        assert by_id("s1").text == LONG_CJK_LINE + "。"
        browser.save_screenshot(os.path.join(ARTIFACTS, "narrow.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


DROP_SCRIPT = """
const [selector, name, bytes, type] = arguments;
const data = new DataTransfer();
data.items.add(new File([new Uint8Array(bytes)], name, { type }));
const target = document.querySelector(selector);
const over = target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
const highlighted = document.getElementById('drop-zone').classList.contains('dragging');
const dropped = target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
// false from dispatchEvent: the page took the event, so the browser does not open the file instead.
return { overTaken: !over, highlighted, dropTaken: !dropped };
"""


def drop_file(selector, name, data, kind="text/plain"):
    result = script(DROP_SCRIPT, selector, name, list(data), kind)
    assert result == {"overTaken": True, "highlighted": True, "dropTaken": True}, result
    assert "dragging" not in by_id("drop-zone").get_attribute("class")


def test_dropped_files():
    """A UTF-8 or GB18030 text file becomes the article; a binary file is refused with a message."""
    open_page()
    paste("article", "")
    drop_file("#drop-zone", "新聞.txt", ("\ufeff" + ARTICLE_ZH).encode("utf-8"))
    wait(lambda: by_id("article").get_attribute("value") == ARTICLE_ZH, 5, "the UTF-8 file in the article box")
    assert by_id("file-note").text == f"Read “新聞.txt” ({len(ARTICLE_ZH)} characters).", by_id("file-note").text
    assert focused() == "#article"

    paste("article", "")
    drop_file("#chat-panel", "gb.txt", ARTICLE_ZH.encode("gb18030"))  # anywhere on the page
    wait(lambda: by_id("article").get_attribute("value") == ARTICLE_ZH, 5, "the GB18030 file in the article box")
    assert "decoded as GB18030" in by_id("file-note").text, by_id("file-note").text

    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 4
    drop_file("#drop-zone", "photo.png", png, "image/png")
    wait(lambda: by_id("error").is_displayed(), 5, "an error for a binary file")
    assert by_id("error").text == "“photo.png” is not a text file; save the article as plain text (.txt) or paste it.", by_id("error").text
    assert by_id("article").get_attribute("value") == ARTICLE_ZH, "the article box keeps its text"
    assert by_id("file-note").is_displayed() is False


def test_server_errors_shown():
    """The request limit (413) and a model still loading (503) are explained in the page."""
    open_page()
    too_long = (ARTICLE + "\n\n") * (MAX_BODY // len(ARTICLE) + 10)
    paste("article", too_long)
    by_id("summarize").click()
    wait(lambda: by_id("error").is_displayed(), 10, "an error for the long article")
    text = by_id("error").text
    assert text.startswith("The article is too long for the server's request limit.") and str(MAX_BODY) in text, text
    assert by_id("summarize").is_enabled() and not by_id("summarize-stop").is_enabled()
    browser.save_screenshot(os.path.join(ARTIFACTS, "too-long.png"))
    expect_console_errors(r"/v1/summarize - Failed to load resource: the server responded with a status of 413")

    # A model that never finishes loading: its "file" is a named pipe nobody writes, so the server's
    # loading thread waits on it while the server answers.
    directory = tempfile.mkdtemp(prefix="llmrun-browser-")
    pipe = os.path.join(directory, "loading.gguf")
    os.mkfifo(pipe)
    loading = Server(pipe, ready=False)
    try:
        open_page(loading.url)
        wait(lambda: by_id("model").text == "model loading…", 10, "the loading state in the status line")
        paste("article", ARTICLE)
        by_id("summarize").click()
        wait(lambda: by_id("error").is_displayed(), 10, "an error while the model loads")
        assert by_id("error").text == "The model is still loading; try again in a moment.", by_id("error").text
        browser.save_screenshot(os.path.join(ARTIFACTS, "loading.png"))
        assert_same_origin(loading.url)
        browser.get("about:blank")
        expect_console_errors(r"/(health|v1/summarize) - Failed to load resource: the server responded with a status of 503")
    finally:
        # End of file for the loading thread: the load fails and the server exits.
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader (yet): the server is stopped anyway
        loading.stop()
        os.unlink(pipe)
        os.rmdir(directory)


def test_nothing_from_elsewhere():
    """The Content-Security-Policy makes the browser refuse any other origin, even if the page tried."""
    open_page()
    assert_same_origin(server.url)
    outcome = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const violations = [];
        document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
        const image = new Image();
        image.src = 'http://192.0.2.1/pixel.png';
        fetch('http://192.0.2.1/data').then(() => 'fetched', (e) => e.name)
          .then((fetched) => setTimeout(() => done({ fetched, violations: violations.sort() }), 200));""")
    assert outcome == {"fetched": "TypeError", "violations": ["connect-src", "img-src"]}, outcome
    expect_console_errors(r"http://192\.0\.2\.1/")


if __name__ == "__main__":
    os.makedirs(ARTIFACTS, exist_ok=True)
    started = time.time()
    server = Server(MODEL, "--max-body", str(MAX_BODY))
    browser = make_browser()
    failures = 0
    try:
        for name, test in [(n, f) for n, f in list(globals().items()) if n.startswith("test_") and callable(f)]:
            t = time.time()
            try:
                test()
                errors = console_errors()
                assert not errors, "browser console errors:\n" + json.dumps(errors, indent=1, ensure_ascii=False)
                print(f"ok    {name} ({time.time() - t:.1f} s)", flush=True)
            except Exception:
                failures += 1
                print(f"FAIL  {name}\n{traceback.format_exc()}", flush=True)
                try:
                    browser.save_screenshot(os.path.join(ARTIFACTS, f"failure-{name}.png"))
                except Exception:
                    pass
    finally:
        browser.quit()
        server.stop()
    print(f"{'FAILED' if failures else 'passed'} in {time.time() - started:.1f} s; screenshots in {ARTIFACTS}")
    sys.exit(1 if failures else 0)
