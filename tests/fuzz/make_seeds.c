/* Writes the seed corpus of the fuzz targets into DIR/<target>/: small valid
 * files of every kind the targets read, and a few broken on purpose in ways
 * a random mutation rarely reaches (consistent headers around a bad value).
 * The inputs the fuzzers found, and the scripts, are kept beside them.
 *
 *   ninja -C build tests/fuzz/make_seeds && build/tests/fuzz/make_seeds tests/fuzz/corpus */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <stb_image_write.h>

#include "fixtures.h"
#include "image_io.h"
#include "vnca/npy.h"
#include "vnca/safetensors.h"

static const char *root;

static const char *seed_path(const char *target, const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    return path;
}

static void check(int failed, const char *what)
{
    if (failed) {
        fprintf(stderr, "make_seeds: %s failed\n", what);
        exit(1);
    }
}

static void write_bytes(const char *path, const void *a, size_t a_len, const void *b, size_t b_len)
{
    FILE *f = fopen(path, "wb");
    check(!f || fwrite(a, 1, a_len, f) != a_len || fwrite(b, 1, b_len, f) != b_len || fclose(f),
          path);
}

/* A safetensors file of the given header JSON and data_len bytes of data. */
static void write_raw_st(const char *name, const char *json, size_t data_len)
{
    unsigned char head[8 + 512] = {0}, data[64] = {0};
    size_t len = strlen(json);
    for (int i = 0; i < 8; i++) head[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(head + 8, json, len);
    write_bytes(seed_path("safetensors", name), head, 8 + len, data, data_len);
}

static void safetensors_seeds(void)
{
    VncaModel m;
    VncaConfig sobel = micro_config(VNCA_PERCEIVE_SOBEL), conv3 = micro_config(VNCA_PERCEIVE_CONV3);
    conv3.variant = VNCA_VARIANT_PERSISTENT;
    check(make_model(&m, &sobel, 1) ||
          vnca_model_save(&m, seed_path("safetensors", "micro-sobel.safetensors"), NULL),
          "micro-sobel");
    /* the loader must refuse a model with a NaN in it */
    m.params[m.layout.n_params / 2] = NAN;
    check(vnca_model_save(&m, seed_path("safetensors", "micro-nan.safetensors"), NULL),
          "micro-nan");
    vnca_model_free(&m);
    check(make_model(&m, &conv3, 2) || vnca_meta_set(&m.meta, "training.steps", "12") ||
          vnca_model_save(&m, seed_path("safetensors", "micro-conv3-persistent.safetensors"),
                          NULL),
          "micro-conv3");
    vnca_model_free(&m);

    const float values[6] = {1, 2, 3, 4, 5, 6};
    VncaStTensor t[3] = {{.name = "scalar", .ndim = 0, .data = values},
                         {.name = "matrix", .ndim = 2, .shape = {2, 3}, .data = values},
                         {.name = "empty", .ndim = 2, .shape = {0, 3}}};
    VncaMeta meta = {0};
    check(vnca_meta_set(&meta, "note", "seed") ||
          vnca_st_write(seed_path("safetensors", "tensors.safetensors"), t, 3, &meta, NULL),
          "tensors");
    vnca_meta_free(&meta);
    write_raw_st("overlap.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    write_raw_st("huge-shape.safetensors",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                 "\"data_offsets\":[0,0]}}", 0);
    write_raw_st("escapes.safetensors",
                 "{\"__metadata__\":{\"k\\u0000ey\":\"v\\ud83d\\ude00\"},"
                 "\"\\\"a\\\"\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);
}

/* A copy of the checkpoint `from` with one number changed. */
static void checkpoint_with(const char *from, const char *name, const char *key, const char *value)
{
    VncaStFile f;
    check(vnca_st_read(from, &f, NULL) || vnca_meta_set(&f.meta, key, value) ||
          vnca_st_write(seed_path("checkpoint", name), f.tensors, f.n, &f.meta, NULL), name);
    vnca_st_free(&f);
}

static void checkpoint_seeds(void)
{
    VncaTrainer tr;
    VncaModel m;
    VncaImages data;
    VncaTrainStats stats;
    char valid[4096];
    snprintf(valid, sizeof valid, "%s", seed_path("checkpoint", "micro-step3.ckpt"));
    check(micro_trainer(&tr, &m, &data), "micro trainer");
    for (int i = 0; i < 3; i++) check(vnca_trainer_step(&tr, &stats, NULL), "step");
    check(vnca_trainer_save(&tr, valid, NULL), "checkpoint");
    vnca_trainer_free(&tr);
    vnca_model_free(&m);
    vnca_images_free(&data);
    /* numbers out of their types' range: converting them was undefined */
    checkpoint_with(valid, "data-size-1e300.ckpt", "checkpoint.data_size", "1e300");
    checkpoint_with(valid, "seed-negative.ckpt", "checkpoint.seed", "-1");
}

/* A .npy file of the given version (1: 2-byte, 2: 4-byte header length). */
static void write_raw_npy(const char *name, int version, const char *dict, const void *data,
                          size_t data_len)
{
    unsigned char head[12 + 256] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)version, 0};
    size_t field = version == 1 ? 2 : 4, len = strlen(dict);
    for (size_t i = 0; i < field; i++) head[8 + i] = (unsigned char)(len >> (8 * i));
    memcpy(head + 8 + field, dict, len);
    write_bytes(seed_path("npy", name), head, 8 + field + len, data, data_len);
}

static void npy_seeds(void)
{
    const float values[6] = {0, 0.5f, 1, -1, 1e30f, 3};
    const size_t shape[2] = {2, 3};
    check(vnca_npy_write(seed_path("npy", "f4-2x3.npy"), values, 2, shape, NULL) ||
          vnca_npy_write(seed_path("npy", "f4-scalar.npy"), values, 0, shape, NULL), "npy");
    const double one = 1.0;
    write_raw_npy("f8-v2.npy", 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n",
                  &one, sizeof one);
    write_raw_npy("fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }\n",
                  values, 4);
    write_raw_npy("short-data.npy", 1, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
                  values, 20);
}

static void idx_seeds(void)
{
    /* two 3x3 images, gzip-compressed as MNIST ships; labels uncompressed */
    static const unsigned char images[16 + 18] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3,
                                                  0, 1, 0, 1, 1, 1, 0, 1, 0, 255, 0, 255};
    static const unsigned char labels[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 7, 3};
    gzFile gz = gzopen(seed_path("idx", "images-idx3.gz"), "wb");
    check(!gz || gzwrite(gz, images, sizeof images) != (int)sizeof images || gzclose(gz) != Z_OK,
          "idx images");
    write_bytes(seed_path("idx", "labels-idx1"), labels, sizeof labels, "", 0);
}

static void image_seeds(void)
{
    /* a stroke, dark on light, in the formats the app takes, and in one it
     * refuses */
    enum { S = 12 };
    float gray[S * S], rgb[3 * S * S];
    unsigned char bytes[S * S];
    for (int i = 0; i < S * S; i++) {
        int x = i % S, y = i / S;
        gray[i] = abs(x - y) < 2 && x > 2 && x < 10 ? 0.1f : 0.9f;
        rgb[3 * i] = gray[i], rgb[3 * i + 1] = 0.5f, rgb[3 * i + 2] = 1 - gray[i];
        bytes[i] = (unsigned char)(255 * gray[i]);
    }
    check(image_save_png(seed_path("image", "stroke.png"), gray, S, S, 1, NULL) ||
          image_save_png(seed_path("image", "stroke-rgb.png"), rgb, S, S, 3, NULL), "png");
    check(!stbi_write_jpg(seed_path("image", "stroke.jpg"), S, S, 1, bytes, 90) ||
          !stbi_write_bmp(seed_path("image", "stroke.bmp"), S, S, 1, bytes), "jpg, bmp");
    /* blank: decodes, but holds no digit */
    for (int i = 0; i < S * S; i++) gray[i] = 0.8f;
    check(image_save_png(seed_path("image", "blank.png"), gray, S, S, 1, NULL), "blank png");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR (with safetensors/, checkpoint/, ...)\n");
        return 2;
    }
    root = argv[1];
    safetensors_seeds();
    checkpoint_seeds();
    npy_seeds();
    idx_seeds();
    image_seeds();
    return 0;
}
