/* Every op's backward against finite differences of its forward, and the
 * convolution's forward against a direct (naive) convolution. The loss of an
 * op is L = sum(forward(inputs) * R) for a fixed random R, so the analytic
 * gradients come from backward with dout = R. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "gradcheck.h"
#include "vnca/ops.h"

/* float32 central differences: eps 1e-2 keeps round-off (~1e-7 |L| / eps)
 * and truncation (~eps^2) both near 1e-4 for these sizes. */
static const GradTolerance op_tol = {.eps = 1e-2f, .atol = 1e-3, .rtol = 1e-2};

static float *randoms(VncaRng *rng, size_t n, float lo, float hi)
{
    float *v = malloc(n * sizeof(float));
    assert_non_null(v);
    fill_uniform(rng, v, n, lo, hi);
    return v;
}

static float *zeros(size_t n)
{
    float *v = calloc(n, sizeof(float));
    assert_non_null(v);
    return v;
}

/* ---- linear ------------------------------------------------------------- */

typedef struct LinearCase {
    int rows, n_in, n_out;
    float *in, *w, *b, *out, *r;
} LinearCase;

static double linear_loss(void *p)
{
    LinearCase *c = p;
    linear_forward(c->out, c->in, c->w, c->b, c->rows, c->n_in, c->n_out);
    return dot(c->out, c->r, (size_t)c->rows * c->n_out);
}

static void test_linear_gradients(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 1);
    LinearCase c = {.rows = 7, .n_in = 5, .n_out = 6};
    c.in = randoms(&rng, 35, -1, 1);
    c.w = randoms(&rng, 30, -1, 1);
    c.b = randoms(&rng, 6, -1, 1);
    c.out = zeros(42);
    c.r = randoms(&rng, 42, -1, 1);
    float *din = zeros(35), *dw = zeros(30), *db = zeros(6);
    linear_backward(din, dw, db, c.r, c.in, c.w, c.rows, c.n_in, c.n_out);
    int bad = check_gradient("linear input", linear_loss, &c, c.in, din, 35, 35, op_tol);
    bad += check_gradient("linear weight", linear_loss, &c, c.w, dw, 30, 30, op_tol);
    bad += check_gradient("linear bias", linear_loss, &c, c.b, db, 6, 6, op_tol);
    assert_int_equal(bad, 0);
    free(c.in); free(c.w); free(c.b); free(c.out); free(c.r);
    free(din); free(dw); free(db);
}

/* the fused forms against the layers they fuse: linear then ELU, linear
 * then the residual add (one rounding apart at most: the fused ELU's
 * multiply-adds may be contracted), and the backward's input gradients */
static void test_linear_fused(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 11);
    const int rows = 50, n_in = 40, n_out = 37, len = rows * n_out;
    float *in = randoms(&rng, (size_t)rows * n_in, -1, 1), *w = randoms(&rng, (size_t)n_out * n_in, -1, 1);
    float *b = randoms(&rng, n_out, -1, 1), *skip = randoms(&rng, len, -1, 1);
    float *fused = zeros(len), *apart = zeros(len);
    linear_elu_forward(fused, in, w, b, rows, n_in, n_out);
    linear_forward(apart, in, w, b, rows, n_in, n_out);
    elu_forward(apart, apart, len);
    int negative = 0;
    for (int i = 0; i < len; i++) {
        assert_float_equal(fused[i], apart[i], 1e-6 * (1 + fabsf(apart[i])));
        negative += apart[i] < 0;
    }
    assert_true(negative > len / 4);
    linear_skip_forward(fused, in, w, b, skip, rows, n_in, n_out);
    linear_forward(apart, in, w, b, rows, n_in, n_out);
    residual_forward(apart, skip, apart, len);
    assert_memory_equal(fused, apart, len * sizeof(float));

    /* backward: the input gradient written, alone and through an ELU before
     * the layer (its outputs y), against linear_backward and elu_backward
     * accumulating into zeros */
    const int in_len = rows * n_in;
    float *y = zeros(in_len), *dout = randoms(&rng, len, -1, 1);
    elu_forward(y, in, in_len);
    float *written = randoms(&rng, in_len, -1, 1), *summed = zeros(in_len), *through = zeros(in_len);
    linear_backward_input(written, dout, w, rows, n_in, n_out);
    linear_backward(summed, NULL, NULL, dout, in, w, rows, n_in, n_out);
    assert_memory_equal(written, summed, in_len * sizeof(float));
    elu_linear_backward_input(written, dout, w, y, rows, n_in, n_out);
    elu_backward(through, summed, y, in_len);
    assert_memory_equal(written, through, in_len * sizeof(float));
    free(in); free(w); free(b); free(skip); free(fused); free(apart);
    free(y); free(dout); free(written); free(summed); free(through);
}

/* ---- conv2d ----------------------------------------------------------- */

typedef struct ConvCase {
    Conv2dShape s;
    float *in, *w, *b, *out, *col, *r;
    size_t in_len, w_len, out_len;
} ConvCase;

static double conv_loss(void *p)
{
    ConvCase *c = p;
    conv2d_forward(c->out, c->col, c->in, c->w, c->b, c->s);
    return dot(c->out, c->r, c->out_len);
}

static void conv_case_init(ConvCase *c, Conv2dShape s, VncaRng *rng)
{
    c->s = s;
    int ho = conv2d_out_size(s, s.h);
    int wo = conv2d_out_size(s, s.w);
    c->in_len = (size_t)s.n * s.h * s.w * s.c_in;
    c->w_len = (size_t)s.c_out * s.c_in * s.k * s.k;
    c->out_len = (size_t)s.n * ho * wo * s.c_out;
    c->in = randoms(rng, c->in_len, -1, 1);
    c->w = randoms(rng, c->w_len, -1, 1);
    c->b = randoms(rng, (size_t)s.c_out, -1, 1);
    c->out = zeros(c->out_len);
    c->r = randoms(rng, c->out_len, -1, 1);
    c->col = zeros(conv2d_col_size(s));
}

static void conv_case_free(ConvCase *c)
{
    free(c->in); free(c->w); free(c->b); free(c->out); free(c->r); free(c->col);
}

/* out[n, oy, ox, o] = b[o] + sum_{c,ky,kx} w[o, ky, kx, c] * in[n, iy, ix, c],
 * iy = oy stride - pad + ky dilation (and ix alike) */
static double direct_conv(const ConvCase *c, int n, int oy, int ox, int o)
{
    const Conv2dShape s = c->s;
    const int d = s.dilation > 1 ? s.dilation : 1;
    double sum = c->b[o];
    for (int ch = 0; ch < s.c_in; ch++)
        for (int ky = 0; ky < s.k; ky++)
            for (int kx = 0; kx < s.k; kx++) {
                int iy = oy * s.stride - s.pad + ky * d, ix = ox * s.stride - s.pad + kx * d;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                sum += (double)c->w[((o * s.k + ky) * s.k + kx) * s.c_in + ch] *
                       c->in[(((size_t)n * s.h + iy) * s.w + ix) * s.c_in + ch];
            }
    return sum;
}

static void check_conv(Conv2dShape s, const char *name)
{
    VncaRng rng;
    vnca_rng_seed(&rng, 2);
    ConvCase c;
    conv_case_init(&c, s, &rng);

    conv_loss(&c);
    int ho = conv2d_out_size(s, s.h);
    int wo = conv2d_out_size(s, s.w);
    for (int n = 0; n < s.n; n++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++)
                for (int o = 0; o < s.c_out; o++) {
                    double want = direct_conv(&c, n, oy, ox, o);
                    float got = c.out[(((size_t)n * ho + oy) * wo + ox) * s.c_out + o];
                    assert_true(fabs(got - want) <= 1e-5 * (1.0 + fabs(want)));
                }

    float *din = zeros(c.in_len), *dw = zeros(c.w_len), *db = zeros((size_t)s.c_out);
    conv2d_backward(din, dw, db, c.col, c.r, c.in, c.w, s);
    char what[64];
    snprintf(what, sizeof what, "%s input", name);
    int bad = check_gradient(what, conv_loss, &c, c.in, din, c.in_len, 200, op_tol);
    snprintf(what, sizeof what, "%s weight", name);
    bad += check_gradient(what, conv_loss, &c, c.w, dw, c.w_len, 200, op_tol);
    snprintf(what, sizeof what, "%s bias", name);
    bad += check_gradient(what, conv_loss, &c, c.b, db, (size_t)s.c_out, 100, op_tol);
    assert_int_equal(bad, 0);
    free(din); free(dw); free(db);
    conv_case_free(&c);
}

/* the NCA's perception: every border case of a 5x5 grid, and grids of one
 * cell (every neighbour outside) and of two, as a schedule begins */
static void test_conv3x3_stride1(void **state)
{
    (void)state;
    const int grids[] = {5, 1, 2};
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++)
        check_conv((Conv2dShape){.n = 2, .h = grids[i], .w = grids[i], .c_in = 3, .c_out = 4,
                                 .k = 3, .stride = 1, .pad = 1}, "conv3x3 s1");
}

/* the far perception: taps 2 and 3 cells apart, on grids where some, or
 * all but the middle, fall outside */
static void test_conv3x3_dilated(void **state)
{
    (void)state;
    const int grids[] = {7, 5, 2};
    for (int d = 2; d <= 3; d++)
        for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++)
            check_conv((Conv2dShape){.n = 2, .h = grids[i], .w = grids[i], .c_in = 3, .c_out = 4,
                                     .k = 3, .stride = 1, .pad = d, .dilation = d},
                       "conv3x3 dilated");
}

static void test_conv5x5_stride2(void **state)
{
    (void)state;
    check_conv((Conv2dShape){.n = 2, .h = 8, .w = 8, .c_in = 2, .c_out = 3, .k = 5, .stride = 2,
                             .pad = 2}, "conv5x5 s2");
}

static void test_conv_odd_size(void **state)
{
    (void)state;
    check_conv((Conv2dShape){.n = 1, .h = 7, .w = 5, .c_in = 2, .c_out = 2, .k = 5, .stride = 2,
                             .pad = 2}, "conv5x5 s2 odd");
}

/* With 8 channels or more a convolution gathers its taps where they lie
 * (the input's for the forward, the output gradient's for a stride-1 input
 * gradient); each way alone, both, dilated, strided, and without padding
 * (more input cells than output cells). */
static void test_conv_gathered(void **state)
{
    (void)state;
    const int grids[] = {5, 1, 2};
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++)
        check_conv((Conv2dShape){.n = 2, .h = grids[i], .w = grids[i], .c_in = 8, .c_out = 9,
                                 .k = 3, .stride = 1, .pad = 1}, "conv3x3 gathered");
    check_conv((Conv2dShape){.n = 2, .h = 5, .w = 5, .c_in = 8, .c_out = 3, .k = 3, .stride = 1,
                             .pad = 1}, "conv3x3 gathered forward");
    check_conv((Conv2dShape){.n = 2, .h = 5, .w = 5, .c_in = 3, .c_out = 8, .k = 3, .stride = 1,
                             .pad = 1}, "conv3x3 gathered input gradient");
    check_conv((Conv2dShape){.n = 2, .h = 7, .w = 7, .c_in = 8, .c_out = 8, .k = 3, .stride = 1,
                             .pad = 2, .dilation = 2}, "conv3x3 gathered dilated");
    check_conv((Conv2dShape){.n = 2, .h = 8, .w = 8, .c_in = 8, .c_out = 8, .k = 5, .stride = 2,
                             .pad = 2}, "conv5x5 s2 gathered");
    check_conv((Conv2dShape){.n = 1, .h = 6, .w = 5, .c_in = 3, .c_out = 8, .k = 3, .stride = 1,
                             .pad = 0}, "conv3x3 unpadded gathered input gradient");
}

/* ---- elementwise and cells: one input, one output ------------------------ */

typedef void (*UnaryForward)(float *out, const float *in, void *shape);

typedef struct UnaryCase {
    UnaryForward forward;
    void *shape;
    float *in, *out, *r;
    size_t in_len, out_len;
} UnaryCase;

static double unary_loss(void *p)
{
    UnaryCase *c = p;
    c->forward(c->out, c->in, c->shape);
    return dot(c->out, c->r, c->out_len);
}

typedef struct CellShape {
    int n, g, c;
} CellShape;

static void elu_fwd(float *out, const float *in, void *shape)
{
    elu_forward(out, in, (size_t)((CellShape *)shape)->n);
}

static void divide_fwd(float *out, const float *in, void *shape)
{
    CellShape *s = shape;
    divide_forward(out, in, s->n, s->g, s->c);
}

static void sobel_fwd(float *out, const float *in, void *shape)
{
    CellShape *s = shape;
    sobel_forward(out, in, s->n, s->g, s->c);
}

/* runs the check for an op whose analytic input gradient is din */
static int check_unary(const char *what, UnaryForward fwd, void *shape, size_t in_len,
                       size_t out_len, float *in, float *r, const float *din)
{
    UnaryCase c = {fwd, shape, in, zeros(out_len), r, in_len, out_len};
    int bad = check_gradient(what, unary_loss, &c, in, din, in_len, in_len, op_tol);
    free(c.out);
    return bad;
}

static void test_elu(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 3);
    CellShape s = {64, 0, 0};
    float *in = randoms(&rng, 64, -3, 3), *r = randoms(&rng, 64, -1, 1);
    float *out = zeros(64), *din = zeros(64);
    elu_forward(out, in, 64);
    for (int i = 0; i < 64; i++)
        assert_float_equal(out[i], in[i] > 0 ? in[i] : expm1f(in[i]), 1e-7);
    elu_backward(din, r, out, 64);
    assert_int_equal(check_unary("elu", elu_fwd, &s, 64, 64, in, r, din), 0);
    free(in); free(r); free(out); free(din);
}

static void test_residual(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 4);
    float *a = randoms(&rng, 10, -1, 1), *b = randoms(&rng, 10, -1, 1), *out = zeros(10);
    /* da and db hold stale values: the gradient is written over them */
    float *dout = randoms(&rng, 10, -1, 1), *da = randoms(&rng, 10, -1, 1), *db = randoms(&rng, 10, -1, 1);
    residual_forward(out, a, b, 10);
    residual_backward(da, db, dout, 10);
    for (int i = 0; i < 10; i++) {
        assert_float_equal(out[i], a[i] + b[i], 0);
        assert_float_equal(da[i], dout[i], 0);
        assert_float_equal(db[i], dout[i], 0);
    }
    free(a); free(b); free(out); free(dout); free(da); free(db);
}

static void test_divide(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 5);
    CellShape s = {2, 3, 4};
    size_t in_len = 2 * 3 * 3 * 4, out_len = 4 * in_len;
    float *in = randoms(&rng, in_len, -1, 1), *r = randoms(&rng, out_len, -1, 1);
    /* din holds stale values: the gradient is written over them */
    float *out = zeros(out_len), *din = randoms(&rng, in_len, -1, 1);
    divide_forward(out, in, s.n, s.g, s.c);
    /* every child cell is a copy of its parent */
    for (int n = 0; n < 2; n++)
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++)
                for (int c = 0; c < 4; c++)
                    assert_float_equal(out[((n * 6 + y) * 6 + x) * 4 + c],
                                       in[((n * 3 + y / 2) * 3 + x / 2) * 4 + c], 0);
    divide_backward(din, r, s.n, s.g, s.c);
    assert_int_equal(check_unary("divide", divide_fwd, &s, in_len, out_len, in, r, din), 0);
    free(in); free(r); free(out); free(din);
}

static void test_sobel(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 6);
    CellShape s = {2, 4, 3};
    size_t in_len = 2 * 4 * 4 * 3, out_len = 3 * in_len;
    float *in = randoms(&rng, in_len, -1, 1), *r = randoms(&rng, out_len, -1, 1);
    float *out = zeros(out_len), *din = zeros(in_len);
    sobel_forward(out, in, s.n, s.g, s.c);
    /* one interior cell by hand: image 1, y = 1, x = 2, channel 2 */
#define IN(y, x) in[((1 * 4 + (y)) * 4 + (x)) * 3 + 2]
    float gx = (IN(0, 3) - IN(0, 1) + 2 * (IN(1, 3) - IN(1, 1)) + IN(2, 3) - IN(2, 1)) / 8;
    float gy = (IN(2, 1) - IN(0, 1) + 2 * (IN(2, 2) - IN(0, 2)) + IN(2, 3) - IN(0, 3)) / 8;
    const float *cell = out + ((1 * 4 + 1) * 4 + 2) * 9;
    assert_float_equal(cell[2], IN(1, 2), 0);
    assert_float_equal(cell[3 + 2], gx, 1e-6);
    assert_float_equal(cell[6 + 2], gy, 1e-6);
    /* a corner sees zeros beyond the border: image 0, y = 0, x = 0, channel 0 */
    float corner_gx = (2 * in[(0 * 4 + 1) * 3] + in[(1 * 4 + 1) * 3]) / 8;
    assert_float_equal(out[3], corner_gx, 1e-6);
#undef IN
    sobel_backward(din, r, s.n, s.g, s.c);
    assert_int_equal(check_unary("sobel", sobel_fwd, &s, in_len, out_len, in, r, din), 0);
    free(in); free(r); free(out); free(din);
}

/* ---- the genome -------------------------------------------------------------- */

enum { GN = 2, GG = 5, GC = 3, GH = 4 };

typedef struct GenomeCase {
    float *z, *alive, *w, *out, *proj, *r;
} GenomeCase;

static double genome_loss(void *p)
{
    GenomeCase *c = p;
    memset(c->out, 0, (size_t)GN * GG * GG * GH * sizeof(float));
    genome_conv_forward(c->out, c->proj, c->z, c->alive, c->w, GN, GG, GC, GH);
    return dot(c->out, c->r, (size_t)GN * GG * GG * GH);
}

/* The genome's conv is the conv3x3 of cells that hold z where they are
 * alive and zero where not; its gradients, by finite differences. */
static void test_genome_conv(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 8);
    const size_t cells = (size_t)GN * GG * GG, out_len = cells * GH;
    GenomeCase c = {.z = randoms(&rng, GN * GC, -1, 1), .alive = zeros(cells),
                    .w = randoms(&rng, GH * GC * 9, -1, 1), .out = randoms(&rng, out_len, -1, 1),
                    .proj = zeros(GN * 9 * GH), .r = randoms(&rng, out_len, -1, 1)};
    for (size_t i = 0; i < cells; i++) c.alive[i] = vnca_rng_uniform(&rng) < 0.6f;
    const Conv2dShape shape = {.n = GN, .h = GG, .w = GG, .c_in = GC, .c_out = GH, .k = 3, .stride = 1, .pad = 1};
    float *cells_in = zeros(cells * GC), *col = zeros(conv2d_col_size(shape)), *want = zeros(out_len);
    float *base = zeros(out_len);
    memcpy(base, c.out, out_len * sizeof(float));
    for (size_t i = 0; i < cells; i++)
        for (int ch = 0; ch < GC; ch++) cells_in[i * GC + ch] = c.alive[i] * c.z[i / (GG * GG) * GC + ch];
    conv2d_forward(want, col, cells_in, c.w, NULL, shape);
    genome_conv_forward(c.out, c.proj, c.z, c.alive, c.w, GN, GG, GC, GH);
    for (size_t i = 0; i < out_len; i++) assert_float_equal(c.out[i], base[i] + want[i], 1e-5);
    /* alive NULL: every cell holds z */
    for (size_t i = 0; i < cells * GC; i++) cells_in[i] = c.z[i / (GG * GG * GC) * GC + i % GC];
    conv2d_forward(want, col, cells_in, c.w, NULL, shape);
    memset(c.out, 0, out_len * sizeof(float));
    genome_conv_forward(c.out, c.proj, c.z, NULL, c.w, GN, GG, GC, GH);
    for (size_t i = 0; i < out_len; i++) assert_float_equal(c.out[i], want[i], 1e-5);

    float *dz = zeros(GN * GC), *dw = zeros(GH * GC * 9), *dproj = zeros(GN * 9 * GH);
    genome_conv_backward(dz, dw, dproj, c.r, c.z, c.alive, c.w, GN, GG, GC, GH);
    int bad = check_gradient("genome z", genome_loss, &c, c.z, dz, GN * GC, GN * GC, op_tol);
    bad += check_gradient("genome w", genome_loss, &c, c.w, dw, GH * GC * 9, GH * GC * 9, op_tol);
    assert_int_equal(bad, 0);
    free(c.z); free(c.alive); free(c.w); free(c.out); free(c.proj); free(c.r);
    free(cells_in); free(col); free(want); free(base); free(dz); free(dw); free(dproj);
}

/* ---- a genome's position ---------------------------------------------------- */

typedef struct PositionCase {
    float *alive, *w, *out, *scratch, *r;
} PositionCase;

static double position_loss(void *p)
{
    PositionCase *c = p;
    memset(c->out, 0, (size_t)GN * GG * GG * GH * sizeof(float));
    position_forward(c->out, c->scratch, c->alive, c->w, GN, GG, GH);
    return dot(c->out, c->r, (size_t)GN * GG * GG * GH);
}

/* A living cell adds w . [sin(pi 2^k u), cos(pi 2^k u), sin(pi 2^k v),
 * cos(pi 2^k v)]_k of its centre (u, v) in [-1, 1]; a dead one nothing.
 * The weights' gradient, by finite differences. */
static void test_position(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 9);
    const size_t cells = (size_t)GN * GG * GG, out_len = cells * GH;
    PositionCase c = {.alive = zeros(cells), .w = randoms(&rng, GH * POSITION_FEATURES, -1, 1),
                      .out = randoms(&rng, out_len, -1, 1),
                      .scratch = zeros(position_scratch_floats(GG, GH)),
                      .r = randoms(&rng, out_len, -1, 1)};
    for (size_t i = 0; i < cells; i++) c.alive[i] = vnca_rng_uniform(&rng) < 0.6f;
    float *base = zeros(out_len);
    memcpy(base, c.out, out_len * sizeof(float));
    position_forward(c.out, c.scratch, c.alive, c.w, GN, GG, GH);
    for (size_t i = 0; i < cells; i++) {
        const int y = (int)(i / GG % GG), x = (int)(i % GG);
        const double u = (x + 0.5) / GG * 2 - 1, v = (y + 0.5) / GG * 2 - 1;
        for (int o = 0; o < GH; o++) {
            double want = 0;
            for (int k = 0; k < POSITION_OCTAVES; k++) {
                const double f = M_PI * (1 << k);
                const float *wk = c.w + o * POSITION_FEATURES + 4 * k;
                want += wk[0] * sin(f * u) + wk[1] * cos(f * u) + wk[2] * sin(f * v) + wk[3] * cos(f * v);
            }
            assert_float_equal(c.out[i * GH + o], base[i * GH + o] + c.alive[i] * want, 1e-5);
        }
    }
    float *dw = zeros(GH * POSITION_FEATURES);
    position_backward(dw, c.scratch, c.r, c.alive, GN, GG, GH);
    assert_int_equal(check_gradient("position w", position_loss, &c, c.w, dw, GH * POSITION_FEATURES,
                                    GH * POSITION_FEATURES, op_tol), 0);
    free(c.alive); free(c.w); free(c.out); free(c.scratch); free(c.r); free(base); free(dw);
}

/* A hole in the genome closes one ring of cells a step; an image with no
 * living cell stays without. */
static void test_genome_spread(void **state)
{
    (void)state;
    float alive[2 * 25], next[2 * 25];
    for (int i = 0; i < 25; i++) {
        const int y = i / 5, x = i % 5;
        alive[i] = !(y >= 1 && y <= 3 && x >= 1 && x <= 4); /* a 3x4 hole at the right edge */
        alive[25 + i] = 0;
    }
    genome_spread(next, alive, 2, 5);
    for (int i = 0; i < 25; i++) {
        const int y = i / 5, x = i % 5;
        assert_float_equal(next[i], y == 2 && x >= 2 ? 0 : 1, 0);
        assert_float_equal(next[25 + i], 0, 0);
    }
    genome_spread(alive, next, 2, 5);
    for (int i = 0; i < 25; i++) assert_float_equal(alive[i], 1, 0);
}

/* ---- losses and the latent ------------------------------------------------ */

typedef struct LossCase {
    int n, len;
    float *a, *b, *x;     /* bce: logits, pixel weights (or NULL), targets; kl: mu, logsig */
    int kind;             /* 0 bce, 1 kl */
} LossCase;

static double loss_case_value(void *p)
{
    LossCase *c = p;
    double per[4], sum = 0;
    if (c->kind == 0) bce_logits_forward(per, c->a, 1, c->x, c->b, c->n, c->len);
    else kl_forward(per, c->a, c->b, c->n, c->len);
    for (int i = 0; i < c->n; i++) sum += per[i];
    return sum;
}

static void test_bce_logits(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 7);
    LossCase c = {.n = 3, .len = 8, .kind = 0};
    c.a = randoms(&rng, 24, -6, 6);
    c.x = randoms(&rng, 24, 0, 1);
    for (int i = 0; i < 12; i++) c.x[i] = c.x[i] > 0.5f; /* binary and fractional targets */
    double per[3];
    bce_logits_forward(per, c.a, 1, c.x, NULL, 3, 8);
    for (int i = 0; i < 3; i++) {
        double want = 0;
        for (int j = 0; j < 8; j++) {
            double p = 1 / (1 + exp(-(double)c.a[i * 8 + j])), t = c.x[i * 8 + j];
            want -= t * log(p) + (1 - t) * log(1 - p);
        }
        assert_float_equal(per[i], want, 1e-9 * (1 + want));
    }
    /* a huge logit stays finite */
    float big = 1000.0f, one = 0.0f;
    bce_logits_forward(per, &big, 1, &one, NULL, 1, 1);
    assert_float_equal(per[0], 1000.0, 1e-9);
    float *da = zeros(24);
    bce_logits_backward(da, c.a, 1, c.x, NULL, 3, 8, 1.0f);
    assert_int_equal(check_gradient("bce logits", loss_case_value, &c, c.a, da, 24, 24, op_tol), 0);
    /* per-pixel weights, zeros among them: those pixels count for nothing */
    c.b = randoms(&rng, 8, 0, 2);
    c.b[3] = c.b[6] = 0.0f;
    float *dw = zeros(24);
    bce_logits_backward(dw, c.a, 1, c.x, c.b, 3, 8, 1.0f);
    assert_int_equal(check_gradient("bce logits weighted", loss_case_value, &c, c.a, dw, 24, 24,
                                    op_tol), 0);
    for (int i = 0; i < 3; i++) assert_float_equal(dw[i * 8 + 3], 0.0f, 0);
    free(c.a); free(c.b); free(c.x); free(da); free(dw);
}

static void test_kl(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 8);
    LossCase c = {.n = 2, .len = 5, .kind = 1};
    c.a = randoms(&rng, 10, -2, 2);
    c.b = randoms(&rng, 10, -1.5f, 1);
    float *dmu = zeros(10), *dls = zeros(10);
    kl_backward(dmu, dls, c.a, c.b, 2, 5, 1.0f);
    int bad = check_gradient("kl mu", loss_case_value, &c, c.a, dmu, 10, 10, op_tol);
    bad += check_gradient("kl logsig", loss_case_value, &c, c.b, dls, 10, 10, op_tol);
    assert_int_equal(bad, 0);
    /* q = p gives zero */
    float zero[3] = {0, 0, 0};
    double kl;
    kl_forward(&kl, zero, zero, 1, 3);
    assert_float_equal(kl, 0.0, 0);
    free(c.a); free(c.b); free(dmu); free(dls);
}

typedef struct ReparamCase {
    float *mu, *logsig, *eps, *z, *r;
    size_t n;
} ReparamCase;

static double reparam_loss(void *p)
{
    ReparamCase *c = p;
    reparam_forward(c->z, c->mu, c->logsig, c->eps, c->n);
    return dot(c->z, c->r, c->n);
}

static void test_reparam(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 9);
    ReparamCase c = {.n = 12};
    c.mu = randoms(&rng, 12, -1, 1);
    c.logsig = randoms(&rng, 12, -1, 1);
    c.eps = zeros(12);
    vnca_rng_normal_fill(&rng, c.eps, 12);
    c.z = zeros(12);
    c.r = randoms(&rng, 12, -1, 1);
    float *dmu = zeros(12), *dls = zeros(12);
    reparam_backward(dmu, dls, c.r, c.logsig, c.eps, 12);
    int bad = check_gradient("reparam mu", reparam_loss, &c, c.mu, dmu, 12, 12, op_tol);
    bad += check_gradient("reparam logsig", reparam_loss, &c, c.logsig, dls, 12, 12, op_tol);
    assert_int_equal(bad, 0);
    free(c.mu); free(c.logsig); free(c.eps); free(c.z); free(c.r); free(dmu); free(dls);
}

/* ---- the random number generator --------------------------------------- */

static void test_rng(void **state)
{
    (void)state;
    VncaRng a, b;
    vnca_rng_seed(&a, 42);
    vnca_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) assert_true(vnca_rng_u64(&a) == vnca_rng_u64(&b));
    vnca_rng_seed(&b, 43);
    assert_true(vnca_rng_u64(&a) != vnca_rng_u64(&b));

    /* moments of 200k normal and uniform draws, within 5 standard errors */
    enum { N = 200000 };
    float *v = malloc(N * sizeof(float));
    assert_non_null(v);
    vnca_rng_normal_fill(&a, v, N);
    double mean = 0, var = 0, umean = 0;
    for (int i = 0; i < N; i++) mean += v[i] / N;
    for (int i = 0; i < N; i++) var += (v[i] - mean) * (v[i] - mean) / (N - 1);
    for (int i = 0; i < N; i++) {
        float u = vnca_rng_uniform(&a);
        assert_true(u >= 0.0f && u < 1.0f);
        umean += u / N;
    }
    assert_true(fabs(mean) < 5 / sqrt(N));
    assert_true(fabs(var - 1) < 5 * sqrt(2.0 / N));
    assert_true(fabs(umean - 0.5) < 5 * sqrt(1 / 12.0 / N));
    int counts[3] = {0};
    for (int i = 0; i < 30000; i++) counts[vnca_rng_below(&a, 3)]++;
    for (int k = 0; k < 3; k++) assert_true(abs(counts[k] - 10000) < 5 * 82);
    free(v);
}

static void test_rng_square(void **state)
{
    (void)state;
    VncaRng rng;
    vnca_rng_seed(&rng, 7);
    /* a 3x3 square on a 5x5 grid has 3 places a side: every one is drawn,
     * none past the edge, and a square as large as the grid has one place */
    int seen[3][3] = {{0}};
    for (int i = 0; i < 900; i++) {
        int xy[2];
        vnca_rng_square(&rng, 5, 3, xy);
        assert_true(xy[0] >= 0 && xy[0] < 3 && xy[1] >= 0 && xy[1] < 3);
        seen[xy[1]][xy[0]]++;
    }
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) assert_true(seen[y][x] > 50);
    int xy[2] = {-1, -1};
    vnca_rng_square(&rng, 4, 4, xy);
    assert_true(xy[0] == 0 && xy[1] == 0);
}

int main(void)
{
    skip_unless_isa_runs();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_gradients),
        cmocka_unit_test(test_linear_fused),
        cmocka_unit_test(test_conv3x3_stride1),
        cmocka_unit_test(test_conv3x3_dilated),
        cmocka_unit_test(test_conv5x5_stride2),
        cmocka_unit_test(test_conv_odd_size),
        cmocka_unit_test(test_conv_gathered),
        cmocka_unit_test(test_elu),
        cmocka_unit_test(test_residual),
        cmocka_unit_test(test_divide),
        cmocka_unit_test(test_sobel),
        cmocka_unit_test(test_genome_conv),
        cmocka_unit_test(test_genome_spread),
        cmocka_unit_test(test_position),
        cmocka_unit_test(test_bce_logits),
        cmocka_unit_test(test_kl),
        cmocka_unit_test(test_reparam),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_rng_square),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
