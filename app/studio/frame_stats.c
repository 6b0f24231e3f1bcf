/* Frame rate bookkeeping for --stats. */
#include "frame_stats.h"

void frame_stats_start(FrameStats *st, double now_ms)
{
    *st = (FrameStats){.start_ms = now_ms, .last_ms = now_ms};
}

void frame_stats_add(FrameStats *st, double now_ms, int growing)
{
    const double interval = now_ms - st->last_ms;
    st->last_ms = now_ms;
    st->frames++;
    /* an interval counts when growth ran through it, not when it began after a wait */
    const int counts = growing && st->was_growing;
    st->was_growing = growing;
    if (!counts) return;
    st->growing_frames++;
    st->growing_ms += interval;
    if (interval > st->longest_growing_ms) st->longest_growing_ms = interval;
}

void frame_stats_print(const FrameStats *st, FILE *out)
{
    const double seconds = (st->last_ms - st->start_ms) / 1000.0;
    fprintf(out, "vnca-studio: %ld frames in %.1f s (%.1f per second)", st->frames, seconds,
            seconds > 0 ? st->frames / seconds : 0.0);
    if (st->growing_frames > 0)
        fprintf(out, "; while growing: %ld frames in %.1f s (%.1f per second), the longest %.1f ms",
                st->growing_frames, st->growing_ms / 1000.0,
                st->growing_ms > 0 ? 1000.0 * st->growing_frames / st->growing_ms : 0.0,
                st->longest_growing_ms);
    fputc('\n', out);
}
