/* How the fuzz targets hand their bytes to readers that take a path: a memory
 * file (memfd), rewritten for every input and reached as /proc/self/fd/N, so
 * that fuzzing writes nothing to the disk. */
#ifndef VNCA_FUZZ_INPUT_H
#define VNCA_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The path of a file holding exactly data[0, size). Aborts when the memory
 * file cannot be made or written: that is the harness failing, not the code
 * under test. */
const char *fuzz_input_path(const uint8_t *data, size_t size);

/* Reads every byte of p[0, len), so that the sanitizers check that memory a
 * reader handed back is really there. */
void fuzz_touch(const void *p, size_t len);

/* The fuzzing entry point every target defines (libFuzzer's, or the replay
 * driver's main calls it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
