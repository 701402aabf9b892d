// The K-quants, Q2_K ... Q6_K (256-element super-blocks, Q8_K activations): their scalar reference dot
// products and the AVX2 and AVX-512 VNNI row kernels of Q4_K, Q5_K and Q6_K, with the kernels for rows
// interleaved by 8 (Q4_K, Q6_K; Q6_K's AVX-512 one 512 bits wide). Their entries in the type table: traits.c.
// Layouts: formats.h.
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "row_kernels.h"

LLK_BASELINE_BEGIN

// ---------------------------------------------------------------------------------------------
// Scalar reference dot products (one row, one activation vector). Only the ggml blocks are read.

float llk_ref_q2_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK_K; b++, w += Q2_K_BYTES, a += Q8_K_BYTES) {
        const uint8_t *sc = w, *qs = w + 16;
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0, summ = 0;
        for (int g = 0; g < 16; g++) {   // 16-element group g: half n=g/8, shift j=(g%8)/2, l-offset 16*(g%2)
            const int hn = g / 8, j = (g % 8) / 2, lo = 16 * (g % 2);
            int dot = 0;
            for (int l = 0; l < 16; l++) dot += ((qs[32*hn + lo + l] >> (2*j)) & 3) * y[g*16 + l];
            sumi += (sc[g] & 0xF) * dot;
            summ += (sc[g] >> 4) * ld16s(a + Q8_K_BSUMS + 2*g);
        }
        const float dy = ldf(a);
        s += dy * ldh(w + 80) * sumi - dy * ldh(w + 82) * summ;
    }
    return s;
}

// Q3_K in llama.cpp's x86 arithmetic (ggml_vec_dot_q3_K_q8_K, AVX2 at every level): eight int32 lanes, lane L
// holding elements 4(L % 4)..4(L % 4)+3 of the first (L < 4) or second 16 of every 32, each times its group's
// scale; per block lane L's float accumulator += (d_x d_w) * lane sum (one fma); the lanes summed as hsum_float_8.
float llk_ref_q3_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float acc[8] = {0};
    for (int64_t b = 0; b < n / QK_K; b++, w += Q3_K_BYTES, a += Q8_K_BYTES) {
        const uint8_t *hm = w, *qs = w + 32, *sc = w + 96;
        const int8_t *y = (const int8_t *)(a + 4);
        int lane[8] = {0};
        for (int g = 0; g < 16; g++) {
            const int hn = g / 8, j = (g % 8) / 2, lo = 16 * (g % 2);
            LLK_UNROLL for (int l = 0; l < 16; l++) {
                int q = ((qs[32*hn + lo + l] >> (2*j)) & 3) - ((hm[lo + l] >> (4*hn + j)) & 1 ? 0 : 4);
                lane[4 * (g % 2) + l / 4] += q3k_scale(sc, g) * q * y[g*16 + l];
            }
        }
        const float d = ldf(a) * ldh(w + 108);
        for (int l = 0; l < 8; l++) acc[l] = fmaf(d, (float)lane[l], acc[l]);
    }
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

// Lane sums of 32-bit integers.
INL int32_t hsum_i32x4(__m128i s) {
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1))));
}
INL int32_t hsum_i32x8(__m256i v) { return hsum_i32x4(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1))); }

// Q2_K and Q3_K row kernels: the scalar references' integer sums, 32 weights per maddubs with the 16-element group
// scales applied by madd, and the references' float steps per block (Q3_K: per int32 lane), so the same bits as the
// references.
INL __m256i k_group_scales(int lo_group, int hi_group) {
    return _mm256_setr_m128i(_mm_set1_epi16((short)lo_group), _mm_set1_epi16((short)hi_group));
}

INL int q2_K_block_sum(const uint8_t *w, const int8_t *y) {
    const uint8_t *sc = w, *qs = w + 16;
    const __m256i m3 = _mm256_set1_epi8(3);
    __m256i sum = _mm256_setzero_si256();
    for (int hn = 0; hn < 2; hn++) {
        const __m256i raw = ld256(qs + 32 * hn);
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            const __m256i q = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * j), m3);
            const __m256i p = _mm256_maddubs_epi16(q, ld256(y + 128 * hn + 32 * j));
            const int g = 8 * hn + 2 * j;
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, k_group_scales(sc[g] & 0xF, sc[g + 1] & 0xF)));
        }
    }
    return hsum_i32x8(sum);
}

INL __m256i q3_K_block_lanes(const uint8_t *w, const int8_t *y) {
    const uint8_t *sc = w + 96;
    const __m256i four = _mm256_set1_epi8(4);
    __m256i sum = _mm256_setzero_si256();
    for (int hn = 0; hn < 2; hn++) {
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            // The weight is its code (0..7) less 4.
            const __m256i yv = ld256(y + 128 * hn + 32 * j);
            const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q3_codes(w, hn, j), yv), _mm256_maddubs_epi16(four, yv));
            const int g = 8 * hn + 2 * j;
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, k_group_scales(q3k_scale(sc, g), q3k_scale(sc, g + 1))));
        }
    }
    return sum;
}

INL void q2_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)rb; (void)L;
    LLK_UNROLL for (int c = 0; c < NC; c++) {
        const uint8_t *a = xq + c * xs;
        float s = 0;
        for (int64_t b = 0; b < nb; b++, a += Q8_K_BYTES) {
            const uint8_t *wb = w + b * Q2_K_BYTES;
            const int sumi = q2_K_block_sum(wb, (const int8_t *)(a + 4));
            int summ = 0;
            for (int g = 0; g < 16; g++) summ += (wb[g] >> 4) * ld16s(a + Q8_K_BSUMS + 2 * g);
            const float dy = ldf(a);
            s += dy * ldh(wb + 80) * sumi - dy * ldh(wb + 82) * summ;
        }
        out[c] = s;
    }
}

INL void q3_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)rb; (void)L;
    LLK_UNROLL for (int c = 0; c < NC; c++) {
        const uint8_t *a = xq + c * xs;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++, a += Q8_K_BYTES) {
            const uint8_t *wb = w + b * Q3_K_BYTES;
            const __m256i lanes = q3_K_block_lanes(wb, (const int8_t *)(a + 4));
            acc = _mm256_fmadd_ps(_mm256_set1_ps(ldf(a) * ldh(wb + 108)), _mm256_cvtepi32_ps(lanes), acc);
        }
        out[c] = hsum8(acc);
    }
}
GEN_ROWS(llk_rows_q2_K_avx2, q2_K_avx2, )
GEN_ROWS(llk_rows_q3_K_avx2, q3_K_avx2, )

float llk_ref_q4_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK_K; b++, w += Q4_K_BYTES, a += Q8_K_BYTES) {
        uint8_t sc[8], mn[8];
        k4_scales(w + 4, sc, mn);
        const uint8_t *qs = w + 16;
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0, summ = 0;
        for (int j = 0; j < 4; j++) {
            int dl = 0, dh = 0;
            for (int l = 0; l < 32; l++) {
                dl += (qs[32*j + l] & 0xF) * y[64*j + l];
                dh += (qs[32*j + l] >> 4) * y[64*j + 32 + l];
            }
            sumi += sc[2*j] * dl + sc[2*j+1] * dh;
        }
        for (int k = 0; k < 8; k++) summ += mn[k] * (ld16s(a + Q8_K_BSUMS + 4*k) + ld16s(a + Q8_K_BSUMS + 2 + 4*k));
        const float dy = ldf(a);
        s += dy * ldh(w) * sumi - dy * ldh(w + 2) * summ;
    }
    return s;
}

float llk_ref_q5_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK_K; b++, w += Q5_K_BYTES, a += Q8_K_BYTES) {
        uint8_t sc[8], mn[8];
        k4_scales(w + 4, sc, mn);
        const uint8_t *qh = w + 16, *qs = w + 48;
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0, summ = 0;
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            int dl = 0, dh = 0;
            for (int l = 0; l < 32; l++) {
                dl += ((qs[32*j + l] & 0xF) | (((qh[l] >> (2*j)) & 1) << 4)) * y[64*j + l];
                dh += ((qs[32*j + l] >> 4) | (((qh[l] >> (2*j+1)) & 1) << 4)) * y[64*j + 32 + l];
            }
            sumi += sc[2*j] * dl + sc[2*j+1] * dh;
        }
        for (int k = 0; k < 8; k++) summ += mn[k] * (ld16s(a + Q8_K_BSUMS + 4*k) + ld16s(a + Q8_K_BSUMS + 2 + 4*k));
        const float dy = ldf(a);
        s += dy * ldh(w) * sumi - dy * ldh(w + 2) * summ;
    }
    return s;
}

float llk_ref_q6_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK_K; b++, w += Q6_K_BYTES, a += Q8_K_BYTES) {
        const uint8_t *ql = w, *qh = w + 128;
        const int8_t *sc = (const int8_t *)(w + 192);
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0;
        for (int g = 0; g < 16; g++) {
            const int hn = g / 8, k = (g % 8) / 2, lo = 16 * (g % 2);
            int dot = 0;
            for (int l = lo; l < lo + 16; l++) {
                int low = (k & 1) ? ql[64*hn + 32 + l] : ql[64*hn + l];
                low = (k & 2) ? (low >> 4) : (low & 0xF);
                int q = (low | (((qh[32*hn + l] >> (2*k)) & 3) << 4)) - 32;
                dot += q * y[128*hn + 32*k + l];
            }
            sumi += sc[g] * dot;
        }
        s += ldf(a) * ldh(w + 208) * sumi;
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// SIMD kernels

// ---- K-quants (Q8_K activations) ----

// Shuffle masks that broadcast int16 lane k (bytes 2k, 2k+1) of each 128-bit half.
static const uint8_t k_bcast16[8][32] __attribute__((aligned(32))) = {
#define R(k) {2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1, \
               2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1,2*k,2*k+1}
    R(0), R(1), R(2), R(3), R(4), R(5), R(6), R(7)
#undef R
};

// Q4_K, in the arithmetic of llama.cpp's x86 build, which repacks Q4_K weights into 8-row blocks and
// runs ggml_gemv/gemm_q4_K_8x8_q8_K on them: per super-block, the whole integer sums
// S = sum_k sc_k * (codes_k . q_k) and M = sum_k min_k * bsum_k, then acc += S * (d_w * d_x) and
// accm += M * (dmin_w * d_x), one FMA each, and the result acc - accm.
// AVX2: maddubs + madd(scale) + add; VNNI: maddubs + dpwssd(scale).
// The integer sums of eight vectors, in order: [sum(p0), ..., sum(p7)]. Integer sums are exact, so the order
// of the additions does not change the result.
INL __m256i hsum_i32x8x8(__m256i p0, __m256i p1, __m256i p2, __m256i p3, __m256i p4, __m256i p5, __m256i p6, __m256i p7) {
    const __m256i q0 = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
    const __m256i q1 = _mm256_hadd_epi32(_mm256_hadd_epi32(p4, p5), _mm256_hadd_epi32(p6, p7));
    return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q0, q1, 0x31));
}
// R rows whose super-blocks are stored R by R: block b of row r at w + (b*R + r)*144 (R = 8: the layout of
// llk_interleave_rows, one linear stream with eight independent dependency chains that share each activation
// load; R = 1: ggml's layout, one row). out[r*4 + c] for activation column c. The prefetch reads AHEAD bytes
// ahead: some groups further on, or for one row the same block of the next row.
// With R = 8 the per-super-block sums and their FMAs run for the eight rows at once, one lane per row (the
// same integer sums, and per lane the same float operations as one row's scalar fmaf), which makes further
// activation columns cheap.
#define Q4K_BODY(MAC, R, AHEAD, UJ)                                                                        \
    float acc[R][4], accm[R][4];                                                                      \
    __m256 accv[4], accmv[4];                                                                         \
    LLK_UNROLL for (int r = 0; r < R; r++) LLK_UNROLL for (int c = 0; c < NC; c++) { acc[r][c] = 0.0f; accm[r][c] = 0.0f; } \
    LLK_UNROLL for (int c = 0; c < NC; c++) { accv[c] = _mm256_setzero_ps(); accmv[c] = _mm256_setzero_ps(); } \
    const __m256i m4 = _mm256_set1_epi8(0x0F);                                                        \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        const uint8_t *wg = w + b * R * Q4_K_BYTES;                                                   \
        for (int k = 0; k < R * Q4_K_BYTES; k += 64) _mm_prefetch((const char *)wg + (AHEAD) + k, _MM_HINT_T0);      \
        __m128i bsp[4];                                                                               \
        float dy[4];                                                                                  \
        LLK_UNROLL for (int c = 0; c < NC; c++) {                                                     \
            const uint8_t *a = xq + c * xs + b * Q8_K_BYTES;                                          \
            const __m256i bs = ld256(a + Q8_K_BSUMS);                                                 \
            bsp[c] = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));     \
            dy[c] = ldf(a);                                                                           \
        }                                                                                             \
        __m256i scl[R], smw[R], sumi[R][4];                                                           \
        float dw[R], dmw[R];                                                                          \
        LLK_UNROLL for (int r = 0; r < R; r++) {                                                      \
            const uint8_t *wb = wg + r * Q4_K_BYTES;                                                  \
            uint8_t sm[16];                                                                           \
            k4_scales(wb + 4, sm, sm + 8);                                                            \
            smw[r] = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)sm));                      \
            scl[r] = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(smw[r]));                     \
            dw[r] = ldh(wb);                                                                          \
            dmw[r] = ldh(wb + 2);                                                                     \
            LLK_UNROLL for (int c = 0; c < NC; c++) {                                                 \
                if (R != 8) {                                                                         \
                    const __m128i mins = _mm256_extracti128_si256(smw[r], 1);                         \
                    accm[r][c] = fmaf((float)hsum_i32x4(_mm_madd_epi16(mins, bsp[c])), dmw[r] * dy[c], accm[r][c]); \
                }                                                                                     \
                sumi[r][c] = _mm256_setzero_si256();                                                  \
            }                                                                                         \
        }                                                                                             \
        UJ for (int j = 0; j < 4; j++) {                                                              \
            __m256i alo[4], ahi[4];                                                                   \
            LLK_UNROLL for (int c = 0; c < NC; c++) {                                                 \
                const uint8_t *a = xq + c * xs + b * Q8_K_BYTES + Q8_K_QS + 64 * j;                   \
                alo[c] = ld256(a); ahi[c] = ld256(a + 32);                                            \
            }                                                                                         \
            const __m256i bl = ld256(k_bcast16[2*j]), bh = ld256(k_bcast16[2*j+1]);                   \
            LLK_UNROLL for (int r = 0; r < R; r++) {                                                  \
                const __m256i raw = ld256(wg + r * Q4_K_BYTES + 16 + 32 * j);                         \
                const __m256i lo = _mm256_and_si256(raw, m4);                                         \
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);                   \
                const __m256i sl = _mm256_shuffle_epi8(scl[r], bl);                                   \
                const __m256i sh = _mm256_shuffle_epi8(scl[r], bh);                                   \
                LLK_UNROLL for (int c = 0; c < NC; c++) {                                             \
                    MAC(sumi[r][c], _mm256_maddubs_epi16(lo, alo[c]), sl);                            \
                    MAC(sumi[r][c], _mm256_maddubs_epi16(hi, ahi[c]), sh);                            \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
        if (R == 8) {                                                                                 \
            /* Lane r: row r. The mins of rows a and a + 4 side by side, so that three hadds leave the  \
               eight rows' sums in order. */                                                          \
            const __m256 dwv = _mm256_loadu_ps(dw), dmwv = _mm256_loadu_ps(dmw);                      \
            __m256i mp[4];                                                                            \
            LLK_UNROLL for (int a = 0; a < 4; a++) mp[a] = _mm256_permute2x128_si256(smw[a], smw[(a + 4) % R], 0x31); \
            LLK_UNROLL for (int c = 0; c < NC; c++) {                                                 \
                const __m256 dyc = _mm256_set1_ps(dy[c]);                                             \
                const __m256i bs2 = _mm256_broadcastsi128_si256(bsp[c]);                              \
                const __m256i m = _mm256_hadd_epi32(                                                  \
                    _mm256_hadd_epi32(_mm256_madd_epi16(mp[0], bs2), _mm256_madd_epi16(mp[1], bs2)),  \
                    _mm256_hadd_epi32(_mm256_madd_epi16(mp[2], bs2), _mm256_madd_epi16(mp[3], bs2))); \
                accmv[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), _mm256_mul_ps(dmwv, dyc), accmv[c]); \
                const __m256i s = hsum_i32x8x8(sumi[0][c], sumi[1 % R][c], sumi[2 % R][c], sumi[3 % R][c], \
                                               sumi[4 % R][c], sumi[5 % R][c], sumi[6 % R][c], sumi[7 % R][c]); \
                accv[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dwv, dyc), accv[c]);   \
            }                                                                                         \
        } else {                                                                                      \
            LLK_UNROLL for (int r = 0; r < R; r++)                                                    \
                LLK_UNROLL for (int c = 0; c < NC; c++) acc[r][c] = fmaf((float)hsum_i32x8(sumi[r][c]), dw[r] * dy[c], acc[r][c]); \
        }                                                                                             \
    }                                                                                                 \
    if (R == 8) {                                                                                     \
        LLK_UNROLL for (int c = 0; c < NC; c++) {                                                     \
            float t[8];                                                                               \
            _mm256_storeu_ps(t, _mm256_sub_ps(accv[c], accmv[c]));                                    \
            LLK_UNROLL for (int r = 0; r < R; r++) out[r * 4 + c] = t[r % 8];                         \
        }                                                                                             \
    } else {                                                                                          \
        LLK_UNROLL for (int r = 0; r < R; r++) LLK_UNROLL for (int c = 0; c < NC; c++) out[r * 4 + c] = acc[r][c] - accm[r][c]; \
    }

#define MAC_AVX2(s, p, sc) s = _mm256_add_epi32(s, _mm256_madd_epi16(p, sc))
#define MAC_VNNI(s, p, sc) s = _mm256_dpwssd_epi32(s, p, sc)

INL void q4_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L; Q4K_BODY(MAC_AVX2, 1, rb, LLK_UNROLL)
}
INL512 void q4_K_vnni(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L; Q4K_BODY(MAC_VNNI, 1, rb, LLK_UNROLL)
}
GEN_ROWS(llk_rows_q4_K_avx2, q4_K_avx2, )
GEN_ROWS(llk_rows_q4_K_vnni, q4_K_vnni, T512)
INL void q4_K_x8_avx2(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    Q4K_BODY(MAC_AVX2, 8, X8_AHEAD * 8 * Q4_K_BYTES, )
}
GEN_ROWS_X8(llk_rows8_q4_K_avx2, q4_K_x8_avx2, )
INL512 void q4_K_x8_vnni(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    Q4K_BODY(MAC_VNNI, 8, X8_AHEAD * 8 * Q4_K_BYTES, )
}
GEN_ROWS_X8(llk_rows8_q4_K_vnni, q4_K_x8_vnni, T512)

// Q5_K: Q4_K plus a fifth bit per element from qh (bit 2j for the low nibbles of pair j, 2j+1 for high).
INL void q5_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L;
    __m256 acc[4]; __m128 accm[4];
    LLK_UNROLL for (int c = 0; c < NC; c++) { acc[c] = _mm256_setzero_ps(); accm[c] = _mm_setzero_ps(); }
    const __m256i m4 = _mm256_set1_epi8(0x0F), m10 = _mm256_set1_epi8(0x10);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *wb = w + b * Q5_K_BYTES;
        for (int k = 0; k < Q5_K_BYTES; k += 64) _mm_prefetch((const char *)wb + rb + k, _MM_HINT_T0);
        uint8_t sm[16];
        k4_scales(wb + 4, sm, sm + 8);
        const __m256i smw = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)sm));
        const __m128i mins = _mm256_extracti128_si256(smw, 1);
        const __m256i scl = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(smw));
        const float dw = ldh(wb), dmw = ldh(wb + 2);
        __m256i sumi[4];
        LLK_UNROLL for (int c = 0; c < NC; c++) {
            const uint8_t *a = xq + c * xs + b * Q8_K_BYTES;
            const __m256i bs = ld256(a + Q8_K_BSUMS);
            const __m128i bsp = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
            accm[c] = _mm_fmadd_ps(_mm_set1_ps(dmw * ldf(a)), _mm_cvtepi32_ps(_mm_madd_epi16(mins, bsp)), accm[c]);
            sumi[c] = _mm256_setzero_si256();
        }
        __m256i qh = ld256(wb + 16);
        LLK_UNROLL for (int j = 0; j < 4; j++) {
            const __m256i raw = ld256(wb + 48 + 32 * j);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(raw, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m10));
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), _mm256_and_si256(_mm256_slli_epi16(qh, 3), m10));
            qh = _mm256_srli_epi16(qh, 2);
            const __m256i sl = _mm256_shuffle_epi8(scl, ld256(k_bcast16[2*j]));
            const __m256i sh = _mm256_shuffle_epi8(scl, ld256(k_bcast16[2*j+1]));
            LLK_UNROLL for (int c = 0; c < NC; c++) {
                const uint8_t *a = xq + c * xs + b * Q8_K_BYTES + Q8_K_QS + 64 * j;
                MAC_AVX2(sumi[c], _mm256_maddubs_epi16(lo, ld256(a)), sl);
                MAC_AVX2(sumi[c], _mm256_maddubs_epi16(hi, ld256(a + 32)), sh);
            }
        }
        LLK_UNROLL for (int c = 0; c < NC; c++) {
            const float dy = ldf(xq + c * xs + b * Q8_K_BYTES);
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dy), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
        }
    }
    LLK_UNROLL for (int c = 0; c < NC; c++) out[c] = hsum8(acc[c]) - hsum4(accm[c]);
}
GEN_ROWS(llk_rows_q5_K_avx2, q5_K_avx2, )

// Q6_K. codes 0..63 (unsigned), the -32 offset folded in through bsums: corr = -32 * sum_g sc_g*bsum_g.
// R rows stored R by R, as Q4K_BODY (block b of row r at w + (b*R + r)*210).
#define Q6K_BODY(MAC, SCALEPAIR, R, AHEAD)                                                                 \
    __m256 acc[R][4];                                                                                 \
    LLK_UNROLL for (int r = 0; r < R; r++) LLK_UNROLL for (int c = 0; c < NC; c++) acc[r][c] = _mm256_setzero_ps(); \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        const uint8_t *wg = w + b * R * Q6_K_BYTES;                                                   \
        for (int k = 0; k < R * Q6_K_BYTES; k += 64) _mm_prefetch((const char *)wg + (AHEAD) + k, _MM_HINT_T0);      \
        __m256i sc16[R], sumi[R][4];                                                                  \
        LLK_UNROLL for (int r = 0; r < R; r++) {                                                      \
            sc16[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wg + r * Q6_K_BYTES + 192))); \
            LLK_UNROLL for (int c = 0; c < NC; c++) {                                                 \
                const __m256i bs = ld256(xq + c * xs + b * Q8_K_BYTES + Q8_K_BSUMS);                  \
                sumi[r][c] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16[r], bs), 5)); \
            }                                                                                         \
        }                                                                                             \
        LLK_UNROLL for (int h = 0; h < 2; h++) {                                                      \
            for (int r = 0; r < R; r++) {                                                             \
                const uint8_t *wb = wg + r * Q6_K_BYTES;                                              \
                __m256i v[4];                                                                         \
                q6_codes(wb, h, v);                                                                   \
                LLK_UNROLL for (int k = 0; k < 4; k++) {                                              \
                    const __m256i sp = SCALEPAIR(sc16[r], 4 * h + k);                                 \
                    LLK_UNROLL for (int c = 0; c < NC; c++)                                           \
                        MAC(sumi[r][c], _mm256_maddubs_epi16(v[k], ld256(xq + c * xs + b * Q8_K_BYTES + Q8_K_QS + 128 * h + 32 * k)), sp); \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
        LLK_UNROLL for (int r = 0; r < R; r++) {                                                      \
            const float dw = ldh(wg + r * Q6_K_BYTES + 208);                                          \
            LLK_UNROLL for (int c = 0; c < NC; c++)                                                   \
                acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * ldf(xq + c * xs + b * Q8_K_BYTES)), _mm256_cvtepi32_ps(sumi[r][c]), acc[r][c]); \
        }                                                                                             \
    }                                                                                                 \
    LLK_UNROLL for (int r = 0; r < R; r++) LLK_UNROLL for (int c = 0; c < NC; c++) out[r * 4 + c] = hsum8(acc[r][c]);

// int16 vector: low 128 bits = scale 2p broadcast, high 128 bits = scale 2p+1 broadcast.
static const uint8_t k_q6pair[32] __attribute__((aligned(32))) = {
    0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1, 2,3,2,3,2,3,2,3,2,3,2,3,2,3,2,3 };
#define SCALEPAIR_AVX2(sc16, p) _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(sc16, _mm256_set1_epi32(p)), ld256(k_q6pair))
#define SCALEPAIR_VNNI(sc16, p) _mm256_permutexvar_epi16(_mm256_setr_epi16(2*(p),2*(p),2*(p),2*(p),2*(p),2*(p),2*(p),2*(p), \
    2*(p)+1,2*(p)+1,2*(p)+1,2*(p)+1,2*(p)+1,2*(p)+1,2*(p)+1,2*(p)+1), sc16)

INL void q6_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L; Q6K_BODY(MAC_AVX2, SCALEPAIR_AVX2, 1, rb)
}
INL512 void q6_K_vnni(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L; Q6K_BODY(MAC_VNNI, SCALEPAIR_VNNI, 1, rb)
}
GEN_ROWS(llk_rows_q6_K_avx2, q6_K_avx2, )
GEN_ROWS(llk_rows_q6_K_vnni, q6_K_vnni, T512)
INL void q6_K_x8_avx2(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    Q6K_BODY(MAC_AVX2, SCALEPAIR_AVX2, 8, X8_AHEAD * 8 * Q6_K_BYTES)
}
GEN_ROWS_X8(llk_rows8_q6_K_avx2, q6_K_x8_avx2, )

// Q6_K over rows interleaved by 8, 512 bits wide: rows k and k + 4 share a vector (row k in the low 256 bits), so
// that one unpacking of the 6-bit codes and one maddubs/dpwssd serve two rows against an activation broadcast to
// both halves. Each int32 lane gathers the products it gathers in Q6K_BODY (integer sums are exact in any order)
// and the float steps per lane are Q6K_BODY's, so the bits are the same. (The same pairing gains nothing for
// Q4_K, whose cheaper unpacking leaves its 256-bit kernel bound by the multiplies: BENCHMARKS.md, session 17.)
// Two 256-bit halves, row k's then row k + 4's.
INL512 __m512i pair256(const uint8_t *lo, const uint8_t *hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(ld256(lo)), ld256(hi), 1);
}
// The int16 lanes of scales 0 and 1 of row k (lanes 0..15 of sc16) and of row k + 4 (16..31), for permutexvar.
static const uint16_t k_q6pair_rows[32] __attribute__((aligned(64))) = {
    0,0,0,0,0,0,0,0, 1,1,1,1,1,1,1,1, 16,16,16,16,16,16,16,16, 17,17,17,17,17,17,17,17 };
// Pair by pair through the super-block, each pair's float accumulators per int32 lane as Q6K_BODY's.
INL512 void q6_K_x8_zmm(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    __m512 acc[4][4];
    LLK_UNROLL for (int k = 0; k < 4; k++) LLK_UNROLL for (int c = 0; c < NC; c++) acc[k][c] = _mm512_setzero_ps();
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    const __m512i scale_pairs = _mm512_loadu_si512(k_q6pair_rows);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *wg = w + b * 8 * Q6_K_BYTES;
        for (int k = 0; k < 8 * Q6_K_BYTES; k += 64) _mm_prefetch((const char *)wg + X8_AHEAD * 8 * Q6_K_BYTES + k, _MM_HINT_T0);
        LLK_UNROLL for (int k = 0; k < 4; k++) {
            const uint8_t *w0 = wg + k * Q6_K_BYTES, *w1 = wg + (k + 4) * Q6_K_BYTES;
            const __m512i sc16 = _mm512_cvtepi8_epi16(_mm256_setr_m128i(_mm_loadu_si128((const __m128i *)(w0 + 192)),
                                                                        _mm_loadu_si128((const __m128i *)(w1 + 192))));
            __m512i sumi[4];
            LLK_UNROLL for (int c = 0; c < NC; c++) {
                const __m512i bs = _mm512_broadcast_i64x4(ld256(xq + c * xs + b * Q8_K_BYTES + Q8_K_BSUMS));
                sumi[c] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(_mm512_madd_epi16(sc16, bs), 5));
            }
            LLK_UNROLL for (int h = 0; h < 2; h++) {
                const __m512i l0 = pair256(w0 + 64 * h, w1 + 64 * h), l1 = pair256(w0 + 64 * h + 32, w1 + 64 * h + 32);
                const __m512i hb = pair256(w0 + 128 + 32 * h, w1 + 128 + 32 * h);
                __m512i v[4];
                v[0] = _mm512_or_si512(_mm512_and_si512(l0, m4), _mm512_and_si512(_mm512_slli_epi16(hb, 4), m30));
                v[1] = _mm512_or_si512(_mm512_and_si512(l1, m4), _mm512_and_si512(_mm512_slli_epi16(hb, 2), m30));
                v[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(hb, m30));
                v[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4), _mm512_and_si512(_mm512_srli_epi16(hb, 2), m30));
                LLK_UNROLL for (int q = 0; q < 4; q++) {
                    // Sub-blocks 2p and 2p + 1 (p = 4h + q) of each row: its 16-element halves' scales.
                    const int p = 4 * h + q;
                    const __m512i sp = _mm512_permutexvar_epi16(_mm512_add_epi16(scale_pairs, _mm512_set1_epi16((short)(2 * p))), sc16);
                    LLK_UNROLL for (int c = 0; c < NC; c++) {
                        const __m512i a = _mm512_broadcast_i64x4(ld256(xq + c * xs + b * Q8_K_BYTES + Q8_K_QS + 128 * h + 32 * q));
                        sumi[c] = _mm512_dpwssd_epi32(sumi[c], _mm512_maddubs_epi16(v[q], a), sp);
                    }
                }
            }
            const float dw0 = ldh(w0 + 208), dw1 = ldh(w1 + 208);
            LLK_UNROLL for (int c = 0; c < NC; c++) {
                const float dy = ldf(xq + c * xs + b * Q8_K_BYTES);
                const __m512 d = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(dw0 * dy), _mm512_set1_ps(dw1 * dy));
                acc[k][c] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sumi[c]), acc[k][c]);
            }
        }
    }
    LLK_UNROLL for (int k = 0; k < 4; k++) LLK_UNROLL for (int c = 0; c < NC; c++) {
        out[k * 4 + c] = hsum8(_mm512_castps512_ps256(acc[k][c]));
        out[(k + 4) * 4 + c] = hsum8(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[k][c]), 1)));
    }
}
GEN_ROWS_X8(llk_rows8_q6_K_zmm, q6_K_x8_zmm, T512)

LLK_BASELINE_END
