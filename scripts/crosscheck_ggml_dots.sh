#!/bin/sh
# Builds scripts/crosscheck_ggml_dots.c against CKernels and llama.cpp's CPU backend (scripts/build-llama-cpp.sh
# builds it) and runs it at every ISA level this machine has: CKernels' IQ4 and Q3_K kernels give the bits of llama.cpp's.
set -e
cd "$(dirname "$0")/.."
LIB="${LLMRUN_REF:-/root/.cache/llmrun-ref}/llama.cpp/build/bin"
OUT="${OUT:-/tmp/crosscheck_ggml_dots}"
clang -O3 -ISources/CKernels/include Sources/CKernels/*.c scripts/crosscheck_ggml_dots.c -o "$OUT" \
    -L"$LIB" -lggml-cpu -lggml-base -Wl,-rpath,"$LIB" -lm
"$OUT"
