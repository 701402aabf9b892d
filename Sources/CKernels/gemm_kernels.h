// Micro-kernels of gemm.c, included once per ISA after the vector operations are defined (see there):
// NR unpacked weight rows (ws bytes apart) × LANES columns of one panel, accumulated in NR vectors.
// Offsets inside a panel block are the same for both ISAs: the AVX2 caller passes the panel pointer
// advanced by 32 bytes for the upper 8 columns of each 64-byte line.
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define NAME(f) CAT(f, ISA)
#define ISA_INL static inline __attribute__((always_inline)) ISA_ATTR
// Sum of ggml's eight float lanes in hsum_float_8's order: ((0+4) + (2+6)) + ((1+5) + (3+7)).
#define HSUM8(a) ADDF(ADDF(ADDF(a[0], a[4]), ADDF(a[2], a[6])), ADDF(ADDF(a[1], a[5]), ADDF(a[3], a[7])))


// Q4_0 Q4_1 Q5_0 Q5_1 Q8_0, with ggml's float arithmetic to the bit: per output, eight accumulators,
// one per 4-element group of the block (ggml's eight int32 lanes), each += (d_w * d_x) * group dot,
// summed at the end in hsum_float_8's order; Q4_1/Q5_1 add sum(m_w * s_x) kept apart, as ggml does.
ISA_INL void NAME(mk_q8_0)(const uint8_t *wt, size_t ws, const int NR, const uint8_t *pn, int64_t nb, const int with_min, VF *out) {
    const size_t pbb = with_min ? 640 : 576;
    VF acc[2][8], summ[2];
    LLK_UNROLL for (int r = 0; r < NR; r++) {
        summ[r] = ZEROF();
        LLK_UNROLL for (int g = 0; g < 8; g++) acc[r][g] = ZEROF();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pb = pn + (size_t)b * pbb;
        const uint8_t *u = wt + (size_t)b * 80;
        const VF dy = LOADF((pb + 512));
        VF scale[2];
        LLK_UNROLL for (int r = 0; r < NR; r++) scale[r] = MULF(SETF(ldf(u + r * ws + 64)), dy);
        LLK_UNROLL for (int g = 0; g < 8; g++) {
            const VI a = LOADI((pb + 64 * g));
            LLK_UNROLL for (int r = 0; r < NR; r++) {
                const VI dot = DOT(BCAST(u + r * ws + 32 + 4 * g), a, BCAST(u + r * ws + 4 * g));
                acc[r][g] = FMA(scale[r], CVT(dot), acc[r][g]);
            }
        }
        if (with_min) {
            const VF sy = LOADF((pb + 576));
            LLK_UNROLL for (int r = 0; r < NR; r++) summ[r] = FMA(SETF(ldf(u + r * ws + 68)), sy, summ[r]);
        }
    }
    LLK_UNROLL for (int r = 0; r < NR; r++) {
        out[r] = ADDF(HSUM8(acc[r]), summ[r]);
    }
}

// IQ4_NL, with the arithmetic of llama.cpp's repacked kernels (quant_iq4.c) to the bit: per output, the block's
// integer dot product (vpdpbusd over its eight groups from the block's correction), then
// acc += block sum * (d_w * d_x). VNNI only (gemm_isa 2): the codes reach -127.
ISA_INL void NAME(mk_iq4_nl)(const uint8_t *wt, size_t ws, const int NR, const uint8_t *pn, int64_t nb, VF *out) {
    VF acc[2];
    LLK_UNROLL for (int r = 0; r < NR; r++) acc[r] = ZEROF();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pb = pn + (size_t)b * 576;
        const uint8_t *u = wt + (size_t)b * 80;
        const VF dy = LOADF((pb + 512));
        VI sum[2];
        LLK_UNROLL for (int r = 0; r < NR; r++) sum[r] = BCAST(u + r * ws + 72);
        LLK_UNROLL for (int g = 0; g < 8; g++) {
            const VI a = LOADI((pb + 64 * g));
            LLK_UNROLL for (int r = 0; r < NR; r++) sum[r] = DOT(sum[r], a, BCAST(u + r * ws + 4 * g));
        }
        LLK_UNROLL for (int r = 0; r < NR; r++) acc[r] = FMA(CVT(sum[r]), MULF(SETF(ldf(u + r * ws + 64)), dy), acc[r]);
    }
    LLK_UNROLL for (int r = 0; r < NR; r++) out[r] = acc[r];
}

// Q3_K Q5_K Q6_K IQ4_XS, in the arithmetic of ggml's tiled K-quant matmul (llama.cpp's x86 build, 8 or more
// activation rows): exact integer sums S = sum sc * q * y (per sub-block, vpdpbusd of the codes against
// y + 128, times the sub-block's scale, less corr), Q6_K's -32 and Q3_K's -4 offsets as 32 (4) * sum_j
// sc_j * bsum16_j and, with mins (Q5_K), M = sum_j min_j * bsum32_j; then per super-block
// acc += (S d_w - dmin_w M) * d_x. One integer vector per row, so eight rows share each activation load.
ISA_INL void NAME(mk_kquant)(int t, const uint8_t *wt, size_t ws, const int NR, const uint8_t *pn, int64_t nb, VF *out) {
    const int with_mins = t == LLK_Q5_K;
    const int offset_shift = t == LLK_Q6_K ? 5 : 2;        // log2 of the codes' offset: Q6_K 32, Q3_K 4
    const int sub = t == LLK_Q6_K || t == LLK_Q3_K ? 16 : 32;              // elements per sub-block (one scale)
    const int sides = with_mins || sub == 16 ? 8 : 0;                      // bsum terms (Q3_K, Q6_K: pairs) per super-block
    VF acc[KQ_ROWS];
    for (int r = 0; r < NR; r++) acc[r] = ZEROF();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pb = pn + (size_t)b * KP_BYTES;
        const uint8_t *u = wt + (size_t)b * KU_BYTES;
        const VF dy = LOADF((pb + KP_D));
        VI sum[KQ_ROWS], side[KQ_ROWS];
        for (int r = 0; r < NR; r++) sum[r] = ZEROI();
        for (int j = 0; j < 256 / sub; j++) {
            VI dot[KQ_ROWS];
            for (int r = 0; r < NR; r++) dot[r] = ZEROI();
            for (int g = j * sub / 4; g < (j + 1) * sub / 4; g++) {
                const VI a = LOADI((pb + 64 * g));
                for (int r = 0; r < NR; r++) dot[r] = DOT(dot[r], a, BCAST(u + r * ws + 4 * g));
            }
            for (int r = 0; r < NR; r++) sum[r] = ADDI(sum[r], MULLO(dot[r], BCAST(u + r * ws + KU_SC + 4 * j)));
        }
        for (int r = 0; r < NR; r++) {
            VI corr = BCAST(u + r * ws + KU_CORR);
            for (int c = 1; c < 4; c++) corr = ADDI(corr, BCAST(u + r * ws + KU_CORR + 4 * c));
            sum[r] = SUBI(sum[r], corr);
            side[r] = ZEROI();
        }
        // Q3_K, Q6_K: sc_j * bsum16_j over 16 sub-blocks, two per vpdpwssd; Q5_K: min_j * bsum32_j over 8.
        for (int j = 0; j < sides; j++) {
            if (with_mins) {
                const VI bj = LOADI((pb + KP_BSUM32 + 64 * j));
                for (int r = 0; r < NR; r++) side[r] = ADDI(side[r], MULLO(bj, BCAST(u + r * ws + KU_M + 4 * j)));
            } else {
                const VI bj = LOADI((pb + KP_BSUM16 + 64 * j));
                for (int r = 0; r < NR; r++) side[r] = DOTW(side[r], bj, BCAST(u + r * ws + KU_M + 4 * j));
            }
        }
        for (int r = 0; r < NR; r++) {
            const uint8_t *ur = u + r * ws;
            if (t == LLK_Q6_K || t == LLK_Q3_K) {
                acc[r] = FMA(MULF(CVT(SUBI(sum[r], SLLI(side[r], offset_shift))), SETF(ldf(ur + KU_D))), dy, acc[r]);
            } else if (t == LLK_IQ4_XS) {
                acc[r] = FMA(MULF(CVT(sum[r]), SETF(ldf(ur + KU_D))), dy, acc[r]);
            } else {
                acc[r] = FMA(FNMA(SETF(ldf(ur + KU_DMIN)), CVT(side[r]), MULF(CVT(sum[r]), SETF(ldf(ur + KU_D)))), dy, acc[r]);
            }
        }
    }
    for (int r = 0; r < NR; r++) out[r] = acc[r];
}

// Q4_K, whose weights llama.cpp repacks (ggml_gemm_q4_K_8x8_q8_K, groups of 4 activation rows), in its
// arithmetic: S and M as in mk_kquant, per 64 elements acc += S * (d_w d_x) and accm += M * (dmin_w d_x),
// result acc - accm. The integer scaling is done in float: every value on the way to S and M
// is an integer below 2^24 in magnitude (a sub-block's dot of codes 0..15 with y + 128 <= 255 is at most
// 122,400, times a scale <= 63, two sub-blocks per step: 15.4M; M <= 2 * 63 * 32 * 128), so each float
// step is exact and S and M come out as the integers ggml converts. vcvtdq2ps and one fma per sub-block
// cost less than vpmulld, which runs at under half of vpdpbusd's rate on this Xeon. Unpacked scales, mins and
// corrections are floats for Q4_K (unpack_row).
ISA_INL void NAME(mk_q4_K)(const uint8_t *wt, size_t ws, const int NR, const uint8_t *pn, int64_t nb, VF *out) {
    VF acc[KQ_ROWS], accm[KQ_ROWS];
    for (int r = 0; r < NR; r++) { acc[r] = ZEROF(); accm[r] = ZEROF(); }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pb = pn + (size_t)b * KP_BYTES;
        const uint8_t *u = wt + (size_t)b * KU_BYTES;
        const VF dy = LOADF((pb + KP_D));
        for (int part = 0; part < 4; part++) {
            VF sum[KQ_ROWS];
            for (int r = 0; r < NR; r++) sum[r] = SETF(-ldf(u + r * ws + KU_CORR + 4 * part));
            for (int j = 2 * part; j < 2 * part + 2; j++) {
                VI dot[KQ_ROWS];
                for (int r = 0; r < NR; r++) dot[r] = ZEROI();
                for (int g = 8 * j; g < 8 * j + 8; g++) {
                    const VI a = LOADI((pb + 64 * g));
                    for (int r = 0; r < NR; r++) dot[r] = DOT(dot[r], a, BCAST(u + r * ws + 4 * g));
                }
                for (int r = 0; r < NR; r++) sum[r] = FMA(CVT(dot[r]), SETF(ldf(u + r * ws + KU_SC + 4 * j)), sum[r]);
            }
            const VF b0 = CVT(LOADI((pb + KP_BSUM32 + 64 * 2 * part))), b1 = CVT(LOADI((pb + KP_BSUM32 + 64 * (2 * part + 1))));
            for (int r = 0; r < NR; r++) {
                const uint8_t *ur = u + r * ws;
                const VF side = FMA(b1, SETF(ldf(ur + KU_M + 4 * (2 * part + 1))), MULF(b0, SETF(ldf(ur + KU_M + 4 * 2 * part))));
                acc[r] = FMA(sum[r], MULF(SETF(ldf(ur + KU_D)), dy), acc[r]);
                accm[r] = FMA(side, MULF(SETF(ldf(ur + KU_DMIN)), dy), accm[r]);
            }
        }
    }
    for (int r = 0; r < NR; r++) out[r] = SUBF(acc[r], accm[r]);
}

// mk_kquant specialized for each type and for full groups of rows (constant bounds keep the accumulators in
// registers); a partial group runs row by row.
#define KQ_CALL(T) do {                                                                                   \
        if (rows == KQ_ROWS) NAME(mk_kquant)(T, wt, ws, KQ_ROWS, pn, nb, acc);                              \
        else for (int r = 0; r < rows; r++) NAME(mk_kquant)(T, wt + (size_t)r * ws, ws, 1, pn, nb, acc + r); \
    } while (0)
ISA_ATTR static void NAME(kquant_rows)(int t, const uint8_t *wt, size_t ws, int rows, const uint8_t *pn, int64_t nb, VF *acc) {
    switch (t) {
    case LLK_Q3_K: KQ_CALL(LLK_Q3_K); break;
    case LLK_Q4_K:
        if (rows == KQ_ROWS) NAME(mk_q4_K)(wt, ws, KQ_ROWS, pn, nb, acc);
        else for (int r = 0; r < rows; r++) NAME(mk_q4_K)(wt + (size_t)r * ws, ws, 1, pn, nb, acc + r);
        break;
    case LLK_Q5_K: KQ_CALL(LLK_Q5_K); break;
    case LLK_IQ4_XS: KQ_CALL(LLK_IQ4_XS); break;
    default: KQ_CALL(LLK_Q6_K); break;
    }
}
#undef KQ_CALL

ISA_ATTR static void NAME(panel)(int t, const uint8_t *tile, size_t ws, int64_t nr, const uint8_t *pn, int64_t nb,
                                 int lanes, float *y, int64_t ldy) {
    float out[KQ_ROWS][LANES] __attribute__((aligned(64)));
    const int kquant = t == LLK_Q3_K || t == LLK_Q4_K || t == LLK_Q5_K || t == LLK_Q6_K || t == LLK_IQ4_XS;
    const int group = kquant ? KQ_ROWS : 2;   // rows per call (the byte kernels hold 8 float lanes per row in registers)
    const int mins = t == LLK_Q4_1 || t == LLK_Q5_1;
    for (int64_t r0 = 0; r0 < nr; r0 += group) {
        const int rows = nr - r0 < group ? (int)(nr - r0) : group;
        const uint8_t *wt = tile + (size_t)r0 * ws;
        VF acc[KQ_ROWS];
        if (kquant) NAME(kquant_rows)(t, wt, ws, rows, pn, nb, acc);
        else if (t == LLK_IQ4_NL && rows == group) NAME(mk_iq4_nl)(wt, ws, 2, pn, nb, acc);
        else if (t == LLK_IQ4_NL) for (int r = 0; r < rows; r++) NAME(mk_iq4_nl)(wt + (size_t)r * ws, ws, 1, pn, nb, acc + r);
        else if (rows == group) NAME(mk_q8_0)(wt, ws, 2, pn, nb, mins, acc);
        else for (int r = 0; r < rows; r++) NAME(mk_q8_0)(wt + (size_t)r * ws, ws, 1, pn, nb, mins, acc + r);
        for (int r = 0; r < rows; r++) STOREF(out[r], acc[r]);
        for (int lane = 0; lane < lanes; lane++)
            for (int r = 0; r < rows; r++) y[(int64_t)lane * ldy + r0 + r] = out[r][lane];
    }
}

#undef CAT2
#undef CAT
#undef NAME
#undef ISA_INL
#undef ISA
#undef ISA_ATTR
#undef LANES
#undef VI
#undef VF
#undef ZEROI
#undef ZEROF
#undef BCAST
#undef LOADI
#undef LOADF
#undef SETF
#undef DOT
#undef DOTW
#undef HSUM8
#undef FNMA
#undef ADDI
#undef SUBI
#undef SLLI
#undef MULLO
#undef CVT
#undef MULF
#undef FMA
#undef SUBF
#undef ADDF
#undef STOREF
