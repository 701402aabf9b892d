// SwiGLU over f32 vectors (the feed-forward block's activation), with ggml's vectorized exponential.
#include <immintrin.h>
#include <string.h>
#include "ckernels.h"
#include "block_simd.h"

LLK_BASELINE_BEGIN

// then the product; a short tail goes through the same 8 lanes, zero-padded.
static inline __m256 swiglu8(__m256 x, __m256 g) {
    const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_ggml(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    return _mm256_mul_ps(silu, g);
}
void llk_swiglu(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(gate + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i == n) return;
    float xs[8] = {0}, us[8] = {0};
    memcpy(xs, gate + i, (size_t)(n - i) * 4);
    memcpy(us, up + i, (size_t)(n - i) * 4);
    _mm256_storeu_ps(xs, swiglu8(_mm256_loadu_ps(xs), _mm256_loadu_ps(us)));
    memcpy(gate + i, xs, (size_t)(n - i) * 4);
}

LLK_BASELINE_END
