#!/usr/bin/env python3
"""Perplexity references from llama.cpp's llama-perplexity tool.

For each catalog model and each text -- (a) the five shared Chinese articles concatenated, (b)
Tests/TransformerTests/Fixtures/text/english.txt -- runs

  llama-perplexity -m MODEL -f TEXT -c 512 -t 2 [--chunks 4]

(default batch 2048, so 4 chunks of 512 are evaluated per batch as 4 sequences) and writes
Tests/TransformerTests/Fixtures/model/perplexity.json.

Build the tool first with scripts/build-llama-cpp.sh. Run with the reference venv:
  /root/.cache/llmrun-ref/venv/bin/python scripts/gen_perplexity.py [model ...]
      everything for the models (default: all four), fast runs first; the file is rewritten
      after every run, so an interrupted run keeps what finished
  /root/.cache/llmrun-ref/venv/bin/python scripts/gen_perplexity.py --full-articles [model ...]
      only the slow whole-articles runs, merged into the existing results
      (2 busy cores: ~6 s per 512-token chunk for smollm2, ~15 s for qwen2.5-1.5b)
"""

import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import llama_cpp
from llama_cpp import Llama

from fixture_json import dumps  # noqa: E402  (scripts/ is on sys.path when run as scripts/NAME.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TransformerTests", "Fixtures", "model", "perplexity.json")
ENGLISH = os.path.join(ROOT, "Tests", "TransformerTests", "Fixtures", "text", "english.txt")
ARTICLES_DIR = os.environ.get("LLMRUN_ARTICLES", os.path.join(os.path.dirname(ROOT), "shared", "articles"))
if not os.path.isdir(ARTICLES_DIR):
    ARTICLES_DIR = "/work/shared/articles"
ARTICLES_CONCAT = "/tmp/llmrun-articles-concat.txt"
MODELS_DIR = os.environ.get("LLMRUN_MODELS", os.path.expanduser("~/.cache/llmrun/models"))
REF = os.environ.get("LLMRUN_REF", "/root/.cache/llmrun-ref")
TOOL = os.path.join(REF, "llama.cpp", "build", "bin", "llama-perplexity")
MODELS = ["smollm2-135m", "gemma3-270m", "qwen2.5-0.5b", "qwen2.5-1.5b"]
CHUNKS = [4, None]  # None = the whole file


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            h.update(chunk)
    return h.hexdigest()


def build_articles():
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ARTICLES_DIR, "*.txt")))
    parts = []
    for n in names:
        with open(os.path.join(ARTICLES_DIR, n), "rb") as f:
            parts.append(f.read())
    data = b"\n\n".join(parts)
    with open(ARTICLES_CONCAT, "wb") as f:
        f.write(data)
    return names, parts, data


def tool_prompt(data):
    """What llama-perplexity evaluates: `-f` reads the file and drops ONE trailing '\\n'."""
    return data[:-1] if data.endswith(b"\n") else data


def n_tokens(model_path, text):
    """common_tokenize(ctx, prompt, add_special=true, parse_special=false), as llama-perplexity."""
    llm = Llama(model_path=model_path, vocab_only=True, verbose=False)
    ids = llm.tokenize(text, add_bos=True, special=False)
    return len(ids), bool(llm._model.add_bos_token())


def run(model, text_path, chunks):
    model_path = os.path.join(MODELS_DIR, f"{model}.gguf")
    cmd = [TOOL, "-m", model_path, "-f", text_path, "-c", "512", "-t", "2"]
    if chunks is not None:
        cmd += ["--chunks", str(chunks)]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    log = p.stdout + "\n" + p.stderr
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{log[-3000:]}")
    m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", log)
    c = re.search(r"calculating perplexity over (\d+) chunks, n_ctx=(\d+), batch_size=(\d+), n_seq=(\d+)", log)
    running = [float(x) for x in re.findall(r"\[\d+\]([0-9.]+),", log)]
    return dict(
        command=" ".join(["llama-perplexity", "-m", f"{model}.gguf", "-f",
                          os.path.basename(text_path), "-c", "512", "-t", "2"]
                         + ([] if chunks is None else ["--chunks", str(chunks)])),
        chunks_requested=chunks,
        ppl=float(m.group(1)),
        plus_minus=float(m.group(2)),
        n_chunks=int(c.group(1)),
        n_ctx=int(c.group(2)),
        batch_size=int(c.group(3)),
        n_seq=int(c.group(4)),
        scored_tokens=int(c.group(1)) * (int(c.group(2)) // 2 - 1),
        running_ppl=running,
        seconds=round(time.time() - t0, 1),
    ), log




def flash_attn_probe(model):
    """The tool logs its flash-attention choice only at -lv 4: probe once per model with 1 chunk."""
    model_path = os.path.join(MODELS_DIR, f"{model}.gguf")
    cmd = [TOOL, "-m", model_path, "-f", ENGLISH, "-c", "512", "-t", "2", "--chunks", "1", "-lv", "4"]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    log = p.stdout + "\n" + p.stderr
    fa = re.search(r"llama_context: flash_attn\s*=\s*(\S+)", log)
    resolved = re.search(r"Flash Attention (enabled|not supported, set to disabled)", log)
    return dict(
        command=f"llama-perplexity -m {model}.gguf -f english.txt -c 512 -t 2 --chunks 1 -lv 4",
        flash_attn_param=fa.group(1) if fa else None,
        resolved=resolved.group(0) if resolved else None,
    )


def main():
    if not os.access(TOOL, os.X_OK):
        sys.exit(f"{TOOL} missing: run scripts/build-llama-cpp.sh first")
    names, parts, articles = build_articles()
    with open(ENGLISH, "rb") as f:
        english = f.read()
    texts = {
        "articles": dict(path=ARTICLES_CONCAT, data=articles),
        "english": dict(path=ENGLISH, data=english),
    }
    args = sys.argv[1:]
    only_full_articles = "--full-articles" in args  # add the slow whole-articles runs to existing results
    models = [a for a in args if not a.startswith("--")] or MODELS
    results = {}
    if os.path.exists(OUT):
        with open(OUT, encoding="utf-8") as f:
            results = json.load(f).get("results", {})
    if only_full_articles:
        for m in models:
            if m in results:
                results[m]["_fresh"] = True
    meta = dict(names=names, parts=parts, articles=articles, english=english)
    # Fast runs first (--chunks 4 on both texts, the whole English text), then the whole articles
    # text model by model; perplexity.json is rewritten after every run, so partial results survive.
    jobs = [(m, t, c) for m in models for t, c in (("articles", 4), ("english", 4), ("english", None))]
    jobs += [(m, "articles", None) for m in models]
    if only_full_articles:
        jobs = [(m, "articles", None) for m in models]
    if "--rewrite" in args:  # only re-render the existing results (e.g. after a script change)
        jobs = []
        write(results, meta)
    for model, tname, chunks in jobs:
        model_path = os.path.join(MODELS_DIR, f"{model}.gguf")
        entry = results.get(model)
        if entry is None or entry.get("_fresh") is not True:
            entry = dict(_fresh=True, model_sha256=sha256_file(model_path), flash_attn=flash_attn_probe(model),
                         texts={})
            print(f"{model}: flash attention {entry['flash_attn']}", file=sys.stderr)
            results[model] = entry
        t = texts[tname]
        if tname not in entry["texts"]:
            ntok, add_bos = n_tokens(model_path, tool_prompt(t["data"]))
            entry["texts"][tname] = dict(n_tokens=ntok, add_bos=add_bos, runs={})
        r, _ = run(model, t["path"], chunks)
        print(f"{model} {tname} chunks={r['n_chunks']}: PPL {r['ppl']} +/- {r['plus_minus']} "
              f"({r['seconds']}s)", file=sys.stderr)
        entry["texts"][tname]["runs"]["chunks_4" if chunks == 4 else "full"] = r
        write(results, meta)


def write(results, meta):
    names, parts, articles, english = meta["names"], meta["parts"], meta["articles"], meta["english"]
    clean = {}
    for m in MODELS:
        if m in results:
            e = {k: v for k, v in results[m].items() if k != "_fresh"}
            for t in e["texts"].values():
                t["runs"] = {k: t["runs"][k] for k in ("chunks_4", "full") if k in t["runs"]}
            clean[m] = e
    fixture = dict(
        generator="scripts/gen_perplexity.py",
        tool="llama-perplexity built by scripts/build-llama-cpp.sh from the llama-cpp-python "
             f"{llama_cpp.__version__} sdist (vendor/llama.cpp, commit 0c1e57098), -DGGML_NATIVE=ON, Release",
        llama_system_info=llama_cpp.llama_print_system_info().decode().strip(),
        settings=dict(
            ctx=512,
            threads=2,
            batch="default (2048): 4 chunks of 512 tokens are evaluated together as 4 sequences per decode",
            flash_attn="tool default -fa auto (no -fa flag given); each model's flash_attn.resolved records what "
                       "the tool logged (at -lv 4) in a 1-chunk probe with otherwise identical settings",
            kv_cache_type="f16 (default)",
        ),
        method=(
            "llama-perplexity reads the -f file and removes ONE trailing '\\n', tokenizes the whole text once "
            "with add_special=true (a BOS is prepended when the model's add_bos_token is true) and "
            "parse_special=false; n_chunks = min(--chunks, n_tokens // 512); chunk i is tokens[512*i : 512*(i+1)] "
            "with its first token replaced by BOS when add_bos_token is true, evaluated from an empty KV cache; "
            "the negative log-likelihood (log-softmax in double) is summed over the predictions of tokens "
            "257..511 of each chunk (255 per chunk, from the logits at positions 256..510). PPL = "
            "exp(mean NLL); plus_minus = PPL * sqrt((mean(NLL^2) - mean(NLL)^2) / (count - 1)). running_ppl "
            "is the tool's cumulative PPL after each chunk."
        ),
        texts=dict(
            articles=dict(
                rule="concatenate the UTF-8 bytes of every *.txt file in ../shared/articles (next to the repo) "
                     "in ascending file-name order, exactly as stored (no trimming, no newline added), "
                     "joined by the separator \"\\n\\n\"; no separator before the first or after the last",
                files=[dict(name=n, bytes=len(p), sha256=sha256_bytes(p)) for n, p in zip(names, parts)],
                separator="\n\n",
                bytes=len(articles),
                sha256=sha256_bytes(articles),
                evaluated_bytes=len(tool_prompt(articles)),
                tool_file=ARTICLES_CONCAT,
            ),
            english=dict(
                file="Tests/TransformerTests/Fixtures/text/english.txt",
                bytes=len(english),
                sha256=sha256_bytes(english),
                evaluated_bytes=len(tool_prompt(english)),
                note="written for this project (an essay on keeping a vegetable garden); the tool drops its "
                     "final '\\n' before tokenizing",
            ),
        ),
        results=clean,
        missing_runs=[f"{m} {t} {k}" for m in MODELS for t in ("articles", "english") for k in ("chunks_4", "full")
                      if k not in clean.get(m, {}).get("texts", {}).get(t, {}).get("runs", {})],
        missing_note="runs not done yet (the whole-articles runs take ~7-20 min per model on 2 busy cores); "
                     "complete them with: scripts/gen_perplexity.py --full-articles [model ...]",
    )
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(dumps(fixture) + "\n")
    print(f"{OUT}: {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
