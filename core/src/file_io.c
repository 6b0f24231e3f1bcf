/* Reading whole files, writing files atomically, naming shapes: see file_io.h. */
#include "file_io.h"
#include "vnca/io.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One byte more than a regular file's size, so that reading it reaches EOF
 * without growing the buffer; a guess for anything else. */
static size_t initial_capacity(FILE *fp)
{
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (uintmax_t)st.st_size < SIZE_MAX)
        return (size_t)st.st_size + 1;
    return 4096;
}

/* Doubles the buffer; frees it and returns NULL when that is impossible. */
static unsigned char *grow(unsigned char *buf, size_t *cap)
{
    unsigned char *bigger = *cap <= SIZE_MAX / 2 ? realloc(buf, 2 * *cap) : NULL;
    if (!bigger) {
        free(buf);
        return NULL;
    }
    *cap *= 2;
    return bigger;
}

int read_file_all(const char *path, unsigned char **data, size_t *len, VncaError *err)
{
    *data = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return vnca_fail(err, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = initial_capacity(fp), used = 0;
    unsigned char *buf = malloc(cap);
    while (buf && !feof(fp) && !ferror(fp)) {
        if (used == cap) buf = grow(buf, &cap);
        if (buf) used += fread(buf + used, 1, cap - used, fp);
    }
    int read_errno = errno;
    int rc = 0;
    if (!buf) rc = vnca_fail(err, "%s: out of memory after reading %zu bytes", path, used);
    else if (ferror(fp)) rc = vnca_fail(err, "%s: cannot read: %s", path, strerror(read_errno));
    fclose(fp);
    if (rc) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = used;
    return 0;
}

FILE *atomic_open(AtomicFile *af, const char *path, VncaError *err)
{
    *af = (AtomicFile){.path = path};
    int n = snprintf(NULL, 0, "%s.tmp.%ld", path, (long)getpid());
    af->tmp_path = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!af->tmp_path) {
        vnca_fail(err, "%s: out of memory", path);
        return NULL;
    }
    snprintf(af->tmp_path, (size_t)n + 1, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        vnca_fail(err, "%s: cannot create %s: %s", path, af->tmp_path, strerror(errno));
        free(af->tmp_path); /* not removed: what is there is not ours */
        af->tmp_path = NULL;
    }
    return af->fp;
}

int atomic_write(AtomicFile *af, const void *buf, size_t len, VncaError *err)
{
    if (len && fwrite(buf, 1, len, af->fp) != len)
        return vnca_fail(err, "%s: cannot write %s: %s", af->path, af->tmp_path, strerror(errno));
    return 0;
}

/* Gets the data onto the disk (a full disk often shows only here, at the
 * flush) and closes the file, whatever happens. */
static int close_durably(AtomicFile *af, VncaError *err)
{
    FILE *fp = af->fp;
    af->fp = NULL;
    int rc = 0;
    if (ferror(fp)) rc = vnca_fail(err, "%s: error writing %s", af->path, af->tmp_path);
    else if (fflush(fp))
        rc = vnca_fail(err, "%s: cannot write %s: %s", af->path, af->tmp_path, strerror(errno));
    else if (fsync(fileno(fp)))
        rc = vnca_fail(err, "%s: cannot sync %s: %s", af->path, af->tmp_path, strerror(errno));
    if (fclose(fp) && rc == 0)
        rc = vnca_fail(err, "%s: cannot close %s: %s", af->path, af->tmp_path, strerror(errno));
    return rc;
}

/* The directory is not synced after the rename: a crash may then lose the
 * rename, which leaves the old file, complete, as promised. */
int atomic_commit(AtomicFile *af, VncaError *err)
{
    int rc = close_durably(af, err);
    if (rc == 0 && rename(af->tmp_path, af->path))
        rc = vnca_fail(err, "%s: cannot rename %s over it: %s", af->path, af->tmp_path,
                       strerror(errno));
    if (rc) {
        atomic_abort(af);
        return rc;
    }
    free(af->tmp_path);
    af->tmp_path = NULL;
    return 0;
}

void atomic_abort(AtomicFile *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp_path) remove(af->tmp_path);
    free(af->tmp_path);
    af->fp = NULL;
    af->tmp_path = NULL;
}

int shape_numel(int ndim, const int64_t *shape, size_t elem_size, size_t *numel)
{
    int has_zero = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) return -1;
        has_zero |= shape[d] == 0;
    }
    size_t n = 1;
    for (int d = 0; d < ndim && !has_zero; d++) {
        if ((uint64_t)shape[d] > SIZE_MAX / elem_size / n) return -1;
        n *= (size_t)shape[d];
    }
    *numel = has_zero ? 0 : n;
    return 0;
}

void format_shape(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < ndim && used < len; d++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", d ? ", " : "",
                                 (long long)shape[d]);
    if (used < len) snprintf(buf + used, len - used, "]");
}

void describe_element(char *buf, size_t len, int ndim, const int64_t *shape, size_t index,
                      double value)
{
    char where[256] = "";
    if (ndim > 1) {
        int64_t coords[DESCRIBED_DIMS];
        size_t rest = index;
        for (int d = ndim - 1; d >= 0; d--) {
            coords[d] = (int64_t)(rest % (uint64_t)shape[d]);
            rest /= (uint64_t)shape[d];
        }
        char tuple[240];
        format_shape(tuple, sizeof tuple, ndim, coords);
        snprintf(where, sizeof where, " (%s)", tuple);
    }
    if (isfinite(value))
        snprintf(buf, len, "element %zu%s is %g", index, where, value);
    else
        snprintf(buf, len, "element %zu%s is %s", index, where,
                 isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf");
}

int vnca_write_file_atomic(const char *path, const void *data, size_t len, VncaError *err)
{
    AtomicFile af;
    if (!atomic_open(&af, path, err)) return -1;
    if (atomic_write(&af, data, len, err)) {
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err);
}

int vnca_read_file(const char *path, unsigned char **data, size_t *len, VncaError *err)
{
    return read_file_all(path, data, len, err);
}

/* The pid of "<base>.tmp.<pid>", or 0 when name is not one of those. */
static long temp_file_pid(const char *name, const char *base)
{
    const size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0) return 0;
    const char *digits = name + n + 5;
    char *end;
    errno = 0;
    const long pid = strtol(digits, &end, 10);
    return end != digits && *end == '\0' && errno == 0 && pid > 0 ? pid : 0;
}

/* EPERM means the process runs, under another user */
static int process_gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

int vnca_remove_stale_temp_files(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir) return 0;
    if (!dir[0]) snprintf(dir, sizeof dir, "/");
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const long pid = temp_file_pid(e->d_name, base);
        if (!pid || !process_gone((pid_t)pid)) continue;
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        removed += remove(full) == 0;
    }
    closedir(d);
    return removed;
}
