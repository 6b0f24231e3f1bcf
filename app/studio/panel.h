/* panel.h: what the panel beside (or under) the canvas says, line by line,
 * from the studio's state. Where each line goes is the layout's to say
 * (layout.c), which drops the least needed lines when the window is small;
 * drawing them is render.c's. */
#ifndef VNCA_STUDIO_PANEL_H
#define VNCA_STUDIO_PANEL_H

#include "studio.h"
#include "text.h"

enum { MAX_PANEL_LINES = 20, PANEL_TEXT_LEN = 1024 };

/* the colours of the panel's words, named for what they say */
typedef enum Tone { TONE_INK, TONE_DIM, TONE_ACCENT, TONE_WARNING, TONE_FAILURE } Tone;

typedef struct PanelLine {
    const char *label;    /* "Mode": a field, its value beside; NULL: a note */
    char text[PANEL_TEXT_LEN];
    FontRole role;
    Tone tone;
    int indent;           /* a note under the fields' values, not their labels */
    int gap_before;       /* some space above it, when it is shown */
    int need;             /* how much it is needed: a small window shows the most needed */
} PanelLine;

/* The lines, at most MAX_PANEL_LINES; returns how many. */
int panel_lines(const Studio *s, PanelLine *lines);

#endif
