#!/usr/bin/env python3
"""Writes vocab-only GGUF files for the tokenizer tests: Tests/TransformerTests/Fixtures/vocab/<model>.gguf.gz.

Each is a GGUF v3 file with no tensors whose metadata is the catalog model's `general.architecture` and
every `tokenizer.*` key, copied byte for byte (like llama.cpp's models/ggml-vocab-*.gguf), plus
`llmrun.vocab.source` naming the model and the catalog's SHA-256 of the file it came from. TokenizerTests
loads these instead of the full models, so that `make test-fast` checks the tokenizers with no download.
The files are gzipped (mtime 0, so the same model gives the same bytes) because the vocabularies are
mostly text: about a third of their size.

Usage: scripts/gen_vocab_gguf.py [model ...]   (default: every catalog model; reads the pulled GGUFs
from $LLMRUN_HOME/models, default ~/.cache/llmrun/models; `llmrun pull <model>` first).
Only the standard library: the metadata is copied by walking the GGUF header, not by decoding it.
"""

import gzip
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "TransformerTests", "Fixtures", "vocab")
GGUF_MAGIC = 0x46554747
# GGUF metadata value types with a fixed size (spec: ggml/docs/gguf.md, `gguf_metadata_value_type`).
FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated GGUF header")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def string(self):
        return self.take(self.u64()).decode("utf-8")

    def skip_value(self, value_type):
        if value_type in FIXED_SIZES:
            self.take(FIXED_SIZES[value_type])
        elif value_type == STRING:
            self.take(self.u64())
        elif value_type == ARRAY:
            element_type, count = self.u32(), self.u64()
            if element_type in FIXED_SIZES:
                self.take(FIXED_SIZES[element_type] * count)
            else:
                for _ in range(count):
                    self.skip_value(element_type)
        else:
            raise ValueError(f"unknown GGUF value type {value_type}")


def read_header_bytes(path, size_hint=64 << 20):
    """The file's first bytes, enough for its metadata (a vocabulary of 262k tokens is ~10 MB)."""
    with open(path, "rb") as f:
        return f.read(size_hint)


def gguf_string(s):
    raw = s.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def vocab_only(path, source):
    """Returns the bytes of a tensor-less GGUF holding the kept metadata of the file at `path`."""
    r = Reader(read_header_bytes(path))
    if r.u32() != GGUF_MAGIC:
        raise ValueError(f"{path}: not a GGUF file")
    version = r.u32()
    if version != 3:
        raise ValueError(f"{path}: GGUF version {version}, expected 3")
    r.u64()  # tensor count: none are copied
    kv_count = r.u64()
    kept = []
    for _ in range(kv_count):
        start = r.pos
        key = r.string()
        r.skip_value(r.u32())
        if key == "general.architecture" or key.startswith("tokenizer."):
            kept.append(r.data[start:r.pos])
    kept.append(gguf_string("llmrun.vocab.source") + struct.pack("<I", STRING) + gguf_string(source))
    header = struct.pack("<IIQQ", GGUF_MAGIC, 3, 0, len(kept))
    return header + b"".join(kept)


def main():
    with open(os.path.join(ROOT, "models", "catalog.json")) as f:
        catalog = {m["name"]: m for m in json.load(f)["models"]}
    names = sys.argv[1:] or sorted(catalog)
    home = os.environ.get("LLMRUN_HOME", os.path.expanduser("~/.cache/llmrun"))
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in names:
        entry = catalog[name]
        path = os.path.join(home, "models", f"{name}.gguf")
        if os.path.getsize(path) != entry["size"]:
            raise SystemExit(f"{path}: {os.path.getsize(path)} bytes, the catalog says {entry['size']}; pull it again")
        data = vocab_only(path, f"{name}.gguf sha256 {entry['sha256']}")
        out = os.path.join(OUT_DIR, f"{name}.gguf.gz")
        with open(out, "wb") as f:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as z:
                z.write(data)
        print(f"{out}: {len(data)} bytes, {os.path.getsize(out)} gzipped")


if __name__ == "__main__":
    main()
