/* Workspace allocation: every buffer of a batch carved from one arena, sized
 * once from the config and the batch capacity. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "encoder.h"
#include "threads.h"
#include "workspace.h"
#include "vnca/ops.h"

/* Carving runs twice: once with base == NULL to measure, once for real. */
typedef struct Carver {
    float *base;
    size_t used;     /* floats */
} Carver;

static float *carve(Carver *cv, size_t floats)
{
    /* 64-byte alignment for every buffer: whole cache lines, aligned SIMD */
    size_t start = (cv->used + 15) & ~(size_t)15;
    cv->used = start + floats;
    return cv->base ? cv->base + start : NULL;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static void carve_all(VncaWorkspace *ws, Carver *cv)
{
    const VncaConfig *cfg = &ws->cfg;
    const size_t cap = (size_t)ws->cap, z = (size_t)cfg->latent, h = (size_t)cfg->hidden;
    const int n_enc = vnca_encoder_convs(cfg);
    size_t col = 0, largest_act = 0;
    for (int i = 0; i < n_enc; i++) {
        Conv2dShape s = encoder_conv_shape(cfg, ws->cap, i);
        int out = conv2d_out_size(s, s.h);
        size_t act = cap * out * out * s.c_out;
        ws->enc_act[i] = carve(cv, act);
        largest_act = max_size(largest_act, act);
        col = max_size(col, conv2d_col_size(s));
    }
    const size_t flat = 4 * (size_t)vnca_encoder_channels(cfg, n_enc - 1);
    ws->enc_flat = carve(cv, cap * flat);
    ws->q = carve(cv, cap * 2 * z);
    ws->mu = carve(cv, cap * z);
    ws->logsig = carve(cv, cap * z);
    ws->eps = carve(cv, cap * z);
    ws->z = carve(cv, cap * z);
    if (ws->kind != VNCA_WS_TRAIN) {
        ws->col = carve(cv, col);
        return;
    }

    const size_t full = cap * cfg->image_size * cfg->image_size;
    col = max_size(col, nca_feat_floats(cfg, ws->cap, cfg->image_size));
    ws->col = carve(cv, col);
    /* the tape: the schedule's steps at their stages' grids, then the extra
     * steps at full size */
    DecoderTape *tape = &ws->tape;
    const int steps = vnca_total_steps(cfg) + ws->extra_cap;
    for (int t = 0, s = 0, k = 0; t < steps; t++, k++) {
        while (s < cfg->n_stages && k >= cfg->stage_steps[s]) s++, k = 0;
        const int g = s < cfg->n_stages ? cfg->stage_grid[s] : cfg->image_size;
        const size_t cells = cap * g * g;
        tape->step_in[t] = carve(cv, cells * z);
        tape->acts[t].feat = ws->col;
        for (int r = 0; r <= cfg->res_blocks; r++) tape->acts[t].x[r] = carve(cv, cells * h);
        for (int r = 0; r < cfg->res_blocks; r++) tape->acts[t].a[r] = carve(cv, cells * h);
        if (cfg->genome) tape->alive[t] = carve(cv, cells);
    }
    ws->row_recon = carve(cv, (size_t)cap);
    ws->state_tmp = carve(cv, full * z);
    ws->dstate[0] = carve(cv, full * z);
    ws->dstate[1] = carve(cv, full * z);
    ws->step_grads.dx = carve(cv, full * h);
    ws->step_grads.dh = carve(cv, full * h);
    if (cfg->perception == VNCA_PERCEIVE_SOBEL)
        ws->step_grads.dfeat = carve(cv, nca_feat_floats(cfg, ws->cap, cfg->image_size));
    ws->enc_dact[0] = carve(cv, largest_act);
    ws->enc_dact[1] = carve(cv, largest_act);
    ws->enc_dpre = carve(cv, largest_act);
    ws->dflat = carve(cv, cap * flat);
    ws->dq = carve(cv, cap * 2 * z);
    ws->dmu = carve(cv, cap * z);
    ws->dlogsig = carve(cv, cap * z);
    ws->dz = carve(cv, cap * z);
}

/* what a growth of g->n images holds besides the arena */
static size_t growth_bytes(const VncaGrowth *g, const VncaConfig *cfg)
{
    const size_t cells = (size_t)g->n * cfg->image_size * cfg->image_size;
    const size_t genome = cfg->genome ? (size_t)g->n * cfg->latent + cells : 0;
    return (g->scratch_len + cells * cfg->latent + genome) * sizeof(float);
}

/* one a core, at most one a row */
static int train_shard_count(int cap)
{
    const int cores = core_count();
    int shards = cores < VNCA_MAX_TRAIN_SHARDS ? cores : VNCA_MAX_TRAIN_SHARDS;
    return shards < cap ? shards : cap;
}

/* How a workspace splits its work: a training batch among `shards`
 * workspaces (this one the first), and whether it decodes at all (a
 * training batch's other shards only run the ELBO). */
typedef struct Split {
    int shards;
    int decodes;
} Split;

static VncaWorkspace *workspace_make(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind,
                                     int extra_cap, Split split, VncaError *err);

/* the shards after the first, and their gradients' room */
static int add_train_shards(VncaWorkspace *ws, VncaError *err)
{
    VncaLayout layout;
    vnca_layout(&ws->cfg, &layout);
    for (int k = 1; k < ws->train_shards; k++) {
        const Split shard = {.shards = 1, .decodes = 0};
        ws->train_shard[k - 1] = workspace_make(&ws->cfg, ws->cap, VNCA_WS_TRAIN, 0, shard, err);
        if (!ws->train_shard[k - 1]) return -1;
        ws->bytes += ws->train_shard[k - 1]->bytes;
    }
    if (ws->train_shards == 1) return 0;
    ws->shard_grads = malloc((size_t)ws->train_shards * layout.n_params * sizeof(float));
    if (!ws->shard_grads)
        return vnca_fail(err, "out of memory for %d shards' gradients", ws->train_shards);
    ws->bytes += (size_t)ws->train_shards * layout.n_params * sizeof(float);
    return 0;
}

/* the growths that decode, decode_cap images at a time in decode_shards */
static int add_decoding(VncaWorkspace *ws, int cap, VncaError *err)
{
    /* a training workspace decodes only now and then (samples, checks): a
     * few images at a time are enough there */
    ws->decode_cap = ws->kind == VNCA_WS_TRAIN && cap > 4 ? 4 : cap;
    ws->decode_shards = vnca_threads() < ws->decode_cap ? vnca_threads() : ws->decode_cap;
    if (ws->decode_shards > VNCA_MAX_DECODE_SHARDS) ws->decode_shards = VNCA_MAX_DECODE_SHARDS;
    if (growth_alloc(&ws->growth, &ws->cfg, ws->decode_cap, NULL, err)) return -1;
    ws->bytes += growth_bytes(&ws->growth, &ws->cfg);
    const int shard_cap = (ws->decode_cap + ws->decode_shards - 1) / ws->decode_shards;
    for (int k = 1; k < ws->decode_shards; k++) {
        if (growth_alloc(&ws->shard_growth[k - 1], &ws->cfg, shard_cap, NULL, err)) return -1;
        ws->bytes += growth_bytes(&ws->shard_growth[k - 1], &ws->cfg);
    }
    return 0;
}

VncaWorkspace *vnca_workspace_new(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind,
                                  VncaError *err)
{
    /* a caller of the public API reaches a training workspace only through the ELBO */
    if (kind == VNCA_WS_TRAIN) return workspace_new_sharded(cfg, cap, err);
    return workspace_new(cfg, cap, kind, 0, err);
}

static VncaWorkspace *workspace_make(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind,
                                     int extra_cap, Split split, VncaError *err)
{
    CpuIsa isa; /* a VNCA_ISA the layers' kernels cannot run is refused here */
    if (vnca_config_check(cfg, err) || cpu_isa_choose(&isa, err)) return NULL;
    if (cap < 1) {
        vnca_fail(err, "batch capacity %d must be at least 1", cap);
        return NULL;
    }
    if (extra_cap < 0 || (extra_cap > 0 && kind != VNCA_WS_TRAIN) ||
        vnca_total_steps(cfg) + extra_cap > VNCA_MAX_TRAIN_STEPS) {
        vnca_fail(err, "training supports at most %d NCA steps, the schedule has %d and %d extra",
                  VNCA_MAX_TRAIN_STEPS, vnca_total_steps(cfg), extra_cap);
        return NULL;
    }
    VncaWorkspace *ws = calloc(1, sizeof *ws);
    if (!ws) {
        vnca_fail(err, "out of memory for a workspace");
        return NULL;
    }
    ws->cfg = *cfg;
    /* a sharded training batch: this workspace and each shard hold a shard's rows */
    ws->train_shards = split.shards;
    ws->cap = (cap + ws->train_shards - 1) / ws->train_shards;
    ws->kind = kind;
    ws->extra_cap = extra_cap;
    Carver measure = {NULL, 0};
    carve_all(ws, &measure);
    ws->bytes = measure.used * sizeof(float);
    ws->arena = aligned_alloc(64, (ws->bytes + 63) & ~(size_t)63);
    if (!ws->arena) {
        vnca_fail(err, "out of memory: a workspace for %d images needs %.1f MiB", cap,
                  ws->bytes / 1048576.0);
        free(ws);
        return NULL;
    }
    Carver real = {ws->arena, 0};
    carve_all(ws, &real);
    if ((kind == VNCA_WS_TRAIN && growth_alloc(&ws->train, cfg, ws->cap, &ws->tape, err)) ||
        (split.decodes && add_decoding(ws, cap, err)) || add_train_shards(ws, err)) {
        vnca_workspace_free(ws);
        return NULL;
    }
    if (kind == VNCA_WS_TRAIN) ws->bytes += growth_bytes(&ws->train, cfg);
    return ws;
}

VncaWorkspace *workspace_new(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind, int extra_cap,
                             VncaError *err)
{
    const Split whole = {.shards = 1, .decodes = 1};
    return workspace_make(cfg, cap, kind, extra_cap, whole, err);
}

VncaWorkspace *workspace_new_sharded(const VncaConfig *cfg, int cap, VncaError *err)
{
    const Split sharded = {.shards = cap > 0 ? train_shard_count(cap) : 1, .decodes = 1};
    return workspace_make(cfg, cap, VNCA_WS_TRAIN, 0, sharded, err);
}

void vnca_workspace_free(VncaWorkspace *ws)
{
    if (!ws) return;
    vnca_growth_free(&ws->growth);
    for (int k = 1; k < ws->decode_shards; k++) vnca_growth_free(&ws->shard_growth[k - 1]);
    for (int k = 1; k < ws->train_shards; k++) vnca_workspace_free(ws->train_shard[k - 1]);
    free(ws->shard_grads);
    vnca_growth_free(&ws->train);
    free(ws->arena);
    free(ws);
}

size_t vnca_workspace_bytes(const VncaWorkspace *ws) { return ws->bytes; }
