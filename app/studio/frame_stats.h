/* frame_stats.h: how smoothly the window draws (--stats), overall and while
 * the automaton grows, the time the worker thread competes for the CPU. */
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
} FrameStats;

void frame_stats_start(FrameStats *st, double now_ms);
/* a frame was presented at now_ms; growing: the automaton was advancing */
void frame_stats_add(FrameStats *st, double now_ms, int growing);
void frame_stats_print(const FrameStats *st, FILE *out);

#endif
