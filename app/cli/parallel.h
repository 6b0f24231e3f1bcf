/* parallel.h: the processes of a data-parallel `vnca train`. Built with MPI,
 * they are the ranks of the job mpirun started (a process run alone is a job
 * of one); built without it, parallel_single.c makes every run a lone rank 0.
 * Nothing but `vnca train` joins a job. */
#ifndef VNCA_CLI_PARALLEL_H
#define VNCA_CLI_PARALLEL_H

#include <stddef.h>

/* Joins the job: *rank in [0, *size). Returns 0, or -1 with a message. */
int parallel_begin(int *rank, int *size);
/* Sums buf over all ranks, in place; a VncaAllreduce (ctx unused). */
int parallel_sum(float *buf, size_t n, void *ctx);
/* Replaces each of values[0..n) by its largest value over all ranks: how the
 * ranks agree on when to stop. */
void parallel_max(int *values, int n);
/* Leaves the job: failure is 0 when every rank finished together, else an
 * exit status that ends the whole job with it (a failure may be this rank's
 * alone, and the others would wait for it forever in a collective). */
void parallel_end(int failure);

#endif
