/* The trainer: shuffled epochs, one Adam step per batch, exact checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_file.h"
#include "vnca/train.h"

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

static void start_epoch(VncaTrainer *tr)
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

int vnca_trainer_init(VncaTrainer *tr, VncaModel *model, const VncaImages *data,
                      const VncaTrainOptions *opt, VncaError *err)
{
    memset(tr, 0, sizeof *tr);
    if (data->size != model->config.image_size)
        return vnca_fail(err, "data images are %dx%d, the model's %dx%d", data->size, data->size,
                         model->config.image_size, model->config.image_size);
    if (opt->batch < 1 || opt->batch > data->n)
        return vnca_fail(err, "batch %d must be in [1, %d] (the data set's size)", opt->batch,
                         data->n);
    if (opt->shards < 1 || opt->shard < 0 || opt->shard >= opt->shards || opt->shards > opt->batch ||
        (opt->shards > 1 && !opt->allreduce))
        return vnca_fail(err, "shard %d of %d is invalid for a batch of %d", opt->shard,
                         opt->shards, opt->batch);
    tr->model = model;
    tr->data = data;
    tr->opt = *opt;
    const size_t pixels = (size_t)data->size * data->size;
    if (vnca_adam_init(&tr->adam, model->layout.n_params, opt->lr, err)) return -1;
    const int largest_shard = (opt->batch + opt->shards - 1) / opt->shards;
    tr->ws = vnca_workspace_new(&model->config, largest_shard, VNCA_WS_TRAIN, err);
    if (!tr->ws) {
        vnca_trainer_free(tr);
        return -1;
    }
    tr->grads = malloc(model->layout.n_params * sizeof(float));
    tr->batch_x = malloc((size_t)opt->batch * pixels * sizeof(float));
    tr->batch_eps = malloc((size_t)opt->batch * model->config.latent * sizeof(float));
    tr->order = malloc((size_t)data->n * sizeof(uint32_t));
    if (opt->dynamic) tr->epoch_images = malloc((size_t)data->n * pixels * sizeof(float));
    if (!tr->grads || !tr->batch_x || !tr->batch_eps || !tr->order ||
        (opt->dynamic && !tr->epoch_images)) {
        vnca_trainer_free(tr);
        return vnca_fail(err, "out of memory for training at batch %d", opt->batch);
    }
    seed_stream(&tr->noise, opt->seed, 0, STREAM_NOISE);
    start_epoch(tr);
    return 0;
}

void vnca_trainer_free(VncaTrainer *tr)
{
    vnca_adam_free(&tr->adam);
    vnca_workspace_free(tr->ws);
    free(tr->grads);
    free(tr->batch_x);
    free(tr->batch_eps);
    free(tr->order);
    free(tr->epoch_images);
    memset(tr, 0, sizeof *tr);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int vnca_trainer_step(VncaTrainer *tr, VncaTrainStats *stats, VncaError *err)
{
    const double t0 = now_seconds();
    const int b = tr->opt.batch, z = tr->model->config.latent;
    const int lo = tr->opt.shard * b / tr->opt.shards, hi = (tr->opt.shard + 1) * b / tr->opt.shards;
    const size_t pixels = image_len(tr), n_params = tr->model->layout.n_params;
    if (tr->position + b > tr->data->n) {
        tr->epoch++;
        start_epoch(tr);
    }
    const float *source = tr->opt.dynamic ? tr->epoch_images : tr->data->pixels;
    for (int i = lo; i < hi; i++)
        memcpy(tr->batch_x + (size_t)(i - lo) * pixels,
               source + (size_t)tr->order[tr->position + i] * pixels, pixels * sizeof(float));
    tr->position += b;
    /* every shard draws the whole batch's noise, so the stream is the same
     * whatever the number of shards */
    vnca_rng_normal_fill(&tr->noise, tr->batch_eps, (size_t)b * z);

    VncaLoss loss = vnca_elbo_forward(tr->model, tr->ws, tr->batch_x,
                                      tr->batch_eps + (size_t)lo * z, hi - lo);
    memset(tr->grads, 0, n_params * sizeof(float));
    vnca_elbo_backward(tr->model, tr->ws, tr->grads);
    if (tr->opt.shards > 1) {
        /* this shard's part of the global batch mean, summed over shards */
        const float share = (float)(hi - lo) / (float)b;
        float totals[3] = {(float)loss.loss * share, (float)loss.recon * share, (float)loss.kl * share};
        for (size_t i = 0; i < n_params; i++) tr->grads[i] *= share;
        if (tr->opt.allreduce(tr->grads, n_params, tr->opt.allreduce_ctx) ||
            tr->opt.allreduce(totals, 3, tr->opt.allreduce_ctx))
            return vnca_fail(err, "summing the gradients over %d processes failed", tr->opt.shards);
        loss = (VncaLoss){totals[0], totals[1], totals[2]};
    }
    stats->loss = loss;
    stats->grad_norm = vnca_clip_grad_norm(tr->grads, n_params, tr->opt.clip);
    vnca_adam_update(&tr->adam, tr->model->params, tr->grads);
    tr->step++;
    tr->images_seen += b;
    tr->train_seconds += now_seconds() - t0;
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------ */

static int set_long(VncaMeta *meta, const char *key, long long value)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    return vnca_meta_set(meta, key, text);
}

static int set_double(VncaMeta *meta, const char *key, double value)
{
    char text[40];
    snprintf(text, sizeof text, "%.17g", value);
    return vnca_meta_set(meta, key, text);
}

int vnca_trainer_save(const VncaTrainer *tr, const char *path, VncaError *err)
{
    const size_t n = tr->model->layout.n_params;
    VncaStTensor moments[2] = {
        {.name = "optimizer.adam.m", .ndim = 1, .shape = {(int64_t)n}, .numel = n, .data = tr->adam.m},
        {.name = "optimizer.adam.v", .ndim = 1, .shape = {(int64_t)n}, .numel = n, .data = tr->adam.v},
    };
    char rng_text[80];
    snprintf(rng_text, sizeof rng_text, "%016llx%016llx%016llx%016llx",
             (unsigned long long)tr->noise.s[0], (unsigned long long)tr->noise.s[1],
             (unsigned long long)tr->noise.s[2], (unsigned long long)tr->noise.s[3]);
    VncaMeta meta = {0};
    int failed = set_long(&meta, "checkpoint.step", tr->step) ||
                 set_long(&meta, "checkpoint.adam_step", tr->adam.step) ||
                 set_long(&meta, "checkpoint.images_seen", tr->images_seen) ||
                 set_long(&meta, "checkpoint.epoch", tr->epoch) ||
                 set_long(&meta, "checkpoint.position", tr->position) ||
                 set_long(&meta, "checkpoint.seed", (long long)tr->opt.seed) ||
                 set_long(&meta, "checkpoint.batch", tr->opt.batch) ||
                 set_long(&meta, "checkpoint.dynamic", tr->opt.dynamic) ||
                 set_long(&meta, "checkpoint.data_size", tr->data->n) ||
                 set_double(&meta, "checkpoint.lr", tr->opt.lr) ||
                 set_double(&meta, "checkpoint.clip", tr->opt.clip) ||
                 set_double(&meta, "checkpoint.train_seconds", tr->train_seconds) ||
                 vnca_meta_set(&meta, "checkpoint.noise_rng", rng_text);
    int rc = failed ? vnca_fail(err, "%s: out of memory", path)
                    : model_save_with(tr->model, path, moments, 2, &meta, err);
    vnca_meta_free(&meta);
    return rc;
}

static int get_number(const VncaMeta *meta, const char *key, double *out, const char *path,
                      VncaError *err)
{
    const char *text = vnca_meta_get(meta, key);
    char *end;
    if (!text) return vnca_fail(err, "%s: not a checkpoint: missing '%s'", path, key);
    *out = strtod(text, &end);
    if (end == text || *end || !isfinite(*out))
        return vnca_fail(err, "%s: checkpoint key '%s' has invalid value '%s'", path, key, text);
    return 0;
}

/* The model's own facts (training.*, ...) travel in the checkpoint; its
 * checkpoint.* entries stay behind. */
static void take_model_meta(VncaModel *m, const VncaMeta *from)
{
    VncaMeta kept = {0};
    for (int i = 0; i < from->n; i++)
        if (strncmp(from->items[i].key, "checkpoint.", 11) != 0)
            vnca_meta_set(&kept, from->items[i].key, from->items[i].value);
    vnca_meta_free(&m->meta);
    m->meta = kept;
}

int vnca_checkpoint_load_model(VncaModel *m, const char *path, VncaError *err)
{
    VncaStFile file;
    if (model_load_with(m, path, "optimizer.adam.", &file, err)) return -1;
    vnca_st_free(&file);
    VncaMeta all = m->meta;
    m->meta = (VncaMeta){0};
    take_model_meta(m, &all);
    vnca_meta_free(&all);
    return 0;
}

int vnca_trainer_resume(VncaTrainer *tr, const char *path, VncaError *err)
{
    static const char *const keys[] = {
        "checkpoint.step", "checkpoint.adam_step", "checkpoint.images_seen", "checkpoint.epoch",
        "checkpoint.position", "checkpoint.seed", "checkpoint.batch", "checkpoint.dynamic",
        "checkpoint.data_size", "checkpoint.lr", "checkpoint.clip", "checkpoint.train_seconds"};
    enum { STEP, ADAM_STEP, SEEN, EPOCH, POSITION, SEED, BATCH, DYNAMIC, DATA_SIZE, LR, CLIP, SECONDS,
           N_KEYS };
    double v[N_KEYS];
    VncaModel loaded;
    VncaStFile file;
    if (model_load_with(&loaded, path, "optimizer.adam.", &file, err)) return -1;
    int rc = -1;
    const size_t n = tr->model->layout.n_params;
    const VncaStTensor *m = vnca_st_find(&file, "optimizer.adam.m");
    const VncaStTensor *vv = vnca_st_find(&file, "optimizer.adam.v");
    const char *rng_text = vnca_meta_get(&loaded.meta, "checkpoint.noise_rng");
    for (int k = 0; k < N_KEYS; k++)
        if (get_number(&loaded.meta, keys[k], &v[k], path, err)) goto done;
    if (memcmp(&loaded.config, &tr->model->config, sizeof loaded.config) != 0) {
        vnca_fail(err, "%s: the checkpoint's model configuration differs from this run's", path);
        goto done;
    }
    if (!m || !vv || m->numel != n || vv->numel != n) {
        vnca_fail(err, "%s: optimizer moments missing or not of %zu values", path, n);
        goto done;
    }
    if ((int)v[DATA_SIZE] != tr->data->n || (int)v[BATCH] != tr->opt.batch ||
        (int)v[DYNAMIC] != tr->opt.dynamic) {
        vnca_fail(err, "%s: checkpoint was made with %d images, batch %d, %s binarization; "
                  "this run has %d, %d, %s", path, (int)v[DATA_SIZE], (int)v[BATCH],
                  v[DYNAMIC] != 0 ? "dynamic" : "static", tr->data->n, tr->opt.batch,
                  tr->opt.dynamic ? "dynamic" : "static");
        goto done;
    }
    VncaRng noise;
    if (!rng_text || strlen(rng_text) != 64 ||
        sscanf(rng_text, "%16llx%16llx%16llx%16llx", (unsigned long long *)&noise.s[0],
               (unsigned long long *)&noise.s[1], (unsigned long long *)&noise.s[2],
               (unsigned long long *)&noise.s[3]) != 4) {
        vnca_fail(err, "%s: checkpoint.noise_rng missing or malformed", path);
        goto done;
    }
    if (v[POSITION] < 0 || v[POSITION] > tr->data->n || v[EPOCH] < 0) {
        vnca_fail(err, "%s: checkpoint position out of range", path);
        goto done;
    }
    memcpy(tr->model->params, loaded.params, n * sizeof(float));
    memcpy(tr->adam.m, m->data, n * sizeof(float));
    memcpy(tr->adam.v, vv->data, n * sizeof(float));
    tr->adam.step = (long)v[ADAM_STEP];
    tr->adam.lr = tr->opt.lr = (float)v[LR];
    tr->opt.clip = v[CLIP];
    tr->opt.seed = (uint64_t)v[SEED];
    tr->step = (long)v[STEP];
    tr->images_seen = (long)v[SEEN];
    tr->train_seconds = v[SECONDS];
    tr->noise = noise;
    tr->epoch = (int)v[EPOCH];
    start_epoch(tr);
    tr->position = (int)v[POSITION];
    take_model_meta(tr->model, &loaded.meta);
    rc = 0;
done:
    vnca_st_free(&file);
    vnca_model_free(&loaded);
    return rc;
}
