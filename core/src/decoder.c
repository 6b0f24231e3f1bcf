/* The decoder, in the order the data flows:
 *
 *   z [n, Z] -> seed: z copied into every cell of the first grid (2x2)
 *     -> for each stage: the cells divide (from the second stage on), then
 *        the stage's update steps, state += f(state)
 *     -> extra steps at full size (a persistent model holding or healing)
 *     -> channel 0 of every cell: the pixels' logits.
 *
 * One loop runs the schedule for every use: vnca_growth_step advances it one
 * update at a time (the studio), vnca_growth_finish runs it to the end
 * (decoding, healing), and a training pass runs the same steps with a tape
 * that records each one, which decoder_backward then walks back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "decoder.h"
#include "vnca/ops.h"
#include "workspace.h"

/* ---- buffers -------------------------------------------------------------- */

static size_t full_cells(const VncaConfig *cfg, int n)
{
    return (size_t)n * cfg->image_size * cfg->image_size;
}

/* scratch: [divided state | feat | x ping | x pong | a], each for the full
 * grid; a taped growth keeps its activations on the tape, and needs only
 * the first */
int growth_alloc(VncaGrowth *g, const VncaConfig *cfg, int n, DecoderTape *tape, VncaError *err)
{
    memset(g, 0, sizeof *g);
    const size_t cells = full_cells(cfg, n), state_len = cells * cfg->latent;
    g->scratch_len = state_len;
    if (!tape) g->scratch_len += nca_feat_floats(cfg, n, cfg->image_size) + 3 * cells * cfg->hidden;
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
    g->tape = tape;
    return 0;
}

int vnca_growth_init(VncaGrowth *g, const VncaModel *m, int n, VncaError *err)
{
    CpuIsa isa; /* a VNCA_ISA the layers' kernels cannot run is refused, as by vnca_workspace_new */
    if (cpu_isa_choose(&isa, err)) return -1;
    if (n < 1) return vnca_fail(err, "cannot decode %d images", n);
    if (growth_alloc(g, &m->config, n, NULL, err)) return -1;
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

/* ---- z -> the first grid ---------------------------------------------------- */

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
    if (g->tape) g->tape->steps = 0;
}

/* ---- a stage: divide, then update ------------------------------------------ */

/* every cell becomes a 2x2 block of copies of itself, genome flag and all */
static void divide_cells(VncaGrowth *g)
{
    const size_t divided_cells = (size_t)g->n * 4 * g->grid * g->grid;
    divide_forward(g->scratch, g->state, g->n, g->grid, g->channels);
    memcpy(g->state, g->scratch, divided_cells * g->channels * sizeof(float));
    if (g->alive) {
        divide_forward(g->scratch, g->alive, g->n, g->grid, 1);
        memcpy(g->alive, g->scratch, divided_cells * sizeof(float));
    }
    g->grid *= 2;
    g->stage++;
    g->step = 0;
}

/* where this step's activations go: the tape's next entry, which also keeps
 * the step's input, or the scratch that every step reuses */
static NcaStepActs step_acts(VncaGrowth *g)
{
    const VncaConfig *cfg = &g->model->config;
    DecoderTape *tape = g->tape;
    if (tape) {
        const int t = tape->steps++;
        const size_t cells = (size_t)g->n * g->grid * g->grid;
        tape->grid[t] = g->grid;
        tape->rows[t] = g->n;
        memcpy(tape->step_in[t], g->state, cells * g->channels * sizeof(float));
        if (g->alive) memcpy(tape->alive[t], g->alive, cells * sizeof(float));
        return tape->acts[t];
    }
    const size_t cells = full_cells(cfg, g->n);
    NcaStepActs acts = {.feat = g->scratch + cells * cfg->latent};
    float *x_ping = acts.feat + nca_feat_floats(cfg, g->n, cfg->image_size);
    float *x_pong = x_ping + cells * cfg->hidden, *a = x_pong + cells * cfg->hidden;
    for (int r = 0; r <= cfg->res_blocks; r++) acts.x[r] = r % 2 ? x_pong : x_ping;
    for (int r = 0; r < cfg->res_blocks; r++) acts.a[r] = a;
    return acts;
}

/* state += f(state) in every cell; a destroyed cell takes its genome back
 * from a living neighbour */
static void update_cells(VncaGrowth *g)
{
    const NcaStepActs acts = step_acts(g);
    const NcaGenome genome = {.z = g->genome, .alive = g->alive};
    nca_step_forward(g->model, g->state, g->state, g->n, g->grid, &acts, &genome);
    if (g->alive) { /* the divided-state room of scratch is free between divisions */
        genome_spread(g->scratch, g->alive, g->n, g->grid);
        memcpy(g->alive, g->scratch, (size_t)g->n * g->grid * g->grid * sizeof(float));
    }
    g->step++;
    g->t++;
}

/* ---- the schedule ----------------------------------------------------------- */

void vnca_growth_step(VncaGrowth *g)
{
    const VncaConfig *cfg = &g->model->config;
    while (g->step >= cfg->stage_steps[g->stage] && g->stage + 1 < cfg->n_stages) divide_cells(g);
    update_cells(g);
}

int vnca_growth_done(const VncaGrowth *g)
{
    const VncaConfig *cfg = &g->model->config;
    if (g->step < cfg->stage_steps[g->stage]) return 0;
    for (int s = g->stage + 1; s < cfg->n_stages; s++)
        if (cfg->stage_steps[s] > 0) return 0;
    return 1;
}

void vnca_growth_finish(VncaGrowth *g)
{
    while (!vnca_growth_done(g)) vnca_growth_step(g);
    /* a schedule whose last stages have no steps still ends at full size */
    while (g->stage + 1 < g->model->config.n_stages) divide_cells(g);
}

/* ---- the cells, edited between steps --------------------------------------- */

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

void vnca_growth_set_pixel(VncaGrowth *g, int i, int x, int y, float p)
{
    const float q = fminf(fmaxf(p, 1e-6f), 1.0f - 1e-6f); /* a finite logit */
    g->state[(((size_t)i * g->grid + y) * g->grid + x) * g->channels] = logf(q / (1.0f - q));
}

void vnca_growth_set_cells(VncaGrowth *g, const float *cells)
{
    memcpy(g->state, cells, (size_t)g->n * g->grid * g->grid * g->channels * sizeof(float));
    vnca_growth_revive(g);
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

/* ---- the cells, read -------------------------------------------------------- */

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

void vnca_growth_probs_full(const VncaGrowth *g, float *out)
{
    const size_t pixels = (size_t)g->n * g->model->config.image_size * g->model->config.image_size;
    vnca_growth_channel_full(g, 0, out);
    for (size_t i = 0; i < pixels; i++) out[i] = 1.0f / (1.0f + expf(-out[i]));
}

/* ---- training: the same loop on a tape, and back ----------------------------- */

void decoder_forward_train(const VncaModel *m, VncaWorkspace *ws, const float *z,
                           const DecoderRows *rows)
{
    const VncaConfig *cfg = &m->config;
    VncaGrowth *g = &ws->train;
    const size_t cells = (size_t)cfg->image_size * cfg->image_size, image_state = cells * cfg->latent;
    g->model = m;
    g->n = rows->grow;
    if (rows->grow > 0) {
        vnca_growth_seed(g, z);
        vnca_growth_finish(g);
    } else { /* the extra steps' entries follow the schedule's, sized for them */
        g->tape->steps = vnca_total_steps(cfg);
        g->grid = cfg->image_size;
        g->stage = cfg->n_stages - 1;
        g->step = cfg->stage_steps[g->stage];
    }
    g->tape->grown_steps = g->tape->steps;
    /* the pool's rows join at full size, with their genomes */
    if (rows->n_start > 0) {
        memcpy(g->state + (size_t)rows->grow * image_state, rows->start,
               (size_t)rows->n_start * image_state * sizeof(float));
        if (cfg->genome) {
            memcpy(g->genome + (size_t)rows->grow * cfg->latent, rows->start_z,
                   (size_t)rows->n_start * cfg->latent * sizeof(float));
            memcpy(g->alive + (size_t)rows->grow * cells, rows->start_alive,
                   (size_t)rows->n_start * cells * sizeof(float));
        }
    }
    g->n = rows->grow + rows->n_start;
    for (int e = 0; e < rows->extra; e++) vnca_growth_step(g);
}

const float *decoder_final_state(const VncaWorkspace *ws) { return ws->train.state; }

const float *decoder_grown_state(const VncaWorkspace *ws)
{
    const DecoderTape *tape = ws->train.tape;
    return tape->steps > tape->grown_steps ? tape->step_in[tape->grown_steps] : ws->train.state;
}

const float *decoder_final_alive(const VncaWorkspace *ws) { return ws->train.alive; }

static void swap(float **a, float **b)
{
    float *t = *a;
    *a = *b;
    *b = t;
}

void decoder_backward(const VncaModel *m, VncaWorkspace *ws, const VncaWeights *gw, float *dfinal,
                      const float *dgrown, const float *z, float *dz, const DecoderRows *rows)
{
    const VncaConfig *cfg = &m->config;
    const DecoderTape *tape = ws->train.tape;
    const int c = cfg->latent;
    float *dcur = dfinal;
    float *dspare = dfinal == ws->dstate[0] ? ws->dstate[1] : ws->dstate[0];
    int g = cfg->image_size, n = rows->grow + rows->n_start;
    for (int t = tape->steps - 1; t >= 0; t--) {
        if (t == tape->grown_steps - 1) { /* from the extra steps back into the growth */
            if (rows->grow == 0) return;
            n = rows->grow; /* a prefix of every buffer */
            if (dgrown)
                for (size_t i = 0; i < (size_t)n * g * g * c; i++) dcur[i] += dgrown[i];
        }
        for (; g > tape->grid[t]; g /= 2) { /* the divisions after step t */
            divide_backward(dspare, dcur, n, g / 2, c);
            swap(&dcur, &dspare);
        }
        const NcaGenome genome = {.z = z, .alive = tape->alive[t], .dz = dz};
        nca_step_backward(m, gw, tape->step_in[t], dcur, dspare, n, g, &tape->acts[t],
                          &ws->step_grads, &genome);
        swap(&dcur, &dspare);
    }
    if (rows->grow == 0) return;
    n = rows->grow;
    if (tape->grown_steps == 0 && dgrown) /* a schedule of no steps, and extra ones */
        for (size_t i = 0; i < (size_t)n * g * g * c; i++) dcur[i] += dgrown[i];
    for (; g > cfg->stage_grid[0]; g /= 2) { /* the divisions before the first step */
        divide_backward(dspare, dcur, n, g / 2, c);
        swap(&dcur, &dspare);
    }
    /* the seed copies z into every cell: its gradient is their sum */
    for (int i = 0; i < n; i++)
        for (int p = 0; p < g * g; p++)
            for (int ch = 0; ch < c; ch++)
                dz[(size_t)i * c + ch] += dcur[((size_t)i * g * g + p) * c + ch];
}
