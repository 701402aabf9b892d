#!/bin/sh
# Builds and runs the CKernels micro-benchmark. The kernels carry their own ISA targets (block_simd.h), so
# no -m flags: -O3 only, as `make test` builds them.
set -e
cd "$(dirname "$0")/../.."
clang -O3 -ISources/CKernels/include Sources/CKernels/*.c Benchmarks/ckbench/ckbench.c -o /tmp/ckbench -lm
/tmp/ckbench "$@"
