/* Speed measurements: wall time on the monotonic clock, after a warm-up. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vnca/bench.h"

double vnca_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double vnca_bench_sgemm(int size, double min_seconds)
{
    const size_t len = (size_t)size * size;
    float *a = malloc(len * sizeof(float)), *b = malloc(len * sizeof(float));
    float *c = malloc(len * sizeof(float));
    double best = 0.0;
    if (a && b && c) {
        VncaRng rng;
        vnca_rng_seed(&rng, 1);
        for (size_t i = 0; i < len; i++) {
            a[i] = vnca_rng_uniform(&rng);
            b[i] = vnca_rng_uniform(&rng);
        }
        const double flops = 2.0 * size * (double)size * size;
        double start = vnca_seconds();
        for (int run = 0; run < 2 || vnca_seconds() - start < min_seconds; run++) {
            double t0 = vnca_seconds();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a, size,
                        b, size, 0.0f, c, size);
            double gflops = flops / (vnca_seconds() - t0) * 1e-9;
            if (run > 0 && gflops > best) best = gflops; /* run 0 warms up */
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}

typedef struct BenchRun {
    VncaModel model;
    VncaWorkspace *ws;
    float *x, *eps, *grads;
} BenchRun;

static void bench_run_free(BenchRun *r)
{
    vnca_workspace_free(r->ws);
    vnca_model_free(&r->model);
    free(r->x);
    free(r->eps);
    free(r->grads);
}

static int bench_run_init(BenchRun *r, const VncaConfig *cfg, int batch, VncaWorkspaceKind kind,
                          VncaError *err)
{
    memset(r, 0, sizeof *r);
    if (vnca_model_alloc(&r->model, cfg, err)) return -1;
    vnca_model_init(&r->model, 1);
    const size_t pixels = (size_t)cfg->image_size * cfg->image_size;
    r->ws = vnca_workspace_new(cfg, batch, kind, err);
    r->x = malloc((size_t)batch * pixels * sizeof(float));
    r->eps = malloc((size_t)batch * cfg->latent * sizeof(float));
    r->grads = calloc(r->model.layout.n_params, sizeof(float));
    if (!r->ws || !r->x || !r->eps || !r->grads) {
        bench_run_free(r);
        return vnca_fail(err, "out of memory for a benchmark at batch %d", batch);
    }
    VncaRng rng;
    vnca_rng_seed(&rng, 2);
    for (size_t i = 0; i < (size_t)batch * pixels; i++) r->x[i] = vnca_rng_uniform(&rng) < 0.2f;
    vnca_rng_normal_fill(&rng, r->eps, (size_t)batch * cfg->latent);
    return 0;
}

typedef void (*BenchBatch)(BenchRun *r, int batch);

static void decode_batch(BenchRun *r, int batch)
{
    /* x is large enough for the logits */
    vnca_decode(&r->model, r->ws, r->eps, batch, r->x);
}

static void train_batch(BenchRun *r, int batch)
{
    vnca_elbo_forward(&r->model, r->ws, r->x, r->eps, batch);
    vnca_elbo_backward(&r->model, r->ws, r->grads);
}

static int time_batches(const VncaConfig *cfg, int batch, double min_seconds,
                        VncaWorkspaceKind kind, BenchBatch run_batch, double flops_per_image,
                        VncaBenchFigure *out, VncaError *err)
{
    BenchRun r;
    if (bench_run_init(&r, cfg, batch, kind, err)) return -1;
    run_batch(&r, batch);
    int runs = 0;
    double start = vnca_seconds(), elapsed;
    do {
        run_batch(&r, batch);
        runs++;
        elapsed = vnca_seconds() - start;
    } while (elapsed < min_seconds);
    bench_run_free(&r);
    const double images = (double)runs * batch;
    out->runs = runs;
    out->ms_per_image = 1e3 * elapsed / images;
    out->images_per_s = images / elapsed;
    out->gflops = flops_per_image * out->images_per_s * 1e-9;
    return 0;
}

int vnca_bench_decode(const VncaConfig *cfg, int batch, double min_seconds, VncaBenchFigure *out,
                      VncaError *err)
{
    return time_batches(cfg, batch, min_seconds, VNCA_WS_INFER, decode_batch,
                        2.0 * vnca_decoder_macs(cfg), out, err);
}

int vnca_bench_train(const VncaConfig *cfg, int batch, double min_seconds, VncaBenchFigure *out,
                     VncaError *err)
{
    /* backward costs two forwards: the input and the weight gradients */
    const double flops = 3 * 2.0 * (vnca_encoder_macs(cfg) + vnca_decoder_macs(cfg));
    return time_batches(cfg, batch, min_seconds, VNCA_WS_TRAIN, train_batch, flops, out, err);
}
