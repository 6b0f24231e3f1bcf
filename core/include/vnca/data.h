/* vnca/data.h: MNIST from idx files (gzip-compressed or not) or .amat text
 * files, as padded float images ready for the model.
 *
 * The data directory holds binarized_mnist/ (the static binarization of
 * Larochelle: train, valid, test, each as binarized_mnist_SPLIT-idx3-ubyte.gz
 * or, when that is absent, as the published binarized_mnist_SPLIT.amat) and
 * mnist/ (the original grayscale MNIST with labels, idx .gz files);
 * scripts/fetch-mnist.sh downloads them. Training uses static train+valid
 * (60,000 images) or grayscale train binarized afresh by the caller each
 * epoch; evaluation uses the static test set. Every problem with a file is
 * reported with its path. */
#ifndef VNCA_DATA_H
#define VNCA_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "vnca/error.h"
#include "vnca/rng.h"

typedef enum VncaDataSource {
    VNCA_DATA_STATIC_TRAIN = 0, /* binarized_mnist train + valid, 0/1 */
    VNCA_DATA_STATIC_TEST = 1,  /* binarized_mnist test, 0/1 (ordered by class) */
    VNCA_DATA_GRAY_TRAIN = 2,   /* mnist train images, [0, 1] grayscale */
    VNCA_DATA_GRAY_TEST = 3,    /* mnist t10k images, [0, 1] grayscale */
} VncaDataSource;

typedef struct VncaImages {
    int n, size;        /* n images of size x size */
    float *pixels;      /* [n, size, size], owned */
    uint8_t *labels;    /* [n] for the grayscale sets, else NULL */
} VncaImages;

/* Raw idx files: magic 0x00000803 (images, uint8 [n, rows, cols]) and
 * 0x00000801 (labels, uint8 [n]). *data is malloc'd. */
int vnca_idx_read(const char *path, int expect_dims, uint8_t **data, int dims[3],
                  VncaError *err);

/* Larochelle's .amat text files: exactly n > 0 lines, each an image of 784
 * values "0"/"1" separated by single spaces (28x28, row-major). *data is
 * uint8 [n, 28, 28], malloc'd. Errors name the file and the line. */
int vnca_amat_read(const char *path, int n, uint8_t **data, VncaError *err);

/* Loads a set from dir, each 28x28 digit centred in a size x size image
 * (size >= 28; 32 pads 2 zero pixels on each side). */
int vnca_data_load(const char *dir, VncaDataSource source, int size, VncaImages *out,
                   VncaError *err);
void vnca_images_free(VncaImages *images);
const char *vnca_data_source_name(VncaDataSource source);

/* out[i] = 1 with probability p[i], else 0 (dynamic binarization). */
void vnca_binarize(float *out, const float *p, size_t n, VncaRng *rng);

#endif
