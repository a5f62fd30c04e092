// Shared helpers of the AVX-512 kernels (private to the C target).
#pragma once
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "CTandemKernels.h"

#define TANDEM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx2,fma,f16c")))
#define TANDEM_INLINE static inline __attribute__((always_inline))

/// Bytes ahead of the current weight block that the row kernels prefetch. Decode streams
/// each weight once from memory; prefetching keeps more misses in flight than the
/// hardware prefetcher alone does.
#ifndef TANDEM_PREFETCH_DISTANCE
#define TANDEM_PREFETCH_DISTANCE 4096
#endif
/// Prefetches the cache lines `distance` bytes past a block of `bytes` bytes at `p`.
#define TANDEM_PREFETCH_AHEAD(p, bytes) \
    do { for (int64_t _o = 0; _o < (int64_t)(bytes); _o += 64) \
        _mm_prefetch((p) + TANDEM_PREFETCH_DISTANCE + _o, _MM_HINT_T0); } while (0)

/// Prefetches the cache lines of `bytes` bytes at `p`.
#ifndef TANDEM_NO_GEMM_PREFETCH
#define TANDEM_PREFETCH_SPAN(p, bytes) \
    do { for (int64_t _o = 0; _o < (int64_t)(bytes); _o += 64) _mm_prefetch((p) + _o, _MM_HINT_T0); } while (0)
#else
#define TANDEM_PREFETCH_SPAN(p, bytes) do { (void)(p); } while (0)
#endif

/// Tokens whose accumulators a row kernel keeps in registers at once.
#define TANDEM_TOKEN_TILE 4

/// binary16 → float by table (see fp16_table.c).
TANDEM_INLINE float tandem_h2f(uint16_t h) {
    return tandem_fp16_table[h];
}

/// Sum of the 16 lanes.
TANDEM_INLINE TANDEM_AVX512 float tandem_hsum(__m512 v) {
    __m256 s = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

/// A vector holding `low` in lanes 0-7 and `high` in lanes 8-15. With both values in
/// memory this compiles to a broadcast load and a merge-masked broadcast load (no shuffle).
TANDEM_INLINE TANDEM_AVX512 __m512 tandem_halves(float low, float high) {
    return _mm512_mask_mov_ps(_mm512_set1_ps(low), 0xFF00, _mm512_set1_ps(high));
}

/// Bytes 0-15 of `a` and `b` as [low nibbles a, high nibbles a, low b, high b]: the 64
/// 4-bit values of two blocks in element order.
TANDEM_INLINE TANDEM_AVX512 __m512i tandem_nibbles_pair(const uint8_t *a, const uint8_t *b) {
    // [a, a, b, b] by a broadcast load and a merge-masked broadcast load.
    const __m512i qa = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)a));
    __m512i q = _mm512_mask_broadcast_i32x4(qa, 0xFF00, _mm_loadu_si128((const __m128i *)b));
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
/// unpacked from its 12 packed bytes (see tandem_block_q4_K) with vector operations on the
/// three 32-bit words w0, w1, w2: scales 0-3 = w0 & 0x3f, scales 4-7 = low nibbles of w2
/// plus the top two bits of w0; minimums likewise from w1 and the high nibbles of w2.
TANDEM_INLINE TANDEM_AVX512 __m128i tandem_kquant_scales_mins(const uint8_t *packed) {
    uint32_t w[4] = {0, 0, 0, 0};
    memcpy(w, packed, 12);
    const __m128i v = _mm_loadu_si128((const __m128i *)w);
    const __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0));   // w0 w2 w1 w2
    const __m128i b = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0));   // w0 w0 w1 w1
    const __m128i low = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
                                      _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    const __m128i high = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    return _mm_or_si128(low, high);
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
