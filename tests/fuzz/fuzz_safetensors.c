/* Fuzz target: a safetensors file through the generic reader and through the
 * model loader, which adds the config metadata, the layout and finite values. */
#include <stdlib.h>

#include "fuzz_input.h"
#include "vnca/safetensors.h"
#include "vnca/vnca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_input_path(data, size);
    VncaError err;
    VncaStFile f;
    if (vnca_st_read(path, &f, &err) == 0) {
        /* every tensor the reader accepted must be readable to its end and
         * findable by its name */
        for (int i = 0; i < f.n; i++) {
            fuzz_touch(f.tensors[i].data, f.tensors[i].numel * sizeof(float));
            if (!vnca_st_find(&f, f.tensors[i].name)) abort();
        }
        vnca_st_free(&f);
    }
    VncaModel m;
    if (vnca_model_load(&m, path, &err) == 0) vnca_model_free(&m);
    return 0;
}
