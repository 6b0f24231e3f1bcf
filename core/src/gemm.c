/* The matrix product: C split into tiles of rows x one panel of columns,
 * the tiles shared among the threads, each computed by the chosen
 * instruction set's kernel (gemm_kernel.c).
 *
 * Two orders. A tall product (the layers' forward pass and input gradients:
 * many rows, a short sum) finishes one tile before the next, so that its
 * rows of A stay in cache across the panels. A deep product (the weight
 * gradients: a small C summed over every cell of the batch) takes the sum
 * in blocks and runs each block over all of its tiles, so that the block of
 * A and B is read from memory once, not once per tile. */
#include <pthread.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "gemm.h"
#include "threads.h"

typedef void (*GemmTile)(const GemmShape *s, int i0, int i1, int jp, int p_begin, int p_end);

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

static void tile_bounds(const GemmShape *s, const GemmKernel *kern, int t, int panels, int *i0,
                        int *i1, int *jp)
{
    *i0 = t / panels * kern->tile_rows;
    *i1 = s->m - *i0 < kern->tile_rows ? s->m : *i0 + kern->tile_rows;
    *jp = t % panels;
}

static void gemm_tall(const GemmShape *s, const GemmKernel *kern, int tiles, int panels, int parallel)
{
    #pragma omp parallel for schedule(static) if (parallel) num_threads(team_size())
    for (int t = 0; t < tiles; t++) {
        int i0, i1, jp;
        tile_bounds(s, kern, t, panels, &i0, &i1, &jp);
        kern->tile(s, i0, i1, jp, 0, s->k);
    }
}

static void gemm_deep(const GemmShape *s, const GemmKernel *kern, int tiles, int panels, int parallel)
{
    #pragma omp parallel if (parallel) num_threads(team_size())
    {
        int first = 0, end = tiles;
#ifdef _OPENMP
        const int threads = omp_get_num_threads(), id = omp_get_thread_num();
        first = (int)((long)tiles * id / threads);
        end = (int)((long)tiles * (id + 1) / threads);
#endif
        for (int p0 = 0; p0 < s->k; p0 += GEMM_KC)
            for (int t = first; t < end; t++) {
                int i0, i1, jp;
                tile_bounds(s, kern, t, panels, &i0, &i1, &jp);
                kern->tile(s, i0, i1, jp, p0, s->k - p0 < GEMM_KC ? s->k : p0 + GEMM_KC);
            }
    }
}

void gemm(const GemmShape *s)
{
    if (s->m <= 0 || s->n <= 0) return;
    CpuIsa isa = gemm_isa();
#if CPU_X86
    /* a product no wider than an AVX2 panel would leave half of each AVX-512
     * panel's multiply-adds on zeros (the same sums, the same bits) */
    if (isa == CPU_ISA_AVX512 && s->n <= kernels[CPU_ISA_AVX2].panel) isa = CPU_ISA_AVX2;
#endif
    const GemmKernel *kern = &kernels[isa];
    const int row_tiles = (s->m + kern->tile_rows - 1) / kern->tile_rows;
    const int panels = (s->n + kern->panel - 1) / kern->panel, tiles = row_tiles * panels;
    const int parallel = (long)s->m * s->n * s->k >= GEMM_PARALLEL_MACS && tiles > 1;
    if (s->k > s->m) gemm_deep(s, kern, tiles, panels, parallel);
    else gemm_tall(s, kern, tiles, panels, parallel);
}
