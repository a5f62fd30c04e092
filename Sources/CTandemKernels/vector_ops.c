// Float32 vector kernels for attention (dot products with cached keys, weighted sums of
// cached values), AVX-512 and AVX2/FMA.
#include <immintrin.h>
#include "CTandemKernels.h"

__attribute__((target("avx512f"))) float tandem_avx512_dot_f32(const float *a, const float *b, int64_t count) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= count; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= count; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < count) {
        const __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f"))) void tandem_avx512_add_scaled_f32(const float *x, float factor, float *y, int64_t count) {
    const __m512 f = _mm512_set1_ps(factor);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(_mm512_loadu_ps(x + i), f, _mm512_loadu_ps(y + i)));
    if (i < count) {
        const __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), f, _mm512_maskz_loadu_ps(m, y + i)));
    }
}

__attribute__((target("avx2,fma"))) float tandem_avx2_dot_f32(const float *a, const float *b, int64_t count) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    __m256 s = _mm256_add_ps(s0, s1);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    float total = _mm_cvtss_f32(q);
    for (; i < count; i++) total += a[i] * b[i];
    return total;
}

__attribute__((target("avx2,fma"))) void tandem_avx2_add_scaled_f32(const float *x, float factor, float *y, int64_t count) {
    const __m256 f = _mm256_set1_ps(factor);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), f, _mm256_loadu_ps(y + i)));
    for (; i < count; i++) y[i] += factor * x[i];
}
