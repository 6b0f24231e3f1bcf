/* Small models and data shared by the tests. Functions return 0 on success;
 * callers assert. */
#ifndef VNCA_TEST_FIXTURES_H
#define VNCA_TEST_FIXTURES_H

#include <stdint.h>

#include "vnca/train.h"
#include "vnca/vnca.h"

/* An 8x8 model small enough to check every parameter by finite differences. */
VncaConfig micro_config(VncaPerception perception);

/* An initialized model whose last NCA layer is random too: a fresh model's
 * zero last layer would hide every NCA gradient behind it. */
int make_model(VncaModel *m, const VncaConfig *cfg, uint64_t seed);

/* n random binary images [n, size, size] (malloc'd; NULL when out of memory) */
float *binary_images(VncaRng *rng, int n, int size);

/* A trainer for a micro model (micro_config, Sobel perception) on 8 random
 * 8x8 images, batch 4: small enough to resume from a file thousands of times
 * a second (the fuzz seeds hold its checkpoints). The caller frees all three. */
int micro_trainer(VncaTrainer *tr, VncaModel *m, VncaImages *data);

/* The kernels' instruction set of this run is the one VNCA_ISA names (the
 * exactness tests run once per set: tests/meson.build); when this CPU cannot
 * run it, the test program exits with meson's "skipped" status, 77. */
void skip_unless_isa_runs(void);

#endif
