/* vnca-studio end to end, under a virtual X server (xvfb-run): scripts of
 * input actions, and assertions on the pictures the app saves.
 *
 * argv[1]: the vnca-studio executable; argv[2] and argv[3]: the shipped
 * model's and the shipped heal model's paths (their tests are skipped while
 * the file is absent). The whole test is skipped (exit 77) without xvfb-run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>

#include "gif_frames.h"
#include "image_io.h"
#include "run_command.h"
#include "vnca/vnca.h"

enum { SIZE = 32 };

static const char *studio_exe, *shipped_model, *shipped_heal_model;
static char xvfb_run[4096];
static char *dir;
static char ink_model[4096];

static const char *in_dir(char *buf, const char *name)
{
    snprintf(buf, 4096, "%s/%s", dir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Runs the studio on a script (text with %1$s standing for the temporary
 * folder) with the given model, in software rendering under xvfb-run, its
 * --stats on stdout. */
static void run_studio(CommandResult *r, const char *model, const char *script_text)
{
    char script_path[4096], script[8192];
    snprintf(script, sizeof script, script_text, dir);
    write_text(in_dir(script_path, "script.txt"), script);
    char *argv[] = {xvfb_run, "-a", "-s", "-screen 0 1024x700x24", (char *)studio_exe,
                    "--model", (char *)model, "--software", "--seed", "7", "--speed", "0",
                    "--size", "900x600", "--stats", "--script", script_path, NULL};
    run_command(r, dir, argv);
    if (r->status != 0) fprintf(stderr, "vnca-studio exited %d; stderr:\n%s\n", r->status, r->err);
}

/* the S x S canvas saved by the script's `save` */
static float *canvas(const char *name)
{
    char path[4096];
    float *pixels;
    int w, h;
    VncaError err;
    if (image_load_gray(in_dir(path, name), &pixels, &w, &h, &err)) fail_msg("%s", err.msg);
    assert_int_equal(w, SIZE);
    assert_int_equal(h, SIZE);
    return pixels;
}

/* the stroke the scripts erase with: left drag from (8, 16) to (24, 16),
 * brush radius 2.5 (the default) */
static int well_inside_stroke(int x, int y) { return x >= 9 && x <= 23 && y >= 15 && y <= 17; }
static int well_outside_stroke(int x, int y)
{
    const float cx = x + 0.5f < 8 ? 8 : x + 0.5f > 24 ? 24 : x + 0.5f;
    return hypotf(x + 0.5f - cx, y + 0.5f - 16.0f) > 3.5f;
}

static float region_max(const float *p, int (*in)(int, int))
{
    float m = 0.0f;
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++)
            if (in(x, y) && p[y * SIZE + x] > m) m = p[y * SIZE + x];
    return m;
}

static float region_min(const float *p, int (*in)(int, int))
{
    float m = 1.0f;
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++)
            if (in(x, y) && p[y * SIZE + x] < m) m = p[y * SIZE + x];
    return m;
}

static void assert_same_outside_stroke(const float *a, const float *b)
{
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++)
            if (well_outside_stroke(x, y)) assert_float_equal(a[y * SIZE + x], b[y * SIZE + x], 1e-6);
}

static void assert_same(const float *a, const float *b)
{
    assert_memory_equal(a, b, SIZE * SIZE * sizeof(float));
}

static const char *erase_regrow_undo_script =
    "wait-idle\n"
    "save %1$s/grown.png\n"
    "drag left 8 16 24 16\n"
    "save %1$s/erased.png\n"
    "key space\n"
    "wait-idle\n"
    "save %1$s/regrown.png\n"
    "key v\n"
    "save %1$s/raw.png\n"
    "key ctrl+z\n"
    "save %1$s/undone.png\n"
    "key ctrl+shift+z\n"
    "save %1$s/redone.png\n"
    "key c\n"
    "save %1$s/cleared.png\n"
    "quit\n";

/* A model whose every cell adds 1 to its pixel logit at every step: its
 * digits are all ink, so any regrowth must fill the erased pixels with ink. */
static void test_erase_then_regrow(void **state)
{
    (void)state;
    CommandResult r;
    run_studio(&r, ink_model, erase_regrow_undo_script);
    assert_int_equal(r.status, 0);
    float *grown = canvas("grown.png"), *erased = canvas("erased.png"), *regrown = canvas("regrown.png");
    float *raw = canvas("raw.png"), *undone = canvas("undone.png"), *redone = canvas("redone.png");
    float *cleared = canvas("cleared.png");

    assert_true(region_min(grown, well_inside_stroke) > 0.9f);
    /* erased: dark where the brush went, untouched elsewhere */
    assert_true(region_max(erased, well_inside_stroke) == 0.0f);
    assert_same_outside_stroke(grown, erased);
    /* regrown: ink again where it was erased, the kept pixels as they were */
    assert_true(region_min(regrown, well_inside_stroke) > 0.9f);
    assert_same_outside_stroke(erased, regrown);
    /* V: the decoder's own output, all ink */
    assert_true(region_min(raw, well_inside_stroke) > 0.9f);
    /* undo takes the stroke back, redo brings it again, C clears it */
    assert_same(undone, grown);
    assert_same(redone, erased);
    assert_same(cleared, grown);

    free(grown), free(erased), free(regrown), free(raw), free(undone), free(redone), free(cleared);
}

/* Heal mode: damaged cells are zeroed (pixel logit 0: gray), undo and redo
 * swap the cells, and the running automaton (this one adds ink at every
 * step) grows the damage back. */
static void test_heal_mode_regrows_damaged_cells(void **state)
{
    (void)state;
    CommandResult r;
    run_studio(&r, ink_model,
               "wait-idle\n"
               "key p\n"
               "key m\n"
               "wait-idle\n"
               "save %1$s/before.png\n"
               "drag left 8 16 24 16\n"
               "wait-idle\n"
               "save %1$s/damaged.png\n"
               "key ctrl+z\n"
               "wait-idle\n"
               "save %1$s/undone.png\n"
               "key ctrl+y\n"
               "wait-idle\n"
               "save %1$s/redone.png\n"
               "key p\n"
               "wait 300\n"
               "key p\n"
               "wait-idle\n"
               "save %1$s/healed.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    float *before = canvas("before.png"), *damaged = canvas("damaged.png");
    float *undone = canvas("undone.png"), *redone = canvas("redone.png"), *healed = canvas("healed.png");
    assert_float_equal(region_max(damaged, well_inside_stroke), 0.5f, 0.01f);
    assert_float_equal(region_min(damaged, well_inside_stroke), 0.5f, 0.01f);
    /* undo puts the cells back as they were before the stroke; redo damages them again */
    assert_same(undone, before);
    assert_same(redone, damaged);
    assert_true(region_min(healed, well_inside_stroke) > 0.9f);
    free(before), free(damaged), free(undone), free(redone), free(healed);
}

/* a shipped file the source tree may lack (a checkout without models/) */
static void skip_unless_present(const char *path)
{
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s is absent: skipped\n", path);
        skip();
    }
}

static int central_band(int x, int y) { return x >= 10 && x <= 21 && y >= 4 && y <= 27; }

/* The shipped model: a band down the digit's middle, erased, comes back
 * with ink in it. */
static void test_shipped_model_regrows_ink(void **state)
{
    (void)state;
    skip_unless_present(shipped_model);
    CommandResult r;
    run_studio(&r, shipped_model,
               "wait-idle\n"
               "save %1$s/grown.png\n"
               "wheel 7\n" /* radius 6 */
               "drag left 16 4 16 28\n"
               "save %1$s/erased.png\n"
               "key space\n"
               "wait-idle\n"
               "save %1$s/regrown.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    float *grown = canvas("grown.png"), *erased = canvas("erased.png"), *regrown = canvas("regrown.png");
    assert_true(region_max(grown, central_band) > 0.5f);
    assert_true(region_max(erased, central_band) == 0.0f);
    assert_true(region_max(regrown, central_band) > 0.5f);
    free(grown), free(erased), free(regrown);
}

static int outside_band(int x, int y) { return (void)y, x < 8 || x > 23; }

/* The strip of alternatives, scripted: `pick 3` regrows the band from
 * another latent than the best one, `key 1` from the best one again, and the
 * kept pixels stay as they were. */
static void test_pick_an_alternative(void **state)
{
    (void)state;
    skip_unless_present(shipped_model);
    CommandResult r;
    run_studio(&r, shipped_model,
               "wait-idle\n"
               "wheel 7\n"
               "drag left 16 4 16 28\n"
               "key space\n"
               "wait-idle\n"
               "save %1$s/best.png\n"
               "pick 3\n"
               "wait-idle\n"
               "save %1$s/third.png\n"
               "key 1\n"
               "wait-idle\n"
               "save %1$s/first.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    float *best = canvas("best.png"), *third = canvas("third.png"), *first = canvas("first.png");
    float most = 0.0f;
    for (int i = 0; i < SIZE * SIZE; i++) most = fmaxf(most, fabsf(best[i] - third[i]));
    assert_true(most > 0.1f);
    assert_same(first, best);
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++)
            if (outside_band(x, y)) assert_float_equal(best[y * SIZE + x], third[y * SIZE + x], 1e-6);
    free(best), free(third), free(first);

    run_studio(&r, shipped_model, "pick 9\n");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "script.txt:1: expected: pick K"));
}

static int whole_canvas(int x, int y) { return (void)x, (void)y, 1; }

/* L: the studio finds the heal model in the source tree and swaps it in for
 * the all-ink model; the new digit grown from the prior is not all ink. */
static void test_heal_model_key(void **state)
{
    (void)state;
    skip_unless_present(shipped_heal_model);
    CommandResult r;
    run_studio(&r, ink_model,
               "wait-idle\n"
               "save %1$s/ink.png\n"
               "key l\n"
               "wait-idle\n"
               "save %1$s/healer.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    float *ink = canvas("ink.png"), *healer = canvas("healer.png");
    assert_true(region_min(ink, whole_canvas) > 0.9f);
    assert_true(region_min(healer, whole_canvas) < 0.1f);
    assert_true(region_max(healer, whole_canvas) > 0.5f);
    free(ink), free(healer);
}

/* Draw mode's digits: a "1" drawn down the middle (x = 16, y 5 to 27) and
 * a "0" drawn as a loop around it. Growing a drawing makes it MNIST-like
 * (cropped, scaled to a 20-pixel box, centred), which moves these by a
 * pixel or two at most; the regions below allow for that. */
static int one_core(int x, int y) { return x >= 15 && x <= 16 && y >= 10 && y <= 22; }
static int far_from_one(int x, int y) { return (void)y, fabsf(x + 0.5f - 16.0f) > 5.0f; }
/* where the bar under the "1", drawn and then undone, would have gone */
static int under_one(int x, int y) { return y >= 22 && (x <= 12 || x >= 20); }
static int inside_zero(int x, int y) { return x >= 14 && x <= 17 && y >= 12 && y <= 19; }
static int zero_left(int x, int y) { return x >= 9 && x <= 12 && y >= 13 && y <= 18; }
static int zero_right(int x, int y) { return x >= 20 && x <= 23 && y >= 13 && y <= 18; }
static int outside_zero(int x, int y) { return x < 7 || x > 25 || y < 4 || y > 28; }

/* the share of a region's pixels that are ink (> 0.5) */
static float ink_share(const float *p, int (*in)(int, int))
{
    int n = 0, inked = 0;
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++)
            if (in(x, y)) n++, inked += p[y * SIZE + x] > 0.5f;
    return (float)inked / (float)n;
}

/* B and the Draw button: a blank canvas; the left button draws; Enter grows
 * the drawing's reconstruction, which has ink where the drawing has. */
static void test_draw_then_grow(void **state)
{
    (void)state;
    skip_unless_present(shipped_model);
    CommandResult r;
    run_studio(&r, shipped_model,
               "wait-idle\n"
               "key b\n"
               "drag left 16 5 16 27\n"
               "drag left 8 27 24 27\n"
               "key ctrl+z\n"
               "key return\n"
               "wait-idle\n"
               "save %1$s/one.png\n"
               "button draw\n"
               "drag left 16 5 10 9 9 16 10 23 16 27 22 23 23 16 22 9 16 5\n"
               "key return\n"
               "wait-idle\n"
               "save %1$s/zero.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    float *one = canvas("one.png"), *zero = canvas("zero.png");
    fprintf(stderr, "one: core %.2f, far %.3f, under %.2f; zero: inside %.2f, left %.2f, right %.2f, outside %.3f\n",
            ink_share(one, one_core), ink_share(one, far_from_one), ink_share(one, under_one),
            ink_share(zero, inside_zero), ink_share(zero, zero_left), ink_share(zero, zero_right),
            ink_share(zero, outside_zero));
    assert_true(ink_share(one, one_core) > 0.9f);
    assert_true(ink_share(one, far_from_one) < 0.01f);
    assert_true(region_max(one, under_one) < 0.5f);
    assert_true(ink_share(zero, inside_zero) < 0.1f);
    assert_true(ink_share(zero, zero_left) > 0.25f);
    assert_true(ink_share(zero, zero_right) > 0.25f);
    assert_true(ink_share(zero, outside_zero) < 0.01f);
    free(one), free(zero);
}

static float largest_difference(const float *a, const float *b)
{
    float most = 0.0f;
    for (int i = 0; i < SIZE * SIZE; i++) most = fmaxf(most, fabsf(a[i] - b[i]));
    return most;
}

/* A drawing grown offers 8 samples of its posterior: `pick 3` grows another
 * digit than the posterior mean, `key 1` the most probable sample, a "1" as
 * drawn, and `pick 8` proves the strip has 8. A picture dropped onto the
 * window offers its own: `pick 2` there grows another digit than its mean. */
static void test_draw_then_pick_posterior_samples(void **state)
{
    (void)state;
    skip_unless_present(shipped_model);
    CommandResult r;
    run_studio(&r, shipped_model,
               "wait-idle\n"
               "key b\n"
               "drag left 16 5 16 27\n"
               "key return\n"
               "wait-idle\n"
               "save %1$s/mean.png\n"
               "pick 3\n"
               "wait-idle\n"
               "save %1$s/third.png\n"
               "key 1\n"
               "wait-idle\n"
               "save %1$s/first.png\n"
               "pick 8\n"
               "wait-idle\n"
               "save %1$s/eighth.png\n"
               "drop %1$s/third.png\n"
               "wait-idle\n"
               "save %1$s/dropped.png\n"
               "pick 2\n"
               "wait-idle\n"
               "save %1$s/dropped-second.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    float *mean = canvas("mean.png"), *third = canvas("third.png"), *first = canvas("first.png"),
          *eighth = canvas("eighth.png"), *dropped = canvas("dropped.png"), *second = canvas("dropped-second.png");
    fprintf(stderr, "largest differences: third-mean %.2f, first-mean %.2f, first-third %.2f, eighth-first %.2f, "
            "eighth-third %.2f, dropped second-mean %.2f; first: core %.2f, far %.3f\n",
            largest_difference(third, mean), largest_difference(first, mean), largest_difference(first, third),
            largest_difference(eighth, first), largest_difference(eighth, third), largest_difference(second, dropped),
            ink_share(first, one_core), ink_share(first, far_from_one));
    assert_true(largest_difference(third, mean) > 0.1f);
    assert_true(largest_difference(first, mean) > 0.1f);
    assert_true(largest_difference(first, third) > 0.1f);
    assert_true(largest_difference(eighth, first) > 0.1f);
    assert_true(largest_difference(eighth, third) > 0.1f);
    assert_true(ink_share(first, one_core) > 0.9f);
    assert_true(ink_share(first, far_from_one) < 0.01f);
    assert_true(largest_difference(second, dropped) > 0.1f);
    free(mean), free(third), free(first), free(eighth), free(dropped), free(second);
}

/* the GIF saved by the script's `gif`, its frames checked against the tiny
 * model's schedule: the seed's frame, then one a step; 8 pixels a side per
 * image pixel; looping; at the pace of --speed 0 (2 hundredths a frame) */
static void read_growth_gif(const char *name, GifFrames *g)
{
    char path[4096], err[4608];
    VncaConfig tiny;
    if (gif_frames_read(in_dir(path, name), g, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(vnca_config_named("tiny", &tiny, NULL), 0);
    assert_int_equal(g->n, vnca_total_steps(&tiny) + 1);
    assert_int_equal(g->w, 8 * SIZE);
    assert_int_equal(g->h, 8 * SIZE);
    assert_true(g->loops_forever);
    for (int f = 0; f < g->n; f++) assert_int_equal(g->delay_cs[f], 2);
}

/* frame f of such a GIF at image size, as probabilities */
static float *gif_frame(const GifFrames *g, int f)
{
    float *p = malloc(SIZE * SIZE * sizeof(float));
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++) p[y * SIZE + x] = gif_pixel(g, f, 8 * x, 8 * y) / 255.0f;
    return p;
}

/* `gif` (as G): a new digit's growth, every step, ends at the canvas; a
 * regrowth's keeps the kept pixels in every frame while the erased ones
 * fill with ink. */
static void test_growth_gif(void **state)
{
    (void)state;
    CommandResult r;
    run_studio(&r, ink_model,
               "wait-idle\n"
               "save %1$s/grown.png\n"
               "gif %1$s/growth.gif\n"
               "drag left 8 16 24 16\n"
               "save %1$s/erased.png\n"
               "key space\n"
               "wait-idle\n"
               "gif %1$s/regrowth.gif\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    GifFrames growth, regrowth;
    read_growth_gif("growth.gif", &growth);
    read_growth_gif("regrowth.gif", &regrowth);
    float *grown = canvas("grown.png"), *erased = canvas("erased.png");

    float *first = gif_frame(&growth, 0), *last = gif_frame(&growth, growth.n - 1);
    assert_true(region_max(first, whole_canvas) < 0.9f); /* the ink comes step by step */
    for (int i = 0; i < SIZE * SIZE; i++) assert_float_equal(last[i], grown[i], 1.0 / 255);
    free(first), free(last);

    for (int f = 0; f < regrowth.n; f++) {
        float *frame = gif_frame(&regrowth, f);
        for (int y = 0; y < SIZE; y++)
            for (int x = 0; x < SIZE; x++)
                if (well_outside_stroke(x, y)) assert_float_equal(frame[y * SIZE + x], erased[y * SIZE + x], 1.0 / 255);
        if (f == 0) assert_true(region_max(frame, well_inside_stroke) < 0.9f);
        if (f == regrowth.n - 1) assert_true(region_min(frame, well_inside_stroke) > 0.9f);
        free(frame);
    }
    free(grown), free(erased);
    gif_frames_free(&growth);
    gif_frames_free(&regrowth);
}

/* pixels of the error screen's title colour (a light red) in a screenshot */
static int reddish_pixels(const char *name)
{
    char path[4096];
    int w, h, channels;
    unsigned char *rgb = stbi_load(in_dir(path, name), &w, &h, &channels, 3);
    if (!rgb) fail_msg("%s: %s", path, stbi_failure_reason());
    int n = 0;
    for (int i = 0; i < w * h; i++)
        n += rgb[3 * i] > 200 && rgb[3 * i + 1] < 160 && rgb[3 * i + 2] < 150;
    stbi_image_free(rgb);
    return n;
}

/* A corrupt model: the error screen, naming the file; no crash; a model
 * dropped onto the window then loads and works. */
static void test_corrupt_model_error_screen(void **state)
{
    (void)state;
    char bad[4096], good[4096], script[8192];
    write_text(in_dir(bad, "corrupt.safetensors"), "\x10\x00\x00\x00\x00\x00\x00\x00{not json at all");
    in_dir(good, "dropped.safetensors");
    assert_int_equal(symlink(ink_model, good), 0);
    snprintf(script, sizeof script,
             "wait-idle\n"
             "screenshot %%1$s/error.png\n"
             "key space\n"
             "key n\n"
             "drop %s\n"
             "wait-idle\n"
             "save %%1$s/after-drop.png\n"
             "screenshot %%1$s/after-drop-screen.png\n"
             "quit\n",
             good);
    CommandResult r;
    run_studio(&r, bad, script);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, bad));
    assert_true(reddish_pixels("error.png") > 20);
    assert_int_equal(reddish_pixels("after-drop-screen.png"), 0);
    float *after = canvas("after-drop.png");
    assert_true(region_min(after, well_inside_stroke) > 0.9f);
    free(after);
}

/* A missing model, an unreadable picture, an unwritable save path: each
 * reported on stderr with its path, and the app goes on. */
static void test_failures_are_reported(void **state)
{
    (void)state;
    char missing[4096];
    CommandResult r;
    run_studio(&r, in_dir(missing, "no-such-model.safetensors"),
               "wait-idle\n"
               "screenshot %1$s/missing.png\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, missing));
    assert_true(reddish_pixels("missing.png") > 20);

    run_studio(&r, ink_model,
               "wait-idle\n"
               "drop %1$s/script.txt\n"
               "save %1$s/no-such-folder/canvas.png\n"
               "gif %1$s/no-such-folder/growth.gif\n"
               "quit\n");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "script.txt: cannot read the image"));
    assert_non_null(strstr(r.err, "no-such-folder/canvas.png"));
    assert_non_null(strstr(r.err, "no-such-folder/growth.gif"));
}

/* A still picture costs no frames: the window draws when something on view
 * changes, and leaves the cores to the automaton. A growth done, 1.5 s of
 * waiting would be 90 frames at 60 a second. */
static void test_still_window_draws_nothing(void **state)
{
    (void)state;
    CommandResult r;
    run_studio(&r, ink_model, "wait-idle\nwait 1500\nquit\n");
    assert_int_equal(r.status, 0);
    const char *stats = strstr(r.out, "vnca-studio: ");
    long frames = -1;
    assert_non_null(stats);
    assert_int_equal(sscanf(stats, "vnca-studio: %ld frames", &frames), 1);
    assert_in_range(frames, 1, 45);
}

/* A script that is wrong fails before the window opens, naming its line. */
static void test_bad_script_is_refused(void **state)
{
    (void)state;
    CommandResult r;
    run_studio(&r, ink_model, "wait-idle\nfrobnicate 3\n");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "script.txt:2: unknown action"));
}

/* the all-ink model: tiny, random, but its last layer's pixel bias 1 */
static int write_ink_model(const char *path)
{
    VncaConfig cfg;
    VncaModel m;
    VncaError err;
    if (vnca_config_named("tiny", &cfg, &err) || vnca_model_alloc(&m, &cfg, &err)) return -1;
    vnca_model_init(&m, 5);
    m.w.out_b[0] = 1.0f;
    int rc = vnca_model_save(&m, path, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    vnca_model_free(&m);
    return rc;
}

/* xvfb-run's full path from PATH */
static int find_xvfb_run(void)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : "/usr/bin:/bin");
    int found = 0;
    for (char *save, *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(xvfb_run, sizeof xvfb_run, "%s/xvfb-run", d);
        found = access(xvfb_run, X_OK) == 0;
    }
    free(copy);
    return found;
}

static int setup(void **state)
{
    (void)state;
    dir = make_temp_dir();
    return dir ? write_ink_model(in_dir(ink_model, "ink.safetensors")) : -1;
}

static int teardown(void **state)
{
    (void)state;
    remove_temp_dir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_studio VNCA_STUDIO SHIPPED_MODEL SHIPPED_HEAL_MODEL\n");
        return 2;
    }
    studio_exe = argv[1];
    shipped_model = argv[2];
    shipped_heal_model = argv[3];
    if (!find_xvfb_run()) {
        printf("SKIP: xvfb-run is not installed (Debian: apt install xvfb xauth); "
               "vnca-studio's tests need a virtual X server\n");
        return 77;
    }
    /* X11 under Xvfb, whatever the desktop running the tests uses */
    setenv("SDL_VIDEODRIVER", "x11", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erase_then_regrow),
        cmocka_unit_test(test_heal_mode_regrows_damaged_cells),
        cmocka_unit_test(test_shipped_model_regrows_ink),
        cmocka_unit_test(test_pick_an_alternative),
        cmocka_unit_test(test_heal_model_key),
        cmocka_unit_test(test_draw_then_grow),
        cmocka_unit_test(test_draw_then_pick_posterior_samples),
        cmocka_unit_test(test_growth_gif),
        cmocka_unit_test(test_corrupt_model_error_screen),
        cmocka_unit_test(test_failures_are_reported),
        cmocka_unit_test(test_still_window_draws_nothing),
        cmocka_unit_test(test_bad_script_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
