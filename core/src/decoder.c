/* Training-mode decoding: the same steps as VncaGrowth, with each step's input
 * and activations kept, then walked back in reverse. */
#include <string.h>

#include "decoder.h"
#include "vnca/ops.h"

static void swap(float **a, float **b)
{
    float *t = *a;
    *a = *b;
    *b = t;
}

/* rows [0, n) from z through the schedule, ending in ws->final_state */
static void grow_forward(const VncaModel *m, VncaWorkspace *ws, const float *z, int n)
{
    const VncaConfig *cfg = &m->config;
    const int c = cfg->latent;
    float *cur = ws->final_state, *spare = ws->state_tmp;
    int g = cfg->stage_grid[0], t = 0;
    for (int i = 0; i < n * g * g; i++)
        memcpy(cur + (size_t)i * c, z + (size_t)(i / (g * g)) * c, (size_t)c * sizeof(float));
    for (int s = 0; s < cfg->n_stages; s++) {
        if (s > 0) {
            divide_forward(spare, cur, n, g, c);
            swap(&cur, &spare);
            g *= 2;
        }
        const size_t state_bytes = (size_t)n * g * g * c * sizeof(float);
        const NcaGenome genome = {.z = z}; /* whole while growing */
        for (int k = 0; k < cfg->stage_steps[s]; k++, t++) {
            memcpy(ws->step_in[t], cur, state_bytes);
            nca_step_forward(m, ws->step_in[t], cur, n, g, &ws->step_acts[t], &genome);
        }
    }
    if (cur != ws->final_state)
        memcpy(ws->final_state, cur, (size_t)n * g * g * c * sizeof(float));
}

/* the genome of extra step e: z of every row, and which cells hold it */
static NcaGenome extra_genome(const VncaWorkspace *ws, const float *z, float *dz, int e)
{
    return (NcaGenome){.z = z, .alive = ws->alive[e], .dz = dz};
}

void decoder_forward_train(const VncaModel *m, VncaWorkspace *ws, const float *z,
                           const DecoderRows *rows)
{
    const VncaConfig *cfg = &m->config;
    const size_t image_state = (size_t)cfg->image_size * cfg->image_size * cfg->latent;
    const int n = rows->grow + rows->n_start, first_extra = vnca_total_steps(cfg);
    if (rows->grow > 0) grow_forward(m, ws, z, rows->grow);
    if (rows->n_start > 0)
        memcpy(ws->final_state + (size_t)rows->grow * image_state, rows->start,
               (size_t)rows->n_start * image_state * sizeof(float));
    const size_t cells = (size_t)cfg->image_size * cfg->image_size;
    if (cfg->genome) {
        for (size_t i = 0; i < (size_t)rows->grow * cells; i++) ws->alive[0][i] = 1.0f;
        if (rows->n_start > 0)
            memcpy(ws->alive[0] + (size_t)rows->grow * cells, rows->start_alive,
                   (size_t)rows->n_start * cells * sizeof(float));
    }
    for (int e = 0; e < rows->extra; e++) {
        const int t = first_extra + e;
        memcpy(ws->step_in[t], ws->final_state, (size_t)n * image_state * sizeof(float));
        const NcaGenome genome = extra_genome(ws, z, NULL, e);
        nca_step_forward(m, ws->step_in[t], ws->final_state, n, cfg->image_size, &ws->step_acts[t],
                         &genome);
        if (cfg->genome) genome_spread(ws->alive[e + 1], ws->alive[e], n, cfg->image_size);
    }
}

const float *decoder_final_alive(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows)
{
    return m->config.genome ? ws->alive[rows->extra] : NULL;
}

const float *decoder_grown_state(const VncaModel *m, const VncaWorkspace *ws, const DecoderRows *rows)
{
    return rows->extra > 0 ? ws->step_in[vnca_total_steps(&m->config)] : ws->final_state;
}

void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw, float *dfinal,
                      const float *dgrown, const float *z, float *dz, const DecoderRows *rows)
{
    const VncaConfig *cfg = &m->config;
    const int c = cfg->latent;
    float *dcur = dfinal;
    float *dspare = dfinal == ws->dstate[0] ? ws->dstate[1] : ws->dstate[0];
    int g = cfg->image_size, t = vnca_total_steps(cfg) + rows->extra;
    /* extra steps: every row */
    const int all = rows->grow + rows->n_start;
    for (int e = rows->extra - 1; e >= 0; e--) {
        t--;
        memset(dspare, 0, (size_t)all * g * g * c * sizeof(float));
        const NcaGenome genome = extra_genome(ws, z, dz, e);
        nca_step_backward(m, gw, ws->step_in[t], dcur, dspare, all, g, &ws->step_acts[t],
                          &ws->step_grads, &genome);
        swap(&dcur, &dspare);
    }
    /* growth: the first `grow` rows, a prefix of every buffer */
    const int n = rows->grow;
    if (n == 0) return;
    if (dgrown)
        for (size_t i = 0; i < (size_t)n * g * g * c; i++) dcur[i] += dgrown[i];
    for (int s = cfg->n_stages - 1; s >= 0; s--) {
        for (int k = cfg->stage_steps[s] - 1; k >= 0; k--) {
            t--;
            memset(dspare, 0, (size_t)n * g * g * c * sizeof(float));
            const NcaGenome genome = {.z = z, .dz = dz};
            nca_step_backward(m, gw, ws->step_in[t], dcur, dspare, n, g, &ws->step_acts[t],
                              &ws->step_grads, &genome);
            swap(&dcur, &dspare);
        }
        if (s > 0) {
            g /= 2;
            memset(dspare, 0, (size_t)n * g * g * c * sizeof(float));
            divide_backward(dspare, dcur, n, g, c);
            swap(&dcur, &dspare);
        }
    }
    /* the seed copies z into every cell: its gradient is their sum */
    for (int i = 0; i < n; i++)
        for (int p = 0; p < g * g; p++)
            for (int ch = 0; ch < c; ch++)
                dz[(size_t)i * c + ch] += dcur[((size_t)i * g * g + p) * c + ch];
}
