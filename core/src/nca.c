/* The NCA update f: perception -> R residual blocks -> 1x1 conv, applied to
 * every cell at once, and its backward pass. */

#include "nca.h"
#include "vnca/ops.h"

static Conv2dShape perceive_shape(const VncaConfig *cfg, int n, int g)
{
    return (Conv2dShape){.n = n, .h = g, .w = g, .c_in = cfg->latent, .c_out = cfg->hidden,
                         .k = 3, .stride = 1, .pad = 1};
}

static Conv2dShape perceive_far_shape(const VncaConfig *cfg, int n, int g)
{
    Conv2dShape s = perceive_shape(cfg, n, g);
    s.pad = s.dilation = cfg->far_reach;
    return s;
}

size_t nca_feat_floats(const VncaConfig *cfg, int n, int g)
{
    const size_t update = (size_t)n * g * g * cfg->latent;
    if (cfg->perception == VNCA_PERCEIVE_SOBEL) return 3 * update;
    /* the far conv's im2col, then what it adds, apart until it is added */
    const size_t conv = conv2d_col_size(perceive_shape(cfg, n, g)) +
                        (cfg->far_reach ? (size_t)n * g * g * cfg->hidden : 0);
    size_t genome = cfg->genome ? (size_t)n * 9 * cfg->hidden : 0;
    if (cfg->genome == VNCA_GENOME_POSITION && position_scratch_floats(g, cfg->hidden) > genome)
        genome = position_scratch_floats(g, cfg->hidden);
    const size_t most = conv > update ? conv : update;
    return most > genome ? most : genome;
}

/* state [n, g, g, C] (and the genome) -> x0 [cells, H] */
static void perceive_forward(const VncaModel *m, float *x0, float *feat, const float *state, int n,
                             int g, const NcaGenome *genome)
{
    const VncaConfig *cfg = &m->config;
    if (cfg->perception == VNCA_PERCEIVE_CONV3) {
        conv2d_forward(x0, feat, state, m->w.perceive_w, m->w.perceive_b, perceive_shape(cfg, n, g));
        if (cfg->far_reach) {
            const Conv2dShape far = perceive_far_shape(cfg, n, g);
            float *seen_far = feat + conv2d_col_size(far);
            conv2d_forward(seen_far, feat, state, m->w.perceive_far_w, NULL, far);
            residual_forward(x0, x0, seen_far, (size_t)n * g * g * cfg->hidden);
        }
        if (cfg->genome)
            genome_conv_forward(x0, feat, genome->z, genome->alive, m->w.genome_w, n, g,
                                cfg->latent, cfg->hidden);
        if (cfg->genome == VNCA_GENOME_POSITION)
            position_forward(x0, feat, genome->alive, m->w.position_w, n, g, cfg->hidden);
    } else {
        sobel_forward(feat, state, n, g, cfg->latent);
        linear_forward(x0, feat, m->w.perceive_w, m->w.perceive_b, n * g * g, 3 * cfg->latent,
                       cfg->hidden);
    }
}

/* the step of n images, every layer over all of them at once */
static void step_forward(const VncaModel *m, const float *state_in, float *state_out, int n, int g,
                         const NcaStepActs *acts, const NcaGenome *genome)
{
    const VncaConfig *cfg = &m->config;
    const int cells = n * g * g, c = cfg->latent, h = cfg->hidden;
    perceive_forward(m, acts->x[0], acts->feat, state_in, n, g, genome);
    for (int r = 0; r < cfg->res_blocks; r++) {
        linear_elu_forward(acts->a[r], acts->x[r], m->w.res_w1[r], m->w.res_b1[r], cells, h, h);
        linear_skip_forward(acts->x[r + 1], acts->a[r], m->w.res_w2[r], m->w.res_b2[r], acts->x[r],
                            cells, h, h);
    }
    /* The update goes through feat's memory (free again by now) so that
     * state_out may alias state_in. */
    float *delta = acts->feat;
    linear_forward(delta, acts->x[cfg->res_blocks], m->w.out_w, m->w.out_b, cells, h, c);
    residual_forward(state_out, state_in, delta, (size_t)cells * c);
}

static void step_backward(const VncaModel *m, const VncaWeights *gw, const float *state_in,
                          const float *dstate_out, float *dstate_in, int n, int g,
                          const NcaStepActs *acts, const NcaStepGrads *grads,
                          const NcaGenome *genome)
{
    const VncaConfig *cfg = &m->config;
    const int cells = n * g * g, c = cfg->latent, h = cfg->hidden, R = cfg->res_blocks;
    float *dx = grads->dx, *dh = grads->dh;

    /* state_out = state_in + out(x_R) */
    residual_backward(dstate_in, NULL, dstate_out, (size_t)cells * c);
    linear_backward_input(dx, dstate_out, m->w.out_w, cells, h, c);
    linear_backward(NULL, gw->out_w, gw->out_b, dstate_out, acts->x[R], m->w.out_w, cells, h, c);

    /* x_{r+1} = x_r + W2 a + b2, a = elu(W1 x_r + b1); dx holds dL/dx_{r+1}
     * and, through the skip connection, becomes dL/dx_r by accumulation. */
    for (int r = R - 1; r >= 0; r--) {
        elu_linear_backward_input(dh, dx, m->w.res_w2[r], acts->a[r], cells, h, h);
        linear_backward(NULL, gw->res_w2[r], gw->res_b2[r], dx, acts->a[r], m->w.res_w2[r], cells,
                        h, h);
        linear_backward(dx, gw->res_w1[r], gw->res_b1[r], dh, acts->x[r], m->w.res_w1[r], cells,
                        h, h);
    }

    if (cfg->genome == VNCA_GENOME_POSITION)
        position_backward(gw->position_w, acts->feat, dx, genome->alive, n, g, h);
    if (cfg->genome)
        genome_conv_backward(genome->dz, gw->genome_w, acts->feat, dx, genome->z, genome->alive,
                             m->w.genome_w, n, g, c, h);
    if (cfg->perception == VNCA_PERCEIVE_CONV3) {
        conv2d_backward(dstate_in, gw->perceive_w, gw->perceive_b, acts->feat, dx, state_in,
                        m->w.perceive_w, perceive_shape(cfg, n, g));
        if (cfg->far_reach)
            conv2d_backward(dstate_in, gw->perceive_far_w, NULL, acts->feat, dx, state_in,
                            m->w.perceive_far_w, perceive_far_shape(cfg, n, g));
    } else {
        sobel_forward(acts->feat, state_in, n, g, c);
        linear_backward_input(grads->dfeat, dx, m->w.perceive_w, cells, 3 * c, h);
        linear_backward(NULL, gw->perceive_w, gw->perceive_b, dx, acts->feat, m->w.perceive_w,
                        cells, 3 * c, h);
        sobel_backward(dstate_in, grads->dfeat, n, g, c);
    }
}

/* A step takes its images a few at a time, so that a chunk's activations
 * stay in the L2 cache from one layer to the next, where the whole batch's
 * would stream through memory between them (the 1x1 layers of 64 units,
 * one core: 98-177 GFLOP/s over 32,768 cells, 135-183 over 2,048). Chunks
 * are whole images (the perception reads within an image), as many as fill
 * CHUNK_CELLS cells; on grids whose cells divide it (a side of a power of
 * two) they start at its multiples, so that a weight gradient sums its rows
 * in the same blocks of GEMM_KC as over the whole batch. */
enum { CHUNK_CELLS = 2048 };

static int chunk_images(int n, int g)
{
    const int images = CHUNK_CELLS / (g * g);
    return images < 1 ? 1 : images < n ? images : n;
}

/* images [i, ...)'s part of a step's activations (feat is scratch, shared) */
static NcaStepActs acts_from(const NcaStepActs *acts, const VncaConfig *cfg, size_t cell)
{
    NcaStepActs part = *acts;
    for (int r = 0; r <= cfg->res_blocks; r++) part.x[r] += cell * cfg->hidden;
    for (int r = 0; r < cfg->res_blocks; r++) part.a[r] += cell * cfg->hidden;
    return part;
}

/* images [i, ...)'s part of a step's genome, in *part; NULL without one */
static const NcaGenome *genome_from(NcaGenome *part, const NcaGenome *genome, const VncaConfig *cfg,
                                    int i, size_t cell)
{
    if (!genome) return NULL;
    *part = (NcaGenome){.z = genome->z + (size_t)i * cfg->latent,
                        .alive = genome->alive ? genome->alive + cell : NULL,
                        .dz = genome->dz ? genome->dz + (size_t)i * cfg->latent : NULL};
    return part;
}

/* images [first, first + count) of a step: their states at `at` floats,
 * their activations and genome */
typedef struct StepChunk {
    int first, count;
    size_t at;
    NcaStepActs acts;
    NcaGenome genome_part;
    const NcaGenome *genome; /* &genome_part, or NULL without a genome */
} StepChunk;

/* The chunk after *c (all zeros: the first one); 0 when the n images are done. */
static int next_chunk(StepChunk *c, const VncaConfig *cfg, int n, int g, const NcaStepActs *acts,
                      const NcaGenome *genome)
{
    const int first = c->first + c->count, per = chunk_images(n, g);
    if (first >= n) return 0;
    const size_t cell = (size_t)first * g * g;
    c->first = first;
    c->count = n - first < per ? n - first : per;
    c->at = cell * cfg->latent;
    c->acts = acts_from(acts, cfg, cell);
    c->genome = genome_from(&c->genome_part, genome, cfg, first, cell);
    return 1;
}

void nca_step_forward(const VncaModel *m, const float *state_in, float *state_out, int n, int g,
                      const NcaStepActs *acts, const NcaGenome *genome)
{
    for (StepChunk c = {0}; next_chunk(&c, &m->config, n, g, acts, genome);)
        step_forward(m, state_in + c.at, state_out + c.at, c.count, g, &c.acts, c.genome);
}

void nca_step_backward(const VncaModel *m, const VncaWeights *gw, const float *state_in,
                       const float *dstate_out, float *dstate_in, int n, int g,
                       const NcaStepActs *acts, const NcaStepGrads *grads, const NcaGenome *genome)
{
    for (StepChunk c = {0}; next_chunk(&c, &m->config, n, g, acts, genome);)
        step_backward(m, gw, state_in + c.at, dstate_out + c.at, dstate_in + c.at, c.count, g,
                      &c.acts, grads, c.genome);
}
