// Activation quantization, as ggml's x86 CPU backend quantizes the vectors it multiplies with weights:
// Q8_0 and Q8_1 blocks of 32 (round to nearest even of x*127/amax) and Q8_K blocks of 256
// (quantize_row_q8_K_ref), followed for Q8_0/Q8_1 by the kernels' private trailer (formats.h); F16 (ggml's
// vec_dot_type for F16 weights), followed by its f32 widening.
#include <math.h>
#include <string.h>
#include "block_simd.h"
#include "formats.h"

LLK_BASELINE_BEGIN

act_layout llk_layout_of(int act, int64_t n) {
    act_layout L = {0, 0, 0, 0};
    if (act == LLK_Q8_0) {
        L.nb = n / QK8_0;
        L.off_d = align32((size_t)L.nb * Q8_0_BYTES);
        L.off_aux = L.off_d + align32((size_t)L.nb * 4);
        L.total = L.off_aux + (size_t)L.nb * 32;
    } else if (act == LLK_Q8_1) {
        L.nb = n / QK8_1;
        L.off_d = align32((size_t)L.nb * Q8_1_BYTES);
        L.off_aux = L.off_d + align32((size_t)L.nb * 4);
        L.total = L.off_aux + align32((size_t)L.nb * 4);
    } else if (act == LLK_Q8_K) {
        L.nb = n / QK_K;
        L.total = (size_t)L.nb * Q8_K_BYTES;
    } else if (act == LLK_F16) {
        // The f16 values, then the same values widened to f32 for the SIMD kernels (exact, so the same products;
        // converting once per activation instead of once per weight row).
        L.nb = n;
        L.off_aux = align32((size_t)n * 2);
        L.total = L.off_aux + align32((size_t)n * 4);
    }
    return L;
}

size_t llk_activation_bytes(int t, int64_t n) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    return tt->activation ? llk_layout_of(tt->activation, n).total : 0;
}

int llk_activation_shared(int a, int b) {
    const llk_type_traits *ta = llk_type_traits_of(a), *tb = llk_type_traits_of(b);
    if (!ta->activation || ta->activation != tb->activation) return 0;
    return ta->activation != LLK_Q8_0 || ta->activation_bias == tb->activation_bias;
}

// Q8_0 / Q8_1 block: d = amax/127 (stored f16), q = round_half_even(x * (127/amax)).
// In vectors: vcvtps2dq rounds in the default mode (to nearest, ties
// to even) as nearbyintf does, giving INT_MIN for NaN and out-of-range values, which the clamp makes -128.
static int quant_block32(const float *x, int8_t *q, float *dout) {
    const float amax = max_magnitude(x, QK8_0);
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    int32_t v[QK8_0];
    __m256i sums = _mm256_setzero_si256();
    for (int j = 0; j < QK8_0; j += 8) {
        const __m256i r = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j), _mm256_set1_ps(id)));
        const __m256i c = _mm256_max_epi32(_mm256_min_epi32(r, _mm256_set1_epi32(127)), _mm256_set1_epi32(-128));
        _mm256_storeu_si256((__m256i *)(void *)(v + j), c);
        sums = _mm256_add_epi32(sums, c);
    }
    for (int j = 0; j < QK8_0; j++) q[j] = (int8_t)v[j];
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)(void *)lanes, sums);
    *dout = d;
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

INL int nearest_int_magic(float f) {
    float v = f + 12582912.f;
    int i; memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

void llk_quantize_activation(int t, const float *x, void *vxq, int64_t n) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    if (!tt->activation) return;
    uint8_t *xq = (uint8_t *)vxq;
    act_layout L = llk_layout_of(tt->activation, n);
    if (tt->activation == LLK_F16) {
        uint16_t *h = (uint16_t *)vxq;
        float *wide = (float *)(void *)(xq + L.off_aux);
        for (int64_t i = 0; i < n; i++) {
            h[i] = f2h(x[i]);
            wide[i] = _cvtsh_ss(h[i]);
        }
    } else if (tt->activation == LLK_Q8_0) {
        const int bias = tt->activation_bias;
        float *dd = (float *)(void *)(xq + L.off_d);
        for (int64_t b = 0; b < L.nb; b++) {
            uint8_t *blk = xq + b * Q8_0_BYTES;
            int8_t q[QK8_0]; float d;
            quant_block32(x + b * QK8_0, q, &d);
            uint16_t h = f2h(d);
            memcpy(blk, &h, 2);
            memcpy(blk + 2, q, QK8_0);
            float df = _cvtsh_ss(h);
            memcpy(dd + b, &df, 4);
            int32_t corr[8];
            for (int i = 0; i < 8; i++) corr[i] = -bias * (q[4*i] + q[4*i+1] + q[4*i+2] + q[4*i+3]);
            memcpy(xq + L.off_aux + (size_t)b * 32, corr, 32);
        }
    } else if (tt->activation == LLK_Q8_1) {
        for (int64_t b = 0; b < L.nb; b++) {
            uint8_t *blk = xq + b * Q8_1_BYTES;
            int8_t q[QK8_1]; float d;
            int sum = quant_block32(x + b * QK8_1, q, &d);
            uint16_t hd = f2h(d), hs = f2h(d * (float)sum);
            memcpy(blk, &hd, 2);
            memcpy(blk + 2, &hs, 2);
            memcpy(blk + 4, q, QK8_1);
            float df = _cvtsh_ss(hd), sf = _cvtsh_ss(hs);
            memcpy(xq + L.off_d + (size_t)b * 4, &df, 4);
            memcpy(xq + L.off_aux + (size_t)b * 4, &sf, 4);
        }
    } else {
        for (int64_t b = 0; b < L.nb; b++) {
            const float *xb = x + b * QK_K;
            uint8_t *blk = xq + b * Q8_K_BYTES;
            // ggml's max: the first element of the largest magnitude (NaNs never win).
            const float amax = max_magnitude(xb, QK_K);
            float max = 0;
            for (int j = 0; amax > 0 && j < QK_K; j++) {
                if (fabsf(xb[j]) == amax) { max = xb[j]; break; }
            }
            int8_t q[QK_K];
            int16_t bs[16];
            float d = 0;
            if (amax == 0) {
                memset(q, 0, sizeof q);
                memset(bs, 0, sizeof bs);
            } else {
                const float iscale = -127.f / max;
                for (int j = 0; j < QK_K; j++) {
                    int v = nearest_int_magic(iscale * xb[j]);
                    q[j] = (int8_t)(v < 127 ? v : 127);
                }
                for (int g = 0; g < 16; g++) {
                    int s = 0;
                    for (int k = 0; k < 16; k++) s += q[g*16 + k];
                    bs[g] = (int16_t)s;
                }
                d = 1 / iscale;
            }
            memcpy(blk, &d, 4);
            memcpy(blk + Q8_K_QS, q, QK_K);
            memcpy(blk + Q8_K_BSUMS, bs, sizeof bs);
        }
    }
}

LLK_BASELINE_END
