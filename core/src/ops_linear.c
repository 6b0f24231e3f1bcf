/* Linear layers (and 1x1 convs over NHWC cells): one matrix product each way. */
#include "gemm.h"
#include "simd.h"
#include "threads.h"
#include "vnca/ops.h"

/* out[rows, n_out] = in[rows, n_in] . w[n_out, n_in]^T + b (+ skip), then ELU if asked */
static void linear(float *out, const float *in, const float *w, const float *b, const float *skip,
                   int elu, int rows, int n_in, int n_out)
{
    gemm(&(GemmShape){.m = rows, .n = n_out, .k = n_in, .a = gemm_matrix(in, n_in),
                      .b = gemm_transposed(w, n_in), .bias = b, .c = out, .ldc = n_out, .add = skip,
                      .elu = elu});
}

void linear_forward(float *out, const float *in, const float *w, const float *b, int rows,
                    int n_in, int n_out)
{
    linear(out, in, w, b, NULL, 0, rows, n_in, n_out);
}

void linear_elu_forward(float *out, const float *in, const float *w, const float *b, int rows,
                        int n_in, int n_out)
{
    linear(out, in, w, b, NULL, 1, rows, n_in, n_out);
}

void linear_skip_forward(float *out, const float *in, const float *w, const float *b,
                         const float *skip, int rows, int n_in, int n_out)
{
    linear(out, in, w, b, skip, 0, rows, n_in, n_out);
}

/* db[o] += sum over rows of dout[r, o]. Parallel over blocks of columns, each
 * summed row by row (a block's rows are contiguous; one column at a time
 * would stride through all of dout for each o), and every column's sum in
 * row order: the result does not depend on the thread count. */
enum { BIAS_BLOCK = 16 };

/* acc[o] += col[r * stride + o] for every row r, o < width, in row order */
static inline __attribute__((always_inline)) void sum_rows(float *acc, const float *col, int rows,
                                                           int stride, int width)
{
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < width; o++) acc[o] += col[(size_t)r * stride + o];
}

/* blocks [first, end) of BIAS_BLOCK outputs */
RANGE_INLINE void bias_grad_blocks(long first, long end, float *db, const float *dout, int rows,
                                   int n_out)
{
    for (long blk = first; blk < end; blk++) {
        const int o0 = (int)blk * BIAS_BLOCK, width = n_out - o0 < BIAS_BLOCK ? n_out - o0 : BIAS_BLOCK;
        float acc[BIAS_BLOCK] = {0};
        /* a full block's constant width makes each row one vector add */
        if (width == BIAS_BLOCK) sum_rows(acc, dout + o0, rows, n_out, BIAS_BLOCK);
        else sum_rows(acc, dout + o0, rows, n_out, width);
        for (int o = 0; o < width; o++) db[o0 + o] += acc[o];
    }
}

SIMD_CLONES
static void bias_grad(float *db, const float *dout, int rows, int n_out)
{
    PARALLEL_RANGES((n_out + BIAS_BLOCK - 1) / BIAS_BLOCK, (long)rows * n_out, 65536,
                    bias_grad_blocks, db, dout, rows, n_out);
}

/* din[rows, n_in] (+)= dout[rows, n_out] . w[n_out, n_in] (* elu'(y)) */
static void input_grad(float *din, const float *dout, const float *w, const float *y, int accumulate,
                       int rows, int n_in, int n_out)
{
    gemm(&(GemmShape){.m = rows, .n = n_in, .k = n_out, .a = gemm_matrix(dout, n_out),
                      .b = gemm_matrix(w, n_in), .c = din, .ldc = n_in, .accumulate = accumulate,
                      .elu_out = y});
}

void linear_backward_input(float *din, const float *dout, const float *w, int rows, int n_in,
                           int n_out)
{
    input_grad(din, dout, w, NULL, 0, rows, n_in, n_out);
}

void elu_linear_backward_input(float *din, const float *dout, const float *w, const float *y,
                               int rows, int n_in, int n_out)
{
    input_grad(din, dout, w, y, 0, rows, n_in, n_out);
}

void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int rows, int n_in, int n_out)
{
    if (din) input_grad(din, dout, w, NULL, 1, rows, n_in, n_out);
    if (dw) /* dw[n_out, n_in] += dout^T . in */
        gemm(&(GemmShape){.m = n_out, .n = n_in, .k = rows, .a = gemm_transposed(dout, n_out),
                          .b = gemm_matrix(in, n_in), .c = dw, .ldc = n_in, .accumulate = 1});
    if (db) bias_grad(db, dout, rows, n_out);
}
