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
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "threads.h"

typedef void (*GemmTile)(const GemmShape *s, const float *packed_b, int i0, int i1, int jp,
                         int p_begin, int p_end);

/* a kernel, its panel width and its register tile's rows */
typedef struct GemmKernel {
    GemmTile tile;
    int panel, micro_rows;
} GemmKernel;

static const GemmKernel kernels[CPU_ISA_COUNT] = {
    [CPU_ISA_PORTABLE] = {gemm_tile_portable, 8, 6},
#if CPU_X86
    [CPU_ISA_AVX2] = {gemm_tile_avx2, 16, 6},
    [CPU_ISA_AVX512] = {gemm_tile_avx512, 32, 12},
#endif
};

#if CPU_X86
/* AVX-512 for products at most 16 columns wide (a small model's output
 * layer, its perception's input gradient): a panel of one vector, where
 * the two-vector panel would multiply zeros in half its lanes */
static const GemmKernel avx512_narrow = {gemm_tile_avx512_narrow, 16, 12};
#endif

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

/* How C is cut: row blocks of `rows` (the last one shorter) by panels. */
typedef struct Tiling {
    int rows, panels, tiles;
} Tiling;

/* A row block reuses each packed panel of B over all its rows, so blocks
 * are long (up to TILE_ROWS, whose A still sits in L2), and cut equal,
 * `per_thread` tiles a thread where the rows allow, so that the threads
 * finish together. A deep product reads B's block anew for
 * each row block: it asks for one tile a thread. Any cut gives the same
 * bits: each element of C is summed down k in the same blocks. */
enum { TILE_ROWS = 192, TALL_TILES_PER_THREAD = 4 };

static int div_up(int a, int b) { return (a + b - 1) / b; }

static Tiling tiling(const GemmShape *s, const GemmKernel *kern, int threads, int per_thread)
{
    Tiling t = {.panels = div_up(s->n, kern->panel)};
    int blocks = div_up(s->m, TILE_ROWS);
    const int wanted = threads > 1 ? div_up(per_thread * threads, t.panels) : 1;
    const int most = div_up(s->m, kern->micro_rows);
    if (blocks < wanted) blocks = wanted < most ? wanted : most;
    t.rows = div_up(div_up(s->m, blocks), kern->micro_rows) * kern->micro_rows;
    t.tiles = div_up(s->m, t.rows) * t.panels;
    return t;
}

static void tile_bounds(const GemmShape *s, const Tiling *t, int tile, int *i0, int *i1, int *jp)
{
    *i0 = tile / t->panels * t->rows;
    *i1 = s->m - *i0 < t->rows ? s->m : *i0 + t->rows;
    *jp = tile % t->panels;
}

int gemm_k_block(const GemmShape *s)
{
    return s->a.runs ? GEMM_KC / s->a.run * s->a.run : GEMM_KC;
}

void gemm_pack_panel(float *bp, int width, const GemmOperand *b, int p0, int kc, int j0, int nr)
{
    if (b->runs) { /* a gathered B: each row's columns copied a run's piece at a time */
        for (int p = 0; p < kc; p++) {
            const float *const *row = b->runs + (ptrdiff_t)(p0 + p) * b->per_row;
            float *dst = bp + (size_t)p * width;
            for (int j = 0; j < nr;) {
                const int at = (j0 + j) % b->run, len = b->run - at < nr - j ? b->run - at : nr - j;
                memcpy(dst + j, row[(j0 + j) / b->run] + at, (size_t)len * sizeof(float));
                j += len;
            }
            for (int j = nr; j < width; j++) dst[j] = 0.0f;
        }
        return;
    }
    const float *first = b->data + (ptrdiff_t)p0 * b->rows + (ptrdiff_t)j0 * b->cols;
    if (b->cols == 1) { /* B's rows are contiguous: copied row by row */
        for (int p = 0; p < kc; p++) {
            memcpy(bp + (size_t)p * width, first + (ptrdiff_t)p * b->rows, (size_t)nr * sizeof(float));
            for (int j = nr; j < width; j++) bp[(size_t)p * width + j] = 0.0f;
        }
        return;
    }
    /* a transposed B's columns are contiguous: read column by column */
    for (int j = 0; j < width; j++)
        for (int p = 0; p < kc; p++)
            bp[(size_t)p * width + j] = j < nr ? first[(ptrdiff_t)j * b->cols + (ptrdiff_t)p * b->rows] : 0.0f;
}

/* B as the kernel's panels (gemm_tile_*'s packed_b), or NULL: a tall
 * product's B is a layer's weight, small, packed once for all row blocks
 * rather than once for each; with one row block, or when memory is short,
 * each tile packs its own. */
static float *pack_b(const GemmShape *s, const GemmKernel *kern, const Tiling *t)
{
    if (t->tiles == t->panels) return NULL;
    const int width = kern->panel;
    float *packed = malloc((size_t)t->panels * s->k * width * sizeof(float));
    if (!packed) return NULL;
    for (int jp = 0; jp < t->panels; jp++) {
        const int j0 = jp * width, nr = s->n - j0 < width ? s->n - j0 : width;
        gemm_pack_panel(packed + (size_t)jp * s->k * width, width, &s->b, 0, s->k, j0, nr);
    }
    return packed;
}

/* tiles [first, end) of a tall product, each over the whole sum */
static void tall_tiles(long first, long end, const GemmShape *s, const GemmKernel *kern,
                       const Tiling *t, const float *packed)
{
    for (int tile = (int)first; tile < end; tile++) {
        int i0, i1, jp;
        tile_bounds(s, t, tile, &i0, &i1, &jp);
        kern->tile(s, packed, i0, i1, jp, 0, s->k);
    }
}

static void gemm_tall(const GemmShape *s, const GemmKernel *kern, const Tiling *t, int threads)
{
    float *packed = pack_b(s, kern, t);
    TEAM_RANGES(threads, t->tiles, tall_tiles, s, kern, t, packed);
    free(packed);
}

/* tiles [first, end) of a deep product, a block of the sum at a time */
static void deep_tiles(long first, long end, const GemmShape *s, const GemmKernel *kern,
                       const Tiling *t)
{
    const int kb = gemm_k_block(s);
    for (int p0 = 0; p0 < s->k; p0 += kb)
        for (int tile = (int)first; tile < end; tile++) {
            int i0, i1, jp;
            tile_bounds(s, t, tile, &i0, &i1, &jp);
            kern->tile(s, NULL, i0, i1, jp, p0, s->k - p0 < kb ? s->k : p0 + kb);
        }
}

static void gemm_deep(const GemmShape *s, const GemmKernel *kern, const Tiling *t, int threads)
{
    TEAM_RANGES(threads, t->tiles, deep_tiles, s, kern, t);
}

void gemm(const GemmShape *s)
{
    if (s->m <= 0 || s->n <= 0) return;
    const CpuIsa isa = gemm_isa();
    const GemmKernel *kern = &kernels[isa];
#if CPU_X86
    if (isa == CPU_ISA_AVX512 && s->n <= avx512_narrow.panel) kern = &avx512_narrow;
#endif
    const int threads = loop_team((long)s->m * s->n * s->k, GEMM_PARALLEL_MACS);
    const int deep = s->k > s->m;
    const Tiling t = tiling(s, kern, threads, deep ? 1 : TALL_TILES_PER_THREAD);
    if (deep) gemm_deep(s, kern, &t, t.tiles > 1 ? threads : 1);
    else gemm_tall(s, kern, &t, t.tiles > 1 ? threads : 1);
}
