/* The model as a whole: sizes, initialization, determinism, the ELBO's
 * gradient against finite differences, and the IWAE bound. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elbo.h"
#include "workspace.h" /* white-box: the rows of a persistent model's pass */
#include "fixtures.h"
#include "gradcheck.h"
#include "vnca/heal.h"
#include "vnca/ops.h"
#include "vnca/vnca.h"

static void test_paper_parameter_counts(void **state)
{
    (void)state;
    VncaConfig cfg;
    assert_int_equal(vnca_config_named("paper", &cfg, NULL), 0);
    VncaLayout layout;
    vnca_layout(&cfg, &layout);
    assert_int_equal(layout.n_nca, 1182208);
    assert_int_equal(layout.n_encoder, 5402880);
    assert_int_equal(layout.n_params, 1182208 + 5402880);
    assert_int_equal(vnca_total_steps(&cfg), 40);
    assert_int_equal(vnca_cell_steps(&cfg), 10912);
    assert_string_equal(layout.t[0].name, "encoder.conv1.weight");
    assert_string_equal(layout.t[layout.n - 1].name, "nca.out.bias");
}

static void test_named_configs_are_valid(void **state)
{
    (void)state;
    for (const char *const *name = vnca_config_names(); *name; name++) {
        VncaConfig cfg;
        VncaError err;
        assert_int_equal(vnca_config_named(*name, &cfg, &err), 0);
        if (vnca_config_check(&cfg, &err)) fail_msg("%s: %s", *name, err.msg);
    }
    VncaError err;
    VncaConfig cfg;
    assert_int_equal(vnca_config_named("huge", &cfg, &err), -1);
    assert_non_null(strstr(err.msg, "huge"));
    cfg = micro_config(VNCA_PERCEIVE_CONV3);
    assert_int_equal(vnca_schedule_parse(&cfg, "2:8,4:x", &err), -1);
    assert_int_equal(vnca_schedule_parse(&cfg, "2:3,4:0,8:5", &err), 0);
    char text[64];
    vnca_schedule_format(&cfg, text, sizeof text);
    assert_string_equal(text, "2:3,4:0,8:5");
    cfg.stage_grid[1] = 5;
    assert_int_equal(vnca_config_check(&cfg, &err), -1);
    assert_non_null(strstr(err.msg, "double"));

    VncaConfig other = cfg;
    char difference[256];
    assert_int_equal(vnca_config_difference(&cfg, &other, "a", "b", difference, sizeof difference), 0);
    other.encoder_width++;
    assert_int_equal(vnca_config_difference(&cfg, &other, "a", "b", difference, sizeof difference), 1);
    assert_string_equal(difference, "a has encoder width 2, b 3");
    other.stage_steps[2] = 7;
    assert_int_equal(vnca_config_difference(&cfg, &other, "a", "b", difference, sizeof difference), 1);
    assert_string_equal(difference, "a has schedule 2:3,5:0,8:5, b 2:3,5:0,8:7");
}

static void test_fresh_decoder_is_identity(void **state)
{
    (void)state;
    VncaConfig cfg;
    assert_int_equal(vnca_config_named("tiny", &cfg, NULL), 0);
    VncaModel m;
    assert_int_equal(vnca_model_alloc(&m, &cfg, NULL), 0);
    vnca_model_init(&m, 3);
    VncaRng rng;
    vnca_rng_seed(&rng, 4);
    const int n = 2, c = cfg.latent;
    float z[2 * 16];
    vnca_rng_normal_fill(&rng, z, (size_t)n * c);
    VncaGrowth g;
    assert_int_equal(vnca_growth_init(&g, &m, n, NULL), 0);
    vnca_growth_seed(&g, z);
    int steps = 0;
    while (!vnca_growth_done(&g)) {
        vnca_growth_step(&g);
        steps++;
        /* every cell still holds exactly its image's z */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < g.grid * g.grid; k++)
                assert_memory_equal(g.state + ((size_t)i * g.grid * g.grid + k) * c,
                                    z + (size_t)i * c, (size_t)c * sizeof(float));
    }
    assert_int_equal(steps, vnca_total_steps(&cfg));
    assert_int_equal(g.grid, cfg.image_size);
    assert_int_equal(g.t, steps);
    vnca_growth_free(&g);
    vnca_model_free(&m);
}

/* stepping a growth one step at a time ends where vnca_decode does, for a
 * schedule (NULL: the micro model's) */
static void check_growth_matches_decode(const char *schedule)
{
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    if (schedule) assert_int_equal(vnca_schedule_parse(&cfg, schedule, NULL), 0);
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 5), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 6);
    float z[3 * 4], logits[3 * 64], channel[3 * 64];
    vnca_rng_normal_fill(&rng, z, 12);
    VncaWorkspace *ws = vnca_workspace_new(&cfg, 2, VNCA_WS_INFER, NULL);
    assert_non_null(ws);
    vnca_decode(&m, ws, z, 3, logits); /* two batches: 2 + 1 */
    VncaGrowth g;
    assert_int_equal(vnca_growth_init(&g, &m, 3, NULL), 0);
    vnca_growth_seed(&g, z);
    int last_grid = g.grid, steps = 0, scheduled = 0;
    for (int s = 0; s < cfg.n_stages; s++) scheduled += cfg.stage_steps[s];
    while (!vnca_growth_done(&g)) {
        vnca_growth_step(&g);
        steps++;
        /* each step is taken at the grid of a stage that has steps */
        assert_int_equal(g.grid, cfg.stage_grid[g.stage]);
        assert_true(g.step <= cfg.stage_steps[g.stage]);
        assert_true(g.grid >= last_grid);
        last_grid = g.grid;
    }
    assert_int_equal(steps, scheduled);
    vnca_growth_channel(&g, 0, channel);
    assert_memory_equal(channel, logits, sizeof logits);
    /* damage, then continue: extra steps run at full size and change the state */
    memset(g.state, 0, (size_t)3 * 64 * 4 * sizeof(float));
    vnca_growth_step(&g);
    assert_int_equal(g.grid, 8);
    vnca_growth_channel(&g, 0, channel);
    assert_memory_not_equal(channel, logits, sizeof logits);
    vnca_growth_free(&g);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

static void test_growth_matches_decode(void **state)
{
    (void)state;
    check_growth_matches_decode(NULL);
    /* the non-doubling variant: the seed divides to the full grid before the first step */
    check_growth_matches_decode("2:0,4:0,8:3");
}

/* a and b (micro models) decode the same latents to the same logits, within
 * a relative tolerance (0: bit for bit); b may have more latent dimensions,
 * which are given their mean, zero */
static void assert_decode_alike(const VncaModel *a, const VncaModel *b, float tolerance)
{
    enum { N = 3, MAX_Z = 8 };
    const int z = a->config.latent, bz = b->config.latent;
    const int pixels = a->config.image_size * a->config.image_size;
    assert_true(z <= bz && bz <= MAX_Z && pixels <= 64);
    VncaRng rng;
    vnca_rng_seed(&rng, 22);
    float latents[N * MAX_Z], padded[N * MAX_Z] = {0}, by_a[N * 64], by_b[N * 64];
    vnca_rng_normal_fill(&rng, latents, (size_t)N * z);
    for (int i = 0; i < N; i++) memcpy(padded + i * bz, latents + i * z, (size_t)z * sizeof(float));
    VncaWorkspace *ws_a = vnca_workspace_new(&a->config, N, VNCA_WS_INFER, NULL);
    VncaWorkspace *ws_b = vnca_workspace_new(&b->config, N, VNCA_WS_INFER, NULL);
    assert_non_null(ws_a);
    assert_non_null(ws_b);
    vnca_decode(a, ws_a, latents, N, by_a);
    vnca_decode(b, ws_b, padded, N, by_b);
    double largest = 0;
    for (int i = 0; i < N * pixels; i++) {
        assert_float_equal(by_b[i], by_a[i], tolerance * (1 + fabsf(by_a[i])));
        largest = fmax(largest, fabs(by_a[i]));
    }
    assert_true(largest > 0.1); /* the logits are not all zero */
    vnca_workspace_free(ws_a);
    vnca_workspace_free(ws_b);
}

/* A Sobel model rewritten with a conv3x3 perception decodes as before. */
static void test_sobel_rewritten_as_conv3(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    VncaModel sobel, conv3, again;
    assert_int_equal(make_model(&sobel, &cfg, 21), 0);
    VncaError err;
    if (vnca_model_to_conv3(&conv3, &sobel, &err)) fail_msg("%s", err.msg);
    assert_int_equal(conv3.config.perception, VNCA_PERCEIVE_CONV3);
    assert_int_equal(vnca_model_to_conv3(&again, &conv3, &err), -1);
    assert_non_null(strstr(err.msg, "already"));
    assert_decode_alike(&sobel, &conv3, 1e-4f);
    vnca_model_free(&sobel);
    vnca_model_free(&conv3);
}

/* the sum of |w[r][c]| over rows [r0, r1) and columns [c0, c1) of a [rows, cols] weight */
static double block_sum(const float *w, int cols, int r0, int r1, int c0, int c1)
{
    double sum = 0;
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) sum += fabs(w[r * cols + c]);
    return sum;
}

/* A widened model (more channels) encodes and decodes as before, with its
 * new latent dimensions at the prior; and its new channels have gradients
 * to grow by. */
static void test_widened_model_decodes_alike(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    const int z = cfg.latent, h = cfg.hidden;
    VncaModel narrow, wide, same, sobel_wide;
    assert_int_equal(make_model(&narrow, &cfg, 23), 0);
    VncaError err;
    if (vnca_model_widen(&wide, &narrow, z + 3, 24, &err)) fail_msg("%s", err.msg);
    assert_int_equal(wide.config.latent, z + 3);
    assert_int_equal(wide.config.hidden, h);
    assert_int_equal(vnca_model_widen(&same, &narrow, z, 24, &err), -1);
    assert_non_null(strstr(err.msg, "does not widen"));
    assert_int_equal(vnca_model_widen(&same, &narrow, z - 1, 24, &err), -1);
    assert_non_null(strstr(err.msg, "does not widen"));
    const VncaConfig sobel_cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    assert_int_equal(make_model(&same, &sobel_cfg, 23), 0);
    assert_int_equal(vnca_model_widen(&sobel_wide, &same, z + 1, 24, &err), -1);
    assert_non_null(strstr(err.msg, "conv3x3"));
    vnca_model_free(&same);
    assert_decode_alike(&narrow, &wide, 1e-4f);

    enum { N = 2 };
    VncaRng rng;
    vnca_rng_seed(&rng, 25);
    float *x = binary_images(&rng, N, cfg.image_size), eps[N * 8];
    float mu[N * 4], logsig[N * 4], wide_mu[N * 8], wide_logsig[N * 8];
    VncaWorkspace *ws_narrow = vnca_workspace_new(&cfg, N, VNCA_WS_INFER, NULL);
    VncaWorkspace *ws = vnca_workspace_new(&wide.config, N, VNCA_WS_TRAIN, NULL);
    float *grads = calloc(wide.layout.n_params, sizeof(float));
    assert_non_null(ws_narrow);
    assert_non_null(ws);
    assert_non_null(grads);
    vnca_encode(&narrow, ws_narrow, x, N, mu, logsig);
    vnca_encode(&wide, ws, x, N, wide_mu, wide_logsig);
    for (int i = 0; i < N; i++)
        for (int d = 0; d < z + 3; d++) {
            const float want_mu = d < z ? mu[i * z + d] : 0, want_ls = d < z ? logsig[i * z + d] : 0;
            assert_float_equal(wide_mu[i * (z + 3) + d], want_mu, 1e-5 * (1 + fabsf(want_mu)));
            assert_float_equal(wide_logsig[i * (z + 3) + d], want_ls, 1e-5 * (1 + fabsf(want_ls)));
        }

    /* a sampled latent's new dimensions are not zero, and the weights that
     * read them have gradients */
    vnca_rng_normal_fill(&rng, eps, (size_t)N * (z + 3));
    vnca_elbo_forward(&wide, ws, x, eps, N);
    vnca_elbo_backward(&wide, ws, grads);
    VncaWeights g;
    vnca_weights_bind(&wide.config, grads, &g);
    assert_true(block_sum(g.perceive_w, z + 3, 0, h * 9, z, z + 3) > 1e-6); /* [h, 9, z + 3] */
    /* the new channels are read, so what writes them and the encoder's
     * new latents have gradients from the first step */
    assert_true(block_sum(g.out_w, h, z, z + 3, 0, h) > 1e-6);
    const int fc_in = 4 * vnca_encoder_channels(&cfg, vnca_encoder_convs(&cfg) - 1);
    assert_true(block_sum(g.fc_w, fc_in, z, z + 3, 0, fc_in) > 1e-6); /* their means */
    free(grads);
    free(x);
    vnca_workspace_free(ws);
    vnca_workspace_free(ws_narrow);
    vnca_model_free(&narrow);
    vnca_model_free(&wide);
}

/* The ELBO's gradient of micro model m on two random digits (seeded), with
 * the noise written to eps [2 * Z]: layout.n_params floats, to free. */
static float *elbo_gradient_on_two(const VncaModel *m, uint64_t seed, float *eps)
{
    enum { N = 2 };
    VncaRng rng;
    vnca_rng_seed(&rng, seed);
    float *x = binary_images(&rng, N, m->config.image_size);
    vnca_rng_normal_fill(&rng, eps, (size_t)N * m->config.latent);
    VncaWorkspace *ws = vnca_workspace_new(&m->config, N, VNCA_WS_TRAIN, NULL);
    float *grads = calloc(m->layout.n_params, sizeof(float));
    assert_non_null(ws);
    assert_non_null(grads);
    vnca_elbo_forward(m, ws, x, eps, N);
    vnca_elbo_backward(m, ws, grads);
    free(x);
    vnca_workspace_free(ws);
    return grads;
}

/* A model given a new tensor (`grown`, zero) decodes as `from` did, and the
 * tensor has a gradient to grow by; it changes the decode once it is not
 * zero. Frees with_new. */
static void check_grows_in(const VncaModel *from, VncaModel *with_new, const char *grown)
{
    assert_decode_alike(from, with_new, 0);

    enum { N = 2 };
    float eps[N * 4];
    float *grads = elbo_gradient_on_two(with_new, 25, eps);
    const VncaTensorSpec *t = vnca_layout_find(&with_new->layout, grown);
    assert_non_null(t);
    assert_true(block_sum(grads + t->offset, (int)t->numel, 0, 1, 0, (int)t->numel) > 1e-6);

    /* grown a little along its gradient, the new tensor changes the decode */
    for (size_t i = 0; i < t->numel; i++) with_new->params[t->offset + i] = 0.3f * grads[t->offset + i];
    float by_from[N * 64], by_new[N * 64];
    VncaWorkspace *ws_from = vnca_workspace_new(&from->config, N, VNCA_WS_INFER, NULL);
    VncaWorkspace *ws = vnca_workspace_new(&with_new->config, N, VNCA_WS_INFER, NULL);
    assert_non_null(ws_from);
    assert_non_null(ws);
    vnca_decode(from, ws_from, eps, N, by_from);
    vnca_decode(with_new, ws, eps, N, by_new);
    double moved = 0;
    for (int i = 0; i < N * 64; i++) moved = fmax(moved, fabs(by_new[i] - by_from[i]));
    assert_true(moved > 1e-3);
    free(grads);
    vnca_workspace_free(ws);
    vnca_workspace_free(ws_from);
    vnca_model_free(with_new);
}

/* a genome added: every old tensor kept, one new per thing it carries */
static void check_genome_added(const VncaModel *from, VncaGenome genome, const char *grown)
{
    VncaModel with_genome;
    VncaError err;
    if (vnca_model_add_genome(&with_genome, from, genome, &err)) fail_msg("%s", err.msg);
    assert_int_equal(with_genome.config.genome, genome);
    assert_int_equal(with_genome.layout.n, from->layout.n + (genome - from->config.genome));
    check_grows_in(from, &with_genome, grown);
}

/* a latent genome, then a place added to it; none given twice, none to a
 * Sobel perception */
static void test_model_with_genome_decodes_alike(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel plain, with_genome, twice, sobel;
    assert_int_equal(make_model(&plain, &cfg, 23), 0);
    check_genome_added(&plain, VNCA_GENOME_LATENT, "nca.genome.weight");
    check_genome_added(&plain, VNCA_GENOME_POSITION, "nca.position.weight");
    VncaError err;
    if (vnca_model_add_genome(&with_genome, &plain, VNCA_GENOME_LATENT, &err)) fail_msg("%s", err.msg);
    for (size_t i = 0; i < with_genome.layout.n_params; i++) with_genome.params[i] *= 1.5f;
    check_genome_added(&with_genome, VNCA_GENOME_POSITION, "nca.position.weight");
    assert_int_equal(vnca_model_add_genome(&twice, &with_genome, VNCA_GENOME_LATENT, &err), -1);
    assert_non_null(strstr(err.msg, "already holds latent"));
    const VncaConfig sobel_cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    assert_int_equal(make_model(&sobel, &sobel_cfg, 23), 0);
    assert_int_equal(vnca_model_add_genome(&twice, &sobel, VNCA_GENOME_POSITION, &err), -1);
    assert_non_null(strstr(err.msg, "conv3x3"));
    vnca_model_free(&sobel);
    vnca_model_free(&with_genome);
    vnca_model_free(&plain);
}

/* A far perception added to a plain model and to one with a genome; none
 * twice, none to a Sobel perception, none that reaches nowhere */
static void test_model_with_far_perception_decodes_alike(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel plain, with_genome, far, twice, sobel;
    VncaError err;
    assert_int_equal(make_model(&plain, &cfg, 23), 0);
    if (vnca_model_add_genome(&with_genome, &plain, VNCA_GENOME_POSITION, &err)) fail_msg("%s", err.msg);
    for (size_t i = 0; i < with_genome.layout.n_params; i++) with_genome.params[i] *= 1.5f;
    const VncaModel *froms[] = {&plain, &with_genome};
    for (int i = 0; i < 2; i++) {
        if (vnca_model_add_far_perception(&far, froms[i], 2 + i, &err)) fail_msg("%s", err.msg);
        assert_int_equal(far.config.far_reach, 2 + i);
        assert_int_equal(far.layout.n, froms[i]->layout.n + 1);
        check_grows_in(froms[i], &far, "nca.perceive_far.weight");
    }
    if (vnca_model_add_far_perception(&far, &plain, 4, &err)) fail_msg("%s", err.msg);
    assert_int_equal(vnca_model_add_far_perception(&twice, &far, 2, &err), -1);
    assert_non_null(strstr(err.msg, "already perceives 4 cells away"));
    assert_int_equal(vnca_model_add_far_perception(&twice, &plain, 1, &err), -1);
    assert_non_null(strstr(err.msg, "far reach 1"));
    const VncaConfig sobel_cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    assert_int_equal(make_model(&sobel, &sobel_cfg, 23), 0);
    assert_int_equal(vnca_model_add_far_perception(&twice, &sobel, 2, &err), -1);
    assert_non_null(strstr(err.msg, "conv3x3"));
    vnca_model_free(&sobel);
    vnca_model_free(&far);
    vnca_model_free(&with_genome);
    vnca_model_free(&plain);
}

static void test_same_seed_same_result(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel a, b;
    assert_int_equal(make_model(&a, &cfg, 11), 0);
    assert_int_equal(make_model(&b, &cfg, 11), 0);
    assert_memory_equal(a.params, b.params, a.layout.n_params * sizeof(float));
    VncaModel other;
    assert_int_equal(make_model(&other, &cfg, 12), 0);
    assert_memory_not_equal(a.params, other.params, a.layout.n_params * sizeof(float));

    VncaRng rng;
    vnca_rng_seed(&rng, 13);
    float *x = binary_images(&rng, 3, 8), eps[3 * 4];
    vnca_rng_normal_fill(&rng, eps, 12);
    VncaWorkspace *ws = vnca_workspace_new(&cfg, 3, VNCA_WS_TRAIN, NULL);
    float *ga = calloc(a.layout.n_params, sizeof(float));
    float *gb = calloc(a.layout.n_params, sizeof(float));
    VncaLoss la = vnca_elbo_forward(&a, ws, x, eps, 3);
    vnca_elbo_backward(&a, ws, ga);
    VncaLoss lb = vnca_elbo_forward(&b, ws, x, eps, 3);
    vnca_elbo_backward(&b, ws, gb);
    assert_memory_equal(&la, &lb, sizeof la);
    assert_memory_equal(ga, gb, a.layout.n_params * sizeof(float));
    free(ga); free(gb); free(x);
    vnca_workspace_free(ws);
    vnca_model_free(&a); vnca_model_free(&b); vnca_model_free(&other);
}

/* The loss and gradient of rows `all` together against the mean of each
 * row's alone (row i: each[i]): equal up to the order of the sums. */
static void check_rows_alike(const VncaModel *m, const float *x, const float *eps,
                             const DecoderRows *all, const DecoderRows *each, int n)
{
    const VncaConfig *cfg = &m->config;
    const int pixels = cfg->image_size * cfg->image_size;
    VncaWorkspace *ws = workspace_new(cfg, n, VNCA_WS_TRAIN, all->extra, NULL);
    VncaWorkspace *ws1 = workspace_new(cfg, 1, VNCA_WS_TRAIN, all->extra, NULL);
    float *together = calloc(m->layout.n_params, sizeof(float));
    float *alone = calloc(m->layout.n_params, sizeof(float));
    assert_non_null(ws);
    assert_non_null(ws1);
    assert_non_null(together);
    assert_non_null(alone);
    const double loss = elbo_forward_rows(m, ws, x, eps, all).loss;
    vnca_elbo_backward(m, ws, together);
    double mean = 0;
    for (int i = 0; i < n; i++) {
        mean += elbo_forward_rows(m, ws1, x + i * pixels, eps + i * cfg->latent, &each[i]).loss / n;
        vnca_elbo_backward(m, ws1, alone);
    }
    double worst = 0;
    for (size_t i = 0; i < m->layout.n_params; i++) {
        const double err = fabs(together[i] - alone[i] / n) / (1e-3 + fabs(together[i]));
        if (err > worst) worst = err;
    }
    print_message("loss %.6f, mean alone %.6f; gradient's largest relative difference %.2g\n",
                  loss, mean, worst);
    assert_true(fabs(loss - mean) <= 1e-5 * fabs(mean));
    assert_true(worst < 1e-3);
    free(together);
    free(alone);
    vnca_workspace_free(ws);
    vnca_workspace_free(ws1);
}

/* A batch is its images: its loss and gradient are the mean of each image's
 * alone. At 32x32 cells a step takes its images two at a time (its
 * activations kept in cache), so this checks that each chunk reads its own
 * images' states, activations and genomes: growing rows, and pool rows
 * each with its own cells gone. The perception's 8 channels take the
 * gathered convolutions. */
static void test_batch_is_its_images(void **state)
{
    (void)state;
    enum { N = 12, S = 32, Z = 8 }; /* at least 3 images a core's shard, on up to 4 cores */
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    cfg.latent = cfg.hidden = Z;
    cfg.n_stages = 5;
    for (int i = 0; i < 5; i++) {
        cfg.stage_grid[i] = 2 << i;
        cfg.stage_steps[i] = i == 4 ? 2 : 1;
    }
    cfg.image_size = S;
    cfg.genome = VNCA_GENOME_POSITION;
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 31), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 32);
    float *x = binary_images(&rng, N, S), eps[N * Z], start_z[N * Z];
    float *start = malloc(sizeof(float) * N * S * S * Z), *alive = malloc(sizeof(float) * N * S * S);
    assert_non_null(start);
    assert_non_null(alive);
    vnca_rng_normal_fill(&rng, eps, N * Z);
    vnca_rng_normal_fill(&rng, start_z, N * Z);
    fill_uniform(&rng, start, (size_t)N * S * S * Z, -1, 1);
    for (int i = 0; i < N * S * S; i++) /* image i: a square of side 2 + i gone */
        alive[i] = (i % (S * S)) / S < 2 + i / (S * S) && i % S < 2 + i / (S * S) ? 0 : 1;

    DecoderRows each[N];
    for (int i = 0; i < N; i++) each[i] = (DecoderRows){.grow = 1};
    check_rows_alike(&m, x, eps, &(DecoderRows){.grow = N}, each, N);
    for (int i = 0; i < N; i++)
        each[i] = (DecoderRows){.start = start + (size_t)i * S * S * Z, .start_z = start_z + i * Z,
                                .start_alive = alive + i * S * S, .n_start = 1, .extra = 2};
    check_rows_alike(&m, x, eps,
                     &(DecoderRows){.start = start, .start_z = start_z, .start_alive = alive,
                                    .n_start = N, .extra = 2}, each, N);
    free(start); free(alive); free(x);
    vnca_model_free(&m);
}

/* ---- the ELBO's gradient ------------------------------------------------ */

typedef struct ElboCase {
    VncaModel *m;
    VncaWorkspace *ws;
    const float *x, *eps;
    DecoderRows rows;
} ElboCase;

static double elbo_loss(void *p)
{
    ElboCase *c = p;
    return elbo_forward_rows(c->m, c->ws, c->x, c->eps, &c->rows).loss;
}

/* rows: the plain ELBO (2 growing rows), or a persistent model's batch:
 * one growing row and one from a pool state, both running extra steps;
 * schedule: the micro model's own (NULL) or another */
static void check_elbo_gradient_of(VncaConfig cfg, DecoderRows rows)
{
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 21), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 22);
    const int n = rows.grow + rows.n_start;
    float *x = binary_images(&rng, n, 8), eps[2 * 4], start[64 * 4], start_z[4], start_alive[64];
    vnca_rng_normal_fill(&rng, eps, (size_t)rows.grow * cfg.latent);
    fill_uniform(&rng, start, 64 * 4, -1, 1);
    vnca_rng_normal_fill(&rng, start_z, 4);
    /* the start row's genome: gone from a 3x3 square, one cell left in it */
    for (int i = 0; i < 64; i++) start_alive[i] = (i / 8 >= 2 && i / 8 < 5 && i % 8 < 3 && i != 3 * 8 + 1) ? 0 : 1;
    if (rows.n_start) {
        rows.start = start;
        rows.start_z = start_z;
        rows.start_alive = start_alive;
    }
    VncaWorkspace *ws = workspace_new(&cfg, n, VNCA_WS_TRAIN, rows.extra, NULL);
    assert_non_null(ws);
    float *grads = calloc(m.layout.n_params, sizeof(float));
    elbo_forward_rows(&m, ws, x, eps, &rows);
    vnca_elbo_backward(&m, ws, grads);

    /* the loss is ~45 nats in float through 5 NCA steps: eps 5e-3 balances
     * round-off (~1e-7 * 45 / eps) against the curvature of the deep net */
    const GradTolerance tol = {.eps = 5e-3f, .atol = 2e-3, .rtol = 2e-2};
    ElboCase c = {&m, ws, x, eps, rows};
    int bad = 0;
    for (int t = 0; t < m.layout.n; t++) {
        const VncaTensorSpec *spec = &m.layout.t[t];
        bad += check_gradient(spec->name, elbo_loss, &c, m.params + spec->offset,
                              grads + spec->offset, spec->numel, spec->numel, tol);
    }
    assert_int_equal(bad, 0);
    free(grads); free(x);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

static void check_elbo_gradient(VncaPerception perception, const char *schedule, DecoderRows rows)
{
    VncaConfig cfg = micro_config(perception);
    if (schedule) assert_int_equal(vnca_schedule_parse(&cfg, schedule, NULL), 0);
    check_elbo_gradient_of(cfg, rows);
}

static void test_elbo_gradient_conv3x3(void **state)
{
    (void)state;
    check_elbo_gradient(VNCA_PERCEIVE_CONV3, NULL, (DecoderRows){.grow = 2});
}

static void test_elbo_gradient_sobel(void **state)
{
    (void)state;
    check_elbo_gradient(VNCA_PERCEIVE_SOBEL, NULL, (DecoderRows){.grow = 2});
}

static void test_elbo_gradient_pool_and_extra_steps(void **state)
{
    (void)state;
    check_elbo_gradient(VNCA_PERCEIVE_CONV3, NULL, (DecoderRows){.grow = 1, .n_start = 1, .extra = 2});
    /* a persistent model's grown digit scored too */
    check_elbo_gradient(VNCA_PERCEIVE_SOBEL, NULL,
                        (DecoderRows){.grow = 2, .n_start = 1, .extra = 2, .score_grown = 1});
}

/* with a genome, latent and then with place: the weights that read it, and z
 * through them into the encoder, while growing, and from a pool row with its
 * genome partly gone (then spreading back) */
static void test_elbo_gradient_genome(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    for (cfg.genome = VNCA_GENOME_LATENT; cfg.genome <= VNCA_GENOME_POSITION; cfg.genome++) {
        check_elbo_gradient_of(cfg, (DecoderRows){.grow = 2});
        check_elbo_gradient_of(cfg, (DecoderRows){.grow = 2, .n_start = 1, .extra = 3,
                                                  .score_grown = 1});
    }
}

/* with a far perception (taps 3 cells apart on the 8x8 grid, none on the 2x2
 * and 4x4 but the middle), and with a genome beside it, from a pool row */
static void test_elbo_gradient_far_perception(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    cfg.far_reach = 3;
    check_elbo_gradient_of(cfg, (DecoderRows){.grow = 2});
    cfg.genome = VNCA_GENOME_POSITION;
    check_elbo_gradient_of(cfg, (DecoderRows){.grow = 2, .n_start = 1, .extra = 3, .score_grown = 1});
}

/* the paper's non-doubling variant: stages of no steps carry the seed up to
 * the full grid unchanged, so every cell starts as z */
static void test_elbo_gradient_full_grid_seed(void **state)
{
    (void)state;
    check_elbo_gradient(VNCA_PERCEIVE_SOBEL, "2:0,4:0,8:3",
                        (DecoderRows){.grow = 2, .n_start = 1, .extra = 2, .score_grown = 1});
}

/* A schedule whose last stage has no steps (the config allows it) still
 * ends at full size everywhere: decoding, step by step with
 * vnca_growth_finish, healing, and training's pass (gradient-checked) */
static void test_schedule_ending_without_steps(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    cfg.genome = VNCA_GENOME_LATENT;
    cfg.variant = VNCA_VARIANT_PERSISTENT;
    assert_int_equal(vnca_schedule_parse(&cfg, "2:1,4:2,8:0", NULL), 0);
    assert_int_equal(vnca_config_check(&cfg, NULL), 0);
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 41), 0);
    enum { N = 2, S = 8 };
    VncaRng rng;
    vnca_rng_seed(&rng, 42);
    float z[N * 4], logits[N * S * S], grown[N * S * S];
    vnca_rng_normal_fill(&rng, z, N * 4);
    VncaWorkspace *ws = vnca_workspace_new(&cfg, N, VNCA_WS_INFER, NULL);
    assert_non_null(ws);
    vnca_decode(&m, ws, z, N, logits);

    VncaGrowth g;
    assert_int_equal(vnca_growth_init(&g, &m, N, NULL), 0);
    vnca_growth_seed(&g, z);
    while (!vnca_growth_done(&g)) vnca_growth_step(&g);
    assert_int_equal(g.grid, 4); /* the schedule's steps are done at 4x4 */
    float cells[N * 4 * 4];
    vnca_growth_channel(&g, 0, cells);
    vnca_growth_finish(&g);
    assert_int_equal(g.grid, S);
    vnca_growth_channel(&g, 0, grown);
    /* the last division copies each 4x4 cell into a 2x2 block */
    for (int i = 0; i < N; i++)
        for (int p = 0; p < S * S; p++) {
            const float cell = cells[(i * 4 + p / S / 2) * 4 + p % S / 2];
            assert_float_equal(grown[i * S * S + p], cell, 0);
            assert_float_equal(logits[i * S * S + p], cell, 0);
        }

    float *x = binary_images(&rng, N, S);
    assert_non_null(x);
    const VncaHealOptions opt = {.damage = 3, .steps = 2, .hold_steps = 1, .seed = 43};
    VncaHealStats healed;
    assert_int_equal(vnca_heal_measure(&m, x, N, &opt, &healed, NULL, 0, NULL), 0);
    float mu[N * 4], logsig[N * 4];
    vnca_encode(&m, ws, x, N, mu, logsig);
    vnca_decode(&m, ws, mu, N, logits);
    double want = 0, per_image[N];
    bce_logits_forward(per_image, logits, 1, x, NULL, N, S * S);
    for (int i = 0; i < N; i++) want += per_image[i] / N;
    assert_float_equal(healed.grown, want, 1e-9 * want);
    free(x);
    vnca_growth_free(&g);
    vnca_workspace_free(ws);
    vnca_model_free(&m);

    check_elbo_gradient_of(cfg, (DecoderRows){.grow = 2});
    check_elbo_gradient_of(cfg, (DecoderRows){.grow = 1, .n_start = 1, .extra = 2, .score_grown = 1});
}

/* ---- the IWAE bound -------------------------------------------------------- */

static double log_normal(const float *v, int z)
{
    double s = 0;
    for (int j = 0; j < z; j++) s += -0.5 * (double)v[j] * v[j] - 0.5 * log(2 * M_PI);
    return s;
}

/* For the same noise, the K=1 log weight is exactly the single-sample Monte
 * Carlo ELBO, computed here from the public encode and decode. */
static void test_iwae_k1_is_single_sample_elbo(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 31), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 32);
    const int n = 3, z = 4;
    float *x = binary_images(&rng, n, 8), eps[3 * 4], mu[3 * 4], ls[3 * 4], zs[3 * 4];
    float logits[3 * 64];
    vnca_rng_normal_fill(&rng, eps, 12);
    VncaWorkspace *ws = vnca_workspace_new(&cfg, 2, VNCA_WS_INFER, NULL);
    double logw[3];
    vnca_log_weights(&m, ws, x, n, eps, 1, logw);
    vnca_encode(&m, ws, x, n, mu, ls);
    for (int i = 0; i < n * z; i++) zs[i] = mu[i] + expf(ls[i]) * eps[i];
    vnca_decode(&m, ws, zs, n, logits);
    for (int i = 0; i < n; i++) {
        double log_px = 0, log_q = log_normal(eps + i * z, z);
        for (int j = 0; j < 64; j++) {
            double l = logits[i * 64 + j], t = x[i * 64 + j];
            log_px += t * l - log1p(exp(l));
        }
        for (int j = 0; j < z; j++) log_q -= ls[i * z + j];
        double want = log_px + log_normal(zs + i * z, z) - log_q;
        assert_float_equal(logw[i], want, 1e-9 * fabs(want));
    }
    free(x);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

/* Over many draws, the Monte Carlo ELBO (K=1 log weights) and the training
 * objective's analytic-KL ELBO estimate the same number: their paired
 * difference has mean zero within its standard error. */
static void test_mc_elbo_matches_analytic_kl(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 41), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 42);
    float *x = binary_images(&rng, 1, 8), eps[4];
    VncaWorkspace *train = vnca_workspace_new(&cfg, 1, VNCA_WS_TRAIN, NULL);
    VncaWorkspace *infer = vnca_workspace_new(&cfg, 1, VNCA_WS_INFER, NULL);
    enum { DRAWS = 3000 };
    double sum = 0, sum_sq = 0, mc_sum = 0;
    for (int k = 0; k < DRAWS; k++) {
        vnca_rng_normal_fill(&rng, eps, 4);
        double logw;
        vnca_log_weights(&m, infer, x, 1, eps, 1, &logw);
        double analytic = -vnca_elbo_forward(&m, train, x, eps, 1).loss;
        double d = logw - analytic;
        sum += d;
        sum_sq += d * d;
        mc_sum += logw;
    }
    double mean = sum / DRAWS, var = (sum_sq - DRAWS * mean * mean) / (DRAWS - 1);
    double se = sqrt(var / DRAWS);
    printf("MC ELBO %.4f, paired difference to analytic-KL ELBO %.4f +- %.4f (SE)\n",
           mc_sum / DRAWS, mean, se);
    assert_true(se > 0);
    assert_true(fabs(mean) < 4 * se);
    free(x);
    vnca_workspace_free(train);
    vnca_workspace_free(infer);
    vnca_model_free(&m);
}

static void test_iwae16_at_least_elbo(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 51), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 52);
    enum { N = 20, K = 16, ELBO_DRAWS = 64 };
    float *x = binary_images(&rng, N, 8);
    VncaWorkspace *ws = vnca_workspace_new(&cfg, 8, VNCA_WS_INFER, NULL);
    double bound[N], elbo_mean = 0, iwae_mean = 0;
    VncaError err;
    assert_int_equal(vnca_iwae(&m, ws, x, N, K, &rng, bound, NULL, &err), 0);
    float *eps = malloc((size_t)N * ELBO_DRAWS * 4 * sizeof(float));
    double *logw = malloc((size_t)N * ELBO_DRAWS * sizeof(double));
    vnca_rng_normal_fill(&rng, eps, (size_t)N * ELBO_DRAWS * 4);
    vnca_log_weights(&m, ws, x, N, eps, ELBO_DRAWS, logw);
    for (int i = 0; i < N * ELBO_DRAWS; i++) elbo_mean += logw[i] / (N * ELBO_DRAWS);
    for (int i = 0; i < N; i++) iwae_mean += bound[i] / N;
    printf("ELBO %.3f, IWAE-16 %.3f nats per image\n", elbo_mean, iwae_mean);
    assert_true(iwae_mean >= elbo_mean);
    free(eps); free(logw); free(x);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

/* The posterior's samples from a seed: each z is mu + sigma*eps for the eps
 * that seed gives, their weights the softmax of vnca_log_weights on that
 * eps, most probable first. */
static void test_posterior_samples(void **state)
{
    (void)state;
    VncaConfig cfg = micro_config(VNCA_PERCEIVE_CONV3);
    VncaModel m;
    assert_int_equal(make_model(&m, &cfg, 61), 0);
    VncaRng rng;
    vnca_rng_seed(&rng, 62);
    enum { K = 9, Z = 4 };
    float *x = binary_images(&rng, 1, 8), z[K * Z], eps[K * Z], mu[Z], logsig[Z];
    double weight[K], logw[K];
    VncaWorkspace *ws = vnca_workspace_new(&cfg, 2, VNCA_WS_INFER, NULL);
    VncaError err;
    vnca_rng_seed(&rng, 63);
    assert_int_equal(vnca_posterior_samples(&m, ws, x, K, &rng, z, weight, &err), 0);

    vnca_rng_seed(&rng, 63);
    vnca_rng_normal_fill(&rng, eps, K * Z);
    vnca_log_weights(&m, ws, x, 1, eps, K, logw);
    vnca_encode(&m, ws, x, 1, mu, logsig);
    double top = logw[0], sum = 0, total = 0;
    for (int i = 1; i < K; i++) top = fmax(top, logw[i]);
    for (int i = 0; i < K; i++) sum += exp(logw[i] - top);
    /* the draws by log weight, heaviest first (an insertion sort keeps ties in order) */
    int order[K];
    for (int i = 0; i < K; i++) {
        int at = i;
        for (; at > 0 && logw[order[at - 1]] < logw[i]; at--) order[at] = order[at - 1];
        order[at] = i;
    }
    for (int r = 0; r < K; r++) {
        const int drawn = order[r];
        total += weight[r];
        if (r > 0) assert_true(weight[r] <= weight[r - 1]);
        assert_float_equal(weight[r], exp(logw[drawn] - top) / sum, 1e-12);
        for (int j = 0; j < Z; j++)
            assert_float_equal(z[r * Z + j], mu[j] + expf(logsig[j]) * eps[drawn * Z + j], 0);
    }
    assert_float_equal(total, 1.0, 1e-9);
    assert_true(weight[0] > weight[K - 1]); /* a model whose weights differ, or the order proves nothing */

    assert_int_equal(vnca_posterior_samples(&m, ws, x, 0, &rng, z, weight, &err), -1);
    assert_non_null(strstr(err.msg, "at least 1 sample"));
    free(x);
    vnca_workspace_free(ws);
    vnca_model_free(&m);
}

int main(void)
{
    skip_unless_isa_runs();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_parameter_counts),
        cmocka_unit_test(test_named_configs_are_valid),
        cmocka_unit_test(test_fresh_decoder_is_identity),
        cmocka_unit_test(test_growth_matches_decode),
        cmocka_unit_test(test_sobel_rewritten_as_conv3),
        cmocka_unit_test(test_widened_model_decodes_alike),
        cmocka_unit_test(test_model_with_genome_decodes_alike),
        cmocka_unit_test(test_model_with_far_perception_decodes_alike),
        cmocka_unit_test(test_same_seed_same_result),
        cmocka_unit_test(test_batch_is_its_images),
        cmocka_unit_test(test_elbo_gradient_conv3x3),
        cmocka_unit_test(test_elbo_gradient_sobel),
        cmocka_unit_test(test_elbo_gradient_pool_and_extra_steps),
        cmocka_unit_test(test_elbo_gradient_genome),
        cmocka_unit_test(test_elbo_gradient_far_perception),
        cmocka_unit_test(test_elbo_gradient_full_grid_seed),
        cmocka_unit_test(test_schedule_ending_without_steps),
        cmocka_unit_test(test_iwae_k1_is_single_sample_elbo),
        cmocka_unit_test(test_mc_elbo_matches_analytic_kl),
        cmocka_unit_test(test_iwae16_at_least_elbo),
        cmocka_unit_test(test_posterior_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
