#include "grid.h"

#include <stdlib.h>
#include <string.h>

float *image_grid(const float *images, int n, int size, int cols, int gap, float background,
                  int *w, int *h)
{
    const int rows = (n + cols - 1) / cols;
    *w = cols * (size + gap) + gap;
    *h = rows * (size + gap) + gap;
    float *out = malloc((size_t)*w * *h * sizeof(float));
    if (!out) return NULL;
    for (size_t i = 0; i < (size_t)*w * *h; i++) out[i] = background;
    for (int k = 0; k < n; k++) {
        const int top = gap + k / cols * (size + gap), left = gap + k % cols * (size + gap);
        for (int y = 0; y < size; y++)
            memcpy(out + (size_t)(top + y) * *w + left, images + ((size_t)k * size + y) * size,
                   (size_t)size * sizeof(float));
    }
    return out;
}
