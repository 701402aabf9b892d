// Quantized dot-product kernels for llmrun's decode and prefill paths, in C because Swift does not
// emit vpmaddubsw / vpdpbusd (see BENCHMARKS.md). Coarse entry points: one call per matrix-vector
// product (or row range), never per block.
#pragma once
#include <stddef.h>
#include <stdint.h>
