/* Keyboard, mouse and dropped files, turned into intents. */
#include "input.h"

#include <stdio.h>
#include <string.h>

enum { CTRL = 1, SHIFT = 2 };

typedef struct KeyBinding {
    SDL_Keycode key;
    int mods;             /* CTRL, SHIFT: must match when CTRL is among them */
    IntentKind intent;
    const char *what;     /* NULL: another key for the line above */
    int unlisted;         /* a twin not worth a place in the help (keypad keys) */
} KeyBinding;

static const KeyBinding bindings[] = {
    {SDLK_SPACE, 0, INTENT_REGROW, "regrow the erased part", 0},
    /* the same intent: in draw mode it grows the drawing */
    {SDLK_RETURN, 0, INTENT_REGROW, "draw mode: grow the drawing; else as Space", 0},
    {SDLK_KP_ENTER, 0, INTENT_REGROW, NULL, 1},
    {SDLK_r, 0, INTENT_RESAMPLE, "regrow it from another latent", 0},
    {SDLK_v, 0, INTENT_TOGGLE_RAW, "after a regrow: kept pixels + regrowth / decoder output", 0},
    {SDLK_c, 0, INTENT_CLEAR_DAMAGE, "clear the damage (draw mode: the drawing)", 0},
    {SDLK_z, CTRL, INTENT_UNDO, "undo a stroke", 0},
    {SDLK_z, CTRL | SHIFT, INTENT_REDO, "redo", 0},
    {SDLK_y, CTRL, INTENT_REDO, NULL, 0},
    {SDLK_LEFTBRACKET, 0, INTENT_BRUSH_SMALLER, "smaller brush", 0},
    {SDLK_RIGHTBRACKET, 0, INTENT_BRUSH_LARGER, "larger brush", 0},
    {SDLK_m, 0, INTENT_TOGGLE_MODE, "regrow mode / heal mode (damage live cells)", 0},
    {SDLK_b, 0, INTENT_BLANK, "draw mode: draw your own digit on a blank canvas", 0},
    {SDLK_o, 0, INTENT_TOGGLE_OVERLAY, "draw mode: the growth beside / under the drawing", 0},
    {SDLK_l, 0, INTENT_LOAD_HEALER, "load the model trained to heal (vnca-mnist-heal)", 0},
    {SDLK_n, 0, INTENT_NEW_DIGIT, "a new digit from the prior", 0},
    {SDLK_p, 0, INTENT_PAUSE, "pause / run", 0},
    {SDLK_PERIOD, 0, INTENT_STEP, "one step", 0},
    {SDLK_PLUS, 0, INTENT_FASTER, "faster", 0},
    {SDLK_EQUALS, 0, INTENT_FASTER, NULL, 1},
    {SDLK_KP_PLUS, 0, INTENT_FASTER, NULL, 1},
    {SDLK_MINUS, 0, INTENT_SLOWER, "slower", 0},
    {SDLK_KP_MINUS, 0, INTENT_SLOWER, NULL, 1},
    {SDLK_TAB, 0, INTENT_TOGGLE_CHANNELS, "hidden channels 1, 2, 3 as colour / pixels", 0},
    {SDLK_s, CTRL, INTENT_SAVE, "save the canvas (PNG)", 0},
    {SDLK_F12, 0, INTENT_SCREENSHOT, "save a screenshot (PNG)", 0},
    {SDLK_g, 0, INTENT_SAVE_GIF, "save the last growth, every step (looping GIF)", 0},
    {SDLK_F1, 0, INTENT_TOGGLE_HELP, "this help", 0},
    {SDLK_h, 0, INTENT_TOGGLE_HELP, NULL, 0},
    {SDLK_ESCAPE, 0, INTENT_DISMISS, "close the help", 0},
    {SDLK_q, CTRL, INTENT_QUIT, "quit", 0},
};
enum { N_BINDINGS = sizeof bindings / sizeof bindings[0] };

static const HelpLine mouse_help[] = {
    {"Left drag", "erase (heal mode: damage the cells; draw mode: the pen)"},
    {"Right drag", "draw ink (draw mode: rub out)"},
    {"Wheel", "brush (pen) size"},
    {"Click the strip, 1-8", "after a regrow, or a drawing grown: grow that alternative (weights in %)"},
    {"Drop a file", "a PNG or JPEG: its digit, encoded and regrown; a .safetensors: that model"},
};
enum { N_MOUSE_HELP = sizeof mouse_help / sizeof mouse_help[0] };

/* intents worth repeating while a key is held */
static int repeats(IntentKind k)
{
    return k == INTENT_STEP || k == INTENT_BRUSH_LARGER || k == INTENT_BRUSH_SMALLER ||
           k == INTENT_UNDO || k == INTENT_REDO || k == INTENT_FASTER || k == INTENT_SLOWER;
}

Intent input_key(SDL_Keycode key, Uint16 mods)
{
    const int held = (mods & KMOD_CTRL ? CTRL : 0) | (mods & KMOD_SHIFT ? SHIFT : 0);
    for (int i = 0; i < N_BINDINGS; i++) {
        const KeyBinding *b = &bindings[i];
        /* shift counts only with ctrl: "+" is Shift+"=" on many keyboards */
        const int match = b->mods & CTRL ? b->mods == held : !(held & CTRL);
        if (b->key == key && match) return (Intent){.kind = b->intent};
    }
    /* 1-8: the strip's alternatives (the mouse help tells of them, with the strip) */
    if (key >= SDLK_1 && key < SDLK_1 + ALTERNATIVES_MAX && !(held & CTRL))
        return (Intent){.kind = INTENT_PICK_ALTERNATIVE, .index = key - SDLK_1};
    return (Intent){.kind = INTENT_NONE};
}

static void key_label(const KeyBinding *b, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", b->mods & CTRL ? "Ctrl+" : "", b->mods & SHIFT ? "Shift+" : "",
             SDL_GetKeyName(b->key));
}

int input_binding(int i, char *name, size_t len, IntentKind *intent)
{
    if (i < 0 || i >= N_BINDINGS) return -1;
    key_label(&bindings[i], name, len);
    /* words end at spaces in a script: "Keypad Enter" is keypad_enter there */
    for (char *c = name; name[1] && (c = strchr(c, ' '));) *c = '_';
    *intent = bindings[i].intent;
    return 0;
}

int input_help(HelpLine *lines, int max)
{
    int n = 0;
    for (int i = 0; i < N_MOUSE_HELP && n < max; i++) lines[n++] = mouse_help[i];
    for (int i = 0; i < N_BINDINGS; i++) {
        const KeyBinding *b = &bindings[i];
        if (b->unlisted) continue;
        char label[48];
        key_label(b, label, sizeof label);
        if (b->what) {
            if (n == max) break;
            snprintf(lines[n].keys, sizeof lines[n].keys, "%s", label);
            lines[n++].what = b->what;
        } else if (n > 0) {
            size_t used = strlen(lines[n - 1].keys);
            snprintf(lines[n - 1].keys + used, sizeof lines[n - 1].keys - used, " / %s", label);
        }
    }
    return n;
}

int input_event(const SDL_Event *ev, const Layout *l, const Studio *s, Intent out[MAX_EVENT_INTENTS])
{
    float x, y;
    switch (ev->type) {
    case SDL_QUIT:
        out[0] = (Intent){.kind = INTENT_QUIT};
        return 1;
    case SDL_KEYDOWN:
        out[0] = input_key(ev->key.keysym.sym, ev->key.keysym.mod);
        return out[0].kind != INTENT_NONE && (!ev->key.repeat || repeats(out[0].kind));
    case SDL_MOUSEBUTTONDOWN: {
        if (ev->button.button != SDL_BUTTON_LEFT && ev->button.button != SDL_BUTTON_RIGHT) return 0;
        const float px = ev->button.x * l->scale, py = ev->button.y * l->scale;
        const int button = layout_button_at(l, (int)px, (int)py);
        const int alternative = layout_alternative_at(l, (int)px, (int)py);
        if (s->help) out[0] = (Intent){.kind = INTENT_DISMISS};
        else if (button >= 0) out[0] = (Intent){.kind = buttons[button].intent};
        else if (alternative >= 0) out[0] = (Intent){.kind = INTENT_PICK_ALTERNATIVE, .index = alternative};
        else if (layout_to_image(l, px, py, &x, &y))
            out[0] = (Intent){.kind = INTENT_STROKE_BEGIN, .x = x, .y = y,
                              .tool = studio_tool(s, ev->button.button == SDL_BUTTON_RIGHT)};
        else return 0;
        return 1;
    }
    case SDL_MOUSEBUTTONUP:
        out[0] = (Intent){.kind = INTENT_STROKE_END};
        return 1;
    case SDL_MOUSEMOTION: {
        const int on = layout_to_image(l, ev->motion.x * l->scale, ev->motion.y * l->scale, &x, &y);
        out[0] = (Intent){.kind = INTENT_POINTER, .x = x, .y = y, .on_canvas = on};
        if (!(ev->motion.state & (SDL_BUTTON_LMASK | SDL_BUTTON_RMASK))) return 1;
        out[1] = (Intent){.kind = INTENT_STROKE_MOVE, .x = x, .y = y};
        return 2;
    }
    case SDL_MOUSEWHEEL:
        if (ev->wheel.y == 0) return 0;
        out[0] = (Intent){.kind = ev->wheel.y > 0 ? INTENT_BRUSH_LARGER : INTENT_BRUSH_SMALLER};
        return 1;
    case SDL_DROPFILE:
        out[0] = (Intent){.kind = INTENT_OPEN, .path = ev->drop.file};
        return 1;
    default:
        return 0;
    }
}
