/* MNIST-like digits from arbitrary pictures, the way MNIST itself was made:
 * the ink's bounding box scaled into 20x20 (area averaging), then placed so
 * that its centre of mass is at the centre of a 28x28 field. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/digit.h"

enum { FIELD = 28, BOX = 20 };

/* mean of the picture's border: the background's level */
static float border_mean(const float *g, int w, int h)
{
    double sum = 0.0;
    int count = 0;
    for (int x = 0; x < w; x++) {
        sum += g[x] + g[(size_t)(h - 1) * w + x];
        count += 2;
    }
    for (int y = 1; y + 1 < h; y++) {
        sum += g[(size_t)y * w] + g[(size_t)y * w + w - 1];
        count += 2;
    }
    return (float)(sum / count);
}

/* the average of src over the square [x0, x1) x [y0, y1), by pixel overlap */
static float area_average(const float *src, int w, int h, double x0, double y0, double x1,
                          double y1)
{
    double sum = 0.0, area = 0.0;
    for (int y = (int)floor(y0); y < (int)ceil(y1) && y < h; y++) {
        double wy = fmin(y1, y + 1.0) - fmax(y0, (double)y);
        for (int x = (int)floor(x0); x < (int)ceil(x1) && x < w; x++) {
            double wx = fmin(x1, x + 1.0) - fmax(x0, (double)x);
            if (wx <= 0 || wy <= 0) continue;
            sum += wx * wy * src[(size_t)y * w + x];
            area += wx * wy;
        }
    }
    return area > 0 ? (float)(sum / area) : 0.0f;
}

int vnca_digit_from_gray(const float *gray, int w, int h, int size, float *out, VncaError *err)
{
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        return vnca_fail(err, "a %dx%d picture cannot be a digit", w, h);
    if (size < FIELD) return vnca_fail(err, "digits need at least %dx%d pixels", FIELD, FIELD);
    const size_t n = (size_t)w * h;
    float *ink = malloc(n * sizeof(float));
    if (!ink) return vnca_fail(err, "out of memory for a %dx%d picture", w, h);
    /* ink is bright on dark: invert a picture whose background is light */
    const float background = border_mean(gray, w, h);
    const int invert = background > 0.5f;
    float lo = 1.0f, hi = 0.0f;
    for (size_t i = 0; i < n; i++) {
        ink[i] = invert ? 1.0f - gray[i] : gray[i];
        lo = fminf(lo, ink[i]);
        hi = fmaxf(hi, ink[i]);
    }
    if (hi - lo < 0.1f) {
        free(ink);
        return vnca_fail(err, "the picture is blank: no ink to make a digit of");
    }
    /* stretch to [0, 1] above the background, and find the ink's box */
    const float floor_level = invert ? 1.0f - background : background;
    const float base = fmaxf(lo, floor_level), range = fmaxf(hi - base, 1e-6f);
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = (ink[(size_t)y * w + x] - base) / range;
            v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
            ink[(size_t)y * w + x] = v;
            if (v > 0.2f) {
                x0 = x < x0 ? x : x0;
                x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0;
                y1 = y > y1 ? y : y1;
            }
        }
    if (x1 < 0) {
        free(ink);
        return vnca_fail(err, "the picture is blank: no ink to make a digit of");
    }
    /* scale the box to fit BOX x BOX, keeping the aspect ratio */
    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const double scale = (double)BOX / (bw > bh ? bw : bh);
    int sw = (int)lround(bw * scale), sh = (int)lround(bh * scale);
    sw = sw < 1 ? 1 : sw;
    sh = sh < 1 ? 1 : sh;
    float small[BOX * BOX];
    double mass = 0.0, cx = 0.0, cy = 0.0;
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            float v = area_average(ink, w, h, x0 + x / scale, y0 + y / scale, x0 + (x + 1) / scale,
                                   y0 + (y + 1) / scale);
            small[y * sw + x] = v;
            mass += v;
            cx += v * (x + 0.5);
            cy += v * (y + 0.5);
        }
    free(ink);
    /* centre of mass to the centre of the 28x28 field, inside the size x size image */
    const int margin = (size - FIELD) / 2;
    const int left = margin + (int)lround(FIELD / 2.0 - cx / mass);
    const int top = margin + (int)lround(FIELD / 2.0 - cy / mass);
    memset(out, 0, (size_t)size * size * sizeof(float));
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            const int ty = top + y, tx = left + x;
            if (ty >= 0 && ty < size && tx >= 0 && tx < size)
                out[(size_t)ty * size + tx] = small[y * sw + x];
        }
    return 0;
}
