/* The parameter layout (names, shapes, offsets) and a model's lifetime. One
 * function, layout_walk, defines the order, the names and the shapes; the
 * tensor list and the weight views are both derived from it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/ops.h"
#include "vnca/vnca.h"

/* Visits each tensor in file order: its name, shape, and the VncaWeights slot
 * that views it (slot is inside *w, which may be NULL when only the layout is
 * wanted). */
typedef void (*TensorVisitor)(void *ctx, const char *name, int ndim, const int64_t *shape,
                              float **slot);

static void visit(TensorVisitor fn, void *ctx, float **slot, int ndim, int64_t d0, int64_t d1,
                  int64_t d2, int64_t d3, const char *fmt, int index, const char *suffix)
{
    char name[48];
    int64_t shape[4] = {d0, d1, d2, d3};
    if (index >= 0) snprintf(name, sizeof name, fmt, index, suffix);
    else snprintf(name, sizeof name, fmt, suffix);
    fn(ctx, name, ndim, shape, slot);
}

static void layout_walk(const VncaConfig *cfg, VncaWeights *w, TensorVisitor fn, void *ctx)
{
    VncaWeights dummy;
    if (!w) w = &dummy;
    const int64_t c = cfg->latent, h = cfg->hidden;
    int c_in = 1;
    for (int i = 0; i < vnca_encoder_convs(cfg); i++) {
        int c_out = vnca_encoder_channels(cfg, i);
        visit(fn, ctx, &w->enc_w[i], 4, c_out, c_in, 5, 5, "encoder.conv%d.%s", i + 1, "weight");
        visit(fn, ctx, &w->enc_b[i], 1, c_out, 0, 0, 0, "encoder.conv%d.%s", i + 1, "bias");
        c_in = c_out;
    }
    visit(fn, ctx, &w->fc_w, 2, 2 * c, 4 * (int64_t)c_in, 0, 0, "encoder.fc.%s", -1, "weight");
    visit(fn, ctx, &w->fc_b, 1, 2 * c, 0, 0, 0, "encoder.fc.%s", -1, "bias");
    if (cfg->perception == VNCA_PERCEIVE_CONV3)
        visit(fn, ctx, &w->perceive_w, 4, h, c, 3, 3, "nca.perceive.%s", -1, "weight");
    else
        visit(fn, ctx, &w->perceive_w, 4, h, 3 * c, 1, 1, "nca.perceive.%s", -1, "weight");
    visit(fn, ctx, &w->perceive_b, 1, h, 0, 0, 0, "nca.perceive.%s", -1, "bias");
    if (cfg->far_reach)
        visit(fn, ctx, &w->perceive_far_w, 4, h, c, 3, 3, "nca.perceive_far.%s", -1, "weight");
    if (cfg->genome) visit(fn, ctx, &w->genome_w, 4, h, c, 3, 3, "nca.genome.%s", -1, "weight");
    if (cfg->genome == VNCA_GENOME_POSITION)
        visit(fn, ctx, &w->position_w, 4, h, POSITION_FEATURES, 1, 1, "nca.position.%s", -1, "weight");
    for (int r = 0; r < cfg->res_blocks; r++) {
        visit(fn, ctx, &w->res_w1[r], 4, h, h, 1, 1, "nca.res.%d.conv1.%s", r, "weight");
        visit(fn, ctx, &w->res_b1[r], 1, h, 0, 0, 0, "nca.res.%d.conv1.%s", r, "bias");
        visit(fn, ctx, &w->res_w2[r], 4, h, h, 1, 1, "nca.res.%d.conv2.%s", r, "weight");
        visit(fn, ctx, &w->res_b2[r], 1, h, 0, 0, 0, "nca.res.%d.conv2.%s", r, "bias");
    }
    visit(fn, ctx, &w->out_w, 4, c, h, 1, 1, "nca.out.%s", -1, "weight");
    visit(fn, ctx, &w->out_b, 1, c, 0, 0, 0, "nca.out.%s", -1, "bias");
}

static void add_spec(void *ctx, const char *name, int ndim, const int64_t *shape, float **slot)
{
    (void)slot;
    VncaLayout *L = ctx;
    VncaTensorSpec *t = &L->t[L->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->numel = 1;
    for (int d = 0; d < 4; d++) {
        t->shape[d] = d < ndim ? shape[d] : 0;
        if (d < ndim) t->numel *= (size_t)shape[d];
    }
    t->offset = L->n_params;
    L->n_params += t->numel;
    if (strncmp(name, "encoder.", 8) == 0) L->n_encoder += t->numel;
    else L->n_nca += t->numel;
}

void vnca_layout(const VncaConfig *cfg, VncaLayout *layout)
{
    memset(layout, 0, sizeof *layout);
    layout_walk(cfg, NULL, add_spec, layout);
}

const VncaTensorSpec *vnca_layout_find(const VncaLayout *layout, const char *name)
{
    for (int i = 0; i < layout->n; i++)
        if (strcmp(layout->t[i].name, name) == 0) return &layout->t[i];
    return NULL;
}

size_t vnca_tensor_taps(const VncaTensorSpec *t)
{
    return t->ndim == 4 ? (size_t)(t->shape[2] * t->shape[3]) : 1;
}

size_t vnca_tensor_memory_index(const VncaTensorSpec *t, size_t file_index)
{
    const size_t taps = vnca_tensor_taps(t);
    if (taps == 1) return file_index;
    const size_t ins = (size_t)t->shape[1], o = file_index / (ins * taps);
    const size_t c = file_index / taps % ins, k = file_index % taps;
    return (o * taps + k) * ins + c;
}

void vnca_params_from_file(const VncaLayout *layout, float *dst, const float *src)
{
    for (int i = 0; i < layout->n; i++) {
        const VncaTensorSpec *t = &layout->t[i];
        for (size_t j = 0; j < t->numel; j++)
            dst[t->offset + vnca_tensor_memory_index(t, j)] = src[t->offset + j];
    }
}

void vnca_params_to_file(const VncaLayout *layout, float *dst, const float *src)
{
    for (int i = 0; i < layout->n; i++) {
        const VncaTensorSpec *t = &layout->t[i];
        for (size_t j = 0; j < t->numel; j++)
            dst[t->offset + j] = src[t->offset + vnca_tensor_memory_index(t, j)];
    }
}

typedef struct BindCtx {
    float *cursor;
} BindCtx;

static void bind_slot(void *ctx, const char *name, int ndim, const int64_t *shape, float **slot)
{
    (void)name;
    BindCtx *b = ctx;
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) numel *= (size_t)shape[d];
    *slot = b->cursor;
    b->cursor += numel;
}

void vnca_weights_bind(const VncaConfig *cfg, float *base, VncaWeights *w)
{
    memset(w, 0, sizeof *w);
    BindCtx b = {base};
    layout_walk(cfg, w, bind_slot, &b);
}

int vnca_model_alloc(VncaModel *m, const VncaConfig *cfg, VncaError *err)
{
    memset(m, 0, sizeof *m);
    if (vnca_config_check(cfg, err)) return -1;
    m->config = *cfg;
    vnca_layout(cfg, &m->layout);
    m->params = calloc(m->layout.n_params, sizeof(float));
    if (!m->params)
        return vnca_fail(err, "out of memory for %zu parameters", m->layout.n_params);
    vnca_weights_bind(cfg, m->params, &m->w);
    return 0;
}

void vnca_model_init(VncaModel *m, uint64_t seed)
{
    VncaRng rng;
    vnca_rng_seed(&rng, seed);
    const VncaLayout *L = &m->layout;
    /* PyTorch's default for conv and linear: weight and bias both
     * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in * kh * kw. A bias has the
     * fan_in of the weight just before it in the layout. Drawn in the
     * file's order: a seed makes one model file, whatever order memory
     * keeps. */
    float bound = 0.0f;
    for (int i = 0; i < L->n; i++) {
        const VncaTensorSpec *t = &L->t[i];
        float *p = m->params + t->offset;
        if (t->ndim > 1) bound = 1.0f / sqrtf((float)(t->numel / (size_t)t->shape[0]));
        for (size_t j = 0; j < t->numel; j++)
            p[vnca_tensor_memory_index(t, j)] = bound * (2.0f * vnca_rng_uniform(&rng) - 1.0f);
    }
    size_t out_numel = (size_t)m->config.latent * m->config.hidden;
    memset(m->w.out_w, 0, out_numel * sizeof(float));
    memset(m->w.out_b, 0, (size_t)m->config.latent * sizeof(float));
}

void vnca_model_free(VncaModel *m)
{
    free(m->params);
    vnca_meta_free(&m->meta);
    memset(m, 0, sizeof *m);
}
