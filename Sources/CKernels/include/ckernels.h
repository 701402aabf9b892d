// Quantized matrix x vector kernels (the decode hot path) and matrix x few-vectors kernels (prefill),
// with ggml's block formats and ggml's numerics (same integer dot products; only the order of float
// summation differs). Coarse entry points: one call per matrix-vector product or row range.
//
// Activation buffers: llk_quantize_activation writes ggml's blocks (Q8_0, Q8_1 or Q8_K, packed,
// exactly as ggml lays them out) at the start of the buffer, followed, for the Q8_0 and Q8_1 formats,
// by a kernel-private trailer (per-block f32 scales and integer corrections). Always allocate
// llk_activation_bytes(type, n) bytes per activation vector and fill them with llk_quantize_activation.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// ggml's type ids (ggml_type), for the types this table knows.
typedef enum {
    LLK_F32 = 0, LLK_F16 = 1, LLK_Q4_0 = 2, LLK_Q4_1 = 3, LLK_Q5_0 = 6, LLK_Q5_1 = 7, LLK_Q8_0 = 8, LLK_Q8_1 = 9,
    LLK_Q2_K = 10, LLK_Q3_K = 11, LLK_Q4_K = 12, LLK_Q5_K = 13, LLK_Q6_K = 14, LLK_Q8_K = 15,
    LLK_IQ2_XXS = 16, LLK_IQ2_XS = 17, LLK_IQ3_XXS = 18, LLK_IQ1_S = 19, LLK_IQ4_NL = 20, LLK_IQ3_S = 21,
    LLK_IQ2_S = 22, LLK_IQ4_XS = 23, LLK_I8 = 24, LLK_I16 = 25, LLK_I32 = 26, LLK_I64 = 27, LLK_F64 = 28,
    LLK_IQ1_M = 29, LLK_BF16 = 30, LLK_TQ1_0 = 34, LLK_TQ2_0 = 35, LLK_MXFP4 = 39,
    LLK_TYPE_COUNT = 40
} llk_type;

/// ISA levels of the kernels: 0 the scalar reference, 1 AVX2 + FMA + F16C (the build baseline), 2 AVX-512
/// F/BW/VL + VNNI (chosen at run time).
enum { LLK_ISA_SCALAR = 0, LLK_ISA_AVX2 = 1, LLK_ISA_AVX512_VNNI = 2, LLK_ISA_LEVELS = 3 };

/// Kernel signatures (private to CKernels: Swift reads only the data fields of llk_type_traits).
/// Scalar reference: dot of one weight row (n elements, ggml's layout) with one quantized activation row.
typedef float (*llk_ref_dot)(const uint8_t *w, const uint8_t *xq, int64_t n);
struct llk_act_layout;
/// nrows rows row_bytes apart, times nc (1...4) activation rows xs bytes apart: y[c*ldy + r].
typedef void (*llk_row_kernel)(const uint8_t *w, size_t row_bytes, int64_t nrows, const uint8_t *xq, size_t xs,
                               int nc, int64_t nb, const struct llk_act_layout *layout, float *y, int64_t ldy);
/// The same over rows interleaved by 8 (nrows a multiple of 8, groups 8 * row_bytes apart).
typedef void (*llk_group_kernel)(const uint8_t *w, size_t row_bytes, int64_t nrows, const uint8_t *xq, size_t xs,
                                 int nc, int64_t nb, float *y, int64_t ldy);

/// What CKernels knows about one ggml type, as ggml's type_traits: its block geometry (every type ggml
/// names), and for the types it multiplies, the activation format and the kernels per ISA level.
/// One record per type in one table (traits.c), read through llk_type_traits_of.
typedef struct llk_type_traits {
    const char *name;               // ggml's name ("Q4_K"); NULL: no such ggml type
    int32_t block_size;             // elements per block (1 for scalar types)
    int32_t type_size;              // bytes per block
    // Integer kernels (all zero when the type has none).
    int32_t activation;             // ggml id of the activation format: LLK_Q8_0, LLK_Q8_1, LLK_Q8_K or LLK_F16
    int32_t activation_bias;        // Q8_0 activations: the unsigned offset of the kernels' weight codes
    llk_ref_dot reference;          // the scalar reference (level 0, the tests' oracle)
    llk_row_kernel rows[LLK_ISA_LEVELS];     // per level; NULL: the reference runs
    llk_group_kernel rows8[LLK_ISA_LEVELS];  // rows interleaved by 8, per level; NULL: no such layout
    llk_row_kernel wide[LLK_ISA_LEVELS];     // 2 to 8 activation rows per pass over the weights; NULL: up to 4 per pass
    // Prefill GEMM (gemm.c).
    int32_t gemm_isa;               // lowest ISA level at which llk_gemm runs the type; 0: never
    int32_t gemm_unpacked_size;     // bytes per unpacked weight block
    int32_t gemm_min_columns;       // llama.cpp's batched arithmetic (which the GEMM reproduces) from this many columns
    int32_t gemm_column_multiple;   // ... in whole groups of this many (the rest: the integer kernels)
} llk_type_traits;

/// The traits of a ggml type id; never NULL (an unknown id gets a record of zeros).
const llk_type_traits *llk_type_traits_of(int ggml_type);

/// 1 if a SIMD kernel (AVX2 or better) exists for this weight type; 0 if only the scalar reference
/// (still correct) or if the type is unknown.
int llk_supported(int ggml_type);
/// 1 if llk_matvec / llk_matmul accept this weight type at all (scalar reference included).
int llk_known(int ggml_type);
/// Elements per weight block (32 or 256); 0 for unknown types.
int llk_block_size(int ggml_type);
/// ggml id of the activation format: 8 (Q8_0), 9 (Q8_1), 15 (Q8_K) or 1 (F16, for F16 weights); -1 for unknown types.
int llk_activation_type(int ggml_type);
/// Bytes of the quantized activation row of length n (ggml blocks + private trailer).
size_t llk_activation_bytes(int ggml_type, int64_t n);
/// Quantizes x (n floats, n a multiple of the block size) into xq, as ggml's x86 CPU backend does
/// (Q8_0/Q8_1: round to nearest even of x*127/amax; Q8_K: quantize_row_q8_K_ref; F16: x rounded to f16).
void llk_quantize_activation(int ggml_type, const float *x, void *xq, int64_t n);
/// 1 if llk_quantize_activation writes the same buffer for both weight types (Q4_K and Q6_K: Q8_K), so one
/// quantized activation serves products with both.
int llk_activation_shared(int ggml_type_a, int ggml_type_b);
/// Weight layouts: row_group 1 is ggml's (rows row_bytes apart); row_group 8 is llk_interleave_rows's, in
/// which each group of 8 rows is stored block by block (block b of rows 8g..8g+7, then block b+1, ...), so
/// that a product over 8 rows reads one linear stream (the decode kernels are memory-bound).
/// 1 if this weight type has kernels for rows interleaved by 8 (Q4_K, Q6_K).
int llk_interleave_supported(int ggml_type);
/// Copies `rows` (a multiple of 8) rows of ggml's layout at src into the interleaved layout at dst
/// (rows * row_bytes bytes).
void llk_interleave_rows(int ggml_type, const void *src, size_t row_bytes, int64_t rows, void *dst);
/// Copies row r of W (layout row_group) into dst, in ggml's layout (row_bytes bytes).
void llk_gather_row(int ggml_type, const void *w, size_t row_bytes, int row_group, int64_t r, void *dst);
/// y[r - row_begin] = dot(row r of W, x) for r in [row_begin, row_end); W in layout row_group (1 or 8).
/// With row_group 8, the group kernels run whole groups; a group the range covers only in part is computed whole
/// and its other rows discarded.
void llk_matvec(int ggml_type, const void *w, size_t row_bytes, int row_group, const void *xq, int64_t n,
                float *y, int64_t row_begin, int64_t row_end);
/// Same for ncols activation vectors at once (prefill): xq of column c at xq + c*xq_stride;
/// result in y[c*ldy + r - row_begin]. Each weight block is read once per group of up to 4 columns.
void llk_matmul(int ggml_type, const void *w, size_t row_bytes, int row_group, const void *xq, size_t xq_stride,
                int64_t ncols, int64_t n, float *y, int64_t ldy, int64_t row_begin, int64_t row_end);
/// Prefill GEMM (many activation columns; gemm.c). 1 if llk_gemm runs this weight type at the current
/// ISA level; otherwise use llk_matmul.
int llk_gemm_available(int ggml_type);
/// From how many activation columns llk_gemm should run the type at the calling thread's ISA level: where llama.cpp's
/// batched arithmetic starts (gemm_min_columns), or later where the eight-column kernels give the same bits faster.
int llk_gemm_min_columns(int ggml_type);
/// Bytes of the activation panels for ncols quantized activation rows of length n (64-byte aligned).
size_t llk_gemm_panel_bytes(int ggml_type, int64_t ncols, int64_t n);
/// Repacks ncols rows quantized by llk_quantize_activation (row c at xq + c*xq_stride) into panels.
void llk_gemm_pack(int ggml_type, const void *xq, size_t xq_stride, int64_t ncols, int64_t n, void *panels);
/// Scratch bytes that hold `rows` unpacked weight rows of length n (llk_gemm works in tiles of rows
/// that fit its scratch; give it room for at least 4 rows, better 16 to 64).
size_t llk_gemm_scratch_bytes(int ggml_type, int64_t n, int64_t rows);
/// y[c*ldy + r - row_begin] = dot(row r of W, activation c), for r in [row_begin, row_end) and all ncols
/// columns of the panels. scratch: thread-private, scratch_bytes of it.
void llk_gemm(int ggml_type, const void *w, size_t row_bytes, int row_group, const void *panels, int64_t ncols, int64_t n,
              float *y, int64_t ldy, int64_t row_begin, int64_t row_end, void *scratch, size_t scratch_bytes);
/// "scalar", "avx2" or "avx512-vnni": what the dispatcher uses now.
const char *llk_kernel_name(void);
/// 0 = scalar reference, 1 = avx2, 2 = avx512/vnni (clamped to what the CPU and OS support), -1 = best.
/// For the calling thread only (kernel tests and benchmarks): other threads, such as a model's worker
/// pool running in the same process, keep the best level.
void llk_force_isa(int level);
/// Highest level the CPU and OS support (1 or 2; 0 only if AVX2/FMA/F16C are missing).
int llk_best_isa(void);
/// Level in use now on the calling thread.
int llk_current_isa(void);
/// 1 when the CPU (and OS) have AVX512-FP16: llama.cpp built for it sums attention's values in native f16 lanes
/// (LLK_ATTENTION_NATIVE_F16 below).
int llk_cpu_has_avx512_fp16(void);

#ifdef __cplusplus
}
#endif

/// Attention of `heads` query heads that read the same kv head (q and out: heads × head_dim floats,
/// head after head) over cache positions first...last of f16 keys and values (position j at
/// keys + j*kv_stride), with llama.cpp's CPU flash-attention arithmetic. head_dim: a multiple of 8.
/// softcap: Gemma 2's attention logit soft-capping, scores become softcap * tanh(score / softcap); 0 = off.
/// scratch: llk_attention_scratch_floats(heads, head_dim) floats.
/// arithmetic: how the f16 sum of weighted values is kept, as one of llama.cpp's builds does it: in f32 lanes rounded
/// to f16 after each step (its x86 builds), or in native f16 lanes from head size 128 (its build for an AVX512-FP16
/// CPU; without those instructions, emulated to the same bits). _EMULATED forces the emulation (tests).
enum { LLK_ATTENTION_F32_LANES = 0, LLK_ATTENTION_NATIVE_F16 = 1, LLK_ATTENTION_NATIVE_F16_EMULATED = 2 };
/// chunk > 0: llama.cpp's split form for one query over n_kv >= 512 cache slots, with slots [c*chunk, (c+1)*chunk)
/// attended apart and combined (chunk: n_kv divided among its threads, rounded up); 0: one pass.
void llk_attention_heads(const float *q, int64_t heads, int64_t head_dim, const uint16_t *keys, const uint16_t *values,
                         int64_t kv_stride, int64_t first, int64_t last, int64_t chunk, float scale, float softcap,
                         int arithmetic, float *out, float *scratch);
/// expf of n values, each <= 0 or -inf, with the bits of glibc's expf (which llama.cpp's attention calls), four at a time.
void llk_expf_nonpositive(const float *x, float *y, int64_t n);
static inline int64_t llk_attention_scratch_floats(int64_t heads, int64_t head_dim) { return 3 * heads * head_dim + (heads * head_dim + 1) / 2 + 2 * head_dim + 4 * heads; }
/// Attention with the arithmetic llama.cpp uses for batches of at least 64 queries (its tiled flash attention:
/// all f32, 64 cache positions per tile), for `tokens` consecutive tokens at positions position... and the
/// `heads` query heads of each that read one kv head: q and out hold token t's heads at t*row_stride floats.
/// Token at p sees cache positions max(0, p-window+1)...p (window 0: from 0). softcap as for llk_attention_heads.
/// scratch: llk_attention_tiled_scratch_floats(tokens, heads, head_dim) floats.
void llk_attention_tokens_tiled(const float *q, int64_t tokens, int64_t row_stride, int64_t heads, int64_t head_dim,
                                const uint16_t *keys, const uint16_t *values, int64_t kv_stride, int64_t position,
                                int64_t window, float scale, float softcap, float *out, float *scratch);
static inline int64_t llk_attention_tiled_scratch_floats(int64_t tokens, int64_t heads, int64_t head_dim) {
    return 2 * 64 * head_dim + heads * 64 + tokens * heads * (head_dim + 2);
}

/// SwiGLU in place, gate[i] = silu(gate[i]) * up[i], with ggml's vectorized exponential (same bits).
void llk_swiglu(float *gate, const float *up, int64_t n);
