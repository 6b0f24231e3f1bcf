/* canvas.h: the picture being edited: a digit and the user's marks on it
 * (erased pixels, drawn ink), kept apart so that the marks can be cleared,
 * undone, and told to the inpainting as "unknown" (erased) and "known" (ink). */
#ifndef VNCA_STUDIO_CANVAS_H
#define VNCA_STUDIO_CANVAS_H

#include <stddef.h>
#include <stdint.h>

typedef enum Mark { MARK_NONE = 0, MARK_ERASED = 1, MARK_INK = 2 } Mark;

typedef struct Canvas {
    int size;         /* S: the model's image side */
    float *digit;     /* [S, S] in [0, 1] */
    uint8_t *marks;   /* [S, S] Mark */
} Canvas;

/* a black digit without marks; -1 when out of memory */
int canvas_init(Canvas *c, int size);
void canvas_free(Canvas *c);

/* the digit as marked: erased pixels 0, ink 1 */
void canvas_picture(const Canvas *c, float *out);
/* nonzero where the pixel was erased */
void canvas_unknown(const Canvas *c, uint8_t *out);
int canvas_has_marks(const Canvas *c);
void canvas_clear_marks(Canvas *c);
/* the digit becomes black, and the marks are cleared */
void canvas_clear(Canvas *c);
/* the digit becomes `pixels` ([S, S]) and the marks are cleared */
void canvas_set_digit(Canvas *c, const float *pixels);
void canvas_mark(Canvas *c, const uint8_t *mask, Mark mark);

/* The whole canvas as one block of bytes, for the undo history. */
size_t canvas_state_len(const Canvas *c);
void canvas_state_save(const Canvas *c, void *buf);
void canvas_state_load(Canvas *c, const void *buf);

/* The pixels of a round brush of `radius` pixels swept from (x0, y0) to
 * (x1, y1) (image coordinates, pixel (i, j) spans [i, i+1) x [j, j+1)): a
 * pixel is covered when its centre is within the radius of the segment.
 * mask [size, size] gets 1 there and 0 elsewhere; returns how many. */
int brush_sweep(int size, float x0, float y0, float x1, float y1, float radius, uint8_t *mask);

/* the squared distance from (px, py) to the segment (x0, y0)-(x1, y1) */
float segment_distance2(float px, float py, float x0, float y0, float x1, float y1);

#endif
