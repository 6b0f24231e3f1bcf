/* Internal: the whole NCA as one differentiable pass, for training and for
 * inpainting's refinement. */
#ifndef VNCA_DECODER_H
#define VNCA_DECODER_H

#include "workspace.h"

/* z [grow, Z] -> ws->final_state [rows, S, S, C], keeping every step's
 * activations. The workspace must hold rows images and `extra` extra steps. */
void decoder_forward_train(const VncaModel *m, VncaWorkspace *ws, const float *z,
                           const DecoderRows *rows);
/* dfinal [rows, S, S, C] (overwritten: used as scratch) -> dz [grow, Z]
 * (accumulated); parameter gradients accumulated into gw (NULL pointers in
 * gw skip those). The start states get no gradient. */
void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw, float *dfinal,
                      float *dz, const DecoderRows *rows);

#endif
