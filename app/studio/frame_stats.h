/* frame_stats.h: for --stats, how promptly the window shows a change (an
 * input, a step of the automaton), the worker thread competing for the CPU;
 * and how long a regrow takes to show, sampled and then refined. */
#include <stdint.h>

#ifndef VNCA_STUDIO_FRAME_STATS_H
#define VNCA_STUDIO_FRAME_STATS_H

#include <stdio.h>

typedef struct FrameStats {
    double start_ms, last_ms;
    long frames;
    double wait_ms_sum, wait_ms_max; /* from a change to its frame on screen */

    uint64_t regrow_job;     /* the regrow being timed (0: none yet) */
    double regrow_asked_ms;
    int regrow_seen;         /* 1: its sampled regrowth has shown; 2: its refined one too */
    long regrows, refined;
    double shown_ms_sum, shown_ms_max, refined_ms_sum, refined_ms_max;
} FrameStats;

void frame_stats_start(FrameStats *st, double now_ms);
/* a frame was presented at now_ms, showing a change first seen at changed_ms */
void frame_stats_add(FrameStats *st, double now_ms, double changed_ms);
/* Once per loop, after the studio took in the worker's news: the latest
 * regrow's job (a new one starts its clock) and what of it is on view (0:
 * nothing yet, 1: the sampled regrowth, 2: the refined one). */
void frame_stats_regrow(FrameStats *st, double now_ms, uint64_t job, int on_view);
void frame_stats_print(const FrameStats *st, FILE *out);

#endif
