/* Fuzz target: a .npy file through the reader. */
#include <stdlib.h>

#include "fuzz_input.h"
#include "vnca/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    VncaError err;
    VncaArray a;
    if (vnca_npy_read(fuzz_input_path(data, size), &a, &err) == 0) {
        /* the array must hold as many floats as its shape says */
        size_t numel = 1;
        for (int d = 0; d < a.ndim; d++) numel *= a.shape[d];
        if (numel != a.numel) abort();
        fuzz_touch(a.data, numel * sizeof(float));
        vnca_array_free(&a);
    }
    return 0;
}
