// Block geometry of the ggml formats CKernels multiplies, the layout of its quantized activation rows,
// and the kernels each format file defines for the type table (traits.c). Private to CKernels.
//
// Block layouts (bytes, little-endian, packed; ggml's block_* structs):
//   Q4_0 18: d f16 | qs[16]            Q4_1 20: d | m | qs[16]
//   Q5_0 22: d | qh u32 | qs[16]       Q5_1 24: d | m | qh u32 | qs[16]      Q8_0 34: d | qs[32] int8
//   Q2_K 84: scales[16] | qs[64] | d | dmin
//   Q3_K 110: hmask[32] | qs[64] | scales[12] | d
//   Q4_K 144: d | dmin | scales[12] | qs[128]
//   Q5_K 176: d | dmin | scales[12] | qh[32] | qs[128]
//   Q6_K 210: ql[128] | qh[64] | scales[16] int8 | d
//   Q8_1 36: d | s | qs[32]            Q8_K 292: d f32 | qs[256] | bsums[16] int16
//   IQ4_NL 18: d | qs[16] (4-bit indices into the 16 non-linear values llk_iq4nl_values)
//   IQ4_XS 136: d | scales_h u16 | scales_l[4] | qs[128] (8 sub-blocks of 32, 6-bit scales biased by 32)
#pragma once
#include "ckernels.h"

// Elements per block (ggml's QK4_0 ... QK_K) and bytes per block, as ggml's static_asserts state them.
enum {
    QK4_0 = 32, QK4_1 = 32, QK5_0 = 32, QK5_1 = 32, QK8_0 = 32, QK8_1 = 32,
    QK_K = 256,
    QK4_NL = 32, QK_MXFP4 = 32,
    F16_BYTES = 2,
    Q4_0_BYTES = F16_BYTES + QK4_0 / 2,
    Q4_1_BYTES = 2 * F16_BYTES + QK4_1 / 2,
    Q5_0_BYTES = F16_BYTES + 4 + QK5_0 / 2,
    Q5_1_BYTES = 2 * F16_BYTES + 4 + QK5_1 / 2,
    Q8_0_BYTES = F16_BYTES + QK8_0,
    Q8_1_BYTES = 2 * F16_BYTES + QK8_1,
    K_SCALE_BYTES = 12,                                        // Q3_K/Q4_K/Q5_K packed 6-bit scales (and mins)
    Q2_K_BYTES = QK_K / 16 + QK_K / 4 + 2 * F16_BYTES,
    Q3_K_BYTES = QK_K / 8 + QK_K / 4 + K_SCALE_BYTES + F16_BYTES,
    Q4_K_BYTES = 2 * F16_BYTES + K_SCALE_BYTES + QK_K / 2,
    Q5_K_BYTES = 2 * F16_BYTES + K_SCALE_BYTES + QK_K / 8 + QK_K / 2,
    Q6_K_BYTES = QK_K / 2 + QK_K / 4 + QK_K / 16 + F16_BYTES,
    Q8_K_BYTES = 4 + QK_K + QK_K / 16 * 2,
    Q8_K_QS = 4,                                               // offset of qs in a Q8_K block
    Q8_K_BSUMS = Q8_K_QS + QK_K,                               // offset of bsums
    IQ4_NL_BYTES = F16_BYTES + QK4_NL / 2,
    IQ4_XS_SCALES_H = F16_BYTES,                               // offsets in an IQ4_XS block
    IQ4_XS_SCALES_L = IQ4_XS_SCALES_H + 2,
    IQ4_XS_QS = IQ4_XS_SCALES_L + QK_K / 64,
    IQ4_XS_BYTES = IQ4_XS_QS + QK_K / 2,
};
_Static_assert(Q4_0_BYTES == 18 && Q4_1_BYTES == 20 && Q5_0_BYTES == 22 && Q5_1_BYTES == 24 && Q8_0_BYTES == 34, "ggml block sizes");
_Static_assert(Q8_1_BYTES == 36 && Q2_K_BYTES == 84 && Q3_K_BYTES == 110 && Q4_K_BYTES == 144, "ggml block sizes");
_Static_assert(Q5_K_BYTES == 176 && Q6_K_BYTES == 210 && Q8_K_BYTES == 292, "ggml block sizes");
_Static_assert(IQ4_NL_BYTES == 18 && IQ4_XS_BYTES == 136, "ggml block sizes");

// The 16 values an IQ4_NL / IQ4_XS index selects (ggml's kvalues_iq4nl), in quant_iq4.c.
extern const int8_t llk_iq4nl_values[16];

// The 6-bit scale of sub-block j of an IQ4_XS block, less its bias of 32: low 4 bits from scales_l (nibble
// j % 2 of byte j / 2), high 2 bits from bits 2j..2j+1 of scales_h.
static inline int iq4_xs_scale(const uint8_t *blk, int j) {
    const uint16_t sh = (uint16_t)(blk[IQ4_XS_SCALES_H] | blk[IQ4_XS_SCALES_H + 1] << 8);
    return (((blk[IQ4_XS_SCALES_L + j / 2] >> (4 * (j % 2))) & 0xF) | (((sh >> (2 * j)) & 3) << 4)) - 32;
}

// Unpacked weight blocks of the prefill GEMM (gemm.c): the 32-element formats and the K-quants.
enum { GEMM_UNPACKED_32 = 80, GEMM_UNPACKED_K = 384 };

// Activation row layout (llk_quantize_activation). Q8_0: nb blocks of 34 B, then (32-aligned) f32 d[nb],
// then int32 corr[nb][8]: corr lane i = -bias * sum(q[4i..4i+3]) with the type's activation_bias (8 Q4_0,
// 16 Q5_0, 128 Q8_0, VNNI form x+128), so that (unsigned weight codes) . q + corr == ggml's signed integer
// dot product, lane by lane as vpmaddubsw+vpmaddwd and vpdpbusd group them.
// Q8_1: nb blocks of 36 B, then f32 d[nb], then f32 s[nb]. Q8_K: nb blocks of 292 B. F16: n values (nb = n), then
// (at off_aux) the same n values as f32.
typedef struct llk_act_layout { int64_t nb; size_t off_d, off_aux, total; } act_layout;
act_layout llk_layout_of(int activation, int64_t n);

// Scalar references (quant_legacy.c, quant_k.c).
float llk_ref_q4_0(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q4_1(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q5_0(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q5_1(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q8_0(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q2_K(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q3_K(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q4_K(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q5_K(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_q6_K(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_iq4_nl(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_iq4_xs(const uint8_t *w, const uint8_t *a, int64_t n);
float llk_ref_f16(const uint8_t *w, const uint8_t *a, int64_t n);

// Row kernels: _avx2 at the baseline, _vnni with AVX-512 VNNI (call only when the CPU has it).
#define LLK_ROW_KERNEL(name) void name(const uint8_t *w, size_t rb, int64_t nr, const uint8_t *xq, size_t xs, \
                                       int nc, int64_t nb, const act_layout *L, float *y, int64_t ldy)
#define LLK_GROUP_KERNEL(name) void name(const uint8_t *w, size_t rb, int64_t nr, const uint8_t *xq, size_t xs, \
                                         int nc, int64_t nb, float *y, int64_t ldy)
LLK_ROW_KERNEL(llk_rows_q4_0_avx2);
LLK_ROW_KERNEL(llk_rows_q4_0_vnni);
LLK_ROW_KERNEL(llk_rows_q4_1_avx2);
LLK_ROW_KERNEL(llk_rows_q4_1_vnni);
LLK_ROW_KERNEL(llk_rows_q5_0_avx2);
LLK_ROW_KERNEL(llk_rows_q5_0_vnni);
LLK_ROW_KERNEL(llk_rows_q5_1_avx2);
LLK_ROW_KERNEL(llk_rows_q8_0_avx2);
LLK_ROW_KERNEL(llk_rows_q8_0_vnni);
LLK_ROW_KERNEL(llk_rows_q2_K_avx2);
LLK_ROW_KERNEL(llk_rows_q3_K_avx2);
LLK_ROW_KERNEL(llk_rows_q4_K_avx2);
LLK_ROW_KERNEL(llk_rows_q4_K_vnni);
LLK_ROW_KERNEL(llk_rows_q5_K_avx2);
LLK_ROW_KERNEL(llk_rows_q6_K_avx2);
LLK_ROW_KERNEL(llk_rows_q6_K_vnni);
LLK_ROW_KERNEL(llk_rows_iq4_nl_avx2);
LLK_ROW_KERNEL(llk_rows_iq4_nl_vnni);
LLK_ROW_KERNEL(llk_rows_iq4_xs_avx2);
LLK_ROW_KERNEL(llk_rows_iq4_xs_vnni);
LLK_ROW_KERNEL(llk_rows_f16_avx2);
LLK_ROW_KERNEL(llk_rows_f16_avx512);
// Row kernels for 2 to 8 columns (quant_legacy.c), in the type table's `wide`: from two columns on they beat the
// 4-column kernels, and up to 16 columns the prefill GEMM, whose weight unpacking costs as much for 8 columns as for 16
// (BENCHMARKS.md, "Session 19").
enum { WIDE_MIN_COLUMNS = 2, WIDE_GEMM_FROM = 16 };
LLK_ROW_KERNEL(llk_wide_q4_0_vnni);
LLK_ROW_KERNEL(llk_wide_q5_0_vnni);
LLK_ROW_KERNEL(llk_wide_q8_0_vnni);
LLK_GROUP_KERNEL(llk_rows8_q4_K_avx2);
LLK_GROUP_KERNEL(llk_rows8_q4_K_vnni);
LLK_GROUP_KERNEL(llk_rows8_q6_K_avx2);
LLK_GROUP_KERNEL(llk_rows8_q6_K_zmm);
