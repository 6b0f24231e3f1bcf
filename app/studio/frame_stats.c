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

void frame_stats_regrow(FrameStats *st, double now_ms, uint64_t job, int on_view)
{
    if (job == 0) return;
    if (job != st->regrow_job) {
        st->regrow_job = job;
        st->regrow_asked_ms = now_ms;
        st->regrow_seen = 0;
    }
    const double since = now_ms - st->regrow_asked_ms;
    if (on_view >= 1 && st->regrow_seen < 1) {
        st->regrows++;
        st->shown_ms_sum += since;
        if (since > st->shown_ms_max) st->shown_ms_max = since;
    }
    if (on_view == 2 && st->regrow_seen < 2) {
        st->refined++;
        st->refined_ms_sum += since;
        if (since > st->refined_ms_max) st->refined_ms_max = since;
    }
    if (on_view > st->regrow_seen) st->regrow_seen = on_view;
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
    if (st->regrows > 0)
        fprintf(out, "vnca-studio: %ld regrows shown after %.0f ms on average (the longest %.0f ms)",
                st->regrows, st->shown_ms_sum / st->regrows, st->shown_ms_max);
    if (st->refined > 0)
        fprintf(out, "; %ld refined after %.0f ms on average (the longest %.0f ms)", st->refined,
                st->refined_ms_sum / st->refined, st->refined_ms_max);
    if (st->regrows > 0) fputc('\n', out);
}
