/* Data-parallel `vnca train` over MPI: 2 ranks and 1 process at the same
 * global batch reach the same weights, rank 0 alone reports, and a checkpoint
 * written by 2 ranks resumes in 1 process.
 * argv: vnca, the MNIST directory, mpirun (absent when vnca was built without
 * MPI or there is no mpirun). Exits 77, meson's "skipped", when it cannot run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_command.h"
#include "vnca/data.h"
#include "vnca/vnca.h"

enum { SKIP = 77, STEPS = 6, HALF = 3 };

/* Not bit-exact: two ranks each sum half the batch's gradients and MPI adds
 * the halves, where one process sums the whole batch at once, so the float
 * sums run in another order. Measured after 6 steps of lr 1e-4: 3e-8 at most
 * (an ulp or so of these weights); without the gradients' allreduce, 1e-3.
 * Adam moves a weight by about lr a step whatever the gradient's scale, so
 * the bound is absolute, well above rounding and well below one step. */
static const double TOLERANCE = 1e-5;

static const char *vnca, *data_dir, *mpirun;
static char *dir;

/* Trains the tiny config on 128 digits at a global batch of 32, on `ranks`
 * MPI ranks (0: vnca alone), to FILE in the scratch directory; `from`
 * resumes a checkpoint there. Returns 0, or -1 after printing the output. */
static int train(int ranks, int steps, const char *from, const char *file, CommandResult *r)
{
    char np[16], steps_text[16], out[4096], resume[4096];
    snprintf(np, sizeof np, "%d", ranks);
    snprintf(steps_text, sizeof steps_text, "%d", steps);
    snprintf(out, sizeof out, "%s/%s", dir, file);
    snprintf(resume, sizeof resume, "%s/%s", dir, from ? from : "");
    /* as root (CI) Open MPI wants --allow-run-as-root; unbound ranks share
     * however many cores there are; containers often forbid the cross-memory
     * attach that shared memory would use for the 1 MB of gradients */
    const char *launch[] = {mpirun, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                            "--mca", "btl_vader_single_copy_mechanism", "none",
                            "-x", "OMP_NUM_THREADS", "-np", np};
    const char *command[] = {vnca, "train", "--data", data_dir, "--limit", "128", "--batch", "32",
                             "--steps", steps_text, "-o", out, from ? "--resume" : "--config",
                             from ? resume : "tiny", NULL};
    const char *argv[sizeof launch / sizeof *launch + sizeof command / sizeof *command];
    size_t n = 0;
    for (size_t i = 0; ranks && i < sizeof launch / sizeof *launch; i++) argv[n++] = launch[i];
    for (size_t i = 0; i < sizeof command / sizeof *command; i++) argv[n++] = command[i];
    run_command(r, dir, (char *const *)argv);
    if (r->status == 0) return 0;
    fprintf(stderr, "training %s exited with %d:\n%s%s\n", file, r->status, r->out, r->err);
    return -1;
}

static int count(const char *text, const char *word)
{
    int n = 0;
    for (const char *at = text; (at = strstr(at, word)); at++) n++;
    return n;
}

/* The largest differences between two model files' parameters. */
static int agree(const char *file_a, const char *file_b)
{
    char path_a[4096], path_b[4096];
    snprintf(path_a, sizeof path_a, "%s/%s", dir, file_a);
    snprintf(path_b, sizeof path_b, "%s/%s", dir, file_b);
    VncaModel a, b;
    VncaError err;
    if (vnca_model_load(&a, path_a, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    if (vnca_model_load(&b, path_b, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        vnca_model_free(&a);
        return 0;
    }
    int ok = a.layout.n_params == b.layout.n_params;
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; ok && i < a.layout.n_params; i++) {
        const double x = a.params[i], y = b.params[i], d = fabs(x - y);
        max_abs = fmax(max_abs, d);
        if (d > 0) max_rel = fmax(max_rel, d / fmax(fabs(x), fabs(y)));
    }
    ok = ok && max_abs <= TOLERANCE;
    printf("%s vs %s: max abs difference %.3g, max relative %.3g (tolerance %g abs): %s\n", file_a,
           file_b, max_abs, max_rel, TOLERANCE, ok ? "agree" : "DIFFER");
    vnca_model_free(&a);
    vnca_model_free(&b);
    return ok;
}

/* the CPU seconds of training in the last row of a model's log (its last
 * column), or -1 */
static double cpu_seconds_of(const char *file)
{
    char path[4096], line[512], last[512] = "";
    snprintf(path, sizeof path, "%s/%s.csv", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) memcpy(last, line, sizeof line);
    fclose(f);
    const char *column = strrchr(last, ',');
    return column ? atof(column + 1) : -1;
}

/* Two ranks share one process's work, and the log records the CPU seconds
 * of both: at least about one process's (rank 0's alone would be half of
 * that if the ranks did not also spin while they wait for each other, which
 * this check cannot see past). */
static int cpu_counts_every_rank(const char *one, const char *two)
{
    const double alone = cpu_seconds_of(one), ranks = cpu_seconds_of(two);
    printf("CPU seconds logged: %.3f by one process, %.3f by two ranks\n", alone, ranks);
    return alone > 0 && ranks > 0.75 * alone;
}

int main(int argc, char **argv)
{
    vnca = argc > 1 ? argv[1] : "vnca";
    data_dir = argc > 2 ? argv[2] : "../shared/data";
    mpirun = argc > 3 ? argv[3] : NULL;
    if (!mpirun) {
        printf("skipped: vnca was built without MPI, or mpirun is absent\n");
        return SKIP;
    }
    VncaImages mnist;
    VncaError err;
    if (vnca_data_load(data_dir, VNCA_DATA_STATIC_TRAIN, 32, &mnist, &err)) {
        printf("skipped: MNIST not loaded (%s)\n", err.msg);
        return SKIP;
    }
    vnca_images_free(&mnist);
    /* one thread per rank: the ranks share this machine's cores */
    setenv("OMP_NUM_THREADS", "1", 1);
    dir = make_temp_dir();
    if (!dir) return 1;

    CommandResult *r = malloc(sizeof *r);
    int ok = r && train(0, STEPS, NULL, "one.st", r) == 0 && train(2, STEPS, NULL, "two.st", r) == 0;
    if (ok && (count(r->err, "over 2 processes") != 1 || count(r->err, "done at step") != 1)) {
        fprintf(stderr, "rank 0 alone should report, once, on 2 processes:\n%s\n", r->err);
        ok = 0;
    }
    ok = ok && agree("one.st", "two.st") && cpu_counts_every_rank("one.st", "two.st");
    /* the checkpoint of 2 ranks goes on in one process */
    ok = ok && train(2, HALF, NULL, "half.st", r) == 0 &&
         train(0, STEPS, "half.st.ckpt", "resumed.st", r) == 0 && agree("one.st", "resumed.st");
    free(r);
    remove_temp_dir(dir);
    return ok ? 0 : 1;
}
