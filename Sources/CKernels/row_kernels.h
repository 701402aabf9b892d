// The frame of the row kernels (quant_legacy.c, quant_k.c): a "body" computes one weight row (or a few)
// against NC (1..4, a compile-time constant after inlining) activation vectors, reading each weight block
// once; GEN_ROWS* wrap a body into an llk_row_kernel / llk_group_kernel. Private to CKernels.
#pragma once
#include "block_simd.h"
#include "formats.h"

LLK_BASELINE_BEGIN

#define GEN_ROWS(name, body, attr)                                                                     \
    attr LLK_ROW_KERNEL(name) {                                                                        \
        for (int64_t r = 0; r < nr; r++) {                                                             \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            float o[4];                                                                                \
            switch (nc) {                                                                              \
            case 1: body(wr, rb, xq, xs, 1, nb, L, o); break;                                              \
            case 2: body(wr, rb, xq, xs, 2, nb, L, o); break;                                              \
            case 3: body(wr, rb, xq, xs, 3, nb, L, o); break;                                              \
            default: body(wr, rb, xq, xs, 4, nb, L, o); break;                                             \
            }                                                                                          \
            for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r] = o[c];                               \
        }                                                                                              \
    }


// Multi-row variant: bodies take (w, row_bytes, NR, ...) and write out[r*4 + c]; matvec (nc == 1) runs
// 4 rows at a time (independent accumulators, activation loads shared), matmul 2 rows x up to 4 columns.
#define GEN_ROWS_MR(name, body, attr)                                                                  \
    attr LLK_ROW_KERNEL(name) {                                                                        \
        int64_t r = 0;                                                                                 \
        float o[16];                                                                                   \
        const int nrg = nc == 1 ? 4 : 2;                                                               \
        for (; r + nrg <= nr; r += nrg) {                                                              \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            switch (nc) {                                                                              \
            case 1: body(wr, rb, 4, xq, xs, 1, nb, L, o); break;                                       \
            case 2: body(wr, rb, 2, xq, xs, 2, nb, L, o); break;                                       \
            case 3: body(wr, rb, 2, xq, xs, 3, nb, L, o); break;                                       \
            default: body(wr, rb, 2, xq, xs, 4, nb, L, o); break;                                      \
            }                                                                                          \
            for (int i = 0; i < nrg; i++)                                                              \
                for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r + i] = o[i * 4 + c];               \
        }                                                                                              \
        for (; r < nr; r++) {                                                                          \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            switch (nc) {                                                                              \
            case 1: body(wr, rb, 1, xq, xs, 1, nb, L, o); break;                                       \
            case 2: body(wr, rb, 1, xq, xs, 2, nb, L, o); break;                                       \
            case 3: body(wr, rb, 1, xq, xs, 3, nb, L, o); break;                                       \
            default: body(wr, rb, 1, xq, xs, 4, nb, L, o); break;                                      \
            }                                                                                          \
            for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r] = o[c];                               \
        }                                                                                              \
    }

// Rows interleaved by 8 (llk_interleave_rows): bodies take one group (8 rows, block by block) and write
// out[r*4 + c]; nr is a multiple of 8 and groups are 8 * row_bytes apart.
// Groups of blocks the software prefetch runs ahead of the one being read.
enum { X8_AHEAD = 4 };
#define GEN_ROWS_X8(name, body, attr)                                                                  \
    attr LLK_GROUP_KERNEL(name) {                                                                      \
        for (int64_t r = 0; r < nr; r += 8) {                                                          \
            const uint8_t *wg = w + (size_t)r * rb;                                                    \
            float o[32];                                                                               \
            switch (nc) {                                                                              \
            case 1: body(wg, xq, xs, 1, nb, o); break;                                                 \
            case 2: body(wg, xq, xs, 2, nb, o); break;                                                 \
            case 3: body(wg, xq, xs, 3, nb, o); break;                                                 \
            default: body(wg, xq, xs, 4, nb, o); break;                                                \
            }                                                                                          \
            for (int i = 0; i < 8; i++)                                                                \
                for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r + i] = o[i * 4 + c];               \
        }                                                                                              \
    }

INL float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
INL float hsum4(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

LLK_BASELINE_END
