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
 * ends (before the extra steps). The start states get no gradient. */
void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw, float *dfinal,
                      const float *dgrown, const float *z, float *dz, const DecoderRows *rows);
/* The growing rows' states where the schedule ends [grow, S, S, C] (valid
 * after decoder_forward_train) */
const float *decoder_grown_state(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows);
/* A genome model's flags [rows, S, S] after the last extra step: which
 * cells hold their genome (NULL without a genome) */
const float *decoder_final_alive(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows);

#endif
