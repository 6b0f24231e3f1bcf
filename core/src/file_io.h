/* file_io.h: what libvnca's file formats (safetensors, .npy, model files,
 * checkpoints, images) share. Internal: not installed, not part of the API.
 *
 * Every function reports failures as "<path>: <what failed>[: <strerror>]". */
#ifndef VNCA_FILE_IO_H
#define VNCA_FILE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vnca/error.h"

/* Reads all of path into *data (malloc'd, so aligned for any type; free()),
 * *len bytes. Works for files whose size is unknown in advance (pipes). */
int read_file_all(const char *path, unsigned char **data, size_t *len, VncaError *err);

/* Writing a file so that readers see the old file or the complete new one,
 * never a partial one:
 *
 *   FILE *fp = atomic_open(&af, path, err);      "<path>.tmp.<pid>"
 *   if (!fp) return -1;
 *   if (atomic_write(&af, buf, len, err)) {      (or fwrite/fprintf on fp)
 *       atomic_abort(&af);
 *       return -1;
 *   }
 *   return atomic_commit(&af, err);              flush, fsync, close, rename
 *
 * atomic_commit removes the temporary file itself when it fails, and catches
 * errors of writes made directly on fp (ferror). atomic_abort after a
 * finished commit does nothing. */
typedef struct AtomicFile {
    const char *path;   /* the target, borrowed from the caller */
    char *tmp_path;     /* owned */
    FILE *fp;
} AtomicFile;

FILE *atomic_open(AtomicFile *af, const char *path, VncaError *err);
int atomic_write(AtomicFile *af, const void *buf, size_t len, VncaError *err);
int atomic_commit(AtomicFile *af, VncaError *err);
void atomic_abort(AtomicFile *af);

/* The element count of a shape; -1 when a dimension is negative or the
 * count times elem_size (the byte count) does not fit a size_t. */
int shape_numel(int ndim, const int64_t *shape, size_t elem_size, size_t *numel);

/* "[a, b, c]" for error messages, truncated to fit buf. */
void format_shape(char *buf, size_t len, int ndim, const int64_t *shape);

/* "element 37 ([2, 5]) is NaN" for error messages: element `index` of an
 * array of that shape (C order, up to DESCRIBED_DIMS dimensions, index within
 * it), its coordinates past one dimension, and its value: "NaN", "+Inf",
 * "-Inf" or the number. Truncated to fit buf. */
#define DESCRIBED_DIMS 8
void describe_element(char *buf, size_t len, int ndim, const int64_t *shape, size_t index,
                      double value);

#endif
