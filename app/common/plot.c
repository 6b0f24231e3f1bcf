#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a third-party header with static functions we don't all use */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-braces"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

typedef struct Canvas {
    float *rgb;
    int w, h;
} Canvas;

static const float palette[][3] = {
    {0.12f, 0.47f, 0.71f}, {0.84f, 0.15f, 0.16f}, {0.17f, 0.63f, 0.17f}, {1.00f, 0.50f, 0.05f},
    {0.58f, 0.40f, 0.74f}, {0.55f, 0.34f, 0.29f}, {0.89f, 0.47f, 0.76f}, {0.50f, 0.50f, 0.50f},
};
#define PALETTE_SIZE (int)(sizeof palette / sizeof palette[0])

static void put(Canvas *c, int x, int y, const float *color)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    memcpy(c->rgb + ((size_t)y * c->w + x) * 3, color, 3 * sizeof(float));
}

static void fill_rect(Canvas *c, int x0, int y0, int x1, int y1, const float *color)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) put(c, x, y, color);
}

/* a line two pixels wide (Bresenham, doubled) */
static void line(Canvas *c, int x0, int y0, int x1, int y1, const float *color)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        put(c, x0, y0, color);
        put(c, x0 + 1, y0, color);
        put(c, x0, y0 + 1, color);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) { e += dy; x0 += sx; }
        if (e2 <= dx) { e += dx; y0 += sy; }
    }
}

enum { TEXT_SCALE = 2 };

static int text_width(const char *text) { return TEXT_SCALE * stb_easy_font_width((char *)text); }

/* stb_easy_font emits axis-aligned quads: fill each, scaled */
static void text(Canvas *c, int x, int y, const char *s, const float *color)
{
    static float quads[4 * 4 * 2000];
    int n = stb_easy_font_print(0, 0, (char *)s, NULL, quads, sizeof quads);
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * 16; /* 4 vertices of x, y, z, color */
        int qx0 = (int)v[0], qy0 = (int)v[1], qx1 = (int)v[8], qy1 = (int)v[9];
        fill_rect(c, x + TEXT_SCALE * qx0, y + TEXT_SCALE * qy0, x + TEXT_SCALE * qx1,
                  y + TEXT_SCALE * qy1, color);
    }
}

/* 1, 2 or 5 times a power of ten, giving about `count` ticks over range */
static double nice_step(double range, int count)
{
    double raw = range / count, p = pow(10.0, floor(log10(raw)));
    double f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* Ticks at first + k * step, k < the count returned, about `count` of them
 * over [lo, hi]; none where the values are too large for such steps to be
 * told apart (1e22 + 1e6 == 1e22 in doubles). */
static int ticks(double lo, double hi, int count, double *first, double *step)
{
    *step = nice_step(hi - lo, count);
    *first = ceil(lo / *step) * *step;
    if (!isfinite(*first) || *first + *step == *first) return 0;
    const double n = floor((hi - *first) / *step + 1e-9) + 1;
    return n > 0 && n <= 4 * count ? (int)n : 0;
}

static void format_tick(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (a >= 1e6) snprintf(buf, len, "%gM", v / 1e6);
    else if (a >= 1e4) snprintf(buf, len, "%gk", v / 1e3);
    else snprintf(buf, len, "%g", v);
}

float *plot_lines(const PlotSpec *spec, const PlotSeries *series, int n_series)
{
    double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y) || (spec->log_x && x <= 0)) continue;
            x = spec->log_x ? log10(x) : x;
            x_min = fmin(x_min, x);
            x_max = fmax(x_max, x);
            y_min = fmin(y_min, y);
            y_max = fmax(y_max, y);
        }
    /* marked points keep clear of the frame: the fitted ranges widen a little */
    int marked = 0;
    for (int s = 0; s < n_series; s++) marked |= series[s].n <= PLOT_MARKED;
    if (marked && x_min <= x_max) {
        const double pad = x_max > x_min ? 0.04 * (x_max - x_min) : fmax(0.5, fabs(x_min) * 0.1);
        x_min -= pad;
        x_max += pad;
        const double y_pad = y_max > y_min ? 0.04 * (y_max - y_min) : fmax(0.5, fabs(y_min) * 0.1);
        y_min -= y_pad;
        y_max += y_pad;
    }
    if (spec->y_min != 0 || spec->y_max != 0) {
        y_min = spec->y_min;
        y_max = spec->y_max;
    }
    if (!(y_max > y_min)) y_max = y_min + fmax(1, fabs(y_min) * 1e-6);
    /* spans that overflow (-1e308 to 1e308) cannot be scaled to pixels */
    if (!(x_max > x_min) || !isfinite(x_max - x_min) || !isfinite(y_max - y_min)) return NULL;
    Canvas c = {malloc((size_t)spec->width * spec->height * 3 * sizeof(float)), spec->width,
                spec->height};
    if (!c.rgb) return NULL;
    const float white[3] = {1, 1, 1}, black[3] = {0, 0, 0}, grid[3] = {0.88f, 0.88f, 0.88f};
    fill_rect(&c, 0, 0, c.w, c.h, white);
    const int left = 90, right = c.w - 20, top = 50, bottom = c.h - 60;
#define PX(x) (left + (int)lround(((x) - x_min) / (x_max - x_min) * (right - left)))
#define PY(y) (bottom - (int)lround(((y) - y_min) / (y_max - y_min) * (bottom - top)))
    char label[64];
    double first, step;
    for (int k = 0, n = ticks(y_min, y_max, 6, &first, &step); k < n; k++) {
        const double y = first + k * step;
        line(&c, left, PY(y), right, PY(y), grid);
        format_tick(label, sizeof label, y);
        text(&c, left - 8 - text_width(label), PY(y) - 6, label, black);
    }
    if (spec->log_x) {
        for (double d = floor(x_min); d <= x_max; d += 1.0)
            for (int m = 1; m <= 9; m++) {
                double x = d + log10((double)m);
                if (x < x_min || x > x_max) continue;
                line(&c, PX(x), top, PX(x), bottom, grid);
                if (m == 1 || m == 3) {
                    format_tick(label, sizeof label, pow(10.0, x));
                    text(&c, PX(x) - text_width(label) / 2, bottom + 8, label, black);
                }
            }
    } else {
        for (int k = 0, n = ticks(x_min, x_max, 6, &first, &step); k < n; k++) {
            const double x = first + k * step;
            line(&c, PX(x), top, PX(x), bottom, grid);
            format_tick(label, sizeof label, x);
            text(&c, PX(x) - text_width(label) / 2, bottom + 8, label, black);
        }
    }
    line(&c, left, top, left, bottom, black);
    line(&c, left, bottom, right, bottom, black);
    int legend_w = 0; /* the widest label sets where the legend starts */
    for (int s = 0; s < n_series; s++)
        if (text_width(series[s].label) > legend_w) legend_w = text_width(series[s].label);
    const int legend_x = right - 12 - legend_w;
    for (int s = 0; s < n_series; s++) {
        const float *color = palette[s % PALETTE_SIZE];
        int have = 0, px = 0, py = 0;
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y) || (spec->log_x && x <= 0)) continue;
            y = fmin(fmax(y, y_min), y_max);
            int qx = PX(spec->log_x ? log10(x) : x), qy = PY(y);
            if (have) line(&c, px, py, qx, qy, color);
            if (series[s].n <= PLOT_MARKED) fill_rect(&c, qx - 3, qy - 3, qx + 4, qy + 4, color);
            px = qx;
            py = qy;
            have = 1;
        }
        fill_rect(&c, legend_x - 32, top + 10 + 22 * s, legend_x - 8, top + 14 + 22 * s, color);
        text(&c, legend_x, top + 5 + 22 * s, series[s].label, black);
    }
#undef PX
#undef PY
    text(&c, left, 6, spec->title ? spec->title : "", black);
    text(&c, (left + right - text_width(spec->x_label)) / 2, c.h - 28, spec->x_label, black);
    text(&c, 8, top - 22, spec->y_label, black);
    return c.rgb;
}
