/* An animated GIF read back with giflib, for the tests of what the command
 * line and the studio write. */
#ifndef VNCA_TEST_GIF_FRAMES_H
#define VNCA_TEST_GIF_FRAMES_H

#include <stddef.h>

typedef struct GifFrames {
    int n, w, h;
    unsigned char *gray;   /* [n, h, w]: each pixel's colour's red (the files are gray) */
    int *delay_cs;         /* [n]: each frame's graphics control delay, -1 without one */
    int loops_forever;     /* a NETSCAPE2.0 extension with repeat count 0 */
} GifFrames;

/* -1 with the problem in err when the file is not a GIF whose frames each
 * cover the whole picture. */
int gif_frames_read(const char *path, GifFrames *g, char *err, size_t err_len);
void gif_frames_free(GifFrames *g);

/* Frame f's pixel (x, y). */
static inline int gif_pixel(const GifFrames *g, int f, int x, int y)
{
    return g->gray[((size_t)f * g->h + y) * g->w + x];
}

#endif
