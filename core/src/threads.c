/* The engine's team size: OMP_NUM_THREADS, or the cores left free; and the
 * caller's bound on it. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "threads.h"
#include "vnca/vnca.h"

#ifdef _OPENMP

/* runnable tasks on the machine (the first number of /proc/loadavg's
 * fourth field), or -1 where /proc cannot say */
static int machine_runnable(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return -1;
    int running = -1;
    if (fscanf(f, "%*f %*f %*f %d/", &running) != 1) running = -1;
    fclose(f);
    return running;
}

/* this process's threads in state R */
static int own_runnable(void)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return 1;
    int running = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.') continue;
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        /* "tid (name) S ...": the name may hold spaces, the state follows its last ')' */
        char line[512];
        if (fgets(line, sizeof line, f))
            for (char *p = line; *p; p++)
                if (*p == ')' && p[1] == ' ') state = p[2];
        fclose(f);
        running += state == 'R';
    }
    closedir(dir);
    return running > 0 ? running : 1;
}

static int free_cores(int bound)
{
    const int machine = machine_runnable();
    if (machine < 0) return bound;
    const int others = machine - own_runnable(), free = omp_get_num_procs() - (others > 0 ? others : 0);
    return free < 1 ? 1 : free > bound ? bound : free;
}

static int fixed_by_environment;
static pthread_once_t environment_once = PTHREAD_ONCE_INIT;

static void read_environment(void) { fixed_by_environment = getenv("OMP_NUM_THREADS") != NULL; }

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int team_size(void)
{
    static _Atomic int cached;
    static _Atomic long long cached_at;
    /* inside a team (a shard's loops) a nested team gets one thread anyway:
     * say so, and skip starting it */
    if (omp_in_parallel()) return 1;
    pthread_once(&environment_once, read_environment);
    const int bound = omp_get_max_threads();
    if (fixed_by_environment || bound == 1) return bound;
    const long long now = now_ms();
    int team = cached;
    if (team == 0 || now - cached_at >= TEAM_REFRESH_MS) {
        team = free_cores(bound);
        cached = team;
        cached_at = now;
    }
    return team < bound ? team : bound;
}

int loop_team(long work, long min) { return work >= min ? team_size() : 1; }

int core_count(void) { return omp_get_num_procs(); }

int vnca_threads(void) { return omp_get_max_threads(); }
#else
int team_size(void) { return 1; }
int loop_team(long work, long min) { (void)work; (void)min; return 1; }
int core_count(void) { return 1; }
int vnca_threads(void) { return 1; }
#endif
