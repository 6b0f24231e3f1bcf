/* Fuzz target: a picture through the import path of `vnca inpaint --image`
 * and the studio's drop: decoded (stb_image) to gray, then made a digit. */
#include <stdlib.h>

#include "fuzz_input.h"
#include "image_io.h"
#include "vnca/digit.h"

enum { SIZE = 32 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VncaError err;
    float *gray, digit[SIZE * SIZE];
    int w, h;
    if (image_load_gray(fuzz_input_path(data, size), &gray, &w, &h, &err) == 0) {
        if (vnca_digit_from_gray(gray, w, h, SIZE, digit, &err) == 0)
            for (int i = 0; i < SIZE * SIZE; i++)
                if (!(digit[i] >= 0.0f && digit[i] <= 1.0f)) abort();
        free(gray);
    }
    return 0;
}
