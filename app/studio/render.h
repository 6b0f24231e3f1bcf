/* render.h: drawing the studio's state. Reads the state, never changes it. */
#ifndef VNCA_STUDIO_RENDER_H
#define VNCA_STUDIO_RENDER_H

#include <SDL.h>

#include "layout.h"
#include "studio.h"
#include "text.h"
#include "vnca/error.h"

typedef struct Screen {
    SDL_Renderer *renderer;
    Text *text;               /* NULL: no font, no words */
    SDL_Texture *canvas;      /* the image, one texel per pixel, drawn magnified */
    int canvas_size;
    float *rgb;               /* [S, S, 3] scratch */
    SDL_Texture *sketch;      /* draw mode's drawing: white, its ink as alpha */
    int sketch_side;
    SDL_Texture *strip;       /* the alternatives' thumbnails side by side */
    uint64_t strip_seq;       /* of the alternatives it holds */
} Screen;

/* Draws a whole frame (not presented). */
void screen_draw(Screen *sc, const Layout *l, const Studio *s);
void screen_free(Screen *sc);
/* The frame drawn (before it is presented) as a PNG; -1 with the reason. */
int screen_capture(Screen *sc, int w, int h, const char *path, VncaError *err);

#endif
