// Vectorised element-wise operations of the engine: exp (Cephes-style, ≈1 ulp), SiLU,
// SwiGLU, softmax and the RMS norm's sum of squares, for AVX-512 and AVX2/FMA. Scalar
// loops with libm's expf per element would otherwise cost as much as the matrix products
// on long batches (llama.cpp vectorises these the same way).
#include <immintrin.h>
#include <math.h>
#include "CTandemKernels.h"

#define AVX512_FN __attribute__((target("avx512f,avx512dq")))
#define AVX2_FN __attribute__((target("avx2,fma")))

// exp(x) = 2^n · e^r, n = round(x·log2 e), r = x − n·ln 2 (two-part ln 2), e^r by the
// Cephes expf polynomial. Inputs below −103.97 give 0 (so −∞ masks become exact zeros).
static inline AVX512_FN __m512 tandem_exp16(__m512 x) {
    const __m512 zeroBelow = _mm512_set1_ps(-103.97f);
    const __mmask16 tiny = _mm512_cmp_ps_mask(x, zeroBelow, _CMP_LT_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, zeroBelow), _mm512_set1_ps(88.7228f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_scalef_ps((__mmask16)~tiny, p, n);
}

static inline AVX2_FN __m256 tandem_exp8(__m256 x) {
    const __m256 zeroBelow = _mm256_set1_ps(-87.33f);
    const __m256 tiny = _mm256_cmp_ps(x, zeroBelow, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, zeroBelow), _mm256_set1_ps(88.7228f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n as a float: n + 127 in the exponent field (n ≥ -126 after the clamp; n = 128 only
    // for x at the top of the range, where the product overflows as expf does).
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    const __m256 scaled = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    return _mm256_andnot_ps(tiny, scaled);
}

AVX512_FN void tandem_avx512_exp(float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, tandem_exp16(_mm512_loadu_ps(x + i)));
    if (i < count) {
        const __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, tandem_exp16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/// gate[i] = gate[i] / (1 + e^(−gate[i])) · (up ? up[i] : 1).
AVX512_FN void tandem_avx512_swiglu(float *gate, const float *up, int64_t count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    int64_t i = 0;
    for (; i < count; i += 16) {
        const __mmask16 m = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
        __m512 s = _mm512_div_ps(g, _mm512_add_ps(one, tandem_exp16(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        if (up) s = _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i));
        _mm512_mask_storeu_ps(gate + i, m, s);
    }
}

AVX2_FN void tandem_avx2_swiglu(float *gate, const float *up, int64_t count) {
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, tandem_exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
        if (up) s = _mm256_mul_ps(s, _mm256_loadu_ps(up + i));
        _mm256_storeu_ps(gate + i, s);
    }
    for (; i < count; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * (up ? up[i] : 1.0f);
    }
}

/// In-place softmax; returns nothing. Sum of exponentials per 16 in Float32, overall in Double.
AVX512_FN void tandem_avx512_softmax(float *x, int64_t count) {
    if (count <= 0) return;
    __m512 mv = _mm512_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) mv = _mm512_max_ps(mv, _mm512_loadu_ps(x + i));
    float maximum = _mm512_reduce_max_ps(mv);
    for (; i < count; i++) maximum = x[i] > maximum ? x[i] : maximum;
    const __m512 mx = _mm512_set1_ps(maximum);
    double sum = 0;
    for (i = 0; i < count; i += 16) {
        const __mmask16 m = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const __m512 e = _mm512_maskz_mov_ps(m, tandem_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mx)));
        _mm512_mask_storeu_ps(x + i, m, e);
        sum += (double)_mm512_reduce_add_ps(e);
    }
    const __m512 inverse = _mm512_set1_ps((float)(1.0 / sum));
    for (i = 0; i < count; i += 16) {
        const __mmask16 m = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inverse));
    }
}

AVX2_FN void tandem_avx2_softmax(float *x, int64_t count) {
    if (count <= 0) return;
    float maximum = -INFINITY;
    for (int64_t i = 0; i < count; i++) maximum = x[i] > maximum ? x[i] : maximum;
    const __m256 mx = _mm256_set1_ps(maximum);
    double sum = 0;
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 e = tandem_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mx));
        _mm256_storeu_ps(x + i, e);
        __m128 q = _mm_add_ps(_mm256_castps256_ps128(e), _mm256_extractf128_ps(e, 1));
        q = _mm_add_ps(q, _mm_movehl_ps(q, q));
        q = _mm_add_ss(q, _mm_movehdup_ps(q));
        sum += (double)_mm_cvtss_f32(q);
    }
    for (; i < count; i++) { x[i] = expf(x[i] - maximum); sum += (double)x[i]; }
    const float inverse = (float)(1.0 / sum);
    for (i = 0; i < count; i++) x[i] *= inverse;
}

/// Σ x[i]² with each square rounded to Float32 and the sum in Double (as ggml's rms_norm).
AVX512_FN double tandem_avx512_sum_squares(const float *x, int64_t count) {
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512 sq = _mm512_mul_ps(v, v);
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(sq)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(sq, 1)));
    }
    double sum = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; i < count; i++) sum += (double)(x[i] * x[i]);
    return sum;
}
