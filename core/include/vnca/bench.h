/* vnca/bench.h: measured speed of this machine and of a configuration.
 * FLOPs count 2 per multiply-add, forward and backward. */
#ifndef VNCA_BENCH_H
#define VNCA_BENCH_H

#include "vnca/error.h"
#include "vnca/vnca.h"

/* Seconds on the monotonic clock (for durations only). */
double vnca_seconds(void);

typedef struct VncaBenchFigure {
    double ms_per_image;
    double images_per_s;
    double gflops;        /* achieved GFLOP/s */
    int runs;             /* timed batches */
} VncaBenchFigure;

/* GFLOP/s of a size x size x size sgemm through the linked BLAS, best of the
 * runs made in at least min_seconds. */
double vnca_bench_sgemm(int size, double min_seconds);

/* A randomly initialized model of cfg, timed for at least min_seconds after
 * one warm-up batch: decoding z -> logits, and training steps (ELBO forward
 * and backward; the optimizer update is not included). */
int vnca_bench_decode(const VncaConfig *cfg, int batch, double min_seconds, VncaBenchFigure *out,
                      VncaError *err);
int vnca_bench_train(const VncaConfig *cfg, int batch, double min_seconds, VncaBenchFigure *out,
                     VncaError *err);

#endif
