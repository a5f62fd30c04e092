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
