/* grid.h: laying out many small images as one picture. */
#ifndef VNCA_APP_GRID_H
#define VNCA_APP_GRID_H

/* images [n, size, size] -> *out [rows * (size + gap) + gap, cols * ...],
 * row-major, gaps filled with `background`; *out is malloc'd (NULL when out
 * of memory). */
float *image_grid(const float *images, int n, int size, int cols, int gap, float background,
                  int *w, int *h);

#endif
