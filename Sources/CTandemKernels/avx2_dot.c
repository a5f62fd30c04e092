// AVX2/FMA products for CPUs without the AVX-512 subsets (one row · one token at a time,
// as llama.cpp's AVX2 vec_dot code): vpmaddubsw multiplies unsigned by signed bytes, the
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

static TANDEM_AVX2 float tandem2_dot_q32(const uint8_t *row, const tandem_activations *acts, int64_t t, int type) {
    const int64_t nb = acts->blocksPerRow;
    const int8_t *a = acts->values + t * acts->valueStride;
    const float *da = acts->scales + t * nb;
    __m256 acc = _mm256_setzero_ps();
    float minSum = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const __m256i av = _mm256_loadu_si256((const __m256i *)(a + 32 * b));
        __m256i p;
        float dw;
        switch (type) {
        case 8: {  // Q8_0
            const tandem_block_q8_0 *x = (const tandem_block_q8_0 *)row + b;
            p = tandem2_dot_signed(_mm256_loadu_si256((const __m256i *)x->qs), av);
            dw = tandem2_h2f(x->d);
            break;
        }
        case 2: {  // Q4_0
            const tandem_block_q4_0 *x = (const tandem_block_q4_0 *)row + b;
            p = tandem2_dot_signed(_mm256_sub_epi8(tandem2_nibbles(x->qs), _mm256_set1_epi8(8)), av);
            dw = tandem2_h2f(x->d);
            break;
        }
        case 6: {  // Q5_0
            const tandem_block_q5_0 *x = (const tandem_block_q5_0 *)row + b;
            const __m256i q = _mm256_or_si256(tandem2_nibbles(x->qs), tandem2_fifth_bits(x->qh));
            p = tandem2_dot_signed(_mm256_sub_epi8(q, _mm256_set1_epi8(16)), av);
            dw = tandem2_h2f(x->d);
            break;
        }
        case 3: {  // Q4_1
            const tandem_block_q4_1 *x = (const tandem_block_q4_1 *)row + b;
            p = _mm256_madd_epi16(_mm256_maddubs_epi16(tandem2_nibbles(x->qs), av), _mm256_set1_epi16(1));
            dw = tandem2_h2f(x->d);
            minSum += tandem2_h2f(x->m) * acts->scaledSums[t * nb + b];
            break;
        }
        default: {  // Q5_1
            const tandem_block_q5_1 *x = (const tandem_block_q5_1 *)row + b;
            const __m256i q = _mm256_or_si256(tandem2_nibbles(x->qs), tandem2_fifth_bits(x->qh));
            p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, av), _mm256_set1_epi16(1));
            dw = tandem2_h2f(x->d);
            minSum += tandem2_h2f(x->m) * acts->scaledSums[t * nb + b];
            break;
        }
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * da[b]), acc);
    }
    return tandem2_hsum(acc) + minSum;
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

static TANDEM_AVX2 float tandem2_dot_q45_K(const uint8_t *row, const tandem_activations *acts, int64_t t, int fifthBit) {
    const int64_t nb = acts->blocksPerRow;
    const int64_t blockBytes = fifthBit ? sizeof(tandem_block_q5_K) : sizeof(tandem_block_q4_K);
    const __m256i lowMask = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *block = row + b * blockBytes;
        const tandem_block_q4_K *x4 = (const tandem_block_q4_K *)block;
        const tandem_block_q5_K *x5 = (const tandem_block_q5_K *)block;
        const uint8_t *qs = fifthBit ? x5->qs : x4->qs;
        const int8_t *a = acts->values + t * acts->valueStride + 256 * b;
        uint8_t sc[8], mn[8];
        tandem2_kquant_scales(x4->scales, sc, mn);
        const __m256i qh = fifthBit ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i lo = _mm256_and_si256(q, lowMask);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), lowMask);
            if (fifthBit) {
                const __m256i b0 = _mm256_set1_epi8((char)(1 << (2 * c))), b1 = _mm256_set1_epi8((char)(2 << (2 * c)));
                lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), _mm256_set1_epi8(16)));
                hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), _mm256_set1_epi8(16)));
            }
            const __m256i p0 = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a + 64 * c)));
            const __m256i p1 = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a + 64 * c + 32)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc[2 * c])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc[2 * c + 1])));
        }
        const __m256i bsums = _mm256_loadu_si256((const __m256i *)(acts->groupSums + t * (acts->columns / 16) + 16 * b));
        const __m256i mins16 = _mm256_setr_epi16(mn[0], mn[0], mn[1], mn[1], mn[2], mn[2], mn[3], mn[3],
                                                 mn[4], mn[4], mn[5], mn[5], mn[6], mn[6], mn[7], mn[7]);
        const __m256i mins = _mm256_madd_epi16(bsums, mins16);
        const float daValue = acts->scales[t * nb + b];
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(tandem2_h2f(x4->d) * daValue), acc);
        acc = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(tandem2_h2f(x4->dmin) * daValue), acc);
    }
    return tandem2_hsum(acc);
}

static TANDEM_AVX2 float tandem2_dot_q6_K(const uint8_t *row, const tandem_activations *acts, int64_t t) {
    const int64_t nb = acts->blocksPerRow;
    const tandem_block_q6_K *x = (const tandem_block_q6_K *)row;
    const __m256i lowMask = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const tandem_block_q6_K *blk = x + b;
        const int8_t *a = acts->values + t * acts->valueStride + 256 * b;
        __m256i sum = _mm256_setzero_si256();
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
                const __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)(a + 128 * h + 32 * k)));
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, scales));
            }
        }
        const __m256i bsums = _mm256_loadu_si256((const __m256i *)(acts->groupSums + t * (acts->columns / 16) + 16 * b));
        const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)blk->scales));
        sum = _mm256_sub_epi32(sum, _mm256_slli_epi32(_mm256_madd_epi16(bsums, scales16), 5));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(tandem2_h2f(blk->d) * acts->scales[t * nb + b]), acc);
    }
    return tandem2_hsum(acc);
}

#define TANDEM_AVX2_ENTRY(name, DOT) \
TANDEM_AVX2 void tandem_avx2_matmul_##name(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                           const tandem_activations *acts, int64_t tokens, \
                                           float *out, int64_t outStride) { \
    for (int64_t r = 0; r < rowCount; r++) { \
        const uint8_t *row = (const uint8_t *)weights + r * rowBytes; \
        for (int64_t t = 0; t < tokens; t++) out[t * outStride + r] = DOT; \
    } \
}

TANDEM_AVX2_ENTRY(q4_0, tandem2_dot_q32(row, acts, t, 2))
TANDEM_AVX2_ENTRY(q4_1, tandem2_dot_q32(row, acts, t, 3))
TANDEM_AVX2_ENTRY(q5_0, tandem2_dot_q32(row, acts, t, 6))
TANDEM_AVX2_ENTRY(q5_1, tandem2_dot_q32(row, acts, t, 7))
TANDEM_AVX2_ENTRY(q8_0, tandem2_dot_q32(row, acts, t, 8))
TANDEM_AVX2_ENTRY(q4_K, tandem2_dot_q45_K(row, acts, t, 0))
TANDEM_AVX2_ENTRY(q5_K, tandem2_dot_q45_K(row, acts, t, 1))
TANDEM_AVX2_ENTRY(q6_K, tandem2_dot_q6_K(row, acts, t))
