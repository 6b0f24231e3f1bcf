/* image_io.h: image files for the command line and the studio.
 * Pixels are float in [0, 1], row-major. Errors name the file. */
#ifndef VNCA_APP_IMAGE_IO_H
#define VNCA_APP_IMAGE_IO_H

#include "vnca/error.h"

/* A PNG or JPEG (at most 8192 pixels a side) as grayscale luminance (alpha
 * composited onto black). *pixels is malloc'd [h, w]. */
int image_load_gray(const char *path, float **pixels, int *w, int *h, VncaError *err);

/* channels 1 (gray) or 3 (RGB, interleaved), values clamped to [0, 1],
 * written atomically as an 8-bit PNG. */
int image_save_png(const char *path, const float *pixels, int w, int h, int channels,
                   VncaError *err);

#endif
