/* gif_writer.h: animations as GIF files that loop forever (giflib), such as
 * a digit growing step by step. */
#ifndef VNCA_APP_GIF_WRITER_H
#define VNCA_APP_GIF_WRITER_H

#include "vnca/error.h"

/* The widest or tallest picture a GIF can hold (its sizes are 16-bit). */
enum { GIF_MAX_SIDE = 65535 };

/* frames [n_frames, h, w] of gray in [0, 1] (clamped; 256 levels), each
 * pixel drawn as a scale x scale block, each frame shown for delay_cs
 * hundredths of a second; the animation repeats forever. Written
 * atomically (a temporary file renamed over path), so that a failure (a
 * missing folder, a full disk) leaves no file behind; the error names path
 * and the problem. */
int gif_write_gray(const char *path, const float *frames, int n_frames, int w, int h, int scale,
                   int delay_cs, VncaError *err);

#endif
