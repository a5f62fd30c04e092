// Thin C layer for SIMD intrinsics Swift cannot express (AVX-512 VNNI, AVX2 maddubs).
// Each function is compiled per target with __attribute__((target(...))) and selected at
// run time, so the package builds without special compiler flags on any CPU.
#pragma once
#include <stdint.h>
#include "TandemBlocks.h"

/// 1 when the CPU supports the AVX-512 subsets the avx512 kernels use (F, BW, VL, DQ,
/// VNNI, VBMI: Ice Lake, Sapphire Rapids, Zen 4 and later), else 0.
int tandem_cpu_has_avx512vnni(void);
/// 1 when the CPU supports AVX2 and FMA, else 0.
int tandem_cpu_has_avx2(void);

/// Float32 value of every binary16 bit pattern (filled when the library loads).
extern float tandem_fp16_table[65536];

// MARK: - Atomics and spinning for the thread pool
//
// Plain 64-bit words accessed only through these functions (GCC/Clang __atomic builtins),
// so the Swift thread pool needs neither Synchronization (macOS 15+) nor swift-atomics.

static inline int64_t tandem_atomic_load(const int64_t *word) {
    return __atomic_load_n(word, __ATOMIC_SEQ_CST);
}
static inline void tandem_atomic_store(int64_t *word, int64_t value) {
    __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
}
static inline int64_t tandem_atomic_fetch_add(int64_t *word, int64_t delta) {
    return __atomic_fetch_add(word, delta, __ATOMIC_SEQ_CST);
}
/// A hint to the CPU that the caller is spinning (x86 `pause`, ARM `yield`).
static inline void tandem_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// MARK: - Activation quantisation (see tandem_activations in TandemBlocks.h)
//
// One row of `columns` floats (a multiple of the block size) into the given arrays.
// Numerically identical to the Swift reference quantisers.

void tandem_avx512_quantize_q8_32(const float *x, int64_t columns, int8_t *values,
                                  float *scales, int32_t *sums32, float *scaledSums);
void tandem_avx512_quantize_q8_256(const float *x, int64_t columns, int8_t *values,
                                   float *scales, int32_t *sums32, int16_t *groupSums);

// MARK: - Matrix products
//
// For r in [0, rowCount), t in [0, acts->tokens):
//     out[t * outStride + r] = dot(weight row r, activation row t)
// `weights` points at the first row; rows are `rowBytes` apart. `acts` must use the
// 256-element format for K-quants and the 32-element format otherwise.

#define TANDEM_DECLARE_MATMUL(isa, type) \
    void tandem_##isa##_matmul_##type(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                      const tandem_activations *acts, int64_t tokens, \
                                      float *out, int64_t outStride);

TANDEM_DECLARE_MATMUL(avx512, q4_0)
TANDEM_DECLARE_MATMUL(avx512, q4_1)
TANDEM_DECLARE_MATMUL(avx512, q5_0)
TANDEM_DECLARE_MATMUL(avx512, q5_1)
TANDEM_DECLARE_MATMUL(avx512, q8_0)
TANDEM_DECLARE_MATMUL(avx512, q4_K)
TANDEM_DECLARE_MATMUL(avx512, q5_K)
TANDEM_DECLARE_MATMUL(avx512, q6_K)

TANDEM_DECLARE_MATMUL(avx2, q4_0)
TANDEM_DECLARE_MATMUL(avx2, q4_1)
TANDEM_DECLARE_MATMUL(avx2, q5_0)
TANDEM_DECLARE_MATMUL(avx2, q5_1)
TANDEM_DECLARE_MATMUL(avx2, q8_0)
TANDEM_DECLARE_MATMUL(avx2, q4_K)
TANDEM_DECLARE_MATMUL(avx2, q5_K)
TANDEM_DECLARE_MATMUL(avx2, q6_K)

/// F32 weights and F32 activations: out[t * outStride + r] = sum_c w[r][c] * x[t][c].
void tandem_avx512_matmul_f32(const float *weights, int64_t rowStride, int64_t rowCount,
                              const float *x, int64_t xStride, int64_t tokens, int64_t columns,
                              float *out, int64_t outStride);

// MARK: - Float vectors (attention)

/// Σ a[i]·b[i] (Float32 accumulation, 32 lanes).
float tandem_avx512_dot_f32(const float *a, const float *b, int64_t count);
float tandem_avx2_dot_f32(const float *a, const float *b, int64_t count);
/// y[i] += factor · x[i].
void tandem_avx512_add_scaled_f32(const float *x, float factor, float *y, int64_t count);
void tandem_avx2_add_scaled_f32(const float *x, float factor, float *y, int64_t count);

// MARK: - Element-wise (elementwise.c)

/// x[i] = e^x[i] in place (≈1 ulp; inputs below −103.97 give 0).
void tandem_avx512_exp(float *x, int64_t count);
/// gate[i] = silu(gate[i]) · up[i] in place (`up` may be NULL for plain SiLU).
void tandem_avx512_swiglu(float *gate, const float *up, int64_t count);
void tandem_avx2_swiglu(float *gate, const float *up, int64_t count);
/// Stable softmax in place.
void tandem_avx512_softmax(float *x, int64_t count);
void tandem_avx2_softmax(float *x, int64_t count);
/// Σ x[i]², squares in Float32, sum in Double.
double tandem_avx512_sum_squares(const float *x, int64_t count);

// MARK: - Batched products (many tokens)
//
// For batches the activations are rearranged token-interleaved, so one 512-bit register
// holds the same four columns of 16 tokens, and each weight row is expanded to one byte
// per element once per call. vpdpbusd then multiplies a broadcast group of four weights
// by 16 tokens at once, with no horizontal sums.

/// Token-interleaved activations (built by tandem_interleave_activations).
typedef struct {
    const int8_t *values;      // column group g (4 columns), token t: values + 4 * (g * tokenStride + t)
    const float *scales;       // [block][tokenStride]
    const int32_t *offsetSums; // 32-format: sum per 32 columns; 256-format: sum per 16 ([group][tokenStride])
    const float *minSums;      // 32-format: Q8_1 s per block; 256-format: float sum per 32 ([group][tokenStride])
    int64_t tokenStride;       // tokens rounded up to a multiple of 16; padding tokens are zero
    int64_t tokens;
    int64_t columns;
} tandem_interleaved;

/// Fills the interleaved arrays (sized for `tokenStride` tokens) from `acts`.
/// `blockSize` is 32 or 256, the format of `acts`.
void tandem_interleave_activations(const tandem_activations *acts, int64_t tokens, int64_t blockSize,
                                   int64_t tokenStride, int8_t *values, float *scales,
                                   int32_t *offsetSums, float *minSums);

/// Bytes of scratch one thread needs for the batched kernels on rows of `columns`.
int64_t tandem_gemm_scratch_bytes(int64_t columns);

#define TANDEM_DECLARE_GEMM(isa, type) \
    void tandem_##isa##_gemm_##type(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                    const tandem_interleaved *acts, float *out, int64_t outStride, \
                                    void *scratch);

TANDEM_DECLARE_GEMM(avx512, q4_0)
TANDEM_DECLARE_GEMM(avx512, q4_1)
TANDEM_DECLARE_GEMM(avx512, q5_0)
TANDEM_DECLARE_GEMM(avx512, q5_1)
TANDEM_DECLARE_GEMM(avx512, q8_0)
TANDEM_DECLARE_GEMM(avx512, q4_K)
TANDEM_DECLARE_GEMM(avx512, q5_K)
TANDEM_DECLARE_GEMM(avx512, q6_K)
