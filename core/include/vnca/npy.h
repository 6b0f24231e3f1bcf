/* vnca/npy.h: NumPy .npy arrays of float32 (little-endian, C order), the
 * interchange format of the command line for latents, images and logits.
 * Reading accepts format versions 1.0-3.0 with dtype '<f4' and also '<f8'
 * (converted); writing produces version 1.0 '<f4', atomically (temp + rename).
 *
 * Reading refuses a NaN, an Inf or a double beyond float32's range, naming the
 * file and the first such element by its flat index and, for two or more
 * dimensions, its coordinates: "z.npy: element 37 ([2, 5]) is NaN; ...".
 * These are inputs to the model, whose arithmetic would carry the value
 * silently into every output. Writing stores whatever it is given. */
#ifndef VNCA_NPY_H
#define VNCA_NPY_H

#include <stddef.h>

#include "vnca/error.h"

#define VNCA_NPY_MAX_DIMS 8

typedef struct VncaArray {
    int ndim;
    size_t shape[VNCA_NPY_MAX_DIMS];
    size_t numel;
    float *data;            /* owned; free with vnca_array_free */
} VncaArray;

int vnca_npy_read(const char *path, VncaArray *a, VncaError *err);
int vnca_npy_write(const char *path, const float *data, int ndim, const size_t *shape,
                   VncaError *err);
void vnca_array_free(VncaArray *a);

#endif
