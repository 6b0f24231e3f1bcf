/* parallel.h without MPI: one process, rank 0 of 1. */
#include "parallel.h"

#include <stdio.h>
#include <stdlib.h>

int parallel_begin(int *rank, int *size)
{
    /* Under an MPI launcher every copy of this build would train alone and
     * write the same files: refuse rather than race. */
    const char *world = getenv("OMPI_COMM_WORLD_SIZE");
    if (!world) world = getenv("PMI_SIZE");
    if (world && atoi(world) > 1) {
        fprintf(stderr, "vnca train: started as one of %s processes, but this vnca was built "
                        "without MPI (meson setup -Dmpi=enabled)\n", world);
        return -1;
    }
    *rank = 0;
    *size = 1;
    return 0;
}

int parallel_sum(float *buf, size_t n, void *ctx)
{
    (void)buf, (void)n, (void)ctx;
    return 0;
}

void parallel_max(int *values, int n)
{
    (void)values, (void)n;
}

void parallel_end(int failure)
{
    (void)failure;
}
