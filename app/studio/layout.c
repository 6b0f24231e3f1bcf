/* The window's layout: the canvas on the left (in draw mode the drawing,
 * with the growth beside it), as large as whole pixels allow, the strip of
 * alternatives under it, and the panel on the right, or under the canvas in
 * a narrow window, with its buttons at its foot and as many of its lines
 * above them as there is room for. */
#include "layout.h"

const Button buttons[N_BUTTONS] = {
    [BUTTON_REGROW] = {"Regrow", "regrow", INTENT_REGROW},
    [BUTTON_RESAMPLE] = {"Resample", "resample", INTENT_RESAMPLE},
    [BUTTON_NEW] = {"New digit", "new", INTENT_NEW_DIGIT},
    [BUTTON_DRAW] = {"Draw", "draw", INTENT_BLANK},
    [BUTTON_HELP] = {"Keys", "help", INTENT_TOGGLE_HELP},
};

/* in window points */
enum { PANEL_WIDTH = 330, PAD = 16, BUTTON_HEIGHT = 34, THUMB_MAX = 64, LABEL_HEIGHT = 18 };

/* the side of the strip's thumbnails in an area `width` wide: eight in a
 * row, at most THUMB_MAX */
static int thumb_side(const Layout *l, int width)
{
    const int thumb = (width - (ALTERNATIVES_MAX - 1) * (l->pad / 2)) / ALTERNATIVES_MAX;
    return thumb > (int)(THUMB_MAX * l->scale) ? (int)(THUMB_MAX * l->scale) : thumb < 1 ? 1 : thumb;
}

/* the height the strip takes at the foot of an area `width` wide, with the
 * gap above it */
static int strip_height(const Layout *l, int width)
{
    return thumb_side(l, width) + (int)(LABEL_HEIGHT * l->scale) + l->pad;
}

/* the zoom of `panes` canvases side by side in an area_w x area_h area,
 * above the strip */
static int canvas_zoom(const Layout *l, int panes, int area_w, int area_h)
{
    area_h -= strip_height(l, area_w);
    const int pane_w = (area_w - (panes - 1) * l->pad) / panes;
    const int side = pane_w < area_h ? pane_w : area_h;
    return l->image_size > 0 && side >= l->image_size ? side / l->image_size : 1;
}

/* the canvas (and the drawing beside it) in `area`, the strip at its foot */
static void place_canvas(Layout *l, int panes, SDL_Rect area)
{
    const int thumb = thumb_side(l, area.w), gap = l->pad / 2;
    const int strip_w = ALTERNATIVES_MAX * thumb + (ALTERNATIVES_MAX - 1) * gap;
    l->label_h = (int)(LABEL_HEIGHT * l->scale);
    const int strip_y = area.y + area.h - l->label_h - thumb;
    for (int i = 0; i < ALTERNATIVES_MAX; i++)
        l->alternative[i] = (SDL_Rect){area.x + (area.w - strip_w) / 2 + i * (thumb + gap), strip_y, thumb, thumb};
    l->zoom = canvas_zoom(l, panes, area.w, area.h);
    area.h -= strip_height(l, area.w);
    const int side = l->image_size * l->zoom, used_w = panes * side + (panes - 1) * l->pad;
    l->canvas = (SDL_Rect){area.x + (area.w - used_w) / 2, area.y + (area.h - side) / 2, side, side};
    l->beside = panes == 2 ? (SDL_Rect){l->canvas.x + side + l->pad, l->canvas.y, side, side} : (SDL_Rect){0, 0, 0, 0};
}

/* the width of the widest button label in the font */
static int widest_label(Text *t, FontRole font)
{
    int widest = 0, w, h;
    for (int i = 0; i < N_BUTTONS; i++) {
        text_measure(t, font, buttons[i].label, &w, &h);
        widest = w > widest ? w : widest;
    }
    return widest;
}

/* The buttons in rows at the foot of `area`, at most max_cols to a row:
 * as many as their labels fit in, in the body font or else the small one.
 * Returns the height they take. */
static int place_buttons(Layout *l, Text *t, SDL_Rect area, int max_cols)
{
    const int gap = l->pad / 2, bh = (int)(BUTTON_HEIGHT * l->scale);
    const int body = widest_label(t, FONT_BODY) + l->pad, small = widest_label(t, FONT_SMALL) + l->pad / 2;
    int cols = max_cols;
    while (cols > 1 && (area.w - (cols - 1) * gap) / cols < small) cols--;
    const int bw = (area.w - (cols - 1) * gap) / cols, rows = (N_BUTTONS + cols - 1) / cols;
    l->button_font = bw >= body ? FONT_BODY : FONT_SMALL;
    for (int i = 0; i < N_BUTTONS; i++) {
        const int row = i / cols, col = i % cols;
        l->button[i] = (SDL_Rect){area.x + col * (bw + gap),
                                  area.y + area.h - (rows - row) * bh - (rows - 1 - row) * gap, bw, bh};
    }
    return rows * bh + (rows - 1) * gap;
}

/* Line i at (x, y), its text wrapped to the rest of `width` after the
 * label column; returns its height. */
static int place_line(Layout *l, Text *t, int i, int x, int y, int width, int label_w)
{
    const PanelLine *line = &l->line[i];
    const int offset = line->label || line->indent ? label_w : 0;
    const int wrap = width - offset > 1 ? width - offset : 1;
    int lw = 0, lh = 0, tw, th;
    if (line->label) text_measure(t, FONT_BODY, line->label, &lw, &lh);
    text_size(t, line->role, line->text, wrap, &tw, &th);
    l->line_label[i] = (SDL_Rect){x, y, lw, lh};
    /* a word longer than the line is cut at the panel's edge */
    l->line_text[i] = (SDL_Rect){x + offset, y, tw < wrap ? tw : wrap, th};
    l->text_wrap[i] = wrap;
    return lh > th ? lh : th;
}

static void hide_line(Layout *l, int i)
{
    l->line_label[i] = l->line_text[i] = (SDL_Rect){0, 0, 0, 0};
}

/* The lines needed at least min_need, from the top of `area` down; a line
 * too tall for what is left shows the lines of its text that fit, and the
 * lines after it none. Returns the height they take (more than area.h
 * when they do not all fit). */
static int place_lines(Layout *l, Text *t, SDL_Rect area, int min_need)
{
    /* the label column: the widest label, and a space of two */
    int label_w = 0, w, h;
    for (int i = 0; i < l->n_lines; i++) {
        text_measure(t, FONT_BODY, l->line[i].label ? l->line[i].label : "", &w, &h);
        label_w = w > label_w ? w : label_w;
    }
    text_measure(t, FONT_BODY, "  ", &w, &h);
    label_w += w;
    const int gap = text_line_height(t, FONT_SMALL) / 2, bottom = area.y + area.h;
    int y = area.y, gap_pending = 0, full = 0;
    for (int i = 0; i < l->n_lines; i++) {
        gap_pending |= l->line[i].gap_before;
        if (l->line[i].need < min_need || full) {
            hide_line(l, i);
            continue;
        }
        if (gap_pending && y > area.y) y += gap;
        gap_pending = 0;
        const int h = place_line(l, t, i, area.x, y, area.w, label_w);
        if (y + h > bottom) {
            const int line_h = text_line_height(t, l->line[i].role), fit = line_h > 0 ? (bottom - y) / line_h : 0;
            if (fit < 1 || l->line_label[i].h > bottom - y) hide_line(l, i);
            else l->line_text[i].h = fit * line_h;
            full = 1;
        }
        y += h;
    }
    return y - area.y;
}

/* The panel's lines in `area` (its buttons' room taken off): the most
 * needed that fit, or as much of the most needed as fits. */
static void fill_panel(Layout *l, Text *t, SDL_Rect area)
{
    int most = 0;
    for (int i = 0; i < l->n_lines; i++) most = l->line[i].need > most ? l->line[i].need : most;
    int need = 0;
    while (need < most && place_lines(l, t, area, need) > area.h) need++;
    place_lines(l, t, area, need);
}

void layout_compute(Layout *l, int out_w, int out_h, float scale, Text *text, const Studio *s)
{
    l->w = out_w;
    l->h = out_h;
    l->scale = scale;
    l->pad = (int)(PAD * scale);
    l->image_size = s->canvas.size;
    l->n_lines = panel_lines(s, l->line);
    const int pad = l->pad, panes = s->mode == MODE_DRAW && !s->growth_over_drawing ? 2 : 1;

    /* beside the canvas, up to half the window wide; or, where that leaves
     * a larger canvas (a narrow window), under it, as tall as its lines and
     * buttons in rows across the window (up to half the window) */
    int panel_w = (int)(PANEL_WIDTH * scale);
    if (panel_w > out_w / 2) panel_w = out_w / 2;
    const int zoom_beside = canvas_zoom(l, panes, out_w - panel_w - 2 * pad, out_h - 2 * pad);
    const SDL_Rect across = {pad, 0, out_w - 2 * pad, out_h};
    int panel_h = 3 * pad + place_buttons(l, text, across, N_BUTTONS) + place_lines(l, text, across, 0);
    if (panel_h > out_h / 2) panel_h = out_h / 2;
    const int zoom_below = canvas_zoom(l, panes, out_w - 2 * pad, out_h - panel_h - 2 * pad);
    int max_cols = 2;
    if (zoom_below > zoom_beside) {
        l->panel = (SDL_Rect){0, out_h - panel_h, out_w, panel_h};
        place_canvas(l, panes, (SDL_Rect){pad, pad, out_w - 2 * pad, out_h - panel_h - 2 * pad});
        max_cols = N_BUTTONS;
    } else {
        l->panel = (SDL_Rect){out_w - panel_w, 0, panel_w, out_h};
        place_canvas(l, panes, (SDL_Rect){pad, pad, out_w - panel_w - 2 * pad, out_h - 2 * pad});
    }
    const SDL_Rect inside = {l->panel.x + pad, l->panel.y + pad, l->panel.w - 2 * pad, l->panel.h - 2 * pad};
    const int buttons_h = place_buttons(l, text, inside, max_cols);
    fill_panel(l, text, (SDL_Rect){inside.x, inside.y, inside.w, inside.h - buttons_h - pad});
}

int layout_to_image(const Layout *l, float px, float py, float *x, float *y)
{
    const float zoom = (float)l->zoom;
    *x = (px - l->canvas.x) / zoom;
    *y = (py - l->canvas.y) / zoom;
    return *x >= 0 && *y >= 0 && *x < l->image_size && *y < l->image_size;
}

void layout_from_image(const Layout *l, float x, float y, float *px, float *py)
{
    *px = l->canvas.x + x * l->zoom;
    *py = l->canvas.y + y * l->zoom;
}

int layout_button_at(const Layout *l, int px, int py)
{
    const SDL_Point p = {px, py};
    for (int i = 0; i < N_BUTTONS; i++)
        if (SDL_PointInRect(&p, &l->button[i])) return i;
    return -1;
}

int layout_alternative_at(const Layout *l, int px, int py)
{
    const SDL_Point p = {px, py};
    for (int i = 0; i < ALTERNATIVES_MAX; i++)
        if (SDL_PointInRect(&p, &l->alternative[i])) return i;
    return -1;
}
