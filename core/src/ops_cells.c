/* Operations on grids of cells: division (nearest 2x), damage, and fixed Sobel
 * perception, with their adjoints. */
#include <string.h>

#include "simd.h"
#include "threads.h"
#include "vnca/ops.h"
#include "vnca/vnca.h"

/* rows [first, end) of the divided grid, each row of n x 2g */
RANGE_INLINE void divide_rows(long first, long end, float *out, const float *in, int g, int c)
{
    const int g2 = 2 * g;
    for (long row = first; row < end; row++) {
        const long img = row / g2, y = row % g2;
        const float *src_row = in + ((size_t)img * g + y / 2) * g * c;
        float *dst = out + (size_t)row * g2 * c;
        for (int x = 0; x < g2; x++) memcpy(dst + (size_t)x * c, src_row + (size_t)(x / 2) * c,
                                            (size_t)c * sizeof(float));
    }
}

void divide_forward(float *out, const float *in, int n, int g, int c)
{
    PARALLEL_RANGES((long)n * 2 * g, 4L * n * g * g * c, 65536, divide_rows, out, in, g, c);
}

/* rows [first, end) of the undivided grid, each row of n x g */
RANGE_INLINE void undivide_rows(long first, long end, float *din, const float *dout, int g, int c)
{
    const int g2 = 2 * g;
    for (long row = first; row < end; row++) {
        const long img = row / g, y = row % g;
        float *dst_row = din + (size_t)row * g * c;
        const float *top = dout + ((size_t)img * g2 + 2 * y) * g2 * c, *bottom = top + (size_t)g2 * c;
        for (int x = 0; x < g; x++) {
            float *dst = dst_row + (size_t)x * c;
            const float *a = top + (size_t)(2 * x) * c, *b = bottom + (size_t)(2 * x) * c;
            for (int ch = 0; ch < c; ch++) dst[ch] = (a[ch] + a[c + ch]) + (b[ch] + b[c + ch]);
        }
    }
}

SIMD_CLONES
void divide_backward(float *din, const float *dout, int n, int g, int c)
{
    PARALLEL_RANGES((long)n * g, 4L * n * g * g * c, 65536, undivide_rows, din, dout, g, c);
}

const float sobel_kernel_x[3][3] = {
    {-1.0f / 8, 0.0f, 1.0f / 8}, {-2.0f / 8, 0.0f, 2.0f / 8}, {-1.0f / 8, 0.0f, 1.0f / 8}};
const float sobel_kernel_y[3][3] = {
    {-1.0f / 8, -2.0f / 8, -1.0f / 8}, {0.0f, 0.0f, 0.0f}, {1.0f / 8, 2.0f / 8, 1.0f / 8}};

void zero_square(float *cells, int g, int c, int x0, int y0, int side)
{
    for (int y = y0; y < y0 + side; y++)
        memset(cells + ((size_t)y * g + x0) * c, 0, (size_t)side * c * sizeof(float));
}

/* the cells around (x, y) of one image, rows of g cells `stride` floats
 * apart, by row (top, middle, bottom) and column (left, centre, right);
 * past the border, the zero cell */
static const float zero_cell[VNCA_MAX_LATENT];

typedef struct Around {
    const float *tl, *tc, *tr, *ml, *mc, *mr, *bl, *bc, *br;
} Around;

static inline const float *cell_at(const float *image, int stride, int g, int x, int y)
{
    return y < 0 || y >= g || x < 0 || x >= g ? zero_cell : image + ((size_t)y * g + x) * stride;
}

static inline __attribute__((always_inline)) Around around(const float *image, int stride, int g,
                                                           int x, int y)
{
    return (Around){cell_at(image, stride, g, x - 1, y - 1), cell_at(image, stride, g, x, y - 1),
                    cell_at(image, stride, g, x + 1, y - 1), cell_at(image, stride, g, x - 1, y),
                    cell_at(image, stride, g, x, y),         cell_at(image, stride, g, x + 1, y),
                    cell_at(image, stride, g, x - 1, y + 1), cell_at(image, stride, g, x, y + 1),
                    cell_at(image, stride, g, x + 1, y + 1)};
}

/* The kernels sobel_kernel_x and _y written out, so that both gradients
 * take one pass with the nine cells in registers: x is the right column
 * minus the left, rows weighted 1, 2, 1; y the bottom row minus the top. */
static inline float sobel_x(Around a, int ch)
{
    return ((a.tr[ch] - a.tl[ch]) + 2.0f * (a.mr[ch] - a.ml[ch]) + (a.br[ch] - a.bl[ch])) * 0.125f;
}

static inline float sobel_y(Around a, int ch)
{
    return ((a.bl[ch] - a.tl[ch]) + 2.0f * (a.bc[ch] - a.tc[ch]) + (a.br[ch] - a.tr[ch])) * 0.125f;
}

/* out: the cell's state, its x and its y gradient (omp simd: out never
 * overlaps the nine cells, which the compiler cannot see) */
static inline void sobel_cell(float *out, Around a, int c)
{
    #pragma omp simd
    for (int ch = 0; ch < c; ch++) {
        out[ch] = a.mc[ch];
        out[c + ch] = sobel_x(a, ch);
        out[2 * c + ch] = sobel_y(a, ch);
    }
}

/* rows [first, end) of the grid, each row of n x g */
RANGE_INLINE void sobel_rows(long first, long end, float *out, const float *in, int g, int c)
{
    for (long row = first; row < end; row++) {
        const int y = (int)(row % g);
        const float *image = in + (size_t)(row / g) * g * g * c;
        for (int x = 0; x < g; x++)
            sobel_cell(out + ((size_t)row * g + x) * 3 * c, around(image, c, g, x, y), c);
    }
}

SIMD_CLONES
void sobel_forward(float *out, const float *in, int n, int g, int c)
{
    PARALLEL_RANGES((long)n * g, (long)n * g * g * c, 16384, sobel_rows, out, in, g, c);
}

/* din += the state's gradient and both gradients' adjoints, dx and dy the
 * cells around it of the x and y gradients' gradients. The adjoint of a
 * zero-padded cross-correlation is the cross-correlation with the kernel
 * rotated 180 degrees; both Sobel kernels are odd under that rotation, so it
 * is the same kernel negated. */
static inline void sobel_cell_adjoint(float *din, const float *d_state, Around dx, Around dy, int c)
{
    #pragma omp simd
    for (int ch = 0; ch < c; ch++) din[ch] += d_state[ch] - sobel_x(dx, ch) - sobel_y(dy, ch);
}

/* rows [first, end) of the grid, each row of n x g */
RANGE_INLINE void sobel_adjoint_rows(long first, long end, float *din, const float *dout, int g,
                                     int c)
{
    for (long row = first; row < end; row++) {
        const int y = (int)(row % g);
        const float *image = dout + (size_t)(row / g) * g * g * 3 * c;
        for (int x = 0; x < g; x++)
            sobel_cell_adjoint(din + ((size_t)row * g + x) * c, dout + ((size_t)row * g + x) * 3 * c,
                               around(image + c, 3 * c, g, x, y), around(image + 2 * c, 3 * c, g, x, y), c);
    }
}

SIMD_CLONES
void sobel_backward(float *din, const float *dout, int n, int g, int c)
{
    PARALLEL_RANGES((long)n * g, (long)n * g * g * c, 16384, sobel_adjoint_rows, din, dout, g, c);
}
