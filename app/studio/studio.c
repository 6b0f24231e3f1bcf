/* The studio's life: starting the worker, taking in what it publishes, and
 * reporting what happened. */
#include "studio.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void studio_report(Studio *s, int is_error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->status, sizeof s->status, fmt, ap);
    va_end(ap);
    s->status_is_error = is_error;
    s->status_awaits_model = 0;
    if (is_error) fprintf(stderr, "vnca-studio: %s\n", s->status);
}

int studio_open(Studio *s, uint64_t seed, const WorkerPace *pace, const char *save_dir,
                uint32_t wake_event)
{
    memset(s, 0, sizeof *s);
    s->brush_radius = 2.5f;
    s->pace = *pace;
    s->save_dir = save_dir;
    s->worker = worker_start(seed, wake_event, pace);
    return s->worker ? 0 : -1;
}

void studio_no_model(Studio *s, const char *reason)
{
    snprintf(s->model_error, sizeof s->model_error, "%s", reason);
    fprintf(stderr, "vnca-studio: %s\n", reason);
}

void studio_close(Studio *s)
{
    worker_finish(s->worker);
    worker_view_free(&s->live);
    canvas_free(&s->canvas);
    sketch_free(&s->sketch);
    history_clear(&s->history);
    free(s->regrow_picture);
    free(s->regrow_unknown);
    free(s->stroke_mask);
    memset(s, 0, sizeof *s);
}

/* a model of another image size: every per-pixel buffer is remade */
static int resize(Studio *s, int size)
{
    const size_t pixels = (size_t)size * size;
    canvas_free(&s->canvas);
    sketch_free(&s->sketch);
    free(s->regrow_picture);
    free(s->regrow_unknown);
    free(s->stroke_mask);
    s->regrow_picture = malloc(pixels * sizeof(float));
    s->regrow_unknown = malloc(pixels);
    s->stroke_mask = malloc(pixels);
    if (canvas_init(&s->canvas, size) == 0 && sketch_init(&s->sketch, size) == 0 && s->regrow_picture &&
        s->regrow_unknown && s->stroke_mask)
        return 0;
    canvas_free(&s->canvas);
    sketch_free(&s->sketch);
    return -1;
}

static void model_changed(Studio *s)
{
    const WorkerModel *m = &s->live.model;
    s->model_generation = m->generation;
    if (m->load_error[0]) {
        /* with a model still in use the status line says it; without, the error screen */
        if (!m->loaded) snprintf(s->model_error, sizeof s->model_error, "%s", m->load_error);
        return;
    }
    s->model_error[0] = '\0';
    if (s->status_awaits_model) studio_report(s, 0, "model %s loaded", m->name);
    history_clear(&s->history);
    if (s->canvas.size != m->config.image_size && resize(s, m->config.image_size)) {
        snprintf(s->model_error, sizeof s->model_error, "out of memory for %dx%d images",
                 m->config.image_size, m->config.image_size);
        fprintf(stderr, "vnca-studio: %s\n", s->model_error);
    }
}

const WorkerAlternatives *studio_alternatives(const Studio *s)
{
    const WorkerAlternatives *a = &s->live.alternatives;
    if (a->count == 0 || a->size != s->canvas.size) return NULL;
    const int on_view = a->source.posterior ? a->job == s->picture_job && s->mode != MODE_HEAL
                                            : a->job == s->regrow_job && s->show == SHOW_REGROW;
    return on_view ? a : NULL;
}

void studio_update(Studio *s)
{
    if (!worker_poll(s->worker, &s->live)) return;
    s->changed = 1;
    if (s->live.message_seq != s->message_seq) {
        /* the worker has written its errors to stderr already */
        s->message_seq = s->live.message_seq;
        snprintf(s->status, sizeof s->status, "%s", s->live.message);
        s->status_is_error = s->live.message_is_error;
        s->status_awaits_model = 0;
    }
    if (s->live.model.generation != s->model_generation) model_changed(s);
    const WorkerFrame *f = &s->live.frame;
    /* a finished growth becomes the digit to edit (in heal mode the cells live on) */
    if (s->show == SHOW_GROWTH && s->mode == MODE_REGROW && f->job == s->growth_job && f->done &&
        f->size == s->canvas.size) {
        canvas_set_digit(&s->canvas, f->prob);
        s->show = SHOW_DIGIT;
    }
}

int studio_idle(Studio *s)
{
    return !s->stroking && !s->screenshot_path[0] && worker_idle(s->worker, s->live.seq);
}
