// AVX2/FMA products for CPUs without the AVX-512 subsets (one row with up to four tokens at
// a time; the per-token arithmetic is that of llama.cpp's AVX2 vec_dot code): vpmaddubsw multiplies unsigned by signed bytes, the
// sign of signed weights moves onto the activations with vpsignb, vpmaddwd widens (and
// applies K-quant sub-block scales) to 32 bits.
#include <immintrin.h>
#include <string.h>
#include "CTandemKernels.h"

#define TANDEM_AVX2 __attribute__((target("avx2,fma,f16c")))
#define TANDEM_INLINE2 static inline __attribute__((always_inline))

TANDEM_INLINE2 float tandem2_h2f(uint16_t h) { return tandem_fp16_table[h]; }

TANDEM_INLINE2 TANDEM_AVX2 float tandem2_hsum(__m256 v) {
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

/// 32 4-bit values of a block in element order: low nibbles then high nibbles.
TANDEM_INLINE2 TANDEM_AVX2 __m256i tandem2_nibbles(const uint8_t *qs) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_insertf128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/// 0x10 in each byte whose bit is set in the 32-bit little-endian word at `qh`.
TANDEM_INLINE2 TANDEM_AVX2 __m256i tandem2_fifth_bits(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

/// Σ w·a over 32 signed weights and activations, as 8 int32 lanes.
TANDEM_INLINE2 TANDEM_AVX2 __m256i tandem2_dot_signed(__m256i w, __m256i a) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/// Up to four tokens' products with one row of a 32-element-block type: each block's
/// weights are unpacked once for all of them. Every token's sum runs the same operations in
/// the same order whatever `n` is (integer block sums, then one fused multiply-add per block
/// into its own accumulator), so a token's result never depends on the tokens beside it.
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q32(const uint8_t *row, const tandem_activations *acts, int64_t t0, int n, int type,
                                                 float *result) {
    const int64_t nb = acts->blocksPerRow;
    __m256 acc[4];
    float minSum[4];
    for (int j = 0; j < n; j++) { acc[j] = _mm256_setzero_ps(); minSum[j] = 0.0f; }
    for (int64_t b = 0; b < nb; b++) {
        // Signed types: |w| and the sign to move onto the activations; unsigned: q as is.
        __m256i w, magnitude;
        float dw, mw = 0.0f;
        const int isSigned = type == 8 || type == 2 || type == 6;
        switch (type) {
        case 8: {  // Q8_0
            const tandem_block_q8_0 *x = (const tandem_block_q8_0 *)row + b;
            w = _mm256_loadu_si256((const __m256i *)x->qs);
            dw = tandem2_h2f(x->d);
            break;
        }
        case 2: {  // Q4_0
            const tandem_block_q4_0 *x = (const tandem_block_q4_0 *)row + b;
            w = _mm256_sub_epi8(tandem2_nibbles(x->qs), _mm256_set1_epi8(8));
            dw = tandem2_h2f(x->d);
            break;
        }
        case 6: {  // Q5_0
            const tandem_block_q5_0 *x = (const tandem_block_q5_0 *)row + b;
            w = _mm256_sub_epi8(_mm256_or_si256(tandem2_nibbles(x->qs), tandem2_fifth_bits(x->qh)), _mm256_set1_epi8(16));
            dw = tandem2_h2f(x->d);
            break;
        }
        case 3: {  // Q4_1
            const tandem_block_q4_1 *x = (const tandem_block_q4_1 *)row + b;
            w = tandem2_nibbles(x->qs);
            dw = tandem2_h2f(x->d);
            mw = tandem2_h2f(x->m);
            break;
        }
        default: {  // Q5_1
            const tandem_block_q5_1 *x = (const tandem_block_q5_1 *)row + b;
            w = _mm256_or_si256(tandem2_nibbles(x->qs), tandem2_fifth_bits(x->qh));
            dw = tandem2_h2f(x->d);
            mw = tandem2_h2f(x->m);
            break;
        }
        }
        magnitude = isSigned ? _mm256_sign_epi8(w, w) : w;
        for (int j = 0; j < n; j++) {
            const int64_t t = t0 + j;
            const __m256i av = _mm256_loadu_si256((const __m256i *)(acts->values + t * acts->valueStride + 32 * b));
            const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, isSigned ? _mm256_sign_epi8(av, w) : av),
                                                _mm256_set1_epi16(1));
            acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * acts->scales[t * nb + b]), acc[j]);
            if (!isSigned) minSum[j] += mw * acts->scaledSums[t * nb + b];
        }
    }
    for (int j = 0; j < n; j++) result[j] = tandem2_hsum(acc[j]) + minSum[j];
}

/// The eight 6-bit scales and minimums of a Q4_K/Q5_K block.
TANDEM_INLINE2 void tandem2_kquant_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
        mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
    }
}

/// Up to four tokens' products with one Q4_K/Q5_K row, each block unpacked once (see
/// `tandem2_dots_q32` for why a token's result does not depend on `n`).
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q45_K(const uint8_t *row, const tandem_activations *acts, int64_t t0, int n,
                                                   int fifthBit, float *result) {
    const int64_t nb = acts->blocksPerRow;
    const int64_t blockBytes = fifthBit ? sizeof(tandem_block_q5_K) : sizeof(tandem_block_q4_K);
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    __m256 acc[4];
    for (int j = 0; j < n; j++) acc[j] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *block = row + b * blockBytes;
        const tandem_block_q4_K *x4 = (const tandem_block_q4_K *)block;
        const tandem_block_q5_K *x5 = (const tandem_block_q5_K *)block;
        const uint8_t *qs = fifthBit ? x5->qs : x4->qs;
        uint8_t sc[8], mn[8];
        tandem2_kquant_scales(x4->scales, sc, mn);
        const __m256i qh = fifthBit ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        __m256i sum[4];
        for (int j = 0; j < n; j++) sum[j] = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i lo = _mm256_and_si256(q, lowMask);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), lowMask);
            if (fifthBit) {
                const __m256i b0 = _mm256_set1_epi8((char)(1 << (2 * c))), b1 = _mm256_set1_epi8((char)(2 << (2 * c)));
                lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), _mm256_set1_epi8(16)));
                hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), _mm256_set1_epi8(16)));
            }
            const __m256i s0 = _mm256_set1_epi16(sc[2 * c]), s1 = _mm256_set1_epi16(sc[2 * c + 1]);
            for (int j = 0; j < n; j++) {
                const int8_t *a = acts->values + (t0 + j) * acts->valueStride + 256 * b;
                const __m256i p0 = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a + 64 * c)));
                const __m256i p1 = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a + 64 * c + 32)));
                sum[j] = _mm256_add_epi32(sum[j], _mm256_madd_epi16(p0, s0));
                sum[j] = _mm256_add_epi32(sum[j], _mm256_madd_epi16(p1, s1));
            }
        }
        const __m256i mins16 = _mm256_setr_epi16(mn[0], mn[0], mn[1], mn[1], mn[2], mn[2], mn[3], mn[3],
                                                 mn[4], mn[4], mn[5], mn[5], mn[6], mn[6], mn[7], mn[7]);
        const float d = tandem2_h2f(x4->d), dmin = tandem2_h2f(x4->dmin);
        for (int j = 0; j < n; j++) {
            const int64_t t = t0 + j;
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)(acts->groupSums + t * (acts->columns / 16) + 16 * b));
            const __m256i mins = _mm256_madd_epi16(bsums, mins16);
            const float daValue = acts->scales[t * nb + b];
            acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[j]), _mm256_set1_ps(d * daValue), acc[j]);
            acc[j] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(dmin * daValue), acc[j]);
        }
    }
    for (int j = 0; j < n; j++) result[j] = tandem2_hsum(acc[j]);
}

/// Up to four tokens' products with one Q6_K row, each block unpacked once (see
/// `tandem2_dots_q32` for why a token's result does not depend on `n`).
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q6_K(const uint8_t *row, const tandem_activations *acts, int64_t t0, int n, float *result) {
    const int64_t nb = acts->blocksPerRow;
    const tandem_block_q6_K *x = (const tandem_block_q6_K *)row;
    const __m256i lowMask = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
    __m256 acc[4];
    for (int j = 0; j < n; j++) acc[j] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const tandem_block_q6_K *blk = x + b;
        __m256i sum[4];
        for (int j = 0; j < n; j++) sum[j] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(blk->ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(blk->ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(blk->qh + 32 * h));
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(ql0, lowMask), _mm256_slli_epi16(_mm256_and_si256(qh, three), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(ql1, lowMask), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), three), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), lowMask), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), three), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), lowMask), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), three), 4));
            for (int k = 0; k < 4; k++) {
                const int8_t *s = blk->scales + 8 * h + 2 * k;
                const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(s[1]), _mm_set1_epi16(s[0]));
                for (int j = 0; j < n; j++) {
                    const int8_t *a = acts->values + (t0 + j) * acts->valueStride + 256 * b;
                    const __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)(a + 128 * h + 32 * k)));
                    sum[j] = _mm256_add_epi32(sum[j], _mm256_madd_epi16(p, scales));
                }
            }
        }
        const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)blk->scales));
        const float d = tandem2_h2f(blk->d);
        for (int j = 0; j < n; j++) {
            const int64_t t = t0 + j;
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)(acts->groupSums + t * (acts->columns / 16) + 16 * b));
            const __m256i s = _mm256_sub_epi32(sum[j], _mm256_slli_epi32(_mm256_madd_epi16(bsums, scales16), 5));
            acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * acts->scales[t * nb + b]), acc[j]);
        }
    }
    for (int j = 0; j < n; j++) result[j] = tandem2_hsum(acc[j]);
}

// Rows outer, tokens in fours inner: a row's blocks are unpacked once per four tokens and
// stay in L1 while they are. Each `n` is its own inlined copy, so the accumulators stay
// in registers.
#define TANDEM_AVX2_ENTRY(name, DOTS) \
TANDEM_AVX2 void tandem_avx2_matmul_##name(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                           const tandem_activations *acts, int64_t tokens, \
                                           float *out, int64_t outStride) { \
    float result[4]; \
    for (int64_t r = 0; r < rowCount; r++) { \
        const uint8_t *row = (const uint8_t *)weights + r * rowBytes; \
        int64_t t = 0; \
        for (; t + 4 <= tokens; t += 4) { \
            DOTS(row, acts, t, 4, result); \
            for (int j = 0; j < 4; j++) out[(t + j) * outStride + r] = result[j]; \
        } \
        const int rest = (int)(tokens - t); \
        switch (rest) { \
        case 3: DOTS(row, acts, t, 3, result); break; \
        case 2: DOTS(row, acts, t, 2, result); break; \
        case 1: DOTS(row, acts, t, 1, result); break; \
        default: break; \
        } \
        for (int j = 0; j < rest; j++) out[(t + j) * outStride + r] = result[j]; \
    } \
}

TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q4_0(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q32(w, a, t, n, 2, r); }
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q4_1(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q32(w, a, t, n, 3, r); }
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q5_0(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q32(w, a, t, n, 6, r); }
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q5_1(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q32(w, a, t, n, 7, r); }
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q8_0(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q32(w, a, t, n, 8, r); }
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q4_K(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q45_K(w, a, t, n, 0, r); }
TANDEM_INLINE2 TANDEM_AVX2 void tandem2_dots_q5_K(const uint8_t *w, const tandem_activations *a, int64_t t, int n, float *r) { tandem2_dots_q45_K(w, a, t, n, 1, r); }

TANDEM_AVX2_ENTRY(q4_0, tandem2_dots_q4_0)
TANDEM_AVX2_ENTRY(q4_1, tandem2_dots_q4_1)
TANDEM_AVX2_ENTRY(q5_0, tandem2_dots_q5_0)
TANDEM_AVX2_ENTRY(q5_1, tandem2_dots_q5_1)
TANDEM_AVX2_ENTRY(q8_0, tandem2_dots_q8_0)
TANDEM_AVX2_ENTRY(q4_K, tandem2_dots_q4_K)
TANDEM_AVX2_ENTRY(q5_K, tandem2_dots_q5_K)
TANDEM_AVX2_ENTRY(q6_K, tandem2_dots_q6_K)
