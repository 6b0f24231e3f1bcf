/* What the canvas shows, as pixels: the one definition behind the screen,
 * saving, and settling what is shown into the digit being edited. */
#include <string.h>

#include "studio.h"

/* Erased pixels on screen: a dark red, so that damage reads as damage. */
static const float erased_tint[3] = {0.32f, 0.06f, 0.08f};
/* Drawn ink: a cool white, told apart from the digit's own ink. */
static const float ink_tint[3] = {0.78f, 0.88f, 1.0f};

/* the frame of the growth on view, or NULL when it has not come yet */
static const WorkerFrame *shown_frame(const Studio *s)
{
    const WorkerFrame *f = &s->live.frame;
    return f->job != 0 && f->job == s->growth_job && f->size == s->canvas.size ? f : NULL;
}

void studio_view_gray(const Studio *s, float *out)
{
    const WorkerFrame *f = shown_frame(s);
    if ((s->show == SHOW_GROWTH && f) || s->show == SHOW_REGROW) studio_view_growth(s, f ? f->prob : NULL, out);
    else canvas_picture(&s->canvas, out);
}

void studio_view_growth(const Studio *s, const float *prob, float *out)
{
    const size_t pixels = (size_t)s->canvas.size * s->canvas.size;
    if (s->show != SHOW_REGROW) {
        memmove(out, prob, pixels * sizeof(float)); /* out may be prob */
        return;
    }
    /* kept pixels stay; the erased ones show the automaton's output (none
     * before its first frame) */
    for (size_t i = 0; i < pixels; i++)
        out[i] = prob && (s->raw_view || s->regrow_unknown[i]) ? prob[i] : s->regrow_picture[i];
}

int studio_view_is_colour(const Studio *s)
{
    return s->channels_view && s->live.frame.job != 0 && s->live.frame.size == s->canvas.size;
}

void studio_view_rgb(const Studio *s, int marked, float *rgb)
{
    const size_t pixels = (size_t)s->canvas.size * s->canvas.size;
    if (studio_view_is_colour(s)) {
        memcpy(rgb, s->live.frame.hidden, 3 * pixels * sizeof(float));
        return;
    }
    studio_view_gray(s, rgb); /* into the first third, spread out below */
    const int show_marks = marked && s->show == SHOW_DIGIT;
    for (size_t i = pixels; i-- > 0;) {
        const float v = rgb[i];
        const uint8_t mark = show_marks ? s->canvas.marks[i] : MARK_NONE;
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = mark == MARK_ERASED ? erased_tint[c] : mark == MARK_INK ? ink_tint[c] : v;
    }
}
