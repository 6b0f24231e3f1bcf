/* Evaluation masks for inpainting, and the score of an inpainting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/inpaint.h"

static const char *const mask_names[] = {"square14", "left-half", "top-half", "strokes"};

int vnca_mask_parse(const char *name, VncaMaskKind *kind)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, mask_names[i]) == 0) {
            *kind = (VncaMaskKind)i;
            return 0;
        }
    return -1;
}

const char *vnca_mask_name(VncaMaskKind kind) { return mask_names[kind]; }

/* marks every pixel within `radius` of the segment a-b */
static void stroke(uint8_t *mask, int size, float ax, float ay, float bx, float by, float radius)
{
    const float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0.0f;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            const float ex = ax + t * dx - x, ey = ay + t * dy - y;
            if (ex * ex + ey * ey <= radius * radius) mask[y * size + x] = 1;
        }
}

void vnca_mask_make(VncaMaskKind kind, int size, VncaRng *rng, uint8_t *mask)
{
    memset(mask, 0, (size_t)size * size);
    const int centre = size / 2, digit = size < 28 ? size : 28, margin = (size - digit) / 2;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int hide = 0;
            switch (kind) {
            case VNCA_MASK_SQUARE14: hide = abs(2 * y + 1 - size) <= 14 && abs(2 * x + 1 - size) <= 14; break;
            case VNCA_MASK_LEFT_HALF: hide = x < centre; break;
            case VNCA_MASK_TOP_HALF: hide = y < centre; break;
            case VNCA_MASK_STROKES: break;
            }
            mask[y * size + x] = (uint8_t)hide;
        }
    if (kind != VNCA_MASK_STROKES) return;
    for (int s = 0; s < 3; s++) {
        float pts[4];
        for (int i = 0; i < 4; i++) pts[i] = margin + 4 + vnca_rng_uniform(rng) * (digit - 8);
        stroke(mask, size, pts[0], pts[1], pts[2], pts[3], 1.5f + vnca_rng_uniform(rng));
    }
}

void vnca_inpaint_score(const float *x, const float *prob, const uint8_t *unknown, int pixels,
                        double *nll_per_pixel, double *accuracy)
{
    double nll = 0.0;
    int count = 0, right = 0;
    for (int j = 0; j < pixels; j++) {
        if (!unknown[j]) continue;
        const double p = fmin(fmax(prob[j], 1e-6), 1.0 - 1e-6);
        nll -= x[j] > 0.5f ? log(p) : log(1.0 - p);
        right += (prob[j] > 0.5f) == (x[j] > 0.5f);
        count++;
    }
    *nll_per_pixel = count ? nll / count : 0.0;
    *accuracy = count ? (double)right / count : 1.0;
}
