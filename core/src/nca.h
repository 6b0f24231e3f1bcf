/* Internal: one NCA update step, forward and backward, and its buffers. */
#ifndef VNCA_NCA_H
#define VNCA_NCA_H

#include "vnca/vnca.h"

/* Where one step's activations go. For a step of `cells` cells:
 *   feat      the perception's scratch: conv2d_col_size (conv3x3) or the
 *             features [state, Sobel-x, Sobel-y] [cells, 3C] (sobel); then the
 *             update [cells, C]
 *   x[r]      residual stream [cells, H], r = 0..R (x[0] = perception output)
 *   a[r]      ELU outputs inside block r [cells, H]
 * A training pass gives every step its own x and a; inference reuses two x
 * buffers (x[r] alternates) and one a. */
typedef struct NcaStepActs {
    float *feat;
    float *x[VNCA_MAX_RES_BLOCKS + 1];
    float *a[VNCA_MAX_RES_BLOCKS];
} NcaStepActs;

/* A genome model's step also reads each image's latent z [n, Z] in the cells
 * where alive [n, g, g] is nonzero (every cell when alive is NULL); its
 * backward accumulates the gradient w.r.t. z into dz [n, Z] (NULL: none).
 * Models without a genome take NULL. */
typedef struct NcaGenome {
    const float *z;
    const float *alive;
    float *dz;
} NcaGenome;

/* floats of `feat` (and of NcaStepGrads' dfeat) for a step of n images of
 * g x g cells */
size_t nca_feat_floats(const VncaConfig *cfg, int n, int g);

/* state_out [n, g, g, C] = state_in + f(state_in); state_out may alias state_in. */
void nca_step_forward(const VncaModel *m, const float *state_in, float *state_out, int n, int g,
                      const NcaStepActs *acts, const NcaGenome *genome);

/* Scratch for a backward step of up to `cells` cells. */
typedef struct NcaStepGrads {
    float *dx, *dh;        /* [cells, H] */
    float *dfeat;          /* nca_feat_floats (sobel only; conv3x3 reuses feat) */
} NcaStepGrads;

/* Given dstate_out, the gradient w.r.t. state_out, writes the gradient
 * w.r.t. state_in into dstate_in and accumulates the parameter gradients
 * into gw.
 * acts are the step's stored activations except feat, which is recomputed
 * (acts->feat is used as scratch). */
void nca_step_backward(const VncaModel *m, const VncaWeights *gw, const float *state_in,
                       const float *dstate_out, float *dstate_in, int n, int g,
                       const NcaStepActs *acts, const NcaStepGrads *grads, const NcaGenome *genome);

#endif
