/* The studio's regrow without a window: intents handled as the window's
 * event loop hands them on, the worker's publications taken in as it does.
 * Its refined regrowth is the command line's (`vnca eval-inpaint --refine
 * 20`, which calls vnca_inpaint) on the same test digits and masks; its
 * strip holds the most probable latents; picking one grows that latent; a
 * stroke stops the refinement. The status line says when a model has loaded.
 *
 * argv[1]: the shipped model, argv[2]: the MNIST folder (skipped without
 * either), argv[3]: how many digits a mask (fewer in the sanitizer build,
 * where each regrow is several times slower). Prints how long the first
 * (sampled) and the refined regrowth take to show. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

#include "studio.h"
#include "vnca/data.h"
#include "vnca/inpaint.h"

enum { TIMEOUT_MS = 120000 };

static const char *model_path, *data_dir;
static int digits;
static VncaModel model;
static VncaWorkspace *ws;
static VncaImages test_set;
static Studio studio;
static int pixels;

static void handle(Intent in) { studio_handle(&studio, &in); }

/* as the event loop: take in what the worker publishes until nothing more will come */
static void wait_idle(void)
{
    const Uint64 start = SDL_GetTicks64();
    for (;;) {
        studio_update(&studio);
        if (studio_idle(&studio)) return;
        if (SDL_GetTicks64() - start > TIMEOUT_MS) fail_msg("the studio is still busy after %d ms", TIMEOUT_MS);
        SDL_Delay(1);
    }
}

/* the digit x with the pixels of `unknown` erased, in regrow mode, as
 * strokes would leave it */
static void deface(const float *x, const uint8_t *unknown)
{
    if (studio.show != SHOW_DIGIT) handle((Intent){.kind = INTENT_CLEAR_DAMAGE});
    assert_int_equal(studio.show, SHOW_DIGIT);
    canvas_set_digit(&studio.canvas, x);
    canvas_mark(&studio.canvas, unknown, MARK_ERASED);
}

/* the command line's inpainting: vnca eval-inpaint --refine 20 with this seed */
static void inpaint_as_cli(const float *x, const uint8_t *unknown, uint64_t seed, VncaInpaintResult *r)
{
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.refine_steps = 20;
    opt.seed = seed;
    VncaError err;
    if (vnca_inpaint(&model, ws, x, unknown, &opt, r, &err)) fail_msg("%s", err.msg);
}

static void assert_strip_is_ordered(const WorkerAlternatives *a)
{
    assert_int_equal(a->count, ALTERNATIVES_MAX);
    double sum = 0.0;
    for (int i = 0; i < a->count; i++) {
        if (i > 0) assert_true(a->weight[i - 1] >= a->weight[i]);
        assert_true(a->weight[i] >= 0.0);
        sum += a->weight[i];
    }
    assert_true(sum <= 1.0 + 1e-9);
}

/* The same digits and masks through the studio (Space) and through the
 * command line's call: the same refined latents and weights, so the same
 * masked NLL. */
static void test_regrow_is_the_cli_inpainting(void **state)
{
    (void)state;
    uint8_t *unknown = malloc((size_t)pixels);
    float *mean = malloc((size_t)pixels * sizeof(float));
    assert_non_null(unknown);
    assert_non_null(mean);
    const VncaMaskKind masks[] = {VNCA_MASK_SQUARE14, VNCA_MASK_LEFT_HALF};
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
        double nll_studio = 0.0, nll_cli = 0.0;
        for (int d = 0; d < digits; d++) {
            const float *x = test_set.pixels + (size_t)d * (test_set.n / digits) * pixels;
            vnca_mask_make(masks[m], test_set.size, NULL, unknown);
            deface(x, unknown);
            const Uint64 t0 = SDL_GetPerformanceCounter();
            double first_ms = -1.0, refined_ms = -1.0;
            handle((Intent){.kind = INTENT_REGROW});
            for (;;) {
                studio_update(&studio);
                const WorkerFrame *f = &studio.live.frame;
                const double ms = 1000.0 * (double)(SDL_GetPerformanceCounter() - t0) / (double)SDL_GetPerformanceFrequency();
                if (first_ms < 0 && f->job == studio.growth_job) first_ms = ms;
                if (refined_ms < 0 && f->job == studio.growth_job && f->refined > 0) refined_ms = ms;
                if (studio_idle(&studio)) break;
                assert_true(ms < TIMEOUT_MS);
                SDL_Delay(1);
            }
            printf("%s digit %d: the sampled regrowth shows after %.0f ms, the refined one after %.0f ms\n",
                   vnca_mask_name(masks[m]), d, first_ms, refined_ms);

            const WorkerAlternatives *a = &studio.live.alternatives;
            assert_int_equal(a->job, studio.regrow_job);
            assert_int_equal(a->source.refined, 20);
            assert_strip_is_ordered(a);
            assert_int_equal(studio.live.frame.refined, 20);
            assert_int_equal(studio.live.frame.latent_pick, 0);

            VncaInpaintResult r;
            inpaint_as_cli(x, unknown, a->source.seed, &r);
            assert_int_equal(r.k, a->count);
            int order[ALTERNATIVES_MAX];
            vnca_inpaint_heaviest(&r, order, ALTERNATIVES_MAX);
            for (int i = 0; i < a->count; i++) {
                assert_memory_equal(a->z + (size_t)i * a->latent, r.z + (size_t)order[i] * r.latent,
                                    (size_t)r.latent * sizeof(float));
                assert_float_equal(a->weight[i], r.weight[order[i]], 1e-12);
            }
            /* the strip's weighted thumbnails: the posterior mean the command line scores */
            for (int j = 0; j < pixels; j++) {
                double p = 0.0;
                for (int i = 0; i < a->count; i++) p += a->weight[i] * a->thumb[(size_t)i * pixels + j];
                mean[j] = (float)p;
            }
            double nll_a, nll_b, accuracy;
            vnca_inpaint_score(x, mean, unknown, pixels, &nll_a, &accuracy);
            vnca_inpaint_score(x, r.prob, unknown, pixels, &nll_b, &accuracy);
            assert_float_equal(nll_a, nll_b, 1e-4);
            nll_studio += nll_a / digits;
            nll_cli += nll_b / digits;
            vnca_inpaint_free(&r);
        }
        printf("%s: masked NLL %.4f nats/px in the studio, %.4f by the command line's call\n",
               vnca_mask_name(masks[m]), nll_studio, nll_cli);
    }
    free(unknown);
    free(mean);
}

/* Alternative 3 of the strip, picked: the canvas shows its latent's
 * regrowth (a core decode of it) in the erased pixels, the kept ones as
 * they were. */
static void test_pick_grows_that_alternative(void **state)
{
    (void)state;
    uint8_t *unknown = malloc((size_t)pixels);
    float *shown = malloc((size_t)pixels * sizeof(float)), *logits = malloc(2 * (size_t)pixels * sizeof(float));
    assert_non_null(unknown);
    assert_non_null(shown);
    assert_non_null(logits);
    const float *x = test_set.pixels + (size_t)7 * pixels;
    vnca_mask_make(VNCA_MASK_LEFT_HALF, test_set.size, NULL, unknown);
    deface(x, unknown);
    handle((Intent){.kind = INTENT_REGROW});
    wait_idle();
    const WorkerAlternatives *a = &studio.live.alternatives;
    assert_strip_is_ordered(a);
    const int pick = 2;
    float z[2 * 64];
    assert_true(a->latent <= 64);
    memcpy(z, a->z, (size_t)a->latent * sizeof(float));
    memcpy(z + a->latent, a->z + (size_t)pick * a->latent, (size_t)a->latent * sizeof(float));
    vnca_decode(&model, ws, z, 2, logits);

    handle((Intent){.kind = INTENT_PICK_ALTERNATIVE, .index = pick});
    wait_idle();
    assert_int_equal(studio.show, SHOW_REGROW);
    assert_int_equal(studio.live.frame.latent_pick, pick);
    assert_int_equal(studio.live.frame.job, studio.growth_job);
    assert_true(studio.live.frame.done);
    studio_view_gray(&studio, shown);
    double differs_from_best = 0.0;
    for (int j = 0; j < pixels; j++) {
        if (!unknown[j]) {
            assert_float_equal(shown[j], x[j], 1e-6);
            continue;
        }
        const double best = 1.0 / (1.0 + exp(-(double)logits[j]));
        const double picked = 1.0 / (1.0 + exp(-(double)logits[pixels + j]));
        assert_float_equal(shown[j], picked, 1e-4);
        /* the thumbnail is what it grows to */
        assert_float_equal(a->thumb[(size_t)pick * pixels + j], picked, 1e-4);
        differs_from_best = fmax(differs_from_best, fabs(picked - best));
    }
    /* the pick is another regrowth than the best one */
    assert_true(differs_from_best > 0.1);
    free(unknown);
    free(shown);
    free(logits);
}

/* A stroke while the refinement runs stops it: the sampled regrowth stays
 * in the picture, and the strip keeps the samples. */
static void test_stroke_stops_the_refinement(void **state)
{
    (void)state;
    uint8_t *unknown = malloc((size_t)pixels);
    assert_non_null(unknown);
    vnca_mask_make(VNCA_MASK_SQUARE14, test_set.size, NULL, unknown);
    deface(test_set.pixels + (size_t)3 * pixels, unknown);
    handle((Intent){.kind = INTENT_REGROW});
    const uint64_t regrow = studio.regrow_job;
    /* the samples' regrowth on view: the refinement has begun */
    while (studio.live.alternatives.job != regrow) {
        studio_update(&studio);
        SDL_Delay(1);
    }
    assert_int_equal(studio.live.alternatives.source.refined, 0);
    const Uint64 t0 = SDL_GetTicks64();
    handle((Intent){.kind = INTENT_STROKE_BEGIN, .tool = TOOL_ERASE, .x = 3, .y = 3});
    handle((Intent){.kind = INTENT_STROKE_END});
    wait_idle();
    printf("the refinement stopped %llu ms after the stroke\n", (unsigned long long)(SDL_GetTicks64() - t0));
    assert_int_equal(studio.live.alternatives.job, regrow);
    assert_int_equal(studio.live.alternatives.source.refined, 0);
    assert_int_equal(studio.show, SHOW_DIGIT);
    free(unknown);
}

/* The status line says a model is loading, then that it has; a report made
 * meanwhile (here: Clear's) is not replaced when the load ends. */
static void test_status_follows_a_load(void **state)
{
    (void)state;
    handle((Intent){.kind = INTENT_LOAD_MODEL, .path = model_path});
    assert_non_null(strstr(studio.status, "loading the model"));
    wait_idle();
    assert_true(studio.live.model.loaded);
    char loaded[512];
    snprintf(loaded, sizeof loaded, "model %s loaded", studio.live.model.name);
    assert_string_equal(studio.status, loaded);

    handle((Intent){.kind = INTENT_LOAD_MODEL, .path = model_path});
    handle((Intent){.kind = INTENT_CLEAR_DAMAGE});
    const unsigned generation = studio.live.model.generation;
    wait_idle();
    assert_int_equal(studio.live.model.generation, generation + 1);
    assert_non_null(strstr(studio.status, "no damage to clear"));
}

static int setup(void **state)
{
    (void)state;
    VncaError err;
    if (vnca_model_load(&model, model_path, &err)) return fprintf(stderr, "%s\n", err.msg), -1;
    if (model.config.image_size != test_set.size) return fprintf(stderr, "%s: not a 32x32 model\n", model_path), -1;
    pixels = test_set.size * test_set.size;
    if (!(ws = vnca_workspace_new(&model.config, 32, VNCA_WS_INFER, &err))) return -1;
    const WorkerPace fast = {.steps_per_s = 0};
    if (studio_open(&studio, 7, &fast, ".", SDL_RegisterEvents(1))) return -1;
    handle((Intent){.kind = INTENT_LOAD_MODEL, .path = model_path});
    wait_idle();
    return studio.live.model.loaded && studio.show == SHOW_DIGIT ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    studio_close(&studio);
    vnca_workspace_free(ws);
    vnca_images_free(&test_set);
    vnca_model_free(&model);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (digits = atoi(argv[3])) < 1) {
        fprintf(stderr, "usage: test_studio_regrow MODEL MNIST-DIR DIGITS\n");
        return 2;
    }
    model_path = argv[1];
    data_dir = argv[2];
    if (access(model_path, R_OK) != 0 || vnca_data_load(data_dir, VNCA_DATA_STATIC_TEST, 32, &test_set, NULL)) {
        printf("SKIP: needs the shipped model (%s) and MNIST (%s)\n", model_path, data_dir);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regrow_is_the_cli_inpainting),
        cmocka_unit_test(test_pick_grows_that_alternative),
        cmocka_unit_test(test_stroke_stops_the_refinement),
        cmocka_unit_test(test_status_follows_a_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
