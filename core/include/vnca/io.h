/* vnca/io.h: writing a file so that readers see either the old file or the
 * complete new one, never a partial one (temporary file beside the target,
 * flushed to disk, renamed over it). Errors name the path and the cause
 * (e.g. "No space left on device"); on failure the old file is untouched. */
#ifndef VNCA_IO_H
#define VNCA_IO_H

#include <stddef.h>

#include "vnca/error.h"

int vnca_write_file_atomic(const char *path, const void *data, size_t len, VncaError *err);

#endif
