#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (Fuzz/README.md) at run time, from the catalog models'
GGUF headers and the shared articles; nothing it writes is committed.

usage: make-seeds.py OUTPUT_DIR MODELS_DIR ARTICLES_DIR

GGUF seeds per model: the first 256 KiB of the file (the issue's "real headers"; parsing stops inside
the vocabulary), and a complete miniature of the same model: every metadata key, arrays cut to the
first tokens, one block, dimensions shrunk, F32 zeros as data — small enough for the fuzzer, and valid
all the way through the tokenizer and the weight loader, so mutations start from deep inside.
Text seeds: chunks of the articles (UTF-8, and GB18030 for the Chinese ones), plus a few edge cases.
"""
import json
import os
import struct
import sys

VOCAB = 320  # tokens kept in a miniature model
EMBED, HEADS, KV_HEADS, HEAD_DIM, FF = 8, 2, 1, 4, 16

# GGUF value types (ggml/docs/gguf.md)
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take("<Q")
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s

    def value(self, t):
        if t == STR:
            return self.string()
        if t == ARR:
            et, n = self.take("<I"), self.take("<Q")
            return (et, [self.value(et) for _ in range(n)])
        return self.take(SCALAR[t])


def read_header(path):
    """(metadata [(key, type, value)], tensors [(name, dims, type, offset)]) of a GGUF file."""
    with open(path, "rb") as f:
        data = f.read(64 << 20)  # the catalog models' headers are far smaller
    r = Reader(data)
    assert r.take("<I") == 0x46554747, path
    r.take("<I")
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    meta = []
    for _ in range(n_kv):
        key = r.string().decode()
        t = r.take("<I")
        meta.append((key, t, r.value(t)))
    tensors = []
    for _ in range(n_tensors):
        name = r.string().decode()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        tensors.append((name, dims, r.take("<I"), r.take("<Q")))
    return meta, tensors


def write_value(out, t, v):
    if t == STR:
        out += struct.pack("<Q", len(v)) + v
    elif t == ARR:
        et, items = v
        out += struct.pack("<IQ", et, len(items))
        for item in items:
            write_value(out, et, item)
    else:
        out += struct.pack(SCALAR[t], v)


def miniature(path):
    meta, tensors = read_header(path)
    values = {k: v for k, _, v in meta}
    arch = values["general.architecture"].decode()
    real = lambda key, default=None: values.get(f"{arch}.{key}", default)
    embed, heads = real("embedding_length"), real("attention.head_count")
    kv_heads = real("attention.head_count_kv", heads)
    head_dim = real("attention.key_length", embed // heads)
    vocab = len(values["tokenizer.ggml.tokens"][1])
    # Real dimension → miniature dimension (by value: in these models no two roles share a value that
    # would need different miniature values).
    shrink = {embed: EMBED, real("feed_forward_length"): FF, vocab: VOCAB, kv_heads * head_dim: KV_HEADS * HEAD_DIM,
              head_dim: HEAD_DIM, heads * head_dim: HEADS * HEAD_DIM}
    overrides = {"embedding_length": EMBED, "feed_forward_length": FF, "block_count": 1, "attention.head_count": HEADS,
                 "attention.head_count_kv": KV_HEADS, "context_length": 64, "attention.key_length": HEAD_DIM,
                 "attention.value_length": HEAD_DIM, "rope.dimension_count": HEAD_DIM}
    out = bytearray()
    kept = [t for t in tensors if not t[0].startswith("blk.") or t[0].startswith("blk.0.")]
    body = bytearray()
    for key, t, v in meta:
        if key.startswith(arch + ".") and key[len(arch) + 1:] in overrides:
            v = overrides[key[len(arch) + 1:]]
            t = U32 if t in (U32, I32, U64) else t
        elif t == ARR:
            v = (v[0], v[1][:VOCAB])
        elif key.startswith("tokenizer.ggml.") and key.endswith("_token_id") and v >= VOCAB:
            v = VOCAB - 1
        body += struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", t)
        write_value(body, t, v)
    offset = 0
    infos = bytearray()
    for name, dims, _, _ in kept:
        small = [shrink.get(d, d) for d in dims]
        infos += struct.pack("<Q", len(name)) + name.encode() + struct.pack("<I", len(small))
        infos += b"".join(struct.pack("<Q", d) for d in small) + struct.pack("<IQ", 0, offset)  # type 0 = F32
        count = 1
        for d in small:
            count *= d
        offset += (count * 4 + 31) // 32 * 32
    out += struct.pack("<IIQQ", 0x46554747, 3, len(kept), len(meta)) + body + infos
    out += b"\0" * ((-len(out)) % 32) + b"\0" * offset
    return bytes(out)


def chunks(text, size, limit):
    data = text.encode()
    pieces, start = [], 0
    while start < len(data) and len(pieces) < limit:
        end = min(start + size, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end += 1  # keep characters whole
        pieces.append(data[start:end])
        start = end
    return pieces


# FuzzRequestBody: the first byte picks the route (bits 0-1: chat completions, completions, summarize, ask),
# the vocabulary (bits 2-3) and a small context (bit 4); the rest is the body.
CHAT, COMPLETION, SUMMARY, ASK = 0, 1, 2, 3
REQUEST_BODIES = [
    (CHAT, '{"model": "smollm2-135m", "messages": [{"role": "user", "content": "Name three colors."}], "max_tokens": 12, "temperature": 0}'),
    (CHAT, '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "hi"}, '
           '{"type": "text", "text": "there"}]}, {"role": "assistant", "content": null}, {"role": "developer", "content": ""}], '
           '"stream": true, "stream_options": {"include_usage": true}, "stop": ["\\n", "END"], "seed": -1, "n": 1}'),
    (CHAT, '{"messages": [{"role": "user", "content": "\\u4f60\\u597d <|im_start|> \\ud83e\\udd99"}], "top_p": 0.5, "top_k": 0, '
           '"min_p": 1, "presence_penalty": -2, "frequency_penalty": 2, "max_completion_tokens": 1, "stop": "x"}'),
    (CHAT, '{"messages": [], "max_tokens": 0}'),
    (CHAT, '{"messages": [{"role": "tool", "content": "x"}], "temperature": 1e309, "n": 2}'),
    (CHAT, '{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}'),
    (CHAT, '{"messages": "hi", "max_tokens": "ten", "temperature": null, "stop": 3}'),
    (COMPLETION, '{"prompt": "The capital of France is", "max_tokens": 5, "temperature": 0}'),
    (COMPLETION, '{"prompt": ["Once upon a time"], "stream": true, "seed": 9223372036854775807}'),
    (COMPLETION, '{"prompt": [1, 2, 3, 4], "max_tokens": 4096}'),
    (COMPLETION, '{"prompt": [1, -5, 2147483648], "max_tokens": -1}'),
    (COMPLETION, '{"prompt": ["a", "b"]}'),
    (COMPLETION, '{"prompt": "", "max_tokens": 1}'),
    (COMPLETION, '{"prompt": "<|endoftext|><start_of_turn>user\\n", "top_k": -1, "stop": ["a", "b", "c", "d", "e"]}'),
    (SUMMARY, '{"text": "The council met on Monday. The park will cover ten hectares. Work starts in spring.", "length": "short"}'),
    (SUMMARY, '{"text": "   ", "length": "huge"}'),
    (SUMMARY, '{"text": "<p>Hello <b>world</b>.</p> &amp; Dr. Smith said 3.5 e.g. U.S.", "stream": true, "model": "other"}'),
    (SUMMARY, '{"length": "long"}'),
    (ASK, '{"articles": [{"text": "The park will cover ten hectares.", "name": "a.txt"}, {"text": "Work starts in spring."}], "question": "When?"}'),
    (ASK, '{"articles": [], "question": " ", "stream": true}'),
    (ASK, '{"articles": [{"text": 3, "name": ""}], "question": null, "model": "other"}'),
]


def request_bodies(write, texts):
    edge = [b"", b"{", b"[1, 2]", b"null", b"{}", b'{"messages": [{"role": "user", "content": "\xe4\xb8"}]}',
            b"[" * 600 + b"]" * 600, b'{"a": 1e999999, "b": -0.0, "c": "\\ud800"}']
    for i, (route, body) in enumerate(REQUEST_BODIES):
        for control in (route, route | 0x04, route | 0x08, route | 0x10):
            write("FuzzRequestBody", f"body{i:02d}-{control:02x}", bytes([control]) + body.encode())
    for i, body in enumerate(edge):
        for route in (CHAT, COMPLETION, SUMMARY, ASK):
            write("FuzzRequestBody", f"edge{i}-{route}", bytes([route]) + body)
    for name, text in texts[:4]:
        body = json.dumps({"text": text[:3000], "length": "medium"}, ensure_ascii=False).encode()
        write("FuzzRequestBody", f"summarize-{name}", bytes([SUMMARY]) + body)
        body = json.dumps({"messages": [{"role": "user", "content": text[:1500]}]}, ensure_ascii=False).encode()
        write("FuzzRequestBody", f"chat-{name}", bytes([CHAT | 0x10]) + body)


def main():
    out, models, articles = sys.argv[1:4]
    def write(target, name, data):
        os.makedirs(os.path.join(out, target), exist_ok=True)
        with open(os.path.join(out, target, name), "wb") as f:
            f.write(data)

    for model in sorted(os.listdir(models)):
        if not model.endswith(".gguf"):
            continue
        path = os.path.join(models, model)
        with open(path, "rb") as f:
            write("FuzzGGUF", model + ".head", f.read(256 << 10))
        write("FuzzGGUF", model + ".mini", miniature(path))
    write("FuzzGGUF", "empty-v3", struct.pack("<IIQQ", 0x46554747, 3, 0, 0))
    # Inputs that once broke a target (Tests/TransformerTests/Fixtures/fuzz/<prefix>-*.input) seed it again.
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TransformerTests", "Fixtures", "fuzz")
    prefixes = {"gguf": "FuzzGGUF", "tokenizer": "FuzzTokenizer", "detokenizer": "FuzzDetokenizer",
                "textdecoder": "FuzzTextDecoder", "textcleaner": "FuzzTextCleaner", "requestbody": "FuzzRequestBody"}
    for name in sorted(os.listdir(fixtures)) if os.path.isdir(fixtures) else []:
        target = prefixes.get(name.split("-")[0])
        if target:
            with open(os.path.join(fixtures, name), "rb") as f:
                write(target, "regression-" + name, f.read())

    texts = []
    for name in sorted(os.listdir(articles)):
        if name.endswith(".txt"):
            with open(os.path.join(articles, name), encoding="utf-8") as f:
                texts.append((name, f.read()))
    special = "<|im_start|>user\nSummarize: 你好 world<|im_end|>\n<|im_start|>assistant\n<start_of_turn>model\n<s></s><unk>"
    edge = ["", " ", "\n\n", "3333 33333", "  leading", "🦙🦙 emoji", "Привет мир", "\u2581word \u2581\u2581", "a\u0301 e\u0301", special]
    for i, text in enumerate(edge):
        for control in range(16):
            write("FuzzTokenizer", f"edge{i}-{control:02d}", bytes([control]) + text.encode())
        write("FuzzDetokenizer", f"edge{i}", bytes([i % 8]) + text.encode())
        write("FuzzTextCleaner", f"edge{i}", bytes([40]) + text.encode())
        write("FuzzTextDecoder", f"edge{i}", text.encode())
    for name, text in texts:
        for j, piece in enumerate(chunks(text, 1024, 8)):
            write("FuzzTokenizer", f"{name}.{j}", bytes([j % 16]) + piece)
            write("FuzzDetokenizer", f"{name}.{j}", bytes([j % 8]) + piece)
        for j, piece in enumerate(chunks(text, 4096, 4)):
            write("FuzzTextCleaner", f"{name}.{j}", bytes([j * 60]) + piece)
            write("FuzzTextDecoder", f"{name}.{j}", piece)
            decoded = piece.decode()
            if any("\u4e00" <= c <= "\u9fff" for c in decoded):
                try:
                    write("FuzzTextDecoder", f"{name}.{j}.gb18030", decoded.encode("gb18030"))
                    write("FuzzTextCleaner", f"{name}.{j}.gb18030", bytes([80]) + decoded.encode("gb18030"))
                except UnicodeEncodeError:
                    pass
    write("FuzzTextDecoder", "utf16le", "\ufeffhello".encode("utf-16-le"))
    write("FuzzTextDecoder", "crlf", b"one\r\ntwo\rthree\n")
    request_bodies(write, texts)
    write("FuzzTextCleaner", "markup", bytes([20]) + b"<p>Hello <b>world</b>.</p>\n&amp; Dr. Smith said 3.5 e.g. U.S.\n\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82")


if __name__ == "__main__":
    main()
