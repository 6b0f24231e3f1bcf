/* Undo and redo stacks of snapshots. */
#include "history.h"

#include <stdlib.h>
#include <string.h>

static void forget(Snapshot *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

static void forget_all(History *h, HistoryDirection d)
{
    while (h->depth[d] > 0) forget(&h->stack[d][--h->depth[d]]);
}

/* pushes a copy of state onto stack d, dropping the oldest when full */
static int push_copy(History *h, HistoryDirection d, SnapshotKind kind, const void *state, size_t len)
{
    void *copy = malloc(len ? len : 1);
    if (!copy) return -1;
    memcpy(copy, state, len);
    Snapshot *stack = h->stack[d];
    if (h->depth[d] == HISTORY_DEPTH) {
        forget(&stack[0]);
        memmove(stack, stack + 1, (HISTORY_DEPTH - 1) * sizeof *stack);
        h->depth[d]--;
    }
    stack[h->depth[d]++] = (Snapshot){kind, copy, len};
    return 0;
}

int history_push(History *h, SnapshotKind kind, const void *state, size_t len)
{
    if (push_copy(h, HISTORY_UNDO, kind, state, len)) return -1;
    forget_all(h, HISTORY_REDO);
    return 0;
}

const Snapshot *history_peek(const History *h, HistoryDirection d)
{
    return h->depth[d] > 0 ? &h->stack[d][h->depth[d] - 1] : NULL;
}

int history_turn(History *h, HistoryDirection d, const void *current, size_t len)
{
    if (h->depth[d] == 0) return 0;
    Snapshot *top = &h->stack[d][h->depth[d] - 1];
    if (push_copy(h, !d, top->kind, current, len)) return -1;
    forget(top);
    h->depth[d]--;
    return 0;
}

const Snapshot *history_oldest(const History *h)
{
    return h->depth[HISTORY_UNDO] > 0 ? &h->stack[HISTORY_UNDO][0] : NULL;
}

void history_clear(History *h)
{
    forget_all(h, HISTORY_UNDO);
    forget_all(h, HISTORY_REDO);
}
