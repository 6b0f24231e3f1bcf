/* Linear layers (and 1x1 convs over NHWC cells): one sgemm each way. */
#include <cblas.h>

#include "vnca/ops.h"

void linear_forward(float *out, const float *in, const float *w, const float *b, int rows,
                    int n_in, int n_out)
{
    float beta = 0.0f;
    if (b) {
        #pragma omp parallel for schedule(static) if (rows >= 4096)
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < n_out; o++) out[(size_t)r * n_out + o] = b[o];
        beta = 1.0f;
    }
    /* out[rows, n_out] (+)= in[rows, n_in] . w[n_out, n_in]^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n_out, n_in, 1.0f, in, n_in, w,
                n_in, beta, out, n_out);
}

/* db[o] += sum over rows of dout[r, o]. Parallel over blocks of columns, each
 * summed row by row (a block's rows are contiguous; one column at a time
 * would stride through all of dout for each o), and every column's sum in
 * row order: the result does not depend on the thread count. */
enum { BIAS_BLOCK = 16 };

static void bias_grad(float *db, const float *dout, int rows, int n_out)
{
    const int blocks = (n_out + BIAS_BLOCK - 1) / BIAS_BLOCK;
    #pragma omp parallel for schedule(static) if ((long)rows * n_out >= 65536)
    for (int blk = 0; blk < blocks; blk++) {
        const int o0 = blk * BIAS_BLOCK, width = n_out - o0 < BIAS_BLOCK ? n_out - o0 : BIAS_BLOCK;
        float acc[BIAS_BLOCK] = {0};
        for (int r = 0; r < rows; r++) {
            const float *row = dout + (size_t)r * n_out + o0;
            for (int o = 0; o < width; o++) acc[o] += row[o];
        }
        for (int o = 0; o < width; o++) db[o0 + o] += acc[o];
    }
}

void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int rows, int n_in, int n_out)
{
    if (din) /* din[rows, n_in] += dout[rows, n_out] . w[n_out, n_in] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n_in, n_out, 1.0f, dout,
                    n_out, w, n_in, 1.0f, din, n_in);
    if (dw) /* dw[n_out, n_in] += dout^T . in */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, rows, 1.0f, dout,
                    n_out, in, n_in, 1.0f, dw, n_in);
    if (db) bias_grad(db, dout, rows, n_out);
}
