/* The negative ELBO of a batch, forward and backward:
 *   loss = mean_i [ BCE(x_i, decode(mu_i + sigma_i eps_i)) + KL(q_i || N(0, I)) ] */
#include <string.h>

#include "decoder.h"
#include "encoder.h"
#include "vnca/ops.h"

static int pixels(const VncaConfig *cfg) { return cfg->image_size * cfg->image_size; }

VncaLoss vnca_elbo_forward(const VncaModel *m, VncaWorkspace *ws, const float *x,
                           const float *eps, int n)
{
    const VncaConfig *cfg = &m->config;
    const int z = cfg->latent;
    double per_image[2];
    VncaLoss loss = {0};
    ws->n = n;
    ws->x = x;
    encoder_forward(m, ws, x, n);
    memcpy(ws->eps, eps, (size_t)n * z * sizeof(float));
    reparam_forward(ws->z, ws->mu, ws->logsig, ws->eps, (size_t)n * z);
    decoder_forward_train(m, ws, ws->z, n);
    for (int i = 0; i < n; i++) {
        bce_logits_forward(&per_image[0], ws->final_state + (size_t)i * pixels(cfg) * z, z,
                           x + (size_t)i * pixels(cfg), NULL, 1, pixels(cfg));
        kl_forward(&per_image[1], ws->mu + (size_t)i * z, ws->logsig + (size_t)i * z, 1, z);
        loss.recon += per_image[0] / n;
        loss.kl += per_image[1] / n;
    }
    loss.loss = loss.recon + loss.kl;
    return loss;
}

void vnca_elbo_backward(const VncaModel *m, VncaWorkspace *ws, float *grads)
{
    const VncaConfig *cfg = &m->config;
    const int n = ws->n, z = cfg->latent;
    const float scale = 1.0f / (float)n;
    VncaWeights gw;
    vnca_weights_bind(cfg, grads, &gw);

    float *dfinal = ws->dstate[0];
    memset(dfinal, 0, (size_t)n * pixels(cfg) * z * sizeof(float));
    bce_logits_backward(dfinal, ws->final_state, z, ws->x, NULL, n, pixels(cfg), scale);
    memset(ws->dz, 0, (size_t)n * z * sizeof(float));
    decoder_backward(m, ws, &gw, dfinal, ws->dz, n);

    memset(ws->dmu, 0, (size_t)n * z * sizeof(float));
    memset(ws->dlogsig, 0, (size_t)n * z * sizeof(float));
    reparam_backward(ws->dmu, ws->dlogsig, ws->dz, ws->logsig, ws->eps, (size_t)n * z);
    kl_backward(ws->dmu, ws->dlogsig, ws->mu, ws->logsig, n, z, scale);
    encoder_backward(m, ws, &gw, ws->x, n);
}
