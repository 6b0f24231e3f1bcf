/* parallel.h over MPI: the ranks of MPI_COMM_WORLD. */
#include "parallel.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>

int parallel_begin(int *rank, int *size)
{
    /* OpenMP threads compute, but only the main thread calls MPI */
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS ||
        MPI_Comm_rank(MPI_COMM_WORLD, rank) != MPI_SUCCESS ||
        MPI_Comm_size(MPI_COMM_WORLD, size) != MPI_SUCCESS) {
        fprintf(stderr, "vnca train: cannot join the MPI job\n");
        return -1;
    }
    return 0;
}

int parallel_sum(float *buf, size_t n, void *ctx)
{
    (void)ctx;
    /* MPI counts are ints; a model has far fewer parameters */
    if (n > INT_MAX) return -1;
    return MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS
               ? 0 : -1;
}

void parallel_max(int *values, int n)
{
    /* MPI_COMM_WORLD's errors abort the job, so there is no failure to return */
    MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}

void parallel_end(int failure)
{
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (failure && size > 1) MPI_Abort(MPI_COMM_WORLD, failure);
    MPI_Finalize();
}
