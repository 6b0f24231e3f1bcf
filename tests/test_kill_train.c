/* Hard stops: `vnca train` killed with SIGKILL at random moments, several of
 * them while it writes its checkpoint or its model file, and resumed each
 * time. The files on disk must always load (the old version or the new one,
 * never half of one), the checkpoint's step must never go back, and the run
 * must end with the same bits as an unbroken run of the same steps, with a
 * log in step order and no temporary files left behind.
 *
 * argv[1]: the vnca executable; argv[2]: the MNIST directory (skipped
 * without it). The kill moments are random; VNCA_KILL_SEED=N repeats a run's. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "run_command.h"
#include "vnca/io.h"
#include "vnca/safetensors.h"
#include "vnca/train.h"

/* 32 steps an epoch (256 images, batch 8): the kills usually fall in both */
#define STEPS "64"
enum { ROUNDS = 12, POLL_US = 200 };

static const char *vnca_exe, *data_dir;
static char *dir;
static VncaRng rng;

static const char *in_dir(char *buf, const char *name)
{
    snprintf(buf, 4096, "%s/%s", dir, name);
    return buf;
}

/* a run's model file in the test directory, and its checkpoint */
typedef struct RunFiles {
    char out[4096], ckpt[4096 + 8];
} RunFiles;

static RunFiles run_files(const char *name)
{
    RunFiles f;
    in_dir(f.out, name);
    snprintf(f.ckpt, sizeof f.ckpt, "%s.ckpt", f.out);
    return f;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* `vnca train` writing out, out.ckpt and out.csv: resumed from out.ckpt when
 * there is one, else from the start; checkpoints every few steps or never. */
static pid_t start_training(const char *out, int checkpoints)
{
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    const int resume = exists(ckpt);
    char *argv[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir,
                    resume ? "--resume" : "--config", resume ? ckpt : "tiny",
                    "--limit", "256", "--batch", "8", "--steps", STEPS,
                    "--checkpoint-minutes", checkpoints ? "0.001" : "0", "-o", (char *)out, NULL};
    pid_t pid = start_command(dir, argv);
    assert_true(pid > 0);
    return pid;
}

/* Whether pid has ended, without reaping it (finish_command does). */
static int has_ended(pid_t pid)
{
    siginfo_t info = {0};
    return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

typedef enum Moment { IN_CHECKPOINT, IN_MODEL, ANYTIME } Moment;

/* Trains until the moment and kills: IN_CHECKPOINT and IN_MODEL while the
 * k-th temporary file of the checkpoint or the model is being written,
 * ANYTIME after `delay` seconds (perhaps still loading the data). Returns
 * 1 when it killed, 0 when the training ended first. */
static int train_and_kill(const char *out, Moment moment, int k, double delay)
{
    const pid_t pid = start_training(out, 1);
    char tmp[4096 + 32];
    snprintf(tmp, sizeof tmp, "%s%s.tmp.%ld", out, moment == IN_CHECKPOINT ? ".ckpt" : "",
             (long)pid);
    const double start = now_seconds();
    int seen = 0, present = 0;
    while (!has_ended(pid)) {
        const int now_present = moment != ANYTIME && exists(tmp);
        seen += now_present && !present;
        present = now_present;
        if (moment == ANYTIME ? now_seconds() - start >= delay : seen == k && present) {
            kill(pid, SIGKILL);
            break;
        }
        usleep(POLL_US);
    }
    CommandResult r;
    finish_command(&r, dir, pid);
    /* the signal can come just after a clean exit (the file seen was the
     * last one): a kill(2) of the unreaped process succeeds, and the exit
     * status says which happened */
    if (r.status == 128 + SIGKILL) return 1;
    if (r.status != 0) fail_msg("vnca train exited %d:\n%s", r.status, r.err);
    return 0;
}

/* The files a kill left must load; returns the checkpoint's step (-1: none yet). */
static long check_files(const char *out)
{
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    VncaError err;
    VncaModel m;
    if (exists(out)) {
        if (vnca_model_load(&m, out, &err)) fail_msg("after a kill: %s", err.msg);
        vnca_model_free(&m);
    }
    if (!exists(ckpt)) return -1;
    VncaStFile f;
    if (vnca_checkpoint_load_model(&m, NULL, ckpt, &err) || vnca_st_read(ckpt, &f, &err))
        fail_msg("after a kill: %s", err.msg);
    vnca_model_free(&m);
    const char *step = vnca_meta_get(&f.meta, "checkpoint.step");
    assert_non_null(step);
    long value = atol(step);
    vnca_st_free(&f);
    return value;
}

/* The log has one row per step range, in order: no steps that a resumed run
 * took again, and none cut short. Returns the last row's step. */
static long check_log(const char *out)
{
    char path[4096 + 8];
    snprintf(path, sizeof path, "%s.csv", out);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "step,images_seen,train_seconds,loss,recon,kl,grad_norm,lr,cpu_seconds\n");
    long last = 0, step, seen;
    double seconds, loss;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%ld,%ld,%lf,%lf,", &step, &seen, &seconds, &loss) != 4)
            fail_msg("%s: malformed row '%s'", path, line);
        if (step <= last) fail_msg("%s: step %ld after step %ld", path, step, last);
        assert_int_equal(seen, step * 8);
        last = step;
    }
    fclose(f);
    return last;
}

/* No "<name>.tmp.<pid>" is left: each run clears those of killed ones. */
static void check_no_temp_files(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp.")) fail_msg("left behind: %s/%s", dir, e->d_name);
    closedir(d);
}

static void load_params(const char *path, VncaModel *m)
{
    VncaError err;
    if (vnca_model_load(m, path, &err)) fail_msg("%s", err.msg);
}

static void test_killed_training_resumes_exactly(void **state)
{
    (void)state;
    char ref[4096], out[4096];
    in_dir(ref, "unbroken.st");
    in_dir(out, "killed.st");
    CommandResult r;
    const double start = now_seconds();
    finish_command(&r, dir, start_training(ref, 0));
    if (r.status != 0) fail_msg("vnca train exited %d:\n%s", r.status, r.err);
    /* random kills fall within an unbroken run's time, most of them mid-run */
    const double run_seconds = now_seconds() - start;

    long step = -1;
    int kills = 0;
    for (int round = 0; round < ROUNDS; round++) {
        const Moment moment = (Moment)(round % 3);
        const int k = 1 + (int)vnca_rng_below(&rng, 4);
        const double delay = run_seconds * vnca_rng_uniform(&rng);
        const int killed = train_and_kill(out, moment, k, delay);
        const long now = check_files(out);
        printf("round %d: %s -> checkpoint at step %ld\n", round,
               !killed                 ? "ran to the end"
               : moment == IN_CHECKPOINT ? "killed writing the checkpoint"
               : moment == IN_MODEL    ? "killed writing the model"
                                       : "killed at a random time", now);
        kills += killed;
        assert_true(now >= step);
        step = now;
    }
    assert_true(kills > 0);
    finish_command(&r, dir, start_training(out, 1));
    if (r.status != 0) fail_msg("vnca train --resume exited %d:\n%s", r.status, r.err);
    assert_int_equal(check_files(out), atol(STEPS));
    assert_int_equal(check_log(out), atol(STEPS));
    check_no_temp_files();

    VncaModel unbroken, killed;
    load_params(ref, &unbroken);
    load_params(out, &killed);
    assert_int_equal(unbroken.layout.n_params, killed.layout.n_params);
    assert_memory_equal(unbroken.params, killed.params, unbroken.layout.n_params * sizeof(float));
    vnca_model_free(&unbroken);
    vnca_model_free(&killed);
}

static double meta_number(const char *path, const char *key)
{
    VncaError err;
    VncaStFile f;
    if (vnca_st_read(path, &f, &err)) fail_msg("%s", err.msg);
    const char *text = vnca_meta_get(&f.meta, key);
    if (!text) fail_msg("%s: no %s", path, key);
    const double value = atof(text);
    vnca_st_free(&f);
    return value;
}

/* Sum of |a - b| over the parameters */
static double distance(const VncaModel *a, const VncaModel *b)
{
    double d = 0;
    for (size_t i = 0; i < a->layout.n_params; i++) d += fabs((double)a->params[i] - b->params[i]);
    return d;
}

/* `vnca train --resume CKPT` for steps 4..8 at the checkpoint's rate or at `lr` */
static void resume_to_eight(const char *ckpt, const char *out, const char *lr)
{
    char *argv[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--resume", (char *)ckpt,
                    "--limit", "64", "--batch", "8", "--steps", "8", "-o", (char *)out,
                    lr ? "--lr" : NULL, (char *)lr, NULL};
    CommandResult r;
    run_command(&r, dir, argv);
    if (r.status != 0) fail_msg("vnca train --resume exited %d:\n%s", r.status, r.err);
    if (lr) assert_non_null(strstr(r.err, "learning rate 0.0002 from step 4 on (was 0.001)"));
}

/* --lr with --resume: the new rate from the checkpoint's step on, recorded in
 * the checkpoint and the model; Adam's steps shrink with it. */
static void test_resume_takes_a_new_rate(void **state)
{
    (void)state;
    char start[4096], same[4096], slower[4096], ckpt[4096 + 8];
    in_dir(start, "rate.st");
    in_dir(same, "same-rate.st");
    in_dir(slower, "lower-rate.st");
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", start);
    char *first[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--config", "tiny",
                     "--limit", "64", "--batch", "8", "--steps", "4", "--lr", "1e-3", "-o", start, NULL};
    CommandResult r;
    run_command(&r, dir, first);
    if (r.status != 0) fail_msg("vnca train exited %d:\n%s", r.status, r.err);
    resume_to_eight(ckpt, same, NULL);
    resume_to_eight(ckpt, slower, "2e-4");

    char slower_ckpt[4096 + 8];
    snprintf(slower_ckpt, sizeof slower_ckpt, "%s.ckpt", slower);
    assert_float_equal(meta_number(slower_ckpt, "checkpoint.lr"), 2e-4, 1e-9);
    assert_float_equal(meta_number(slower, "training.lr"), 2e-4, 1e-9);
    assert_float_equal(meta_number(same, "training.lr"), 1e-3, 1e-9);
    VncaModel m0, m_same, m_slower;
    load_params(start, &m0);
    load_params(same, &m_same);
    load_params(slower, &m_slower);
    const double moved_same = distance(&m0, &m_same), moved_slower = distance(&m0, &m_slower);
    printf("steps 4..8 moved the weights %.4f at lr 1e-3, %.4f at 2e-4\n", moved_same, moved_slower);
    assert_true(moved_slower > 0.1 * moved_same && moved_slower < 0.4 * moved_same);
    vnca_model_free(&m0);
    vnca_model_free(&m_same);
    vnca_model_free(&m_slower);
}

/* The log's rows after step `from` have the rate of o's schedule at their
 * last step and the CPU seconds so far (growing); those up to it have
 * `old_fields` fields (an older vnca's log). */
static void check_log_rates(const char *path, const VncaTrainOptions *o, long from, long last,
                            int old_fields)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "step,images_seen,train_seconds,loss,recon,kl,grad_norm,lr,cpu_seconds\n");
    long step = 0;
    double cpu_before = 0;
    while (fgets(line, sizeof line, f)) {
        double x[6], lr, cpu;
        const int n = sscanf(line, "%ld,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &step, &x[0], &x[1], &x[2],
                             &x[3], &x[4], &x[5], &lr, &cpu);
        if (n != (step <= from ? old_fields : 9)) fail_msg("%s: row '%s'", path, line);
        if (step <= from) continue;
        const double want = vnca_learning_rate(o, step - 1);
        if (fabs(lr - want) > 1e-5 * want)
            fail_msg("%s: step %ld logged rate %g, the schedule's is %g", path, step, lr, want);
        if (!(cpu >= cpu_before)) fail_msg("%s: step %ld logged %g CPU seconds", path, step, cpu);
        cpu_before = cpu;
    }
    fclose(f);
    assert_int_equal(step, last);
    assert_true(cpu_before > 0);
}

/* The log as an older vnca wrote it: each line, the header too, without
 * its last `n` fields (1: before the CPU time, 2: before the rate). */
static void drop_last_columns(const char *path, int n)
{
    unsigned char *bytes;
    size_t len;
    VncaError err;
    if (vnca_read_file(path, &bytes, &len, &err)) fail_msg("%s", err.msg);
    char *text = (char *)bytes, *kept = text;
    for (char *line = text; line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        assert_non_null(end);
        *end = '\0';
        for (int i = 0; i < n; i++) {
            char *comma = strrchr(line, ',');
            assert_non_null(comma);
            *comma = '\0';
        }
        const size_t kept_len = strlen(line);
        memmove(kept, line, kept_len);
        kept[kept_len] = '\n';
        kept += kept_len + 1;
        line = end + 1;
    }
    if (vnca_write_file_atomic(path, text, (size_t)(kept - text), &err)) fail_msg("%s", err.msg);
    free(bytes);
}

/* --decay: the log says each row's rate, the schedule's, and the CPU time;
 * a resume that extends the decay (--decay-steps) says so and goes on with
 * it, and a log from before the CPU column (dropped = 1) or the rate
 * column (2) takes them. */
static void log_follows_the_schedule(const char *name, int dropped)
{
    char out[4096], ckpt[4096 + 8], log[4096 + 8];
    in_dir(out, name);
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    snprintf(log, sizeof log, "%s.csv", out);
    char *first[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--config", "tiny",
                     "--limit", "64", "--batch", "8", "--steps", "6", "--lr", "1e-3", "--warmup", "2",
                     "--decay", "cosine", "--decay-steps", "10", "--lr-final", "1e-4", "--log-every", "1",
                     "-o", out, NULL};
    CommandResult r;
    run_command(&r, dir, first);
    if (r.status != 0) fail_msg("vnca train exited %d:\n%s", r.status, r.err);
    VncaTrainOptions o;
    vnca_train_defaults(&o);
    o.lr = 1e-3f;
    o.warmup = 2;
    o.decay = VNCA_DECAY_COSINE;
    o.decay_steps = 10;
    o.lr_final = 1e-4f;
    check_log_rates(log, &o, 0, 6, 9);

    drop_last_columns(log, dropped);
    char *resume[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--resume", ckpt,
                      "--limit", "64", "--steps", "12", "--decay-steps", "14", "--log-every", "1",
                      "-o", out, NULL};
    run_command(&r, dir, resume);
    if (r.status != 0) fail_msg("vnca train --resume exited %d:\n%s", r.status, r.err);
    if (!strstr(r.err, "decay ending at Adam step 14 from step 6 on (was 10)"))
        fail_msg("the resume does not say the decay's new end:\n%s", r.err);
    o.decay_steps = 14;
    check_log_rates(log, &o, 6, 12, 9 - dropped);
    assert_float_equal(meta_number(ckpt, "checkpoint.decay_steps"), 14, 0);
}

static void test_log_follows_the_schedule(void **state)
{
    (void)state;
    log_follows_the_schedule("schedule.st", 1);
    log_follows_the_schedule("schedule-old.st", 2);
}

/* --average: the model file holds the weights' moving average (not the
 * checkpoint's weights) and says so; a resume with --average 0 writes the
 * weights and stops averaging, and drops the claim. */
static void test_train_writes_the_weights_average(void **state)
{
    (void)state;
    char out[4096], ckpt[4096 + 8];
    in_dir(out, "averaged.st");
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    char *first[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--config", "tiny", "--limit", "64",
                     "--batch", "8", "--steps", "3", "--lr", "1e-3", "--average", "0.5", "-o", out, NULL};
    CommandResult r;
    run_command(&r, dir, first);
    if (r.status != 0) fail_msg("vnca train exited %d:\n%s", r.status, r.err);
    assert_float_equal(meta_number(ckpt, "checkpoint.average_decay"), 0.5, 0);
    assert_float_equal(meta_number(out, "training.weights_averaged"), 0.5, 0);
    VncaModel averaged, weights;
    VncaError err;
    load_params(out, &averaged);
    if (vnca_checkpoint_load_model(&weights, NULL, ckpt, &err)) fail_msg("%s", err.msg);
    assert_true(distance(&averaged, &weights) > 0);
    vnca_model_free(&averaged);
    vnca_model_free(&weights);

    char *plain[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--resume", ckpt, "--limit", "64",
                     "--steps", "4", "--average", "0", "-o", out, NULL};
    run_command(&r, dir, plain);
    if (r.status != 0) fail_msg("vnca train --resume exited %d:\n%s", r.status, r.err);
    assert_non_null(strstr(r.err, "weights no longer averaged from step 3 on (were with decay 0.5)"));
    load_params(out, &averaged);
    if (vnca_checkpoint_load_model(&weights, NULL, ckpt, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(averaged.params, weights.params, weights.layout.n_params * sizeof(float));
    assert_null(vnca_meta_get(&averaged.meta, "training.weights_averaged"));
    vnca_model_free(&averaged);
    vnca_model_free(&weights);
}

/* a fresh persistent tiny model in `path`, rewritten by the NULL-ended
 * `vnca rewrite` options `rewrites` (or NULL) */
static void persistent_model(const char *path, const char *const *rewrites)
{
    CommandResult r;
    char *init[] = {(char *)vnca_exe, "init", "--config", "tiny", "--variant", "persistent", "-o",
                    (char *)path, NULL};
    run_command(&r, dir, init);
    if (r.status != 0) fail_msg("vnca init exited %d:\n%s", r.status, r.err);
    if (!rewrites) return;
    char *argv[24] = {(char *)vnca_exe, "rewrite", (char *)path, "-o", (char *)path};
    int n = 5;
    for (int i = 0; rewrites[i]; i++) argv[n++] = (char *)rewrites[i];
    argv[n] = NULL;
    run_command(&r, dir, argv);
    if (r.status != 0) fail_msg("vnca rewrite exited %d:\n%s", r.status, r.err);
}

/* `vnca train` on 64 images, batch 8, for `steps` steps in all: from the
 * model `init` with a small pool, or (with `resume`) its checkpoint's run
 * taken on; then the NULL-ended options `more` */
static void persistent_run(CommandResult *r, const char *out, const char *init, const char *resume,
                           const char *steps, const char *const *more)
{
    char *argv[48] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--limit", "64",
                      "--batch", "8", "--steps", (char *)steps, "-o", (char *)out};
    int n = 12;
    if (resume) {
        argv[n++] = "--resume";
        argv[n++] = (char *)resume;
    } else {
        const char *fresh[] = {"--init", init, "--extra", "1:2", "--pool", "16", "--damage-share", "0.5"};
        for (size_t i = 0; i < sizeof fresh / sizeof fresh[0]; i++) argv[n++] = (char *)fresh[i];
    }
    for (int i = 0; more && more[i]; i++) argv[n++] = (char *)more[i];
    argv[n] = NULL;
    run_command(r, dir, argv);
}

/* persistent_run, which must succeed */
static void persistent_run_ok(CommandResult *r, const char *out, const char *init, const char *resume,
                              const char *steps, const char *const *more)
{
    persistent_run(r, out, init, resume, steps, more);
    if (r->status != 0)
        fail_msg("vnca train%s exited %d:\n%s", resume ? " --resume" : "", r->status, r->err);
}

/* persistent_run, which must fail with `why` in its error */
static void persistent_run_refused(const char *out, const char *resume, const char *steps,
                                   const char *const *more, const char *why)
{
    CommandResult r;
    persistent_run(&r, out, NULL, resume, steps, more);
    if (r.status == 0 || !strstr(r.err, why))
        fail_msg("vnca train with %s: expected a refusal saying \"%s\", got status %d:\n%s",
                 more[0], why, r.status, r.err);
}

/* A resumed persistent run keeps its pool, damage and warmup options without being
 * told them again; options given on resume are said and recorded; the pool
 * keeps its size. */
static void test_resume_keeps_persistent_options(void **state)
{
    (void)state;
    const RunFiles f = run_files("heal.st");
    const char *out = f.out, *ckpt = f.ckpt;
    CommandResult r;
    const char *const warmup[] = {"--warmup", "2", NULL};
    persistent_model(out, NULL);
    persistent_run_ok(&r, out, out, NULL, "3", warmup);

    persistent_run_ok(&r, out, NULL, ckpt, "5", NULL);
    assert_null(strstr(r.err, "(was"));
    assert_float_equal(meta_number(ckpt, "checkpoint.step"), 5, 0);
    assert_float_equal(meta_number(ckpt, "checkpoint.warmup"), 2, 0);
    assert_float_equal(meta_number(ckpt, "checkpoint.extra_max"), 2, 0);
    assert_float_equal(meta_number(ckpt, "checkpoint.pool_size"), 16, 0);
    assert_float_equal(meta_number(ckpt, "checkpoint.damage_share"), 0.5, 0);

    const char *const more_damage[] = {"--damage-share", "1", "--extra", "2:3", NULL};
    persistent_run_ok(&r, out, NULL, ckpt, "6", more_damage);
    assert_non_null(strstr(r.err, "damage share 1 from step 5 on (was 0.5)"));
    assert_non_null(strstr(r.err, "extra steps 2:3 from step 5 on (was 1:2)"));
    assert_float_equal(meta_number(ckpt, "checkpoint.damage_share"), 1, 0);
    assert_float_equal(meta_number(ckpt, "checkpoint.extra_min"), 2, 0);

    const char *const bigger_pool[] = {"--pool", "32", NULL};
    persistent_run_refused(out, ckpt, "7", bigger_pool,
                           "--pool 32: the checkpoint's pool holds 16 states");
    assert_float_equal(meta_number(ckpt, "checkpoint.step"), 6, 0);
}

/* vnca rewrite --perception conv3x3 --latent 20 --position --far-reach 3
 * makes the tiny model (Sobel, 16 channels, no genome) a larger one
 * computing the same update, which a run then trains and a resumed run
 * keeps; a rewrite that does not apply is refused with the reason, and
 * leaves no file */
static void test_rewrite_makes_a_larger_model(void **state)
{
    (void)state;
    const RunFiles f = run_files("conv3.st");
    const char *out = f.out, *ckpt = f.ckpt;
    CommandResult r;
    const char *const larger[] = {"--perception", "conv3x3", "--latent", "20", "--position",
                                  "--far-reach", "3", NULL};
    persistent_model(out, larger);
    persistent_run_ok(&r, out, out, NULL, "2", NULL);
    persistent_run_ok(&r, out, NULL, ckpt, "3", NULL);
    VncaModel m;
    load_params(out, &m);
    assert_int_equal(m.config.perception, VNCA_PERCEIVE_CONV3);
    assert_int_equal(m.config.latent, 20);
    assert_int_equal(m.config.genome, VNCA_GENOME_POSITION);
    assert_int_equal(m.config.far_reach, 3);
    assert_int_equal(m.config.variant, VNCA_VARIANT_PERSISTENT);
    vnca_model_free(&m);

    static const struct {
        const char *option, *value, *why;
    } refused[] = {
        {"--genome", NULL, "--genome: the model's genome already holds latent+position"},
        {"--perception", "conv3x3", "--perception: the model already perceives by a learned conv3x3"},
        {"--perception", "sobel", "--perception 'sobel': only conv3x3"},
        {"--latent", "20", "--latent: latent size 20 does not widen the model's 20"},
        {"--far-reach", "2", "--far-reach: the model already perceives 3 cells away"},
    };
    char rewritten[4096 + 16];
    snprintf(rewritten, sizeof rewritten, "%s.rewritten", out);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *argv[] = {(char *)vnca_exe, "rewrite", (char *)out, "-o", rewritten,
                        (char *)refused[i].option, (char *)refused[i].value, NULL};
        run_command(&r, dir, argv);
        if (r.status == 0 || !strstr(r.err, refused[i].why))
            fail_msg("vnca rewrite %s: expected a refusal saying \"%s\", got status %d:\n%s",
                     refused[i].option, refused[i].why, r.status, r.err);
        assert_int_equal(access(rewritten, F_OK), -1);
    }
}

/* A genome model's pool keeps its states' genomes through a checkpoint: the
 * run resumed after its pool has filled ends where the run unbroken does. */
static void test_genome_pool_resumes_exactly(void **state)
{
    (void)state;
    const RunFiles unbroken = run_files("genome-unbroken.st"), resumed = run_files("genome-resumed.st");
    CommandResult r;
    const char *const genome[] = {"--perception", "conv3x3", "--genome", NULL};
    const char *const options[] = {"--damage", "3", "--extra", "2:3", "--pool-share", "0.5", NULL};
    persistent_model(unbroken.out, genome);
    persistent_run_ok(&r, unbroken.out, unbroken.out, NULL, "5", options);
    persistent_model(resumed.out, genome);
    persistent_run_ok(&r, resumed.out, resumed.out, NULL, "3", options);
    persistent_run_ok(&r, resumed.out, NULL, resumed.ckpt, "5", NULL);
    VncaModel a, b;
    load_params(unbroken.out, &a);
    load_params(resumed.out, &b);
    assert_int_equal(a.config.genome, 1);
    assert_memory_equal(a.params, b.params, a.layout.n_params * sizeof(float));
    vnca_model_free(&a);
    vnca_model_free(&b);
}

/* A model trained on from one that was evaluated does not carry the old
 * figures: they were of other weights. */
static void test_training_drops_stale_evaluations(void **state)
{
    (void)state;
    const RunFiles start = run_files("evaluated.st"), trained = run_files("trained-on.st");
    CommandResult r;
    char *init[] = {(char *)vnca_exe, "init", "--config", "tiny", "-o", (char *)start.out, NULL};
    char *eval[] = {(char *)vnca_exe, "eval", "--model", (char *)start.out, "--data",
                    (char *)data_dir, "--iw", "2", "--limit", "10", "--record", NULL};
    char *train[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--init",
                     (char *)start.out, "--limit", "64", "--batch", "8", "--steps", "1",
                     "-o", (char *)trained.out, NULL};
    char *const *commands[] = {init, eval, train};
    for (int i = 0; i < 3; i++) {
        run_command(&r, dir, commands[i]);
        if (r.status != 0) fail_msg("vnca %s exited %d:\n%s", commands[i][1], r.status, r.err);
    }
    VncaError err;
    VncaStFile f;
    if (vnca_st_read(start.out, &f, &err)) fail_msg("%s", err.msg);
    assert_non_null(vnca_meta_get(&f.meta, "eval.iwae2_n10"));
    vnca_st_free(&f);
    if (vnca_st_read(trained.out, &f, &err)) fail_msg("%s", err.msg);
    assert_null(vnca_meta_get(&f.meta, "eval.iwae2_n10"));
    assert_non_null(vnca_meta_get(&f.meta, "training.steps"));
    vnca_st_free(&f);
}

/* init, rewrite, train and a resumed train each add their line to the
 * model's recipe, in that order, as canonical commands without the files
 * (nor the options of a decay the run does not have);
 * `vnca info` shows the lines one under the other */
static void test_model_records_its_recipe(void **state)
{
    (void)state;
    const RunFiles f = run_files("recipe.st");
    char *init[] = {(char *)vnca_exe, "init", "--config", "tiny", "--seed", "2", "-o", (char *)f.out, NULL};
    char *rewrite[] = {(char *)vnca_exe, "rewrite", (char *)f.out, "-o", (char *)f.out, "--variant",
                       "persistent", NULL};
    char *train[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--init", (char *)f.out,
                     "--limit", "64", "--batch", "8", "--steps", "2", "--extra", "1:2", "--pool", "16",
                     "-o", (char *)f.out, NULL};
    char *resume[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--resume", (char *)f.ckpt,
                      "--limit", "64", "--steps", "3", "--lr", "2e-4", "--decay", "cosine", "--decay-steps",
                      "10", "--lr-final", "1e-5", "-o", (char *)f.out, NULL};
    char *const *commands[] = {init, rewrite, train, resume};
    CommandResult r;
    for (int i = 0; i < 4; i++) {
        run_command(&r, dir, commands[i]);
        if (r.status != 0) fail_msg("vnca %s exited %d:\n%s", commands[i][1], r.status, r.err);
    }
    const char *want =
        "vnca init --config tiny --seed 2\n"
        "vnca rewrite --variant persistent\n"
        "vnca train --data MNIST --limit 64 --init --batch 8 --lr 0.0001 --clip 10 --warmup 0 --decay none "
        "--average 0 --seed 1 --extra 1:2 --pool 16 --pool-share 0.5 --damage 14 --damage-share 0.25 --steps 2\n"
        "vnca train --data MNIST --limit 64 --resume --batch 8 --lr 0.0002 --clip 10 --warmup 0 --decay cosine "
        "--decay-steps 10 --lr-final 1e-05 --average 0 "
        "--seed 1 --extra 1:2 --pool 16 --pool-share 0.5 --damage 14 --damage-share 0.25 --steps 3  # from step 2";
    const char *files[] = {f.out, f.ckpt};
    for (int i = 0; i < 2; i++) {
        VncaError err;
        VncaStFile file;
        if (vnca_st_read(files[i], &file, &err)) fail_msg("%s", err.msg);
        const char *recipe = vnca_meta_get(&file.meta, VNCA_RECIPE_KEY);
        assert_non_null(recipe);
        assert_string_equal(recipe, want);
        vnca_st_free(&file);
    }
    /* a run that would change what a resume keeps adds nothing */
    char *dynamic[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--resume", (char *)f.ckpt,
                       "--limit", "64", "--steps", "4", "--dynamic", "-o", (char *)f.out, NULL};
    run_command(&r, dir, dynamic);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--dynamic: the checkpoint's binarization is static, and a run keeps it on resume"));
    char *info[] = {(char *)vnca_exe, "info", (char *)f.out, NULL};
    run_command(&r, dir, info);
    assert_non_null(strstr(r.out, "# from step 2\n"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "  vnca.recipe            vnca init --config tiny --seed 2\n"
                                  "                         vnca rewrite --variant persistent\n"));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_kill_train VNCA_EXE MNIST_DIR\n");
        return 2;
    }
    vnca_exe = argv[1];
    data_dir = argv[2];
    struct stat st;
    if (stat(data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("skipped: no MNIST data at %s (%s)\n", data_dir, strerror(errno));
        return 77;
    }
    const char *seed_text = getenv("VNCA_KILL_SEED");
    const uint64_t seed = seed_text ? strtoull(seed_text, NULL, 10) : (uint64_t)time(NULL);
    printf("kill moments: VNCA_KILL_SEED=%llu\n", (unsigned long long)seed);
    vnca_rng_seed(&rng, seed);
    dir = make_temp_dir();
    if (!dir) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_killed_training_resumes_exactly),
                                       cmocka_unit_test(test_resume_takes_a_new_rate),
                                       cmocka_unit_test(test_log_follows_the_schedule),
                                       cmocka_unit_test(test_train_writes_the_weights_average),
                                       cmocka_unit_test(test_resume_keeps_persistent_options),
                                       cmocka_unit_test(test_rewrite_makes_a_larger_model),
                                       cmocka_unit_test(test_genome_pool_resumes_exactly),
                                       cmocka_unit_test(test_training_drops_stale_evaluations),
                                       cmocka_unit_test(test_model_records_its_recipe)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    remove_temp_dir(dir);
    return failed;
}
