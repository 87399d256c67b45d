/* memtable.c — the memtable: lifecycle and reference count, insertion, point lookups,
 * counters and the cursor, over the skiplist and the arena. */
#include <stdatomic.h>
#include <stdlib.h>

#include "base/base.h"
#include "mem/arena.h"
#include "mem/mem.h"
#include "mem/skiplist.h"

struct SkvMemtable {
    SkvMemArena arena;
    SkvMemSkl skl;
    _Atomic uint64_t count;
    _Atomic uint32_t refs;
    _Atomic int ts_unordered;
};

SkvMemtable *skv__mem_new(void) {
    SkvMemtable *m = malloc(sizeof *m);
    if (!m) return NULL;
    skv__mem_arena_init(&m->arena);
    /* the seed only shapes the tower heights; any value works */
    if (skv__mem_skl_init(&m->skl, &m->arena, 0x5eed5eed2013ULL) != SKV_OK) {
        skv__mem_arena_destroy(&m->arena);
        free(m);
        return NULL;
    }
    atomic_init(&m->count, 0);
    atomic_init(&m->refs, 1);
    atomic_init(&m->ts_unordered, 0);
    return m;
}

void skv__mem_note_ts_unordered(SkvMemtable *m) { atomic_store(&m->ts_unordered, 1); }

int skv__mem_ts_ordered(const SkvMemtable *m) { return !atomic_load(&m->ts_unordered); }

void skv__mem_ref(SkvMemtable *m) { atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed); }

void skv__mem_unref(SkvMemtable *m) {
    if (!m) return;
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
    skv__mem_arena_destroy(&m->arena);
    free(m);
}

int skv__mem_add(SkvMemtable *m, uint64_t seq, int kind, uint64_t ts, const void *key, size_t klen,
                 const void *val, size_t vlen) {
    int rc = skv__mem_skl_insert(&m->skl, seq, kind, ts, key, klen, val, vlen);
    if (rc == SKV_OK) atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
    return rc;
}

size_t skv__mem_bytes(const SkvMemtable *m) { return sizeof *m + skv__mem_arena_bytes(&m->arena); }

uint64_t skv__mem_count(const SkvMemtable *m) {
    return atomic_load_explicit(&m->count, memory_order_relaxed);
}

size_t skv__mem_entry_cost(size_t klen, size_t vlen) { return skv__mem_skl_cost(klen, vlen); }

static void memt_fill(const SkvMemSklNode *n, SkvMemEntry *e) {
    e->key = skv__mem_skl_key(n);
    e->klen = n->klen;
    e->val = skv__mem_skl_val(n);
    e->vlen = n->vlen;
    e->seq = n->seq;
    e->ts = n->ts;
    e->kind = n->kind;
    e->vptr = 0;
}

int skv__mem_get(const SkvMemtable *m, const void *key, size_t klen, uint64_t snap,
                 SkvMemEntry *e) {
    const SkvMemSklNode *n = skv__mem_skl_seek_ge(&m->skl, key, klen, snap);
    if (!n || skv__key_cmp(skv__mem_skl_key(n), n->klen, key, klen) != 0) return SKV_NOTFOUND;
    memt_fill(n, e);
    return SKV_OK;
}

/* ---- cursor ---- */

void skv__memiter_init(SkvMemIter *it, const SkvMemtable *m) {
    it->m = m;
    it->node = NULL;
}

int skv__memiter_valid(const SkvMemIter *it) { return it->node != NULL; }

void skv__memiter_seek(SkvMemIter *it, const void *key, size_t klen, uint64_t seq) {
    it->node = skv__mem_skl_seek_ge(&it->m->skl, key, klen, seq);
}

void skv__memiter_seek_before(SkvMemIter *it, const void *key, size_t klen, uint64_t seq) {
    it->node = skv__mem_skl_seek_lt(&it->m->skl, key, klen, seq);
}

void skv__memiter_first(SkvMemIter *it) { it->node = skv__mem_skl_first(&it->m->skl); }

void skv__memiter_last(SkvMemIter *it) { it->node = skv__mem_skl_last(&it->m->skl); }

void skv__memiter_next(SkvMemIter *it) {
    if (it->node) it->node = skv__mem_skl_next(it->node);
}

void skv__memiter_prev(SkvMemIter *it) {
    if (it->node) it->node = skv__mem_skl_prev(&it->m->skl, it->node);
}

void skv__memiter_entry(const SkvMemIter *it, SkvMemEntry *e) { memt_fill(it->node, e); }
