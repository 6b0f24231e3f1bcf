/* csv_columns.h: two numeric columns of a CSV file whose first row names
 * them, such as the training log of `vnca train`. */
#ifndef VNCA_APP_CSV_COLUMNS_H
#define VNCA_APP_CSV_COLUMNS_H

#include "vnca/error.h"

typedef struct CsvColumns {
    double *x, *y;  /* [n]; NAN where a row lacks the field or it is not a number */
    int n;
} CsvColumns;

/* Reads columns x_name and y_name of every row after the header; lines
 * longer than 4095 bytes are cut. Fails (naming the file) when it cannot be
 * read, its header lacks either column, or memory runs out; *out is then
 * empty. */
int csv_read_columns(const char *path, const char *x_name, const char *y_name, CsvColumns *out,
                     VncaError *err);
void csv_columns_free(CsvColumns *c);

#endif
