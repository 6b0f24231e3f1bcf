/* The panel's lines: the model, the growth, the mode and its tools, and
 * what just happened. */
#include "panel.h"

#include <stdarg.h>
#include <stdio.h>

/* how much a line is needed (PanelLine.need): an error, and the mode the
 * tools work in, above all; the decoration first to go */
enum { NEED_DECORATION, NEED_DETAIL, NEED_USEFUL, NEED_STATE, NEED_NEWS, NEED_MODE, NEED_ERROR };

typedef struct Lines {
    PanelLine *line;
    int n;
} Lines;

static PanelLine *add(Lines *ls, const char *label, FontRole role, Tone tone, int need, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static PanelLine *add(Lines *ls, const char *label, FontRole role, Tone tone, int need, const char *fmt, ...)
{
    static PanelLine spare; /* past the last: written, never shown */
    PanelLine *l = ls->n < MAX_PANEL_LINES ? &ls->line[ls->n++] : &spare;
    *l = (PanelLine){.label = label, .role = role, .tone = tone, .need = need};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
    return l;
}

static const char *view_words(const Studio *s)
{
    if (s->mode == MODE_DRAW)
        return s->growth_over_drawing ? "the growth, your drawing over it (O)" : "your drawing, its growth beside (O)";
    if (studio_view_is_colour(s)) return "hidden channels 1, 2, 3 as RGB";
    switch (s->show) {
    case SHOW_GROWTH: return s->mode == MODE_HEAL ? "the live cells" : "a digit growing";
    case SHOW_REGROW: return s->raw_view ? "the decoder's own output" : "kept pixels + regrowth";
    case SHOW_DIGIT: break;
    }
    return canvas_has_marks(&s->canvas) ? "the digit and its damage" : "the digit";
}

static void growth_fields(Lines *ls, const Studio *s)
{
    const WorkerFrame *f = &s->live.frame;
    const VncaConfig *c = &s->live.model.config;
    if (f->job == 0) {
        add(ls, "Stage", FONT_BODY, TONE_INK, NEED_USEFUL, "\u2014");
        return;
    }
    add(ls, "Stage", FONT_BODY, TONE_INK, NEED_USEFUL, "%d \u00d7 %d cells (%d of %d)", f->grid, f->grid,
        f->stage + 1, c->n_stages);
    const int total = vnca_total_steps(c);
    if (f->t <= total) add(ls, "Step", FONT_BODY, TONE_INK, NEED_USEFUL, "%d of %d", f->t, total);
    else add(ls, "Step", FONT_BODY, TONE_INK, NEED_USEFUL, "%d + %d extra", total, f->t - total);
    if (f->job != s->growth_job) return;
    if (f->posterior && f->samples == 0) add(ls, "Latent", FONT_BODY, TONE_INK, NEED_DETAIL, "posterior mean");
    if (f->samples == 0) return;
    char rank[32] = "best";
    if (f->latent_pick > 0) snprintf(rank, sizeof rank, "#%d", f->latent_pick + 1);
    if (f->posterior)
        add(ls, "Latent", FONT_BODY, TONE_INK, NEED_DETAIL, "posterior sample: %s of %d, %.0f%%", rank,
            f->samples, 100.0 * f->weight);
    else if (f->refined > 0)
        add(ls, "Latent", FONT_BODY, TONE_INK, NEED_DETAIL, "refined (%d steps): %s of %d, %.0f%%", f->refined,
            rank, f->samples, 100.0 * f->weight);
    else
        add(ls, "Latent", FONT_BODY, TONE_INK, NEED_DETAIL, "%s of %d samples, %.0f%%", rank, f->samples,
            100.0 * f->weight);
}

int panel_lines(const Studio *s, PanelLine *lines)
{
    Lines ls = {lines, 0};
    add(&ls, NULL, FONT_TITLE, TONE_INK, NEED_DECORATION, "vnca studio");
    add(&ls, "Model", FONT_BODY, TONE_INK, NEED_STATE, "%s", s->live.model.name)->gap_before = 1;
    add(&ls, NULL, FONT_SMALL, TONE_DIM, NEED_DETAIL, "%s", s->live.model.summary)->indent = 1;
    const int growth = ls.n;
    growth_fields(&ls, s);
    ls.line[growth].gap_before = 1;
    add(&ls, "Mode", FONT_BODY, TONE_INK, NEED_MODE, "%s",
        s->mode == MODE_HEAL ? "heal" : s->mode == MODE_DRAW ? "draw" : "regrow");
    if (s->mode == MODE_DRAW)
        add(&ls, NULL, FONT_SMALL, TONE_DIM, NEED_STATE, "%s",
            "Left drag: pen; right drag: rub out; wheel: pen size. Enter grows your digit; "
            "O: the growth beside / under the drawing.");
    if (s->mode == MODE_HEAL && s->live.model.config.variant != VNCA_VARIANT_PERSISTENT)
        add(&ls, NULL, FONT_SMALL, TONE_WARNING, NEED_STATE, "%s",
            s->heal_model[0] ? "This model was trained to grow, not to heal: its cells may not "
                               "recover. L loads one trained to heal."
                             : "This model was trained to grow, not to heal: its cells may not recover.");
    add(&ls, "View", FONT_BODY, TONE_INK, NEED_USEFUL, "%s", view_words(s));
    add(&ls, "Brush", FONT_BODY, TONE_INK, NEED_USEFUL, "radius %.1f px", s->brush_radius);
    char pace[64] = "as fast as it goes";
    if (s->pace.steps_per_s > 0) snprintf(pace, sizeof pace, "%g steps/s", s->pace.steps_per_s);
    add(&ls, "Pace", FONT_BODY, s->pace.paused ? TONE_WARNING : TONE_INK, NEED_STATE, "%s%s", pace,
        s->pace.paused ? ", paused" : "");
    PanelLine *first_news = NULL;
    if (s->live.busy[0]) first_news = add(&ls, NULL, FONT_SMALL, TONE_ACCENT, NEED_NEWS, "%s\u2026", s->live.busy);
    PanelLine *status = add(&ls, NULL, FONT_SMALL, s->status_is_error ? TONE_FAILURE : TONE_DIM,
                            s->status_is_error ? NEED_ERROR : NEED_NEWS, "%s", s->status);
    (first_news ? first_news : status)->gap_before = 1;
    return ls.n;
}
