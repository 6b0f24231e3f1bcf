/* The engine's threads: on a busy machine (as many CPU-bound processes
 * beside it as there are cores) a parallel loop takes one thread, and with
 * OMP_NUM_THREADS set what that says, busy or not; a batch decoded, or its
 * ELBO and gradient computed, in shards on several threads is the same bits
 * as on one thread. */
#include <omp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "threads.h"
#include "vnca/vnca.h"

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

/* the logits of n latents decoded by a workspace made with `threads` threads */
static float *decode_on(const VncaModel *m, const float *z, int n, int threads)
{
    omp_set_num_threads(threads);
    VncaWorkspace *ws = vnca_workspace_new(&m->config, n, VNCA_WS_INFER, NULL);
    assert_non_null(ws);
    float *logits = malloc((size_t)n * m->config.image_size * m->config.image_size * sizeof(float));
    assert_non_null(logits);
    vnca_decode(m, ws, z, n, logits);
    vnca_workspace_free(ws);
    return logits;
}

static void test_shards_decode_alike(void **state)
{
    (void)state;
    const VncaConfig configs[] = {
        {.latent = 8, .hidden = 16, .res_blocks = 1, .perception = VNCA_PERCEIVE_CONV3, .n_stages = 3,
         .stage_grid = {2, 4, 8}, .stage_steps = {2, 2, 2}, .encoder_width = 4, .image_size = 8},
        {.latent = 6, .hidden = 16, .res_blocks = 2, .perception = VNCA_PERCEIVE_SOBEL, .n_stages = 3,
         .stage_grid = {2, 4, 8}, .stage_steps = {1, 2, 3}, .encoder_width = 4, .image_size = 8},
        {.latent = 6, .hidden = 16, .res_blocks = 1, .perception = VNCA_PERCEIVE_CONV3, .n_stages = 3,
         .stage_grid = {2, 4, 8}, .stage_steps = {2, 0, 2}, .encoder_width = 4, .image_size = 8,
         .genome = VNCA_GENOME_POSITION, .far_reach = 2},
    };
    enum { N = 7 };
    for (size_t i = 0; i < sizeof configs / sizeof *configs; i++) {
        VncaModel m;
        assert_int_equal(make_model(&m, &configs[i], 5 + i), 0);
        VncaRng rng;
        vnca_rng_seed(&rng, 9);
        float z[N * 8];
        vnca_rng_normal_fill(&rng, z, (size_t)N * configs[i].latent);
        float *one = decode_on(&m, z, N, 1), *three = decode_on(&m, z, N, 3);
        const size_t len = (size_t)N * configs[i].image_size * configs[i].image_size;
        assert_memory_equal(one, three, len * sizeof(float));
        float *first = decode_on(&m, z, 1, 3); /* and one image alone, as the first of seven */
        assert_memory_equal(one, first, len / N * sizeof(float));
        free(one), free(three), free(first);
        vnca_model_free(&m);
    }
}

/* the ELBO and its gradient of n images on `threads` threads */
static double train_pass_on(const VncaModel *m, const float *x, const float *eps, int n, int threads,
                            float *grads)
{
    omp_set_num_threads(threads);
    VncaWorkspace *ws = vnca_workspace_new(&m->config, n, VNCA_WS_TRAIN, NULL);
    assert_non_null(ws);
    const VncaLoss loss = vnca_elbo_forward(m, ws, x, eps, n);
    memset(grads, 0, m->layout.n_params * sizeof(float));
    vnca_elbo_backward(m, ws, grads);
    vnca_workspace_free(ws);
    return loss.loss;
}

static void test_shards_train_alike(void **state)
{
    (void)state;
    const VncaConfig cfg = {.latent = 8, .hidden = 16, .res_blocks = 1, .perception = VNCA_PERCEIVE_CONV3,
                            .n_stages = 3, .stage_grid = {2, 4, 8}, .stage_steps = {2, 2, 2},
                            .encoder_width = 4, .image_size = 8};
    enum { N = 5 };
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 11), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 12);
    float x[N * 64], eps[N * 8];
    for (int i = 0; i < N * 64; i++) x[i] = (float)(vnca_rng_uniform(&rng) < 0.3);
    vnca_rng_normal_fill(&rng, eps, N * 8);
    float *one = malloc(m.layout.n_params * sizeof(float)), *three = malloc(m.layout.n_params * sizeof(float));
    assert_non_null(one);
    assert_non_null(three);
    const double loss_one = train_pass_on(&m, x, eps, N, 1, one);
    const double loss_three = train_pass_on(&m, x, eps, N, 3, three);
    assert_memory_equal(&loss_one, &loss_three, sizeof loss_one);
    assert_memory_equal(one, three, m.layout.n_params * sizeof(float));
    free(one), free(three);
    vnca_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_machine),
        cmocka_unit_test(test_shards_decode_alike),
        cmocka_unit_test(test_shards_train_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
