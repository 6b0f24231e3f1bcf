/* A shipped model: it loads, it is of the variant it should be, its metadata
 * says how it was made and how good it is, and (with MNIST present) the
 * IWAE-16 bound on every 100th test digit reproduces the recorded figure.
 * argv[1]: the model, argv[2]: MNIST, argv[3]: doubling or persistent. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vnca/data.h"
#include "vnca/vnca.h"

static const char *model_path, *data_dir, *variant;
static VncaModel model;

static int load(void **state)
{
    (void)state;
    VncaError err;
    if (vnca_model_load(&model, model_path, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int unload(void **state)
{
    (void)state;
    vnca_model_free(&model);
    return 0;
}

static void test_metadata_is_complete(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "training.data", "training.binarization", "training.images_seen", "training.steps",
        "training.batch", "training.lr", "training.cpu_seconds", "eval.iwae128_n1000",
        "eval.iwae16_n100"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = vnca_meta_get(&model.meta, keys[i]);
        if (!v || !*v) fail_msg("%s: metadata '%s' is missing", model_path, keys[i]);
    }
    assert_true(atol(vnca_meta_get(&model.meta, "training.images_seen")) > 0);
    assert_string_equal(vnca_variant_name(model.config.variant), variant);
}

/* Recomputes the recorded IWAE-16 figure, the same digits and seed: only
 * float differences between machines separate the two. */
static void test_recorded_likelihood_reproduces(void **state)
{
    (void)state;
    VncaImages test;
    VncaError err;
    if (vnca_data_load(data_dir, VNCA_DATA_STATIC_TEST, model.config.image_size, &test, &err)) {
        fprintf(stderr, "MNIST absent (%s): skipped\n", err.msg);
        skip();
    }
    double recorded;
    assert_int_equal(sscanf(vnca_meta_get(&model.meta, "eval.iwae16_n100"), "%lf", &recorded), 1);
    VncaWorkspace *ws = vnca_workspace_new(&model.config, 32, VNCA_WS_INFER, NULL);
    VncaRng rng;
    vnca_rng_seed(&rng, 1);
    const size_t pixels = (size_t)test.size * test.size;
    double sum = 0, bound;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(vnca_iwae(&model, ws, test.pixels + (size_t)i * 100 * pixels, 1, 16, &rng,
                                   &bound, NULL, NULL), 0);
        sum += bound;
    }
    const double margin = 0.5; /* nats: far above float noise, far below a changed model */
    printf("IWAE-16 on every 100th test digit: %.3f, recorded %.3f\n", sum / 100, recorded);
    assert_true(fabs(sum / 100 - recorded) < margin);
    vnca_workspace_free(ws);
    vnca_images_free(&test);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_shipped MODEL DATA-DIR doubling|persistent\n");
        return 2;
    }
    model_path = argv[1];
    data_dir = argv[2];
    variant = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_is_complete),
        cmocka_unit_test(test_recorded_likelihood_reproduces),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
