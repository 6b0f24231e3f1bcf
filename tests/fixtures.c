#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>

#include "cpu.h"
#include "gradcheck.h"

VncaConfig micro_config(VncaPerception perception)
{
    VncaConfig c = {.latent = 4, .hidden = 6, .res_blocks = 2, .perception = perception,
                    .n_stages = 3, .stage_grid = {2, 4, 8}, .stage_steps = {2, 1, 2},
                    .encoder_width = 2, .image_size = 8, .variant = VNCA_VARIANT_DOUBLING};
    return c;
}

void skip_unless_isa_runs(void)
{
    CpuIsa isa;
    VncaError err;
    if (cpu_isa_choose(&isa, &err) == 0) return;
    fprintf(stderr, "skipped: %s\n", err.msg);
    exit(77);
}

int make_model(VncaModel *m, const VncaConfig *cfg, uint64_t seed)
{
    if (vnca_model_alloc(m, cfg, NULL)) return -1;
    vnca_model_init(m, seed);
    VncaRng rng;
    vnca_rng_seed(&rng, seed + 1000);
    fill_uniform(&rng, m->w.out_w, (size_t)cfg->latent * cfg->hidden, -0.3f, 0.3f);
    fill_uniform(&rng, m->w.out_b, (size_t)cfg->latent, -0.3f, 0.3f);
    return 0;
}

float *binary_images(VncaRng *rng, int n, int size)
{
    float *x = malloc((size_t)n * size * size * sizeof(float));
    if (!x) return NULL;
    for (int i = 0; i < n * size * size; i++) x[i] = vnca_rng_uniform(rng) < 0.3f;
    return x;
}

int micro_trainer(VncaTrainer *tr, VncaModel *m, VncaImages *data)
{
    const VncaConfig cfg = micro_config(VNCA_PERCEIVE_SOBEL);
    VncaRng rng;
    vnca_rng_seed(&rng, 11);
    *data = (VncaImages){.n = 8, .size = cfg.image_size};
    data->pixels = binary_images(&rng, data->n, data->size);
    const VncaTrainOptions opt = {.batch = 4, .lr = 1e-3f, .clip = 10, .seed = 3, .shards = 1};
    if (!data->pixels || make_model(m, &cfg, 5)) return -1;
    return vnca_trainer_init(tr, m, data, &opt, NULL);
}
