// F16 weights, as ggml's CPU backend multiplies them: the activation rounded to f16 (ggml converts src1 to
// F16, its vec_dot_type), products of the two widened to f32, summed as ggml_vec_dot_f16 sums them on x86:
// four f32 accumulators over steps of four vectors (AVX2: 8 lanes, AVX-512: 16), added pairwise (0+2, 1+3,
// then 0+1), reduced across lanes, and the elements past the last whole step added in double.
#include "row_kernels.h"

LLK_BASELINE_BEGIN

float llk_ref_f16(const uint8_t *w, const uint8_t *a, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(ldh(w + 2 * i) * ldh(a + 2 * i));
    return (float)sum;
}

// The elements after the last whole step of `step`, added in double as ggml does.
INL float f16_tail(const uint8_t *w, const uint8_t *a, int64_t from, int64_t n, double sum) {
    for (int64_t i = from; i < n; i++) sum += (double)(ldh(w + 2 * i) * ldh(a + 2 * i));
    return (float)sum;
}

INL __m256 ld8h(const uint8_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p)); }

// One weight row against NC activations (columns xs bytes apart, each with its f32 widening at `wide` bytes,
// activation.c): the weights are widened once for all NC, and each column's four accumulators take the same
// FMAs in the same order as alone, so every column gets its single-column bits.
INL void f16_dots_avx2(const uint8_t *w, const uint8_t *xq, size_t xs, size_t wide, const int NC, int64_t n, float *out) {
    const int64_t np = n & ~(int64_t)31;
    __m256 s[4][4];
    LLK_UNROLL for (int c = 0; c < NC; c++) LLK_UNROLL for (int j = 0; j < 4; j++) s[c][j] = _mm256_setzero_ps();
    for (int64_t i = 0; i < np; i += 32)
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            const __m256 wv = ld8h(w + 2 * (i + 8 * j));
            LLK_UNROLL for (int c = 0; c < NC; c++) {
                const float *x = (const float *)(const void *)(xq + (size_t)c * xs + wide);
                s[c][j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + i + 8 * j), s[c][j]);
            }
        }
    LLK_UNROLL for (int c = 0; c < NC; c++) {
        const __m256 h = _mm256_add_ps(_mm256_add_ps(s[c][0], s[c][2]), _mm256_add_ps(s[c][1], s[c][3]));
        const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
        const __m128 t1 = _mm_hadd_ps(t0, t0);
        out[c] = f16_tail(w, xq + (size_t)c * xs, np, n, (double)_mm_cvtss_f32(_mm_hadd_ps(t1, t1)));
    }
}

INL512 void f16_dots_avx512(const uint8_t *w, const uint8_t *xq, size_t xs, size_t wide, const int NC, int64_t n, float *out) {
    const int64_t np = n & ~(int64_t)63;
    __m512 s[4][4];
    LLK_UNROLL for (int c = 0; c < NC; c++) LLK_UNROLL for (int j = 0; j < 4; j++) s[c][j] = _mm512_setzero_ps();
    for (int64_t i = 0; i < np; i += 64)
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(w + 2 * (i + 16 * j))));
            LLK_UNROLL for (int c = 0; c < NC; c++) {
                const float *x = (const float *)(const void *)(xq + (size_t)c * xs + wide);
                s[c][j] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + i + 16 * j), s[c][j]);
            }
        }
    LLK_UNROLL for (int c = 0; c < NC; c++) {
        const __m512 h = _mm512_add_ps(_mm512_add_ps(s[c][0], s[c][2]), _mm512_add_ps(s[c][1], s[c][3]));
        out[c] = f16_tail(w, xq + (size_t)c * xs, np, n, (double)_mm512_reduce_add_ps(h));
    }
}

// Each row against the activations, a few per pass (AVX2: two, whose eight accumulators stay in its sixteen
// registers; AVX-512: up to four); a row (a few KiB) stays in L1 while the activations pass over it.
LLK_ROW_KERNEL(llk_rows_f16_avx2) {
    for (int64_t r = 0; r < nr; r++)
        for (int c = 0; c < nc; c += 2) {
            float out[2];
            if (nc - c >= 2) f16_dots_avx2(w + (size_t)r * rb, xq + (size_t)c * xs, xs, L->off_aux, 2, nb, out);
            else f16_dots_avx2(w + (size_t)r * rb, xq + (size_t)c * xs, xs, L->off_aux, 1, nb, out);
            for (int i = 0; i < 2 && c + i < nc; i++) y[(int64_t)(c + i) * ldy + r] = out[i];
        }
}

T512 LLK_ROW_KERNEL(llk_rows_f16_avx512) {
    for (int64_t r = 0; r < nr; r++)
        for (int c = 0; c < nc; c += 4) {
            float out[4];
            const uint8_t *wr = w + (size_t)r * rb, *x = xq + (size_t)c * xs;
            switch (nc - c) {
            case 1: f16_dots_avx512(wr, x, xs, L->off_aux, 1, nb, out); break;
            case 2: f16_dots_avx512(wr, x, xs, L->off_aux, 2, nb, out); break;
            case 3: f16_dots_avx512(wr, x, xs, L->off_aux, 3, nb, out); break;
            default: f16_dots_avx512(wr, x, xs, L->off_aux, 4, nb, out); break;
            }
            for (int i = 0; i < 4 && c + i < nc; i++) y[(int64_t)(c + i) * ldy + r] = out[i];
        }
}

LLK_BASELINE_END
