/* vnca/inpaint.h: filling in unknown pixels by sampling the posterior
 * p(z | x_kept), proportional to p(x_kept | z) p(z), and decoding.
 *
 * Encoding a defaced digit and decoding it reproduces the damage: the encoder
 * reads erased strokes as absent. Instead, proposals come from the encoder
 * run on the defaced image (as is and with widened sigma) and from the prior;
 * each is weighted by self-normalized importance sampling,
 *   w_k ~ p(x_kept | z_k) p(z_k) / r(z_k),   r = the mixture of proposals,
 * where p(x_kept | z) counts only the known pixels. Optionally the best
 * samples are refined by gradient ascent on log p(x_kept | z) + log p(z)
 * through the decoder first. Decodes are batched; the same seed gives the
 * same result. */
#ifndef VNCA_INPAINT_H
#define VNCA_INPAINT_H

#include <stdint.h>

#include "vnca/vnca.h"

typedef struct VncaInpaintOptions {
    int samples;          /* proposals in all (default 64) */
    float widen;          /* sigma factor of the widened encoder proposal (default 2) */
    float prior_share;    /* fraction of proposals drawn from the prior (default 0.25) */
    int refine_steps;     /* gradient-ascent steps on the kept pixels' likelihood (default 0) */
    float refine_lr;      /* step size of the refinement (Adam, default 0.2) */
    uint64_t seed;
    /* Optional (default NULL): asked between batches of decodes and between
     * refinement steps; returning nonzero abandons the inpainting, which then
     * fails with "inpainting stopped". Lets an app drop a long job at once;
     * it may also do brief work of its own there (an animation's next frame),
     * as long as it leaves the inpainting's model and workspace alone. */
    int (*should_stop)(void *ctx);
    void *stop_ctx;
} VncaInpaintOptions;

void vnca_inpaint_defaults(VncaInpaintOptions *opt);

typedef struct VncaInpaintResult {
    int k;                /* samples */
    int latent;           /* Z */
    int size;             /* S */
    float *z;             /* [k, Z] posterior samples */
    double *weight;       /* [k] normalized importance weights (sum 1) */
    double *log_lik;      /* [k] log p(x_kept | z_k) */
    int best;             /* index of the largest weight */
    double ess;           /* effective sample size, 1 / sum w^2 */
    float *prob;          /* [S, S] posterior mean of the pixel probabilities */
} VncaInpaintResult;

/* x [S, S] in [0, 1]; unknown [S, S], nonzero where the pixel is to be filled
 * in. ws must hold at least one image (any kind). */
int vnca_inpaint(const VncaModel *m, VncaWorkspace *ws, const float *x, const uint8_t *unknown,
                 const VncaInpaintOptions *opt, VncaInpaintResult *out, VncaError *err);

/* The two halves of vnca_inpaint, for an app that shows the importance
 * samples at once and the refined ones when they are ready. vnca_inpaint is
 * vnca_inpaint_sample (which ignores refine_steps) followed, when
 * refine_steps > 0, by vnca_inpaint_refine on its result: called so, they
 * give the same result bit for bit.
 *
 * vnca_inpaint_refine takes the min(k, 8) heaviest samples of r (from
 * vnca_inpaint_sample with the same model, x, unknown and opt), refines them
 * by opt->refine_steps steps, and makes r theirs: k becomes their number,
 * heaviest first before refinement, weighed by the unnormalized posterior.
 * On failure (stopped included) r is left as it was. */
int vnca_inpaint_sample(const VncaModel *m, VncaWorkspace *ws, const float *x, const uint8_t *unknown,
                        const VncaInpaintOptions *opt, VncaInpaintResult *out, VncaError *err);
int vnca_inpaint_refine(const VncaModel *m, VncaWorkspace *ws, const float *x, const uint8_t *unknown,
                        const VncaInpaintOptions *opt, VncaInpaintResult *r, VncaError *err);
/* The indices of the n heaviest samples of r into index, heaviest first (on
 * a tie the lower index first); returns how many: min(n, r->k). */
int vnca_inpaint_heaviest(const VncaInpaintResult *r, int *index, int n);
/* Draws a sample index in proportion to the weights. */
int vnca_inpaint_pick(const VncaInpaintResult *r, VncaRng *rng);
void vnca_inpaint_free(VncaInpaintResult *r);

/* Standard masks for evaluation (nonzero = unknown), on a size x size image
 * holding a 28x28 digit centred in it: */
typedef enum VncaMaskKind {
    VNCA_MASK_SQUARE14 = 0,  /* a 14x14 square in the digit's centre */
    VNCA_MASK_LEFT_HALF,     /* the left half */
    VNCA_MASK_TOP_HALF,      /* the top half */
    VNCA_MASK_STROKES,       /* three random thick strokes across the digit (from rng) */
} VncaMaskKind;

int vnca_mask_parse(const char *name, VncaMaskKind *kind);
const char *vnca_mask_name(VncaMaskKind kind);
void vnca_mask_make(VncaMaskKind kind, int size, VncaRng *rng, uint8_t *mask);

/* Scores of an inpainting on its unknown pixels, against the true binary x:
 * the mean negative log-likelihood of the true values under prob (nats per
 * pixel; prob clamped to [1e-6, 1 - 1e-6]) and the accuracy of prob > 0.5. */
void vnca_inpaint_score(const float *x, const float *prob, const uint8_t *unknown, int pixels,
                        double *nll_per_pixel, double *accuracy);

#endif
