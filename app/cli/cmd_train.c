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

/* cpu: the CPU seconds of the training so far, as the model will record them */
static int write_log_row(FILE *log, const VncaTrainer *tr, Progress *p, double cpu)
{
    if (!p->count) return 0;
    /* the rate is the last step's: a schedule's rate changes within a row */
    int rc = fprintf(log, "%ld,%ld,%.3f,%.4f,%.4f,%.4f,%.4f,%.6g,%.3f\n", tr->step, tr->images_seen,
                     tr->train_seconds, p->sum_loss / p->count, p->sum_recon / p->count,
                     p->sum_kl / p->count, p->sum_norm / p->count, (double)tr->adam.lr, cpu);
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
                        const Recipe *recipe, double cpu)
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
    snprintf(text, sizeof text, "%.0f", cpu);
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
 * made; no option of a decay it does not have), less the step it stops at */
static void recipe_line(char *buf, size_t len, const char *start, const char *config, int limit,
                        const VncaTrainOptions *opt, int persistent_model)
{
    size_t n = (size_t)snprintf(buf, len, "vnca train --data MNIST");
    if (limit) n += (size_t)snprintf(buf + n, len - n, " --limit %d", limit);
    n += (size_t)snprintf(buf + n, len - n, " --%s%s%s", start, config ? " " : "", config ? config : "");
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS && n < len; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        if (!vnca_option_in_use(spec, opt, persistent_model)) continue;
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

/* One run of vnca train, filled in the order it starts: what the command
 * line asks, the model, its data, the trainer, the record the saved model
 * carries and the log. It begins zeroed, so that end_run frees whatever the
 * run got to. */
typedef struct Run {
    const char *data_dir, *out, *config, *init, *resume;
    long epochs, limit;              /* 0: not given */
    char ckpt_path[4096], log_path[4096];
    VncaTrainOptions opt;
    VncaTrainOptions recorded;       /* a resumed run's: the checkpoint's */
    VncaModel model;
    VncaDataSource source;
    VncaImages data;
    int limited;                     /* data holds the first `limit` images only */
    VncaTrainer tr;
    Recipe recipe;
    double cpu_before, cpu_start;    /* the model's CPU seconds before this run; at its start */
    double cpu_ranks;                /* this run's CPU seconds, all ranks', as of its last step */
    int lead;                        /* rank 0: it alone reports and writes the files */
    FILE *log;
} Run;

/* --data, --output and exactly one of --config, --init and --resume */
static int read_start(const CliCommand *cmd, Run *run)
{
    run->data_dir = cli_required(cmd, "data");
    run->out = cli_required(cmd, "output");
    run->config = cli_value(cmd, "config");
    run->init = cli_value(cmd, "init");
    run->resume = cli_value(cmd, "resume");
    if (!run->data_dir || !run->out) return -1;
    if (!!run->config + !!run->init + !!run->resume != 1) {
        fprintf(stderr, "vnca train: give one of --config, --init or --resume\n");
        return -1;
    }
    return 0;
}

/* when the run stops, how often it logs and checkpoints, and --limit */
static int read_plan(const CliCommand *cmd, Run *run, RunPlan *plan)
{
    long log_every = 10;
    *plan = (RunPlan){.checkpoint_minutes = 5};
    int bad = cli_int(cmd, "epochs", 1, 1000000, 0, &run->epochs) ||
              cli_int(cmd, "steps", 1, 1L << 40, 0, &plan->total_steps) ||
              cli_int(cmd, "limit", 1, 1L << 30, 0, &run->limit) ||
              cli_int(cmd, "log-every", 1, 100000, 10, &log_every) ||
              cli_double(cmd, "minutes", 0, 1e7, &plan->minutes) ||
              cli_double(cmd, "checkpoint-minutes", 0, 1e7, &plan->checkpoint_minutes);
    plan->log_every = (int)log_every;
    return bad ? -1 : 0;
}

/* the training options the command line gives, over those in opt */
static int read_train_options(const CliCommand *cmd, VncaTrainOptions *opt)
{
    for (int i = 0; i < VNCA_N_TRAIN_OPTIONS; i++) {
        const VncaOptionSpec *spec = &vnca_train_option_specs[i];
        const char *text = cli_value(cmd, spec->name);
        VncaError err;
        if (text && vnca_option_parse(spec, text, opt, &err)) {
            fprintf(stderr, "vnca train: %s\n", err.msg);
            return -1;
        }
    }
    return 0;
}

/* What the command line asks: 0, or the exit status after a message. A
 * resumed run goes on with its checkpoint's options, the command line's over
 * them, so its checkpoint's model is loaded here, with them. */
static int read_command(const CliCommand *cmd, Run *run, RunPlan *plan)
{
    if (read_start(cmd, run)) return 2;
    VncaError err;
    vnca_train_defaults(&run->opt);
    if (run->resume && vnca_checkpoint_load_model(&run->model, &run->opt, run->resume, &err)) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        return 1;
    }
    run->recorded = run->opt;
    if (read_plan(cmd, run, plan) || read_train_options(cmd, &run->opt) ||
        (run->resume && check_kept(&run->recorded, &run->opt, persistent(&run->model))))
        return 2;
    snprintf(run->ckpt_path, sizeof run->ckpt_path, "%s.ckpt", run->out);
    snprintf(run->log_path, sizeof run->log_path, "%s.csv", run->out);
    return 0;
}

/* the model of --init, or a fresh one of --config (--resume's came with its options) */
static int start_model(Run *run)
{
    if (run->init) return load_model_or_report("train", run->init, &run->model);
    if (!run->config) return 0;
    VncaConfig cfg;
    VncaError err;
    if (vnca_config_named(run->config, &cfg, &err) || vnca_model_alloc(&run->model, &cfg, &err)) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        return -1;
    }
    vnca_model_init(&run->model, run->opt.seed);
    return 0;
}

/* the training images at the model's size: grayscale ones for dynamic
 * binarization, else the static set; with --limit, its first images only */
static int load_data(Run *run)
{
    VncaError err;
    run->source = run->opt.dynamic ? VNCA_DATA_GRAY_TRAIN : VNCA_DATA_STATIC_TRAIN;
    if (vnca_data_load(run->data_dir, run->source, run->model.config.image_size, &run->data, &err)) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        return -1;
    }
    run->limited = run->limit && run->limit < run->data.n;
    if (run->limited) run->data.n = (int)run->limit;
    return 0;
}

/* The trainer of this rank's share of every batch; a resumed one at its
 * checkpoint's step, saying what it does differently from there on. */
static int start_trainer(Run *run, int rank, int ranks)
{
    VncaError err;
    run->opt.shard = rank;
    run->opt.shards = ranks;
    run->opt.allreduce = parallel_sum;
    if (vnca_trainer_init(&run->tr, &run->model, &run->data, &run->opt, &err) ||
        (run->resume && vnca_trainer_resume(&run->tr, run->resume, &err))) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        return -1;
    }
    if (run->resume && run->lead)
        report_changes(&run->recorded, &run->opt, run->tr.step, persistent(&run->model));
    return 0;
}

/* What the saved model will say of its training: the recipe it came with
 * and this run's line, and the CPU time spent on it before this run. */
static int start_record(Run *run)
{
    const VncaModel *m = &run->model;
    const char *before = vnca_meta_get(&m->meta, VNCA_RECIPE_KEY);
    run->recipe.before = before ? strdup(before) : NULL;
    run->recipe.from = run->tr.step;
    if (before && !run->recipe.before) {
        fprintf(stderr, "vnca train: out of memory\n");
        return -1;
    }
    recipe_line(run->recipe.line, sizeof run->recipe.line,
                run->resume ? "resume" : run->init ? "init" : "config", run->config,
                run->limited ? run->data.n : 0, &run->opt, persistent(m));
    const char *prior_cpu = vnca_meta_get(&m->meta, "training.cpu_seconds");
    run->cpu_before = prior_cpu ? atof(prior_cpu) : 0.0;
    run->cpu_start = cpu_seconds();
    return 0;
}

/* Rank 0's files: a killed run's temporary files go, and the log opens (a
 * resumed run's cut back to its checkpoint's step). */
static int open_files(Run *run)
{
    if (!run->lead) return 0;
    const int stale = vnca_remove_stale_temp_files(run->out) + vnca_remove_stale_temp_files(run->ckpt_path);
    if (stale) fprintf(stderr, "removed %d temporary file%s left by a killed run\n", stale, stale > 1 ? "s" : "");
    VncaError err;
    run->log = train_log_open(run->log_path, run->resume ? run->tr.step : -1, &err);
    if (!run->log) {
        fprintf(stderr, "vnca train: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* the CPU seconds of training: the model's before this run and this run's,
 * every rank's, up to its last step */
static double training_cpu_seconds(const Run *run)
{
    return run->cpu_before + run->cpu_ranks;
}

/* -1, saying that the log cannot be written (errno says why) */
static int log_failed(const Run *run)
{
    fprintf(stderr, "vnca train: %s: cannot write the log: %s\n", run->log_path, strerror(errno));
    return -1;
}

/* the model and its checkpoint, the model saying how it was trained */
static int save_all(Run *run)
{
    VncaError err;
    if (record_facts(&run->model, &run->tr, vnca_data_source_name(run->source), &run->recipe,
                     training_cpu_seconds(run))) {
        fprintf(stderr, "vnca train: out of memory\n");
        return -1;
    }
    if (vnca_trainer_save(&run->tr, run->ckpt_path, &err) ||
        vnca_trainer_save_model(&run->tr, run->out, &err)) {
        fprintf(stderr, "\nvnca train: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* rank 0's part after each step: the log's averages, the progress line and
 * the periodic checkpoint */
static int track_progress(Run *run, const RunPlan *plan, Progress *p, const VncaTrainStats *s)
{
    p->sum_loss += s->loss.loss;
    p->sum_recon += s->loss.recon;
    p->sum_kl += s->loss.kl;
    p->sum_norm += s->grad_norm;
    if (++p->count == plan->log_every && write_log_row(run->log, &run->tr, p, training_cpu_seconds(run)))
        return log_failed(run);
    double now = vnca_seconds();
    if (now - p->last_print >= (p->tty ? 0.5 : 30.0)) print_progress(&run->tr, plan, p, s, now);
    if (plan->checkpoint_minutes && now - p->last_checkpoint >= plan->checkpoint_minutes * 60) {
        if (save_all(run)) return -1;
        p->last_checkpoint = now;
    }
    return 0;
}

/* Steps until the plan's end, a signal to any rank or rank 0's --minutes:
 * 0 with *signal_seen (0 when none stopped it), or -1 after a message. */
static int train_until_stopped(Run *run, const RunPlan *plan, Progress *p, int *signal_seen)
{
    VncaError err;
    int stop[2] = {0, 0}; /* a signal that reached some rank; rank 0 out of time */
    while (!plan->total_steps || run->tr.step < plan->total_steps) {
        /* the ranks must take the same steps, so they agree on each one */
        stop[0] = stop_signal;
        stop[1] = run->lead && plan->minutes && vnca_seconds() - p->start >= plan->minutes * 60;
        parallel_max(stop, 2);
        if (stop[0] || stop[1]) break;
        VncaTrainStats s;
        if (vnca_trainer_step(&run->tr, &s, &err)) {
            fprintf(stderr, "\nvnca train: %s\n", err.msg);
            return -1;
        }
        float cpu = (float)(cpu_seconds() - run->cpu_start); /* summed over the ranks */
        if (parallel_sum(&cpu, 1, NULL)) {
            fprintf(stderr, "\nvnca train: the ranks could not sum their CPU seconds\n");
            return -1;
        }
        run->cpu_ranks = cpu;
        if (!isfinite(s.loss.loss)) { /* the summed loss: every rank stops here */
            if (run->lead)
                fprintf(stderr, "\nvnca train: the loss became %g at step %ld; stopping without "
                        "saving (the last checkpoint is intact)\n", s.loss.loss, run->tr.step);
            return -1;
        }
        if (run->lead && track_progress(run, plan, p, &s)) return -1;
    }
    *signal_seen = stop[0];
    return 0;
}

/* rank 0's end of a run: the last log row, the model and its checkpoint,
 * and what it did */
static int save_final(Run *run, Progress *p, int signal_seen)
{
    if (write_log_row(run->log, &run->tr, p, training_cpu_seconds(run))) return log_failed(run);
    if (save_all(run)) return -1;
    fprintf(stderr, "%s%s at step %ld (%ld images): wrote %s and %s\n", p->tty ? "\n" : "",
            signal_seen ? "interrupted" : "done", run->tr.step, run->tr.images_seen, run->out,
            run->ckpt_path);
    return 0;
}

/* Trains, until the plan or a signal stops it, and saves: the exit status,
 * 128 + the signal's number for a run a signal stopped. --epochs counts
 * the steps of that many passes over the data. */
static int train_and_save(Run *run, RunPlan *plan, int ranks)
{
    if (run->epochs) {
        long epoch_steps = run->epochs * run->data.n / run->opt.batch;
        if (!plan->total_steps || epoch_steps < plan->total_steps) plan->total_steps = epoch_steps;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    Progress p = {.start = vnca_seconds(), .start_step = run->tr.step, .tty = isatty(2)};
    p.last_print = p.last_checkpoint = p.start;
    if (run->lead)
        fprintf(stderr, "training %zu parameters on %d images of %s, batch %d over %d process%s, "
                "from step %ld\n", run->model.layout.n_params, run->data.n,
                vnca_data_source_name(run->source), run->opt.batch, ranks, ranks > 1 ? "es" : "",
                run->tr.step);
    int signal_seen = 0;
    if (train_until_stopped(run, plan, &p, &signal_seen)) return 1;
    if (run->lead && save_final(run, &p, signal_seen)) return 1;
    return signal_seen ? 128 + signal_seen : 0;
}

/* Closes the log (a finished run fails if that fails) and frees the run:
 * the exit status. */
static int end_run(Run *run, int status)
{
    if (run->log && fclose(run->log) && status == 0) {
        log_failed(run);
        status = 1;
    }
    vnca_trainer_free(&run->tr);
    free(run->recipe.before);
    vnca_images_free(&run->data);
    vnca_model_free(&run->model);
    return status;
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

    Run run = {.lead = rank == 0};
    RunPlan plan;
    int status = read_command(&cmd, &run, &plan);
    if (status == 0 && (start_model(&run) || load_data(&run) || start_trainer(&run, rank, ranks) ||
                        start_record(&run) || open_files(&run)))
        status = 1;
    if (status == 0) status = train_and_save(&run, &plan, ranks);
    return end_run(&run, status);
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
