/* The trainer: shuffled epochs, one Adam step per batch; for a persistent
 * model, extra steps and a pool of earlier states (checkpoints: checkpoint.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workspace.h"
#include "elbo.h"
#include "pool.h"
#include "trainer.h"
#include "vnca/bench.h"
#include "vnca/ops.h"
#include "vnca/train_options.h"

/* independent, reproducible streams per (seed, epoch, purpose) */
static void seed_stream(VncaRng *rng, uint64_t seed, int epoch, int purpose)
{
    vnca_rng_seed(rng, seed * 0x9e3779b97f4a7c15ULL + (uint64_t)epoch * 4 + (uint64_t)purpose);
}

enum { STREAM_ORDER = 1, STREAM_BINARIZE = 2, STREAM_NOISE = 3 };

static size_t image_len(const VncaTrainer *tr)
{
    return (size_t)tr->data->size * tr->data->size;
}

int trainer_persistent(const VncaTrainer *tr)
{
    return tr->model->config.variant == VNCA_VARIANT_PERSISTENT;
}

void trainer_start_epoch(VncaTrainer *tr)
{
    VncaRng rng;
    const uint32_t n = (uint32_t)tr->data->n;
    seed_stream(&rng, tr->opt.seed, tr->epoch, STREAM_ORDER);
    for (uint32_t i = 0; i < n; i++) tr->order[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        uint32_t j = vnca_rng_below(&rng, i + 1), t = tr->order[i];
        tr->order[i] = tr->order[j];
        tr->order[j] = t;
    }
    if (tr->opt.dynamic) {
        seed_stream(&rng, tr->opt.seed, tr->epoch, STREAM_BINARIZE);
        vnca_binarize(tr->epoch_images, tr->data->pixels, (size_t)n * image_len(tr), &rng);
    }
    tr->position = 0;
}

/* the rate the decay has brought lr to at Adam step t (vnca_learning_rate) */
static double decayed_rate(const VncaTrainOptions *o, long t)
{
    if (o->decay == VNCA_DECAY_NONE || t <= o->warmup) return o->lr;
    if (t >= o->decay_steps) return o->lr_final;
    const long long span = o->decay_steps - o->warmup, done = t - o->warmup;
    if (o->decay == VNCA_DECAY_COSINE)
        return o->lr_final + (o->lr - o->lr_final) * 0.5 * (1 + cos(M_PI * (double)done / (double)span));
    const long long drops = done * o->decay_drops / span;
    return o->lr * pow((double)o->lr_final / o->lr, (double)drops / o->decay_drops);
}

float vnca_learning_rate(const VncaTrainOptions *opt, long t)
{
    /* A fresh Adam moves every parameter by the full rate at its first
     * steps, whatever their gradients' size: a fine-tune from --init takes a
     * jolt (the KL doubled) unless the rate rises over the moments' first
     * steps. */
    const float rate = (float)decayed_rate(opt, t);
    return t < opt->warmup ? rate * ((float)(t + 1) / (float)opt->warmup) : rate;
}

static int check_options(const VncaTrainer *tr, const VncaTrainOptions *o, VncaError *err)
{
    const VncaConfig *cfg = &tr->model->config;
    if (tr->data->size != cfg->image_size)
        return vnca_fail(err, "data images are %dx%d, the model's %dx%d", tr->data->size,
                         tr->data->size, cfg->image_size, cfg->image_size);
    if (vnca_train_options_check(o, trainer_persistent(tr), err)) return -1;
    if (o->batch > tr->data->n)
        return vnca_fail(err, "batch %d is more than the data set's %d images", o->batch, tr->data->n);
    if (o->shards < 1 || o->shard < 0 || o->shard >= o->shards || o->shards > o->batch ||
        (o->shards > 1 && !o->allreduce))
        return vnca_fail(err, "shard %d of %d is invalid for a batch of %d", o->shard, o->shards,
                         o->batch);
    if (o->decay != VNCA_DECAY_NONE && o->decay_steps <= o->warmup)
        return vnca_fail(err, "decay-steps %d is not above warmup %d: the decay runs from the "
                         "warm-up's end to Adam step decay-steps", o->decay_steps, o->warmup);
    if (o->decay != VNCA_DECAY_NONE && o->lr_final > o->lr)
        return vnca_fail(err, "lr-final %g is above lr %g: a decay lowers the rate",
                         (double)o->lr_final, (double)o->lr);
    if (o->decay == VNCA_DECAY_STEP && o->lr_final <= 0)
        return vnca_fail(err, "a step decay needs lr-final above 0: its drops divide the rate "
                         "by equal factors down to it");
    if (o->decay == VNCA_DECAY_STEP && o->decay_drops < 1)
        return vnca_fail(err, "a step decay needs decay-drops of at least 1");
    if (!trainer_persistent(tr)) return 0;
    if (o->shards > 1) return vnca_fail(err, "persistent training runs in one process");
    if (o->extra_max < o->extra_min)
        return vnca_fail(err, "extra %d:%d: MIN is above MAX", o->extra_min, o->extra_max);
    if (o->damage_size > cfg->image_size)
        return vnca_fail(err, "damage %d does not fit the %d-cell grid", o->damage_size,
                         cfg->image_size);
    return 0;
}

int vnca_trainer_init(VncaTrainer *tr, VncaModel *model, const VncaImages *data,
                      const VncaTrainOptions *opt, VncaError *err)
{
    memset(tr, 0, sizeof *tr);
    tr->model = model;
    tr->data = data;
    tr->opt = *opt;
    if (check_options(tr, opt, err)) return -1;
    const VncaConfig *cfg = &model->config;
    const size_t pixels = image_len(tr), state_len = pixels * cfg->latent;
    const int largest_shard = (opt->batch + opt->shards - 1) / opt->shards;
    const int extra = trainer_persistent(tr) ? opt->extra_max : 0;
    if (vnca_adam_init(&tr->adam, model->layout.n_params, opt->lr, err)) return -1;
    tr->ws = extra ? workspace_new(cfg, largest_shard, VNCA_WS_TRAIN, extra, err)
                   : workspace_new_sharded(cfg, largest_shard, err);
    if (!tr->ws || (trainer_persistent(tr) &&
                    pool_init(&tr->pool, opt->pool_size, state_len, pixels,
                              cfg->genome ? (size_t)cfg->latent : 0, opt->batch, opt->seed, err))) {
        vnca_trainer_free(tr);
        return -1;
    }
    tr->grads = malloc(model->layout.n_params * sizeof(float));
    tr->batch_x = malloc((size_t)opt->batch * pixels * sizeof(float));
    tr->batch_eps = malloc((size_t)opt->batch * cfg->latent * sizeof(float));
    tr->batch_index = malloc((size_t)opt->batch * sizeof(int32_t));
    tr->order = malloc((size_t)data->n * sizeof(uint32_t));
    if (opt->dynamic) tr->epoch_images = malloc((size_t)data->n * pixels * sizeof(float));
    if (opt->average_decay > 0) tr->average = malloc(model->layout.n_params * sizeof(float));
    if (!tr->grads || !tr->batch_x || !tr->batch_eps || !tr->batch_index || !tr->order ||
        (opt->dynamic && !tr->epoch_images) || (opt->average_decay > 0 && !tr->average)) {
        vnca_trainer_free(tr);
        return vnca_fail(err, "out of memory for training at batch %d", opt->batch);
    }
    if (tr->average) memcpy(tr->average, model->params, model->layout.n_params * sizeof(float));
    seed_stream(&tr->noise, opt->seed, 0, STREAM_NOISE);
    trainer_start_epoch(tr);
    return 0;
}

void vnca_trainer_free(VncaTrainer *tr)
{
    vnca_adam_free(&tr->adam);
    vnca_workspace_free(tr->ws);
    pool_free(&tr->pool);
    free(tr->grads);
    free(tr->batch_x);
    free(tr->batch_eps);
    free(tr->batch_index);
    free(tr->order);
    free(tr->epoch_images);
    free(tr->average);
    memset(tr, 0, sizeof *tr);
}

/* this shard's fresh rows of the next n_fresh data images, into batch_x */
static void gather_fresh(VncaTrainer *tr, int n_fresh, int lo, int hi)
{
    const size_t pixels = image_len(tr);
    if (tr->position + n_fresh > tr->data->n) {
        tr->epoch++;
        trainer_start_epoch(tr);
    }
    const float *source = tr->opt.dynamic ? tr->epoch_images : tr->data->pixels;
    for (int i = lo; i < hi; i++) {
        const uint32_t index = tr->order[tr->position + i];
        tr->batch_index[i - lo] = (int32_t)index;
        memcpy(tr->batch_x + (size_t)(i - lo) * pixels, source + (size_t)index * pixels,
               pixels * sizeof(float));
    }
    tr->position += n_fresh;
}

/* n_pool pool states after the `first` fresh rows: their targets into batch_x */
static void gather_pool(VncaTrainer *tr, int first, int n_pool)
{
    const VncaConfig *cfg = &tr->model->config;
    const size_t pixels = image_len(tr);
    const float *source = tr->opt.dynamic ? tr->epoch_images : tr->data->pixels;
    pool_take(&tr->pool, n_pool, (int)lround(tr->opt.damage_share * n_pool), tr->opt.damage_size,
              cfg->image_size, cfg->latent);
    for (int i = 0; i < n_pool; i++)
        memcpy(tr->batch_x + (size_t)(first + i) * pixels,
               source + (size_t)tr->pool.target[tr->pool.slots[i]] * pixels, pixels * sizeof(float));
}

/* sums this shard's share of the batch mean over all shards */
static int reduce_shards(VncaTrainer *tr, VncaLoss *loss, float share, VncaError *err)
{
    const size_t n_params = tr->model->layout.n_params;
    float totals[3] = {(float)loss->loss * share, (float)loss->recon * share, (float)loss->kl * share};
    for (size_t i = 0; i < n_params; i++) tr->grads[i] *= share;
    if (tr->opt.allreduce(tr->grads, n_params, tr->opt.allreduce_ctx) ||
        tr->opt.allreduce(totals, 3, tr->opt.allreduce_ctx))
        return vnca_fail(err, "summing the gradients over %d processes failed", tr->opt.shards);
    *loss = (VncaLoss){totals[0], totals[1], totals[2]};
    return 0;
}

int vnca_trainer_step(VncaTrainer *tr, VncaTrainStats *stats, VncaError *err)
{
    const double t0 = vnca_seconds();
    const int b = tr->opt.batch, z = tr->model->config.latent, persistent = trainer_persistent(tr);
    const int n_pool = persistent && tr->pool.filled == tr->pool.size
                           ? (int)lround(tr->opt.pool_share * b) : 0;
    const int n_fresh = b - n_pool;
    const int lo = tr->opt.shard * n_fresh / tr->opt.shards;
    const int hi = (tr->opt.shard + 1) * n_fresh / tr->opt.shards;
    const int extra = persistent ? tr->opt.extra_min + (int)vnca_rng_below(
                                       &tr->pool.rng, (uint32_t)(tr->opt.extra_max - tr->opt.extra_min + 1))
                                 : 0;
    gather_fresh(tr, n_fresh, lo, hi);
    /* every shard draws the whole batch's noise, so the stream is the same
     * whatever the number of shards */
    vnca_rng_normal_fill(&tr->noise, tr->batch_eps, (size_t)n_fresh * z);
    if (n_pool) gather_pool(tr, hi - lo, n_pool);

    const DecoderRows rows = {.grow = hi - lo, .start = tr->pool.start, .start_z = tr->pool.start_genome,
                              .start_alive = tr->pool.start_alive, .n_start = n_pool,
                              .extra = extra, .score_grown = persistent};
    VncaLoss loss = elbo_forward_rows(tr->model, tr->ws, tr->batch_x, tr->batch_eps + (size_t)lo * z,
                                      &rows);
    memset(tr->grads, 0, tr->model->layout.n_params * sizeof(float));
    vnca_elbo_backward(tr->model, tr->ws, tr->grads);
    if (tr->opt.shards > 1 && reduce_shards(tr, &loss, (float)(hi - lo) / (float)b, err)) return -1;
    stats->pool_reseeded =
        persistent ? pool_put(&tr->pool, decoder_final_state(tr->ws), tr->ws->z,
                              decoder_final_alive(tr->ws), tr->ws->row_recon, n_fresh,
                              tr->batch_index, n_pool)
                   : 0;
    stats->loss = loss;
    stats->grad_norm = vnca_clip_grad_norm(tr->grads, tr->model->layout.n_params, tr->opt.clip);
    tr->adam.lr = vnca_learning_rate(&tr->opt, tr->adam.step);
    vnca_adam_update(&tr->adam, tr->model->params, tr->grads);
    if (tr->average) {
        const float keep = tr->opt.average_decay;
        const float *w = tr->model->params;
        for (size_t i = 0; i < tr->model->layout.n_params; i++)
            tr->average[i] = keep * tr->average[i] + (1.0f - keep) * w[i];
    }
    tr->step++;
    tr->images_seen += n_fresh;
    tr->train_seconds += vnca_seconds() - t0;
    return 0;
}

int vnca_trainer_save_model(const VncaTrainer *tr, const char *path, VncaError *err)
{
    if (!tr->average) return vnca_model_save(tr->model, path, err);
    VncaModel averaged = *tr->model; /* the same model, saved with the other weights */
    averaged.params = tr->average;
    return vnca_model_save(&averaged, path, err);
}
