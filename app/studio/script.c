/* The --script runner: parsed whole up front, so that a typo fails before
 * the window opens, then run an action at a time from the event loop. */
#include "script.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <SDL.h>

#include "input.h"

enum { MAX_POINTS = 64, LINE_LEN = 4096, DEFAULT_IDLE_TIMEOUT_MS = 60000, MAX_WINDOW_SIDE = 8192 };

typedef enum ActionKind {
    ACT_DRAG, ACT_CLICK, ACT_MOVE, ACT_KEY, ACT_BUTTON, ACT_WHEEL, ACT_PICK, ACT_DROP,
    ACT_WAIT, ACT_WAIT_IDLE, ACT_SAVE, ACT_SCREENSHOT, ACT_GIF, ACT_RESIZE, ACT_QUIT,
} ActionKind;

typedef struct Action {
    ActionKind kind;
    int line;
    int right;            /* DRAG, CLICK: the right button, else the left */
    int n_points;
    float points[2 * MAX_POINTS];
    SDL_Keycode key;
    Uint16 mods;
    IntentKind intent;    /* BUTTON */
    long number;          /* WHEEL notches, WAIT and WAIT_IDLE milliseconds, PICK's alternative */
    int width, height;    /* RESIZE, in window points */
    char *path;
} Action;

struct Script {
    char *file;
    Action *actions;
    int n, cap;
    int next;             /* the action running or next to run */
    int started;          /* whether it has begun (waits last several frames) */
    uint64_t started_at;
};

void script_free(Script *sc)
{
    if (!sc) return;
    for (int i = 0; i < sc->n; i++) free(sc->actions[i].path);
    free(sc->actions);
    free(sc->file);
    free(sc);
}

/* ---- parsing ----------------------------------------------------------- */

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(s, &end, 10);
    return s[0] && !*end && !errno ? 0 : -1;
}

/* Coordinates are image pixels: a finite number of modest size (a NaN or
 * 1e40 would reach float-to-int conversions downstream). */
#define COORDINATE_LIMIT 100000.0f

static int parse_float(const char *s, float *out)
{
    char *end;
    *out = strtof(s, &end);
    return s[0] && !*end && isfinite(*out) && fabsf(*out) <= COORDINATE_LIMIT ? 0 : -1;
}

static int parse_mouse_button(const char *s, int *right)
{
    if (strcmp(s, "left") == 0) *right = 0;
    else if (strcmp(s, "right") == 0) *right = 1;
    else return -1;
    return 0;
}

/* "ctrl+shift+z", "space", "+", "f1"; an underscore stands for the space
 * in SDL's longer names ("keypad_enter"), since words end at spaces */
static int parse_key(const char *s, SDL_Keycode *key, Uint16 *mods)
{
    static const struct { const char *alias, *name; } aliases[] = {
        {"enter", "Return"}, {"esc", "Escape"}, {"plus", "+"}, {"minus", "-"},
    };
    *mods = 0;
    for (;;) {
        if (strncasecmp(s, "ctrl+", 5) == 0 && s[5]) *mods |= KMOD_LCTRL, s += 5;
        else if (strncasecmp(s, "shift+", 6) == 0 && s[6]) *mods |= KMOD_LSHIFT, s += 6;
        else break;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(s, aliases[i].alias) == 0) s = aliases[i].name;
    char name[64];
    if (strlen(s) >= sizeof name) return -1;
    strcpy(name, s);
    for (char *c = name; name[1] && (c = strchr(c, '_'));) *c = ' ';
    *key = SDL_GetKeyFromName(name);
    return *key == SDLK_UNKNOWN ? -1 : 0;
}

static int parse_button(const char *s, IntentKind *intent)
{
    for (int i = 0; i < N_BUTTONS; i++)
        if (strcmp(s, buttons[i].name) == 0) {
            *intent = buttons[i].intent;
            return 0;
        }
    return -1;
}

/* one line's words into a; returns a message, or NULL when it parsed */
static const char *parse_action(char **word, int n, Action *a)
{
    const char *verb = word[0];
    if (strcmp(verb, "drag") == 0 || strcmp(verb, "click") == 0) {
        a->kind = verb[0] == 'd' ? ACT_DRAG : ACT_CLICK;
        const int want = a->kind == ACT_CLICK ? 2 : -1;
        if (n < 2 || parse_mouse_button(word[1], &a->right)) return "expected left or right";
        a->n_points = (n - 2) / 2;
        if ((n - 2) % 2 || a->n_points < 1 || a->n_points > MAX_POINTS ||
            (want > 0 && n - 2 != want) || (a->kind == ACT_DRAG && a->n_points < 2))
            return a->kind == ACT_CLICK ? "expected: click left|right X Y"
                                        : "expected: drag left|right X0 Y0 X1 Y1 [X Y ...]";
        for (int i = 0; i < n - 2; i++)
            if (parse_float(word[2 + i], &a->points[i])) return "a coordinate is not a number";
        return NULL;
    }
    if (strcmp(verb, "move") == 0) {
        a->kind = ACT_MOVE;
        a->n_points = 1;
        if (n != 3 || parse_float(word[1], &a->points[0]) || parse_float(word[2], &a->points[1]))
            return "expected: move X Y";
        return NULL;
    }
    if (strcmp(verb, "key") == 0) {
        a->kind = ACT_KEY;
        if (n != 2 || parse_key(word[1], &a->key, &a->mods)) return "expected: key NAME (e.g. space, ctrl+z)";
        if (input_key(a->key, a->mods).kind == INTENT_NONE) return "that key does nothing";
        return NULL;
    }
    if (strcmp(verb, "button") == 0) {
        a->kind = ACT_BUTTON;
        if (n != 2 || parse_button(word[1], &a->intent)) return "expected: button regrow|resample|new|draw|help";
        return NULL;
    }
    if (strcmp(verb, "wheel") == 0) {
        a->kind = ACT_WHEEL;
        /* each notch is one brush-size change: more than a few hundred is a typo */
        if (n != 2 || parse_long(word[1], &a->number) || labs(a->number) > 1000)
            return "expected: wheel N, |N| <= 1000";
        return NULL;
    }
    if (strcmp(verb, "pick") == 0) {
        a->kind = ACT_PICK;
        if (n != 2 || parse_long(word[1], &a->number) || a->number < 1 || a->number > ALTERNATIVES_MAX)
            return "expected: pick K, an alternative from 1 to 8";
        return NULL;
    }
    if (strcmp(verb, "wait") == 0 || strcmp(verb, "wait-idle") == 0) {
        a->kind = verb[4] ? ACT_WAIT_IDLE : ACT_WAIT;
        a->number = DEFAULT_IDLE_TIMEOUT_MS;
        if (n > 2 || (a->kind == ACT_WAIT && n != 2)) return "expected: wait MS, or wait-idle [MS]";
        if (n == 2 && (parse_long(word[1], &a->number) || a->number < 0)) return "expected milliseconds";
        return NULL;
    }
    if (strcmp(verb, "drop") == 0 || strcmp(verb, "save") == 0 || strcmp(verb, "screenshot") == 0 ||
        strcmp(verb, "gif") == 0) {
        a->kind = verb[0] == 'd' ? ACT_DROP : verb[0] == 'g' ? ACT_GIF : verb[1] == 'a' ? ACT_SAVE : ACT_SCREENSHOT;
        if (n != 2) return "expected a path (without spaces)";
        return (a->path = strdup(word[1])) ? NULL : "out of memory";
    }
    if (strcmp(verb, "resize") == 0) {
        a->kind = ACT_RESIZE;
        char end;
        if (n != 2 || sscanf(word[1], "%dx%d%c", &a->width, &a->height, &end) != 2 || a->width < 1 ||
            a->height < 1 || a->width > MAX_WINDOW_SIDE || a->height > MAX_WINDOW_SIDE)
            return "expected: resize WxH (1 to 8192 each)";
        return NULL;
    }
    if (strcmp(verb, "quit") == 0) {
        a->kind = ACT_QUIT;
        return n == 1 ? NULL : "quit takes nothing";
    }
    return "unknown action";
}

Script *script_load(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    Script *sc = calloc(1, sizeof *sc);
    if (!sc || !(sc->file = strdup(path))) {
        snprintf(err, err_len, "%s: out of memory", path);
        fclose(f);
        script_free(sc);
        return NULL;
    }
    char line[LINE_LEN];
    for (int number = 1; fgets(line, sizeof line, f); number++) {
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *word[2 + 2 * MAX_POINTS + 1];
        int n = 0;
        for (char *save, *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
            if (n == (int)(sizeof word / sizeof word[0])) break;
            word[n++] = w;
        }
        if (n == 0) continue;
        if (sc->n == sc->cap) {
            int cap = sc->cap ? 2 * sc->cap : 32;
            Action *grown = realloc(sc->actions, (size_t)cap * sizeof *grown);
            if (!grown) {
                snprintf(err, err_len, "%s: out of memory", path);
                break;
            }
            sc->actions = grown;
            sc->cap = cap;
        }
        Action *a = &sc->actions[sc->n];
        memset(a, 0, sizeof *a);
        a->line = number;
        const char *problem = parse_action(word, n, a);
        if (problem) {
            free(a->path);
            snprintf(err, err_len, "%s:%d: %s", path, number, problem);
            fclose(f);
            script_free(sc);
            return NULL;
        }
        sc->n++;
    }
    fclose(f);
    return sc;
}

/* ---- running ----------------------------------------------------------- */

static void handle(Studio *s, Intent in) { studio_handle(s, &in); }

static void stroke(Studio *s, const Action *a)
{
    const float *p = a->points;
    handle(s, (Intent){.kind = INTENT_POINTER, .x = p[0], .y = p[1], .on_canvas = 1});
    handle(s, (Intent){.kind = INTENT_STROKE_BEGIN, .tool = studio_tool(s, a->right), .x = p[0], .y = p[1]});
    for (int i = 1; i < a->n_points; i++) {
        handle(s, (Intent){.kind = INTENT_POINTER, .x = p[2 * i], .y = p[2 * i + 1], .on_canvas = 1});
        handle(s, (Intent){.kind = INTENT_STROKE_MOVE, .x = p[2 * i], .y = p[2 * i + 1]});
    }
    handle(s, (Intent){.kind = INTENT_STROKE_END});
}

/* 1 when the action is done, 0 while it waits, -1 when it failed */
static int step(Script *sc, const Action *a, Studio *s, SDL_Window *window, uint64_t now)
{
    const int first = !sc->started;
    if (first) {
        sc->started = 1;
        sc->started_at = now;
    }
    switch (a->kind) {
    case ACT_DRAG:
    case ACT_CLICK: stroke(s, a); return 1;
    case ACT_MOVE:
        handle(s, (Intent){.kind = INTENT_POINTER, .x = a->points[0], .y = a->points[1], .on_canvas = 1});
        return 1;
    case ACT_KEY: handle(s, input_key(a->key, a->mods)); return 1;
    case ACT_BUTTON: handle(s, (Intent){.kind = a->intent}); return 1;
    case ACT_WHEEL:
        for (long i = 0; i < labs(a->number); i++)
            handle(s, (Intent){.kind = a->number > 0 ? INTENT_BRUSH_LARGER : INTENT_BRUSH_SMALLER});
        return 1;
    case ACT_PICK: handle(s, (Intent){.kind = INTENT_PICK_ALTERNATIVE, .index = (int)a->number - 1}); return 1;
    case ACT_DROP: handle(s, (Intent){.kind = INTENT_OPEN, .path = a->path}); return 1;
    case ACT_SAVE: handle(s, (Intent){.kind = INTENT_SAVE, .path = a->path}); return 1;
    case ACT_GIF: handle(s, (Intent){.kind = INTENT_SAVE_GIF, .path = a->path}); return 1;
    case ACT_SCREENSHOT:
        /* asked for once; done when the event loop has drawn a frame and taken it */
        if (first) handle(s, (Intent){.kind = INTENT_SCREENSHOT, .path = a->path});
        return !s->screenshot_path[0];
    case ACT_WAIT: return now - sc->started_at >= (uint64_t)a->number;
    case ACT_WAIT_IDLE:
        if (studio_idle(s)) return 1;
        if (now - sc->started_at < (uint64_t)a->number) return 0;
        fprintf(stderr, "vnca-studio: %s:%d: still busy after %ld ms\n", sc->file, a->line, a->number);
        return -1;
    case ACT_RESIZE:
        /* the window clamps it to its minimum; the layout follows on the next frame */
        SDL_SetWindowSize(window, a->width, a->height);
        return 1;
    case ACT_QUIT: handle(s, (Intent){.kind = INTENT_QUIT}); return 1;
    }
    return -1;
}

ScriptState script_run(Script *sc, Studio *s, SDL_Window *window, uint64_t now_ms)
{
    while (sc->next < sc->n && !s->quit) {
        int done = step(sc, &sc->actions[sc->next], s, window, now_ms);
        if (done < 0) return SCRIPT_FAILED;
        if (!done) return SCRIPT_RUNNING;
        sc->next++;
        sc->started = 0;
    }
    return SCRIPT_DONE;
}
