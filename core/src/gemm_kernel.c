/* The matrix product's inner loops, compiled once per instruction set (core/
 * meson.build builds this file with -DGEMM_ISA_AVX512=1, -DGEMM_ISA_AVX2=1 or
 * -DGEMM_ISA_PORTABLE=1 and each set's flags): GCC's vector extensions become zmm, ymm or xmm code,
 * and a * b + c one fused multiply-add. Only gemm.c calls these, and only
 * the instruction set cpu_isa_choose picked.
 *
 * A register tile of MR rows x NR = 2 vectors of C stays in registers while
 * the product runs down k: each step loads two vectors of B's packed panel
 * and broadcasts one element of A per row. */
#include <stddef.h>
#include <string.h>

#include "gemm.h"

#if GEMM_ISA_AVX512
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
#define NR (2 * VW)

typedef float Vec __attribute__((vector_size(VW * sizeof(float))));

static Vec load(const float *p)
{
    Vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void store(float *p, Vec v) { memcpy(p, &v, sizeof v); }

/* lo, hi [rows] += a[rows x k] . bp[k x NR]; inlined, so that a constant
 * `rows` (the full register tile) unrolls into registers */
static inline __attribute__((always_inline)) void run_down_k(int rows, int k, const float *a,
                                                             ptrdiff_t a_rows, ptrdiff_t a_cols,
                                                             const float *bp, Vec *lo, Vec *hi)
{
    for (int p = 0; p < k; p++, bp += NR) {
        const Vec b0 = load(bp), b1 = load(bp + VW);
        for (int r = 0; r < rows; r++) {
            const float ar = a[r * a_rows + p * a_cols];
            lo[r] += ar * b0;
            hi[r] += ar * b1;
        }
    }
}

/* c[mr x nr] (+)= a[mr x k] . bp[k x NR] (+ bias), mr <= MR, nr <= NR; bp
 * is a packed panel (NR floats a step, zero past nr), bias NR floats or NULL */
static void micro_tile(int mr, int nr, int k, const float *a, ptrdiff_t a_rows, ptrdiff_t a_cols,
                       const float *bp, const float *bias, float *c, ptrdiff_t ldc, int accumulate)
{
    Vec lo[MR], hi[MR];
    const Vec bias_lo = bias ? load(bias) : (Vec){0}, bias_hi = bias ? load(bias + VW) : (Vec){0};
    for (int r = 0; r < MR; r++) {
        lo[r] = bias_lo;
        hi[r] = bias_hi;
    }
    if (mr == MR) run_down_k(MR, k, a, a_rows, a_cols, bp, lo, hi); /* the common case */
    else run_down_k(mr, k, a, a_rows, a_cols, bp, lo, hi);
    for (int r = 0; r < mr; r++) {
        float *row = c + r * ldc;
        if (nr == NR) {
            if (accumulate) {
                lo[r] += load(row);
                hi[r] += load(row + VW);
            }
            store(row, lo[r]);
            store(row + VW, hi[r]);
        } else {
            float tile[NR];
            store(tile, lo[r]);
            store(tile + VW, hi[r]);
            for (int j = 0; j < nr; j++) row[j] = accumulate ? row[j] + tile[j] : tile[j];
        }
    }
}

void KERNEL(const GemmShape *s, const float *packed_b, int i0, int i1, int jp, int p_begin, int p_end)
{
    float panel[GEMM_KC * NR] __attribute__((aligned(64))), bias[NR];
    const int j0 = jp * NR, nr = s->n - j0 < NR ? s->n - j0 : NR;
    for (int j = 0; j < NR; j++) bias[j] = s->bias && j < nr ? s->bias[j0 + j] : 0.0f;
    for (int p0 = p_begin; p0 < p_end; p0 += GEMM_KC) {
        const int kc = p_end - p0 < GEMM_KC ? p_end - p0 : GEMM_KC;
        const float *bp = packed_b ? packed_b + ((ptrdiff_t)jp * s->k + p0) * NR : panel;
        if (!packed_b) gemm_pack_panel(panel, NR, &s->b, p0, kc, j0, nr);
        const int accumulate = s->accumulate || p0 > 0;
        for (int i = i0; i < i1; i += MR) {
            const int mr = i1 - i < MR ? i1 - i : MR;
            micro_tile(mr, nr, kc, s->a.data + (ptrdiff_t)i * s->a.rows + (ptrdiff_t)p0 * s->a.cols,
                       s->a.rows, s->a.cols, bp, s->bias && p0 == 0 ? bias : NULL,
                       s->c + (ptrdiff_t)i * s->ldc + j0, s->ldc, accumulate);
        }
    }
}
