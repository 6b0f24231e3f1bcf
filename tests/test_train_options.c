/* The training options' table (vnca/train_options.h) is consistent: every
 * option has its own name and key and words that take its value, its
 * default is one it may take, it goes through a checkpoint and back at a
 * value other than its default, and a checkpoint that holds a value it may
 * not take is refused naming the key. Needs no data: a micro model. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "run_command.h"
#include "vnca/safetensors.h"
#include "vnca/train_options.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = make_temp_dir();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    remove_temp_dir(dir);
    return 0;
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++) n++;
    return n;
}

static void test_table_is_consistent(void **state)
{
    (void)state;
    VncaTrainOptions defaults;
    vnca_train_defaults(&defaults);
    assert_int_equal(vnca_train_options_check(&defaults, 1, NULL), 0);
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *a = &vnca_train_option_specs[i];
        for (int j = 0; j < i; j++) {
            const VncaOptionSpec *b = &vnca_train_option_specs[j];
            if (!strcmp(a->name, b->name) || !strcmp(a->key, b->key) || a->offset == b->offset)
                fail_msg("options %s and %s share a name, a key or a field", a->name, b->name);
        }
        /* the words are formats of the value: one %s and no other conversion */
        const char *words[] = {a->said, a->said_off_was};
        for (int w = 0; w < 2; w++)
            if (words[w] && (count(words[w], "%") != 1 || count(words[w], "%s") != 1))
                fail_msg("--%s: '%s' must take the value as one %%s", a->name, words[w]);
        if (!a->said || !a->help || (!a->said_off != !a->said_off_was))
            fail_msg("--%s: words missing", a->name);
        if ((a->type == VNCA_OPTION_FLAG) != (a->flag_words[0] != NULL) ||
            (a->type == VNCA_OPTION_FLAG) != (a->value_name == NULL))
            fail_msg("--%s: a flag, and only a flag, has words for its values and none for its name",
                     a->name);
        const int n_choices = sizeof a->choices / sizeof a->choices[0];
        if ((a->type == VNCA_OPTION_CHOICE) != (a->choices[0] != NULL) ||
            (a->type == VNCA_OPTION_CHOICE &&
             (a->min != 0 || a->max >= n_choices || !a->choices[(int)a->max] ||
              (a->max + 1 < n_choices && a->choices[(int)a->max + 1]))))
            fail_msg("--%s: a choice, and only a choice, has a word for each value in [0, max]",
                     a->name);
    }
}

/* a value other than the default, that the micro model's run may take */
static double other_value(const VncaOptionSpec *spec, int part)
{
    switch (spec->type) {
    case VNCA_OPTION_FLOAT:
    case VNCA_OPTION_DOUBLE: return spec->min + 0.375 * (spec->max - spec->min);
    case VNCA_OPTION_SEED: return 12345;
    case VNCA_OPTION_FLAG: return 1;
    default: return spec->min + 1 + part; /* small: the batch, the damage fit 8 images of 8x8 */
    }
}

static void micro_persistent_run(VncaTrainer *tr, VncaModel *m, VncaImages *data,
                                 const VncaTrainOptions *opt)
{
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    cfg.variant = VNCA_VARIANT_PERSISTENT;
    VncaRng rng;
    vnca_rng_seed(&rng, 4);
    *data = (VncaImages){.n = 8, .size = cfg.image_size};
    data->pixels = binary_images(&rng, data->n, data->size);
    assert_non_null(data->pixels);
    assert_int_equal(make_model(m, &cfg, 5), 0);
    VncaError err;
    if (vnca_trainer_init(tr, m, data, opt, &err)) fail_msg("%s", err.msg);
}

/* a copy of the checkpoint `from` with `key` set to `value` (NULL: removed) */
static const char *checkpoint_with(const char *from, const char *key, const char *value)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/changed.ckpt", dir);
    VncaStFile f;
    VncaError err;
    if (vnca_st_read(from, &f, &err)) fail_msg("%s", err.msg);
    if (value) assert_int_equal(vnca_meta_set(&f.meta, key, value), 0);
    else vnca_meta_remove_prefix(&f.meta, key);
    if (vnca_st_write(path, f.tensors, f.n, &f.meta, &err)) fail_msg("%s", err.msg);
    vnca_st_free(&f);
    return path;
}

static void checkpoint_key(const VncaOptionSpec *spec, int part, char *key, size_t len)
{
    snprintf(key, len, "checkpoint.%s%s", spec->key,
             vnca_option_parts(spec) == 1 ? "" : part ? "_max" : "_min");
}

static void test_options_round_trip_through_a_checkpoint(void **state)
{
    (void)state;
    VncaTrainOptions opt, defaults;
    vnca_train_defaults(&defaults);
    opt = defaults;
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        for (int part = 0; part < vnca_option_parts(spec); part++)
            assert_int_equal(vnca_option_set(spec, &opt, part, other_value(spec, part)), 0);
        if (vnca_option_equal(spec, &opt, &defaults)) fail_msg("--%s: no other value", spec->name);
    }
    opt.decay_steps = opt.warmup + 2; /* a decay ends after the warm-up */
    VncaTrainer tr;
    VncaModel m, loaded;
    VncaImages data;
    VncaError err;
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s/options.ckpt", dir);
    micro_persistent_run(&tr, &m, &data, &opt);
    if (vnca_trainer_save(&tr, ckpt, &err)) fail_msg("%s", err.msg);
    vnca_trainer_free(&tr);

    VncaTrainOptions read = defaults;
    if (vnca_checkpoint_load_model(&loaded, &read, ckpt, &err)) fail_msg("%s", err.msg);
    vnca_model_free(&loaded);
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        char want[64], got[64];
        vnca_option_format(spec, &opt, want, sizeof want);
        vnca_option_format(spec, &read, got, sizeof got);
        if (!vnca_option_equal(spec, &read, &opt))
            fail_msg("--%s: saved %s, read back %s", spec->name, want, got);
    }

    /* each key with a value below or above its range is refused by name;
     * absent (an older checkpoint), the option keeps the default */
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        for (int part = 0; part < vnca_option_parts(spec); part++) {
            char key[80], above[64];
            checkpoint_key(spec, part, key, sizeof key);
            snprintf(above, sizeof above, "%.17g",
                     spec->flags & VNCA_OPTION_BELOW_MAX ? spec->max : 2 * spec->max + 1);
            const char *bad[] = {"-1", above, "x"};
            for (int k = 0; k < 3; k++) {
                read = defaults;
                const char *path = checkpoint_with(ckpt, key, bad[k]);
                assert_int_equal(vnca_checkpoint_load_model(&loaded, &read, path, &err), -1);
                if (!strstr(err.msg, key)) fail_msg("%s = %s: refused as '%s'", key, bad[k], err.msg);
            }
            read = defaults;
            if (vnca_checkpoint_load_model(&loaded, &read, checkpoint_with(ckpt, key, NULL), &err))
                fail_msg("without %s: %s", key, err.msg);
            vnca_model_free(&loaded);
            assert_true(vnca_option_get(spec, &read, part) == vnca_option_get(spec, &defaults, part));
        }
    }
    /* a key no longer known, from an older checkpoint, is ignored */
    read = defaults;
    if (vnca_checkpoint_load_model(&loaded, &read,
                                   checkpoint_with(ckpt, "checkpoint.fresh_damage_share", "0.5"), &err))
        fail_msg("%s", err.msg);
    vnca_model_free(&loaded);
    vnca_model_free(&m);
    vnca_images_free(&data);
}

static const VncaOptionSpec *option(const char *name)
{
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++)
        if (!strcmp(vnca_train_option_specs[i].name, name)) return &vnca_train_option_specs[i];
    fail_msg("no option --%s", name);
    return NULL;
}

/* the command line's text: each option takes its own, refuses another
 * naming the option and its range, and writes its value back alike */
static void test_command_line_values(void **state)
{
    (void)state;
    VncaTrainOptions opt, again;
    vnca_train_defaults(&opt);
    VncaError err;
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        char text[64];
        for (int part = 0; part < vnca_option_parts(spec); part++)
            assert_int_equal(vnca_option_set(spec, &opt, part, other_value(spec, part)), 0);
        vnca_option_format(spec, &opt, text, sizeof text);
        vnca_train_defaults(&again);
        if (vnca_option_parse(spec, text, &again, &err)) fail_msg("--%s %s: %s", spec->name, text, err.msg);
        if (!vnca_option_equal(spec, &again, &opt)) fail_msg("--%s %s read back otherwise", spec->name, text);
        if (spec->type == VNCA_OPTION_FLAG) continue;
        assert_int_equal(vnca_option_parse(spec, "-1", &again, &err), -1);
        char want[128];
        snprintf(want, sizeof want, "--%s '-1' is not ", spec->name);
        if (!strstr(err.msg, want) || !(strstr(err.msg, " in [") || strstr(err.msg, " one of ")))
            fail_msg("--%s -1: refused as '%s'", spec->name, err.msg);
    }
    vnca_train_defaults(&opt);
    assert_int_equal(vnca_option_parse(option("lr"), "2", &opt, &err), -1);
    assert_string_equal(err.msg, "--lr '2' is not a number in [0, 1]");
    assert_int_equal(vnca_option_parse(option("decay"), "linear", &opt, &err), -1);
    assert_string_equal(err.msg, "--decay 'linear' is not one of none, cosine, step");
    assert_int_equal(vnca_option_parse(option("decay"), "step", &opt, &err), 0);
    assert_int_equal(opt.decay, VNCA_DECAY_STEP);
    opt.pool_share = 1;
    assert_int_equal(vnca_train_options_check(&opt, 0, NULL), 0); /* not a persistent model's */
    assert_int_equal(vnca_train_options_check(&opt, 1, &err), -1);
    assert_string_equal(err.msg, "pool-share 1 is not a number in [0, 1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_options_round_trip_through_a_checkpoint),
        cmocka_unit_test(test_command_line_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
