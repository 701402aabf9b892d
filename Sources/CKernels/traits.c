// The type table: one record per ggml type, as ggml's type_traits (ggml/src/ggml.c). Every type ggml names
// has its block geometry here (Swift's GGMLType reads it from this table); the types CKernels multiplies
// also name their activation format, scalar reference, row kernels per ISA level (0 scalar, 1 AVX2,
// 2 AVX-512 VNNI), kernels for rows interleaved by 8, and where the prefill GEMM runs them.
// Adding a kernel: define it in its format family's file (quant_legacy.c, quant_k.c, quant_iq4.c), declare it in
// formats.h, and name it in its type's record; nothing else dispatches on the type.
#include "formats.h"

// Geometry only: a type CKernels can size but not multiply.
#define GEOMETRY(n, bs, ts) .name = n, .block_size = bs, .type_size = ts

static const llk_type_traits table[LLK_TYPE_COUNT] = {
    [LLK_F32] = { GEOMETRY("F32", 1, 4) },
    // F16 weights multiply an F16 activation (float16.c); no GEMM: prefill runs the row kernels, which widen each weight
    // vector once for two (AVX2) or four (AVX-512) activations, read as f32 from the activation's widened copy.
    [LLK_F16] = {
        GEOMETRY("F16", 1, 2), .activation = LLK_F16, .reference = llk_ref_f16,
        .rows = { 0, llk_rows_f16_avx2, llk_rows_f16_avx512 },
    },
    [LLK_BF16] = { GEOMETRY("BF16", 1, 2) },
    [LLK_I8] = { GEOMETRY("I8", 1, 1) },
    [LLK_I16] = { GEOMETRY("I16", 1, 2) },
    [LLK_I32] = { GEOMETRY("I32", 1, 4) },
    [LLK_I64] = { GEOMETRY("I64", 1, 8) },
    [LLK_F64] = { GEOMETRY("F64", 1, 8) },

    // The 32-element quants (quant_legacy.c). Q8_0 on AVX2 keeps the row kernels for prefill: vpmaddubsw's
    // int16 pair sums overflow for its codes (gemm.c).
    [LLK_Q4_0] = {
        GEOMETRY("Q4_0", QK4_0, Q4_0_BYTES), .activation = LLK_Q8_0, .activation_bias = 8, .reference = llk_ref_q4_0,
        .rows = { 0, llk_rows_q4_0_avx2, llk_rows_q4_0_vnni },
        .wide = { 0, 0, llk_wide_q4_0_vnni },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_32, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q4_1] = {
        GEOMETRY("Q4_1", QK4_1, Q4_1_BYTES), .activation = LLK_Q8_1, .reference = llk_ref_q4_1,
        .rows = { 0, llk_rows_q4_1_avx2, llk_rows_q4_1_vnni },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_32, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q5_0] = {
        GEOMETRY("Q5_0", QK5_0, Q5_0_BYTES), .activation = LLK_Q8_0, .activation_bias = 16, .reference = llk_ref_q5_0,
        .rows = { 0, llk_rows_q5_0_avx2, llk_rows_q5_0_vnni },
        .wide = { 0, 0, llk_wide_q5_0_vnni },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_32, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q5_1] = {
        GEOMETRY("Q5_1", QK5_1, Q5_1_BYTES), .activation = LLK_Q8_1, .reference = llk_ref_q5_1,
        .rows = { 0, llk_rows_q5_1_avx2, llk_rows_q5_1_avx2 },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_32, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q8_0] = {
        GEOMETRY("Q8_0", QK8_0, Q8_0_BYTES), .activation = LLK_Q8_0, .activation_bias = 128, .reference = llk_ref_q8_0,
        .rows = { 0, llk_rows_q8_0_avx2, llk_rows_q8_0_vnni },
        .wide = { 0, 0, llk_wide_q8_0_vnni },
        .gemm_isa = 2, .gemm_unpacked_size = GEMM_UNPACKED_32, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q8_1] = { GEOMETRY("Q8_1", QK8_1, Q8_1_BYTES) },

    // The K-quants (quant_k.c). Q2_K and Q3_K: AVX2 row kernels at every level; Q2_K has no GEMM. The GEMM takes Q4_K in
    // groups of 4 columns (llama.cpp's repacked Q4_K kernel, ggml_gemm_q4_K_8x8_q8_K), the others from 8 (its tiled
    // K-quant matmul). Q4_K's interleaved rows take the VNNI build (dpwssd) since the per-super-block sums run
    // for eight rows at once; before that it decoded slower than the AVX2 build (BENCHMARKS.md, "Speed vs
    // llama.cpp, session 5", and "Several activation rows per pass").
    [LLK_Q2_K] = {
        GEOMETRY("Q2_K", QK_K, Q2_K_BYTES), .activation = LLK_Q8_K, .reference = llk_ref_q2_K,
        .rows = { 0, llk_rows_q2_K_avx2, llk_rows_q2_K_avx2 },
    },
    [LLK_Q3_K] = {
        GEOMETRY("Q3_K", QK_K, Q3_K_BYTES), .activation = LLK_Q8_K, .reference = llk_ref_q3_K,
        .rows = { 0, llk_rows_q3_K_avx2, llk_rows_q3_K_avx2 },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_K, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q4_K] = {
        GEOMETRY("Q4_K", QK_K, Q4_K_BYTES), .activation = LLK_Q8_K, .reference = llk_ref_q4_K,
        .rows = { 0, llk_rows_q4_K_avx2, llk_rows_q4_K_vnni },
        .rows8 = { 0, llk_rows8_q4_K_avx2, llk_rows8_q4_K_vnni },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_K, .gemm_min_columns = 4, .gemm_column_multiple = 4,
    },
    [LLK_Q5_K] = {
        GEOMETRY("Q5_K", QK_K, Q5_K_BYTES), .activation = LLK_Q8_K, .reference = llk_ref_q5_K,
        .rows = { 0, llk_rows_q5_K_avx2, llk_rows_q5_K_avx2 },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_K, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q6_K] = {
        GEOMETRY("Q6_K", QK_K, Q6_K_BYTES), .activation = LLK_Q8_K, .reference = llk_ref_q6_K,
        .rows = { 0, llk_rows_q6_K_avx2, llk_rows_q6_K_vnni },
        .rows8 = { 0, llk_rows8_q6_K_avx2, llk_rows8_q6_K_zmm },
        .gemm_isa = 1, .gemm_unpacked_size = GEMM_UNPACKED_K, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_Q8_K] = { GEOMETRY("Q8_K", QK_K, Q8_K_BYTES) },

    // The non-linear 4-bit quants (quant_iq4.c), with the activations llama.cpp pairs them with (vec_dot_type).
    // IQ4_NL: llama.cpp multiplies batches with its decode arithmetic (its repacked 8-row kernels), so the row
    // kernels give its bits at every batch size, and so does the GEMM. IQ4_XS: from 8 activation rows llama.cpp
    // runs its tiled K-quant matmul (per super-block, as Q6_K's), which the GEMM reproduces. Both GEMMs need
    // VNNI: the values reach -127, too wide for vpmaddubsw against unsigned activations (as Q8_0's codes), so
    // on AVX2 IQ4_XS batches keep the row kernels' arithmetic.
    [LLK_IQ4_NL] = {
        GEOMETRY("IQ4_NL", QK4_NL, IQ4_NL_BYTES), .activation = LLK_Q8_0, .activation_bias = 128, .reference = llk_ref_iq4_nl,
        .rows = { 0, llk_rows_iq4_nl_avx2, llk_rows_iq4_nl_vnni },
        .gemm_isa = 2, .gemm_unpacked_size = GEMM_UNPACKED_32, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },
    [LLK_IQ4_XS] = {
        GEOMETRY("IQ4_XS", QK_K, IQ4_XS_BYTES), .activation = LLK_Q8_K, .reference = llk_ref_iq4_xs,
        .rows = { 0, llk_rows_iq4_xs_avx2, llk_rows_iq4_xs_vnni },
        .gemm_isa = 2, .gemm_unpacked_size = GEMM_UNPACKED_K, .gemm_min_columns = 8, .gemm_column_multiple = 1,
    },

    // Formats this build reads no further than their size.
    [LLK_IQ2_XXS] = { GEOMETRY("IQ2_XXS", QK_K, 66) },
    [LLK_IQ2_XS] = { GEOMETRY("IQ2_XS", QK_K, 74) },
    [LLK_IQ3_XXS] = { GEOMETRY("IQ3_XXS", QK_K, 98) },
    [LLK_IQ1_S] = { GEOMETRY("IQ1_S", QK_K, 50) },
    [LLK_IQ3_S] = { GEOMETRY("IQ3_S", QK_K, 110) },
    [LLK_IQ2_S] = { GEOMETRY("IQ2_S", QK_K, 82) },
    [LLK_IQ1_M] = { GEOMETRY("IQ1_M", QK_K, 56) },
    [LLK_TQ1_0] = { GEOMETRY("TQ1_0", QK_K, 54) },
    [LLK_TQ2_0] = { GEOMETRY("TQ2_0", QK_K, 66) },
    [LLK_MXFP4] = { GEOMETRY("MXFP4", QK_MXFP4, 17) },
};

static const llk_type_traits unknown = { 0 };

const llk_type_traits *llk_type_traits_of(int t) {
    return t >= 0 && t < LLK_TYPE_COUNT && table[t].name ? &table[t] : &unknown;
}

int llk_known(int t) { return llk_type_traits_of(t)->reference != 0; }
int llk_block_size(int t) { return llk_type_traits_of(t)->reference ? llk_type_traits_of(t)->block_size : 0; }
int llk_activation_type(int t) { return llk_type_traits_of(t)->activation ? llk_type_traits_of(t)->activation : -1; }
int llk_supported(int t) { return llk_type_traits_of(t)->rows[LLK_ISA_AVX2] != 0; }
int llk_interleave_supported(int t) { return llk_type_traits_of(t)->rows8[LLK_ISA_AVX2] != 0; }
