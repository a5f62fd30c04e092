// AVX-512 product with Float32 weights (norm-sized or unquantised matrices).
#include "avx512_common.h"

TANDEM_INLINE TANDEM_AVX512 void tandem_row_f32(const float *w, const float *x, int64_t xStride,
                                                const int nt, int64_t columns, float *out, int64_t outStride) {
    __m512 acc[TANDEM_TOKEN_TILE];
    for (int k = 0; k < nt; k++) acc[k] = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 16 <= columns; c += 16) {
        const __m512 wv = _mm512_loadu_ps(w + c);
        for (int k = 0; k < nt; k++) acc[k] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + k * xStride + c), acc[k]);
    }
    if (c < columns) {
        const __mmask16 m = (__mmask16)((1u << (columns - c)) - 1);
        const __m512 wv = _mm512_maskz_loadu_ps(m, w + c);
        for (int k = 0; k < nt; k++) acc[k] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, x + k * xStride + c), acc[k]);
    }
    for (int k = 0; k < nt; k++) out[k * outStride] = tandem_hsum(acc[k]);
}

TANDEM_AVX512 void tandem_avx512_matmul_f32(const float *weights, int64_t rowStride, int64_t rowCount,
                                            const float *x, int64_t xStride, int64_t tokens, int64_t columns,
                                            float *out, int64_t outStride) {
    for (int64_t t0 = 0; t0 < tokens; t0 += TANDEM_TOKEN_TILE) {
        const int64_t nt = tokens - t0 < TANDEM_TOKEN_TILE ? tokens - t0 : TANDEM_TOKEN_TILE;
        for (int64_t r = 0; r < rowCount; r++) {
            const float *w = weights + r * rowStride;
            const float *xt = x + t0 * xStride;
            float *o = out + t0 * outStride + r;
            switch (nt) {
            case 4: tandem_row_f32(w, xt, xStride, 4, columns, o, outStride); break;
            case 3: tandem_row_f32(w, xt, xStride, 3, columns, o, outStride); break;
            case 2: tandem_row_f32(w, xt, xStride, 2, columns, o, outStride); break;
            default: tandem_row_f32(w, xt, xStride, 1, columns, o, outStride); break;
            }
        }
    }
}
