/* vnca train: the training loop's driver: options, progress, the CSV log,
 * periodic checkpoints, and a clean stop on SIGINT/SIGTERM. Under mpirun
 * the ranks split every batch (parallel.h); rank 0 alone reports and writes
 * the files, which hold nothing rank-specific. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "vnca/bench.h"
#include "vnca/io.h"
#include "parallel.h"
#include "train_log.h"
#include "vnca/train.h"
#include "vnca/train_options.h"

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) { stop_signal = sig; }

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * ru.ru_stime.tv_usec;
}

typedef struct RunPlan {
    long total_steps;     /* stop when the trainer's step reaches this; 0 = no limit */
    double minutes;       /* stop after this much wall time in this run; 0 = no limit */
    double checkpoint_minutes;
    int log_every;        /* steps averaged per CSV row */
} RunPlan;

typedef struct Progress {
    double start, last_print, last_checkpoint;
    long start_step;
    double sum_loss, sum_recon, sum_kl, sum_norm;
    int count;
    int tty;
} Progress;

static void format_duration(char *buf, size_t len, double seconds)
{
    long s = seconds > 0 && seconds < 1e9 ? (long)seconds : 0;
    snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

static void print_progress(const VncaTrainer *tr, const RunPlan *plan, Progress *p,
                           const VncaTrainStats *s, double now)
{
    const double elapsed = now - p->start;
    const double rate = (double)(tr->step - p->start_step) * tr->opt.batch / fmax(elapsed, 1e-9);
    double remaining = -1;
    if (plan->total_steps) remaining = (double)(plan->total_steps - tr->step) * tr->opt.batch / rate;
    if (plan->minutes) {
        double left = plan->minutes * 60 - elapsed;
        remaining = remaining < 0 || left < remaining ? left : remaining;
    }
    char eta[32] = "-";
    if (remaining >= 0) format_duration(eta, sizeof eta, remaining);
    char pool[48] = "";
    if (tr->model->config.variant == VNCA_VARIANT_PERSISTENT)
        snprintf(pool, sizeof pool, " | pool reseeded %d", s->pool_reseeded);
    fprintf(stderr, "%sepoch %d step %ld | %.1f img/s | loss %.2f recon %.2f kl %.2f%s | ETA %s%s",
            p->tty ? "\r\033[K" : "", tr->epoch + 1, tr->step, rate, s->loss.loss, s->loss.recon,
            s->loss.kl, pool, eta, p->tty ? "" : "\n");
    fflush(stderr);
    p->last_print = now;
}

static int write_log_row(FILE *log, const VncaTrainer *tr, Progress *p)
{
    if (!p->count) return 0;
    int rc = fprintf(log, "%ld,%ld,%.3f,%.4f,%.4f,%.4f,%.4f\n", tr->step, tr->images_seen,
                     tr->train_seconds, p->sum_loss / p->count, p->sum_recon / p->count,
                     p->sum_kl / p->count, p->sum_norm / p->count);
    p->sum_loss = p->sum_recon = p->sum_kl = p->sum_norm = 0;
    p->count = 0;
    return rc < 0 || fflush(log) ? -1 : 0;
}

/* This run's line of the model's recipe: the command, less the step it
 * stops at, which grows as it trains, after the recipe of the model it
 * started from. */
typedef struct Recipe {
    char *before;   /* owned; NULL: the run made the model */
    char line[1024];
    long from;      /* the step it started at: a resumed run's is said */
} Recipe;

/* the model file carries how it was trained */
static int record_facts(VncaModel *m, const VncaTrainer *tr, const char *data_name,
                        const Recipe *recipe, double cpu_before, double cpu_now)
{
    char text[64], line[sizeof recipe->line + 64];
    /* an evaluation the model carries from --init is of weights it no longer has */
    vnca_meta_remove_prefix(&m->meta, "eval.");
    snprintf(line, sizeof line, "%s --steps %ld", recipe->line, tr->step);
    if (recipe->from) snprintf(line + strlen(line), sizeof line - strlen(line), "  # from step %ld", recipe->from);
    int failed = vnca_recipe_add(&m->meta, recipe->before, line) ||
                 vnca_meta_set(&m->meta, "training.data", data_name) ||
                 vnca_meta_set(&m->meta, "training.binarization",
                               tr->opt.dynamic ? "dynamic (fresh Bernoulli draw per epoch)"
                                               : "static (Larochelle)");
    snprintf(text, sizeof text, "%ld", tr->images_seen);
    failed |= vnca_meta_set(&m->meta, "training.images_seen", text);
    snprintf(text, sizeof text, "%ld", tr->step);
    failed |= vnca_meta_set(&m->meta, "training.steps", text);
    snprintf(text, sizeof text, "%d", tr->opt.batch);
    failed |= vnca_meta_set(&m->meta, "training.batch", text);
    snprintf(text, sizeof text, "%g", (double)tr->opt.lr);
    failed |= vnca_meta_set(&m->meta, "training.lr", text);
    snprintf(text, sizeof text, "%.0f", cpu_before + cpu_now);
    failed |= vnca_meta_set(&m->meta, "training.cpu_seconds", text);
    snprintf(text, sizeof text, "%.0f", tr->train_seconds);
    failed |= vnca_meta_set(&m->meta, "training.wall_seconds", text);
    if (tr->average) {
        snprintf(text, sizeof text, "%g per step", (double)tr->opt.average_decay);
        failed |= vnca_meta_set(&m->meta, "training.weights_averaged", text);
    } else {
        vnca_meta_remove_prefix(&m->meta, "training.weights_averaged");
    }
    return failed ? -1 : 0;
}

static int save_all(VncaTrainer *tr, const char *data_name, const Recipe *recipe, double cpu_before,
                    double cpu_start, const char *model_path, const char *ckpt_path)
{
    VncaError err;
    if (record_facts(tr->model, tr, data_name, recipe, cpu_before, cpu_seconds() - cpu_start)) {
        fprintf(stderr, "vnca train: out of memory\n");
        return -1;
    }
    if (vnca_trainer_save(tr, ckpt_path, &err) || vnca_trainer_save_model(tr, model_path, &err)) {
        fprintf(stderr, "\nvnca train: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int persistent(const VncaModel *m) { return m->config.variant == VNCA_VARIANT_PERSISTENT; }

/* the options given that a resume may not change have the checkpoint's values */
static int check_kept(const VncaTrainOptions *was, const VncaTrainOptions *now, int persistent_model)
{
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (spec->flags & VNCA_OPTION_RESUMABLE || !vnca_option_applies(spec, persistent_model) ||
            vnca_option_equal(spec, was, now))
            continue;
        char value[64], said[128];
        vnca_option_format(spec, now, value, sizeof value);
        vnca_option_say(spec, was, said, sizeof said);
        fprintf(stderr, "vnca train: --%s%s%s: the checkpoint's %s, and a run keeps it on resume\n",
                spec->name, spec->type == VNCA_OPTION_FLAG ? "" : " ",
                spec->type == VNCA_OPTION_FLAG ? "" : value, said);
        return -1;
    }
    return 0;
}

/* what a resumed run does differently from here on, as the command line asked */
static void report_changes(const VncaTrainOptions *was, const VncaTrainOptions *now, long step,
                           int persistent_model)
{
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (!vnca_option_applies(spec, persistent_model) || vnca_option_equal(spec, was, now))
            continue;
        char said[256];
        vnca_option_say_change(spec, was, now, step, said, sizeof said);
        fprintf(stderr, "%s\n", said);
    }
}

/* "vnca train --data MNIST --init --batch 32 ...": the run's command, as a
 * recipe says it (no paths: a model or checkpoint is the one the line above
 * made), less the step it stops at */
static void recipe_line(char *buf, size_t len, const char *start, const char *config, int limit,
                        const VncaTrainOptions *opt, int persistent_model)
{
    size_t n = (size_t)snprintf(buf, len, "vnca train --data MNIST");
    if (limit) n += (size_t)snprintf(buf + n, len - n, " --limit %d", limit);
    n += (size_t)snprintf(buf + n, len - n, " --%s%s%s", start, config ? " " : "", config ? config : "");
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS && n < len; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (!vnca_option_applies(spec, persistent_model)) continue;
        char value[64] = "";
        if (spec->type != VNCA_OPTION_FLAG) vnca_option_format(spec, opt, value, sizeof value);
        else if (!opt->dynamic) continue;
        n += (size_t)snprintf(buf + n, len - n, " --%s%s%s", spec->name, *value ? " " : "", value);
    }
}

/* the options that steer this run, not what it trains */
static const CliOption run_options[] = {
    {"data", 0, "DIR", "MNIST directory with binarized_mnist/ and mnist/", 0},
    {"config", 0, "NAME", "start from a fresh model of this named configuration", 0},
    {"init", 0, "FILE", "start from this model file (e.g. from vnca init)", 0},
    {"output", 'o', "FILE", "the trained model; also FILE.ckpt and FILE.csv", 0},
    {"resume", 0, "CKPT", "continue exactly from a checkpoint", 0},
    {"epochs", 0, "N", "stop after N epochs in all", 0},
    {"steps", 0, "N", "stop after N optimizer steps in all", 0},
    {"minutes", 0, "M", "stop after M minutes of this run", 0},
    {"limit", 0, "N", "train on the first N images only (for quick checks)", 0},
    {"checkpoint-minutes", 0, "M", "minutes between checkpoints (default 5)", 0},
    {"log-every", 0, "N", "steps averaged per CSV row (default 10)", 0},
};
enum { N_RUN_OPTIONS = sizeof run_options / sizeof run_options[0] };

/* the run's options, then the training options' table: help says a
 * persistent model's and the default */
static void list_options(CliOption *options, char (*help)[192])
{
    VncaTrainOptions defaults;
    vnca_train_defaults(&defaults);
    memcpy(options, run_options, sizeof run_options);
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        char value[64];
        vnca_option_format(spec, &defaults, value, sizeof value);
        if (spec->type == VNCA_OPTION_FLAG)
            snprintf(help[i], sizeof help[i], "%s", spec->help);
        else
            snprintf(help[i], sizeof help[i], "%s%s (default %s)",
                     spec->flags & VNCA_OPTION_PERSISTENT ? "persistent: " : "", spec->help, value);
        options[N_RUN_OPTIONS + i] = (CliOption){spec->name, 0, spec->value_name, help[i], 0};
    }
    options[N_RUN_OPTIONS + VNCA_N_TRAIN_OPTIONS] = (CliOption){0};
}

static int train(int argc, char **argv, int rank, int ranks)
{
    CliOption options[N_RUN_OPTIONS + VNCA_N_TRAIN_OPTIONS + 1];
    char help[VNCA_N_TRAIN_OPTIONS][192];
    list_options(options, help);
    CliCommand cmd = {.name = "train",
                      .summary = "Train a VNCA on MNIST (negative ELBO, Adam). A run resumed from its checkpoint\n"
                                 "  goes on with the options it had; those given change them from there on.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *data_dir = cli_required(&cmd, "data"), *out = cli_required(&cmd, "output");
    const char *config = cli_value(&cmd, "config"), *init = cli_value(&cmd, "init");
    const char *resume = cli_value(&cmd, "resume");
    if (!data_dir || !out) return 2;
    if (!!config + !!init + !!resume > 1 || (!config && !init && !resume)) {
        fprintf(stderr, "vnca train: give one of --config, --init or --resume\n");
        return 2;
    }
    VncaError err;
    VncaModel model;
    /* a resumed run goes on with its checkpoint's options, the command line's over them */
    VncaTrainOptions opt;
    vnca_train_defaults(&opt);
    if (resume && vnca_checkpoint_load_model(&model, &opt, resume, &err)) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        return 1;
    }
    const VncaTrainOptions recorded = opt;
    long epochs, steps, limit, log_every;
    double minutes = 0, ckpt_minutes = 5;
    int bad = cli_int(&cmd, "epochs", 1, 1000000, 0, &epochs) ||
              cli_int(&cmd, "steps", 1, 1L << 40, 0, &steps) ||
              cli_int(&cmd, "limit", 1, 1L << 30, 0, &limit) ||
              cli_int(&cmd, "log-every", 1, 100000, 10, &log_every) ||
              cli_double(&cmd, "minutes", 0, 1e7, &minutes) ||
              cli_double(&cmd, "checkpoint-minutes", 0, 1e7, &ckpt_minutes);
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS && !bad; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        const char *text = cli_value(&cmd, spec->name);
        if (text && vnca_option_parse(spec, text, &opt, &err)) {
            fprintf(stderr, "vnca train: %s\n", err.msg);
            bad = 1;
        }
    }
    if (bad || (resume && check_kept(&recorded, &opt, persistent(&model)))) {
        if (resume) vnca_model_free(&model);
        return 2;
    }

    char ckpt_path[4096], log_path[4096];
    snprintf(ckpt_path, sizeof ckpt_path, "%s.ckpt", out);
    snprintf(log_path, sizeof log_path, "%s.csv", out);

    if (init) {
        if (load_model_or_report("train", init, &model)) return 1;
    } else if (config) {
        VncaConfig cfg;
        if (vnca_config_named(config, &cfg, &err) || vnca_model_alloc(&model, &cfg, &err)) {
            fprintf(stderr, "vnca train: %s\n", err.msg);
            return 1;
        }
        vnca_model_init(&model, opt.seed);
    }
    const VncaDataSource source = opt.dynamic ? VNCA_DATA_GRAY_TRAIN : VNCA_DATA_STATIC_TRAIN;
    VncaImages data;
    if (vnca_data_load(data_dir, source, model.config.image_size, &data, &err)) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        vnca_model_free(&model);
        return 1;
    }
    const int limited = limit && limit < data.n;
    if (limited) data.n = (int)limit;

    int status = 1;
    FILE *log = NULL;
    VncaTrainer tr;
    opt.shard = rank;
    opt.shards = ranks;
    opt.allreduce = parallel_sum;
    if (vnca_trainer_init(&tr, &model, &data, &opt, &err) ||
        (resume && vnca_trainer_resume(&tr, resume, &err))) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        goto done_model;
    }
    if (resume && rank == 0) report_changes(&recorded, &opt, tr.step, persistent(&model));
    const char *before = vnca_meta_get(&model.meta, VNCA_RECIPE_KEY);
    Recipe recipe = {.before = before ? strdup(before) : NULL, .from = tr.step};
    if (before && !recipe.before) {
        fprintf(stderr, "vnca train: out of memory\n");
        goto done;
    }
    recipe_line(recipe.line, sizeof recipe.line, resume ? "resume" : init ? "init" : "config", config,
                limited ? data.n : 0, &opt, persistent(&model));
    const char *prior_cpu = vnca_meta_get(&model.meta, "training.cpu_seconds");
    const double cpu_before = prior_cpu ? atof(prior_cpu) : 0.0, cpu_start = cpu_seconds();

    const int lead = rank == 0;
    if (lead) {
        const int stale = vnca_remove_stale_temp_files(out) + vnca_remove_stale_temp_files(ckpt_path);
        if (stale) fprintf(stderr, "removed %d temporary file%s left by a killed run\n", stale, stale > 1 ? "s" : "");
        log = train_log_open(log_path, resume ? tr.step : -1, &err);
        if (!log) {
            fprintf(stderr, "vnca train: %s\n", err.msg);
            goto done;
        }
    }

    RunPlan plan = {.total_steps = steps, .minutes = minutes, .checkpoint_minutes = ckpt_minutes,
                    .log_every = (int)log_every};
    if (epochs) {
        long epoch_steps = (long)epochs * data.n / opt.batch;
        if (!plan.total_steps || epoch_steps < plan.total_steps) plan.total_steps = epoch_steps;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    Progress p = {.start = vnca_seconds(), .start_step = tr.step, .tty = isatty(2)};
    p.last_print = p.last_checkpoint = p.start;
    if (lead)
        fprintf(stderr, "training %zu parameters on %d images of %s, batch %d over %d process%s, "
                "from step %ld\n", model.layout.n_params, data.n, vnca_data_source_name(source),
                opt.batch, ranks, ranks > 1 ? "es" : "", tr.step);
    int stop[2] = {0, 0}; /* a signal that reached some rank; rank 0 out of time */
    while (!plan.total_steps || tr.step < plan.total_steps) {
        /* the ranks must take the same steps, so they agree on each one */
        stop[0] = stop_signal;
        stop[1] = lead && plan.minutes && vnca_seconds() - p.start >= plan.minutes * 60;
        parallel_max(stop, 2);
        if (stop[0] || stop[1]) break;
        VncaTrainStats s;
        if (vnca_trainer_step(&tr, &s, &err)) {
            fprintf(stderr, "\nvnca train: %s\n", err.msg);
            goto done;
        }
        if (!isfinite(s.loss.loss)) { /* the summed loss: every rank stops here */
            if (lead)
                fprintf(stderr, "\nvnca train: the loss became %g at step %ld; stopping without "
                        "saving (the last checkpoint is intact)\n", s.loss.loss, tr.step);
            goto done;
        }
        if (!lead) continue;
        p.sum_loss += s.loss.loss;
        p.sum_recon += s.loss.recon;
        p.sum_kl += s.loss.kl;
        p.sum_norm += s.grad_norm;
        if (++p.count == plan.log_every && write_log_row(log, &tr, &p)) goto log_failed;
        double now = vnca_seconds();
        if (now - p.last_print >= (p.tty ? 0.5 : 30.0)) print_progress(&tr, &plan, &p, &s, now);
        if (plan.checkpoint_minutes && now - p.last_checkpoint >= plan.checkpoint_minutes * 60) {
            if (save_all(&tr, vnca_data_source_name(source), &recipe, cpu_before, cpu_start, out, ckpt_path))
                goto done;
            p.last_checkpoint = now;
        }
    }
    if (lead) {
        if (write_log_row(log, &tr, &p)) goto log_failed;
        if (save_all(&tr, vnca_data_source_name(source), &recipe, cpu_before, cpu_start, out, ckpt_path))
            goto done;
        fprintf(stderr, "%s%s at step %ld (%ld images): wrote %s and %s\n", p.tty ? "\n" : "",
                stop[0] ? "interrupted" : "done", tr.step, tr.images_seen, out, ckpt_path);
    }
    status = stop[0] ? 128 + stop[0] : 0;
    goto done;
log_failed:
    fprintf(stderr, "vnca train: %s: cannot write the log: %s\n", log_path, strerror(errno));
done:
    if (log && fclose(log) && status == 0) {
        fprintf(stderr, "vnca train: %s: cannot write the log: %s\n", log_path, strerror(errno));
        status = 1;
    }
    vnca_trainer_free(&tr);
    free(recipe.before);
done_model:
    vnca_images_free(&data);
    vnca_model_free(&model);
    return status;
}

int cmd_train(int argc, char **argv)
{
    int rank, ranks;
    if (parallel_begin(&rank, &ranks)) return 1;
    const int status = train(argc, argv, rank, ranks);
    /* an interrupted run stopped on every rank at the same step */
    parallel_end(status > 0 && status < 128 ? status : 0);
    return status;
}
