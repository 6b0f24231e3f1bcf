/* Internal: the whole NCA as one differentiable pass, for training and for
 * inpainting's refinement. */
#ifndef VNCA_DECODER_H
#define VNCA_DECODER_H

#include "workspace.h"

/* z [grow, Z] -> ws->final_state [rows, S, S, C], keeping every step's
 * activations. The workspace must hold rows images and `extra` extra steps.
 * A genome model's z goes on with the start rows' genomes: [grow + n_start, Z]. */
void decoder_forward_train(const VncaModel *m, VncaWorkspace *ws, const float *z,
                           const DecoderRows *rows);
/* dfinal [rows, S, S, C] (overwritten: used as scratch) -> dz [grow, Z]
 * (accumulated; a genome model's start rows' genomes get theirs after it,
 * so dz must then hold grow + n_start rows); parameter gradients
 * accumulated into gw (NULL pointers in gw skip those). dgrown [grow, S, S,
 * C], or NULL: a gradient on the growing rows' states where the schedule
 * ends (before the extra steps). With rows->twin_path, path_scale times
 * (state - twin) is the gradient on the damaged rows' states after each
 * extra step from the damage on but the last (whose is in dfinal): the
 * state term along the path. The start states get no gradient. */
void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw, float *dfinal,
                      const float *dgrown, float path_scale, const float *z, float *dz,
                      const DecoderRows *rows);
/* The growing rows' states where the schedule ends [grow, S, S, C] (valid
 * after decoder_forward_train) */
const float *decoder_grown_state(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows);
/* The rows' states after extra step e [rows, S, S, C] (valid after
 * decoder_forward_train; e = extra - 1 is the final state) */
const float *decoder_state_after(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows, int e);
/* The twins' states after extra step e [n_damaged, S, S, C], from rows->twin_path */
const float *decoder_twin_after(const VncaModel *m, const DecoderRows *rows, int e);
/* A genome model's flags [rows, S, S] after the last extra step: which
 * cells hold their genome (NULL without a genome) */
const float *decoder_final_alive(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows);

#endif
