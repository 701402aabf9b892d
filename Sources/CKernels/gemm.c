#include "ckernels.h"
// Prefill GEMM: Y = X · Wᵀ for many activation columns at once.
//
// Why a second kernel family: llk_matmul decodes each weight block once per 4 columns and does the
// per-block float work (convert, scale, accumulate) once per (row, column) pair. Here the weights of
// a tile of rows are unpacked once into signed bytes with integer corrections and scales, and the
// activations are packed into panels of 16 columns in which each 64-byte group holds 4 consecutive
// elements of each of the 16 columns. One vpdpbusd then does 4 multiply-adds for 16 columns against a
// broadcast 4-byte group of one weight row, and the per-block scaling works on 16 columns at once.
//
// Numerics: ggml's, to the bit. Each output keeps ggml's eight float lanes (lane g: elements 4g..4g+3
// of every 32) with their exact integer partial sums (for the byte kernels, activations are stored
// as unsigned q + 128 and the unpacked row carries -128 * sum(w) per 4-element group to undo it),
// scaled and accumulated per block as ggml does, then summed in hsum_float_8's order.
//
// Panels (PW = 16 columns; columns past ncols are zero, stored as 128):
//   Q8_0/Q8_1 activations, per 32-block: u8 q+128 [8 groups][16 cols][4] | f32 d[16] | (Q8_1) f32 s[16]
//   Q8_K activations, per 256-block:     u8 q+128 [64 groups][16 cols][4] | f32 d[16] | i32 bsum32[8][16]
//                                        | i16 bsum16[8][16][2] (sub-blocks 2j and 2j+1 side by side)
// Unpacked weight rows, per block:
//   Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL (80 B): s8 w[32] | i32 corr[8] (per 4-element group) | f32 d | f32 m
//                           | i32 corr of the whole block (IQ4_NL) | pad
//   Q3_K Q4_K Q5_K Q6_K IQ4_XS (384 B): s8 q[256] (K-quants: unsigned codes; IQ4_XS: the signed values)
//                           | i32 sc[16] (Q3_K, Q6_K: 16 sub-block scales, else 8; IQ4_XS: s - 32)
//                           | i32 m[8] (Q3_K, Q6_K: the scales as int16 pairs, sub-blocks 2j and 2j+1)
//                           | i32 corr[4] (per 64 elements) | f32 d | f32 dmin | pad
// The K-quant codes go through vpdpbusd too (4 products per lane); each sub-block's integer sum is
// then multiplied by its scale, and corr = 128 * sum(sc * q) over 64 elements undoes the +128 of the
// activations (Q6_K's -32 and Q3_K's -4 offsets come off through bsums, as ggml does). The integers are ggml's, exactly.
#include <immintrin.h>
#include <string.h>
#include "block_simd.h"
#include "formats.h"

LLK_BASELINE_BEGIN


enum { PW = 16 };
// Weight rows the K-quant micro-kernel runs at once (one integer accumulator each).
enum { KQ_ROWS = 8 };
// Byte offsets in a Q8_K panel block and in an unpacked K-quant weight block (see the layouts above).
enum { KP_D = 4096, KP_BSUM32 = KP_D + 64, KP_BSUM16 = KP_BSUM32 + 512, KP_BYTES = KP_BSUM16 + 512 };
enum { KU_SC = 256, KU_M = KU_SC + 64, KU_CORR = KU_M + 32, KU_D = KU_CORR + 16, KU_DMIN = KU_D + 4, KU_BYTES = GEMM_UNPACKED_K };

INL void sti(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }
INL void stf(uint8_t *p, float v) { memcpy(p, &v, 4); }

// A type's facts for the GEMM, from its record in the type table (traits.c).
typedef struct {
    int fam;            // activation format: LLK_Q8_0, LLK_Q8_1 or LLK_Q8_K
    int bsize;          // elements per weight block
    size_t wbytes;      // bytes per ggml weight block
    size_t ubytes;      // bytes per unpacked weight block
} gemm_type;

static int gemm_type_of(int t, gemm_type *g) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    if (!tt->gemm_isa) return 0;
    *g = (gemm_type){tt->activation, tt->block_size, (size_t)tt->type_size, (size_t)tt->gemm_unpacked_size};
    return 1;
}

static size_t panel_block_bytes(int f) {
    switch (f) {
    case LLK_Q8_0: return 512 + 64;
    case LLK_Q8_1: return 512 + 128;
    default: return KP_BYTES;
    }
}

size_t llk_gemm_panel_bytes(int t, int64_t ncols, int64_t n) {
    gemm_type g;
    if (!gemm_type_of(t, &g) || ncols <= 0) return 0;
    const int64_t panels = (ncols + PW - 1) / PW;
    return (size_t)panels * (size_t)(n / g.bsize) * panel_block_bytes(g.fam);
}

size_t llk_gemm_scratch_bytes(int t, int64_t n, int64_t rows) {
    gemm_type g;
    if (!gemm_type_of(t, &g)) return 0;
    return (size_t)rows * (size_t)(n / g.bsize) * g.ubytes;
}

// ---------------------------------------------------------------------------------------------
// Activation panels, from the quantized rows of llk_quantize_activation.

void llk_gemm_pack(int t, const void *vxq, size_t xq_stride, int64_t ncols, int64_t n, void *vout) {
    gemm_type g;
    if (!gemm_type_of(t, &g) || ncols <= 0) return;
    const uint8_t *xq = (const uint8_t *)vxq;
    uint8_t *out = (uint8_t *)vout;
    const int64_t nb = n / g.bsize, panels = (ncols + PW - 1) / PW;
    const size_t pbb = panel_block_bytes(g.fam);
    memset(out, 0, (size_t)panels * (size_t)nb * pbb);
    // Zero columns hold q = 0, stored as 128.
    for (int64_t p = 0; p < panels; p++)
        for (int64_t b = 0; b < nb; b++) memset(out + ((size_t)p * nb + b) * pbb, 128, (size_t)g.bsize * PW);
    // Trailer offsets of the activation row (see llk_layout_of in activation.c).
    const size_t off_d = align32((size_t)nb * (g.fam == LLK_Q8_0 ? Q8_0_BYTES : Q8_1_BYTES));
    const size_t off_s = off_d + align32((size_t)nb * 4);
    for (int64_t c = 0; c < ncols; c++) {
        const uint8_t *x = xq + (size_t)c * xq_stride;
        const int64_t p = c / PW, lane = c % PW;
        for (int64_t b = 0; b < nb; b++) {
            uint8_t *pb = out + ((size_t)p * nb + b) * pbb;
            if (g.fam == LLK_Q8_K) {
                const uint8_t *blk = x + (size_t)b * Q8_K_BYTES;
                const int8_t *q = (const int8_t *)(blk + Q8_K_QS);
                stf(pb + KP_D + 4 * lane, ldf(blk));
                LLK_UNROLL for (int j = 0; j < 8; j++) {
                    const int16_t s0 = ld16s(blk + Q8_K_BSUMS + 4 * j), s1 = ld16s(blk + Q8_K_BSUMS + 2 + 4 * j);
                    sti(pb + KP_BSUM32 + 64 * j + 4 * lane, s0 + s1);
                    memcpy(pb + KP_BSUM16 + 64 * j + 4 * lane, blk + Q8_K_BSUMS + 4 * j, 4);
                }
                for (int e = 0; e < QK_K; e++) pb[(e / 4) * 64 + lane * 4 + (e % 4)] = (uint8_t)(q[e] + 128);
            } else {
                const int8_t *q = (const int8_t *)(x + (size_t)b * (g.fam == LLK_Q8_0 ? Q8_0_BYTES : Q8_1_BYTES) + (g.fam == LLK_Q8_0 ? 2 : 4));
                stf(pb + 512 + 4 * lane, ldf(x + off_d + 4 * (size_t)b));
                if (g.fam == LLK_Q8_1) stf(pb + 576 + 4 * lane, ldf(x + off_s + 4 * (size_t)b));
                LLK_UNROLL for (int e = 0; e < QK8_0; e++) pb[(e / 4) * 64 + lane * 4 + (e % 4)] = (uint8_t)(q[e] + 128);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Weight unpacking: one row of ggml blocks -> unpacked blocks (signed codes, correction, scales).


// corr[c] = 128 * sum of sc_j * q over the sub-blocks j (of `sub` elements) in elements 64c..64c+63; the codes
// are unsigned or, with `is_signed`, signed bytes.
static void store_corrections(uint8_t *u, int sub, int is_signed) {
    for (int c = 0; c < 4; c++) {
        int32_t corr = 0;
        for (int j = 64 * c / sub; j < 64 * (c + 1) / sub; j++) {
            // Byte sums by psadbw, 16 at a time; signed codes are flipped to unsigned and the flip taken back off.
            int32_t sum = 0;
            for (int e = 0; e < sub; e += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + j * sub + e));
                if (is_signed) v = _mm_xor_si128(v, _mm_set1_epi8((char)0x80));
                const __m128i s = _mm_sad_epu8(v, _mm_setzero_si128());
                sum += _mm_cvtsi128_si32(s) + _mm_extract_epi32(s, 2) - (is_signed ? 128 * 16 : 0);
            }
            corr += (int32_t)ld32(u + KU_SC + 4 * j) * sum;
        }
        sti(u + KU_CORR + 4 * c, 128 * corr);
    }
}

// n int32 values at p, rewritten as floats in place.
static void to_float(uint8_t *p, int n) {
    for (int i = 0; i < n; i++) stf(p + 4 * i, (float)(int32_t)ld32(p + 4 * i));
}

// Q3_K, Q6_K: the 16 sub-block scales again as int16 pairs at KU_M, for the bsum16 term's vpdpwssd.
static void store_scale_pairs(uint8_t *u) {
    for (int j = 0; j < 8; j++) {
        const uint16_t lo = (uint16_t)(int16_t)(int32_t)ld32(u + KU_SC + 8 * j), hi = (uint16_t)(int16_t)(int32_t)ld32(u + KU_SC + 8 * j + 4);
        sti(u + KU_M + 4 * j, (int32_t)((uint32_t)hi << 16 | lo));
    }
}

// src: the row's first block; its blocks are `stride` bytes apart.
static void unpack_row(int t, const uint8_t *src, size_t stride, int64_t nb, uint8_t *dst, size_t ubytes) {
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *u = dst + (size_t)b * ubytes;
        switch (t) {
        case LLK_Q4_0: case LLK_Q4_1: case LLK_Q5_0: case LLK_Q5_1: case LLK_Q8_0: case LLK_IQ4_NL: {
            const int has_min = t == LLK_Q4_1 || t == LLK_Q5_1, has_high = t == LLK_Q5_0 || t == LLK_Q5_1;
            const uint8_t *blk = src + (size_t)b * stride;
            const uint8_t *qs = blk + 2 + (has_min ? 2 : 0) + (has_high ? 4 : 0);
            __m256i codes;
            if (t == LLK_Q8_0) {
                codes = ld256(blk + 2);
            } else if (t == LLK_IQ4_NL) {
                codes = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)llk_iq4nl_values)), nibbles32(qs));
            } else {
                codes = nibbles32(qs);
                if (has_high) codes = _mm256_or_si256(codes, bits32_x10(ld32(blk + 2 + (has_min ? 2 : 0))));
                if (!has_min) codes = _mm256_sub_epi8(codes, _mm256_set1_epi8(has_high ? 16 : 8));
            }
            // -128 * (sum of each 4-element group): undoes the +128 of the unsigned activations.
            const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), codes), _mm256_set1_epi16(1));
            _mm256_storeu_si256((__m256i *)(void *)u, codes);
            _mm256_storeu_si256((__m256i *)(void *)(u + 32), _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sums, 7)));
            stf(u + 64, ldh(blk));
            stf(u + 68, has_min ? ldh(blk + 2) : 0.0f);
            if (t == LLK_IQ4_NL) {   // mk_iq4_nl starts each block's integer sum from its whole correction
                int32_t corr[8], block_corr = 0;
                memcpy(corr, u + 32, sizeof corr);
                for (int g = 0; g < 8; g++) block_corr += corr[g];
                sti(u + 72, block_corr);
            }
            break;
        }
        case LLK_Q4_K: case LLK_Q5_K: {
            const int five = t == LLK_Q5_K;
            const uint8_t *blk = src + (size_t)b * stride;
            const uint8_t *ql = blk + (five ? 48 : 16);
            const __m256i qh = five ? ld256(blk + 16) : _mm256_setzero_si256(), m4 = _mm256_set1_epi8(0x0F), m10 = _mm256_set1_epi8(0x10);
            uint8_t sc[8], mn[8];
            k4_scales(blk + 4, sc, mn);
            for (int j = 0; j < 4; j++) {
                // Sub-blocks 2j (low nibbles) and 2j+1 (high nibbles), plus Q5_K's fifth bit 2j / 2j+1 of qh.
                const __m256i raw = ld256(ql + 32 * j);
                const __m256i lo = _mm256_or_si256(_mm256_and_si256(raw, m4), _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * j), 4), m10));
                const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * j + 1), 4), m10));
                _mm256_storeu_si256((__m256i *)(void *)(u + 64 * j), lo);
                _mm256_storeu_si256((__m256i *)(void *)(u + 64 * j + 32), hi);
            }
            for (int j = 0; j < 8; j++) { sti(u + KU_SC + 4 * j, sc[j]); sti(u + KU_M + 4 * j, mn[j]); }
            stf(u + KU_D, ldh(blk));
            stf(u + KU_DMIN, ldh(blk + 2));
            store_corrections(u, 32, 0);
            if (t == LLK_Q4_K) {   // mk_q4_K reads its scales, mins and corrections as floats
                to_float(u + KU_SC, 8);
                to_float(u + KU_M, 8 + 4);
            }
            break;
        }
        case LLK_Q6_K: {
            const uint8_t *blk = src + (size_t)b * stride;
            const int8_t *scales = (const int8_t *)(blk + 192);
            for (int h = 0; h < 2; h++) {
                __m256i q[4];
                q6_codes(blk, h, q);
                for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i *)(void *)(u + 128 * h + 32 * k), q[k]);
            }
            for (int j = 0; j < 16; j++) sti(u + KU_SC + 4 * j, scales[j]);
            stf(u + KU_D, ldh(blk + 208));
            store_corrections(u, 16, 0);
            store_scale_pairs(u);
            break;
        }
        case LLK_Q3_K: {
            const uint8_t *blk = src + (size_t)b * stride;
            for (int h = 0; h < 2; h++)
                for (int j = 0; j < 4; j++) _mm256_storeu_si256((__m256i *)(void *)(u + 128 * h + 32 * j), q3_codes(blk, h, j));
            for (int j = 0; j < 16; j++) sti(u + KU_SC + 4 * j, q3k_scale(blk + 96, j));
            stf(u + KU_D, ldh(blk + 108));
            store_corrections(u, 16, 0);
            store_scale_pairs(u);
            break;
        }
        case LLK_IQ4_XS: {
            const uint8_t *blk = src + (size_t)b * stride;
            const __m256i values = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)llk_iq4nl_values));
            for (int j = 0; j < 8; j++) {
                // Sub-block j: elements 0..15 in the low nibbles of its 16 bytes, 16..31 in the high ones.
                const __m256i codes = _mm256_shuffle_epi8(values, nibbles32(blk + IQ4_XS_QS + 16 * j));
                _mm256_storeu_si256((__m256i *)(void *)(u + 32 * j), codes);
                sti(u + KU_SC + 4 * j, iq4_xs_scale(blk, j));
            }
            stf(u + KU_D, ldh(blk));
            store_corrections(u, 32, 1);
            break;
        }
        default: break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels, written once in gemm_kernels.h over a few vector operations and instantiated per ISA.

// AVX-512 VNNI: one 16-column panel per call; vpdpbusd does 4 u8×s8 products per lane.
#define ISA _512
#define ISA_ATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define LANES 16
#define VI __m512i
#define VF __m512
#define ZEROI() _mm512_setzero_si512()
#define ZEROF() _mm512_setzero_ps()
#define BCAST(p) _mm512_set1_epi32((int)ld32(p))
#define LOADI(p) _mm512_load_si512((const void *)(p))
#define LOADF(p) _mm512_load_ps((const float *)(const void *)(p))
#define SETF(x) _mm512_set1_ps(x)
#define DOT(s, a, w) _mm512_dpbusd_epi32(s, a, w)
#define DOTW(s, a, w) _mm512_dpwssd_epi32(s, a, w)
#define ADDI(a, b) _mm512_add_epi32(a, b)
#define SUBI(a, b) _mm512_sub_epi32(a, b)
#define SLLI(a, n) _mm512_slli_epi32(a, n)
#define MULLO(a, b) _mm512_mullo_epi32(a, b)
#define CVT(a) _mm512_cvtepi32_ps(a)
#define MULF(a, b) _mm512_mul_ps(a, b)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define FNMA(a, b, c) _mm512_fnmadd_ps(a, b, c)
#define SUBF(a, b) _mm512_sub_ps(a, b)
#define ADDF(a, b) _mm512_add_ps(a, b)
#define STOREF(p, a) _mm512_store_ps(p, a)
#include "gemm_kernels.h"

// AVX2: half a panel (8 columns) per call. vpmaddubsw's int16 pair sums stay below 2^15 while
// |w| <= 64 (every type but Q8_0, whose codes reach 128, so Q8_0 keeps llk_matmul on AVX2; Q6_K's codes
// 0..63 give at most 2 * 255 * 63 = 32130).
#define ISA _avx2
#define ISA_ATTR
#define LANES 8
#define VI __m256i
#define VF __m256
#define ZEROI() _mm256_setzero_si256()
#define ZEROF() _mm256_setzero_ps()
#define BCAST(p) _mm256_set1_epi32((int)ld32(p))
#define LOADI(p) _mm256_load_si256((const __m256i *)(const void *)(p))
#define LOADF(p) _mm256_load_ps((const float *)(const void *)(p))
#define SETF(x) _mm256_set1_ps(x)
#define DOT(s, a, w) _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(a, w), _mm256_set1_epi16(1)))
#define DOTW(s, a, w) _mm256_add_epi32(s, _mm256_madd_epi16(a, w))
#define ADDI(a, b) _mm256_add_epi32(a, b)
#define SUBI(a, b) _mm256_sub_epi32(a, b)
#define SLLI(a, n) _mm256_slli_epi32(a, n)
#define MULLO(a, b) _mm256_mullo_epi32(a, b)
#define CVT(a) _mm256_cvtepi32_ps(a)
#define MULF(a, b) _mm256_mul_ps(a, b)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define SUBF(a, b) _mm256_sub_ps(a, b)
#define ADDF(a, b) _mm256_add_ps(a, b)
#define STOREF(p, a) _mm256_store_ps(p, a)
#include "gemm_kernels.h"

int llk_gemm_available(int t) {
    // AVX2 without VNNI: all but Q8_0 (gemm_isa 2); the K-quant GEMM beats llk_matmul there too
    // (BENCHMARKS.md, "Speed vs llama.cpp, session 5").
    const int from = llk_type_traits_of(t)->gemm_isa;
    return from > 0 && llk_current_isa() >= from;
}

// The types with wide kernels (32-element formats) give the same bits in the GEMM and the integer kernels, so there the
// choice is speed (formats.h, WIDE_GEMM_FROM).
int llk_gemm_min_columns(int t) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    return tt->wide[llk_current_isa()] && tt->gemm_min_columns < WIDE_GEMM_FROM ? WIDE_GEMM_FROM : tt->gemm_min_columns;
}

void llk_gemm(int t, const void *w, size_t row_bytes, int row_group, const void *panels, int64_t ncols, int64_t n,
              float *y, int64_t ldy, int64_t row_begin, int64_t row_end, void *scratch, size_t scratch_bytes) {
    gemm_type g;
    if (!llk_gemm_available(t) || !gemm_type_of(t, &g) || row_end <= row_begin || ncols <= 0 || row_group < 1) return;
    const int wide = llk_current_isa() >= 2;
    const int64_t nb = n / g.bsize, panel_count = (ncols + PW - 1) / PW;
    const size_t ws = (size_t)nb * g.ubytes, pstride = (size_t)nb * panel_block_bytes(g.fam);
    int64_t tile_rows = (int64_t)(scratch_bytes / ws);
    if (tile_rows < 1) return;
    if (tile_rows > KQ_ROWS) tile_rows &= ~(int64_t)(KQ_ROWS - 1);
    uint8_t *tile = (uint8_t *)scratch;
    for (int64_t r0 = row_begin; r0 < row_end; r0 += tile_rows) {
        const int64_t nr = row_end - r0 < tile_rows ? row_end - r0 : tile_rows;
        // Rows interleaved by row_group are unpacked block by block across the rows, in the weights' memory order (row by
        // row they would be row_group strided streams); plain rows row by row.
        const size_t stride = (size_t)row_group * g.wbytes;
        const int64_t blocks_per_call = row_group > 1 ? 1 : nb;
        for (int64_t b = 0; b < nb; b += blocks_per_call)
            for (int64_t r = 0; r < nr; r++)
                unpack_row(t, row_start((const uint8_t *)w, row_bytes, row_group, r0 + r, g.wbytes) + (size_t)b * stride, stride,
                           blocks_per_call, tile + (size_t)r * ws + (size_t)b * g.ubytes, g.ubytes);
        for (int64_t p = 0; p < panel_count; p++) {
            const int lanes = (int)(ncols - p * PW < PW ? ncols - p * PW : PW);
            const uint8_t *pn = (const uint8_t *)panels + (size_t)p * pstride;
            float *yp = y + p * PW * ldy + (r0 - row_begin);
            if (wide) {
                panel_512(t, tile, ws, nr, pn, nb, lanes, yp, ldy);
            } else {
                panel_avx2(t, tile, ws, nr, pn, nb, lanes < 8 ? lanes : 8, yp, ldy);
                if (lanes > 8) panel_avx2(t, tile, ws, nr, pn + 32, nb, lanes - 8, yp + 8 * ldy, ldy);
            }
        }
    }
}

LLK_BASELINE_END
