#!/bin/sh
# Builds and runs the CKernels micro-benchmark. The kernels carry their own ISA targets (block_simd.h), so
# no -m flags. OPT chooses the optimization level (default -O3, as `make test` builds them; -O2 is what
# SwiftPM uses for a package that depends on this one): OPT=-O2 Benchmarks/ckbench/run.sh
# OUT names the binary (default /tmp/ckbench); NORUN=1 only builds it.
set -e
cd "$(dirname "$0")/../.."
OPT="${OPT:--O3}"
OUT="${OUT:-/tmp/ckbench}"
clang $OPT -ISources/CKernels/include Sources/CKernels/*.c Benchmarks/ckbench/ckbench.c -o "$OUT" -lm
[ -n "$NORUN" ] || "$OUT" "$@"
