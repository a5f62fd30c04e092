// Token-interleaving of quantised activations for the batched kernels (portable C).
#include <string.h>
#include "CTandemKernels.h"

int64_t tandem_gemm_scratch_bytes(int64_t columns) {
    // 4 rows of expanded weights, and per row two floats per 16-column sub-block.
    return 4 * (columns + 64) + 4 * (columns / 16 + 16) * 2 * (int64_t)sizeof(float) + 256;
}

void tandem_interleave_activations(const tandem_activations *acts, int64_t tokens, int64_t blockSize,
                                   int64_t tokenStride, int8_t *values, float *scales,
                                   int32_t *offsetSums, float *minSums) {
    const int64_t columns = acts->columns;
    const int64_t groups = columns / 4;
    const int64_t blocks = columns / blockSize;
    const int64_t offsetGroups = blockSize == 32 ? columns / 32 : columns / 16;
    const int64_t minGroups = blockSize == 32 ? blocks : columns / 32;
    memset(values, 0, (size_t)(groups * tokenStride * 4));
    memset(scales, 0, (size_t)(blocks * tokenStride) * sizeof(float));
    memset(offsetSums, 0, (size_t)(offsetGroups * tokenStride) * sizeof(int32_t));
    memset(minSums, 0, (size_t)(minGroups * tokenStride) * sizeof(float));
    for (int64_t t = 0; t < tokens; t++) {
        const int8_t *v = acts->values + t * acts->valueStride;
        uint32_t *dst = (uint32_t *)values + t;
        for (int64_t g = 0; g < groups; g++) {
            uint32_t word;
            memcpy(&word, v + 4 * g, 4);
            dst[g * tokenStride] = word;
        }
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
