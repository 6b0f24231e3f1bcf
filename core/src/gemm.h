/* Internal: the matrix product the layers run on, with kernels of this
 * project's own for each instruction set (gemm_kernel.c), chosen at run time.
 *
 *   C[m, n] = A[m, k] . B[k, n] (+ bias[n], broadcast over the rows) (+ C with accumulate)
 *             (+ add[m, n]), then ELU where asked
 *             (x elu'[m, n]: ELU's derivative at its outputs, where given)
 *
 * The last three are a layer's residual and activation, and the
 * activation's backward, done while the tile is in registers rather than as
 * another pass over memory.
 * C is row-major with row stride ldc. A and B are read through strides, so
 * that a matrix and its transpose are read alike: element (r, c) of an
 * operand is data[r * rows + c * cols] (a row-major matrix: rows = its row
 * stride, cols = 1; its transpose: rows = 1, cols = the row stride).
 * Or gathered: each row is `per_row` runs of `run` floats found anywhere
 * (a convolution's taps, read where they lie instead of copied by im2col):
 * element (r, c) is runs[r * per_row + c / run][c % run]. A gathered A's
 * k, and a gathered B's n, is per_row * run floats, run <= GEMM_KC. */
#ifndef VNCA_GEMM_H
#define VNCA_GEMM_H

#include <stddef.h>

#include "cpu.h"

typedef struct GemmOperand {
    const float *data;
    ptrdiff_t rows, cols;
    const float *const *runs; /* gathered when not NULL (data unused) */
    int run, per_row;
} GemmOperand;

/* a row-major matrix with rows of row_len floats, its transpose, and rows
 * gathered from runs */
static inline GemmOperand gemm_matrix(const float *data, ptrdiff_t row_len)
{
    return (GemmOperand){.data = data, .rows = row_len, .cols = 1};
}
static inline GemmOperand gemm_transposed(const float *data, ptrdiff_t row_len)
{
    return (GemmOperand){.data = data, .rows = 1, .cols = row_len};
}
static inline GemmOperand gemm_gathered(const float *const *runs, int per_row, int run)
{
    return (GemmOperand){.runs = runs, .run = run, .per_row = per_row};
}

typedef struct GemmShape {
    int m, n, k;
    GemmOperand a, b;
    const float *bias;   /* [n] or NULL */
    float *c;
    ptrdiff_t ldc;
    int accumulate;
    const float *add;    /* [m, n], row stride ldc, or NULL; not C itself */
    int elu;
    const float *elu_out; /* [m, n], row stride ldc, ELU outputs y, or NULL: C is
                           * multiplied by y > 0 ? 1 : y + 1; not C itself */
} GemmShape;

/* The product (m, n, k > 0), on the OpenMP threads when it is large enough. The result
 * does not depend on the thread count: every element of C is summed by one
 * thread, down k in the same order. */
void gemm(const GemmShape *s);

/* The instruction set gemm runs (cpu_isa_choose's, or the widest this CPU
 * runs when VNCA_ISA is not valid; vnca_workspace_new refuses that case). */
CpuIsa gemm_isa(void);

/* ---- for gemm.c: the kernels of gemm_kernel.c ---------------------------- */

/* k is taken in blocks of GEMM_KC, B's packed panel of each on the stack */
#define GEMM_KC 256

/* The block of k a product takes: GEMM_KC, or as many whole runs of a
 * gathered A as it holds, so that a block never splits a run. */
int gemm_k_block(const GemmShape *s);

/* B's rows [p0, p0 + kc) of columns [j0, j0 + nr) as a panel of `width`
 * floats a row (a kernel's NR), zero past nr */
void gemm_pack_panel(float *bp, int width, const GemmOperand *b, int p0, int kc, int j0, int nr);

/* Rows [i0, i1) of C, columns [jp * NR, jp * NR + NR) (NR the set's panel
 * width, 2 vectors or one), the terms [p_begin, p_end) of its sums (p_begin a
 * multiple of gemm_k_block, the terms before it already in C). packed_b: all of
 * B as panels, panel jp's row p at (jp * k + p) * NR, zero past n; NULL:
 * the tile reads the rows of B it needs in place where they are contiguous
 * and the panel full, else packs them itself. */
void gemm_tile_portable(const GemmShape *s, const float *packed_b, int i0, int i1, int jp,
                        int p_begin, int p_end);
#if CPU_X86
void gemm_tile_avx2(const GemmShape *s, const float *packed_b, int i0, int i1, int jp,
                    int p_begin, int p_end);
void gemm_tile_avx512(const GemmShape *s, const float *packed_b, int i0, int i1, int jp,
                      int p_begin, int p_end);
/* AVX-512 with a panel of one vector (NR = 16), for products at most 16
 * columns wide */
void gemm_tile_avx512_narrow(const GemmShape *s, const float *packed_b, int i0, int i1, int jp,
                             int p_begin, int p_end);
#endif

#endif
