/* The `vnca` command line end to end: each subcommand run as a process, its
 * files compared with what the library computes directly. argv[1] is the
 * path of the vnca executable. */
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

#include "image_io.h"
#include "run_command.h"
#include "vnca/npy.h"
#include "vnca/vnca.h"

static const char *vnca_exe;
static char *dir;
static char model_path[4096];

static const char *path_in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

#define RUN(result, ...)                                                          \
    do {                                                                          \
        char *argv_[] = {(char *)vnca_exe, __VA_ARGS__, NULL};                    \
        run_command(result, dir, argv_);                                          \
    } while (0)

static int setup(void **state)
{
    (void)state;
    dir = make_temp_dir();
    if (!dir) return -1;
    path_in_dir(model_path, sizeof model_path, "tiny.safetensors");
    CommandResult r;
    RUN(&r, "init", "--config", "tiny", "--seed", "3", "-o", model_path);
    return r.status;
}

static int teardown(void **state)
{
    (void)state;
    remove_temp_dir(dir);
    return 0;
}

static void test_init_writes_the_seeded_model(void **state)
{
    (void)state;
    VncaModel loaded, fresh;
    VncaConfig cfg;
    VncaError err;
    if (vnca_model_load(&loaded, model_path, &err)) fail_msg("%s", err.msg);
    assert_int_equal(vnca_config_named("tiny", &cfg, NULL), 0);
    assert_int_equal(vnca_model_alloc(&fresh, &cfg, NULL), 0);
    vnca_model_init(&fresh, 3);
    assert_memory_equal(&loaded.config, &cfg, sizeof cfg);
    assert_memory_equal(loaded.params, fresh.params, fresh.layout.n_params * sizeof(float));
    vnca_model_free(&loaded);
    vnca_model_free(&fresh);
}

static void test_info_describes_the_model(void **state)
{
    (void)state;
    CommandResult r;
    RUN(&r, "info", model_path);
    assert_int_equal(r.status, 0);
    VncaConfig cfg;
    VncaLayout layout;
    vnca_config_named("tiny", &cfg, NULL);
    vnca_layout(&cfg, &layout);
    char want[128];
    snprintf(want, sizeof want, "parameters  %zu (encoder %zu, NCA %zu)", layout.n_params,
             layout.n_encoder, layout.n_nca);
    assert_non_null(strstr(r.out, want));
    assert_non_null(strstr(r.out, "perception  sobel"));
    assert_non_null(strstr(r.out, "init.seed"));
}

static void test_encode_matches_library(void **state)
{
    (void)state;
    VncaModel m;
    assert_int_equal(vnca_model_load(&m, model_path, NULL), 0);
    const int n = 3, z = m.config.latent;
    float x[3 * 32 * 32], mu[3 * 16], ls[3 * 16];
    VncaRng rng;
    vnca_rng_seed(&rng, 5);
    for (int i = 0; i < n * 1024; i++) x[i] = vnca_rng_uniform(&rng);
    char x_path[4096], q_path[4096];
    size_t shape[3] = {3, 32, 32};
    assert_int_equal(vnca_npy_write(path_in_dir(x_path, sizeof x_path, "x.npy"), x, 3, shape, NULL), 0);
    CommandResult r;
    RUN(&r, "encode", "--model", model_path, "--x", x_path, "-o",
        (char *)path_in_dir(q_path, sizeof q_path, "q.npy"));
    assert_int_equal(r.status, 0);

    VncaWorkspace *ws = vnca_workspace_new(&m.config, n, VNCA_WS_INFER, NULL);
    vnca_encode(&m, ws, x, n, mu, ls);
    VncaArray q;
    assert_int_equal(vnca_npy_read(q_path, &q, NULL), 0);
    assert_int_equal(q.ndim, 2);
    assert_int_equal(q.shape[0], 3);
    assert_int_equal(q.shape[1], 2 * z);
    for (int i = 0; i < n; i++) {
        assert_memory_equal(q.data + i * 2 * z, mu + i * z, z * sizeof(float));
        assert_memory_equal(q.data + i * 2 * z + z, ls + i * z, z * sizeof(float));
    }
    vnca_array_free(&q);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

static void test_decode_all_steps(void **state)
{
    (void)state;
    VncaModel m;
    assert_int_equal(vnca_model_load(&m, model_path, NULL), 0);
    /* a non-trivial update, so that steps differ */
    VncaRng rng;
    vnca_rng_seed(&rng, 6);
    for (int i = 0; i < m.config.latent * m.config.hidden; i++)
        m.w.out_w[i] = 0.2f * (vnca_rng_uniform(&rng) - 0.5f);
    char live_path[4096], z_path[4096], logits_path[4096], steps_path[4096];
    assert_int_equal(vnca_model_save(&m, path_in_dir(live_path, sizeof live_path, "live.safetensors"), NULL), 0);
    const int n = 2, z = m.config.latent, frames = vnca_total_steps(&m.config) + 1;
    float latents[2 * 16], logits[2 * 1024];
    vnca_rng_normal_fill(&rng, latents, (size_t)n * z);
    size_t shape[2] = {2, (size_t)z};
    assert_int_equal(vnca_npy_write(path_in_dir(z_path, sizeof z_path, "z.npy"), latents, 2, shape, NULL), 0);
    CommandResult r;
    RUN(&r, "decode", "--model", live_path, "--z", z_path, "-o",
        (char *)path_in_dir(logits_path, sizeof logits_path, "logits.npy"), "--all-steps",
        (char *)path_in_dir(steps_path, sizeof steps_path, "steps.npy"));
    assert_int_equal(r.status, 0);

    VncaWorkspace *ws = vnca_workspace_new(&m.config, n, VNCA_WS_INFER, NULL);
    vnca_decode(&m, ws, latents, n, logits);
    VncaArray out, steps;
    assert_int_equal(vnca_npy_read(logits_path, &out, NULL), 0);
    assert_int_equal(vnca_npy_read(steps_path, &steps, NULL), 0);
    assert_int_equal(out.ndim, 3);
    assert_memory_equal(out.data, logits, sizeof logits);
    assert_int_equal(steps.ndim, 4);
    assert_int_equal(steps.shape[1], frames);
    for (int i = 0; i < n; i++) {
        const float *first = steps.data + (size_t)i * frames * 1024;
        const float *last = first + (size_t)(frames - 1) * 1024;
        for (int p = 0; p < 1024; p++) assert_true(first[p] == latents[i * z]);
        assert_memory_equal(last, logits + i * 1024, 1024 * sizeof(float));
    }
    vnca_array_free(&out);
    vnca_array_free(&steps);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

/* bench --model times a file's configuration: the file is named, with the
 * decode's and the training step's FLOPs of that configuration, after the
 * FMA peak of the instruction set VNCA_ISA names */
static void test_bench_of_a_model_file(void **state)
{
    (void)state;
    CommandResult r;
    setenv("VNCA_ISA", "portable", 1);
    RUN(&r, "bench", "--model", model_path, "--seconds", "1", "--batch", "2");
    unsetenv("VNCA_ISA");
    assert_int_equal(r.status, 0);
    const char *peak = "FMA peak portable 128-bit, ";
    assert_true(strncmp(r.out, peak, strlen(peak)) == 0);
    assert_non_null(strstr(r.out, "\nsgemm 2048^3: "));
    VncaConfig cfg;
    vnca_config_named("tiny", &cfg, NULL);
    char want[4200];
    snprintf(want, sizeof want, "%s: %.2f GFLOP decode, %.2f GFLOP train step per image", model_path,
             2e-9 * vnca_decoder_macs(&cfg), 6e-9 * (vnca_encoder_macs(&cfg) + vnca_decoder_macs(&cfg)));
    assert_non_null(strstr(r.out, want));
    /* one image, the large batch and the inpainting's 64 samples, ascending */
    const char *batch_1 = strstr(r.out, "\n  decode  batch 1 "),
               *batch_2 = strstr(r.out, "\n  decode  batch 2 "),
               *batch_64 = strstr(r.out, "\n  decode  batch 64 "),
               *train = strstr(r.out, "\n  train   batch 2 ");
    assert_true(batch_1 && batch_2 && batch_64 && train);
    assert_true(batch_1 < batch_2 && batch_2 < batch_64 && batch_64 < train);
    assert_non_null(strstr(train, "% of FMA peak, "));

    RUN(&r, "bench", "--model", "absent.safetensors");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "absent.safetensors"));
    RUN(&r, "bench", "--model", model_path, "--config", "tiny");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "not both"));
}

/* bench --help says what each output line holds; an instruction set that
 * VNCA_ISA does not name is refused before anything is timed */
static void test_bench_help_and_isa(void **state)
{
    (void)state;
    CommandResult r;
    RUN(&r, "bench", "--help");
    assert_int_equal(r.status, 0);
    const char *documented[] = {"FMA peak ISA BITS-bit, N threads: G GFLOP/s",
                                "sgemm 2048^3:", "decode  batch N", "train   batch N",
                                "VNCA_ISA=avx512|avx2|portable", "OMP_NUM_THREADS"};
    for (size_t i = 0; i < sizeof documented / sizeof *documented; i++)
        assert_non_null(strstr(r.out, documented[i]));

    setenv("VNCA_ISA", "avx1024", 1);
    RUN(&r, "bench", "--config", "tiny");
    unsetenv("VNCA_ISA");
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "VNCA_ISA=avx1024: unknown instruction set"));
}

static void test_errors_are_reported(void **state)
{
    (void)state;
    CommandResult r;
    char missing[4096], bad_x[4096], q_path[4096];
    RUN(&r, "info", (char *)path_in_dir(missing, sizeof missing, "absent.safetensors"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, missing));
    assert_non_null(strstr(r.err, "No such file"));

    RUN(&r, "info", "--bogus");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--bogus"));

    RUN(&r, "init", "--config", "nonsense", "-o", missing);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "nonsense"));

    float x[5 * 7] = {0};
    size_t shape[2] = {5, 7};
    assert_int_equal(vnca_npy_write(path_in_dir(bad_x, sizeof bad_x, "bad.npy"), x, 2, shape, NULL), 0);
    RUN(&r, "encode", "--model", model_path, "--x", bad_x, "-o",
        (char *)path_in_dir(q_path, sizeof q_path, "never.npy"));
    assert_int_not_equal(r.status, 0);
    assert_non_null(strstr(r.err, "expected images of shape"));

    RUN(&r, "encode", "--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--model"));
}

/* ---- non-finite numbers ---------------------------------------------------- */

/* An .npy of the given shape in the temp dir: zeros but for `value` at flat
 * index `at`. Returns its path, in buf. */
static char *write_npy_with(char *buf, size_t len, const char *name, int ndim,
                            const size_t *shape, size_t at, float value)
{
    size_t numel = 1;
    for (int d = 0; d < ndim; d++) numel *= shape[d];
    float *x = calloc(numel, sizeof *x);
    assert_non_null(x);
    x[at] = value;
    assert_int_equal(vnca_npy_write(path_in_dir(buf, len, name), x, ndim, shape, NULL), 0);
    free(x);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* whether the file at path holds exactly text */
static int holds(const char *path, const char *text)
{
    char got[64] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(got, text, n) == 0;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* The run failed, and its error names the file and the bad element. */
static void assert_refused(const CommandResult *r, const char *bad_path, const char *element)
{
    assert_int_not_equal(r->status, 0);
    char want[4200];
    snprintf(want, sizeof want, "%s: %s", bad_path, element);
    if (!strstr(r->err, want)) fail_msg("stderr \"%s\" lacks \"%s\"", r->err, want);
}

/* A NaN or an Inf in any array a command reads stops it before it writes:
 * no output appears, and an existing one keeps its bytes. */
static void test_non_finite_inputs_are_refused(void **state)
{
    (void)state;
    VncaConfig cfg;
    assert_int_equal(vnca_config_named("tiny", &cfg, NULL), 0);
    const size_t latent = (size_t)cfg.latent;
    char bad[4096], out[4096], steps[4096], image[4096], mask[4096], png[4096], probs[4096];
    char element[64];
    CommandResult r;
    path_in_dir(out, sizeof out, "refused.npy");
    path_in_dir(steps, sizeof steps, "refused-steps.npy");

    size_t z_shape[2] = {2, latent};
    write_npy_with(bad, sizeof bad, "z-nan.npy", 2, z_shape, latent + 5, NAN);
    RUN(&r, "decode", "--model", model_path, "--z", bad, "-o", out, "--all-steps", steps);
    snprintf(element, sizeof element, "element %zu ([1, 5]) is NaN", latent + 5);
    assert_refused(&r, bad, element);
    assert_false(exists(out));
    assert_false(exists(steps));

    write_text(out, "keep");
    write_npy_with(bad, sizeof bad, "z-inf.npy", 2, z_shape, 3, INFINITY);
    RUN(&r, "decode", "--model", model_path, "--z", bad, "-o", out);
    assert_refused(&r, bad, "element 3 ([0, 3]) is +Inf");
    assert_true(holds(out, "keep"));
    write_npy_with(bad, sizeof bad, "z-minus-inf.npy", 2, z_shape, 2 * latent - 1, -INFINITY);
    RUN(&r, "decode", "--model", model_path, "--z", bad, "-o", out);
    snprintf(element, sizeof element, "element %zu ([1, %zu]) is -Inf", 2 * latent - 1,
             latent - 1);
    assert_refused(&r, bad, element);
    assert_true(holds(out, "keep"));

    size_t x_shape[3] = {2, 32, 32};
    write_npy_with(bad, sizeof bad, "x-inf.npy", 3, x_shape, 1024 + 7 * 32 + 9, INFINITY);
    RUN(&r, "encode", "--model", model_path, "--x", bad, "-o", out);
    assert_refused(&r, bad, "element 1257 ([1, 7, 9]) is +Inf");
    assert_true(holds(out, "keep"));

    /* inpaint reads two pictures: a bad number in either stops it */
    size_t pic_shape[2] = {32, 32};
    write_npy_with(image, sizeof image, "image.npy", 2, pic_shape, 0, 0.0f);
    write_npy_with(mask, sizeof mask, "mask.npy", 2, pic_shape, 0, 1.0f);
    path_in_dir(png, sizeof png, "inpainted.png");
    path_in_dir(probs, sizeof probs, "inpainted-probs.npy");
    write_npy_with(bad, sizeof bad, "image-nan.npy", 2, pic_shape, 3 * 32 + 4, NAN);
    RUN(&r, "inpaint", "--model", model_path, "--image", bad, "--mask", mask, "-o", png,
        "--probs", probs, "--samples", "2");
    assert_refused(&r, bad, "element 100 ([3, 4]) is NaN");
    write_npy_with(bad, sizeof bad, "mask-inf.npy", 2, pic_shape, 1023, -INFINITY);
    RUN(&r, "inpaint", "--model", model_path, "--image", image, "--mask", bad, "-o", png,
        "--probs", probs, "--samples", "2");
    assert_refused(&r, bad, "element 1023 ([31, 31]) is -Inf");
    assert_false(exists(png));
    assert_false(exists(probs));

    /* the same command on finite files writes both */
    RUN(&r, "inpaint", "--model", model_path, "--image", image, "--mask", mask, "-o", png,
        "--probs", probs, "--samples", "2");
    if (r.status != 0) fail_msg("inpaint failed: %s", r.err);
    assert_true(exists(png));
    assert_true(exists(probs));
}

/* `vnca plot` draws a log against images, wall hours or CPU-hours; a log
 * from before the CPU column cannot give CPU-hours, and says which file */
static void test_plot_axes(void **state)
{
    (void)state;
    char log[4096], old_log[4096], png[4096];
    write_text(path_in_dir(log, sizeof log, "run.csv"),
               "step,images_seen,train_seconds,loss,recon,kl,grad_norm,lr,cpu_seconds\n"
               "10,320,5.0,180.0,160.0,20.0,300.0,0.001,4.5\n"
               "20,640,10.0,170.0,150.0,20.0,280.0,0.001,9.0\n"
               "30,960,15.0,160.0,141.0,19.0,260.0,0.001,13.6\n");
    write_text(path_in_dir(old_log, sizeof old_log, "old.csv"),
               "step,images_seen,train_seconds,loss,recon,kl,grad_norm,lr\n"
               "10,320,5.0,180.0,160.0,20.0,300.0,0.001\n"
               "20,640,10.0,170.0,150.0,20.0,280.0,0.001\n");
    path_in_dir(png, sizeof png, "curve.png");
    CommandResult r;
    const char *axes[] = {"images", "hours", "cpu-hours"};
    for (int i = 0; i < 3; i++) {
        remove(png);
        RUN(&r, "plot", log, "--x", (char *)axes[i], "--smooth", "1", "-o", png);
        if (r.status != 0) fail_msg("vnca plot --x %s exited %d:\n%s", axes[i], r.status, r.err);
        FILE *f = fopen(png, "rb");
        assert_non_null(f);
        unsigned char magic[4] = {0};
        assert_int_equal(fread(magic, 1, 4, f), 4);
        fclose(f);
        assert_memory_equal(magic, "\x89PNG", 4);
    }
    RUN(&r, "plot", old_log, "--x", "cpu-hours", "-o", png);
    assert_int_not_equal(r.status, 0);
    assert_non_null(strstr(r.err, old_log));
    assert_non_null(strstr(r.err, "cpu_seconds"));
    RUN(&r, "plot", log, "--x", "days", "-o", png);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "expected images, hours or cpu-hours"));
}

/* Evaluations at a few budgets plot as marked points, one point alone
 * too: each CSV a series, its y column and the axis's label chosen */
static void test_plot_points(void **state)
{
    (void)state;
    char one[4096], two[4096], png[4096];
    write_text(path_in_dir(one, sizeof one, "pilot.csv"), "cpu_seconds,nll\n3600,92.0\n");
    write_text(path_in_dir(two, sizeof two, "long.csv"), "cpu_seconds,nll\n0,80.0\n7200,80.0\n");
    path_in_dir(png, sizeof png, "budget.png");
    CommandResult r;
    RUN(&r, "plot", one, two, "--x", "cpu-hours", "--y", "nll", "--smooth", "1", "--y-min", "78",
        "--y-max", "94", "--y-label", "NLL (nats)", "-o", png);
    if (r.status != 0) fail_msg("vnca plot exited %d:\n%s", r.status, r.err);
    float *gray = NULL;
    int w, h;
    VncaError err;
    if (image_load_gray(png, &gray, &w, &h, &err)) fail_msg("%s", err.msg);
    /* the plot area spans x 90 .. w - 20 over 0 .. 2 hours and y h - 60 .. 50
     * over 78 .. 94 nats: the lone point (1 hour, 92 nats) lies here */
    const int x = 90 + (w - 20 - 90) / 2, y = (h - 60) - (int)lround((92.0 - 78) / 16 * (h - 60 - 50));
    print_message("pixel at the lone point: %.2f\n", gray[y * w + x]);
    assert_true(gray[y * w + x] < 0.8f);
    free(gray);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_cli PATH-TO-VNCA\n");
        return 2;
    }
    vnca_exe = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_writes_the_seeded_model),
        cmocka_unit_test(test_info_describes_the_model),
        cmocka_unit_test(test_encode_matches_library),
        cmocka_unit_test(test_decode_all_steps),
        cmocka_unit_test(test_bench_of_a_model_file),
        cmocka_unit_test(test_bench_help_and_isa),
        cmocka_unit_test(test_plot_axes),
        cmocka_unit_test(test_plot_points),
        cmocka_unit_test(test_errors_are_reported),
        cmocka_unit_test(test_non_finite_inputs_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
