#include "grid.h"

#include <stdlib.h>
#include <string.h>

void image_grid_size(int n, int size, int cols, int gap, int *w, int *h)
{
    const int rows = (n + cols - 1) / cols;
    *w = cols * (size + gap) + gap;
    *h = rows * (size + gap) + gap;
}

void image_grid_place(float *out, int w, const float *image, int k, int size, int cols, int gap)
{
    const int top = gap + k / cols * (size + gap), left = gap + k % cols * (size + gap);
    for (int y = 0; y < size; y++)
        memcpy(out + (size_t)(top + y) * w + left, image + (size_t)y * size, (size_t)size * sizeof(float));
}

float *image_grid(const float *images, int n, int size, int cols, int gap, float background,
                  int *w, int *h)
{
    image_grid_size(n, size, cols, gap, w, h);
    float *out = malloc((size_t)*w * *h * sizeof(float));
    if (!out) return NULL;
    for (size_t i = 0; i < (size_t)*w * *h; i++) out[i] = background;
    for (int k = 0; k < n; k++) image_grid_place(out, *w, images + (size_t)k * size * size, k, size, cols, gap);
    return out;
}

int image_grid_columns(int n)
{
    int cols = 1;
    while (cols * cols < n) cols++;
    return cols;
}
