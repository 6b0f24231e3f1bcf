/* vnca/train.h: training a VNCA: Adam with global gradient-norm clipping, and
 * a trainer that walks shuffled epochs of a data set and saves and resumes
 * its whole state exactly.
 *
 * Exact resume: the data order of epoch e is a permutation drawn from a
 * generator seeded by (seed, e), dynamic binarization likewise, and the noise
 * generator's state is saved; so N steps in one run and N/2 + resume + N/2
 * give bit-identical weights (on the same machine and thread count). */
#ifndef VNCA_TRAIN_H
#define VNCA_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "vnca/data.h"
#include "vnca/vnca.h"

/* ---- Adam (PyTorch semantics: bias-corrected moments, eps outside sqrt) ---- */

typedef struct VncaAdam {
    size_t n;
    float lr, beta1, beta2, eps;
    long step;
    float *m, *v;        /* first and second moments, n floats each, owned */
} VncaAdam;

int vnca_adam_init(VncaAdam *adam, size_t n, float lr, VncaError *err);
void vnca_adam_free(VncaAdam *adam);
/* params -= lr * mhat / (sqrt(vhat) + eps), after updating the moments */
void vnca_adam_update(VncaAdam *adam, float *params, const float *grads);

/* L2 norm of grads; when above max_norm, scales grads down to max_norm.
 * Returns the norm before clipping. */
double vnca_clip_grad_norm(float *grads, size_t n, double max_norm);

/* ---- the trainer ---------------------------------------------------------- */

/* Sums buf over all the processes of a data-parallel run, in place (e.g.
 * MPI_Allreduce). Returns 0, or -1 when the reduction failed. */
typedef int (*VncaAllreduce)(float *buf, size_t n, void *ctx);

typedef struct VncaTrainOptions {
    int batch;              /* the global batch: 32 */
    float lr;               /* 1e-4 */
    double clip;            /* 10 */
    uint64_t seed;
    int dynamic;            /* 1: the data are gray levels, binarized afresh each epoch */
    int warmup;             /* Adam steps over which the rate rises linearly to lr (0: none) */
    /* After the warm-up, a decay (a VncaDecay) may lower the rate from lr
     * to lr_final, which it reaches at Adam step decay_steps (> warmup) and
     * keeps; a step decay in decay_drops (>= 1) drops by equal factors
     * (lr_final > 0). vnca_learning_rate says the rate of each step. All 0,
     * as in options that do not name them: no decay. */
    int decay, decay_steps, decay_drops;
    float lr_final;
    /* Data parallelism: this process computes rows [shard * batch / shards,
     * (shard + 1) * batch / shards) of every global batch, and `allreduce`
     * sums the gradients (and the statistics) of all shards before the same
     * Adam step everywhere. shards = 1 (allreduce NULL) trains alone. */
    int shard, shards;
    VncaAllreduce allreduce;
    void *allreduce_ctx;
    /* A persistent model (config.variant) also learns to hold and to heal its
     * final state (docs/design.md, section 1.7): after growing, every
     * row of a batch runs a random number of extra steps in [extra_min,
     * extra_max] at full size; pool_share of each batch restarts from a pool
     * of pool_size earlier final states (once the pool is full), damage_share
     * of those with a random damage_size x damage_size square of cells zeroed.
     * Persistent training runs in one process (shards = 1). */
    int extra_min, extra_max, pool_size, damage_size;
    float pool_share, damage_share;
    /* 0, or the decay d of an exponential moving average of the weights,
     * average = d average + (1 - d) weights after every step, that the run's
     * model file holds (vnca_trainer_save_model): the weights' own step to
     * step noise averaged out, over about 1 / (1 - d) steps. */
    float average_decay;
} VncaTrainOptions;

/* the most extra steps a persistent batch may run (each keeps its states for
 * the backward pass) */
#define VNCA_MAX_EXTRA_STEPS 1000
#define VNCA_MAX_POOL_SIZE (1 << 20)

/* How the rate falls after the warm-up. A checkpoint records the number:
 * new kinds go at the end. */
typedef enum VncaDecay {
    VNCA_DECAY_NONE,   /* it stays at lr */
    VNCA_DECAY_COSINE, /* half a cosine wave from lr down to lr_final */
    VNCA_DECAY_STEP,   /* decay_drops drops by equal factors, evenly spaced, the last to lr_final */
} VncaDecay;

/* The learning rate of Adam step t (0-based, counted since the optimizer
 * started, so that a resumed run goes on with the same rates), for options
 * that vnca_trainer_init accepts: the warm-up's factor (t + 1) / warmup while
 * t < warmup, times the decay's rate, lr up to step warmup and then, with
 * p = (t - warmup) / (decay_steps - warmup) the share of the decay done,
 *   cosine: lr_final + (lr - lr_final) (1 + cos(pi p)) / 2
 *   step:   lr (lr_final / lr)^(floor(p decay_drops) / decay_drops)
 * and lr_final from step decay_steps on. */
float vnca_learning_rate(const VncaTrainOptions *opt, long t);

/* The defaults of vnca/train_options.h's table (batch 32, lr 1e-4, clip 10,
 * no warm-up or decay, seed 1; persistent: 8..16 extra steps, a pool of 512, half of each batch
 * from it, a quarter of those damaged with 14x14 squares), one shard. */
void vnca_train_defaults(VncaTrainOptions *opt);

/* Earlier final states of a persistent model, with the data index of the
 * digit each one is growing. */
typedef struct VncaPool {
    int size, filled;
    size_t state_len;       /* floats per state: S * S * C */
    size_t cells;           /* S * S */
    float *states;          /* [size, S, S, C] */
    int32_t *target;        /* [size] */
    float *recon;           /* [size] the reconstruction NLL each state ended with */
    int *slots;             /* the slots of the current batch's pool rows */
    float *start;           /* the current batch's pool rows, damaged [batch, S, S, C] */
    /* genome models (else 0 and NULL): each state's z and which cells hold it */
    size_t genome_len;      /* Z */
    float *genome;          /* [size, Z] */
    float *alive;           /* [size, S, S] */
    float *start_genome;    /* the current batch's [batch, Z] */
    float *start_alive;     /* [batch, S, S], damaged with their states */
    VncaRng rng;            /* choice of slots and damage */
} VncaPool;

typedef struct VncaTrainStats {
    VncaLoss loss;
    double grad_norm;       /* before clipping */
    int pool_reseeded;      /* pool rows that ended worse than every fresh row, replaced */
} VncaTrainStats;

typedef struct VncaTrainer {
    VncaModel *model;              /* borrowed: trained in place */
    const VncaImages *data;        /* borrowed */
    VncaTrainOptions opt;
    VncaAdam adam;
    VncaWorkspace *ws;
    float *grads;                  /* [n_params] */
    float *batch_x, *batch_eps;    /* [batch, S, S], [batch, Z] */
    int32_t *batch_index;          /* data index of each fresh row [batch] */
    float *epoch_images;           /* dynamic: this epoch's binarization [n, S, S] */
    uint32_t *order;               /* this epoch's permutation [n] */
    long step;                     /* optimizer steps taken */
    long images_seen;
    int epoch;                     /* current epoch (0-based) */
    int position;                  /* next index into order */
    VncaRng noise;                 /* reparameterization noise */
    double train_seconds;          /* wall seconds spent in steps, over all runs */
    VncaPool pool;                 /* persistent models only */
    float *average;                /* [n_params] the weights' moving average, or NULL */
} VncaTrainer;

int vnca_trainer_init(VncaTrainer *tr, VncaModel *model, const VncaImages *data,
                      const VncaTrainOptions *opt, VncaError *err);
void vnca_trainer_free(VncaTrainer *tr);
/* One optimizer step on the next batch (a new shuffled epoch begins when the
 * current one has too few images left for a whole batch). Fails only when
 * the allreduce fails. */
int vnca_trainer_step(VncaTrainer *tr, VncaTrainStats *stats, VncaError *err);
/* The model file of the run: the model with its weights' moving average
 * when opt.average_decay > 0, else as it is; written atomically. */
int vnca_trainer_save_model(const VncaTrainer *tr, const char *path, VncaError *err);

/* Checkpoints hold the model, Adam's moments, the weights' moving average, a
 * persistent model's pool, the trainer's position and generators, and its
 * options; written atomically. A run that starts averaging on resume (from a
 * checkpoint without an average) starts its average at the weights.
 *
 * To resume: vnca_checkpoint_load_model gives the model and the options the
 * run was saved with; the caller may change the learning rate and its
 * schedule (warm-up and decay), the clip, the average's decay and the
 * persistent options (not the pool's size) before vnca_trainer_init, and
 * vnca_trainer_resume then restores the state.
 * Resuming requires the same config, data size, batch, binarization and pool
 * size, and takes the seed from the file (it orders the epochs). */
int vnca_trainer_save(const VncaTrainer *tr, const char *path, VncaError *err);
int vnca_trainer_resume(VncaTrainer *tr, const char *path, VncaError *err);
/* The model inside a checkpoint and, when opt is not NULL, the options it was
 * saved with, written over *opt (an option the checkpoint does not record,
 * as one from before it was recorded, is left as it is). */
int vnca_checkpoint_load_model(VncaModel *m, VncaTrainOptions *opt, const char *path,
                               VncaError *err);

#endif
