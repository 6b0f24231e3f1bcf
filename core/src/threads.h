/* Internal: how many threads a parallel loop of the engine takes.
 *
 * OMP_NUM_THREADS decides when it is set (with omp_set_num_threads as
 * OpenMP's own bound, vnca_threads). Otherwise a loop takes the cores that
 * other processes leave free, at least one and at most that bound: on a busy
 * machine a team larger than the free cores waits at every barrier for a
 * thread the scheduler has not run, and a 64-latent decode beside two busy
 * processes took nine times as long on two threads as on one. The count of
 * runnable processes is read from /proc at most every TEAM_REFRESH_MS and
 * this process's own runnable threads are not counted as others. */
#ifndef VNCA_THREADS_H
#define VNCA_THREADS_H

#define TEAM_REFRESH_MS 100

/* the thread count for the next parallel loop (for num_threads) */
int team_size(void);

/* the cores this process may run on */
int core_count(void);

#endif
