/* vnca against an independent implementation, as llm.c's test_gpt2.c checks
 * its C model against PyTorch: scripts/torch_parity.py computes, in PyTorch
 * and float64, for three small random models (conv3x3 perception; Sobel
 * perception; a persistent model with a genome holding its latent and
 * position, and a far perception), q(z|x), the cell states after every step
 * of a step-by-step decode (destroying cells on the way for the persistent
 * one), the negative ELBO and every parameter's gradient; this test runs
 * vnca on the same model file and inputs and compares every tensor, printing
 * each one's largest difference. argv[1]: the fixture's directory.
 *
 * Tolerance. vnca computes in float32 (the losses' sums in double), the
 * reference in float64, so the difference is vnca's own rounding: float32's
 * unit roundoff is 6e-8, the dot products here are at most 200 long, and the
 * decode compounds it over 6 to 9 steps and the backward pass over as many
 * again. These cases differ by at most 6e-7 of a tensor's largest magnitude
 * (the "rel" column), in every tensor; the bound, TOL, leaves a margin of 15
 * over that for other BLAS kernels and compilers, and is still far below
 * what an error in the math gives: a wrong sign, a missing term or a
 * misplaced tap moves a tensor by a sizeable part of its magnitude. The
 * difference is measured against the tensor's largest magnitude rather than
 * element by element, since a float32 sum that cancels to near zero has a
 * large relative error that means nothing; a scalar (the loss, recon, kl)
 * is measured against itself. */
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
#include "vnca/safetensors.h"
#include "vnca/vnca.h"

#define TOL 1e-5

static const char *data_dir;

typedef struct Case {
    const char *name;
    VncaModel model;
    VncaStFile ref;
} Case;

static Case cases[] = {{.name = "conv3"}, {.name = "sobel"}, {.name = "heal"}};

static int load_case(void **state)
{
    Case *c = *state;
    char path[1024];
    VncaError err;
    snprintf(path, sizeof path, "%s/parity-%s.model.safetensors", data_dir, c->name);
    if (vnca_model_load(&c->model, path, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    snprintf(path, sizeof path, "%s/parity-%s.ref.safetensors", data_dir, c->name);
    if (vnca_st_read(path, &c->ref, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        vnca_model_free(&c->model);
        return -1;
    }
    return 0;
}

static int free_case(void **state)
{
    Case *c = *state;
    vnca_model_free(&c->model);
    vnca_st_free(&c->ref);
    return 0;
}

/* The reference tensor of that name, which must hold numel floats. */
static const float *reference(const Case *c, const char *name, size_t numel)
{
    const VncaStTensor *t = vnca_st_find(&c->ref, name);
    if (!t) fail_msg("%s: the fixture has no tensor '%s'", c->name, name);
    if (t->numel != numel)
        fail_msg("%s: '%s' holds %zu floats, vnca's %zu", c->name, name, t->numel, numel);
    return t->data;
}

/* Prints got's largest difference from want, absolute and relative to
 * want's largest magnitude; returns 1 when the latter is within TOL. */
static int compare(const char *what, const float *got, const float *want, size_t numel)
{
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < numel; i++) {
        diff = fmax(diff, fabs((double)got[i] - want[i]));
        scale = fmax(scale, fabs((double)want[i]));
    }
    const double rel = diff / (scale > 0.0 ? scale : 1.0);
    const int ok = rel <= TOL; /* false for NaN too */
    printf("  %-28s max |ref| %9.3e  max abs diff %9.3e  rel %9.3e  %s\n", what, scale, diff,
           rel, ok ? "OK" : "NOT OK");
    return ok;
}

/* Images in the fixture's batch */
static size_t batch(const Case *c)
{
    const VncaStTensor *x = vnca_st_find(&c->ref, "x");
    if (!x || x->ndim != 3 || x->shape[0] < 1) fail_msg("%s: the fixture has no images 'x'", c->name);
    return (size_t)x->shape[0];
}

static int ref_int(const Case *c, const char *key)
{
    const char *text = vnca_meta_get(&c->ref.meta, key);
    if (!text) fail_msg("%s: the fixture has no metadata '%s'", c->name, key);
    return atoi(text);
}

static void test_encoder(void **state)
{
    const Case *c = *state;
    const VncaModel *m = &c->model;
    const int z = m->config.latent, s = m->config.image_size;
    const size_t n = batch(c);
    const float *x = reference(c, "x", n * s * s);
    VncaWorkspace *ws = vnca_workspace_new(&m->config, (int)n, VNCA_WS_INFER, NULL);
    float *mu = malloc(n * z * sizeof(float)), *logsig = malloc(n * z * sizeof(float));
    assert_non_null(ws);
    assert_non_null(mu);
    assert_non_null(logsig);
    vnca_encode(m, ws, x, (int)n, mu, logsig);
    printf("%s: q(z|x)\n", c->name);
    int ok = compare("mu", mu, reference(c, "mu", n * z), n * z);
    ok &= compare("logsig", logsig, reference(c, "logsig", n * z), n * z);
    free(mu);
    free(logsig);
    vnca_workspace_free(ws);
    assert_true(ok);
}

/* Destroys the cells the fixture destroys before step t: rows of
 * (before_step, image, x, y). */
static void destroy_before(VncaGrowth *g, const Case *c, int t)
{
    const VncaStTensor *d = vnca_st_find(&c->ref, "destroy");
    if (!d) return;
    assert_int_equal(d->ndim, 2);
    assert_int_equal(d->shape[1], 4);
    for (int64_t r = 0; r < d->shape[0]; r++) {
        const float *row = d->data + 4 * r;
        if ((int)row[0] == t) vnca_growth_destroy_cell(g, (int)row[1], (int)row[2], (int)row[3]);
    }
}

static void test_growth_steps(void **state)
{
    const Case *c = *state;
    const VncaModel *m = &c->model;
    const int z = m->config.latent, steps = ref_int(c, "parity.steps");
    assert_true(steps >= vnca_total_steps(&m->config));
    const size_t n = batch(c);
    VncaGrowth g;
    assert_int_equal(vnca_growth_init(&g, m, (int)n, NULL), 0);
    vnca_growth_seed(&g, reference(c, "z", n * z));
    printf("%s: cell states (channel 0: the logits) after each step\n", c->name);
    int ok = 1;
    for (int t = 1; t <= steps; t++) {
        destroy_before(&g, c, t);
        vnca_growth_step(&g);
        char name[32], what[64];
        snprintf(name, sizeof name, "state.%d", t);
        snprintf(what, sizeof what, "step %d (%dx%d%s)", t, g.grid, g.grid,
                 t > vnca_total_steps(&m->config) ? ", extra" : "");
        const size_t numel = n * g.grid * g.grid * z;
        ok &= compare(what, g.state, reference(c, name, numel), numel);
    }
    vnca_growth_free(&g);
    assert_true(ok);
}

static void test_elbo_and_gradients(void **state)
{
    const Case *c = *state;
    const VncaModel *m = &c->model;
    const int z = m->config.latent, s = m->config.image_size;
    const size_t n = batch(c);
    VncaWorkspace *ws = vnca_workspace_new(&m->config, (int)n, VNCA_WS_TRAIN, NULL);
    float *grads = calloc(m->layout.n_params, sizeof(float));
    assert_non_null(ws);
    assert_non_null(grads);
    const VncaLoss loss = vnca_elbo_forward(m, ws, reference(c, "x", n * s * s),
                                            reference(c, "eps", n * z), (int)n);
    vnca_elbo_backward(m, ws, grads);

    printf("%s: negative ELBO (batch mean)\n", c->name);
    const float *want = reference(c, "elbo", 3);
    const float got[3] = {(float)loss.loss, (float)loss.recon, (float)loss.kl};
    const char *terms[3] = {"loss", "recon", "kl"};
    int ok = 1;
    for (int i = 0; i < 3; i++) ok &= compare(terms[i], &got[i], &want[i], 1);

    printf("%s: gradients\n", c->name);
    float *in_file_order = malloc(m->layout.n_params * sizeof(float)); /* PyTorch's */
    assert_non_null(in_file_order);
    vnca_params_to_file(&m->layout, in_file_order, grads);
    for (int i = 0; i < m->layout.n; i++) {
        const VncaTensorSpec *t = &m->layout.t[i];
        char name[64];
        snprintf(name, sizeof name, "grad.%s", t->name);
        ok &= compare(t->name, in_file_order + t->offset, reference(c, name, t->numel), t->numel);
    }
    free(in_file_order);
    free(grads);
    vnca_workspace_free(ws);
    assert_true(ok);
}

#define CASE_TESTS(i)                                                                        \
    cmocka_unit_test_prestate_setup_teardown(test_encoder, load_case, free_case, &cases[i]),  \
    cmocka_unit_test_prestate_setup_teardown(test_growth_steps, load_case, free_case,         \
                                             &cases[i]),                                      \
    cmocka_unit_test_prestate_setup_teardown(test_elbo_and_gradients, load_case, free_case,   \
                                             &cases[i])

int main(int argc, char **argv)
{
    skip_unless_isa_runs();
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    const struct CMUnitTest tests[] = {CASE_TESTS(0), CASE_TESTS(1), CASE_TESTS(2)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
