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
    for (int r = 0; r < NR; r++) {
        summ[r] = ZEROF();
        for (int g = 0; g < 8; g++) acc[r][g] = ZEROF();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pb = pn + (size_t)b * pbb;
        const uint8_t *u = wt + (size_t)b * 80;
        const VF dy = LOADF((pb + 512));
        VF scale[2];
        for (int r = 0; r < NR; r++) scale[r] = MULF(SETF(ldf(u + r * ws + 64)), dy);
        for (int g = 0; g < 8; g++) {
            const VI a = LOADI((pb + 64 * g));
            for (int r = 0; r < NR; r++) {
                const VI dot = DOT(BCAST(u + r * ws + 32 + 4 * g), a, BCAST(u + r * ws + 4 * g));
                acc[r][g] = FMA(scale[r], CVT(dot), acc[r][g]);
            }
        }
        if (with_min) {
            const VF sy = LOADF((pb + 576));
            for (int r = 0; r < NR; r++) summ[r] = FMA(SETF(ldf(u + r * ws + 68)), sy, summ[r]);
        }
    }
    for (int r = 0; r < NR; r++) {
        out[r] = ADDF(HSUM8(acc[r]), summ[r]);
    }
}

// Q4_K Q5_K Q6_K: per super-block, lane g's integer sum of sc * q * y over elements 4g..4g+3 of each
// 32 (two int16 pairs per vpdpwssd), then acc_g += (d_w * d_x) * lane. Q4_K/Q5_K subtract the mins
// term in ggml's four lanes (sub-blocks 2k and 2k+1), summed apart: hsum8(acc) - hsum4(mins). Q6_K
// takes its -32 offset off lane g as ggml does: 32 * (sc[2g] * bsum16[2g] + sc[2g+1] * bsum16[2g+1]).
// Groups outside, chunks inside: only one integer lane vector per row is live, so four rows share each
// activation load (the panel streams from L2), and the float lanes wait in L1 between super-blocks.
ISA_INL void NAME(mk_kquant)(const uint8_t *wt, size_t ws, const int NR, const uint8_t *pn, int64_t nb, const int with_mins, VF *out) {
    const size_t ub = with_mins ? 576 : 640;
    float accf[4][8][LANES] __attribute__((aligned(64)));
    VF accm[4][4];
    for (int r = 0; r < NR; r++) {
        for (int g = 0; g < 8; g++) STOREF(accf[r][g], ZEROF());
        for (int k = 0; k < 4; k++) accm[r][k] = ZEROF();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pb = pn + (size_t)b * 9792;
        const uint8_t *u = wt + (size_t)b * ub;
        const VF dy = LOADF((pb + 8192));
        VF scale[4];
        for (int r = 0; r < NR; r++) scale[r] = MULF(SETF(ldf(u + r * ws + (with_mins ? 544 : 576))), dy);
        for (int g = 0; g < 8; g++) {
            VI lane[4];
            for (int r = 0; r < NR; r++) lane[r] = ZEROI();
            for (int c = 0; c < 8; c++) {             // 32-element chunks
                for (int half = 0; half < 2; half++) {
                    const int pair = 16 * c + 2 * g + half;
                    const VI a = LOADI((pb + 64 * pair));
                    for (int r = 0; r < NR; r++) lane[r] = DOTW(lane[r], a, BCAST(u + r * ws + 4 * pair));
                }
            }
            if (!with_mins) {
                const VI b0 = LOADI((pb + 8768 + 128 * g)), b1 = LOADI((pb + 8768 + 128 * g + 64));
                for (int r = 0; r < NR; r++) {
                    const uint8_t *ur = u + r * ws;
                    const VI off = ADDI(MULLO(b0, BCAST(ur + 512 + 8 * g)), MULLO(b1, BCAST(ur + 516 + 8 * g)));
                    lane[r] = SUBI(lane[r], SLLI(off, 5));
                }
            }
            for (int r = 0; r < NR; r++) STOREF(accf[r][g], FMA(scale[r], CVT(lane[r]), LOADF(accf[r][g])));
        }
        if (with_mins) {
            for (int k = 0; k < 4; k++) {
                const VI b0 = LOADI((pb + 8256 + 128 * k)), b1 = LOADI((pb + 8256 + 128 * k + 64));
                for (int r = 0; r < NR; r++) {
                    const uint8_t *ur = u + r * ws;
                    const VF mscale = MULF(SETF(ldf(ur + 548)), dy);
                    const VI m = ADDI(MULLO(b0, BCAST(ur + 512 + 8 * k)), MULLO(b1, BCAST(ur + 516 + 8 * k)));
                    accm[r][k] = FMA(mscale, CVT(m), accm[r][k]);
                }
            }
        }
    }
    for (int r = 0; r < NR; r++) {
        VF a[8];
        for (int g = 0; g < 8; g++) a[g] = LOADF(accf[r][g]);
        out[r] = HSUM8(a);
        if (with_mins) out[r] = SUBF(out[r], ADDF(ADDF(accm[r][0], accm[r][2]), ADDF(accm[r][1], accm[r][3])));
    }
}

ISA_ATTR static void NAME(panel)(int t, const uint8_t *tile, size_t ws, int64_t nr, const uint8_t *pn, int64_t nb,
                                 int lanes, float *y, int64_t ldy) {
    float out[4][LANES] __attribute__((aligned(64)));
    const int kquant = t == LLK_Q4_K || t == LLK_Q5_K || t == LLK_Q6_K;
    const int group = kquant ? 4 : 2;   // rows per call (the byte kernels hold 8 float lanes per row in registers)
    const int mins = t == LLK_Q4_K || t == LLK_Q5_K || t == LLK_Q4_1 || t == LLK_Q5_1;
    for (int64_t r0 = 0; r0 < nr; r0 += group) {
        const int rows = nr - r0 < group ? (int)(nr - r0) : group;
        const uint8_t *wt = tile + (size_t)r0 * ws;
        VF acc[4];
        if (rows == group) {
            if (kquant) NAME(mk_kquant)(wt, ws, 4, pn, nb, mins, acc);
            else NAME(mk_q8_0)(wt, ws, 2, pn, nb, mins, acc);
        } else {
            for (int r = 0; r < rows; r++) {
                if (kquant) NAME(mk_kquant)(wt + (size_t)r * ws, ws, 1, pn, nb, mins, acc + r);
                else NAME(mk_q8_0)(wt + (size_t)r * ws, ws, 1, pn, nb, mins, acc + r);
            }
        }
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
