/* studio_handle: the one place where intents change the studio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "gif_writer.h"
#include "image_io.h"
#include "resources.h"
#include "studio.h"

/* Steps per second to choose from with + and -; 0 is "as fast as it goes". */
static const double speeds[] = {1, 2, 5, 10, 20, 50, 0};
enum { N_SPEEDS = sizeof speeds / sizeof speeds[0] };

#define BRUSH_MIN 0.5f
#define BRUSH_MAX 12.0f
#define BRUSH_STEP 0.5f
/* The pen draw mode starts with: a line about as wide as MNIST's once the
 * digit is scaled to its 20x20 box. */
#define PEN_RADIUS 1.5f

static int have_model(Studio *s)
{
    if (s->live.model.loaded && s->canvas.size > 0) return 1;
    studio_report(s, 1, "no model is loaded: drop a model file (.safetensors) onto the window");
    return 0;
}

static int have_cells(Studio *s)
{
    if (s->live.frame.job != 0 && s->live.frame.size == s->canvas.size) return 1;
    studio_report(s, 0, "no cells yet: N grows a digit");
    return 0;
}

/* What the canvas shows becomes the digit being edited, and the automaton
 * stops: a stroke, a regrow or regrow mode takes over from there. A regrow
 * whose first frame has not come yet leaves the marked digit as it was. */
static void settle(Studio *s)
{
    if (s->show == SHOW_DIGIT) return;
    if (s->live.frame.job == s->growth_job && s->live.frame.size == s->canvas.size) {
        float *shown = malloc((size_t)s->canvas.size * s->canvas.size * sizeof(float));
        if (!shown) {
            studio_report(s, 1, "out of memory");
            return;
        }
        studio_view_gray(s, shown);
        canvas_set_digit(&s->canvas, shown);
        free(shown);
    }
    worker_stop(s->worker);
    s->show = SHOW_DIGIT;
    s->raw_view = 0;
    s->picture_job = 0; /* an edited picture's posterior is another */
}

/* the live cells before a heal-mode stroke (snapshots hold bytes) */
static void snapshot_cells(Studio *s)
{
    const WorkerFrame *f = &s->live.frame;
    if (history_push(&s->history, SNAPSHOT_CELLS, f->cells, f->cells_len * sizeof(float)))
        studio_report(s, 1, "out of memory: this stroke cannot be undone");
}

static void restore_cells(Studio *s, const Snapshot *snap)
{
    worker_set_cells(s->worker, snap->data, snap->len / sizeof(float));
}

static void snapshot_sketch(Studio *s)
{
    if (history_push(&s->history, SNAPSHOT_SKETCH, s->sketch.ink, sketch_state_len(&s->sketch)))
        studio_report(s, 1, "out of memory: this stroke cannot be undone");
}

static void snapshot_canvas(Studio *s)
{
    const size_t len = canvas_state_len(&s->canvas);
    void *state = malloc(len);
    if (state) canvas_state_save(&s->canvas, state);
    if (!state || history_push(&s->history, SNAPSHOT_CANVAS, state, len))
        studio_report(s, 1, "out of memory: this stroke cannot be undone");
    free(state);
}

/* the brush (draw mode: the pen) from the stroke's last point to (x, y) */
static void sweep(Studio *s, float x, float y)
{
    const int size = s->canvas.size;
    const float x0 = s->stroke_x, y0 = s->stroke_y;
    s->stroke_x = x;
    s->stroke_y = y;
    if (s->mode == MODE_DRAW) {
        sketch_stroke(&s->sketch, x0, y0, x, y, s->brush_radius, s->stroke_tool == TOOL_INK);
        return;
    }
    if (!brush_sweep(size, x0, y0, x, y, s->brush_radius, s->stroke_mask)) return;
    if (s->mode == MODE_HEAL)
        worker_damage(s->worker, s->stroke_mask, size, s->stroke_tool == TOOL_ERASE ? DAMAGE_ZERO : DAMAGE_INK);
    else
        canvas_mark(&s->canvas, s->stroke_mask, s->stroke_tool == TOOL_ERASE ? MARK_ERASED : MARK_INK);
}

static void stroke_begin(Studio *s, const Intent *in)
{
    if (!have_model(s)) return;
    if (s->mode == MODE_HEAL) {
        if (!have_cells(s)) return;
        snapshot_cells(s);
    } else if (s->mode == MODE_DRAW) {
        snapshot_sketch(s); /* a growth on view stays, to compare with */
    } else {
        settle(s);
        snapshot_canvas(s);
    }
    s->stroking = 1;
    s->stroke_tool = in->tool;
    s->stroke_x = in->x;
    s->stroke_y = in->y;
    sweep(s, in->x, in->y);
}

/* the canvas or the drawing, as the bytes a snapshot of `kind` holds */
static size_t state_len(const Studio *s, SnapshotKind kind)
{
    return kind == SNAPSHOT_SKETCH ? sketch_state_len(&s->sketch) : canvas_state_len(&s->canvas);
}

static void state_save(const Studio *s, SnapshotKind kind, void *buf)
{
    if (kind == SNAPSHOT_SKETCH) sketch_state_save(&s->sketch, buf);
    else canvas_state_save(&s->canvas, buf);
}

static void state_load(Studio *s, SnapshotKind kind, const void *buf)
{
    if (kind == SNAPSHOT_SKETCH) sketch_state_load(&s->sketch, buf);
    else canvas_state_load(&s->canvas, buf);
}

static void travel(Studio *s, HistoryDirection d)
{
    const char *done = d == HISTORY_UNDO ? "undone" : "redone";
    const Snapshot *snap = history_peek(&s->history, d);
    if (!snap) {
        studio_report(s, 0, "nothing to %s", d == HISTORY_UNDO ? "undo" : "redo");
        return;
    }
    int failed;
    if (snap->kind == SNAPSHOT_CELLS) {
        restore_cells(s, snap);
        failed = history_turn(&s->history, d, s->live.frame.cells, s->live.frame.cells_len * sizeof(float));
    } else {
        /* back to the marked digit: a regrow on view is dropped, not kept
         * (the growth of a drawing stays beside it) */
        if (snap->kind == SNAPSHOT_CANVAS) {
            if (s->show != SHOW_DIGIT) worker_stop(s->worker);
            s->show = SHOW_DIGIT;
        }
        const SnapshotKind kind = snap->kind;
        const size_t len = state_len(s, kind);
        void *current = malloc(len);
        failed = !current;
        if (current) {
            state_save(s, kind, current);
            state_load(s, kind, snap->data);
            failed = history_turn(&s->history, d, current, len);
            free(current);
        }
    }
    if (failed) studio_report(s, 1, "out of memory: the history is cut short");
    else studio_report(s, 0, "%s", done);
}

/* draw mode on a blank drawing; blanking a drawing can be undone */
static void blank(Studio *s)
{
    if (!have_model(s)) return;
    if (s->mode == MODE_DRAW) {
        snapshot_sketch(s);
    } else {
        /* nothing is grown yet: the canvas beside the drawing is black */
        worker_stop(s->worker);
        canvas_clear(&s->canvas);
        s->show = SHOW_DIGIT;
        s->raw_view = 0;
        s->picture_job = 0;
        s->mode = MODE_DRAW;
        s->brush_radius = PEN_RADIUS;
        s->pace.heal = 0;
        worker_set_pace(s->worker, &s->pace);
        history_clear(&s->history);
    }
    sketch_clear(&s->sketch);
    studio_report(s, 0, "draw mode: draw a digit (left drag: pen, right drag: rub out), then Enter grows it");
}

/* the drawing made an MNIST-like digit as a dropped picture is, encoded,
 * and its reconstruction grown from four cells */
static void grow_drawing(Studio *s)
{
    if (sketch_is_blank(&s->sketch)) {
        studio_report(s, 0, "nothing is drawn yet: draw a digit with the left button, then Enter");
        return;
    }
    s->growth_job = s->picture_job = worker_grow_picture(s->worker, s->sketch.ink, s->sketch.side, s->sketch.side);
    s->show = SHOW_GROWTH;
    s->raw_view = 0;
    studio_report(s, 0, "your digit: encoded; its reconstruction grows; 1-%d grow samples of its posterior",
                  ALTERNATIVES_MAX);
}

static void clear_damage(Studio *s)
{
    if (s->mode == MODE_DRAW) {
        blank(s);
        return;
    }
    if (s->mode == MODE_HEAL) {
        const Snapshot *first = history_oldest(&s->history);
        if (!first) {
            studio_report(s, 0, "no damage to clear");
            return;
        }
        /* the cells as they were before the first stroke, as one undoable step */
        restore_cells(s, first);
        snapshot_cells(s);
    } else {
        if (!canvas_has_marks(&s->canvas) && s->show != SHOW_REGROW) {
            studio_report(s, 0, "no damage to clear");
            return;
        }
        if (s->show != SHOW_DIGIT) worker_stop(s->worker);
        s->show = SHOW_DIGIT;
        snapshot_canvas(s);
        canvas_clear_marks(&s->canvas);
    }
    studio_report(s, 0, "damage cleared");
}

static void regrow(Studio *s, int pick_best)
{
    if (!have_model(s)) return;
    if (s->mode == MODE_HEAL) {
        studio_report(s, 0, "in heal mode the cells regrow by themselves; M switches to regrow mode");
        return;
    }
    if (s->mode == MODE_DRAW) {
        grow_drawing(s);
        return;
    }
    /* Space again on a regrowth: the same damage, another try */
    if (s->show != SHOW_REGROW) {
        settle(s);
        canvas_picture(&s->canvas, s->regrow_picture);
        canvas_unknown(&s->canvas, s->regrow_unknown);
    }
    int erased = 0;
    for (int i = 0; i < s->canvas.size * s->canvas.size; i++) erased += s->regrow_unknown[i];
    s->growth_job = s->regrow_job =
        worker_regrow(s->worker, s->regrow_picture, s->regrow_unknown, s->canvas.size, pick_best);
    s->show = SHOW_REGROW;
    s->raw_view = 0;
    if (!erased)
        studio_report(s, 0, "nothing is erased, so the picture stays; V shows the decoder's reading of it");
    else
        studio_report(s, 0, "regrowing %d erased pixels from %s; 1-%d grow the alternatives", erased,
                      pick_best ? "the most probable latent" : "a latent drawn by its weight", ALTERNATIVES_MAX);
}

/* the alternatives on view, or NULL (with why) */
static const WorkerAlternatives *alternatives(Studio *s)
{
    const WorkerAlternatives *a = studio_alternatives(s);
    if (a) return a;
    studio_report(s, 0, s->show == SHOW_REGROW || s->picture_job ? "the alternatives are on their way"
                        : "no alternatives: Space regrows the erased part first (draw mode: Enter grows the drawing)");
    return NULL;
}

static void pick_alternative(Studio *s, int index)
{
    const WorkerAlternatives *a = alternatives(s);
    if (!a) return;
    if (index < 0 || index >= a->count) {
        studio_report(s, 0, "there are %d alternatives", a->count);
        return;
    }
    s->growth_job = worker_grow_alternative(s->worker, a, index);
    if (a->source.posterior) {
        /* grown as the picture's mean was: in draw mode beside the drawing */
        s->show = SHOW_GROWTH;
        s->raw_view = 0;
        studio_report(s, 0, "growing posterior sample %d (weight %.0f%%)", index + 1, 100.0 * a->weight[index]);
    } else {
        studio_report(s, 0, "regrowing alternative %d (weight %.0f%%)", index + 1, 100.0 * a->weight[index]);
    }
}

static void switch_mode(Studio *s)
{
    if (!have_model(s)) return;
    if (s->mode == MODE_REGROW) {
        if (!have_cells(s)) return;
        /* the live cells of the last growth take over the canvas */
        s->mode = MODE_HEAL;
        s->show = SHOW_GROWTH;
        s->growth_job = s->live.frame.job;
        worker_resume(s->worker);
        studio_report(s, 0, "heal mode: damage the live cells and watch them regrow (M: back)");
    } else {
        settle(s);
        s->mode = MODE_REGROW;
        studio_report(s, 0, "regrow mode: erase, then Space");
    }
    s->pace.heal = s->mode == MODE_HEAL;
    worker_set_pace(s->worker, &s->pace);
    history_clear(&s->history);
}

/* a new growth replaces whatever was on the canvas, a drawing included */
static void start_growth(Studio *s, uint64_t job)
{
    history_clear(&s->history);
    if (s->canvas.size) canvas_clear_marks(&s->canvas);
    if (s->mode == MODE_DRAW) s->mode = MODE_REGROW;
    s->picture_job = 0;
    s->growth_job = job;
    s->show = SHOW_GROWTH;
    s->raw_view = 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* *.safetensors, or a file that starts like one (an 8-byte header length,
 * then the header's JSON) whatever its name */
static int is_model_file(const char *path)
{
    if (ends_with(path, ".safetensors")) return 1;
    unsigned char head[9];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    const int starts_like_one = fread(head, 1, sizeof head, f) == sizeof head && head[8] == '{';
    fclose(f);
    return starts_like_one;
}

static void load_model(Studio *s, const char *path)
{
    worker_load_model(s->worker, path);
    start_growth(s, worker_grow_prior(s->worker));
    studio_report(s, 0, "loading the model %s", path);
    s->status_awaits_model = 1;
}

static void open_picture(Studio *s, const char *path)
{
    /* no check for a model here: one may be loading (the worker says so if not) */
    float *gray;
    int w, h;
    VncaError err;
    if (image_load_gray(path, &gray, &w, &h, &err)) {
        studio_report(s, 1, "%s", err.msg);
        return;
    }
    start_growth(s, worker_grow_picture(s->worker, gray, w, h));
    s->picture_job = s->growth_job;
    free(gray);
    studio_report(s, 0, "%s: encoded; its reconstruction grows; 1-%d grow samples of its posterior", path,
                  ALTERNATIVES_MAX);
}

static void change_speed(Studio *s, int faster)
{
    /* the level at or above the current pace (0, the fastest, is last) */
    int level = N_SPEEDS - 1;
    if (s->pace.steps_per_s > 0)
        for (level = 0; level < N_SPEEDS - 2 && speeds[level] < s->pace.steps_per_s; level++) continue;
    level += faster ? 1 : -1;
    level = level < 0 ? 0 : level >= N_SPEEDS ? N_SPEEDS - 1 : level;
    s->pace.steps_per_s = speeds[level];
    worker_set_pace(s->worker, &s->pace);
}

/* dir/prefix-YYYYmmdd-HHMMSS[-n].ext, a name not yet taken */
static void timestamped_path(const char *dir, const char *prefix, const char *ext, char *path, size_t len)
{
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(path, len, "%s/%s-%s.%s", dir, prefix, stamp, ext);
    for (int n = 2; access(path, F_OK) == 0 && n < 1000; n++)
        snprintf(path, len, "%s/%s-%s-%d.%s", dir, prefix, stamp, n, ext);
}

static void save_canvas(Studio *s, const char *path)
{
    if (!have_model(s)) return;
    char generated[PATH_MAX_LEN];
    if (!path) {
        timestamped_path(s->save_dir, "vnca", "png", generated, sizeof generated);
        path = generated;
    }
    const int size = s->canvas.size, channels = studio_view_is_colour(s) ? 3 : 1;
    float *pixels = malloc((size_t)size * size * channels * sizeof(float));
    VncaError err;
    if (!pixels) {
        studio_report(s, 1, "%s: out of memory", path);
        return;
    }
    if (channels == 3) studio_view_rgb(s, 0, pixels);
    else studio_view_gray(s, pixels);
    if (image_save_png(path, pixels, size, size, channels, &err)) studio_report(s, 1, "%s", err.msg);
    else studio_report(s, 0, "saved %s", path);
    free(pixels);
}

static void request_screenshot(Studio *s, const char *path)
{
    if (path) snprintf(s->screenshot_path, sizeof s->screenshot_path, "%s", path);
    else timestamped_path(s->save_dir, "vnca-screen", "png", s->screenshot_path, sizeof s->screenshot_path);
}

/* The GIF's pixels a side per image pixel: a 32x32 digit becomes 256x256. */
enum { GIF_SCALE = 8 };

/* the last growth (or regrowth), every step as the canvas showed it, at
 * the pace it was shown */
static void save_growth_gif(Studio *s, const char *path)
{
    if (!have_model(s)) return;
    float *frames;
    int size;
    long dropped;
    const int n = worker_recording(s->worker, s->growth_job, &frames, &size, &dropped);
    if (n < 0) {
        studio_report(s, 1, "out of memory for the growth's frames");
        return;
    }
    if (n == 0 || size != s->canvas.size) {
        studio_report(s, 0, "no growth to save yet: N grows a digit");
        free(frames);
        return;
    }
    char generated[PATH_MAX_LEN];
    if (!path) {
        timestamped_path(s->save_dir, "vnca-growth", "gif", generated, sizeof generated);
        path = generated;
    }
    const size_t pixels = (size_t)size * size;
    for (int i = 0; i < n; i++) studio_view_growth(s, frames + i * pixels, frames + i * pixels);
    /* as fast as it goes: 2 hundredths, the shortest that viewers honour */
    const double delay = s->pace.steps_per_s > 0 ? 100.0 / s->pace.steps_per_s : 2.0;
    VncaError err;
    if (gif_write_gray(path, frames, n, size, size, GIF_SCALE, delay < 2.0 ? 2 : (int)(delay + 0.5), &err))
        studio_report(s, 1, "%s", err.msg);
    else if (dropped)
        studio_report(s, 0, "saved %s (the first %d steps; %ld more were not kept)", path, n, dropped);
    else
        studio_report(s, 0, "saved %s (%d frames)", path, n);
    free(frames);
}

static void toggle(Studio *s, int *flag, const char *on, const char *off)
{
    *flag = !*flag;
    studio_report(s, 0, "%s", *flag ? on : off);
}

Tool studio_tool(const Studio *s, int right_button)
{
    const int pen = s->mode == MODE_DRAW ? !right_button : right_button;
    return pen ? TOOL_INK : TOOL_ERASE;
}

void studio_handle(Studio *s, const Intent *in)
{
    s->changed |= in->kind != INTENT_NONE;
    switch (in->kind) {
    case INTENT_NONE: break;
    case INTENT_STROKE_BEGIN: stroke_begin(s, in); break;
    case INTENT_STROKE_MOVE:
        if (s->stroking) sweep(s, in->x, in->y);
        break;
    case INTENT_STROKE_END: s->stroking = 0; break;
    case INTENT_POINTER:
        s->pointer_on_canvas = in->on_canvas && in->x >= 0 && in->y >= 0 && in->x < s->canvas.size &&
                               in->y < s->canvas.size;
        s->pointer_x = in->x;
        s->pointer_y = in->y;
        break;
    case INTENT_BRUSH_LARGER:
        s->brush_radius = s->brush_radius + BRUSH_STEP > BRUSH_MAX ? BRUSH_MAX : s->brush_radius + BRUSH_STEP;
        break;
    case INTENT_BRUSH_SMALLER:
        s->brush_radius = s->brush_radius - BRUSH_STEP < BRUSH_MIN ? BRUSH_MIN : s->brush_radius - BRUSH_STEP;
        break;
    case INTENT_UNDO: travel(s, HISTORY_UNDO); break;
    case INTENT_REDO: travel(s, HISTORY_REDO); break;
    case INTENT_CLEAR_DAMAGE: clear_damage(s); break;
    case INTENT_REGROW: regrow(s, 1); break;
    case INTENT_RESAMPLE: regrow(s, 0); break;
    case INTENT_PICK_ALTERNATIVE: pick_alternative(s, in->index); break;
    case INTENT_TOGGLE_RAW:
        if (s->show == SHOW_REGROW)
            toggle(s, &s->raw_view, "view: the decoder's own output", "view: kept pixels, regrown damage");
        else
            studio_report(s, 0, "V switches views after a regrow (Space)");
        break;
    case INTENT_TOGGLE_MODE: switch_mode(s); break;
    case INTENT_NEW_DIGIT:
        if (!have_model(s)) break;
        start_growth(s, worker_grow_prior(s->worker));
        studio_report(s, 0, "a new digit from the prior");
        break;
    case INTENT_PAUSE:
        toggle(s, &s->pace.paused, "paused: . steps once", "running");
        worker_set_pace(s->worker, &s->pace);
        break;
    case INTENT_STEP:
        if (!s->pace.paused) {
            s->pace.paused = 1;
            worker_set_pace(s->worker, &s->pace);
        }
        if (s->show == SHOW_DIGIT) studio_report(s, 0, "nothing is growing: Space regrows, N grows a new digit");
        else worker_step_once(s->worker);
        break;
    case INTENT_FASTER: change_speed(s, 1); break;
    case INTENT_SLOWER: change_speed(s, 0); break;
    case INTENT_TOGGLE_CHANNELS:
        if (have_cells(s)) toggle(s, &s->channels_view, "view: hidden channels 1, 2, 3 as red, green, blue", "view: pixels");
        break;
    case INTENT_SAVE: save_canvas(s, in->path); break;
    case INTENT_SCREENSHOT: request_screenshot(s, in->path); break;
    case INTENT_SAVE_GIF: save_growth_gif(s, in->path); break;
    case INTENT_OPEN:
        if (is_model_file(in->path)) load_model(s, in->path);
        else open_picture(s, in->path);
        break;
    case INTENT_LOAD_MODEL: load_model(s, in->path); break;
    case INTENT_LOAD_HEALER:
        if (s->heal_model[0]) load_model(s, s->heal_model);
        else studio_report(s, 1, "no model trained to heal was found (%s)", HEAL_MODEL_NAME);
        break;
    case INTENT_OPEN_PICTURE: open_picture(s, in->path); break;
    case INTENT_BLANK: blank(s); break;
    case INTENT_TOGGLE_OVERLAY:
        toggle(s, &s->growth_over_drawing, "draw mode: the growth under the drawing",
               "draw mode: the growth beside the drawing");
        break;
    case INTENT_TOGGLE_HELP: s->help = !s->help; break;
    case INTENT_DISMISS: s->help = 0; break;
    case INTENT_QUIT: s->quit = 1; break;
    }
}
