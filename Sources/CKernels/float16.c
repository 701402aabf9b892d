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

INL float f16_dot_avx2(const uint8_t *w, const uint8_t *a, int64_t n) {
    const int64_t np = n & ~(int64_t)31;
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t i = 0; i < np; i += 32)
        LLK_UNROLL for (int j = 0; j < 4; j++) s[j] = _mm256_fmadd_ps(ld8h(w + 2 * (i + 8 * j)), ld8h(a + 2 * (i + 8 * j)), s[j]);
    s[0] = _mm256_add_ps(s[0], s[2]);
    s[1] = _mm256_add_ps(s[1], s[3]);
    s[0] = _mm256_add_ps(s[0], s[1]);
    const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(s[0]), _mm256_extractf128_ps(s[0], 1));
    const __m128 t1 = _mm_hadd_ps(t0, t0);
    return f16_tail(w, a, np, n, (double)_mm_cvtss_f32(_mm_hadd_ps(t1, t1)));
}

T512 static float f16_dot_avx512(const uint8_t *w, const uint8_t *a, int64_t n) {
    const int64_t np = n & ~(int64_t)63;
    __m512 s[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int64_t i = 0; i < np; i += 64)
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            const __m512 x = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(w + 2 * (i + 16 * j))));
            const __m512 y = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + 2 * (i + 16 * j))));
            s[j] = _mm512_fmadd_ps(x, y, s[j]);
        }
    s[0] = _mm512_add_ps(s[0], s[2]);
    s[1] = _mm512_add_ps(s[1], s[3]);
    s[0] = _mm512_add_ps(s[0], s[1]);
    return f16_tail(w, a, np, n, (double)_mm512_reduce_add_ps(s[0]));
}

// Each row against each activation; a row (a few KiB) stays in L1 while the activations pass over it.
LLK_ROW_KERNEL(llk_rows_f16_avx2) {
    (void)L;
    for (int64_t r = 0; r < nr; r++)
        for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r] = f16_dot_avx2(w + (size_t)r * rb, xq + (size_t)c * xs, nb);
}

T512 LLK_ROW_KERNEL(llk_rows_f16_avx512) {
    (void)L;
    for (int64_t r = 0; r < nr; r++)
        for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r] = f16_dot_avx512(w + (size_t)r * rb, xq + (size_t)c * xs, nb);
}

LLK_BASELINE_END
