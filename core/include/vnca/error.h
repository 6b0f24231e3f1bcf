/* vnca/error.h: how every fallible libvnca call reports a problem.
 *
 * A fallible call returns 0 on success and -1 on failure; on failure it has
 * written a one-line, human-readable message into the caller's VncaError,
 * naming the file (where there is one) and the problem. Passing NULL for the
 * error is allowed and discards the message. */
#ifndef VNCA_ERROR_H
#define VNCA_ERROR_H

typedef struct VncaError {
    char msg[512];
} VncaError;

/* printf-style: sets err->msg (no-op when err is NULL) and returns -1, so a
 * failing path can end with `return vnca_fail(err, "...", ...);`. */
int vnca_fail(VncaError *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
