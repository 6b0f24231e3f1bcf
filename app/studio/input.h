/* input.h: SDL events -> intents. The key bindings are one table, behind the
 * keyboard, the help overlay, --help and the script runner's `key` action. */
#ifndef VNCA_STUDIO_INPUT_H
#define VNCA_STUDIO_INPUT_H

#include <SDL.h>

#include "layout.h"
#include "studio.h"

enum { MAX_EVENT_INTENTS = 2 };

/* The intents of one event (a mouse motion while drawing makes two); returns
 * how many. A dropped file's intent points into the event's string. */
int input_event(const SDL_Event *ev, const Layout *l, const Studio *s, Intent out[MAX_EVENT_INTENTS]);
/* The intent of a key with modifiers; INTENT_NONE when it has none. */
Intent input_key(SDL_Keycode key, Uint16 mods);

typedef struct HelpLine {
    char keys[96];        /* e.g. "Ctrl+Shift+Z / Ctrl+Y" */
    const char *what;
} HelpLine;

/* The i-th key binding, named as a script's `key` action takes it (e.g.
 * "Ctrl+Shift+Z", "Keypad_Enter"), and its intent; -1 past the last. For
 * tests that press every key. */
int input_binding(int i, char *name, size_t len, IntentKind *intent);

/* Every action of the keyboard and the mouse, one line each; returns how
 * many (at most max). */
int input_help(HelpLine *lines, int max);

#endif
