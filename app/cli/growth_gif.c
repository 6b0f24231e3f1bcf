#include "growth_gif.h"

#include <stdlib.h>
#include <string.h>

#include "gif_writer.h"
#include "grid.h"

/* Images grown at once: the BLAS's sweet spot, as vnca sample and decode. */
enum { BATCH = 32 };

int growth_gif_options(const CliCommand *cmd, GrowthGifOptions *o)
{
    long scale, delay;
    o->path = cli_value(cmd, "gif");
    if (cli_int(cmd, "gif-scale", 1, 64, 4, &scale) || cli_int(cmd, "gif-delay", 0, 65535, 5, &delay))
        return -1;
    o->scale = (int)scale;
    o->delay_cs = (int)delay;
    return 0;
}

int growth_gif_write(const GrowthGifOptions *o, const VncaModel *m, const float *z, size_t n_images,
                     float *grown, VncaError *err)
{
    /* each digit takes more than a pixel a side */
    if (n_images > GIF_MAX_SIDE)
        return vnca_fail(err, "%s: %zu digits are more than a GIF holds", o->path, n_images);
    const int n = (int)n_images;
    const int size = m->config.image_size, cols = image_grid_columns(n);
    const int frames = vnca_total_steps(&m->config) + 1, batch = n < BATCH ? n : BATCH;
    int w, h;
    image_grid_size(n, size, cols, DIGIT_GRID_GAP, &w, &h);
    const size_t frame_len = (size_t)w * h, pixels = (size_t)size * size;
    if ((long)w * o->scale > GIF_MAX_SIDE || (long)h * o->scale > GIF_MAX_SIDE)
        return vnca_fail(err, "%s: %d digits at scale %d make %ldx%ld pixels, more than a GIF holds "
                         "(%d a side): fewer digits or a smaller --gif-scale", o->path, n, o->scale,
                         (long)w * o->scale, (long)h * o->scale, GIF_MAX_SIDE);
    float *pictures = malloc(frames * frame_len * sizeof(float));
    float *probs = malloc(batch * pixels * sizeof(float));
    VncaGrowth g = {0};
    int rc = -1;
    if (!pictures || !probs) {
        vnca_fail(err, "%s: out of memory for %d frames of %dx%d pixels", o->path, frames, w, h);
        goto done;
    }
    if (vnca_growth_init(&g, m, batch, err)) goto done;
    for (size_t i = 0; i < frames * frame_len; i++) pictures[i] = DIGIT_GRID_BACKGROUND;
    for (int i0 = 0; i0 < n; i0 += batch) {
        g.n = n - i0 < batch ? n - i0 : batch;
        vnca_growth_seed(&g, z + (size_t)i0 * m->config.latent);
        for (int t = 0; t < frames; t++) {
            if (t > 0) vnca_growth_step(&g);
            vnca_growth_probs_full(&g, probs);
            for (int i = 0; i < g.n; i++)
                image_grid_place(pictures + t * frame_len, w, probs + i * pixels, i0 + i, size, cols,
                                 DIGIT_GRID_GAP);
        }
        if (grown) memcpy(grown + (size_t)i0 * pixels, probs, g.n * pixels * sizeof(float));
    }
    rc = gif_write_gray(o->path, pictures, frames, w, h, o->scale, o->delay_cs, err);
done:
    vnca_growth_free(&g);
    free(pictures);
    free(probs);
    return rc;
}
