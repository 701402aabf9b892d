#!/usr/bin/env python3
"""Synthetic models of the families no catalog model covers, and llama.cpp's figures for them.

For each entry of SYNTHETIC below this writes a small random-weight GGUF in the family's real layout (its
tensor names and keys, shapes scaled down: 4-8 layers, 256 wide, the family's head-size ratio, grouped-query
attention, tied or untied output head), with the real tokenizer of a catalog model of the same tokenizer family
(the committed vocab-only GGUF, Tests/TransformerTests/Fixtures/vocab/<model>.gguf.gz, copied key for key), runs
it in llama.cpp through llama-cpp-python with gen_model_fixtures.py's settings, and writes
Tests/TransformerTests/Fixtures/synthetic/<name>.json:

  recipe      everything needed to write the same file again: the vocab fixture, the architecture keys and,
              per tensor, its GGUF name, dimensions, ggml type and generator (seed, scale, offset) or values;
              a checksum of all tensor bytes. SyntheticModelTests rebuilds the GGUF from this in Swift (the
              files, 20-180 MB with a real vocabulary, are not committed) and checks the checksum first.
  logits      one prompt in one batch: per position the top-10 (id, logit) pairs.
  greedy      two raw prompts x 32 greedy tokens, with the top1-top2 margins.
  perplexity  the prompt's perplexity under the model: exp(mean over positions p of -log softmax(logits[p])[token p+1]).

The generator is SplitMix64 (seed, then the golden-ratio increment), one stream per tensor; u = (z >> 40) / 2^24
exactly in float32, and an F32/F16 value is float32((2u - 1) * scale) (+ offset, when not 0), rounded to f16 for
F16. Quantized tensors are drawn as blocks, not quantized from floats: a Q8_0 block takes d = f16(u * scale)
from one draw and its 32 quants as (z mod 255) - 127 from the next 32 (never -128); a Q4_K block (256 weights)
takes d = f16(u * scale) and dmin = f16(u * 7.5 * scale) from two draws (7.5: the mean 4-bit quant, so that the
sub-blocks' minimums centre the weights) and its 140 bytes of packed 6-bit scales and minimums and 4-bit quants
as the top bytes of the next 140; an IQ4_XS block (256 weights) takes d = f16(u * scale) from one draw and its
134 bytes of 6-bit scales and 4-bit indices as the top bytes of the next 134 (every byte pattern is a valid block). So both sides build the same bytes with
nothing but IEEE float32 arithmetic.

Weights are scaled as trained models' are (projections ~ 1/sqrt(fan_in), norms near 1, embedding std 0.5), so
that logits spread over several units and greedy decoding is decisive.

Run with llama-cpp-python 0.3.36 (gguf-py is not needed; the GGUF is written here):
  ~/.cache/llmrun-ref/venv/bin/python scripts/gen_synthetic_models.py [name ...]
Where that venv has no llama_cpp, its Python package (pure ctypes) from the sdist that scripts/build-llama-cpp.sh
downloads runs over the libllama.so that script builds from the same source, in any venv with numpy,
typing_extensions, diskcache and jinja2:
  tar xzf ~/.cache/llmrun-ref/sdist/llama_cpp_python-0.3.36.tar.gz -C /tmp 'llama_cpp_python-0.3.36/llama_cpp'
  LLAMA_CPP_LIB_PATH=~/.cache/llmrun-ref/llama.cpp/build/bin PYTHONPATH=/tmp/llama_cpp_python-0.3.36 \
    VENV/bin/python scripts/gen_synthetic_models.py
On a CPU with AMX, preload scripts/no_amx_preload.c (see there) so that llama.cpp runs its AVX-512 kernels.
"""

import argparse
import gzip
import math
import os
import struct
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_model_fixtures as ref  # noqa: E402  (settings, prompts, top-k and greedy helpers)
from fixture_json import dumps  # noqa: E402
from gen_vocab_gguf import Reader, GGUF_MAGIC, STRING, gguf_string  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCAB_DIR = os.path.join(ROOT, "Tests", "TransformerTests", "Fixtures", "vocab")
OUT_DIR = os.path.join(ROOT, "Tests", "TransformerTests", "Fixtures", "synthetic")
N_GEN = 32
ALIGNMENT = 32
GGML_TYPES = {"f32": 0, "f16": 1, "q8_0": 8, "q3_k": 11, "q4_k": 12, "iq4_xs": 23}
VALUE_TYPES = {"uint32": 4, "float32": 6, "bool": 7, "string": 8}

EN_GREEDY = [("en", "Once upon a time, in a small village at the edge of a great forest,"),
             ("code", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n")]
ZH_GREEDY = [("zh", "人工智能的发展"), ("en", "Once upon a time, in a small village at the edge of a great forest,")]
# A prompt of about 280 tokens: decoding after it attends over 512 cache slots of the 512-token context, where
# llama.cpp splits each query's keys among its threads and combines the parts (its split form).
LONG_GREEDY = ("long", " ".join([ref.EN_LOGITS] * 10))
# Over 64 tokens, so that the prompt's batch takes llama.cpp's tiled flash attention as well as the one-token form.
LONG_EN_LOGITS = (ref.EN_LOGITS + " On stormy nights he counted them twice, and when the last light rounded the harbour "
                  "wall he wrote its name in a worn leather book that had belonged to his grandfather, who had kept the "
                  "same light for forty years.")


def llama3_rope_factors(base, dim, factor, low_freq_factor, high_freq_factor, old_context):
    """Llama 3's per-dimension RoPE divisors, as convert_hf_to_gguf.py computes them for `rope_freqs.weight`."""
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi / (1.0 / base ** (i / dim))
        if wavelen < old_context / high_freq_factor:
            factors.append(1.0)
        elif wavelen > old_context / low_freq_factor:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return [float(np.float32(f)) for f in factors]


# name: family layout scaled down. `tied`: no output.weight. `qk_norm`: per-head q/k RMSNorm (qwen3). `post_norms`:
# RMSNorms after attention and after the feed-forward network (gemma2). `extra_keys`: the family's own metadata.
# `fused`: attn_qkv and a gate-and-up ffn_up (phi3). `rope_dims`: RoPE over part of each head. `longrope`: the ranges
# of rope_factors_long/short. `embedding_scale`: the factor the embedding is multiplied by (gemma: sqrt(d)).
SYNTHETIC = {
    # Llama 3.x (untied as Llama 3.1 8B; rope_freqs with an original context of 32 so that the three
    # regimes of Llama 3 scaling all occur among 16 rotary pairs).
    "llama3": dict(arch="llama", vocab="smollm2-135m", layers=4, embedding=256, heads=8, kv_heads=2, head_dim=32,
                   ffn=768, tied=False, rope_base=500000.0, eps=1e-5, greedy=EN_GREEDY, logits_prompt=ref.EN_LOGITS,
                   rope_freqs=dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, old_context=32)),
    # Qwen3 0.6B: head size 128 with 16 heads over 1024 (queries twice the embedding), 8 KV heads, tied.
    "qwen3": dict(arch="qwen3", vocab="qwen2.5-0.5b", layers=4, embedding=256, heads=4, kv_heads=2, head_dim=128,
                  ffn=768, tied=True, qk_norm=True, rope_base=1000000.0, eps=1e-6, greedy=ZH_GREEDY,
                  logits_prompt=ref.ZH_LOGITS),
    # SmolLM3 3B: 16 heads, 4 KV heads, tied; RoPE skipped on layers 3 and 7.
    "smollm3": dict(arch="smollm3", vocab="smollm2-135m", layers=8, embedding=256, heads=8, kv_heads=2, head_dim=32,
                    ffn=768, tied=True, rope_base=5000000.0, eps=1e-6, greedy=EN_GREEDY, logits_prompt=ref.EN_LOGITS),
    # Gemma 2 2B: 8 heads of 256 (queries 2048 wide over 2304; here as wide as the embedding, which Q4_K's 256-wide
    # rows of attn_output need), 4 KV heads, tied, post-norms; the caps lowered from 50 and 30 to act on random
    # weights' scores (std ~1) and logits (std ~8), and the window from 4096 to 16 to act within the prompts (even
    # layers slide, odd layers see everything).
    "gemma2": dict(arch="gemma2", vocab="gemma3-270m", layers=4, embedding=256, heads=4, kv_heads=2, head_dim=64,
                   ffn=768, tied=True, post_norms=True, embedding_scale=16.0, rope_base=10000.0, eps=1e-6, greedy=EN_GREEDY,
                   logits_prompt=LONG_EN_LOGITS,
                   extra_keys=[("gemma2.attn_logit_softcapping", "float32", 3.0),
                               ("gemma2.final_logit_softcapping", "float32", 30.0),
                               ("gemma2.attention.sliding_window", "uint32", 16)]),
    # Phi-3.5-mini: 32 heads of 96 over 3072 without GQA, untied, fused attn_qkv and gate-and-up ffn_up, LongRoPE
    # with an original context of 128, below both llama.cpp's 512 and the tests' 256, so the long factors act; its
    # attention.sliding_window, which llama.cpp ignores for phi3. (Phi-3.5's Llama-2 SentencePiece vocabulary is no
    # catalog model's: SmolLM2's BPE stands in; the tokenizer is not what is tested here.)
    "phi3": dict(arch="phi3", title="Phi 3.5 mini layout", vocab="smollm2-135m", layers=4, embedding=256, heads=8, kv_heads=8, head_dim=32,
                 ffn=768, tied=False, fused=True, rope_base=10000.0, eps=1e-5, greedy=EN_GREEDY,
                 logits_prompt=ref.EN_LOGITS,
                 longrope=dict(short=(1.0, 3.0), long=(1.0, 40.0)),
                 extra_keys=[("phi3.rope.scaling.attn_factor", "float32", 1.190238),
                             ("phi3.rope.scaling.original_context_length", "uint32", 128),
                             ("phi3.attention.sliding_window", "uint32", 262144)]),
    # Phi-4-mini: 24 heads of 128 over 3072, 8 KV heads, tied, RoPE over 96 of each head's 128 dimensions, LongRoPE
    # with an original context of 4096, so the short factors act. (Its o200k vocabulary is byte-level BPE like
    # SmolLM2's.)
    "phi4": dict(arch="phi3", title="Phi 4 mini layout", vocab="smollm2-135m", layers=4, embedding=256, heads=4, kv_heads=2, head_dim=64,
                 rope_dims=48, ffn=768, tied=True, fused=True, rope_base=10000.0, eps=1e-5, greedy=EN_GREEDY,
                 logits_prompt=ref.EN_LOGITS,
                 longrope=dict(short=(1.0, 4.0), long=(1.0, 40.0)),
                 extra_keys=[("phi3.rope.scaling.attn_factor", "float32", 1.190238),
                             ("phi3.rope.scaling.original_context_length", "uint32", 4096)]),
}
# name-format pairs written; the format is the type of every matrix (norms and rope factors stay F32).
# Q4_K needs rows of a multiple of 256.
VARIANTS = [("llama3", "f32"), ("llama3", "q8_0"), ("qwen3", "f32"), ("qwen3", "q8_0"),
            ("smollm3", "f32"), ("smollm3", "q8_0"), ("llama3", "q4_k"), ("qwen3", "q4_k"), ("smollm3", "q4_k"),
            ("gemma2", "f32"), ("gemma2", "q8_0"), ("gemma2", "q4_k"),
            ("phi3", "f32"), ("phi3", "q8_0"), ("phi3", "q4_k"), ("phi4", "f32"), ("phi4", "q8_0"), ("phi4", "q4_k"),
            ("llama3", "iq4_xs"), ("llama3", "f16"), ("qwen3", "f16"), ("gemma2", "f16"), ("llama3", "q3_k"),
            ("qwen3", "iq4_xs"), ("smollm3", "iq4_xs"), ("gemma2", "iq4_xs"), ("phi3", "iq4_xs"), ("phi4", "iq4_xs"),
            ("smollm3", "f16"), ("phi3", "f16"), ("phi4", "f16")]


# MARK: - the generator (mirrored by SyntheticModelTests.swift)

MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(seed, count):
    """`count` SplitMix64 outputs after `seed` (numpy uint64 arithmetic wraps, as the algorithm wants)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def unit(z):
    """[0, 1) from the top 24 bits, exact in float32."""
    return (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)


def drawn_blocks(seed, blocks, block_bytes, scale, scale_factors, byte, scales_last=False):
    """Quantized blocks drawn directly, one draw per f16 scale (u * (factor * scale)) and per other byte of a block;
    the scales are drawn first and stored first or, with scales_last (Q3_K's layout), last."""
    draws = block_bytes - len(scale_factors)
    z = splitmix64(seed, blocks * draws).reshape(blocks, draws)
    halves = [(unit(z[:, i]) * (np.float32(f) * scale)).astype(np.float16).view(np.uint8).reshape(blocks, 2)
              for i, f in enumerate(scale_factors)]
    rest = [byte(z[:, len(scale_factors):])]
    return np.concatenate(rest + halves if scales_last else halves + rest, axis=1).tobytes()


def tensor_bytes(t):
    count = int(np.prod(t["dims"]))
    if "values" in t:
        return np.array(t["values"], dtype=np.float32).tobytes()
    scale, offset = np.float32(t["scale"]), np.float32(t.get("offset", 0.0))
    if t["type"] in ("f32", "f16"):
        v = (unit(splitmix64(t["seed"], count)) * np.float32(2) - np.float32(1)) * scale
        if offset != 0:
            v = v + offset
        return v.astype(np.float32 if t["type"] == "f32" else np.float16).tobytes()
    top_byte = lambda z: (z >> np.uint64(56)).astype(np.uint8)
    if t["type"] == "q8_0":  # d, then 32 quants in -127...127
        return drawn_blocks(t["seed"], count // 32, 34, scale, [1],
                            lambda z: ((z % np.uint64(255)).astype(np.int16) - 127).astype(np.int8).view(np.uint8))
    if t["type"] == "q4_k":  # d and dmin, then 140 bytes of packed scales, minimums and quants
        return drawn_blocks(t["seed"], count // 256, 144, scale, [1, 7.5], top_byte)
    if t["type"] == "q3_k":  # 108 bytes of high bits, low bits and packed 6-bit scales, then d
        return drawn_blocks(t["seed"], count // 256, 110, scale, [1], top_byte, scales_last=True)
    if t["type"] == "iq4_xs":  # d, then 134 bytes of packed 6-bit scales and 4-bit indices
        return drawn_blocks(t["seed"], count // 256, 136, scale, [1], top_byte)
    raise ValueError(t["type"])


def checksum(data):
    """Sum of byte i times (i mod 251) + 1 over one tensor's bytes (SyntheticModelTests computes the same)."""
    b = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    return int((b * (np.arange(len(b), dtype=np.int64) % 251 + 1)).sum())


# MARK: - the recipe

def recipe(name, fmt, seed):
    s = SYNTHETIC[name]
    arch, d, hd, ffn = s["arch"], s["embedding"], s["head_dim"], s["ffn"]
    q_dim, kv_dim = s["heads"] * hd, s["kv_heads"] * hd
    # llama.cpp sets Phi-3's token attributes when general.name contains "phi3" or "phi-3", which needs Phi-3's own
    # vocabulary: the phi3 layouts are named otherwise.
    title = s.get("title", name)
    keys = [("general.architecture", "string", arch), ("general.name", "string", f"synthetic {title} {fmt}"),
            (f"{arch}.context_length", "uint32", 2048), (f"{arch}.block_count", "uint32", s["layers"]),
            (f"{arch}.embedding_length", "uint32", d), (f"{arch}.feed_forward_length", "uint32", ffn),
            (f"{arch}.attention.head_count", "uint32", s["heads"]),
            (f"{arch}.attention.head_count_kv", "uint32", s["kv_heads"]),
            (f"{arch}.attention.key_length", "uint32", hd), (f"{arch}.attention.value_length", "uint32", hd),
            (f"{arch}.rope.dimension_count", "uint32", s.get("rope_dims", hd)),
            (f"{arch}.rope.freq_base", "float32", s["rope_base"]),
            (f"{arch}.attention.layer_norm_rms_epsilon", "float32", s["eps"])] + s.get("extra_keys", [])
    tensors = []

    def matrix(tname, rows, cols, std):
        # uniform on [-scale, scale] has std scale/sqrt(3); a Q8_0 block d*q with d ~ U(0, scale), q ~ U{-127..127}
        # has std scale/sqrt(3) * 73.6 (the rms of q), so the same std needs scale / 73.6.
        # A Q4_K weight d*sc*q - dmin*m (sc, m ~ U{0..63}, q ~ U{0..15}) has std about 190 * E[d]; an IQ4_XS
        # weight d*(s - 32)*v[q] (s ~ U{0..63}, v the 16 non-linear values, rms 67.4) has rms 18.5 * 67.4 * rms(d); a Q3_K
        # weight d*(s - 32)*q (q ~ U{-4..3}, rms 2.35) has rms 18.5 * 2.35 * rms(d).
        scale = std * math.sqrt(3) / {"q8_0": 73.6, "q4_k": 190.0, "iq4_xs": 1247.0, "q3_k": 43.4}.get(fmt, 1)
        tensors.append(dict(name=tname, dims=[cols, rows], type=fmt, scale=float(np.float32(scale))))

    def norm(tname, count, offset=1.0):
        tensors.append(dict(name=tname, dims=[count], type="f32", scale=0.2, offset=offset))

    # rows filled in below, from the vocabulary; an embedding multiplied by sqrt(d) (gemma) is drawn as much smaller,
    # as trained ones are, so that a token's own embedding does not swamp the residual stream; a large output norm
    # then gives the tied head's logits their usual spread.
    embedding_scale = s.get("embedding_scale", 1.0)
    matrix("token_embd.weight", 0, d, 0.5 / embedding_scale)
    norm("output_norm.weight", d, offset=embedding_scale)
    if not s["tied"]:
        matrix("output.weight", 0, d, 0.5)
    if "rope_freqs" in s:
        r = s["rope_freqs"]
        tensors.append(dict(name="rope_freqs.weight", dims=[hd // 2], type="f32",
                            values=llama3_rope_factors(s["rope_base"], hd, r["factor"], r["low_freq_factor"],
                                                       r["high_freq_factor"], r["old_context"])))
    if "longrope" in s:
        # LongRoPE's divisors rise geometrically over the rotary pairs, from the first value to the second.
        pairs = s.get("rope_dims", hd) // 2
        for which in ("long", "short"):
            lo, hi = s["longrope"][which]
            tensors.append(dict(name=f"rope_factors_{which}.weight", dims=[pairs], type="f32",
                                values=[float(np.float32(lo * (hi / lo) ** (j / (pairs - 1)))) for j in range(pairs)]))
    for i in range(s["layers"]):
        p = f"blk.{i}."
        norm(p + "attn_norm.weight", d)
        if s.get("fused"):
            matrix(p + "attn_qkv.weight", q_dim + 2 * kv_dim, d, 1 / math.sqrt(d))
        else:
            matrix(p + "attn_q.weight", q_dim, d, 1 / math.sqrt(d))
            matrix(p + "attn_k.weight", kv_dim, d, 1 / math.sqrt(d))
            matrix(p + "attn_v.weight", kv_dim, d, 1 / math.sqrt(d))
        if s.get("qk_norm"):
            norm(p + "attn_q_norm.weight", hd)
            norm(p + "attn_k_norm.weight", hd)
        matrix(p + "attn_output.weight", d, q_dim, 1 / math.sqrt(q_dim))
        if s.get("post_norms"):
            norm(p + "post_attention_norm.weight", d)
        norm(p + "ffn_norm.weight", d)
        if s.get("fused"):
            matrix(p + "ffn_up.weight", 2 * ffn, d, 1 / math.sqrt(d))  # the gate's rows, then up's
        else:
            matrix(p + "ffn_gate.weight", ffn, d, 1 / math.sqrt(d))
            matrix(p + "ffn_up.weight", ffn, d, 1 / math.sqrt(d))
        matrix(p + "ffn_down.weight", d, ffn, 1 / math.sqrt(ffn))
        if s.get("post_norms"):
            norm(p + "post_ffw_norm.weight", d)
    for i, t in enumerate(tensors):
        if "values" not in t:
            t["seed"] = seed * 1000 + i
    return dict(vocab=s["vocab"], metadata=[dict(key=k, type=ty, value=v) for k, ty, v in keys], tensors=tensors)


# MARK: - the GGUF

def vocab_kvs(vocab):
    """The vocab fixture's tokenizer key-value entries, as raw bytes, and the vocabulary size."""
    with gzip.open(os.path.join(VOCAB_DIR, f"{vocab}.gguf.gz")) as f:
        r = Reader(f.read())
    assert r.u32() == GGUF_MAGIC and r.u32() == 3
    r.u64()
    kept, n_vocab = [], None
    for _ in range(r.u64()):
        start = r.pos
        key = r.string()
        value_type = r.u32()
        if key == "tokenizer.ggml.tokens":
            r.u32()
            n_vocab = r.u64()
            for _ in range(n_vocab):
                r.take(r.u64())
        else:
            r.skip_value(value_type)
        if key.startswith("tokenizer."):
            kept.append(r.data[start:r.pos])
    return kept, n_vocab


def encode_kv(key, ty, value):
    out = gguf_string(key) + struct.pack("<I", VALUE_TYPES[ty])
    if ty == "uint32":
        return out + struct.pack("<I", value)
    if ty == "float32":
        return out + struct.pack("<f", value)
    if ty == "bool":
        return out + struct.pack("<B", 1 if value else 0)
    return out + gguf_string(value)


def write_gguf(path, rec):
    kvs, n_vocab = vocab_kvs(rec["vocab"])
    for t in rec["tensors"]:
        if t["name"] in ("token_embd.weight", "output.weight"):
            t["dims"][1] = n_vocab
    meta = [encode_kv(m["key"], m["type"], m["value"]) for m in rec["metadata"]] + kvs
    datas = [tensor_bytes(t) for t in rec["tensors"]]
    rec["tensor_checksum"] = sum(checksum(b) for b in datas)
    infos, offset = [], 0
    for t, data in zip(rec["tensors"], datas):
        infos.append(gguf_string(t["name"]) + struct.pack("<I", len(t["dims"]))
                     + b"".join(struct.pack("<Q", x) for x in t["dims"]) + struct.pack("<IQ", GGML_TYPES[t["type"]], offset))
        offset += (len(data) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    with open(path, "wb") as f:
        f.write(struct.pack("<IIQQ", GGUF_MAGIC, 3, len(datas), len(meta)) + b"".join(meta) + b"".join(infos))
        f.write(b"\0" * (-f.tell() % ALIGNMENT))
        for data in datas:
            f.write(data)
            f.write(b"\0" * (-len(data) % ALIGNMENT))
    return n_vocab


# MARK: - llama.cpp's figures

def perplexity(scores, ids):
    rows = scores[:-1].astype(np.float64)
    top = rows.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(rows - top).sum(axis=1)) + top[:, 0]
    nll = log_z - rows[np.arange(len(ids) - 1), ids[1:]]
    return float(np.exp(nll.mean()))


def generate(name, fmt, seed):
    t0 = time.time()
    rec = recipe(name, fmt, seed)
    spec = SYNTHETIC[name]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{name}-{fmt}.gguf")
        n_vocab = write_gguf(path, rec)
        size = os.path.getsize(path)
        llm = ref.Llama(model_path=path, verbose=False, **ref.SETTINGS)
        ref.N_GEN = N_GEN
        ids = llm.tokenize(spec["logits_prompt"].encode("utf-8"), add_bos=True, special=False)
        llm.reset()
        llm.eval(ids)
        scores = np.array(llm.scores[: len(ids), :], dtype=np.float32, copy=True)
        positions = []
        for row in scores:
            top = ref.top_k(row, ref.TOP_K)
            positions.append(dict(top_ids=top, top_logits=[ref.f32(row[i]) for i in top]))
        greedy = []
        for tag, text in spec["greedy"] + [LONG_GREEDY]:
            g = ref.run_greedy(llm, text)
            greedy.append(dict(name=tag, prompt=text, prompt_ids=g["prompt_ids"], ids=g["ids"], margins=g["margins"],
                               min_margin=g["min_margin"], text=g["text"]))
            print(f"  {name}-{fmt} {tag}: min margin {g['min_margin']:.4f}: {g['text'][:50]!r}", file=sys.stderr)
        ppl = perplexity(scores, ids)
        llm.close()
    fixture = dict(
        generator="scripts/gen_synthetic_models.py",
        llama_cpp_python=ref.llama_cpp.__version__,
        llama_cpp_commit=ref.LLAMA_CPP_COMMIT,
        cpu=ref.cpu_name(),
        attention_native_f16=ref.attention_native_f16(),
        settings=dict(**ref.SETTINGS, greedy=f"argmax of the raw logits, {N_GEN} tokens, no chat template"),
        model=dict(name=f"{name}-{fmt}", architecture=spec["arch"], format=fmt, n_vocab=n_vocab, size=size),
        recipe=rec,
        logits=dict(prompt=spec["logits_prompt"], prompt_ids=ids, top_k=ref.TOP_K, positions=positions),
        greedy=greedy,
        perplexity=dict(text="the logits prompt", value=round(ppl, 6)),
    )
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, f"{name}-{fmt}.json")
    with open(out, "w", encoding="utf-8") as f:
        f.write(dumps(fixture) + "\n")
    print(f"{out}: model {size / 1e6:.1f} MB, ppl {ppl:.3f}, {time.time() - t0:.0f}s", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", help="name-format, e.g. qwen3-q8_0 (default: all)")
    args = ap.parse_args()
    wanted = [f"{n}-{f}" for n, f in VARIANTS]
    for index, variant in enumerate(wanted):
        if not args.names or variant in args.names:
            name, fmt = variant.rsplit("-", 1)
            generate(name, fmt, seed=index + 1)


if __name__ == "__main__":
    main()
