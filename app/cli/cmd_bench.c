/* vnca bench: this machine's FMA peak and sgemm rate, then decoding and
 * training speed of configurations, as a share of each. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "vnca/bench.h"
#include "vnca/inpaint.h"

static const char bench_details[] =
    "output, one figure a line (a script may find each by its start):\n"
    "  FMA peak ISA BITS-bit, N threads: G GFLOP/s\n"
    "      the physical limit: multiply-adds in registers on every thread, at the\n"
    "      widest vector width this CPU runs (VNCA_ISA=avx512|avx2|portable picks one)\n"
    "  sgemm 2048^3: G GFLOP/s (P% of FMA peak)\n"
    "  NAME: G GFLOP decode, G GFLOP train step per image\n"
    "    decode  batch N  T ms/image  R images/s  G GFLOP/s (P% of FMA peak, Q% of sgemm)\n"
    "      at batch 1, at the inpainting's sample count (64) and at --batch\n"
    "    train   batch N  (the same figures) at --batch: ELBO forward and backward,\n"
    "      without the optimizer step\n"
    "FLOPs count 2 per multiply-add; OMP_NUM_THREADS sets the threads of every figure.\n";

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

/* the rates a figure is measured against */
typedef struct Limits {
    double fma_peak, sgemm;
} Limits;

static void print_figure(const char *what, int batch, const VncaBenchFigure *f, const Limits *lim)
{
    printf("  %-7s batch %-3d %9.2f ms/image %8.2f images/s %7.1f GFLOP/s "
           "(%3.0f%% of FMA peak, %3.0f%% of sgemm)\n",
           what, batch, f->ms_per_image, f->images_per_s, f->gflops, 100 * f->gflops / lim->fma_peak,
           100 * f->gflops / lim->sgemm);
    fflush(stdout);
}

static int bench_config(const char *name, const VncaConfig *c, const Limits *lim, double seconds,
                        int batch_big)
{
    const VncaConfig cfg = *c;
    VncaError err;
    printf("\n%s: %.2f GFLOP decode, %.2f GFLOP train step per image\n", name,
           2e-9 * vnca_decoder_macs(&cfg),
           6e-9 * (vnca_encoder_macs(&cfg) + vnca_decoder_macs(&cfg)));
    /* one image, the inpainting's samples and the large batch, ascending */
    VncaInpaintOptions inpaint;
    vnca_inpaint_defaults(&inpaint);
    const int samples = inpaint.samples;
    const int batches[3] = {1, samples < batch_big ? samples : batch_big,
                            samples < batch_big ? batch_big : samples};
    VncaBenchFigure f;
    for (int i = 0; i < 3; i++) {
        if (i > 0 && batches[i] == batches[i - 1]) continue;
        if (vnca_bench_decode(&cfg, batches[i], seconds, &f, &err)) goto fail;
        print_figure("decode", batches[i], &f, lim);
    }
    if (vnca_bench_train(&cfg, batch_big, seconds, &f, &err)) goto fail;
    print_figure("train", batch_big, &f, lim);
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
                      .summary = "Measure the FMA peak, sgemm, decoding and training speed on this machine.",
                      .options = options,
                      .details = bench_details};
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
    VncaFmaPeak peak;
    VncaError err;
    if (vnca_bench_fma_peak((double)seconds, &peak, &err)) {
        fprintf(stderr, "vnca bench: %s\n", err.msg);
        return 1;
    }
    printf("FMA peak %s %d-bit, %d threads: %.1f GFLOP/s\n", peak.isa, peak.vector_bits,
           peak.threads, peak.gflops);
    fflush(stdout);
    const Limits lim = {peak.gflops, vnca_bench_sgemm(2048, (double)seconds)};
    printf("sgemm 2048^3: %.1f GFLOP/s (%.0f%% of FMA peak)\n", lim.sgemm,
           100 * lim.sgemm / lim.fma_peak);
    for (int i = 0; i < 2 && names[i]; i++)
        if (bench_config(names[i], &cfgs[i], &lim, (double)seconds, (int)batch)) return 1;
    return 0;
}
