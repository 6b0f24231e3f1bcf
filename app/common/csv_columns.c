/* csv_columns.c: see csv_columns.h. */
#include "csv_columns.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LINE = 4096 };

/* The index of the header field `name`, or -1 */
static int column_index(const char *header, const char *name)
{
    const size_t len = strlen(name);
    int i = 0;
    for (const char *f = header;; i++) {
        const size_t field_len = strcspn(f, ",\r\n");
        if (field_len == len && strncmp(f, name, len) == 0) return i;
        if (f[field_len] != ',') return -1;
        f += field_len + 1;
    }
}

/* Field `index` of a comma-separated line as a number, NAN when absent */
static double field(const char *line, int index)
{
    for (int i = 0; i < index && line; i++) {
        line = strchr(line, ',');
        if (line) line++;
    }
    if (!line) return NAN;
    char *end;
    const double v = strtod(line, &end);
    return end == line ? NAN : v;
}

static int append(CsvColumns *c, int *cap, double x, double y)
{
    if (c->n == *cap) {
        const int grown = *cap ? 2 * *cap : 1024;
        double *nx = realloc(c->x, (size_t)grown * sizeof(double));
        if (nx) c->x = nx;
        double *ny = nx ? realloc(c->y, (size_t)grown * sizeof(double)) : NULL;
        if (!ny) return -1;
        c->y = ny;
        *cap = grown;
    }
    c->x[c->n] = x;
    c->y[c->n] = y;
    c->n++;
    return 0;
}

int csv_read_columns(const char *path, const char *x_name, const char *y_name, CsvColumns *out,
                     VncaError *err)
{
    *out = (CsvColumns){0};
    FILE *f = fopen(path, "r");
    if (!f) return vnca_fail(err, "%s: cannot open: %s", path, strerror(errno));
    char line[LINE];
    int rc = -1, cap = 0;
    const int xi = fgets(line, sizeof line, f) ? column_index(line, x_name) : -1;
    const int yi = xi >= 0 ? column_index(line, y_name) : -1;
    if (xi < 0 || yi < 0) {
        if (ferror(f)) vnca_fail(err, "%s: cannot read: %s", path, strerror(errno));
        else vnca_fail(err, "%s: no columns '%s' and '%s' in its header", path, x_name, y_name);
        goto done;
    }
    while (fgets(line, sizeof line, f))
        if (append(out, &cap, field(line, xi), field(line, yi))) {
            vnca_fail(err, "%s: out of memory after %d rows", path, out->n);
            goto done;
        }
    if (ferror(f)) {
        vnca_fail(err, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    fclose(f);
    if (rc) csv_columns_free(out);
    return rc;
}

void csv_columns_free(CsvColumns *c)
{
    free(c->x);
    free(c->y);
    *c = (CsvColumns){0};
}
