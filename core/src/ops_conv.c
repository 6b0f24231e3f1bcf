/* k x k convolution with stride, dilation and zero padding, as im2col + one
 * sgemm over the whole batch (batch x output cells is the GEMM's long side).
 *
 * The im2col rows are tap-major, (ky, kx, c), so that a row's taps at one ky
 * are a single run of the input (the cells along x are adjacent, and so are
 * their channels): a copy, not a gather; dilated taps are a copy each. The
 * weight, [c_out, c_in, k, k] in PyTorch's order, is rearranged to
 * [c_out, k, k, c_in] to match, at the end of the scratch. */
#include <string.h>

#include "gemm.h"
#include "threads.h"
#include "vnca/ops.h"

static int tap_spacing(Conv2dShape s) { return s.dilation > 1 ? s.dilation : 1; }

int conv2d_out_size(Conv2dShape s, int size)
{
    const int span = tap_spacing(s) * (s.k - 1) + 1;
    return (size + 2 * s.pad - span) / s.stride + 1;
}

static int conv2d_rows(Conv2dShape s)
{
    return s.n * conv2d_out_size(s, s.h) * conv2d_out_size(s, s.w);
}

size_t conv2d_col_size(Conv2dShape s)
{
    const size_t row_len = (size_t)s.c_in * s.k * s.k;
    return ((size_t)conv2d_rows(s) + s.c_out) * row_len;
}

/* Output column ox's taps kx in [lo, hi) read inside the image, the others
 * the zero padding; with adjacent taps they are one run of the input.
 * Returns the input column of tap kx = 0. */
static int valid_taps(Conv2dShape s, int ox, int *lo, int *hi)
{
    const int d = tap_spacing(s), ix0 = ox * s.stride - s.pad;
    *lo = ix0 < 0 ? (-ix0 + d - 1) / d : 0;
    *hi = s.w - ix0 > 0 ? (s.w - ix0 + d - 1) / d : 0;
    if (*hi > s.k) *hi = s.k;
    if (*hi < *lo) *hi = *lo;
    return ix0;
}

/* in [n, h, w, c_in] -> col [rows, k*k*c_in], each row in tap order (ky, kx, c) */
static void im2col(float *col, const float *in, Conv2dShape s)
{
    const int ho = conv2d_out_size(s, s.h), wo = conv2d_out_size(s, s.w), d = tap_spacing(s);
    const size_t tap_row = (size_t)s.k * s.c_in, row_len = tap_row * s.k;
    const long rows = (long)s.n * ho * wo;
    #pragma omp parallel for schedule(static) if (rows * (long)row_len >= 65536) \
        num_threads(team_size())
    for (long r = 0; r < rows; r++) {
        const int n = (int)(r / (ho * wo)), oy = (int)(r / wo % ho), ox = (int)(r % wo);
        int lo, hi;
        const int ix0 = valid_taps(s, ox, &lo, &hi);
        for (int ky = 0; ky < s.k; ky++) {
            float *dst = col + (size_t)r * row_len + ky * tap_row;
            const int iy = oy * s.stride - s.pad + ky * d;
            if (iy < 0 || iy >= s.h || hi == lo) {
                memset(dst, 0, tap_row * sizeof(float));
                continue;
            }
            const float *line = in + ((size_t)n * s.h + iy) * s.w * s.c_in;
            memset(dst, 0, (size_t)lo * s.c_in * sizeof(float));
            if (d == 1)
                memcpy(dst + (size_t)lo * s.c_in, line + (size_t)(ix0 + lo) * s.c_in,
                       (size_t)(hi - lo) * s.c_in * sizeof(float));
            else
                for (int kx = lo; kx < hi; kx++)
                    memcpy(dst + (size_t)kx * s.c_in, line + (size_t)(ix0 + kx * d) * s.c_in,
                           (size_t)s.c_in * sizeof(float));
            memset(dst + (size_t)hi * s.c_in, 0, (size_t)(s.k - hi) * s.c_in * sizeof(float));
        }
    }
}

/* the adjoint of im2col: din[...] += the col entries that read it */
static void col2im_add(float *din, const float *col, Conv2dShape s)
{
    const int ho = conv2d_out_size(s, s.h), wo = conv2d_out_size(s, s.w), d = tap_spacing(s);
    const size_t tap_row = (size_t)s.k * s.c_in, row_len = tap_row * s.k;
    /* Receptive fields overlap within an image, never across images: one
     * image per thread keeps the scatter race-free. */
    #pragma omp parallel for schedule(static) if ((long)s.n * ho * wo * (long)row_len >= 65536) \
        num_threads(team_size())
    for (int n = 0; n < s.n; n++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int lo, hi;
                const int ix0 = valid_taps(s, ox, &lo, &hi);
                const float *row = col + (((size_t)n * ho + oy) * wo + ox) * row_len;
                for (int ky = 0; ky < s.k; ky++) {
                    const int iy = oy * s.stride - s.pad + ky * d;
                    if (iy < 0 || iy >= s.h) continue;
                    float *line = din + ((size_t)n * s.h + iy) * s.w * s.c_in;
                    const float *taps = row + ky * tap_row;
                    for (int kx = lo; kx < hi; kx++) {
                        float *dst = line + (size_t)(ix0 + kx * d) * s.c_in;
                        const float *src = taps + (size_t)kx * s.c_in;
                        for (int c = 0; c < s.c_in; c++) dst[c] += src[c];
                    }
                }
            }
}

/* wk[o, t, c] = w[o, c, t]: the weight in the columns' order (t = ky k + kx) */
static float *tap_major_weight(float *col, const float *w, Conv2dShape s)
{
    const size_t taps = (size_t)s.k * s.k;
    float *wk = col + (size_t)conv2d_rows(s) * taps * s.c_in;
    for (int o = 0; o < s.c_out; o++)
        for (int c = 0; c < s.c_in; c++)
            for (size_t t = 0; t < taps; t++)
                wk[((size_t)o * taps + t) * s.c_in + c] = w[((size_t)o * s.c_in + c) * taps + t];
    return wk;
}

void conv2d_forward(float *out, float *col, const float *in, const float *w, const float *b,
                    Conv2dShape s)
{
    im2col(col, in, s);
    const float *wk = tap_major_weight(col, w, s);
    linear_forward(out, col, wk, b, conv2d_rows(s), s.c_in * s.k * s.k, s.c_out);
}

void conv2d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, Conv2dShape s)
{
    const int rows = conv2d_rows(s), row_len = s.c_in * s.k * s.k;
    const size_t taps = (size_t)s.k * s.k;
    float *wk = col + (size_t)rows * row_len;
    if (db) linear_backward(NULL, NULL, db, dout, NULL, NULL, rows, row_len, s.c_out);
    if (dw) { /* dwk[c_out, row_len] = dout^T . im2col(in), then into PyTorch's order */
        im2col(col, in, s);
        gemm(&(GemmShape){.m = s.c_out, .n = row_len, .k = rows, .a = {dout, 1, s.c_out},
                          .b = {col, row_len, 1}, .c = wk, .ldc = row_len});
        for (int o = 0; o < s.c_out; o++)
            for (int c = 0; c < s.c_in; c++)
                for (size_t t = 0; t < taps; t++)
                    dw[((size_t)o * s.c_in + c) * taps + t] += wk[((size_t)o * taps + t) * s.c_in + c];
    }
    if (!din) return;
    /* dcol[rows, row_len] = dout[rows, c_out] . wk[c_out, row_len], into col */
    tap_major_weight(col, w, s);
    gemm(&(GemmShape){.m = rows, .n = row_len, .k = s.c_out, .a = {dout, s.c_out, 1},
                      .b = {wk, row_len, 1}, .c = col, .ldc = row_len});
    col2im_add(din, col, s);
}
