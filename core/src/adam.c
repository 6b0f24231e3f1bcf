/* Adam and gradient-norm clipping over one flat parameter buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"
#include "vnca/train.h"

int vnca_adam_init(VncaAdam *adam, size_t n, float lr, VncaError *err)
{
    memset(adam, 0, sizeof *adam);
    adam->n = n;
    adam->lr = lr;
    adam->beta1 = 0.9f;
    adam->beta2 = 0.999f;
    adam->eps = 1e-8f;
    adam->m = calloc(n, sizeof(float));
    adam->v = calloc(n, sizeof(float));
    if (!adam->m || !adam->v) {
        vnca_adam_free(adam);
        return vnca_fail(err, "out of memory for Adam's moments of %zu parameters", n);
    }
    return 0;
}

void vnca_adam_free(VncaAdam *adam)
{
    free(adam->m);
    free(adam->v);
    memset(adam, 0, sizeof *adam);
}

void vnca_adam_update(VncaAdam *adam, float *params, const float *grads)
{
    adam->step++;
    const float correction1 = 1.0f - (float)pow(adam->beta1, (double)adam->step);
    const float correction2 = 1.0f - (float)pow(adam->beta2, (double)adam->step);
    const float inv_sqrt_c2 = 1.0f / sqrtf(correction2), step_size = adam->lr / correction1;
    const float b1 = adam->beta1, b2 = adam->beta2, eps = adam->eps;
    float *m = adam->m, *v = adam->v;
    #pragma omp parallel for simd schedule(static) num_threads(team_size())
    for (size_t i = 0; i < adam->n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * grads[i];
        v[i] = b2 * v[i] + (1.0f - b2) * grads[i] * grads[i];
        params[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_c2 + eps);
    }
}

double vnca_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)grads[i] * grads[i];
    const double norm = sqrt(sum);
    if (norm > max_norm) {
        const float scale = (float)(max_norm / (norm + 1e-6));
        for (size_t i = 0; i < n; i++) grads[i] *= scale;
    }
    return norm;
}
