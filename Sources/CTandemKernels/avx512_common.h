// Shared helpers of the AVX-512 kernels (private to the C target).
#pragma once
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "CTandemKernels.h"

#define TANDEM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define TANDEM_INLINE static inline __attribute__((always_inline))

/// Tokens whose accumulators a row kernel keeps in registers at once.
#define TANDEM_TOKEN_TILE 4

TANDEM_INLINE TANDEM_AVX512 float tandem_h2f(uint16_t h) {
    return _cvtsh_ss(h);
}

/// Sum of the 16 lanes.
TANDEM_INLINE TANDEM_AVX512 float tandem_hsum(__m512 v) {
    __m256 s = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

/// A vector holding `low` in lanes 0-7 and `high` in lanes 8-15.
TANDEM_INLINE TANDEM_AVX512 __m512 tandem_halves(float low, float high) {
    return _mm512_insertf32x8(_mm512_set1_ps(low), _mm256_set1_ps(high), 1);
}

/// Bytes 0-15 of `a` and `b` as [low nibbles a, high nibbles a, low b, high b]: the 64
/// 4-bit values of two blocks in element order.
TANDEM_INLINE TANDEM_AVX512 __m512i tandem_nibbles_pair(const uint8_t *a, const uint8_t *b) {
    __m256i qa = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)a));
    __m256i qb = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)b));
    __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(qa), qb, 1);
    // Shift the second copy of each block right by 4 (16-bit lanes 8-15 and 24-31).
    q = _mm512_mask_srli_epi16(q, 0xFF00FF00u, q, 4);
    return _mm512_and_si512(q, _mm512_set1_epi8(0x0F));
}

/// The same for one block, the upper half zero.
TANDEM_INLINE TANDEM_AVX512 __m512i tandem_nibbles_single(const uint8_t *a) {
    __m128i q = _mm_loadu_si128((const __m128i *)a);
    __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm512_zextsi256_si512(_mm256_and_si256(both, _mm256_set1_epi8(0x0F)));
}

TANDEM_INLINE uint64_t tandem_load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// The eight 6-bit scales (bytes 0-7) and minimums (bytes 8-15) of a Q4_K/Q5_K block,
/// unpacked from its 12 packed bytes (see tandem_block_q4_K).
TANDEM_INLINE TANDEM_AVX512 __m128i tandem_kquant_scales_mins(const uint8_t *packed) {
    uint32_t w[3];
    memcpy(w, packed, 12);
    const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, low2 = 0x03030303;
    // Sub-blocks 0-3: low 6 bits of bytes 0-3 (scales) and 4-7 (mins).
    // Sub-blocks 4-7: low/high nibbles of bytes 8-11 plus the top 2 bits of bytes 0-3 / 4-7.
    const uint32_t scales0 = w[0] & low6;
    const uint32_t mins0 = w[1] & low6;
    const uint32_t scales1 = (w[2] & low4) | (((w[0] >> 6) & low2) << 4);
    const uint32_t mins1 = ((w[2] >> 4) & low4) | (((w[1] >> 6) & low2) << 4);
    return _mm_set_epi32((int)mins1, (int)mins0, (int)scales1, (int)scales0);
}

/// Dispatches a row kernel `fn(row, acts, t0, nt, out, outStride)` over token tiles and
/// rows, with the tile size a compile-time constant in each branch so loops unroll.
#define TANDEM_ROW_LOOP(fn) \
    do { \
        for (int64_t t0 = 0; t0 < tokens; t0 += TANDEM_TOKEN_TILE) { \
            int64_t nt = tokens - t0 < TANDEM_TOKEN_TILE ? tokens - t0 : TANDEM_TOKEN_TILE; \
            for (int64_t r = 0; r < rowCount; r++) { \
                const uint8_t *row = (const uint8_t *)weights + r * rowBytes; \
                float *o = out + t0 * outStride + r; \
                switch (nt) { \
                case 4: fn(row, acts, t0, 4, o, outStride); break; \
                case 3: fn(row, acts, t0, 3, o, outStride); break; \
                case 2: fn(row, acts, t0, 2, o, outStride); break; \
                default: fn(row, acts, t0, 1, o, outStride); break; \
                } \
            } \
        } \
    } while (0)
