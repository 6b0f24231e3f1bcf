/* Internal: growth buffers sized from a config (the workspace's decoder). */
#ifndef VNCA_GROWTH_H
#define VNCA_GROWTH_H

#include "vnca/vnca.h"

/* Buffers for n images; g->model is left for the caller to set. */
int growth_alloc(VncaGrowth *g, const VncaConfig *cfg, int n, VncaError *err);
/* Seeds with z and runs the whole schedule: g->state is the final state. */
void growth_run(VncaGrowth *g, const float *z);

#endif
