// AVX-512 activation quantisers: bit-identical to ActivationQuantizer's reference code.
#include "avx512_common.h"

TANDEM_AVX512 void tandem_avx512_quantize_q8_32(const float *x, int64_t columns, int8_t *values,
                                                float *scales, int32_t *sums32, float *scaledSums) {
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    for (int64_t b = 0; b < columns / 32; b++) {
        __m512 v0 = _mm512_loadu_ps(x + 32 * b);
        __m512 v1 = _mm512_loadu_ps(x + 32 * b + 16);
        __m512 m = _mm512_max_ps(_mm512_andnot_ps(signBit, v0), _mm512_andnot_ps(signBit, v1));
        const float amax = _mm512_reduce_max_ps(m);
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        const __m512 mul = _mm512_set1_ps(id);
        __m512i i0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v0, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512i i1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v1, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(values + 32 * b), _mm512_cvtepi32_epi8(i0));
        _mm_storeu_si128((__m128i *)(values + 32 * b + 16), _mm512_cvtepi32_epi8(i1));
        const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
        scales[b] = _cvtsh_ss(_cvtss_sh(d, 0));
        sums32[b] = sum;
        scaledSums[b] = _cvtsh_ss(_cvtss_sh(d * (float)sum, 0));
    }
}

TANDEM_AVX512 void tandem_avx512_quantize_q8_256(const float *x, int64_t columns, int8_t *values,
                                                 float *scales, int32_t *sums32, int16_t *groupSums) {
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    for (int64_t b = 0; b < columns / 256; b++) {
        const float *xb = x + 256 * b;
        int8_t *qb = values + 256 * b;
        __m512 m = _mm512_setzero_ps();
        for (int j = 0; j < 16; j++) m = _mm512_max_ps(m, _mm512_andnot_ps(signBit, _mm512_loadu_ps(xb + 16 * j)));
        const float amax = _mm512_reduce_max_ps(m);
        if (amax == 0.0f) {
            memset(qb, 0, 256);
            scales[b] = 0.0f;
            memset(groupSums + 16 * b, 0, 32);
            memset(sums32 + 8 * b, 0, 32);
            continue;
        }
        // The first element whose magnitude is amax gives the sign of the scale.
        float maxValue = 0.0f;
        const __m512 target = _mm512_set1_ps(amax);
        for (int j = 0; j < 16; j++) {
            __mmask16 hit = _mm512_cmp_ps_mask(_mm512_andnot_ps(signBit, _mm512_loadu_ps(xb + 16 * j)), target, _CMP_EQ_OQ);
            if (hit) { maxValue = xb[16 * j + __builtin_ctz(hit)]; break; }
        }
        const float iscale = -127.0f / maxValue;
        const __m512 mul = _mm512_set1_ps(iscale);
        const __m512i limit = _mm512_set1_epi32(127);
        for (int j = 0; j < 16; j++) {
            __m512i q = _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + 16 * j), mul),
                                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            q = _mm512_min_epi32(q, limit);
            _mm_storeu_si128((__m128i *)(qb + 16 * j), _mm512_cvtepi32_epi8(q));
            groupSums[16 * b + j] = (int16_t)_mm512_reduce_add_epi32(q);
        }
        for (int g = 0; g < 8; g++) {
            sums32[8 * b + g] = (int32_t)groupSums[16 * b + 2 * g] + (int32_t)groupSums[16 * b + 2 * g + 1];
        }
        scales[b] = 1.0f / iscale;
    }
}
