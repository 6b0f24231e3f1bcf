/* Internal: the pool of final states a persistent model trains from. */
#ifndef VNCA_POOL_H
#define VNCA_POOL_H

#include "vnca/train.h"

/* states of `cells` cells of state_len / cells channels; genome_len: Z for
 * a genome model's, else 0 */
int pool_init(VncaPool *pool, int size, size_t state_len, size_t cells, size_t genome_len, int batch,
              uint64_t seed, VncaError *err);
void pool_free(VncaPool *pool);
/* Chooses n distinct slots at random and copies their states to
 * pool->start, best first (lowest NLL at the end of their last batch): the
 * first `damaged` of them with a random square of side `damage` of their
 * grid x grid cells (each `channels` floats) zeroed. A genome model's go
 * with their genomes (start_genome) and flags (start_alive), the flags
 * zeroed under the square too. */
void pool_take(VncaPool *pool, int n, int damaged, int damage, int grid, int channels);
/* Puts a batch's final states back: [fresh rows | the n_taken rows of the
 * last pool_take], with each row's reconstruction NLL in row_recon (and, for
 * a genome model, each row's z in genomes and its cells' flags in alive). Fresh
 * rows fill empty slots first, then replace random ones; fresh_target[i] is
 * the data index of fresh row i. A taken row that ended worse than every
 * fresh row is not kept: its slot gets a fresh row's state instead, so that
 * a state the automaton has lost does not stay in the pool to be trained on
 * again and again (the pool of "Growing Neural Cellular Automata" reseeds
 * its worst sample for the same reason). Returns how many it replaced. */
int pool_put(VncaPool *pool, const float *final_states, const float *genomes, const float *alive,
             const float *row_recon, int n_fresh, const int32_t *fresh_target, int n_taken);

#endif
