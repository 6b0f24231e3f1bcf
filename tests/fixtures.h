/* Small models and data shared by the tests. Functions return 0 on success;
 * callers assert. */
#ifndef VNCA_TEST_FIXTURES_H
#define VNCA_TEST_FIXTURES_H

#include <stdint.h>

#include "vnca/vnca.h"

/* An 8x8 model small enough to check every parameter by finite differences. */
VncaConfig micro_config(VncaPerception perception);

/* An initialized model whose last NCA layer is random too: a fresh model's
 * zero last layer would hide every NCA gradient behind it. */
int make_model(VncaModel *m, const VncaConfig *cfg, uint64_t seed);

/* n random binary images [n, size, size] (malloc'd; NULL when out of memory) */
float *binary_images(VncaRng *rng, int n, int size);

#endif
