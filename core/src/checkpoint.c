/* Checkpoints: the model, Adam's moments, the weights' moving average, a
 * persistent model's pool, and the trainer's position and generators, in one
 * safetensors file whose extra tensors and metadata keys start with
 * "checkpoint.". */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_file.h"
#include "trainer.h"
#include "vnca/train_options.h"

#define PREFIX "checkpoint."

static int set_number(VncaMeta *meta, const char *key, double value)
{
    char text[40];
    snprintf(text, sizeof text, "%.17g", value);
    return vnca_meta_set(meta, key, text);
}

static int set_rng(VncaMeta *meta, const char *key, const VncaRng *rng)
{
    char text[80];
    snprintf(text, sizeof text, "%016llx%016llx%016llx%016llx", (unsigned long long)rng->s[0],
             (unsigned long long)rng->s[1], (unsigned long long)rng->s[2],
             (unsigned long long)rng->s[3]);
    return vnca_meta_set(meta, key, text);
}

static int get_rng(const VncaMeta *meta, const char *key, VncaRng *rng)
{
    const char *text = vnca_meta_get(meta, key);
    unsigned long long s[4];
    if (!text || strlen(text) != 64 || sscanf(text, "%16llx%16llx%16llx%16llx", &s[0], &s[1], &s[2], &s[3]) != 4)
        return -1;
    for (int i = 0; i < 4; i++) rng->s[i] = s[i];
    return 0;
}

/* The trainer's own numbers a checkpoint records, in one table for saving
 * and loading; its options are vnca/train_options.h's. */
enum { STEP, ADAM_STEP, SEEN, EPOCH, POSITION, DATA_SIZE, SECONDS, POOL_FILLED, N_FIELDS };

/* Counts up to 2^53: doubles hold them exactly, and longs hold them. */
#define MAX_COUNT 9007199254740992.0

/* Each number's key, and the range it must be in when read back: a file may
 * hold anything, and converting a double outside its type's range (1e300 to
 * an int) is undefined behaviour. The epoch stays below INT_MAX, which the
 * trainer increments. */
static const struct {
    const char *key;
    double min, max;
    int integer;
} fields[N_FIELDS] = {
    [STEP] = {PREFIX "step", 0, MAX_COUNT, 1},
    [ADAM_STEP] = {PREFIX "adam_step", 0, MAX_COUNT, 1},
    [SEEN] = {PREFIX "images_seen", 0, MAX_COUNT, 1},
    [EPOCH] = {PREFIX "epoch", 0, INT_MAX - 1, 1},
    [POSITION] = {PREFIX "position", 0, INT_MAX, 1},
    [DATA_SIZE] = {PREFIX "data_size", 1, INT_MAX, 1},
    [SECONDS] = {PREFIX "train_seconds", 0, DBL_MAX, 0},
    [POOL_FILLED] = {PREFIX "pool_filled", 0, INT_MAX, 1},
};

/* the key of an option (of a span's MIN or MAX) */
static void option_key(const VncaOptionSpec *spec, int part, char *buf, size_t len)
{
    snprintf(buf, len, PREFIX "%s%s", spec->key,
             vnca_option_parts(spec) == 1 ? "" : part ? "_max" : "_min");
}

/* the options a model of this kind uses */
static int set_options(VncaMeta *meta, const VncaTrainOptions *opt, int persistent)
{
    char key[80];
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (!vnca_option_applies(spec, persistent)) continue;
        for (int part = 0; part < vnca_option_parts(spec); part++) {
            option_key(spec, part, key, sizeof key);
            if (set_number(meta, key, vnca_option_get(spec, opt, part))) return -1;
        }
    }
    return 0;
}

/* The options the checkpoint of a model of this kind records, over those in
 * *opt (those it does not, from before they were recorded, stay as they
 * are); all or none. */
static int read_options(const VncaMeta *meta, int persistent, VncaTrainOptions *opt, const char *path,
                        VncaError *err)
{
    VncaTrainOptions read = *opt;
    char key[80];
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (!vnca_option_applies(spec, persistent)) continue;
        for (int part = 0; part < vnca_option_parts(spec); part++) {
            option_key(spec, part, key, sizeof key);
            const char *text = vnca_meta_get(meta, key);
            if (!text) continue;
            char *end;
            const double value = strtod(text, &end);
            if (end != text && !*end && vnca_option_set(spec, &read, part, value) == 0) continue;
            char range[96];
            vnca_option_range(spec, range, sizeof range);
            return vnca_fail(err, "%s: checkpoint key '%s' has invalid value '%s' (expected %s)",
                             path, key, text, range);
        }
    }
    *opt = read;
    return 0;
}

int vnca_trainer_save(const VncaTrainer *tr, const char *path, VncaError *err)
{
    const size_t n = tr->model->layout.n_params;
    const VncaConfig *cfg = &tr->model->config;
    const double values[N_FIELDS] = {
        [STEP] = tr->step, [ADAM_STEP] = tr->adam.step, [SEEN] = tr->images_seen,
        [EPOCH] = tr->epoch, [POSITION] = tr->position, [DATA_SIZE] = tr->data->n,
        [SECONDS] = tr->train_seconds, [POOL_FILLED] = tr->pool.filled};
    /* the moments and the average in the file's order, as the weights */
    const VncaLayout *L = &tr->model->layout;
    float *in_file_order = malloc((tr->average ? 3 : 2) * n * sizeof(float));
    if (!in_file_order) return vnca_fail(err, "%s: out of memory", path);
    vnca_params_to_file(L, in_file_order, tr->adam.m);
    vnca_params_to_file(L, in_file_order + n, tr->adam.v);
    VncaStTensor extra[8] = {
        {.name = PREFIX "adam.m", .ndim = 1, .shape = {(int64_t)n}, .numel = n, .data = in_file_order},
        {.name = PREFIX "adam.v", .ndim = 1, .shape = {(int64_t)n}, .numel = n, .data = in_file_order + n},
    };
    int n_extra = 2;
    if (tr->average) {
        vnca_params_to_file(L, in_file_order + 2 * n, tr->average);
        extra[n_extra++] = (VncaStTensor){.name = PREFIX "average", .ndim = 1, .shape = {(int64_t)n},
                                          .numel = n, .data = in_file_order + 2 * n};
    }
    float *targets = NULL;
    if (trainer_persistent(tr)) {
        const int64_t size = tr->pool.size, s = cfg->image_size;
        /* data indices are exact in float up to 2^24 */
        targets = malloc((size_t)size * sizeof(float));
        if (!targets) {
            free(in_file_order);
            return vnca_fail(err, "%s: out of memory", path);
        }
        for (int64_t i = 0; i < size; i++) targets[i] = (float)tr->pool.target[i];
        extra[n_extra++] = (VncaStTensor){.name = PREFIX "pool.states", .ndim = 4,
                                          .shape = {size, s, s, cfg->latent},
                                          .numel = (size_t)size * tr->pool.state_len,
                                          .data = tr->pool.states};
        extra[n_extra++] = (VncaStTensor){.name = PREFIX "pool.targets", .ndim = 1,
                                          .shape = {size}, .numel = (size_t)size, .data = targets};
        extra[n_extra++] = (VncaStTensor){.name = PREFIX "pool.recon", .ndim = 1,
                                          .shape = {size}, .numel = (size_t)size, .data = tr->pool.recon};
        if (cfg->genome) {
            extra[n_extra++] = (VncaStTensor){.name = PREFIX "pool.genomes", .ndim = 2,
                                              .shape = {size, cfg->latent},
                                              .numel = (size_t)size * cfg->latent,
                                              .data = tr->pool.genome};
            extra[n_extra++] = (VncaStTensor){.name = PREFIX "pool.alive", .ndim = 3,
                                              .shape = {size, s, s},
                                              .numel = (size_t)size * tr->pool.cells,
                                              .data = tr->pool.alive};
        }
    }
    VncaMeta meta = {0};
    int failed = set_rng(&meta, PREFIX "noise_rng", &tr->noise) ||
                 set_rng(&meta, PREFIX "pool_rng", &tr->pool.rng) || set_options(&meta, &tr->opt, trainer_persistent(tr));
    for (int k = 0; k < N_FIELDS && !failed; k++)
        failed = set_number(&meta, fields[k].key, values[k]);
    int rc = failed ? vnca_fail(err, "%s: out of memory", path)
                    : model_save_with(tr->model, path, extra, n_extra, &meta, err);
    vnca_meta_free(&meta);
    free(targets);
    free(in_file_order);
    return rc;
}

/* The model's own facts (training.*, ...) travel in the checkpoint; its
 * checkpoint.* entries stay behind. */
static void take_model_meta(VncaModel *m, const VncaMeta *from)
{
    VncaMeta kept = {0};
    for (int i = 0; i < from->n; i++)
        if (strncmp(from->items[i].key, PREFIX, strlen(PREFIX)) != 0)
            vnca_meta_set(&kept, from->items[i].key, from->items[i].value);
    vnca_meta_free(&m->meta);
    m->meta = kept;
}

static int read_fields(const VncaMeta *meta, double *v, const char *path, VncaError *err)
{
    for (int k = 0; k < N_FIELDS; k++) {
        const char *text = vnca_meta_get(meta, fields[k].key);
        char *end;
        if (!text) return vnca_fail(err, "%s: not a checkpoint: missing '%s'", path, fields[k].key);
        v[k] = strtod(text, &end);
        if (end == text || *end || !(v[k] >= fields[k].min && v[k] <= fields[k].max) ||
            (fields[k].integer && v[k] != floor(v[k])))
            return vnca_fail(err, "%s: checkpoint key '%s' has invalid value '%s' (expected %s "
                             "in [%.17g, %.17g])", path, fields[k].key, text,
                             fields[k].integer ? "an integer" : "a number", fields[k].min,
                             fields[k].max);
    }
    return 0;
}

int vnca_checkpoint_load_model(VncaModel *m, VncaTrainOptions *opt, const char *path, VncaError *err)
{
    VncaStFile file;
    if (model_load_with(m, path, PREFIX, &file, err)) return -1;
    vnca_st_free(&file);
    double v[N_FIELDS];
    if (opt && (read_fields(&m->meta, v, path, err) || read_options(&m->meta, m->config.variant == VNCA_VARIANT_PERSISTENT, opt, path, err))) {
        vnca_model_free(m);
        return -1;
    }
    VncaMeta all = m->meta;
    m->meta = (VncaMeta){0};
    take_model_meta(m, &all);
    vnca_meta_free(&all);
    return 0;
}

/* a tensor of the file with exactly numel values, or NULL */
static const float *tensor_data(const VncaStFile *f, const char *name, size_t numel)
{
    const VncaStTensor *t = vnca_st_find(f, name);
    return t && t->numel == numel ? t->data : NULL;
}

static int restore_pool(VncaTrainer *tr, const VncaStFile *file, int filled, const char *path,
                        VncaError *err)
{
    VncaPool *pool = &tr->pool;
    const float *states = tensor_data(file, PREFIX "pool.states", (size_t)pool->size * pool->state_len);
    const float *targets = tensor_data(file, PREFIX "pool.targets", (size_t)pool->size);
    if (!states || !targets || filled < 0 || filled > pool->size)
        return vnca_fail(err, "%s: the pool is missing or not of %d states", path, pool->size);
    for (int i = 0; i < pool->size; i++) {
        if (!(targets[i] >= 0 && targets[i] < tr->data->n))
            return vnca_fail(err, "%s: pool target %g is not an image index", path, (double)targets[i]);
        pool->target[i] = (int32_t)targets[i];
    }
    memcpy(pool->states, states, (size_t)pool->size * pool->state_len * sizeof(float));
    /* checkpoints from before the pool kept its states' NLL have none: all
     * alike, the damage then falls at random, as it did when they were made */
    const float *recon = tensor_data(file, PREFIX "pool.recon", (size_t)pool->size);
    if (recon) memcpy(pool->recon, recon, (size_t)pool->size * sizeof(float));
    if (pool->genome_len) {
        const size_t size = (size_t)pool->size;
        const float *genomes = tensor_data(file, PREFIX "pool.genomes", size * pool->genome_len);
        const float *alive = tensor_data(file, PREFIX "pool.alive", size * pool->cells);
        if (!genomes || !alive)
            return vnca_fail(err, "%s: the pool's genomes are missing or not of %d states", path,
                             pool->size);
        memcpy(pool->genome, genomes, size * pool->genome_len * sizeof(float));
        memcpy(pool->alive, alive, size * pool->cells * sizeof(float));
    }
    pool->filled = filled;
    return 0;
}

int vnca_trainer_resume(VncaTrainer *tr, const char *path, VncaError *err)
{
    double v[N_FIELDS];
    VncaModel loaded;
    VncaStFile file;
    if (model_load_with(&loaded, path, PREFIX, &file, err)) return -1;
    int rc = -1;
    const size_t n = tr->model->layout.n_params;
    const float *m = tensor_data(&file, PREFIX "adam.m", n), *vv = tensor_data(&file, PREFIX "adam.v", n);
    VncaRng noise, pool_rng;
    /* the options the checkpoint was made with; those it lacks, this run's */
    VncaTrainOptions made = tr->opt;
    if (read_fields(&loaded.meta, v, path, err) || read_options(&loaded.meta, trainer_persistent(tr), &made, path, err))
        goto done;
    char difference[600];
    if (vnca_config_difference(&loaded.config, &tr->model->config, "the checkpoint's model",
                               "this run's", difference, sizeof difference)) {
        vnca_fail(err, "%s: %s, and a run keeps its model on resume (start a new one from the "
                  "model file instead)", path, difference);
        goto done;
    }
    if (!m || !vv) {
        vnca_fail(err, "%s: optimizer moments missing or not of %zu values", path, n);
        goto done;
    }
    const VncaStTensor *average = vnca_st_find(&file, PREFIX "average");
    if (average && average->numel != n) {
        vnca_fail(err, "%s: the weights' average is not of %zu values", path, n);
        goto done;
    }
    if ((int)v[DATA_SIZE] != tr->data->n || made.batch != tr->opt.batch ||
        made.dynamic != tr->opt.dynamic) {
        vnca_fail(err, "%s: checkpoint was made with %d images, batch %d, %s binarization; "
                  "this run has %d, %d, %s", path, (int)v[DATA_SIZE], made.batch,
                  made.dynamic ? "dynamic" : "static", tr->data->n, tr->opt.batch,
                  tr->opt.dynamic ? "dynamic" : "static");
        goto done;
    }
    if (get_rng(&loaded.meta, PREFIX "noise_rng", &noise) ||
        get_rng(&loaded.meta, PREFIX "pool_rng", &pool_rng)) {
        vnca_fail(err, "%s: a generator state is missing or malformed", path);
        goto done;
    }
    if (v[POSITION] > tr->data->n) {
        vnca_fail(err, "%s: checkpoint position out of range", path);
        goto done;
    }
    if (trainer_persistent(tr) && restore_pool(tr, &file, (int)v[POOL_FILLED], path, err)) goto done;
    memcpy(tr->model->params, loaded.params, n * sizeof(float));
    /* a run that starts averaging here starts at the weights */
    if (tr->average && average) vnca_params_from_file(&loaded.layout, tr->average, average->data);
    else if (tr->average) memcpy(tr->average, loaded.params, n * sizeof(float));
    vnca_params_from_file(&loaded.layout, tr->adam.m, m);
    vnca_params_from_file(&loaded.layout, tr->adam.v, vv);
    tr->adam.step = (long)v[ADAM_STEP];
    tr->opt.seed = made.seed;
    tr->step = (long)v[STEP];
    tr->images_seen = (long)v[SEEN];
    tr->train_seconds = v[SECONDS];
    tr->noise = noise;
    tr->pool.rng = pool_rng;
    tr->epoch = (int)v[EPOCH];
    trainer_start_epoch(tr);
    tr->position = (int)v[POSITION];
    take_model_meta(tr->model, &loaded.meta);
    rc = 0;
done:
    vnca_st_free(&file);
    vnca_model_free(&loaded);
    return rc;
}
