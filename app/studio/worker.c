/* The automaton's thread: jobs in, frames out. Everything the model touches
 * lives here; the UI thread sees only copies, taken under the lock. */
#include "worker.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/digit.h"
#include "vnca/inpaint.h"

/* Images decoded at once while inpainting: enough for the BLAS to run at full
 * speed, little enough memory for the paper's model. */
enum { WORKSPACE_IMAGES = 16 };

/* Refinement steps of a regrow's most probable latents: as `vnca eval-inpaint
 * --refine 20`, which halves the masked NLL left by the samples alone. */
enum { REGROW_REFINE_STEPS = 20 };

/* Heal mode's ink: the probability its cells' pixels are set to, near certain. */
#define HEAL_INK 0.9975f

typedef enum JobKind {
    JOB_LOAD_MODEL,
    JOB_GROW_PRIOR,
    JOB_GROW_PICTURE,
    JOB_REGROW,
    JOB_GROW_LATENT,
    JOB_DAMAGE,
    JOB_SET_CELLS,
    JOB_STOP,
    JOB_RESUME,
} JobKind;

typedef struct Job {
    struct Job *next;
    JobKind kind;
    uint64_t id;
    char *path;           /* LOAD_MODEL */
    float *floats;        /* GROW_PICTURE: gray; REGROW: x; GROW_LATENT: z; SET_CELLS: cells */
    size_t n_floats;
    uint8_t *mask;        /* REGROW: unknown pixels; DAMAGE: damaged pixels */
    int width, height;    /* of floats (GROW_PICTURE) or of the mask */
    int pick_best;        /* REGROW */
    CellDamage damage;    /* DAMAGE */
    LatentSource source;  /* GROW_LATENT: where z came from, */
    int rank;             /* its rank among them, */
    double weight;        /* and its weight */
} Job;

/* A loaded model and what running it needs: built whole or not at all. */
typedef struct Engine {
    VncaModel *model;
    VncaWorkspace *ws;
    VncaGrowth growth;
    VncaGrowth thumbs;    /* ALTERNATIVES_MAX images: the alternatives grown whole */
    float *channel;       /* [S, S] scratch for one channel of the cells */
} Engine;

/* The frames of the latest growth, for worker_recording. */
typedef struct Recording {
    uint64_t job;         /* whose growth */
    int size;
    int n, cap;           /* frames */
    long dropped;         /* frames past WORKER_RECORDING_MAX (or memory) */
    float *probs;         /* [cap, size, size] */
} Recording;

struct Worker {
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *wake;
    uint32_t wake_event;
    SDL_atomic_t wake_pending;   /* an event is in SDL's queue, not yet polled */
    SDL_atomic_t stop_job;       /* the running job is moot: quitting, or superseded */

    /* shared: only under the lock */
    Job *head, *tail;
    uint64_t next_id, jobs_posted, jobs_done;
    WorkerPace pace;
    int pace_changed;            /* since the last publication */
    int step_requests;
    int quit;
    WorkerView view;
    Recording recording;

    /* the worker thread's own */
    Engine engine;
    int seeded, stopped;
    VncaRng rng;
    WorkerFrame frame;           /* built here, copied into view when published */
    WorkerAlternatives alternatives; /* likewise */
    Uint64 next_step_at;
};

/* ---- frames ------------------------------------------------------------ */

static int frame_reshape(WorkerFrame *f, int size, size_t cells_len)
{
    if (f->size != size) {
        const size_t pixels = (size_t)size * size;
        float *prob = realloc(f->prob, pixels * sizeof(float));
        if (prob) f->prob = prob;
        float *hidden = prob ? realloc(f->hidden, 3 * pixels * sizeof(float)) : NULL;
        if (hidden) f->hidden = hidden;
        if (!prob || !hidden) return -1;
        f->size = size;
    }
    if (f->cells_len != cells_len) {
        float *cells = realloc(f->cells, (cells_len ? cells_len : 1) * sizeof(float));
        if (!cells) return -1;
        f->cells = cells;
        f->cells_len = cells_len;
    }
    return 0;
}

static int frame_copy(WorkerFrame *dst, const WorkerFrame *src)
{
    if (frame_reshape(dst, src->size, src->cells_len)) return -1;
    float *prob = dst->prob, *hidden = dst->hidden, *cells = dst->cells;
    *dst = *src;
    dst->prob = prob, dst->hidden = hidden, dst->cells = cells;
    const size_t pixels = (size_t)src->size * src->size;
    if (pixels) {
        memcpy(prob, src->prob, pixels * sizeof(float));
        memcpy(hidden, src->hidden, 3 * pixels * sizeof(float));
    }
    if (src->cells_len) memcpy(cells, src->cells, src->cells_len * sizeof(float));
    return 0;
}

static void frame_free(WorkerFrame *f)
{
    free(f->prob);
    free(f->hidden);
    free(f->cells);
    memset(f, 0, sizeof *f);
}

/* arrays for ALTERNATIVES_MAX latents of Z and images of S x S */
static int alternatives_reshape(WorkerAlternatives *a, int latent, int size)
{
    if (a->latent == latent && a->size == size) return 0;
    float *z = realloc(a->z, (size_t)ALTERNATIVES_MAX * latent * sizeof(float));
    if (z) a->z = z;
    float *thumb = z ? realloc(a->thumb, (size_t)ALTERNATIVES_MAX * size * size * sizeof(float)) : NULL;
    if (thumb) a->thumb = thumb;
    if (!z || !thumb) return -1;
    a->latent = latent;
    a->size = size;
    return 0;
}

/* dst becomes src unless it is already */
static int alternatives_copy(WorkerAlternatives *dst, const WorkerAlternatives *src)
{
    if (dst->seq == src->seq) return 0;
    if (alternatives_reshape(dst, src->latent, src->size)) return -1;
    float *z = dst->z, *thumb = dst->thumb;
    *dst = *src;
    dst->z = z, dst->thumb = thumb;
    memcpy(z, src->z, (size_t)ALTERNATIVES_MAX * src->latent * sizeof(float));
    memcpy(thumb, src->thumb, (size_t)ALTERNATIVES_MAX * src->size * src->size * sizeof(float));
    return 0;
}

static void alternatives_free(WorkerAlternatives *a)
{
    free(a->z);
    free(a->thumb);
    memset(a, 0, sizeof *a);
}

void worker_view_free(WorkerView *v)
{
    frame_free(&v->frame);
    alternatives_free(&v->alternatives);
}

/* scales a hidden channel to [0, 1] for display: its own range, since the
 * channels' magnitudes differ by orders */
static void normalize_into(float *dst, size_t stride, const float *src, size_t n)
{
    /* over the finite values, in double: cells that blow up (a model run
     * far past what it was trained for) reach +-inf and NaN, and hi - lo
     * of two huge floats overflows */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(src[i])) lo = fmin(lo, src[i]), hi = fmax(hi, src[i]);
    const double range = hi - lo;
    for (size_t i = 0; i < n; i++)
        dst[i * stride] = !isfinite(src[i])      ? (src[i] > 0.0f ? 1.0f : 0.0f)
                          : range > 1e-12        ? (float)((src[i] - lo) / range)
                                                 : 0.5f;
}

/* the frame just captured, appended to its growth's recording (a new
 * growth starts it over) */
static void record_frame(Worker *w)
{
    const WorkerFrame *f = &w->frame;
    const size_t pixels = (size_t)f->size * f->size;
    SDL_LockMutex(w->lock);
    Recording *r = &w->recording;
    if (r->size != f->size) {
        free(r->probs);
        r->probs = NULL;
        r->cap = 0;
        r->size = f->size;
    }
    if (r->job != f->job) r->job = f->job, r->n = 0, r->dropped = 0;
    if (r->n == r->cap && r->cap < WORKER_RECORDING_MAX) {
        const int cap = r->cap ? (2 * r->cap < WORKER_RECORDING_MAX ? 2 * r->cap : WORKER_RECORDING_MAX) : 64;
        float *grown = realloc(r->probs, cap * pixels * sizeof(float));
        if (grown) r->probs = grown, r->cap = cap;
    }
    if (r->n < r->cap) memcpy(r->probs + r->n++ * pixels, f->prob, pixels * sizeof(float));
    else r->dropped++;
    SDL_UnlockMutex(w->lock);
}

/* the growth's current cells as a frame (worker thread) */
static void capture_frame(Worker *w)
{
    const VncaGrowth *g = &w->engine.growth;
    const int size = w->engine.model->config.image_size;
    const size_t pixels = (size_t)size * size, cells_len = (size_t)g->grid * g->grid * g->channels;
    if (frame_reshape(&w->frame, size, cells_len)) {
        fprintf(stderr, "vnca-studio: out of memory for a frame\n");
        return;
    }
    WorkerFrame *f = &w->frame;
    vnca_growth_probs_full(g, f->prob);
    for (int c = 1; c <= 3; c++) {
        if (c < g->channels) {
            vnca_growth_channel_full(g, c, w->engine.channel);
            normalize_into(f->hidden + c - 1, 3, w->engine.channel, pixels);
        } else {
            for (size_t i = 0; i < pixels; i++) f->hidden[3 * i + c - 1] = 0.0f;
        }
    }
    memcpy(f->cells, g->state, cells_len * sizeof(float));
    f->grid = g->grid;
    f->stage = g->stage;
    f->t = g->t;
    f->done = vnca_growth_done(g);
    record_frame(w);
}

/* ---- publishing (worker thread) ---------------------------------------- */

static int wants_step(const Worker *w)
{
    if (!w->engine.model || !w->seeded || w->stopped) return 0;
    if (w->step_requests > 0) return 1;
    return !w->pace.paused && (!vnca_growth_done(&w->engine.growth) || w->pace.heal);
}

static void wake_ui(Worker *w)
{
    if (!SDL_AtomicCAS(&w->wake_pending, 0, 1)) return;
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = w->wake_event;
    if (SDL_PushEvent(&ev) <= 0) SDL_AtomicSet(&w->wake_pending, 0);
}

static void publish_locked(Worker *w)
{
    if (frame_copy(&w->view.frame, &w->frame) || alternatives_copy(&w->view.alternatives, &w->alternatives))
        fprintf(stderr, "vnca-studio: out of memory for a frame\n");
    w->view.animating = wants_step(w) && w->step_requests == 0;
    w->pace_changed = 0;
    w->view.seq++;
    wake_ui(w);
}

static void publish(Worker *w)
{
    SDL_LockMutex(w->lock);
    publish_locked(w);
    SDL_UnlockMutex(w->lock);
}

static double step_interval_ms(const Worker *w)
{
    return w->pace.steps_per_s > 0 ? 1000.0 / w->pace.steps_per_s : 0.0;
}

/* Whether the growth's next step is due now: one asked for, or the pace's
 * next; if so it is taken (under the lock). */
static int take_step_turn(Worker *w, Uint64 now)
{
    if (!wants_step(w) || (w->step_requests == 0 && now < w->next_step_at)) return 0;
    if (w->step_requests > 0) w->step_requests--;
    w->next_step_at = now + (Uint64)step_interval_ms(w);
    return 1;
}

static void step_and_publish(Worker *w)
{
    vnca_growth_step(&w->engine.growth);
    capture_frame(w);
    publish(w);
}

static void set_busy(Worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_busy(Worker *w, const char *fmt, ...)
{
    SDL_LockMutex(w->lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->view.busy, sizeof w->view.busy, fmt, ap);
    va_end(ap);
    w->view.seq++;
    wake_ui(w);
    SDL_UnlockMutex(w->lock);
}

/* a message for the window; errors also go to stderr */
static void report(Worker *w, int is_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(Worker *w, int is_error, const char *fmt, ...)
{
    SDL_LockMutex(w->lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->view.message, sizeof w->view.message, fmt, ap);
    va_end(ap);
    w->view.message_is_error = is_error;
    w->view.message_seq++;
    if (is_error) fprintf(stderr, "vnca-studio: %s\n", w->view.message);
    SDL_UnlockMutex(w->lock);
}

/* ---- jobs (worker thread) ---------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void describe_model(const VncaConfig *c, char *buf, size_t len)
{
    snprintf(buf, len, "Z %d, H %d, %d residual block%s, %s perception\n%s%s, %d steps, 2 \u2192 %d",
             c->latent, c->hidden, c->res_blocks, c->res_blocks == 1 ? "" : "s",
             vnca_perception_name(c->perception), vnca_variant_name(c->variant),
             c->genome == VNCA_GENOME_POSITION ? " with a genome (z and place)"
             : c->genome ? " with a genome" : "", vnca_total_steps(c), c->image_size);
}

static void engine_free(Engine *e)
{
    vnca_growth_free(&e->growth);
    vnca_growth_free(&e->thumbs);
    vnca_workspace_free(e->ws);
    if (e->model) vnca_model_free(e->model);
    free(e->model);
    free(e->channel);
    memset(e, 0, sizeof *e);
}

static int engine_open(Engine *e, const char *path, VncaError *err)
{
    memset(e, 0, sizeof *e);
    if (!(e->model = calloc(1, sizeof *e->model))) return vnca_fail(err, "%s: out of memory", path);
    if (vnca_model_load(e->model, path, err)) {
        free(e->model);
        e->model = NULL;
        return -1;
    }
    const VncaConfig *c = &e->model->config;
    e->ws = vnca_workspace_new(c, WORKSPACE_IMAGES, VNCA_WS_INFER, err);
    if (!e->ws || vnca_growth_init(&e->growth, e->model, 1, err) ||
        vnca_growth_init(&e->thumbs, e->model, ALTERNATIVES_MAX, err)) {
        engine_free(e);
        return -1;
    }
    if (!(e->channel = malloc((size_t)c->image_size * c->image_size * sizeof(float)))) {
        engine_free(e);
        return vnca_fail(err, "%s: out of memory", path);
    }
    return 0;
}

/* A model that fails to load leaves the one in use (if any) in place. */
static void load_model(Worker *w, const char *path)
{
    set_busy(w, "loading %s", base_name(path));
    VncaError err = {{0}};
    Engine fresh;
    const int failed = engine_open(&fresh, path, &err);
    if (!failed) {
        engine_free(&w->engine);
        w->engine = fresh;
        w->seeded = 0;
        w->frame.job = 0;
    }
    SDL_LockMutex(w->lock);
    WorkerModel *info = &w->view.model;
    info->generation++;
    snprintf(info->load_error, sizeof info->load_error, "%s", failed ? err.msg : "");
    if (!failed) {
        info->loaded = 1;
        info->config = fresh.model->config;
        snprintf(info->name, sizeof info->name, "%s", base_name(path));
        describe_model(&fresh.model->config, info->summary, sizeof info->summary);
    }
    SDL_UnlockMutex(w->lock);
    if (failed) report(w, 1, "%s", err.msg);
}

/* a new growth from z, shown from its first (2x2) frame */
static void seed_growth(Worker *w, const float *z, uint64_t job)
{
    vnca_growth_seed(&w->engine.growth, z);
    w->seeded = 1;
    w->stopped = 0;
    w->frame.job = job;
    w->frame.samples = 0;
    w->frame.posterior = 0;
    capture_frame(w);
    SDL_LockMutex(w->lock);
    w->next_step_at = SDL_GetTicks64() + (Uint64)step_interval_ms(w);
    SDL_UnlockMutex(w->lock);
}

/* the growth on view goes on from another latent, from the step it had got to */
static void switch_latent(Worker *w, const float *z)
{
    VncaGrowth *g = &w->engine.growth;
    const int t = g->t;
    /* the recording (a GIF's frames) becomes this latent's growth from its seed */
    SDL_LockMutex(w->lock);
    w->recording.n = 0;
    w->recording.dropped = 0;
    SDL_UnlockMutex(w->lock);
    vnca_growth_seed(g, z);
    capture_frame(w);
    while (g->t < t) {
        vnca_growth_step(g);
        capture_frame(w);
    }
}

/* The strip of alternatives becomes latents z [count, Z] (count <=
 * ALTERNATIVES_MAX, most probable first) with their weights, each grown to
 * the end for its thumbnail. Any list of latents will do: an inpainting's
 * heaviest samples, or a posterior's samples. */
static void offer_alternatives(Worker *w, uint64_t job, const LatentSource *source, const float *z,
                               const double *weight, int count)
{
    const VncaConfig *c = &w->engine.model->config;
    WorkerAlternatives *a = &w->alternatives;
    if (alternatives_reshape(a, c->latent, c->image_size)) {
        report(w, 1, "out of memory for the alternatives");
        return;
    }
    count = count < ALTERNATIVES_MAX ? count : ALTERNATIVES_MAX;
    /* the rows not in use are grown too (the batch is whole): from the origin */
    memset(a->z, 0, (size_t)ALTERNATIVES_MAX * c->latent * sizeof(float));
    memcpy(a->z, z, (size_t)count * c->latent * sizeof(float));
    memcpy(a->weight, weight, (size_t)count * sizeof(double));
    vnca_growth_seed(&w->engine.thumbs, a->z);
    vnca_growth_finish(&w->engine.thumbs);
    vnca_growth_probs_full(&w->engine.thumbs, a->thumb);
    a->job = job;
    a->source = *source;
    a->count = count;
    a->seq++;
}

static void grow_prior(Worker *w, uint64_t job)
{
    const int z_len = w->engine.model->config.latent;
    float *z = malloc((size_t)z_len * sizeof(float));
    if (!z) {
        report(w, 1, "out of memory for a latent");
        return;
    }
    vnca_rng_normal_fill(&w->rng, z, (size_t)z_len);
    seed_growth(w, z, job);
    free(z);
}

/* the picture's posterior: samples from it, with their weights, as alternatives */
static void offer_posterior(Worker *w, uint64_t job, const float *digit)
{
    const int latent = w->engine.model->config.latent;
    float *z = malloc((size_t)ALTERNATIVES_MAX * latent * sizeof(float));
    double weight[ALTERNATIVES_MAX];
    VncaError err;
    if (!z)
        report(w, 1, "out of memory for the posterior's samples");
    else if (vnca_posterior_samples(w->engine.model, w->engine.ws, digit, ALTERNATIVES_MAX, &w->rng, z, weight, &err))
        report(w, 1, "cannot sample the picture's posterior: %s", err.msg);
    else
        offer_alternatives(w, job, &(LatentSource){.samples = ALTERNATIVES_MAX, .posterior = 1}, z, weight,
                           ALTERNATIVES_MAX);
    free(z);
}

/* the picture's reconstruction: encoded, its posterior mean grown (shown at
 * once), and samples from its posterior offered */
static void grow_picture(Worker *w, const Job *job)
{
    const VncaConfig *c = &w->engine.model->config;
    const size_t pixels = (size_t)c->image_size * c->image_size;
    float *digit = malloc(pixels * sizeof(float)), *mu = malloc(2 * (size_t)c->latent * sizeof(float));
    VncaError err;
    if (!digit || !mu) {
        report(w, 1, "out of memory for a picture");
    } else if (vnca_digit_from_gray(job->floats, job->width, job->height, c->image_size, digit, &err)) {
        report(w, 1, "cannot make a digit of that picture: %s", err.msg);
    } else {
        vnca_encode(w->engine.model, w->engine.ws, digit, 1, mu, mu + c->latent);
        seed_growth(w, mu, job->id);
        w->frame.posterior = 1;
        publish(w);
        offer_posterior(w, job->id, digit);
    }
    free(digit);
    free(mu);
}

static int job_stopped(void *ctx) { return SDL_AtomicGet(&((Worker *)ctx)->stop_job); }

/* asked by the inpainting between its steps: the growth on view goes on
 * meanwhile, and any job posted since stops the inpainting */
static int between_steps(void *ctx)
{
    Worker *w = ctx;
    if (job_stopped(w)) return 1;
    SDL_LockMutex(w->lock);
    const int turn = take_step_turn(w, SDL_GetTicks64());
    SDL_UnlockMutex(w->lock);
    if (turn) step_and_publish(w);
    return job_stopped(w);
}

/* An inpainting on view: its heaviest latents offered as alternatives, and
 * the picked one grown, from the start (the samples) or on from where the
 * growth had got to (their refinement). */
static void show_inpainting(Worker *w, const Job *job, const VncaInpaintResult *r, const LatentSource *source)
{
    int order[ALTERNATIVES_MAX];
    const int n = vnca_inpaint_heaviest(r, order, ALTERNATIVES_MAX);
    float *z = malloc((size_t)n * r->latent * sizeof(float));
    double weight[ALTERNATIVES_MAX];
    if (!z) {
        report(w, 1, "out of memory for the alternatives");
        return;
    }
    for (int i = 0; i < n; i++) {
        memcpy(z + (size_t)i * r->latent, r->z + (size_t)order[i] * r->latent, (size_t)r->latent * sizeof(float));
        weight[i] = r->weight[order[i]];
    }
    offer_alternatives(w, job->id, source, z, weight, n);
    free(z);

    const int pick = job->pick_best ? r->best : vnca_inpaint_pick(r, &w->rng);
    if (source->refined) switch_latent(w, r->z + (size_t)pick * r->latent);
    else seed_growth(w, r->z + (size_t)pick * r->latent, job->id);
    int rank = 0;
    for (int i = 0; i < r->k; i++)
        rank += r->weight[i] > r->weight[pick] || (r->weight[i] == r->weight[pick] && i < pick);
    w->frame.latent_pick = rank;
    w->frame.samples = r->k;
    w->frame.refined = source->refined;
    w->frame.weight = r->weight[pick];
    publish(w);
}

static void regrow(Worker *w, const Job *job)
{
    const VncaConfig *c = &w->engine.model->config;
    if (job->width != c->image_size) {
        report(w, 1, "the picture is %dx%d but the model's images are %dx%d", job->width,
               job->width, c->image_size, c->image_size);
        return;
    }
    VncaInpaintOptions opt;
    vnca_inpaint_defaults(&opt);
    opt.refine_steps = REGROW_REFINE_STEPS;
    opt.seed = vnca_rng_u64(&w->rng);
    opt.should_stop = between_steps;
    opt.stop_ctx = w;
    set_busy(w, "sampling %d latents for the erased pixels", opt.samples);
    VncaInpaintResult r;
    VncaError err;
    /* the halves of vnca_inpaint, as the command line runs it whole */
    if (vnca_inpaint_sample(w->engine.model, w->engine.ws, job->floats, job->mask, &opt, &r, &err)) {
        if (!job_stopped(w)) report(w, 1, "cannot regrow: %s", err.msg);
        return;
    }
    show_inpainting(w, job, &r, &(LatentSource){.samples = r.k, .seed = opt.seed});
    set_busy(w, "refining the most probable latents");
    if (vnca_inpaint_refine(w->engine.model, w->engine.ws, job->floats, job->mask, &opt, &r, &err) == 0)
        show_inpainting(w, job, &r, &(LatentSource){.samples = r.k, .refined = opt.refine_steps, .seed = opt.seed});
    else if (!job_stopped(w))
        report(w, 1, "cannot refine the regrowth: %s", err.msg);
    vnca_inpaint_free(&r);
}

static void grow_latent(Worker *w, const Job *job)
{
    if (job->n_floats != (size_t)w->engine.model->config.latent) return; /* from another model's strip */
    seed_growth(w, job->floats, job->id);
    w->frame.latent_pick = job->rank;
    w->frame.samples = job->source.samples;
    w->frame.refined = job->source.refined;
    w->frame.weight = job->weight;
    w->frame.posterior = job->source.posterior;
}

/* the cells under the mask (a pixel mask; a cell is damaged when any of the
 * pixels it covers is) */
static void damage_cells(Worker *w, const Job *job)
{
    VncaGrowth *g = &w->engine.growth;
    const int size = job->width, block = size / g->grid;
    if (size != w->engine.model->config.image_size) return;
    for (int cy = 0; cy < g->grid; cy++)
        for (int cx = 0; cx < g->grid; cx++) {
            int hit = 0;
            for (int y = cy * block; y < (cy + 1) * block && !hit; y++)
                for (int x = cx * block; x < (cx + 1) * block && !hit; x++)
                    hit = job->mask[(size_t)y * size + x] != 0;
            if (!hit) continue;
            if (job->damage == DAMAGE_ZERO) vnca_growth_destroy_cell(g, 0, cx, cy);
            else vnca_growth_set_pixel(g, 0, cx, cy, HEAL_INK);
        }
    capture_frame(w);
}

static void set_cells(Worker *w, const Job *job)
{
    VncaGrowth *g = &w->engine.growth;
    if (job->n_floats != (size_t)g->grid * g->grid * g->channels) {
        report(w, 1, "cannot undo that: the cells have divided since");
        return;
    }
    vnca_growth_set_cells(g, job->floats); /* the cells are back whole */
    capture_frame(w);
}

static void run_job(Worker *w, const Job *job)
{
    if (job->kind == JOB_LOAD_MODEL) {
        load_model(w, job->path);
        return;
    }
    if (!w->engine.model) {
        /* the window shows that no model is loaded; a picture asked for explicitly gets an answer */
        if (job->kind == JOB_GROW_PICTURE) report(w, 1, "no model is loaded to encode the picture with");
        return;
    }
    switch (job->kind) {
    case JOB_GROW_PRIOR: grow_prior(w, job->id); break;
    case JOB_GROW_PICTURE: grow_picture(w, job); break;
    case JOB_REGROW: regrow(w, job); break;
    case JOB_GROW_LATENT: grow_latent(w, job); break;
    case JOB_DAMAGE: if (w->seeded) damage_cells(w, job); break;
    case JOB_SET_CELLS: if (w->seeded) set_cells(w, job); break;
    case JOB_STOP: w->stopped = 1; break;
    case JOB_RESUME: w->stopped = 0; break;
    case JOB_LOAD_MODEL: break;
    }
}

static void job_free(Job *job)
{
    if (!job) return;
    free(job->path);
    free(job->floats);
    free(job->mask);
    free(job);
}

static int worker_main(void *arg)
{
    Worker *w = arg;
    SDL_LockMutex(w->lock);
    while (!w->quit) {
        Job *job = w->head;
        if (job) {
            w->head = job->next;
            if (!w->head) w->tail = NULL;
            SDL_AtomicSet(&w->stop_job, 0);
            SDL_UnlockMutex(w->lock);
            run_job(w, job);
            job_free(job);
            SDL_LockMutex(w->lock);
            w->jobs_done++;
            w->view.busy[0] = '\0';
            publish_locked(w);
            continue;
        }
        if (!wants_step(w)) {
            if (w->pace_changed) publish_locked(w);
            SDL_CondWait(w->wake, w->lock);
            continue;
        }
        const Uint64 now = SDL_GetTicks64();
        if (!take_step_turn(w, now)) {
            if (w->pace_changed) publish_locked(w);
            SDL_CondWaitTimeout(w->wake, w->lock, (Uint32)(w->next_step_at - now));
            continue;
        }
        SDL_UnlockMutex(w->lock);
        step_and_publish(w);
        SDL_LockMutex(w->lock);
    }
    SDL_UnlockMutex(w->lock);
    return 0;
}

/* ---- the UI thread's side ---------------------------------------------- */

Worker *worker_start(uint64_t seed, uint32_t wake_event, const WorkerPace *pace)
{
    Worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->wake_event = wake_event;
    w->pace = *pace;
    vnca_rng_seed(&w->rng, seed);
    w->lock = SDL_CreateMutex();
    w->wake = SDL_CreateCond();
    if (w->lock && w->wake) w->thread = SDL_CreateThread(worker_main, "vnca-automaton", w);
    if (!w->thread) {
        if (w->wake) SDL_DestroyCond(w->wake);
        if (w->lock) SDL_DestroyMutex(w->lock);
        free(w);
        return NULL;
    }
    return w;
}

void worker_finish(Worker *w)
{
    if (!w) return;
    SDL_LockMutex(w->lock);
    w->quit = 1;
    SDL_AtomicSet(&w->stop_job, 1);
    SDL_CondSignal(w->wake);
    SDL_UnlockMutex(w->lock);
    SDL_WaitThread(w->thread, NULL);
    while (w->head) {
        Job *next = w->head->next;
        job_free(w->head);
        w->head = next;
    }
    engine_free(&w->engine);
    frame_free(&w->frame);
    free(w->recording.probs);
    alternatives_free(&w->alternatives);
    worker_view_free(&w->view);
    SDL_DestroyCond(w->wake);
    SDL_DestroyMutex(w->lock);
    free(w);
}

/* jobs that seed a new growth, which makes any such job still waiting moot */
static int seeds_growth(JobKind k)
{
    return k == JOB_GROW_PRIOR || k == JOB_GROW_PICTURE || k == JOB_REGROW || k == JOB_GROW_LATENT;
}

/* forgets the waiting jobs that `kind` supersedes, so that pressing Space
 * five times inpaints once more, not five times (under the lock) */
static void drop_superseded(Worker *w, JobKind kind)
{
    if (!seeds_growth(kind)) return;
    Job **link = &w->head;
    w->tail = NULL;
    while (*link) {
        Job *job = *link;
        if (seeds_growth(job->kind)) {
            *link = job->next;
            job_free(job);
            w->jobs_done++;
        } else {
            w->tail = job;
            link = &job->next;
        }
    }
}

static uint64_t post(Worker *w, Job *job)
{
    if (!job) {
        fprintf(stderr, "vnca-studio: out of memory for a job\n");
        return 0;
    }
    SDL_LockMutex(w->lock);
    /* a running inpainting (or its refinement) is moot once anything else is
     * asked for: a stroke, an undo, another regrow */
    SDL_AtomicSet(&w->stop_job, 1);
    drop_superseded(w, job->kind);
    /* once the lock is released the worker may run and free the job */
    const uint64_t id = job->id = ++w->next_id;
    if (w->tail) w->tail->next = job;
    else w->head = job;
    w->tail = job;
    w->jobs_posted++;
    SDL_CondSignal(w->wake);
    SDL_UnlockMutex(w->lock);
    return id;
}

/* a job with copies of the caller's arrays (either may be NULL); NULL when out of memory */
static Job *job_new(JobKind kind, const float *floats, size_t n_floats, const uint8_t *mask,
                    size_t mask_len)
{
    Job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->kind = kind;
    job->n_floats = n_floats;
    if (floats && !(job->floats = malloc(n_floats * sizeof(float)))) goto fail;
    if (floats) memcpy(job->floats, floats, n_floats * sizeof(float));
    if (mask && !(job->mask = malloc(mask_len))) goto fail;
    if (mask) memcpy(job->mask, mask, mask_len);
    return job;
fail:
    job_free(job);
    return NULL;
}

uint64_t worker_load_model(Worker *w, const char *path)
{
    Job *job = job_new(JOB_LOAD_MODEL, NULL, 0, NULL, 0);
    if (job && !(job->path = strdup(path))) {
        job_free(job);
        job = NULL;
    }
    return post(w, job);
}

uint64_t worker_grow_prior(Worker *w) { return post(w, job_new(JOB_GROW_PRIOR, NULL, 0, NULL, 0)); }

uint64_t worker_grow_picture(Worker *w, const float *gray, int width, int height)
{
    Job *job = job_new(JOB_GROW_PICTURE, gray, (size_t)width * height, NULL, 0);
    if (job) job->width = width, job->height = height;
    return post(w, job);
}

uint64_t worker_regrow(Worker *w, const float *x, const uint8_t *unknown, int size, int pick_best)
{
    const size_t pixels = (size_t)size * size;
    Job *job = job_new(JOB_REGROW, x, pixels, unknown, pixels);
    if (job) job->width = job->height = size, job->pick_best = pick_best;
    return post(w, job);
}

uint64_t worker_grow_alternative(Worker *w, const WorkerAlternatives *a, int index)
{
    Job *job = job_new(JOB_GROW_LATENT, a->z + (size_t)index * a->latent, (size_t)a->latent, NULL, 0);
    if (job) job->source = a->source, job->rank = index, job->weight = a->weight[index];
    return post(w, job);
}

void worker_damage(Worker *w, const uint8_t *mask, int size, CellDamage kind)
{
    Job *job = job_new(JOB_DAMAGE, NULL, 0, mask, (size_t)size * size);
    if (job) job->width = job->height = size, job->damage = kind;
    post(w, job);
}

void worker_set_cells(Worker *w, const float *cells, size_t len)
{
    post(w, job_new(JOB_SET_CELLS, cells, len, NULL, 0));
}

void worker_stop(Worker *w) { post(w, job_new(JOB_STOP, NULL, 0, NULL, 0)); }

void worker_resume(Worker *w) { post(w, job_new(JOB_RESUME, NULL, 0, NULL, 0)); }

void worker_set_pace(Worker *w, const WorkerPace *pace)
{
    SDL_LockMutex(w->lock);
    w->pace = *pace;
    w->pace_changed = 1;
    /* a faster pace takes effect now, not after the slower one's wait */
    const Uint64 soon = SDL_GetTicks64() + (pace->steps_per_s > 0 ? (Uint64)(1000.0 / pace->steps_per_s) : 0);
    if (soon < w->next_step_at) w->next_step_at = soon;
    SDL_CondSignal(w->wake);
    SDL_UnlockMutex(w->lock);
}

void worker_step_once(Worker *w)
{
    SDL_LockMutex(w->lock);
    w->step_requests++;
    SDL_CondSignal(w->wake);
    SDL_UnlockMutex(w->lock);
}

int worker_poll(Worker *w, WorkerView *dst)
{
    SDL_AtomicSet(&w->wake_pending, 0);
    SDL_LockMutex(w->lock);
    int changed = w->view.seq != dst->seq;
    if (changed) {
        WorkerFrame keep = dst->frame;
        WorkerAlternatives keep_alternatives = dst->alternatives;
        *dst = w->view;
        dst->frame = keep;
        dst->alternatives = keep_alternatives;
        if (alternatives_copy(&dst->alternatives, &w->view.alternatives))
            fprintf(stderr, "vnca-studio: out of memory for the alternatives\n");
        if (frame_copy(&dst->frame, &w->view.frame)) {
            fprintf(stderr, "vnca-studio: out of memory for a frame\n");
            dst->frame.job = 0;
        }
    }
    SDL_UnlockMutex(w->lock);
    return changed;
}

int worker_recording(Worker *w, uint64_t job, float **probs, int *size, long *dropped)
{
    SDL_LockMutex(w->lock);
    const int n = w->recording.job == job && job != 0 ? w->recording.n : 0;
    const size_t len = (size_t)n * w->recording.size * w->recording.size;
    *probs = n ? malloc(len * sizeof(float)) : NULL;
    if (*probs) memcpy(*probs, w->recording.probs, len * sizeof(float));
    *size = w->recording.size;
    *dropped = w->recording.dropped;
    SDL_UnlockMutex(w->lock);
    return n && !*probs ? -1 : n;
}

int worker_idle(Worker *w, uint64_t seen_seq)
{
    SDL_LockMutex(w->lock);
    int idle = w->jobs_done == w->jobs_posted && w->step_requests == 0 && !w->pace_changed &&
               !w->view.animating && w->view.seq == seen_seq;
    SDL_UnlockMutex(w->lock);
    return idle;
}
