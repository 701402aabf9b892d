#include "ckernels.h"
// Quantized dot-product kernels for llmrun's decode and prefill paths, in C because Swift does not
// emit vpmaddubsw / vpdpbusd (see KERNELS.md). Coarse entry points: one call per matrix-vector
// product (or row range), never per block.
//
// Three levels: a scalar reference (the oracle, every type), AVX2 (the build baseline: -mavx2 -mfma
// -mf16c) and AVX-512 VNNI (per-function target attributes, chosen at run time after CPUID + XGETBV).
// All levels compute the same integer dot product per block as ggml; they differ only in the order of
// the float accumulation.
//
// Block layouts (bytes, little-endian, packed):
//   Q4_0 18: d f16 | qs[16]            Q4_1 20: d | m | qs[16]
//   Q5_0 22: d | qh u32 | qs[16]       Q5_1 24: d | m | qh u32 | qs[16]      Q8_0 34: d | qs[32] int8
//   Q2_K 84: scales[16] | qs[64] | d | dmin
//   Q3_K 110: hmask[32] | qs[64] | scales[12] | d
//   Q4_K 144: d | dmin | scales[12] | qs[128]
//   Q5_K 176: d | dmin | scales[12] | qh[32] | qs[128]
//   Q6_K 210: ql[128] | qh[64] | scales[16] int8 | d
//   Q8_1 36: d | s | qs[32]            Q8_K 292: d f32 | qs[256] | bsums[16] int16
#include <immintrin.h>
#include <cpuid.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include "block_simd.h"


// ---------------------------------------------------------------------------------------------
// Small helpers


enum { ACT_Q8_0 = 8, ACT_Q8_1 = 9, ACT_Q8_K = 15 };

typedef struct {
    int bsize;      // weight block elements
    int bbytes;     // weight block bytes
    int act;        // activation ggml type
} type_info;

static int type_info_of(int t, type_info *ti) {
    switch (t) {
    case LLK_Q4_0: *ti = (type_info){32, 18, ACT_Q8_0}; return 1;
    case LLK_Q4_1: *ti = (type_info){32, 20, ACT_Q8_1}; return 1;
    case LLK_Q5_0: *ti = (type_info){32, 22, ACT_Q8_0}; return 1;
    case LLK_Q5_1: *ti = (type_info){32, 24, ACT_Q8_1}; return 1;
    case LLK_Q8_0: *ti = (type_info){32, 34, ACT_Q8_0}; return 1;
    case LLK_Q2_K: *ti = (type_info){256, 84, ACT_Q8_K}; return 1;
    case LLK_Q3_K: *ti = (type_info){256, 110, ACT_Q8_K}; return 1;
    case LLK_Q4_K: *ti = (type_info){256, 144, ACT_Q8_K}; return 1;
    case LLK_Q5_K: *ti = (type_info){256, 176, ACT_Q8_K}; return 1;
    case LLK_Q6_K: *ti = (type_info){256, 210, ACT_Q8_K}; return 1;
    default: return 0;
    }
}

// Activation layout. Q8_0: nb blocks of 34 B, then (32-aligned) f32 d[nb], then int32 corr[nb][8]:
// corr lane i = -bias * sum(q[4i..4i+3]) with bias 8 (Q4_0), 16 (Q5_0), 128 (Q8_0, VNNI form
// x+128), so that (unsigned weight codes) . q + corr == ggml's signed integer dot product, lane by lane
// as vpmaddubsw+vpmaddwd and vpdpbusd group them.
// Q8_1: nb blocks of 36 B, then f32 d[nb], then f32 s[nb]. Q8_K: nb blocks of 292 B.
typedef struct { int64_t nb; size_t off_d, off_aux, total; } act_layout;

static act_layout layout_of(int act, int64_t n) {
    act_layout L = {0, 0, 0, 0};
    if (act == ACT_Q8_0) {
        L.nb = n / 32;
        L.off_d = align32((size_t)L.nb * 34);
        L.off_aux = L.off_d + align32((size_t)L.nb * 4);
        L.total = L.off_aux + (size_t)L.nb * 32;
    } else if (act == ACT_Q8_1) {
        L.nb = n / 32;
        L.off_d = align32((size_t)L.nb * 36);
        L.off_aux = L.off_d + align32((size_t)L.nb * 4);
        L.total = L.off_aux + align32((size_t)L.nb * 4);
    } else if (act == ACT_Q8_K) {
        L.nb = n / 256;
        L.total = (size_t)L.nb * 292;
    }
    return L;
}

// ---------------------------------------------------------------------------------------------
// Public info

int llk_known(int t) { type_info ti; return type_info_of(t, &ti); }
int llk_block_size(int t) { type_info ti; return type_info_of(t, &ti) ? ti.bsize : 0; }
int llk_activation_type(int t) { type_info ti; return type_info_of(t, &ti) ? ti.act : -1; }
size_t llk_activation_bytes(int t, int64_t n) {
    type_info ti;
    if (!type_info_of(t, &ti)) return 0;
    return layout_of(ti.act, n).total;
}
int llk_supported(int t) {
    switch (t) {
    case LLK_Q4_0: case LLK_Q4_1: case LLK_Q5_0: case LLK_Q5_1: case LLK_Q8_0:
    case LLK_Q4_K: case LLK_Q5_K: case LLK_Q6_K: return 1;
    default: return 0;
    }
}

// ---------------------------------------------------------------------------------------------
// Activation quantization (ggml x86 CPU backend semantics)

// Q8_0 / Q8_1 block: d = amax/127 (stored f16), q = round_half_even(x * (127/amax)).
static int quant_block32(const float *x, int8_t *q, float *dout) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; j++) {
        int v = (int)nearbyintf(x[j] * id);   // default rounding mode: to nearest, ties to even
        if (v > 127) v = 127;
        if (v < -128) v = -128;
        q[j] = (int8_t)v;
        sum += v;
    }
    *dout = d;
    return sum;
}

INL int nearest_int_magic(float f) {
    float v = f + 12582912.f;
    int i; memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

// The Q8_0 trailer's integer corrections undo the unsigned offset of the weight codes the kernels use.
static int q8_0_bias(int t) { return t == LLK_Q4_0 ? 8 : t == LLK_Q5_0 ? 16 : 128; }

int llk_activation_shared(int a, int b) {
    type_info ta, tb;
    if (!type_info_of(a, &ta) || !type_info_of(b, &tb) || ta.act != tb.act) return 0;
    return ta.act != ACT_Q8_0 || q8_0_bias(a) == q8_0_bias(b);
}

void llk_quantize_activation(int t, const float *x, void *vxq, int64_t n) {
    type_info ti;
    if (!type_info_of(t, &ti)) return;
    uint8_t *xq = (uint8_t *)vxq;
    act_layout L = layout_of(ti.act, n);
    if (ti.act == ACT_Q8_0) {
        const int bias = q8_0_bias(t);
        float *dd = (float *)(void *)(xq + L.off_d);
        for (int64_t b = 0; b < L.nb; b++) {
            uint8_t *blk = xq + b * 34;
            int8_t q[32]; float d;
            quant_block32(x + b * 32, q, &d);
            uint16_t h = f2h(d);
            memcpy(blk, &h, 2);
            memcpy(blk + 2, q, 32);
            float df = _cvtsh_ss(h);
            memcpy(dd + b, &df, 4);
            int32_t corr[8];
            for (int i = 0; i < 8; i++) corr[i] = -bias * (q[4*i] + q[4*i+1] + q[4*i+2] + q[4*i+3]);
            memcpy(xq + L.off_aux + (size_t)b * 32, corr, 32);
        }
    } else if (ti.act == ACT_Q8_1) {
        for (int64_t b = 0; b < L.nb; b++) {
            uint8_t *blk = xq + b * 36;
            int8_t q[32]; float d;
            int sum = quant_block32(x + b * 32, q, &d);
            uint16_t hd = f2h(d), hs = f2h(d * (float)sum);
            memcpy(blk, &hd, 2);
            memcpy(blk + 2, &hs, 2);
            memcpy(blk + 4, q, 32);
            float df = _cvtsh_ss(hd), sf = _cvtsh_ss(hs);
            memcpy(xq + L.off_d + (size_t)b * 4, &df, 4);
            memcpy(xq + L.off_aux + (size_t)b * 4, &sf, 4);
        }
    } else {
        for (int64_t b = 0; b < L.nb; b++) {
            const float *xb = x + b * 256;
            uint8_t *blk = xq + b * 292;
            float amax = 0, max = 0;
            for (int j = 0; j < 256; j++) {
                float ax = fabsf(xb[j]);
                if (ax > amax) { amax = ax; max = xb[j]; }
            }
            int8_t q[256];
            int16_t bs[16];
            float d = 0;
            if (amax == 0) {
                memset(q, 0, sizeof q);
                memset(bs, 0, sizeof bs);
            } else {
                const float iscale = -127.f / max;
                for (int j = 0; j < 256; j++) {
                    int v = nearest_int_magic(iscale * xb[j]);
                    q[j] = (int8_t)(v < 127 ? v : 127);
                }
                for (int g = 0; g < 16; g++) {
                    int s = 0;
                    for (int k = 0; k < 16; k++) s += q[g*16 + k];
                    bs[g] = (int16_t)s;
                }
                d = 1 / iscale;
            }
            memcpy(blk, &d, 4);
            memcpy(blk + 4, q, 256);
            memcpy(blk + 260, bs, 32);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scalar reference dot products (one row, one activation vector). Only the ggml blocks are read.


static float ref_q4_0(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 32; b++, w += 18, a += 34) {
        const int8_t *y = (const int8_t *)(a + 2);
        int sumi = 0;
        for (int j = 0; j < 16; j++)
            sumi += ((w[2+j] & 0xF) - 8) * y[j] + ((w[2+j] >> 4) - 8) * y[j+16];
        s += sumi * (ldh(w) * ldh(a));
    }
    return s;
}

static float ref_q4_1(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 32; b++, w += 20, a += 36) {
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0;
        for (int j = 0; j < 16; j++)
            sumi += (w[4+j] & 0xF) * y[j] + (w[4+j] >> 4) * y[j+16];
        s += (ldh(w) * ldh(a)) * sumi + ldh(w + 2) * ldh(a + 2);
    }
    return s;
}

static float ref_q5_0(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 32; b++, w += 22, a += 34) {
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

static float ref_q5_1(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 32; b++, w += 24, a += 36) {
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

static float ref_q8_0(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 32; b++, w += 34, a += 34) {
        const int8_t *x = (const int8_t *)(w + 2), *y = (const int8_t *)(a + 2);
        int sumi = 0;
        for (int j = 0; j < 32; j++) sumi += x[j] * y[j];
        s += sumi * (ldh(w) * ldh(a));
    }
    return s;
}

static float ref_q2_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 256; b++, w += 84, a += 292) {
        const uint8_t *sc = w, *qs = w + 16;
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0, summ = 0;
        for (int g = 0; g < 16; g++) {   // 16-element group g: half n=g/8, shift j=(g%8)/2, l-offset 16*(g%2)
            const int hn = g / 8, j = (g % 8) / 2, lo = 16 * (g % 2);
            int dot = 0;
            for (int l = 0; l < 16; l++) dot += ((qs[32*hn + lo + l] >> (2*j)) & 3) * y[g*16 + l];
            sumi += (sc[g] & 0xF) * dot;
            summ += (sc[g] >> 4) * ld16s(a + 260 + 2*g);
        }
        const float dy = ldf(a);
        s += dy * ldh(w + 80) * sumi - dy * ldh(w + 82) * summ;
    }
    return s;
}

static int q3k_scale(const uint8_t *s, int j) {
    int lo = j < 8 ? (s[j] & 0xF) : (s[j-8] >> 4);
    int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

static float ref_q3_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 256; b++, w += 110, a += 292) {
        const uint8_t *hm = w, *qs = w + 32, *sc = w + 96;
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0;
        for (int g = 0; g < 16; g++) {
            const int hn = g / 8, j = (g % 8) / 2, lo = 16 * (g % 2);
            int dot = 0;
            for (int l = 0; l < 16; l++) {
                int q = ((qs[32*hn + lo + l] >> (2*j)) & 3) - ((hm[lo + l] >> (4*hn + j)) & 1 ? 0 : 4);
                dot += q * y[g*16 + l];
            }
            sumi += q3k_scale(sc, g) * dot;
        }
        s += ldf(a) * ldh(w + 108) * sumi;
    }
    return s;
}

static float ref_q4_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 256; b++, w += 144, a += 292) {
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
        for (int k = 0; k < 8; k++) summ += mn[k] * (ld16s(a + 260 + 4*k) + ld16s(a + 262 + 4*k));
        const float dy = ldf(a);
        s += dy * ldh(w) * sumi - dy * ldh(w + 2) * summ;
    }
    return s;
}

static float ref_q5_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 256; b++, w += 176, a += 292) {
        uint8_t sc[8], mn[8];
        k4_scales(w + 4, sc, mn);
        const uint8_t *qh = w + 16, *qs = w + 48;
        const int8_t *y = (const int8_t *)(a + 4);
        int sumi = 0, summ = 0;
        for (int j = 0; j < 4; j++) {
            int dl = 0, dh = 0;
            for (int l = 0; l < 32; l++) {
                dl += ((qs[32*j + l] & 0xF) | (((qh[l] >> (2*j)) & 1) << 4)) * y[64*j + l];
                dh += ((qs[32*j + l] >> 4) | (((qh[l] >> (2*j+1)) & 1) << 4)) * y[64*j + 32 + l];
            }
            sumi += sc[2*j] * dl + sc[2*j+1] * dh;
        }
        for (int k = 0; k < 8; k++) summ += mn[k] * (ld16s(a + 260 + 4*k) + ld16s(a + 262 + 4*k));
        const float dy = ldf(a);
        s += dy * ldh(w) * sumi - dy * ldh(w + 2) * summ;
    }
    return s;
}

static float ref_q6_K(const uint8_t *w, const uint8_t *a, int64_t n) {
    float s = 0;
    for (int64_t b = 0; b < n / 256; b++, w += 210, a += 292) {
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

typedef float (*ref_fn)(const uint8_t *, const uint8_t *, int64_t);

static ref_fn ref_of(int t) {
    switch (t) {
    case LLK_Q4_0: return ref_q4_0; case LLK_Q4_1: return ref_q4_1;
    case LLK_Q5_0: return ref_q5_0; case LLK_Q5_1: return ref_q5_1;
    case LLK_Q8_0: return ref_q8_0; case LLK_Q2_K: return ref_q2_K;
    case LLK_Q3_K: return ref_q3_K; case LLK_Q4_K: return ref_q4_K;
    case LLK_Q5_K: return ref_q5_K; case LLK_Q6_K: return ref_q6_K;
    default: return 0;
    }
}

// ---------------------------------------------------------------------------------------------
// SIMD kernels. Each "body" computes one weight row against NC (1..4, a compile-time constant after
// inlining) activation vectors, reading each weight block once.

typedef void (*row_kernel)(const uint8_t *w, size_t row_bytes, int64_t nrows, const uint8_t *xq, size_t xs,
                           int nc, int64_t nb, const act_layout *L, float *y, int64_t ldy);

#define GEN_ROWS(name, body, attr)                                                                     \
    attr static void name(const uint8_t *w, size_t rb, int64_t nr, const uint8_t *xq, size_t xs,       \
                          int nc, int64_t nb, const act_layout *L, float *y, int64_t ldy) {            \
        for (int64_t r = 0; r < nr; r++) {                                                             \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            float o[4];                                                                                \
            switch (nc) {                                                                              \
            case 1: body(wr, rb, xq, xs, 1, nb, L, o); break;                                              \
            case 2: body(wr, rb, xq, xs, 2, nb, L, o); break;                                              \
            case 3: body(wr, rb, xq, xs, 3, nb, L, o); break;                                              \
            default: body(wr, rb, xq, xs, 4, nb, L, o); break;                                             \
            }                                                                                          \
            for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r] = o[c];                               \
        }                                                                                              \
    }


// Multi-row variant: bodies take (w, row_bytes, NR, ...) and write out[r*4 + c]; matvec (nc == 1) runs
// 4 rows at a time (independent accumulators, activation loads shared), matmul 2 rows x up to 4 columns.
#define GEN_ROWS_MR(name, body, attr)                                                                  \
    attr static void name(const uint8_t *w, size_t rb, int64_t nr, const uint8_t *xq, size_t xs,       \
                          int nc, int64_t nb, const act_layout *L, float *y, int64_t ldy) {            \
        int64_t r = 0;                                                                                 \
        float o[16];                                                                                   \
        const int nrg = nc == 1 ? 4 : 2;                                                               \
        for (; r + nrg <= nr; r += nrg) {                                                              \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            switch (nc) {                                                                              \
            case 1: body(wr, rb, 4, xq, xs, 1, nb, L, o); break;                                       \
            case 2: body(wr, rb, 2, xq, xs, 2, nb, L, o); break;                                       \
            case 3: body(wr, rb, 2, xq, xs, 3, nb, L, o); break;                                       \
            default: body(wr, rb, 2, xq, xs, 4, nb, L, o); break;                                      \
            }                                                                                          \
            for (int i = 0; i < nrg; i++)                                                              \
                for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r + i] = o[i * 4 + c];               \
        }                                                                                              \
        for (; r < nr; r++) {                                                                          \
            const uint8_t *wr = w + (size_t)r * rb;                                                    \
            switch (nc) {                                                                              \
            case 1: body(wr, rb, 1, xq, xs, 1, nb, L, o); break;                                       \
            case 2: body(wr, rb, 1, xq, xs, 2, nb, L, o); break;                                       \
            case 3: body(wr, rb, 1, xq, xs, 3, nb, L, o); break;                                       \
            default: body(wr, rb, 1, xq, xs, 4, nb, L, o); break;                                      \
            }                                                                                          \
            for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r] = o[c];                               \
        }                                                                                              \
    }

// Rows interleaved by 8 (llk_interleave_rows): bodies take one group (8 rows, block by block) and write
// out[r*4 + c]; nr is a multiple of 8 and groups are 8 * row_bytes apart.
typedef void (*group_kernel)(const uint8_t *w, size_t rb, int64_t nr, const uint8_t *xq, size_t xs,
                             int nc, int64_t nb, float *y, int64_t ldy);
// Groups of blocks the software prefetch runs ahead of the one being read.
enum { X8_AHEAD = 4 };
#define GEN_ROWS_X8(name, body, attr)                                                                  \
    attr static void name(const uint8_t *w, size_t rb, int64_t nr, const uint8_t *xq, size_t xs,       \
                          int nc, int64_t nb, float *y, int64_t ldy) {                                 \
        for (int64_t r = 0; r < nr; r += 8) {                                                          \
            const uint8_t *wg = w + (size_t)r * rb;                                                    \
            float o[32];                                                                               \
            switch (nc) {                                                                              \
            case 1: body(wg, xq, xs, 1, nb, o); break;                                                 \
            case 2: body(wg, xq, xs, 2, nb, o); break;                                                 \
            case 3: body(wg, xq, xs, 3, nb, o); break;                                                 \
            default: body(wg, xq, xs, 4, nb, o); break;                                                \
            }                                                                                          \
            for (int i = 0; i < 8; i++)                                                                \
                for (int c = 0; c < nc; c++) y[(int64_t)c * ldy + r + i] = o[i * 4 + c];               \
        }                                                                                              \
    }

INL float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
INL float hsum4(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}


// ---- Q8_0-activation families: Q4_0, Q5_0, Q8_0 ----
// ISA 1 (AVX2): maddubs(u8 codes, q) -> madd(ones) -> + corr.  ISA 2: dpbusd(corr, u8 codes, q).

#define Q80_LOOP(BLK, CODES)                                                                          \
    __m256 acc[NR][NC];                                                                               \
    for (int r = 0; r < NR; r++) for (int c = 0; c < NC; c++) acc[r][c] = _mm256_setzero_ps();        \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        {   /* the next row group, streamed at the pace of this one */                                \
            const char *pf = (const char *)w + NR * rb + b * NR * BLK;                                \
            for (int k = 0; k < NR * BLK; k += 64) _mm_prefetch(pf + k, _MM_HINT_T0);                 \
        }                                                                                             \
        for (int r = 0; r < NR; r++) {                                                                \
            const uint8_t *wb = w + r * rb + b * BLK;                                                 \
            CODES                                                                                     \
            const float dx = ldh(wb);                                                                 \
            for (int c = 0; c < NC; c++) {                                                            \
                const uint8_t *a = xq + c * xs;                                                       \
                const __m256i y = ld256(a + b * 34 + 2);                                              \
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
    Q80_LOOP(18, const __m256i q = nibbles32(wb + 2);)
}
INL void q5_0_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(22, const __m256i q = _mm256_or_si256(nibbles32(wb + 6), bits32_x10(ld32(wb + 2)));)
}
#undef DOT
// Q8_0 on AVX2: sign trick (|x| as u8, sign(x) moved onto q) — no correction needed.
#define DOT (void)corr; __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(y, q)), _mm256_set1_epi16(1));
INL void q8_0_avx2(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(34, const __m256i q = ld256(wb + 2); const __m256i ax = _mm256_abs_epi8(q);)
}
#undef DOT
#define DOT __m256i p = _mm256_dpbusd_epi32(corr, q, y);
INL512 void q4_0_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(18, const __m256i q = nibbles32(wb + 2);)
}
INL512 void q5_0_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(22, const __m256i q = _mm256_mask_add_epi8(nibbles32(wb + 6), _cvtu32_mask32(ld32(wb + 2)), nibbles32(wb + 6), _mm256_set1_epi8(16));)
}
INL512 void q8_0_vnni(const uint8_t *w, size_t rb, const int NR, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q80_LOOP(34, const __m256i q = _mm256_xor_si256(ld256(wb + 2), _mm256_set1_epi8((char)0x80));)
}
#undef DOT

GEN_ROWS_MR(rows_q4_0_avx2, q4_0_avx2, )
GEN_ROWS_MR(rows_q5_0_avx2, q5_0_avx2, )
GEN_ROWS_MR(rows_q8_0_avx2, q8_0_avx2, )
GEN_ROWS_MR(rows_q4_0_vnni, q4_0_vnni, T512)
GEN_ROWS_MR(rows_q5_0_vnni, q5_0_vnni, T512)
GEN_ROWS_MR(rows_q8_0_vnni, q8_0_vnni, T512)

// ---- Q8_1-activation families: Q4_1, Q5_1 ----
#define Q81_LOOP(BLK, CODES)                                                                          \
    __m256 acc[4]; float accm[4];                                                                     \
    for (int c = 0; c < NC; c++) { acc[c] = _mm256_setzero_ps(); accm[c] = 0; }                       \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        const uint8_t *wb = w + b * BLK;                                                              \
        _mm_prefetch((const char *)wb + rb, _MM_HINT_T0);                                             \
        CODES                                                                                         \
        const float dx = ldh(wb), mx = ldh(wb + 2);                                                   \
        for (int c = 0; c < NC; c++) {                                                                \
            const uint8_t *a = xq + c * xs;                                                           \
            const __m256i y = ld256(a + b * 36 + 4);                                                  \
            DOT                                                                                       \
            const float d = dx * ((const float *)(const void *)(a + L->off_d))[b];                    \
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(p), acc[c]);               \
            accm[c] += mx * ((const float *)(const void *)(a + L->off_aux))[b];                       \
        }                                                                                             \
    }                                                                                                 \
    for (int c = 0; c < NC; c++) out[c] = hsum8(acc[c]) + accm[c];

#define DOT __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), _mm256_set1_epi16(1));
INL void q4_1_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q81_LOOP(20, const __m256i q = nibbles32(wb + 4);)
}
INL void q5_1_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    Q81_LOOP(24, const __m256i q = _mm256_or_si256(nibbles32(wb + 8), bits32_x10(ld32(wb + 4)));)
}
#undef DOT
GEN_ROWS(rows_q4_1_avx2, q4_1_avx2, )
GEN_ROWS(rows_q5_1_avx2, q5_1_avx2, )

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
INL int32_t hsum_i32x4(__m128i s) {
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1))));
}
INL int32_t hsum_i32x8(__m256i v) { return hsum_i32x4(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1))); }
// R rows whose super-blocks are stored R by R: block b of row r at w + (b*R + r)*144 (R = 8: the layout of
// llk_interleave_rows, one linear stream with eight independent dependency chains that share each activation
// load; R = 1: ggml's layout, one row). out[r*4 + c] for activation column c. The prefetch reads AHEAD bytes
// ahead: some groups further on, or for one row the same block of the next row.
#define Q4K_BODY(MAC, R, AHEAD)                                                                            \
    float acc[R][4], accm[R][4];                                                                      \
    for (int r = 0; r < R; r++) for (int c = 0; c < NC; c++) { acc[r][c] = 0.0f; accm[r][c] = 0.0f; } \
    const __m256i m4 = _mm256_set1_epi8(0x0F);                                                        \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        const uint8_t *wg = w + b * R * 144;                                                          \
        for (int k = 0; k < R * 144; k += 64) _mm_prefetch((const char *)wg + (AHEAD) + k, _MM_HINT_T0);             \
        __m128i bsp[4];                                                                               \
        float dy[4];                                                                                  \
        for (int c = 0; c < NC; c++) {                                                                \
            const uint8_t *a = xq + c * xs + b * 292;                                                 \
            const __m256i bs = ld256(a + 260);                                                        \
            bsp[c] = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));     \
            dy[c] = ldf(a);                                                                           \
        }                                                                                             \
        __m256i scl[R], sumi[R][4];                                                                   \
        float dw[R];                                                                                  \
        for (int r = 0; r < R; r++) {                                                                 \
            const uint8_t *wb = wg + r * 144;                                                         \
            uint8_t sm[16];                                                                           \
            k4_scales(wb + 4, sm, sm + 8);                                                            \
            const __m256i smw = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)sm));           \
            const __m128i mins = _mm256_extracti128_si256(smw, 1);                                    \
            scl[r] = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(smw));                        \
            dw[r] = ldh(wb);                                                                          \
            const float dmw = ldh(wb + 2);                                                            \
            for (int c = 0; c < NC; c++) {                                                            \
                accm[r][c] = fmaf((float)hsum_i32x4(_mm_madd_epi16(mins, bsp[c])), dmw * dy[c], accm[r][c]); \
                sumi[r][c] = _mm256_setzero_si256();                                                  \
            }                                                                                         \
        }                                                                                             \
        for (int j = 0; j < 4; j++) {                                                                 \
            __m256i alo[4], ahi[4];                                                                   \
            for (int c = 0; c < NC; c++) {                                                            \
                const uint8_t *a = xq + c * xs + b * 292 + 4 + 64 * j;                                \
                alo[c] = ld256(a); ahi[c] = ld256(a + 32);                                            \
            }                                                                                         \
            const __m256i bl = ld256(k_bcast16[2*j]), bh = ld256(k_bcast16[2*j+1]);                   \
            for (int r = 0; r < R; r++) {                                                             \
                const __m256i raw = ld256(wg + r * 144 + 16 + 32 * j);                                \
                const __m256i lo = _mm256_and_si256(raw, m4);                                         \
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);                   \
                const __m256i sl = _mm256_shuffle_epi8(scl[r], bl);                                   \
                const __m256i sh = _mm256_shuffle_epi8(scl[r], bh);                                   \
                for (int c = 0; c < NC; c++) {                                                        \
                    MAC(sumi[r][c], _mm256_maddubs_epi16(lo, alo[c]), sl);                            \
                    MAC(sumi[r][c], _mm256_maddubs_epi16(hi, ahi[c]), sh);                            \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
        for (int r = 0; r < R; r++)                                                                   \
            for (int c = 0; c < NC; c++) acc[r][c] = fmaf((float)hsum_i32x8(sumi[r][c]), dw[r] * dy[c], acc[r][c]); \
    }                                                                                                 \
    for (int r = 0; r < R; r++) for (int c = 0; c < NC; c++) out[r * 4 + c] = acc[r][c] - accm[r][c];

#define MAC_AVX2(s, p, sc) s = _mm256_add_epi32(s, _mm256_madd_epi16(p, sc))
#define MAC_VNNI(s, p, sc) s = _mm256_dpwssd_epi32(s, p, sc)

INL void q4_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L; Q4K_BODY(MAC_AVX2, 1, rb)
}
INL512 void q4_K_vnni(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L; Q4K_BODY(MAC_VNNI, 1, rb)
}
GEN_ROWS(rows_q4_K_avx2, q4_K_avx2, )
GEN_ROWS(rows_q4_K_vnni, q4_K_vnni, T512)
INL void q4_K_x8_avx2(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    Q4K_BODY(MAC_AVX2, 8, X8_AHEAD * 8 * 144)
}
GEN_ROWS_X8(rows8_q4_K_avx2, q4_K_x8_avx2, )

// Q5_K: Q4_K plus a fifth bit per element from qh (bit 2j for the low nibbles of pair j, 2j+1 for high).
INL void q5_K_avx2(const uint8_t *w, size_t rb, const uint8_t *xq, size_t xs, const int NC, int64_t nb, const act_layout *L, float *out) {
    (void)L;
    __m256 acc[4]; __m128 accm[4];
    for (int c = 0; c < NC; c++) { acc[c] = _mm256_setzero_ps(); accm[c] = _mm_setzero_ps(); }
    const __m256i m4 = _mm256_set1_epi8(0x0F), m10 = _mm256_set1_epi8(0x10);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *wb = w + b * 176;
        for (int k = 0; k < 176; k += 64) _mm_prefetch((const char *)wb + rb + k, _MM_HINT_T0);
        uint8_t sm[16];
        k4_scales(wb + 4, sm, sm + 8);
        const __m256i smw = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)sm));
        const __m128i mins = _mm256_extracti128_si256(smw, 1);
        const __m256i scl = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(smw));
        const float dw = ldh(wb), dmw = ldh(wb + 2);
        __m256i sumi[4];
        for (int c = 0; c < NC; c++) {
            const uint8_t *a = xq + c * xs + b * 292;
            const __m256i bs = ld256(a + 260);
            const __m128i bsp = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
            accm[c] = _mm_fmadd_ps(_mm_set1_ps(dmw * ldf(a)), _mm_cvtepi32_ps(_mm_madd_epi16(mins, bsp)), accm[c]);
            sumi[c] = _mm256_setzero_si256();
        }
        __m256i qh = ld256(wb + 16);
        for (int j = 0; j < 4; j++) {
            const __m256i raw = ld256(wb + 48 + 32 * j);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(raw, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m10));
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), _mm256_and_si256(_mm256_slli_epi16(qh, 3), m10));
            qh = _mm256_srli_epi16(qh, 2);
            const __m256i sl = _mm256_shuffle_epi8(scl, ld256(k_bcast16[2*j]));
            const __m256i sh = _mm256_shuffle_epi8(scl, ld256(k_bcast16[2*j+1]));
            for (int c = 0; c < NC; c++) {
                const uint8_t *a = xq + c * xs + b * 292 + 4 + 64 * j;
                MAC_AVX2(sumi[c], _mm256_maddubs_epi16(lo, ld256(a)), sl);
                MAC_AVX2(sumi[c], _mm256_maddubs_epi16(hi, ld256(a + 32)), sh);
            }
        }
        for (int c = 0; c < NC; c++) {
            const float dy = ldf(xq + c * xs + b * 292);
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dy), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) out[c] = hsum8(acc[c]) - hsum4(accm[c]);
}
GEN_ROWS(rows_q5_K_avx2, q5_K_avx2, )

// Q6_K. codes 0..63 (unsigned), the -32 offset folded in through bsums: corr = -32 * sum_g sc_g*bsum_g.
// R rows stored R by R, as Q4K_BODY (block b of row r at w + (b*R + r)*210).
#define Q6K_BODY(MAC, SCALEPAIR, R, AHEAD)                                                                 \
    __m256 acc[R][4];                                                                                 \
    for (int r = 0; r < R; r++) for (int c = 0; c < NC; c++) acc[r][c] = _mm256_setzero_ps();         \
    for (int64_t b = 0; b < nb; b++) {                                                                \
        const uint8_t *wg = w + b * R * 210;                                                          \
        for (int k = 0; k < R * 210; k += 64) _mm_prefetch((const char *)wg + (AHEAD) + k, _MM_HINT_T0);             \
        __m256i sc16[R], sumi[R][4];                                                                  \
        for (int r = 0; r < R; r++) {                                                                 \
            sc16[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wg + r * 210 + 192)));   \
            for (int c = 0; c < NC; c++) {                                                            \
                const __m256i bs = ld256(xq + c * xs + b * 292 + 260);                                \
                sumi[r][c] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16[r], bs), 5)); \
            }                                                                                         \
        }                                                                                             \
        for (int h = 0; h < 2; h++) {                                                                 \
            for (int r = 0; r < R; r++) {                                                             \
                const uint8_t *wb = wg + r * 210;                                                     \
                __m256i v[4];                                                                         \
                q6_codes(wb, h, v);                                                                   \
                for (int k = 0; k < 4; k++) {                                                         \
                    const __m256i sp = SCALEPAIR(sc16[r], 4 * h + k);                                 \
                    for (int c = 0; c < NC; c++)                                                      \
                        MAC(sumi[r][c], _mm256_maddubs_epi16(v[k], ld256(xq + c * xs + b * 292 + 4 + 128 * h + 32 * k)), sp); \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
        for (int r = 0; r < R; r++) {                                                                 \
            const float dw = ldh(wg + r * 210 + 208);                                                 \
            for (int c = 0; c < NC; c++)                                                              \
                acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * ldf(xq + c * xs + b * 292)), _mm256_cvtepi32_ps(sumi[r][c]), acc[r][c]); \
        }                                                                                             \
    }                                                                                                 \
    for (int r = 0; r < R; r++) for (int c = 0; c < NC; c++) out[r * 4 + c] = hsum8(acc[r][c]);

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
GEN_ROWS(rows_q6_K_avx2, q6_K_avx2, )
GEN_ROWS(rows_q6_K_vnni, q6_K_vnni, T512)
INL void q6_K_x8_avx2(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    Q6K_BODY(MAC_AVX2, SCALEPAIR_AVX2, 8, X8_AHEAD * 8 * 210)
}
INL512 void q6_K_x8_vnni(const uint8_t *w, const uint8_t *xq, size_t xs, const int NC, int64_t nb, float *out) {
    Q6K_BODY(MAC_VNNI, SCALEPAIR_VNNI, 8, X8_AHEAD * 8 * 210)
}
GEN_ROWS_X8(rows8_q6_K_avx2, q6_K_x8_avx2, )
GEN_ROWS_X8(rows8_q6_K_vnni, q6_K_x8_vnni, T512)

// ---------------------------------------------------------------------------------------------
// SwiGLU: gate[i] = silu(gate[i]) * up[i] as ggml_vec_swiglu_f32 computes it, x / (1 + ggml_v_expf(-x))
// then the product; a short tail goes through the same 8 lanes, zero-padded.
static inline __m256 swiglu8(__m256 x, __m256 g) {
    const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_ggml(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    return _mm256_mul_ps(silu, g);
}
void llk_swiglu(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(gate + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i == n) return;
    float xs[8] = {0}, us[8] = {0};
    memcpy(xs, gate + i, (size_t)(n - i) * 4);
    memcpy(us, up + i, (size_t)(n - i) * 4);
    _mm256_storeu_ps(xs, swiglu8(_mm256_loadu_ps(xs), _mm256_loadu_ps(us)));
    memcpy(gate + i, xs, (size_t)(n - i) * 4);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

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
const char *llk_kernel_name(void) {
    switch (llk_current_isa()) {
    case 2: return "avx512-vnni";
    case 1: return "avx2";
    default: return "scalar";
    }
}

static row_kernel kernel_for(int t, int level) {
    if (level >= 2) {
        switch (t) {
        case LLK_Q4_0: return rows_q4_0_vnni;
        case LLK_Q5_0: return rows_q5_0_vnni;
        case LLK_Q8_0: return rows_q8_0_vnni;
        case LLK_Q4_K: return rows_q4_K_vnni;
        case LLK_Q6_K: return rows_q6_K_vnni;
        default: break;
        }
    }
    if (level >= 1) {
        switch (t) {
        case LLK_Q4_0: return rows_q4_0_avx2;
        case LLK_Q4_1: return rows_q4_1_avx2;
        case LLK_Q5_0: return rows_q5_0_avx2;
        case LLK_Q5_1: return rows_q5_1_avx2;
        case LLK_Q8_0: return rows_q8_0_avx2;
        case LLK_Q4_K: return rows_q4_K_avx2;
        case LLK_Q5_K: return rows_q5_K_avx2;
        case LLK_Q6_K: return rows_q6_K_avx2;
        default: break;
        }
    }
    return 0;
}

static group_kernel group_kernel_for(int t, int level) {
    switch (t) {
    // Q4_K: the AVX2 build of the group kernel on VNNI machines too; its VNNI build (dpwssd, AVX-512 target)
    // decoded qwen2.5-1.5b at 17.5 t/s against 18.6-18.8 (Intel Xeon, 2 threads, alternating runs, 2026-12-04).
    case LLK_Q4_K: return level >= 1 ? rows8_q4_K_avx2 : 0;
    case LLK_Q6_K: return level >= 2 ? rows8_q6_K_vnni : level == 1 ? rows8_q6_K_avx2 : 0;
    default: return 0;
    }
}

int llk_interleave_supported(int t) { return group_kernel_for(t, 1) != 0; }

void llk_interleave_rows(int t, const void *src, size_t row_bytes, int64_t rows, void *dst) {
    type_info ti;
    if (!type_info_of(t, &ti) || rows % 8 != 0) return;
    const int64_t nb = (int64_t)row_bytes / ti.bbytes;
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    for (int64_t g = 0; g < rows / 8; g++)
        for (int64_t b = 0; b < nb; b++)
            for (int i = 0; i < 8; i++, d += ti.bbytes)
                memcpy(d, s + (size_t)(8 * g + i) * row_bytes + (size_t)b * ti.bbytes, (size_t)ti.bbytes);
}

void llk_gather_row(int t, const void *w, size_t row_bytes, int row_group, int64_t r, void *dst) {
    type_info ti;
    if (!type_info_of(t, &ti) || row_group < 1) return;
    const uint8_t *src = row_start((const uint8_t *)w, row_bytes, row_group, r, ti.bbytes);
    for (size_t b = 0; b < row_bytes / (size_t)ti.bbytes; b++)
        memcpy((uint8_t *)dst + b * (size_t)ti.bbytes, src + b * (size_t)row_group * (size_t)ti.bbytes, (size_t)ti.bbytes);
}

void llk_matmul(int t, const void *w, size_t row_bytes, int row_group, const void *xq, size_t xq_stride, int64_t ncols,
                int64_t n, float *y, int64_t ldy, int64_t row_begin, int64_t row_end) {
    type_info ti;
    if (!type_info_of(t, &ti) || row_end <= row_begin || ncols <= 0 || (row_group != 1 && row_group != 8)) return;
    const act_layout L = layout_of(ti.act, n);
    const uint8_t *xb = (const uint8_t *)xq;
    const int64_t nr = row_end - row_begin;
    const int level = llk_current_isa();
    if (row_group == 8) {
        group_kernel k = group_kernel_for(t, level);
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
    row_kernel k = kernel_for(t, level);
    if (!k) {
        ref_fn f = ref_of(t);
        for (int64_t c = 0; c < ncols; c++)
            for (int64_t r = 0; r < nr; r++)
                y[c * ldy + r] = f(wb + (size_t)r * row_bytes, xb + (size_t)c * xq_stride, n);
        return;
    }
    // Row tiles keep a tile of weights in L1/L2 while all column groups pass over it.
    const int64_t tile = ncols <= 4 ? nr : 16;
    for (int64_t r0 = 0; r0 < nr; r0 += tile) {
        const int64_t rn = nr - r0 < tile ? nr - r0 : tile;
        for (int64_t c = 0; c < ncols; c += 4) {
            const int nc = (int)(ncols - c < 4 ? ncols - c : 4);
            k(wb + (size_t)r0 * row_bytes, row_bytes, rn, xb + (size_t)c * xq_stride, xq_stride, nc, L.nb, &L,
              y + c * ldy + r0, ldy);
        }
    }
}

void llk_matvec(int t, const void *w, size_t row_bytes, int row_group, const void *xq, int64_t n, float *y,
                int64_t row_begin, int64_t row_end) {
    llk_matmul(t, w, row_bytes, row_group, xq, 0, 1, n, y, 0, row_begin, row_end);
}
