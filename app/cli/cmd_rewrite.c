/* vnca rewrite: model surgery. A model file becomes a larger model that
 * computes the same update (to float rounding), so that training can go on
 * from it with more room instead of starting over. The rewrites apply in
 * the order of the options' table. */
#include <stdio.h>

#include "args.h"
#include "commands.h"

/* what the command line asks for, parsed before any surgery */
typedef struct RewriteArgs {
    long latent, far_reach, seed;
    VncaGenome genome;
} RewriteArgs;

typedef int (*Rewrite)(VncaModel *dst, const VncaModel *src, const RewriteArgs *args, VncaError *err);

static int to_conv3(VncaModel *dst, const VncaModel *src, const RewriteArgs *args, VncaError *err)
{
    (void)args;
    return vnca_model_to_conv3(dst, src, err);
}

static int widen(VncaModel *dst, const VncaModel *src, const RewriteArgs *args, VncaError *err)
{
    return vnca_model_widen(dst, src, (int)args->latent, (uint64_t)args->seed, err);
}

static int add_genome(VncaModel *dst, const VncaModel *src, const RewriteArgs *args, VncaError *err)
{
    return vnca_model_add_genome(dst, src, args->genome, err);
}

static int add_far_perception(VncaModel *dst, const VncaModel *src, const RewriteArgs *args,
                              VncaError *err)
{
    return vnca_model_add_far_perception(dst, src, (int)args->far_reach, err);
}

/* the surgeries, in the order they apply; --genome and --position make one
 * genome */
static const struct {
    const char *option, *or_option;
    Rewrite rewrite;
} rewrites[] = {
    {"perception", NULL, to_conv3},
    {"latent", NULL, widen},
    {"genome", "position", add_genome},
    {"far-reach", NULL, add_far_perception},
};

/* The weights do not depend on the variant: a doubling model becomes a
 * persistent one (to be trained to hold and heal) as it is. */
static int set_variant(VncaModel *m, const CliCommand *cmd)
{
    const char *text = cli_value(cmd, "variant");
    if (!text) return 0;
    if (vnca_variant_parse(text, &m->config.variant) == 0) return 1;
    fprintf(stderr, "vnca rewrite: --variant '%s': expected doubling or persistent\n", text);
    return -1;
}

/* "vnca rewrite --variant persistent --latent 64 --seed 1": the command as
 * a recipe says it, the rewrites in the order they apply */
static void rewrite_recipe(const CliCommand *cmd, const VncaModel *m, const RewriteArgs *args,
                           char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "vnca rewrite");
    if (cli_value(cmd, "variant"))
        n += (size_t)snprintf(buf + n, len - n, " --variant %s", vnca_variant_name(m->config.variant));
    if (cli_value(cmd, "perception") && n < len) n += (size_t)snprintf(buf + n, len - n, " --perception conv3x3");
    if (args->latent && n < len) n += (size_t)snprintf(buf + n, len - n, " --latent %ld", args->latent);
    if ((cli_value(cmd, "genome") || cli_value(cmd, "position")) && n < len)
        n += (size_t)snprintf(buf + n, len - n, " --%s",
                              args->genome == VNCA_GENOME_POSITION ? "position" : "genome");
    if (args->far_reach && n < len) n += (size_t)snprintf(buf + n, len - n, " --far-reach %ld", args->far_reach);
    /* the seed draws only the widened channels' weights */
    if (args->latent && n < len) snprintf(buf + n, len - n, " --seed %ld", args->seed);
}

int cmd_rewrite(int argc, char **argv)
{
    CliOption options[] = {
        {"output", 'o', "FILE", "the rewritten model", 0},
        {"perception", 0, "conv3x3", "a Sobel model's perception as the learned conv3x3 it amounts to", 0},
        {"latent", 0, "Z", "the latent and every cell widened to Z channels (conv3x3 models)", 0},
        {"genome", 0, NULL, "every cell given its latent to read, never to write", 0},
        {"position", 0, NULL, "every cell's genome given where the cell is too", 0},
        {"far-reach", 0, "D", "a second conv3x3 perception, its taps D cells apart", 0},
        {"variant", 0, "KIND", "doubling or persistent (trained also to hold and heal)", 0},
        {"seed", 0, "S", "seed of the new weights that are random (default 1)", 0},
        {0},
    };
    CliCommand cmd = {.name = "rewrite",
                      .summary = "Rewrite a model as a larger one that decodes as it does, to train on\n"
                                 "  from there (new weights that read new inputs start at zero).",
                      .positional = "IN", .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *out = cli_required(&cmd, "output"), *perception = cli_value(&cmd, "perception");
    RewriteArgs args = {.genome = cli_value(&cmd, "position") ? VNCA_GENOME_POSITION : VNCA_GENOME_LATENT};
    VncaPerception kind;
    if (!out || cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &args.seed) ||
        cli_int(&cmd, "latent", 1, 4096, 0, &args.latent) ||
        cli_int(&cmd, "far-reach", 2, 64, 0, &args.far_reach))
        return 2;
    if (perception && (vnca_perception_parse(perception, &kind) || kind != VNCA_PERCEIVE_CONV3)) {
        fprintf(stderr, "vnca rewrite: --perception '%s': only conv3x3 (a Sobel perception "
                "rewritten as the learned conv3x3 it amounts to)\n", perception);
        return 2;
    }
    if (!cmd.arg) {
        fprintf(stderr, "vnca rewrite: missing IN, the model to rewrite (see --help)\n");
        return 2;
    }
    VncaModel model;
    if (load_model_or_report("rewrite", cmd.arg, &model)) return 1;
    /* an evaluation the model carries is of the model before */
    vnca_meta_remove_prefix(&model.meta, "eval.");
    int changed = set_variant(&model, &cmd), status = changed < 0;
    for (size_t i = 0; i < sizeof rewrites / sizeof rewrites[0] && !status; i++) {
        const char *given = cli_value(&cmd, rewrites[i].option) ? rewrites[i].option
                            : rewrites[i].or_option && cli_value(&cmd, rewrites[i].or_option)
                                ? rewrites[i].or_option : NULL;
        if (!given) continue;
        VncaModel rewritten;
        VncaError err;
        if (rewrites[i].rewrite(&rewritten, &model, &args, &err)) {
            fprintf(stderr, "vnca rewrite: --%s: %s\n", given, err.msg);
            status = 1;
            break;
        }
        vnca_model_free(&model);
        model = rewritten;
        changed = 1;
    }
    VncaError err;
    char recipe[256];
    rewrite_recipe(&cmd, &model, &args, recipe, sizeof recipe);
    if (!status && changed && vnca_recipe_add(&model.meta, vnca_meta_get(&model.meta, VNCA_RECIPE_KEY), recipe)) {
        fprintf(stderr, "vnca rewrite: out of memory\n");
        status = 1;
    }
    if (!status && !changed) {
        fprintf(stderr, "vnca rewrite: nothing to do: give at least one rewrite (see --help)\n");
        status = 2;
    } else if (!status && vnca_model_save(&model, out, &err)) {
        fprintf(stderr, "vnca rewrite: %s\n", err.msg);
        status = 1;
    } else if (!status) {
        printf("wrote %s: %zu parameters\n", out, model.layout.n_params);
    }
    vnca_model_free(&model);
    return status;
}
