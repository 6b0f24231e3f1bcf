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

/* the ring of the pixel (dx, dy) of a side x side square: 0 at its edge */
static int ring_of(int dx, int dy, int side)
{
    const int to_edge_x = dx < side - 1 - dx ? dx : side - 1 - dx;
    const int to_edge_y = dy < side - 1 - dy ? dy : side - 1 - dy;
    return to_edge_x < to_edge_y ? to_edge_x : to_edge_y;
}

/* Adds each image's NLL over each ring of its square (top left corners
 * [n, 2], x then y) to by_ring[ring]. */
static void add_by_ring(const VncaGrowth *g, const float *x, const int *corners, int side,
                        double *by_ring)
{
    const size_t pixels = (size_t)g->grid * g->grid;
    for (int i = 0; i < g->n; i++)
        for (int dy = 0; dy < side; dy++)
            for (int dx = 0; dx < side; dx++) {
                const int cx = corners[2 * i] + dx, cy = corners[2 * i + 1] + dy;
                const size_t p = i * pixels + (size_t)cy * g->grid + cx;
                double nll;
                bce_logits_forward(&nll, g->state + p * g->channels, g->channels, x + p, NULL, 1, 1);
                by_ring[ring_of(dx, dy, side)] += nll;
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
    int rc = -1;
    if (!ws || !mu || !logsig || !logits) {
        if (ws) vnca_fail(err, "out of memory for measuring healing");
        goto done;
    }
    out->n_rings = (opt->damage + 1) / 2;
    for (int dy = 0; dy < opt->damage; dy++)
        for (int dx = 0; dx < opt->damage; dx++) out->ring_pixels[ring_of(dx, dy, opt->damage)]++;
    VncaRng rng;
    vnca_rng_seed(&rng, opt->seed);
    double grown[BATCH], scratch[BATCH], healed[BATCH], held_nll[BATCH];
    int corners[2 * BATCH];
    Spread heal_gap = {0}, hold_change = {0};
    for (int i0 = 0; i0 < n; i0 += cap) {
        const int b = n - i0 < cap ? n - i0 : cap;
        const float *xb = x + (size_t)i0 * pixels;
        vnca_encode(m, ws, xb, b, mu, logsig);
        g.n = b;
        vnca_growth_seed(&g, mu);
        vnca_growth_finish(&g);
        vnca_growth_copy(&held, &g);
        out->grown += batch_nll(&g, xb, grown);
        if (pictures) keep_picture(&g, pictures, i0, n_pictures, 0, logits);
        for (int i = 0; i < b; i++) {
            int *xy = corners + 2 * i;
            xy[0] = xy[1] = (size - opt->damage + 1) / 2;
            if (!opt->centred) vnca_rng_square(&rng, size, opt->damage, xy);
            for (int y = xy[1]; y < xy[1] + opt->damage; y++)
                for (int x = xy[0]; x < xy[0] + opt->damage; x++)
                    vnca_growth_destroy_cell(&g, i, x, y);
        }
        add_by_ring(&held, xb, corners, opt->damage, out->grown_by_ring);
        out->damaged += batch_nll(&g, xb, scratch);
        if (pictures) keep_picture(&g, pictures, i0, n_pictures, 1, logits);
        run(&g, opt->steps);
        out->healed += batch_nll(&g, xb, healed);
        spread_add(&heal_gap, healed, grown, b);
        add_by_ring(&g, xb, corners, opt->damage, out->healed_by_ring);
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
    vnca_workspace_free(ws);
    vnca_growth_free(&g);
    vnca_growth_free(&held);
    return rc;
}
