/* Encoding, decoding and the importance-weighted likelihood bound, in batches
 * of whatever size the workspace holds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "inference.h"
#include "threads.h"
#include "vnca/ops.h"

static int min_int(int a, int b) { return a < b ? a : b; }

void vnca_encode(const VncaModel *m, VncaWorkspace *ws, const float *x, int n, float *mu,
                 float *logsig)
{
    const int z = m->config.latent, pixels = m->config.image_size * m->config.image_size;
    for (int i0 = 0; i0 < n; i0 += ws->cap) {
        const int b = min_int(ws->cap, n - i0);
        encoder_forward(m, ws, x + (size_t)i0 * pixels, b);
        memcpy(mu + (size_t)i0 * z, ws->mu, (size_t)b * z * sizeof(float));
        memcpy(logsig + (size_t)i0 * z, ws->logsig, (size_t)b * z * sizeof(float));
    }
}

static void grow(const VncaModel *m, VncaGrowth *g, const float *z, int n)
{
    g->model = m;
    g->n = n;
    vnca_growth_seed(g, z);
    vnca_growth_finish(g);
}

/* Each image grows alone, so that the shards' states are the same bits as
 * one growth of the whole batch, whatever the number of shards. */
const float *workspace_decode(const VncaModel *m, VncaWorkspace *ws, const float *z, int b)
{
    const int team = team_size(), shards = min_int(min_int(ws->decode_shards, team), b);
    if (shards <= 1) {
        grow(m, &ws->growth, z, b);
        return ws->growth.state;
    }
    const size_t image_state = (size_t)m->config.image_size * m->config.image_size * m->config.latent;
    #pragma omp parallel for schedule(static) num_threads(shards)
    for (int k = 0; k < shards; k++) {
        const int i0 = (int)((long)b * k / shards), i1 = (int)((long)b * (k + 1) / shards);
        VncaGrowth *g = k == 0 ? &ws->growth : &ws->shard_growth[k - 1];
        grow(m, g, z + (size_t)i0 * m->config.latent, i1 - i0);
        if (k > 0)
            memcpy(ws->growth.state + i0 * image_state, g->state, (i1 - i0) * image_state * sizeof(float));
    }
    ws->growth.n = b;
    return ws->growth.state;
}

int workspace_decode_cap(const VncaWorkspace *ws) { return ws->decode_cap; }

void vnca_decode(const VncaModel *m, VncaWorkspace *ws, const float *z, int n, float *logits)
{
    const int c = m->config.latent, pixels = m->config.image_size * m->config.image_size;
    for (int i0 = 0; i0 < n; i0 += ws->decode_cap) {
        const int b = min_int(ws->decode_cap, n - i0);
        workspace_decode(m, ws, z + (size_t)i0 * c, b);
        vnca_growth_channel(&ws->growth, 0, logits + (size_t)i0 * pixels);
    }
}

/* decodes z [n, Z] chunk by chunk into probabilities [n, S, S] */
static void decode_probs(const VncaModel *m, VncaWorkspace *ws, const float *z, int n, float *probs)
{
    const int pixels = m->config.image_size * m->config.image_size;
    vnca_decode(m, ws, z, n, probs);
    for (size_t i = 0; i < (size_t)n * pixels; i++) probs[i] = 1.0f / (1.0f + expf(-probs[i]));
}

void vnca_sample(const VncaModel *m, VncaWorkspace *ws, int n, VncaRng *rng, float *probs)
{
    const int z = m->config.latent;
    for (int i0 = 0; i0 < n; i0 += ws->cap) {
        const int b = min_int(ws->cap, n - i0);
        vnca_rng_normal_fill(rng, ws->z, (size_t)b * z);
        decode_probs(m, ws, ws->z, b, probs + (size_t)i0 * m->config.image_size * m->config.image_size);
    }
}

void vnca_reconstruct(const VncaModel *m, VncaWorkspace *ws, const float *x, int n, float *probs)
{
    const int pixels = m->config.image_size * m->config.image_size;
    for (int i0 = 0; i0 < n; i0 += ws->cap) {
        const int b = min_int(ws->cap, n - i0);
        encoder_forward(m, ws, x + (size_t)i0 * pixels, b);
        decode_probs(m, ws, ws->mu, b, probs + (size_t)i0 * pixels);
    }
}

static double log_normal_sum(const float *v, int z)
{
    const double half_log_2pi = 0.91893853320467274178;
    double sum = 0.0;
    for (int j = 0; j < z; j++) sum += -0.5 * (double)v[j] * v[j] - half_log_2pi;
    return sum;
}

void vnca_log_weights(const VncaModel *m, VncaWorkspace *ws, const float *x, int n,
                      const float *eps, int k_samples, double *logw)
{
    const int z = m->config.latent, pixels = m->config.image_size * m->config.image_size;
    for (int i0 = 0; i0 < n; i0 += ws->cap) {
        const int b = min_int(ws->cap, n - i0);
        encoder_forward(m, ws, x + (size_t)i0 * pixels, b);
        const long samples = (long)b * k_samples;
        for (long p0 = 0; p0 < samples; p0 += ws->decode_cap) {
            const int chunk = (int)(samples - p0 < ws->decode_cap ? samples - p0 : ws->decode_cap);
            for (int j = 0; j < chunk; j++) {
                const long p = p0 + j;
                const int i = (int)(p / k_samples);
                reparam_forward(ws->z + (size_t)j * z, ws->mu + (size_t)i * z,
                                ws->logsig + (size_t)i * z,
                                eps + ((size_t)i0 * k_samples + p) * z, (size_t)z);
            }
            workspace_decode(m, ws, ws->z, chunk);
            for (int j = 0; j < chunk; j++) {
                const long p = p0 + j;
                const int i = (int)(p / k_samples);
                const float *e = eps + ((size_t)i0 * k_samples + p) * z;
                double bce, log_q = log_normal_sum(e, z);
                for (int k = 0; k < z; k++) log_q -= ws->logsig[(size_t)i * z + k];
                bce_logits_forward(&bce, ws->growth.state + (size_t)j * pixels * z, z,
                                   x + (size_t)(i0 + i) * pixels, NULL, 1, pixels);
                logw[(size_t)i0 * k_samples + p] = -bce + log_normal_sum(ws->z + (size_t)j * z, z)
                                                   - log_q;
            }
        }
    }
}

int vnca_iwae(const VncaModel *m, VncaWorkspace *ws, const float *x, int n, int k_samples,
              VncaRng *rng, double *bound, double *elbo, VncaError *err)
{
    const int z = m->config.latent, pixels = m->config.image_size * m->config.image_size;
    if (k_samples < 1) return vnca_fail(err, "IWAE needs at least 1 sample, got %d", k_samples);
    float *eps = malloc((size_t)k_samples * z * sizeof(float));
    double *logw = malloc((size_t)k_samples * sizeof(double));
    if (!eps || !logw) {
        free(eps);
        free(logw);
        return vnca_fail(err, "out of memory for %d IWAE samples", k_samples);
    }
    for (int i = 0; i < n; i++) {
        vnca_rng_normal_fill(rng, eps, (size_t)k_samples * z);
        vnca_log_weights(m, ws, x + (size_t)i * pixels, 1, eps, k_samples, logw);
        double top = logw[0], sum = 0.0, mean = 0.0;
        for (int k = 1; k < k_samples; k++) top = fmax(top, logw[k]);
        for (int k = 0; k < k_samples; k++) {
            sum += exp(logw[k] - top);
            mean += logw[k] / k_samples;
        }
        bound[i] = top + log(sum) - log((double)k_samples);
        if (elbo) elbo[i] = mean;
    }
    free(eps);
    free(logw);
    return 0;
}

/* a sample's log weight and its place in the draw, for sorting by weight */
typedef struct RankedSample {
    double logw;
    int index;
} RankedSample;

/* heaviest first; equal weights keep the order drawn */
static int heavier_first(const void *a, const void *b)
{
    const RankedSample *p = a, *q = b;
    if (p->logw != q->logw) return p->logw > q->logw ? -1 : 1;
    return (p->index > q->index) - (p->index < q->index);
}

int vnca_posterior_samples(const VncaModel *m, VncaWorkspace *ws, const float *x, int k, VncaRng *rng,
                           float *z, double *weight, VncaError *err)
{
    const int latent = m->config.latent;
    if (k < 1) return vnca_fail(err, "posterior sampling needs at least 1 sample, got %d", k);
    float *eps = malloc((size_t)k * latent * sizeof(float));
    double *logw = malloc((size_t)k * sizeof(double));
    RankedSample *ranked = malloc((size_t)k * sizeof *ranked);
    int failed = 0;
    if (!eps || !logw || !ranked) {
        failed = vnca_fail(err, "out of memory for %d posterior samples", k);
        goto done;
    }
    vnca_rng_normal_fill(rng, eps, (size_t)k * latent);
    /* its encoding of x stays in ws->mu and ws->logsig */
    vnca_log_weights(m, ws, x, 1, eps, k, logw);
    for (int i = 0; i < k; i++) {
        /* NaN would leave the order undefined and every weight NaN */
        if (isnan(logw[i]) || logw[i] == INFINITY) {
            failed = vnca_fail(err, "a log weight of the picture is %g: the model's output is not finite", logw[i]);
            goto done;
        }
        ranked[i] = (RankedSample){logw[i], i};
    }
    qsort(ranked, (size_t)k, sizeof *ranked, heavier_first);
    const double top = ranked[0].logw;
    if (top == -INFINITY) {
        failed = vnca_fail(err, "every posterior sample makes the picture impossible (log weight -inf)");
        goto done;
    }
    double sum = 0.0;
    for (int i = 0; i < k; i++) sum += exp(ranked[i].logw - top);
    for (int r = 0; r < k; r++) {
        weight[r] = exp(ranked[r].logw - top) / sum;
        reparam_forward(z + (size_t)r * latent, ws->mu, ws->logsig, eps + (size_t)ranked[r].index * latent,
                        (size_t)latent);
    }
done:
    free(eps);
    free(logw);
    free(ranked);
    return failed;
}
