// Quantisation block layouts of ggml, each written once with its byte size.
//
// These structs are the single definition of the on-disk layouts used by both the C
// kernels and the Swift code (Swift reads field offsets with MemoryLayout.offset(of:)).
// They follow ggml's ggml-common.h; every field is a byte array or a 16-bit float so the
// structs have 2-byte alignment and no padding, and a row of blocks is packed tightly.
// `fp16` fields hold IEEE binary16 bit patterns.
#pragma once
#include <stdint.h>

/// Elements in one block of the 32-element formats.
#define TANDEM_QK32 32
/// Elements in one super-block of the K-quant formats.
#define TANDEM_QKK 256

/// Q4_0: 32 weights in 18 bytes. w = d * (q - 8), q in 0...15.
/// qs[j] low nibble is element j, high nibble element j + 16.
typedef struct {
    uint16_t d;          // fp16 scale
    uint8_t qs[16];      // 4-bit quants
} tandem_block_q4_0;

/// Q4_1: 32 weights in 20 bytes. w = d * q + m, q in 0...15; nibble order as Q4_0.
typedef struct {
    uint16_t d;          // fp16 scale
    uint16_t m;          // fp16 minimum (offset)
    uint8_t qs[16];
} tandem_block_q4_1;

/// Q5_0: 32 weights in 22 bytes. w = d * (q - 16), q in 0...31. The low four bits as Q4_0;
/// bit j of the little-endian 32-bit word qh is the fifth bit of element j.
typedef struct {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[16];
} tandem_block_q5_0;

/// Q5_1: 32 weights in 24 bytes. w = d * q + m, q in 0...31; bits as Q5_0.
typedef struct {
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[16];
} tandem_block_q5_1;

/// Q8_0: 32 weights in 34 bytes. w = d * q, q in -128...127 (quantisers produce -127...127).
typedef struct {
    uint16_t d;
    int8_t qs[32];
} tandem_block_q8_0;

/// Q4_K: 256 weights in 144 bytes: 8 sub-blocks of 32, each with a 6-bit scale and a
/// 6-bit minimum packed in `scales` (see tandem_q4k_scale_min). w = d * sc * q - dmin * m.
/// qs holds 4 chunks of 32 bytes; chunk c: low nibbles are sub-block 2c, high 2c + 1.
typedef struct {
    uint16_t d;          // fp16 super-block scale for the sub-block scales
    uint16_t dmin;       // fp16 super-block scale for the sub-block minimums
    uint8_t scales[12];  // 8 scales and 8 minimums, 6 bits each
    uint8_t qs[128];
} tandem_block_q4_K;

/// Q5_K: 256 weights in 176 bytes. As Q4_K plus a fifth bit: bit 2c (2c + 1) of qh[l]
/// is the fifth bit of element l of sub-block 2c (2c + 1). q in 0...31.
typedef struct {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
} tandem_block_q5_K;

/// Q6_K: 256 weights in 210 bytes: 16 sub-blocks of 16 with signed 8-bit scales.
/// w = d * scales[s] * (q - 32), q in 0...63 built from 4 low bits (ql) and 2 high (qh);
/// see the Swift dequantiser for the bit positions.
typedef struct {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
} tandem_block_q6_K;

_Static_assert(sizeof(tandem_block_q4_0) == 18, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(tandem_block_q4_1) == 20, "Q4_1 block is 20 bytes");
_Static_assert(sizeof(tandem_block_q5_0) == 22, "Q5_0 block is 22 bytes");
_Static_assert(sizeof(tandem_block_q5_1) == 24, "Q5_1 block is 24 bytes");
_Static_assert(sizeof(tandem_block_q8_0) == 34, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(tandem_block_q4_K) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(tandem_block_q5_K) == 176, "Q5_K block is 176 bytes");
_Static_assert(sizeof(tandem_block_q6_K) == 210, "Q6_K block is 210 bytes");

/// Quantised activations: `tokens` rows of `columns` Float32 values, each row quantised
/// to 8 bits. Structure of arrays, so kernels load aligned 64-byte runs of values.
///
/// Two formats share the struct:
/// - 32-element blocks (used with Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 weights; numerically
///   llama.cpp's Q8_0 / Q8_1): scale = fp16(amax / 127) widened to float, values =
///   round-half-even(x * 127 / amax); `scaledSums` = fp16(d * sum) as Q8_1's `s`.
/// - 256-element blocks (K-quant weights; llama.cpp's Q8_K): scale = -max / 127 in full
///   float, values = round-half-even(x * -127 / max) clamped to 127; `groupSums` are the
///   sums of each run of 16 values (Q8_K's bsums).
/// In both, `sums32` are the integer sums of each run of 32 values.
typedef struct {
    const int8_t *values;        // values[t * valueStride + c]
    const float *scales;         // scales[t * blocksPerRow + b]
    const int32_t *sums32;       // sums32[t * (columns / 32) + g]
    const float *scaledSums;     // 32-element format only: [t * blocksPerRow + b]
    const int16_t *groupSums;    // 256-element format only: [t * (columns / 16) + g]
    int64_t valueStride;         // bytes between tokens in `values`, a multiple of 64
    int64_t columns;
    int64_t blocksPerRow;
} tandem_activations;
