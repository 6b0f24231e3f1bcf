/* Inpainting: reproducible, properly weighted, refinement climbs the log
 * joint, masks and scores as specified. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "vnca/inpaint.h"

typedef struct Setup {
    VncaModel m;
    VncaWorkspace *ws;
    float *x;
    uint8_t unknown[64];
} Setup;

static int setup(void **state)
{
    Setup *s = calloc(1, sizeof *s);
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    VncaRng rng;
    vnca_rng_seed(&rng, 1);
    if (!s || make_model(&s->m, &cfg, 61)) return -1;
    s->ws = vnca_workspace_new(&cfg, 5, VNCA_WS_INFER, NULL);
    s->x = binary_images(&rng, 1, 8);
    for (int j = 0; j < 64; j++) s->unknown[j] = j % 8 < 4; /* the left half */
    *state = s;
    return s->ws && s->x ? 0 : -1;
}

static int teardown(void **state)
{
    Setup *s = *state;
    vnca_workspace_free(s->ws);
    vnca_model_free(&s->m);
    free(s->x);
    free(s);
    return 0;
}

static void test_weights_and_reproducibility(void **state)
{
    Setup *s = *state;
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.samples = 13; /* not a multiple of the workspace's batch */
    VncaInpaintResult a, b;
    VncaError err;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &a, &err), 0);
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &b, &err), 0);
    assert_int_equal(a.k, 13);
    assert_memory_equal(a.z, b.z, 13 * 4 * sizeof(float));
    assert_memory_equal(a.weight, b.weight, 13 * sizeof(double));
    assert_memory_equal(a.prob, b.prob, 64 * sizeof(float));
    double sum = 0, top = 0;
    for (int i = 0; i < a.k; i++) {
        assert_true(a.weight[i] >= 0);
        sum += a.weight[i];
        top = fmax(top, a.weight[i]);
    }
    assert_float_equal(sum, 1.0, 1e-9);
    assert_float_equal(a.weight[a.best], top, 0);
    assert_true(a.ess >= 1.0 - 1e-9 && a.ess <= 13.0 + 1e-9);
    for (int j = 0; j < 64; j++) assert_true(a.prob[j] >= 0.0f && a.prob[j] <= 1.0f);

    /* the probability map is the weighted mean of the samples' decodes */
    float logits[13 * 64];
    vnca_decode(&s->m, s->ws, a.z, 13, logits);
    for (int j = 0; j < 64; j += 7) {
        double p = 0;
        for (int i = 0; i < 13; i++) p += a.weight[i] / (1 + exp(-(double)logits[i * 64 + j]));
        assert_float_equal(a.prob[j], p, 1e-5);
    }
    /* a different seed, different samples */
    opt.seed = 2;
    VncaInpaintResult c;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &c, &err), 0);
    assert_memory_not_equal(a.z, c.z, 13 * 4 * sizeof(float));
    VncaRng rng;
    vnca_rng_seed(&rng, 3);
    int picked = vnca_inpaint_pick(&a, &rng);
    assert_true(picked >= 0 && picked < a.k);
    vnca_inpaint_free(&a);
    vnca_inpaint_free(&b);
    vnca_inpaint_free(&c);
}

/* log p(x_kept | z) + log p(z) up to a constant */
static double log_joint(const VncaInpaintResult *r, int i)
{
    double lp = 0;
    for (int j = 0; j < r->latent; j++) lp -= 0.5 * r->z[i * r->latent + j] * r->z[i * r->latent + j];
    return r->log_lik[i] + lp;
}

static void test_refinement_climbs_the_log_joint(void **state)
{
    Setup *s = *state;
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.samples = 16;
    VncaInpaintResult before, after;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &before, NULL), 0);
    opt.refine_steps = 30;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &after, NULL), 0);
    assert_int_equal(after.k, 8);
    double best_before = -INFINITY, best_after = -INFINITY;
    for (int i = 0; i < before.k; i++) best_before = fmax(best_before, log_joint(&before, i));
    for (int i = 0; i < after.k; i++) best_after = fmax(best_after, log_joint(&after, i));
    printf("best log joint %.3f before, %.3f after 30 refinement steps\n", best_before, best_after);
    assert_true(best_after > best_before);
    vnca_inpaint_free(&before);
    vnca_inpaint_free(&after);
}

/* Says stop on its `after`-th question */
static int stop_after(void *ctx)
{
    int *questions_left = ctx;
    return --*questions_left < 0;
}

/* should_stop: asked during the decodes and the refinement; stopping fails
 * cleanly, never stopping changes nothing */
static void test_should_stop_abandons(void **state)
{
    Setup *s = *state;
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.samples = 13;
    opt.refine_steps = 6;
    VncaInpaintResult plain, asked, r;
    VncaError err;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &plain, &err), 0);
    int questions = 1000;
    opt.should_stop = stop_after;
    opt.stop_ctx = &questions;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &asked, &err), 0);
    const int asked_count = 1000 - questions;
    /* 13 samples in batches of 5: 3 decodes, 6 refinement steps, 2 decodes */
    assert_int_equal(asked_count, 3 + 6 + 2);
    assert_memory_equal(plain.prob, asked.prob, 64 * sizeof(float));
    for (int after = 0; after < asked_count; after++) {
        questions = after;
        assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &r, &err), -1);
        assert_string_equal(err.msg, "inpainting stopped");
        assert_null(r.z);
        assert_null(r.prob);
    }
    vnca_inpaint_free(&plain);
    vnca_inpaint_free(&asked);
}

/* vnca_inpaint in two halves, as the studio runs it: the samples (the
 * heaviest in order), then their refinement, the same result bit for bit;
 * a stopped refinement leaves the samples as they were */
static void test_sample_then_refine_is_inpaint(void **state)
{
    Setup *s = *state;
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.samples = 13;
    opt.refine_steps = 5;
    VncaInpaintResult whole, half, copy;
    VncaError err;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &whole, &err), 0);
    assert_int_equal(vnca_inpaint_sample(&s->m, s->ws, s->x, s->unknown, &opt, &half, &err), 0);
    assert_int_equal(half.k, 13);
    int order[13];
    assert_int_equal(vnca_inpaint_heaviest(&half, order, 20), 13);
    assert_int_equal(order[0], half.best);
    for (int i = 1; i < 13; i++) assert_true(half.weight[order[i - 1]] >= half.weight[order[i]]);

    /* stopped on the refinement's first step: nothing changes */
    assert_int_equal(vnca_inpaint_sample(&s->m, s->ws, s->x, s->unknown, &opt, &copy, &err), 0);
    int questions = 0;
    opt.should_stop = stop_after;
    opt.stop_ctx = &questions;
    assert_int_equal(vnca_inpaint_refine(&s->m, s->ws, s->x, s->unknown, &opt, &copy, &err), -1);
    assert_string_equal(err.msg, "inpainting stopped");
    assert_int_equal(copy.k, 13);
    assert_memory_equal(copy.z, half.z, 13 * 4 * sizeof(float));
    assert_memory_equal(copy.weight, half.weight, 13 * sizeof(double));
    assert_memory_equal(copy.prob, half.prob, 64 * sizeof(float));
    opt.should_stop = NULL;

    assert_int_equal(vnca_inpaint_refine(&s->m, s->ws, s->x, s->unknown, &opt, &half, &err), 0);
    assert_int_equal(half.k, 8);
    assert_int_equal(half.k, whole.k);
    assert_int_equal(half.best, whole.best);
    assert_memory_equal(half.z, whole.z, 8 * 4 * sizeof(float));
    assert_memory_equal(half.weight, whole.weight, 8 * sizeof(double));
    assert_memory_equal(half.prob, whole.prob, 64 * sizeof(float));
    /* refined: no longer the samples they started from */
    assert_memory_not_equal(half.z, copy.z + order[0] * 4, 4 * sizeof(float));
    vnca_inpaint_free(&whole);
    vnca_inpaint_free(&half);
    vnca_inpaint_free(&copy);
}

static void test_masks_and_score(void **state)
{
    (void)state;
    uint8_t mask[32 * 32];
    VncaRng rng;
    vnca_rng_seed(&rng, 4);
    VncaMaskKind kind;
    assert_int_equal(vnca_mask_parse("square14", &kind), 0);
    vnca_mask_make(kind, 32, &rng, mask);
    int count = 0;
    for (int j = 0; j < 1024; j++) count += mask[j];
    assert_int_equal(count, 14 * 14);
    assert_int_equal(mask[9 * 32 + 9], 1);
    assert_int_equal(mask[8 * 32 + 9], 0);
    assert_int_equal(mask[22 * 32 + 22], 1);
    assert_int_equal(mask[23 * 32 + 22], 0);
    assert_int_equal(vnca_mask_parse("left-half", &kind), 0);
    vnca_mask_make(kind, 32, &rng, mask);
    assert_int_equal(mask[5 * 32 + 15], 1);
    assert_int_equal(mask[5 * 32 + 16], 0);
    assert_int_equal(vnca_mask_parse("strokes", &kind), 0);
    vnca_mask_make(kind, 32, &rng, mask);
    count = 0;
    for (int j = 0; j < 1024; j++) count += mask[j];
    assert_true(count > 20 && count < 600);
    assert_int_equal(vnca_mask_parse("circle", &kind), -1);

    float x[4] = {1, 0, 1, 0}, p[4] = {0.8f, 0.3f, 0.4f, 0.9f};
    uint8_t unknown[4] = {1, 1, 1, 0};
    double nll, acc;
    vnca_inpaint_score(x, p, unknown, 4, &nll, &acc);
    assert_float_equal(nll, -(log(0.8) + log(0.7) + log(0.4)) / 3, 1e-6);
    assert_float_equal(acc, 2.0 / 3, 1e-12);
}

static void test_bad_options_rejected(void **state)
{
    Setup *s = *state;
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.prior_share = 1.5f;
    VncaInpaintResult r;
    VncaError err;
    assert_int_equal(vnca_inpaint(&s->m, s->ws, s->x, s->unknown, &opt, &r, &err), -1);
    assert_non_null(strstr(err.msg, "prior share"));
    assert_null(r.z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_and_reproducibility),
        cmocka_unit_test(test_refinement_climbs_the_log_joint),
        cmocka_unit_test(test_should_stop_abandons),
        cmocka_unit_test(test_sample_then_refine_is_inpaint),
        cmocka_unit_test(test_masks_and_score),
        cmocka_unit_test(test_bad_options_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
