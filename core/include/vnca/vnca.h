/* vnca/vnca.h: Variational Neural Cellular Automata.
 *
 * A VNCA is a VAE whose decoder is a neural cellular automaton (NCA):
 *
 *   image x [S, S] -> encoder -> q(z|x) = N(mu, sigma^2), z [Z]
 *   z -> copied into every cell of a 2x2 grid of C = Z channels
 *     -> repeat per stage: `steps` updates state += f(state), then every cell
 *        divides into a 2x2 block, until the grid is S x S
 *   -> channel 0 of each cell is the logit of a Bernoulli pixel.
 *
 * f, the update, is the same small conv net in every cell: perception (a
 * learned 3x3 conv C->H, or fixed identity+Sobel filters and a 1x1 conv 3C->H)
 * -> R residual blocks [1x1 conv, ELU, 1x1 conv, + input] -> 1x1 conv H->C,
 * whose weights start at zero so that an untrained NCA is the identity.
 *
 * With a genome (config.genome), every cell also carries the latent z it grew
 * from: the update reads it, through a 3x3 conv of its own beside the
 * perception, and never writes it; division copies it. A destroyed cell loses
 * it and takes it back from a living neighbour at its next update, so that
 * it spreads back into a hole one cell a step. Every living cell's genome is
 * the same z, which is how it is stored: z once per image and, per cell, an
 * "alive" flag (whether its genome is there). A genome may also hold where
 * its cell is (VNCA_GENOME_POSITION): sines and cosines of the cell's place
 * in its grid, read by a 1x1 conv. A destroyed cell takes that back with z
 * (its living neighbour's place, one cell over), so a cell in a hole knows
 * both what the digit is and where in it the cell is.
 *
 * A far perception (config.far_reach) is a second learned 3x3 conv C->H
 * beside the first, whose taps are far_reach cells apart: a cell sees its
 * neighbours and also the cells that many away, so that what survives
 * around a hole reaches its middle directly, not only cell by cell.
 *
 * The pieces, kept apart as in llama2.c:
 *   VncaConfig     the architecture, stored in the model file
 *   VncaModel      the parameters (one flat float buffer, PyTorch layouts)
 *   VncaWorkspace  activations and scratch for a batch (training or inference)
 *   VncaGrowth     a decode in progress, advanced one step at a time
 *
 * Fallible calls return 0 / -1 and explain failures in a VncaError.
 *
 * Arrays passed in (images, latents, noise), here and in the other headers,
 * are used as they are: a NaN or an Inf is not detected, and it spreads as
 * NaN into the outputs it reaches (with the shipped model, one NaN in a
 * latent makes all of that image's logits NaN). Checking is the caller's
 * part; vnca_npy_read (vnca/npy.h) refuses non-finite values in its files. */
#ifndef VNCA_VNCA_H
#define VNCA_VNCA_H

#include <stddef.h>
#include <stdint.h>

#include "vnca/error.h"
#include "vnca/meta.h"
#include "vnca/rng.h"

/* ========================================================================
 * Configuration
 * ===================================================================== */

#define VNCA_MAX_STAGES 8
#define VNCA_MAX_LATENT 4096
#define VNCA_MAX_RES_BLOCKS 16
#define VNCA_MAX_ENC_CONVS 8
#define VNCA_MAX_TENSORS (2 * VNCA_MAX_ENC_CONVS + 2 + 4 + 4 * VNCA_MAX_RES_BLOCKS + 2)

typedef enum VncaPerception {
    VNCA_PERCEIVE_CONV3 = 0,    /* learned 3x3 conv C -> H */
    VNCA_PERCEIVE_SOBEL = 1,    /* fixed [identity, Sobel-x, Sobel-y], then 1x1 3C -> H */
} VncaPerception;

typedef enum VncaVariant {
    VNCA_VARIANT_DOUBLING = 0,   /* grow, decode, done (the paper's main model) */
    VNCA_VARIANT_PERSISTENT = 1, /* trained also to hold and heal its final state */
} VncaVariant;

typedef enum VncaGenome {
    VNCA_GENOME_NONE = 0,
    VNCA_GENOME_LATENT = 1,   /* every cell carries z (above) */
    VNCA_GENOME_POSITION = 2, /* z and where the cell is */
} VncaGenome;

typedef struct VncaConfig {
    int latent;          /* Z, also the channels of every cell (C = Z) */
    int hidden;          /* H, width of the update net */
    int res_blocks;      /* R */
    VncaPerception perception;
    int n_stages;
    int stage_grid[VNCA_MAX_STAGES];  /* grid side per stage: 2, 4, ..., image_size */
    int stage_steps[VNCA_MAX_STAGES]; /* update steps per stage */
    int encoder_width;   /* channels of the first encoder conv; x2 per stride-2 conv */
    int image_size;      /* S: a power of two >= 4 (32 for padded MNIST) */
    VncaVariant variant;
    VncaGenome genome;   /* what every cell carries, read and never written (above) */
    int far_reach;       /* the far perception's tap spacing; 0: none (above) */
} VncaConfig;

/* Named configurations (docs/design.md, section 1.6): "paper" and smaller ones for CPUs.
 * Returns -1 with a message listing the names when `name` is unknown. */
int vnca_config_named(const char *name, VncaConfig *cfg, VncaError *err);
/* NULL-terminated list of the names */
const char *const *vnca_config_names(void);
/* Checks every field and their consistency (stages double from 2 to S). */
int vnca_config_check(const VncaConfig *cfg, VncaError *err);
/* "2:8,4:8,8:8,16:8,32:8" <-> stage_grid / stage_steps / n_stages */
int vnca_schedule_parse(VncaConfig *cfg, const char *text, VncaError *err);
void vnca_schedule_format(const VncaConfig *cfg, char *buf, size_t len);
/* 0 when a and b describe the same model; otherwise 1, with the first field
 * that differs written into buf as "<a_name> has variant persistent, <b_name>
 * doubling" (a's value, then b's). */
int vnca_config_difference(const VncaConfig *a, const VncaConfig *b, const char *a_name,
                           const char *b_name, char *buf, size_t len);
const char *vnca_perception_name(VncaPerception p);
/* "none", "latent", "latent+position" */
const char *vnca_genome_name(VncaGenome g);
int vnca_genome_parse(const char *text, VncaGenome *g);
const char *vnca_variant_name(VncaVariant v);
int vnca_perception_parse(const char *text, VncaPerception *p);
int vnca_variant_parse(const char *text, VncaVariant *v);

/* Number of encoder convs: one stride-1, then stride-2 down to 2x2. */
int vnca_encoder_convs(const VncaConfig *cfg);
/* Output channels of encoder conv i (encoder_width << i). */
int vnca_encoder_channels(const VncaConfig *cfg, int i);
/* Update steps in the whole growth schedule, and cell-updates per image. */
int vnca_total_steps(const VncaConfig *cfg);
long vnca_cell_steps(const VncaConfig *cfg);
/* Multiply-adds of one forward pass per image (2 FLOPs each). */
double vnca_encoder_macs(const VncaConfig *cfg);
double vnca_decoder_macs(const VncaConfig *cfg);

/* ========================================================================
 * Parameters
 * ===================================================================== */

/* Views of every parameter tensor inside one flat buffer (parameters, or
 * gradients, or Adam moments: the same layout binds all of them). The
 * shapes are the files' (PyTorch's); in memory a k x k conv weight (k > 1)
 * is [c_out, k, k, c_in], its input channels innermost as the cells' are
 * (vnca_params_from_file). */
typedef struct VncaWeights {
    float *enc_w[VNCA_MAX_ENC_CONVS], *enc_b[VNCA_MAX_ENC_CONVS]; /* [co, ci, 5, 5] */
    float *fc_w, *fc_b;                                  /* [2Z, 4 * C_last], [2Z] */
    float *perceive_w, *perceive_b;                      /* [H, C, 3, 3] or [H, 3C, 1, 1] */
    float *genome_w;                                     /* [H, Z, 3, 3], with a genome */
    float *position_w;                                   /* [H, 16], with a position */
    float *perceive_far_w;                               /* [H, C, 3, 3], with a far reach */
    float *res_w1[VNCA_MAX_RES_BLOCKS], *res_b1[VNCA_MAX_RES_BLOCKS]; /* [H, H, 1, 1] */
    float *res_w2[VNCA_MAX_RES_BLOCKS], *res_b2[VNCA_MAX_RES_BLOCKS];
    float *out_w, *out_b;                                /* [C, H, 1, 1], [C] */
} VncaWeights;

typedef struct VncaTensorSpec {
    char name[48];       /* PyTorch name, e.g. "nca.res.0.conv1.weight" */
    int ndim;
    int64_t shape[4];
    size_t offset;       /* in floats, into the flat buffer */
    size_t numel;
} VncaTensorSpec;

typedef struct VncaLayout {
    int n;
    VncaTensorSpec t[VNCA_MAX_TENSORS];
    size_t n_params;     /* total floats */
    size_t n_encoder;    /* of which in "encoder.*" */
    size_t n_nca;        /* of which in "nca.*" */
} VncaLayout;

/* The tensors of cfg, in file order, with their offsets. */
void vnca_layout(const VncaConfig *cfg, VncaLayout *layout);
/* The tensor of that name in the layout, or NULL. */
const VncaTensorSpec *vnca_layout_find(const VncaLayout *layout, const char *name);
/* Points every field of *w into `base` (a buffer of layout.n_params floats). */
void vnca_weights_bind(const VncaConfig *cfg, float *base, VncaWeights *w);
/* A flat buffer of parameters (or their gradients, or moments) between a
 * file's order and memory's: a k x k conv weight (k > 1) is [c_out, c_in,
 * k, k] in a file, PyTorch's order, and [c_out, k, k, c_in] in memory, so
 * that a convolution's product reads it as it lies; other tensors are alike
 * in both. dst and src are layout->n_params floats each, apart. */
void vnca_params_from_file(const VncaLayout *layout, float *dst, const float *src);
void vnca_params_to_file(const VncaLayout *layout, float *dst, const float *src);
/* where element `file_index` of tensor t (its index in the file's order)
 * lies in memory, from the tensor's start */
size_t vnca_tensor_memory_index(const VncaTensorSpec *t, size_t file_index);
/* the taps of tensor t: k k for a k x k conv weight, else 1 */
size_t vnca_tensor_taps(const VncaTensorSpec *t);

typedef struct VncaModel {
    VncaConfig config;
    VncaLayout layout;
    float *params;       /* layout.n_params floats, owned */
    VncaWeights w;       /* views into params */
    VncaMeta meta;       /* facts stored with the model (besides the config) */
} VncaModel;

/* Allocates a model for cfg with every parameter zero. */
int vnca_model_alloc(VncaModel *m, const VncaConfig *cfg, VncaError *err);
/* PyTorch's default init (uniform +-1/sqrt(fan_in) for weights and biases),
 * except the NCA's last conv, which starts at zero (weights and bias). */
void vnca_model_init(VncaModel *m, uint64_t seed);
void vnca_model_free(VncaModel *m);
/* dst (allocated here) becomes src with its fixed identity+Sobel perception
 * rewritten as the learned conv3x3 that computes the same update, to float
 * rounding: training can go on from there with a perception free to see
 * more, such as whether a cell differs from all its neighbours alike, which
 * the two odd Sobel filters cannot. src must perceive by Sobel. */
int vnca_model_to_conv3(VncaModel *dst, const VncaModel *src, VncaError *err);
/* dst (allocated here) becomes src with `latent` channels per cell, more
 * than src's. The new channels are written by nothing and read by small
 * random weights (seeded); the new latent dimensions start as the prior. At
 * their mean (zero) the model decodes as src does (to float rounding). Needs
 * a conv3x3 perception. */
int vnca_model_widen(VncaModel *dst, const VncaModel *src, int latent, uint64_t seed,
                     VncaError *err);
/* dst (allocated here) becomes src with the genome `genome`: every cell
 * carries its latent (and, with VNCA_GENOME_POSITION, where it is), read by
 * zero weights at first, so that the model decodes exactly as src does until
 * training grows them in. A cell that holds its latent needs its neighbours
 * only for where it is in the digit, not for what the digit is; one that
 * also holds its place needs them for neither. src must perceive by conv3x3
 * and carry less than `genome`; what it carries already keeps its weights. */
int vnca_model_add_genome(VncaModel *dst, const VncaModel *src, VncaGenome genome,
                          VncaError *err);
/* dst (allocated here) becomes src with a far perception whose taps are
 * `reach` cells apart (above), read by zero weights at first, so that the
 * model decodes exactly as src does until training grows them in. src must
 * perceive by conv3x3 and have no far perception yet. */
int vnca_model_add_far_perception(VncaModel *dst, const VncaModel *src, int reach,
                                  VncaError *err);

/* Model files (safetensors; docs/design.md, section 2): tensor names and PyTorch
 * layouts, config and meta in __metadata__. Save is atomic. Load validates
 * everything and names the file and the problem in its error. */
int vnca_model_save(const VncaModel *m, const char *path, VncaError *err);
int vnca_model_load(VncaModel *m, const char *path, VncaError *err);
/* The config as metadata entries ("vnca.latent", "vnca.schedule", ...) and back. */
int vnca_config_to_meta(const VncaConfig *cfg, VncaMeta *meta);
int vnca_config_from_meta(VncaConfig *cfg, const VncaMeta *meta, VncaError *err);

/* ========================================================================
 * Running the model
 * ===================================================================== */

typedef enum VncaWorkspaceKind {
    VNCA_WS_INFER = 0,   /* encode / decode only */
    VNCA_WS_TRAIN = 1,   /* also keeps every step's activations for backward */
} VncaWorkspaceKind;

/* Buffers for a batch of up to `cap` images. Opaque: reached only through the
 * functions below. One workspace serves one thread at a time. */
typedef struct VncaWorkspace VncaWorkspace;

VncaWorkspace *vnca_workspace_new(const VncaConfig *cfg, int cap, VncaWorkspaceKind kind,
                                  VncaError *err);
void vnca_workspace_free(VncaWorkspace *ws);
/* Bytes the workspace holds (to report memory use). */
size_t vnca_workspace_bytes(const VncaWorkspace *ws);

/* The most OpenMP threads that model work is shared among (OMP_NUM_THREADS,
 * else one a core). Unless OMP_NUM_THREADS is set, the work takes fewer
 * while other processes keep cores busy. */
int vnca_threads(void);

/* x [n, S, S] in [0, 1] -> mu, logsig [n, Z]. n <= cap. */
void vnca_encode(const VncaModel *m, VncaWorkspace *ws, const float *x, int n,
                 float *mu, float *logsig);
/* z [n, Z] -> final logits [n, S, S]; runs the whole growth schedule. */
void vnca_decode(const VncaModel *m, VncaWorkspace *ws, const float *z, int n,
                 float *logits);

/* Bernoulli means (pixel probabilities) of n digits from the prior:
 * z ~ N(0, I) from rng, decoded. probs [n, S, S]. */
void vnca_sample(const VncaModel *m, VncaWorkspace *ws, int n, VncaRng *rng, float *probs);
/* Bernoulli means of x's reconstructions, decoded from the posterior means. */
void vnca_reconstruct(const VncaModel *m, VncaWorkspace *ws, const float *x, int n, float *probs);

typedef struct VncaLoss {
    double loss;   /* negative ELBO = recon + kl, nats per image (batch mean) */
    double recon;  /* BCE summed over pixels, batch mean */
    double kl;     /* KL(q || p), batch mean */
} VncaLoss;

/* Negative ELBO of x [n, S, S] with the reparameterization noise eps [n, Z]
 * given by the caller (so the pass is a pure function of its inputs).
 * Needs a VNCA_WS_TRAIN workspace when vnca_elbo_backward follows. */
VncaLoss vnca_elbo_forward(const VncaModel *m, VncaWorkspace *ws, const float *x,
                           const float *eps, int n);
/* Gradient of the batch-mean loss of the last forward, ACCUMULATED into grads
 * (a flat buffer in the model's layout, layout.n_params floats). */
void vnca_elbo_backward(const VncaModel *m, VncaWorkspace *ws, float *grads);

/* log importance weights: for image i and sample k, with z = mu + sigma*eps[i,k]:
 * logw[i*k_samples + k] = log p(x|z) + log p(z) - log q(z|x).
 * eps [n, k_samples, Z]. Decodes in batches of up to cap. */
void vnca_log_weights(const VncaModel *m, VncaWorkspace *ws, const float *x, int n,
                      const float *eps, int k_samples, double *logw);
/* IWAE bound per image: log p(x_i) >= logsumexp_k logw - log K, with noise from
 * rng; elbo (may be NULL) receives the mean of the K log weights, a Monte
 * Carlo estimate of the ELBO. Allocates K * (Z + 2) floats of scratch; fails
 * only when that fails. */
int vnca_iwae(const VncaModel *m, VncaWorkspace *ws, const float *x, int n, int k_samples,
              VncaRng *rng, double *bound, double *elbo, VncaError *err);
/* k latents drawn from the posterior q(z|x) of one image x [S, S], z = mu +
 * sigma*eps with eps k * Z normals from rng (sample i's before i+1's), and
 * their self-normalized importance weights: the softmax over the k of
 * vnca_log_weights' log p(x|z) + log p(z) - log q(z|x). Written most
 * probable first (equal weights in the order drawn): z [k, Z], weight [k],
 * summing to 1. Allocates about k * (Z + 6) floats of scratch;
 * fails when that fails, when k < 1, or when the model's log weights are not
 * finite (one NaN or +inf, or all -inf). */
int vnca_posterior_samples(const VncaModel *m, VncaWorkspace *ws, const float *x, int k, VncaRng *rng,
                           float *z, double *weight, VncaError *err);

/* ========================================================================
 * Step-by-step decoding
 * ===================================================================== */

/* A decode in progress. Fields are for reading; the cells are edited
 * between steps by the calls below. */
typedef struct VncaGrowth {
    const VncaModel *model;
    int n;              /* images in the batch */
    int stage;          /* current stage, 0 .. n_stages-1 (stays at the last one) */
    int step;           /* updates done in the current stage (may exceed its
                           schedule after growth, for extra steps) */
    int t;              /* updates done in all */
    int grid;           /* current grid side */
    int channels;       /* C */
    float *state;       /* [n, grid, grid, C] */
    float *genome;      /* [n, Z]: each image's z, with a genome (else NULL) */
    float *alive;       /* [n, grid, grid]: 1 where a cell holds its genome (else NULL) */
    float *scratch;     /* private */
    size_t scratch_len;
    struct DecoderTape *tape; /* private: where a training pass records each step */
} VncaGrowth;

/* Buffers for growing up to n images with m; -1 with err when they cannot be
 * had, or when VNCA_ISA names an instruction set this CPU cannot run. */
int vnca_growth_init(VncaGrowth *g, const VncaModel *m, int n, VncaError *err);
void vnca_growth_free(VncaGrowth *g);
/* Starts over: z [n, Z] copied into every cell of the first stage's grid. */
void vnca_growth_seed(VncaGrowth *g, const float *z);
/* One update of every cell. When the current stage's steps are done and a
 * larger stage follows, the cells first divide (the grid doubles). After the
 * schedule is done, further calls are extra steps at full resolution. */
void vnca_growth_step(VncaGrowth *g);
/* True once the whole growth schedule has run. */
int vnca_growth_done(const VncaGrowth *g);
/* Grows to the end: the rest of the schedule, then any divisions left (a
 * schedule whose last stages have no steps), so that the grid is S x S. */
void vnca_growth_finish(VncaGrowth *g);
/* Destroys cell (x, y) of image i: its state zero and, with a genome, its
 * genome gone (it comes back from a living neighbour at the next update). */
void vnca_growth_destroy_cell(VncaGrowth *g, int i, int x, int y);
/* The pixel channel of cell (x, y) of image i set to the logit of
 * probability p (clamped to a finite logit): ink drawn into living cells. */
void vnca_growth_set_pixel(VncaGrowth *g, int i, int x, int y, float p);
/* Every cell's state written whole from cells [n, grid, grid, C] (a copy of
 * `state` taken at the same grid), and every genome back. */
void vnca_growth_set_cells(VncaGrowth *g, const float *cells);
/* Every cell's genome back, as after states written whole over the cells. */
void vnca_growth_revive(VncaGrowth *g);
/* dst takes src's position and states; both were made for the same model
 * and dst holds at least src->n images. */
void vnca_growth_copy(VncaGrowth *dst, const VncaGrowth *src);
/* Channel `ch` of every cell: out [n, grid, grid]. Channel 0 holds the logits. */
void vnca_growth_channel(const VncaGrowth *g, int ch, float *out);
/* The same at full image size, each cell shown as a block (nearest
 * neighbour): out [n, S, S] whatever the current grid. */
void vnca_growth_channel_full(const VncaGrowth *g, int ch, float *out);
/* The pixels' probabilities (the sigmoid of channel 0) at full image size,
 * as vnca_growth_channel_full: out [n, S, S]. */
void vnca_growth_probs_full(const VncaGrowth *g, float *out);

#endif
