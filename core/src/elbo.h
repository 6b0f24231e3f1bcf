/* Internal: the ELBO over a batch whose rows may include pool states. */
#ifndef VNCA_ELBO_H
#define VNCA_ELBO_H

#include "decoder.h"

/* x [grow + n_start, S, S] targets; eps [grow, Z]. The loss is the batch mean
 * over all rows of the reconstruction term, plus the KL of the growing rows
 * (the pool rows have no posterior of their own), over the same count. */
VncaLoss elbo_forward_rows(const VncaModel *m, VncaWorkspace *ws, const float *x, const float *eps,
                           const DecoderRows *rows);

#endif
