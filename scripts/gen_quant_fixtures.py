#!/usr/bin/env python3
"""Writes the dequantization fixtures of Tests/TensorTests/Fixtures/quant/.

For every supported ggml type it records raw block bytes and the float32 values gguf-py's
reference `gguf.quants.dequantize` produces from them, stored exactly (hex of the
little-endian float32 bytes), so the Swift tests can compare bit for bit.

Two kinds of fixture file, both named `<TYPE>.<source>.json`:
  * `<TYPE>.synthetic.json`: seeded random data. Types gguf-py can quantize are quantized
    with `gguf.quants.quantize`; every block type also gets random raw blocks (all bit
    patterns of the quants) whose f16 scale fields are overwritten with small finite values.
  * `<TYPE>.<model>.json`: a few rows of real tensors of that type from the catalog models, and
    from smollm2-135m quantized by llama.cpp's `llama-quantize` to IQ4_NL and IQ4_XS (whose
    files the catalog does not have).

Usage (needs numpy and gguf: `pip install gguf numpy`, or numpy alone with llama.cpp's gguf-py,
which is taken from $LLMRUN_REF/llama.cpp/gguf-py when no gguf package is installed):
    python3 scripts/gen_quant_fixtures.py [--models DIR] [--out DIR] [--only TYPE ...]
The models are looked up in DIR (default /root/.cache/llmrun/extract); missing ones are
skipped with a warning, so the synthetic fixtures can always be regenerated. The IQ4 models:
    llama-quantize --allow-requantize smollm2-135m.gguf DIR/smollm2-135m-IQ4_NL.gguf IQ4_NL
    llama-quantize --allow-requantize smollm2-135m.gguf DIR/smollm2-135m-IQ4_XS.gguf IQ4_XS
`--only` writes the fixtures of the named types and no others.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path

import numpy as np

try:
    import gguf
    GGUF_PY_SOURCE = None
except ModuleNotFoundError:
    GGUF_PY_SOURCE = Path(os.environ.get("LLMRUN_REF", "/root/.cache/llmrun-ref")) / "llama.cpp" / "gguf-py"
    sys.path.insert(0, str(GGUF_PY_SOURCE))
    import gguf
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "Tests" / "TensorTests" / "Fixtures" / "quant"
DEFAULT_MODELS = Path("/root/.cache/llmrun/extract")

# The types the Swift code dequantizes. Type i's synthetic data is seeded with SEED + i: new types go at
# the end, so that the others' fixtures stay as they are.
TYPES = [T.F32, T.F16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
         T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K, T.Q8_K, T.BF16, T.IQ4_NL, T.IQ4_XS]

# Byte offsets of the scale fields of each block type: (offset, kind), kind "f16" or "f32".
# Random raw blocks get these overwritten so that scales are small and finite.
SCALE_FIELDS = {
    T.Q4_0: [(0, "f16")],
    T.Q4_1: [(0, "f16"), (2, "f16")],
    T.Q5_0: [(0, "f16")],
    T.Q5_1: [(0, "f16"), (2, "f16")],
    T.Q8_0: [(0, "f16")],
    T.Q2_K: [(80, "f16"), (82, "f16")],
    T.Q3_K: [(108, "f16")],
    T.Q4_K: [(0, "f16"), (2, "f16")],
    T.Q5_K: [(0, "f16"), (2, "f16")],
    T.Q6_K: [(208, "f16")],
    T.Q8_K: [(0, "f32")],
    T.IQ4_NL: [(0, "f16")],
    T.IQ4_XS: [(0, "f16")],
}

# Model files and the types taken from them (None: every type in TYPES).
MODELS = [
    ("SmolLM2-135M-Instruct.Q4_1.gguf", None),
    ("gemma-3-270m-q4_k_m.gguf", None),
    ("qwen2.5-0.5b.gguf", None),
    ("smollm2-135m-IQ4_NL.gguf", {T.IQ4_NL}),
    ("smollm2-135m-IQ4_XS.gguf", {T.IQ4_XS}),
]

MAX_FIXTURE_BYTES = 120_000  # keep every fixture file well under 200 KB
SEED = 20240611


# MARK: - Reference dequantization

def reference_dequantize(raw: np.ndarray, qtype: T) -> tuple[np.ndarray, str]:
    """Dequantizes rows of raw bytes (uint8, shape (rows, bytes_per_row)) with gguf-py.

    gguf-py has no Q8_K; for it the ggml formula `y = d * q` is evaluated in numpy float32.
    """
    assert raw.dtype == np.uint8 and raw.ndim == 2
    if qtype == T.Q8_K:
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        blocks = raw.reshape(-1, type_size)
        d = blocks[:, 0:4].copy().view(np.float32)
        qs = blocks[:, 4:4 + block_size].copy().view(np.int8).astype(np.float32)
        out = (d * qs).reshape(raw.shape[0], -1)
        return out.astype(np.float32), "numpy float32 d*q (gguf-py has no Q8_K dequantizer)"
    out = gguf.quants.dequantize(raw, qtype)
    assert out.dtype == np.float32
    return np.ascontiguousarray(out), f"gguf.quants.dequantize (gguf {gguf_version()})"


def gguf_version() -> str:
    if GGUF_PY_SOURCE is None:
        return importlib.metadata.version("gguf")
    for line in (GGUF_PY_SOURCE / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=")[1].strip().strip('"')
    raise RuntimeError(f"no version in {GGUF_PY_SOURCE}/pyproject.toml")


def make_case(name: str, raw: np.ndarray, qtype: T, rows: list[int] | None = None) -> dict:
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    expected, reference = reference_dequantize(raw, qtype)
    row_length = raw.shape[1] // type_size * block_size
    assert expected.shape == (raw.shape[0], row_length), (expected.shape, raw.shape)
    case = {
        "name": name,
        "reference": reference,
        "rowCount": int(raw.shape[0]),
        "rowLength": int(row_length),
        "dataHex": raw.tobytes().hex(),
        # Exact: the float32 values' little-endian bytes, not decimal text.
        "expectedF32Hex": expected.astype("<f4").tobytes().hex(),
    }
    if rows is not None:
        case["sourceRows"] = rows
    return case


# MARK: - Synthetic data

def synthetic_floats(rng: np.random.Generator, rows: int, row_length: int) -> np.ndarray:
    """Normal values at a few magnitudes, plus constant, zero and outlier blocks."""
    x = rng.standard_normal((rows, row_length)).astype(np.float32)
    magnitudes = np.array([1e-3, 0.05, 1.0, 30.0], dtype=np.float32)
    x *= magnitudes[np.arange(rows) % len(magnitudes)][:, None]
    x[0, :32] = 0.0                 # an all-zero block: d == 0
    x[0, 32:64] = 0.25              # a constant block
    x[1, 40] = 1000.0               # an outlier dominates its block
    return x


def random_blocks(rng: np.random.Generator, qtype: T, rows: int, row_length: int) -> np.ndarray:
    """Random raw blocks with small finite scale fields (some negative, some zero)."""
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    blocks_per_row = row_length // block_size
    raw = rng.integers(0, 256, size=(rows * blocks_per_row, type_size), dtype=np.uint8)
    n = raw.shape[0]
    for offset, kind in SCALE_FIELDS[qtype]:
        scale = (rng.uniform(1e-4, 0.1, size=n) * rng.choice([-1.0, 1.0], size=n)).astype(np.float32)
        scale[0] = 0.0
        if kind == "f16":
            field = scale.astype(np.float16).view(np.uint8).reshape(n, 2)
            raw[:, offset:offset + 2] = field
        else:
            field = scale.view(np.uint8).reshape(n, 4)
            raw[:, offset:offset + 4] = field
    return raw.reshape(rows, blocks_per_row * type_size)


def special_floats() -> np.ndarray:
    """Edge values for the plain float types (quiet NaNs only: signaling NaNs may be quieted)."""
    values = [0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, -np.nan,
              65504.0, 70000.0, 6.0e-8, 1.0e-7, -3.0e-5, 6.1035156e-05, 1e-40, 3.0e38]
    return np.array(values, dtype=np.float32)


def synthetic_fixture(qtype: T, rng: np.random.Generator) -> dict:
    cases = []
    if qtype in (T.F32, T.F16, T.BF16):
        rows, row_length = 3, 64
        x = synthetic_floats(rng, rows, row_length)
        x[2, :16] = special_floats()
        with np.errstate(over="ignore"):  # 70000 and 3e38 overflow F16 to inf, on purpose
            quantized = gguf.quants.quantize(x, qtype)
        raw = np.ascontiguousarray(quantized).view(np.uint8).reshape(rows, -1)
        cases.append(make_case("quantized", raw, qtype))
        # Every 16-bit pattern's neighbourhood is hit by random bits; fix NaN patterns to quiet ones.
        if qtype != T.F32:
            bits = rng.integers(0, 1 << 16, size=(rows, row_length), dtype=np.uint16)
            if qtype == T.F16:
                nan = (bits & 0x7C00) == 0x7C00
                bits = np.where(nan & ((bits & 0x03FF) != 0), bits | 0x0200, bits)
            else:
                nan = ((bits & 0x7F80) == 0x7F80) & ((bits & 0x007F) != 0)
                bits = np.where(nan, bits | 0x0040, bits)
            cases.append(make_case("random-bits", bits.astype("<u2").view(np.uint8), qtype))
        return cases

    block_size, _ = GGML_QUANT_SIZES[qtype]
    rows = 4
    row_length = 2 * block_size if block_size == 256 else 8 * block_size
    try:
        quantized = gguf.quants.quantize(synthetic_floats(rng, rows, row_length), qtype)
        cases.append(make_case("quantized", quantized.view(np.uint8).reshape(rows, -1), qtype))
    except NotImplementedError:
        pass  # gguf-py only dequantizes this type
    cases.append(make_case("random-blocks", random_blocks(rng, qtype, rows, row_length), qtype))
    return cases


# MARK: - Rows of real tensors

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def model_fixtures(path: Path) -> dict[T, list[dict]]:
    """Up to two tensors per type, first/middle/last rows, within the fixture size budget."""
    reader = gguf.GGUFReader(path)
    by_type: dict[T, list] = {}
    for tensor in reader.tensors:
        if tensor.tensor_type in TYPES:
            by_type.setdefault(tensor.tensor_type, []).append(tensor)

    result = {}
    for qtype, tensors in by_type.items():
        # Prefer variety: the first tensor and one from the middle of the file.
        chosen = [tensors[0]] if len(tensors) == 1 else [tensors[0], tensors[len(tensors) // 2]]
        cases, size = [], 0
        for tensor in chosen:
            raw = np.asarray(tensor.data).view(np.uint8)
            raw = raw.reshape(-1, raw.shape[-1]) if raw.ndim > 1 else raw.reshape(1, -1)
            n_rows = raw.shape[0]
            picks = sorted({0, n_rows // 2, n_rows - 1})
            block_size, type_size = GGML_QUANT_SIZES[qtype]
            row_cost = raw.shape[1] * 2 + raw.shape[1] // type_size * block_size * 8
            budget = (MAX_FIXTURE_BYTES - size) // row_cost
            picks = picks[:max(0, budget)]
            if not picks:
                continue
            case = make_case(tensor.name, raw[picks], qtype, rows=picks)
            size += len(case["dataHex"]) + len(case["expectedF32Hex"])
            cases.append(case)
        if cases:
            result[qtype] = cases
    return result


# MARK: - Output

def write_fixture(out_dir: Path, qtype: T, source: str, sha256: str | None, cases: list[dict], seed: int | None):
    fixture = {
        "type": qtype.name,
        "typeId": int(qtype.value),
        "ggufPyVersion": gguf_version(),
        "numpyVersion": np.__version__,
        "generator": "scripts/gen_quant_fixtures.py",
        "source": source,
        "sourceSHA256": sha256,
        "seed": seed,
        "cases": cases,
    }
    path = out_dir / f"{qtype.name}.{source.removesuffix('.gguf')}.json"
    path.write_text(json.dumps(fixture, indent=1) + "\n")
    size = path.stat().st_size
    assert size < 200_000, f"{path.name} is {size} bytes"
    print(f"  {path.name}: {len(cases)} case(s), {size} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="+", metavar="TYPE", help="ggml type names, e.g. IQ4_NL IQ4_XS")
    args = parser.parse_args()
    wanted = {T[name] for name in args.only} if args.only else set(TYPES)
    args.out.mkdir(parents=True, exist_ok=True)

    print(f"gguf {gguf_version()}, numpy {np.__version__}")
    for index, qtype in enumerate(TYPES):
        if qtype not in wanted:
            continue
        rng = np.random.default_rng(SEED + index)
        write_fixture(args.out, qtype, "synthetic", None, synthetic_fixture(qtype, rng), SEED + index)

    for name, model_types in MODELS:
        path = args.models / name
        if not path.exists():
            print(f"warning: {path} not found, skipping", file=sys.stderr)
            continue
        sha256 = sha256_of(path)
        print(f"{name} (sha256 {sha256})")
        for qtype, cases in model_fixtures(path).items():
            if qtype not in wanted or (model_types is not None and qtype not in model_types):
                continue
            write_fixture(args.out, qtype, name, sha256, cases, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
