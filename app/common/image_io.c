/* Pictures in: PNG through libpng, JPEG through libjpeg-turbo, both made
 * for files from anywhere (stb_image 2.27, Debian 12's, reads and writes out
 * of bounds on crafted PNM and JPEG files: tests/fuzz found both). Pictures
 * out: PNG through stb_image_write. */
#include "image_io.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <stb_image_write.h>

#include "vnca/io.h"

/* Checked in the header, before any pixel is allocated: a small file must
 * not get gigabytes (256 MiB of RGBA at most; a digit is rarely drawn
 * larger). */
enum { MAX_SIDE = 8192 };
/* A progressive JPEG may hold thousands of scans, each a pass over the whole
 * picture; libjpeg-turbo advises a limit for untrusted files. */
enum { MAX_SCANS = 100 };
/* libjpeg's own buffers (a progressive picture keeps all its coefficients) */
#define MAX_JPEG_MEMORY (512L << 20)

static unsigned char *load_png(FILE *f, const char *path, int *w, int *h, VncaError *err)
{
    png_image image = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_stdio(&image, f)) {
        vnca_fail(err, "%s: cannot read the image: PNG: %s", path, image.message);
        return NULL;
    }
    if (image.width > MAX_SIDE || image.height > MAX_SIDE) {
        vnca_fail(err, "%s: cannot read the image: %ux%u pixels, at most %d a side", path,
                  image.width, image.height, MAX_SIDE);
        png_image_free(&image);
        return NULL;
    }
    image.format = PNG_FORMAT_RGBA;
    unsigned char *rgba = malloc(PNG_IMAGE_SIZE(image));
    if (!rgba) {
        vnca_fail(err, "%s: out of memory for a %ux%u picture", path, image.width, image.height);
        png_image_free(&image);
        return NULL;
    }
    if (!png_image_finish_read(&image, NULL, rgba, 0, NULL)) {
        vnca_fail(err, "%s: cannot read the image: PNG: %s", path, image.message);
        free(rgba);
        return NULL;
    }
    *w = (int)image.width;
    *h = (int)image.height;
    return rgba;
}

typedef struct JpegErrors {
    struct jpeg_error_mgr mgr;    /* first: libjpeg sees a jpeg_error_mgr */
    jmp_buf fail;
    char message[JMSG_LENGTH_MAX];
} JpegErrors;

static void jpeg_failed(j_common_ptr cinfo)
{
    JpegErrors *e = (JpegErrors *)cinfo->err;
    e->mgr.format_message(cinfo, e->message);
    longjmp(e->fail, 1);
}

/* Warnings (e.g. data missing at the end) are not worth stopping for, nor
 * printing: the decoder fills in what is missing. */
static void jpeg_warned(j_common_ptr cinfo) { (void)cinfo; }

static void count_scans(j_common_ptr cinfo)
{
    if (((j_decompress_ptr)cinfo)->input_scan_number <= MAX_SCANS) return;
    JpegErrors *e = (JpegErrors *)cinfo->err;
    snprintf(e->message, sizeof e->message, "more than %d scans", MAX_SCANS);
    longjmp(e->fail, 1);
}

static unsigned char *load_jpeg(FILE *f, const char *path, int *w, int *h, VncaError *err)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_progress_mgr progress = {.progress_monitor = count_scans};
    JpegErrors errors;
    unsigned char *volatile rgba = NULL;   /* volatile: read after a longjmp */
    cinfo.err = jpeg_std_error(&errors.mgr);
    errors.mgr.error_exit = jpeg_failed;
    errors.mgr.output_message = jpeg_warned;
    if (setjmp(errors.fail)) {
        jpeg_destroy_decompress(&cinfo);
        free(rgba);
        vnca_fail(err, "%s: cannot read the image: JPEG: %s", path, errors.message);
        return NULL;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = MAX_JPEG_MEMORY;
    cinfo.progress = &progress;
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.image_width > MAX_SIDE || cinfo.image_height > MAX_SIDE) {
        snprintf(errors.message, sizeof errors.message, "%ux%u pixels, at most %d a side",
                 cinfo.image_width, cinfo.image_height, MAX_SIDE);
        longjmp(errors.fail, 1);
    }
    cinfo.out_color_space = JCS_EXT_RGBA;
    jpeg_start_decompress(&cinfo);
    const size_t stride = 4 * (size_t)cinfo.output_width;
    rgba = malloc(stride * cinfo.output_height);
    if (!rgba) {
        snprintf(errors.message, sizeof errors.message, "out of memory");
        longjmp(errors.fail, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = rgba + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *w = (int)cinfo.output_width;
    *h = (int)cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    return rgba;
}

int image_load_gray(const char *path, float **pixels, int *w, int *h, VncaError *err)
{
    *pixels = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return vnca_fail(err, "%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    rewind(f);
    unsigned char *rgba = NULL;
    if (got == sizeof magic && png_sig_cmp(magic, 0, sizeof magic) == 0)
        rgba = load_png(f, path, w, h, err);
    else if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF)
        rgba = load_jpeg(f, path, w, h, err);
    else
        vnca_fail(err, "%s: cannot read the image: not a PNG or JPEG file", path);
    fclose(f);
    if (!rgba) return -1;
    const size_t n = (size_t)*w * *h;
    *pixels = malloc(n * sizeof(float));
    if (!*pixels) {
        free(rgba);
        return vnca_fail(err, "%s: out of memory for a %dx%d image", path, *w, *h);
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = rgba + 4 * i;
        /* Rec. 601 luma, then alpha over black */
        float luma = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
        (*pixels)[i] = luma * (p[3] / 255.0f);
    }
    free(rgba);
    return 0;
}

typedef struct Buffer {
    unsigned char *data;
    size_t len, cap;
    int failed;
} Buffer;

static void append(void *ctx, void *data, int size)
{
    Buffer *b = ctx;
    if (b->failed || size <= 0) return;
    if (b->len + (size_t)size > b->cap) {
        size_t cap = 2 * (b->len + (size_t)size);
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, (size_t)size);
    b->len += (size_t)size;
}

int image_save_png(const char *path, const float *pixels, int w, int h, int channels,
                   VncaError *err)
{
    const size_t n = (size_t)w * h * channels;
    unsigned char *bytes = malloc(n);
    if (!bytes) return vnca_fail(err, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        /* a NaN fails both tests: black, not a float-to-byte conversion out of range */
        const float v = pixels[i] > 0.0f ? pixels[i] < 1.0f ? pixels[i] : 1.0f : 0.0f;
        bytes[i] = (unsigned char)(v * 255.0f + 0.5f);
    }
    Buffer png = {0};
    int ok = stbi_write_png_to_func(append, &png, w, h, channels, bytes, w * channels);
    free(bytes);
    int rc = !ok || png.failed ? vnca_fail(err, "%s: cannot encode the PNG", path)
                               : vnca_write_file_atomic(path, png.data, png.len, err);
    free(png.data);
    return rc;
}
