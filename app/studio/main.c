/* vnca-studio: deface a handwritten digit and watch a neural cellular
 * automaton regrow it. This file: options, SDL's window and renderer, and
 * the one event loop (events -> intents -> studio_handle; draw; present). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>

#include "frame_stats.h"
#include "image_io.h"
#include "input.h"
#include "layout.h"
#include "render.h"
#include "resources.h"
#include "script.h"
#include "studio.h"
#include "text.h"

/* The window draws at most this often; the automaton's pace is its own. */
#define FRAME_MS (1000.0 / 60.0)
/* With nothing moving, the loop sleeps until an event, or this long. */
enum { IDLE_WAIT_MS = 250 };

typedef struct Options {
    const char *model;
    const char *picture;
    const char *save_dir;
    const char *script;
    int stats;
    double speed;
    uint64_t seed;
    int width, height;
    int software;
} Options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vnca-studio [options] [IMAGE]\n\n"
            "Deface a handwritten digit and watch a neural cellular automaton regrow it.\n"
            "IMAGE (PNG or JPEG) is made into an MNIST-like digit, encoded and regrown.\n\n"
            "options:\n"
            "  --model FILE     the model (default: the shipped models/%s)\n"
            "  --save-dir DIR   where Ctrl+S, G and F12 save pictures (default: .)\n"
            "  --script FILE    run the input actions in FILE, then quit (see README.md)\n"
            "  --stats          print the frame rate and the regrows' times on exit\n"
            "  --speed N        automaton steps per second; 0: as fast as it goes (default 10)\n"
            "  --seed N         random seed (default: from the clock)\n"
            "  --size WxH       window size (default 1000x640)\n"
            "  --software       draw with SDL's software renderer\n"
            "  --help\n\n",
            DEFAULT_MODEL_NAME);
    enum { MAX_LINES = 48 };
    HelpLine lines[MAX_LINES];
    const int n = input_help(lines, MAX_LINES);
    fprintf(out, "keys and mouse:\n");
    for (int i = 0; i < n; i++) fprintf(out, "  %-24s %s\n", lines[i].keys, lines[i].what);
}

/* 0, or 2 after a message (the exit status of a usage error) */
static int parse_options(int argc, char **argv, Options *o)
{
    *o = (Options){.save_dir = ".", .speed = 10.0, .seed = (uint64_t)time(NULL), .width = 1000, .height = 640};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = 1;
        char *end = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--stats") == 0) {
            o->stats = 1, takes_value = 0;
        } else if (strcmp(a, "--software") == 0) {
            o->software = 1, takes_value = 0;
        } else if (a[0] == '-' && a[1] == '-' && !value) {
            fprintf(stderr, "vnca-studio: %s needs a value\n", a);
            return 2;
        } else if (strcmp(a, "--model") == 0) {
            o->model = value;
        } else if (strcmp(a, "--save-dir") == 0) {
            o->save_dir = value;
        } else if (strcmp(a, "--script") == 0) {
            o->script = value;
        } else if (strcmp(a, "--speed") == 0) {
            o->speed = strtod(value, &end);
            if (*end || o->speed < 0) return fprintf(stderr, "vnca-studio: bad --speed '%s'\n", value), 2;
        } else if (strcmp(a, "--seed") == 0) {
            o->seed = strtoull(value, &end, 10);
            if (*end) return fprintf(stderr, "vnca-studio: bad --seed '%s'\n", value), 2;
        } else if (strcmp(a, "--size") == 0) {
            if (sscanf(value, "%dx%d", &o->width, &o->height) != 2 || o->width < LAYOUT_MIN_W ||
                o->height < LAYOUT_MIN_H)
                return fprintf(stderr, "vnca-studio: bad --size '%s' (e.g. 1000x640; at least %dx%d)\n", value,
                               LAYOUT_MIN_W, LAYOUT_MIN_H), 2;
        } else if (a[0] == '-') {
            fprintf(stderr, "vnca-studio: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!o->picture) {
            o->picture = a, takes_value = 0;
        } else {
            fprintf(stderr, "vnca-studio: one picture at a time ('%s' and '%s')\n", o->picture, a);
            return 2;
        }
        i += takes_value;
    }
    return 0;
}

static double now_ms(void)
{
    return 1000.0 * (double)SDL_GetPerformanceCounter() / (double)SDL_GetPerformanceFrequency();
}

static SDL_Renderer *make_renderer(SDL_Window *window, int software)
{
    SDL_Renderer *r = software ? NULL : SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED);
    if (!r) r = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE);
    return r;
}

/* a digit the automaton grew, white on black; no icon when it is missing */
static void set_window_icon(SDL_Window *window)
{
    char path[PATH_MAX_LEN], err[2048];
    float *gray;
    int w, h;
    VncaError load_err;
    if (resource_find("assets", "vnca-icon.png", path, sizeof path, err, sizeof err) ||
        image_load_gray(path, &gray, &w, &h, &load_err))
        return;
    SDL_Surface *icon = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGBA32);
    if (icon) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                Uint8 *px = (Uint8 *)icon->pixels + y * icon->pitch + 4 * x;
                px[0] = px[1] = px[2] = (Uint8)(gray[y * w + x] * 255.0f + 0.5f);
                px[3] = 255;
            }
        SDL_SetWindowIcon(window, icon);
        SDL_FreeSurface(icon);
    }
    free(gray);
}

/* the layout for the window's current size and pixel density */
static void update_layout(Layout *l, SDL_Window *window, Screen *sc, const Studio *s)
{
    int ww, wh, ow, oh;
    SDL_GetWindowSize(window, &ww, &wh);
    SDL_GetRendererOutputSize(sc->renderer, &ow, &oh);
    const float scale = ww > 0 ? (float)ow / ww : 1.0f;
    text_set_scale(sc->text, scale);
    layout_compute(l, ow, oh, scale, sc->text, s);
}

static void take_screenshot(Screen *sc, const Layout *l, Studio *s)
{
    VncaError err;
    if (screen_capture(sc, l->w, l->h, s->screenshot_path, &err)) studio_report(s, 1, "%s", err.msg);
    else studio_report(s, 0, "screenshot saved: %s", s->screenshot_path);
    s->screenshot_path[0] = '\0';
}

static int run(const Options *o, SDL_Window *window, Screen *sc, Script *script)
{
    char model_path[PATH_MAX_LEN], missing[2048] = "";
    const char *model = o->model;
    if (!model && resource_find("models", DEFAULT_MODEL_NAME, model_path, sizeof model_path, missing,
                                sizeof missing) == 0)
        model = model_path;
    const uint32_t wake_event = SDL_RegisterEvents(1);
    const WorkerPace pace = {.paused = 0, .steps_per_s = o->speed, .heal = 0};
    Studio s;
    if (wake_event == (uint32_t)-1 || studio_open(&s, o->seed, &pace, o->save_dir, wake_event)) {
        fprintf(stderr, "vnca-studio: cannot start the automaton's thread: %s\n", SDL_GetError());
        return 1;
    }
    /* the command line, like the events, acts through intents */
    if (!model) {
        studio_no_model(&s, missing);
    } else {
        studio_handle(&s, &(Intent){.kind = INTENT_LOAD_MODEL, .path = model});
        if (o->picture) studio_handle(&s, &(Intent){.kind = INTENT_OPEN_PICTURE, .path = o->picture});
    }
    char not_found[2048];
    if (resource_find("models", HEAL_MODEL_NAME, s.heal_model, sizeof s.heal_model, not_found,
                      sizeof not_found))
        s.heal_model[0] = '\0';
    Layout layout;
    FrameStats stats;
    frame_stats_start(&stats, now_ms());
    /* A frame is drawn when something on view changed, at most one each
     * FRAME_MS: a growth stepping 10 times a second costs 10 frames, and
     * the automaton keeps the CPU the window does not need. */
    double next_frame = now_ms(), changed_at = now_ms();
    int status = 0, pending = 1;
    unsigned titled = 0;
    s.changed = 1;
    while (!s.quit) {
        update_layout(&layout, window, sc, &s);
        const double wait = next_frame - now_ms();
        int timeout = IDLE_WAIT_MS;
        if (s.changed) timeout = wait > 0 ? (int)wait + 1 : 0;
        else if (script) timeout = (int)FRAME_MS; /* its waits read the clock */
        SDL_Event ev;
        if (SDL_WaitEventTimeout(&ev, timeout)) {
            do {
                Intent intents[MAX_EVENT_INTENTS];
                const int n = input_event(&ev, &layout, &s, intents);
                for (int i = 0; i < n; i++) studio_handle(&s, &intents[i]);
                if (ev.type == SDL_DROPFILE || ev.type == SDL_DROPTEXT) SDL_free(ev.drop.file);
                s.changed = 1; /* a window's own events (exposed, resized) too */
            } while (SDL_PollEvent(&ev));
        }
        studio_update(&s);
        const WorkerFrame *f = &s.live.frame;
        frame_stats_regrow(&stats, now_ms(), s.regrow_job, f->job != s.regrow_job ? 0 : f->refined ? 2 : 1);
        if (script) {
            ScriptState state = script_run(script, &s, window, SDL_GetTicks64());
            if (state == SCRIPT_FAILED) status = 1;
            if (state != SCRIPT_RUNNING) s.quit = 1;
        }
        if (s.live.model.generation != titled) {
            titled = s.live.model.generation;
            char title[512];
            snprintf(title, sizeof title, "vnca studio \u2014 %s", s.live.model.loaded ? s.live.model.name : "no model");
            SDL_SetWindowTitle(window, title);
        }
        const double now = now_ms();
        if (s.changed && !pending) {
            pending = 1;
            changed_at = now;
        }
        if (!s.changed || (now < next_frame && !s.quit)) continue;
        update_layout(&layout, window, sc, &s);
        screen_draw(sc, &layout, &s);
        if (s.screenshot_path[0]) take_screenshot(sc, &layout, &s);
        SDL_RenderPresent(sc->renderer);
        frame_stats_add(&stats, now_ms(), changed_at);
        next_frame = now + FRAME_MS;
        s.changed = pending = 0;
    }
    if (o->stats) frame_stats_print(&stats, stdout);
    /* gone from the screen at once, though a step or an inpainting in
     * progress has to finish before the worker can be joined */
    SDL_HideWindow(window);
    studio_close(&s);
    return status;
}

int main(int argc, char **argv)
{
    Options o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc;
    SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "vnca-studio: cannot start SDL: %s\n", SDL_GetError());
        return 1;
    }
    char err[1024];
    Script *script = NULL;
    if (o.script && !(script = script_load(o.script, err, sizeof err))) {
        fprintf(stderr, "vnca-studio: %s\n", err);
        SDL_Quit();
        return 2;
    }
    SDL_Window *window = SDL_CreateWindow("vnca studio", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o.width,
                                          o.height, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    Screen screen = {0};
    if (window) screen.renderer = make_renderer(window, o.software);
    if (!window || !screen.renderer) {
        fprintf(stderr, "vnca-studio: cannot open a window: %s\n", SDL_GetError());
        script_free(script);
        if (window) SDL_DestroyWindow(window);
        SDL_Quit();
        return 1;
    }
    SDL_SetWindowMinimumSize(window, LAYOUT_MIN_W, LAYOUT_MIN_H);
    set_window_icon(window);
    int ww, ow, dummy;
    SDL_GetWindowSize(window, &ww, &dummy);
    SDL_GetRendererOutputSize(screen.renderer, &ow, &dummy);
    screen.text = text_open(screen.renderer, ww > 0 ? (float)ow / ww : 1.0f, err, sizeof err);
    if (!screen.text) fprintf(stderr, "vnca-studio: no text will show: %s\n", err);

    rc = run(&o, window, &screen, script);

    screen_free(&screen);
    text_close(screen.text);
    script_free(script);
    SDL_DestroyRenderer(screen.renderer);
    SDL_DestroyWindow(window);
    SDL_Quit();
    return rc;
}
