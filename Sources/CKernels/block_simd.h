// Helpers shared by the kernel files: unaligned little-endian loads, f16 scales, and the bit
// unpacking of ggml's block formats. Private to CKernels.
#pragma once
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

// The ISA every function of CKernels is compiled for, carried by the code rather than by compiler flags
// (SwiftPM refuses unsafeFlags in dependencies): each file brackets its functions, inline helpers in
// headers included, with LLK_BASELINE_BEGIN ... LLK_BASELINE_END. AVX-512 functions add their own target
// on top (T512, INL512; the features are merged) and run only after CPUID says so (dispatch.c).
#define LLK_BASELINE_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = function)")
#define LLK_BASELINE_END _Pragma("clang attribute pop")

// Full unrolling of a loop whose trip count is a constant (once the kernel is inlined into its caller: NC, R, NR
// and the type are). The kernels are written as such loops and rely on their unrolling (the accumulators then
// live in registers and the index arithmetic folds away); -O3 unrolls most of them by itself, but -O2, which
// SwiftPM uses for a package that depends on this one, halves LLVM's unroll threshold and leaves the larger
// ones rolled (Benchmarks/ckbench: up to 25% slower). Unrolling reorders no arithmetic, so the bits are the same.
#define LLK_UNROLL _Pragma("clang loop unroll(full)")

#define INL static inline __attribute__((always_inline))
#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define INL512 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512vnni")))

LLK_BASELINE_BEGIN

// The largest of the eight lanes.
INL float max8(__m256 m) {
    m = _mm256_max_ps(m, _mm256_permute2f128_ps(m, m, 1));
    m = _mm256_max_ps(m, _mm256_shuffle_ps(m, m, 0x4E));
    m = _mm256_max_ps(m, _mm256_shuffle_ps(m, m, 0xB1));
    return _mm256_cvtss_f32(m);
}
// The largest |x[j]| of n (a multiple of 8) floats; like fabsf and fmaxf in a loop, it passes over NaNs (max_ps
// returns its second operand when the first is NaN).
INL float max_magnitude(const float *x, int n) {
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < n; j += 8) m = _mm256_max_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(x + j)), m);
    return max8(m);
}

INL float ldh(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return _cvtsh_ss(h); }
INL uint16_t f2h(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }
INL uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
INL float ldf(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }
INL int16_t ld16s(const uint8_t *p) { int16_t v; memcpy(&v, p, 2); return v; }
INL size_t align32(size_t x) { return (x + 31) & ~(size_t)31; }
// Row r of a matrix whose rows are interleaved block by block in groups of `group` rows (1: plain rows);
// its consecutive blocks are group * bbytes apart.
INL const uint8_t *row_start(const uint8_t *w, size_t row_bytes, int group, int64_t r, size_t bbytes) {
    return w + (size_t)(r / group) * (size_t)group * row_bytes + (size_t)(r % group) * bbytes;
}
INL __m256i ld256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

// 16 packed bytes of nibbles -> 32 bytes: low nibbles (elements 0..15), then high nibbles (16..31).
INL __m256i nibbles32(const uint8_t *p) {
    __m128i raw = _mm_loadu_si128((const __m128i *)p);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}
// 32 bits -> 32 bytes: 0x10 where the bit is set.
INL __m256i bits32_x10(uint32_t bits) {
    const __m256i shuf = _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL);
    const __m256i bm = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuf);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bm), bm);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

// Q4_K/Q5_K: the 6-bit scales and mins of the 8 sub-blocks, packed in 12 bytes.
static inline void k4_scales(const uint8_t *s, uint8_t sc[8], uint8_t mn[8]) {
    uint32_t a0 = ld32(s), a1 = ld32(s + 4), a2 = ld32(s + 8);
    uint32_t s0 = a0 & 0x3f3f3f3f, m0 = a1 & 0x3f3f3f3f;
    uint32_t s1 = (a2 & 0x0f0f0f0f) | ((a0 >> 2) & 0x30303030);
    uint32_t m1 = ((a2 >> 4) & 0x0f0f0f0f) | ((a1 >> 2) & 0x30303030);
    memcpy(sc, &s0, 4); memcpy(sc + 4, &s1, 4);
    memcpy(mn, &m0, 4); memcpy(mn + 4, &m1, 4);
}

// Q3_K: the signed 6-bit scale of sub-block j (0..15), packed in 12 bytes.
static inline int q3k_scale(const uint8_t *s, int j) {
    int lo = j < 8 ? (s[j] & 0xF) : (s[j-8] >> 4);
    int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

// Q3_K codes 0..7 (the weight plus 4) of elements 128h + 32j + 0..31 of the block at blk: two low bits from qs,
// the high bit from hmask, as ggml lays them out.
INL __m256i q3_codes(const uint8_t *blk, int h, int j) {
    const __m256i low = _mm256_and_si256(_mm256_srli_epi16(ld256(blk + 32 + 32 * h), 2 * j), _mm256_set1_epi8(3));
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(ld256(blk), 4 * h + j), _mm256_set1_epi8(1));
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 2));
}

// Q6_K codes 0..63 of elements 128h + 32k + 0..31 (k = 0..3) of the block at blk: low nibbles from
// ql (64 bytes per half), the two high bits from qh (32 bytes per half), as ggml lays them out.
INL void q6_codes(const uint8_t *blk, int h, __m256i v[4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    const __m256i l0 = ld256(blk + 64 * h), l1 = ld256(blk + 64 * h + 32), hb = ld256(blk + 128 + 32 * h);
    v[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30));
    v[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30));
    v[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30));
    v[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
}

// ggml_v_expf (AVX-512 form: the polynomial, then scalef by n), 8 lanes.
static inline __m256 exp_ggml(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    const __m256 beyond = _mm256_cmp_ps(magnitude, _mm256_set1_ps(192), _CMP_GT_OQ);
    const __m256 subnormal = _mm256_andnot_ps(beyond, _mm256_cmp_ps(magnitude, _mm256_set1_ps(126), _CMP_GT_OQ));
    if (!_mm256_movemask_ps(subnormal)) {
        // 2^n built from its exponent bits: exact, as scalef is when the result is normal. Lanes beyond the range
        // (masked scores are -inf) take 0 or ∞ as ggml_v_expf gives them.
        const __m256 clamped = _mm256_min_ps(_mm256_max_ps(n, _mm256_set1_ps(-126)), _mm256_set1_ps(127));
        const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(clamped), _mm256_set1_epi32(127)), 23);
        const __m256 normal = _mm256_mul_ps(j, _mm256_castsi256_ps(e));
        const __m256 limit = _mm256_and_ps(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_set1_ps(INFINITY));
        return _mm256_blendv_ps(normal, limit, beyond);
    }
    // Rare lanes whose result is subnormal (a score about 87 below the maximum): per lane, rounded as scalef rounds.
    float jl[8], nl[8], out[8];
    _mm256_storeu_ps(jl, j);
    _mm256_storeu_ps(nl, n);
    for (int l = 0; l < 8; l++) out[l] = fabsf(nl[l]) > 192 ? (nl[l] <= 0 ? 0.0f : INFINITY) : ldexpf(jl[l], (int)nl[l]);
    return _mm256_loadu_ps(out);
}

LLK_BASELINE_END
