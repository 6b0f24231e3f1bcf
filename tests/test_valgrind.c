/* Memory checks under valgrind's memcheck: `vnca info`, `encode`, `decode`
 * and `sample` on a tiny model, and a scripted vnca-studio session under
 * Xvfb (strokes, undo, a new digit, a picture saved and dropped back in). A run fails on an invalid read, write or free, or on memory
 * definitely lost; "possibly lost" blocks (the threads of OpenMP and
 * OpenBLAS keep pointers into the middle of theirs) do not count, and the
 * uninitialised-value checks are off: the X and GL stack under the studio
 * trips them in its own code.
 *
 * usage: test_valgrind VALGRIND XVFB_RUN SUPPRESSIONS VNCA VNCA_STUDIO SCENARIO
 * SCENARIO: info, encode, decode, sample or studio. Skipped (77) when
 * valgrind, or for the studio xvfb-run, is missing ("none"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_command.h"
#include "vnca/npy.h"
#include "vnca/vnca.h"

enum { N_IMAGES = 3 };

static char *dir;

static const char *in_dir(char *buf, const char *name)
{
    snprintf(buf, 4096, "%s/%s", dir, name);
    return buf;
}

/* The inputs: a tiny model, N_IMAGES images and latents. */
static int make_inputs(char *model, char *images, char *latents)
{
    VncaConfig cfg;
    VncaModel m;
    VncaError err;
    if (vnca_config_named("tiny", &cfg, &err) || vnca_model_alloc(&m, &cfg, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    vnca_model_init(&m, 1);
    const size_t x_shape[3] = {N_IMAGES, (size_t)cfg.image_size, (size_t)cfg.image_size};
    const size_t z_shape[2] = {N_IMAGES, (size_t)cfg.latent};
    const size_t x_len = x_shape[0] * x_shape[1] * x_shape[2];
    float *x = calloc(x_len, sizeof(float));
    float *z = calloc(z_shape[0] * z_shape[1], sizeof(float));
    int rc = !x || !z ? vnca_fail(&err, "out of memory") : 0;
    for (size_t i = 0; x && i < x_len; i += 3) x[i] = 1.0f;   /* stripes */
    if (rc == 0)
        rc = vnca_model_save(&m, in_dir(model, "tiny.safetensors"), &err) ||
             vnca_npy_write(in_dir(images, "x.npy"), x, 3, x_shape, &err) ||
             vnca_npy_write(in_dir(latents, "z.npy"), z, 2, z_shape, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    free(x);
    free(z);
    vnca_model_free(&m);
    return rc ? -1 : 0;
}

static int write_script(const char *path, const char *picture)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    /* no regrow (Space, R): its hundreds of decodes take minutes under
     * valgrind; no heal mode (M): its cells never rest, so it never idles */
    fprintf(f, "wait-idle\n"
               "drag left 4 4 28 28 4 28\n"
               "key ctrl+z\n"
               "key ctrl+shift+z\n"
               "key c\n"
               "key n\n"
               "wait-idle\n"
               "save %s\n"
               "drop %s\n"
               "wait-idle\n"
               "screenshot %s.window.png\n"
               "quit\n", picture, picture, picture);
    return fclose(f);
}

typedef struct Command {
    char *argv[48];
    int n;
} Command;

/* Appends the NULL-terminated arguments. */
static void add(Command *c, ...)
{
    va_list ap;
    va_start(ap, c);
    for (char *a; (a = va_arg(ap, char *));) c->argv[c->n++] = a;
    va_end(ap);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: test_valgrind VALGRIND XVFB_RUN SUPPRESSIONS VNCA VNCA_STUDIO "
                        "SCENARIO\n");
        return 2;
    }
    char *valgrind = argv[1], *xvfb_run = argv[2], *vnca = argv[4], *studio = argv[5];
    const char *scenario = argv[6];
    const int is_studio = strcmp(scenario, "studio") == 0;
    const char *missing = strcmp(valgrind, "none") == 0                 ? "valgrind"
                          : is_studio && strcmp(xvfb_run, "none") == 0 ? "xvfb-run"
                                                                       : NULL;
    if (missing) {
        printf("SKIP: %s is not installed (Debian: apt install valgrind xvfb xauth)\n", missing);
        return 77;
    }
    dir = make_temp_dir();
    char model[4096], images[4096], latents[4096], out[4096], steps[4096], script[4096];
    char suppressions[4200];
    if (!dir || make_inputs(model, images, latents)) return 1;
    snprintf(suppressions, sizeof suppressions, "--suppressions=%s", argv[3]);

    Command c = {0};
    if (is_studio) add(&c, xvfb_run, "-a", "-s", "-screen 0 1024x700x24", NULL);
    add(&c, valgrind, "--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=definite",
        "--show-leak-kinds=definite", "--undef-value-errors=no", "--keep-debuginfo=yes",
        suppressions, NULL);
    if (strcmp(scenario, "info") == 0) {
        add(&c, vnca, "info", model, NULL);
    } else if (strcmp(scenario, "encode") == 0) {
        add(&c, vnca, "encode", "--model", model, "--x", images, "-o", in_dir(out, "q.npy"), NULL);
    } else if (strcmp(scenario, "decode") == 0) {
        add(&c, vnca, "decode", "--model", model, "--z", latents, "-o", in_dir(out, "logits.npy"),
            "--all-steps", in_dir(steps, "steps.npy"), NULL);
    } else if (strcmp(scenario, "sample") == 0) {
        add(&c, vnca, "sample", "--model", model, "-n", "4", "-o", in_dir(out, "grid.png"), NULL);
    } else if (is_studio) {
        if (write_script(in_dir(script, "script.txt"), in_dir(out, "canvas.png"))) return 1;
        add(&c, studio, "--model", model, "--software", "--seed", "7", "--speed", "0", "--size",
            "900x600", "--script", script, NULL);
    } else {
        fprintf(stderr, "unknown scenario '%s'\n", scenario);
        return 2;
    }
    CommandResult r;
    run_command(&r, dir, c.argv);
    printf("%s", r.err);
    remove_temp_dir(dir);
    return r.status == 0 ? 0 : 1;
}
