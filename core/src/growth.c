/* Step-by-step decoding: a VncaGrowth owns the cell states of a batch and
 * advances them one update at a time along the config's schedule. */
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "nca.h"
#include "vnca/ops.h"

/* scratch: [divided state | feat | x ping | x pong | a], each for the full grid */
static size_t full_cells(const VncaConfig *cfg, int n)
{
    return (size_t)n * cfg->image_size * cfg->image_size;
}

int growth_alloc(VncaGrowth *g, const VncaConfig *cfg, int n, VncaError *err)
{
    memset(g, 0, sizeof *g);
    const size_t cells = full_cells(cfg, n);
    const size_t state_len = cells * cfg->latent;
    g->scratch_len = state_len + nca_feat_floats(cfg, n, cfg->image_size) + 3 * cells * cfg->hidden;
    g->state = malloc(state_len * sizeof(float));
    g->scratch = malloc(g->scratch_len * sizeof(float));
    if (cfg->genome) {
        g->genome = malloc((size_t)n * cfg->latent * sizeof(float));
        g->alive = malloc(cells * sizeof(float));
    }
    if (!g->state || !g->scratch || (cfg->genome && (!g->genome || !g->alive))) {
        vnca_growth_free(g);
        return vnca_fail(err, "out of memory for decoding %d images", n);
    }
    g->n = n;
    g->channels = cfg->latent;
    g->grid = cfg->stage_grid[0];
    return 0;
}

int vnca_growth_init(VncaGrowth *g, const VncaModel *m, int n, VncaError *err)
{
    if (n < 1) return vnca_fail(err, "cannot decode %d images", n);
    if (growth_alloc(g, &m->config, n, err)) return -1;
    g->model = m;
    return 0;
}

void vnca_growth_free(VncaGrowth *g)
{
    free(g->state);
    free(g->genome);
    free(g->alive);
    free(g->scratch);
    memset(g, 0, sizeof *g);
}

void vnca_growth_seed(VncaGrowth *g, const float *z)
{
    const VncaConfig *cfg = &g->model->config;
    const int c = cfg->latent, cells_per_image = cfg->stage_grid[0] * cfg->stage_grid[0];
    g->stage = g->step = g->t = 0;
    g->grid = cfg->stage_grid[0];
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < cells_per_image; k++)
            memcpy(g->state + ((size_t)i * cells_per_image + k) * c, z + (size_t)i * c,
                   (size_t)c * sizeof(float));
    if (g->genome) {
        memcpy(g->genome, z, (size_t)g->n * c * sizeof(float));
        vnca_growth_revive(g);
    }
}

void vnca_growth_revive(VncaGrowth *g)
{
    if (!g->alive) return;
    for (size_t i = 0; i < (size_t)g->n * g->grid * g->grid; i++) g->alive[i] = 1.0f;
}

void vnca_growth_destroy_cell(VncaGrowth *g, int i, int x, int y)
{
    const size_t cell = ((size_t)i * g->grid + y) * g->grid + x;
    memset(g->state + cell * g->channels, 0, (size_t)g->channels * sizeof(float));
    if (g->alive) g->alive[cell] = 0.0f;
}

void vnca_growth_copy(VncaGrowth *dst, const VncaGrowth *src)
{
    dst->n = src->n;
    dst->stage = src->stage;
    dst->step = src->step;
    dst->t = src->t;
    dst->grid = src->grid;
    const size_t cells = (size_t)src->n * src->grid * src->grid;
    memcpy(dst->state, src->state, cells * src->channels * sizeof(float));
    if (src->genome) {
        memcpy(dst->genome, src->genome, (size_t)src->n * src->channels * sizeof(float));
        memcpy(dst->alive, src->alive, cells * sizeof(float));
    }
}

int vnca_growth_done(const VncaGrowth *g)
{
    const VncaConfig *cfg = &g->model->config;
    if (g->step < cfg->stage_steps[g->stage]) return 0;
    for (int s = g->stage + 1; s < cfg->n_stages; s++)
        if (cfg->stage_steps[s] > 0) return 0;
    return 1;
}

static void divide_cells(VncaGrowth *g)
{
    const size_t divided_len = (size_t)g->n * 4 * g->grid * g->grid * g->channels;
    divide_forward(g->scratch, g->state, g->n, g->grid, g->channels);
    memcpy(g->state, g->scratch, divided_len * sizeof(float));
    if (g->alive) {
        const size_t divided_cells = (size_t)g->n * 4 * g->grid * g->grid;
        divide_forward(g->scratch, g->alive, g->n, g->grid, 1);
        memcpy(g->alive, g->scratch, divided_cells * sizeof(float));
    }
    g->grid *= 2;
    g->stage++;
    g->step = 0;
}

void vnca_growth_step(VncaGrowth *g)
{
    const VncaConfig *cfg = &g->model->config;
    while (g->step >= cfg->stage_steps[g->stage] && g->stage + 1 < cfg->n_stages)
        divide_cells(g);
    const size_t cells = full_cells(cfg, g->n);
    NcaStepActs acts = {0};
    acts.feat = g->scratch + cells * cfg->latent;
    float *x_ping = acts.feat + nca_feat_floats(cfg, g->n, cfg->image_size);
    float *x_pong = x_ping + cells * cfg->hidden;
    float *a = x_pong + cells * cfg->hidden;
    for (int r = 0; r <= cfg->res_blocks; r++) acts.x[r] = r % 2 ? x_pong : x_ping;
    for (int r = 0; r < cfg->res_blocks; r++) acts.a[r] = a;
    const NcaGenome genome = {.z = g->genome, .alive = g->alive};
    nca_step_forward(g->model, g->state, g->state, g->n, g->grid, &acts, &genome);
    if (g->alive) { /* the divided-state room of scratch is free between divisions */
        genome_spread(g->scratch, g->alive, g->n, g->grid);
        memcpy(g->alive, g->scratch, (size_t)g->n * g->grid * g->grid * sizeof(float));
    }
    g->step++;
    g->t++;
}

void vnca_growth_channel(const VncaGrowth *g, int ch, float *out)
{
    const size_t cells = (size_t)g->n * g->grid * g->grid;
    for (size_t i = 0; i < cells; i++) out[i] = g->state[i * g->channels + ch];
}

void vnca_growth_channel_full(const VncaGrowth *g, int ch, float *out)
{
    const int size = g->model->config.image_size, block = size / g->grid;
    for (int i = 0; i < g->n; i++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                size_t cell = ((size_t)i * g->grid + y / block) * g->grid + x / block;
                out[((size_t)i * size + y) * size + x] = g->state[cell * g->channels + ch];
            }
}

void growth_run(VncaGrowth *g, const float *z)
{
    vnca_growth_seed(g, z);
    while (!vnca_growth_done(g)) vnca_growth_step(g);
    /* a schedule whose last stages have no steps still ends at full size */
    const VncaConfig *cfg = &g->model->config;
    while (g->stage + 1 < cfg->n_stages) divide_cells(g);
}
