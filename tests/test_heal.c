/* Measuring regeneration (vnca_heal_measure): against figures worked out by
 * hand for a rule that changes nothing, the square's share of the gap, and
 * the standard errors against images measured one at a time. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "vnca/heal.h"

enum { N_IMAGES = 40 }; /* more than one batch of the measurement's 32 */

static double softplus(double v) { return log1p(exp(v)); }

static void assert_close(double a, double b) { assert_true(fabs(a - b) <= 1e-4 * (1.0 + fabs(b))); }

static VncaHealOptions heal_options(int damage, int steps, int centred, uint64_t seed)
{
    return (VncaHealOptions){.damage = damage, .steps = steps, .hold_steps = 3, .seed = seed,
                             .centred = centred};
}

static VncaHealStats measure(const VncaModel *m, const float *x, int damage, int steps, int centred,
                             uint64_t seed)
{
    const VncaHealOptions opt = heal_options(damage, steps, centred, seed);
    VncaHealStats s;
    assert_int_equal(vnca_heal_measure(m, x, N_IMAGES, &opt, &s, NULL, 0, NULL), 0);
    return s;
}

/* A random micro model from seed, and N_IMAGES random binary digits for it. */
static float *random_rule_and_digits(VncaModel *m, uint64_t seed)
{
    const VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    assert_int_equal(make_model(m, &cfg, seed), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, seed + 1);
    float *x = binary_images(&rng, N_IMAGES, cfg.image_size);
    assert_non_null(x);
    return x;
}

/* A fresh rule is the identity and the encoder made to give every image the
 * mean logit 2 in channel 0: every pixel's NLL is known. The digits are ink
 * exactly under the centred 4x4 square of the 8x8 grid (rows and columns 2
 * to 5), so a square put anywhere else would mix ink and paper. */
static void test_unchanging_rule_figures_by_hand(void **state)
{
    (void)state;
    const VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel m;
    assert_int_equal(vnca_model_alloc(&m, &cfg, NULL), 0);
    vnca_model_init(&m, 1);
    const int z = cfg.latent, size = cfg.image_size, side = 4;
    for (int i = 0; i < m.layout.n; i++)
        if (m.params + m.layout.t[i].offset == m.w.fc_w)
            memset(m.w.fc_w, 0, m.layout.t[i].numel * sizeof(float));
    memset(m.w.fc_b, 0, 2 * (size_t)z * sizeof(float));
    m.w.fc_b[0] = 2.0f;
    float *x = calloc((size_t)N_IMAGES * size * size, sizeof(float));
    assert_non_null(x);
    for (int i = 0; i < N_IMAGES; i++)
        for (int y = 2; y < 2 + side; y++)
            for (int c = 2; c < 2 + side; c++) x[((size_t)i * size + y) * size + c] = 1.0f;

    const double ink = side * side, paper = size * size - ink;
    const VncaHealStats s = measure(&m, x, side, 5, 1, 1);
    assert_close(s.grown, ink * softplus(-2.0) + paper * softplus(2.0));
    assert_close(s.grown_in_square, ink * softplus(-2.0));
    /* zeroed cells have logit 0: ln 2 a pixel, and nothing heals */
    assert_close(s.damaged, ink * log(2.0) + paper * softplus(2.0));
    assert_close(s.healed, s.damaged);
    assert_close(s.healed_in_square, ink * log(2.0));
    /* the 4x4 square: a ring of 12 pixels around a middle of 4 */
    assert_int_equal(s.n_rings, 2);
    assert_close(s.ring_pixels[0], 12);
    assert_close(s.ring_pixels[1], 4);
    assert_close(s.grown_by_ring[0], 12 * softplus(-2.0));
    assert_close(s.grown_by_ring[1], 4 * softplus(-2.0));
    assert_close(s.healed_by_ring[0], 12 * log(2.0));
    assert_close(s.healed_by_ring[1], 4 * log(2.0));
    assert_close(s.held, s.grown);
    /* every image alike: no spread */
    assert_true(s.heal_gap_se < 1e-6 && s.hold_change_se < 1e-6);
    /* squares placed at random: what is measured under a square is the
     * square destroyed, every pixel at ln 2 */
    const VncaHealStats placed = measure(&m, x, side, 5, 0, 3);
    assert_close(placed.healed_in_square, side * side * log(2.0));
    free(x);
    vnca_model_free(&m);
}

/* A random rule: a square the size of the grid holds the whole figure, ring
 * by ring, no square none of it, and a centred square does not depend on the
 * seed. */
static void test_square_share_of_random_rule(void **state)
{
    (void)state;
    VncaModel m;
    float *x = random_rule_and_digits(&m, 7);

    const VncaHealStats whole = measure(&m, x, m.config.image_size, 4, 0, 1);
    assert_close(whole.grown_in_square, whole.grown);
    assert_close(whole.healed_in_square, whole.healed);
    assert_true(fabs(whole.healed - whole.damaged) > 1e-3); /* the rule does act */

    /* the rings of the 8x8 square tile it and share its figures out */
    double pixels = 0, grown = 0, healed = 0;
    assert_int_equal(whole.n_rings, 4);
    for (int r = 0; r < whole.n_rings; r++) {
        assert_close(whole.ring_pixels[r], 4 * (7 - 2 * r));
        pixels += whole.ring_pixels[r];
        grown += whole.grown_by_ring[r];
        healed += whole.healed_by_ring[r];
    }
    assert_close(pixels, m.config.image_size * m.config.image_size);
    assert_close(grown, whole.grown);
    assert_close(healed, whole.healed);

    const VncaHealStats none = measure(&m, x, 0, 4, 0, 1);
    assert_int_equal(none.n_rings, 0);
    assert_close(none.damaged, none.grown);
    assert_true(none.grown_in_square == 0.0 && none.healed_in_square == 0.0);

    const VncaHealStats c1 = measure(&m, x, 3, 4, 1, 1), c2 = measure(&m, x, 3, 4, 1, 2);
    assert_int_equal(c1.n_rings, 2); /* an odd side: 8 around 1 */
    assert_close(c1.ring_pixels[0], 8);
    assert_close(c1.ring_pixels[1], 1);
    assert_memory_equal(&c1, &c2, sizeof c1);
    const VncaHealStats r1 = measure(&m, x, 3, 4, 0, 1), r2 = measure(&m, x, 3, 4, 0, 2);
    assert_true(r1.damaged != r2.damaged);
    assert_close(r1.grown, c1.grown);
    free(x);
    vnca_model_free(&m);
}

/* The standard errors against the spread of the same figures measured one
 * image at a time (centred squares, so each image meets the same damage). */
static void test_standard_errors_from_single_images(void **state)
{
    (void)state;
    VncaModel m;
    float *x = random_rule_and_digits(&m, 9);
    const VncaHealStats all = measure(&m, x, 3, 4, 1, 1);
    const VncaHealOptions opt = heal_options(3, 4, 1, 1);
    double gap[N_IMAGES], change[N_IMAGES], gap_mean = 0, change_mean = 0;
    for (int i = 0; i < N_IMAGES; i++) {
        VncaHealStats one;
        const float *xi = x + (size_t)i * m.config.image_size * m.config.image_size;
        assert_int_equal(vnca_heal_measure(&m, xi, 1, &opt, &one, NULL, 0, NULL), 0);
        assert_true(one.heal_gap_se == 0.0); /* one image has no spread */
        gap[i] = one.healed - one.grown;
        change[i] = one.held - one.grown;
        gap_mean += gap[i] / N_IMAGES;
        change_mean += change[i] / N_IMAGES;
    }
    double gap_var = 0, change_var = 0;
    for (int i = 0; i < N_IMAGES; i++) {
        gap_var += (gap[i] - gap_mean) * (gap[i] - gap_mean) / (N_IMAGES - 1);
        change_var += (change[i] - change_mean) * (change[i] - change_mean) / (N_IMAGES - 1);
    }
    assert_close(all.healed - all.grown, gap_mean);
    assert_true(gap_var > 0 && change_var > 0);
    assert_true(fabs(all.heal_gap_se - sqrt(gap_var / N_IMAGES)) <= 1e-3 * sqrt(gap_var / N_IMAGES));
    assert_true(fabs(all.hold_change_se - sqrt(change_var / N_IMAGES)) <= 1e-3 * sqrt(change_var / N_IMAGES));
    free(x);
    vnca_model_free(&m);
}

/* With a genome, destroyed cells lose their state and their genome; the
 * genome comes back from the living cells around, one ring a step. */
static void test_genome_spreads_back_into_a_hole(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    cfg.genome = 1;
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 5), 0);
    VncaGrowth g;
    assert_int_equal(vnca_growth_init(&g, &m, 2, NULL), 0);
    const float z[2 * 4] = {0.5f, -1, 2, 0.25f, 1, 1, -1, 0};
    vnca_growth_seed(&g, z);
    while (!vnca_growth_done(&g)) vnca_growth_step(&g);
    assert_memory_equal(g.genome, z, sizeof z);
    const int size = cfg.image_size, cells = size * size, c = cfg.latent;
    for (int i = 0; i < 2 * cells; i++) assert_float_equal(g.alive[i], 1, 0);
    /* a 5x5 hole, cells 1 to 5, in image 1 */
    for (int y = 1; y <= 5; y++)
        for (int x = 1; x <= 5; x++) vnca_growth_destroy_cell(&g, 1, x, y);
    for (int ring = 0; ring <= 3; ring++) {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                const int dist = abs(x - 3) > abs(y - 3) ? abs(x - 3) : abs(y - 3);
                const float want = dist > 2 - ring; /* the hole's rings: 2 at its edge */
                assert_float_equal(g.alive[cells + y * size + x], want, 0);
                assert_float_equal(g.alive[y * size + x], 1, 0);
            }
        if (ring == 0)
            for (int k = 0; k < c; k++) assert_float_equal(g.state[((size_t)cells + 3 * size + 3) * c + k], 0, 0);
        vnca_growth_step(&g);
    }
    vnca_growth_free(&g);
    vnca_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanging_rule_figures_by_hand),
        cmocka_unit_test(test_square_share_of_random_rule),
        cmocka_unit_test(test_standard_errors_from_single_images),
        cmocka_unit_test(test_genome_spreads_back_into_a_hole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
