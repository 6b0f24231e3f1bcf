/* grid.h: laying out many small images as one picture. */
#ifndef VNCA_APP_GRID_H
#define VNCA_APP_GRID_H

/* images [n, size, size] -> *out [rows * (size + gap) + gap, cols * ...],
 * row-major, gaps filled with `background`; *out is malloc'd (NULL when out
 * of memory). */
float *image_grid(const float *images, int n, int size, int cols, int gap, float background,
                  int *w, int *h);

/* The size of that picture, for filling one a tile at a time. */
void image_grid_size(int n, int size, int cols, int gap, int *w, int *h);
/* Image k [size, size] copied into its tile of such a picture, w wide. */
void image_grid_place(float *out, int w, const float *image, int k, int size, int cols, int gap);

/* Digits side by side (vnca sample, reconstruct, and their growth as a
 * GIF): 2 pixels apart on mid gray. */
enum { DIGIT_GRID_GAP = 2 };
#define DIGIT_GRID_BACKGROUND 0.5f

/* Columns of the squarest grid of n images (rows <= cols). */
int image_grid_columns(int n);

#endif
