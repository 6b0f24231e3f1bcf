/* The negative ELBO of a batch, forward and backward:
 *   loss = mean_i [ BCE(x_i, decode(mu_i + sigma_i eps_i)) + KL(q_i || N(0, I)) ] */
#include <string.h>

#include "elbo.h"
#include "encoder.h"
#include "threads.h"
#include "workspace.h"
#include "vnca/ops.h"

static int pixels_of(const VncaConfig *cfg) { return cfg->image_size * cfg->image_size; }

/* BCE of row i's pixel logits (channel 0 of each cell of states) against x */
static double row_recon(const VncaConfig *cfg, const float *states, const float *x, int i)
{
    double nll;
    bce_logits_forward(&nll, states + (size_t)i * pixels_of(cfg) * cfg->latent, cfg->latent,
                       x + (size_t)i * pixels_of(cfg), NULL, 1, pixels_of(cfg));
    return nll;
}

static int scores_grown(const DecoderRows *rows)
{
    return rows->score_grown && rows->extra > 0 && rows->grow > 0;
}

static size_t image_state(const VncaConfig *cfg) { return (size_t)pixels_of(cfg) * cfg->latent; }

/* the ELBO of rows in one workspace */
static VncaLoss elbo_forward_one(const VncaModel *m, VncaWorkspace *ws, const float *x, const float *eps,
                                 const DecoderRows *rows)
{
    const VncaConfig *cfg = &m->config;
    const int z = cfg->latent, grow = rows->grow, all = rows->grow + rows->n_start;
    double per_image;
    VncaLoss loss = {0};
    ws->rows = *rows;
    ws->x = x;
    if (grow > 0) {
        encoder_forward(m, ws, x, grow);
        memcpy(ws->eps, eps, (size_t)grow * z * sizeof(float));
        reparam_forward(ws->z, ws->mu, ws->logsig, ws->eps, (size_t)grow * z);
    }
    if (cfg->genome && rows->n_start > 0)
        memcpy(ws->z + (size_t)grow * z, rows->start_z, (size_t)rows->n_start * z * sizeof(float));
    decoder_forward_train(m, ws, ws->z, rows);
    if (scores_grown(rows)) {
        const float *grown = decoder_grown_state(ws);
        for (int i = 0; i < grow; i++) loss.recon += row_recon(cfg, grown, x, i) / all;
    }
    for (int i = 0; i < all; i++) {
        const double recon = row_recon(cfg, decoder_final_state(ws), x, i);
        ws->row_recon[i] = (float)recon;
        loss.recon += recon / all;
        if (i >= grow) continue;
        kl_forward(&per_image, ws->mu + (size_t)i * z, ws->logsig + (size_t)i * z, 1, z);
        loss.kl += per_image / all;
    }
    loss.loss = loss.recon + loss.kl;
    return loss;
}

static VncaWorkspace *shard_workspace(VncaWorkspace *ws, int k)
{
    return k == 0 ? ws : ws->train_shard[k - 1];
}

static int min_int(int a, int b) { return a < b ? a : b; }

/* the batch mean over all shards: each shard's mean weighted by its share */
static VncaLoss shards_mean(const VncaWorkspace *ws, const VncaLoss *part, int n)
{
    VncaLoss loss = {0};
    for (int k = 0; k < ws->shards_used; k++) {
        const double share = (double)ws->shard_rows[k] / n;
        loss.loss += share * part[k].loss;
        loss.recon += share * part[k].recon;
        loss.kl += share * part[k].kl;
    }
    return loss;
}

VncaLoss elbo_forward_rows(const VncaModel *m, VncaWorkspace *ws, const float *x, const float *eps,
                           const DecoderRows *rows)
{
    const int n = rows->grow;
    ws->shards_used = 1;
    if (ws->train_shards == 1 || rows->n_start > 0 || rows->extra > 0 || n < 2)
        return elbo_forward_one(m, ws, x, eps, rows);
    const int shards = min_int(n, ws->train_shards);
    const size_t pixels = (size_t)pixels_of(&m->config), z = (size_t)m->config.latent;
    VncaLoss part[VNCA_MAX_TRAIN_SHARDS];
    #pragma omp parallel for schedule(static) num_threads(min_int(shards, team_size()))
    for (int k = 0; k < shards; k++) {
        const int i0 = (int)((long)n * k / shards), i1 = (int)((long)n * (k + 1) / shards);
        ws->shard_rows[k] = i1 - i0;
        part[k] = elbo_forward_one(m, shard_workspace(ws, k), x + i0 * pixels, eps + i0 * z,
                                   &(DecoderRows){.grow = i1 - i0});
    }
    ws->shards_used = shards;
    return shards_mean(ws, part, n);
}

VncaLoss vnca_elbo_forward(const VncaModel *m, VncaWorkspace *ws, const float *x,
                           const float *eps, int n)
{
    const DecoderRows rows = {.grow = n};
    return elbo_forward_rows(m, ws, x, eps, &rows);
}

/* the gradient of the mean over one workspace's rows, accumulated into grads */
static void elbo_backward_one(const VncaModel *m, VncaWorkspace *ws, float *grads)
{
    const VncaConfig *cfg = &m->config;
    const DecoderRows *rows = &ws->rows;
    const int grow = rows->grow, all = rows->grow + rows->n_start, z = cfg->latent;
    const float scale = 1.0f / (float)all;
    VncaWeights gw;
    vnca_weights_bind(cfg, grads, &gw);

    float *dfinal = ws->dstate[0];
    memset(dfinal, 0, (size_t)all * image_state(cfg) * sizeof(float));
    bce_logits_backward(dfinal, decoder_final_state(ws), z, ws->x, NULL, all, pixels_of(cfg), scale);
    float *dgrown = NULL;
    if (scores_grown(rows)) {
        dgrown = ws->state_tmp; /* free once the forward pass is done */
        memset(dgrown, 0, (size_t)grow * image_state(cfg) * sizeof(float));
        bce_logits_backward(dgrown, decoder_grown_state(ws), z, ws->x, NULL, grow,
                            pixels_of(cfg), scale);
    }
    memset(ws->dz, 0, (size_t)all * z * sizeof(float));
    decoder_backward(m, ws, &gw, dfinal, dgrown, ws->z, ws->dz, rows);
    if (grow == 0) return;

    memset(ws->dmu, 0, (size_t)grow * z * sizeof(float));
    memset(ws->dlogsig, 0, (size_t)grow * z * sizeof(float));
    reparam_backward(ws->dmu, ws->dlogsig, ws->dz, ws->logsig, ws->eps, (size_t)grow * z);
    kl_backward(ws->dmu, ws->dlogsig, ws->mu, ws->logsig, grow, z, scale);
    encoder_backward(m, ws, &gw, ws->x, grow);
}

void vnca_elbo_backward(const VncaModel *m, VncaWorkspace *ws, float *grads)
{
    if (ws->shards_used <= 1) {
        elbo_backward_one(m, ws, grads);
        return;
    }
    const int shards = ws->shards_used;
    const size_t n_params = m->layout.n_params;
    #pragma omp parallel for schedule(static) num_threads(min_int(shards, team_size()))
    for (int k = 0; k < shards; k++) {
        float *g = ws->shard_grads + k * n_params;
        memset(g, 0, n_params * sizeof(float));
        elbo_backward_one(m, shard_workspace(ws, k), g);
    }
    int n = 0;
    float share[VNCA_MAX_TRAIN_SHARDS];
    for (int k = 0; k < shards; k++) n += ws->shard_rows[k];
    for (int k = 0; k < shards; k++) share[k] = (float)ws->shard_rows[k] / (float)n;
    #pragma omp parallel for schedule(static) num_threads(team_size())
    for (size_t i = 0; i < n_params; i++) {
        float sum = 0.0f;
        for (int k = 0; k < shards; k++) sum += share[k] * ws->shard_grads[k * n_params + i];
        grads[i] += sum;
    }
}
