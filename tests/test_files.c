/* The file formats: safetensors, .npy and model files. Round trips must be
 * bit-exact, the bytes must be what the reference writers produce, and every
 * broken file must be refused with a message naming the file and its own
 * problem. All files live in a temporary directory, removed at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnca/npy.h"
#include "vnca/safetensors.h"
#include "vnca/vnca.h"

#define PATH_LEN 512

static char tmp_dir[64];

/* ---- helpers -------------------------------------------------------------- */

/* dir/name into buf (PATH_LEN bytes) */
static const char *join(char *buf, const char *dir, const char *name)
{
    int n = snprintf(buf, PATH_LEN, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_LEN);
    return buf;
}

static const char *in_tmp(char *buf, const char *name) { return join(buf, tmp_dir, name); }

/* where the writers put their temporary file */
static const char *tmp_name_of(char *buf, const char *path)
{
    int n = snprintf(buf, PATH_LEN, "%s.tmp.%ld", path, (long)getpid());
    assert_true(n > 0 && n < PATH_LEN);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char child[PATH_LEN];
            remove_tree(join(child, path, e->d_name));
        }
        closedir(dir);
    }
    remove(path);
}

static int make_tmp_dir(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/vnca-test-files-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_tmp_dir(void **state)
{
    (void)state;
    remove_tree(tmp_dir);
    return 0;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* The whole file, malloc'd; *len its size. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    unsigned char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *len = (size_t)size;
    return buf;
}

static void assert_file_bytes(const char *path, const void *expected, size_t len)
{
    size_t got_len;
    unsigned char *got = slurp(path, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, expected, len);
    free(got);
}

/* The message must start with the path and contain the phrase. */
static void assert_error(const VncaError *err, const char *path, const char *phrase)
{
    if (strncmp(err->msg, path, strlen(path)) != 0)
        fail_msg("error \"%s\" does not start with the path \"%s\"", err->msg, path);
    if (!strstr(err->msg, phrase)) fail_msg("error \"%s\" lacks \"%s\"", err->msg, phrase);
}

static void store_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A safetensors file: the declared header length, the header text, then
 * data_len bytes of data, float i holding the value i. */
static void write_st_raw(const char *path, uint64_t declared_len, const char *header,
                         size_t data_len)
{
    size_t header_len = strlen(header);
    unsigned char *buf = calloc(8 + header_len + data_len, 1);
    assert_non_null(buf);
    store_le64(buf, declared_len);
    memcpy(buf + 8, header, header_len);
    for (size_t i = 0; i < data_len / 4; i++) {
        float v = (float)i;
        memcpy(buf + 8 + header_len + 4 * i, &v, 4);
    }
    write_bytes(path, buf, 8 + header_len + data_len);
    free(buf);
}

static void expect_st_error(const char *path, const char *phrase)
{
    VncaStFile f;
    VncaError err = {{0}};
    assert_int_equal(vnca_st_read(path, &f, &err), -1);
    assert_error(&err, path, phrase);
    assert_int_equal(f.n, 0);
    assert_null(f.tensors);
    assert_null(f.blob);
}

/* ---- safetensors: round trip and bytes ------------------------------------ */

static void test_st_round_trip(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "round.safetensors");
    /* values whose bits a conversion would change: NaN payload, -0, denormal */
    uint32_t special[6] = {0x7fc12345u, 0x80000000u, 0x00000001u, 0x7f800000u, 0x3f800000u,
                           0xc2f6e979u};
    float w[6], scalar = 3.25f, v[7];
    memcpy(w, special, sizeof w);
    for (int i = 0; i < 7; i++) v[i] = (float)i / 7.0f;
    VncaStTensor tensors[] = {
        {.name = "w", .ndim = 2, .shape = {2, 3}, .data = w},
        {.name = "scalar", .ndim = 0, .data = &scalar},
        {.name = "empty", .ndim = 2, .shape = {0, 5}, .data = NULL},
        {.name = "nca.v", .ndim = 1, .shape = {7}, .data = v},
    };
    VncaMeta meta = {0};
    assert_int_equal(vnca_meta_set(&meta, "zeta", "2"), 0);
    assert_int_equal(vnca_meta_set(&meta, "alpha", "quote \" backslash \\ newline \n \xc3\xbc"),
                     0);
    VncaError err = {{0}};
    assert_int_equal(vnca_st_write(path, tensors, 4, &meta, &err), 0);

    VncaStFile f;
    assert_int_equal(vnca_st_read(path, &f, &err), 0);
    assert_int_equal(f.n, 4);
    for (int i = 0; i < 4; i++) {
        const VncaStTensor *t = &f.tensors[i];
        assert_string_equal(t->name, tensors[i].name);   /* offset order = written order */
        assert_int_equal(t->ndim, tensors[i].ndim);
        assert_memory_equal(t->shape, tensors[i].shape, sizeof t->shape);
        assert_int_equal((uintptr_t)t->data % sizeof(float), 0);
        if (t->numel) assert_memory_equal(t->data, tensors[i].data, t->numel * sizeof(float));
    }
    assert_int_equal(f.tensors[0].numel, 6);
    assert_int_equal(f.tensors[1].numel, 1);
    assert_int_equal(f.tensors[2].numel, 0);
    assert_ptr_equal(vnca_st_find(&f, "nca.v"), &f.tensors[3]);
    assert_null(vnca_st_find(&f, "nope"));
    assert_int_equal(f.meta.n, 2);
    assert_string_equal(f.meta.items[0].key, "zeta");
    assert_string_equal(f.meta.items[1].key, "alpha");
    assert_string_equal(f.meta.items[1].value, meta.items[1].value);
    vnca_st_free(&f);

    assert_int_equal(vnca_meta_set(&meta, "eval.a", "1"), 0);
    assert_int_equal(vnca_meta_set(&meta, "evaluation", "3"), 0);
    assert_int_equal(vnca_meta_set(&meta, "eval.b", "2"), 0);
    vnca_meta_remove_prefix(&meta, "eval.");
    assert_int_equal(meta.n, 3);
    assert_string_equal(meta.items[0].key, "zeta");
    assert_string_equal(meta.items[1].key, "alpha");
    assert_string_equal(meta.items[2].key, "evaluation");
    vnca_meta_free(&meta);

    /* the header is padded so that the data starts 8-byte aligned */
    size_t len;
    unsigned char *bytes = slurp(path, &len);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | bytes[i];
    assert_int_equal((8 + header_len) % 8, 0);
    assert_int_equal(len, 8 + header_len + (6 + 1 + 0 + 7) * 4);
    assert_memory_equal(bytes + 8, "{\"__metadata__\":", 16);
    free(bytes);
}

/* The exact bytes of Python's safetensors.torch.save_file({"a": tensor([1., 2.])}). */
static void test_st_reference_bytes(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "golden.safetensors");
    float data[2] = {1.0f, 2.0f};
    VncaStTensor t = {.name = "a", .ndim = 1, .shape = {2}, .data = data};
    VncaError err;
    assert_int_equal(vnca_st_write(path, &t, 1, NULL, &err), 0);
    const char header[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    unsigned char expected[8 + 56 + 8] = {56};   /* 54 bytes of JSON + 2 spaces */
    memcpy(expected + 8, header, sizeof header - 1);
    memset(expected + 8 + sizeof header - 1, ' ', 56 - (sizeof header - 1));
    memcpy(expected + 64, data, sizeof data);
    assert_file_bytes(path, expected, sizeof expected);
}

/* Holes between tensors are allowed, and tensors at offsets that are not
 * 4-byte aligned still come back as aligned floats. */
static void test_st_holes_and_unaligned_offsets(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "holes.safetensors");
    /* "b" starts at byte 6, mid-float; "z", empty, lies inside "a" */
    const char *header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[6,10]},"
                         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                         "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]}}";
    unsigned char bytes[512] = {0};
    size_t header_len = strlen(header);
    store_le64(bytes, header_len);
    memcpy(bytes + 8, header, header_len);
    unsigned char *data = bytes + 8 + header_len;
    float a = 1.5f, b = -7.25f;
    memcpy(data, &a, 4);
    memcpy(data + 6, &b, 4);
    write_bytes(path, bytes, 8 + header_len + 16);

    VncaStFile f;
    VncaError err = {{0}};
    assert_int_equal(vnca_st_read(path, &f, &err), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(f.tensors[0].name, "a");
    assert_string_equal(f.tensors[1].name, "z");
    assert_string_equal(f.tensors[2].name, "b");
    assert_true(f.tensors[0].data[0] == a);
    assert_int_equal((uintptr_t)f.tensors[2].data % sizeof(float), 0);
    assert_true(f.tensors[2].data[0] == b);
    vnca_st_free(&f);
}

/* ---- safetensors: broken files -------------------------------------------- */

typedef struct BadHeader {
    const char *header;
    size_t data_len;
    const char *phrase;
} BadHeader;

#define F32(shape, offsets) "{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":" offsets "}"

static const BadHeader bad_headers[] = {
    {"{nope", 0, "not valid JSON"},
    {"{} trailing", 0, "not valid JSON"},
    {"[1, 2]", 0, "not a JSON object"},
    {"{\"a\": 3}", 0, "tensor 'a': entry is not an object"},
    {"{\"a\": {\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a': missing 'dtype'"},
    {"{\"a\": {\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'a': missing 'shape'"},
    {"{\"a\": {\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'a': missing 'data_offsets'"},
    {"{\"a\": {\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype is not a string"},
    {"{\"a\": {\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
     "tensor 'a': dtype 'F16' is not supported"},
    {"{\"a\": " F32("[-1]", "[0,4]") "}", 4, "shape is not an array of non-negative integers"},
    {"{\"a\": " F32("[1.5]", "[0,4]") "}", 4, "shape is not an array of non-negative integers"},
    {"{\"a\": " F32("\"2\"", "[0,4]") "}", 4, "shape is not an array of non-negative integers"},
    {"{\"a\": " F32("[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", 4, "shape has 9 dimensions"},
    {"{\"a\": " F32("[4294967296,4294967296]", "[0,4]") "}", 4, "is too large"},
    {"{\"a\": " F32("[1]", "[0]") "}", 4, "data_offsets is not [begin, end]"},
    {"{\"a\": " F32("[1]", "[0,1e20]") "}", 4, "data_offsets is not [begin, end]"},
    {"{\"a\": " F32("[1]", "[8,4]") "}", 8, "data_offsets [8, 4] end before they begin"},
    {"{\"a\": " F32("[2]", "[0,8]") "}", 4,
     "tensor 'a': data_offsets [0, 8] out of range (data section is 4 bytes)"},
    {"{\"a\": " F32("[2]", "[0,4]") "}", 4, "hold 4 bytes, but F32 of shape [2] needs 8"},
    {"{\"a\": " F32("[2]", "[0,8]") ", \"b\": " F32("[2]", "[4,12]") "}", 12,
     "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
    {"{\"a\": " F32("[1]", "[0,4]") ", \"a\": " F32("[1]", "[4,8]") "}", 8,
     "duplicate tensor name 'a'"},
    {"{\"__metadata__\": [1]}", 0, "__metadata__ is not an object"},
    {"{\"__metadata__\": {\"k\": 1}}", 0, "the value of 'k' is not a string"},
    {"{\"__metadata__\": {\"k\": \"a\", \"k\": \"b\"}}", 0, "duplicate metadata key 'k'"},
    {"{\"__metadata__\": {}, \"__metadata__\": {}}", 0, "duplicate __metadata__"},
};

static void test_st_bad_headers(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "bad.safetensors");
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        const BadHeader *b = &bad_headers[i];
        write_st_raw(path, strlen(b->header), b->header, b->data_len);
        expect_st_error(path, b->phrase);
    }
}

static void test_st_bad_sizes(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "sizes.safetensors");
    write_bytes(path, "\x10\0\0\0", 4);
    expect_st_error(path, "file is too short (4 bytes)");
    write_st_raw(path, 0, "{}", 0);
    expect_st_error(path, "header length is 0");
    write_st_raw(path, 1000, "{}", 16);
    expect_st_error(path, "header length 1000 exceeds file size 26");
    write_st_raw(path, UINT64_MAX, "{}", 0);
    expect_st_error(path, "exceeds file size");
}

static void test_st_unreadable(void **state)
{
    (void)state;
    char path[PATH_LEN];
    expect_st_error(in_tmp(path, "no-such-file.safetensors"), strerror(ENOENT));
    expect_st_error(tmp_dir, strerror(EISDIR));
}

/* ---- safetensors: failed writes ------------------------------------------- */

static void write_one(const char *path, VncaError *err, int expect)
{
    float x[3] = {1, 2, 3};
    VncaStTensor t = {.name = "x", .ndim = 1, .shape = {3}, .data = x};
    assert_int_equal(vnca_st_write(path, &t, 1, NULL, err), expect);
}

static void test_st_write_into_missing_dir(void **state)
{
    (void)state;
    char path[PATH_LEN], tmp[PATH_LEN];
    in_tmp(path, "no/such/dir/x.safetensors");
    VncaError err = {{0}};
    write_one(path, &err, -1);
    assert_error(&err, path, strerror(ENOENT));
    assert_false(exists(tmp_name_of(tmp, path)));
}

/* rename() cannot put a file over a directory: the target stays as it was. */
static void test_st_write_over_directory(void **state)
{
    (void)state;
    char path[PATH_LEN], inner[PATH_LEN], tmp[PATH_LEN];
    in_tmp(path, "a-directory");
    assert_int_equal(mkdir(path, 0755), 0);
    write_bytes(join(inner, path, "keep"), "kept", 4);
    VncaError err = {{0}};
    write_one(path, &err, -1);
    assert_error(&err, path, "cannot rename");
    assert_file_bytes(inner, "kept", 4);
    assert_false(exists(tmp_name_of(tmp, path)));
}

/* A full disk: the temporary file is made a link to /dev/full, where every
 * write fails with ENOSPC. The old file must survive, the temporary go. */
static void test_st_write_disk_full(void **state)
{
    (void)state;
    if (!exists("/dev/full")) skip();
    char path[PATH_LEN], tmp[PATH_LEN];
    in_tmp(path, "full.safetensors");
    write_bytes(path, "old contents", 12);
    assert_int_equal(symlink("/dev/full", tmp_name_of(tmp, path)), 0);
    VncaError err = {{0}};
    write_one(path, &err, -1);
    assert_error(&err, path, strerror(ENOSPC));
    assert_file_bytes(path, "old contents", 12);
    assert_false(exists(tmp));
}

static void test_st_write_refuses_bad_input(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "refused.safetensors");
    float x[2] = {0};
    VncaStTensor twins[2] = {{.name = "x", .ndim = 1, .shape = {1}, .data = x},
                             {.name = "x", .ndim = 1, .shape = {1}, .data = x + 1}};
    VncaStTensor deep = {.name = "deep", .ndim = 9, .data = x};
    VncaStTensor negative = {.name = "neg", .ndim = 1, .shape = {-2}, .data = x};
    VncaStTensor reserved = {.name = "__metadata__", .ndim = 1, .shape = {1}, .data = x};
    VncaStTensor no_data = {.name = "none", .ndim = 1, .shape = {1}, .data = NULL};
    VncaError err = {{0}};
    assert_int_equal(vnca_st_write(path, twins, 2, NULL, &err), -1);
    assert_error(&err, path, "duplicate tensor name 'x'");
    assert_int_equal(vnca_st_write(path, &deep, 1, NULL, &err), -1);
    assert_error(&err, path, "9 dimensions");
    assert_int_equal(vnca_st_write(path, &negative, 1, NULL, &err), -1);
    assert_error(&err, path, "invalid shape [-2]");
    assert_int_equal(vnca_st_write(path, &reserved, 1, NULL, &err), -1);
    assert_error(&err, path, "reserved");
    assert_int_equal(vnca_st_write(path, &no_data, 1, NULL, &err), -1);
    assert_error(&err, path, "has no data");
    assert_false(exists(path));
}

/* ---- npy ------------------------------------------------------------------ */

static void test_npy_round_trip(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "round.npy");
    static const struct {
        int ndim;
        size_t shape[3];
    } cases[] = {{0, {0}}, {1, {5}}, {3, {2, 3, 4}}, {2, {0, 3}}};
    float data[24];
    for (int i = 0; i < 24; i++) data[i] = sinf((float)i) * 1e-3f;
    uint32_t negative_subnormal_bits = 0x80000001u;
    memcpy(&data[1], &negative_subnormal_bits, 4);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        VncaError err = {{0}};
        assert_int_equal(vnca_npy_write(path, data, cases[c].ndim, cases[c].shape, &err), 0);
        VncaArray a;
        assert_int_equal(vnca_npy_read(path, &a, &err), 0);
        assert_int_equal(a.ndim, cases[c].ndim);
        size_t numel = 1;
        for (int d = 0; d < a.ndim; d++) {
            assert_int_equal(a.shape[d], cases[c].shape[d]);
            numel *= cases[c].shape[d];
        }
        assert_int_equal(a.numel, numel);
        if (numel) assert_memory_equal(a.data, data, numel * sizeof(float));
        vnca_array_free(&a);
        assert_null(a.data);
    }
}

/* The exact bytes of numpy.save(path, numpy.array([1, 2], dtype=numpy.float32)). */
static void test_npy_reference_bytes(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "golden.npy");
    float data[2] = {1.0f, 2.0f};
    size_t shape[1] = {2};
    VncaError err;
    assert_int_equal(vnca_npy_write(path, data, 1, shape, &err), 0);
    const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    unsigned char expected[128 + 8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0};
    memset(expected + 10, ' ', 118);
    memcpy(expected + 10, dict, sizeof dict - 1);
    expected[127] = '\n';
    memcpy(expected + 128, data, sizeof data);
    assert_file_bytes(path, expected, sizeof expected);
}

/* A .npy file of the given version with a hand-written header dict. */
static void write_npy_raw(const char *path, int major, const char *dict, const void *data,
                          size_t data_len)
{
    size_t dict_len = strlen(dict), field = major == 1 ? 2 : 4;
    size_t len = 8 + field + dict_len + data_len;
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < field; i++) buf[8 + i] = (unsigned char)(dict_len >> (8 * i));
    memcpy(buf + 8 + field, dict, dict_len);
    if (data_len) memcpy(buf + 8 + field + dict_len, data, data_len);
    write_bytes(path, buf, len);
    free(buf);
}

static void test_npy_reads_f8_and_v2(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "other.npy");
    double d[3] = {1.5, -2.25, 0.1};
    write_npy_raw(path, 1, "{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f8\"}\n",
                  d, sizeof d);
    VncaArray a;
    VncaError err = {{0}};
    assert_int_equal(vnca_npy_read(path, &a, &err), 0);
    assert_int_equal(a.numel, 3);
    assert_true(a.data[0] == 1.5f && a.data[1] == -2.25f && a.data[2] == (float)0.1);
    vnca_array_free(&a);

    float f[6] = {1, 2, 3, 4, 5, 6};
    write_npy_raw(path, 2, "{'descr':'<f4','fortran_order':False,'shape':(2,3)}  \n", f,
                  sizeof f);
    assert_int_equal(vnca_npy_read(path, &a, &err), 0);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_memory_equal(a.data, f, sizeof f);
    vnca_array_free(&a);
}

typedef struct BadNpy {
    const char *dict;
    size_t data_len;
    const char *phrase;
} BadNpy;

#define NPY(descr, order, shape) \
    "{'descr': '" descr "', 'fortran_order': " order ", 'shape': " shape ", }\n"

static const BadNpy bad_npys[] = {
    {NPY(">f4", "False", "(2,)"), 8, "dtype '>f4' is not supported"},
    {NPY("<i4", "False", "(2,)"), 8, "dtype '<i4' is not supported"},
    {NPY("<f4", "True", "(2,)"), 8, "fortran_order True is not supported"},
    {NPY("<f4", "'no'", "(2,)"), 8, "'fortran_order' is not True or False"},
    {NPY("<f4", "False", "(-1,)"), 0, "'shape' is not a tuple"},
    {NPY("<f4", "False", "(2)"), 8, "'shape' is not a tuple"},
    {NPY("<f4", "False", "(2,,)"), 8, "'shape' is not a tuple"},
    {NPY("<f4", "False", "[2]"), 8, "'shape' is not a tuple"},
    {NPY("<f4", "False", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), 4, "more than 8 dimensions"},
    {NPY("<f4", "False", "(4294967296, 4294967296)"), 0, "is too large"},
    {NPY("<f4", "False", "(4,)"), 8, "truncated: 8 bytes of data, shape [4] needs 16"},
    {NPY("<f4", "False", "(1,)"), 8, "4 trailing bytes"},
    {"{'descr': '<f4', 'fortran_order': False}", 0, "missing 'shape'"},
    {"{'descr': '<f4', 'shape': (), 'fortran_order': False, 'foo': 1}", 4,
     "unexpected key 'foo'"},
    {"{'descr': '<f4', 'descr': '<f4'}", 0, "duplicate key 'descr'"},
    {"{'descr': '<f4' 'fortran_order': False}", 0, "expected ',' or '}'"},
    {"{'descr' '<f4'}", 0, "expected 'key': value"},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': ()} x", 4, "unexpected text after"},
    {"['descr']", 0, "header is not a dict"},
};

static void expect_npy_error(const char *path, const char *phrase)
{
    VncaArray a;
    VncaError err = {{0}};
    assert_int_equal(vnca_npy_read(path, &a, &err), -1);
    assert_error(&err, path, phrase);
    assert_null(a.data);
}

static void test_npy_bad_files(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "bad.npy");
    float zeros[4] = {0};
    for (size_t i = 0; i < sizeof bad_npys / sizeof bad_npys[0]; i++) {
        write_npy_raw(path, 1, bad_npys[i].dict, zeros, bad_npys[i].data_len);
        expect_npy_error(path, bad_npys[i].phrase);
    }
    write_bytes(path, "\x93NUMPY", 6);
    expect_npy_error(path, "too short");
    write_bytes(path, "PK\3\4 not numpy at all", 22);
    expect_npy_error(path, "not a .npy file");
    write_npy_raw(path, 4, NPY("<f4", "False", "()"), zeros, 4);
    expect_npy_error(path, "unsupported .npy version 4.0");
    write_bytes(path, "\x93NUMPY\1\0\xff\0{}", 12);
    expect_npy_error(path, "header length 255 exceeds file size 12");
    expect_npy_error(in_tmp(path, "missing.npy"), strerror(ENOENT));
}

/* NaN, +Inf and -Inf, and a double that float32 cannot hold, are refused
 * with the first one's flat index and, past one dimension, its coordinates. */
static void test_npy_refuses_non_finite(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "non_finite.npy");
    float f[60] = {0};
    const uint32_t negative_nan_bits = 0xffc00001u;
    memcpy(&f[37], &negative_nan_bits, 4);
    f[50] = INFINITY;   /* later: only the first is named */
    size_t cube[3] = {3, 4, 5};
    assert_int_equal(vnca_npy_write(path, f, 3, cube, NULL), 0);
    expect_npy_error(path, "element 37 ([1, 3, 2]) is NaN");

    f[37] = 0.0f;
    assert_int_equal(vnca_npy_write(path, f, 3, cube, NULL), 0);
    expect_npy_error(path, "element 50 ([2, 2, 0]) is +Inf");

    size_t row[1] = {6};
    f[4] = -INFINITY;
    assert_int_equal(vnca_npy_write(path, f, 1, row, NULL), 0);
    expect_npy_error(path, "element 4 is -Inf; only finite numbers");

    size_t scalar[1] = {0};
    f[0] = NAN;
    assert_int_equal(vnca_npy_write(path, f, 0, scalar, NULL), 0);
    expect_npy_error(path, "element 0 is NaN");

    double d[4] = {0.5, -1e300, NAN, 0};
    write_npy_raw(path, 1, NPY("<f8", "False", "(2, 2)"), d, sizeof d);
    expect_npy_error(path, "element 1 ([0, 1]) is -1e+300, beyond the range of float32");
    d[1] = -3e38;       /* within float32's range: only the NaN is left */
    write_npy_raw(path, 1, NPY("<f8", "False", "(2, 2)"), d, sizeof d);
    expect_npy_error(path, "element 2 ([1, 0]) is NaN");
}

static void test_npy_write_errors(void **state)
{
    (void)state;
    char path[PATH_LEN];
    float x[1] = {0};
    size_t shape[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    VncaError err = {{0}};
    assert_int_equal(vnca_npy_write(in_tmp(path, "none/x.npy"), x, 1, shape, &err), -1);
    assert_error(&err, path, strerror(ENOENT));
    assert_int_equal(vnca_npy_write(in_tmp(path, "deep.npy"), x, 9, shape, &err), -1);
    assert_error(&err, path, "9 dimensions");
    assert_false(exists(path));
}

/* ---- model files ---------------------------------------------------------- */

static void make_model(VncaModel *m, const VncaConfig *cfg, uint64_t seed)
{
    VncaError err = {{0}};
    assert_int_equal(vnca_model_alloc(m, cfg, &err), 0);
    vnca_model_init(m, seed);
    /* the last layer starts at zero; make it tell files apart too */
    for (size_t i = 0; i < (size_t)cfg->latent; i++) m->w.out_b[i] = 0.01f * (float)(i + seed);
}

static void assert_same_model(const VncaModel *a, const VncaModel *b)
{
    assert_memory_equal(&a->config, &b->config, sizeof a->config);
    assert_int_equal(a->layout.n, b->layout.n);
    assert_int_equal(a->layout.n_params, b->layout.n_params);
    assert_memory_equal(a->params, b->params, a->layout.n_params * sizeof(float));
    assert_int_equal(a->meta.n, b->meta.n);
    for (int i = 0; i < a->meta.n; i++) {
        assert_string_equal(a->meta.items[i].key, b->meta.items[i].key);
        assert_string_equal(a->meta.items[i].value, b->meta.items[i].value);
    }
}

static void round_trip(const VncaConfig *cfg, const char *name)
{
    char path[PATH_LEN];
    in_tmp(path, name);
    VncaModel m, loaded;
    make_model(&m, cfg, 7);
    assert_int_equal(vnca_meta_set(&m.meta, "train.steps", "12345"), 0);
    assert_int_equal(vnca_meta_set(&m.meta, "train.data", "binarized_mnist"), 0);
    VncaError err = {{0}};
    assert_int_equal(vnca_model_save(&m, path, &err), 0);
    assert_int_equal(vnca_model_load(&loaded, path, &err), 0);
    assert_same_model(&m, &loaded);
    vnca_model_free(&m);
    vnca_model_free(&loaded);
}

static void test_model_round_trip(void **state)
{
    (void)state;
    VncaConfig cfg;
    VncaError err;
    assert_int_equal(vnca_config_named("tiny", &cfg, &err), 0);
    round_trip(&cfg, "tiny.safetensors");
    cfg.perception = VNCA_PERCEIVE_CONV3;
    cfg.variant = VNCA_VARIANT_PERSISTENT;
    cfg.res_blocks = 2;
    assert_int_equal(vnca_schedule_parse(&cfg, "2:1,4:2,8:3,16:0,32:5", &err), 0);
    round_trip(&cfg, "tiny-conv3.safetensors");
    cfg.genome = VNCA_GENOME_LATENT;
    round_trip(&cfg, "tiny-genome.safetensors");
    cfg.genome = VNCA_GENOME_POSITION;
    round_trip(&cfg, "tiny-genome-position.safetensors");
    cfg.far_reach = 4;
    round_trip(&cfg, "tiny-far-reach.safetensors");
}

/* The config in the file is the model's own, whatever a stale copy in the
 * meta says, and config keys do not come back as meta. */
static void test_model_config_keys_are_not_meta(void **state)
{
    (void)state;
    char path[PATH_LEN];
    in_tmp(path, "stale.safetensors");
    VncaConfig cfg;
    VncaError err = {{0}};
    assert_int_equal(vnca_config_named("tiny", &cfg, &err), 0);
    VncaModel m, loaded;
    make_model(&m, &cfg, 3);
    assert_int_equal(vnca_meta_set(&m.meta, "vnca.latent", "999"), 0);
    assert_int_equal(vnca_meta_set(&m.meta, "vnca.note", "kept"), 0);
    assert_int_equal(vnca_model_save(&m, path, &err), 0);
    assert_int_equal(vnca_model_load(&loaded, path, &err), 0);
    assert_int_equal(loaded.config.latent, cfg.latent);
    assert_int_equal(loaded.meta.n, 1);
    assert_string_equal(vnca_meta_get(&loaded.meta, "vnca.note"), "kept");
    vnca_model_free(&m);
    vnca_model_free(&loaded);
}

static void test_config_meta_round_trip(void **state)
{
    (void)state;
    for (const char *const *name = vnca_config_names(); *name; name++) {
        VncaConfig cfg, back;
        VncaMeta meta = {0};
        VncaError err = {{0}};
        assert_int_equal(vnca_config_named(*name, &cfg, &err), 0);
        assert_int_equal(vnca_config_to_meta(&cfg, &meta), 0);
        assert_string_equal(vnca_meta_get(&meta, "vnca.format"), "1");
        assert_int_equal(vnca_config_from_meta(&back, &meta, &err), 0);
        assert_memory_equal(&cfg, &back, sizeof cfg);
        vnca_meta_free(&meta);
    }
}

typedef struct BadMeta {
    const char *key, *value;   /* value NULL: the key is removed */
    const char *phrase;
} BadMeta;

static const BadMeta bad_metas[] = {
    {"vnca.format", NULL, "missing metadata key 'vnca.format'"},
    {"vnca.format", "2", "'vnca.format' is '2'"},
    {"vnca.hidden", NULL, "missing metadata key 'vnca.hidden'"},
    {"vnca.latent", "abc", "metadata key 'vnca.latent' has invalid value 'abc'"},
    {"vnca.latent", " 16", "metadata key 'vnca.latent' has invalid value ' 16'"},
    {"vnca.image_size", "99999999999", "'vnca.image_size' has invalid value"},
    {"vnca.perception", "blur", "'vnca.perception' has invalid value 'blur'"},
    {"vnca.variant", "mutant", "'vnca.variant' has invalid value 'mutant'"},
    {"vnca.schedule", "2:8,oops", "metadata key 'vnca.schedule'"},
    {"vnca.schedule", NULL, "missing metadata key 'vnca.schedule'"},
    {"vnca.genome", "maybe", "'vnca.genome' has invalid value 'maybe'"},
    {"vnca.genome", "none", "'vnca.genome' has invalid value 'none'"},
    {"vnca.genome", "latent", "a genome needs a conv3x3 perception"}, /* the file's is Sobel */
    {"vnca.far_reach", "far", "'vnca.far_reach' has invalid value 'far'"},
    {"vnca.far_reach", "1", "far reach 1 out of range"},
    {"vnca.far_reach", "2", "a far perception needs a conv3x3 perception"},
};

/* Copies the meta without key, or with key set to value. */
static void edited_meta(VncaMeta *out, const VncaMeta *in, const char *key, const char *value)
{
    *out = (VncaMeta){0};
    for (int i = 0; i < in->n; i++)
        if (strcmp(in->items[i].key, key) != 0)
            assert_int_equal(vnca_meta_set(out, in->items[i].key, in->items[i].value), 0);
    if (value) assert_int_equal(vnca_meta_set(out, key, value), 0);
}

/* A good model file, saved once per test. */
static void save_tiny(const char *path)
{
    VncaConfig cfg;
    VncaModel m;
    VncaError err = {{0}};
    assert_int_equal(vnca_config_named("tiny", &cfg, &err), 0);
    make_model(&m, &cfg, 11);
    assert_int_equal(vnca_model_save(&m, path, &err), 0);
    vnca_model_free(&m);
}

static void expect_load_error(const char *path, const char *phrase)
{
    VncaModel m;
    VncaError err = {{0}};
    assert_int_equal(vnca_model_load(&m, path, &err), -1);
    assert_error(&err, path, phrase);
    assert_null(m.params);
    assert_int_equal(m.meta.n, 0);
    assert_null(m.meta.items);
}

static void test_model_bad_config(void **state)
{
    (void)state;
    char good[PATH_LEN], bad[PATH_LEN];
    save_tiny(in_tmp(good, "good-config.safetensors"));
    in_tmp(bad, "bad-config.safetensors");
    VncaStFile f;
    VncaError err = {{0}};
    assert_int_equal(vnca_st_read(good, &f, &err), 0);
    for (size_t i = 0; i < sizeof bad_metas / sizeof bad_metas[0]; i++) {
        VncaMeta meta;
        edited_meta(&meta, &f.meta, bad_metas[i].key, bad_metas[i].value);
        assert_int_equal(vnca_st_write(bad, f.tensors, f.n, &meta, &err), 0);
        expect_load_error(bad, bad_metas[i].phrase);
        vnca_meta_free(&meta);
    }
    /* parsed, but not a valid architecture: the config's check speaks */
    VncaMeta meta;
    edited_meta(&meta, &f.meta, "vnca.latent", "0");
    assert_int_equal(vnca_st_write(bad, f.tensors, f.n, &meta, &err), 0);
    expect_load_error(bad, "latent");
    vnca_meta_free(&meta);
    vnca_st_free(&f);
}

/* Rewrites the good file's tensors: without `drop`, with `extra` added, or
 * with tensor `poke` reshaped to `shape` / value `index` set to `value`. */
typedef struct TensorEdit {
    const char *drop, *extra, *poke;
    int64_t shape[4];
    int index;
    float value;
} TensorEdit;

static void write_edited(const char *good, const char *bad, const TensorEdit *e)
{
    VncaStFile f;
    VncaError err = {{0}};
    assert_int_equal(vnca_st_read(good, &f, &err), 0);
    VncaStTensor *list = calloc((size_t)f.n + 1, sizeof *list);
    assert_non_null(list);
    int n = 0;
    for (int i = 0; i < f.n; i++) {
        if (e->drop && strcmp(f.tensors[i].name, e->drop) == 0) continue;
        list[n] = f.tensors[i];
        if (e->poke && strcmp(list[n].name, e->poke) == 0) {
            if (e->shape[0]) memcpy(list[n].shape, e->shape, sizeof e->shape);
            else ((float *)list[n].data)[e->index] = e->value;   /* f.blob is ours */
        }
        n++;
    }
    if (e->extra) list[n++] = (VncaStTensor){.name = (char *)e->extra, .ndim = 1,
                                             .shape = {1}, .data = f.tensors[0].data};
    assert_int_equal(vnca_st_write(bad, list, n, &f.meta, &err), 0);
    free(list);
    vnca_st_free(&f);
}

static void test_model_bad_tensors(void **state)
{
    (void)state;
    char good[PATH_LEN], bad[PATH_LEN];
    save_tiny(in_tmp(good, "good-tensors.safetensors"));
    in_tmp(bad, "bad-tensors.safetensors");
    static const struct {
        TensorEdit edit;
        const char *phrase;
    } cases[] = {
        {{.drop = "nca.out.bias"}, "missing tensor 'nca.out.bias'"},
        {{.extra = "extra.weight"}, "unexpected tensor 'extra.weight'"},
        {{.poke = "nca.out.weight", .shape = {32, 16, 1, 1}},
         "tensor 'nca.out.weight' has shape [32, 16, 1, 1], expected [16, 32, 1, 1]"},
        {{.poke = "encoder.fc.bias", .index = 5, .value = NAN},
         "tensor 'encoder.fc.bias': element 5 is NaN"},
        {{.poke = "nca.perceive.weight", .index = 0, .value = -INFINITY},
         "tensor 'nca.perceive.weight': element 0 ([0, 0, 0, 0]) is -Inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_edited(good, bad, &cases[i].edit);
        expect_load_error(bad, cases[i].phrase);
    }
}

/* Rewrites the good file's JSON header through edit(), data section as is. */
static void write_edited_header(const char *good, const char *bad, void (*edit)(cJSON *root))
{
    size_t len;
    unsigned char *bytes = slurp(good, &len);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | bytes[i];
    cJSON *root = cJSON_ParseWithLength((const char *)bytes + 8, header_len);
    assert_non_null(root);
    edit(root);
    char *text = cJSON_PrintUnformatted(root);
    assert_non_null(text);
    size_t text_len = strlen(text), data_len = len - 8 - header_len;
    unsigned char *out = malloc(8 + text_len + data_len);
    assert_non_null(out);
    store_le64(out, text_len);
    memcpy(out + 8, text, text_len);
    memcpy(out + 8 + text_len, bytes + 8 + header_len, data_len);
    write_bytes(bad, out, 8 + text_len + data_len);
    free(out);
    free(text);
    cJSON_Delete(root);
    free(bytes);
}

static cJSON *offsets_of(cJSON *root, const char *name)
{
    cJSON *offsets = cJSON_GetObjectItem(cJSON_GetObjectItem(root, name), "data_offsets");
    assert_non_null(offsets);
    return offsets;
}

/* nca.out.bias claims the bytes of nca.out.weight's start */
static void overlap_two(cJSON *root)
{
    cJSON *weight = offsets_of(root, "nca.out.weight"), *bias = offsets_of(root, "nca.out.bias");
    double begin = cJSON_GetArrayItem(weight, 0)->valuedouble;
    cJSON_SetNumberValue(cJSON_GetArrayItem(bias, 0), begin);
    cJSON_SetNumberValue(cJSON_GetArrayItem(bias, 1), begin + 16 * 4);
}

/* the last tensor moves 4 bytes past the end of the data */
static void shift_last(cJSON *root)
{
    cJSON *bias = offsets_of(root, "nca.out.bias");
    for (int i = 0; i < 2; i++) {
        cJSON *item = cJSON_GetArrayItem(bias, i);
        cJSON_SetNumberValue(item, item->valuedouble + 4);
    }
}

static void drop_dtype(cJSON *root)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(root, "encoder.conv1.weight"), "dtype");
}

static void test_model_bad_headers(void **state)
{
    (void)state;
    char good[PATH_LEN], bad[PATH_LEN];
    save_tiny(in_tmp(good, "good-header.safetensors"));
    in_tmp(bad, "bad-header.safetensors");
    write_edited_header(good, bad, overlap_two);
    expect_load_error(bad, "overlap");
    write_edited_header(good, bad, shift_last);
    expect_load_error(bad, "tensor 'nca.out.bias': data_offsets");
    expect_load_error(bad, "out of range (data section is");
    write_edited_header(good, bad, drop_dtype);
    expect_load_error(bad, "tensor 'encoder.conv1.weight': missing 'dtype'");
}

static void test_model_truncated_and_garbled(void **state)
{
    (void)state;
    char good[PATH_LEN], bad[PATH_LEN];
    save_tiny(in_tmp(good, "good-bytes.safetensors"));
    in_tmp(bad, "bad-bytes.safetensors");
    size_t len;
    unsigned char *bytes = slurp(good, &len);
    write_bytes(bad, bytes, len - 10);
    expect_load_error(bad, "out of range");
    write_bytes(bad, bytes, 100);
    expect_load_error(bad, "exceeds file size 100");
    write_bytes(bad, bytes, 5);
    expect_load_error(bad, "too short");
    write_bytes(bad, bytes, 0);
    expect_load_error(bad, "too short");
    unsigned char *garbled = malloc(len);
    assert_non_null(garbled);
    memcpy(garbled, bytes, len);
    memset(garbled, 0, 8);
    write_bytes(bad, garbled, len);
    expect_load_error(bad, "header length is 0");
    memcpy(garbled, bytes, len);
    garbled[8] = '[';
    write_bytes(bad, garbled, len);
    expect_load_error(bad, "not valid JSON");
    free(garbled);
    free(bytes);
    expect_load_error(in_tmp(bad, "absent.safetensors"), strerror(ENOENT));

    /* a plain safetensors file, not a model */
    in_tmp(bad, "plain.safetensors");
    float x = 1;
    VncaStTensor t = {.name = "x", .ndim = 0, .data = &x};
    VncaError err;
    assert_int_equal(vnca_st_write(bad, &t, 1, NULL, &err), 0);
    expect_load_error(bad, "missing metadata key 'vnca.format'");
}

static void test_model_save_errors(void **state)
{
    (void)state;
    char path[PATH_LEN], tmp[PATH_LEN];
    VncaConfig cfg;
    VncaModel m;
    VncaError err = {{0}};
    assert_int_equal(vnca_config_named("tiny", &cfg, &err), 0);
    make_model(&m, &cfg, 5);
    assert_int_equal(vnca_model_save(&m, in_tmp(path, "missing/dir/m.safetensors"), &err), -1);
    assert_error(&err, path, strerror(ENOENT));
    assert_false(exists(tmp_name_of(tmp, path)));
    assert_int_equal(vnca_model_save(&m, "/proc/vnca-test.safetensors", &err), -1);
    assert_error(&err, "/proc/vnca-test.safetensors", "cannot create");
    vnca_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_st_round_trip),
        cmocka_unit_test(test_st_reference_bytes),
        cmocka_unit_test(test_st_holes_and_unaligned_offsets),
        cmocka_unit_test(test_st_bad_headers),
        cmocka_unit_test(test_st_bad_sizes),
        cmocka_unit_test(test_st_unreadable),
        cmocka_unit_test(test_st_write_into_missing_dir),
        cmocka_unit_test(test_st_write_over_directory),
        cmocka_unit_test(test_st_write_disk_full),
        cmocka_unit_test(test_st_write_refuses_bad_input),
        cmocka_unit_test(test_npy_round_trip),
        cmocka_unit_test(test_npy_reference_bytes),
        cmocka_unit_test(test_npy_reads_f8_and_v2),
        cmocka_unit_test(test_npy_bad_files),
        cmocka_unit_test(test_npy_refuses_non_finite),
        cmocka_unit_test(test_npy_write_errors),
        cmocka_unit_test(test_model_round_trip),
        cmocka_unit_test(test_model_config_keys_are_not_meta),
        cmocka_unit_test(test_config_meta_round_trip),
        cmocka_unit_test(test_model_bad_config),
        cmocka_unit_test(test_model_bad_tensors),
        cmocka_unit_test(test_model_bad_headers),
        cmocka_unit_test(test_model_truncated_and_garbled),
        cmocka_unit_test(test_model_save_errors),
    };
    return cmocka_run_group_tests(tests, make_tmp_dir, remove_tmp_dir);
}
