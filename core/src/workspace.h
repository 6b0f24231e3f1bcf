/* Internal: what a VncaWorkspace holds. Sizes are for `cap` images. */
#ifndef VNCA_WORKSPACE_H
#define VNCA_WORKSPACE_H

#include "decoder.h"
#include "vnca/vnca.h"

#define VNCA_MAX_DECODE_SHARDS 8
#define VNCA_MAX_TRAIN_SHARDS 8

struct VncaWorkspace {
    VncaConfig cfg;
    int cap;
    VncaWorkspaceKind kind;
    size_t bytes;
    float *arena;                    /* every buffer below lives in here */

    /* encoder (both kinds) */
    float *enc_act[VNCA_MAX_ENC_CONVS]; /* ELU outputs [cap, s_i, s_i, c_i] */
    float *enc_flat;                 /* [cap, 4 * c_last], channel-major (c, y, x) */
    float *q;                        /* fc output [cap, 2Z]: mu then logsig */
    float *mu, *logsig, *eps, *z;    /* [cap, Z] */
    float *col;                      /* im2col scratch, the largest any layer needs */
    VncaGrowth growth;               /* decoding, decode_cap images at a time */
    int decode_cap;                  /* 0 in a training batch's other shards */
    /* A batch decodes in shards, one a thread, each growing its images alone
     * (a layer of a few images is too small to split among threads): shard 0
     * in `growth`, shard k in shard_growth[k - 1], its states then copied
     * into growth's. */
    int decode_shards;
    VncaGrowth shard_growth[VNCA_MAX_DECODE_SHARDS - 1];

    /* training only: the last forward pass, kept for backward */
    int extra_cap;                   /* extra full-size steps it can hold */
    DecoderRows rows;                /* its rows */
    const float *x;                  /* its targets (caller's memory) */
    VncaGrowth train;                /* its decoding, cap images, on the tape */
    DecoderTape tape;                /* every step of it */
    float *row_recon;                /* [cap] each row's reconstruction NLL */
    float *state_tmp;                /* [cap, S, S, C] */
    NcaStepGrads step_grads;
    float *dstate[2];                /* [cap, S, S, C] */
    float *enc_dact[2], *enc_dpre;   /* [cap, largest encoder activation] */
    float *dflat, *dq, *dmu, *dlogsig, *dz;

    /* A doubling model's training batch runs in shards, one a thread, each
     * the ELBO of its rows alone (a layer of a few images is too small to
     * split among threads): shard 0 in this workspace, shard k in
     * train_shard[k - 1]; shard_grads [train_shards, n_params] their
     * gradients, summed in order, each weighted by its share of the rows.
     * The count is fixed by the cores (not the threads), so the sums are
     * the same bits on any number of threads. */
    int train_shards;
    VncaWorkspace *train_shard[VNCA_MAX_TRAIN_SHARDS - 1];
    float *shard_grads;
    int shards_used, shard_rows[VNCA_MAX_TRAIN_SHARDS]; /* by the last forward pass */
};

/* vnca_workspace_new, able to hold `extra_cap` extra full-size steps in
 * training passes (a persistent model's), in one shard: its buffers hold
 * all `cap` rows, for callers that run the decoder's passes themselves */
VncaWorkspace *workspace_new(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind, int extra_cap,
                             VncaError *err);

/* A training workspace for elbo_forward_rows / vnca_elbo_backward of up to
 * cap rows without pool rows or extra steps, in shards (train_shards): its
 * own buffers hold one shard's rows. vnca_workspace_new's VNCA_WS_TRAIN. */
VncaWorkspace *workspace_new_sharded(const VncaConfig *cfg, int cap, VncaError *err);

#endif
