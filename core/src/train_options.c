/* The training options' table, and what reads and writes an option through it. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/train_options.h"

#define AT(field) offsetof(VncaTrainOptions, field)
#define RESUMABLE VNCA_OPTION_RESUMABLE
#define PERSISTENT VNCA_OPTION_PERSISTENT
#define BELOW_MAX VNCA_OPTION_BELOW_MAX
#define DECAY VNCA_OPTION_DECAY
#define STEP_DECAY VNCA_OPTION_STEP_DECAY

/* A span is two ints, MIN then MAX. */
_Static_assert(offsetof(VncaTrainOptions, extra_max) == offsetof(VncaTrainOptions, extra_min) + sizeof(int),
               "extra_min and extra_max make one span");

/* In the order `vnca train --help` lists them and a recipe writes them. */
const VncaOptionSpec vnca_train_option_specs[] = {
    {.name = "batch", .key = "batch", .type = VNCA_OPTION_INT, .offset = AT(batch),
     .fallback = 32, .min = 1, .max = 1 << 16, .value_name = "N", .help = "batch size",
     .said = "batch is %s"},
    {.name = "lr", .key = "lr", .type = VNCA_OPTION_FLOAT, .offset = AT(lr), .fallback = 1e-4,
     .min = 0, .max = 1, .flags = RESUMABLE, .value_name = "RATE", .help = "Adam learning rate",
     .said = "learning rate %s"},
    {.name = "clip", .key = "clip", .type = VNCA_OPTION_DOUBLE, .offset = AT(clip), .fallback = 10,
     .min = 0, .max = 1e30, .flags = RESUMABLE, .value_name = "NORM",
     .help = "gradient norm clip", .said = "gradient clip %s"},
    {.name = "warmup", .key = "warmup", .type = VNCA_OPTION_INT, .offset = AT(warmup),
     .min = 0, .max = INT_MAX, .flags = RESUMABLE, .value_name = "N",
     .help = "the rate rises linearly over a fresh Adam's first N steps",
     .said = "warmup %s Adam steps"},
    {.name = "decay", .key = "decay", .type = VNCA_OPTION_CHOICE, .offset = AT(decay),
     .min = 0, .max = VNCA_DECAY_STEP, .flags = RESUMABLE, .value_name = "KIND",
     .help = "how the rate falls after the warm-up: none, cosine or step",
     .said = "%s decay of the learning rate", .said_off = "no decay of the learning rate",
     .said_off_was = "was %s", .choices = {"none", "cosine", "step"}},
    {.name = "decay-steps", .key = "decay_steps", .type = VNCA_OPTION_INT, .offset = AT(decay_steps),
     .min = 0, .max = INT_MAX, .flags = RESUMABLE | DECAY, .value_name = "N",
     .help = "the Adam step at which a decay ends (above --warmup)",
     .said = "decay ending at Adam step %s"},
    {.name = "lr-final", .key = "lr_final", .type = VNCA_OPTION_FLOAT, .offset = AT(lr_final),
     .min = 0, .max = 1, .flags = RESUMABLE | DECAY, .value_name = "RATE",
     .help = "the rate a decay ends at (at most --lr; above 0 for step)",
     .said = "final learning rate %s"},
    {.name = "decay-drops", .key = "decay_drops", .type = VNCA_OPTION_INT, .offset = AT(decay_drops),
     .fallback = 3, .min = 0, .max = 1000, .flags = RESUMABLE | STEP_DECAY, .value_name = "N",
     .help = "a step decay's drops (at least 1), by equal factors, the last at --decay-steps",
     .said = "step decay in %s drops"},
    {.name = "average", .key = "average_decay", .type = VNCA_OPTION_FLOAT,
     .offset = AT(average_decay), .min = 0, .max = 1, .flags = RESUMABLE | BELOW_MAX,
     .value_name = "DECAY",
     .help = "the model written is the weights' moving average, this decay per step; 0: none",
     .said = "weights averaged with decay %s", .said_off = "weights no longer averaged",
     .said_off_was = "were with decay %s"},
    {.name = "seed", .key = "seed", .type = VNCA_OPTION_SEED, .offset = AT(seed), .fallback = 1,
     .min = 0, .max = 9007199254740992.0, .value_name = "S",
     .help = "seed of the data order, the noise and a --config model's weights",
     .said = "seed is %s"},
    {.name = "dynamic", .key = "dynamic", .type = VNCA_OPTION_FLAG, .offset = AT(dynamic),
     .min = 0, .max = 1, .help = "grayscale MNIST binarized afresh each epoch (default: static)",
     .said = "binarization is %s", .flag_words = {"static", "dynamic"}},
    {.name = "extra", .key = "extra", .type = VNCA_OPTION_SPAN, .offset = AT(extra_min),
     .fallback = 8, .fallback_max = 16, .min = 0, .max = VNCA_MAX_EXTRA_STEPS,
     .flags = RESUMABLE | PERSISTENT, .value_name = "MIN:MAX",
     .help = "extra full-size steps per batch", .said = "extra steps %s"},
    {.name = "pool", .key = "pool_size", .type = VNCA_OPTION_INT, .offset = AT(pool_size),
     .fallback = 512, .min = 1, .max = VNCA_MAX_POOL_SIZE, .flags = PERSISTENT,
     .value_name = "N", .help = "pool of earlier final states", .said = "pool holds %s states"},
    {.name = "pool-share", .key = "pool_share", .type = VNCA_OPTION_FLOAT, .offset = AT(pool_share),
     .fallback = 0.5, .min = 0, .max = 1, .flags = RESUMABLE | PERSISTENT | BELOW_MAX,
     .value_name = "F", .help = "share of each batch from the pool", .said = "pool share %s"},
    {.name = "damage", .key = "damage_size", .type = VNCA_OPTION_INT, .offset = AT(damage_size),
     .fallback = 14, .min = 0, .max = 1024, .flags = RESUMABLE | PERSISTENT, .value_name = "N",
     .help = "side of the square of cells zeroed", .said = "damage %s"},
    {.name = "damage-share", .key = "damage_share", .type = VNCA_OPTION_FLOAT,
     .offset = AT(damage_share), .fallback = 0.25, .min = 0, .max = 1,
     .flags = RESUMABLE | PERSISTENT, .value_name = "F", .help = "share of pool rows damaged",
     .said = "damage share %s"},
};

static void *field(const VncaOptionSpec *spec, VncaTrainOptions *opt, int part)
{
    return (char *)opt + spec->offset + (size_t)part * sizeof(int);
}

int vnca_option_parts(const VncaOptionSpec *spec) { return spec->type == VNCA_OPTION_SPAN ? 2 : 1; }

double vnca_option_get(const VncaOptionSpec *spec, const VncaTrainOptions *opt, int part)
{
    const void *p = field(spec, (VncaTrainOptions *)opt, part);
    switch (spec->type) {
    case VNCA_OPTION_FLOAT: return *(const float *)p;
    case VNCA_OPTION_DOUBLE: return *(const double *)p;
    case VNCA_OPTION_SEED: return (double)*(const uint64_t *)p;
    default: return *(const int *)p;
    }
}

/* the index of a choice's word, or NAN */
static double choice_number(const VncaOptionSpec *spec, const char *word)
{
    for (int i = 0; i <= spec->max; i++)
        if (!strcmp(spec->choices[i], word)) return i;
    return NAN;
}

static int integral(const VncaOptionSpec *spec)
{
    return spec->type != VNCA_OPTION_FLOAT && spec->type != VNCA_OPTION_DOUBLE;
}

static int in_range(const VncaOptionSpec *spec, double value)
{
    return value >= spec->min &&
           (spec->flags & VNCA_OPTION_BELOW_MAX ? value < spec->max : value <= spec->max) &&
           (!integral(spec) || value == floor(value));
}

int vnca_option_set(const VncaOptionSpec *spec, VncaTrainOptions *opt, int part, double value)
{
    /* converting a value outside its type's range is undefined: check first */
    if (!in_range(spec, value)) return -1;
    void *p = field(spec, opt, part);
    switch (spec->type) {
    case VNCA_OPTION_FLOAT:
        /* rounding to a float may reach an excluded bound */
        if (!in_range(spec, (float)value)) return -1;
        *(float *)p = (float)value;
        break;
    case VNCA_OPTION_DOUBLE: *(double *)p = value; break;
    case VNCA_OPTION_SEED: *(uint64_t *)p = (uint64_t)value; break;
    default: *(int *)p = (int)value;
    }
    return 0;
}

/* x as %g writes it, with more digits when it takes them to read back as
 * x (as a float when `single`) */
static void shortest(char *buf, size_t len, double x, int single)
{
    char text[32];
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, x);
        const double back = strtod(text, NULL);
        if (single ? (float)back == (float)x : back == x) break;
    }
    snprintf(buf, len, "%s", text);
}

void vnca_option_range(const VncaOptionSpec *spec, char *buf, size_t len)
{
    if (spec->type == VNCA_OPTION_CHOICE) {
        size_t n = (size_t)snprintf(buf, len, "one of");
        for (int i = 0; i <= spec->max && n < len; i++)
            n += (size_t)snprintf(buf + n, len - n, "%s %s", i ? "," : "", spec->choices[i]);
        return;
    }
    char lo[32], hi[32];
    shortest(lo, sizeof lo, spec->min, 0);
    shortest(hi, sizeof hi, spec->max, 0);
    snprintf(buf, len, "%s%s in [%s, %s%c", spec->type == VNCA_OPTION_SPAN ? "MIN:MAX, each " : "",
             integral(spec) ? "an integer" : "a number", lo, hi,
             spec->flags & VNCA_OPTION_BELOW_MAX ? ')' : ']');
}

/* text as a whole number, or NAN */
static double number(const char *text, const char *end_at)
{
    char *end;
    errno = 0;
    const double x = strtod(text, &end);
    return errno || end == text || end != end_at ? NAN : x;
}

int vnca_option_parse(const VncaOptionSpec *spec, const char *text, VncaTrainOptions *opt,
                      VncaError *err)
{
    if (spec->type == VNCA_OPTION_FLAG) return vnca_option_set(spec, opt, 0, 1);
    const char *colon = strchr(text, ':'), *end = text + strlen(text);
    VncaTrainOptions parsed = *opt;
    const int ok = spec->type == VNCA_OPTION_SPAN
                       ? colon && !vnca_option_set(spec, &parsed, 0, number(text, colon)) &&
                             !vnca_option_set(spec, &parsed, 1, number(colon + 1, end))
                   : spec->type == VNCA_OPTION_CHOICE
                       ? !vnca_option_set(spec, &parsed, 0, choice_number(spec, text))
                       : !vnca_option_set(spec, &parsed, 0, number(text, end));
    if (ok) {
        *opt = parsed;
        return 0;
    }
    char range[96];
    vnca_option_range(spec, range, sizeof range);
    return vnca_fail(err, "--%s '%s' is not %s", spec->name, text, range);
}

void vnca_option_format(const VncaOptionSpec *spec, const VncaTrainOptions *opt, char *buf,
                        size_t len)
{
    const double x = vnca_option_get(spec, opt, 0);
    switch (spec->type) {
    case VNCA_OPTION_FLOAT: shortest(buf, len, x, 1); break;
    case VNCA_OPTION_DOUBLE: shortest(buf, len, x, 0); break;
    case VNCA_OPTION_FLAG: snprintf(buf, len, "%s", spec->flag_words[x != 0]); break;
    case VNCA_OPTION_CHOICE:
        /* a value out of range, set by hand, is said as its number */
        if (in_range(spec, x)) snprintf(buf, len, "%s", spec->choices[(int)x]);
        else snprintf(buf, len, "%.0f", x);
        break;
    case VNCA_OPTION_SPAN: snprintf(buf, len, "%.0f:%.0f", x, vnca_option_get(spec, opt, 1)); break;
    default: snprintf(buf, len, "%.0f", x);
    }
}

int vnca_option_equal(const VncaOptionSpec *spec, const VncaTrainOptions *a,
                      const VncaTrainOptions *b)
{
    for (int part = 0; part < vnca_option_parts(spec); part++)
        if (vnca_option_get(spec, a, part) != vnca_option_get(spec, b, part)) return 0;
    return 1;
}

void vnca_option_say(const VncaOptionSpec *spec, const VncaTrainOptions *opt, char *buf, size_t len)
{
    char value[64];
    vnca_option_format(spec, opt, value, sizeof value);
    snprintf(buf, len, spec->said, value);
}

void vnca_option_say_change(const VncaOptionSpec *spec, const VncaTrainOptions *was,
                            const VncaTrainOptions *now, long step, char *buf, size_t len)
{
    char said[96], before[96], value[64];
    vnca_option_format(spec, was, value, sizeof value);
    if (spec->said_off && vnca_option_get(spec, now, 0) == 0) {
        snprintf(said, sizeof said, "%s", spec->said_off);
        snprintf(before, sizeof before, spec->said_off_was, value);
    } else {
        vnca_option_say(spec, now, said, sizeof said);
        snprintf(before, sizeof before, "was %s", value);
    }
    snprintf(buf, len, "%s from step %ld on (%s)", said, step, before);
}

int vnca_option_applies(const VncaOptionSpec *spec, int persistent)
{
    return persistent || !(spec->flags & VNCA_OPTION_PERSISTENT);
}

int vnca_option_in_use(const VncaOptionSpec *spec, const VncaTrainOptions *opt, int persistent)
{
    if (spec->flags & VNCA_OPTION_DECAY && opt->decay == VNCA_DECAY_NONE) return 0;
    if (spec->flags & VNCA_OPTION_STEP_DECAY && opt->decay != VNCA_DECAY_STEP) return 0;
    return vnca_option_applies(spec, persistent);
}

int vnca_train_options_check(const VncaTrainOptions *opt, int persistent, VncaError *err)
{
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (!vnca_option_applies(spec, persistent)) continue;
        for (int part = 0; part < vnca_option_parts(spec); part++) {
            if (in_range(spec, vnca_option_get(spec, opt, part))) continue;
            char value[64], range[96];
            vnca_option_format(spec, opt, value, sizeof value);
            vnca_option_range(spec, range, sizeof range);
            return vnca_fail(err, "%s %s is not %s", spec->name, value, range);
        }
    }
    return 0;
}

void vnca_train_defaults(VncaTrainOptions *opt)
{
    *opt = (VncaTrainOptions){.shards = 1};
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        vnca_option_set(spec, opt, 0, spec->fallback);
        if (vnca_option_parts(spec) == 2) vnca_option_set(spec, opt, 1, spec->fallback_max);
    }
}
