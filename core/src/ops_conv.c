/* k x k convolution with stride and zero padding, as im2col + one sgemm over
 * the whole batch (batch x output cells is the GEMM's long side). */
#include <cblas.h>
#include <string.h>

#include "vnca/ops.h"

int conv2d_out_size(int size, int k, int stride, int pad)
{
    return (size + 2 * pad - k) / stride + 1;
}

size_t conv2d_col_size(Conv2dShape s)
{
    size_t ho = (size_t)conv2d_out_size(s.h, s.k, s.stride, s.pad);
    size_t wo = (size_t)conv2d_out_size(s.w, s.k, s.stride, s.pad);
    return (size_t)s.n * ho * wo * (size_t)s.c_in * s.k * s.k;
}

void im2col(float *col, const float *in, Conv2dShape s)
{
    const int ho = conv2d_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = conv2d_out_size(s.w, s.k, s.stride, s.pad);
    const int kk = s.k * s.k, row_len = s.c_in * kk;
    const long rows = (long)s.n * ho * wo;
    #pragma omp parallel for schedule(static) if (rows * row_len >= 65536)
    for (long r = 0; r < rows; r++) {
        const int n = (int)(r / (ho * wo)), oy = (int)(r / wo % ho), ox = (int)(r % wo);
        float *row = col + (size_t)r * row_len;
        for (int ky = 0; ky < s.k; ky++) {
            const int iy = oy * s.stride - s.pad + ky;
            for (int kx = 0; kx < s.k; kx++) {
                const int ix = ox * s.stride - s.pad + kx;
                float *dst = row + ky * s.k + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) {
                    for (int c = 0; c < s.c_in; c++) dst[c * kk] = 0.0f;
                    continue;
                }
                const float *src = in + (((size_t)n * s.h + iy) * s.w + ix) * s.c_in;
                for (int c = 0; c < s.c_in; c++) dst[c * kk] = src[c];
            }
        }
    }
}

void col2im_add(float *din, const float *col, Conv2dShape s)
{
    const int ho = conv2d_out_size(s.h, s.k, s.stride, s.pad);
    const int wo = conv2d_out_size(s.w, s.k, s.stride, s.pad);
    const int kk = s.k * s.k, row_len = s.c_in * kk;
    /* Receptive fields overlap within an image, never across images: one
     * image per thread keeps the scatter race-free. */
    #pragma omp parallel for schedule(static) if ((long)s.n * ho * wo * row_len >= 65536)
    for (int n = 0; n < s.n; n++) {
        for (int oy = 0; oy < ho; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                const float *row = col + (((size_t)n * ho + oy) * wo + ox) * row_len;
                for (int ky = 0; ky < s.k; ky++) {
                    const int iy = oy * s.stride - s.pad + ky;
                    if (iy < 0 || iy >= s.h) continue;
                    for (int kx = 0; kx < s.k; kx++) {
                        const int ix = ox * s.stride - s.pad + kx;
                        if (ix < 0 || ix >= s.w) continue;
                        float *dst = din + (((size_t)n * s.h + iy) * s.w + ix) * s.c_in;
                        const float *src = row + ky * s.k + kx;
                        for (int c = 0; c < s.c_in; c++) dst[c] += src[c * kk];
                    }
                }
            }
        }
    }
}

static int conv2d_rows(Conv2dShape s)
{
    return s.n * conv2d_out_size(s.h, s.k, s.stride, s.pad) *
           conv2d_out_size(s.w, s.k, s.stride, s.pad);
}

void conv2d_forward(float *out, float *col, const float *in, const float *w, const float *b,
                    Conv2dShape s)
{
    im2col(col, in, s);
    linear_forward(out, col, w, b, conv2d_rows(s), s.c_in * s.k * s.k, s.c_out);
}

void conv2d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, Conv2dShape s)
{
    const int rows = conv2d_rows(s), row_len = s.c_in * s.k * s.k;
    if (dw) im2col(col, in, s);
    linear_backward(NULL, dw, db, dout, col, w, rows, row_len, s.c_out);
    if (!din) return;
    /* dcol[rows, row_len] = dout[rows, c_out] . w[c_out, row_len], into col */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, row_len, s.c_out, 1.0f, dout,
                s.c_out, w, row_len, 0.0f, col, row_len);
    col2im_add(din, col, s);
}
