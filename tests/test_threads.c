/* The engine's team size on a busy machine: with as many CPU-bound
 * processes beside it as there are cores, a parallel loop takes one thread;
 * with OMP_NUM_THREADS set it takes what that says, busy or not. */
#include <omp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "threads.h"

enum { MAX_SPINNERS = 64 };

static pid_t spin(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        for (volatile unsigned long i = 0;; i++) {}
    return pid;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&t, NULL);
}

static void test_busy_machine(void **state)
{
    (void)state;
    const int cores = omp_get_num_procs(), spinners = cores < MAX_SPINNERS ? cores : MAX_SPINNERS;
    const char *fixed = getenv("OMP_NUM_THREADS");
    pid_t pids[MAX_SPINNERS];
    for (int i = 0; i < spinners; i++) pids[i] = spin();
    sleep_ms(2 * TEAM_REFRESH_MS);
    const int busy_team = team_size();
    for (int i = 0; i < spinners; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    print_message("%d cores, %d busy processes beside it: team of %d (OMP_NUM_THREADS %s)\n",
                  cores, spinners, busy_team, fixed ? fixed : "unset");
    if (fixed) assert_int_equal(busy_team, omp_get_max_threads());
    else assert_int_equal(busy_team, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
