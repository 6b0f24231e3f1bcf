/* Internal: the encoder q(z|x), forward and backward, on a workspace. */
#ifndef VNCA_ENCODER_H
#define VNCA_ENCODER_H

#include "vnca/ops.h"
#include "workspace.h"

/* Shape of encoder conv i for a batch of n: 5x5, padding 2, stride 1 for the
 * first conv and 2 after it. */
Conv2dShape encoder_conv_shape(const VncaConfig *cfg, int n, int i);

/* x [n, S, S] -> ws->mu, ws->logsig [n, Z] (keeping activations in ws) */
void encoder_forward(const VncaModel *m, VncaWorkspace *ws, const float *x, int n);
/* from ws->dmu, ws->dlogsig: accumulates parameter gradients into gw */
void encoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw,
                      const float *x, int n);

#endif
