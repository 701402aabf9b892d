// The 32-element "legacy" quants, Q4_0 Q4_1 Q5_0 Q5_1 Q8_0: their scalar reference dot products and their
// AVX2 and AVX-512 VNNI row kernels. Q4_0, Q5_0 and Q8_0 multiply with Q8_0 activations, Q4_1 and Q5_1 with
// Q8_1 (ggml's vec_dot_type). Their entries in the type table: traits.c. Layouts: formats.h.
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "row_kernels.h"

LLK_BASELINE_BEGIN

// ---------------------------------------------------------------------------------------------
// Scalar reference dot products (one row, one activation vector). Only the ggml blocks are read.

float llk_ref_q4_0(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK4_0; b++, w += Q4_0_BYTES, a += Q8_0_BYTES) {
        const int8_t *y = (const int8_t *)(a + 2);
        int sumi = 0;
        LLK_UNROLL for (int j = 0; j < 16; j++)
            sumi += ((w[2+j] & 0xF) - 8) * y[j] + ((w[2+j] >> 4) - 8) * y[j+16];
        s += sumi * (ldh(w) * ldh(a));
    }
    return s;
}

float llk_ref_q4_1(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK4_1; b++, w += Q4_1_BYTES, a += Q8_1_BYTES) {
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0;
        LLK_UNROLL for (int j = 0; j < 16; j++)
            sumi += (w[4+j] & 0xF) * y[j] + (w[4+j] >> 4) * y[j+16];
        s += (ldh(w) * ldh(a)) * sumi + ldh(w + 2) * ldh(a + 2);
    }
    return s;
}

float llk_ref_q5_0(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK5_0; b++, w += Q5_0_BYTES, a += Q8_0_BYTES) {
        const int8_t *y = (const int8_t *)(a + 2);
        uint32_t qh = ld32(w + 2);
        int sumi = 0;
        for (int j = 0; j < 16; j++) {
            int x0 = ((w[6+j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
            int x1 = ((w[6+j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            sumi += x0 * y[j] + x1 * y[j+16];
        }
        s += sumi * (ldh(w) * ldh(a));
    }
    return s;
}

float llk_ref_q5_1(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK5_1; b++, w += Q5_1_BYTES, a += Q8_1_BYTES) {
        const int8_t *y = (const int8_t *)(a + 4);
        uint32_t qh = ld32(w + 4);
        int sumi = 0;
        for (int j = 0; j < 16; j++) {
            int x0 = (w[8+j] & 0xF) | (((qh >> j) & 1) << 4);
            int x1 = (w[8+j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            sumi += x0 * y[j] + x1 * y[j+16];
        }
        s += (ldh(w) * ldh(a)) * sumi + ldh(w + 2) * ldh(a + 2);
    }
    return s;
}

float llk_ref_q8_0(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / QK8_0; b++, w += Q8_0_BYTES, a += Q8_0_BYTES) {
        const int8_t *x = (const int8_t *)(w + 2), *y = (const int8_t *)(a + 2);
        int sumi = 0;
        LLK_UNROLL for (int j = 0; j < 32; j++) sumi += x[j] * y[j];
        s += sumi * (ldh(w) * ldh(a));
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// SIMD kernels

// Block b's share of the next group of NR rows: the next group streams in at the pace this one is read.
INL void prefetch_next_group(const uint8_t *w, size_t rb, int NR, int BLK, int64_t b) {
    const char *pf = (const char *)w + NR * rb + b * NR * BLK;
    for (int k = 0; k < NR * BLK; k += 64) _mm_prefetch(pf + k, _MM_HINT_T0);
}

// ---- Q8_0-activation families: Q4_0, Q5_0, Q8_0 ----
// ISA 1 (AVX2): maddubs(u8 codes, q) -> madd(ones) -> + corr.  ISA 2: dpbusd(corr, u8 codes, q).

#define Q80_LOOP(BLK, CODES)                                                                          \
    __m256 acc[NR][NC];                                                                               \
    for (int r = 0; r < NR; r++) for (int c = 0; c < NC; c++) acc[r][c] = _mm256_setzero_ps();        \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        prefetch_next_group(w, rb, NR, BLK, b);                                                       \
        for (int r = 0; r < NR; r++) {                                                                \
            const uint8_t *wb = w + r * rb + b * BLK;                                                 \
            CODES                                                                                     \
            const float dx = ldh(wb);                                                                 \
            for (int c = 0; c < NC; c++) {                                                            \
                const uint8_t *a = xq + c * xs;                                                       \
                const __m256i y = ld256(a + b * Q8_0_BYTES + 2);                                      \
                const __m256i corr = ld256(a + L->off_aux + b * 32);                                  \
                DOT                                                                                   \
                const float d = dx * ((const float *)(const void *)(a + L->off_d))[b];                \
                acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(p), acc[r][c]);     \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    for (int r = 0; r < NR; r++) for (int c = 0; c < NC; c++) out[r * 4 + c] = hsum8(acc[r][c]);

#define DOT __m256i p = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(q, y), _mm256_set1_epi16(1)), corr);
INL void q4_0_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(Q4_0_BYTES, const __m256i q = nibbles32(wb + 2);)
}
INL void q5_0_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(Q5_0_BYTES, const __m256i q = _mm256_or_si256(nibbles32(wb + 6), bits32_x10(ld32(wb + 2)));)
}
#undef DOT
// Q8_0 on AVX2: sign trick (|x| as u8, sign(x) moved onto q) — no correction needed.
#define DOT (void)corr; __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(y, q)), _mm256_set1_epi16(1));
INL void q8_0_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(Q8_0_BYTES, const __m256i q = ld256(wb + 2); const __m256i ax = _mm256_abs_epi8(q);)
}
#undef DOT
// The VNNI kernels' weight codes of block wb as unsigned bytes (the activation's corr takes the offset back off).
#define Q4_0_CODES_VNNI const __m256i q = nibbles32(wb + 2);
#define Q5_0_CODES_VNNI const __m256i q = _mm256_mask_add_epi8(nibbles32(wb + 6), _cvtu32_mask32(ld32(wb + 2)), nibbles32(wb + 6), _mm256_set1_epi8(16));
#define Q8_0_CODES_VNNI const __m256i q = _mm256_xor_si256(ld256(wb + 2), _mm256_set1_epi8((char)0x80));
#define DOT __m256i p = _mm256_dpbusd_epi32(corr, q, y);
INL512 void q4_0_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(Q4_0_BYTES, Q4_0_CODES_VNNI)
}
INL512 void q5_0_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(Q5_0_BYTES, Q5_0_CODES_VNNI)
}
INL512 void q8_0_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(Q8_0_BYTES, Q8_0_CODES_VNNI)
}
#undef DOT

GEN_ROWS_MR(llk_rows_q4_0_avx2, q4_0_avx2, )
GEN_ROWS_MR(llk_rows_q5_0_avx2, q5_0_avx2, )
GEN_ROWS_MR(llk_rows_q8_0_avx2, q8_0_avx2, )
GEN_ROWS_MR(llk_rows_q4_0_vnni, q4_0_vnni, T512)
GEN_ROWS_MR(llk_rows_q5_0_vnni, q5_0_vnni, T512)
GEN_ROWS_MR(llk_rows_q8_0_vnni, q8_0_vnni, T512)

// ---- Two to eight activation columns per pass (VNNI): batches of decode rows ----
// Per (block, column) the kernels above run a 256-bit dpbusd, a scale and an fma, so a batch of eight decode rows
// costs eight times one. Here one zmm holds two weight rows' eight ggml lanes side by side for one column (the
// column's activation block broadcast to both halves), so each of those steps serves two rows, and each row's block
// is decoded once for all the columns. Each (row, column) takes exactly Q80_LOOP's arithmetic (d = dx * dy rounded
// to float, then the fma), so every column has the bits of its product alone.

// NP pairs of rows (a lone last row is paired with itself) against NC columns; out[r * 8 + c].
#define WIDE_LOOP(BLK, CODES)                                                                         \
    __m512 acc[2][8];  /* fixed sizes: arrays of NP or NC would be allocated afresh in every iteration */ \
    LLK_UNROLL for (int p = 0; p < NP; p++) LLK_UNROLL for (int c = 0; c < NC; c++) acc[p][c] = _mm512_setzero_ps(); \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        prefetch_next_group(w, rb, 2 * NP, BLK, b);                                                   \
        __m512i q2[2];                                                                                \
        __m512 dx2[2];                                                                                \
        LLK_UNROLL for (int p = 0; p < NP; p++) {                                                     \
            __m256i qr[2];                                                                            \
            float dr[2];                                                                              \
            LLK_UNROLL for (int h = 0; h < 2; h++) {                                                  \
                const uint8_t *wb = w + (2 * p + h < nr ? 2 * p + h : 2 * p) * rb + b * BLK;           \
                CODES                                                                                 \
                qr[h] = q;                                                                            \
                dr[h] = ldh(wb);                                                                      \
            }                                                                                         \
            q2[p] = _mm512_inserti64x4(_mm512_castsi256_si512(qr[0]), qr[1], 1);                      \
            dx2[p] = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(dr[0])),     \
                                                         _mm256_castps_pd(_mm256_set1_ps(dr[1])), 1)); \
        }                                                                                             \
        LLK_UNROLL for (int c = 0; c < NC; c++) {                                                     \
            const uint8_t *a = xq + c * xs;                                                           \
            const __m512i y = _mm512_broadcast_i64x4(ld256(a + b * Q8_0_BYTES + 2));                  \
            const __m512i corr = _mm512_broadcast_i64x4(ld256(a + L->off_aux + b * 32));              \
            const __m512 dy = _mm512_set1_ps(((const float *)(const void *)(a + L->off_d))[b]);       \
            LLK_UNROLL for (int p = 0; p < NP; p++) {                                                 \
                const __m512i s = _mm512_dpbusd_epi32(corr, q2[p], y);                                \
                acc[p][c] = _mm512_fmadd_ps(_mm512_mul_ps(dx2[p], dy), _mm512_cvtepi32_ps(s), acc[p][c]); \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    LLK_UNROLL for (int p = 0; p < NP; p++) LLK_UNROLL for (int c = 0; c < NC; c++) {                 \
        out[2 * p * 8 + c] = hsum8(_mm512_castps512_ps256(acc[p][c]));                                \
        out[(2 * p + 1) * 8 + c] = hsum8(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[p][c]), 1))); \
    }

#define WIDE_ARGS const uint8_t *w, size_t rb, int64_t nr, const int NP, const uint8_t *xq, size_t xs, const int NC, int64_t nb, \
                  const act_layout *L, float *out
INL512 void q4_0_wide(WIDE_ARGS) { WIDE_LOOP(Q4_0_BYTES, Q4_0_CODES_VNNI) }
INL512 void q5_0_wide(WIDE_ARGS) { WIDE_LOOP(Q5_0_BYTES, Q5_0_CODES_VNNI) }
INL512 void q8_0_wide(WIDE_ARGS) { WIDE_LOOP(Q8_0_BYTES, Q8_0_CODES_VNNI) }
#undef WIDE_ARGS

// The body for NP pairs of rows and nc columns, each a compile-time constant.
#define WIDE_CALL(body, NP)                                                                            \
    switch (nc) {                                                                                      \
    case 2: body(wr, rb, left, NP, xq, xs, 2, nb, L, o); break;                                        \
    case 3: body(wr, rb, left, NP, xq, xs, 3, nb, L, o); break;                                        \
    case 4: body(wr, rb, left, NP, xq, xs, 4, nb, L, o); break;                                        \
    case 5: body(wr, rb, left, NP, xq, xs, 5, nb, L, o); break;                                        \
    case 6: body(wr, rb, left, NP, xq, xs, 6, nb, L, o); break;                                        \
    case 7: body(wr, rb, left, NP, xq, xs, 7, nb, L, o); break;                                        \
    default: body(wr, rb, left, NP, xq, xs, 8, nb, L, o); break;                                       \
    }
// Four rows at a time (two pairs), then a pair, then a lone row; 2 to 8 columns.
#define GEN_ROWS_WIDE(name, body)                                                                      \
    T512 LLK_ROW_KERNEL(name) {                                                                        \
        float o[32];                                                                                   \
        for (int64_t r = 0; r < nr;) {                                                                 \
            const int64_t left = nr - r;                                                               \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            if (left >= 4) WIDE_CALL(body, 2) else WIDE_CALL(body, 1)                                  \
            const int64_t done = left < 4 ? (left < 2 ? left : 2) : 4;                                 \
            for (int64_t i = 0; i < done; i++)                                                         \
                for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r + i] = o[i * 8 + c];               \
            r += done;                                                                                 \
        }                                                                                              \
    }
GEN_ROWS_WIDE(llk_wide_q4_0_vnni, q4_0_wide)
GEN_ROWS_WIDE(llk_wide_q5_0_vnni, q5_0_wide)
GEN_ROWS_WIDE(llk_wide_q8_0_vnni, q8_0_wide)

// ---- Q8_1-activation families: Q4_1, Q5_1 ----
// NR rows at a time as Q80_LOOP (independent accumulation chains that share each activation load).
#define Q81_LOOP(BLK, CODES)                                                                          \
    __m256 acc[NR][NC]; float accm[NR][NC];                                                           \
    for (int r = 0; r < NR; r++) for (int c = 0; c < NC; c++) { acc[r][c] = _mm256_setzero_ps(); accm[r][c] = 0; } \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        prefetch_next_group(w, rb, NR, BLK, b);                                                       \
        for (int r = 0; r < NR; r++) {                                                                \
            const uint8_t *wb = w + r * rb + b * BLK;                                                 \
            CODES                                                                                     \
            const __m128 dm = _mm_cvtph_ps(_mm_cvtsi32_si128((int)ld32(wb)));  /* d and m at once */ \
            const float dx = _mm_cvtss_f32(dm), mx = _mm_cvtss_f32(_mm_movehdup_ps(dm));               \
            for (int c = 0; c < NC; c++) {                                                            \
                const uint8_t *a = xq + c * xs;                                                       \
                const __m256i y = ld256(a + b * Q8_1_BYTES + 4);                                      \
                DOT                                                                                   \
                const float d = dx * ((const float *)(const void *)(a + L->off_d))[b];                \
                acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(p), acc[r][c]);     \
                accm[r][c] += mx * ((const float *)(const void *)(a + L->off_aux))[b];                \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    for (int r = 0; r < NR; r++) for (int c = 0; c < NC; c++) out[r * 4 + c] = hsum8(acc[r][c]) + accm[r][c];

#define DOT __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), _mm256_set1_epi16(1));
INL void q4_1_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q81_LOOP(Q4_1_BYTES, const __m256i q = nibbles32(wb + 4);)
}
INL void q5_1_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q81_LOOP(Q5_1_BYTES, const __m256i q = _mm256_or_si256(nibbles32(wb + 8), bits32_x10(ld32(wb + 4)));)
}
#undef DOT
// VNNI: dpbusd sums the same four products per int32 lane as maddubs and madd(ones) do.
#define DOT __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, y);
INL512 void q4_1_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q81_LOOP(Q4_1_BYTES, const __m256i q = nibbles32(wb + 4);)
}
#undef DOT
GEN_ROWS_MR(llk_rows_q4_1_avx2, q4_1_avx2, )
GEN_ROWS_MR(llk_rows_q5_1_avx2, q5_1_avx2, )
GEN_ROWS_MR(llk_rows_q4_1_vnni, q4_1_vnni, T512)

LLK_BASELINE_END
