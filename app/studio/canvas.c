/* The picture being edited, and the brush that marks it. */
#include "canvas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int canvas_init(Canvas *c, int size)
{
    const size_t pixels = (size_t)size * size;
    c->size = size;
    c->digit = calloc(pixels, sizeof(float));
    c->marks = calloc(pixels, 1);
    if (c->digit && c->marks) return 0;
    canvas_free(c);
    return -1;
}

void canvas_free(Canvas *c)
{
    free(c->digit);
    free(c->marks);
    memset(c, 0, sizeof *c);
}

static size_t pixel_count(const Canvas *c) { return (size_t)c->size * c->size; }

void canvas_picture(const Canvas *c, float *out)
{
    for (size_t i = 0; i < pixel_count(c); i++)
        out[i] = c->marks[i] == MARK_ERASED ? 0.0f : c->marks[i] == MARK_INK ? 1.0f : c->digit[i];
}

void canvas_unknown(const Canvas *c, uint8_t *out)
{
    for (size_t i = 0; i < pixel_count(c); i++) out[i] = c->marks[i] == MARK_ERASED;
}

int canvas_has_marks(const Canvas *c)
{
    for (size_t i = 0; i < pixel_count(c); i++)
        if (c->marks[i] != MARK_NONE) return 1;
    return 0;
}

void canvas_clear_marks(Canvas *c) { memset(c->marks, MARK_NONE, pixel_count(c)); }

void canvas_clear(Canvas *c)
{
    memset(c->digit, 0, pixel_count(c) * sizeof(float));
    canvas_clear_marks(c);
}

void canvas_set_digit(Canvas *c, const float *pixels)
{
    memcpy(c->digit, pixels, pixel_count(c) * sizeof(float));
    canvas_clear_marks(c);
}

void canvas_mark(Canvas *c, const uint8_t *mask, Mark mark)
{
    for (size_t i = 0; i < pixel_count(c); i++)
        if (mask[i]) c->marks[i] = (uint8_t)mark;
}

size_t canvas_state_len(const Canvas *c) { return pixel_count(c) * (sizeof(float) + 1); }

void canvas_state_save(const Canvas *c, void *buf)
{
    memcpy(buf, c->digit, pixel_count(c) * sizeof(float));
    memcpy((char *)buf + pixel_count(c) * sizeof(float), c->marks, pixel_count(c));
}

void canvas_state_load(Canvas *c, const void *buf)
{
    memcpy(c->digit, buf, pixel_count(c) * sizeof(float));
    memcpy(c->marks, (const char *)buf + pixel_count(c) * sizeof(float), pixel_count(c));
}

float segment_distance2(float px, float py, float x0, float y0, float x1, float y1)
{
    const float dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    float t = len2 > 0.0f ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0.0f;
    t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    const float ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
    return ex * ex + ey * ey;
}

int brush_sweep(int size, float x0, float y0, float x1, float y1, float radius, uint8_t *mask)
{
    memset(mask, 0, (size_t)size * size);
    /* only the rows and columns the swept disc can reach */
    const int left = (int)floorf(fminf(x0, x1) - radius), right = (int)ceilf(fmaxf(x0, x1) + radius);
    const int top = (int)floorf(fminf(y0, y1) - radius), bottom = (int)ceilf(fmaxf(y0, y1) + radius);
    int covered = 0;
    for (int y = top < 0 ? 0 : top; y < size && y <= bottom; y++)
        for (int x = left < 0 ? 0 : left; x < size && x <= right; x++)
            if (segment_distance2(x + 0.5f, y + 0.5f, x0, y0, x1, y1) <= radius * radius) {
                mask[(size_t)y * size + x] = 1;
                covered++;
            }
    return covered;
}
