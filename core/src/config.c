/* Architectures: the named configurations, checks and their text forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/vnca.h"

typedef struct NamedConfig {
    const char *name;
    const char *what;
    VncaConfig config;
} NamedConfig;

#define SCHEDULE_5(steps) \
    .n_stages = 5, .stage_grid = {2, 4, 8, 16, 32}, .stage_steps = {steps, steps, steps, steps, steps}

static const NamedConfig named_configs[] = {
    {"paper", "the paper's MNIST model: Z=H=256, 4 residual blocks, conv3x3, 8 steps per stage",
     {.latent = 256, .hidden = 256, .res_blocks = 4, .perception = VNCA_PERCEIVE_CONV3,
      SCHEDULE_5(8), .encoder_width = 32, .image_size = 32, .variant = VNCA_VARIANT_DOUBLING}},
    {"medium", "Z=H=128, 2 residual blocks, conv3x3, 8 steps per stage",
     {.latent = 128, .hidden = 128, .res_blocks = 2, .perception = VNCA_PERCEIVE_CONV3,
      SCHEDULE_5(8), .encoder_width = 32, .image_size = 32, .variant = VNCA_VARIANT_DOUBLING}},
    {"small", "Z=64, H=128, 2 residual blocks, Sobel perception, 6 steps per stage",
     {.latent = 64, .hidden = 128, .res_blocks = 2, .perception = VNCA_PERCEIVE_SOBEL,
      SCHEDULE_5(6), .encoder_width = 16, .image_size = 32, .variant = VNCA_VARIANT_DOUBLING}},
    {"compact", "Z=32, H=64, 2 residual blocks, Sobel perception, 6 steps per stage",
     {.latent = 32, .hidden = 64, .res_blocks = 2, .perception = VNCA_PERCEIVE_SOBEL,
      SCHEDULE_5(6), .encoder_width = 16, .image_size = 32, .variant = VNCA_VARIANT_DOUBLING}},
    {"tiny", "Z=16, H=32, 1 residual block, Sobel perception, 4 steps per stage",
     {.latent = 16, .hidden = 32, .res_blocks = 1, .perception = VNCA_PERCEIVE_SOBEL,
      SCHEDULE_5(4), .encoder_width = 8, .image_size = 32, .variant = VNCA_VARIANT_DOUBLING}},
};

static const char *const config_names[] = {"paper", "medium", "small", "compact", "tiny", NULL};

const char *const *vnca_config_names(void) { return config_names; }

int vnca_config_named(const char *name, VncaConfig *cfg, VncaError *err)
{
    for (size_t i = 0; i < sizeof named_configs / sizeof named_configs[0]; i++) {
        if (strcmp(named_configs[i].name, name) == 0) {
            *cfg = named_configs[i].config;
            return 0;
        }
    }
    return vnca_fail(err, "unknown config '%s' (known: paper, medium, small, compact, tiny)", name);
}

static int is_power_of_two(int x) { return x > 0 && (x & (x - 1)) == 0; }

int vnca_config_check(const VncaConfig *c, VncaError *err)
{
    if (c->latent < 1 || c->latent > VNCA_MAX_LATENT)
        return vnca_fail(err, "latent size %d out of range [1, %d]", c->latent, VNCA_MAX_LATENT);
    if (c->hidden < 1 || c->hidden > 4096)
        return vnca_fail(err, "hidden width %d out of range [1, 4096]", c->hidden);
    if (c->res_blocks < 0 || c->res_blocks > VNCA_MAX_RES_BLOCKS)
        return vnca_fail(err, "residual blocks %d out of range [0, %d]", c->res_blocks,
                         VNCA_MAX_RES_BLOCKS);
    if (c->perception != VNCA_PERCEIVE_CONV3 && c->perception != VNCA_PERCEIVE_SOBEL)
        return vnca_fail(err, "unknown perception %d", (int)c->perception);
    if (c->variant != VNCA_VARIANT_DOUBLING && c->variant != VNCA_VARIANT_PERSISTENT)
        return vnca_fail(err, "unknown variant %d", (int)c->variant);
    if (c->genome < VNCA_GENOME_NONE || c->genome > VNCA_GENOME_POSITION)
        return vnca_fail(err, "unknown genome %d", (int)c->genome);
    if (c->genome && c->perception != VNCA_PERCEIVE_CONV3)
        return vnca_fail(err, "a genome needs a conv3x3 perception");
    if (c->far_reach && (c->far_reach < 2 || c->far_reach > 64))
        return vnca_fail(err, "far reach %d out of range [2, 64] (or 0: none)", c->far_reach);
    if (c->far_reach && c->perception != VNCA_PERCEIVE_CONV3)
        return vnca_fail(err, "a far perception needs a conv3x3 perception");
    if (!is_power_of_two(c->image_size) || c->image_size < 4 || c->image_size > 256)
        return vnca_fail(err, "image size %d is not a power of two in [4, 256]", c->image_size);
    if (vnca_encoder_convs(c) > VNCA_MAX_ENC_CONVS)
        return vnca_fail(err, "image size %d needs too many encoder convs", c->image_size);
    if (c->encoder_width < 1 || (long)c->encoder_width << (vnca_encoder_convs(c) - 1) > 8192)
        return vnca_fail(err, "encoder width %d out of range", c->encoder_width);
    if (c->n_stages < 1 || c->n_stages > VNCA_MAX_STAGES)
        return vnca_fail(err, "%d stages, expected 1 to %d", c->n_stages, VNCA_MAX_STAGES);
    if (c->stage_grid[0] != 2)
        return vnca_fail(err, "the first stage's grid is %d, expected 2", c->stage_grid[0]);
    for (int i = 0; i < c->n_stages; i++) {
        if (i > 0 && c->stage_grid[i] != 2 * c->stage_grid[i - 1])
            return vnca_fail(err, "stage %d grid %d does not double the previous %d", i,
                             c->stage_grid[i], c->stage_grid[i - 1]);
        if (c->stage_steps[i] < 0 || c->stage_steps[i] > 1000)
            return vnca_fail(err, "stage %d has %d steps, expected 0 to 1000", i,
                             c->stage_steps[i]);
    }
    if (c->stage_grid[c->n_stages - 1] != c->image_size)
        return vnca_fail(err, "the last stage's grid is %d, the image size %d",
                         c->stage_grid[c->n_stages - 1], c->image_size);
    return 0;
}

int vnca_schedule_parse(VncaConfig *cfg, const char *text, VncaError *err)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long grid = strtol(p, &end, 10);
        if (end == p || *end != ':') break;
        p = end + 1;
        long steps = strtol(p, &end, 10);
        if (end == p || n == VNCA_MAX_STAGES || grid < 1 || grid > 4096 || steps < 0 ||
            steps > 1000)
            break;
        cfg->stage_grid[n] = (int)grid;
        cfg->stage_steps[n] = (int)steps;
        n++;
        p = end;
        if (*p == ',') p++;
        else if (*p != '\0') break;
        else {
            cfg->n_stages = n;
            return 0;
        }
    }
    return vnca_fail(err, "bad schedule '%s': expected GRID:STEPS,... such as 2:8,4:8,8:8", text);
}

void vnca_schedule_format(const VncaConfig *cfg, char *buf, size_t len)
{
    size_t used = 0;
    if (len) buf[0] = '\0';
    for (int i = 0; i < cfg->n_stages && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%d:%d", i ? "," : "", cfg->stage_grid[i],
                         cfg->stage_steps[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* The fields a difference is named by, in the order they are compared. */
enum { F_LATENT, F_HIDDEN, F_RES_BLOCKS, F_PERCEPTION, F_SCHEDULE, F_ENCODER_WIDTH, F_IMAGE_SIZE,
       F_VARIANT, F_GENOME, F_FAR_REACH, N_CONFIG_FIELDS };
static const char *const config_field_names[N_CONFIG_FIELDS] = {
    [F_LATENT] = "latent size", [F_HIDDEN] = "hidden width", [F_RES_BLOCKS] = "residual blocks",
    [F_PERCEPTION] = "perception", [F_SCHEDULE] = "schedule", [F_ENCODER_WIDTH] = "encoder width",
    [F_IMAGE_SIZE] = "image size", [F_VARIANT] = "variant", [F_GENOME] = "genome",
    [F_FAR_REACH] = "far reach"};

/* one field of a configuration as text */
static void config_field(const VncaConfig *c, int field, char *buf, size_t len)
{
    switch (field) {
    case F_LATENT: snprintf(buf, len, "%d", c->latent); break;
    case F_HIDDEN: snprintf(buf, len, "%d", c->hidden); break;
    case F_RES_BLOCKS: snprintf(buf, len, "%d", c->res_blocks); break;
    case F_PERCEPTION: snprintf(buf, len, "%s", vnca_perception_name(c->perception)); break;
    case F_SCHEDULE: vnca_schedule_format(c, buf, len); break;
    case F_ENCODER_WIDTH: snprintf(buf, len, "%d", c->encoder_width); break;
    case F_IMAGE_SIZE: snprintf(buf, len, "%d", c->image_size); break;
    case F_GENOME: snprintf(buf, len, "%s", vnca_genome_name(c->genome)); break;
    case F_FAR_REACH: snprintf(buf, len, "%d", c->far_reach); break;
    default: snprintf(buf, len, "%s", vnca_variant_name(c->variant)); break;
    }
}

int vnca_config_difference(const VncaConfig *a, const VncaConfig *b, const char *a_name,
                           const char *b_name, char *buf, size_t len)
{
    for (int f = 0; f < N_CONFIG_FIELDS; f++) {
        char in_a[256], in_b[256];
        config_field(a, f, in_a, sizeof in_a);
        config_field(b, f, in_b, sizeof in_b);
        if (strcmp(in_a, in_b) == 0) continue;
        snprintf(buf, len, "%s has %s %s, %s %s", a_name, config_field_names[f], in_a, b_name, in_b);
        return 1;
    }
    if (len) buf[0] = '\0';
    return 0;
}

const char *vnca_perception_name(VncaPerception p)
{
    return p == VNCA_PERCEIVE_SOBEL ? "sobel" : "conv3x3";
}

const char *vnca_variant_name(VncaVariant v)
{
    return v == VNCA_VARIANT_PERSISTENT ? "persistent" : "doubling";
}

int vnca_perception_parse(const char *text, VncaPerception *p)
{
    if (strcmp(text, "conv3x3") == 0 || strcmp(text, "conv3") == 0) *p = VNCA_PERCEIVE_CONV3;
    else if (strcmp(text, "sobel") == 0) *p = VNCA_PERCEIVE_SOBEL;
    else return -1;
    return 0;
}

int vnca_variant_parse(const char *text, VncaVariant *v)
{
    if (strcmp(text, "doubling") == 0) *v = VNCA_VARIANT_DOUBLING;
    else if (strcmp(text, "persistent") == 0) *v = VNCA_VARIANT_PERSISTENT;
    else return -1;
    return 0;
}

static const char *const genome_names[] = {
    [VNCA_GENOME_NONE] = "none", [VNCA_GENOME_LATENT] = "latent",
    [VNCA_GENOME_POSITION] = "latent+position"};

const char *vnca_genome_name(VncaGenome g)
{
    return g >= VNCA_GENOME_NONE && g <= VNCA_GENOME_POSITION ? genome_names[g] : "unknown";
}

int vnca_genome_parse(const char *text, VncaGenome *g)
{
    for (int i = VNCA_GENOME_NONE; i <= VNCA_GENOME_POSITION; i++)
        if (strcmp(text, genome_names[i]) == 0) {
            *g = (VncaGenome)i;
            return 0;
        }
    return -1;
}

int vnca_encoder_convs(const VncaConfig *cfg)
{
    int convs = 1;
    for (int s = cfg->image_size; s > 2; s /= 2) convs++;
    return convs;
}

int vnca_total_steps(const VncaConfig *cfg)
{
    int t = 0;
    for (int i = 0; i < cfg->n_stages; i++) t += cfg->stage_steps[i];
    return t;
}

long vnca_cell_steps(const VncaConfig *cfg)
{
    long cells = 0;
    for (int i = 0; i < cfg->n_stages; i++)
        cells += (long)cfg->stage_steps[i] * cfg->stage_grid[i] * cfg->stage_grid[i];
    return cells;
}

int vnca_encoder_channels(const VncaConfig *cfg, int i) { return cfg->encoder_width << i; }

double vnca_encoder_macs(const VncaConfig *cfg)
{
    double macs = 0;
    int size = cfg->image_size, c_in = 1;
    for (int i = 0; i < vnca_encoder_convs(cfg); i++) {
        if (i > 0) size /= 2;
        int c_out = vnca_encoder_channels(cfg, i);
        macs += (double)size * size * c_out * c_in * 25;
        c_in = c_out;
    }
    return macs + 4.0 * c_in * 2 * cfg->latent;
}

double vnca_decoder_macs(const VncaConfig *cfg)
{
    double c = cfg->latent, h = cfg->hidden;
    double perceive = cfg->perception == VNCA_PERCEIVE_CONV3 ? 9 * c * h : 3 * c * h;
    if (cfg->far_reach) perceive += 9 * c * h;
    /* a genome's conv costs 9 adds of its per-image projections a cell, its
     * position two: its column's projection and its row's */
    double genome = cfg->genome == VNCA_GENOME_POSITION ? 11 * h : cfg->genome ? 9 * h : 0;
    double per_cell = perceive + genome + cfg->res_blocks * 2 * h * h + h * c;
    return per_cell * (double)vnca_cell_steps(cfg);
}
