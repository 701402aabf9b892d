#!/usr/bin/env python3
"""Reference fixtures from llama.cpp (via llama-cpp-python) for llmrun's model tests.

Writes Tests/TransformerTests/Fixtures/model/<model>.json for every catalog model found in the
model directory. Each file records:

  logits  one prompt, tokenized by llama.cpp with the model's BOS rule, evaluated in one batch;
          for EVERY position the top-10 (id, logit) pairs and max/mean/std over the whole vocab
          row; the full last-position row (rounded to 4 decimals) only when the file stays small.
  greedy  5 raw-text prompts (no chat template) x 64 tokens, argmax over the raw logits via the
          low-level eval API; per step the chosen id, the runner-up id and the top1-top2 margin.

Settings follow /work/shared/KERNELS.md: flash_attn=True, logits_all=True, n_threads=2.

Run with the reference venv:
  /root/.cache/llmrun-ref/venv/bin/python scripts/gen_model_fixtures.py [model ...]
"""

import argparse
import hashlib
import json
import os
import platform
import sys
import time

import numpy as np

import llama_cpp
from llama_cpp import Llama

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crosscheck_llama_simple  # noqa: E402

from fixture_json import dumps  # noqa: E402  (scripts/ is on sys.path when run as scripts/NAME.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "TransformerTests", "Fixtures", "model")
MODELS_DIR = os.environ.get("LLMRUN_MODELS", os.path.expanduser("~/.cache/llmrun/models"))
LLAMA_CPP_COMMIT = "0c1e57098"  # vendor/llama.cpp of the llama-cpp-python 0.3.36 sdist
MAX_BYTES = 1_500_000
TOP_K = 10
N_GEN = 64

SETTINGS = dict(
    n_ctx=512,
    n_batch=512,
    n_ubatch=512,
    n_threads=2,
    n_threads_batch=2,
    flash_attn=True,
    logits_all=True,
    n_gpu_layers=0,
    seed=0,
)

ZH_LOGITS = "人工智能正在深刻地改变我们的生活。从手机里的语音助手到路上的自动驾驶汽车，这项技术已经走进了千家万户。"
EN_LOGITS = ("The old lighthouse keeper climbed the spiral stairs every evening, carrying a lantern "
             "and a flask of tea, to watch the fishing boats come home.")

LOGITS_PROMPT = {
    "qwen2.5-1.5b": ("zh", ZH_LOGITS),
    "qwen2.5-0.5b": ("zh", ZH_LOGITS),
    "smollm2-135m": ("en", EN_LOGITS),
    "gemma3-270m": ("zh", ZH_LOGITS),
}

GREEDY_PROMPTS = [
    ("zh", "人工智能的发展"),
    ("zh-news", "据新华社报道，今年夏天我国南方多地遭遇持续强降雨，"),
    ("en", "Once upon a time, in a small village at the edge of a great forest,"),
    ("code", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"),
    ("en-list", "Here are five tips for staying healthy:\n1."),
]


def f32(x):
    """Shortest decimal that round-trips to the same float32 (full float32 precision)."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def attention_native_f16():
    """Whether llama.cpp sums attention's values in native f16 lanes here: its build is native
    (scripts/build-llama-cpp.sh), so it does on a CPU with AVX512-FP16 (llmrun's attention.c follows)."""
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and "avx512_fp16" in line.split() for line in f)
    except OSError:
        return False


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            h.update(chunk)
    return h.hexdigest()


def top_k(row, k):
    idx = np.argpartition(-row, k)[:k]
    # sort by logit descending, ties by id ascending (argmax picks the lowest id)
    idx = sorted(idx.tolist(), key=lambda i: (-float(row[i]), i))
    return idx


def row_stats(row):
    r = row.astype(np.float64)
    return dict(max=f32(r.max()), mean=round(float(r.mean()), 6), std=round(float(r.std()), 6))


def argmax(row):
    return int(np.argmax(row))  # first index of the maximum, as llama.cpp's greedy sampler


def text_of(llm, ids):
    raw = llm.detokenize(ids, special=False)
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), False


def run_logits(llm, text):
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    llm.reset()
    llm.eval(ids)
    scores = np.array(llm.scores[: len(ids), :], dtype=np.float32, copy=True)
    positions = []
    for p in range(len(ids)):
        row = scores[p]
        t = top_k(row, TOP_K)
        positions.append(dict(
            top_ids=t,
            top_logits=[f32(row[i]) for i in t],
            **row_stats(row),
        ))
    return ids, positions, scores[-1]


def run_greedy(llm, text):
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    llm.reset()
    llm.eval(ids)
    row = np.array(llm.scores[len(ids) - 1], dtype=np.float32)
    out, runner_up, margins, top1 = [], [], [], []
    first_eog = None
    for step in range(N_GEN):
        t = top_k(row, 2)
        tok = argmax(row)
        assert tok == t[0]
        out.append(tok)
        runner_up.append(t[1])
        top1.append(f32(row[t[0]]))
        margins.append(round(float(row[t[0]]) - float(row[t[1]]), 6))
        if first_eog is None and llama_cpp.llama_vocab_is_eog(llm._model.vocab, tok):
            first_eog = step
        if step + 1 < N_GEN:
            llm.eval([tok])
            row = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    gen_text, complete = text_of(llm, out)
    return dict(
        prompt_ids=ids,
        ids=out,
        runner_up_ids=runner_up,
        top1_logits=top1,
        margins=margins,
        min_margin=min(margins),
        min_margin_step=int(np.argmin(margins)),
        first_eog_step=first_eog,
        text=gen_text,
        text_is_valid_utf8=complete,
    )




def generate(name):
    path = os.path.join(MODELS_DIR, f"{name}.gguf")
    t0 = time.time()
    digest = sha256(path)
    llm = Llama(model_path=path, verbose=False, **SETTINGS)
    model = llm._model
    lang, ltext = LOGITS_PROMPT[name]
    ids, positions, last_row = run_logits(llm, ltext)
    greedy = []
    for tag, text in GREEDY_PROMPTS:
        g = run_greedy(llm, text)
        greedy.append(dict(name=tag, prompt=text, **g))
        print(f"  {name} {tag}: min margin {g['min_margin']:.4f} at step {g['min_margin_step']}: "
              f"{g['text'][:60]!r}", file=sys.stderr)

    fixture = dict(
        generator="scripts/gen_model_fixtures.py",
        llama_cpp_python=llama_cpp.__version__,
        llama_cpp_commit=LLAMA_CPP_COMMIT,
        machine=platform.machine(),
        cpu=cpu_name(),
        attention_native_f16=attention_native_f16(),
        llama_system_info=llama_cpp.llama_print_system_info().decode().strip(),
        model=dict(
            name=name,
            file=f"{name}.gguf",
            size=os.path.getsize(path),
            sha256=digest,
            architecture=llm.metadata.get("general.architecture"),
            n_vocab=llm.n_vocab(),
            add_bos=bool(model.add_bos_token()),
            bos_id=model.token_bos(),
            eos_id=model.token_eos(),
        ),
        settings=dict(
            **SETTINGS,
            kv_cache_type="f16 (llama.cpp default type_k/type_v)",
            swa_full=True,
            tokenize="Llama.tokenize(text.encode('utf-8'), add_bos=True, special=False): llama_tokenize with "
                     "add_special=true, so BOS is added only when the model's tokenizer.ggml.add_bos_token is "
                     "true; special-token text is NOT parsed",
            prompt_eval="whole prompt in one llama_decode batch (Llama.eval), then one token per decode",
            greedy="argmax over the raw float32 logits (lowest id wins an exact tie), no chat template, "
                   f"{N_GEN} tokens generated even past an end-of-generation token (first_eog_step marks it)",
            detokenize="Llama.detokenize(ids, special=False) of the generated ids only, decoded as UTF-8",
            floats="logits are float32, written as the shortest decimal that round-trips to the same float32; "
                   "mean/std are float64 over the whole vocab row, rounded to 6 decimals; margins = "
                   "top1 - top2 in float64 from float32 values, rounded to 6 decimals",
        ),
        notes="",
        logits=dict(
            language=lang,
            prompt=ltext,
            prompt_ids=ids,
            top_k=TOP_K,
            positions=positions,
        ),
        greedy=greedy,
    )
    if name == crosscheck_llama_simple.DEFAULT_MODEL and crosscheck_llama_simple.tool_available():
        fixture["notes"], fixture["crosscheck"] = crosscheck_llama_simple.crosscheck(fixture)
    fixture["logits"]["last_row_4dp"] = [round(float(x), 4) for x in last_row]
    fixture["logits"]["last_row_note"] = "full vocab logits at the last prompt position, rounded to 4 decimals"
    text = dumps(fixture) + "\n"
    if len(text.encode()) >= MAX_BYTES:
        with_row = len(text.encode())
        fixture["logits"]["last_row_4dp"] = None
        fixture["logits"]["last_row_note"] = (f"omitted: with the {llm.n_vocab()}-entry row the file would be "
                                              f"{with_row / 1e6:.2f} MB (limit {MAX_BYTES / 1e6} MB)")
        text = dumps(fixture) + "\n"
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, f"{name}.json")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    size = len(text.encode())
    assert size < MAX_BYTES, f"{out}: {size} bytes"
    print(f"{out}: {size} bytes, {time.time() - t0:.0f}s", file=sys.stderr)
    llm.close() if hasattr(llm, "close") else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=["smollm2-135m", "gemma3-270m", "qwen2.5-0.5b", "qwen2.5-1.5b"])
    args = ap.parse_args()
    for m in args.models:
        generate(m)


if __name__ == "__main__":
    main()
