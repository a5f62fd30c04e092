// AVX-512 VNNI products for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0)
// with 32-element activation blocks. Two weight blocks fill one 512-bit register in
// natural element order; each is unpacked once and reused for a tile of tokens.
//
// Signed weights (Q4_0, Q5_0, Q8_0) use |w| as the unsigned operand of vpdpbusd and move
// the sign onto the activation; unsigned ones (Q4_1, Q5_1) go in directly and add m * s.
#include "avx512_common.h"

/// Activation values of token t, blocks b and b + 1 (or only b when `single`).
TANDEM_INLINE TANDEM_AVX512 __m512i tandem_act_pair(const tandem_activations *acts, int64_t t, int64_t b, int single) {
    const int8_t *p = acts->values + t * acts->valueStride + 32 * b;
    return single ? _mm512_maskz_loadu_epi8(0xFFFFFFFFull, p) : _mm512_loadu_si512(p);
}

TANDEM_INLINE TANDEM_AVX512 __m512 tandem_act_scales(const tandem_activations *acts, int64_t t, int64_t b, int single) {
    const float *s = acts->scales + t * acts->blocksPerRow + b;
    return tandem_halves(s[0], single ? 0.0f : s[1]);
}

// One row against tokens t0 ..< t0 + nt. `WEIGHTS(b, single)` sets `w` (unsigned or signed
// bytes), `dw` and, for the min types, `mw0`/`mw1`. SIGNED selects the sign trick.
#define TANDEM_Q32_ROW(name, BlockType, SIGNED, HAS_MIN, UNPACK) \
TANDEM_INLINE TANDEM_AVX512 void name(const uint8_t *rowBytes, const tandem_activations *acts, \
                                      int64_t t0, const int nt, float *out, int64_t outStride) { \
    const BlockType *x = (const BlockType *)rowBytes; \
    const int64_t nb = acts->blocksPerRow; \
    __m512 acc[TANDEM_TOKEN_TILE]; \
    float minAcc[TANDEM_TOKEN_TILE]; \
    for (int k = 0; k < nt; k++) { acc[k] = _mm512_setzero_ps(); minAcc[k] = 0.0f; } \
    for (int64_t b = 0; b < nb; b += 2) { \
        const int single = (b + 1 == nb); \
        TANDEM_PREFETCH_AHEAD((const char *)(x + b), 2 * sizeof(BlockType)); \
        __m512i w; \
        UNPACK \
        const __m512 dw = tandem_halves(tandem_h2f(x[b].d), single ? 0.0f : tandem_h2f(x[b + 1].d)); \
        __m512i uw = w; \
        __mmask64 negative = 0; \
        if (SIGNED) { uw = _mm512_abs_epi8(w); negative = _mm512_movepi8_mask(w); } \
        for (int k = 0; k < nt; k++) { \
            __m512i a = tandem_act_pair(acts, t0 + k, b, single); \
            if (SIGNED) a = _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a); \
            __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), uw, a); \
            __m512 scale = _mm512_mul_ps(dw, tandem_act_scales(acts, t0 + k, b, single)); \
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), scale, acc[k]); \
            if (HAS_MIN) { \
                const float *s = acts->scaledSums + (t0 + k) * nb + b; \
                minAcc[k] += MIN_TERM; \
            } \
        } \
    } \
    for (int k = 0; k < nt; k++) out[k * outStride] = tandem_hsum(acc[k]) + minAcc[k]; \
}

#define MIN_TERM 0.0f

TANDEM_Q32_ROW(tandem_row_q8_0, tandem_block_q8_0, 1, 0, {
    __m256i w0 = _mm256_loadu_si256((const __m256i *)x[b].qs);
    __m256i w1 = single ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)x[b + 1].qs);
    w = _mm512_inserti64x4(_mm512_castsi256_si512(w0), w1, 1);
})

TANDEM_Q32_ROW(tandem_row_q4_0, tandem_block_q4_0, 1, 0, {
    w = single ? tandem_nibbles_single(x[b].qs) : tandem_nibbles_pair(x[b].qs, x[b + 1].qs);
    w = _mm512_sub_epi8(w, _mm512_set1_epi8(8));
    if (single) w = _mm512_maskz_mov_epi8(0xFFFFFFFFull, w);
})

TANDEM_Q32_ROW(tandem_row_q5_0, tandem_block_q5_0, 1, 0, {
    w = single ? tandem_nibbles_single(x[b].qs) : tandem_nibbles_pair(x[b].qs, x[b + 1].qs);
    const uint64_t high = tandem_load_u32(x[b].qh) | (single ? 0 : tandem_load_u32(x[b + 1].qh) << 32);
    w = _mm512_mask_blend_epi8((__mmask64)high, w, _mm512_or_si512(w, _mm512_set1_epi8(0x10)));
    w = _mm512_sub_epi8(w, _mm512_set1_epi8(16));
    if (single) w = _mm512_maskz_mov_epi8(0xFFFFFFFFull, w);
})

#undef MIN_TERM
#define MIN_TERM (tandem_h2f(x[b].m) * s[0] + (single ? 0.0f : tandem_h2f(x[b + 1].m) * s[1]))

TANDEM_Q32_ROW(tandem_row_q4_1, tandem_block_q4_1, 0, 1, {
    w = single ? tandem_nibbles_single(x[b].qs) : tandem_nibbles_pair(x[b].qs, x[b + 1].qs);
})

TANDEM_Q32_ROW(tandem_row_q5_1, tandem_block_q5_1, 0, 1, {
    w = single ? tandem_nibbles_single(x[b].qs) : tandem_nibbles_pair(x[b].qs, x[b + 1].qs);
    const uint64_t high = tandem_load_u32(x[b].qh) | (single ? 0 : tandem_load_u32(x[b + 1].qh) << 32);
    w = _mm512_mask_blend_epi8((__mmask64)high, w, _mm512_or_si512(w, _mm512_set1_epi8(0x10)));
})

#undef MIN_TERM

#define TANDEM_Q32_ENTRY(type) \
TANDEM_AVX512 void tandem_avx512_matmul_##type(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                               const tandem_activations *acts, int64_t tokens, \
                                               float *out, int64_t outStride) { \
    TANDEM_ROW_LOOP(tandem_row_##type); \
}

TANDEM_Q32_ENTRY(q4_0)
TANDEM_Q32_ENTRY(q4_1)
TANDEM_Q32_ENTRY(q5_0)
TANDEM_Q32_ENTRY(q5_1)
TANDEM_Q32_ENTRY(q8_0)
