/* history.h: undo and redo as two stacks of snapshots. A snapshot is the
 * state a stroke changed, taken just before it: the canvas (regrow mode), the
 * live cells (heal mode) or the drawing (draw mode). Undoing restores the top
 * snapshot and puts the state being left on the redo stack in its place, and
 * the other way round. */
#ifndef VNCA_STUDIO_HISTORY_H
#define VNCA_STUDIO_HISTORY_H

#include <stddef.h>

enum { HISTORY_DEPTH = 100 };

typedef enum SnapshotKind { SNAPSHOT_CANVAS, SNAPSHOT_CELLS, SNAPSHOT_SKETCH } SnapshotKind;

typedef struct Snapshot {
    SnapshotKind kind;
    void *data;
    size_t len;
} Snapshot;

typedef enum HistoryDirection { HISTORY_UNDO = 0, HISTORY_REDO = 1 } HistoryDirection;

typedef struct History {
    Snapshot stack[2][HISTORY_DEPTH]; /* [HistoryDirection] */
    int depth[2];
} History;

/* Records the state before a new stroke (copied) and forgets the redo
 * stack; the oldest snapshot goes when the history is full. -1 when out of
 * memory (the history is then unchanged). */
int history_push(History *h, SnapshotKind kind, const void *state, size_t len);
/* The snapshot that undo (redo) would restore, or NULL. */
const Snapshot *history_peek(const History *h, HistoryDirection d);
/* After the caller restored history_peek(h, d): moves it to the other stack,
 * holding `current` (the state left behind) instead. -1 when out of memory. */
int history_turn(History *h, HistoryDirection d, const void *current, size_t len);
/* The oldest snapshot (bottom of the undo stack), or NULL. */
const Snapshot *history_oldest(const History *h);
void history_clear(History *h);

#endif
