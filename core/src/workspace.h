/* Internal: what a VncaWorkspace holds. Sizes are for `cap` images. */
#ifndef VNCA_WORKSPACE_H
#define VNCA_WORKSPACE_H

#include "nca.h"
#include "vnca/vnca.h"

/* Which rows a pass runs, in this order in every buffer:
 *   rows [0, grow) grow from z through the schedule (seed, steps, divisions);
 *   rows [grow, grow + n_start) begin at full size from `start` states
 *     [n_start, S, S, C] (a persistent model's pool);
 * then all rows run `extra` more steps at full size. With score_grown (and
 * extra > 0) the ELBO scores the growing rows also where the schedule ends:
 * a persistent model's digit must be right when grown, not only when held.
 * A genome model's start rows bring their genomes. */
typedef struct DecoderRows {
    int grow;
    const float *start;
    const float *start_z;       /* [n_start, Z]: their genomes (genome models) */
    const float *start_alive;   /* [n_start, S, S]: which cells hold them */
    int n_start;
    int extra;
    int score_grown;
} DecoderRows;

#define VNCA_MAX_TRAIN_STEPS 256

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
    int decode_cap;

    /* training only: the last forward pass, kept for backward */
    int extra_cap;                   /* extra full-size steps it can hold */
    DecoderRows rows;                /* its rows */
    const float *x;                  /* its targets (caller's memory) */
    float *step_in[VNCA_MAX_TRAIN_STEPS];             /* state before each NCA step [cells_t, C] */
    NcaStepActs step_acts[VNCA_MAX_TRAIN_STEPS];
    float *alive[VNCA_MAX_TRAIN_STEPS]; /* genome models: before each extra step
                                        (and after the last) [cap, S, S] */
    float *final_state;              /* [cap, S, S, C] */
    float *row_recon;                /* [cap] each row's reconstruction NLL */
    float *state_tmp;                /* [cap, S, S, C] */
    NcaStepGrads step_grads;
    float *dstate[2];                /* [cap, S, S, C] */
    float *enc_dact[2], *enc_dpre;   /* [cap, largest encoder activation] */
    float *dflat, *dq, *dmu, *dlogsig, *dz;
};

/* vnca_workspace_new, able to hold `extra_cap` extra full-size steps in
 * training passes (a persistent model's) */
VncaWorkspace *workspace_new(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind, int extra_cap,
                             VncaError *err);

#endif
