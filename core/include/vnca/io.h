/* vnca/io.h: whole-file reads, and writes that readers see either as the old
 * file or as the complete new one, never a partial one. Errors name the path
 * and the cause (e.g. "No space left on device"). */
#ifndef VNCA_IO_H
#define VNCA_IO_H

#include <stddef.h>

#include "vnca/error.h"

/* Reads all of path into *data (malloc'd; free()), *len bytes. */
int vnca_read_file(const char *path, unsigned char **data, size_t *len, VncaError *err);

/* Writes "<path>.tmp.<pid>", flushes it to disk and renames it over path; on
 * failure the old file is untouched and the temporary file removed. */
int vnca_write_file_atomic(const char *path, const void *data, size_t len, VncaError *err);

/* A process killed while writing leaves its "<path>.tmp.<pid>" behind. This
 * removes those of path whose process no longer runs on this machine, and
 * returns how many it removed. */
int vnca_remove_stale_temp_files(const char *path);

#endif
