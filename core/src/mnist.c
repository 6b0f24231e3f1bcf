/* MNIST idx files through zlib (gzread also reads uncompressed files), and
 * the static binarized sets also as the .amat text files of their authors. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

enum { AMAT_SIDE = 28, AMAT_VALUES = AMAT_SIDE * AMAT_SIDE, WHY_LEN = 96 };

/* c as 'c' when printable, else as 0x.. */
static const char *quoted(char c, char buf[8])
{
    snprintf(buf, 8, isprint((unsigned char)c) ? "'%c'" : "0x%02x", (unsigned char)c);
    return buf;
}

/* One .amat line (newline included) into AMAT_VALUES bytes 0/1: NULL, or
 * what is wrong with the line, written into why. */
static const char *parse_amat_line(const char *line, uint8_t *image, char why[WHY_LEN])
{
    char seen[8];
    for (int v = 0; v < AMAT_VALUES; v++) {
        char value = line[2 * v], after = line[2 * v + 1];
        int last = v + 1 == AMAT_VALUES;
        if (value == '\n')
            snprintf(why, WHY_LEN, "%d values, expected %d", v, AMAT_VALUES);
        else if (value != '0' && value != '1')
            snprintf(why, WHY_LEN, "value %d is %s, expected 0 or 1", v + 1, quoted(value, seen));
        else if (after == '\n' && !last)
            snprintf(why, WHY_LEN, "%d values, expected %d", v + 1, AMAT_VALUES);
        else if (after == ' ' && last)
            snprintf(why, WHY_LEN, "more than %d values", AMAT_VALUES);
        else if (after != (last ? '\n' : ' '))
            snprintf(why, WHY_LEN, "%s after value %d, expected %s", quoted(after, seen), v + 1,
                     last ? "a newline" : "a space");
        else {
            image[v] = (uint8_t)(value - '0');
            continue;
        }
        return why;
    }
    return NULL;
}

/* Larochelle's text format; it has no header, so the caller says how many
 * images. */
int vnca_amat_read(const char *path, int n, uint8_t **data, VncaError *err)
{
    *data = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return vnca_fail(err, "%s: cannot open: %s", path, strerror(errno));
    uint8_t *images = malloc((size_t)n * AMAT_VALUES);
    if (!images) {
        fclose(fp);
        return vnca_fail(err, "%s: out of memory for %d images", path, n);
    }
    char line[2 * AMAT_VALUES + 1], why[WHY_LEN]; /* room for a line, or the sign of a longer one */
    for (int i = 0; i < n; i++) {
        const char *problem = NULL;
        if (!fgets(line, sizeof line, fp)) {
            problem = why;
            if (ferror(fp)) snprintf(why, sizeof why, "cannot read: %s", strerror(errno));
            else snprintf(why, sizeof why, "the file ends after %d of %d images (truncated?)", i, n);
        } else if (!strchr(line, '\n') && feof(fp))
            problem = "the file ends mid-line (truncated?)";
        else
            problem = parse_amat_line(line, images + (size_t)i * AMAT_VALUES, why);
        if (problem) {
            vnca_fail(err, "%s: line %d: %s", path, i + 1, problem);
            goto fail;
        }
    }
    if (fgetc(fp) != EOF) {
        vnca_fail(err, "%s: line %d: more lines than the %d images expected", path, n + 1, n);
        goto fail;
    }
    fclose(fp);
    *data = images;
    return 0;
fail:
    free(images);
    fclose(fp);
    return -1;
}

/* The static sets are named by a stem: STEM-idx3-ubyte.gz, or the file its
 * authors published, STEM.amat, whose image count (no header) is the
 * set's. */
typedef struct SourceFiles {
    const char *name;
    const char *images[2];   /* concatenated in order; a stem for the static sets */
    int static_counts[2];
    const char *labels;
} SourceFiles;

static const SourceFiles sources[] = {
    [VNCA_DATA_STATIC_TRAIN] = {"static binarized MNIST train+valid",
                                {"binarized_mnist/binarized_mnist_train",
                                 "binarized_mnist/binarized_mnist_valid"}, {50000, 10000}, NULL},
    [VNCA_DATA_STATIC_TEST] = {"static binarized MNIST test",
                               {"binarized_mnist/binarized_mnist_test", NULL}, {10000, 0}, NULL},
    [VNCA_DATA_GRAY_TRAIN] = {"grayscale MNIST train", {"mnist/train-images-idx3-ubyte.gz", NULL},
                              {0, 0}, "mnist/train-labels-idx1-ubyte.gz"},
    [VNCA_DATA_GRAY_TEST] = {"grayscale MNIST test", {"mnist/t10k-images-idx3-ubyte.gz", NULL},
                             {0, 0}, "mnist/t10k-labels-idx1-ubyte.gz"},
};

const char *vnca_data_source_name(VncaDataSource source) { return sources[source].name; }

void vnca_images_free(VncaImages *images)
{
    free(images->pixels);
    free(images->labels);
    memset(images, 0, sizeof *images);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A file's images as uint8 [dims[0], dims[1], dims[2]]: the idx file dir/name,
 * or for a static set (count > 0) whichever of its two files is there. */
static int read_images(const char *dir, const char *name, int count, char *path, size_t len,
                       uint8_t **raw, int dims[3], VncaError *err)
{
    if (!count) {
        snprintf(path, len, "%s/%s", dir, name);
        return vnca_idx_read(path, 3, raw, dims, err);
    }
    snprintf(path, len, "%s/%s-idx3-ubyte.gz", dir, name);
    if (exists(path)) return vnca_idx_read(path, 3, raw, dims, err);
    snprintf(path, len, "%s/%s.amat", dir, name);
    if (!exists(path))
        return vnca_fail(err, "%s: cannot open: %s (nor %s-idx3-ubyte.gz)", path,
                         strerror(ENOENT), name);
    dims[0] = count;
    dims[1] = dims[2] = AMAT_SIDE;
    return vnca_amat_read(path, count, raw, err);
}

/* appends a file's digits to out (grown), padded to out->size */
static int append_images(VncaImages *out, const char *dir, const char *name, int count,
                         VncaError *err)
{
    char path[4096];
    uint8_t *raw;
    int dims[3];
    if (read_images(dir, name, count, path, sizeof path, &raw, dims, err)) return -1;
    const int rows = dims[1], cols = dims[2], size = out->size, binary = count > 0;
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
    for (int f = 0; f < 2 && s->images[f]; f++)
        if (append_images(out, dir, s->images[f], s->static_counts[f], err)) goto fail;
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
