/* Internal: the whole NCA growth schedule as one differentiable pass. */
#ifndef VNCA_DECODER_H
#define VNCA_DECODER_H

#include "workspace.h"

/* z [n, Z] -> ws->final_state [n, S, S, C], keeping every step's activations */
void decoder_forward_train(const VncaModel *m, VncaWorkspace *ws, const float *z, int n);
/* dfinal [n, S, S, C] (overwritten: used as scratch) -> dz [n, Z] (accumulated),
 * parameter gradients accumulated into gw */
void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw,
                      float *dfinal, float *dz, int n);

#endif
