/* vnca/safetensors.h: read and write safetensors files (F32 tensors only).
 *
 * Format: an 8-byte little-endian header length L, then L bytes of JSON
 *   {"__metadata__": {"k": "v", ...},
 *    "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * then the raw little-endian data; offsets are relative to the data section.
 *
 * The reader trusts nothing: it checks the header length against the file size,
 * the JSON, every entry's dtype, shape and offsets (in range, size matching the
 * shape, no two tensors overlapping) and reports the first problem it finds,
 * naming the file. The writer writes a temporary file beside the target, flushes
 * it to disk and renames it over the target, so a failed save leaves the old
 * file untouched. */
#ifndef VNCA_SAFETENSORS_H
#define VNCA_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "vnca/error.h"
#include "vnca/meta.h"

#define VNCA_ST_MAX_DIMS 8

typedef struct VncaStTensor {
    char *name;
    int ndim;
    int64_t shape[VNCA_ST_MAX_DIMS];
    size_t numel;
    const float *data;      /* into the file's data section (read) or caller's (write) */
} VncaStTensor;

typedef struct VncaStFile {
    int n;
    VncaStTensor *tensors;  /* in order of their data offsets */
    VncaMeta meta;
    void *blob;             /* owns everything the tensors point into */
} VncaStFile;

/* Reads and validates path. On success the caller owns *f (vnca_st_free). */
int vnca_st_read(const char *path, VncaStFile *f, VncaError *err);
void vnca_st_free(VncaStFile *f);
/* NULL when absent */
const VncaStTensor *vnca_st_find(const VncaStFile *f, const char *name);

/* Writes n tensors (name, ndim, shape, data; numel is derived) and meta
 * (may be NULL) atomically to path. */
int vnca_st_write(const char *path, const VncaStTensor *tensors, int n,
                  const VncaMeta *meta, VncaError *err);

#endif
