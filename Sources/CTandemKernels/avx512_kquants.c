// AVX-512 products for the K-quant types (Q4_K, Q5_K, Q6_K) with 256-element activation
// blocks (Q8_K). Sub-block scales are applied in 16-bit lanes: vpmaddubsw multiplies the
// unsigned weights by the signed activations into pair sums, vpdpwssd multiplies those by
// the sub-block scales and accumulates in 32 bits, so every block's integer sum is exact.
#include "avx512_common.h"

/// The 16 scale and minimum bytes of a Q4_K/Q5_K block decoded with 64-bit integer
/// operations (no vector shuffles), in the order sc0-3, mn0-3, sc4-7, mn4-7.
TANDEM_INLINE TANDEM_AVX512 __m128i tandem_kquant_scale_bytes(const uint8_t *packed) {
    uint64_t low8;
    uint32_t w2;
    memcpy(&low8, packed, 8);
    memcpy(&w2, packed + 8, 4);
    uint64_t parts[2];
    parts[0] = low8 & 0x3f3f3f3f3f3f3f3full;
    parts[1] = ((low8 >> 2) & 0x3030303030303030ull) | (uint64_t)(w2 & 0x0f0f0f0fu)
             | ((uint64_t)((w2 >> 4) & 0x0f0f0f0fu) << 32);
    return _mm_loadu_si128((const __m128i *)parts);
}

/// Byte index of sub-block j's scale (minimum) in tandem_kquant_scale_bytes' order.
#define TANDEM_K_SCALE_BYTE(j) ((j) < 4 ? (j) : (j) + 4)
#define TANDEM_K_MIN_BYTE(j) ((j) < 4 ? (j) + 4 : (j) + 8)

/// vpermb index placing, in each 16-bit lane of 32, the byte of sub-block `lo` (lanes
/// 0-15) or `hi` (lanes 16-31); odd bytes are zeroed by the caller's mask.
TANDEM_INLINE TANDEM_AVX512 __m512i tandem_spread_index(int lo, int hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8((char)lo)), _mm256_set1_epi8((char)hi), 1);
}

/// One Q4_K or Q5_K row against tokens t0 ..< t0 + nt. Sub-block scales are spread to
/// 16-bit lanes with one vpermb each; float scales come from the binary16 table so they
/// fold into broadcast memory operands.
TANDEM_INLINE TANDEM_AVX512 void tandem_row_q45_K(const uint8_t *rowBytes, const tandem_activations *acts,
                                                  int64_t t0, const int nt, float *out, int64_t outStride,
                                                  const int fifthBit) {
    const int64_t nb = acts->blocksPerRow;
    const int64_t blockBytes = fifthBit ? sizeof(tandem_block_q5_K) : sizeof(tandem_block_q4_K);
    __m512 acc[TANDEM_TOKEN_TILE];
    for (int k = 0; k < nt; k++) acc[k] = _mm512_setzero_ps();
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    const __m512i nibbleShift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    const __mmask64 evenBytes = 0x5555555555555555ull;
    __m512i spread[4];
    for (int c = 0; c < 4; c++) spread[c] = tandem_spread_index(TANDEM_K_SCALE_BYTE(2 * c), TANDEM_K_SCALE_BYTE(2 * c + 1));
    // Each minimum for the two 16-sums of its sub-block.
    const __m256i minSpread = _mm256_setr_epi8(
        TANDEM_K_MIN_BYTE(0), 0, TANDEM_K_MIN_BYTE(0), 0, TANDEM_K_MIN_BYTE(1), 0, TANDEM_K_MIN_BYTE(1), 0,
        TANDEM_K_MIN_BYTE(2), 0, TANDEM_K_MIN_BYTE(2), 0, TANDEM_K_MIN_BYTE(3), 0, TANDEM_K_MIN_BYTE(3), 0,
        TANDEM_K_MIN_BYTE(4), 0, TANDEM_K_MIN_BYTE(4), 0, TANDEM_K_MIN_BYTE(5), 0, TANDEM_K_MIN_BYTE(5), 0,
        TANDEM_K_MIN_BYTE(6), 0, TANDEM_K_MIN_BYTE(6), 0, TANDEM_K_MIN_BYTE(7), 0, TANDEM_K_MIN_BYTE(7), 0);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *block = rowBytes + b * blockBytes;
        TANDEM_PREFETCH_AHEAD((const char *)block, blockBytes);
        const tandem_block_q4_K *x4 = (const tandem_block_q4_K *)block;
        const tandem_block_q5_K *x5 = (const tandem_block_q5_K *)block;
        const uint8_t *qs = fifthBit ? x5->qs : x4->qs;
        const __m512i scaleBytes = _mm512_castsi128_si512(tandem_kquant_scale_bytes(x4->scales));
        const __m256i mins16 = _mm256_maskz_permutexvar_epi8(0x55555555u, minSpread, _mm512_castsi512_si256(scaleBytes));
        __m512i w[4], sc[4];
        const __m256i qh = fifthBit ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            // [q, q] by a broadcast load, the upper copy shifted right by 4: low nibbles
            // (sub-block 2c) then high nibbles (2c + 1), without a shuffle.
            const __m512i both = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * c)));
            w[c] = _mm512_and_si512(_mm512_srlv_epi16(both, nibbleShift), lowMask);
            if (fifthBit) {
                __mmask32 h0 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << (2 * c))));
                __mmask32 h1 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(2 << (2 * c))));
                __mmask64 h = _mm512_kunpackd((__mmask64)h1, (__mmask64)h0);
                w[c] = _mm512_mask_blend_epi8(h, w[c], _mm512_or_si512(w[c], _mm512_set1_epi8(0x10)));
            }
            sc[c] = _mm512_maskz_permutexvar_epi8(evenBytes, spread[c], scaleBytes);
        }
        const float d = tandem_h2f(x4->d), dmin = tandem_h2f(x4->dmin);
        for (int k = 0; k < nt; k++) {
            const int64_t t = t0 + k;
            const int8_t *a = acts->values + t * acts->valueStride + 256 * b;
            __m512i sum = _mm512_setzero_si512();
            for (int c = 0; c < 4; c++) {
                __m512i pairs = _mm512_maddubs_epi16(w[c], _mm512_loadu_si512(a + 64 * c));
                sum = _mm512_dpwssd_epi32(sum, pairs, sc[c]);
            }
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)(acts->groupSums + t * (acts->columns / 16) + 16 * b));
            const __m256i mins = _mm256_madd_epi16(bsums, mins16);
            __m512 blockValue = _mm512_mul_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(d));
            blockValue = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(_mm512_zextsi256_si512(mins)), _mm512_set1_ps(dmin), blockValue);
            acc[k] = _mm512_fmadd_ps(blockValue, _mm512_set1_ps(acts->scales[t * nb + b]), acc[k]);
        }
    }
    for (int k = 0; k < nt; k++) out[k * outStride] = tandem_hsum(acc[k]);
}

TANDEM_INLINE TANDEM_AVX512 void tandem_row_q4_K(const uint8_t *row, const tandem_activations *acts,
                                                 int64_t t0, const int nt, float *out, int64_t outStride) {
    tandem_row_q45_K(row, acts, t0, nt, out, outStride, 0);
}

TANDEM_INLINE TANDEM_AVX512 void tandem_row_q5_K(const uint8_t *row, const tandem_activations *acts,
                                                 int64_t t0, const int nt, float *out, int64_t outStride) {
    tandem_row_q45_K(row, acts, t0, nt, out, outStride, 1);
}

/// One Q6_K row against tokens t0 ..< t0 + nt. Weights are the unsigned 6-bit values; the
/// -32 offset is subtracted as 32 * Σ scale_g * bsum_g.
TANDEM_INLINE TANDEM_AVX512 void tandem_row_q6_K(const uint8_t *rowBytes, const tandem_activations *acts,
                                                 int64_t t0, const int nt, float *out, int64_t outStride) {
    const int64_t nb = acts->blocksPerRow;
    const tandem_block_q6_K *x = (const tandem_block_q6_K *)rowBytes;
    __m512 acc[TANDEM_TOKEN_TILE];
    for (int k = 0; k < nt; k++) acc[k] = _mm512_setzero_ps();
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    const __m512i highMask = _mm512_set1_epi8(0x30);
    // Per 16-bit lane shift counts: first 256 bits / second 256 bits.
    const __m512i shiftLeft = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shiftRight = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __mmask64 oddBytes = 0xAAAAAAAAAAAAAAAAull;
    // Scale index for each 16-bit lane (8 lanes per 16-element group), in the odd byte.
    __m512i spreadQ6[4];
    for (int q = 0; q < 4; q++) {
        spreadQ6[q] = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_set_m128i(_mm_set1_epi8((char)(4 * q + 1)), _mm_set1_epi8((char)(4 * q)))),
            _mm256_set_m128i(_mm_set1_epi8((char)(4 * q + 3)), _mm_set1_epi8((char)(4 * q + 2))), 1);
    }
    for (int64_t b = 0; b < nb; b++) {
        const tandem_block_q6_K *blk = x + b;
        TANDEM_PREFETCH_AHEAD((const char *)blk, sizeof(tandem_block_q6_K));
        const float d = tandem_h2f(blk->d);
        const __m128i scales8 = _mm_loadu_si128((const __m128i *)blk->scales);
        const __m256i scales16 = _mm256_cvtepi8_epi16(scales8);
        const __m512i scaleBytes = _mm512_castsi128_si512(scales8);
        __m512i w[4], sc[4];
        for (int h = 0; h < 2; h++) {
            const __m512i ql = _mm512_loadu_si512(blk->ql + 64 * h);
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(blk->qh + 32 * h));
            const __m512i qh2 = _mm512_broadcast_i64x4(qh);
            // Elements 0-63 of the half: low nibbles of ql[0..63], qh bits 0-1 / 2-3.
            w[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, lowMask),
                                       _mm512_and_si512(_mm512_sllv_epi16(qh2, shiftLeft), highMask));
            // Elements 64-127: high nibbles, qh bits 4-5 / 6-7.
            w[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), lowMask),
                                           _mm512_and_si512(_mm512_srlv_epi16(qh2, shiftRight), highMask));
            // 16-element groups of these 64: scales 8h + 0..3 and 8h + 4..7, 8 lanes each.
            // vpermb puts each signed scale in the high byte of its 16-bit lane; the
            // arithmetic shift sign-extends it.
            sc[2 * h] = _mm512_srai_epi16(_mm512_maskz_permutexvar_epi8(oddBytes, spreadQ6[2 * h], scaleBytes), 8);
            sc[2 * h + 1] = _mm512_srai_epi16(_mm512_maskz_permutexvar_epi8(oddBytes, spreadQ6[2 * h + 1], scaleBytes), 8);
        }
        for (int k = 0; k < nt; k++) {
            const int64_t t = t0 + k;
            const int8_t *a = acts->values + t * acts->valueStride + 256 * b;
            __m512i sum = _mm512_setzero_si512();
            for (int c = 0; c < 4; c++) {
                __m512i pairs = _mm512_maddubs_epi16(w[c], _mm512_loadu_si512(a + 64 * c));
                sum = _mm512_dpwssd_epi32(sum, pairs, sc[c]);
            }
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)(acts->groupSums + t * (acts->columns / 16) + 16 * b));
            const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(bsums, scales16), 5);
            sum = _mm512_sub_epi32(sum, _mm512_zextsi256_si512(offset));
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(d * acts->scales[t * nb + b]), acc[k]);
        }
    }
    for (int k = 0; k < nt; k++) out[k * outStride] = tandem_hsum(acc[k]);
}

#define TANDEM_K_ENTRY(type) \
TANDEM_AVX512 void tandem_avx512_matmul_##type(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                               const tandem_activations *acts, int64_t tokens, \
                                               float *out, int64_t outStride) { \
    TANDEM_ROW_LOOP(tandem_row_##type); \
}

TANDEM_K_ENTRY(q4_K)
TANDEM_K_ENTRY(q5_K)
TANDEM_K_ENTRY(q6_K)
