/* The persistent model's pool: states that have already grown, taken back
 * into training (some damaged) so that the automaton learns to keep a
 * finished digit stable and to regrow what was destroyed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "vnca/ops.h"

int pool_init(VncaPool *pool, int size, size_t state_len, size_t cells, size_t genome_len, int batch,
              uint64_t seed, VncaError *err)
{
    memset(pool, 0, sizeof *pool);
    if (size < batch) return vnca_fail(err, "pool size %d is smaller than the batch %d", size, batch);
    pool->size = size;
    pool->state_len = state_len;
    pool->cells = cells;
    pool->states = calloc((size_t)size * state_len, sizeof(float));
    pool->target = calloc((size_t)size, sizeof(int32_t));
    pool->recon = calloc((size_t)size, sizeof(float));
    pool->slots = calloc((size_t)size, sizeof(int));
    pool->start = malloc((size_t)batch * state_len * sizeof(float));
    pool->genome_len = genome_len;
    if (genome_len) {
        pool->genome = calloc((size_t)size * genome_len, sizeof(float));
        pool->alive = calloc((size_t)size * cells, sizeof(float));
        pool->start_genome = malloc((size_t)batch * genome_len * sizeof(float));
        pool->start_alive = malloc((size_t)batch * cells * sizeof(float));
    }
    if (!pool->states || !pool->target || !pool->recon || !pool->slots || !pool->start ||
        (genome_len && (!pool->genome || !pool->alive || !pool->start_genome || !pool->start_alive))) {
        pool_free(pool);
        return vnca_fail(err, "out of memory for a pool of %d states", size);
    }
    vnca_rng_seed(&pool->rng, seed ^ 0x706f6f6cULL);
    return 0;
}

void pool_free(VncaPool *pool)
{
    free(pool->states);
    free(pool->target);
    free(pool->recon);
    free(pool->slots);
    free(pool->start);
    free(pool->genome);
    free(pool->alive);
    free(pool->start_genome);
    free(pool->start_alive);
    memset(pool, 0, sizeof *pool);
}

/* a slot's last NLL, with NaN (a state that blew up) as the worst */
static float ended(const VncaPool *pool, int slot)
{
    const float recon = pool->recon[slot];
    return isnan(recon) ? INFINITY : recon;
}

void pool_take(VncaPool *pool, int n, int damaged, int damage, int grid, int channels)
{
    /* a partial Fisher-Yates shuffle of the slot numbers picks n distinct ones */
    for (int i = 0; i < pool->size; i++) pool->slots[i] = i;
    for (int i = 0; i < n; i++) {
        int j = i + (int)vnca_rng_below(&pool->rng, (uint32_t)(pool->size - i));
        int t = pool->slots[i];
        pool->slots[i] = pool->slots[j];
        pool->slots[j] = t;
    }
    /* The damaged ones are those that ended best: as in "Growing Neural
     * Cellular Automata", damage falls on finished states, the way it will
     * in use, while a state still mending is left to go on mending. */
    for (int i = 1; i < n; i++) {
        const int slot = pool->slots[i];
        const float key = ended(pool, slot);
        int j = i;
        for (; j > 0 && ended(pool, pool->slots[j - 1]) > key; j--) pool->slots[j] = pool->slots[j - 1];
        pool->slots[j] = slot;
    }
    const size_t cells = pool->cells, z = pool->genome_len;
    for (int i = 0; i < n; i++) {
        const size_t slot = (size_t)pool->slots[i];
        float *dst = pool->start + (size_t)i * pool->state_len;
        float *dst_alive = z ? pool->start_alive + (size_t)i * cells : NULL;
        memcpy(dst, pool->states + slot * pool->state_len, pool->state_len * sizeof(float));
        if (z) {
            memcpy(pool->start_genome + (size_t)i * z, pool->genome + slot * z, z * sizeof(float));
            memcpy(dst_alive, pool->alive + slot * cells, cells * sizeof(float));
        }
        if (i >= damaged) continue;
        int xy[2];
        vnca_rng_square(&pool->rng, grid, damage, xy);
        zero_square(dst, grid, channels, xy[0], xy[1], damage);
        if (z) zero_square(dst_alive, grid, 1, xy[0], xy[1], damage);
    }
}

/* row `row` of a batch's final states (and genomes) into slot `slot` */
static void keep_row(VncaPool *pool, int slot, int row, const float *final_states,
                     const float *genomes, const float *alive)
{
    const size_t len = pool->state_len, z = pool->genome_len, cells = pool->cells;
    memcpy(pool->states + (size_t)slot * len, final_states + (size_t)row * len, len * sizeof(float));
    if (!z) return;
    memcpy(pool->genome + (size_t)slot * z, genomes + (size_t)row * z, z * sizeof(float));
    memcpy(pool->alive + (size_t)slot * cells, alive + (size_t)row * cells, cells * sizeof(float));
}

int pool_put(VncaPool *pool, const float *final_states, const float *genomes, const float *alive,
             const float *row_recon, int n_fresh, const int32_t *fresh_target, int n_taken)
{
    float worst_fresh = -INFINITY;
    for (int i = 0; i < n_fresh; i++) worst_fresh = fmaxf(worst_fresh, row_recon[i]);
    int reseeded = 0;
    for (int i = 0; i < n_taken; i++) {
        const int slot = pool->slots[i];
        int row = n_fresh + i;
        if (n_fresh > 0 && !(row_recon[row] <= worst_fresh)) {
            row = reseeded++ % n_fresh;
            pool->target[slot] = fresh_target[row];
        }
        keep_row(pool, slot, row, final_states, genomes, alive);
        pool->recon[slot] = row_recon[row];
    }
    for (int i = 0; i < n_fresh; i++) {
        int slot = pool->filled < pool->size ? pool->filled++
                                             : (int)vnca_rng_below(&pool->rng, (uint32_t)pool->size);
        keep_row(pool, slot, i, final_states, genomes, alive);
        pool->target[slot] = fresh_target[i];
        pool->recon[slot] = row_recon[i];
    }
    return reseeded;
}
