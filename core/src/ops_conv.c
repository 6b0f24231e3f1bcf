/* k x k convolution with stride, dilation and zero padding, as one matrix
 * product over the whole batch (batch x output cells is its long side)
 * whose rows are the output cells' taps in tap-major order (ky, kx, c).
 *
 * Where the input has channels enough, a row's taps are read where they
 * lie: the product's A is gathered, one run of c_in floats a tap, the taps
 * outside the input a run of zeros (a table of pointers, 9 a cell for a
 * 3x3 kernel, where im2col would copy 9 c_in floats). The input gradient of
 * a stride-1 convolution is likewise the convolution of the output
 * gradient by the flipped kernel, its taps gathered from the output
 * gradient. Otherwise the rows are copied (im2col, each kernel row's taps
 * one copy of the input), and the input gradient scattered back from them
 * (col2im).
 *
 * The weight is [c_out, k, k, c_in], in the rows' order (the model keeps
 * its conv weights so: vnca_params_from_file); the input gradient's
 * flipped kernel, [k, k, c_out, c_in] with its taps reversed, is written at
 * the end of the scratch, and so is the weight gradient before it is
 * added. */
#include <string.h>

#include "gemm.h"
#include "threads.h"
#include "vnca/ops.h"

/* Runs shorter than this would have the kernel reload its row pointers
 * every few terms (an encoder's first layer reads one channel). */
enum { GATHER_MIN_RUN = 8 };

static int run_gathers(int run) { return run >= GATHER_MIN_RUN && run <= GEMM_KC; }

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

/* the forward's taps, and the input gradient's, gathered (or copied) */
static int gathers_input(Conv2dShape s) { return run_gathers(s.c_in); }
static int gathers_gradient(Conv2dShape s) { return s.stride == 1 && run_gathers(s.c_out); }

/* Floats at the start of the scratch: the copied rows where either way
 * copies them, else the larger table of runs (a pointer a tap of each
 * output cell, or of each input cell) and a run of zeros. */
static size_t rows_area(Conv2dShape s)
{
    const size_t taps = (size_t)s.k * s.k, out_cells = (size_t)conv2d_rows(s);
    const size_t in_cells = (size_t)s.n * s.h * s.w;
    const size_t copies = !gathers_input(s) || !gathers_gradient(s) ? out_cells * taps * s.c_in : 0;
    if (!gathers_input(s) && !gathers_gradient(s)) return copies;
    const size_t table = (in_cells > out_cells ? in_cells : out_cells) * taps * sizeof(float *);
    const size_t zeros = (size_t)(s.c_in > s.c_out ? s.c_in : s.c_out);
    const size_t gathered = (table + sizeof(float) - 1) / sizeof(float) + zeros;
    return copies > gathered ? copies : gathered;
}

size_t conv2d_col_size(Conv2dShape s)
{
    return rows_area(s) + (size_t)s.c_out * s.c_in * s.k * s.k;
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

/* rows [first, end) of im2col */
RANGE_INLINE void im2col_rows(long first, long end, float *col, const float *in, Conv2dShape s)
{
    const int ho = conv2d_out_size(s, s.h), wo = conv2d_out_size(s, s.w), d = tap_spacing(s);
    const size_t tap_row = (size_t)s.k * s.c_in, row_len = tap_row * s.k;
    for (long r = first; r < end; r++) {
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

/* in [n, h, w, c_in] -> col [rows, k*k*c_in], each row in tap order (ky, kx, c) */
static void im2col(float *col, const float *in, Conv2dShape s)
{
    const long rows = conv2d_rows(s), row_len = (long)s.k * s.k * s.c_in;
    PARALLEL_RANGES(rows, rows * row_len, 65536, im2col_rows, col, in, s);
}

/* images [first, end) of col2im_add */
RANGE_INLINE void col2im_images(long first, long end, float *din, const float *col, Conv2dShape s)
{
    const int ho = conv2d_out_size(s, s.h), wo = conv2d_out_size(s, s.w), d = tap_spacing(s);
    const size_t tap_row = (size_t)s.k * s.c_in, row_len = tap_row * s.k;
    for (long n = first; n < end; n++)
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

/* the adjoint of im2col: din[...] += the col entries that read it.
 * Receptive fields overlap within an image, never across images: whole
 * images a thread keep the scatter race-free. */
static void col2im_add(float *din, const float *col, Conv2dShape s)
{
    PARALLEL_RANGES(s.n, (long)conv2d_rows(s) * s.k * s.k * s.c_in, 65536, col2im_images, din, col, s);
}

/* The input gradient of a stride-1 convolution is the output gradient
 * convolved by the flipped kernel: this convolution, over the output
 * gradient, whose taps (ky', kx') = (k - 1 - ky, k - 1 - kx) land each input
 * cell on the output cells that read it. */
static Conv2dShape flipped_shape(Conv2dShape s)
{
    return (Conv2dShape){.n = s.n, .h = conv2d_out_size(s, s.h), .w = conv2d_out_size(s, s.w),
                         .c_in = s.c_out, .c_out = s.c_in, .k = s.k, .stride = 1,
                         .pad = tap_spacing(s) * (s.k - 1) - s.pad, .dilation = s.dilation};
}

/* wf[t', o, c] = w[o, t, c], t' = k k - 1 - t: flipped_shape's weight, in
 * its rows' order, at the end of the scratch */
static float *flipped_weight(float *col, const float *w, Conv2dShape s)
{
    const size_t taps = (size_t)s.k * s.k;
    float *wf = col + rows_area(s);
    for (int o = 0; o < s.c_out; o++)
        for (size_t t = 0; t < taps; t++)
            memcpy(wf + ((taps - 1 - t) * s.c_out + o) * s.c_in, w + ((size_t)o * taps + t) * s.c_in,
                   (size_t)s.c_in * sizeof(float));
    return wf;
}

/* a run of `len` zeros after a table of `pointers` runs at the scratch's start */
static const float *zero_run(float *col, size_t pointers, int len)
{
    float *zeros = col + (pointers * sizeof(float *) + sizeof(float) - 1) / sizeof(float);
    memset(zeros, 0, (size_t)len * sizeof(float));
    return zeros;
}

/* the table's lines [first, end) of output cells (an image row each) */
RANGE_INLINE void table_lines(long first, long end, const float **table, const float *zeros,
                              const float *in, Conv2dShape s)
{
    const int taps = s.k * s.k, ho = conv2d_out_size(s, s.h), wo = conv2d_out_size(s, s.w);
    const int d = tap_spacing(s);
    for (long line = first; line < end; line++) {
        const int n = (int)(line / ho), oy = (int)(line % ho);
        const float **row = table + (size_t)line * wo * taps;
        for (int ox = 0; ox < wo; ox++)
            for (int ky = 0; ky < s.k; ky++) {
                const int iy = oy * s.stride - s.pad + ky * d;
                for (int kx = 0; kx < s.k; kx++) {
                    const int ix = ox * s.stride - s.pad + kx * d;
                    const int inside = iy >= 0 && iy < s.h && ix >= 0 && ix < s.w;
                    *row++ = inside ? in + (((size_t)n * s.h + iy) * s.w + ix) * s.c_in : zeros;
                }
            }
    }
}

/* The rows of the product, [rows, k k c_in], gathered from `in`: the
 * table at the scratch's start, each tap a run of c_in floats of the input
 * or of zeros */
static GemmOperand gathered_rows(float *col, const float *in, Conv2dShape s)
{
    const int taps = s.k * s.k, lines = s.n * conv2d_out_size(s, s.h);
    const long pointers = (long)conv2d_rows(s) * taps;
    const float **table = (const float **)col;
    const float *zeros = zero_run(col, (size_t)pointers, s.c_in);
    PARALLEL_RANGES(lines, pointers, 65536, table_lines, table, zeros, in, s);
    return gemm_gathered(table, taps, s.c_in);
}

/* the rows gathered where the input has channels enough, else copied */
static GemmOperand tap_rows(float *col, const float *in, Conv2dShape s)
{
    if (gathers_input(s)) return gathered_rows(col, in, s);
    im2col(col, in, s);
    return gemm_matrix(col, (ptrdiff_t)s.k * s.k * s.c_in);
}

void conv2d_forward(float *out, float *col, const float *in, const float *w, const float *b,
                    Conv2dShape s)
{
    const int row_len = s.c_in * s.k * s.k;
    gemm(&(GemmShape){.m = conv2d_rows(s), .n = s.c_out, .k = row_len, .a = tap_rows(col, in, s),
                      .b = gemm_transposed(w, row_len), .bias = b, .c = out, .ldc = s.c_out});
}

void conv2d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, Conv2dShape s)
{
    const int rows = conv2d_rows(s), row_len = s.c_in * s.k * s.k;
    const size_t taps = (size_t)s.k * s.k;
    if (db) linear_backward(NULL, NULL, db, dout, NULL, NULL, rows, row_len, s.c_out);
    if (dw) { /* dw[c_out, row_len] += dout^T . rows, summed apart first (then
               * its rounding does not depend on what dw held) */
        float *sum = col + rows_area(s);
        gemm(&(GemmShape){.m = s.c_out, .n = row_len, .k = rows, .a = gemm_transposed(dout, s.c_out),
                          .b = tap_rows(col, in, s), .c = sum, .ldc = row_len});
        residual_forward(dw, dw, sum, (size_t)s.c_out * row_len);
    }
    if (!din) return;
    if (gathers_gradient(s)) { /* din += the flipped convolution of dout */
        const float *wf = flipped_weight(col, w, s);
        gemm(&(GemmShape){.m = s.n * s.h * s.w, .n = s.c_in, .k = (int)taps * s.c_out,
                          .a = gathered_rows(col, dout, flipped_shape(s)), .b = gemm_matrix(wf, s.c_in),
                          .c = din, .ldc = s.c_in, .accumulate = 1});
        return;
    }
    /* dcol[rows, row_len] = dout[rows, c_out] . w[c_out, row_len], into col */
    gemm(&(GemmShape){.m = rows, .n = row_len, .k = s.c_out, .a = gemm_matrix(dout, s.c_out),
                      .b = gemm_matrix(w, row_len), .c = col, .ldc = row_len});
    col2im_add(din, col, s);
}
