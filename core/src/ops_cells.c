/* Operations on grids of cells: division (nearest 2x), damage, and fixed Sobel
 * perception, with their adjoints. */
#include <string.h>

#include "simd.h"
#include "threads.h"
#include "vnca/ops.h"

void divide_forward(float *out, const float *in, int n, int g, int c)
{
    const int g2 = 2 * g;
    #pragma omp parallel for schedule(static) if ((long)n * g2 * g2 * c >= 65536) \
        num_threads(team_size())
    for (int row = 0; row < n * g2; row++) {
        const int img = row / g2, y = row % g2;
        const float *src_row = in + ((size_t)img * g + y / 2) * g * c;
        float *dst = out + (size_t)row * g2 * c;
        for (int x = 0; x < g2; x++) memcpy(dst + (size_t)x * c, src_row + (size_t)(x / 2) * c,
                                            (size_t)c * sizeof(float));
    }
}

SIMD_CLONES
void divide_backward(float *din, const float *dout, int n, int g, int c)
{
    const int g2 = 2 * g;
    #pragma omp parallel for schedule(static) if ((long)n * g2 * g2 * c >= 65536) \
        num_threads(team_size())
    for (int row = 0; row < n * g; row++) {
        const int img = row / g, y = row % g;
        float *dst_row = din + (size_t)row * g * c;
        for (int dy = 0; dy < 2; dy++) {
            const float *src = dout + ((size_t)img * g2 + 2 * y + dy) * g2 * c;
            for (int x = 0; x < g; x++) {
                float *dst = dst_row + (size_t)x * c;
                const float *a = src + (size_t)(2 * x) * c, *b = a + c;
                for (int ch = 0; ch < c; ch++) dst[ch] += a[ch] + b[ch];
            }
        }
    }
}

const float sobel_kernel_x[3][3] = {
    {-1.0f / 8, 0.0f, 1.0f / 8}, {-2.0f / 8, 0.0f, 2.0f / 8}, {-1.0f / 8, 0.0f, 1.0f / 8}};
const float sobel_kernel_y[3][3] = {
    {-1.0f / 8, -2.0f / 8, -1.0f / 8}, {0.0f, 0.0f, 0.0f}, {1.0f / 8, 2.0f / 8, 1.0f / 8}};

/* dst[cell][0..c) += sign * sum_{dy,dx} k[dy][dx] * src[cell + (dy-1, dx-1)][0..c),
 * a 3x3 cross-correlation per channel with zero padding; rows of dst and src
 * are dst_stride and src_stride floats apart. */
SIMD_CLONES
static void stencil_add(float *dst, int dst_stride, const float *src, int src_stride,
                        const float k[3][3], float sign, int n, int g, int c)
{
    #pragma omp parallel for schedule(static) if ((long)n * g * g * c >= 16384) \
        num_threads(team_size())
    for (int row = 0; row < n * g; row++) {
        const int img = row / g, y = row % g;
        for (int x = 0; x < g; x++) {
            float *d = dst + ((size_t)row * g + x) * dst_stride;
            for (int dy = 0; dy < 3; dy++) {
                const int sy = y + dy - 1;
                if (sy < 0 || sy >= g) continue;
                for (int dx = 0; dx < 3; dx++) {
                    const int sx = x + dx - 1;
                    const float kw = sign * k[dy][dx];
                    if (sx < 0 || sx >= g || kw == 0.0f) continue;
                    const float *s = src + (((size_t)img * g + sy) * g + sx) * src_stride;
                    for (int ch = 0; ch < c; ch++) d[ch] += kw * s[ch];
                }
            }
        }
    }
}

void zero_square(float *cells, int g, int c, int x0, int y0, int side)
{
    for (int y = y0; y < y0 + side; y++)
        memset(cells + ((size_t)y * g + x0) * c, 0, (size_t)side * c * sizeof(float));
}

void sobel_forward(float *out, const float *in, int n, int g, int c)
{
    const size_t cells = (size_t)n * g * g;
    for (size_t i = 0; i < cells; i++) {
        memcpy(out + i * 3 * c, in + i * c, (size_t)c * sizeof(float));
        memset(out + i * 3 * c + c, 0, 2 * (size_t)c * sizeof(float));
    }
    stencil_add(out + c, 3 * c, in, c, sobel_kernel_x, 1.0f, n, g, c);
    stencil_add(out + 2 * c, 3 * c, in, c, sobel_kernel_y, 1.0f, n, g, c);
}

void sobel_backward(float *din, const float *dout, int n, int g, int c)
{
    const size_t cells = (size_t)n * g * g;
    for (size_t i = 0; i < cells; i++)
        for (int ch = 0; ch < c; ch++) din[i * c + ch] += dout[i * 3 * c + ch];
    /* The adjoint of a zero-padded cross-correlation is the cross-correlation
     * with the kernel rotated 180 degrees; both Sobel kernels are odd under
     * that rotation, so it is the same kernel negated. */
    stencil_add(din, c, dout + c, 3 * c, sobel_kernel_x, -1.0f, n, g, c);
    stencil_add(din, c, dout + 2 * c, 3 * c, sobel_kernel_y, -1.0f, n, g, c);
}
