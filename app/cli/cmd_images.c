/* vnca sample, vnca reconstruct: pictures of what a model does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "grid.h"
#include "growth_gif.h"
#include "image_io.h"
#include "vnca/data.h"

static int save_grid(const char *cmd, const char *path, const float *images, int n, int size,
                     int cols)
{
    int w, h;
    VncaError err;
    float *grid = image_grid(images, n, size, cols, DIGIT_GRID_GAP, DIGIT_GRID_BACKGROUND, &w, &h);
    int rc = !grid ? vnca_fail(&err, "%s: out of memory", path)
                   : image_save_png(path, grid, w, h, 1, &err);
    free(grid);
    if (rc) fprintf(stderr, "vnca %s: %s\n", cmd, err.msg);
    else printf("wrote %s (%dx%d)\n", path, w, h);
    return rc;
}

int cmd_sample(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"count", 'n', "N", "digits to sample (default 64)", 0},
        {"seed", 0, "S", "seed of the latents (default 1)", 0},
        {"output", 'o', "FILE", "grid of Bernoulli means (.png)", 0},
        GROWTH_GIF_CLI_OPTIONS,
        {0},
    };
    CliCommand cmd = {.name = "sample",
                      .summary = "Draw digits from the prior and decode them into a PNG grid "
                                 "(--output), or a GIF of their growth (--gif), or both.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *out = cli_value(&cmd, "output");
    GrowthGifOptions gif;
    long n, seed;
    if (!model_path || growth_gif_options(&cmd, &gif) || cli_int(&cmd, "count", 1, 10000, 64, &n) ||
        cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &seed))
        return 2;
    if (!out && !gif.path) {
        fprintf(stderr, "vnca sample: missing --output (or --gif)\n");
        return 2;
    }
    VncaModel m;
    VncaError err;
    if (load_model_or_report("sample", model_path, &m)) return 1;
    const int size = m.config.image_size, zdim = m.config.latent;
    /* with a GIF the digits come from its growth: latents, no workspace */
    VncaWorkspace *ws =
        gif.path ? NULL : vnca_workspace_new(&m.config, n < 32 ? (int)n : 32, VNCA_WS_INFER, &err);
    float *probs = malloc((size_t)n * size * size * sizeof(float));
    float *z = gif.path ? malloc((size_t)n * zdim * sizeof(float)) : NULL;
    int status = 1;
    if (!gif.path && !ws) {
        fprintf(stderr, "vnca sample: %s\n", err.msg);
        goto done;
    }
    if (!probs || (gif.path && !z)) {
        fprintf(stderr, "vnca sample: out of memory\n");
        goto done;
    }
    VncaRng rng;
    vnca_rng_seed(&rng, (uint64_t)seed);
    if (gif.path) { /* the growth, and the grown digits for the PNG from it */
        /* vnca_sample's latents: its batches draw an even count of normals
         * each, so one draw of them all from the same seed is the same */
        vnca_rng_normal_fill(&rng, z, (size_t)n * zdim);
        if (growth_gif_write(&gif, &m, z, (size_t)n, probs, &err)) {
            fprintf(stderr, "vnca sample: %s\n", err.msg);
            goto done;
        }
        printf("wrote %s (%d frames)\n", gif.path, vnca_total_steps(&m.config) + 1);
    } else {
        vnca_sample(&m, ws, (int)n, &rng, probs);
    }
    if (out && save_grid("sample", out, probs, (int)n, size, image_grid_columns((int)n))) goto done;
    status = 0;
done:
    free(z);
    free(probs);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
    return status;
}

int cmd_reconstruct(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"data", 0, "DIR", "MNIST directory with binarized_mnist/", 0},
        {"count", 'n', "N", "test digits, spread over the test set (default 32)", 0},
        {"output", 'o', "FILE", "PNG: rows of test digits, each above its reconstruction", 0},
        {0},
    };
    CliCommand cmd = {.name = "reconstruct",
                      .summary = "Test digits beside their reconstructions, as a PNG grid.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *dir = cli_required(&cmd, "data");
    const char *out = cli_required(&cmd, "output");
    long n;
    if (!model_path || !dir || !out || cli_int(&cmd, "count", 1, 10000, 32, &n)) return 2;
    VncaModel m;
    VncaImages test;
    VncaError err;
    if (load_model_and_test_set("reconstruct", model_path, dir, &m, &test)) return 1;
    const int size = test.size, cols = n < 8 ? (int)n : 8, rows = (int)((n + cols - 1) / cols);
    const size_t pixels = (size_t)size * size;
    VncaWorkspace *ws = vnca_workspace_new(&m.config, n < 32 ? (int)n : 32, VNCA_WS_INFER, &err);
    float *x = malloc((size_t)n * pixels * sizeof(float));
    float *probs = malloc((size_t)n * pixels * sizeof(float));
    float *tiles = calloc((size_t)2 * rows * cols * pixels, sizeof(float));
    int status = 1;
    if (!ws || !x || !probs || !tiles) {
        fprintf(stderr, "vnca reconstruct: %s\n", ws ? "out of memory" : err.msg);
        goto done;
    }
    for (long i = 0; i < n; i++) memcpy(x + i * pixels, spread_digit(&test, i, n), pixels * sizeof(float));
    vnca_reconstruct(&m, ws, x, (int)n, probs);
    for (long i = 0; i < n; i++) {
        const long row = i / cols, col = i % cols;
        memcpy(tiles + ((2 * row) * cols + col) * pixels, x + i * pixels, pixels * sizeof(float));
        memcpy(tiles + ((2 * row + 1) * cols + col) * pixels, probs + i * pixels,
               pixels * sizeof(float));
    }
    status = save_grid("reconstruct", out, tiles, 2 * rows * cols, size, cols) ? 1 : 0;
done:
    free(x);
    free(probs);
    free(tiles);
    vnca_workspace_free(ws);
    vnca_images_free(&test);
    vnca_model_free(&m);
    return status;
}
