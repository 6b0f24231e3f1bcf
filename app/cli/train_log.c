/* train_log.c: the CSV log of `vnca train` (see train_log.h). */
#include "train_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnca/io.h"

static const char header[] = "step,images_seen,train_seconds,loss,recon,kl,grad_norm,lr,cpu_seconds\n";
/* Logs from before the CPU time, and before the rate, were logged: resumed,
 * they take the new header, and their rows, a column or two short, read as
 * missing those. */
static const char header_before_cpu[] = "step,images_seen,train_seconds,loss,recon,kl,grad_norm,lr\n";
static const char header_before_lr[] = "step,images_seen,train_seconds,loss,recon,kl,grad_norm\n";
static const char *const older_headers[] = {header_before_cpu, header_before_lr};

/* Keeps the header and the rows up to `step`, in place; returns the new length. */
static size_t trim_rows(char *text, size_t len, long step)
{
    char *line = memchr(text, '\n', len);
    if (!line) return 0;
    char *kept = ++line;
    while (line < text + len) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end) break; /* a row cut short by a kill */
        const size_t row_len = (size_t)(end - line) + 1;
        char *after = line;
        const long row_step = *line >= '0' && *line <= '9' ? strtol(line, &after, 10) : 0;
        if (after != line && *after == ',' && row_step <= step) {
            memmove(kept, line, row_len);
            kept += row_len;
        }
        line = end + 1;
    }
    return (size_t)(kept - text);
}

/* whether text starts with the line `line`, or is a prefix of it */
static int starts_with(const char *text, size_t len, const char *line)
{
    const size_t n = strlen(line);
    return memcmp(text, line, len < n ? len : n) == 0;
}

/* A kill between creating a log and writing its header leaves a prefix of it */
static int starts_as_log(const char *text, size_t len)
{
    for (size_t h = 0; h < sizeof older_headers / sizeof *older_headers; h++)
        if (starts_with(text, len, older_headers[h])) return 1;
    return starts_with(text, len, header);
}

/* whether the log has its whole header line */
static int has_header(const char *text, size_t len)
{
    const char *newline = memchr(text, '\n', len);
    return newline && starts_as_log(text, (size_t)(newline - text) + 1);
}

/* An older log's header gives way to the current one, in place (text has
 * room for it); returns the new length. */
static size_t update_header(char *text, size_t len)
{
    const size_t now = sizeof header - 1;
    for (size_t h = 0; h < sizeof older_headers / sizeof *older_headers; h++) {
        const size_t old = strlen(older_headers[h]);
        if (len < old || memcmp(text, older_headers[h], old)) continue;
        memmove(text + now, text + old, len - old);
        memcpy(text, header, now);
        return len + now - old;
    }
    return len;
}

FILE *train_log_open(const char *path, long resume_step, VncaError *err)
{
    size_t len = 0;
    unsigned char *bytes = NULL;
    if (resume_step >= 0 && access(path, F_OK) == 0 && vnca_read_file(path, &bytes, &len, err))
        return NULL;
    char *text = (char *)bytes;
    if (text && !starts_as_log(text, len)) {
        vnca_fail(err, "%s: not a vnca training log (unexpected header); move it aside", path);
        free(text);
        return NULL;
    }
    const int keep = text && has_header(text, len);
    if (keep) { /* room for a longer header */
        char *room = realloc(text, len + sizeof header);
        if (!room) {
            free(text);
            vnca_fail(err, "%s: out of memory to read the log", path);
            return NULL;
        }
        text = room;
    }
    const int rc = keep ? vnca_write_file_atomic(
                              path, text, update_header(text, trim_rows(text, len, resume_step)), err)
                        : 0;
    free(text);
    if (rc) return NULL;
    FILE *log = fopen(path, keep ? "a" : "w");
    if (!log || (!keep && (fputs(header, log) < 0 || fflush(log)))) {
        vnca_fail(err, "%s: cannot write the log: %s", path, strerror(errno));
        if (log) fclose(log);
        return NULL;
    }
    return log;
}
