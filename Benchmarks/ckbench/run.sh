#!/bin/sh
# Builds and runs the CKernels micro-benchmark with the CKernels target's flags.
set -e
cd "$(dirname "$0")/../.."
clang -O3 -mavx2 -mfma -mf16c -ISources/CKernels/include Sources/CKernels/ckernels.c Sources/CKernels/gemm.c Benchmarks/ckbench/ckbench.c -o /tmp/ckbench -lm
/tmp/ckbench "$@"
