// Dispatch: the ISA level (CPUID once, a per-thread override for tests and benchmarks), and the entry
// points that run a type's kernels as its record in the type table (traits.c) names them: llk_matvec,
// llk_matmul, and the interleaved layout's copies.
#include <cpuid.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "block_simd.h"
#include "formats.h"

// ---------------------------------------------------------------------------------------------
// ISA level

// The level functions are compiled for plain x86-64 (outside the AVX2 bracket): they run before anything
// has said that AVX2 is there.
static int cpu_best_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx || !fma || !f16c) return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0x6) != 0x6) return 0;                 // XMM + YMM state enabled by the OS
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1;
    if (!avx2) return 0;
    const int avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    const int vnni = (c >> 11) & 1;
    const int os512 = (xlo & 0xE6) == 0xE6;           // opmask + ZMM_Hi256 + Hi16_ZMM state too
    if (avx512f && avx512bw && avx512vl && vnni && os512) return 2;
    return 1;
}

static atomic_int g_best = -1;          // detected once
static _Thread_local int t_forced = -1;  // this thread's override (tests, benchmarks); -1: the best

int llk_best_isa(void) {
    int b = atomic_load_explicit(&g_best, memory_order_relaxed);
    if (b < 0) { b = cpu_best_level(); atomic_store(&g_best, b); }
    return b;
}
int llk_current_isa(void) {
    return t_forced >= 0 ? t_forced : llk_best_isa();
}
void llk_force_isa(int level) {
    const int best = llk_best_isa();
    t_forced = level < 0 || level > best ? -1 : level;
}
// AVX512-FP16 (CPUID.7.0:EDX[23]): a llama.cpp built natively for such a CPU does the f16 vector arithmetic of
// its flash attention (ggml_vec_mad_f16, ggml_vec_scale_f16) in native f16 lanes, see attention.c.
static int cpu_has_avx512_fp16(void) {
    unsigned a, b, c, d;
    if (llk_best_isa() < 2 || __get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (d >> 23) & 1;
}

static atomic_int g_fp16 = -1;

int llk_cpu_has_avx512_fp16(void) {
    int f = atomic_load_explicit(&g_fp16, memory_order_relaxed);
    if (f < 0) { f = cpu_has_avx512_fp16(); atomic_store(&g_fp16, f); }
    return f;
}

const char *llk_kernel_name(void) {
    switch (llk_current_isa()) {
    case 2: return "avx512-vnni";
    case 1: return "avx2";
    default: return "scalar";
    }
}

LLK_BASELINE_BEGIN

// ---------------------------------------------------------------------------------------------
// Products

void llk_interleave_rows(int t, const void *src, size_t row_bytes, int64_t rows, void *dst) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    if (!tt->reference || rows % 8 != 0) return;
    const size_t bbytes = (size_t)tt->type_size;
    const int64_t nb = (int64_t)(row_bytes / bbytes);
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    for (int64_t g = 0; g < rows / 8; g++)
        for (int64_t b = 0; b < nb; b++)
            for (int i = 0; i < 8; i++, d += bbytes)
                memcpy(d, s + (size_t)(8 * g + i) * row_bytes + (size_t)b * bbytes, bbytes);
}

void llk_gather_row(int t, const void *w, size_t row_bytes, int row_group, int64_t r, void *dst) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    if (!tt->reference || row_group < 1) return;
    const size_t bbytes = (size_t)tt->type_size;
    const uint8_t *src = row_start((const uint8_t *)w, row_bytes, row_group, r, bbytes);
    for (size_t b = 0; b < row_bytes / bbytes; b++)
        memcpy((uint8_t *)dst + b * bbytes, src + b * (size_t)row_group * bbytes, bbytes);
}

void llk_matmul(int t, const void *w, size_t row_bytes, int row_group, const void *xq, size_t xq_stride, int64_t ncols,
                int64_t n, float *y, int64_t ldy, int64_t row_begin, int64_t row_end) {
    const llk_type_traits *tt = llk_type_traits_of(t);
    if (!tt->reference || row_end <= row_begin || ncols <= 0 || (row_group != 1 && row_group != 8)) return;
    const act_layout L = llk_layout_of(tt->activation, n);
    const uint8_t *xb = (const uint8_t *)xq;
    const int64_t nr = row_end - row_begin;
    const int level = llk_current_isa();
    if (row_group == 8) {
        const llk_group_kernel k = tt->rows8[level];
        if (k) {
            // Whole groups straight into y; a group the range covers only in part is computed whole into o and
            // the wanted rows copied.
            for (int64_t r = row_begin; r < row_end;) {
                const int64_t g = r - r % 8;
                const int64_t whole = r == g ? (row_end - r) / 8 * 8 : 0;
                const int64_t end = whole ? r + whole : (g + 8 < row_end ? g + 8 : row_end);
                for (int64_t c = 0; c < ncols; c += 4) {
                    const int nc = (int)(ncols - c < 4 ? ncols - c : 4);
                    const uint8_t *wg = (const uint8_t *)w + (size_t)g * row_bytes;
                    if (whole) {
                        k(wg, row_bytes, whole, xb + (size_t)c * xq_stride, xq_stride, nc, L.nb, y + c * ldy + (r - row_begin), ldy);
                    } else {
                        float o[4 * 8];
                        k(wg, row_bytes, 8, xb + (size_t)c * xq_stride, xq_stride, nc, L.nb, o, 8);
                        for (int i = 0; i < nc; i++)
                            for (int64_t q = r; q < end; q++) y[(c + i) * ldy + (q - row_begin)] = o[i * 8 + (q - g)];
                    }
                }
                r = end;
            }
            return;
        }
        // No group kernel at this level (the scalar reference, in tests): row by row, each gathered first.
        uint8_t *row = (uint8_t *)malloc(row_bytes);
        if (!row) {
            for (int64_t c = 0; c < ncols; c++) for (int64_t r = 0; r < nr; r++) y[c * ldy + r] = NAN;
            return;
        }
        for (int64_t r = 0; r < nr; r++) {
            llk_gather_row(t, w, row_bytes, 8, row_begin + r, row);
            llk_matmul(t, row, row_bytes, 1, xq, xq_stride, ncols, n, y + r, ldy, 0, 1);
        }
        free(row);
        return;
    }
    const uint8_t *wb = (const uint8_t *)w + (size_t)row_begin * row_bytes;
    const llk_row_kernel k = tt->rows[level];
    if (!k) {
        const llk_ref_dot f = tt->reference;
        for (int64_t c = 0; c < ncols; c++)
            for (int64_t r = 0; r < nr; r++)
                y[c * ldy + r] = f(wb + (size_t)r * row_bytes, xb + (size_t)c * xq_stride, n);
        return;
    }
    // Columns by eight where the type has wide kernels (2 to 8 columns; a single column takes the row kernel), else
    // by four. Row tiles keep a tile of weights in L1/L2 while all column groups pass over it.
    const llk_row_kernel wide = tt->wide[level];
    const int group = wide ? 8 : 4;
    const int64_t tile = ncols <= group ? nr : 16;
    for (int64_t r0 = 0; r0 < nr; r0 += tile) {
        const int64_t rn = nr - r0 < tile ? nr - r0 : tile;
        for (int64_t c = 0; c < ncols; c += group) {
            const int nc = (int)(ncols - c < group ? ncols - c : group);
            const llk_row_kernel kernel = wide && nc >= WIDE_MIN_COLUMNS ? wide : k;
            kernel(wb + (size_t)r0 * row_bytes, row_bytes, rn, xb + (size_t)c * xq_stride, xq_stride, nc, L.nb, &L, y + c * ldy + r0, ldy);
        }
    }
}

void llk_matvec(int t, const void *w, size_t row_bytes, int row_group, const void *xq, int64_t n, float *y,
                int64_t row_begin, int64_t row_end) {
    llk_matmul(t, w, row_bytes, row_group, xq, 0, 1, n, y, 0, row_begin, row_end);
}

LLK_BASELINE_END
