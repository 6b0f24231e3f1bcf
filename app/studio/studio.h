/* studio.h: the state of vnca-studio, and the intents that change it.
 *
 * Every input (the command line's model and picture, mouse, keyboard,
 * dropped files, the panel's buttons, and the --script runner) becomes an
 * Intent, and studio_handle is the one function that acts on intents.
 * Drawing (render.c) only reads this state. */
#ifndef VNCA_STUDIO_STUDIO_H
#define VNCA_STUDIO_STUDIO_H

#include <stdint.h>

#include "canvas.h"
#include "history.h"
#include "sketch.h"
#include "worker.h"

typedef enum IntentKind {
    INTENT_NONE = 0,
    INTENT_STROKE_BEGIN,   /* tool, x, y: a brush stroke starts (image coordinates) */
    INTENT_STROKE_MOVE,    /* x, y */
    INTENT_STROKE_END,
    INTENT_POINTER,        /* x, y: where the brush outline is; on_canvas 0 hides it */
    INTENT_BRUSH_LARGER,
    INTENT_BRUSH_SMALLER,
    INTENT_UNDO,
    INTENT_REDO,
    INTENT_CLEAR_DAMAGE,
    INTENT_REGROW,         /* inpaint the erased pixels: the most probable latent */
    INTENT_RESAMPLE,       /* the same, a latent drawn by its weight */
    INTENT_PICK_ALTERNATIVE, /* index: that alternative of the strip grows instead */
    INTENT_TOGGLE_RAW,     /* composite <-> the decoder's own output */
    INTENT_TOGGLE_MODE,    /* regrow <-> heal */
    INTENT_NEW_DIGIT,
    INTENT_PAUSE,
    INTENT_STEP,
    INTENT_FASTER,
    INTENT_SLOWER,
    INTENT_TOGGLE_CHANNELS,
    INTENT_SAVE,           /* path, or NULL for a timestamped name in the save folder */
    INTENT_SCREENSHOT,     /* path, or NULL likewise */
    INTENT_SAVE_GIF,       /* path, or NULL likewise: the last growth, every step */
    INTENT_OPEN,           /* path: a model (*.safetensors), else a picture */
    INTENT_LOAD_MODEL,     /* path */
    INTENT_LOAD_HEALER,    /* the shipped model trained to heal */
    INTENT_OPEN_PICTURE,   /* path */
    INTENT_BLANK,          /* draw mode, on a blank sketch */
    INTENT_TOGGLE_OVERLAY, /* draw mode: the growth beside the drawing <-> under it */
    INTENT_TOGGLE_HELP,
    INTENT_DISMISS,        /* closes the help */
    INTENT_QUIT,
} IntentKind;

typedef enum Tool { TOOL_ERASE, TOOL_INK } Tool;

typedef struct Intent {
    IntentKind kind;
    Tool tool;
    float x, y;
    int on_canvas;
    const char *path;
    int index;
} Intent;

/* regrow: erase, then inpaint; heal: damage the live cells; draw: draw a
 * digit by hand and grow its reconstruction */
typedef enum Mode { MODE_REGROW, MODE_HEAL, MODE_DRAW } Mode;

/* What the canvas shows. */
typedef enum Show {
    SHOW_DIGIT,    /* the canvas: the digit with its marks */
    SHOW_GROWTH,   /* the live cells of growth_job (a new digit, or heal mode) */
    SHOW_REGROW,   /* the regrowth of growth_job inside the erased pixels */
} Show;

enum { PATH_MAX_LEN = 4096 };

typedef struct Studio {
    Worker *worker;
    WorkerView live;           /* the worker's latest publication */
    unsigned model_generation; /* of live.model, as last acted on */
    char model_error[1024];    /* why no model is loaded ("" while loading) */
    char heal_model[PATH_MAX_LEN]; /* the shipped model trained to heal; "" when not found */
    uint64_t message_seq;      /* of live's message, as last shown */

    Canvas canvas;
    Sketch sketch;             /* draw mode's drawing */
    int growth_over_drawing;   /* draw mode: the growth under the drawing, not beside it */
    History history;
    Mode mode;
    Show show;
    uint64_t growth_job;       /* the worker job whose frames the canvas shows */
    uint64_t regrow_job;       /* the last regrow: the worker job offering the alternatives */
    uint64_t picture_job;      /* the drawing or picture grown, until edited: the worker job
                                * offering its posterior's samples as alternatives */
    float *regrow_picture;     /* [S, S] SHOW_REGROW: the picture given to the inpainting */
    uint8_t *regrow_unknown;   /* [S, S] and its erased pixels */
    int raw_view;              /* SHOW_REGROW: the decoder's output everywhere */
    int channels_view;         /* hidden channels 1-3 as colour */
    int help;

    int stroking;
    Tool stroke_tool;
    float stroke_x, stroke_y;  /* the stroke's last point */
    uint8_t *stroke_mask;      /* [S, S] scratch */
    float brush_radius;        /* image pixels */
    int pointer_on_canvas;
    float pointer_x, pointer_y;

    WorkerPace pace;
    char status[1024];         /* the last thing that happened, for the panel */
    int status_is_error;
    int status_awaits_model;   /* it says a model is loading: replaced when it has */

    const char *save_dir;
    char screenshot_path[PATH_MAX_LEN]; /* pending: taken after the next frame is drawn */
    int changed;               /* something on view may differ from the last frame drawn */
    int quit;
} Studio;

/* Starts the worker, with no model yet: an INTENT_LOAD_MODEL loads one (and
 * grows a digit from the prior), or studio_no_model says why there is none.
 * -1 when the worker cannot start. */
int studio_open(Studio *s, uint64_t seed, const WorkerPace *pace, const char *save_dir,
                uint32_t wake_event);
/* There is no model to load: the studio shows the reason instead of a digit. */
void studio_no_model(Studio *s, const char *reason);
void studio_close(Studio *s);

void studio_handle(Studio *s, const Intent *in);
/* What a drag with the left (or right) mouse button does in the current
 * mode: the left button erases, or in draw mode is the pen. */
Tool studio_tool(const Studio *s, int right_button);
/* The strip of alternatives on view, or NULL: the regrow's on view, or the
 * posterior samples of the drawing or picture last grown (until it is
 * edited). */
const WorkerAlternatives *studio_alternatives(const Studio *s);
/* Takes in what the worker published; call once per turn of the event loop.
 * Like studio_handle, sets changed when the picture or the panel may have
 * changed; the loop clears it when it draws. */
void studio_update(Studio *s);
/* Nothing is going on that would change the picture by itself. */
int studio_idle(Studio *s);

/* The status line (and stderr for errors). */
void studio_report(Studio *s, int is_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What the canvas shows (view.c). Gray [S, S] in [0, 1]: */
void studio_view_gray(const Studio *s, float *out);
/* A frame of growth_job's pixel probabilities [S, S] as the canvas shows
 * it: a regrowth on view keeps the kept pixels (unless V shows the
 * decoder's output), any other growth is its probabilities. out may be
 * prob. */
void studio_view_growth(const Studio *s, const float *prob, float *out);
/* Whether it is in colour (the hidden channels) rather than gray. */
int studio_view_is_colour(const Studio *s);
/* RGB [S, S, 3] in [0, 1]; with `marked`, erased pixels and drawn ink are
 * tinted (for the screen; a saved picture is plain). */
void studio_view_rgb(const Studio *s, int marked, float *rgb);

#endif
