// Quantized dot-product kernels for llmrun's decode and prefill paths, in C because Swift does not
// emit vpmaddubsw / vpdpbusd (see BENCHMARKS.md). Coarse entry points: one call per matrix-vector
// product (or row range), never per block.
#pragma once
#include <stddef.h>
#include <stdint.h>
int llk_supported(int ggml_type);
size_t llk_activation_bytes(int ggml_type, int64_t n);
void llk_quantize_activation(int ggml_type, const float *x, void *xq, int64_t n);
void llk_matvec(int ggml_type, const void *w, size_t row_bytes, const void *xq, int64_t n, float *y, int64_t row_begin, int64_t row_end);
void llk_matmul(int ggml_type, const void *w, size_t row_bytes, const void *xq, size_t xq_stride, int64_t ncols, int64_t n, float *y, int64_t ldy, int64_t row_begin, int64_t row_end);
