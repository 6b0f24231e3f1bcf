/* layout.h: where things are in the window, in output pixels (on a high-DPI
 * display these are finer than the window's points). Drawing and hit
 * testing both read this, so that what is clicked is what is drawn. */
#ifndef VNCA_STUDIO_LAYOUT_H
#define VNCA_STUDIO_LAYOUT_H

#include <SDL.h>

#include "panel.h"
#include "studio.h"
#include "text.h"

typedef enum ButtonId { BUTTON_REGROW, BUTTON_RESAMPLE, BUTTON_NEW, BUTTON_DRAW, BUTTON_HELP, N_BUTTONS } ButtonId;

typedef struct Button {
    const char *label;
    const char *name;     /* for scripts: `button NAME` */
    IntentKind intent;
} Button;

extern const Button buttons[N_BUTTONS];

/* The smallest window the layout is made for, in points: every line it
 * shows fits, if not every line there is (main.c keeps the window this big). */
enum { LAYOUT_MIN_W = 400, LAYOUT_MIN_H = 300 };

typedef struct Layout {
    int w, h;             /* the window, in output pixels */
    float scale;          /* output pixels per window point */
    int pad;              /* the margin around things */
    int zoom;             /* output pixels per image pixel: an integer, for crisp pixels */
    int image_size;
    SDL_Rect canvas;      /* the image, image_size * zoom a side (draw mode: the drawing) */
    SDL_Rect beside;      /* draw mode: the growth, right of the drawing; empty when not shown */
    SDL_Rect panel;       /* right of the canvas, or under it in a narrow window */
    SDL_Rect button[N_BUTTONS];
    SDL_Rect alternative[ALTERNATIVES_MAX]; /* the strip under the canvas, most probable first */
    int label_h;          /* room under each alternative for its weight */
    FontRole button_font; /* the buttons' labels: the small font where the body's is too wide */
    /* the panel's lines (panel.h), and where each goes: its label (a
     * field's), its text, wrapped at text_wrap; empty rectangles for a line
     * the window has no room for */
    int n_lines;
    PanelLine line[MAX_PANEL_LINES];
    SDL_Rect line_label[MAX_PANEL_LINES], line_text[MAX_PANEL_LINES];
    int text_wrap[MAX_PANEL_LINES];
} Layout;

/* The layout of a window of out_w x out_h output pixels for the studio's
 * state (its panel's lines, draw mode's second pane); text measures the
 * words (NULL: there are none). */
void layout_compute(Layout *l, int out_w, int out_h, float scale, Text *text, const Studio *s);
/* the image coordinates of output pixel (px, py); 1 when it is on the canvas */
int layout_to_image(const Layout *l, float px, float py, float *x, float *y);
/* the output pixel of image coordinates (x, y) */
void layout_from_image(const Layout *l, float x, float y, float *px, float *py);
/* the button at (px, py), or -1 */
int layout_button_at(const Layout *l, int px, int py);
/* the alternative's place in the strip at (px, py), or -1 */
int layout_alternative_at(const Layout *l, int px, int py);

#endif
