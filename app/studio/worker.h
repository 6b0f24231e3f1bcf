/* worker.h: the automaton's thread. It owns the model, a workspace and the
 * growing cells (a VncaGrowth); the UI thread only posts jobs and reads the
 * frames it publishes, so that the window stays responsive however long a
 * step or an inpainting takes. Jobs run in the order posted. */
#ifndef VNCA_STUDIO_WORKER_H
#define VNCA_STUDIO_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "vnca/vnca.h"

typedef struct Worker Worker;

typedef struct WorkerModel {
    unsigned generation;  /* counts finished loads, successful or not */
    int loaded;           /* a model is in use (possibly from an earlier load) */
    char name[256];       /* its file's name */
    char summary[256];    /* its configuration, in words */
    VncaConfig config;
    char load_error[512]; /* why the last load failed; "" when it succeeded */
} WorkerModel;

/* The alternatives offered after a regrow (a strip of thumbnails). */
enum { ALTERNATIVES_MAX = 8 };

/* Where a list of latents came from. */
typedef struct LatentSource {
    int samples;          /* chosen among this many latents (0: not by inpainting) */
    int refined;          /* gradient steps of refinement each had (0: as sampled) */
    uint64_t seed;        /* the inpainting's seed: the same seed, the same latents */
    int posterior;        /* drawn from a picture's posterior q(z|x), not by inpainting */
} LatentSource;

/* Latents to choose from, most probable first, each grown to the end. */
typedef struct WorkerAlternatives {
    uint64_t seq;         /* counts changes */
    uint64_t job;         /* the job they were offered by; 0: none yet */
    LatentSource source;
    int count;            /* up to ALTERNATIVES_MAX */
    int latent, size;     /* Z, S */
    double weight[ALTERNATIVES_MAX]; /* normalized importance weights */
    float *z;             /* [ALTERNATIVES_MAX, Z], the first count in use */
    float *thumb;         /* [ALTERNATIVES_MAX, S, S] the pixel probabilities each grows to */
} WorkerAlternatives;

/* One moment of a growth. The arrays are full image size whatever the grid. */
typedef struct WorkerFrame {
    uint64_t job;         /* the job that seeded this growth; 0: none yet */
    int size;             /* S */
    int grid, stage, t, done;   /* cells a side, stage index, updates in all, schedule complete */
    float *prob;          /* [S, S] pixel probabilities (channel 0 through a sigmoid) */
    float *hidden;        /* [S, S, 3] channels 1, 2, 3, each scaled to [0, 1] */
    float *cells;         /* the cells' state [grid, grid, C], for undoing damage */
    size_t cells_len;
    /* a regrowth's latent: its rank by weight (0: the most probable) among
     * the `samples` it was chosen from, its refinement steps, its weight */
    int latent_pick, samples, refined;
    double weight;
    /* the latent is a grown picture's: its posterior mean when samples is 0,
     * else one of the samples drawn from its posterior */
    int posterior;
} WorkerFrame;

/* What the worker publishes; copied by worker_poll. */
typedef struct WorkerView {
    uint64_t seq;         /* counts publications */
    WorkerModel model;
    WorkerFrame frame;
    WorkerAlternatives alternatives;
    char busy[128];       /* the slow job in progress, in words; "" when none */
    int animating;        /* the cells advance by themselves (not paused, not finished) */
    char message[512];    /* the latest message, and its kind */
    int message_is_error;
    uint64_t message_seq;
} WorkerView;

typedef struct WorkerPace {
    int paused;
    double steps_per_s;   /* 0: as fast as the machine allows */
    int heal;             /* keep stepping after the growth is done (extra steps) */
} WorkerPace;

typedef enum CellDamage { DAMAGE_ZERO, DAMAGE_INK } CellDamage;

/* wake_event: an SDL event type pushed whenever a frame is published, so that
 * an event loop sleeping in SDL_WaitEvent wakes up for it. */
Worker *worker_start(uint64_t seed, uint32_t wake_event, const WorkerPace *pace);
void worker_finish(Worker *w);

/* Each returns the job's id (frames of a growth it seeds carry that id). */
uint64_t worker_load_model(Worker *w, const char *path);
uint64_t worker_grow_prior(Worker *w);
/* gray [h, w] in [0, 1] (copied): made MNIST-like, encoded, and its
 * reconstruction (the posterior mean) grown; then ALTERNATIVES_MAX samples
 * from its posterior offered as alternatives */
uint64_t worker_grow_picture(Worker *w, const float *gray, int width, int height);
/* x and unknown [size, size] (copied): a latent sampled by inpainting, the best
 * one or one drawn by weight, grown, and the most probable ones offered as
 * alternatives; then the most probable are refined (as `vnca eval-inpaint
 * --refine 20`), offered instead, and the growth goes on from the refined
 * one. Any job posted meanwhile stops the refinement. */
uint64_t worker_regrow(Worker *w, const float *x, const uint8_t *unknown, int size, int pick_best);
/* alternative `index` of a (copied) grown */
uint64_t worker_grow_alternative(Worker *w, const WorkerAlternatives *a, int index);
/* mask [size, size] of pixels whose cells are damaged (at the current grid) */
void worker_damage(Worker *w, const uint8_t *mask, int size, CellDamage kind);
/* puts back cells saved from a frame (same grid only) */
void worker_set_cells(Worker *w, const float *cells, size_t len);
/* the growth stops where it is (the picture is being edited by hand), and
 * goes on again */
void worker_stop(Worker *w);
void worker_resume(Worker *w);

void worker_set_pace(Worker *w, const WorkerPace *pace);
/* one step now, paused or not, even after the growth is done */
void worker_step_once(Worker *w);

/* The frames of a growth are recorded as it goes, for saving it as an
 * animation: at most this many (8 MiB at 32x32), the first ones, so that a
 * long heal session stops being recorded rather than filling memory. */
enum { WORKER_RECORDING_MAX = 2000 };

/* Every frame of the growth that `job` seeded, from the seed on, each step,
 * damage and undo in heal mode included: *probs gets a copy (malloc'd
 * [n, *size, *size] pixel probabilities), *dropped how many frames came
 * after the last one kept. Returns n: 0 when nothing of that job is
 * recorded (not yet, or a newer growth replaced it), -1 when out of memory. */
int worker_recording(Worker *w, uint64_t job, float **probs, int *size, long *dropped);

/* Copies the published view into *dst (whose arrays it reallocates as
 * needed) if it changed since dst->seq. Returns 1 when it did. */
int worker_poll(Worker *w, WorkerView *dst);
void worker_view_free(WorkerView *v);
/* Every job posted is done, the cells are not advancing, and seen_seq is the
 * latest publication: nothing will change until something is posted. */
int worker_idle(Worker *w, uint64_t seen_seq);

#endif
