#include "gradcheck.h"

#include <math.h>
#include <stdio.h>

int check_gradient(const char *what, LossFn loss, void *ctx, float *param, const float *analytic,
                   size_t n, size_t checks, GradTolerance tol)
{
    size_t stride = checks >= n ? 1 : n / checks;
    int bad = 0;
    double worst = -1.0;
    size_t worst_i = 0;
    double worst_num = 0.0;
    for (size_t i = 0; i < n; i += stride) {
        float saved = param[i];
        param[i] = saved + tol.eps;
        double up = loss(ctx);
        param[i] = saved - tol.eps;
        double down = loss(ctx);
        param[i] = saved;
        /* the step actually taken, after rounding to float */
        double step = (double)(saved + tol.eps) - (double)(saved - tol.eps);
        double numeric = (up - down) / step;
        double diff = fabs(numeric - analytic[i]);
        double allowed = tol.atol + tol.rtol * fmax(fabs(numeric), fabs(analytic[i]));
        if (diff > allowed) bad++;
        if (diff / allowed > worst) {
            worst = diff / allowed;
            worst_i = i;
            worst_num = numeric;
        }
    }
    printf("gradcheck %-28s n=%-7zu worst at %zu: numeric %.6g analytic %.6g (%.2f of tolerance)%s\n",
           what, n, worst_i, worst_num, (double)analytic[worst_i], worst, bad ? "  FAIL" : "");
    return bad;
}

void fill_uniform(VncaRng *rng, float *v, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * vnca_rng_uniform(rng);
}

double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}
