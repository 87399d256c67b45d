/* snapshots.c — the registry of live snapshots, oldest first (drives oracle pruning). */
#include <stdatomic.h>

#include "txn/txn.h"

void skv__snapshots_init(SkvSnapshots *s) {
    skv__mutex_init(&s->mu);
    s->head.next = s->head.prev = &s->head;
}

void skv__snapshots_destroy(SkvSnapshots *s) { skv__mutex_destroy(&s->mu); }

void skv__snapshots_acquire(SkvSnapshots *s, SkvSnapshot *snap, const _Atomic uint64_t *visible) {
    skv__mutex_lock(&s->mu);
    snap->seq = atomic_load_explicit(visible, memory_order_acquire);
    snap->prev = s->head.prev;
    snap->next = &s->head;
    s->head.prev->next = snap;
    s->head.prev = snap;
    skv__mutex_unlock(&s->mu);
}

void skv__snapshots_release(SkvSnapshots *s, SkvSnapshot *snap) {
    skv__mutex_lock(&s->mu);
    snap->prev->next = snap->next;
    snap->next->prev = snap->prev;
    snap->next = snap->prev = NULL;
    skv__mutex_unlock(&s->mu);
}

uint64_t skv__snapshots_oldest(SkvSnapshots *s, const _Atomic uint64_t *visible) {
    skv__mutex_lock(&s->mu);
    uint64_t seq = s->head.next != &s->head ? s->head.next->seq
                                            : atomic_load_explicit(visible, memory_order_acquire);
    skv__mutex_unlock(&s->mu);
    return seq;
}
