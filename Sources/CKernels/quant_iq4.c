// The non-linear 4-bit quants, IQ4_NL (blocks of 32, Q8_0 activations) and IQ4_XS (super-blocks of 256 with
// 6-bit sub-block scales, Q8_K activations): their scalar reference dot products and their AVX2 and AVX-512
// VNNI row kernels. A 4-bit index selects one of 16 int8 values (llk_iq4nl_values), so the products are
// integer dot products as for the other formats; only the float steps differ, and each type takes those of
// the kernel llama.cpp's x86 build runs for it:
//   IQ4_NL: llama.cpp repacks the weights of every matrix whose row count is a multiple of 8 (all of a
//     model's, in practice) and multiplies them with ggml_gemv/gemm_iq4_nl_8x8_q8_0, for decode and batches
//     alike: per output, s = fma((float)block_sum, d_w * d_x, s), block after block.
//   IQ4_XS: ggml_vec_dot_iq4_xs_q8_K, for decode and batches alike: eight int32 lanes (lane i: elements
//     4i..4i+3 of every sub-block of 32, times its scale), per super-block acc[i] = fma((float)lane_i,
//     d_w * d_x, acc[i]), summed at the end in hsum_float_8's order.
// The references compute exactly that, so every kernel here gives the reference's bits.
// Their entries in the type table: traits.c. Layouts: formats.h.
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "row_kernels.h"

const int8_t llk_iq4nl_values[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

LLK_BASELINE_BEGIN

// ---------------------------------------------------------------------------------------------
// Scalar reference dot products (one row, one activation vector). Only the ggml blocks are read.

float llk_ref_iq4_nl(const uint8_t *w, const uint8_t *a, int64_t n) {
    const int8_t *v = llk_iq4nl_values;
    float s = 0;
    for (int64_t b = 0; b < n / QK4_NL; b++, w += IQ4_NL_BYTES, a += Q8_0_BYTES) {
        const uint8_t *qs = w + F16_BYTES;
        const int8_t *y = (const int8_t *)(a + F16_BYTES);
        int sumi = 0;
        LLK_UNROLL for (int j = 0; j < QK4_NL / 2; j++) sumi += v[qs[j] & 0xF] * y[j] + v[qs[j] >> 4] * y[j + QK4_NL / 2];
        s = fmaf((float)sumi, ldh(w) * ldh(a), s);
    }
    return s;
}

float llk_ref_iq4_xs(const uint8_t *w, const uint8_t *a, int64_t n) {
    const int8_t *v = llk_iq4nl_values;
    float acc[8] = {0};
    for (int64_t b = 0; b < n / QK_K; b++, w += IQ4_XS_BYTES, a += Q8_K_BYTES) {
        const int8_t *y = (const int8_t *)(a + Q8_K_QS);
        int lane[8] = {0};
        for (int j = 0; j < QK_K / 32; j++) {
            // Sub-block j: elements 0..15 in the low nibbles of its 16 bytes, 16..31 in the high ones.
            const uint8_t *qs = w + IQ4_XS_QS + 16 * j;
            const int ls = iq4_xs_scale(w, j);
            for (int e = 0; e < 32; e++) {
                const int q = v[e < 16 ? qs[e] & 0xF : qs[e - 16] >> 4];
                lane[e / 4] += ls * q * y[32 * j + e];
            }
        }
        const float d = ldh(w) * ldf(a);
        for (int i = 0; i < 8; i++) acc[i] = fmaf((float)lane[i], d, acc[i]);
    }
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

// ---------------------------------------------------------------------------------------------
// SIMD kernels

// The sums of four vectors of eight int32, one per lane of the result (exact: integer adds).
INL __m128i hsum_i32x8_x4(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

// IQ4_NL: NR rows × NC columns (NR * NC <= 8), output k = r * NC + c. Per block, each output's integer dot
// product (int32 lanes of 4 elements), reduced to its block sum four outputs at a time, then one float fma
// per output: the bits of llk_ref_iq4_nl. out[r*4 + c].
// ISA 1 (AVX2): |q| . sign(y, q) with vpmaddubsw (pairs at most 2 * 127 * 127 in int16).
// ISA 2: vpdpbusd of the codes stored as q + 128 (the table carries the offset) with the Q8_0 trailer's
// corrections (activation_bias 128), as Q8_0's VNNI kernel.
#define IQ4NL_LOOP(LUT, DOT)                                                                          \
    const __m256i lut = _mm256_broadcastsi128_si256(LUT);                                             \
    __m128 acc[2] = { _mm_setzero_ps(), _mm_setzero_ps() };                                           \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        {   /* the next row group, streamed at the pace of this one */                                \
            const char *pf = (const char *)w + NR * rb + b * NR * IQ4_NL_BYTES;                       \
            for (int k = 0; k < NR * IQ4_NL_BYTES; k += 64) _mm_prefetch(pf + k, _MM_HINT_T0);        \
        }                                                                                             \
        __m256i p[8];                                                                                 \
        float scale[8];                                                                               \
        LLK_UNROLL for (int k = NR * NC; k < 8; k++) { p[k] = _mm256_setzero_si256(); scale[k] = 0; } \
        LLK_UNROLL for (int r = 0; r < NR; r++) {                                                     \
            const uint8_t *wb = w + r * rb + b * IQ4_NL_BYTES;                                        \
            const __m256i q = _mm256_shuffle_epi8(lut, nibbles32(wb + F16_BYTES));                    \
            const float dw = ldh(wb);                                                                 \
            LLK_UNROLL for (int c = 0; c < NC; c++) {                                                 \
                const uint8_t *a = xq + c * xs;                                                       \
                const __m256i y = ld256(a + b * Q8_0_BYTES + F16_BYTES);                              \
                DOT                                                                                   \
                p[r * NC + c] = dot;                                                                  \
                scale[r * NC + c] = dw * ((const float *)(const void *)(a + L->off_d))[b];            \
            }                                                                                         \
        }                                                                                             \
        LLK_UNROLL for (int g = 0; g < (NR * NC + 3) / 4; g++) {                                      \
            const __m128i sums = hsum_i32x8_x4(p[4 * g], p[4 * g + 1], p[4 * g + 2], p[4 * g + 3]);   \
            acc[g] = _mm_fmadd_ps(_mm_cvtepi32_ps(sums),                                              \
                                  _mm_setr_ps(scale[4 * g], scale[4 * g + 1], scale[4 * g + 2], scale[4 * g + 3]), acc[g]); \
        }                                                                                             \
    }                                                                                                 \
    float o[8];                                                                                       \
    _mm_storeu_ps(o, acc[0]);                                                                         \
    _mm_storeu_ps(o + 4, acc[1]);                                                                     \
    LLK_UNROLL for (int r = 0; r < NR; r++) LLK_UNROLL for (int c = 0; c < NC; c++) out[r * 4 + c] = o[r * NC + c];

INL void iq4_nl_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    IQ4NL_LOOP(_mm_loadu_si128((const __m128i *)llk_iq4nl_values),
               const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q)), _mm256_set1_epi16(1));)
}
INL512 void iq4_nl_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    IQ4NL_LOOP(_mm_xor_si128(_mm_loadu_si128((const __m128i *)llk_iq4nl_values), _mm_set1_epi8((char)0x80)),
               const __m256i dot = _mm256_dpbusd_epi32(ld256(a + L->off_aux + b * 32), q, y);)
}
GEN_ROWS_MR(llk_rows_iq4_nl_avx2, iq4_nl_avx2, )
GEN_ROWS_MR(llk_rows_iq4_nl_vnni, iq4_nl_vnni, T512)

// IQ4_XS: one row × NC columns, ggml_vec_dot_iq4_xs_q8_K's lanes: per sub-block, the int16 pair sums of
// |q| . sign(y, q) times its scale into eight int32 lanes (vpmaddwd; VNNI: vpdpwssd), then per super-block
// one float fma per lane; hsum8 adds the lanes in hsum_float_8's order.
#define IQ4XS_MAC_AVX2(s, p, sc) s = _mm256_add_epi32(s, _mm256_madd_epi16(p, sc))
#define IQ4XS_MAC_VNNI(s, p, sc) s = _mm256_dpwssd_epi32(s, p, sc)
#define IQ4XS_BODY(MAC)                                                                               \
    (void)L;                                                                                          \
    const __m256i lut = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)llk_iq4nl_values)); \
    __m256 acc[4];                                                                                    \
    LLK_UNROLL for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();                             \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        const uint8_t *wb = w + b * IQ4_XS_BYTES;                                                     \
        for (int k = 0; k < IQ4_XS_BYTES; k += 64) _mm_prefetch((const char *)wb + rb + k, _MM_HINT_T0); \
        __m256i sumi[4];                                                                              \
        LLK_UNROLL for (int c = 0; c < NC; c++) sumi[c] = _mm256_setzero_si256();                     \
        LLK_UNROLL for (int j = 0; j < QK_K / 32; j++) {                                              \
            const __m256i q = _mm256_shuffle_epi8(lut, nibbles32(wb + IQ4_XS_QS + 16 * j));           \
            const __m256i aq = _mm256_sign_epi8(q, q);                                                \
            const __m256i sc = _mm256_set1_epi16((short)iq4_xs_scale(wb, j));                         \
            LLK_UNROLL for (int c = 0; c < NC; c++) {                                                 \
                const __m256i y = ld256(xq + c * xs + b * Q8_K_BYTES + Q8_K_QS + 32 * j);             \
                MAC(sumi[c], _mm256_maddubs_epi16(aq, _mm256_sign_epi8(y, q)), sc);                   \
            }                                                                                         \
        }                                                                                             \
        const float dw = ldh(wb);                                                                     \
        LLK_UNROLL for (int c = 0; c < NC; c++) {                                                     \
            const float dy = ldf(xq + c * xs + b * Q8_K_BYTES);                                       \
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dy), _mm256_cvtepi32_ps(sumi[c]), acc[c]);   \
        }                                                                                             \
    }                                                                                                 \
    LLK_UNROLL for (int c = 0; c < NC; c++) out[c] = hsum8(acc[c]);

INL void iq4_xs_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    IQ4XS_BODY(IQ4XS_MAC_AVX2)
}
INL512 void iq4_xs_vnni(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    IQ4XS_BODY(IQ4XS_MAC_VNNI)
}
GEN_ROWS(llk_rows_iq4_xs_avx2, iq4_xs_avx2, )
GEN_ROWS(llk_rows_iq4_xs_vnni, iq4_xs_vnni, T512)

LLK_BASELINE_END
