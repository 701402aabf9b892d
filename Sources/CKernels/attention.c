// Attention of the query heads that share one kv head, over f16 keys and values, with the arithmetic of llama.cpp's CPU flash
// attention (ggml_compute_forward_flash_attn_ext_f16_one_chunk, AVX-512 build): the query rounded to f16,
// q·k summed in four accumulators of 16 lanes then a tree, an online softmax over the keys in order, and
// the weighted sum of values accumulated in f16. AVX2 only: 16 lanes are two 8-lane registers, which
// gives the same per-lane arithmetic, hence the same bits.
// Logit soft-capping (Gemma 2; softcap 0 = off): as ggml does it, the scale is divided by the cap once, and each
// scaled score s becomes softcap * tanhf(s) before the mask and the softmax.
// A llama.cpp built for an AVX512-FP16 CPU does the accumulator's updates in native f16 lanes instead: the weight is
// rounded to f16 and each product-and-add rounds once, in f16 (ggml_vec_mad_f16 and ggml_vec_scale_f16 with 32-lane
// f16 vectors, 128 elements per step; the elements past the last full step stay in f32 lanes). The caller says
// which arithmetic to reproduce (llk_cpu_has_avx512_fp16() tells this machine's llama.cpp's).
#include "ckernels.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "block_simd.h"

LLK_BASELINE_BEGIN

static inline float dot_ggml_order(const float *q, const float *k, int64_t n) {
    __m256 a[4][2];
    for (int j = 0; j < 4; j++) { a[j][0] = _mm256_setzero_ps(); a[j][1] = _mm256_setzero_ps(); }
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int j = 0; j < 4; j++) {
            for (int h = 0; h < 2; h++) {
                const int64_t o = i + 16 * j + 8 * h;
                __m256 kv = _mm256_loadu_ps(k + o);
                a[j][h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + o), kv, a[j][h]);
            }
        }
    }
    // (a0 + a2) + (a1 + a3), lane by lane, then lanes l + (l+8), l + (l+4), l + (l+2), l + (l+1).
    __m256 lo = _mm256_add_ps(_mm256_add_ps(a[0][0], a[2][0]), _mm256_add_ps(a[1][0], a[3][0]));
    __m256 hi = _mm256_add_ps(_mm256_add_ps(a[0][1], a[2][1]), _mm256_add_ps(a[1][1], a[3][1]));
    __m256 b = _mm256_add_ps(lo, hi);
    __m128 c = _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1));
    __m128 d = _mm_add_ps(c, _mm_movehl_ps(c, c));
    float sum = _mm_cvtss_f32(_mm_add_ss(d, _mm_shuffle_ps(d, d, 1)));
    double tail = sum;
    for (; i < n; i++) tail += (double)(q[i] * k[i]);
    return (float)tail;
}

// f16 -> f32 of n values (n a multiple of 8), and f32 -> nearest f16 -> f32 in place.
static inline void widen(const uint16_t *h, float *f, int64_t n) {
    for (int64_t i = 0; i < n; i += 8) _mm256_storeu_ps(f + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
}
static inline __m256 round_f16(__m256 x) { return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }

// The f16 accumulator a times r, and plus v times w, as `arithmetic` says (ckernels.h): in native f16 lanes for the
// first `native` elements, in f32 lanes rounded to f16 for the rest. In native lanes those elements live as f16 during
// a pass (a16; every update rounds to f16, so nothing is lost) and the values are read as f16 straight from the cache
// (v16); elsewhere the accumulator is held as f32 (a) and the values widened (v).
#define FP16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512fp16")))
static void FP16_TARGET scale_native_f16(_Float16 *a, int64_t native, float r) {
    const __m512h rh = _mm512_set1_ph((_Float16)r);
    for (int64_t i = 0; i < native; i += 32) _mm512_storeu_ph(a + i, _mm512_mul_ph(_mm512_loadu_ph(a + i), rh));
}
static void FP16_TARGET accumulate_native_f16(_Float16 *a, const uint16_t *v, int64_t native, float w) {
    const __m512h wh = _mm512_set1_ph((_Float16)w);
    for (int64_t i = 0; i < native; i += 32) _mm512_storeu_ph(a + i, _mm512_fmadd_ph(_mm512_loadu_ph(v + i), wh, _mm512_loadu_ph(a + i)));
}
// The native accumulator's f16 values into the f32 one, exactly.
static void FP16_TARGET widen_native_f16(const _Float16 *a16, float *a, int64_t native) {
    for (int64_t i = 0; i < native; i += 16) _mm512_storeu_ps(a + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a16 + i))));
}

// The same operations without AVX512-FP16. A product of two f16 values is exact in f32, so a * r rounds once. For
// v * w + a the sum is exact in double (f16 values span too few binades to lose a bit), and rounding it to f32 "to
// odd" (toward zero, then the last bit set when inexact) before rounding to f16 keeps that one rounding correct.
static inline float f16_value(float x) { return _cvtsh_ss(f2h(x)); }
static float f16_of_exact(double r) {
    float t = (float)r;
    if ((double)t != r) {
        if (fabs((double)t) > fabs(r)) t = nextafterf(t, 0.0f);
        uint32_t bits;
        memcpy(&bits, &t, 4);
        bits |= 1;
        memcpy(&t, &bits, 4);
    }
    return f16_value(t);
}
static void scale_emulated_f16(float *a, int64_t native, float r) {
    const float rh = f16_value(r);
    for (int64_t i = 0; i < native; i++) a[i] = f16_value(a[i] * rh);
}
static void accumulate_emulated_f16(float *a, const float *v, int64_t native, float w) {
    const double wh = f16_value(w);
    for (int64_t i = 0; i < native; i++) a[i] = f16_of_exact((double)v[i] * wh + (double)a[i]);
}

static inline void scale_accumulator(float *a, _Float16 *a16, int arithmetic, int64_t native, int64_t n, float r) {
    if (arithmetic == LLK_ATTENTION_NATIVE_F16) scale_native_f16(a16, native, r);
    else if (arithmetic == LLK_ATTENTION_NATIVE_F16_EMULATED) scale_emulated_f16(a, native, r);
    const __m256 rv = _mm256_set1_ps(r);
    for (int64_t i = native; i < n; i += 8) _mm256_storeu_ps(a + i, round_f16(_mm256_mul_ps(_mm256_loadu_ps(a + i), rv)));
}
static inline void accumulate(float *a, _Float16 *a16, const float *v, const uint16_t *v16, int arithmetic, int64_t native, int64_t n,
                              float w) {
    if (arithmetic == LLK_ATTENTION_NATIVE_F16) accumulate_native_f16(a16, v16, native, w);
    else if (arithmetic == LLK_ATTENTION_NATIVE_F16_EMULATED) accumulate_emulated_f16(a, v, native, w);
    const __m256 wv = _mm256_set1_ps(w);
    for (int64_t i = native; i < n; i += 8) _mm256_storeu_ps(a + i, round_f16(_mm256_fmadd_ps(_mm256_loadu_ps(v + i), wv, _mm256_loadu_ps(a + i))));
}

// expf of four values x <= 0 (or -inf), to the bit of glibc's (since 2.28, which llama.cpp's expf calls are): x N/ln 2
// = k + r rounded to even, 2^(k/N) from a table of 2^(i/N) for i = k mod N (N = 32, here the nearest doubles, less
// i << 47 so that adding k << 47 scales them), 2^(r/N) by a cubic, all in double, then rounded once to float; below
// log(2^-150) the result is 0. Identical to glibc 2.36's on every float x <= 0 (all were compared; AttentionArithmeticTests
// compares 35 million).
static const uint64_t exp2_table[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b, 0x3fef54873168b9aa,
    0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74,
    0x3feea11473eb0187, 0x3feea589994cce13, 0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};
static inline __m128 expf_nonpositive4(__m128 x) {
    const double n = 32;
    const __m256d shift = _mm256_set1_pd(0x1.8p+52);
    const __m256d z = _mm256_mul_pd(_mm256_set1_pd(0x1.71547652b82fep+0 * n), _mm256_cvtps_pd(x));
    const __m256d shifted = _mm256_add_pd(z, shift);   // k in the low bits, rounded to even
    const __m256i k = _mm256_castpd_si256(shifted);
    const __m256d r = _mm256_sub_pd(z, _mm256_sub_pd(shifted, shift));
    const __m256i bits = _mm256_add_epi64(_mm256_i64gather_epi64((const long long *)exp2_table, _mm256_and_si256(k, _mm256_set1_epi64x(31)), 8),
                                          _mm256_slli_epi64(k, 47));
    const __m256d c0 = _mm256_set1_pd(0x1.c6af84b912394p-5 / n / n / n), c1 = _mm256_set1_pd(0x1.ebfce50fac4f3p-3 / n / n),
                  c2 = _mm256_set1_pd(0x1.62e42ff0c52d6p-1 / n);
    const __m256d y = _mm256_fmadd_pd(_mm256_fmadd_pd(c0, r, c1), _mm256_mul_pd(r, r), _mm256_fmadd_pd(c2, r, _mm256_set1_pd(1.0)));
    const __m128 result = _mm256_cvtpd_ps(_mm256_mul_pd(y, _mm256_castsi256_pd(bits)));
    return _mm_andnot_ps(_mm_cmp_ps(x, _mm_set1_ps(-0x1.9fe368p6f), _CMP_LT_OQ), result);
}

void llk_expf_nonpositive(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, expf_nonpositive4(_mm_loadu_ps(x + i)));
    if (i < n) {
        float in[4] = {0, 0, 0, 0}, out[4];
        memcpy(in, x + i, (size_t)(n - i) * sizeof *x);
        _mm_storeu_ps(out, expf_nonpositive4(_mm_loadu_ps(in)));
        memcpy(y + i, out, (size_t)(n - i) * sizeof *y);
    }
}

// One online-softmax pass over cache positions from...to (inclusive) for every head, from a fresh state.
static void online_pass(const float *q16, int64_t heads, int64_t head_dim, const uint16_t *keys, const uint16_t *values,
                        int64_t kv_stride, int64_t from, int64_t to, float scale, float softcap, int arithmetic, int64_t native,
                        float *acc, _Float16 *acc16, float *maximum, float *sum, float *k, float *v) {
    // Native lanes read the values as f16: only the rest are widened.
    const int64_t widened = arithmetic == LLK_ATTENTION_NATIVE_F16 ? native : 0;
    for (int64_t i = 0; i < heads * head_dim; i++) acc[i] = 0.0f;
    if (widened) memset(acc16, 0, (size_t)(heads * native) * sizeof *acc16);
    for (int64_t h = 0; h < heads; h++) { maximum[h] = -INFINITY; sum[h] = 0.0f; }
    float scores[heads], exponents[heads];
    for (int64_t j = from; j <= to; j++) {
        const uint16_t *v16 = values + j * kv_stride;
        widen(keys + j * kv_stride, k, head_dim);
        widen(v16 + widened, v + widened, head_dim - widened);
        // Every head's score first, so that their exponentials go four at a time: a new maximum's rescale
        // exp(old - s), or the weight exp(s - maximum).
        for (int64_t h = 0; h < heads; h++) {
            float s = dot_ggml_order(q16 + h * head_dim, k, head_dim) * scale;
            if (softcap != 0.0f) s = softcap * tanhf(s);
            scores[h] = s;
            exponents[h] = s > maximum[h] ? maximum[h] - s : s - maximum[h];
        }
        llk_expf_nonpositive(exponents, exponents, heads);
        for (int64_t h = 0; h < heads; h++) {
            float *a = acc + h * head_dim;
            _Float16 *a16 = acc16 + h * native;
            float rescale = 1.0f, weight = 1.0f;
            if (scores[h] > maximum[h]) {
                rescale = exponents[h];
                maximum[h] = scores[h];
                scale_accumulator(a, a16, arithmetic, native, head_dim, rescale);
            } else {
                weight = exponents[h];
            }
            accumulate(a, a16, v, v16, arithmetic, native, head_dim, weight);
            sum[h] = fmaf(sum[h], rescale, weight);
        }
    }
    if (widened)
        for (int64_t h = 0; h < heads; h++) widen_native_f16(acc16 + h * native, acc + h * head_dim, native);
}

void llk_attention_heads(const float *q, int64_t heads, int64_t head_dim, const uint16_t *keys, const uint16_t *values,
                         int64_t kv_stride, int64_t first, int64_t last, int64_t chunk, float scale, float softcap,
                         int arithmetic, float *out, float *scratch) {
    if (softcap != 0.0f) scale /= softcap;
    // Native f16 needs the instructions; without them, the emulation gives the same bits.
    if (arithmetic == LLK_ATTENTION_NATIVE_F16 && !llk_cpu_has_avx512_fp16()) arithmetic = LLK_ATTENTION_NATIVE_F16_EMULATED;
    // Scratch: the queries rounded to f16 (heads × head_dim), the f16-valued accumulators held as f32
    // (heads × head_dim), then the current key and value widened to f32 (head_dim each), the running
    // maxima and sums (heads each); with chunks, the combined accumulators, maxima and sums after them. Each key
    // and value is converted once for all heads that read it.
    float *q16 = scratch, *acc = q16 + heads * head_dim, *k = acc + heads * head_dim, *v = k + head_dim;
    float *maximum = v + head_dim, *sum = maximum + heads;
    // After the chunks' combined state (below): the native f16 accumulators, heads × head_dim halves.
    _Float16 *acc16 = (_Float16 *)(void *)(sum + heads + heads * head_dim + 2 * heads);
    const int64_t native = arithmetic == LLK_ATTENTION_F32_LANES ? 0 : head_dim / 128 * 128;
    int64_t i = 0;
    for (; i + 8 <= heads * head_dim; i += 8) _mm256_storeu_ps(q16 + i, round_f16(_mm256_loadu_ps(q + i)));
    for (; i < heads * head_dim; i++) q16[i] = f16_value(q[i]);

    if (chunk <= 0) {
        online_pass(q16, heads, head_dim, keys, values, kv_stride, first, last, scale, softcap, arithmetic, native, acc, acc16,
                    maximum, sum, k, v);
        for (int64_t h = 0; h < heads; h++) {
            const float inverse = 1.0f / sum[h];
            for (i = 0; i < head_dim; i++) out[h * head_dim + i] = acc[h * head_dim + i] * inverse;
        }
        return;
    }
    // llama.cpp's split form (one query over 512 cache slots or more): each chunk of slots gets a pass of its own,
    // then the chunks' f16 sums are combined in f32, in order (ggml_flash_attn_ext_reduce_partials, whose
    // a * scale_old + b * scale_new GCC contracts to fma(a, scale_old, b * scale_new)).
    float *total = sum + heads, *total_max = total + heads * head_dim, *total_sum = total_max + heads;
    for (i = 0; i < heads * head_dim; i++) total[i] = 0.0f;
    for (int64_t h = 0; h < heads; h++) { total_max[h] = -INFINITY; total_sum[h] = 0.0f; }
    for (int64_t start = first / chunk * chunk; start <= last; start += chunk) {
        const int64_t from = start > first ? start : first, to = start + chunk - 1 < last ? start + chunk - 1 : last;
        online_pass(q16, heads, head_dim, keys, values, kv_stride, from, to, scale, softcap, arithmetic, native, acc, acc16,
                    maximum, sum, k, v);
        for (int64_t h = 0; h < heads; h++) {
            if (sum[h] == 0.0f) continue;
            const float new_max = fmaxf(total_max[h], maximum[h]);
            const float scale_old = expf(total_max[h] - new_max), scale_new = expf(maximum[h] - new_max);
            float *t = total + h * head_dim;
            const float *a = acc + h * head_dim;
            for (i = 0; i < head_dim; i++) {
                const float added = a[i] * scale_new;
                t[i] = fmaf(t[i], scale_old, added);
            }
            const float added = sum[h] * scale_new;
            total_sum[h] = fmaf(total_sum[h], scale_old, added);
            total_max[h] = new_max;
        }
    }
    for (int64_t h = 0; h < heads; h++) {
        const float inverse = total_sum[h] != 0.0f ? 1.0f / total_sum[h] : 1.0f;
        for (i = 0; i < head_dim; i++) out[h * head_dim + i] = total[h * head_dim + i] * inverse;
    }
}

// ---- Prefill: llama.cpp's tiled flash attention ----------------------------------------------------------------------
// For batches of at least 64 queries llama.cpp switches to ggml_compute_forward_flash_attn_ext_tiled, whose arithmetic
// is all f32: queries as they are, keys and values widened from f16 a tile of 64 cache positions at a time, each score
// one FMA chain over the head dimension, the softmax maximum and rescaling updated once per tile, exponentials by
// ggml_v_expf, each tile's sum taken 16 lanes at a time (the AVX-512 reduction tree) into a double, and the values
// accumulated in f32, one FMA chain per output element. Using the one-chunk arithmetic (f16 queries and accumulators)
// for these batches as well moved gemma3's perplexity 0.66 % away from llama.cpp's.

enum { kTile = 64 };

// _mm512_reduce_add_ps of 16 floats: halves of 8, of 4, then pairs.
static inline float reduce16(const float *p) {
    __m256 a = _mm256_add_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_shuffle_ps(b, b, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(c) + _mm_cvtss_f32(_mm_shuffle_ps(c, c, 1));
}

// AVX-512 forms of the two products of a tile; every lane does the same fmas in the same order as with 8 lanes,
// so the bits are the same. Scores of two heads at once (8 chains of fmas hide their latency):
// s0/s1[t] = scale * (q0/q1 · key t).
T512 static void tile_scores_512(const float *q0, const float *q1, const float *kt, int64_t head_dim, float scale, float *s0, float *s1) {
    __m512 d0[kTile / 16], d1[kTile / 16];
    for (int x = 0; x < kTile / 16; x++) { d0[x] = _mm512_setzero_ps(); d1[x] = _mm512_setzero_ps(); }
    for (int64_t d = 0; d < head_dim; d++) {
        const __m512 a = _mm512_set1_ps(q0[d]), b = _mm512_set1_ps(q1[d]);
        for (int x = 0; x < kTile / 16; x++) {
            const __m512 k = _mm512_loadu_ps(kt + d * kTile + 16 * x);
            d0[x] = _mm512_fmadd_ps(k, a, d0[x]);
            d1[x] = _mm512_fmadd_ps(k, b, d1[x]);
        }
    }
    for (int x = 0; x < kTile / 16; x++) {
        _mm512_storeu_ps(s0 + 16 * x, _mm512_mul_ps(d0[x], _mm512_set1_ps(scale)));
        _mm512_storeu_ps(s1 + 16 * x, _mm512_mul_ps(d1[x], _mm512_set1_ps(scale)));
    }
}

// a[i] += sum over t in lo..<hi of s[t] * v[t][i], for i below the returned bound (a multiple of 64).
T512 static int64_t accumulate_values_512(float *a, const float *vt, const float *s, int64_t lo, int64_t hi, int64_t head_dim) {
    int64_t i = 0;
    for (; i + 64 <= head_dim; i += 64) {
        __m512 y[4];
        for (int c = 0; c < 4; c++) y[c] = _mm512_loadu_ps(a + i + 16 * c);
        for (int64_t t = lo; t < hi; t++) {
            const __m512 st = _mm512_set1_ps(s[t]);
            for (int c = 0; c < 4; c++) y[c] = _mm512_fmadd_ps(_mm512_loadu_ps(vt + t * head_dim + i + 16 * c), st, y[c]);
        }
        for (int c = 0; c < 4; c++) _mm512_storeu_ps(a + i + 16 * c, y[c]);
    }
    return i;
}

void llk_attention_tokens_tiled(const float *q, int64_t tokens, int64_t row_stride, int64_t heads, int64_t head_dim,
                                const uint16_t *keys, const uint16_t *values, int64_t kv_stride, int64_t position,
                                int64_t window, float scale, float softcap, float *out, float *scratch) {
    if (softcap != 0.0f) scale /= softcap;
    // Scratch: keys of a tile transposed (head_dim × 64), values of a tile (64 × head_dim), scores (heads × 64),
    // accumulators (tokens × heads × head_dim), running maxima and sums (tokens × heads each). Each tile of keys
    // and values is widened once for all the tokens and heads of the call.
    const int64_t rows = tokens * heads;
    float *kt = scratch, *vt = kt + head_dim * kTile, *score = vt + kTile * head_dim, *acc = score + heads * kTile;
    float *maximum = acc + rows * head_dim, *sum = maximum + rows;
    for (int64_t i = 0; i < rows * head_dim; i++) acc[i] = 0.0f;
    for (int64_t r = 0; r < rows; r++) { maximum[r] = -INFINITY; sum[r] = 0.0f; }

    const int wide = llk_current_isa() >= 2;   // AVX-512 (the VNNI level)
    const int64_t last_position = position + tokens - 1;
    const int64_t first_visible = window > 0 && position - window + 1 > 0 ? position - window + 1 : 0;
    for (int64_t tile = first_visible / kTile * kTile; tile <= last_position; tile += kTile) {
        // Slots of this tile any token sees; each token's own range is narrower.
        const int64_t lo_all = first_visible > tile ? first_visible - tile : 0;
        const int64_t hi_all = last_position + 1 - tile < kTile ? last_position + 1 - tile : kTile;
        for (int64_t t = lo_all; t < hi_all; t++) {
            const uint16_t *k = keys + (tile + t) * kv_stride;
            for (int64_t d = 0; d < head_dim; d += 8) {
                float wide[8];
                _mm256_storeu_ps(wide, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + d))));
                for (int l = 0; l < 8; l++) kt[(d + l) * kTile + t] = wide[l];
            }
            widen(values + (tile + t) * kv_stride, vt + t * head_dim, head_dim);
        }
        for (int64_t token = 0; token < tokens; token++) {
            const int64_t p = position + token;
            const int64_t first = window > 0 && p - window + 1 > 0 ? p - window + 1 : 0;
            const int64_t lo = first > tile ? first - tile : 0;  // visible slots lo..<hi of this tile
            const int64_t hi = p + 1 - tile < kTile ? p + 1 - tile : kTile;
            if (hi <= lo) continue;  // all masked: llama.cpp skips the row for this tile
            const float *qt = q + token * row_stride;
            int64_t scored = 0;   // heads whose scores are in `score`
            if (wide)
                for (; scored + 2 <= heads; scored += 2)
                    tile_scores_512(qt + scored * head_dim, qt + (scored + 1) * head_dim, kt, head_dim, scale, score + scored * kTile,
                                    score + (scored + 1) * kTile);
            for (int64_t h = 0; h < heads; h++) {
                const int64_t row = token * heads + h;
                float *s = score + h * kTile;
                if (h >= scored) {
                    const float *qh = qt + h * head_dim;
                    __m256 dot[kTile / 8];
                    for (int x = 0; x < kTile / 8; x++) dot[x] = _mm256_setzero_ps();
                    for (int64_t d = 0; d < head_dim; d++) {
                        const __m256 qd = _mm256_set1_ps(qh[d]);
                        for (int x = 0; x < kTile / 8; x++) dot[x] = _mm256_fmadd_ps(_mm256_loadu_ps(kt + d * kTile + 8 * x), qd, dot[x]);
                    }
                    for (int x = 0; x < kTile / 8; x++) _mm256_storeu_ps(s + 8 * x, _mm256_mul_ps(dot[x], _mm256_set1_ps(scale)));
                }
                if (softcap != 0.0f)
                    for (int64_t t = lo; t < hi; t++) s[t] = softcap * tanhf(s[t]);
                // Slots outside lo..<hi masked, and the tile's maximum (max_ps, like fmaxf, passes over NaNs).
                __m256 top = _mm256_set1_ps(-INFINITY);
                for (int x = 0; x < kTile / 8; x++) {
                    const __m256 slot = _mm256_add_ps(_mm256_set1_ps((float)(8 * x)), _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7));
                    const __m256 outside = _mm256_or_ps(_mm256_cmp_ps(slot, _mm256_set1_ps((float)lo), _CMP_LT_OQ),
                                                        _mm256_cmp_ps(slot, _mm256_set1_ps((float)hi), _CMP_GE_OQ));
                    const __m256 v = _mm256_blendv_ps(_mm256_loadu_ps(s + 8 * x), _mm256_set1_ps(-INFINITY), outside);
                    _mm256_storeu_ps(s + 8 * x, v);
                    top = _mm256_max_ps(v, top);
                }
                const float tile_max = max8(top);
                const float new_max = fmaxf(maximum[row], tile_max);
                float *a = acc + row * head_dim;
                if (new_max > maximum[row]) {
                    const float rescale = expf(maximum[row] - new_max);
                    for (int64_t i = 0; i < head_dim; i++) a[i] *= rescale;
                    sum[row] *= rescale;
                }
                maximum[row] = new_max;
                double tile_sum = 0;
                for (int x = 0; x < kTile / 8; x++)
                    _mm256_storeu_ps(s + 8 * x, exp_ggml(_mm256_sub_ps(_mm256_loadu_ps(s + 8 * x), _mm256_set1_ps(new_max))));
                for (int x = 0; x < kTile / 16; x++) tile_sum += (double)reduce16(s + 16 * x);
                sum[row] = (float)((double)sum[row] + tile_sum);
                // Four independent accumulators per pass over the keys, so that the fma chains overlap; each
                // lane still adds its keys in order.
                int64_t i = wide ? accumulate_values_512(a, vt, s, lo, hi, head_dim) : 0;
                for (; i + 32 <= head_dim; i += 32) {
                    __m256 y[4];
                    for (int c = 0; c < 4; c++) y[c] = _mm256_loadu_ps(a + i + 8 * c);
                    for (int64_t t = lo; t < hi; t++) {
                        const __m256 st = _mm256_set1_ps(s[t]);
                        for (int c = 0; c < 4; c++) y[c] = _mm256_fmadd_ps(_mm256_loadu_ps(vt + t * head_dim + i + 8 * c), st, y[c]);
                    }
                    for (int c = 0; c < 4; c++) _mm256_storeu_ps(a + i + 8 * c, y[c]);
                }
                for (; i < head_dim; i += 8) {
                    __m256 y = _mm256_loadu_ps(a + i);
                    for (int64_t t = lo; t < hi; t++) y = _mm256_fmadd_ps(_mm256_loadu_ps(vt + t * head_dim + i), _mm256_set1_ps(s[t]), y);
                    _mm256_storeu_ps(a + i, y);
                }
            }
        }
    }
    for (int64_t token = 0; token < tokens; token++) {
        for (int64_t h = 0; h < heads; h++) {
            const int64_t row = token * heads + h;
            const float inverse = sum[row] == 0.0f ? 0.0f : 1.0f / sum[row];
            float *o = out + token * row_stride + h * head_dim;
            for (int64_t i = 0; i < head_dim; i++) o[i] = acc[row * head_dim + i] * inverse;
        }
    }
}

LLK_BASELINE_END
