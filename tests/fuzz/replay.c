/* Replays fuzz inputs through a target without libFuzzer: each file named on
 * the command line, or found in a directory named there, goes once through
 * LLVMFuzzerTestOneInput. Built by the ordinary compiler and run by meson
 * test, it keeps the seed corpus and every input that once broke something
 * as regression tests (and under ASan in the sanitizer build). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_input.h"

/* Reads the file into a buffer of exactly its size, so that a sanitizer
 * catches a read past the input's end as the fuzzer would. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: cannot read a regular file\n", path);
        if (f) fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    int ok = data && fread(data, 1, size, f) == size;
    fclose(f);
    if (ok) LLVMFuzzerTestOneInput(data, size);
    else fprintf(stderr, "%s: cannot read\n", path);
    free(data);
    return ok ? 0 : -1;
}

static int skip_dots(const struct dirent *e) { return e->d_name[0] != '.'; }

/* Every file of the directory, in name order; an empty directory is a
 * mistake (a corpus that tests nothing). */
static int replay_dir(const char *dir, int *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, skip_dots, alphasort);
    if (n <= 0) {
        fprintf(stderr, "%s: no inputs to replay\n", dir);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        rc |= replay_file(path);
        free(names[i]);
    }
    free(names);
    *count += n;
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc |= replay_dir(argv[i], &count);
        } else {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    printf("replayed %d inputs\n", count);
    return rc ? 1 : 0;
}
