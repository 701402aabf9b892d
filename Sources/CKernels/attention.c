// One query head's attention over f16 keys and values, with the arithmetic of llama.cpp's CPU flash
// attention (ggml_compute_forward_flash_attn_ext_f16_one_chunk, AVX-512 build): the query rounded to f16,
// q·k summed in four accumulators of 16 lanes then a tree, an online softmax over the keys in order, and
// the weighted sum of values accumulated in f16. AVX2 only: 16 lanes are two 8-lane registers, which
// gives the same per-lane arithmetic, hence the same bits.
#include "ckernels.h"
#include <immintrin.h>
#include <math.h>

static inline float dot_f16_ggml_order(const float *q, const uint16_t *k, int64_t n) {
    __m256 a[4][2];
    for (int j = 0; j < 4; j++) { a[j][0] = _mm256_setzero_ps(); a[j][1] = _mm256_setzero_ps(); }
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int j = 0; j < 4; j++) {
            for (int h = 0; h < 2; h++) {
                const int64_t o = i + 16 * j + 8 * h;
                __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + o)));
                a[j][h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + o), kv, a[j][h]);
            }
        }
    }
    // (a0 + a2) + (a1 + a3), lane by lane, then lanes l + (l+8), l + (l+4), l + (l+2), l + (l+1).
    __m256 lo = _mm256_add_ps(_mm256_add_ps(a[0][0], a[2][0]), _mm256_add_ps(a[1][0], a[3][0]));
    __m256 hi = _mm256_add_ps(_mm256_add_ps(a[0][1], a[2][1]), _mm256_add_ps(a[1][1], a[3][1]));
    __m256 b = _mm256_add_ps(lo, hi);
    __m128 c = _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1));
    __m128 d = _mm_add_ps(c, _mm_movehl_ps(c, c));
    float sum = _mm_cvtss_f32(_mm_add_ss(d, _mm_shuffle_ps(d, d, 1)));
    double tail = sum;
    for (; i < n; i++) tail += (double)(q[i] * _cvtsh_ss(k[i]));
    return (float)tail;
}

void llk_attention_head(const float *q, int64_t head_dim, const uint16_t *keys, const uint16_t *values, int64_t kv_stride,
                        int64_t first, int64_t last, float scale, float *out, float *q16, uint16_t *acc) {
    // The query as f16 values (kept in f32 registers).
    int64_t i = 0;
    for (; i + 8 <= head_dim; i += 8)
        _mm256_storeu_ps(q16 + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(q + i), _MM_FROUND_TO_NEAREST_INT)));
    for (; i < head_dim; i++) q16[i] = _cvtsh_ss(_cvtss_sh(q[i], 0));
    for (i = 0; i < head_dim; i++) acc[i] = 0;

    float maximum = -INFINITY, sum = 0.0f;
    for (int64_t j = first; j <= last; j++) {
        const float s = dot_f16_ggml_order(q16, keys + j * kv_stride, head_dim) * scale;
        float rescale = 1.0f, weight = 1.0f;
        if (s > maximum) {
            rescale = expf(maximum - s);
            maximum = s;
            const __m256 r = _mm256_set1_ps(rescale);
            for (i = 0; i + 8 <= head_dim; i += 8) {
                __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
                _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_mul_ps(a, r), _MM_FROUND_TO_NEAREST_INT));
            }
            for (; i < head_dim; i++) acc[i] = _cvtss_sh(_cvtsh_ss(acc[i]) * rescale, 0);
        } else {
            weight = expf(s - maximum);
        }
        const uint16_t *v = values + j * kv_stride;
        const __m256 w = _mm256_set1_ps(weight);
        for (i = 0; i + 8 <= head_dim; i += 8) {
            __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
            __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
            _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_fmadd_ps(vv, w, a), _MM_FROUND_TO_NEAREST_INT));
        }
        for (; i < head_dim; i++) acc[i] = _cvtss_sh(fmaf(_cvtsh_ss(v[i]), weight, _cvtsh_ss(acc[i])), 0);
        sum = fmaf(sum, rescale, weight);
    }
    const float inverse = 1.0f / sum;
    for (i = 0; i < head_dim; i++) out[i] = _cvtsh_ss(acc[i]) * inverse;
}
