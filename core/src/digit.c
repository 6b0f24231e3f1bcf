/* An arbitrary grayscale picture -> an MNIST-like digit, following how MNIST
 * itself was made: the ink normalized to fit a 20x20 box keeping its aspect
 * ratio (area averaging, so thin strokes fade rather than vanish), then
 * placed so that its centre of mass sits at the centre of a 28x28 field.
 * Pictures of other sizes are scaled to the model's field in proportion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/digit.h"

enum { MAX_SIDE = 1 << 15, MNIST_FIELD = 28, MNIST_BOX = 20 };

/* Contrast (peak ink minus background) below which a picture counts as blank. */
#define MIN_CONTRAST 0.1f
/* Normalized values below this are background noise (JPEG ringing, paper
 * texture): cleared, and not part of the ink's bounding box. */
#define NOISE_FLOOR 0.1f
/* Normalized values above this are ink for the bounding box. */
#define INK_LEVEL 0.25f

static float clamp01(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; /* NaN -> 0 */ }

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median of the outermost ring of pixels: the background level, robust to
 * ink that touches the edge. */
static float border_median(const float *v, int w, int h, float *scratch)
{
    size_t n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (y == 0 || y == h - 1 || x == 0 || x == w - 1) scratch[n++] = v[(size_t)y * w + x];
    qsort(scratch, n, sizeof *scratch, compare_floats);
    return n % 2 ? scratch[n / 2] : 0.5f * (scratch[n / 2 - 1] + scratch[n / 2]);
}

static double mean_of(const float *v, size_t n, size_t stride)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += v[i * stride];
    return sum / (double)n;
}

/* Mean of the outermost ring (all pixels of a picture too small to have an inside). */
static double border_mean(const float *v, int w, int h)
{
    double sum = 0.0;
    size_t n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (y == 0 || y == h - 1 || x == 0 || x == w - 1) {
                sum += v[(size_t)y * w + x];
                n++;
            }
    return sum / (double)n;
}

/* Area-averaging resample of n_in samples (stride_in apart) to n_out: output
 * i averages the input over [i, i+1) * n_in / n_out, with partial pixels
 * weighted by their overlap. */
static void resample_line(const float *in, int n_in, size_t stride_in, float *out, int n_out,
                          size_t stride_out)
{
    const double ratio = (double)n_in / n_out;
    for (int o = 0; o < n_out; o++) {
        const double a = o * ratio, b = (o + 1) * ratio;
        double sum = 0.0;
        for (int i = (int)a; i < n_in && i < b; i++) {
            double overlap = fmin(b, i + 1.0) - fmax(a, (double)i);
            if (overlap > 0.0) sum += overlap * in[(size_t)i * stride_in];
        }
        out[(size_t)o * stride_out] = (float)(sum / (b - a));
    }
}

/* Offset that puts the centre of mass `com` (in pixels of a span `len` long)
 * at the centre of `field`, kept inside the field. */
static int centring_offset(double com, int len, int field)
{
    int offset = (int)lround(field / 2.0 - com);
    if (offset > field - len) offset = field - len;
    return offset < 0 ? 0 : offset;
}

int vnca_digit_from_gray(const float *gray, int w, int h, int size, float *out, VncaError *err)
{
    if (!gray || w < 1 || h < 1) return vnca_fail(err, "the picture is empty (%dx%d)", w, h);
    if (w > MAX_SIDE || h > MAX_SIDE)
        return vnca_fail(err, "the picture is too large (%dx%d, at most %d a side)", w, h, MAX_SIDE);
    if (size < 4 || size > 4096) return vnca_fail(err, "digit size %d out of range [4, 4096]", size);

    const size_t n = (size_t)w * h;
    float *v = malloc((n + 2 * (size_t)(w + h)) * sizeof(float));
    if (!v) return vnca_fail(err, "out of memory for a %dx%d picture", w, h);
    float *scratch = v + n;
    for (size_t i = 0; i < n; i++) v[i] = clamp01(gray[i]);

    /* ink is whatever differs from the surroundings: a border brighter than
     * the picture as a whole means dark ink on light paper */
    if (border_mean(v, w, h) > mean_of(v, n, 1))
        for (size_t i = 0; i < n; i++) v[i] = 1.0f - v[i];
    const float background = border_median(v, w, h, scratch);
    float peak = 0.0f;
    for (size_t i = 0; i < n; i++) peak = fmaxf(peak, v[i]);
    if (peak - background < MIN_CONTRAST) {
        free(v);
        return vnca_fail(err, "the picture is blank: no ink stands out from the background "
                              "(contrast %.3f)", (double)(peak - background));
    }

    int x0 = w, x1 = -1, y0 = h, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = &v[(size_t)y * w + x];
            *p = clamp01((*p - background) / (peak - background));
            if (*p < NOISE_FLOOR) *p = 0.0f;
            if (*p > INK_LEVEL) {
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
            }
        }
    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;

    /* MNIST's proportions, for a model whose images are smaller than 28 */
    const int field = size < MNIST_FIELD ? size : MNIST_FIELD;
    const int box = field * MNIST_BOX / MNIST_FIELD;
    const int longer = bw > bh ? bw : bh;
    int ow = (int)lround((double)bw * box / longer), oh = (int)lround((double)bh * box / longer);
    ow = ow < 1 ? 1 : ow;
    oh = oh < 1 ? 1 : oh;

    float *wide = malloc(((size_t)bh * ow + (size_t)oh * ow) * sizeof(float));
    if (!wide) {
        free(v);
        return vnca_fail(err, "out of memory for a %dx%d picture", w, h);
    }
    float *scaled = wide + (size_t)bh * ow;
    for (int y = 0; y < bh; y++)
        resample_line(v + (size_t)(y0 + y) * w + x0, bw, 1, wide + (size_t)y * ow, ow, 1);
    for (int x = 0; x < ow; x++) resample_line(wide + x, bh, (size_t)ow, scaled + x, oh, (size_t)ow);
    free(v);

    double mass = 0.0, mx = 0.0, my = 0.0;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double m = scaled[(size_t)y * ow + x];
            mass += m;
            mx += m * (x + 0.5);
            my += m * (y + 0.5);
        }
    const int margin = (size - field) / 2;
    const int left = margin + centring_offset(mx / mass, ow, field);
    const int top = margin + centring_offset(my / mass, oh, field);
    memset(out, 0, (size_t)size * size * sizeof(float));
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            out[(size_t)(top + y) * size + left + x] = clamp01(scaled[(size_t)y * ow + x]);
    free(wide);
    return 0;
}
