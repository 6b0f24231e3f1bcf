/* A Sobel-perceiving model rewritten as a conv3x3-perceiving one with the
 * same function. */
#include <string.h>

#include "vnca/ops.h"
#include "vnca/vnca.h"

int vnca_model_to_conv3(VncaModel *dst, const VncaModel *src, VncaError *err)
{
    if (src->config.perception != VNCA_PERCEIVE_SOBEL)
        return vnca_fail(err, "the model already perceives by a learned conv3x3");
    VncaConfig cfg = src->config;
    cfg.perception = VNCA_PERCEIVE_CONV3;
    if (vnca_model_alloc(dst, &cfg, err)) return -1;
    if (vnca_meta_copy(&dst->meta, &src->meta)) {
        vnca_model_free(dst);
        return vnca_fail(err, "out of memory for the model's metadata");
    }
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
        for (int ch = 0; ch < c; ch++) {
            float *taps = dst->w.perceive_w + ((size_t)o * c + ch) * 9;
            for (int dy = 0; dy < 3; dy++)
                for (int dx = 0; dx < 3; dx++)
                    taps[dy * 3 + dx] = sobel_w[c + ch] * sobel_kernel_x[dy][dx] +
                                        sobel_w[2 * c + ch] * sobel_kernel_y[dy][dx] +
                                        (dy == 1 && dx == 1 ? sobel_w[ch] : 0.0f);
        }
    }
    return 0;
}
