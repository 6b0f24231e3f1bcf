/* Inpainting by self-normalized importance sampling of p(z | x_kept), with an
 * optional gradient-ascent refinement of the best samples (see inpaint.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "inference.h"
#include "vnca/inpaint.h"
#include "vnca/ops.h"
#include "vnca/train.h"
#include "workspace.h"

#define HALF_LOG_2PI 0.91893853320467274178

void vnca_inpaint_defaults(VncaInpaintOptions *opt)
{
    *opt = (VncaInpaintOptions){.samples = 64, .widen = 2.0f, .prior_share = 0.25f,
                                .refine_steps = 0, .refine_lr = 0.2f, .seed = 1};
}

void vnca_inpaint_free(VncaInpaintResult *r)
{
    free(r->z);
    free(r->weight);
    free(r->log_lik);
    free(r->prob);
    memset(r, 0, sizeof *r);
}

/* log N(z; mean, diag(sd^2)); mean NULL is the origin */
static double log_gaussian(const float *z, const float *mean, const float *log_sd, double extra_log_sd,
                           int n)
{
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        double ls = (log_sd ? log_sd[j] : 0.0) + extra_log_sd;
        double d = (z[j] - (mean ? mean[j] : 0.0f)) * exp(-ls);
        sum += -0.5 * d * d - ls - HALF_LOG_2PI;
    }
    return sum;
}

static double logsumexp(const double *v, int n)
{
    double top = -INFINITY, sum = 0.0;
    for (int i = 0; i < n; i++) top = fmax(top, v[i]);
    if (!isfinite(top)) return top;
    for (int i = 0; i < n; i++) sum += exp(v[i] - top);
    return top + log(sum);
}

/* The proposal: a mixture of q(z|x_defaced), the same with sigma widened,
 * and the prior, in fixed shares. */
typedef struct Proposal {
    const float *mu, *logsig;
    double log_widen;
    int count[3];           /* samples from each component */
    double log_share[3];
} Proposal;

static double proposal_log_density(const Proposal *p, const float *z, int n)
{
    double parts[3];
    int used = 0;
    if (p->count[0]) parts[used++] = p->log_share[0] + log_gaussian(z, p->mu, p->logsig, 0.0, n);
    if (p->count[1]) parts[used++] = p->log_share[1] + log_gaussian(z, p->mu, p->logsig, p->log_widen, n);
    if (p->count[2]) parts[used++] = p->log_share[2] + log_gaussian(z, NULL, NULL, 0.0, n);
    return logsumexp(parts, used);
}

static void draw(const Proposal *p, int k, VncaRng *rng, float *z, int n)
{
    vnca_rng_normal_fill(rng, z, (size_t)n);
    if (k >= p->count[0] + p->count[1]) return; /* the prior: z = eps */
    const double widen = k < p->count[0] ? 1.0 : exp(p->log_widen);
    for (int j = 0; j < n; j++) z[j] = p->mu[j] + (float)(widen * exp(p->logsig[j])) * z[j];
}

static int stopped(const VncaInpaintOptions *opt, VncaError *err)
{
    return opt->should_stop && opt->should_stop(opt->stop_ctx) ? vnca_fail(err, "inpainting stopped") : 0;
}

/* Decodes k latents in batches: logits [k, P] and log p(x_kept | z). */
static int decode_all(const VncaModel *m, VncaWorkspace *ws, const float *z, int k,
                      const float *x, const float *keep, const VncaInpaintOptions *opt,
                      float *logits, double *log_lik, VncaError *err)
{
    const int c = m->config.latent, pixels = m->config.image_size * m->config.image_size;
    const int cap = workspace_decode_cap(ws);
    for (int k0 = 0; k0 < k; k0 += cap) {
        if (stopped(opt, err)) return -1;
        const int b = k - k0 < cap ? k - k0 : cap;
        const float *state = workspace_decode(m, ws, z + (size_t)k0 * c, b);
        for (int i = 0; i < b; i++) {
            const float *cells = state + (size_t)i * pixels * c;
            for (int j = 0; j < pixels; j++) logits[(size_t)(k0 + i) * pixels + j] = cells[(size_t)j * c];
            double bce;
            bce_logits_forward(&bce, cells, c, x, keep, 1, pixels);
            log_lik[k0 + i] = -bce;
        }
    }
    return 0;
}

/* the first k samples' weights = softmax(logw); the best index and the
 * effective sample size */
static void normalize(VncaInpaintResult *r, const double *logw, int k)
{
    r->k = k;
    const double total = logsumexp(logw, k);
    double sum_sq = 0.0;
    r->best = 0;
    for (int i = 0; i < r->k; i++) {
        r->weight[i] = exp(logw[i] - total);
        sum_sq += r->weight[i] * r->weight[i];
        if (r->weight[i] > r->weight[r->best]) r->best = i;
    }
    r->ess = 1.0 / sum_sq;
}

static void posterior_mean(VncaInpaintResult *r, const float *logits, int pixels)
{
    for (int j = 0; j < pixels; j++) {
        double p = 0.0;
        for (int i = 0; i < r->k; i++)
            p += r->weight[i] / (1.0 + exp(-(double)logits[(size_t)i * pixels + j]));
        r->prob[j] = (float)p;
    }
}

static double log_prior(const float *z, int n) { return log_gaussian(z, NULL, NULL, 0.0, n); }

/* Adam ascent on log p(x_kept | z) + log p(z) for each of the k latents in z. */
static int refine(const VncaModel *m, const float *x, const float *keep, float *z, int k,
                  const VncaInpaintOptions *opt, VncaError *err)
{
    const int c = m->config.latent, pixels = m->config.image_size * m->config.image_size;
    VncaWorkspace *ws = workspace_new(&m->config, k, VNCA_WS_TRAIN, 0, err);
    float *targets = malloc((size_t)k * pixels * sizeof(float));
    float *dz = malloc((size_t)k * c * sizeof(float));
    VncaAdam adam = {0};
    int rc = -1;
    if (!ws || !targets || !dz || vnca_adam_init(&adam, (size_t)k * c, opt->refine_lr, err)) {
        if (ws && (!targets || !dz)) vnca_fail(err, "out of memory for refining %d latents", k);
        goto done;
    }
    for (int i = 0; i < k; i++) memcpy(targets + (size_t)i * pixels, x, pixels * sizeof(float));
    const VncaWeights no_param_grads = {0};
    const DecoderRows rows = {.grow = k};
    for (int step = 0; step < opt->refine_steps; step++) {
        if (stopped(opt, err)) goto done;
        decoder_forward_train(m, ws, z, &rows);
        float *dfinal = ws->dstate[0];
        memset(dfinal, 0, (size_t)k * pixels * c * sizeof(float));
        bce_logits_backward(dfinal, decoder_final_state(ws), c, targets, keep, k, pixels, 1.0f);
        /* the negative log joint's gradient: decoder part, then the prior's z */
        for (size_t i = 0; i < (size_t)k * c; i++) dz[i] = z[i];
        decoder_backward(m, ws, &no_param_grads, dfinal, NULL, z, dz, &rows);
        vnca_adam_update(&adam, z, dz);
    }
    rc = 0;
done:
    vnca_adam_free(&adam);
    free(targets);
    free(dz);
    vnca_workspace_free(ws);
    return rc;
}

static int check_options(const VncaInpaintOptions *o, VncaError *err)
{
    if (o->samples < 1 || o->samples > 1000000)
        return vnca_fail(err, "inpainting samples %d out of range [1, 1000000]", o->samples);
    if (!(o->widen > 0.0f) || !(o->prior_share >= 0.0f && o->prior_share <= 1.0f))
        return vnca_fail(err, "inpainting widen %g must be > 0 and prior share %g in [0, 1]",
                         (double)o->widen, (double)o->prior_share);
    if (o->refine_steps < 0 || o->refine_steps > 100000 || !(o->refine_lr > 0.0f))
        return vnca_fail(err, "inpainting refinement %d steps at rate %g is invalid",
                         o->refine_steps, (double)o->refine_lr);
    return 0;
}

enum { REFINED_MAX = 8 };

/* the keep mask (1 where the pixel is known) */
static void keep_mask(const uint8_t *unknown, float *keep, int pixels)
{
    for (int j = 0; j < pixels; j++) keep[j] = unknown[j] ? 0.0f : 1.0f;
}

int vnca_inpaint_sample(const VncaModel *m, VncaWorkspace *ws, const float *x, const uint8_t *unknown,
                        const VncaInpaintOptions *opt, VncaInpaintResult *out, VncaError *err)
{
    memset(out, 0, sizeof *out);
    if (check_options(opt, err)) return -1;
    const int c = m->config.latent, size = m->config.image_size, pixels = size * size;
    const int k = opt->samples;
    out->k = k;
    out->latent = c;
    out->size = size;
    out->z = malloc((size_t)k * c * sizeof(float));
    out->weight = malloc((size_t)k * sizeof(double));
    out->log_lik = malloc((size_t)k * sizeof(double));
    out->prob = malloc((size_t)pixels * sizeof(float));
    float *keep = malloc((size_t)pixels * sizeof(float));
    float *defaced = malloc((size_t)pixels * sizeof(float));
    float *mu = malloc((size_t)c * sizeof(float)), *logsig = malloc((size_t)c * sizeof(float));
    float *logits = malloc((size_t)k * pixels * sizeof(float));
    double *logw = calloc((size_t)k, sizeof(double));
    int rc = -1;
    if (!out->z || !out->weight || !out->log_lik || !out->prob || !keep || !defaced || !mu ||
        !logsig || !logits || !logw) {
        vnca_fail(err, "out of memory for inpainting with %d samples", k);
        goto done;
    }
    keep_mask(unknown, keep, pixels);
    for (int j = 0; j < pixels; j++) defaced[j] = x[j] * keep[j];
    vnca_encode(m, ws, defaced, 1, mu, logsig);

    Proposal p = {.mu = mu, .logsig = logsig, .log_widen = log((double)opt->widen)};
    p.count[2] = (int)lround(opt->prior_share * k);
    p.count[0] = (k - p.count[2] + 1) / 2;
    p.count[1] = k - p.count[2] - p.count[0];
    for (int i = 0; i < 3; i++) p.log_share[i] = log((double)p.count[i] / k);

    VncaRng rng;
    vnca_rng_seed(&rng, opt->seed);
    for (int i = 0; i < k; i++) draw(&p, i, &rng, out->z + (size_t)i * c, c);
    if (decode_all(m, ws, out->z, k, x, keep, opt, logits, out->log_lik, err)) goto done;
    for (int i = 0; i < k; i++) {
        const float *z = out->z + (size_t)i * c;
        logw[i] = out->log_lik[i] + log_prior(z, c) - proposal_log_density(&p, z, c);
    }
    normalize(out, logw, k);
    posterior_mean(out, logits, pixels);
    rc = 0;
done:
    free(keep);
    free(defaced);
    free(mu);
    free(logsig);
    free(logits);
    free(logw);
    if (rc) vnca_inpaint_free(out);
    return rc;
}

int vnca_inpaint_heaviest(const VncaInpaintResult *r, int *index, int n)
{
    n = n < r->k ? n : r->k;
    for (int i = 0; i < n; i++) {
        int heaviest = -1;
        for (int j = 0; j < r->k; j++) {
            int taken = 0;
            for (int t = 0; t < i && !taken; t++) taken = index[t] == j;
            if (!taken && (heaviest < 0 || r->weight[j] > r->weight[heaviest])) heaviest = j;
        }
        index[i] = heaviest;
    }
    return n;
}

int vnca_inpaint_refine(const VncaModel *m, VncaWorkspace *ws, const float *x, const uint8_t *unknown,
                        const VncaInpaintOptions *opt, VncaInpaintResult *r, VncaError *err)
{
    if (check_options(opt, err)) return -1;
    const int c = m->config.latent, size = m->config.image_size, pixels = size * size;
    if (r->latent != c || r->size != size || r->k < 1)
        return vnca_fail(err, "inpainting result of %d samples, Z %d, %dx%d does not fit the model "
                         "(Z %d, %dx%d)", r->k, r->latent, r->size, r->size, c, size, size);
    int order[REFINED_MAX];
    const int n = vnca_inpaint_heaviest(r, order, REFINED_MAX);
    float *z = malloc((size_t)n * c * sizeof(float)), *keep = malloc((size_t)pixels * sizeof(float));
    float *logits = malloc((size_t)n * pixels * sizeof(float));
    double *log_lik = malloc((size_t)n * sizeof(double)), *logw = malloc((size_t)n * sizeof(double));
    int rc = -1;
    if (!z || !keep || !logits || !log_lik || !logw) {
        vnca_fail(err, "out of memory for refining %d latents", n);
        goto done;
    }
    for (int i = 0; i < n; i++) memcpy(z + (size_t)i * c, r->z + (size_t)order[i] * c, (size_t)c * sizeof(float));
    keep_mask(unknown, keep, pixels);
    /* refined, the samples are weighed by the unnormalized posterior: no
     * proposal density exists for them */
    if (refine(m, x, keep, z, n, opt, err) || decode_all(m, ws, z, n, x, keep, opt, logits, log_lik, err))
        goto done;
    for (int i = 0; i < n; i++) logw[i] = log_lik[i] + log_prior(z + (size_t)i * c, c);
    memcpy(r->z, z, (size_t)n * c * sizeof(float));
    memcpy(r->log_lik, log_lik, (size_t)n * sizeof(double));
    normalize(r, logw, n);
    posterior_mean(r, logits, pixels);
    rc = 0;
done:
    free(z);
    free(keep);
    free(logits);
    free(log_lik);
    free(logw);
    return rc;
}

int vnca_inpaint(const VncaModel *m, VncaWorkspace *ws, const float *x, const uint8_t *unknown,
                 const VncaInpaintOptions *opt, VncaInpaintResult *out, VncaError *err)
{
    if (vnca_inpaint_sample(m, ws, x, unknown, opt, out, err)) return -1;
    if (opt->refine_steps > 0 && vnca_inpaint_refine(m, ws, x, unknown, opt, out, err)) {
        vnca_inpaint_free(out);
        return -1;
    }
    return 0;
}

int vnca_inpaint_pick(const VncaInpaintResult *r, VncaRng *rng)
{
    double u = vnca_rng_uniform(rng), acc = 0.0;
    for (int i = 0; i < r->k; i++) {
        acc += r->weight[i];
        if (u < acc) return i;
    }
    return r->best;
}
