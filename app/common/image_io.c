#include "image_io.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include "vnca/io.h"

int image_load_gray(const char *path, float **pixels, int *w, int *h, VncaError *err)
{
    int channels;
    *pixels = NULL;
    unsigned char *rgba = stbi_load(path, w, h, &channels, 4);
    if (!rgba) return vnca_fail(err, "%s: cannot read the image: %s", path, stbi_failure_reason());
    const size_t n = (size_t)*w * *h;
    *pixels = malloc(n * sizeof(float));
    if (!*pixels) {
        stbi_image_free(rgba);
        return vnca_fail(err, "%s: out of memory for a %dx%d image", path, *w, *h);
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = rgba + 4 * i;
        /* Rec. 601 luma, then alpha over black */
        float luma = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
        (*pixels)[i] = luma * (p[3] / 255.0f);
    }
    stbi_image_free(rgba);
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
        float v = pixels[i] < 0.0f ? 0.0f : pixels[i] > 1.0f ? 1.0f : pixels[i];
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
