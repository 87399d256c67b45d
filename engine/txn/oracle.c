/*
 * oracle.c — first-committer-wins conflict detection. A hash table maps the fingerprint of
 * every recently written key to the sequence of its last commit; a FIFO of (fingerprint,
 * sequence) in commit order lets the oldest entries be forgotten. Entries that no live
 * snapshot can conflict with are dropped freely; dropping more than that (to respect the
 * window) raises `forgotten`, and snapshots older than it must retry.
 */
#include <stdlib.h>

#include "txn/txn.h"

typedef struct {
    uint64_t fp; /* 0 = empty slot */
    uint64_t seq;
} OracleSlot;

struct SkvOracle {
    OracleSlot *slots;
    size_t cap, size; /* cap is a power of two */
    OracleSlot *fifo; /* ring of recorded writes in commit order */
    size_t fifo_cap, fifo_head, fifo_len;
    size_t window;
    uint64_t forgotten; /* commits at or below this may have been forgotten */
};

static uint64_t oracle_norm(uint64_t fp) { return fp ? fp : 1; }

SkvOracle *skv__oracle_new(size_t window) {
    SkvOracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->cap = 1024;
    o->slots = calloc(o->cap, sizeof *o->slots);
    o->fifo_cap = 1024;
    o->fifo = malloc(o->fifo_cap * sizeof *o->fifo);
    o->window = window ? window : 1;
    if (!o->slots || !o->fifo) {
        skv__oracle_free(o);
        return NULL;
    }
    return o;
}

void skv__oracle_free(SkvOracle *o) {
    if (!o) return;
    free(o->slots);
    free(o->fifo);
    free(o);
}

static size_t oracle_find(const SkvOracle *o, uint64_t fp) {
    size_t mask = o->cap - 1, i = (size_t)(fp * 0x9E3779B97F4A7C15ull) & mask;
    while (o->slots[i].fp && o->slots[i].fp != fp) i = (i + 1) & mask;
    return i;
}

int skv__oracle_check(const SkvOracle *o, uint64_t start_seq, const uint64_t *fps, size_t n) {
    if (n && start_seq < o->forgotten) return SKV_ERETRY;
    for (size_t k = 0; k < n; k++) {
        const OracleSlot *s = &o->slots[oracle_find(o, oracle_norm(fps[k]))];
        if (s->fp && s->seq > start_seq) return SKV_ECONFLICT;
    }
    return SKV_OK;
}

static int oracle_grow(SkvOracle *o) {
    OracleSlot *old = o->slots;
    size_t old_cap = o->cap;
    OracleSlot *slots = calloc(old_cap * 2, sizeof *slots);
    if (!slots) return SKV_ENOMEM;
    o->slots = slots;
    o->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].fp) o->slots[oracle_find(o, old[i].fp)] = old[i];
    free(old);
    return SKV_OK;
}

static int oracle_fifo_push(SkvOracle *o, uint64_t fp, uint64_t seq) {
    if (o->fifo_len == o->fifo_cap) {
        OracleSlot *f = malloc(o->fifo_cap * 2 * sizeof *f);
        if (!f) return SKV_ENOMEM;
        for (size_t i = 0; i < o->fifo_len; i++) f[i] = o->fifo[(o->fifo_head + i) % o->fifo_cap];
        free(o->fifo);
        o->fifo = f;
        o->fifo_head = 0;
        o->fifo_cap *= 2;
    }
    o->fifo[(o->fifo_head + o->fifo_len) % o->fifo_cap] = (OracleSlot){fp, seq};
    o->fifo_len++;
    return SKV_OK;
}

int skv__oracle_record(SkvOracle *o, uint64_t seq, const uint64_t *fps, size_t n) {
    for (size_t k = 0; k < n; k++) {
        uint64_t fp = oracle_norm(fps[k]);
        if ((o->size + 1) * 2 > o->cap && oracle_grow(o) != SKV_OK) return SKV_ENOMEM;
        if (oracle_fifo_push(o, fp, seq) != SKV_OK) return SKV_ENOMEM;
        OracleSlot *s = &o->slots[oracle_find(o, fp)];
        if (!s->fp) o->size++;
        *s = (OracleSlot){fp, seq};
    }
    return SKV_OK;
}

/* Removes fp's slot if it still holds seq (backward-shift deletion keeps probes intact);
 * returns 1 when it did. */
static int oracle_forget(SkvOracle *o, uint64_t fp, uint64_t seq) {
    size_t mask = o->cap - 1, i = oracle_find(o, fp);
    if (!o->slots[i].fp || o->slots[i].seq != seq) return 0;
    o->slots[i].fp = 0;
    o->size--;
    for (size_t j = (i + 1) & mask; o->slots[j].fp; j = (j + 1) & mask) {
        size_t home = (size_t)(o->slots[j].fp * 0x9E3779B97F4A7C15ull) & mask;
        /* move j back to i when i lies cyclically in [home, j) */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            o->slots[i] = o->slots[j];
            o->slots[j].fp = 0;
            i = j;
        }
    }
    return 1;
}

void skv__oracle_prune(SkvOracle *o, uint64_t oldest_live) {
    while (o->fifo_len) {
        OracleSlot head = o->fifo[o->fifo_head];
        int needed = head.seq > oldest_live;
        if (needed && o->size <= o->window && o->fifo_len <= 2 * o->window + 1024) break;
        if (oracle_forget(o, head.fp, head.seq) && needed && head.seq > o->forgotten)
            o->forgotten = head.seq;
        o->fifo_head = (o->fifo_head + 1) % o->fifo_cap;
        o->fifo_len--;
    }
}

size_t skv__oracle_size(const SkvOracle *o) { return o->size; }
