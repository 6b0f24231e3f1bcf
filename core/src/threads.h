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

/* The threads for a loop of `work` units: team_size() where the work
 * reaches `min`, else 1. */
int loop_team(long work, long min);

/* TEAM_RANGES(team, n, range, args...) calls range(first, end, args...)
 * over [0, n): on `team` threads, one equal range each, or with a team of
 * one once in this thread, starting no OpenMP team. libgomp starts and ends
 * even a team of one (a loop nested in a training shard's, or with one core
 * free) by system calls (futex): thousands a training step of a small
 * model, about a tenth of its time. PARALLEL_RANGES(n, work, min, range,
 * args...) is TEAM_RANGES on loop_team(work, min) threads. A range must not
 * depend on how [0, n) is split: each element computed by one thread alike. */
#ifdef _OPENMP
#include <omp.h>
#define TEAM_RANGES(team, n, range, ...)                                                   \
    do {                                                                                   \
        const long n_ = (n);                                                               \
        const int team_ = (team);                                                          \
        if (team_ <= 1) {                                                                  \
            range(0, n_, __VA_ARGS__);                                                     \
            break;                                                                         \
        }                                                                                  \
        _Pragma("omp parallel num_threads(team_)")                                         \
        {                                                                                  \
            const long id_ = omp_get_thread_num(), of_ = omp_get_num_threads();            \
            range(n_ * id_ / of_, n_ * (id_ + 1) / of_, __VA_ARGS__);                      \
        }                                                                                  \
    } while (0)
#else
#define TEAM_RANGES(team, n, range, ...) range(0, (long)(n), __VA_ARGS__)
#endif
#define PARALLEL_RANGES(n, work, min, range, ...) \
    TEAM_RANGES(loop_team((long)(work), (min)), n, range, __VA_ARGS__)

/* a range function's attributes: inlined, so that each caller's SIMD
 * clones vectorize it for their own width */
#define RANGE_INLINE static inline __attribute__((always_inline))

/* the cores this process may run on */
int core_count(void);

#endif
