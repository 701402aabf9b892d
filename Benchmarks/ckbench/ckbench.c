// Micro-benchmark of the CKernels matvec/matmul, 1 thread. Not a SwiftPM target; build and run with
//   Benchmarks/ckbench/run.sh
// (-O3, as `make test` builds the CKernels target; the ISA targets are in the code).
// matvec: GB/s of weights streamed, "hot" (one matrix, re-read: L2/L3 resident) and "cold" (rotating over
// copies totalling > 100 MB, so weights come from DRAM); for the types with rows interleaved by 8, the same in
// that layout and its GOP/s at 1..16 activation columns (decode batches). matmul: GOP/s (2 * rows * n * ncols / time).
// gemm (prefill, where the ISA level has it): GOP/s including the activation repacking, best of 5.
// Arguments: type names to run (default all).
#include "ckernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static uint64_t rs = 88172645463325252ULL;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

static void fill_weights(uint8_t *w, size_t bytes, int type) {
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rnd();
    // small f16 scales: 0x1c00 ~ 0.0039
    const int bb = llk_type_traits_of(type)->type_size;
    int off[2] = {-1, -1};
    switch (type) {
    case LLK_Q5_0: case LLK_Q4_0: case LLK_Q8_0: case LLK_IQ4_NL: case LLK_IQ4_XS: off[0] = 0; break;
    case LLK_Q4_K: case LLK_Q4_1: off[0] = 0; off[1] = 2; break;
    case LLK_Q6_K: off[0] = 208; break;
    }
    for (size_t b = 0; b + bb <= bytes; b += bb)
        for (int k = 0; k < 2; k++) if (off[k] >= 0) { w[b + off[k]] = 0x00; w[b + off[k] + 1] = 0x1c; }
}

static void bench(int type, int64_t rows, int64_t n) {
    const char *name = llk_type_traits_of(type)->name;
    const size_t blockbytes = (size_t)llk_type_traits_of(type)->type_size;
    const int blocksize = llk_type_traits_of(type)->block_size;
    size_t rb = (size_t)(n / blocksize) * blockbytes, mb = rb * rows;
    int copies = (int)(128e6 / mb) + 1;
    uint8_t *w = aligned_alloc(64, (mb * copies + 63) & ~(size_t)63);
    fill_weights(w, mb * copies, type);
    size_t ab = llk_activation_bytes(type, n);
    const int maxc = 64;
    uint8_t *xq = aligned_alloc(64, (ab * maxc + 63) & ~(size_t)63);
    float *x = malloc(sizeof(float) * n);
    for (int c = 0; c < maxc; c++) {
        for (int64_t i = 0; i < n; i++) x[i] = (float)((int64_t)(rnd() % 2001) - 1000) / 1000.f;
        llk_quantize_activation(type, x, xq + ab * c, n);
    }
    float *y = malloc(sizeof(float) * rows * maxc);
    for (int level = 0; level <= llk_best_isa(); level++) {
        llk_force_isa(level);
        const int reps = level == 0 ? 5 : 41;
        double t[64];
        // hot
        llk_matvec(type, w, rb, 1, xq, n, y, 0, rows);
        for (int i = 0; i < reps; i++) { double t0 = now(); llk_matvec(type, w, rb, 1, xq, n, y, 0, rows); t[i] = now() - t0; }
        qsort(t, reps, sizeof(double), cmpd);
        double hot = mb / t[reps / 2] / 1e9;
        // cold
        for (int i = 0; i < reps; i++) {
            const uint8_t *wc = w + mb * (size_t)(i % copies);
            double t0 = now(); llk_matvec(type, wc, rb, 1, xq, n, y, 0, rows); t[i] = now() - t0;
        }
        qsort(t, reps, sizeof(double), cmpd);
        double cold = mb / t[reps / 2] / 1e9;
        printf("%-5s %5lldx%-5lld %-12s matvec: hot %6.1f GB/s (%.3f ms), cold %6.1f GB/s",
               name, (long long)rows, (long long)n, llk_kernel_name(), hot, mb / hot / 1e6, cold);
        if (level > 0 && llk_interleave_supported(type) && rows % 8 == 0) {
            // The same copies with their rows interleaved by 8 (the layout the models use for this type).
            uint8_t *wi = aligned_alloc(64, (mb * copies + 63) & ~(size_t)63);
            for (int k = 0; k < copies; k++) llk_interleave_rows(type, w + mb * (size_t)k, rb, rows, wi + mb * (size_t)k);
            for (int i = 0; i < reps; i++) { double t0 = now(); llk_matvec(type, wi, rb, 8, xq, n, y, 0, rows); t[i] = now() - t0; }
            qsort(t, reps, sizeof(double), cmpd);
            const double hot8 = mb / t[reps / 2] / 1e9;
            for (int i = 0; i < reps; i++) {
                const uint8_t *wc = wi + mb * (size_t)(i % copies);
                double t0 = now(); llk_matvec(type, wc, rb, 8, xq, n, y, 0, rows); t[i] = now() - t0;
            }
            qsort(t, reps, sizeof(double), cmpd);
            printf(", rows by 8: hot %6.1f cold %6.1f GB/s", hot8, mb / t[reps / 2] / 1e9);
            // Decode batches: the interleaved rows times 2..16 activation columns, weights from DRAM, in tiles of
            // 64 rows as WeightMatrix passes them (each tile stays in cache while every group of four columns
            // passes over it). GOP/s.
            printf(", by 8 x cols GOP/s:");
            const int bcols[] = {1, 2, 4, 8, 16};
            for (int ci = 0; ci < 5; ci++) {
                const int nc = bcols[ci];
                const int br = 9;
                for (int i = 0; i < br; i++) {
                    const uint8_t *wc = wi + mb * (size_t)(i % copies);
                    double t0 = now();
                    for (int64_t r0 = 0; r0 < rows; r0 += 64)
                        llk_matmul(type, wc, rb, 8, xq, ab, nc, n, y + r0, rows, r0, r0 + 64 < rows ? r0 + 64 : rows);
                    t[i] = now() - t0;
                }
                qsort(t, br, sizeof(double), cmpd);
                printf(" %d:%.0f", nc, 2.0 * rows * n * nc / t[br / 2] / 1e9);
            }
            free(wi);
        }
        printf("   matmul GOP/s:");
        int cols[] = {1, 4, 8, 16, 32, 64};
        for (int ci = 0; ci < 6; ci++) {
            int nc = cols[ci];
            int r = level == 0 ? 1 : (nc <= 8 ? 7 : 3);
            for (int i = 0; i < r; i++) {
                double t0 = now();
                llk_matmul(type, w, rb, 1, xq, ab, nc, n, y, rows, 0, rows);
                t[i] = now() - t0;
            }
            qsort(t, r, sizeof(double), cmpd);
            printf(" %d:%.0f", nc, 2.0 * rows * n * nc / t[r / 2] / 1e9);
        }
        if (llk_gemm_available(type)) {
            // The prefill GEMM: activations repacked into panels (counted), weights unpacked in tiles.
            printf("   gemm GOP/s:");
            const int gcols[] = {16, 64, 512};
            for (int ci = 0; ci < 3; ci++) {
                const int nc = gcols[ci];
                uint8_t *xg = aligned_alloc(64, (ab * nc + 63) & ~(size_t)63);
                for (int c = 0; c < nc; c++) memcpy(xg + ab * c, xq + ab * (c % maxc), ab);
                size_t pb = llk_gemm_panel_bytes(type, nc, n), sb = llk_gemm_scratch_bytes(type, n, 32);
                void *pn = aligned_alloc(64, (pb + 63) & ~(size_t)63), *scr = aligned_alloc(64, (sb + 63) & ~(size_t)63);
                float *yg = malloc(sizeof(float) * rows * nc);
                const int r = 5;
                for (int i = 0; i < r; i++) {
                    double t0 = now();
                    llk_gemm_pack(type, xg, ab, nc, n, pn);
                    llk_gemm(type, w, rb, 1, pn, nc, n, yg, rows, 0, rows, scr, sb);
                    t[i] = now() - t0;
                }
                qsort(t, r, sizeof(double), cmpd);
                printf(" %d:%.0f", nc, 2.0 * rows * n * nc / t[0] / 1e9);
                free(xg); free(pn); free(scr); free(yg);
            }
        }
        printf("\n");
        fflush(stdout);
    }
    llk_force_isa(-1);
    free(w); free(xq); free(x); free(y);
}

// Type names as arguments (Q4_0 IQ4_XS ...) run only those; none runs all.
int main(int argc, char **argv) {
    static const struct { int type; int64_t rows, n; } shapes[] = {
        {LLK_Q5_0, 4864, 896}, {LLK_Q4_K, 8960, 1536}, {LLK_Q4_0, 4864, 896}, {LLK_Q8_0, 4864, 896},
        {LLK_Q6_K, 8960, 1536}, {LLK_IQ4_NL, 4864, 896}, {LLK_IQ4_XS, 8960, 1536}, {LLK_Q4_1, 4864, 896},
    };
    printf("best ISA: %d\n", llk_best_isa());
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], llk_type_traits_of(shapes[i].type)->name) == 0;
        if (wanted) bench(shapes[i].type, shapes[i].rows, shapes[i].n);
    }
    return 0;
}
