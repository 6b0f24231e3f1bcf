/* vnca init, vnca info: making and describing model files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"

int load_model_or_report(const char *cmd, const char *path, VncaModel *m)
{
    VncaError err;
    if (vnca_model_load(m, path, &err) == 0) return 0;
    fprintf(stderr, "vnca %s: %s\n", cmd, err.msg);
    return -1;
}

int load_model_and_test_set(const char *cmd, const char *path, const char *dir, VncaModel *m,
                            VncaImages *test)
{
    VncaError err;
    if (load_model_or_report(cmd, path, m)) return -1;
    if (vnca_data_load(dir, VNCA_DATA_STATIC_TEST, m->config.image_size, test, &err) == 0) return 0;
    fprintf(stderr, "vnca %s: %s\n", cmd, err.msg);
    vnca_model_free(m);
    return -1;
}

const float *spread_digit(const VncaImages *test, long i, long n)
{
    const size_t pixels = (size_t)test->size * test->size;
    return test->pixels + (size_t)(i * test->n / n) * pixels;
}

/* --config NAME, then any field overrides */
static int config_from_options(const CliCommand *cmd, VncaConfig *cfg)
{
    VncaError err;
    long v;
    if (vnca_config_named(cli_value(cmd, "config") ? cli_value(cmd, "config") : "paper", cfg,
                          &err))
        goto fail;
    if (cli_int(cmd, "latent", 1, 4096, cfg->latent, &v)) return -1;
    cfg->latent = (int)v;
    if (cli_int(cmd, "hidden", 1, 4096, cfg->hidden, &v)) return -1;
    cfg->hidden = (int)v;
    if (cli_int(cmd, "res-blocks", 0, VNCA_MAX_RES_BLOCKS, cfg->res_blocks, &v)) return -1;
    cfg->res_blocks = (int)v;
    if (cli_int(cmd, "encoder-width", 1, 1024, cfg->encoder_width, &v)) return -1;
    cfg->encoder_width = (int)v;
    const char *text = cli_value(cmd, "perception");
    if (text && vnca_perception_parse(text, &cfg->perception)) {
        fprintf(stderr, "vnca %s: --perception '%s': expected conv3x3 or sobel\n", cmd->name, text);
        return -1;
    }
    text = cli_value(cmd, "variant");
    if (text && vnca_variant_parse(text, &cfg->variant)) {
        fprintf(stderr, "vnca %s: --variant '%s': expected doubling or persistent\n", cmd->name,
                text);
        return -1;
    }
    text = cli_value(cmd, "schedule");
    if (text && vnca_schedule_parse(cfg, text, &err)) goto fail;
    if (vnca_config_check(cfg, &err)) goto fail;
    return 0;
fail:
    fprintf(stderr, "vnca %s: %s\n", cmd->name, err.msg);
    return -1;
}

/* "vnca init --config tiny --latent 32 --seed 1": the command as a recipe
 * says it, its overrides as they came out */
static void init_recipe(const CliCommand *cmd, const VncaConfig *cfg, long seed, char *buf, size_t len)
{
    const char *name = cli_value(cmd, "config") ? cli_value(cmd, "config") : "paper";
    char schedule[128];
    vnca_schedule_format(cfg, schedule, sizeof schedule);
    const struct {
        const char *option;
        int number;
        const char *text;
    } overrides[] = {
        {"latent", cfg->latent, NULL}, {"hidden", cfg->hidden, NULL},
        {"res-blocks", cfg->res_blocks, NULL}, {"perception", 0, vnca_perception_name(cfg->perception)},
        {"schedule", 0, schedule}, {"encoder-width", cfg->encoder_width, NULL},
        {"variant", 0, vnca_variant_name(cfg->variant)},
    };
    size_t n = (size_t)snprintf(buf, len, "vnca init --config %s", name);
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0] && n < len; i++) {
        if (!cli_value(cmd, overrides[i].option)) continue;
        if (overrides[i].text)
            n += (size_t)snprintf(buf + n, len - n, " --%s %s", overrides[i].option, overrides[i].text);
        else
            n += (size_t)snprintf(buf + n, len - n, " --%s %d", overrides[i].option, overrides[i].number);
    }
    if (n < len) snprintf(buf + n, len - n, " --seed %ld", seed);
}

int cmd_init(int argc, char **argv)
{
    CliOption options[] = {
        {"config", 0, "NAME", "named configuration: paper, medium, small, compact, tiny (default paper)", 0},
        {"seed", 0, "S", "initialization seed (default 1)", 0},
        {"output", 'o', "FILE", "model file to write (.safetensors)", 0},
        {"latent", 0, "Z", "override: latent size = cell channels", 0},
        {"hidden", 0, "H", "override: update net width", 0},
        {"res-blocks", 0, "R", "override: residual blocks", 0},
        {"perception", 0, "KIND", "override: conv3x3 or sobel", 0},
        {"schedule", 0, "LIST", "override: stages as GRID:STEPS,... e.g. 2:8,4:8,8:8,16:8,32:8", 0},
        {"encoder-width", 0, "W", "override: channels of the first encoder conv", 0},
        {"variant", 0, "KIND", "override: doubling or persistent", 0},
        {0},
    };
    CliCommand cmd = {.name = "init",
                      .summary = "Write a freshly initialized model (last NCA layer zero).",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *out = cli_required(&cmd, "output");
    long seed;
    VncaConfig cfg;
    if (!out || cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &seed)) return 2;
    if (config_from_options(&cmd, &cfg)) return 2;

    VncaModel m;
    VncaError err;
    if (vnca_model_alloc(&m, &cfg, &err)) {
        fprintf(stderr, "vnca init: %s\n", err.msg);
        return 1;
    }
    vnca_model_init(&m, (uint64_t)seed);
    char seed_text[32], recipe[512];
    snprintf(seed_text, sizeof seed_text, "%ld", seed);
    init_recipe(&cmd, &cfg, seed, recipe, sizeof recipe);
    int status = 0;
    if (vnca_recipe_add(&m.meta, NULL, recipe) || vnca_meta_set(&m.meta, "init.seed", seed_text) ||
        vnca_meta_set(&m.meta, "training.images_seen", "0")) {
        fprintf(stderr, "vnca init: out of memory\n");
        status = 1;
    } else if (vnca_model_save(&m, out, &err)) {
        fprintf(stderr, "vnca init: %s\n", err.msg);
        status = 1;
    } else {
        printf("wrote %s: %zu parameters\n", out, m.layout.n_params);
    }
    vnca_model_free(&m);
    return status;
}

int cmd_info(int argc, char **argv)
{
    CliOption options[] = {{0}};
    CliCommand cmd = {.name = "info",
                      .summary = "Show a model's configuration, parameter counts and metadata.",
                      .positional = "FILE", .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    if (!cmd.arg) {
        fprintf(stderr, "vnca info: missing FILE (see --help)\n");
        return 2;
    }
    VncaModel m;
    if (load_model_or_report("info", cmd.arg, &m)) return 1;
    const VncaConfig *c = &m.config;
    char schedule[128];
    vnca_schedule_format(c, schedule, sizeof schedule);
    printf("model       %s\n", cmd.arg);
    printf("latent      %d (= cell channels)\n", c->latent);
    printf("hidden      %d\n", c->hidden);
    printf("res blocks  %d\n", c->res_blocks);
    printf("perception  %s\n", vnca_perception_name(c->perception));
    printf("schedule    %s (%d steps, %ld cell updates per image)\n", schedule,
           vnca_total_steps(c), vnca_cell_steps(c));
    printf("encoder     width %d, %d convs\n", c->encoder_width, vnca_encoder_convs(c));
    printf("image       %dx%d\n", c->image_size, c->image_size);
    printf("variant     %s\n", vnca_variant_name(c->variant));
    static const char *const genome_text[] = {
        [VNCA_GENOME_NONE] = "none",
        [VNCA_GENOME_LATENT] = "every cell carries its latent (read, never written)",
        [VNCA_GENOME_POSITION] = "every cell carries its latent and where it is (read, never written)"};
    printf("genome      %s\n", genome_text[c->genome]);
    if (c->far_reach) printf("far reach   a second conv3x3 perception, its taps %d cells apart\n", c->far_reach);
    printf("parameters  %zu (encoder %zu, NCA %zu)\n", m.layout.n_params, m.layout.n_encoder,
           m.layout.n_nca);
    printf("cost        %.2f GMAC encode, %.2f GMAC decode per image\n",
           vnca_encoder_macs(c) * 1e-9, vnca_decoder_macs(c) * 1e-9);
    if (m.meta.n) printf("metadata\n");
    for (int i = 0; i < m.meta.n; i++) {
        /* a value of several lines (the recipe) goes on under its first */
        const char *value = m.meta.items[i].value;
        const int indent = printf("  %-22s ", m.meta.items[i].key);
        for (const char *end; (end = strchr(value, '\n')); value = end + 1)
            printf("%.*s\n%*s", (int)(end - value), value, indent, "");
        printf("%s\n", value);
    }
    vnca_model_free(&m);
    return 0;
}
