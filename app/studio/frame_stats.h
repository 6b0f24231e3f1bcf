/* frame_stats.h: how smoothly the window draws (--stats), overall and while
 * the automaton grows, the time the worker thread competes for the CPU; and
 * how long a regrow takes to show, sampled and then refined. */
#include <stdint.h>

#ifndef VNCA_STUDIO_FRAME_STATS_H
#define VNCA_STUDIO_FRAME_STATS_H

#include <stdio.h>

typedef struct FrameStats {
    double start_ms, last_ms;
    long frames;
    long growing_frames;
    double growing_ms;       /* time spent in frames drawn while growing */
    double longest_growing_ms;
    int was_growing;         /* at the previous frame */

    uint64_t regrow_job;     /* the regrow being timed (0: none yet) */
    double regrow_asked_ms;
    int regrow_seen;         /* 1: its sampled regrowth has shown; 2: its refined one too */
    long regrows, refined;
    double shown_ms_sum, shown_ms_max, refined_ms_sum, refined_ms_max;
} FrameStats;

void frame_stats_start(FrameStats *st, double now_ms);
/* a frame was presented at now_ms; growing: the automaton was advancing */
void frame_stats_add(FrameStats *st, double now_ms, int growing);
/* Once per loop, after the studio took in the worker's news: the latest
 * regrow's job (a new one starts its clock) and what of it is on view (0:
 * nothing yet, 1: the sampled regrowth, 2: the refined one). */
void frame_stats_regrow(FrameStats *st, double now_ms, uint64_t job, int on_view);
void frame_stats_print(const FrameStats *st, FILE *out);

#endif
