/* The static binarized MNIST as Larochelle's .amat text files: read exactly,
 * loaded as the idx file of the same images is, and every malformed file
 * refused with a message naming the file and the line. All files live in a
 * temporary directory, removed at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "run_command.h"
#include "vnca/data.h"
#include "vnca/rng.h"

enum { SIDE = 28, VALUES = SIDE * SIDE, LINE = 2 * VALUES, PATH_LEN = 512 };

static char *tmp_dir;

static int make_tmp_dir(void **state)
{
    (void)state;
    tmp_dir = make_temp_dir();
    return tmp_dir ? 0 : -1;
}

static int remove_tmp_dir(void **state)
{
    (void)state;
    remove_temp_dir(tmp_dir);
    return 0;
}

/* tmp_dir/name into buf (PATH_LEN bytes), its parent directories made */
static const char *in_tmp(char *buf, const char *name)
{
    int n = snprintf(buf, PATH_LEN, "%s/%s", tmp_dir, name);
    assert_true(n > 0 && n < PATH_LEN);
    for (char *slash = strchr(buf + strlen(tmp_dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(buf, 0755);
        *slash = '/';
    }
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* n random 28x28 images of 0/1 bytes, malloc'd */
static uint8_t *random_images(int n, uint64_t seed)
{
    VncaRng rng;
    vnca_rng_seed(&rng, seed);
    uint8_t *images = malloc((size_t)n * VALUES);
    assert_non_null(images);
    for (size_t i = 0; i < (size_t)n * VALUES; i++) images[i] = vnca_rng_uniform(&rng) < 0.3f;
    return images;
}

/* the images as .amat text (n lines of LINE bytes), malloc'd with room for
 * edits at the end */
static char *amat_text(const uint8_t *images, int n)
{
    char *text = calloc((size_t)n * LINE + 64, 1);
    assert_non_null(text);
    for (size_t i = 0; i < (size_t)n * VALUES; i++) {
        text[2 * i] = (char)('0' + images[i]);
        text[2 * i + 1] = (i + 1) % VALUES ? ' ' : '\n';
    }
    return text;
}

/* The message must start with the path and contain the phrase. */
static void assert_error(const VncaError *err, const char *path, const char *phrase)
{
    if (strncmp(err->msg, path, strlen(path)) != 0)
        fail_msg("error \"%s\" does not start with the path \"%s\"", err->msg, path);
    if (!strstr(err->msg, phrase)) fail_msg("error \"%s\" lacks \"%s\"", err->msg, phrase);
}

static void test_amat_reads_images(void **state)
{
    (void)state;
    uint8_t *images = random_images(3, 1);
    char *text = amat_text(images, 3), path[PATH_LEN];
    write_bytes(in_tmp(path, "good.amat"), text, 3 * LINE);
    uint8_t *got;
    VncaError err;
    if (vnca_amat_read(path, 3, &got, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(got, images, 3 * VALUES);
    free(got);
    free(images);
    free(text);
}

/* the text, len bytes of it, as a 3-image .amat must be refused so */
static void expect_refused(const char *text, size_t len, const char *phrase)
{
    char path[PATH_LEN];
    write_bytes(in_tmp(path, "bad.amat"), text, len);
    uint8_t *got = (uint8_t *)"untouched";
    VncaError err;
    assert_int_equal(vnca_amat_read(path, 3, &got, &err), -1);
    assert_null(got);
    assert_error(&err, path, phrase);
}

/* the good text for 3 images with bytes [at, at + cut) replaced by put */
static void expect_refused_edit(const char *good, size_t at, size_t cut, const char *put,
                                const char *phrase)
{
    size_t len = 3 * LINE, put_len = strlen(put);
    char *text = malloc(len + put_len);
    assert_non_null(text);
    memcpy(text, good, at);
    memcpy(text + at, put, put_len);
    memcpy(text + at + put_len, good + at + cut, len - at - cut);
    expect_refused(text, len - cut + put_len, phrase);
    free(text);
}

static void test_amat_bad_files(void **state)
{
    (void)state;
    uint8_t *images = random_images(4, 2);
    char *good = amat_text(images, 4), path[PATH_LEN];
    const size_t line2 = LINE, line3 = 2 * LINE, last = LINE - 1;
    expect_refused_edit(good, line2 + 18, 1, "2", "line 2: value 10 is '2', expected 0 or 1");
    expect_refused_edit(good, line3, 1, "x", "line 3: value 1 is 'x', expected 0 or 1");
    expect_refused_edit(good, last - 2, 1, "\n", "line 1: 783 values, expected 784");
    expect_refused_edit(good, line2, LINE, "\n", "line 2: 0 values, expected 784");
    expect_refused_edit(good, line3 + last, 1, " 1\n", "line 3: more than 784 values");
    expect_refused_edit(good, line2 + 9, 1, "\t", "line 2: 0x09 after value 5, expected a space");
    expect_refused_edit(good, line2 + 9, 0, " ", "line 2: value 6 is ' ', expected 0 or 1");
    expect_refused_edit(good, last, 0, "\r", "line 1: 0x0d after value 784, expected a newline");
    expect_refused(good, line3 + 101, "line 3: the file ends mid-line (truncated?)");
    expect_refused(good, 3 * LINE - 1, "line 3: the file ends mid-line (truncated?)");
    expect_refused(good, line3, "line 3: the file ends after 2 of 3 images (truncated?)");
    expect_refused(good, 0, "line 1: the file ends after 0 of 3 images");
    expect_refused(good, 4 * LINE, "line 4: more lines than the 3 images expected");
    expect_refused_edit(good, 3 * LINE, 0, "\n", "line 4: more lines than the 3 images expected");

    uint8_t *got;
    VncaError err;
    assert_int_equal(vnca_amat_read(in_tmp(path, "none.amat"), 3, &got, &err), -1);
    assert_error(&err, path, "cannot open");
    free(good);
    free(images);
}

static void write_idx_gz(const char *path, const uint8_t *images, int n)
{
    const unsigned char header[16] = {0, 0, 8, 3, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                      (unsigned char)(n >> 8), (unsigned char)n, 0, 0, 0, SIDE,
                                      0, 0, 0, SIDE};
    gzFile gz = gzopen(path, "wb1");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, header, sizeof header), (int)sizeof header);
    assert_int_equal(gzwrite(gz, images, (unsigned)n * VALUES), n * VALUES);
    assert_int_equal(gzclose(gz), Z_OK);
}

static void load_test_set(const char *dir, VncaImages *set)
{
    VncaError err;
    if (vnca_data_load(dir, VNCA_DATA_STATIC_TEST, 32, set, &err)) fail_msg("%s", err.msg);
}

/* The same 10,000 images as .amat and as idx: the same padded floats, the
 * images' own. */
static void test_amat_loads_as_idx(void **state)
{
    (void)state;
    enum { N = 10000 };
    uint8_t *images = random_images(N, 3);
    char *text = amat_text(images, N), path[PATH_LEN], amat_dir[PATH_LEN], idx_dir[PATH_LEN];
    write_bytes(in_tmp(path, "amat/binarized_mnist/binarized_mnist_test.amat"), text, (size_t)N * LINE);
    write_idx_gz(in_tmp(path, "idx/binarized_mnist/binarized_mnist_test-idx3-ubyte.gz"), images, N);
    VncaImages from_amat, from_idx;
    load_test_set(in_tmp(amat_dir, "amat"), &from_amat);
    load_test_set(in_tmp(idx_dir, "idx"), &from_idx);
    assert_int_equal(from_amat.n, N);
    assert_int_equal(from_idx.n, N);
    assert_null(from_amat.labels);
    assert_memory_equal(from_amat.pixels, from_idx.pixels, (size_t)N * 32 * 32 * sizeof(float));
    for (int i = 0; i < N; i++)
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                int inside = y >= 2 && y < 30 && x >= 2 && x < 30;
                float want = inside ? images[(size_t)i * VALUES + (y - 2) * SIDE + x - 2] : 0.0f;
                if (from_amat.pixels[((size_t)i * 32 + y) * 32 + x] != want)
                    fail_msg("image %d pixel (%d, %d) differs from the file's", i, y, x);
            }
    vnca_images_free(&from_amat);
    vnca_images_free(&from_idx);
    free(text);
    free(images);
}

/* An .amat must hold the whole published set; a missing set names both
 * files it could be. */
static void test_static_set_files(void **state)
{
    (void)state;
    uint8_t *images = random_images(3, 4);
    char *text = amat_text(images, 3), path[PATH_LEN], dir[PATH_LEN];
    write_bytes(in_tmp(path, "short/binarized_mnist/binarized_mnist_train.amat"), text, 3 * LINE);
    VncaImages set;
    VncaError err;
    assert_int_equal(vnca_data_load(in_tmp(dir, "short"), VNCA_DATA_STATIC_TRAIN, 32, &set, &err), -1);
    assert_error(&err, path, "line 4: the file ends after 3 of 50000 images");
    assert_null(set.pixels);

    assert_int_equal(vnca_data_load(in_tmp(dir, "empty"), VNCA_DATA_STATIC_TEST, 32, &set, &err), -1);
    assert_error(&err, in_tmp(path, "empty/binarized_mnist/binarized_mnist_test.amat"), "cannot open");
    if (!strstr(err.msg, "binarized_mnist_test-idx3-ubyte.gz"))
        fail_msg("error \"%s\" does not name the idx file", err.msg);
    free(text);
    free(images);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amat_reads_images),
        cmocka_unit_test(test_amat_bad_files),
        cmocka_unit_test(test_amat_loads_as_idx),
        cmocka_unit_test(test_static_set_files),
    };
    return cmocka_run_group_tests(tests, make_tmp_dir, remove_tmp_dir);
}
