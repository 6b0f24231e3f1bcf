/* sketch.h: the drawing of draw mode: a digit drawn by hand with a pen, on
 * its own canvas finer than the model's images (SKETCH_ZOOM pixels a side per
 * image pixel), so that strokes are smooth; growing it turns it into a digit
 * the way an imported picture is. */
#ifndef VNCA_STUDIO_SKETCH_H
#define VNCA_STUDIO_SKETCH_H

#include <stddef.h>

enum { SKETCH_ZOOM = 4 };

typedef struct Sketch {
    int side;     /* image side * SKETCH_ZOOM */
    float *ink;   /* [side, side] in [0, 1], 0 where nothing is drawn */
} Sketch;

/* a blank sketch for images of image_size a side; -1 when out of memory */
int sketch_init(Sketch *k, int image_size);
void sketch_free(Sketch *k);
void sketch_clear(Sketch *k);
int sketch_is_blank(const Sketch *k);

/* A round pen of `radius` image pixels swept from (x0, y0) to (x1, y1)
 * (image coordinates), antialiased: a sketch pixel gets the share of it the
 * pen covers, as ink (`ink` nonzero: the ink only grows) or rubbing out
 * (the ink only fades). */
void sketch_stroke(Sketch *k, float x0, float y0, float x1, float y1, float radius, int ink);

/* The ink as one block of bytes, for the undo history. */
size_t sketch_state_len(const Sketch *k);
void sketch_state_save(const Sketch *k, void *buf);
void sketch_state_load(Sketch *k, const void *buf);

#endif
