/* vnca encode, vnca decode: the model's two halves over .npy arrays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "growth_gif.h"
#include "vnca/npy.h"

enum { BATCH = 32 };

static int report(const char *cmd, const VncaError *err)
{
    fprintf(stderr, "vnca %s: %s\n", cmd, err->msg);
    return 1;
}

/* Accepts [N, S, S] or [N, 1, S, S] images with values in [0, 1]. */
static int check_images(const char *path, const VncaArray *x, int size, size_t *n)
{
    const size_t *s = x->shape;
    int ok = (x->ndim == 3 && s[1] == (size_t)size && s[2] == (size_t)size) ||
             (x->ndim == 4 && s[1] == 1 && s[2] == (size_t)size && s[3] == (size_t)size);
    if (!ok || s[0] == 0) {
        fprintf(stderr, "vnca encode: %s: expected images of shape [N, %d, %d], got %d dims\n",
                path, size, size, x->ndim);
        return -1;
    }
    for (size_t i = 0; i < x->numel; i++) {
        if (!(x->data[i] >= 0.0f && x->data[i] <= 1.0f)) {
            fprintf(stderr, "vnca encode: %s: value %g at index %zu is outside [0, 1]\n", path,
                    (double)x->data[i], i);
            return -1;
        }
    }
    *n = s[0];
    return 0;
}

int cmd_encode(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"x", 0, "FILE", "images [N, 32, 32] float32 in [0, 1] (.npy)", 0},
        {"output", 'o', "FILE", "q(z|x) as [N, 2Z]: means, then log-sigmas (.npy)", 0},
        {0},
    };
    CliCommand cmd = {.name = "encode",
                      .summary = "Encode images into the parameters of q(z|x).",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *x_path = cli_required(&cmd, "x");
    const char *out = cli_required(&cmd, "output");
    if (!model_path || !x_path || !out) return 2;

    VncaModel m;
    VncaArray x = {0};
    VncaError err;
    size_t n;
    if (load_model_or_report("encode", model_path, &m)) return 1;
    int status = 1;
    float *q = NULL;
    VncaWorkspace *ws = NULL;
    const int z = m.config.latent;
    if (vnca_npy_read(x_path, &x, &err)) {
        report("encode", &err);
        goto done;
    }
    if (check_images(x_path, &x, m.config.image_size, &n)) goto done;
    ws = vnca_workspace_new(&m.config, n < BATCH ? (int)n : BATCH, VNCA_WS_INFER, &err);
    q = malloc(n * 2 * z * sizeof(float));
    float *mu = malloc((size_t)BATCH * z * sizeof(float));
    float *logsig = malloc((size_t)BATCH * z * sizeof(float));
    if (!ws || !q || !mu || !logsig) {
        if (ws) vnca_fail(&err, "out of memory for %zu images", n);
        report("encode", &err);
    } else {
        const size_t pixels = (size_t)m.config.image_size * m.config.image_size;
        for (size_t i0 = 0; i0 < n; i0 += BATCH) {
            int b = (int)(n - i0 < BATCH ? n - i0 : BATCH);
            vnca_encode(&m, ws, x.data + i0 * pixels, b, mu, logsig);
            for (int i = 0; i < b; i++)
                for (int j = 0; j < z; j++) {
                    q[(i0 + i) * 2 * z + j] = mu[i * z + j];
                    q[(i0 + i) * 2 * z + z + j] = logsig[i * z + j];
                }
        }
        size_t shape[2] = {n, 2 * (size_t)z};
        if (vnca_npy_write(out, q, 2, shape, &err)) report("encode", &err);
        else status = 0;
    }
    free(mu);
    free(logsig);
done:
    free(q);
    vnca_workspace_free(ws);
    vnca_array_free(&x);
    vnca_model_free(&m);
    return status;
}

int cmd_decode(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"z", 0, "FILE", "latents [N, Z] float32 (.npy)", 0},
        {"output", 'o', "FILE", "final logits [N, 32, 32] (.npy)", 0},
        {"all-steps", 0, "FILE", "also write channel 0 after every step, [N, T+1, 32, 32] "
                                 "(step 0 is the seed; small grids shown as blocks)", 0},
        GROWTH_GIF_CLI_OPTIONS,
        {0},
    };
    CliCommand cmd = {.name = "decode",
                      .summary = "Grow images from latents with the NCA decoder.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *z_path = cli_required(&cmd, "z");
    const char *out = cli_value(&cmd, "output"), *steps_path = cli_value(&cmd, "all-steps");
    GrowthGifOptions gif;
    if (!model_path || !z_path || growth_gif_options(&cmd, &gif)) return 2;
    if (!out && !gif.path) {
        fprintf(stderr, "vnca decode: missing --output (or --gif)\n");
        return 2;
    }

    VncaModel m;
    VncaArray z = {0};
    VncaError err;
    if (load_model_or_report("decode", model_path, &m)) return 1;
    const int zdim = m.config.latent, size = m.config.image_size;
    const size_t pixels = (size_t)size * size;
    const int frames = vnca_total_steps(&m.config) + 1;
    int status = 1;
    float *logits = NULL, *steps = NULL, *frame = NULL;
    VncaGrowth g = {0};
    GrowthGif growth_frames = {0};
    if (vnca_npy_read(z_path, &z, &err)) {
        report("decode", &err);
        goto done;
    }
    if (z.ndim != 2 || z.shape[1] != (size_t)zdim || z.shape[0] == 0) {
        fprintf(stderr, "vnca decode: %s: expected latents of shape [N, %d]\n", z_path, zdim);
        goto done;
    }
    const size_t n = z.shape[0];
    if (gif.path && growth_gif_begin(&growth_frames, &gif, &m.config, n, &err)) {
        report("decode", &err);
        goto done;
    }
    logits = malloc(n * pixels * sizeof(float));
    if (steps_path) steps = malloc(n * frames * pixels * sizeof(float));
    frame = malloc((n < BATCH ? n : BATCH) * pixels * sizeof(float));
    if (!logits || !frame || (steps_path && !steps) ||
        vnca_growth_init(&g, &m, n < BATCH ? (int)n : BATCH, &err)) {
        if (!g.state) vnca_fail(&err, "out of memory for %zu images", n);
        report("decode", &err);
        goto done;
    }
    for (size_t i0 = 0; i0 < n; i0 += (size_t)g.n) {
        /* the last batch may be partial: decode only what is left */
        int b = (int)(n - i0 < (size_t)g.n ? n - i0 : (size_t)g.n);
        g.n = b;
        vnca_growth_seed(&g, z.data + i0 * zdim);
        for (int t = 0; t < frames; t++) {
            if (t > 0) vnca_growth_step(&g);
            if (steps) {
                vnca_growth_channel_full(&g, 0, frame);
                for (int i = 0; i < b; i++)
                    memcpy(steps + ((i0 + i) * frames + t) * pixels, frame + i * pixels,
                           pixels * sizeof(float));
            }
            if (gif.path) {
                vnca_growth_probs_full(&g, frame);
                growth_gif_place(&growth_frames, t, (int)i0, frame, b);
            }
        }
        vnca_growth_channel_full(&g, 0, logits + i0 * pixels);
    }
    size_t shape[4] = {n, (size_t)size, (size_t)size, 0};
    size_t steps_shape[4] = {n, (size_t)frames, (size_t)size, (size_t)size};
    if ((out && vnca_npy_write(out, logits, 3, shape, &err)) ||
        (steps && vnca_npy_write(steps_path, steps, 4, steps_shape, &err)) ||
        (gif.path && growth_gif_end(&growth_frames, &err)))
        report("decode", &err);
    else
        status = 0;
done:
    free(growth_frames.pictures);
    free(logits);
    free(steps);
    free(frame);
    vnca_growth_free(&g);
    vnca_array_free(&z);
    vnca_model_free(&m);
    return status;
}
