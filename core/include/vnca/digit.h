/* vnca/digit.h: turning an arbitrary grayscale picture into an MNIST-like
 * digit: ink bright on dark (inverted when the picture is dark on light),
 * cropped to the ink's bounding box, scaled to fit 20x20 keeping the aspect
 * ratio (area averaging), centred by its centre of mass in a 28x28 field and
 * padded to the model's S x S. */
#ifndef VNCA_DIGIT_H
#define VNCA_DIGIT_H

#include "vnca/error.h"

/* gray [h, w] in [0, 1] -> out [size, size] in [0, 1]. Fails (with a message)
 * on an empty or blank picture or an absurd size. */
int vnca_digit_from_gray(const float *gray, int w, int h, int size, float *out, VncaError *err);

#endif
