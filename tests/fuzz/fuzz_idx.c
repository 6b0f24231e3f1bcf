/* Fuzz target: an idx file (gzip-compressed or not) read as images and as
 * labels, the two kinds the data loader reads. */
#include <stdlib.h>

#include "fuzz_input.h"
#include "vnca/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_input_path(data, size);
    for (int dims = 1; dims <= 3; dims += 2) {
        VncaError err;
        uint8_t *bytes;
        int shape[3];
        if (vnca_idx_read(path, dims, &bytes, shape, &err) == 0) {
            /* the data must be as long as the header says */
            fuzz_touch(bytes, (size_t)shape[0] * shape[1] * shape[2]);
            free(bytes);
        }
    }
    return 0;
}
