/* Model files: the parameters as safetensors tensors named as in PyTorch, the
 * config and the model's meta in __metadata__ (docs/design.md, section 2). Loading
 * trusts nothing: every tensor must be there, shaped and finite. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_io.h"
#include "model_file.h"
#include "vnca/safetensors.h"
#include "vnca/vnca.h"

_Static_assert(VNCA_ST_MAX_DIMS <= DESCRIBED_DIMS, "describe_element must take any tensor shape");

#define KEY_FORMAT "vnca.format"
#define KEY_PERCEPTION "vnca.perception"
#define KEY_SCHEDULE "vnca.schedule"
#define KEY_VARIANT "vnca.variant"
#define KEY_GENOME "vnca.genome"
#define KEY_FAR_REACH "vnca.far_reach"
#define FORMAT_VERSION "1"

typedef struct IntKey {
    const char *key;
    size_t offset;   /* of an int field of VncaConfig */
} IntKey;

static const IntKey int_keys[] = {
    {"vnca.latent", offsetof(VncaConfig, latent)},
    {"vnca.hidden", offsetof(VncaConfig, hidden)},
    {"vnca.res_blocks", offsetof(VncaConfig, res_blocks)},
    {"vnca.encoder_width", offsetof(VncaConfig, encoder_width)},
    {"vnca.image_size", offsetof(VncaConfig, image_size)},
};
#define N_INT_KEYS (sizeof int_keys / sizeof int_keys[0])

static int *int_field(VncaConfig *cfg, const IntKey *k) { return (int *)((char *)cfg + k->offset); }

static int int_value(const VncaConfig *cfg, const IntKey *k)
{
    return *(const int *)((const char *)cfg + k->offset);
}

static int is_config_key(const char *key)
{
    static const char *const text_keys[] = {KEY_FORMAT, KEY_PERCEPTION, KEY_SCHEDULE, KEY_VARIANT,
                                            KEY_GENOME, KEY_FAR_REACH};
    for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++)
        if (strcmp(key, text_keys[i]) == 0) return 1;
    for (size_t i = 0; i < N_INT_KEYS; i++)
        if (strcmp(key, int_keys[i].key) == 0) return 1;
    return 0;
}

int vnca_config_to_meta(const VncaConfig *cfg, VncaMeta *meta)
{
    char schedule[256];
    vnca_schedule_format(cfg, schedule, sizeof schedule);
    if (vnca_meta_set(meta, KEY_FORMAT, FORMAT_VERSION)) return -1;
    for (size_t i = 0; i < N_INT_KEYS; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", int_value(cfg, &int_keys[i]));
        if (vnca_meta_set(meta, int_keys[i].key, text)) return -1;
    }
    if (vnca_meta_set(meta, KEY_PERCEPTION, vnca_perception_name(cfg->perception)) ||
        vnca_meta_set(meta, KEY_SCHEDULE, schedule) ||
        vnca_meta_set(meta, KEY_VARIANT, vnca_variant_name(cfg->variant)))
        return -1;
    /* written only when there is one: files from before genomes (and far
     * perceptions) stay as they were */
    if (cfg->genome && vnca_meta_set(meta, KEY_GENOME, vnca_genome_name(cfg->genome))) return -1;
    if (cfg->far_reach) {
        char text[16];
        snprintf(text, sizeof text, "%d", cfg->far_reach);
        if (vnca_meta_set(meta, KEY_FAR_REACH, text)) return -1;
    }
    return 0;
}

/* The value of key; NULL, with err set, when absent. */
static const char *required(const VncaMeta *meta, const char *key, VncaError *err)
{
    const char *value = vnca_meta_get(meta, key);
    if (!value) vnca_fail(err, "missing metadata key '%s'", key);
    return value;
}

static int parse_int(const char *key, const char *text, int *out, VncaError *err)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    int starts_well = *text == '-' || (*text >= '0' && *text <= '9');   /* no blanks, no '+' */
    if (!starts_well || end == text || *end != '\0' || errno || v < INT_MIN || v > INT_MAX)
        return vnca_fail(err, "metadata key '%s' has invalid value '%s' (expected an integer)",
                         key, text);
    *out = (int)v;
    return 0;
}

int vnca_config_from_meta(VncaConfig *cfg, const VncaMeta *meta, VncaError *err)
{
    memset(cfg, 0, sizeof *cfg);
    const char *format = required(meta, KEY_FORMAT, err);
    if (!format) return -1;
    if (strcmp(format, FORMAT_VERSION) != 0)
        return vnca_fail(err, "metadata key '%s' is '%s': this build reads format %s",
                         KEY_FORMAT, format, FORMAT_VERSION);
    for (size_t i = 0; i < N_INT_KEYS; i++) {
        const char *text = required(meta, int_keys[i].key, err);
        if (!text || parse_int(int_keys[i].key, text, int_field(cfg, &int_keys[i]), err))
            return -1;
    }
    const char *perception = required(meta, KEY_PERCEPTION, err);
    if (!perception) return -1;
    if (vnca_perception_parse(perception, &cfg->perception))
        return vnca_fail(err, "metadata key '%s' has invalid value '%s' (expected %s or %s)",
                         KEY_PERCEPTION, perception, vnca_perception_name(VNCA_PERCEIVE_CONV3),
                         vnca_perception_name(VNCA_PERCEIVE_SOBEL));
    const char *variant = required(meta, KEY_VARIANT, err);
    if (!variant) return -1;
    if (vnca_variant_parse(variant, &cfg->variant))
        return vnca_fail(err, "metadata key '%s' has invalid value '%s' (expected %s or %s)",
                         KEY_VARIANT, variant, vnca_variant_name(VNCA_VARIANT_DOUBLING),
                         vnca_variant_name(VNCA_VARIANT_PERSISTENT));
    const char *genome = vnca_meta_get(meta, KEY_GENOME);
    cfg->genome = VNCA_GENOME_NONE;
    if (genome && (vnca_genome_parse(genome, &cfg->genome) || cfg->genome == VNCA_GENOME_NONE))
        return vnca_fail(err, "metadata key '%s' has invalid value '%s' (expected %s or %s)",
                         KEY_GENOME, genome, vnca_genome_name(VNCA_GENOME_LATENT),
                         vnca_genome_name(VNCA_GENOME_POSITION));
    const char *far_reach = vnca_meta_get(meta, KEY_FAR_REACH);
    if (far_reach && parse_int(KEY_FAR_REACH, far_reach, &cfg->far_reach, err)) return -1;
    const char *schedule = required(meta, KEY_SCHEDULE, err);
    if (!schedule) return -1;
    VncaError why;
    if (vnca_schedule_parse(cfg, schedule, &why))
        return vnca_fail(err, "metadata key '%s': %s", KEY_SCHEDULE, why.msg);
    return 0;
}

/* ---- saving ------------------------------------------------------------- */

/* The config's entries first, then the model's own (a stale copy of a config
 * key in m->meta must not override the real config). */
static int file_meta(const VncaModel *m, VncaMeta *meta)
{
    if (vnca_config_to_meta(&m->config, meta)) return -1;
    for (int i = 0; i < m->meta.n; i++) {
        const VncaMetaEntry *e = &m->meta.items[i];
        if (!is_config_key(e->key) && vnca_meta_set(meta, e->key, e->value)) return -1;
    }
    return 0;
}

int model_save_with(const VncaModel *m, const char *path, const VncaStTensor *extra, int n_extra,
                    const VncaMeta *extra_meta, VncaError *err)
{
    const VncaLayout *L = &m->layout;
    if (!m->params) return vnca_fail(err, "%s: the model has no parameters to save", path);
    if (n_extra < 0 || n_extra > VNCA_MAX_TENSORS)
        return vnca_fail(err, "%s: %d extra tensors", path, n_extra);
    float *in_file_order = malloc(L->n_params * sizeof(float));
    if (!in_file_order) return vnca_fail(err, "%s: out of memory", path);
    vnca_params_to_file(L, in_file_order, m->params);
    VncaStTensor tensors[2 * VNCA_MAX_TENSORS];
    for (int i = 0; i < L->n; i++) {
        const VncaTensorSpec *spec = &L->t[i];
        /* the writer only reads the name; VncaStTensor is shared with the reader */
        tensors[i] = (VncaStTensor){.name = (char *)spec->name, .ndim = spec->ndim,
                                    .numel = spec->numel, .data = in_file_order + spec->offset};
        memcpy(tensors[i].shape, spec->shape, sizeof spec->shape);
    }
    for (int i = 0; i < n_extra; i++) tensors[L->n + i] = extra[i];
    VncaMeta meta = {0};
    int failed = file_meta(m, &meta);
    for (int i = 0; !failed && extra_meta && i < extra_meta->n; i++)
        failed = vnca_meta_set(&meta, extra_meta->items[i].key, extra_meta->items[i].value);
    int rc = failed ? vnca_fail(err, "%s: out of memory", path)
                    : vnca_st_write(path, tensors, L->n + n_extra, &meta, err);
    vnca_meta_free(&meta);
    free(in_file_order);
    return rc;
}

int vnca_model_save(const VncaModel *m, const char *path, VncaError *err)
{
    return model_save_with(m, path, NULL, 0, NULL, err);
}

/* ---- loading ------------------------------------------------------------ */

static int shapes_equal(const VncaStTensor *t, const VncaTensorSpec *spec)
{
    if (t->ndim != spec->ndim) return 0;
    for (int d = 0; d < spec->ndim; d++)
        if (t->shape[d] != spec->shape[d]) return 0;
    return 1;
}

/* The file's tensor for spec, if present with the right shape and finite */
static const VncaStTensor *checked_tensor(const VncaTensorSpec *spec, const VncaStFile *f,
                                          const char *path, VncaError *err)
{
    const VncaStTensor *t = vnca_st_find(f, spec->name);
    if (!t) {
        vnca_fail(err, "%s: missing tensor '%s'", path, spec->name);
        return NULL;
    }
    if (!shapes_equal(t, spec)) {
        char got[256], want[256];
        format_shape(got, sizeof got, t->ndim, t->shape);
        format_shape(want, sizeof want, spec->ndim, spec->shape);
        vnca_fail(err, "%s: tensor '%s' has shape %s, expected %s", path, spec->name, got, want);
        return NULL;
    }
    for (size_t i = 0; i < t->numel; i++)
        if (!isfinite(t->data[i])) {
            char element[320];
            describe_element(element, sizeof element, t->ndim, t->shape, i, t->data[i]);
            vnca_fail(err, "%s: tensor '%s': %s", path, spec->name, element);
            return NULL;
        }
    return t;
}

/* Every tensor of the layout is in the file, and nothing else is (but
 * tensors named extra_prefix...). Checked before allocating the model, so
 * that a small corrupt file cannot ask for gigabytes. */
static int check_tensors(const VncaLayout *L, const VncaStFile *f, const char *extra_prefix,
                         const char *path, VncaError *err)
{
    for (int i = 0; i < L->n; i++)
        if (!checked_tensor(&L->t[i], f, path, err)) return -1;
    for (int i = 0; i < f->n; i++)
        if (!vnca_layout_find(L, f->tensors[i].name) &&
            !(extra_prefix && strncmp(f->tensors[i].name, extra_prefix, strlen(extra_prefix)) == 0))
            return vnca_fail(err, "%s: unexpected tensor '%s'", path, f->tensors[i].name);
    return 0;
}

/* Takes the file's meta, less the config keys, as the model's (in place:
 * a file may carry many entries). */
static void take_meta(VncaModel *m, VncaMeta *file_meta)
{
    m->meta = *file_meta;
    *file_meta = (VncaMeta){0};
    int kept = 0;
    for (int i = 0; i < m->meta.n; i++) {
        VncaMetaEntry e = m->meta.items[i];
        if (is_config_key(e.key)) {
            free(e.key);
            free(e.value);
        } else {
            m->meta.items[kept++] = e;
        }
    }
    m->meta.n = kept;
}

/* Builds the model that the file's metadata describes and its tensors fill;
 * messages get the path. */
static int model_from_file(VncaModel *m, const VncaStFile *f, const char *extra_prefix,
                           const char *path, VncaError *err)
{
    VncaConfig cfg;
    VncaError why;
    if (vnca_config_from_meta(&cfg, &f->meta, &why) || vnca_config_check(&cfg, &why))
        return vnca_fail(err, "%s: %s", path, why.msg);
    VncaLayout layout;
    vnca_layout(&cfg, &layout);
    if (check_tensors(&layout, f, extra_prefix, path, err)) return -1;
    if (vnca_model_alloc(m, &cfg, &why)) return vnca_fail(err, "%s: %s", path, why.msg);
    for (int i = 0; i < layout.n; i++) {
        const VncaTensorSpec *spec = &layout.t[i];
        const float *data = vnca_st_find(f, spec->name)->data;
        for (size_t j = 0; j < spec->numel; j++)
            m->params[spec->offset + vnca_tensor_memory_index(spec, j)] = data[j];
    }
    return 0;
}

int model_load_with(VncaModel *m, const char *path, const char *extra_prefix, VncaStFile *file,
                    VncaError *err)
{
    memset(m, 0, sizeof *m);
    VncaStFile f;
    if (vnca_st_read(path, &f, err)) return -1;
    int rc = model_from_file(m, &f, extra_prefix, path, err);
    if (rc == 0) take_meta(m, &f.meta);
    else vnca_model_free(m);
    if (rc == 0 && file) *file = f;
    else vnca_st_free(&f);
    return rc;
}

int vnca_model_load(VncaModel *m, const char *path, VncaError *err)
{
    return model_load_with(m, path, NULL, NULL, err);
}
