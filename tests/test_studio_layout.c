/* vnca-studio's layout at every window size, from the smallest the window
 * allows to a 4K screen, at one and two pixels per point (high DPI): the
 * panel's lines, its buttons and the canvas stay inside the window, none
 * over another, and an error always shows, whole. With the real fonts and
 * drawing code, on SDL's software renderer (no display needed); the
 * smallest, the 420x300 and a tall narrow window are saved as pictures for
 * a person to look at.
 *
 * argv[1]: the folder for the pictures. Skipped (77) without a font. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "render.h"
#include "studio.h"

static const char *picture_dir;

typedef struct WindowSize {
    int w, h;            /* output pixels */
    float scale;         /* output pixels per point */
    const char *picture; /* a name to save it as, or NULL */
} WindowSize;

static const WindowSize sizes[] = {
    {LAYOUT_MIN_W, LAYOUT_MIN_H, 1, "smallest"},
    {420, 300, 1, "420x300"},
    {LAYOUT_MIN_W, 900, 1, "tall-narrow"},
    {LAYOUT_MIN_W, 600, 1, NULL},
    {LAYOUT_MIN_W + 1, 2000, 1, NULL},
    {600, 1000, 1, NULL},
    {1000, 640, 1, NULL},
    {1400, LAYOUT_MIN_H, 1, NULL},
    {1920, 1080, 1, NULL},
    {3840, 2160, 1, NULL},
    {2 * LAYOUT_MIN_W, 2 * LAYOUT_MIN_H, 2, NULL},
    {2 * LAYOUT_MIN_W, 1800, 2, NULL},
    {2000, 1280, 2, NULL},
    {3840, 2160, 2, NULL},
};
enum { N_SIZES = sizeof sizes / sizeof sizes[0] };

typedef enum Scene { SCENE_ERROR, SCENE_HEAL, SCENE_DRAW, N_SCENES } Scene;
static const char *const scene_names[N_SCENES] = {"error", "heal", "draw"};

static const char *long_error = "/home/someone/pictures/a-rather-long-folder-name/digits/my-own-seven.png: "
                                "cannot read the image: not a PNG or JPEG file";

/* a studio with its panel as full as it gets in each mode */
static void make_studio(Studio *s, Scene scene)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(canvas_init(&s->canvas, 32), 0);
    assert_int_equal(sketch_init(&s->sketch, 32), 0);
    float ring[32 * 32]; /* a digit to look at in the pictures */
    for (int i = 0; i < 32 * 32; i++) {
        const float dx = (i % 32 - 15.5f) / 7.0f, dy = (i / 32 - 15.5f) / 10.0f, r2 = dx * dx + dy * dy;
        ring[i] = r2 > 0.6f && r2 < 1.0f;
    }
    canvas_set_digit(&s->canvas, ring);
    VncaError err;
    assert_int_equal(vnca_config_named("small", &s->live.model.config, &err), 0);
    s->live.model.loaded = 1;
    snprintf(s->live.model.name, sizeof s->live.model.name, "vnca-mnist.safetensors");
    snprintf(s->live.model.summary, sizeof s->live.model.summary,
             "Z 16, H 32, 1 residual block, sobel perception doubling, 20 steps, 2 \u2192 32");
    s->live.frame = (WorkerFrame){.job = 3, .grid = 32, .stage = 4, .t = 22, .samples = 64, .latent_pick = 7,
                                  .weight = 0.31f};
    s->growth_job = 3;
    s->brush_radius = 2.5f;
    s->pace = (WorkerPace){.steps_per_s = 10, .paused = 1};
    snprintf(s->live.busy, sizeof s->live.busy, "regrowing from 64 latents");
    snprintf(s->heal_model, sizeof s->heal_model, "vnca-mnist-heal.safetensors");
    s->mode = scene == SCENE_HEAL ? MODE_HEAL : scene == SCENE_DRAW ? MODE_DRAW : MODE_REGROW;
    if (scene == SCENE_ERROR) studio_report(s, 1, "%s", long_error);
    else snprintf(s->status, sizeof s->status, "a status line of some length, as the studio's are");
}

static int inside(const SDL_Rect *r, const SDL_Rect *outer)
{
    return r->x >= outer->x && r->y >= outer->y && r->x + r->w <= outer->x + outer->w &&
           r->y + r->h <= outer->y + outer->h;
}

enum { MAX_BOXES = N_BUTTONS + 2 * MAX_PANEL_LINES + 2 };

typedef struct Box {
    SDL_Rect r;
    char what[64];
} Box;

static void add_box(Box *boxes, int *n, const SDL_Rect *r, const char *fmt, ...)
{
    if (r->w <= 0 || r->h <= 0) return;
    boxes[*n].r = *r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(boxes[*n].what, sizeof boxes[*n].what, fmt, ap);
    va_end(ap);
    (*n)++;
}

/* every drawn thing inside the window (the panel's inside the panel), none
 * over another; returns how many lines show */
static int check_layout(const Layout *l, const char *where)
{
    const SDL_Rect window = {0, 0, l->w, l->h};
    Box boxes[MAX_BOXES];
    int n = 0, shown = 0;
    add_box(boxes, &n, &l->canvas, "the canvas");
    add_box(boxes, &n, &l->beside, "the growth beside it");
    for (int i = 0; i < N_BUTTONS; i++) add_box(boxes, &n, &l->button[i], "button %s", buttons[i].name);
    for (int i = 0; i < l->n_lines; i++) {
        add_box(boxes, &n, &l->line_label[i], "label '%.30s'", l->line[i].label ? l->line[i].label : "");
        add_box(boxes, &n, &l->line_text[i], "line '%.40s'", l->line[i].text);
        shown += l->line_text[i].h > 0 || l->line_label[i].h > 0;
    }
    if (!inside(&l->panel, &window)) fail_msg("%s: the panel leaves the window", where);
    for (int i = 0; i < n; i++) {
        const SDL_Rect *r = &boxes[i].r;
        const int in_panel = i >= (l->beside.w > 0 ? 2 : 1);
        if (!inside(r, in_panel ? &l->panel : &window))
            fail_msg("%s: %s (%d,%d %dx%d) leaves the %s", where, boxes[i].what, r->x, r->y, r->w, r->h,
                     in_panel ? "panel" : "window");
        if (!in_panel && SDL_HasIntersection(r, &l->panel)) fail_msg("%s: %s is under the panel", where, boxes[i].what);
        for (int j = 0; j < i; j++)
            if (SDL_HasIntersection(r, &boxes[j].r))
                fail_msg("%s: %s overlaps %s", where, boxes[i].what, boxes[j].what);
    }
    return shown;
}

/* the index of the line with this label (NULL: the last line, the status) */
static int line_index(const Layout *l, const char *label)
{
    for (int i = 0; i < l->n_lines; i++)
        if (label ? l->line[i].label && strcmp(l->line[i].label, label) == 0 : i == l->n_lines - 1) return i;
    fail_msg("no line '%s'", label ? label : "status");
    return -1;
}

static void test_every_size(void **state)
{
    (void)state;
    for (int k = 0; k < N_SIZES; k++) {
        const WindowSize *z = &sizes[k];
        SDL_Surface *surface = SDL_CreateRGBSurfaceWithFormat(0, z->w, z->h, 32, SDL_PIXELFORMAT_RGBA32);
        assert_non_null(surface);
        Screen screen = {.renderer = SDL_CreateSoftwareRenderer(surface)};
        assert_non_null(screen.renderer);
        char err[512];
        screen.text = text_open(screen.renderer, z->scale, err, sizeof err);
        assert_non_null(screen.text);
        for (int scene = 0; scene < N_SCENES; scene++) {
            static Studio s;
            static Layout l;
            char where[128];
            snprintf(where, sizeof where, "%dx%d at scale %g, %s", z->w, z->h, z->scale, scene_names[scene]);
            make_studio(&s, (Scene)scene);
            layout_compute(&l, z->w, z->h, z->scale, screen.text, &s);
            const int shown = check_layout(&l, where);
            /* the mode, and an error, whole, at any size */
            if (l.line_text[line_index(&l, "Mode")].h == 0) fail_msg("%s: the mode is hidden", where);
            const int status = line_index(&l, NULL);
            int w, h;
            text_size(screen.text, l.line[status].role, l.line[status].text, l.text_wrap[status], &w, &h);
            if (scene == SCENE_ERROR && l.line_text[status].h != h) fail_msg("%s: the error is cut or hidden", where);
            /* and in a window of the default size or larger, everything */
            if (z->w >= 1000 * z->scale && z->h >= 640 * z->scale && shown != l.n_lines)
                fail_msg("%s: %d of %d lines shown", where, shown, l.n_lines);
            printf("%-34s panel %s, %2d of %2d lines, canvas zoom %d\n", where,
                   l.panel.y > 0 ? "below" : "beside", shown, l.n_lines, l.zoom);
            if (z->picture && scene != SCENE_DRAW) {
                char path[4096];
                VncaError save_err;
                snprintf(path, sizeof path, "%s/studio-layout-%s-%s.png", picture_dir, z->picture, scene_names[scene]);
                screen_draw(&screen, &l, &s);
                if (screen_capture(&screen, z->w, z->h, path, &save_err)) fail_msg("%s", save_err.msg);
            }
            canvas_free(&s.canvas);
            sketch_free(&s.sketch);
        }
        screen_free(&screen);
        text_close(screen.text);
        SDL_DestroyRenderer(screen.renderer);
        SDL_FreeSurface(surface);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_studio_layout PICTURE_DIR\n");
        return 2;
    }
    picture_dir = argv[1];
    char err[512];
    SDL_Surface *probe = SDL_CreateRGBSurfaceWithFormat(0, 8, 8, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_Renderer *r = probe ? SDL_CreateSoftwareRenderer(probe) : NULL;
    Text *t = r ? text_open(r, 1.0f, err, sizeof err) : NULL;
    if (!t) {
        printf("SKIP: no font to measure with: %s\n", r ? err : SDL_GetError());
        return 77;
    }
    text_close(t);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(probe);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
