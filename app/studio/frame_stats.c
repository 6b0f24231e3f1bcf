/* Frame and regrow timing for --stats. */
#include "frame_stats.h"

void frame_stats_start(FrameStats *st, double now_ms)
{
    *st = (FrameStats){.start_ms = now_ms, .last_ms = now_ms};
}

void frame_stats_add(FrameStats *st, double now_ms, double changed_ms)
{
    /* the first frame waits for the window, fonts and model to start: not a change */
    const double wait = st->frames++ > 0 ? now_ms - changed_ms : 0.0;
    st->last_ms = now_ms;
    st->wait_ms_sum += wait;
    if (wait > st->wait_ms_max) st->wait_ms_max = wait;
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
    if (st->frames > 0)
        fprintf(out, "; a change shown after %.1f ms on average (the longest %.1f ms)", st->wait_ms_sum / st->frames,
                st->wait_ms_max);
    fputc('\n', out);
    if (st->regrows > 0)
        fprintf(out, "vnca-studio: %ld regrows shown after %.0f ms on average (the longest %.0f ms)",
                st->regrows, st->shown_ms_sum / st->regrows, st->shown_ms_max);
    if (st->refined > 0)
        fprintf(out, "; %ld refined after %.0f ms on average (the longest %.0f ms)", st->refined,
                st->refined_ms_sum / st->refined, st->refined_ms_max);
    if (st->regrows > 0) fputc('\n', out);
}
