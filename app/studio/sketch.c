/* The hand-drawn digit of draw mode, and the pen that draws it. */
#include "sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"

int sketch_init(Sketch *k, int image_size)
{
    k->side = image_size * SKETCH_ZOOM;
    k->ink = calloc((size_t)k->side * k->side, sizeof(float));
    return k->ink ? 0 : -1;
}

void sketch_free(Sketch *k)
{
    free(k->ink);
    memset(k, 0, sizeof *k);
}

static size_t pixel_count(const Sketch *k) { return (size_t)k->side * k->side; }

void sketch_clear(Sketch *k) { memset(k->ink, 0, pixel_count(k) * sizeof(float)); }

int sketch_is_blank(const Sketch *k)
{
    for (size_t i = 0; i < pixel_count(k); i++)
        if (k->ink[i] > 0.0f) return 0;
    return 1;
}

void sketch_stroke(Sketch *k, float x0, float y0, float x1, float y1, float radius, int ink)
{
    const float z = SKETCH_ZOOM, r = radius * z;
    x0 *= z, y0 *= z, x1 *= z, y1 *= z;
    /* the pen's edge is a pixel wide: coverage falls from 1 to 0 across it */
    const float reach = r + 0.5f;
    const int left = (int)floorf(fminf(x0, x1) - reach), right = (int)ceilf(fmaxf(x0, x1) + reach);
    const int top = (int)floorf(fminf(y0, y1) - reach), bottom = (int)ceilf(fmaxf(y0, y1) + reach);
    for (int y = top < 0 ? 0 : top; y < k->side && y <= bottom; y++)
        for (int x = left < 0 ? 0 : left; x < k->side && x <= right; x++) {
            const float d = sqrtf(segment_distance2(x + 0.5f, y + 0.5f, x0, y0, x1, y1));
            const float cover = fminf(fmaxf(reach - d, 0.0f), 1.0f);
            float *p = &k->ink[(size_t)y * k->side + x];
            *p = ink ? fmaxf(*p, cover) : fminf(*p, 1.0f - cover);
        }
}

size_t sketch_state_len(const Sketch *k) { return pixel_count(k) * sizeof(float); }

void sketch_state_save(const Sketch *k, void *buf) { memcpy(buf, k->ink, sketch_state_len(k)); }

void sketch_state_load(Sketch *k, const void *buf) { memcpy(k->ink, buf, sketch_state_len(k)); }
