// Token-interleaving of quantised activations for the batched kernels.
#include <immintrin.h>
#include <string.h>
#include "CTandemKernels.h"

int64_t tandem_gemm_scratch_bytes(int64_t columns) {
    // 8 rows of expanded weights, and per row two floats per 16-column sub-block; at
    // least the few-token path's 11 KiB (see avx512_gemm.c).
    const int64_t batched = 8 * (columns + 64) + 8 * (columns / 16 + 16) * 2 * (int64_t)sizeof(float) + 256;
    return batched > 12288 ? batched : 12288;
}

__attribute__((target("avx512f"))) void tandem_interleave_activations(const tandem_activations *acts, int64_t tokens, int64_t blockSize,
                                   int64_t tokenStride, int8_t *values, float *scales,
                                   int32_t *offsetSums, float *minSums) {
    const int64_t columns = acts->columns;
    const int64_t groups = columns / 4;
    const int64_t blocks = columns / blockSize;
    const int64_t offsetGroups = blockSize == 32 ? columns / 32 : columns / 16;
    const int64_t minGroups = blockSize == 32 ? blocks : columns / 32;
    // Values: each 64-byte output row (one column group, 16 tokens) is one gather of the
    // group's 4 bytes from 16 token rows; padding tokens gather nothing (zero).
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t t0 = 0; t0 < tokenStride; t0 += 16) {
        const int64_t valid = tokens - t0 < 0 ? 0 : (tokens - t0 < 16 ? tokens - t0 : 16);
        const __mmask16 mask = (__mmask16)((1u << valid) - 1);
        const __m512i offsets = _mm512_mullo_epi32(_mm512_add_epi32(lanes, _mm512_set1_epi32((int)t0)),
                                                   _mm512_set1_epi32((int)acts->valueStride));
        for (int64_t g = 0; g < groups; g++) {
            const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, offsets,
                                                              acts->values + 4 * g, 1);
            _mm512_storeu_si512((int32_t *)values + g * tokenStride + t0, words);
        }
    }
    // Padding tokens of the per-block arrays are zero.
    for (int64_t t = tokens; t < tokenStride; t++) {
        for (int64_t b = 0; b < blocks; b++) scales[b * tokenStride + t] = 0;
        for (int64_t g = 0; g < offsetGroups; g++) offsetSums[g * tokenStride + t] = 0;
        for (int64_t g = 0; g < minGroups; g++) minSums[g * tokenStride + t] = 0;
    }
    for (int64_t t = 0; t < tokens; t++) {
        for (int64_t b = 0; b < blocks; b++) scales[b * tokenStride + t] = acts->scales[t * blocks + b];
        if (blockSize == 32) {
            for (int64_t b = 0; b < blocks; b++) {
                offsetSums[b * tokenStride + t] = acts->sums32[t * blocks + b];
                minSums[b * tokenStride + t] = acts->scaledSums[t * blocks + b];
            }
        } else {
            for (int64_t g = 0; g < columns / 16; g++)
                offsetSums[g * tokenStride + t] = acts->groupSums[t * (columns / 16) + g];
            for (int64_t g = 0; g < columns / 32; g++)
                minSums[g * tokenStride + t] = (float)acts->sums32[t * (columns / 32) + g];
        }
    }
}
