/* Safetensors files: an 8-byte little-endian header length L, L bytes of JSON
 * describing the tensors, then their raw bytes. The reader checks every field
 * before it trusts an offset and reports the first problem, naming the file. */
#include "vnca/safetensors.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "file_io.h"

/* The tensor bytes are used in place as floats, and floats are written as they
 * lie in memory: right only where floats are little-endian IEEE-754 (x86,
 * ARM). A big-endian port would byte-swap the data in read and write. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host: tensor data would need byte-swapping"
#endif

#define METADATA_KEY "__metadata__"
/* The reference implementation's limit; it also bounds the JSON parser's memory. */
#define MAX_HEADER_LEN 100000000ull
/* cJSON keeps numbers as doubles, exact for integers up to 2^53. */
#define MAX_JSON_INT 9007199254740992.0

typedef unsigned long long ull;   /* for printing uint64_t */

/* A tensor of the header, validated against the data section. */
typedef struct Entry {
    const char *name;      /* in the cJSON tree */
    int ndim;
    int64_t shape[VNCA_ST_MAX_DIMS];
    size_t numel;
    uint64_t begin, end;   /* within the data section */
} Entry;

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* How check_unique reaches the i-th name of an array of records. */
typedef const char *(*NameAt)(const void *items, int i);

static const char *entry_name(const void *items, int i) { return ((const Entry *)items)[i].name; }

static const char *tensor_name(const void *items, int i)
{
    return ((const VncaStTensor *)items)[i].name;
}

static const char *meta_key(const void *items, int i)
{
    return ((const VncaMetaEntry *)items)[i].key;
}

/* Fails naming a name that occurs twice among n records. Sorts a copy rather
 * than comparing pairs: a hostile header may hold a million entries. */
static int check_unique(const char *path, const char *what, const void *items, int n,
                        NameAt name_at, VncaError *err)
{
    if (n < 2) return 0;
    const char **names = malloc((size_t)n * sizeof *names);
    if (!names) return vnca_fail(err, "%s: out of memory", path);
    for (int i = 0; i < n; i++) names[i] = name_at(items, i);
    qsort(names, (size_t)n, sizeof *names, compare_strings);
    int rc = 0;
    for (int i = 1; i < n && rc == 0; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            rc = vnca_fail(err, "%s: duplicate %s '%s'", path, what, names[i]);
    free(names);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static int check_header_length(const char *path, const unsigned char *bytes, size_t size,
                               size_t *header_len, VncaError *err)
{
    if (size < 8)
        return vnca_fail(err, "%s: file is too short (%zu bytes) to be a safetensors file", path,
                         size);
    uint64_t n = load_le64(bytes);
    if (n == 0) return vnca_fail(err, "%s: header length is 0", path);
    if (n > size - 8)
        return vnca_fail(err, "%s: header length %llu exceeds file size %zu", path, (ull)n, size);
    if (n > MAX_HEADER_LEN)
        return vnca_fail(err, "%s: header length %llu exceeds the limit of %llu bytes", path,
                         (ull)n, MAX_HEADER_LEN);
    *header_len = (size_t)n;
    return 0;
}

static int is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The header as a JSON object; NULL (and err set) when it is not one. Parses
 * a NUL-terminated copy so that the parser cannot run past the header. */
static cJSON *parse_json(const char *path, const unsigned char *header, size_t len, VncaError *err)
{
    char *text = malloc(len + 1);
    if (!text) {
        vnca_fail(err, "%s: out of memory for a %zu-byte header", path, len);
        return NULL;
    }
    memcpy(text, header, len);
    text[len] = '\0';
    const char *end = text;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t stop = (size_t)(end - text);
    while (stop < len && is_json_space(text[stop])) stop++;
    free(text);
    if (root && cJSON_IsObject(root) && stop == len) return root;
    if (!root)
        vnca_fail(err, "%s: header is not valid JSON (error at byte %zu of %zu)", path, stop, len);
    else if (!cJSON_IsObject(root))
        vnca_fail(err, "%s: header is not a JSON object", path);
    else
        vnca_fail(err, "%s: header is not valid JSON (unexpected text at byte %zu of %zu)", path,
                  stop, len);
    cJSON_Delete(root);
    return NULL;
}

/* An exact non-negative integer, as JSON numbers for sizes must be. */
static int json_uint(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item)) return -1;
    double v = item->valuedouble;
    if (!(v >= 0 && v <= MAX_JSON_INT) || v != (double)(uint64_t)v) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_shape(const char *path, const cJSON *shape, Entry *e, VncaError *err)
{
    if (!cJSON_IsArray(shape))
        return vnca_fail(err, "%s: tensor '%s': shape is not an array of non-negative integers",
                         path, e->name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > VNCA_ST_MAX_DIMS)
        return vnca_fail(err, "%s: tensor '%s': shape has %d dimensions, at most %d supported",
                         path, e->name, ndim, VNCA_ST_MAX_DIMS);
    const cJSON *dim;
    cJSON_ArrayForEach(dim, shape) {
        uint64_t v;
        if (json_uint(dim, &v))
            return vnca_fail(err, "%s: tensor '%s': shape is not an array of non-negative integers",
                             path, e->name);
        e->shape[e->ndim++] = (int64_t)v;
    }
    if (shape_numel(e->ndim, e->shape, sizeof(float), &e->numel)) {
        char text[256];
        format_shape(text, sizeof text, e->ndim, e->shape);
        return vnca_fail(err, "%s: tensor '%s': shape %s is too large", path, e->name, text);
    }
    return 0;
}

static int parse_offsets(const char *path, const cJSON *offsets, size_t data_len, Entry *e,
                         VncaError *err)
{
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        json_uint(offsets->child, &e->begin) || json_uint(offsets->child->next, &e->end))
        return vnca_fail(err, "%s: tensor '%s': data_offsets is not [begin, end] of non-negative "
                         "integers", path, e->name);
    if (e->begin > e->end)
        return vnca_fail(err, "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin",
                         path, e->name, (ull)e->begin, (ull)e->end);
    if (e->end > data_len)
        return vnca_fail(err, "%s: tensor '%s': data_offsets [%llu, %llu] out of range "
                         "(data section is %zu bytes)", path, e->name, (ull)e->begin,
                         (ull)e->end, data_len);
    if (e->end - e->begin != e->numel * sizeof(float)) {
        char text[256];
        format_shape(text, sizeof text, e->ndim, e->shape);
        return vnca_fail(err, "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, "
                         "but F32 of shape %s needs %zu", path, e->name, (ull)e->begin,
                         (ull)e->end, (ull)(e->end - e->begin), text, e->numel * sizeof(float));
    }
    return 0;
}

static int parse_entry(const char *path, const cJSON *item, size_t data_len, Entry *e,
                       VncaError *err)
{
    e->name = item->string;
    if (!cJSON_IsObject(item))
        return vnca_fail(err, "%s: tensor '%s': entry is not an object", path, e->name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    const char *missing = !dtype ? "dtype" : !shape ? "shape" : !offsets ? "data_offsets" : NULL;
    if (missing) return vnca_fail(err, "%s: tensor '%s': missing '%s'", path, e->name, missing);
    if (!cJSON_IsString(dtype))
        return vnca_fail(err, "%s: tensor '%s': dtype is not a string", path, e->name);
    if (strcmp(dtype->valuestring, "F32") != 0)
        return vnca_fail(err, "%s: tensor '%s': dtype '%s' is not supported (only F32)", path,
                         e->name, dtype->valuestring);
    if (parse_shape(path, shape, e, err)) return -1;
    return parse_offsets(path, offsets, data_len, e, err);
}

/* Fills the empty *meta straight from the JSON object (keys are checked for
 * uniqueness once, rather than by a lookup per key). */
static int parse_metadata(const char *path, const cJSON *obj, VncaMeta *meta, VncaError *err)
{
    if (!cJSON_IsObject(obj))
        return vnca_fail(err, "%s: %s is not an object", path, METADATA_KEY);
    int n = cJSON_GetArraySize(obj);
    meta->items = calloc(n > 0 ? (size_t)n : 1, sizeof *meta->items);
    if (!meta->items) return vnca_fail(err, "%s: out of memory for %d metadata entries", path, n);
    meta->cap = n;
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        if (!cJSON_IsString(item))
            return vnca_fail(err, "%s: %s: the value of '%s' is not a string", path,
                             METADATA_KEY, item->string);
        VncaMetaEntry *e = &meta->items[meta->n];
        e->key = strdup(item->string);
        e->value = strdup(item->valuestring);
        if (!e->key || !e->value) {
            free(e->key);
            free(e->value);
            return vnca_fail(err, "%s: out of memory", path);
        }
        meta->n++;
    }
    return check_unique(path, "metadata key", meta->items, meta->n, meta_key, err);
}

typedef struct Header {
    cJSON *root;
    Entry *entries;   /* one per tensor, in header order */
    int n;
} Header;

static int parse_header(const char *path, const unsigned char *text, size_t len,
                        size_t data_len, Header *h, VncaMeta *meta, VncaError *err)
{
    h->root = parse_json(path, text, len, err);
    if (!h->root) return -1;
    int count = cJSON_GetArraySize(h->root);
    h->entries = calloc(count > 0 ? (size_t)count : 1, sizeof *h->entries);
    if (!h->entries) return vnca_fail(err, "%s: out of memory for %d tensors", path, count);
    int seen_metadata = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, h->root) {
        if (strcmp(item->string, METADATA_KEY) != 0) {
            if (parse_entry(path, item, data_len, &h->entries[h->n], err)) return -1;
            h->n++;
        } else if (seen_metadata++) {
            return vnca_fail(err, "%s: duplicate %s", path, METADATA_KEY);
        } else if (parse_metadata(path, item, meta, err)) {
            return -1;
        }
    }
    return check_unique(path, "tensor name", h->entries, h->n, entry_name, err);
}

static int compare_by_offset(const void *pa, const void *pb)
{
    const Entry *a = pa, *b = pb;
    if (a->begin != b->begin) return a->begin < b->begin ? -1 : 1;
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Entries sorted by offset. Empty tensors hold no bytes and overlap nothing. */
static int check_overlaps(const char *path, const Entry *e, int n, VncaError *err)
{
    const Entry *prev = NULL;   /* the last non-empty tensor: the one that ends furthest */
    for (int i = 0; i < n; i++) {
        if (e[i].begin == e[i].end) continue;
        if (prev && e[i].begin < prev->end)
            return vnca_fail(err, "%s: tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap",
                             path, prev->name, (ull)prev->begin, (ull)prev->end, e[i].name,
                             (ull)e[i].begin, (ull)e[i].end);
        prev = &e[i];
    }
    return 0;
}

/* Packs the tensors' bytes, in offset order, at the front of the file's
 * buffer: the data section starts at 8 + L and may have holes, so tensors in
 * place need not be 4-byte aligned, as floats must be; the packed ones are.
 * Moving to the front never overwrites bytes still to be moved: the tensors
 * before one take no more room than its offset. */
static int take_tensors(const char *path, unsigned char *bytes, size_t data_start,
                        const Entry *e, int n, VncaStFile *f, VncaError *err)
{
    f->tensors = calloc(n > 0 ? (size_t)n : 1, sizeof *f->tensors);
    if (!f->tensors) return vnca_fail(err, "%s: out of memory for %d tensors", path, n);
    size_t packed = 0;
    for (int i = 0; i < n; i++) {
        VncaStTensor *t = &f->tensors[i];
        t->name = strdup(e[i].name);
        if (!t->name) return vnca_fail(err, "%s: out of memory", path);
        f->n++;
        t->ndim = e[i].ndim;
        memcpy(t->shape, e[i].shape, sizeof t->shape);
        t->numel = e[i].numel;
        size_t size = e[i].numel * sizeof(float);
        memmove(bytes + packed, bytes + data_start + e[i].begin, size);
        t->data = (const float *)(bytes + packed);
        packed += size;
    }
    return 0;
}

int vnca_st_read(const char *path, VncaStFile *f, VncaError *err)
{
    memset(f, 0, sizeof *f);
    unsigned char *bytes;
    size_t size, header_len = 0;
    if (read_file_all(path, &bytes, &size, err)) return -1;
    f->blob = bytes;
    Header h = {0};
    int rc = check_header_length(path, bytes, size, &header_len, err);
    if (rc == 0)
        rc = parse_header(path, bytes + 8, header_len, size - 8 - header_len, &h, &f->meta, err);
    if (rc == 0) {
        qsort(h.entries, (size_t)h.n, sizeof *h.entries, compare_by_offset);
        rc = check_overlaps(path, h.entries, h.n, err);
    }
    if (rc == 0) rc = take_tensors(path, bytes, 8 + header_len, h.entries, h.n, f, err);
    cJSON_Delete(h.root);
    free(h.entries);
    if (rc) vnca_st_free(f);
    return rc;
}

void vnca_st_free(VncaStFile *f)
{
    for (int i = 0; i < f->n; i++) free(f->tensors[i].name);
    free(f->tensors);
    vnca_meta_free(&f->meta);
    free(f->blob);
    memset(f, 0, sizeof *f);
}

const VncaStTensor *vnca_st_find(const VncaStFile *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

/* ---- writing ------------------------------------------------------------ */

static void store_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static int check_tensor(const char *path, const VncaStTensor *t, int index, VncaError *err)
{
    if (!t->name) return vnca_fail(err, "%s: tensor %d has no name", path, index);
    if (strcmp(t->name, METADATA_KEY) == 0)
        return vnca_fail(err, "%s: '%s' is reserved, not a tensor name", path, METADATA_KEY);
    if (t->ndim < 0 || t->ndim > VNCA_ST_MAX_DIMS)
        return vnca_fail(err, "%s: tensor '%s' has %d dimensions, expected 0 to %d", path,
                         t->name, t->ndim, VNCA_ST_MAX_DIMS);
    size_t numel;
    if (shape_numel(t->ndim, t->shape, sizeof(float), &numel)) {
        char text[256];
        format_shape(text, sizeof text, t->ndim, t->shape);
        return vnca_fail(err, "%s: tensor '%s' has an invalid shape %s", path, t->name, text);
    }
    if (numel > 0 && !t->data) return vnca_fail(err, "%s: tensor '%s' has no data", path, t->name);
    return 0;
}

/* Refuses what the reader would refuse, so that no unreadable file is written. */
static int check_input(const char *path, const VncaStTensor *tensors, int n, const VncaMeta *meta,
                       VncaError *err)
{
    if (n < 0 || (n > 0 && !tensors))
        return vnca_fail(err, "%s: invalid tensor list (%d tensors)", path, n);
    for (int i = 0; i < n; i++)
        if (check_tensor(path, &tensors[i], i, err)) return -1;
    if (check_unique(path, "tensor name", tensors, n, tensor_name, err)) return -1;
    return meta ? check_unique(path, "metadata key", meta->items, meta->n, meta_key, err)
                : 0;
}

/* The data size of a tensor that check_input accepted. */
static size_t tensor_bytes(const VncaStTensor *t)
{
    size_t numel = 0;
    shape_numel(t->ndim, t->shape, sizeof(float), &numel);
    return numel * sizeof(float);
}

/* cJSON's builders return NULL when out of memory, and adding NULL fails. */
static int append_number(cJSON *array, double v)
{
    return array && cJSON_AddItemToArray(array, cJSON_CreateNumber(v));
}

static cJSON *tensor_json(const VncaStTensor *t, uint64_t begin, uint64_t end)
{
    cJSON *obj = cJSON_CreateObject();
    int ok = cJSON_AddStringToObject(obj, "dtype", "F32") != NULL;
    cJSON *shape = cJSON_AddArrayToObject(obj, "shape");
    ok = ok && shape;
    for (int d = 0; d < t->ndim; d++) ok = ok && append_number(shape, (double)t->shape[d]);
    cJSON *offsets = cJSON_AddArrayToObject(obj, "data_offsets");
    ok = ok && append_number(offsets, (double)begin) && append_number(offsets, (double)end);
    if (!ok) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* The header's JSON text (malloc'd), NULL when out of memory: __metadata__
 * first, then the tensors in the given order, their data packed back to back. */
static char *header_text(const VncaStTensor *tensors, int n, const VncaMeta *meta)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && meta && meta->n > 0) {
        cJSON *obj = cJSON_AddObjectToObject(root, METADATA_KEY);
        ok = obj != NULL;
        for (int i = 0; ok && i < meta->n; i++)
            ok = cJSON_AddStringToObject(obj, meta->items[i].key, meta->items[i].value) != NULL;
    }
    uint64_t offset = 0;
    for (int i = 0; ok && i < n; i++) {
        uint64_t end = offset + tensor_bytes(&tensors[i]);
        ok = cJSON_AddItemToObject(root, tensors[i].name, tensor_json(&tensors[i], offset, end));
        offset = end;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static int write_contents(AtomicFile *af, const char *header, const VncaStTensor *tensors, int n,
                          VncaError *err)
{
    /* Spaces pad the header so that the data section starts 8-byte aligned
     * in the file, as the reference writer does. */
    size_t len = strlen(header);
    size_t padding = (8 - len % 8) % 8;
    unsigned char prefix[8];
    store_le64(prefix, len + padding);
    if (atomic_write(af, prefix, sizeof prefix, err) || atomic_write(af, header, len, err) ||
        atomic_write(af, "        ", padding, err))
        return -1;
    for (int i = 0; i < n; i++)
        if (atomic_write(af, tensors[i].data, tensor_bytes(&tensors[i]), err)) return -1;
    return 0;
}

int vnca_st_write(const char *path, const VncaStTensor *tensors, int n, const VncaMeta *meta,
                  VncaError *err)
{
    if (check_input(path, tensors, n, meta, err)) return -1;
    char *header = header_text(tensors, n, meta);
    if (!header) return vnca_fail(err, "%s: out of memory building the header", path);
    AtomicFile af;
    int rc = atomic_open(&af, path, err) ? 0 : -1;
    if (rc == 0 && write_contents(&af, header, tensors, n, err)) {
        atomic_abort(&af);
        rc = -1;
    }
    free(header);
    return rc ? rc : atomic_commit(&af, err);
}
