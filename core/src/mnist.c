/* MNIST idx files through zlib (gzread also reads uncompressed files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vnca/data.h"

static int gz_fail(VncaError *err, const char *path, gzFile gz, const char *what)
{
    int code = 0;
    const char *msg = gz ? gzerror(gz, &code) : NULL;
    if (code == Z_ERRNO || !msg || !*msg) msg = errno ? strerror(errno) : "unexpected end of file";
    vnca_fail(err, "%s: %s: %s", path, what, msg);
    if (gz) gzclose(gz);
    return -1;
}

/* reads exactly len bytes, or fails naming what was being read */
static int gz_read_exact(gzFile gz, void *buf, size_t len, const char *path, const char *what,
                         VncaError *err)
{
    unsigned char *p = buf;
    while (len > 0) {
        unsigned chunk = len > (1u << 30) ? 1u << 30 : (unsigned)len;
        int got = gzread(gz, p, chunk);
        if (got <= 0) {
            errno = 0;
            return gz_fail(err, path, gz, what);
        }
        p += got;
        len -= (size_t)got;
    }
    return 0;
}

/* The data, read into a buffer grown as the bytes arrive: the header's
 * sizes are only claims, and a few bytes claiming terabytes must not get
 * them allocated. Closes gz on failure. */
static uint8_t *read_data(gzFile gz, size_t total, const char *path, VncaError *err)
{
    enum { FIRST_CHUNK = 1 << 20 };
    size_t cap = 0, got = 0;
    uint8_t *buf = NULL;
    while (got < total) {
        if (got == cap) {
            size_t want = !cap ? (total < FIRST_CHUNK ? total : FIRST_CHUNK)
                               : (cap < total / 2 ? 2 * cap : total);
            uint8_t *grown = realloc(buf, want);
            if (!grown) {
                free(buf);
                gzclose(gz);
                vnca_fail(err, "%s: out of memory for %zu bytes", path, want);
                return NULL;
            }
            buf = grown;
            cap = want;
        }
        if (gz_read_exact(gz, buf + got, cap - got, path, "reading the idx data (file truncated?)",
                          err)) {
            free(buf);
            return NULL;
        }
        got = cap;
    }
    return buf;
}

static uint32_t big_endian_u32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int vnca_idx_read(const char *path, int expect_dims, uint8_t **data, int dims[3], VncaError *err)
{
    *data = NULL;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return vnca_fail(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    unsigned char header[16];
    if (gz_read_exact(gz, header, 4, path, "reading the idx header", err)) return -1;
    uint32_t magic = big_endian_u32(header);
    if (magic >> 8 != 0x08 || (int)(magic & 0xff) != expect_dims) {
        gzclose(gz);
        return vnca_fail(err, "%s: not an idx file of %d-dimensional uint8 data (magic 0x%08x)",
                         path, expect_dims, (unsigned)magic);
    }
    if (gz_read_exact(gz, header + 4, 4 * (size_t)expect_dims, path, "reading the idx header", err))
        return -1;
    size_t total = 1;
    for (int d = 0; d < 3; d++) dims[d] = 1;
    for (int d = 0; d < expect_dims; d++) {
        uint32_t v = big_endian_u32(header + 4 + 4 * d);
        if (v == 0 || v > 100000000u || total > SIZE_MAX / v / 2) {
            gzclose(gz);
            return vnca_fail(err, "%s: implausible idx dimension %u", path, (unsigned)v);
        }
        dims[d] = (int)v;
        total *= v;
    }
    *data = read_data(gz, total, path, err);
    if (!*data) return -1;
    unsigned char extra;
    int more = gzread(gz, &extra, 1);
    gzclose(gz);
    if (more != 0) {
        free(*data);
        *data = NULL;
        return vnca_fail(err, "%s: %s after the %zu bytes the header announces", path,
                         more > 0 ? "extra data" : "corrupt compressed data", total);
    }
    return 0;
}

typedef struct SourceFiles {
    const char *name;
    const char *images[2];   /* concatenated in order */
    const char *labels;
    int binary;
} SourceFiles;

static const SourceFiles sources[] = {
    [VNCA_DATA_STATIC_TRAIN] = {"static binarized MNIST train+valid",
                                {"binarized_mnist/binarized_mnist_train-idx3-ubyte.gz",
                                 "binarized_mnist/binarized_mnist_valid-idx3-ubyte.gz"}, NULL, 1},
    [VNCA_DATA_STATIC_TEST] = {"static binarized MNIST test",
                               {"binarized_mnist/binarized_mnist_test-idx3-ubyte.gz", NULL}, NULL, 1},
    [VNCA_DATA_GRAY_TRAIN] = {"grayscale MNIST train", {"mnist/train-images-idx3-ubyte.gz", NULL},
                              "mnist/train-labels-idx1-ubyte.gz", 0},
    [VNCA_DATA_GRAY_TEST] = {"grayscale MNIST test", {"mnist/t10k-images-idx3-ubyte.gz", NULL},
                             "mnist/t10k-labels-idx1-ubyte.gz", 0},
};

const char *vnca_data_source_name(VncaDataSource source) { return sources[source].name; }

void vnca_images_free(VncaImages *images)
{
    free(images->pixels);
    free(images->labels);
    memset(images, 0, sizeof *images);
}

/* appends the idx file's digits to out (grown), padded to out->size */
static int append_images(VncaImages *out, const char *path, int binary, VncaError *err)
{
    uint8_t *raw;
    int dims[3];
    if (vnca_idx_read(path, 3, &raw, dims, err)) return -1;
    const int rows = dims[1], cols = dims[2], size = out->size;
    if (rows > size || cols > size) {
        free(raw);
        return vnca_fail(err, "%s: %dx%d images do not fit in %dx%d", path, rows, cols, size, size);
    }
    const size_t pixels = (size_t)size * size;
    float *grown = realloc(out->pixels, ((size_t)out->n + dims[0]) * pixels * sizeof(float));
    if (!grown) {
        free(raw);
        return vnca_fail(err, "%s: out of memory", path);
    }
    out->pixels = grown;
    float *dst = grown + (size_t)out->n * pixels;
    memset(dst, 0, (size_t)dims[0] * pixels * sizeof(float));
    const int top = (size - rows) / 2, left = (size - cols) / 2;
    for (int i = 0; i < dims[0]; i++)
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) {
                uint8_t v = raw[((size_t)i * rows + y) * cols + x];
                if (binary && v > 1) {
                    free(raw);
                    return vnca_fail(err, "%s: image %d has value %d, expected 0 or 1", path, i, v);
                }
                dst[((size_t)i * size + top + y) * size + left + x] = binary ? v : v / 255.0f;
            }
    out->n += dims[0];
    free(raw);
    return 0;
}

int vnca_data_load(const char *dir, VncaDataSource source, int size, VncaImages *out,
                   VncaError *err)
{
    memset(out, 0, sizeof *out);
    out->size = size;
    const SourceFiles *s = &sources[source];
    char path[4096];
    for (int f = 0; f < 2 && s->images[f]; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, s->images[f]);
        if (append_images(out, path, s->binary, err)) goto fail;
    }
    if (s->labels) {
        int dims[3];
        snprintf(path, sizeof path, "%s/%s", dir, s->labels);
        if (vnca_idx_read(path, 1, &out->labels, dims, err)) goto fail;
        if (dims[0] != out->n) {
            vnca_fail(err, "%s: %d labels for %d images", path, dims[0], out->n);
            goto fail;
        }
    }
    return 0;
fail:
    vnca_images_free(out);
    return -1;
}

void vnca_binarize(float *out, const float *p, size_t n, VncaRng *rng)
{
    for (size_t i = 0; i < n; i++) out[i] = vnca_rng_uniform(rng) < p[i] ? 1.0f : 0.0f;
}
