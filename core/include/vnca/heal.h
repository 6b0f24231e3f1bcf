/* vnca/heal.h: measuring regeneration. Grow a digit from its posterior mean,
 * destroy a square of cells, let the automaton run on, and compare the
 * reconstruction's negative log-likelihood at each point. */
#ifndef VNCA_HEAL_H
#define VNCA_HEAL_H

#include <stdint.h>

#include "vnca/vnca.h"

/* a square no larger than the largest image (256) has at most 128 rings */
#define VNCA_HEAL_MAX_RINGS 128

typedef struct VncaHealOptions {
    int damage;          /* side of the square of cells zeroed (14) */
    int steps;           /* healing steps after the damage (32) */
    int hold_steps;      /* undamaged steps for the stability check (100) */
    uint64_t seed;       /* where the squares go */
    int centred;         /* nonzero: every square in the middle of the grid (where
                            eval-inpaint's square14 mask hides pixels), not at random */
} VncaHealOptions;

/* Mean reconstruction NLL (BCE over the pixels, nats per image) ... */
typedef struct VncaHealStats {
    double grown;        /* ... right after growing */
    double damaged;      /* ... right after the damage, before any healing step */
    double healed;       /* ... after `steps` healing steps */
    double held;         /* ... undamaged, after `hold_steps` more steps */
    /* The same counting only the pixels under the destroyed square: how much
     * of the heal gap lies in the square itself, and how much the healing
     * disturbed the cells around it. */
    double grown_in_square;
    double healed_in_square;
    /* The square's pixels ring by ring, from its edge (ring 0) to its middle
     * (ring n_rings - 1): how far healing reaches in from the cells that
     * survived. Pixels per image in each ring, and their NLL grown and healed. */
    int n_rings;
    double ring_pixels[VNCA_HEAL_MAX_RINGS];
    double grown_by_ring[VNCA_HEAL_MAX_RINGS];
    double healed_by_ring[VNCA_HEAL_MAX_RINGS];
    /* standard errors of the two means that matter, healed - grown and
     * held - grown, from their spread over the images */
    double heal_gap_se;
    double hold_change_se;
} VncaHealStats;

/* Over x [n, S, S]. pictures (NULL, or [n_pictures, 3, S, S]) receives the
 * first images' pixel probabilities grown / damaged / healed. */
int vnca_heal_measure(const VncaModel *m, const float *x, int n, const VncaHealOptions *opt,
                      VncaHealStats *out, float *pictures, int n_pictures, VncaError *err);

#endif
