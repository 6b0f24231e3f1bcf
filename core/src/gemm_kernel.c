/* The matrix product's inner loops, compiled once per instruction set (core/
 * meson.build builds this file with -DGEMM_ISA_AVX512=1, -DGEMM_ISA_AVX2=1 or
 * -DGEMM_ISA_PORTABLE=1 and each set's flags): GCC's vector extensions become zmm, ymm or xmm code,
 * and a * b + c one fused multiply-add. Only gemm.c calls these, and only
 * the instruction set cpu_isa_choose picked.
 *
 * A register tile of MR rows x NR = 2 vectors of C (1 in the narrow AVX-512
 * build, -DGEMM_NARROW=1) stays in registers while
 * the product runs down k: each step loads two vectors of B's panel and
 * broadcasts one element of A per row (read through strides, or from a
 * gathered row's runs); then the tile is finished (bias,
 * accumulation, residual, ELU or ELU's derivative) and stored. */
#include <stddef.h>
#include <string.h>
#if GEMM_ISA_AVX512 || GEMM_ISA_AVX2
#include <immintrin.h>
#endif

#include "elu.h"
#include "gemm.h"

#if GEMM_ISA_AVX512 && GEMM_NARROW
#define VW 16
#define VECTORS 1 /* a panel of one vector: products at most 16 columns wide */
#define MR 12     /* 12 accumulators: the row pointers of a gathered A fit in registers */
#define KERNEL gemm_tile_avx512_narrow
#elif GEMM_ISA_AVX512
#define VW 16
#define MR 12 /* 24 accumulators of the 32 zmm registers */
#define KERNEL gemm_tile_avx512
#elif GEMM_ISA_AVX2
#define VW 8
#define MR 6 /* 12 accumulators of the 16 ymm registers */
#define KERNEL gemm_tile_avx2
#else
#define VW 4
#define MR 6
#define KERNEL gemm_tile_portable
#endif
#ifndef VECTORS
#define VECTORS 2
#endif
#define NR (VECTORS * VW)

typedef float Vec __attribute__((vector_size(VW * sizeof(float))));

static Vec load(const float *p)
{
    Vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void store(float *p, Vec v) { memcpy(p, &v, sizeof v); }

/* The first n <= VW lanes, for a panel's last columns; masked where the set
 * has masks: a loop of scalars would stall the vector that reads them back. */
#if GEMM_ISA_AVX512
static __mmask16 first_lanes(int n) { return (__mmask16)((1u << n) - 1); }
static Vec masked_load(const float *p, int n) { return (Vec)_mm512_maskz_loadu_ps(first_lanes(n), p); }
static void masked_store(float *p, Vec v, int n) { _mm512_mask_storeu_ps(p, first_lanes(n), (__m512)v); }
#elif GEMM_ISA_AVX2
static __m256i first_lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static Vec masked_load(const float *p, int n) { return (Vec)_mm256_maskload_ps(p, first_lanes(n)); }
static void masked_store(float *p, Vec v, int n) { _mm256_maskstore_ps(p, first_lanes(n), (__m256)v); }
#else
static Vec masked_load(const float *p, int n)
{
    Vec v = {0};
    for (int j = 0; j < n; j++) v[j] = p[j];
    return v;
}
static void masked_store(float *p, Vec v, int n)
{
    for (int j = 0; j < n; j++) p[j] = v[j];
}
#endif

static Vec load_first(const float *p, int n)
{
    if (n == VW) return load(p);
    return n > 0 ? masked_load(p, n) : (Vec){0};
}

static void store_first(float *p, Vec v, int n)
{
    if (n == VW) store(p, v);
    else if (n > 0) masked_store(p, v, n);
}

/* lo, hi [rows] += a[rows x k] . bp[k x NR]; inlined, so that a constant
 * `rows` (the full register tile) unrolls into registers */
static inline __attribute__((always_inline)) void run_down_k(int rows, int k, const float *a,
                                                             ptrdiff_t a_rows, ptrdiff_t a_cols,
                                                             const float *bp, ptrdiff_t b_step,
                                                             Vec *lo, Vec *hi)
{
    for (int p = 0; p < k; p++, bp += b_step) {
        const Vec b0 = load(bp), b1 = VECTORS > 1 ? load(bp + VW) : (Vec){0};
        for (int r = 0; r < rows; r++) {
            const float ar = a[r * a_rows + p * a_cols];
            lo[r] += ar * b0;
            if (VECTORS > 1) hi[r] += ar * b1;
        }
    }
}

/* The same for a gathered A: row r's k terms at rowp[r] (one run each) */
static inline __attribute__((always_inline)) void run_down_runs(int rows, int k,
                                                                const float *const *rowp,
                                                                const float *bp, ptrdiff_t b_step,
                                                                Vec *lo, Vec *hi)
{
    for (int p = 0; p < k; p++, bp += b_step) {
        const Vec b0 = load(bp), b1 = VECTORS > 1 ? load(bp + VW) : (Vec){0};
        for (int r = 0; r < rows; r++) {
            const float ar = rowp[r][p];
            lo[r] += ar * b0;
            if (VECTORS > 1) hi[r] += ar * b1;
        }
    }
}

/* What becomes of a register tile's sums: the bias they start from (NR
 * floats, or NULL), C's old values when accumulating, then the residual
 * `add` (C's layout), ELU and the factor of ELU's derivative at `elu_out`
 * (C's layout), which only the last block of k applies. */
typedef struct TileFinish {
    const float *bias;
    int accumulate;
    const float *add;
    int elu;
    const float *elu_out;
} TileFinish;

/* ELU of each lane, or ELU's derivative at each lane (an ELU output), by
 * elu.h's functions (their multiply-adds fused here, so ELU is within a
 * rounding of elu_forward's) */
static inline __attribute__((always_inline)) Vec each_lane(Vec v, int slope)
{
    float x[VW];
    store(x, v);
    #pragma omp simd
    for (int j = 0; j < VW; j++) x[j] = slope ? elu_slope(x[j]) : elu(x[j]);
    return load(x);
}

/* One vector of a tile's row, its first n lanes C's: finished as f says
 * (add and elu_out at the same place in their matrices) and stored. */
static inline __attribute__((always_inline)) void finish_vector(Vec v, float *c, const float *add,
                                                                const float *elu_out, int n,
                                                                const TileFinish *f)
{
    if (f->accumulate) v += load_first(c, n);
    if (add) v += load_first(add, n);
    if (f->elu) v = each_lane(v, 0);
    if (elu_out) v *= each_lane(load_first(elu_out, n), 1);
    store_first(c, v, n);
}

/* c[mr x nr] = a[mr x k] . bp[k x NR], finished as f says; mr <= MR, nr <= NR;
 * a is the tile's first row and term (gathered: k whole runs); bp is B's
 * panel, a row every b_step floats (packed: NR, zero past nr) */
static void micro_tile(int mr, int nr, int k, const GemmOperand *a, const float *bp,
                       ptrdiff_t b_step, float *c, ptrdiff_t ldc, const TileFinish *f)
{
    Vec lo[MR], hi[MR];
    const Vec bias_lo = f->bias ? load(f->bias) : (Vec){0};
    const Vec bias_hi = f->bias && VECTORS > 1 ? load(f->bias + VW) : (Vec){0};
    for (int r = 0; r < MR; r++) {
        lo[r] = bias_lo;
        hi[r] = bias_hi;
    }
    if (a->runs) {
        for (int q = 0; q < k; q += a->run) {
            const float *rowp[MR];
            for (int r = 0; r < mr; r++) rowp[r] = a->runs[r * a->per_row + q / a->run];
            if (mr == MR) run_down_runs(MR, a->run, rowp, bp + q * b_step, b_step, lo, hi);
            else run_down_runs(mr, a->run, rowp, bp + q * b_step, b_step, lo, hi);
        }
    } else if (mr == MR) { /* the common case */
        run_down_k(MR, k, a->data, a->rows, a->cols, bp, b_step, lo, hi);
    } else {
        run_down_k(mr, k, a->data, a->rows, a->cols, bp, b_step, lo, hi);
    }
    const int n_lo = nr < VW ? nr : VW, n_hi = nr - n_lo;
    for (int r = 0; r < mr; r++) {
        const ptrdiff_t at = r * ldc;
        finish_vector(lo[r], c + at, f->add ? f->add + at : NULL,
                      f->elu_out ? f->elu_out + at : NULL, n_lo, f);
        if (VECTORS > 1)
            finish_vector(hi[r], c + at + VW, f->add ? f->add + at + VW : NULL,
                          f->elu_out ? f->elu_out + at + VW : NULL, n_hi, f);
    }
}

void KERNEL(const GemmShape *s, const float *packed_b, int i0, int i1, int jp, int p_begin, int p_end)
{
    /* B's rows [p0, p0 + kc) of this panel: packed once for the product
     * (packed_b), or read in place where they are contiguous and the panel
     * full (B streamed once, as a weight gradient's activations are), or
     * packed here */
    float panel[GEMM_KC * NR] __attribute__((aligned(64))), bias[NR];
    const int j0 = jp * NR, nr = s->n - j0 < NR ? s->n - j0 : NR;
    for (int j = 0; j < NR; j++) bias[j] = s->bias && j < nr ? s->bias[j0 + j] : 0.0f;
    const int kb = gemm_k_block(s);
    for (int p0 = p_begin; p0 < p_end; p0 += kb) {
        const int kc = p_end - p0 < kb ? p_end - p0 : kb;
        const float *bp = panel;
        ptrdiff_t b_step = NR;
        if (packed_b) bp = packed_b + ((ptrdiff_t)jp * s->k + p0) * NR;
        else if (!s->b.runs && s->b.cols == 1 && nr == NR) {
            bp = s->b.data + (ptrdiff_t)p0 * s->b.rows + j0;
            b_step = s->b.rows;
        } else gemm_pack_panel(panel, NR, &s->b, p0, kc, j0, nr);
        const int last = p0 + kc == s->k;
        for (int i = i0; i < i1; i += MR) {
            const int mr = i1 - i < MR ? i1 - i : MR;
            const ptrdiff_t at = (ptrdiff_t)i * s->ldc + j0;
            const TileFinish f = {.bias = s->bias && p0 == 0 ? bias : NULL,
                                  .accumulate = s->accumulate || p0 > 0,
                                  .add = last && s->add ? s->add + at : NULL,
                                  .elu = last && s->elu,
                                  .elu_out = last && s->elu_out ? s->elu_out + at : NULL};
            GemmOperand a = s->a;
            if (a.runs) a.runs += (ptrdiff_t)i * a.per_row + p0 / a.run;
            else a.data += (ptrdiff_t)i * a.rows + (ptrdiff_t)p0 * a.cols;
            micro_tile(mr, nr, kc, &a, bp, b_step, s->c + at, s->ldc, &f);
        }
    }
}
