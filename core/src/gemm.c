/* The matrix product: C split into tiles of rows x one panel of columns,
 * the tiles shared among the threads, each computed by the chosen
 * instruction set's kernel (gemm_kernel.c). */
#include <pthread.h>

#include "gemm.h"

typedef void (*GemmTile)(const GemmShape *s, int i0, int i1, int jp);

/* a kernel, its panel width, and the rows a tile takes (a multiple of its
 * register tile's, enough to reuse a packed panel of B many times) */
typedef struct GemmKernel {
    GemmTile tile;
    int panel, tile_rows;
} GemmKernel;

static const GemmKernel kernels[CPU_ISA_COUNT] = {
    [CPU_ISA_PORTABLE] = {gemm_tile_portable, 8, 96},
#if CPU_X86
    [CPU_ISA_AVX2] = {gemm_tile_avx2, 16, 96},
    [CPU_ISA_AVX512] = {gemm_tile_avx512, 32, 96},
#endif
};

static CpuIsa chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose(void)
{
    if (cpu_isa_choose(&chosen, NULL)) chosen = cpu_isa_widest();
}

CpuIsa gemm_isa(void)
{
    pthread_once(&chosen_once, choose);
    return chosen;
}

/* below this many multiply-adds the threads cost more than they save */
#define GEMM_PARALLEL_MACS (1L << 18)

void gemm(const GemmShape *s)
{
    if (s->m <= 0 || s->n <= 0) return;
    const GemmKernel *kern = &kernels[gemm_isa()];
    const int row_tiles = (s->m + kern->tile_rows - 1) / kern->tile_rows;
    const int panels = (s->n + kern->panel - 1) / kern->panel, tiles = row_tiles * panels;
    const long macs = (long)s->m * s->n * s->k;
    #pragma omp parallel for schedule(static) if (macs >= GEMM_PARALLEL_MACS && tiles > 1)
    for (int t = 0; t < tiles; t++) {
        const int i0 = t / panels * kern->tile_rows, jp = t % panels;
        const int i1 = s->m - i0 < kern->tile_rows ? s->m : i0 + kern->tile_rows;
        kern->tile(s, i0, i1, jp);
    }
}
