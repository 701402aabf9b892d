// Cross-checks CKernels' IQ4 and Q3_K dot products against llama.cpp's own x86 kernels, called from the libggml-cpu.so that
// scripts/build-llama-cpp.sh builds: random blocks and activations, and for each the bits of
//   IQ4_NL: llk_matvec (rows in ggml's layout) against ggml_gemv_iq4_nl_8x8_q8_0 on the same rows repacked as
//           llama.cpp repacks them (what it runs for every matrix whose row count is a multiple of 8);
//   IQ4_XS: llk_matvec against ggml_vec_dot_iq4_xs_q8_K (what it runs for decode);
//   Q3_K:   llk_matvec against ggml_vec_dot_q3_K_q8_K (what it runs for decode);
// and the activations: llk_quantize_activation against ggml's quantize_row_q8_0 / quantize_row_q8_K.
// Build and run with scripts/crosscheck_ggml_dots.sh; exit status 1 on any difference.
#include "ckernels.h"
#include <stdio.h>
#include <string.h>

void ggml_cpu_init(void);
void quantize_row_q8_0(const float *x, void *y, int64_t k);
void quantize_row_q8_K(const float *x, void *y, int64_t k);
void ggml_gemv_iq4_nl_8x8_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_vec_dot_iq4_xs_q8_K(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);
void ggml_vec_dot_q3_K_q8_K(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);

static uint64_t state = 88172645463325252ULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

// Random blocks whose f16 scale (at byte d_at: the first two bytes of the IQ4 formats, the last two of Q3_K) is
// about ±0.004.
static void random_blocks(uint8_t *w, int blocks, int block_bytes, int d_at) {
    for (int i = 0; i < blocks * block_bytes; i++) w[i] = (uint8_t)next();
    for (int b = 0; b < blocks; b++) { w[b * block_bytes + d_at] = (uint8_t)next(); w[b * block_bytes + d_at + 1] = next() & 1 ? 0x9c : 0x1c; }
}
static void random_activation(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = (float)((int64_t)(next() % 20001) - 10000) / 10000.f * (next() % 16 == 0 ? 8 : 1);
}

enum { NL_N = 896, NL_NB = NL_N / 32, NL_ROWS = 16, NL_BYTES = 18, XS_N = 1536, XS_NB = XS_N / 256, XS_BYTES = 136, Q3_BYTES = 110, TRIALS = 500 };

int main(void) {
    ggml_cpu_init();
    static uint8_t w[NL_ROWS * NL_NB * NL_BYTES], repacked[sizeof w], xq[16384], gq[16384];
    static float x[XS_N], mine[NL_ROWS], theirs[NL_ROWS];
    int failed = 0;
    for (int level = 0; level <= llk_best_isa(); level++) {
        llk_force_isa(level);
        int activation_diffs = 0, nl_diffs = 0, xs_diffs = 0, q3_diffs = 0;
        for (int t = 0; t < TRIALS; t++) {
            // IQ4_NL. llama.cpp's iq4_nl_8x8 layout: per group of 8 rows and block, the 8 f16 scales, then 16 chunks of
            // 8 bytes, chunk i from row i % 8 at byte (i / 8) * 8 of its indices.
            random_blocks(w, NL_ROWS * NL_NB, NL_BYTES, 0);
            uint8_t *d = repacked;
            for (int g = 0; g < NL_ROWS / 8; g++)
                for (int b = 0; b < NL_NB; b++, d += 8 * NL_BYTES) {
                    for (int i = 0; i < 8; i++) memcpy(d + 2 * i, w + ((g * 8 + i) * NL_NB + b) * NL_BYTES, 2);
                    for (int i = 0; i < 16; i++) memcpy(d + 16 + 8 * i, w + ((g * 8 + i % 8) * NL_NB + b) * NL_BYTES + 2 + (i / 8) * 8, 8);
                }
            random_activation(x, NL_N);
            llk_quantize_activation(LLK_IQ4_NL, x, xq, NL_N);
            quantize_row_q8_0(x, gq, NL_N);
            activation_diffs += memcmp(xq, gq, NL_NB * 34) != 0;
            llk_matvec(LLK_IQ4_NL, w, NL_NB * NL_BYTES, 1, xq, NL_N, mine, 0, NL_ROWS);
            ggml_gemv_iq4_nl_8x8_q8_0(NL_N, theirs, NL_ROWS, repacked, gq, 1, NL_ROWS);
            for (int r = 0; r < NL_ROWS; r++) nl_diffs += memcmp(&mine[r], &theirs[r], 4) != 0;

            // IQ4_XS.
            random_blocks(w, XS_NB, XS_BYTES, 0);
            random_activation(x, XS_N);
            llk_quantize_activation(LLK_IQ4_XS, x, xq, XS_N);
            quantize_row_q8_K(x, gq, XS_N);
            activation_diffs += memcmp(xq, gq, XS_NB * 292) != 0;
            llk_matvec(LLK_IQ4_XS, w, XS_NB * XS_BYTES, 1, gq, XS_N, mine, 0, 1);
            ggml_vec_dot_iq4_xs_q8_K(XS_N, theirs, 0, w, 0, gq, 0, 1);
            xs_diffs += memcmp(&mine[0], &theirs[0], 4) != 0;

            // Q3_K, over the same activations.
            random_blocks(w, XS_NB, Q3_BYTES, Q3_BYTES - 2);
            llk_matvec(LLK_Q3_K, w, XS_NB * Q3_BYTES, 1, gq, XS_N, mine, 0, 1);
            ggml_vec_dot_q3_K_q8_K(XS_N, theirs, 0, w, 0, gq, 0, 1);
            q3_diffs += memcmp(&mine[0], &theirs[0], 4) != 0;
        }
        printf("%d trials (%s): activations differ %d, IQ4_NL outputs differ %d of %d, IQ4_XS %d of %d, Q3_K %d of %d\n",
               TRIALS, llk_kernel_name(), activation_diffs, nl_diffs, TRIALS * NL_ROWS, xs_diffs, TRIALS, q3_diffs, TRIALS);
        failed |= activation_diffs || nl_diffs || xs_diffs || q3_diffs;
    }
    return failed;
}
