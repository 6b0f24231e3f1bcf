/* growth_gif.h: --gif FILE of vnca sample and vnca decode: digits growing
 * from their latents, every step, as one looping GIF. */
#ifndef VNCA_CLI_GROWTH_GIF_H
#define VNCA_CLI_GROWTH_GIF_H

#include <stddef.h>

#include "args.h"
#include "vnca/vnca.h"

typedef struct GrowthGifOptions {
    const char *path;     /* NULL: no GIF asked for */
    int scale;            /* pixels a side per image pixel */
    int delay_cs;         /* each frame's time, hundredths of a second */
} GrowthGifOptions;

/* The options' table entries, for a command's CliOption list. */
#define GROWTH_GIF_CLI_OPTIONS                                                                   \
    {"gif", 0, "FILE", "the growth, every step, as a looping animated GIF", 0},            \
    {"gif-scale", 0, "N", "GIF pixels a side per image pixel (default 4)", 0},                  \
    {"gif-delay", 0, "CS", "GIF frame time in hundredths of a second (default 5)", 0}

/* Reads them from a parsed command; -1 after a message when malformed. */
int growth_gif_options(const CliCommand *cmd, GrowthGifOptions *o);

/* The frames of a growth GIF as they are grown: every step of n digits,
 * the seed (the first stage's grid, each cell a block) and then one frame
 * per update, vnca_total_steps + 1 frames in all, the pixels'
 * probabilities, the digits laid out as the PNG grids do, in
 * image_grid_columns(n) columns. */
typedef struct GrowthGif {
    const GrowthGifOptions *o;
    int n, size, cols, frames, w, h;
    float *pictures;      /* [frames, h, w] */
} GrowthGif;

/* For n digits of m's images; -1 after err when they cannot make a GIF. */
int growth_gif_begin(GrowthGif *gif, const GrowthGifOptions *o, const VncaConfig *cfg, size_t n,
                     VncaError *err);
/* Frame t of digits [first, first + count), their probabilities [count, S, S]. */
void growth_gif_place(GrowthGif *gif, int t, int first, const float *probs, int count);
/* Writes the GIF to o->path and frees the frames (also after a failure). */
int growth_gif_end(GrowthGif *gif, VncaError *err);

/* A growth of z [n, Z] with m as a GIF at o->path; the grown digits'
 * probabilities [n, S, S] go to `grown` too, unless NULL. */
int growth_gif_write(const GrowthGifOptions *o, const VncaModel *m, const float *z, size_t n,
                     float *grown, VncaError *err);

#endif
