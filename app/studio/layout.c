/* The window's layout: the canvas on the left (in draw mode the drawing,
 * with the growth beside it), as large as whole pixels allow, the strip of
 * alternatives under it, and the panel on the right with its buttons at the
 * bottom. */
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

void layout_compute(Layout *l, int out_w, int out_h, float scale, int image_size, int with_beside)
{
    l->w = out_w;
    l->h = out_h;
    l->scale = scale;
    l->pad = (int)(PAD * scale);
    l->image_size = image_size;
    int panel_w = (int)(PANEL_WIDTH * scale);
    if (panel_w > out_w / 2) panel_w = out_w / 2;
    l->panel = (SDL_Rect){out_w - panel_w, 0, panel_w, out_h};

    /* the strip: as wide as the canvas area, its thumbnails at most THUMB_MAX a side */
    const int area_w = out_w - panel_w - 2 * l->pad, thumb_gap = l->pad / 2;
    int thumb = (area_w - (ALTERNATIVES_MAX - 1) * thumb_gap) / ALTERNATIVES_MAX;
    thumb = thumb > (int)(THUMB_MAX * scale) ? (int)(THUMB_MAX * scale) : thumb < 1 ? 1 : thumb;
    l->label_h = (int)(LABEL_HEIGHT * scale);
    const int strip_w = ALTERNATIVES_MAX * thumb + (ALTERNATIVES_MAX - 1) * thumb_gap;
    const int strip_y = out_h - l->pad - l->label_h - thumb;
    for (int i = 0; i < ALTERNATIVES_MAX; i++)
        l->alternative[i] = (SDL_Rect){l->pad + (area_w - strip_w) / 2 + i * (thumb + thumb_gap), strip_y, thumb, thumb};

    const int area_h = strip_y - 2 * l->pad;
    const int panes = with_beside ? 2 : 1, pane_w = (area_w - (panes - 1) * l->pad) / panes;
    const int side = pane_w < area_h ? pane_w : area_h;
    l->zoom = image_size > 0 && side >= image_size ? side / image_size : 1;
    const int canvas_side = image_size * l->zoom, used_w = panes * canvas_side + (panes - 1) * l->pad;
    l->canvas = (SDL_Rect){l->pad + (area_w - used_w) / 2, l->pad + (area_h - canvas_side) / 2,
                           canvas_side, canvas_side};
    l->beside = with_beside ? (SDL_Rect){l->canvas.x + canvas_side + l->pad, l->canvas.y, canvas_side, canvas_side}
                            : (SDL_Rect){0, 0, 0, 0};

    /* rows of two at the panel's foot */
    const int gap = l->pad / 2, bh = (int)(BUTTON_HEIGHT * scale), rows = (N_BUTTONS + 1) / 2;
    const int bw = (panel_w - 2 * l->pad - gap) / 2;
    for (int i = 0; i < N_BUTTONS; i++) {
        const int row = i / 2, col = i % 2;
        l->button[i] = (SDL_Rect){l->panel.x + l->pad + col * (bw + gap),
                                  out_h - l->pad - (rows - row) * bh - (rows - 1 - row) * gap, bw, bh};
    }
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

int layout_alternative_at(const Layout *l, int px, int py)
{
    const SDL_Point p = {px, py};
    for (int i = 0; i < ALTERNATIVES_MAX; i++)
        if (SDL_PointInRect(&p, &l->alternative[i])) return i;
    return -1;
}

int layout_button_at(const Layout *l, int px, int py)
{
    const SDL_Point p = {px, py};
    for (int i = 0; i < N_BUTTONS; i++)
        if (SDL_PointInRect(&p, &l->button[i])) return i;
    return -1;
}
