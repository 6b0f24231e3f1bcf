/* The growth of digits as animated GIFs: `vnca sample --gif` and
 * `vnca decode --gif` read back with giflib. argv[1]: the vnca executable.
 *
 * A GIF holds the seed's frame (the first stage's grid, each cell a block)
 * and one frame per update: vnca_total_steps + 1 frames. */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "gif_frames.h"
#include "image_io.h"
#include "run_command.h"
#include "vnca/npy.h"
#include "vnca/rng.h"
#include "vnca/vnca.h"

enum { GAP = 2 };   /* between the digits of a grid, as in the PNGs */

static const char *vnca_exe;
static char *dir;
static char model_path[4096];
static VncaModel model;

static char *in_dir(char *buf, const char *name)
{
    snprintf(buf, 4096, "%s/%s", dir, name);
    return buf;
}

#define RUN(result, ...)                                                          \
    do {                                                                          \
        char *argv_[] = {(char *)vnca_exe, __VA_ARGS__, NULL};                    \
        run_command(result, dir, argv_);                                          \
        if ((result)->status) fprintf(stderr, "%s", (result)->err);               \
    } while (0)

static void read_gif(const char *name, GifFrames *g)
{
    char path[4096], err[4608];
    if (gif_frames_read(in_dir(path, name), g, err, sizeof err)) fail_msg("%s", err);
}

/* frames, size, looping and timing of n digits in cols columns */
static void assert_animation(const GifFrames *g, int n, int cols, int scale, int delay_cs)
{
    const int size = model.config.image_size, rows = (n + cols - 1) / cols;
    assert_int_equal(g->n, vnca_total_steps(&model.config) + 1);
    assert_int_equal(g->w, (cols * (size + GAP) + GAP) * scale);
    assert_int_equal(g->h, (rows * (size + GAP) + GAP) * scale);
    assert_true(g->loops_forever);
    for (int f = 0; f < g->n; f++) assert_int_equal(g->delay_cs[f], delay_cs);
}

/* digit k's pixel (x, y) in frame f, as a probability */
static float digit_pixel(const GifFrames *g, int f, int k, int cols, int scale, int x, int y)
{
    const int size = model.config.image_size;
    const int left = GAP + k % cols * (size + GAP), top = GAP + k / cols * (size + GAP);
    return gif_pixel(g, f, (left + x) * scale, (top + y) * scale) / 255.0f;
}

/* The seed's frame shows the first grid's cells as blocks; the digits then
 * change as they grow, and the last frame is the decoded digit (probs
 * [n, S, S]), to within a gray level. */
static void assert_growth(const GifFrames *g, int n, int cols, int scale, const float *probs)
{
    const int size = model.config.image_size, block = size / model.config.stage_grid[0];
    for (int f = 1; f < g->n; f++)
        assert_memory_not_equal(g->gray + (size_t)(f - 1) * g->w * g->h, g->gray + (size_t)f * g->w * g->h,
                                (size_t)g->w * g->h);
    for (int k = 0; k < n; k++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                assert_float_equal(digit_pixel(g, 0, k, cols, scale, x, y),
                                   digit_pixel(g, 0, k, cols, scale, x / block * block, y / block * block), 0);
                assert_float_equal(digit_pixel(g, g->n - 1, k, cols, scale, x, y),
                                   probs[((size_t)k * size + y) * size + x], 1.0 / 255 + 1e-3);
            }
    /* and each pixel is a scale x scale block */
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++)
            assert_int_equal(gif_pixel(g, g->n - 1, x, y), gif_pixel(g, g->n - 1, x / scale * scale, y / scale * scale));
}

static void test_sample_gif(void **state)
{
    (void)state;
    char png[4096], gif_path[4096];
    CommandResult r;
    RUN(&r, "sample", "--model", model_path, "-n", "6", "--seed", "5", "-o", in_dir(png, "s.png"),
        "--gif", in_dir(gif_path, "s.gif"), "--gif-scale", "3", "--gif-delay", "7");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, gif_path));
    GifFrames g;
    read_gif("s.gif", &g);
    assert_animation(&g, 6, 3, 3, 7);
    /* the last frame is the PNG's grid: the same digits */
    float *grid;
    int w, h;
    VncaError err;
    if (image_load_gray(png, &grid, &w, &h, &err)) fail_msg("%s", err.msg);
    assert_int_equal(w * 3, g.w);
    assert_int_equal(h * 3, g.h);
    const int size = model.config.image_size;
    float *probs = malloc(6 * (size_t)size * size * sizeof(float));
    for (int k = 0; k < 6; k++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                probs[((size_t)k * size + y) * size + x] =
                    grid[(size_t)(GAP + k / 3 * (size + GAP) + y) * w + GAP + k % 3 * (size + GAP) + x];
    assert_growth(&g, 6, 3, 3, probs);
    free(probs);
    gif_frames_free(&g);

    /* with the GIF, the PNG comes from its growth: the digits of -o alone */
    char plain[4096];
    RUN(&r, "sample", "--model", model_path, "-n", "6", "--seed", "5", "-o", in_dir(plain, "plain.png"));
    assert_int_equal(r.status, 0);
    float *alone;
    int w_alone, h_alone;
    if (image_load_gray(plain, &alone, &w_alone, &h_alone, &err)) fail_msg("%s", err.msg);
    assert_int_equal(w_alone, w);
    assert_int_equal(h_alone, h);
    for (int i = 0; i < w * h; i++) assert_float_equal(alone[i], grid[i], 1.0 / 255);
    free(alone);
    free(grid);

    /* without -o: only the GIF, the same one */
    RUN(&r, "sample", "--model", model_path, "-n", "6", "--seed", "5", "--gif", in_dir(gif_path, "only.gif"),
        "--gif-scale", "3", "--gif-delay", "7");
    assert_int_equal(r.status, 0);
    GifFrames only;
    read_gif("only.gif", &only);
    read_gif("s.gif", &g);
    assert_int_equal(only.n, g.n);
    assert_memory_equal(only.gray, g.gray, (size_t)g.n * g.w * g.h);
    gif_frames_free(&only);
    gif_frames_free(&g);
}

static void test_decode_gif(void **state)
{
    (void)state;
    enum { N = 2 };
    const int zdim = model.config.latent, size = model.config.image_size;
    float *z = malloc((size_t)N * zdim * sizeof(float));
    float *probs = malloc((size_t)N * size * size * sizeof(float));
    VncaRng rng;
    vnca_rng_seed(&rng, 11);
    vnca_rng_normal_fill(&rng, z, (size_t)N * zdim);
    char z_path[4096], gif_path[4096];
    size_t shape[2] = {N, (size_t)zdim};
    VncaError err;
    if (vnca_npy_write(in_dir(z_path, "z.npy"), z, 2, shape, &err)) fail_msg("%s", err.msg);
    VncaWorkspace *ws = vnca_workspace_new(&model.config, N, VNCA_WS_INFER, &err);
    assert_non_null(ws);
    vnca_decode(&model, ws, z, N, probs);
    for (size_t i = 0; i < (size_t)N * size * size; i++) probs[i] = 1.0f / (1.0f + expf(-probs[i]));

    CommandResult r;
    RUN(&r, "decode", "--model", model_path, "--z", z_path, "--gif", in_dir(gif_path, "d.gif"));
    assert_int_equal(r.status, 0);
    GifFrames g;
    read_gif("d.gif", &g);
    assert_animation(&g, N, 2, 4, 5); /* the defaults: scale 4, 5 cs */
    assert_growth(&g, N, 2, 4, probs);

    /* with the logits too (one growth makes both): the same GIF */
    char npy_path[4096];
    RUN(&r, "decode", "--model", model_path, "--z", z_path, "-o", in_dir(npy_path, "d.npy"),
        "--gif", in_dir(gif_path, "both.gif"));
    assert_int_equal(r.status, 0);
    GifFrames both;
    read_gif("both.gif", &both);
    assert_int_equal(both.n, g.n);
    assert_memory_equal(both.gray, g.gray, (size_t)g.n * g.w * g.h);
    gif_frames_free(&both);
    gif_frames_free(&g);
    vnca_workspace_free(ws);
    free(z);
    free(probs);
}

static int count_files(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

/* A GIF into a folder that does not exist: an error naming the path, and
 * nothing written anywhere. Bad options are refused before any work. */
static void test_gif_errors(void **state)
{
    (void)state;
    char missing[4096], missing_dir[4096];
    const int files_before = count_files(dir);
    CommandResult r;
    RUN(&r, "sample", "--model", model_path, "-n", "2", "--gif", in_dir(missing, "no-such-folder/s.gif"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, missing));
    assert_int_equal(access(in_dir(missing_dir, "no-such-folder"), F_OK), -1);
    /* nothing but run_command's captures (dot files, not counted) */
    assert_int_equal(count_files(dir), files_before);

    RUN(&r, "sample", "--model", model_path, "--gif", missing, "--gif-scale", "0");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--gif-scale"));
    RUN(&r, "sample", "--model", model_path);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--output"));

    /* an instruction set the CPU cannot run is refused, as without --gif */
    setenv("VNCA_ISA", "avx1024", 1);
    RUN(&r, "sample", "--model", model_path, "-n", "2", "--gif", in_dir(missing, "isa.gif"));
    unsetenv("VNCA_ISA");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "VNCA_ISA=avx1024"));
    assert_int_equal(access(missing, F_OK), -1);
}

/* A fresh model's cells do not change (its last layer starts at zero): this
 * one's add ink at every step, more in some cells than in others. */
static int setup(void **state)
{
    (void)state;
    dir = make_temp_dir();
    VncaConfig cfg;
    VncaError err;
    if (!dir || vnca_config_named("tiny", &cfg, &err) || vnca_model_alloc(&model, &cfg, &err)) return -1;
    vnca_model_init(&model, 3);
    VncaRng rng;
    vnca_rng_seed(&rng, 4);
    const size_t out_w_len = (size_t)cfg.latent * cfg.hidden;
    vnca_rng_normal_fill(&rng, model.w.out_w, out_w_len);
    for (size_t i = 0; i < out_w_len; i++) model.w.out_w[i] *= 0.05f;
    model.w.out_b[0] = 0.25f;
    if (vnca_model_save(&model, in_dir(model_path, "growing.safetensors"), &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vnca_model_free(&model);
    remove_temp_dir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_gif VNCA\n");
        return 2;
    }
    vnca_exe = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_gif),
        cmocka_unit_test(test_decode_gif),
        cmocka_unit_test(test_gif_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
