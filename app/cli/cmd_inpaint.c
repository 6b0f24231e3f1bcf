/* vnca inpaint, vnca eval-inpaint: filling in unknown pixels, and measuring
 * how well it is done against naive encode-decode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "vnca/bench.h"
#include "grid.h"
#include "image_io.h"
#include "vnca/data.h"
#include "vnca/digit.h"
#include "vnca/inpaint.h"
#include "vnca/npy.h"

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* An S x S picture from .npy ([S, S] or [1, S, S]) or an image file; an
 * image of another size is first made MNIST-like when `as_digit`. */
static int load_picture(const char *path, int size, int as_digit, float *out, VncaError *err)
{
    const size_t pixels = (size_t)size * size;
    if (has_suffix(path, ".npy")) {
        VncaArray a;
        if (vnca_npy_read(path, &a, err)) return -1;
        int ok = a.numel == pixels && (a.ndim == 2 || (a.ndim == 3 && a.shape[0] == 1));
        if (ok) memcpy(out, a.data, pixels * sizeof(float));
        vnca_array_free(&a);
        return ok ? 0 : vnca_fail(err, "%s: expected an array of shape [%d, %d]", path, size, size);
    }
    float *gray;
    int w, h;
    if (image_load_gray(path, &gray, &w, &h, err)) return -1;
    int rc = 0;
    if (w == size && h == size) memcpy(out, gray, pixels * sizeof(float));
    else if (!as_digit) rc = vnca_fail(err, "%s: is %dx%d, expected %dx%d", path, w, h, size, size);
    else if (vnca_digit_from_gray(gray, w, h, size, out, err)) rc = -1;
    free(gray);
    return rc;
}

int cmd_inpaint(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"image", 0, "FILE", "the digit (.png, .jpg or .npy [32, 32]; other sizes are made MNIST-like)", 0},
        {"mask", 0, "FILE", "the unknown pixels: white (> 0.5) in a 32x32 .png, or .npy", 0},
        {"output", 'o', "FILE", "the inpainted digit (.png): kept pixels, the rest filled in", 0},
        {"probs", 0, "FILE", "also the posterior mean probabilities [32, 32] (.npy)", 0},
        {"samples", 0, "K", "importance samples (default 64)", 0},
        {"refine", 0, "N", "gradient-ascent steps on the best samples (default 0)", 0},
        {"seed", 0, "S", "seed (default 1)", 0},
        {0},
    };
    CliCommand cmd = {.name = "inpaint",
                      .summary = "Fill in the masked pixels of a digit from p(z | kept pixels).",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *image = cli_required(&cmd, "image");
    const char *mask_path = cli_required(&cmd, "mask"), *out = cli_required(&cmd, "output");
    const char *probs_path = cli_value(&cmd, "probs");
    long samples, refine, seed;
    if (!model_path || !image || !mask_path || !out ||
        cli_int(&cmd, "samples", 1, 100000, 64, &samples) ||
        cli_int(&cmd, "refine", 0, 100000, 0, &refine) || cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &seed))
        return 2;
    VncaModel m;
    VncaError err;
    if (load_model_or_report("inpaint", model_path, &m)) return 1;
    const int size = m.config.image_size, pixels = size * size;
    int status = 1;
    float *x = malloc((size_t)pixels * sizeof(float)), *mask = malloc((size_t)pixels * sizeof(float));
    float *filled = malloc((size_t)pixels * sizeof(float));
    uint8_t *unknown = malloc((size_t)pixels);
    VncaWorkspace *ws = vnca_workspace_new(&m.config, 32, VNCA_WS_INFER, &err);
    VncaInpaintResult r = {0};
    if (!x || !mask || !filled || !unknown || !ws) {
        fprintf(stderr, "vnca inpaint: %s\n", ws ? "out of memory" : err.msg);
        goto done;
    }
    if (load_picture(image, size, 1, x, &err) || load_picture(mask_path, size, 0, mask, &err)) {
        fprintf(stderr, "vnca inpaint: %s\n", err.msg);
        goto done;
    }
    for (int j = 0; j < pixels; j++) unknown[j] = mask[j] > 0.5f;
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.samples = (int)samples;
    opt.refine_steps = (int)refine;
    opt.seed = (uint64_t)seed;
    if (vnca_inpaint(&m, ws, x, unknown, &opt, &r, &err)) {
        fprintf(stderr, "vnca inpaint: %s\n", err.msg);
        goto done;
    }
    for (int j = 0; j < pixels; j++) filled[j] = unknown[j] ? r.prob[j] : x[j];
    size_t shape[2] = {(size_t)size, (size_t)size};
    if (image_save_png(out, filled, size, size, 1, &err) ||
        (probs_path && vnca_npy_write(probs_path, r.prob, 2, shape, &err))) {
        fprintf(stderr, "vnca inpaint: %s\n", err.msg);
        goto done;
    }
    int hidden = 0;
    for (int j = 0; j < pixels; j++) hidden += unknown[j];
    printf("wrote %s: %d unknown pixels, %d samples, effective sample size %.1f\n", out, hidden,
           r.k, r.ess);
    status = 0;
done:
    vnca_inpaint_free(&r);
    vnca_workspace_free(ws);
    free(x);
    free(mask);
    free(filled);
    free(unknown);
    vnca_model_free(&m);
    return status;
}

/* kept pixels from x, the unknown ones from prob (or mid-gray when NULL) */
static void composite(float *out, const float *x, const float *prob, const uint8_t *unknown,
                      int pixels)
{
    for (int j = 0; j < pixels; j++) out[j] = unknown[j] ? (prob ? prob[j] : 0.5f) : x[j];
}

typedef struct MethodScore {
    double nll, accuracy, seconds;
} MethodScore;

enum { EXAMPLES = 8 };

int cmd_eval_inpaint(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"data", 0, "DIR", "MNIST directory with binarized_mnist/", 0},
        {"count", 'n', "N", "test digits, spread over the test set (default 1000)", 0},
        {"mask", 0, "KIND", "square14, left-half, top-half or strokes (default square14)", 0},
        {"samples", 0, "K", "importance samples (default 64)", 0},
        {"refine", 0, "N", "gradient-ascent steps on the best samples (default 0)", 0},
        {"seed", 0, "S", "seed (default 1)", 0},
        {"output", 'o', "FILE", "example grid (.png): original / defaced / naive / conditional", 0},
        {0},
    };
    CliCommand cmd = {.name = "eval-inpaint",
                      .summary = "Inpainting quality on test digits: naive vs conditional.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *dir = cli_required(&cmd, "data");
    const char *mask_name = cli_value(&cmd, "mask") ? cli_value(&cmd, "mask") : "square14";
    const char *grid_path = cli_value(&cmd, "output");
    long n, samples, refine, seed;
    VncaMaskKind kind;
    if (!model_path || !dir || cli_int(&cmd, "count", 1, 10000, 1000, &n) ||
        cli_int(&cmd, "samples", 1, 100000, 64, &samples) ||
        cli_int(&cmd, "refine", 0, 100000, 0, &refine) || cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &seed))
        return 2;
    if (vnca_mask_parse(mask_name, &kind)) {
        fprintf(stderr, "vnca eval-inpaint: unknown mask '%s' (square14, left-half, top-half, strokes)\n",
                mask_name);
        return 2;
    }
    VncaModel m;
    VncaImages test;
    VncaError err;
    if (load_model_and_test_set("eval-inpaint", model_path, dir, &m, &test)) return 1;
    const int size = test.size, pixels = size * size;
    int status = 1;
    VncaWorkspace *ws = vnca_workspace_new(&m.config, 32, VNCA_WS_INFER, &err);
    float *defaced = malloc((size_t)pixels * sizeof(float));
    float *naive = malloc((size_t)pixels * sizeof(float));
    float *tiles = calloc((size_t)4 * EXAMPLES * pixels, sizeof(float));
    uint8_t *unknown = malloc((size_t)pixels);
    if (!ws || !defaced || !naive || !tiles || !unknown) {
        fprintf(stderr, "vnca eval-inpaint: %s\n", ws ? "out of memory" : err.msg);
        goto done;
    }
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.samples = (int)samples;
    opt.refine_steps = (int)refine;
    VncaRng mask_rng;
    vnca_rng_seed(&mask_rng, (uint64_t)seed);
    MethodScore score[2] = {{0}};
    const int examples = n < EXAMPLES ? (int)n : EXAMPLES;
    for (long i = 0; i < n; i++) {
        const float *x = spread_digit(&test, i, n);
        vnca_mask_make(kind, size, &mask_rng, unknown);
        for (int j = 0; j < pixels; j++) defaced[j] = unknown[j] ? 0.0f : x[j];
        double t0 = vnca_seconds(), nll, acc;
        vnca_reconstruct(&m, ws, defaced, 1, naive);
        double t1 = vnca_seconds();
        VncaInpaintResult r;
        opt.seed = (uint64_t)seed + (uint64_t)i;
        if (vnca_inpaint(&m, ws, x, unknown, &opt, &r, &err)) {
            fprintf(stderr, "vnca eval-inpaint: %s\n", err.msg);
            goto done;
        }
        double t2 = vnca_seconds();
        vnca_inpaint_score(x, naive, unknown, pixels, &nll, &acc);
        score[0].nll += nll / n;
        score[0].accuracy += acc / n;
        score[0].seconds += (t1 - t0) / n;
        vnca_inpaint_score(x, r.prob, unknown, pixels, &nll, &acc);
        score[1].nll += nll / n;
        score[1].accuracy += acc / n;
        score[1].seconds += (t2 - t1) / n;
        if (i % (n / examples) == 0 && i / (n / examples) < examples) {
            /* examples spread over the classes, one column each: original,
             * defaced, naive, conditional */
            const size_t col = (size_t)(i / (n / examples));
            memcpy(tiles + (0 * EXAMPLES + col) * pixels, x, (size_t)pixels * sizeof(float));
            composite(tiles + (1 * EXAMPLES + col) * pixels, x, NULL, unknown, pixels);
            composite(tiles + (2 * EXAMPLES + col) * pixels, x, naive, unknown, pixels);
            composite(tiles + (3 * EXAMPLES + col) * pixels, x, r.prob, unknown, pixels);
        }
        vnca_inpaint_free(&r);
    }
    printf("model %s, mask %s, %ld test digits, %ld samples, %ld refinement steps\n", model_path,
           mask_name, n, samples, refine);
    printf("%-12s %14s %10s %10s\n", "method", "NLL nats/px", "accuracy", "s/digit");
    printf("%-12s %14.4f %10.4f %10.4f\n", "naive", score[0].nll, score[0].accuracy, score[0].seconds);
    printf("%-12s %14.4f %10.4f %10.4f\n", "conditional", score[1].nll, score[1].accuracy,
           score[1].seconds);
    printf("masked NLL %.1f%% below naive\n", 100.0 * (1.0 - score[1].nll / score[0].nll));
    if (grid_path) {
        int w, h;
        float *grid = image_grid(tiles, 4 * EXAMPLES, size, EXAMPLES, 2, 0.25f, &w, &h);
        if (!grid || image_save_png(grid_path, grid, w, h, 1, &err)) {
            fprintf(stderr, "vnca eval-inpaint: %s\n", grid ? err.msg : "out of memory");
            free(grid);
            goto done;
        }
        free(grid);
    }
    status = 0;
done:
    free(defaced);
    free(naive);
    free(tiles);
    free(unknown);
    vnca_workspace_free(ws);
    vnca_images_free(&test);
    vnca_model_free(&m);
    return status;
}
