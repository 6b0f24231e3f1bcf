/* vnca/ops.h: the layers of a VNCA, each a forward and a backward function.
 *
 * Conventions, shared by every function here:
 * - Activations are row-major NHWC: a [N, H, W, C] tensor is N*H*W "cells",
 *   each a contiguous vector of C floats. A 1x1 conv over cells is therefore a
 *   linear layer over rows, and one GEMM does a whole batch.
 * - Weights follow PyTorch: conv [Cout, Cin, K, K], linear [out, in].
 * - Forward functions overwrite their output.
 * - Backward functions ACCUMULATE (+=) into every gradient they produce, for
 *   inputs as for parameters, so that a tensor used twice (a residual) simply
 *   receives two contributions. Callers zero gradients before a pass. (The
 *   two *_backward_input functions, which write, say so.)
 * - Nothing here allocates: scratch buffers are passed in, sized as stated.
 * - A NULL gradient pointer in a backward call means "not needed". */
#ifndef VNCA_OPS_H
#define VNCA_OPS_H

#include <stddef.h>

#include "vnca/rng.h"

/* ---- linear / 1x1 conv ------------------------------------------------- */

/* in [rows, n_in], w [n_out, n_in], b [n_out] (may be NULL) -> out [rows, n_out] */
void linear_forward(float *out, const float *in, const float *w, const float *b,
                    int rows, int n_in, int n_out);
/* The same, then ELU: out = elu(in . w^T + b); elu_backward takes this out */
void linear_elu_forward(float *out, const float *in, const float *w, const float *b, int rows,
                        int n_in, int n_out);
/* The same plus a residual: out = skip + in . w^T + b, skip [rows, n_out]
 * (not out itself); the backward is linear_backward's and residual_backward's */
void linear_skip_forward(float *out, const float *in, const float *w, const float *b,
                         const float *skip, int rows, int n_in, int n_out);
/* dout [rows, n_out] -> din [rows, n_in], dw [n_out, n_in], db [n_out] */
void linear_backward(float *din, float *dw, float *db, const float *dout,
                     const float *in, const float *w, int rows, int n_in, int n_out);
/* The input gradient alone, WRITTEN, not added (a tensor's first gradient,
 * without the pass that would zero it): din = dout . w */
void linear_backward_input(float *din, const float *dout, const float *w, int rows, int n_in,
                           int n_out);
/* The same through an ELU before the layer, its output y [rows, n_in] the
 * layer's input: din = (dout . w) * elu'(y), the gradient w.r.t. the ELU's
 * input, WRITTEN */
void elu_linear_backward_input(float *din, const float *dout, const float *w, const float *y,
                               int rows, int n_in, int n_out);

/* ---- k x k conv with stride and zero padding ---------------------------- */

typedef struct Conv2dShape {
    int n, h, w, c_in;      /* input [n, h, w, c_in] */
    int c_out, k, stride, pad;
    int dilation;           /* the taps this many cells apart; 0 or 1: adjacent */
} Conv2dShape;

/* the output's side along an input side of `size` cells */
int conv2d_out_size(Conv2dShape s, int size);
/* floats needed for the `col` scratch: the im2col rows,
 * n * h_out * w_out * k * k * c_in (or a table of their taps), then a
 * weight's worth */
size_t conv2d_col_size(Conv2dShape s);

/* in [n, h, w, c_in], w [c_out, k, k, c_in], b [c_out] (or NULL) -> out [n, ho, wo, c_out];
 * taps outside the input read zeros. col: scratch of conv2d_col_size(s) floats. */
void conv2d_forward(float *out, float *col, const float *in, const float *w,
                    const float *b, Conv2dShape s);
/* col: scratch, conv2d_col_size(s) floats (overwritten: the im2col rows are
 * recomputed, then reused for the input gradient's) */
void conv2d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, Conv2dShape s);

/* ---- elementwise --------------------------------------------------------- */

/* ELU with alpha = 1: y = x > 0 ? x : exp(x) - 1. In place is allowed. */
void elu_forward(float *out, const float *in, size_t n);
/* Uses the forward OUTPUT: dy/dx = 1 where y > 0, else y + 1. */
void elu_backward(float *din, const float *dout, const float *out, size_t n);

/* out = a + b (out may alias a or b) */
void residual_forward(float *out, const float *a, const float *b, size_t n);
/* da = dout, db = dout (either may be NULL): the first gradient they
 * receive, written */
void residual_backward(float *da, float *db, const float *dout, size_t n);

/* ---- cells ----------------------------------------------------------------- */

/* Cell division: nearest 2x. in [n, g, g, c] -> out [n, 2g, 2g, c] */
void divide_forward(float *out, const float *in, int n, int g, int c);
/* din [n, g, g, c] = sum of each 2x2 block of dout [n, 2g, 2g, c] (written) */
void divide_backward(float *din, const float *dout, int n, int g, int c);

/* Damage: zeroes the side x side square of cells whose top left cell is at
 * column x0, row y0 of one grid of cells [g, g, c]. */
void zero_square(float *cells, int g, int c, int x0, int y0, int side);

/* ---- a genome: every living cell's z, read by a 3x3 conv ---------------- */

/* out [n, g, g, h] += the zero-padded 3x3 conv, weight w [h, 3, 3, c], of
 * cells that hold z [n, c] where alive [n, g, g] is nonzero (every cell when
 * alive is NULL) and zero elsewhere. proj: scratch of n * 9 * h floats. */
void genome_conv_forward(float *out, float *proj, const float *z, const float *alive,
                         const float *w, int n, int g, int c, int h);
/* dout [n, g, g, h] -> dz [n, c], dw [h, 3, 3, c]. dproj: scratch as proj. */
void genome_conv_backward(float *dz, float *dw, float *dproj, const float *dout, const float *z,
                          const float *alive, const float *w, int n, int g, int c, int h);
/* out [n, g, g] = 1 where a cell or one of its 8 neighbours is alive, else 0:
 * a destroyed cell's genome is back after one update beside a living cell */
void genome_spread(float *out, const float *alive, int n, int g);

/* ---- a genome's position: where a cell is, read by a 1x1 conv ---------- */

/* For each of POSITION_OCTAVES frequencies f = pi, 2 pi, 4 pi, ...: sin and
 * cos of f u and of f v, where u and v are a cell's column and row, its
 * centre scaled to [-1, 1] across the grid; w's columns read them in the
 * order [sin f u, cos f u, sin f v, cos f v] for each f. */
#define POSITION_OCTAVES 4
#define POSITION_FEATURES (4 * POSITION_OCTAVES)
/* the largest grid side g (the largest image a config allows) */
#define POSITION_MAX_GRID 256
/* floats of the scratch the two functions below take */
size_t position_scratch_floats(int g, int h);
/* out [n, g, g, h] += w [h, POSITION_FEATURES] . the cell's features, in
 * the cells where alive [n, g, g] is nonzero (every cell when NULL) */
void position_forward(float *out, float *scratch, const float *alive, const float *w, int n,
                      int g, int h);
/* dout [n, g, g, h] -> dw [h, POSITION_FEATURES] (accumulated) */
void position_backward(float *dw, float *scratch, const float *dout, const float *alive, int n,
                       int g, int h);

/* Fixed perception: in [n, g, g, c] -> out [n, g, g, 3c], each cell's row is
 * [its c channels, their Sobel-x, their Sobel-y]; Sobel-x is
 * [[-1,0,1],[-2,0,2],[-1,0,1]]/8 as a cross-correlation, Sobel-y its transpose,
 * zero padding at the border. */
void sobel_forward(float *out, const float *in, int n, int g, int c);
void sobel_backward(float *din, const float *dout, int n, int g, int c);
/* the two kernels, [dy][dx] */
extern const float sobel_kernel_x[3][3], sobel_kernel_y[3][3];

/* ---- losses and the latent ---------------------------------------------- */

/* Bernoulli negative log-likelihood with logits, summed: for each of n rows
 * (images) of `pixels` values, loss[i] = sum_j weight_j * BCE(x_ij, logit_ij).
 * `logits` has row stride `stride` floats between consecutive pixels (so that
 * channel 0 of a cell tensor can be read in place: stride = C). weight
 * [pixels] is shared by every row; NULL means all ones (0 leaves a pixel out,
 * as the unknown pixels when inpainting). */
void bce_logits_forward(double *loss, const float *logits, int stride, const float *x,
                        const float *weight, int n, int pixels);
/* dlogits[i, j*stride] += scale * weight_j * (sigmoid(logit) - x) */
void bce_logits_backward(float *dlogits, const float *logits, int stride, const float *x,
                         const float *weight, int n, int pixels, float scale);

/* KL(N(mu, exp(logsig)^2) || N(0, I)) per row: kl[i] over z entries */
void kl_forward(double *kl, const float *mu, const float *logsig, int n, int z);
/* dmu += scale * mu, dlogsig += scale * (exp(2 logsig) - 1) */
void kl_backward(float *dmu, float *dlogsig, const float *mu, const float *logsig,
                 int n, int z, float scale);

/* Reparameterized sample: z = mu + exp(logsig) * eps, all [count] */
void reparam_forward(float *z, const float *mu, const float *logsig, const float *eps,
                     size_t count);
void reparam_backward(float *dmu, float *dlogsig, const float *dz, const float *logsig,
                      const float *eps, size_t count);

#endif
