/* A model rewritten into a larger configuration that computes the same
 * function, so that training can go on from it with more freedom. */
#include <string.h>

#include "vnca/ops.h"
#include "vnca/vnca.h"

/* dst allocated for cfg, with src's metadata */
static int alloc_like(VncaModel *dst, const VncaModel *src, const VncaConfig *cfg, VncaError *err)
{
    if (vnca_model_alloc(dst, cfg, err)) return -1;
    if (vnca_meta_copy(&dst->meta, &src->meta)) {
        vnca_model_free(dst);
        return vnca_fail(err, "out of memory for the model's metadata");
    }
    return 0;
}

/* dst's tensors that src has too (by name, of the same shape: the rewrites
 * below only add tensors) take src's weights */
static void copy_named_tensors(VncaModel *dst, const VncaModel *src)
{
    for (int i = 0; i < dst->layout.n; i++) {
        const VncaTensorSpec *to = &dst->layout.t[i];
        const VncaTensorSpec *from = vnca_layout_find(&src->layout, to->name);
        if (from) memcpy(dst->params + to->offset, src->params + from->offset, to->numel * sizeof(float));
    }
}

/* dst allocated for cfg, which adds tensors to src's: src's keep their
 * weights, the new ones are zero */
static int extend(VncaModel *dst, const VncaModel *src, const VncaConfig *cfg, VncaError *err)
{
    if (alloc_like(dst, src, cfg, err)) return -1;
    copy_named_tensors(dst, src);
    return 0;
}

int vnca_model_to_conv3(VncaModel *dst, const VncaModel *src, VncaError *err)
{
    if (src->config.perception != VNCA_PERCEIVE_SOBEL)
        return vnca_fail(err, "the model already perceives by a learned conv3x3");
    VncaConfig cfg = src->config;
    cfg.perception = VNCA_PERCEIVE_CONV3;
    if (alloc_like(dst, src, &cfg, err)) return -1;
    /* the two layouts name the same tensors in the same order; only the
     * perception's weight differs in shape */
    for (int i = 0; i < src->layout.n; i++) {
        const VncaTensorSpec *from = &src->layout.t[i], *to = &dst->layout.t[i];
        if (from->numel == to->numel)
            memcpy(dst->params + to->offset, src->params + from->offset, from->numel * sizeof(float));
    }
    /* Sobel's 1x1 weight [H, 3C] reads each cell's [identity, Sobel-x,
     * Sobel-y] of channel c; the conv3x3 weight [H, C, 3, 3] reads the 3x3
     * neighbourhood of channel c directly, so each tap is the sum of the
     * three filters' taps, weighted. */
    const int c = cfg.latent, h = cfg.hidden;
    for (int o = 0; o < h; o++) {
        const float *sobel_w = src->w.perceive_w + (size_t)o * 3 * c;
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++) {
                float *tap = dst->w.perceive_w + ((size_t)o * 9 + dy * 3 + dx) * c;
                for (int ch = 0; ch < c; ch++)
                    tap[ch] = sobel_w[c + ch] * sobel_kernel_x[dy][dx] +
                              sobel_w[2 * c + ch] * sobel_kernel_y[dy][dx] +
                              (dy == 1 && dx == 1 ? sobel_w[ch] : 0.0f);
            }
    }
    return 0;
}

int vnca_model_widen(VncaModel *dst, const VncaModel *src, int latent, uint64_t seed,
                     VncaError *err)
{
    const VncaConfig *from_cfg = &src->config;
    if (latent <= from_cfg->latent)
        return vnca_fail(err, "latent size %d does not widen the model's %d", latent, from_cfg->latent);
    if (from_cfg->perception != VNCA_PERCEIVE_CONV3)
        return vnca_fail(err, "only a conv3x3 perception can take more channels per cell "
                              "(rewrite the Sobel one as conv3x3 first)");
    VncaConfig cfg = *from_cfg;
    cfg.latent = latent;
    if (alloc_like(dst, src, &cfg, err)) return -1;
    vnca_model_init(dst, seed);
    /* Every weight is [outputs, taps, inputs] in memory (one tap but for a
     * k x k conv's), so new channels are new columns at the end of each
     * tap's. The old rows keep their weights. New channels are new rows of the output layer, zero as a fresh model's, so nothing
     * writes them: they hold their seed, the new latent dimensions, which
     * the encoder's new rows (zero) make the prior's N(0, 1). At those
     * latents' mean the channels stay zero, so the model decodes exactly as
     * before, though the perception reads them by small random weights:
     * were those zero too, every gradient into the new channels would be
     * zero, and they would grow in only by the noise of sampled latents. */
    const float new_channel_reads = 0.1f; /* of a fresh model's weights */
    for (int i = 0; i < src->layout.n; i++) {
        const VncaTensorSpec *from = &src->layout.t[i], *to = &dst->layout.t[i];
        const size_t taps = vnca_tensor_taps(from);
        const size_t rows = (size_t)from->shape[0], cols = from->numel / rows / taps;
        const size_t to_rows = (size_t)to->shape[0], to_cols = to->numel / to_rows / taps;
        float *base = dst->params + to->offset;
        const int is_fc = base == dst->w.fc_w || base == dst->w.fc_b;
        if (is_fc) /* [mean; log-sigma]: the new latents' rows in both halves */
            memset(base, 0, to->numel * sizeof(float));
        for (size_t r = 0; r < rows; r++)
            for (size_t t = 0; t < taps; t++) {
                const size_t to_r = is_fc && r >= rows / 2 ? r + (to_rows - rows) / 2 : r;
                float *row = base + (to_r * taps + t) * to_cols;
                memcpy(row, src->params + from->offset + (r * taps + t) * cols, cols * sizeof(float));
                if (base == dst->w.perceive_w) /* its new columns read the new channels */
                    for (size_t col = cols; col < to_cols; col++) row[col] *= new_channel_reads;
                else
                    memset(row + cols, 0, (to_cols - cols) * sizeof(float));
            }
    }
    return 0;
}

int vnca_model_add_genome(VncaModel *dst, const VncaModel *src, VncaGenome genome,
                          VncaError *err)
{
    if (src->config.genome >= genome)
        return vnca_fail(err, "the model's genome already holds %s",
                         vnca_genome_name(src->config.genome));
    if (src->config.perception != VNCA_PERCEIVE_CONV3)
        return vnca_fail(err, "only a conv3x3 perception can take a genome "
                              "(rewrite the Sobel one as conv3x3 first)");
    VncaConfig cfg = src->config;
    cfg.genome = genome;
    return extend(dst, src, &cfg, err);
}

int vnca_model_add_far_perception(VncaModel *dst, const VncaModel *src, int reach, VncaError *err)
{
    if (src->config.far_reach)
        return vnca_fail(err, "the model already perceives %d cells away", src->config.far_reach);
    if (src->config.perception != VNCA_PERCEIVE_CONV3)
        return vnca_fail(err, "only a conv3x3 perception can take a far one "
                              "(rewrite the Sobel one as conv3x3 first)");
    VncaConfig cfg = src->config;
    cfg.far_reach = reach;
    return extend(dst, src, &cfg, err);
}
