/* vnca plot: learning curves from training CSV logs, as a PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "csv_columns.h"
#include "image_io.h"
#include "plot.h"

enum { MAX_RUNS = 16 };

typedef struct Run {
    char path[1024], label[128];
    CsvColumns columns;
} Run;

/* an x axis: --x's word, the log's column, its label and the factor to its unit */
typedef struct XAxis {
    const char *name, *column, *label;
    double scale;
} XAxis;

static const XAxis x_axes[] = {
    {"images", "images_seen", "training images", 1},
    {"hours", "train_seconds", "training hours (wall)", 1.0 / 3600},
    {"cpu-hours", "cpu_seconds", "CPU-hours of training", 1.0 / 3600},
};

/* A trailing moving average: the rows are already means of a few steps */
static void smooth_trailing(double *y, int n, int window)
{
    for (int i = n - 1; i >= 0 && window > 1; i--) {
        double sum = 0;
        int k = 0;
        for (int j = i; j > i - window && j >= 0; j--, k++) sum += y[j];
        y[i] = sum / k;
    }
}

int cmd_plot(int argc, char **argv)
{
    CliOption options[] = {
        {"output", 'o', "FILE", "the chart (.png)", 0},
        {"y", 0, "COLUMN", "loss (default), recon, kl, grad_norm or lr", 0},
        {"x", 0, "AXIS", "images (default), hours (wall time of training) or cpu-hours", 0},
        {"log-x", 0, NULL, "logarithmic x axis", 0},
        {"smooth", 0, "N", "moving average over N rows (default 20)", 0},
        {"y-min", 0, "V", "lower end of the y axis", 0},
        {"y-max", 0, "V", "upper end of the y axis", 0},
        {"title", 0, "TEXT", "title", 0},
        {"y-label", 0, "TEXT", "the y axis's label (default: COLUMN (nats, training batches))", 0},
        {0},
    };
    const char *more[MAX_RUNS];
    CliCommand cmd = {.name = "plot",
                      .summary = "Learning curves of training logs (CSV[=LABEL] ...) as a PNG.",
                      .positional = "CSV[=LABEL]...", .options = options, .more = more,
                      .max_more = MAX_RUNS - 1};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *out = cli_required(&cmd, "output");
    const char *y = cli_value(&cmd, "y") ? cli_value(&cmd, "y") : "loss";
    const char *x_axis = cli_value(&cmd, "x") ? cli_value(&cmd, "x") : "images";
    long smooth;
    double y_min = 0, y_max = 0;
    if (!out || cli_int(&cmd, "smooth", 1, 100000, 20, &smooth) ||
        cli_double(&cmd, "y-min", -1e30, 1e30, &y_min) || cli_double(&cmd, "y-max", -1e30, 1e30, &y_max))
        return 2;
    if (!cmd.arg) {
        fprintf(stderr, "vnca plot: give at least one CSV log (see --help)\n");
        return 2;
    }
    const XAxis *axis = NULL;
    for (size_t i = 0; i < sizeof x_axes / sizeof *x_axes; i++)
        if (strcmp(x_axis, x_axes[i].name) == 0) axis = &x_axes[i];
    if (!axis) {
        fprintf(stderr, "vnca plot: --x '%s': expected images, hours or cpu-hours\n", x_axis);
        return 2;
    }
    Run runs[MAX_RUNS] = {0};
    PlotSeries series[MAX_RUNS];
    const int n_runs = 1 + cmd.n_more;
    int status = 1;
    for (int i = 0; i < n_runs; i++) {
        const char *spec = i == 0 ? cmd.arg : more[i - 1];
        const char *eq = strchr(spec, '=');
        snprintf(runs[i].path, sizeof runs[i].path, "%.*s", eq ? (int)(eq - spec) : (int)strlen(spec), spec);
        snprintf(runs[i].label, sizeof runs[i].label, "%.127s", eq ? eq + 1 : runs[i].path);
        CsvColumns *c = &runs[i].columns;
        VncaError err;
        if (csv_read_columns(runs[i].path, axis->column, y, c, &err)) {
            fprintf(stderr, "vnca plot: %s\n", err.msg);
            goto done;
        }
        for (int r = 0; r < c->n; r++) c->x[r] *= axis->scale;
        smooth_trailing(c->y, c->n, (int)smooth);
        series[i] = (PlotSeries){runs[i].label, c->x, c->y, c->n};
    }
    char y_label[160];
    if (cli_value(&cmd, "y-label")) snprintf(y_label, sizeof y_label, "%s", cli_value(&cmd, "y-label"));
    else snprintf(y_label, sizeof y_label, "%s (nats, training batches)", y);
    PlotSpec spec = {.title = cli_value(&cmd, "title"),
                     .x_label = axis->label,
                     .y_label = y_label, .width = 960, .height = 600,
                     .log_x = cli_value(&cmd, "log-x") != NULL, .y_min = y_min, .y_max = y_max};
    float *rgb = plot_lines(&spec, series, n_runs);
    VncaError err;
    if (!rgb) fprintf(stderr, "vnca plot: nothing to plot (or out of memory)\n");
    else if (image_save_png(out, rgb, spec.width, spec.height, 3, &err))
        fprintf(stderr, "vnca plot: %s\n", err.msg);
    else {
        printf("wrote %s\n", out);
        status = 0;
    }
    free(rgb);
done:
    for (int i = 0; i < n_runs; i++) csv_columns_free(&runs[i].columns);
    return status;
}
