/* vnca bench: this machine's sgemm rate, then decoding and training speed of
 * configurations, with the fraction of the sgemm rate each achieves. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "vnca/bench.h"

/* the configuration `name` names: a model file's (with --model) or a named one */
static int config_of(const char *name, int is_file, VncaConfig *cfg)
{
    VncaError err;
    if (!is_file) {
        if (vnca_config_named(name, cfg, &err) == 0) return 0;
    } else {
        VncaModel m;
        if (vnca_model_load(&m, name, &err) == 0) {
            *cfg = m.config;
            vnca_model_free(&m);
            return 0;
        }
    }
    fprintf(stderr, "vnca bench: %s\n", err.msg);
    return -1;
}

static int bench_config(const char *name, const VncaConfig *c, double sgemm, double seconds,
                        int batch_big)
{
    const VncaConfig cfg = *c;
    VncaError err;
    printf("\n%s: %.2f GFLOP decode, %.2f GFLOP train step per image\n", name,
           2e-9 * vnca_decoder_macs(&cfg),
           6e-9 * (vnca_encoder_macs(&cfg) + vnca_decoder_macs(&cfg)));
    const int batches[2] = {1, batch_big};
    for (int i = 0; i < 2; i++) {
        VncaBenchFigure f;
        if (vnca_bench_decode(&cfg, batches[i], seconds, &f, &err)) goto fail;
        printf("  decode  batch %-3d %9.2f ms/image %8.2f images/s %7.1f GFLOP/s (%3.0f%% of sgemm)\n",
               batches[i], f.ms_per_image, f.images_per_s, f.gflops, 100 * f.gflops / sgemm);
        fflush(stdout);
    }
    VncaBenchFigure f;
    if (vnca_bench_train(&cfg, batch_big, seconds, &f, &err)) goto fail;
    printf("  train   batch %-3d %9.2f ms/image %8.2f images/s %7.1f GFLOP/s (%3.0f%% of sgemm)\n",
           batch_big, f.ms_per_image, f.images_per_s, f.gflops, 100 * f.gflops / sgemm);
    fflush(stdout);
    return 0;
fail:
    fprintf(stderr, "vnca bench: %s: %s\n", name, err.msg);
    return -1;
}

int cmd_bench(int argc, char **argv)
{
    CliOption options[] = {
        {"config", 0, "NAME", "benchmark only this configuration (default: paper and tiny)", 0},
        {"model", 0, "FILE", "benchmark only this model file's configuration (its weights random)", 0},
        {"seconds", 0, "S", "minimum timed seconds per figure (default 5)", 0},
        {"batch", 0, "N", "the large batch size (default 32)", 0},
        {0},
    };
    CliCommand cmd = {.name = "bench",
                      .summary = "Measure sgemm, decoding and training speed on this machine.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    long seconds, batch;
    if (cli_int(&cmd, "seconds", 1, 3600, 5, &seconds) || cli_int(&cmd, "batch", 1, 1024, 32, &batch))
        return 2;
    const char *only = cli_value(&cmd, "config"), *model = cli_value(&cmd, "model");
    if (only && model) {
        fprintf(stderr, "vnca bench: give --config or --model, not both\n");
        return 2;
    }
    if (model) only = model;
    const char *names[2] = {only ? only : "paper", only ? NULL : "tiny"};
    VncaConfig cfgs[2];
    for (int i = 0; i < 2 && names[i]; i++)
        if (config_of(names[i], model != NULL, &cfgs[i])) return 1;
    double sgemm = vnca_bench_sgemm(2048, (double)seconds);
    printf("sgemm 2048^3: %.1f GFLOP/s\n", sgemm);
    for (int i = 0; i < 2 && names[i]; i++)
        if (bench_config(names[i], &cfgs[i], sgemm, (double)seconds, (int)batch)) return 1;
    return 0;
}
