/* script.h: --script FILE, a list of input actions run through the same
 * intents as the mouse and keyboard, one action after another while the
 * window keeps drawing; for tests, demos and screenshots. One action a line
 * (`#` starts a comment); coordinates are image pixels (0..S):
 *
 *   drag left|right X0 Y0 X1 Y1 [X Y ...]  a brush stroke through the points
 *   click left|right X Y                   a single dab
 *   move X Y                               the brush outline to (X, Y)
 *   key NAME                               e.g. space, return, r, ctrl+z, ctrl+shift+z, f1, +,
 *                                          keypad_enter (_ for a space in SDL's key name)
 *   button regrow|resample|new|draw|help   the panel's buttons
 *   wheel N                                the mouse wheel, N notches (negative: down)
 *   pick K                                 alternative K (1-8) of the strip grows (after a
 *                                          regrow, or a drawing grown: its posterior's samples)
 *   drop PATH                              a file dropped onto the window
 *   wait MS                                milliseconds
 *   wait-idle [MS]                         until nothing changes by itself (fails after
 *                                          MS, default 60000)
 *   save PATH                              the canvas as a PNG (S x S)
 *   screenshot PATH                        the window as a PNG
 *   gif PATH                               the last growth as an animated GIF (as G)
 *   resize WxH                             the window, in points (at least its minimum)
 *   quit                                   (the end of the script quits too) */
#ifndef VNCA_STUDIO_SCRIPT_H
#define VNCA_STUDIO_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "layout.h"
#include "studio.h"

typedef struct Script Script;

typedef enum ScriptState { SCRIPT_RUNNING, SCRIPT_DONE, SCRIPT_FAILED } ScriptState;

/* Reads and checks the whole script (after SDL_Init: key names need it).
 * NULL with "FILE:LINE: problem" in err. */
Script *script_load(const char *path, char *err, size_t err_len);
void script_free(Script *sc);
/* Runs actions until one has to wait; call once per frame. A failure is
 * written to stderr. `resize` acts on the window. */
ScriptState script_run(Script *sc, Studio *s, SDL_Window *window, uint64_t now_ms);

#endif
