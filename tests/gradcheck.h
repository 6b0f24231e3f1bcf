/* Finite-difference gradient checking shared by the tests.
 *
 * A check perturbs one float of an input in place, re-evaluates a scalar loss
 * (in double) and compares the central difference with the analytic gradient:
 *   |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|)
 * Every test states its eps, atol and rtol where it calls check_gradient. */
#ifndef VNCA_TEST_GRADCHECK_H
#define VNCA_TEST_GRADCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "vnca/rng.h"

typedef double (*LossFn)(void *ctx);

typedef struct GradTolerance {
    float eps;       /* finite-difference step */
    double atol, rtol;
} GradTolerance;

/* Checks d loss / d param[i] for `checks` indices spread over [0, n) (all of
 * them when checks >= n). Prints the worst case; returns the number of
 * indices out of tolerance. */
int check_gradient(const char *what, LossFn loss, void *ctx, float *param, const float *analytic,
                   size_t n, size_t checks, GradTolerance tol);

void fill_uniform(VncaRng *rng, float *v, size_t n, float lo, float hi);
/* sum_i a[i] * b[i] in double */
double dot(const float *a, const float *b, size_t n);

#endif
