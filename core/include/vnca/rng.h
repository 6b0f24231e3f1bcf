/* vnca/rng.h: a small, seeded, reproducible random number generator.
 *
 * xoshiro256** seeded through splitmix64. The whole state is the struct below,
 * so it can be copied, saved in a checkpoint and restored bit-exactly. The same
 * seed gives the same stream on every machine. */
#ifndef VNCA_RNG_H
#define VNCA_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct VncaRng {
    uint64_t s[4];
} VncaRng;

void vnca_rng_seed(VncaRng *rng, uint64_t seed);
uint64_t vnca_rng_u64(VncaRng *rng);
/* uniform in [0, 1), 24 random bits */
float vnca_rng_uniform(VncaRng *rng);
/* uniform integer in [0, n), n > 0, without modulo bias */
uint32_t vnca_rng_below(VncaRng *rng, uint32_t n);
/* A uniformly random place for a side x side square on a grid x grid, side <=
 * grid: the column and the row of its top left cell into xy[0] and xy[1]. */
void vnca_rng_square(VncaRng *rng, int grid, int side, int xy[2]);
/* n independent standard normal draws (Box-Muller, both outputs used) */
void vnca_rng_normal_fill(VncaRng *rng, float *out, size_t n);

#endif
