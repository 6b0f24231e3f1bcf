/* The matrix product against a double-precision reference, on shapes that
 * reach every part of it: partial register tiles and panels, sums longer
 * than one block of k, both operand orders, bias and accumulation, a fused
 * residual, ELU and ELU's derivative, operands gathered from runs, tall
 * products (many rows) and deep ones (a long sum into a small C), and the
 * same bits on one thread as on several. Run once per instruction set. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <omp.h>

#include "fixtures.h"
#include "gradcheck.h"
#include "gemm.h"

typedef struct Case {
    int m, n, k;
    int a_transposed, b_transposed, bias, accumulate;
    int add, elu, elu_slope;
    int a_run, b_run; /* A (B) gathered in runs of this many floats; 0: not */
} Case;

/* element (r, c) of a matrix stored row-major, or its transpose */
static GemmOperand operand(const float *data, int rows, int cols, int transposed)
{
    return transposed ? gemm_transposed(data, rows) : gemm_matrix(data, cols);
}

static float *randoms(VncaRng *rng, size_t n)
{
    float *v = malloc(n * sizeof(float));
    assert_non_null(v);
    fill_uniform(rng, v, n, -1, 1);
    return v;
}

/* The row-major matrix m [rows, cols] as a gathered operand: its runs
 * copied into *store in reverse order, every fifth one a shared run of
 * zeros instead (zeroed in m too); *table and *store to free. */
static GemmOperand gathered(float *m, int rows, int cols, int run, const float ***table, float **store)
{
    const int per_row = cols / run, count = rows * per_row;
    float *runs = malloc(((size_t)count + 1) * run * sizeof(float)), *zeros = runs + (size_t)count * run;
    const float **t = malloc((size_t)count * sizeof *t);
    assert_non_null(runs);
    assert_non_null(t);
    memset(zeros, 0, (size_t)run * sizeof(float));
    for (int i = 0; i < count; i++) {
        float *src = m + (size_t)i * run, *dst = runs + (size_t)(count - 1 - i) * run;
        if (i % 5 == 4) memset(src, 0, (size_t)run * sizeof(float));
        memcpy(dst, src, (size_t)run * sizeof(float));
        t[i] = i % 5 == 4 ? zeros : dst;
    }
    *table = t;
    *store = runs;
    return gemm_gathered(t, per_row, run);
}

/* C on `threads` threads; the largest error against the reference, relative
 * to the sum of the magnitudes of each element's terms */
static double run_case(const Case *c, int threads, float *out)
{
    VncaRng rng;
    vnca_rng_seed(&rng, 7 + c->m + c->n + c->k);
    float *a = randoms(&rng, (size_t)c->m * c->k), *b = randoms(&rng, (size_t)c->k * c->n);
    float *bias = randoms(&rng, (size_t)c->n), *start = randoms(&rng, (size_t)c->m * c->n);
    float *add = randoms(&rng, (size_t)c->m * c->n), *elu_out = randoms(&rng, (size_t)c->m * c->n);
    memcpy(out, start, (size_t)c->m * c->n * sizeof(float));
    const float **a_table = NULL, **b_table = NULL;
    float *a_runs = NULL, *b_runs = NULL;
    const GemmShape s = {.m = c->m, .n = c->n, .k = c->k,
                         .a = c->a_run ? gathered(a, c->m, c->k, c->a_run, &a_table, &a_runs)
                                       : operand(a, c->m, c->k, c->a_transposed),
                         .b = c->b_run ? gathered(b, c->k, c->n, c->b_run, &b_table, &b_runs)
                                       : operand(b, c->k, c->n, c->b_transposed),
                         .bias = c->bias ? bias : NULL, .c = out, .ldc = c->n,
                         .accumulate = c->accumulate, .add = c->add ? add : NULL,
                         .elu = c->elu, .elu_out = c->elu_slope ? elu_out : NULL};
    omp_set_num_threads(threads);
    gemm(&s);
    double worst = 0;
    for (int i = 0; i < c->m; i++)
        for (int j = 0; j < c->n; j++) {
            double want = 0, scale = 0;
            for (int p = 0; p < c->k; p++) {
                const double ai = c->a_run ? a[(size_t)i * c->k + p] : a[s.a.rows * i + s.a.cols * p];
                const double bj = c->b_run ? b[(size_t)p * c->n + j] : b[s.b.rows * p + s.b.cols * j];
                const double term = ai * bj;
                want += term;
                scale += fabs(term);
            }
            if (c->bias) want += bias[j], scale += fabs(bias[j]);
            if (c->accumulate) want += start[(size_t)i * c->n + j], scale += fabs(start[(size_t)i * c->n + j]);
            if (c->add) want += add[(size_t)i * c->n + j], scale += fabs(add[(size_t)i * c->n + j]);
            if (c->elu && want < 0) want = expm1(want); /* |d elu| <= 1: the scale holds */
            if (c->elu_slope) { /* a factor in (0, 1] */
                const double y = elu_out[(size_t)i * c->n + j], slope = y > 0 ? 1 : y + 1;
                want *= slope;
                scale *= slope;
            }
            const double err = fabs(out[(size_t)i * c->n + j] - want) / (scale + 1e-30);
            if (err > worst) worst = err;
        }
    free(a); free(b); free(bias); free(start); free(add); free(elu_out);
    free(a_table); free(a_runs); free(b_table); free(b_runs);
    return worst;
}

static void test_products(void **state)
{
    (void)state;
    skip_unless_isa_runs();
    const Case cases[] = {
        {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        {13, 33, 7, 0, 0, 1, 0, 0, 0, 0, 0, 0},        /* partial tiles and panels */
        {97, 50, 300, 0, 0, 1, 1, 0, 0, 0, 0, 0},      /* two blocks of k, bias and accumulate */
        {200, 70, 600, 0, 1, 0, 1, 0, 0, 0, 0, 0},     /* B transposed (a layer's weight), packed once */
        {40, 36, 3000, 1, 0, 0, 1, 0, 0, 0, 0, 0},     /* deep: A transposed, a long sum (weight gradients) */
        {130, 20, 2000, 1, 1, 1, 0, 0, 0, 0, 0, 0},    /* deep, both transposed, several row tiles */
        {3000, 17, 45, 0, 0, 1, 0, 0, 0, 0, 0, 0},     /* tall and narrow */
        {700, 12, 40, 0, 1, 1, 0, 0, 0, 0, 0, 0},      /* tall, B transposed (a layer's weight) and narrow */
        /* B read in place, one panel wide (32, 16, 8 columns: each set's NR) */
        {40, 32, 3000, 1, 0, 0, 1, 0, 0, 0, 0, 0},
        {500, 16, 300, 0, 0, 1, 0, 0, 0, 0, 0, 0},
        {300, 8, 600, 0, 0, 0, 1, 0, 0, 0, 0, 0},
        /* a residual and ELU after the last block of k only: tall, partial
         * panels, deep */
        {97, 50, 300, 0, 1, 1, 1, 1, 1, 0, 0, 0},
        {13, 33, 7, 0, 0, 0, 0, 1, 0, 0, 0, 0},
        {40, 36, 3000, 1, 0, 1, 0, 0, 1, 0, 0, 0},
        /* times ELU's derivative (an input gradient through an activation):
         * two blocks of k, partial panels */
        {97, 50, 300, 0, 0, 0, 0, 0, 0, 1, 0, 0},
        {13, 33, 7, 0, 1, 0, 0, 0, 0, 1, 0, 0},
        /* a gathered A (a convolution's taps): runs of 32 and of 48 over
         * blocks of k that hold whole runs only, partial tiles; deep (the
         * first grids of a schedule) */
        {300, 64, 288, 0, 1, 1, 0, 0, 0, 0, 32, 0},
        {97, 33, 576, 0, 0, 0, 1, 1, 1, 0, 48, 0},
        {40, 20, 20 * 24, 0, 0, 1, 0, 0, 0, 0, 24, 0},
        /* gathered, at most 16 columns (AVX-512's one-vector panel) */
        {200, 16, 9 * 16, 0, 1, 1, 0, 0, 0, 0, 16, 0},
        {50, 9, 96, 0, 0, 0, 1, 1, 1, 0, 32, 0},
        /* a gathered B (a weight gradient's taps): panels straddling runs */
        {64, 288, 3000, 1, 0, 0, 1, 0, 0, 0, 0, 32},
        {20, 9 * 12, 700, 1, 0, 0, 0, 0, 0, 0, 0, 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const Case *c = &cases[i];
        float *one = malloc((size_t)c->m * c->n * sizeof(float));
        float *several = malloc((size_t)c->m * c->n * sizeof(float));
        assert_non_null(one);
        assert_non_null(several);
        const double err1 = run_case(c, 1, one), err2 = run_case(c, 3, several);
        print_message("%d x %d x %d: relative error %.2g (1 thread), %.2g (3 threads)\n", c->m,
                      c->n, c->k, err1, err2);
        /* float sums of k terms: a few ulps of the terms' magnitude */
        assert_true(err1 < 1e-6 && err2 < 1e-6);
        assert_memory_equal(one, several, (size_t)c->m * c->n * sizeof(float));
        free(one);
        free(several);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
