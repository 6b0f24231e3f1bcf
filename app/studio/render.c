/* Drawing: the canvas, draw mode's drawing, the brush's outline, the strip
 * of alternatives, the panel, the error screen and the help overlay. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_io.h"
#include "input.h"

static const SDL_Color background = {24, 25, 30, 255};
static const SDL_Color panel_fill = {34, 36, 43, 255};
static const SDL_Color frame_line = {64, 67, 78, 255};
static const SDL_Color button_fill = {54, 58, 72, 255};
static const SDL_Color ink = {226, 229, 236, 255};
static const SDL_Color dim = {140, 146, 162, 255};
static const SDL_Color accent = {126, 192, 255, 255};
static const SDL_Color warning = {255, 204, 112, 255};
static const SDL_Color failure = {255, 124, 112, 255};

static void fill(SDL_Renderer *r, const SDL_Rect *rect, SDL_Color c)
{
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(r, rect);
}

static void outline(SDL_Renderer *r, const SDL_Rect *rect, SDL_Color c)
{
    SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
    SDL_RenderDrawRect(r, rect);
}

/* ---- canvas ------------------------------------------------------------ */

static int ensure_canvas_texture(Screen *sc, int size)
{
    if (sc->canvas && sc->canvas_size == size) return 0;
    if (sc->canvas) SDL_DestroyTexture(sc->canvas);
    free(sc->rgb);
    sc->canvas = SDL_CreateTexture(sc->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING, size, size);
    sc->rgb = malloc((size_t)size * size * 3 * sizeof(float));
    if (!sc->canvas || !sc->rgb) {
        fprintf(stderr, "vnca-studio: cannot make the canvas: %s\n", sc->canvas ? "out of memory" : SDL_GetError());
        return -1;
    }
    /* nearest neighbour: the pixels are the point of the picture */
    SDL_SetTextureScaleMode(sc->canvas, SDL_ScaleModeNearest);
    sc->canvas_size = size;
    return 0;
}

/* a NaN (cells that blew up) fails both tests: black */
static Uint8 byte_of(float v) { return (Uint8)(v > 0.0f ? v < 1.0f ? v * 255.0f + 0.5f : 255.0f : 0.0f); }

/* what the canvas shows, into `where` */
static void draw_canvas(Screen *sc, const SDL_Rect *where, const Studio *s)
{
    const int size = s->canvas.size;
    if (ensure_canvas_texture(sc, size)) return;
    studio_view_rgb(s, 1, sc->rgb);
    Uint8 *texels;
    int pitch;
    if (SDL_LockTexture(sc->canvas, NULL, (void **)&texels, &pitch) == 0) {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < 3 * size; x++) texels[y * pitch + x] = byte_of(sc->rgb[(size_t)y * 3 * size + x]);
        SDL_UnlockTexture(sc->canvas);
    }
    SDL_RenderCopy(sc->renderer, sc->canvas, NULL, where);
}

static void draw_frame(Screen *sc, const SDL_Rect *where)
{
    const SDL_Rect border = {where->x - 1, where->y - 1, where->w + 2, where->h + 2};
    outline(sc->renderer, &border, frame_line);
}

static int ensure_sketch_texture(Screen *sc, int side)
{
    if (sc->sketch && sc->sketch_side == side) return 0;
    if (sc->sketch) SDL_DestroyTexture(sc->sketch);
    sc->sketch = SDL_CreateTexture(sc->renderer, SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING, side, side);
    if (!sc->sketch) {
        fprintf(stderr, "vnca-studio: cannot make the drawing's texture: %s\n", SDL_GetError());
        return -1;
    }
    /* smooth: the drawing is finer than the image, and a pen's line, not pixels */
    SDL_SetTextureScaleMode(sc->sketch, SDL_ScaleModeLinear);
    SDL_SetTextureBlendMode(sc->sketch, SDL_BLENDMODE_BLEND);
    sc->sketch_side = side;
    return 0;
}

/* the drawing into `where`, in `colour` at `alpha` over what is there */
static void draw_sketch(Screen *sc, const SDL_Rect *where, const Sketch *k, SDL_Color colour, Uint8 alpha)
{
    if (ensure_sketch_texture(sc, k->side)) return;
    Uint8 *texels;
    int pitch;
    if (SDL_LockTexture(sc->sketch, NULL, (void **)&texels, &pitch) == 0) {
        for (int y = 0; y < k->side; y++)
            for (int x = 0; x < k->side; x++) {
                Uint8 *t = texels + y * pitch + 4 * x;
                t[0] = t[1] = t[2] = 255;
                t[3] = (Uint8)(k->ink[(size_t)y * k->side + x] * 255.0f + 0.5f);
            }
        SDL_UnlockTexture(sc->sketch);
    }
    SDL_SetTextureColorMod(sc->sketch, colour.r, colour.g, colour.b);
    SDL_SetTextureAlphaMod(sc->sketch, alpha);
    SDL_RenderCopy(sc->renderer, sc->sketch, NULL, where);
}

/* Draw mode: the drawing, white on black, with the growth beside it; or
 * the growth with the drawing over it, tinted and translucent. */
static void draw_drawing(Screen *sc, const Layout *l, const Studio *s)
{
    static const SDL_Color black = {0, 0, 0, 255}, white = {255, 255, 255, 255};
    if (s->growth_over_drawing) {
        draw_canvas(sc, &l->canvas, s);
        draw_sketch(sc, &l->canvas, &s->sketch, accent, 110);
    } else {
        fill(sc->renderer, &l->canvas, black);
        draw_sketch(sc, &l->canvas, &s->sketch, white, 255);
        draw_canvas(sc, &l->beside, s);
        draw_frame(sc, &l->beside);
    }
    draw_frame(sc, &l->canvas);
}

static void draw_brush(Screen *sc, const Layout *l, const Studio *s)
{
    if (!s->pointer_on_canvas && !s->stroking) return;
    enum { SEGMENTS = 64 };
    SDL_FPoint ring[SEGMENTS + 1];
    float cx, cy;
    layout_from_image(l, s->pointer_x, s->pointer_y, &cx, &cy);
    const float radius = s->brush_radius * l->zoom;
    for (int i = 0; i <= SEGMENTS; i++) {
        const float a = 2.0f * (float)M_PI * i / SEGMENTS;
        ring[i] = (SDL_FPoint){cx + radius * cosf(a), cy + radius * sinf(a)};
    }
    SDL_SetRenderDrawColor(sc->renderer, accent.r, accent.g, accent.b, 230);
    SDL_RenderDrawLinesF(sc->renderer, ring, SEGMENTS + 1);
}

/* ---- the strip of alternatives ----------------------------------------- */

/* the thumbnails, side by side in one texture, remade when they change */
static int update_strip_texture(Screen *sc, const WorkerAlternatives *a)
{
    if (sc->strip && sc->strip_seq == a->seq) return 0;
    int w = 0, h = 0;
    if (sc->strip) SDL_QueryTexture(sc->strip, NULL, NULL, &w, &h);
    if (!sc->strip || w != ALTERNATIVES_MAX * a->size || h != a->size) {
        if (sc->strip) SDL_DestroyTexture(sc->strip);
        sc->strip = SDL_CreateTexture(sc->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING,
                                      ALTERNATIVES_MAX * a->size, a->size);
        if (!sc->strip) return -1;
        SDL_SetTextureScaleMode(sc->strip, SDL_ScaleModeNearest);
    }
    Uint8 *texels;
    int pitch;
    if (SDL_LockTexture(sc->strip, NULL, (void **)&texels, &pitch)) return -1;
    const int size = a->size;
    for (int i = 0; i < ALTERNATIVES_MAX; i++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                const Uint8 v = byte_of(a->thumb[((size_t)i * size + y) * size + x]);
                Uint8 *px = texels + y * pitch + 3 * (i * size + x);
                px[0] = px[1] = px[2] = v;
            }
    SDL_UnlockTexture(sc->strip);
    sc->strip_seq = a->seq;
    return 0;
}

/* the thumbnail of the latent on view, or -1 */
static int alternative_on_view(const Studio *s, const WorkerAlternatives *a)
{
    const WorkerFrame *f = &s->live.frame;
    const int same_list = f->job == s->growth_job && f->samples == a->source.samples &&
                          f->refined == a->source.refined && f->posterior == a->source.posterior;
    return same_list && f->latent_pick < a->count ? f->latent_pick : -1;
}

/* after a regrow its most probable latents, after a drawing samples of its
 * posterior: as thumbnails, each with its weight */
static void draw_alternatives(Screen *sc, const Layout *l, const Studio *s)
{
    const WorkerAlternatives *a = studio_alternatives(s);
    if (!a || update_strip_texture(sc, a)) return;
    const int on_view = alternative_on_view(s, a);
    for (int i = 0; i < a->count; i++) {
        const SDL_Rect *r = &l->alternative[i];
        const SDL_Rect src = {i * a->size, 0, a->size, a->size};
        SDL_RenderCopy(sc->renderer, sc->strip, &src, r);
        const SDL_Rect border = {r->x - 1, r->y - 1, r->w + 2, r->h + 2};
        outline(sc->renderer, &border, i == on_view ? accent : frame_line);
        char label[32];
        snprintf(label, sizeof label, "%d: %.0f%%", i + 1, 100.0 * a->weight[i]);
        int w, h;
        text_measure(sc->text, FONT_SMALL, label, &w, &h);
        text_draw(sc->text, FONT_SMALL, label, r->x + (r->w - w) / 2, r->y + r->h + 2, i == on_view ? accent : dim, 0);
    }
}

/* ---- panel ------------------------------------------------------------- */

typedef struct Pen {
    Screen *sc;
    int x, y, w;          /* where the next line goes, and the width to wrap at */
} Pen;

static void note(Pen *p, FontRole role, const char *s, SDL_Color colour)
{
    p->y += text_draw(p->sc->text, role, s, p->x, p->y, colour, p->w);
}

static SDL_Color tone_colour(Tone tone)
{
    switch (tone) {
    case TONE_DIM: return dim;
    case TONE_ACCENT: return accent;
    case TONE_WARNING: return warning;
    case TONE_FAILURE: return failure;
    case TONE_INK: break;
    }
    return ink;
}

/* the lines and buttons where the layout put them */
static void draw_panel(Screen *sc, const Layout *l)
{
    fill(sc->renderer, &l->panel, panel_fill);
    Text *t = sc->text;
    for (int i = 0; i < l->n_lines; i++) {
        const PanelLine *line = &l->line[i];
        if (line->label && l->line_label[i].h > 0) text_draw_in(t, FONT_BODY, line->label, &l->line_label[i], dim, 0);
        if (l->line_text[i].h > 0)
            text_draw_in(t, line->role, line->text, &l->line_text[i], tone_colour(line->tone), l->text_wrap[i]);
    }
    for (int i = 0; i < N_BUTTONS; i++) {
        fill(sc->renderer, &l->button[i], button_fill);
        int w, h;
        text_measure(t, l->button_font, buttons[i].label, &w, &h);
        const SDL_Rect label = {l->button[i].x + (l->button[i].w - w) / 2, l->button[i].y + (l->button[i].h - h) / 2,
                                w, h};
        text_draw_in(t, l->button_font, buttons[i].label, &label, ink, 0);
    }
}

/* ---- whole screens ----------------------------------------------------- */

/* no model: why, and what to do about it, on a card in the middle */
static void draw_model_missing(Screen *sc, const Layout *l, const Studio *s)
{
    const int card_w = l->w * 3 / 4, inset = 2 * l->pad, line = text_line_height(sc->text, FONT_BODY);
    SDL_Rect card = {(l->w - card_w) / 2, l->h / 8, card_w, l->h * 3 / 4};
    fill(sc->renderer, &card, panel_fill);
    outline(sc->renderer, &card, frame_line);
    /* in a small window the words are cut at the card's edge, not spilt over it */
    SDL_RenderSetClipRect(sc->renderer, &card);
    Pen p = {sc, card.x + inset, card.y + inset, card.w - 2 * inset};
    if (!s->model_error[0]) {
        note(&p, FONT_TITLE, "Loading the model\u2026", ink);
        note(&p, FONT_BODY, s->live.busy, dim);
        SDL_RenderSetClipRect(sc->renderer, NULL);
        return;
    }
    note(&p, FONT_TITLE, "No model loaded", failure);
    p.y += line / 2;
    note(&p, FONT_BODY, s->model_error, ink);
    p.y += line;
    note(&p, FONT_BODY, "Drop a model file (.safetensors) onto this window to load it, "
                        "or start vnca-studio --model FILE.", ink);
    p.y += line / 2;
    note(&p, FONT_BODY, "F1: keys and mouse.   Ctrl+Q: quit.", dim);
    if (s->status[0] && s->status_is_error && strcmp(s->status, s->model_error) != 0) {
        p.y += line;
        note(&p, FONT_SMALL, s->status, failure);
    }
    SDL_RenderSetClipRect(sc->renderer, NULL);
}

static void draw_help(Screen *sc, const Layout *l)
{
    enum { MAX_LINES = 48 };
    HelpLine lines[MAX_LINES];
    const int n = input_help(lines, MAX_LINES);
    SDL_SetRenderDrawColor(sc->renderer, 8, 9, 12, 200);
    const SDL_Rect all = {0, 0, l->w, l->h};
    SDL_RenderFillRect(sc->renderer, &all);

    /* a card sized to its lines: the body font when it fits, the small one when not */
    FontRole role = FONT_BODY;
    const int title_h = text_line_height(sc->text, FONT_TITLE) * 3 / 2;
    if (title_h + n * text_line_height(sc->text, FONT_BODY) > l->h - 4 * l->pad) role = FONT_SMALL;
    int keys_w = 0, what_w = 0;
    for (int i = 0; i < n; i++) {
        int w, h;
        text_measure(sc->text, role, lines[i].keys, &w, &h);
        keys_w = w > keys_w ? w : keys_w;
        text_measure(sc->text, role, lines[i].what, &w, &h);
        what_w = w > what_w ? w : what_w;
    }
    const int gap = 2 * l->pad;
    int card_w = keys_w + gap + what_w + 2 * gap;
    card_w = card_w > l->w - 2 * l->pad ? l->w - 2 * l->pad : card_w;
    int card_h = title_h + n * text_line_height(sc->text, role) + 2 * gap;
    card_h = card_h > l->h - 2 * l->pad ? l->h - 2 * l->pad : card_h;
    const SDL_Rect card = {(l->w - card_w) / 2, (l->h - card_h) / 2, card_w, card_h};
    fill(sc->renderer, &card, panel_fill);
    outline(sc->renderer, &card, frame_line);

    SDL_RenderSetClipRect(sc->renderer, &card); /* a window too small for it all cuts the list */
    const int x = card.x + gap, what_x = x + keys_w + gap;
    int y = card.y + gap;
    text_draw(sc->text, FONT_TITLE, "Keys and mouse", x, y, ink, 0);
    y += title_h;
    for (int i = 0; i < n; i++) {
        text_draw(sc->text, role, lines[i].keys, x, y, accent, 0);
        y += text_draw(sc->text, role, lines[i].what, what_x, y, ink, card.x + card.w - gap - what_x);
    }
    SDL_RenderSetClipRect(sc->renderer, NULL);
}

void screen_draw(Screen *sc, const Layout *l, const Studio *s)
{
    SDL_Renderer *r = sc->renderer;
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r, background.r, background.g, background.b, 255);
    SDL_RenderClear(r);
    if (!s->live.model.loaded || s->canvas.size == 0) {
        draw_model_missing(sc, l, s);
    } else {
        if (s->mode == MODE_DRAW) draw_drawing(sc, l, s);
        else {
            draw_canvas(sc, &l->canvas, s);
            draw_frame(sc, &l->canvas);
        }
        draw_alternatives(sc, l, s);
        draw_brush(sc, l, s);
        draw_panel(sc, l);
    }
    if (s->help) draw_help(sc, l);
    text_end_frame(sc->text);
}

void screen_free(Screen *sc)
{
    if (sc->canvas) SDL_DestroyTexture(sc->canvas);
    if (sc->sketch) SDL_DestroyTexture(sc->sketch);
    if (sc->strip) SDL_DestroyTexture(sc->strip);
    free(sc->rgb);
    sc->strip = NULL;
    sc->canvas = NULL;
    sc->sketch = NULL;
    sc->rgb = NULL;
}

int screen_capture(Screen *sc, int w, int h, const char *path, VncaError *err)
{
    const size_t n = (size_t)w * h * 3;
    Uint8 *bytes = malloc(n);
    float *rgb = malloc(n * sizeof(float));
    int rc = -1;
    if (!bytes || !rgb) vnca_fail(err, "%s: out of memory for a %dx%d screenshot", path, w, h);
    else if (SDL_RenderReadPixels(sc->renderer, NULL, SDL_PIXELFORMAT_RGB24, bytes, w * 3))
        vnca_fail(err, "%s: cannot read the window's pixels: %s", path, SDL_GetError());
    else {
        for (size_t i = 0; i < n; i++) rgb[i] = bytes[i] / 255.0f;
        rc = image_save_png(path, rgb, w, h, 3, err);
    }
    free(bytes);
    free(rgb);
    return rc;
}
