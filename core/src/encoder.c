/* The encoder: 5x5 convs with ELU down to a 2x2 map, flattened channel-major
 * (as PyTorch's flatten of NCHW) into a linear layer giving mu and log-sigma. */
#include <string.h>

#include "encoder.h"

Conv2dShape encoder_conv_shape(const VncaConfig *cfg, int n, int i)
{
    int size = cfg->image_size, c_in = 1;
    for (int j = 0; j < i; j++) {
        if (j > 0) size /= 2;
        c_in = vnca_encoder_channels(cfg, j);
    }
    return (Conv2dShape){.n = n, .h = size, .w = size, .c_in = c_in,
                         .c_out = vnca_encoder_channels(cfg, i), .k = 5,
                         .stride = i == 0 ? 1 : 2, .pad = 2};
}

static size_t conv_out_len(Conv2dShape s)
{
    size_t side = (size_t)conv2d_out_size(s, s.h);
    return (size_t)s.n * side * side * s.c_out;
}

/* [n, 2, 2, c] (NHWC) <-> [n, c * 4] ordered (c, y, x) */
static void flatten_channel_major(float *flat, const float *map, int n, int c)
{
    for (int i = 0; i < n; i++)
        for (int p = 0; p < 4; p++)
            for (int ch = 0; ch < c; ch++)
                flat[(size_t)i * 4 * c + ch * 4 + p] = map[((size_t)i * 4 + p) * c + ch];
}

static void unflatten_channel_major(float *map, const float *flat, int n, int c)
{
    for (int i = 0; i < n; i++)
        for (int p = 0; p < 4; p++)
            for (int ch = 0; ch < c; ch++)
                map[((size_t)i * 4 + p) * c + ch] = flat[(size_t)i * 4 * c + ch * 4 + p];
}

void encoder_forward(const VncaModel *m, VncaWorkspace *ws, const float *x, int n)
{
    const VncaConfig *cfg = &m->config;
    const int n_enc = vnca_encoder_convs(cfg), z = cfg->latent;
    const float *in = x; /* [n, S, S] is [n, S, S, 1] */
    for (int i = 0; i < n_enc; i++) {
        Conv2dShape s = encoder_conv_shape(cfg, n, i);
        conv2d_forward(ws->enc_act[i], ws->col, in, m->w.enc_w[i], m->w.enc_b[i], s);
        elu_forward(ws->enc_act[i], ws->enc_act[i], conv_out_len(s));
        in = ws->enc_act[i];
    }
    const int c_last = vnca_encoder_channels(cfg, n_enc - 1);
    flatten_channel_major(ws->enc_flat, in, n, c_last);
    linear_forward(ws->q, ws->enc_flat, m->w.fc_w, m->w.fc_b, n, 4 * c_last, 2 * z);
    for (int i = 0; i < n; i++) {
        memcpy(ws->mu + (size_t)i * z, ws->q + (size_t)i * 2 * z, (size_t)z * sizeof(float));
        memcpy(ws->logsig + (size_t)i * z, ws->q + (size_t)i * 2 * z + z,
               (size_t)z * sizeof(float));
    }
}

void encoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw,
                      const float *x, int n)
{
    const VncaConfig *cfg = &m->config;
    const int n_enc = vnca_encoder_convs(cfg), z = cfg->latent;
    const int c_last = vnca_encoder_channels(cfg, n_enc - 1);
    for (int i = 0; i < n; i++) {
        memcpy(ws->dq + (size_t)i * 2 * z, ws->dmu + (size_t)i * z, (size_t)z * sizeof(float));
        memcpy(ws->dq + (size_t)i * 2 * z + z, ws->dlogsig + (size_t)i * z,
               (size_t)z * sizeof(float));
    }
    memset(ws->dflat, 0, (size_t)n * 4 * c_last * sizeof(float));
    linear_backward(ws->dflat, gw->fc_w, gw->fc_b, ws->dq, ws->enc_flat, m->w.fc_w, n,
                    4 * c_last, 2 * z);
    float *dact = ws->enc_dact[0], *dact_prev = ws->enc_dact[1];
    unflatten_channel_major(dact, ws->dflat, n, c_last);
    for (int i = n_enc - 1; i >= 0; i--) {
        Conv2dShape s = encoder_conv_shape(cfg, n, i);
        const size_t out_len = conv_out_len(s);
        memset(ws->enc_dpre, 0, out_len * sizeof(float));
        elu_backward(ws->enc_dpre, dact, ws->enc_act[i], out_len);
        const float *in = i > 0 ? ws->enc_act[i - 1] : x;
        float *din = NULL;
        if (i > 0) {
            din = dact_prev;
            memset(din, 0, (size_t)s.n * s.h * s.w * s.c_in * sizeof(float));
        }
        conv2d_backward(din, gw->enc_w[i], gw->enc_b[i], ws->col, ws->enc_dpre, in,
                        m->w.enc_w[i], s);
        float *swap = dact;
        dact = dact_prev;
        dact_prev = swap;
    }
}
