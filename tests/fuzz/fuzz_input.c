#define _GNU_SOURCE   /* memfd_create */
#include "fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void harness_failed(const char *what)
{
    perror(what);
    abort();
}

const char *fuzz_input_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", MFD_CLOEXEC);
        if (fd < 0) harness_failed("memfd_create");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0)) harness_failed("ftruncate");
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) harness_failed("pwrite");
        done += (size_t)n;
    }
    return path;
}

/* where fuzz_touch's reads go, so that the compiler keeps them */
static volatile unsigned char sink;

void fuzz_touch(const void *p, size_t len)
{
    const unsigned char *bytes = p;
    unsigned char x = 0;
    for (size_t i = 0; i < len; i++) x ^= bytes[i];
    sink = x;
}
