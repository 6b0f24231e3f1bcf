/* Regeneration measured: grow, damage, heal, in batches of VncaGrowth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/heal.h"
#include "vnca/ops.h"

enum { BATCH = 32 };

/* The reconstruction NLL of the current state over every pixel, for each
 * image of the batch into per_image[n]; returns their sum. */
static double batch_nll(const VncaGrowth *g, const float *x, double *per_image)
{
    double total = 0.0;
    const size_t pixels = (size_t)g->grid * g->grid;
    for (int i = 0; i < g->n; i++) {
        bce_logits_forward(per_image + i, g->state + i * pixels * g->channels, g->channels, x + i * pixels,
                           NULL, 1, (int)pixels);
        total += per_image[i];
    }
    return total;
}

/* Adds each image's NLL over ring r of its square to by_ring[r]; rings
 * [n, S, S] holds r + 1 on ring r and 0 outside the square, mask is
 * scratch [S, S]. */
static void add_by_ring(const VncaGrowth *g, const float *x, const float *rings, int n_rings,
                        float *mask, double *by_ring)
{
    const size_t pixels = (size_t)g->grid * g->grid;
    for (int i = 0; i < g->n; i++)
        for (int r = 0; r < n_rings; r++) {
            for (size_t j = 0; j < pixels; j++) mask[j] = rings[i * pixels + j] == (float)(r + 1);
            double nll;
            bce_logits_forward(&nll, g->state + i * pixels * g->channels, g->channels, x + i * pixels,
                               mask, 1, (int)pixels);
            by_ring[r] += nll;
        }
}

/* Running sums of a per-image difference, for its mean's standard error. */
typedef struct {
    double sum, sum_sq;
} Spread;

static void spread_add(Spread *s, const double *after, const double *before, int n)
{
    for (int i = 0; i < n; i++) {
        const double d = after[i] - before[i];
        s->sum += d;
        s->sum_sq += d * d;
    }
}

static double spread_standard_error(const Spread *s, int n)
{
    if (n < 2) return 0.0;
    const double mean = s->sum / n, var = (s->sum_sq - n * mean * mean) / (n - 1);
    return var > 0 ? sqrt(var / n) : 0.0;
}

/* zeroes the cells of a side x side square at (x0, y0) and marks each of
 * its pixels with its ring + 1 (the edge is ring 0) */
static void destroy_square(VncaGrowth *g, int image, int x0, int y0, int side, float *rings)
{
    const size_t pixels = (size_t)g->grid * g->grid;
    memset(rings, 0, pixels * sizeof(float));
    zero_square(g->state + image * pixels * g->channels, g->grid, g->channels, x0, y0, side);
    for (int dy = 0; dy < side; dy++)
        for (int dx = 0; dx < side; dx++) {
            const int to_edge_y = dy < side - 1 - dy ? dy : side - 1 - dy;
            const int to_edge_x = dx < side - 1 - dx ? dx : side - 1 - dx;
            const int ring = to_edge_y < to_edge_x ? to_edge_y : to_edge_x;
            rings[(size_t)(y0 + dy) * g->grid + x0 + dx] = (float)(ring + 1);
        }
}

/* picture k of image i: probabilities of the current state */
static void keep_picture(const VncaGrowth *g, float *pictures, int first, int n_pictures, int k,
                         float *logits)
{
    const size_t pixels = (size_t)g->grid * g->grid;
    vnca_growth_channel(g, 0, logits);
    for (int i = 0; i < g->n && first + i < n_pictures; i++)
        for (size_t j = 0; j < pixels; j++)
            pictures[((size_t)(first + i) * 3 + k) * pixels + j] =
                1.0f / (1.0f + expf(-logits[(size_t)i * pixels + j]));
}

static void run(VncaGrowth *g, int steps)
{
    for (int s = 0; s < steps; s++) vnca_growth_step(g);
}

int vnca_heal_measure(const VncaModel *m, const float *x, int n, const VncaHealOptions *opt,
                      VncaHealStats *out, float *pictures, int n_pictures, VncaError *err)
{
    const VncaConfig *cfg = &m->config;
    const int size = cfg->image_size, z = cfg->latent;
    const size_t pixels = (size_t)size * size;
    memset(out, 0, sizeof *out);
    if (opt->damage < 0 || opt->damage > size || opt->steps < 0 || opt->hold_steps < 0)
        return vnca_fail(err, "damage %d, %d healing and %d holding steps: out of range",
                         opt->damage, opt->steps, opt->hold_steps);
    VncaGrowth g, held;
    const int cap = n < BATCH ? n : BATCH;
    if (vnca_growth_init(&g, m, cap, err)) return -1;
    if (vnca_growth_init(&held, m, cap, err)) {
        vnca_growth_free(&g);
        return -1;
    }
    VncaWorkspace *ws = vnca_workspace_new(cfg, cap, VNCA_WS_INFER, err);
    float *mu = malloc((size_t)cap * z * sizeof(float)), *logsig = malloc((size_t)cap * z * sizeof(float));
    float *logits = malloc((size_t)cap * pixels * sizeof(float));
    float *rings = malloc((size_t)cap * pixels * sizeof(float)), *mask = malloc(pixels * sizeof(float));
    int rc = -1;
    if (!ws || !mu || !logsig || !logits || !rings || !mask) {
        if (ws) vnca_fail(err, "out of memory for measuring healing");
        goto done;
    }
    out->n_rings = (opt->damage + 1) / 2;
    for (int r = 0; r < out->n_rings; r++) {
        const int outer = opt->damage - 2 * r, inner = outer > 2 ? outer - 2 : 0;
        out->ring_pixels[r] = (double)outer * outer - (double)inner * inner;
    }
    VncaRng rng;
    vnca_rng_seed(&rng, opt->seed);
    double grown[BATCH], scratch[BATCH], healed[BATCH], held_nll[BATCH];
    Spread heal_gap = {0}, hold_change = {0};
    for (int i0 = 0; i0 < n; i0 += cap) {
        const int b = n - i0 < cap ? n - i0 : cap;
        const float *xb = x + (size_t)i0 * pixels;
        vnca_encode(m, ws, xb, b, mu, logsig);
        g.n = b;
        vnca_growth_seed(&g, mu);
        while (!vnca_growth_done(&g)) vnca_growth_step(&g);
        vnca_growth_copy(&held, &g);
        out->grown += batch_nll(&g, xb, grown);
        if (pictures) keep_picture(&g, pictures, i0, n_pictures, 0, logits);
        for (int i = 0; i < b; i++) {
            int xy[2] = {(size - opt->damage + 1) / 2, (size - opt->damage + 1) / 2};
            if (!opt->centred) vnca_rng_square(&rng, size, opt->damage, xy);
            destroy_square(&g, i, xy[0], xy[1], opt->damage, rings + (size_t)i * pixels);
        }
        add_by_ring(&held, xb, rings, out->n_rings, mask, out->grown_by_ring);
        out->damaged += batch_nll(&g, xb, scratch);
        if (pictures) keep_picture(&g, pictures, i0, n_pictures, 1, logits);
        run(&g, opt->steps);
        out->healed += batch_nll(&g, xb, healed);
        spread_add(&heal_gap, healed, grown, b);
        add_by_ring(&g, xb, rings, out->n_rings, mask, out->healed_by_ring);
        if (pictures) keep_picture(&g, pictures, i0, n_pictures, 2, logits);
        run(&held, opt->hold_steps);
        out->held += batch_nll(&held, xb, held_nll);
        spread_add(&hold_change, held_nll, grown, b);
    }
    out->grown /= n;
    out->damaged /= n;
    out->healed /= n;
    out->held /= n;
    for (int r = 0; r < out->n_rings; r++) {
        out->grown_by_ring[r] /= n;
        out->healed_by_ring[r] /= n;
        out->grown_in_square += out->grown_by_ring[r];
        out->healed_in_square += out->healed_by_ring[r];
    }
    out->heal_gap_se = spread_standard_error(&heal_gap, n);
    out->hold_change_se = spread_standard_error(&hold_change, n);
    rc = 0;
done:
    free(mu);
    free(logsig);
    free(logits);
    free(rings);
    free(mask);
    vnca_workspace_free(ws);
    vnca_growth_free(&g);
    vnca_growth_free(&held);
    return rc;
}
