/* The one way libvnca reports a failure: a message in the caller's VncaError. */
#include <stdarg.h>
#include <stdio.h>

#include "vnca/error.h"

int vnca_fail(VncaError *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}
