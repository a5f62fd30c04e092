// Float32 values of all 65,536 binary16 bit patterns, for kernels that convert one scale
// per block: a table load keeps the conversion off the shuffle port that F16C's
// vpinsrw + vcvtph2ps use (ggml does the same for the same reason).
#include <string.h>
#include "CTandemKernels.h"

float tandem_fp16_table[65536];

static float tandem_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F;
    const uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent == 0) {
        float magnitude = (float)mantissa * (1.0f / 16777216.0f);  // mantissa * 2^-24, exact
        memcpy(&bits, &magnitude, 4);
        bits |= sign;
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

__attribute__((constructor)) static void tandem_fill_fp16_table(void) {
    for (uint32_t h = 0; h < 65536; h++) tandem_fp16_table[h] = tandem_half_to_float((uint16_t)h);
}
