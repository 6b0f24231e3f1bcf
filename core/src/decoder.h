/* Internal: the decoder's schedule loop (decoder.c), shared by step-by-step
 * growth, batched decoding, training and inpainting's refinement. */
#ifndef VNCA_DECODER_H
#define VNCA_DECODER_H

#include "nca.h"
#include "vnca/vnca.h"

#define VNCA_MAX_TRAIN_STEPS 256

/* What a training pass keeps of every step for its backward: the grid and
 * rows it ran on, its input states, its activations and, with a genome,
 * which cells held it. The buffers are the workspace's, sized for the
 * schedule and extra_cap extra steps. */
typedef struct DecoderTape {
    int steps;                                /* recorded so far */
    int grown_steps;                          /* of which the growth's (the rest: extra steps) */
    int grid[VNCA_MAX_TRAIN_STEPS], rows[VNCA_MAX_TRAIN_STEPS];
    float *step_in[VNCA_MAX_TRAIN_STEPS];     /* [rows, grid, grid, C] */
    NcaStepActs acts[VNCA_MAX_TRAIN_STEPS];
    float *alive[VNCA_MAX_TRAIN_STEPS];       /* [rows, grid, grid], genome models */
} DecoderTape;

/* Which rows a training pass runs, in this order in every buffer:
 *   rows [0, grow) grow from z through the schedule (seed, steps, divisions);
 *   rows [grow, grow + n_start) begin at full size from `start` states
 *     [n_start, S, S, C] (a persistent model's pool), with their genomes;
 * then all rows run `extra` more steps at full size. With score_grown (and
 * extra > 0) the ELBO scores the growing rows also where the schedule ends:
 * a persistent model's digit must be right when grown, not only when held. */
typedef struct DecoderRows {
    int grow;
    const float *start;
    const float *start_z;       /* [n_start, Z]: their genomes (genome models) */
    const float *start_alive;   /* [n_start, S, S]: which cells hold them */
    int n_start;
    int extra;
    int score_grown;
} DecoderRows;

/* Buffers for up to n images; g->model is left for the caller to set. A
 * growth with a tape records every step there (training); one without
 * reuses its scratch for every step's activations. */
int growth_alloc(VncaGrowth *g, const VncaConfig *cfg, int n, DecoderTape *tape, VncaError *err);

/* z [grow + n_start, Z] (the start rows' genomes after the growing rows'
 * latents) -> the workspace's training growth, every step on its tape. */
void decoder_forward_train(const VncaModel *m, VncaWorkspace *ws, const float *z,
                           const DecoderRows *rows);
/* dfinal [rows, S, S, C] (overwritten: used as scratch) -> dz [grow + n_start,
 * Z] (accumulated; the start rows' only through their genomes); parameter
 * gradients accumulated into gw (NULL pointers in gw skip those). dgrown
 * [grow, S, S, C], or NULL: a gradient on the growing rows' states where the
 * schedule ends (before the extra steps). The start states get none. */
void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw, float *dfinal,
                      const float *dgrown, const float *z, float *dz, const DecoderRows *rows);
/* After decoder_forward_train: every row's final states [rows, S, S, C]; the
 * growing rows' states where the schedule ends [grow, S, S, C]; a genome
 * model's flags after the last step [rows, S, S] (NULL without a genome). */
const float *decoder_final_state(const VncaWorkspace *ws);
const float *decoder_grown_state(const VncaWorkspace *ws);
const float *decoder_final_alive(const VncaWorkspace *ws);

#endif
