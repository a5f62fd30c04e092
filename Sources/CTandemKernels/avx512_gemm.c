// AVX-512 VNNI batched products (see "Batched products" in CTandemKernels.h).
//
// Per call and thread, four weight rows at a time are expanded to unsigned bytes (one per
// element, natural order) with a float scale (and minimum) per sub-block. The kernel then
// walks the columns four at a time: each row's four bytes are broadcast and multiplied
// with the same four columns of 16 tokens by vpdpbusd, so the 32-bit lanes are tokens and
// each lane's integer sum over a sub-block is exact. Offsets of signed formats (q - 8,
// q - 16, q - 32, q + 128 for Q8_0) are removed by starting each sub-block's sums at
// -offset * Σa. Sub-block sums are then scaled in Float32 like the row kernels.
#include "avx512_common.h"

/// Rows expanded at once: 8 when one 16-token group is all there is (more rows share each
/// activation load), else 4 (more token groups share each weight broadcast).
#define TANDEM_PANEL_ROWS 8

typedef struct {
    uint8_t *w[TANDEM_PANEL_ROWS];      // expanded rows
    float *ws[TANDEM_PANEL_ROWS];       // scale per sub-block
    float *wmin[TANDEM_PANEL_ROWS];     // minimum per sub-block (Q4_1, Q5_1, Q4_K, Q5_K)
} tandem_panel;

static TANDEM_AVX512 tandem_panel tandem_panel_in(void *scratch, int64_t columns) {
    tandem_panel p;
    uint8_t *base = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    const int64_t rowSpan = (columns + 63) & ~(int64_t)63;
    const int64_t subs = columns / 16 + 16;
    float *floats = (float *)(base + TANDEM_PANEL_ROWS * rowSpan);
    for (int i = 0; i < TANDEM_PANEL_ROWS; i++) {
        p.w[i] = base + i * rowSpan;
        p.ws[i] = floats + i * subs;
        p.wmin[i] = floats + (TANDEM_PANEL_ROWS + i) * subs;
    }
    return p;
}

// MARK: - Row expansion, one function per type

static TANDEM_AVX512 void tandem_expand_q8_0(const uint8_t *row, int64_t columns, uint8_t *w, float *ws, float *wmin) {
    const tandem_block_q8_0 *x = (const tandem_block_q8_0 *)row;
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int64_t b = 0; b < columns / 32; b++) {
        if ((b & 1) == 0) TANDEM_PREFETCH_AHEAD((const char *)(x + b), 2 * sizeof(tandem_block_q8_0));
        _mm256_store_si256((__m256i *)(w + 32 * b), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x[b].qs), flip));
        ws[b] = tandem_h2f(x[b].d);
    }
    (void)wmin;
}

#define TANDEM_EXPAND_NIBBLES(name, BlockType, HIGH_BITS, MIN) \
static TANDEM_AVX512 void name(const uint8_t *row, int64_t columns, uint8_t *w, float *ws, float *wmin) { \
    const BlockType *x = (const BlockType *)row; \
    const int64_t nb = columns / 32; \
    for (int64_t b = 0; b < nb; b += 2) { \
        const int single = (b + 1 == nb); \
        TANDEM_PREFETCH_AHEAD((const char *)(x + b), 2 * sizeof(BlockType)); \
        __m512i v = single ? tandem_nibbles_single(x[b].qs) : tandem_nibbles_pair(x[b].qs, x[b + 1].qs); \
        HIGH_BITS \
        if (single) _mm256_store_si256((__m256i *)(w + 32 * b), _mm512_castsi512_si256(v)); \
        else _mm512_store_si512(w + 32 * b, v); \
        ws[b] = tandem_h2f(x[b].d); \
        if (MIN) wmin[b] = tandem_h2f(MIN_FIELD(x[b])); \
        if (!single) { ws[b + 1] = tandem_h2f(x[b + 1].d); if (MIN) wmin[b + 1] = tandem_h2f(MIN_FIELD(x[b + 1])); } \
    } \
}

/// Sets bit 4 of each byte whose fifth bit is set in the blocks' qh words.
#define TANDEM_FIFTH_BITS { \
    const uint64_t high = tandem_load_u32(x[b].qh) | (single ? 0 : tandem_load_u32(x[b + 1].qh) << 32); \
    v = _mm512_mask_blend_epi8((__mmask64)high, v, _mm512_or_si512(v, _mm512_set1_epi8(0x10))); }

#define MIN_FIELD(block) (block).d
TANDEM_EXPAND_NIBBLES(tandem_expand_q4_0, tandem_block_q4_0, , 0)
TANDEM_EXPAND_NIBBLES(tandem_expand_q5_0, tandem_block_q5_0, TANDEM_FIFTH_BITS, 0)
#undef MIN_FIELD
#define MIN_FIELD(block) (block).m
TANDEM_EXPAND_NIBBLES(tandem_expand_q4_1, tandem_block_q4_1, , 1)
TANDEM_EXPAND_NIBBLES(tandem_expand_q5_1, tandem_block_q5_1, TANDEM_FIFTH_BITS, 1)
#undef MIN_FIELD

TANDEM_INLINE TANDEM_AVX512 void tandem_expand_q45_K(const uint8_t *row, int64_t columns, uint8_t *w, float *ws,
                                                     float *wmin, const int fifthBit) {
    const int64_t blockBytes = fifthBit ? sizeof(tandem_block_q5_K) : sizeof(tandem_block_q4_K);
    for (int64_t b = 0; b < columns / 256; b++) {
        const uint8_t *block = row + b * blockBytes;
        TANDEM_PREFETCH_AHEAD((const char *)block, blockBytes);
        const tandem_block_q4_K *x4 = (const tandem_block_q4_K *)block;
        const tandem_block_q5_K *x5 = (const tandem_block_q5_K *)block;
        const uint8_t *qs = fifthBit ? x5->qs : x4->qs;
        // Two chunks (64 bytes, sub-blocks 4k..4k+3) at a time: low nibbles are sub-blocks
        // 4k and 4k+2, high nibbles 4k+1 and 4k+3, stored in that order (see
        // tandem_k_location) so no shuffles are needed.
        const __m512i qh2 = fifthBit ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)x5->qh))
                                     : _mm512_setzero_si512();
        for (int k = 0; k < 2; k++) {
            const __m512i q = _mm512_loadu_si512(qs + 64 * k);
            __m512i lo = _mm512_and_si512(q, _mm512_set1_epi8(0x0F));
            __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), _mm512_set1_epi8(0x0F));
            if (fifthBit) {
                const __m512i sixteen = _mm512_set1_epi8(0x10);
                const __m512i bitsLo = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (4 * k))), _mm256_set1_epi8((char)(1 << (4 * k + 2))), 1);
                const __m512i bitsHi = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (4 * k + 1))), _mm256_set1_epi8((char)(1 << (4 * k + 3))), 1);
                lo = _mm512_mask_blend_epi8(_mm512_test_epi8_mask(qh2, bitsLo), lo, _mm512_or_si512(lo, sixteen));
                hi = _mm512_mask_blend_epi8(_mm512_test_epi8_mask(qh2, bitsHi), hi, _mm512_or_si512(hi, sixteen));
            }
            _mm512_store_si512(w + 256 * b + 128 * k, lo);
            _mm512_store_si512(w + 256 * b + 128 * k + 64, hi);
        }
        // Scales in bytes 0-7 and minimums in 8-15, widened to 16 floats.
        const __m512 scalesMins = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(tandem_kquant_scales_mins(x4->scales)));
        const __m512 factors = tandem_halves(tandem_h2f(x4->d), tandem_h2f(x4->dmin));
        const __m512 products = _mm512_mul_ps(scalesMins, factors);
        _mm256_storeu_ps(ws + 8 * b, _mm512_castps512_ps256(products));
        _mm256_storeu_ps(wmin + 8 * b, _mm512_extractf32x8_ps(products, 1));
    }
}

static TANDEM_AVX512 void tandem_expand_q4_K(const uint8_t *row, int64_t columns, uint8_t *w, float *ws, float *wmin) {
    tandem_expand_q45_K(row, columns, w, ws, wmin, 0);
}
static TANDEM_AVX512 void tandem_expand_q5_K(const uint8_t *row, int64_t columns, uint8_t *w, float *ws, float *wmin) {
    tandem_expand_q45_K(row, columns, w, ws, wmin, 1);
}

static TANDEM_AVX512 void tandem_expand_q6_K(const uint8_t *row, int64_t columns, uint8_t *w, float *ws, float *wmin) {
    const tandem_block_q6_K *x = (const tandem_block_q6_K *)row;
    const __m512i lowMask = _mm512_set1_epi8(0x0F);
    const __m512i highMask = _mm512_set1_epi8(0x30);
    const __m512i shiftLeft = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shiftRight = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    for (int64_t b = 0; b < columns / 256; b++) {
        const tandem_block_q6_K *blk = x + b;
        TANDEM_PREFETCH_AHEAD((const char *)blk, sizeof(tandem_block_q6_K));
        for (int h = 0; h < 2; h++) {
            const __m512i ql = _mm512_loadu_si512(blk->ql + 64 * h);
            const __m512i qh2 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(blk->qh + 32 * h)));
            const __m512i w0 = _mm512_or_si512(_mm512_and_si512(ql, lowMask),
                                               _mm512_and_si512(_mm512_sllv_epi16(qh2, shiftLeft), highMask));
            const __m512i w1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), lowMask),
                                               _mm512_and_si512(_mm512_srlv_epi16(qh2, shiftRight), highMask));
            _mm512_store_si512(w + 256 * b + 128 * h, w0);
            _mm512_store_si512(w + 256 * b + 128 * h + 64, w1);
        }
        const float d = tandem_h2f(blk->d);
        for (int j = 0; j < 16; j++) ws[16 * b + j] = d * (float)blk->scales[j];
    }
    (void)wmin;
}

// MARK: - Kernels

/// Where sub-block `sub` (32 wide) of an expanded Q4_K/Q5_K row starts, in sub-block units:
/// within each group of four the order is 0, 2, 1, 3 (see tandem_expand_q45_K).
TANDEM_INLINE int64_t tandem_k_location(int64_t sub) {
    const int64_t j = sub & 3;
    return (sub & ~(int64_t)3) | ((j & 1) << 1) | (j >> 1);
}

/// Writes a 4-row × (16·nz)-token tile to out[t * outStride + r], skipping padding tokens
/// and rows past `rows`.
TANDEM_INLINE void tandem_store_tile(float tile[TANDEM_PANEL_ROWS][48], int rows, int64_t t0, int64_t tokens, int nz,
                                     float *out, int64_t outStride) {
    const int64_t count = tokens - t0 < 16 * nz ? tokens - t0 : 16 * nz;
    for (int64_t k = 0; k < count; k++) {
        float *o = out + (t0 + k) * outStride;
        for (int r = 0; r < rows; r++) o[r] = tile[r][k];
    }
}

/// 32-element block types: 4 rows × 16·NZ tokens (NZ ≤ 3). `offsetShift` is log2 of the
/// weight offset (-1 for none); `hasMin` adds m · s.
TANDEM_INLINE TANDEM_AVX512 void tandem_tile_q32(const tandem_panel *p, const tandem_interleaved *acts, int64_t t0,
                                                 const int R, const int NZ, const int offsetShift, const int hasMin,
                                                 float tile[TANDEM_PANEL_ROWS][48], const char *prefetch, int64_t prefetchStep) {
    const int64_t ts = acts->tokenStride;
    const int64_t nb = acts->columns / 32;
    const int32_t *values = (const int32_t *)acts->values + t0;
    __m512 acc[TANDEM_PANEL_ROWS][3];
    for (int r = 0; r < R; r++)
        for (int z = 0; z < NZ; z++) acc[r][z] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        if (prefetch) TANDEM_PREFETCH_SPAN(prefetch + b * prefetchStep, prefetchStep);
        __m512i sums[TANDEM_PANEL_ROWS][3];
        for (int z = 0; z < NZ; z++) {
            __m512i init = _mm512_setzero_si512();
            if (offsetShift >= 0) {
                const __m512i s = _mm512_loadu_si512(acts->offsetSums + b * ts + t0 + 16 * z);
                init = _mm512_sub_epi32(init, _mm512_slli_epi32(s, offsetShift));
            }
            for (int r = 0; r < R; r++) sums[r][z] = init;
        }
        const int32_t *av = values + 8 * b * ts;
        for (int g = 0; g < 8; g++) {
            __m512i a[3];
            for (int z = 0; z < NZ; z++) a[z] = _mm512_loadu_si512(av + g * ts + 16 * z);
            for (int r = 0; r < R; r++) {
                int32_t word;
                memcpy(&word, p->w[r] + 32 * b + 4 * g, 4);
                const __m512i wb = _mm512_set1_epi32(word);
                for (int z = 0; z < NZ; z++) sums[r][z] = _mm512_dpbusd_epi32(sums[r][z], wb, a[z]);
            }
        }
        for (int z = 0; z < NZ; z++) {
            const __m512 da = _mm512_loadu_ps(acts->scales + b * ts + t0 + 16 * z);
            for (int r = 0; r < R; r++)
                acc[r][z] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[r][z]),
                                            _mm512_mul_ps(_mm512_set1_ps(p->ws[r][b]), da), acc[r][z]);
            if (hasMin) {
                const __m512 s = _mm512_loadu_ps(acts->minSums + b * ts + t0 + 16 * z);
                for (int r = 0; r < R; r++) acc[r][z] = _mm512_fmadd_ps(_mm512_set1_ps(p->wmin[r][b]), s, acc[r][z]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int z = 0; z < NZ; z++) _mm512_storeu_ps(tile[r] + 16 * z, acc[r][z]);
}

/// K-quant types: 4 rows × 16·NZ tokens (NZ ≤ 2), sub-blocks of `subWidth` (32 or 16).
/// Q6_K's offset 32 uses the per-16 sums; Q4_K/Q5_K subtract dmin·m·Σa per 32.
TANDEM_INLINE TANDEM_AVX512 void tandem_tile_k(const tandem_panel *p, const tandem_interleaved *acts, int64_t t0,
                                               const int R, const int NZ, const int subWidth, const int permuted,
                                               const int offsetShift,
                                               const int hasMin, float tile[TANDEM_PANEL_ROWS][48],
                                               const char *prefetch, int64_t prefetchStep) {
    const int64_t ts = acts->tokenStride;
    const int64_t nb = acts->columns / 256;
    const int subsPerBlock = 256 / subWidth;
    const int32_t *values = (const int32_t *)acts->values + t0;
    __m512 acc[TANDEM_PANEL_ROWS][2];
    for (int r = 0; r < R; r++)
        for (int z = 0; z < NZ; z++) acc[r][z] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m512 blockAcc[TANDEM_PANEL_ROWS][2];
        for (int r = 0; r < R; r++)
            for (int z = 0; z < NZ; z++) blockAcc[r][z] = _mm512_setzero_ps();
        if (prefetch) TANDEM_PREFETCH_SPAN(prefetch + b * prefetchStep, prefetchStep);
        for (int s = 0; s < subsPerBlock; s++) {
            const int64_t sub = b * subsPerBlock + s;
            __m512i sums[TANDEM_PANEL_ROWS][2];
            for (int z = 0; z < NZ; z++) {
                __m512i init = _mm512_setzero_si512();
                if (offsetShift >= 0) {
                    const __m512i sum = _mm512_loadu_si512(acts->offsetSums + sub * ts + t0 + 16 * z);
                    init = _mm512_sub_epi32(init, _mm512_slli_epi32(sum, offsetShift));
                }
                for (int r = 0; r < R; r++) sums[r][z] = init;
            }
            const int32_t *av = values + (sub * subWidth / 4) * ts;
            const int64_t weightOffset = (permuted ? tandem_k_location(sub) : sub) * subWidth;
            for (int g = 0; g < subWidth / 4; g++) {
                __m512i a[2];
                for (int z = 0; z < NZ; z++) a[z] = _mm512_loadu_si512(av + g * ts + 16 * z);
                for (int r = 0; r < R; r++) {
                    int32_t word;
                    memcpy(&word, p->w[r] + weightOffset + 4 * g, 4);
                    const __m512i wb = _mm512_set1_epi32(word);
                    for (int z = 0; z < NZ; z++) sums[r][z] = _mm512_dpbusd_epi32(sums[r][z], wb, a[z]);
                }
            }
            for (int r = 0; r < R; r++) {
                const __m512 scale = _mm512_set1_ps(p->ws[r][sub]);
                for (int z = 0; z < NZ; z++)
                    blockAcc[r][z] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[r][z]), scale, blockAcc[r][z]);
            }
            if (hasMin) {
                for (int z = 0; z < NZ; z++) {
                    const __m512 m = _mm512_loadu_ps(acts->minSums + sub * ts + t0 + 16 * z);
                    for (int r = 0; r < R; r++)
                        blockAcc[r][z] = _mm512_fnmadd_ps(_mm512_set1_ps(p->wmin[r][sub]), m, blockAcc[r][z]);
                }
            }
        }
        for (int z = 0; z < NZ; z++) {
            const __m512 da = _mm512_loadu_ps(acts->scales + b * ts + t0 + 16 * z);
            for (int r = 0; r < R; r++) acc[r][z] = _mm512_fmadd_ps(blockAcc[r][z], da, acc[r][z]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int z = 0; z < NZ; z++) _mm512_storeu_ps(tile[r] + 16 * z, acc[r][z]);
}

typedef void (*tandem_expand_fn)(const uint8_t *, int64_t, uint8_t *, float *, float *);

// MARK: - Few tokens: rows in the lanes
//
// With few tokens the 16 token lanes above are mostly padding, so a one-token product
// costs as much as a sixteen-token one. For up to TANDEM_FEW_TOKENS tokens, 16 rows go
// together one chunk (a 256-column super-block, or two 32-column blocks) at a time: the
// chunk of each row is expanded into L1, then transposed so that one register holds the
// same four columns of the 16 rows (and one the same scale of the 16 rows), and each
// token's four activation bytes are broadcast. Q4_K and Q6_K skip the expansion: their
// packed quants are transposed as they are and split after. Each chunk also prefetches
// its share of the next 16 rows. The integer sums per sub-block are exact
// either way, and every (row, token) result goes through the same float operations in
// the same order as in the tiles above, so both paths give bit-identical results: a
// batch-invariant engine may use either.

#define TANDEM_FEW_TOKENS 8

/// Prefetches the next 16 rows into L2, a share per chunk of the current ones.
#define TANDEM_FEW_PREFETCH(p, bytes) \
    do { for (int64_t _o = 0; _o < (int64_t)(bytes); _o += 64) _mm_prefetch((p) + _o, _MM_HINT_T1); } while (0)

typedef struct {
    uint8_t *w[16];       // the chunk of each row, expanded
    float *scales[16];    // per row: scale per sub-block, then minimum per sub-block
    __m512i *transposed;  // [dword group of the chunk][16 rows]
    __m512 *scalesT;      // [scale index][16 rows]
} tandem_few_panel;

static TANDEM_AVX512 tandem_few_panel tandem_few_panel_in(void *scratch) {
    tandem_few_panel p;
    uint8_t *base = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    for (int i = 0; i < 16; i++) {
        p.w[i] = base + 256 * i;
        p.scales[i] = (float *)(base + 8192) + 32 * i;
    }
    p.transposed = (__m512i *)(base + 4096);
    p.scalesT = (__m512 *)(base + 8192 + 2048);
    return p;
}

/// out[j] lane i = rows[i] lane j, for 16 rows of 16 32-bit lanes.
TANDEM_INLINE TANDEM_AVX512 void tandem_transpose16(const __m512i rows[16], __m512i out[16]) {
    __m512i t[16], u[16];
    for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_unpacklo_epi32(rows[2 * k], rows[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_epi32(rows[2 * k], rows[2 * k + 1]);
    }
    // u[4k + c], 128-bit lane L: column 4L + c of rows 4k..4k+3.
    for (int k = 0; k < 4; k++) {
        u[4 * k] = _mm512_unpacklo_epi64(t[4 * k], t[4 * k + 2]);
        u[4 * k + 1] = _mm512_unpackhi_epi64(t[4 * k], t[4 * k + 2]);
        u[4 * k + 2] = _mm512_unpacklo_epi64(t[4 * k + 1], t[4 * k + 3]);
        u[4 * k + 3] = _mm512_unpackhi_epi64(t[4 * k + 1], t[4 * k + 3]);
    }
    // Column 4L + c gathers 128-bit lane L of u[c], u[4 + c], u[8 + c], u[12 + c].
    for (int c = 0; c < 4; c++) {
        const __m512i x0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x44);
        const __m512i x1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xEE);
        const __m512i x2 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x44);
        const __m512i x3 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xEE);
        out[c] = _mm512_shuffle_i32x4(x0, x2, 0x88);
        out[4 + c] = _mm512_shuffle_i32x4(x0, x2, 0xDD);
        out[8 + c] = _mm512_shuffle_i32x4(x1, x3, 0x88);
        out[12 + c] = _mm512_shuffle_i32x4(x1, x3, 0xDD);
    }
}

/// Expands `columns` columns (one chunk) of 16 rows and transposes bytes and scales.
/// `rows[i]` points at row i's chunk; minimums land right after the `subs` scales.
TANDEM_INLINE TANDEM_AVX512 void tandem_few_fill(const tandem_few_panel *p, tandem_expand_fn expand,
                                                 const uint8_t *rows[16], int64_t columns, int subs) {
    __m512i in[16];
    for (int i = 0; i < 16; i++) expand(rows[i], columns, p->w[i], p->scales[i], p->scales[i] + subs);
    for (int64_t c = 0; c < (columns + 63) / 64; c++) {
        for (int i = 0; i < 16; i++) in[i] = _mm512_load_si512(p->w[i] + 64 * c);
        tandem_transpose16(in, p->transposed + 16 * c);
    }
    for (int i = 0; i < 16; i++) in[i] = _mm512_load_si512(p->scales[i]);
    tandem_transpose16(in, (__m512i *)p->scalesT);
}

/// Q4_K without the expansion: the 16 rows' packed nibbles are transposed (half the
/// shuffles of expanded bytes) and split after, straight into logical sub-block order.
TANDEM_INLINE TANDEM_AVX512 void tandem_few_fill_q4_K(const tandem_few_panel *p, const uint8_t *rows[16]) {
    __m512i in[16], tr[16];
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 16; i++) {
            const tandem_block_q4_K *x = (const tandem_block_q4_K *)rows[i];
            in[i] = _mm512_loadu_si512(x->qs + 64 * k);
        }
        tandem_transpose16(in, tr);
        // Bytes 32c .. 32c+31 of these 64 hold sub-block 4k+2c (low nibbles) and 4k+2c+1 (high).
        for (int c = 0; c < 2; c++)
            for (int g = 0; g < 8; g++) {
                const __m512i q = tr[8 * c + g];
                p->transposed[(4 * k + 2 * c) * 8 + g] = _mm512_and_si512(q, low);
                p->transposed[(4 * k + 2 * c + 1) * 8 + g] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low);
            }
    }
    for (int i = 0; i < 16; i++) {
        const tandem_block_q4_K *x = (const tandem_block_q4_K *)rows[i];
        const __m512 scalesMins = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(tandem_kquant_scales_mins(x->scales)));
        in[i] = _mm512_castps_si512(_mm512_mul_ps(scalesMins, tandem_halves(tandem_h2f(x->d), tandem_h2f(x->dmin))));
    }
    tandem_transpose16(in, (__m512i *)p->scalesT);
}

/// Q6_K without the expansion: ql and qh are transposed as packed, then combined.
TANDEM_INLINE TANDEM_AVX512 void tandem_few_fill_q6_K(const tandem_few_panel *p, const uint8_t *rows[16]) {
    __m512i in[16], qh[16], ql[16];
    const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8(0x30);
    for (int i = 0; i < 16; i++) {
        in[i] = _mm512_loadu_si512(((const tandem_block_q6_K *)rows[i])->qh);
    }
    tandem_transpose16(in, qh);
    for (int h = 0; h < 2; h++) {
        for (int i = 0; i < 16; i++) in[i] = _mm512_loadu_si512(((const tandem_block_q6_K *)rows[i])->ql + 64 * h);
        tandem_transpose16(in, ql);
        // Element l (< 32) of this half and l + 64 share ql byte l; l + 32 and l + 96 share
        // byte 32 + l; all four take two bits of qh byte l.
        for (int g = 0; g < 8; g++) {
            const __m512i a = ql[g], b = ql[8 + g], q = qh[8 * h + g];
            __m512i *w = p->transposed + 32 * h + g;
            w[0] = _mm512_or_si512(_mm512_and_si512(a, low), _mm512_and_si512(_mm512_slli_epi16(q, 4), high));
            w[8] = _mm512_or_si512(_mm512_and_si512(b, low), _mm512_and_si512(_mm512_slli_epi16(q, 2), high));
            w[16] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(a, 4), low), _mm512_and_si512(q, high));
            w[24] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(b, 4), low),
                                    _mm512_and_si512(_mm512_srli_epi16(q, 2), high));
        }
    }
    for (int i = 0; i < 16; i++) {
        const tandem_block_q6_K *x = (const tandem_block_q6_K *)rows[i];
        const __m512 scales = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)x->scales)));
        in[i] = _mm512_castps_si512(_mm512_mul_ps(_mm512_set1_ps(tandem_h2f(x->d)), scales));
    }
    tandem_transpose16(in, (__m512i *)p->scalesT);
}

/// 16 rows × T tokens of a 32-element block type, two blocks per chunk; the float steps
/// of tandem_tile_q32.
TANDEM_INLINE TANDEM_AVX512 void tandem_few_q32(const tandem_few_panel *p, tandem_expand_fn expand,
                                                const uint8_t *rows[16], int64_t rowBytes,
                                                const tandem_interleaved *acts, const int T,
                                                const int offsetShift, const int hasMin, const char *prefetch,
                                                int64_t prefetchStep, __m512 acc[TANDEM_FEW_TOKENS]) {
    const int64_t ts = acts->tokenStride;
    const int64_t nb = acts->columns / 32;
    const int64_t blockBytes = rowBytes / nb;
    const int32_t *values = (const int32_t *)acts->values;
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t b0 = 0; b0 < nb; b0 += 2) {
        const int count = nb - b0 < 2 ? 1 : 2;
        if (prefetch) TANDEM_FEW_PREFETCH(prefetch + b0 / 2 * prefetchStep, prefetchStep);
        const uint8_t *chunk[16];
        for (int i = 0; i < 16; i++) chunk[i] = rows[i] + b0 * blockBytes;
        tandem_few_fill(p, expand, chunk, 32 * count, 2);
        for (int j = 0; j < count; j++) {
            const int64_t b = b0 + j;
            __m512i sums[TANDEM_FEW_TOKENS];
            for (int t = 0; t < T; t++) {
                sums[t] = _mm512_setzero_si512();
                if (offsetShift >= 0)
                    sums[t] = _mm512_sub_epi32(sums[t], _mm512_slli_epi32(_mm512_set1_epi32(acts->offsetSums[b * ts + t]), offsetShift));
            }
            for (int g = 0; g < 8; g++) {
                const __m512i w = _mm512_load_si512(p->transposed + 8 * j + g);
                for (int t = 0; t < T; t++)
                    sums[t] = _mm512_dpbusd_epi32(sums[t], w, _mm512_set1_epi32(values[(8 * b + g) * ts + t]));
            }
            for (int t = 0; t < T; t++)
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[t]),
                                         _mm512_mul_ps(p->scalesT[j], _mm512_set1_ps(acts->scales[b * ts + t])), acc[t]);
            if (hasMin)
                for (int t = 0; t < T; t++)
                    acc[t] = _mm512_fmadd_ps(p->scalesT[2 + j], _mm512_set1_ps(acts->minSums[b * ts + t]), acc[t]);
        }
    }
}

/// 16 rows × T tokens of a K-quant type, one super-block per chunk; the float steps of
/// tandem_tile_k.
TANDEM_INLINE TANDEM_AVX512 void tandem_few_k(const tandem_few_panel *p, tandem_expand_fn expand,
                                              const uint8_t *rows[16], int64_t rowBytes,
                                              const tandem_interleaved *acts, const int T,
                                              const int subWidth, const int permuted, const int offsetShift,
                                              const int hasMin, const int direct, const char *prefetch,
                                              int64_t prefetchStep, __m512 acc[TANDEM_FEW_TOKENS]) {
    const int64_t ts = acts->tokenStride;
    const int64_t nb = acts->columns / 256;
    const int64_t blockBytes = rowBytes / nb;
    const int32_t *values = (const int32_t *)acts->values;
    const int subsPerBlock = 256 / subWidth;
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *chunk[16];
        for (int i = 0; i < 16; i++) chunk[i] = rows[i] + b * blockBytes;
        if (prefetch) TANDEM_FEW_PREFETCH(prefetch + b * prefetchStep, prefetchStep);
        // `direct`: 4 or 6 fills Q4_K or Q6_K from the blocks, in logical order.
        if (direct == 4) tandem_few_fill_q4_K(p, chunk);
        else if (direct == 6) tandem_few_fill_q6_K(p, chunk);
        else tandem_few_fill(p, expand, chunk, 256, subsPerBlock);
        __m512 blockAcc[TANDEM_FEW_TOKENS];
        for (int t = 0; t < T; t++) blockAcc[t] = _mm512_setzero_ps();
        for (int s = 0; s < subsPerBlock; s++) {
            const int64_t sub = b * subsPerBlock + s;
            __m512i sums[TANDEM_FEW_TOKENS];
            for (int t = 0; t < T; t++) {
                sums[t] = _mm512_setzero_si512();
                if (offsetShift >= 0)
                    sums[t] = _mm512_sub_epi32(sums[t], _mm512_slli_epi32(_mm512_set1_epi32(acts->offsetSums[sub * ts + t]), offsetShift));
            }
            const int32_t *av = values + (sub * subWidth / 4) * ts;
            const __m512i *w = p->transposed + (permuted && !direct ? tandem_k_location(s) : s) * subWidth / 4;
            for (int g = 0; g < subWidth / 4; g++) {
                const __m512i wg = _mm512_load_si512(w + g);
                for (int t = 0; t < T; t++) sums[t] = _mm512_dpbusd_epi32(sums[t], wg, _mm512_set1_epi32(av[g * ts + t]));
            }
            for (int t = 0; t < T; t++)
                blockAcc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[t]), p->scalesT[s], blockAcc[t]);
            if (hasMin)
                for (int t = 0; t < T; t++)
                    blockAcc[t] = _mm512_fnmadd_ps(p->scalesT[subsPerBlock + s], _mm512_set1_ps(acts->minSums[sub * ts + t]), blockAcc[t]);
        }
        for (int t = 0; t < T; t++)
            acc[t] = _mm512_fmadd_ps(blockAcc[t], _mm512_set1_ps(acts->scales[b * ts + t]), acc[t]);
    }
}

/// The few-token path of one batched kernel: 16 rows at a time (the last one repeated
/// past `rowCount`), every token through them.
#define TANDEM_FEW_BODY(EXPAND, FEW_CALL, CHUNK_COLUMNS) \
    do { \
        const tandem_few_panel p = tandem_few_panel_in(scratch); \
        const tandem_expand_fn expandFn = EXPAND; \
        const int T = (int)acts->tokens; \
        for (int64_t r0 = 0; r0 < rowCount; r0 += 16) { \
            const int count = rowCount - r0 < 16 ? (int)(rowCount - r0) : 16; \
            const uint8_t *rows[16]; \
            for (int i = 0; i < 16; i++) rows[i] = (const uint8_t *)weights + (r0 + (i < count ? i : count - 1)) * rowBytes; \
            /* Spread prefetches of the next 16 rows (contiguous) over this group's chunks. */ \
            const int64_t nextRows = rowCount - (r0 + 16) < 16 ? rowCount - (r0 + 16) : 16; \
            const char *prefetch = nextRows > 0 ? (const char *)weights + (r0 + 16) * rowBytes : 0; \
            const int64_t chunks = (acts->columns + CHUNK_COLUMNS - 1) / CHUNK_COLUMNS; \
            const int64_t prefetchStep = nextRows > 0 ? (nextRows * rowBytes + chunks - 1) / chunks : 0; \
            __m512 acc[TANDEM_FEW_TOKENS]; \
            switch (T) { \
            case 1: FEW_CALL(1); break; \
            case 2: FEW_CALL(2); break; \
            case 3: FEW_CALL(3); break; \
            case 4: FEW_CALL(4); break; \
            case 5: FEW_CALL(5); break; \
            case 6: FEW_CALL(6); break; \
            case 7: FEW_CALL(7); break; \
            default: FEW_CALL(8); break; \
            } \
            const __mmask16 mask = (__mmask16)((1u << count) - 1); \
            for (int t = 0; t < T; t++) _mm512_mask_storeu_ps(out + t * outStride + r0, mask, acc[t]); \
        } \
    } while (0)

/// Expands rows four at a time (repeating the last row to fill a partial group) and runs
/// every token through them.
#define TANDEM_GEMM_BODY(EXPAND, TILE_CALL, MAX_NZ) \
    do { \
        tandem_panel p = tandem_panel_in(scratch, acts->columns); \
        const int64_t tokens = acts->tokens; \
        const int R = tokens <= 16 ? 8 : 4; \
        for (int64_t r0 = 0; r0 < rowCount; r0 += R) { \
            const int rows = rowCount - r0 < R ? (int)(rowCount - r0) : R; \
            for (int i = 0; i < R; i++) { \
                const int64_t r = r0 + (i < rows ? i : rows - 1); \
                EXPAND((const uint8_t *)weights + r * rowBytes, acts->columns, p.w[i], p.ws[i], p.wmin[i]); \
            } \
            /* While the first token pass runs, prefetch the next four rows (contiguous). */ \
            const int64_t nextRows = rowCount - (r0 + R) < R ? rowCount - (r0 + R) : R; \
            const char *nextBase = nextRows > 0 ? (const char *)weights + (r0 + R) * rowBytes : 0; \
            const int64_t scaleBlocks = acts->columns / (TILE_BLOCK); \
            const int64_t step = nextRows > 0 ? (nextRows * rowBytes + scaleBlocks - 1) / scaleBlocks : 0; \
            for (int64_t t0 = 0; t0 < tokens; t0 += 16 * MAX_NZ) { \
                const char *prefetch = t0 == 0 ? nextBase : 0; \
                const int64_t left = (tokens - t0 + 15) / 16; \
                const int nz = left < MAX_NZ ? (int)left : MAX_NZ; \
                float tile[TANDEM_PANEL_ROWS][48]; \
                if (R == 8) { TILE_CALL(8, 1); } \
                else switch (nz) { \
                case 3: TILE_CALL(4, 3); break; \
                case 2: TILE_CALL(4, 2); break; \
                default: TILE_CALL(4, 1); break; \
                } \
                tandem_store_tile(tile, rows, t0, tokens, nz, out + r0, outStride); \
            } \
        } \
    } while (0)

#define TANDEM_GEMM_Q32(type, SHIFT, HAS_MIN) \
TANDEM_AVX512 void tandem_avx512_gemm_##type(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                             const tandem_interleaved *acts, float *out, int64_t outStride, \
                                             void *scratch) { \
    if (acts->tokens <= TANDEM_FEW_TOKENS) \
        TANDEM_FEW_BODY(tandem_expand_##type, FEW_Q32, 64); \
    else \
        TANDEM_GEMM_BODY(tandem_expand_##type, TILE_Q32, 3); \
}
#define TILE_Q32(RR, NZ) tandem_tile_q32(&p, acts, t0, RR, NZ, SHIFT_ARG, MIN_ARG, tile, prefetch, step)
#define TILE_BLOCK 32
#define FEW_Q32(TT) tandem_few_q32(&p, expandFn, rows, rowBytes, acts, TT, SHIFT_ARG, MIN_ARG, prefetch, prefetchStep, acc)

#define SHIFT_ARG 3
#define MIN_ARG 0
TANDEM_GEMM_Q32(q4_0, 3, 0)
#undef SHIFT_ARG
#define SHIFT_ARG 4
TANDEM_GEMM_Q32(q5_0, 4, 0)
#undef SHIFT_ARG
#define SHIFT_ARG 7
TANDEM_GEMM_Q32(q8_0, 7, 0)
#undef SHIFT_ARG
#undef MIN_ARG
#define SHIFT_ARG -1
#define MIN_ARG 1
TANDEM_GEMM_Q32(q4_1, -1, 1)
TANDEM_GEMM_Q32(q5_1, -1, 1)
#undef SHIFT_ARG
#undef MIN_ARG

#undef TILE_BLOCK
#define TILE_BLOCK 256
#define FEW_K(TT) tandem_few_k(&p, expandFn, rows, rowBytes, acts, TT, K_WIDTH, K_PERMUTED, K_SHIFT, K_MIN, K_DIRECT, prefetch, prefetchStep, acc)
#define TILE_K(RR, NZ) tandem_tile_k(&p, acts, t0, RR, (NZ) > 2 ? 2 : (NZ), K_WIDTH, K_PERMUTED, K_SHIFT, K_MIN, tile, prefetch, step)
#define TANDEM_GEMM_K(type) \
TANDEM_AVX512 void tandem_avx512_gemm_##type(const void *weights, int64_t rowBytes, int64_t rowCount, \
                                             const tandem_interleaved *acts, float *out, int64_t outStride, \
                                             void *scratch) { \
    if (acts->tokens <= TANDEM_FEW_TOKENS) \
        TANDEM_FEW_BODY(tandem_expand_##type, FEW_K, 256); \
    else \
        TANDEM_GEMM_BODY(tandem_expand_##type, TILE_K, 2); \
}

#define K_WIDTH 32
#define K_PERMUTED 1
#define K_SHIFT -1
#define K_MIN 1
#define K_DIRECT 4
TANDEM_GEMM_K(q4_K)
#undef K_DIRECT
#define K_DIRECT 0
TANDEM_GEMM_K(q5_K)
#undef K_WIDTH
#undef K_PERMUTED
#undef K_SHIFT
#undef K_MIN
#undef K_DIRECT
#define K_WIDTH 16
#define K_PERMUTED 0
#define K_SHIFT 5
#define K_MIN 0
#define K_DIRECT 6
TANDEM_GEMM_K(q6_K)
