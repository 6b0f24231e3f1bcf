/* The engine's threads: on a busy machine (as many CPU-bound processes
 * beside it as there are cores) a parallel loop takes one thread, and with
 * OMP_NUM_THREADS set what that says, busy or not; a batch decoded, or its
 * ELBO and gradient computed, in shards on several threads is the same bits
 * as on one thread, and so is each loop that splits its work among
 * threads. */
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
#include "vnca/ops.h"
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

/* ---- each loop split among threads ------------------------------------ */

/* Sizes past every loop's threshold for a team: 2 images of 32x32 cells
 * of 16 channels (64 hidden), or 8 for the convolutions (their rows and
 * taps), 2^17 elements for the elementwise loops. */
enum { IMAGES = 2, GRID = 32, CHANNELS = 16, HIDDEN = 64, CONV_IMAGES = 8, ELEMENTS = 1 << 17 };
enum { IN_LEN = 1 << 21, OUT_LEN = 1 << 21, SCRATCH_LEN = 1 << 22 };

/* an op of the engine: reads `in`, writes (or adds to) `out`, uses `scratch` */
typedef void SplitOp(const float *in, float *out, float *scratch);

static void elu_op(const float *in, float *out, float *scratch)
{
    (void)scratch;
    elu_forward(out, in, ELEMENTS);
    elu_backward(out + ELEMENTS, in, in + ELEMENTS, ELEMENTS);
}

static void residual_op(const float *in, float *out, float *scratch)
{
    (void)scratch;
    residual_forward(out, in, in + ELEMENTS, ELEMENTS);
    residual_backward(out + ELEMENTS, out + 2 * ELEMENTS, in, ELEMENTS);
}

static void divide_op(const float *in, float *out, float *scratch)
{
    (void)scratch;
    divide_forward(out, in, IMAGES, GRID, CHANNELS);
    divide_backward(out + 4 * IMAGES * GRID * GRID * CHANNELS, in, IMAGES, GRID, CHANNELS);
}

static void sobel_op(const float *in, float *out, float *scratch)
{
    (void)scratch;
    sobel_forward(out, in, IMAGES, GRID, CHANNELS);
    sobel_backward(out + 3 * IMAGES * GRID * GRID * CHANNELS, in, IMAGES, GRID, CHANNELS);
}

/* forward and backward of a convolution: din, dw, db after out */
static void conv_op(const float *in, float *out, float *scratch, Conv2dShape s)
{
    const float *w = in + IN_LEN / 2, *b = w + (size_t)s.c_out * s.c_in * s.k * s.k;
    const size_t out_len = (size_t)s.n * conv2d_out_size(s, s.h) * conv2d_out_size(s, s.w) * s.c_out;
    float *din = out + out_len, *dw = din + (size_t)s.n * s.h * s.w * s.c_in;
    assert_true(conv2d_col_size(s) <= SCRATCH_LEN);
    conv2d_forward(out, scratch, in, w, b, s);
    conv2d_backward(din, dw, dw + (size_t)s.c_out * s.c_in * s.k * s.k, scratch, in + out_len, in, w, s);
}

/* rows copied (im2col) and scattered back (col2im): few channels, stride 2 */
static void copied_conv_op(const float *in, float *out, float *scratch)
{
    conv_op(in, out, scratch, (Conv2dShape){.n = CONV_IMAGES, .h = GRID, .w = GRID, .c_in = 4,
                                            .c_out = 8, .k = 3, .stride = 2, .pad = 1});
}

/* taps gathered through a table, each way */
static void gathered_conv_op(const float *in, float *out, float *scratch)
{
    conv_op(in, out, scratch, (Conv2dShape){.n = CONV_IMAGES, .h = GRID, .w = GRID, .c_in = CHANNELS,
                                            .c_out = CHANNELS, .k = 3, .stride = 1, .pad = 1});
}

/* a layer's gradients, the bias's summed over the rows */
static void linear_op(const float *in, float *out, float *scratch)
{
    (void)scratch;
    const int rows = IMAGES * GRID * GRID;
    linear_backward(out, out + (size_t)rows * HIDDEN, out + (size_t)rows * HIDDEN + HIDDEN * HIDDEN, in,
                    in + (size_t)rows * HIDDEN, in + IN_LEN / 2, rows, HIDDEN, HIDDEN);
}

static void genome_op(const float *in, float *out, float *scratch)
{
    genome_conv_forward(out, scratch, in, in + IN_LEN / 4, in + IN_LEN / 2, IMAGES, GRID, CHANNELS, HIDDEN);
    position_forward(out + (size_t)IMAGES * GRID * GRID * HIDDEN, scratch, in + IN_LEN / 4, in + IN_LEN / 2,
                     IMAGES, GRID, HIDDEN);
}

/* op's output, from `out` as it starts, on `threads` threads */
static float *split_run(SplitOp *op, const float *in, const float *out, int threads)
{
    float *result = malloc(OUT_LEN * sizeof(float)), *scratch = calloc(SCRATCH_LEN, sizeof(float));
    assert_non_null(result);
    assert_non_null(scratch);
    memcpy(result, out, OUT_LEN * sizeof(float));
    omp_set_num_threads(threads);
    op(in, result, scratch);
    free(scratch);
    return result;
}

static void test_split_loops_alike(void **state)
{
    (void)state;
    static SplitOp *const ops[] = {elu_op, residual_op, divide_op, sobel_op, copied_conv_op,
                                   gathered_conv_op, linear_op, genome_op};
    static const char *const names[] = {"elu", "residual", "divide", "sobel", "copied conv",
                                        "gathered conv", "linear", "genome and place"};
    float *in = malloc(IN_LEN * sizeof(float)), *out = malloc(OUT_LEN * sizeof(float));
    assert_non_null(in);
    assert_non_null(out);
    VncaRng rng;
    vnca_rng_seed(&rng, 21);
    for (int i = 0; i < IN_LEN; i++) in[i] = 2.0f * (float)vnca_rng_uniform(&rng) - 1.0f;
    for (int i = 0; i < IN_LEN / 4; i += 5) in[IN_LEN / 4 + i] = 0.0f; /* dead cells for the genome */
    for (int i = 0; i < OUT_LEN; i++) out[i] = 2.0f * (float)vnca_rng_uniform(&rng) - 1.0f;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        float *one = split_run(ops[i], in, out, 1), *three = split_run(ops[i], in, out, 3);
        print_message("%s\n", names[i]);
        assert_memory_not_equal(one, out, OUT_LEN * sizeof(float));
        assert_memory_equal(one, three, OUT_LEN * sizeof(float));
        free(one), free(three);
    }
    free(in), free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_machine),
        cmocka_unit_test(test_shards_decode_alike),
        cmocka_unit_test(test_shards_train_alike),
        cmocka_unit_test(test_split_loops_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
