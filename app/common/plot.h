/* plot.h: line charts as RGB pictures, for learning curves. Text is drawn
 * with stb_easy_font's segment glyphs. */
#ifndef VNCA_APP_PLOT_H
#define VNCA_APP_PLOT_H

/* A series of at most PLOT_MARKED points (an evaluation at a few budgets,
 * or one) is also marked at each point, so that a single point shows. */
#define PLOT_MARKED 16

typedef struct PlotSeries {
    const char *label;
    const double *x, *y;
    int n;
} PlotSeries;

typedef struct PlotSpec {
    const char *title, *x_label, *y_label;
    int width, height;          /* pixels */
    int log_x;                  /* 1: logarithmic x axis (x > 0) */
    double y_min, y_max;        /* y range; both 0 = fit the data */
} PlotSpec;

/* RGB [height, width, 3] in [0, 1], malloc'd; NULL when out of memory or
 * when there is nothing to plot. */
float *plot_lines(const PlotSpec *spec, const PlotSeries *series, int n_series);

#endif
