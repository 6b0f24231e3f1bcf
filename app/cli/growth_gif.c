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

int growth_gif_begin(GrowthGif *gif, const GrowthGifOptions *o, const VncaConfig *cfg, size_t n,
                     VncaError *err)
{
    *gif = (GrowthGif){.o = o};
    /* each digit takes more than a pixel a side */
    if (n > GIF_MAX_SIDE) return vnca_fail(err, "%s: %zu digits are more than a GIF holds", o->path, n);
    gif->n = (int)n;
    gif->size = cfg->image_size;
    gif->cols = image_grid_columns(gif->n);
    gif->frames = vnca_total_steps(cfg) + 1;
    image_grid_size(gif->n, gif->size, gif->cols, DIGIT_GRID_GAP, &gif->w, &gif->h);
    if ((long)gif->w * o->scale > GIF_MAX_SIDE || (long)gif->h * o->scale > GIF_MAX_SIDE)
        return vnca_fail(err, "%s: %d digits at scale %d make %ldx%ld pixels, more than a GIF holds "
                         "(%d a side): fewer digits or a smaller --gif-scale", o->path, gif->n, o->scale,
                         (long)gif->w * o->scale, (long)gif->h * o->scale, GIF_MAX_SIDE);
    const size_t len = (size_t)gif->frames * gif->w * gif->h;
    gif->pictures = malloc(len * sizeof(float));
    if (!gif->pictures)
        return vnca_fail(err, "%s: out of memory for %d frames of %dx%d pixels", o->path, gif->frames,
                         gif->w, gif->h);
    for (size_t i = 0; i < len; i++) gif->pictures[i] = DIGIT_GRID_BACKGROUND;
    return 0;
}

void growth_gif_place(GrowthGif *gif, int t, int first, const float *probs, int count)
{
    float *frame = gif->pictures + (size_t)t * gif->w * gif->h;
    for (int i = 0; i < count; i++)
        image_grid_place(frame, gif->w, probs + (size_t)i * gif->size * gif->size, first + i, gif->size,
                         gif->cols, DIGIT_GRID_GAP);
}

int growth_gif_end(GrowthGif *gif, VncaError *err)
{
    const int rc = gif_write_gray(gif->o->path, gif->pictures, gif->frames, gif->w, gif->h,
                                  gif->o->scale, gif->o->delay_cs, err);
    free(gif->pictures);
    gif->pictures = NULL;
    return rc;
}

int growth_gif_write(const GrowthGifOptions *o, const VncaModel *m, const float *z, size_t n_images,
                     float *grown, VncaError *err)
{
    GrowthGif gif;
    if (growth_gif_begin(&gif, o, &m->config, n_images, err)) return -1;
    const int n = gif.n, batch = n < BATCH ? n : BATCH;
    const size_t pixels = (size_t)gif.size * gif.size;
    float *probs = malloc(batch * pixels * sizeof(float));
    VncaGrowth g = {0};
    if (!probs) vnca_fail(err, "%s: out of memory", o->path);
    if (!probs || vnca_growth_init(&g, m, batch, err)) {
        free(gif.pictures);
        free(probs);
        return -1;
    }
    for (int i0 = 0; i0 < n; i0 += batch) {
        g.n = n - i0 < batch ? n - i0 : batch;
        vnca_growth_seed(&g, z + (size_t)i0 * m->config.latent);
        for (int t = 0; t < gif.frames; t++) {
            if (t > 0) vnca_growth_step(&g);
            vnca_growth_probs_full(&g, probs);
            growth_gif_place(&gif, t, i0, probs, g.n);
        }
        if (grown) memcpy(grown + (size_t)i0 * pixels, probs, g.n * pixels * sizeof(float));
    }
    vnca_growth_free(&g);
    free(probs);
    return growth_gif_end(&gif, err);
}
