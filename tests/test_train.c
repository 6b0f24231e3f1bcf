/* Training: Adam against its definition, clipping, the persistent model's
 * pool, a short run on a slice of MNIST lowers the loss, and resuming from a
 * checkpoint is exact.
 * argv[1] is the MNIST data directory; tests that need it skip without it. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pool.h" /* white-box: what the pool keeps */
#include "run_command.h"
#include "vnca/train.h"

static const char *data_dir;
static VncaImages slice;   /* the first 96 static training digits */

/* Adam step by step */
static void test_adam_matches_definition(void **state)
{
    (void)state;
    VncaAdam adam;
    assert_int_equal(vnca_adam_init(&adam, 4, 0.1f, NULL), 0);
    float p[4] = {1.0f, -2.0f, 0.5f, 0.25f}, g[4] = {0.3f, -1.0f, 0.7f, -0.2f};
    double m[4] = {0}, v[4] = {0}, want[4] = {1.0, -2.0, 0.5, 0.25};
    for (int t = 1; t <= 3; t++) {
        vnca_adam_update(&adam, p, g);
        for (int i = 0; i < 4; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
            double mhat = m[i] / (1 - pow(0.9, t)), vhat = v[i] / (1 - pow(0.999, t));
            want[i] -= 0.1 * mhat / (sqrt(vhat) + 1e-8);
        }
        g[3] = 0.0f; /* a parameter whose gradient vanishes keeps moving on its momentum */
    }
    for (int i = 0; i < 4; i++) assert_float_equal(p[i], want[i], 1e-5);
    assert_int_equal(adam.step, 3);
    vnca_adam_free(&adam);
}

static void test_clip_grad_norm(void **state)
{
    (void)state;
    float g[2] = {30.0f, 40.0f};
    assert_float_equal(vnca_clip_grad_norm(g, 2, 10.0), 50.0, 1e-9);
    assert_float_equal(g[0], 6.0f, 1e-4);
    assert_float_equal(g[1], 8.0f, 1e-4);
    float small[2] = {0.3f, 0.4f};
    assert_float_equal(vnca_clip_grad_norm(small, 2, 10.0), 0.5, 1e-7);
    assert_float_equal(small[0], 0.3f, 0);
}

static int load_slice(void **state)
{
    (void)state;
    VncaError err;
    if (vnca_data_load(data_dir, VNCA_DATA_STATIC_TRAIN, 32, &slice, &err)) {
        fprintf(stderr, "MNIST not loaded (%s): the tests that need it skip\n", err.msg);
        memset(&slice, 0, sizeof slice);
        return 0;
    }
    assert_int_equal(slice.n, 60000);
    slice.n = 96;
    return 0;
}

static int free_slice(void **state)
{
    (void)state;
    vnca_images_free(&slice);
    return 0;
}

static void tiny_model(VncaModel *m)
{
    VncaConfig cfg;
    assert_int_equal(vnca_config_named("tiny", &cfg, NULL), 0);
    assert_int_equal(vnca_model_alloc(m, &cfg, NULL), 0);
    vnca_model_init(m, 7);
}

static VncaTrainOptions options; /* vnca_train_defaults, batch 16, lr 1e-3 warmed up over 5 steps, seed 5, small pool, averaged */

/* negative ELBO of the whole slice with fixed noise */
static double slice_loss(const VncaModel *m)
{
    VncaWorkspace *ws = vnca_workspace_new(&m->config, slice.n, VNCA_WS_TRAIN, NULL);
    float *eps = malloc((size_t)slice.n * m->config.latent * sizeof(float));
    VncaRng rng;
    vnca_rng_seed(&rng, 99);
    vnca_rng_normal_fill(&rng, eps, (size_t)slice.n * m->config.latent);
    double loss = vnca_elbo_forward(m, ws, slice.pixels, eps, slice.n).loss;
    free(eps);
    vnca_workspace_free(ws);
    return loss;
}

static void test_training_lowers_the_loss(void **state)
{
    (void)state;
    if (!slice.pixels) skip();
    VncaModel m;
    tiny_model(&m);
    VncaTrainer tr;
    VncaTrainStats s;
    assert_int_equal(vnca_trainer_init(&tr, &m, &slice, &options, NULL), 0);
    const double before = slice_loss(&m);
    for (int i = 0; i < 30; i++) assert_int_equal(vnca_trainer_step(&tr, &s, NULL), 0);
    const double after = slice_loss(&m);
    printf("negative ELBO of the slice: %.1f before, %.1f after 30 steps\n", before, after);
    assert_true(after < before - 50);
    assert_int_equal(tr.images_seen, 30 * 16);
    assert_int_equal(tr.epoch, 4); /* 6 steps per epoch of 96 */
    vnca_trainer_free(&tr);
    vnca_model_free(&m);
}

/* sum over the parameters of how far `steps` training steps with `warmup`
 * move a fresh tiny model */
static double moved_by(int warmup, int steps)
{
    VncaModel start, m;
    tiny_model(&start);
    tiny_model(&m);
    VncaTrainOptions o = options;
    o.warmup = warmup;
    VncaTrainer tr;
    VncaTrainStats s;
    assert_int_equal(vnca_trainer_init(&tr, &m, &slice, &o, NULL), 0);
    for (int i = 0; i < steps; i++) assert_int_equal(vnca_trainer_step(&tr, &s, NULL), 0);
    double moved = 0;
    for (size_t i = 0; i < m.layout.n_params; i++) moved += fabs(m.params[i] - start.params[i]);
    vnca_trainer_free(&tr);
    vnca_model_free(&m);
    vnca_model_free(&start);
    return moved;
}

/* Adam's first step moves each parameter by about the rate, whatever its
 * gradient; with a warmup of 10 steps the first moves it a tenth of that. */
static void test_warmup_scales_the_first_steps(void **state)
{
    (void)state;
    if (!slice.pixels) skip();
    const double full = moved_by(0, 1), warmed = moved_by(10, 1);
    printf("the first step moved the weights %.4f, with a warmup of 10 steps %.4f\n", full, warmed);
    assert_true(full > 0);
    assert_float_equal(warmed / full, 0.1, 0.005);
}

/* a rate equal to `want` up to float rounding */
static void assert_rate(const VncaTrainOptions *o, long t, double want)
{
    const double got = vnca_learning_rate(o, t);
    if (fabs(got - want) > 1e-6 * want) fail_msg("step %ld: rate %.9g, want %.9g", t, got, want);
}

/* The rate of each Adam step: the warm-up's rise, and each decay from lr
 * where the warm-up ends to lr_final at decay_steps, where it stays. */
static void test_learning_rate_schedule(void **state)
{
    (void)state;
    VncaTrainOptions o;
    vnca_train_defaults(&o);
    o.lr = 1e-3f;
    o.warmup = 10;
    o.decay_steps = 110;
    o.lr_final = 1e-5f;
    const long after[] = {110, 111, 1000, 1L << 40};

    /* none: the warm-up, then lr whatever decay_steps says */
    assert_rate(&o, 0, 1e-4);
    assert_rate(&o, 4, 5e-4);
    for (long t = 9; t < 200; t += 7) assert_rate(&o, t, 1e-3);

    /* cosine: it meets the warm-up's end, falls step by step, is halfway
     * down at the middle, and is lr_final from decay_steps on */
    o.decay = VNCA_DECAY_COSINE;
    assert_rate(&o, 4, 5e-4);
    assert_rate(&o, 9, 1e-3);
    assert_rate(&o, 10, 1e-3);
    assert_true(vnca_learning_rate(&o, 11) > 0.999e-3f); /* no jump at the boundary */
    assert_rate(&o, 35, 1e-5 + 0.99e-3 * (1 + sqrt(0.5)) / 2);
    assert_rate(&o, 60, (1e-3 + 1e-5) / 2);
    for (long t = 10; t < 110; t++)
        if (!(vnca_learning_rate(&o, t + 1) < vnca_learning_rate(&o, t)))
            fail_msg("cosine: step %ld's rate is not below step %ld's", t + 1, t);
    for (int i = 0; i < 4; i++) assert_true(vnca_learning_rate(&o, after[i]) == o.lr_final);

    /* step: 2 drops of 10x, at 60 (half the decay) and 110 */
    o.decay = VNCA_DECAY_STEP;
    o.decay_drops = 2;
    assert_rate(&o, 4, 5e-4);
    assert_rate(&o, 10, 1e-3);
    assert_rate(&o, 59, 1e-3);
    assert_rate(&o, 60, 1e-4);
    assert_rate(&o, 109, 1e-4);
    for (int i = 0; i < 4; i++) assert_true(vnca_learning_rate(&o, after[i]) == o.lr_final);
    /* 3 drops: by 100^(1/3) after a third of the decay's 100 steps */
    o.decay_drops = 3;
    assert_rate(&o, 43, 1e-3);
    assert_rate(&o, 44, 1e-3 / cbrt(100));
    assert_rate(&o, 77, 1e-3 / cbrt(100) / cbrt(100));
    assert_true(vnca_learning_rate(&o, 110) == o.lr_final);
}

/* The trainer refuses a decay that ends before the warm-up does, one up to
 * a higher rate, and a step decay down to 0 or in no drops, naming the
 * options. */
static void test_decay_options_are_checked(void **state)
{
    (void)state;
    VncaModel m;
    tiny_model(&m);
    const VncaImages images = {.n = 96, .size = m.config.image_size}; /* refused before it is read */
    struct {
        int decay, decay_steps, decay_drops;
        float lr_final;
        const char *named;
    } bad[] = {
        {VNCA_DECAY_COSINE, 5, 3, 0, "decay-steps 5 is not above warmup 5"},
        {VNCA_DECAY_COSINE, 100, 3, 2e-3f, "lr-final 0.002 is above lr 0.001"},
        {VNCA_DECAY_STEP, 100, 3, 0, "a step decay needs lr-final above 0"},
        {VNCA_DECAY_STEP, 100, 0, 1e-4f, "a step decay needs decay-drops of at least 1"},
    };
    for (int i = 0; i < 4; i++) {
        VncaTrainOptions o = options;
        o.decay = bad[i].decay;
        o.decay_steps = bad[i].decay_steps;
        o.decay_drops = bad[i].decay_drops;
        o.lr_final = bad[i].lr_final;
        VncaTrainer tr;
        VncaError err;
        assert_int_equal(vnca_trainer_init(&tr, &m, &images, &o, &err), -1);
        if (!strstr(err.msg, bad[i].named)) fail_msg("refused as '%s'", err.msg);
    }
    vnca_model_free(&m);
}

/* N steps straight and N/2 + checkpoint + resume + N/2 give the same bits,
 * weights and their moving average; 7 steps of 16 cross the 96-image epoch boundary after the resume. With a
 * persistent model the pool fills, is drawn from and damaged on the way. */
static void check_resume_is_exact(VncaVariant variant, const VncaTrainOptions *opt)
{
    if (!slice.pixels) skip();
    enum { STEPS = 7, HALF = 4 };
    VncaModel straight, halves;
    VncaTrainer tr;
    VncaTrainStats s;
    tiny_model(&straight);
    straight.config.variant = variant;
    assert_int_equal(vnca_trainer_init(&tr, &straight, &slice, opt, NULL), 0);
    for (int i = 0; i < STEPS; i++) assert_int_equal(vnca_trainer_step(&tr, &s, NULL), 0);
    const size_t bytes = straight.layout.n_params * sizeof(float);
    float *straight_average = malloc(bytes);
    assert_non_null(straight_average);
    memcpy(straight_average, tr.average, bytes);
    vnca_trainer_free(&tr);

    char *dir = make_temp_dir(), ckpt[4096];
    assert_non_null(dir);
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
    tiny_model(&halves);
    halves.config.variant = variant;
    assert_int_equal(vnca_trainer_init(&tr, &halves, &slice, opt, NULL), 0);
    for (int i = 0; i < HALF; i++) assert_int_equal(vnca_trainer_step(&tr, &s, NULL), 0);
    VncaError err;
    if (vnca_trainer_save(&tr, ckpt, &err)) fail_msg("%s", err.msg);
    vnca_trainer_free(&tr);
    vnca_model_free(&halves);

    /* a new process would start here: from the file alone (the options
     * go through it alike: test_train_options.c) */
    VncaTrainOptions recorded;
    vnca_train_defaults(&recorded);
    if (vnca_checkpoint_load_model(&halves, &recorded, ckpt, &err)) fail_msg("%s", err.msg);
    VncaTrainOptions other = recorded;
    other.seed = 12345; /* the checkpoint's seed wins */
    assert_int_equal(vnca_trainer_init(&tr, &halves, &slice, &other, NULL), 0);
    if (vnca_trainer_resume(&tr, ckpt, &err)) fail_msg("%s", err.msg);
    assert_int_equal(tr.step, HALF);
    for (int i = HALF; i < STEPS; i++) assert_int_equal(vnca_trainer_step(&tr, &s, NULL), 0);
    assert_true(tr.adam.lr == vnca_learning_rate(opt, STEPS - 1));
    assert_memory_equal(straight.params, halves.params, bytes);
    assert_memory_equal(straight_average, tr.average, bytes);
    free(straight_average);
    vnca_trainer_free(&tr);

    /* a checkpoint for another batch size is refused with a reason */
    VncaTrainOptions wrong = *opt;
    wrong.batch = 8;
    assert_int_equal(vnca_trainer_init(&tr, &halves, &slice, &wrong, NULL), 0);
    assert_int_equal(vnca_trainer_resume(&tr, ckpt, &err), -1);
    assert_non_null(strstr(err.msg, "batch"));
    vnca_trainer_free(&tr);
    vnca_model_free(&straight);
    vnca_model_free(&halves);
    remove_temp_dir(dir);
}

static void test_resume_is_exact(void **state)
{
    (void)state;
    /* the resume lands in the warm-up; the fall starts after it */
    VncaTrainOptions cosine = options;
    cosine.decay = VNCA_DECAY_COSINE;
    cosine.decay_steps = 8;
    cosine.lr_final = 1e-4f;
    check_resume_is_exact(VNCA_VARIANT_DOUBLING, &cosine);
}

static void test_persistent_resume_is_exact(void **state)
{
    (void)state;
    /* the rate drops at step 6, after the resume */
    VncaTrainOptions step = options;
    step.decay = VNCA_DECAY_STEP;
    step.decay_steps = 7;
    step.decay_drops = 2;
    step.lr_final = 1e-4f;
    check_resume_is_exact(VNCA_VARIANT_PERSISTENT, &step);
}

/* The moving average follows its definition step by step, is what the run's
 * model file holds, and a run that starts averaging on resume starts it at
 * the weights; without it the file holds the weights. */
static void test_weights_average(void **state)
{
    (void)state;
    if (!slice.pixels) skip();
    enum { STEPS = 3 };
    VncaModel m;
    tiny_model(&m);
    const size_t n = m.layout.n_params, bytes = n * sizeof(float);
    float *want = malloc(bytes);
    assert_non_null(want);
    memcpy(want, m.params, bytes);
    VncaTrainOptions o = options;
    o.average_decay = 0.75f;
    VncaTrainer tr;
    VncaTrainStats s;
    assert_int_equal(vnca_trainer_init(&tr, &m, &slice, &o, NULL), 0);
    for (int k = 0; k < STEPS; k++) {
        assert_int_equal(vnca_trainer_step(&tr, &s, NULL), 0);
        for (size_t i = 0; i < n; i++) want[i] = 0.75f * want[i] + 0.25f * m.params[i];
    }
    assert_memory_equal(tr.average, want, bytes);
    assert_true(memcmp(tr.average, m.params, bytes) != 0);

    char *dir = make_temp_dir(), path[4096], ckpt[4096];
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/model.st", dir);
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
    VncaModel written;
    VncaError err;
    if (vnca_trainer_save_model(&tr, path, &err) || vnca_model_load(&written, path, &err))
        fail_msg("%s", err.msg);
    assert_memory_equal(written.params, want, bytes);
    vnca_model_free(&written);
    vnca_trainer_free(&tr);

    /* no average: the file holds the weights, the checkpoint no average */
    VncaTrainOptions plain = options;
    plain.average_decay = 0;
    assert_int_equal(vnca_trainer_init(&tr, &m, &slice, &plain, NULL), 0);
    if (vnca_trainer_save_model(&tr, path, &err) || vnca_model_load(&written, path, &err) ||
        vnca_trainer_save(&tr, ckpt, &err))
        fail_msg("%s", err.msg);
    assert_null(tr.average);
    assert_memory_equal(written.params, m.params, bytes);
    vnca_model_free(&written);
    vnca_trainer_free(&tr);
    assert_int_equal(vnca_trainer_init(&tr, &m, &slice, &o, NULL), 0);
    memset(m.params, 0, bytes);
    if (vnca_trainer_resume(&tr, ckpt, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(tr.average, m.params, bytes);
    assert_true(m.params[0] != 0.0f || m.params[1] != 0.0f);
    vnca_trainer_free(&tr);
    free(want);
    vnca_model_free(&m);
    remove_temp_dir(dir);
}

/* A pool row that ends worse than every fresh row is replaced by a fresh
 * row's state and target; the others go back to their slots. */
static void test_pool_reseeds_lost_states(void **state)
{
    (void)state;
    VncaPool pool;
    assert_int_equal(pool_init(&pool, 8, 2, 1, 0, 4, 9, NULL), 0);
    const float first[8] = {1, 1, 2, 2, 3, 3, 4, 4}, no_loss[4] = {0};
    const int32_t first_targets[4] = {10, 20, 30, 40};
    assert_int_equal(pool_put(&pool, first, NULL, NULL, no_loss, 4, first_targets, 0), 0);
    assert_int_equal(pool.filled, 4);

    /* slots 1 and 2 were taken (set by hand: pool_take draws at random);
     * the fresh rows go to the empty slots 4 and 5 */
    pool.slots[0] = 1;
    pool.slots[1] = 2;
    const float final[8] = {5, 5, 6, 6, 7, 7, 8, 8}; /* fresh, fresh, taken, taken */
    const float recon[4] = {10, 20, 15, 50};
    const int32_t fresh_targets[2] = {50, 60};
    assert_int_equal(pool_put(&pool, final, NULL, NULL, recon, 2, fresh_targets, 2), 1);
    const float want_state[6] = {1, 7, 5, 4, 5, 6};
    const int32_t want_target[6] = {10, 20, 50, 40, 50, 60};
    for (int s = 0; s < 6; s++) {
        assert_float_equal(pool.states[2 * s], want_state[s], 0);
        assert_float_equal(pool.states[2 * s + 1], want_state[s], 0);
        assert_int_equal(pool.target[s], want_target[s]);
    }
    pool_free(&pool);
}

/* Of the states drawn from the pool, the damaged ones are those that ended
 * best, genome and all; the rest come back whole. */
static void test_pool_damages_the_best(void **state)
{
    (void)state;
    VncaPool pool;
    /* one-cell grids of two channels, with genomes of two: a damage of side
     * 1 zeroes a state and its flag; the genome itself stays with the state */
    assert_int_equal(pool_init(&pool, 4, 2, 1, 2, 4, 9, NULL), 0);
    const float states[8] = {1, 1, 2, 2, 3, 3, 4, 4}, recon[4] = {30, 10, NAN, 20};
    const float genomes[8] = {-1, -1, -2, -2, -3, -3, -4, -4}, alive[4] = {1, 1, 1, 1};
    const int32_t targets[4] = {0, 1, 2, 3};
    assert_int_equal(pool_put(&pool, states, genomes, alive, recon, 4, targets, 0), 0);
    pool_take(&pool, 4, 2, 1, 1, 2);
    const int want_slots[4] = {1, 3, 0, 2}; /* by NLL: 10, 20, 30, then the one that blew up */
    const float want_start[4] = {0, 0, 1, 3}, want_alive[4] = {0, 0, 1, 1};
    const float want_genome[4] = {-2, -4, -1, -3};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pool.slots[i], want_slots[i]);
        assert_float_equal(pool.start[2 * i], want_start[i], 0);
        assert_float_equal(pool.start[2 * i + 1], want_start[i], 0);
        assert_float_equal(pool.start_alive[i], want_alive[i], 0);
        assert_float_equal(pool.start_genome[2 * i], want_genome[i], 0);
        assert_float_equal(pool.start_genome[2 * i + 1], want_genome[i], 0);
    }
    pool_free(&pool);
}

int main(int argc, char **argv)
{
    data_dir = argc > 1 ? argv[1] : "../shared/data";
    vnca_train_defaults(&options);
    options.batch = 16;
    options.lr = 1e-3f;
    options.warmup = 5; /* the resumes at step 4 land inside it */
    options.seed = 5;
    options.pool_size = 32; /* full after two steps, drawn from by the third */
    options.extra_min = 2;
    options.extra_max = 3;
    options.pool_share = 0.375f;
    options.damage_share = 0.5f;
    options.damage_size = 9;
    options.average_decay = 0.5f; /* the weights it writes are not those it trains */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_matches_definition),
        cmocka_unit_test(test_clip_grad_norm),
        cmocka_unit_test(test_pool_reseeds_lost_states),
        cmocka_unit_test(test_pool_damages_the_best),
        cmocka_unit_test(test_warmup_scales_the_first_steps),
        cmocka_unit_test(test_learning_rate_schedule),
        cmocka_unit_test(test_decay_options_are_checked),
        cmocka_unit_test(test_training_lowers_the_loss),
        cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_persistent_resume_is_exact),
        cmocka_unit_test(test_weights_average),
    };
    return cmocka_run_group_tests(tests, load_slice, free_slice);
}
