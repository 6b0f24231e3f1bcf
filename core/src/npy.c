/* NumPy .npy files: "\x93NUMPY", a version, a header length, a Python dict
 * literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a newline, then the raw data in C order. */
#include "vnca/npy.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file_io.h"

_Static_assert(VNCA_NPY_MAX_DIMS <= DESCRIBED_DIMS, "describe_element must take any .npy shape");

/* Data is moved and written as it lies in memory: little-endian hosts only. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host: '<f4' data would need byte-swapping"
#endif

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
#define V1_PREAMBLE 10      /* magic, version 1.0, 2-byte header length */
#define DATA_ALIGN 64       /* numpy starts the data on a 64-byte boundary */

typedef struct NpyHeader {
    size_t itemsize;        /* 4 for '<f4', 8 for '<f8' */
    int ndim;
    int64_t shape[VNCA_NPY_MAX_DIMS];
} NpyHeader;

/* ---- the header dict ---------------------------------------------------- */

typedef struct Scanner {
    const char *p, *end;
    const char *path;
    VncaError *err;
} Scanner;

static void skip_space(Scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Skips whitespace, then consumes c if it comes next. */
static int accept(Scanner *s, char c)
{
    skip_space(s);
    if (s->p == s->end || *s->p != c) return 0;
    s->p++;
    return 1;
}

/* A quoted string without escapes: all that numpy writes for keys and dtypes. */
static int scan_string(Scanner *s, char *out, size_t cap)
{
    skip_space(s);
    if (s->p == s->end || (*s->p != '\'' && *s->p != '"')) return -1;
    char quote = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != quote && *s->p != '\\' && n + 1 < cap) out[n++] = *s->p++;
    if (s->p == s->end || *s->p != quote) return -1;
    s->p++;
    out[n] = '\0';
    return 0;
}

static int scan_bool(Scanner *s, int *value)
{
    skip_space(s);
    const char *word = s->p;
    while (s->p < s->end && ((*s->p >= 'A' && *s->p <= 'Z') || (*s->p >= 'a' && *s->p <= 'z')))
        s->p++;
    size_t n = (size_t)(s->p - word);
    if (n == 4 && memcmp(word, "True", 4) == 0) *value = 1;
    else if (n == 5 && memcmp(word, "False", 5) == 0) *value = 0;
    else return -1;
    return 0;
}

static int scan_dim(Scanner *s, int64_t *value)
{
    skip_space(s);
    const char *start = s->p;
    int64_t v = 0;
    for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++) {
        int digit = *s->p - '0';
        if (v > (INT64_MAX - digit) / 10) return -1;
        v = 10 * v + digit;
    }
    if (s->p == start) return -1;
    *value = v;
    return 0;
}

/* A tuple of non-negative integers: (), (n,), (a, b), (a, b,). "(n)" is an
 * int in Python, not a tuple, and is refused. */
static int scan_shape(Scanner *s, NpyHeader *h)
{
    static const char bad[] = "%s: .npy header: 'shape' is not a tuple of non-negative integers";
    if (!accept(s, '(')) return vnca_fail(s->err, bad, s->path);
    if (accept(s, ')')) return 0;
    for (;;) {
        if (h->ndim == VNCA_NPY_MAX_DIMS)
            return vnca_fail(s->err, "%s: .npy header: shape has more than %d dimensions", s->path,
                             VNCA_NPY_MAX_DIMS);
        if (scan_dim(s, &h->shape[h->ndim++])) return vnca_fail(s->err, bad, s->path);
        int comma = accept(s, ',');
        if (accept(s, ')')) return comma || h->ndim > 1 ? 0 : vnca_fail(s->err, bad, s->path);
        if (!comma) return vnca_fail(s->err, bad, s->path);
    }
}

static int parse_descr(Scanner *s, NpyHeader *h)
{
    char descr[32];
    if (scan_string(s, descr, sizeof descr))
        return vnca_fail(s->err, "%s: .npy header: 'descr' is not a short quoted string", s->path);
    if (strcmp(descr, "<f4") == 0) h->itemsize = 4;
    else if (strcmp(descr, "<f8") == 0) h->itemsize = 8;
    else
        return vnca_fail(s->err, "%s: dtype '%s' is not supported (expected '<f4' or '<f8')",
                         s->path, descr);
    return 0;
}

static int parse_fortran_order(Scanner *s)
{
    int fortran;
    if (scan_bool(s, &fortran))
        return vnca_fail(s->err, "%s: .npy header: 'fortran_order' is not True or False", s->path);
    if (fortran)
        return vnca_fail(s->err, "%s: fortran_order True is not supported (C order only)",
                         s->path);
    return 0;
}

enum { KEY_DESCR = 1, KEY_ORDER = 2, KEY_SHAPE = 4, ALL_KEYS = 7 };

static int parse_item(Scanner *s, NpyHeader *h, int *seen)
{
    char key[32];
    if (scan_string(s, key, sizeof key) || !accept(s, ':'))
        return vnca_fail(s->err, "%s: .npy header: expected 'key': value", s->path);
    int bit = strcmp(key, "descr") == 0           ? KEY_DESCR
              : strcmp(key, "fortran_order") == 0 ? KEY_ORDER
              : strcmp(key, "shape") == 0         ? KEY_SHAPE
                                                  : 0;
    if (!bit) return vnca_fail(s->err, "%s: .npy header: unexpected key '%s'", s->path, key);
    if (*seen & bit) return vnca_fail(s->err, "%s: .npy header: duplicate key '%s'", s->path, key);
    *seen |= bit;
    return bit == KEY_DESCR ? parse_descr(s, h)
           : bit == KEY_ORDER ? parse_fortran_order(s)
                              : scan_shape(s, h);
}

static int parse_dict(Scanner *s, NpyHeader *h)
{
    int seen = 0;
    if (!accept(s, '{')) return vnca_fail(s->err, "%s: .npy header is not a dict", s->path);
    while (!accept(s, '}')) {
        if (parse_item(s, h, &seen)) return -1;
        int comma = accept(s, ',');
        if (accept(s, '}')) break;
        if (!comma) return vnca_fail(s->err, "%s: .npy header: expected ',' or '}'", s->path);
    }
    skip_space(s);
    if (s->p != s->end)
        return vnca_fail(s->err, "%s: .npy header: unexpected text after the dict", s->path);
    const char *missing = !(seen & KEY_DESCR) ? "descr" : !(seen & KEY_ORDER) ? "fortran_order"
                          : !(seen & KEY_SHAPE) ? "shape" : NULL;
    if (missing) return vnca_fail(s->err, "%s: .npy header: missing '%s'", s->path, missing);
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

/* Finds the header dict: bytes [*start, *start + *len). */
static int parse_preamble(const char *path, const unsigned char *b, size_t size, size_t *start,
                          size_t *len, VncaError *err)
{
    if (size < 8) return vnca_fail(err, "%s: file is too short (%zu bytes) to be a .npy file",
                                   path, size);
    if (memcmp(b, MAGIC, sizeof MAGIC) != 0)
        return vnca_fail(err, "%s: not a .npy file (bad magic)", path);
    if (b[6] < 1 || b[6] > 3 || b[7] != 0)
        return vnca_fail(err, "%s: unsupported .npy version %d.%d", path, b[6], b[7]);
    size_t field = b[6] == 1 ? 2 : 4;   /* 2.0 and 3.0 have 4-byte header lengths */
    if (size < 8 + field)
        return vnca_fail(err, "%s: file is too short (%zu bytes) to be a .npy file", path, size);
    size_t n = 0;
    for (size_t i = field; i > 0; i--) n = n << 8 | b[8 + i - 1];
    if (n > size - 8 - field)
        return vnca_fail(err, "%s: header length %zu exceeds file size %zu", path, n, size);
    *start = 8 + field;
    *len = n;
    return 0;
}

static int check_data_size(const char *path, const NpyHeader *h, size_t available, size_t *numel,
                           VncaError *err)
{
    char shape[256];
    format_shape(shape, sizeof shape, h->ndim, h->shape);
    if (shape_numel(h->ndim, h->shape, h->itemsize, numel))
        return vnca_fail(err, "%s: shape %s is too large", path, shape);
    size_t need = *numel * h->itemsize;
    if (available < need)
        return vnca_fail(err, "%s: truncated: %zu bytes of data, shape %s needs %zu", path,
                         available, shape, need);
    if (available > need)
        return vnca_fail(err, "%s: %zu trailing bytes after the data of shape %s", path,
                         available - need, shape);
    return 0;
}

/* The model's arithmetic carries a NaN or an Inf silently into every output
 * it touches, so a bad number is refused here, where its file and place are
 * still known. So is a double beyond float32's range, which would become an
 * Inf; the doubles are checked before they are converted, to name the value
 * the file holds. */
static int check_finite(const char *path, const NpyHeader *h, const unsigned char *data,
                        size_t numel, VncaError *err)
{
    for (size_t i = 0; i < numel; i++) {
        double v;
        if (h->itemsize == sizeof(float)) {
            float f;
            memcpy(&f, data + i * sizeof f, sizeof f);
            v = f;
        } else {
            memcpy(&v, data + i * sizeof v, sizeof v);
        }
        if (isfinite(v) && fabs(v) <= FLT_MAX) continue;
        char element[320];
        describe_element(element, sizeof element, h->ndim, h->shape, i, v);
        return vnca_fail(err, "%s: %s%s", path, element,
                         isfinite(v) ? ", beyond the range of float32"
                                     : "; only finite numbers are accepted");
    }
    return 0;
}

/* Turns the file's buffer into the float array: the data moves to the front,
 * where malloc's alignment suits floats. Doubles are converted in place, in
 * order: float i is written below double i, which is read first, and every
 * later double lies above it. */
static float *take_data(unsigned char *bytes, size_t offset, size_t numel, size_t itemsize)
{
    if (itemsize == sizeof(float)) {
        memmove(bytes, bytes + offset, numel * sizeof(float));
    } else {
        for (size_t i = 0; i < numel; i++) {
            double d;
            memcpy(&d, bytes + offset + i * sizeof d, sizeof d);
            float f = (float)d;
            memcpy(bytes + i * sizeof f, &f, sizeof f);
        }
    }
    return (float *)bytes;
}

int vnca_npy_read(const char *path, VncaArray *a, VncaError *err)
{
    memset(a, 0, sizeof *a);
    unsigned char *bytes;
    size_t size, start = 0, len = 0, numel = 0;
    if (read_file_all(path, &bytes, &size, err)) return -1;
    NpyHeader h = {0};
    int rc = parse_preamble(path, bytes, size, &start, &len, err);
    if (rc == 0) {
        Scanner s = {(const char *)bytes + start, (const char *)bytes + start + len, path, err};
        rc = parse_dict(&s, &h);
    }
    if (rc == 0) rc = check_data_size(path, &h, size - start - len, &numel, err);
    if (rc == 0) rc = check_finite(path, &h, bytes + start + len, numel, err);
    if (rc) {
        free(bytes);
        return rc;
    }
    a->ndim = h.ndim;
    for (int d = 0; d < h.ndim; d++) a->shape[d] = (size_t)h.shape[d];
    a->numel = numel;
    a->data = take_data(bytes, start + len, numel, h.itemsize);
    return 0;
}

void vnca_array_free(VncaArray *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing ------------------------------------------------------------ */

/* Version 1.0 preamble and header, padded with spaces and a newline so that
 * the data starts 64-byte aligned, as numpy writes it. Returns the length;
 * buf must hold 512 bytes (8 dims of 20 digits need under 256). */
static size_t format_header(char *buf, int ndim, const size_t *shape)
{
    char tuple[256];
    size_t used = (size_t)snprintf(tuple, sizeof tuple, "(");
    for (int d = 0; d < ndim; d++)
        used += (size_t)snprintf(tuple + used, sizeof tuple - used, "%s%zu", d ? ", " : "",
                                 shape[d]);
    snprintf(tuple + used, sizeof tuple - used, ndim == 1 ? ",)" : ")");
    int n = snprintf(buf + V1_PREAMBLE, 512 - V1_PREAMBLE,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", tuple);
    size_t text_end = V1_PREAMBLE + (size_t)n;
    size_t total = (text_end + 1 + DATA_ALIGN - 1) / DATA_ALIGN * DATA_ALIGN;
    memset(buf + text_end, ' ', total - 1 - text_end);
    buf[total - 1] = '\n';
    memcpy(buf, MAGIC, sizeof MAGIC);
    buf[6] = 1;
    buf[7] = 0;
    size_t header_len = total - V1_PREAMBLE;
    buf[8] = (char)(header_len & 0xff);
    buf[9] = (char)(header_len >> 8);
    return total;
}

int vnca_npy_write(const char *path, const float *data, int ndim, const size_t *shape,
                   VncaError *err)
{
    if (ndim < 0 || ndim > VNCA_NPY_MAX_DIMS)
        return vnca_fail(err, "%s: %d dimensions, expected 0 to %d", path, ndim,
                         VNCA_NPY_MAX_DIMS);
    int64_t dims[VNCA_NPY_MAX_DIMS];
    for (int d = 0; d < ndim; d++) dims[d] = shape[d] > INT64_MAX ? -1 : (int64_t)shape[d];
    size_t numel;
    if (shape_numel(ndim, dims, sizeof(float), &numel))
        return vnca_fail(err, "%s: shape is too large", path);
    if (numel > 0 && !data) return vnca_fail(err, "%s: no data to write", path);
    char header[512];
    size_t header_len = format_header(header, ndim, shape);
    AtomicFile af;
    if (!atomic_open(&af, path, err)) return -1;
    if (atomic_write(&af, header, header_len, err) ||
        atomic_write(&af, data, numel * sizeof(float), err)) {
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err);
}
