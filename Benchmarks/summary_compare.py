#!/usr/bin/env python3
"""`llmrun summarize` beside a plain map-reduce summarizer on llama.cpp's own llama-server, in the same
run, on the same machine, model and articles. Standard library only.

    python3 Benchmarks/summary_compare.py [ARTICLE ...] [-m MODEL] [--out DIR] [--json FILE]
                                          [--no-llmrun] [--no-plain] [--llmrun-args "..."]

The plain pipeline (the reference an issue asked for, kept exactly so):
  - llama-server ($LLAMA_SERVER, default ~/.cache/llmrun-ref/llama.cpp/build/bin/llama-server, built by
    scripts/build-llama-cpp.sh) with the GGUF llmrun uses ($LLMRUN_HOME/models/NAME.gguf, default
    ~/.cache/llmrun), -t 2 -c 8192 -np 1, flash attention on, on 127.0.0.1 and a free port; started once,
    its load (until /health answers) timed apart from the articles;
  - /v1/chat/completions, temperature 0, repeat_penalty 1.1, system "You are a helpful assistant.";
  - sentences end after 。！？ and after .!? followed by whitespace; they are packed greedily into chunks
    of at most 1,200 tokens (counted by the server's /tokenize; a lone sentence longer than that is cut
    at 1,200-token boundaries through /detokenize);
  - map: the part's 3 to 5 key points (max_tokens 300); reduce: the answers joined, merged into 6 to 10
    final points (max_tokens 600), also when the article is a single chunk; Chinese prompts, or English
    ones when most of the article's letters are Latin;
  - no cleaning except a regex that removes runs of 1-2-character ASCII tokens (three or more, at least
    two of them not plain words: `( e* H8 f6 L1 b'` goes, `2. AI is a` stays), applied to every answer.
An article's plain time is the wall time of its requests (tokenize, map, reduce); its llmrun time is the
wall time of the whole `llmrun summarize ARTICLE -m MODEL --json` process (model load included; the
JSON's own `seconds`, without the load, is shown beside it). ratio = llmrun / plain.

--out DIR saves DIR/plain/STEM.txt and DIR/llmrun/STEM.txt, one point per line, for scoring (plus the
raw answers in DIR/plain/STEM.json). When Benchmarks/summary_score.py (or the file $SUMMARY_SCORE) exists,
its checklist coverage and copy rate are printed for both pipelines. Progress goes to stderr, the table to stdout.
"""
import argparse
import glob
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYSTEM = "You are a helpful assistant."
MAP_ZH = "请用中文（与原文相同的简体或繁体）列出下面这段文字（一篇长文章的一部分）的3到5个要点。"
REDUCE_ZH = "下面是从同一篇文章各部分依次提取的要点。请用中文（与原文相同的简体或繁体）把它们合并成6到10条全文的最终要点，去掉重复。"
MAP_EN = "List 3 to 5 key points of the following text (part of a longer article)."
REDUCE_EN = "Below are key points extracted in order from the parts of one article. Merge them into 6 to 10 final key points of the whole article, removing duplicates."
CHUNK_TOKENS = 1200
MAP_MAX_TOKENS = 300
REDUCE_MAX_TOKENS = 600

# A run of three or more whitespace-separated tokens of one or two printable ASCII characters, at least
# two of them not plain words (so that English such as "2. AI is a" stays).
JUNK = re.compile(r"(?<!\S)[!-~]{1,2}(?:[ \t]+[!-~]{1,2}){2,}(?!\S)")
# A sentence ends after 。！？, or after .!? when whitespace follows.
SENTENCE_END = re.compile(r"[。！？]|[.!?](?=\s)")


# urllib without proxies: the server is on the loopback interface whatever http_proxy says.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the plain pipeline

def llmrun_home():
    return Path(os.environ.get("LLMRUN_HOME") or Path.home() / ".cache/llmrun")


def default_model():
    return json.loads((REPO / "models/catalog.json").read_text())["default"]


def gguf_path(model):
    if model.endswith(".gguf") or "/" in model:
        return Path(model)
    return llmrun_home() / "models" / f"{model}.gguf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flash_attention_flag(binary):
    """`-fa on` where the help shows `-fa, --flash-attn [on|off|auto]`, else the older bare `-fa`."""
    try:
        text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    line = next((l for l in text.splitlines() if "--flash-attn" in l), "")
    return ["-fa", "on"] if re.search(r"on\|off|\[on", line) else ["-fa"]


class Server:
    def __init__(self, binary, gguf, threads=2, context=8192):
        self.port = free_port()
        command = [binary, "-m", str(gguf), "-t", str(threads), "-c", str(context), "-np", "1",
                   *flash_attention_flag(binary), "--host", "127.0.0.1", "--port", str(self.port)]
        log("starting: " + shlex.join(command))
        self.log_file = open(os.environ.get("LLAMA_SERVER_LOG", os.devnull), "w")
        start = time.monotonic()
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT)
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"llama-server exited with {self.process.returncode} (set LLAMA_SERVER_LOG=FILE to see why)")
            try:
                with HTTP.open(f"http://127.0.0.1:{self.port}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:  # not listening yet, or 503 while the model loads
                pass
            time.sleep(0.1)
        self.load_seconds = time.monotonic() - start
        log(f"llama-server ready on port {self.port} after {self.load_seconds:.1f} s")

    def post(self, path, body, timeout=1800):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with HTTP.open(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{path}: HTTP {error.code}: {error.read()[:500].decode(errors='replace')}") from None

    def tokenize(self, text):
        return self.post("/tokenize", {"content": text, "add_special": False})["tokens"]

    def detokenize(self, tokens):
        return self.post("/detokenize", {"tokens": tokens})["content"]

    def chat(self, prompt, max_tokens):
        body = {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                "temperature": 0, "repeat_penalty": 1.1, "max_tokens": max_tokens, "stream": False}
        reply = self.post("/v1/chat/completions", body)
        usage = reply.get("usage", {})
        return (reply["choices"][0]["message"].get("content") or "", reply["choices"][0].get("finish_reason"),
                usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()


def is_english(text):
    letters = [c for c in text if c.isalpha()]
    latin = sum(1 for c in letters if c < "\u0250")  # Basic Latin through Latin Extended-B
    return bool(letters) and latin * 2 > len(letters)


def sentences(text):
    """The article's sentences as slices that concatenate back to the text."""
    pieces, start = [], 0
    for match in SENTENCE_END.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def chunks(server, text):
    """Sentences packed greedily into chunks of at most CHUNK_TOKENS tokens."""
    result, current, count = [], [], 0
    for sentence in sentences(text):
        tokens = server.tokenize(sentence)
        if len(tokens) > CHUNK_TOKENS:  # one sentence longer than a chunk: cut it by tokens
            if current:
                result.append("".join(current))
                current, count = [], 0
            for i in range(0, len(tokens), CHUNK_TOKENS):
                result.append(server.detokenize(tokens[i:i + CHUNK_TOKENS]))
            continue
        if current and count + len(tokens) > CHUNK_TOKENS:
            result.append("".join(current))
            current, count = [], 0
        current.append(sentence)
        count += len(tokens)
    if current:
        result.append("".join(current))
    return [c.strip() for c in result if c.strip()]


def clean(answer):
    def junk(match):
        tokens = match.group().split()
        return "" if sum(1 for t in tokens if not t.isalpha()) >= 2 else match.group()
    lines = []
    for line in answer.splitlines():
        cleaned = JUNK.sub(junk, line)
        lines.append(line if cleaned == line else re.sub(r"(?<=\S)[ \t]{2,}", " ", cleaned).rstrip())
    return "\n".join(lines).strip()


def points_of(answer):
    return [line.strip() for line in answer.splitlines() if line.strip()]


def plain_summarize(server, text):
    english = is_english(text)
    map_prompt, reduce_prompt = (MAP_EN, REDUCE_EN) if english else (MAP_ZH, REDUCE_ZH)
    start = time.monotonic()
    parts = chunks(server, text)
    tokenize_seconds = time.monotonic() - start
    answers, steps = [], []
    for i, part in enumerate(parts, 1):
        log(f"  plain: part {i}/{len(parts)}")
        answer, finish, prompt_tokens, generated = server.chat(map_prompt + "\n\n" + part, MAP_MAX_TOKENS)
        answers.append(clean(answer))
        steps.append({"step": f"map {i}", "finish": finish, "prompt_tokens": prompt_tokens, "generated_tokens": generated})
    log(f"  plain: merging {len(answers)} answers")
    final, finish, prompt_tokens, generated = server.chat(reduce_prompt + "\n\n" + "\n\n".join(answers), REDUCE_MAX_TOKENS)
    final = clean(final)
    steps.append({"step": "reduce", "finish": finish, "prompt_tokens": prompt_tokens, "generated_tokens": generated})
    return {"seconds": time.monotonic() - start, "tokenize_seconds": tokenize_seconds, "language": "en" if english else "zh",
            "chunks": len(parts), "map_answers": answers, "summary": final, "points": points_of(final), "steps": steps,
            "prompt_tokens": sum(s["prompt_tokens"] for s in steps), "generated_tokens": sum(s["generated_tokens"] for s in steps)}


# ---------------------------------------------------------------- llmrun

def llmrun_summarize(binary, article, model, extra):
    command = [binary, "summarize", str(article), "-m", model, "--json", *extra]
    log("  llmrun: " + shlex.join(command))
    start = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - start
    result = {"seconds": seconds, "command": command, "returncode": run.returncode, "stderr": run.stderr.strip()[-2000:], "raw": run.stdout}
    if run.returncode != 0:
        log(f"  llmrun failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        result["points"] = []
        return result
    try:
        output = json.loads(run.stdout)
        result["points"] = [p["text"].strip() for p in output.get("points", []) if p.get("text", "").strip()]
        result["summary"] = output.get("summary", "")
        for key in ("planned_points", "prompt_tokens", "generated_tokens", "language"):
            result[key] = output.get(key)
        result["inner_seconds"] = output.get("seconds")
        result.pop("raw")
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError):
        result["points"] = points_of(run.stdout)  # not the JSON expected: kept as is
    return result


# ---------------------------------------------------------------- scoring (optional)

def load_scorer():
    """Benchmarks/summary_score.py beside this script, or the file $SUMMARY_SCORE names; None without it."""
    import importlib.util
    path = Path(os.environ.get("SUMMARY_SCORE") or Path(__file__).resolve().parent / "summary_score.py")
    if not path.is_file():
        return None
    try:
        spec = importlib.util.spec_from_file_location("summary_score", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as error:
        log(f"{path}: cannot import: {error!r}")
        return None
    if not (hasattr(module, "coverage") and hasattr(module, "copies")):
        return None
    return module


def score(scorer, points, article_path, text):
    """Coverage of the article's checklist and the share of points that copy one article sentence."""
    if scorer is None or not points:
        return None
    summary = "\n".join(points)
    try:
        if hasattr(scorer, "load_keypoints") and hasattr(scorer, "key_for"):
            key = scorer.key_for(str(article_path), scorer.load_keypoints())
        else:
            key = Path(article_path).name.split("_")[0] + "_"
        if hasattr(scorer, "score"):
            result = scorer.score(text, summary, key)
            return {"coverage": result["coverage"], "covered": result.get("covered"), "total": result.get("total"),
                    "copy_rate": result["copy_rate"], "sentence_copy_rate": result.get("sentence_copy_rate"),
                    "missed": result.get("missed", [])}
        covered = scorer.coverage(summary, key)
        if isinstance(covered, tuple):  # (covered, total, missed)
            covered = covered[0] / covered[1] if covered[1] else 0.0
        article_sentences = [s.strip() for s in sentences(text)]
        copied = sum(1 for p in points if scorer.copies(p, article_sentences))
        return {"coverage": covered, "copy_rate": copied / len(points)}
    except (Exception, SystemExit) as error:  # the scorer is someone else's work: never fail the timing run
        log(f"  scoring failed: {error!r}")
        return None


def format_score(s):
    if not s:
        return "-"
    if s.get("total"):
        coverage = f"{s['covered']}/{s['total']}"
    else:
        coverage = f"{s['coverage']:.0%}" if isinstance(s["coverage"], (int, float)) else str(s["coverage"])
    sentences = f" ({s['sentence_copy_rate']:.0%} of sentences)" if s.get("sentence_copy_rate") is not None else ""
    return f"cov {coverage}, copy {s['copy_rate']:.0%}{sentences}"


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="*", help="article files (default: ../shared/articles/*.txt from the repo root)")
    parser.add_argument("-m", "--model", default=None, help="catalog name or .gguf path (default: the catalog's default)")
    parser.add_argument("--llama-server", default=os.environ.get("LLAMA_SERVER", str(Path.home() / ".cache/llmrun-ref/llama.cpp/build/bin/llama-server")))
    parser.add_argument("--llmrun", default=os.environ.get("LLMRUN", str(REPO / ".build/release/llmrun")))
    parser.add_argument("--llmrun-args", default="", help="extra arguments for `llmrun summarize`, one shell-quoted string")
    parser.add_argument("--no-llmrun", action="store_true", help="run only the plain pipeline")
    parser.add_argument("--no-plain", action="store_true", help="run only llmrun")
    parser.add_argument("--out", help="save each summary as DIR/{plain,llmrun}/STEM.txt, one point per line")
    parser.add_argument("--json", dest="json_out", help="write every result to this file (- for stdout, after the table)")
    args = parser.parse_args()

    model = args.model or default_model()
    gguf = gguf_path(model)
    articles = args.articles or sorted(glob.glob(str(REPO.parent / "shared/articles/*.txt")))
    if not articles:
        raise SystemExit("no articles (give paths, or put them in ../shared/articles)")
    if not gguf.is_file():
        raise SystemExit(f"{gguf}: no such file (run `llmrun pull {model}`)")
    run_llmrun = not args.no_llmrun
    if run_llmrun and not os.access(args.llmrun, os.X_OK):
        raise SystemExit(f"{args.llmrun}: not an executable (build it, set LLMRUN=, or pass --no-llmrun)")
    llmrun_model = model if not model.endswith(".gguf") else str(gguf)
    extra = shlex.split(args.llmrun_args)
    scorer = load_scorer()
    if scorer is None:
        log("Benchmarks/summary_score.py not found (or without coverage/copies): no scores")
    out = Path(args.out) if args.out else None

    report = {"model": model, "gguf": str(gguf), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "host": os.uname().nodename,
              "cpus": os.cpu_count(), "llama_server": args.llama_server, "llmrun": args.llmrun if run_llmrun else None,
              "llmrun_args": extra, "articles": []}
    server = None
    if not args.no_plain:
        server = Server(args.llama_server, gguf)
        report["server_load_seconds"] = server.load_seconds
    try:
        for path in articles:
            text = Path(path).read_text(encoding="utf-8")
            stem = Path(path).stem
            log(f"{stem}: {len(text)} characters")
            entry = {"article": str(path)}
            if server is not None:
                try:
                    entry["plain"] = plain_summarize(server, text)
                    entry["plain"]["score"] = score(scorer, entry["plain"]["points"], path, text)
                    log(f"  plain: {entry['plain']['seconds']:.1f} s, {entry['plain']['chunks']} chunks, {len(entry['plain']['points'])} lines")
                except (RuntimeError, OSError, KeyError, ValueError) as error:  # e.g. a reduce prompt beyond the context
                    log(f"  plain failed: {error}")
                    entry["plain"] = {"error": str(error), "points": []}
            if run_llmrun:
                entry["llmrun"] = llmrun_summarize(args.llmrun, path, llmrun_model, extra)
                entry["llmrun"]["score"] = score(scorer, entry["llmrun"]["points"], path, text)
                log(f"  llmrun: {entry['llmrun']['seconds']:.1f} s, {len(entry['llmrun']['points'])} points")
                # The baseline without a model: what generation adds over picking sentences.
                entry["extractive"] = llmrun_summarize(args.llmrun, path, llmrun_model, ["--extractive"])
                entry["extractive"]["score"] = score(scorer, entry["extractive"]["points"], path, text)
            if out:
                for side in ("plain", "llmrun", "extractive"):
                    if side in entry:
                        (out / side).mkdir(parents=True, exist_ok=True)
                        (out / side / f"{stem}.txt").write_text("\n".join(entry[side]["points"]) + "\n", encoding="utf-8")
                if "plain" in entry:
                    (out / "plain" / f"{stem}.json").write_text(json.dumps(entry["plain"], ensure_ascii=False, indent=1), encoding="utf-8")
            report["articles"].append(entry)
    finally:
        if server is not None:
            server.stop()

    print_table(report)
    if args.json_out:
        text = json.dumps(report, ensure_ascii=False, indent=1)
        if args.json_out == "-":
            print(text)
        else:
            Path(args.json_out).write_text(text + "\n", encoding="utf-8")


def print_table(report):
    print(f"model {report['model']} ({report['gguf']}), {report['date']}, {report['cpus']} CPUs")
    if "server_load_seconds" in report:
        print(f"llama-server load (not counted): {report['server_load_seconds']:.1f} s")
    print(f"{'article':<26} {'chunks':>6} {'plain s':>8} {'llmrun s':>9} {'(inner)':>8} {'ratio':>6}  plain score | llmrun score | extractive score")
    total_plain = total_llmrun = 0.0
    for entry in report["articles"]:
        plain, llmrun = entry.get("plain"), entry.get("llmrun")
        p = plain.get("seconds") if plain else None
        l = llmrun["seconds"] if llmrun and llmrun.get("returncode") == 0 else None
        total_plain += p or 0
        total_llmrun += l or 0
        inner = llmrun.get("inner_seconds") if llmrun else None
        print(f"{Path(entry['article']).stem[:26]:<26} {plain.get('chunks', '-') if plain else '-':>6} "
              f"{f'{p:.1f}' if p is not None else ('failed' if plain else '-'):>8} {f'{l:.1f}' if l is not None else ('failed' if llmrun else '-'):>9} "
              f"{f'{inner:.1f}' if inner is not None else '-':>8} {f'{l / p:.2f}' if p and l else '-':>6}  "
              f"{format_score(plain.get('score')) if plain else '-'} | {format_score(llmrun.get('score')) if llmrun else '-'} | "
              f"{format_score(entry['extractive'].get('score')) if 'extractive' in entry else '-'}")
    ratio = f"{total_llmrun / total_plain:.2f}" if total_plain and total_llmrun else "-"
    print(f"{'total':<26} {'':>6} {total_plain:>8.1f} {f'{total_llmrun:.1f}' if total_llmrun else '-':>9} {'':>8} {ratio:>6}")


if __name__ == "__main__":
    main()
