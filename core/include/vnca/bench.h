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

typedef struct VncaFmaPeak {
    const char *isa;   /* the instruction set it ran: "avx512", "avx2" or "portable" */
    int vector_bits;   /* 512, 256, or 32 for portable C (as written; the
                          compiler may pack its chains into the baseline's vectors) */
    int threads;       /* OpenMP threads that ran it at once */
    double gflops;     /* best run, 2 FLOPs per multiply-add and lane */
} VncaFmaPeak;

/* The physical limit of this machine's arithmetic: GFLOP/s of independent
 * multiply-add chains in registers (no memory traffic), on every OpenMP
 * thread at once, at the widest vector width the CPU runs (or the one the
 * environment variable VNCA_ISA names: avx512, avx2 or portable), best of
 * the runs made in at least min_seconds. -1 with a message when VNCA_ISA
 * names no instruction set, or one this CPU cannot run. */
int vnca_bench_fma_peak(double min_seconds, VncaFmaPeak *out, VncaError *err);

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
