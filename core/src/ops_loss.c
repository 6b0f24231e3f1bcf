/* The negative ELBO's pieces: Bernoulli likelihood with logits, the Gaussian
 * KL to the standard normal prior, and reparameterized sampling; and the
 * distance between two sets of cell states that a healed row is scored by.
 * Sums are in double: a 1024-pixel image sum in float loses digits the IWAE
 * needs. */
#include <math.h>

#include "vnca/ops.h"

void bce_logits_forward(double *loss, const float *logits, int stride, const float *x,
                        const float *weight, int n, int pixels)
{
    for (int i = 0; i < n; i++) {
        double sum = 0.0;
        for (int j = 0; j < pixels; j++) {
            double l = logits[((size_t)i * pixels + j) * stride];
            double t = x[(size_t)i * pixels + j];
            /* max(l, 0) - l t + log(1 + exp(-|l|)): stable for any l */
            double term = fmax(l, 0.0) - l * t + log1p(exp(-fabs(l)));
            sum += weight ? weight[j] * term : term;
        }
        loss[i] = sum;
    }
}

void bce_logits_backward(float *dlogits, const float *logits, int stride, const float *x,
                         const float *weight, int n, int pixels, float scale)
{
    for (size_t i = 0; i < (size_t)n * pixels; i++) {
        float l = logits[i * stride];
        float sig = l >= 0.0f ? 1.0f / (1.0f + expf(-l)) : expf(l) / (1.0f + expf(l));
        float w = weight ? weight[i % (size_t)pixels] : 1.0f;
        dlogits[i * stride] += scale * w * (sig - x[i]);
    }
}

void kl_forward(double *kl, const float *mu, const float *logsig, int n, int z)
{
    for (int i = 0; i < n; i++) {
        double sum = 0.0;
        for (int j = 0; j < z; j++) {
            double m = mu[(size_t)i * z + j], ls = logsig[(size_t)i * z + j];
            sum += 0.5 * (m * m + exp(2.0 * ls) - 1.0 - 2.0 * ls);
        }
        kl[i] = sum;
    }
}

void kl_backward(float *dmu, float *dlogsig, const float *mu, const float *logsig, int n, int z,
                 float scale)
{
    for (size_t i = 0; i < (size_t)n * z; i++) {
        dmu[i] += scale * mu[i];
        dlogsig[i] += scale * (expf(2.0f * logsig[i]) - 1.0f);
    }
}

void reparam_forward(float *z, const float *mu, const float *logsig, const float *eps,
                     size_t count)
{
    for (size_t i = 0; i < count; i++) z[i] = mu[i] + expf(logsig[i]) * eps[i];
}

void reparam_backward(float *dmu, float *dlogsig, const float *dz, const float *logsig,
                      const float *eps, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        dmu[i] += dz[i];
        dlogsig[i] += dz[i] * eps[i] * expf(logsig[i]);
    }
}
