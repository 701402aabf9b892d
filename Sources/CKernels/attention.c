// Attention of the query heads that share one kv head, over f16 keys and values, with the arithmetic of llama.cpp's CPU flash
// attention (ggml_compute_forward_flash_attn_ext_f16_one_chunk, AVX-512 build): the query rounded to f16,
// q·k summed in four accumulators of 16 lanes then a tree, an online softmax over the keys in order, and
// the weighted sum of values accumulated in f16. AVX2 only: 16 lanes are two 8-lane registers, which
// gives the same per-lane arithmetic, hence the same bits.
#include "ckernels.h"
#include <immintrin.h>
#include <math.h>

static inline float dot_ggml_order(const float *q, const float *k, int64_t n) {
    __m256 a[4][2];
    for (int j = 0; j < 4; j++) { a[j][0] = _mm256_setzero_ps(); a[j][1] = _mm256_setzero_ps(); }
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int j = 0; j < 4; j++) {
            for (int h = 0; h < 2; h++) {
                const int64_t o = i + 16 * j + 8 * h;
                __m256 kv = _mm256_loadu_ps(k + o);
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
    for (; i < n; i++) tail += (double)(q[i] * k[i]);
    return (float)tail;
}

// f16 -> f32 of n values (n a multiple of 8), and f32 -> nearest f16 -> f32 in place.
static inline void widen(const uint16_t *h, float *f, int64_t n) {
    for (int64_t i = 0; i < n; i += 8) _mm256_storeu_ps(f + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
}
static inline __m256 round_f16(__m256 x) { return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }

void llk_attention_heads(const float *q, int64_t heads, int64_t head_dim, const uint16_t *keys, const uint16_t *values,
                         int64_t kv_stride, int64_t first, int64_t last, float scale, float *out, float *scratch) {
    // Scratch: the queries rounded to f16 (heads × head_dim), the f16-valued accumulators held as f32
    // (heads × head_dim), then the current key and value widened to f32 (head_dim each), the running
    // maxima and sums (heads each). Each key and value is converted once for all heads that read it.
    float *q16 = scratch, *acc = q16 + heads * head_dim, *k = acc + heads * head_dim, *v = k + head_dim;
    float *maximum = v + head_dim, *sum = maximum + heads;
    int64_t i = 0;
    for (; i + 8 <= heads * head_dim; i += 8) _mm256_storeu_ps(q16 + i, round_f16(_mm256_loadu_ps(q + i)));
    for (; i < heads * head_dim; i++) q16[i] = _cvtsh_ss(_cvtss_sh(q[i], 0));
    for (i = 0; i < heads * head_dim; i++) acc[i] = 0.0f;
    for (int64_t h = 0; h < heads; h++) { maximum[h] = -INFINITY; sum[h] = 0.0f; }

    for (int64_t j = first; j <= last; j++) {
        widen(keys + j * kv_stride, k, head_dim);
        widen(values + j * kv_stride, v, head_dim);
        for (int64_t h = 0; h < heads; h++) {
            float *a = acc + h * head_dim;
            const float s = dot_ggml_order(q16 + h * head_dim, k, head_dim) * scale;
            float rescale = 1.0f, weight = 1.0f;
            if (s > maximum[h]) {
                rescale = expf(maximum[h] - s);
                maximum[h] = s;
                const __m256 r = _mm256_set1_ps(rescale);
                for (i = 0; i < head_dim; i += 8) _mm256_storeu_ps(a + i, round_f16(_mm256_mul_ps(_mm256_loadu_ps(a + i), r)));
            } else {
                weight = expf(s - maximum[h]);
            }
            const __m256 w = _mm256_set1_ps(weight);
            for (i = 0; i < head_dim; i += 8)
                _mm256_storeu_ps(a + i, round_f16(_mm256_fmadd_ps(_mm256_loadu_ps(v + i), w, _mm256_loadu_ps(a + i))));
            sum[h] = fmaf(sum[h], rescale, weight);
        }
    }
    for (int64_t h = 0; h < heads; h++) {
        const float inverse = 1.0f / sum[h];
        for (i = 0; i < head_dim; i++) out[h * head_dim + i] = acc[h * head_dim + i] * inverse;
    }
}
