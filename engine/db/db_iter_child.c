/*
 * db_iter_child.c — one source of a merged iterator: either a memtable seen at a snapshot
 * (each user key shows its newest version with sequence <= snapshot, tombstones included)
 * or a transaction's own writes (a sorted array, latest write per key). Children move in
 * user-key order; the merge (db_iter.c) decides which child wins a key.
 */
#include "db/db_iter_child.h"

static void child_load(IterChild *c) {
    c->valid = skv__memiter_valid(&c->mi);
    if (c->valid) skv__memiter_entry(&c->mi, &c->cur);
}

/* Forward: skip versions newer than the snapshot; lands on a key's newest visible one. */
static void child_settle_fwd(IterChild *c) {
    for (;;) {
        child_load(c);
        if (!c->valid || c->cur.seq <= c->snap) return;
        skv__memiter_next(&c->mi);
    }
}

/* Backward: from any entry of some key K, find K's newest visible version, or move to
 * smaller keys until one has a visible version. */
static void child_settle_bwd(IterChild *c) {
    for (;;) {
        child_load(c);
        if (!c->valid) return;
        SkvMemEntry k = c->cur;
        SkvMemIter probe = c->mi;
        skv__memiter_seek(&probe, k.key, k.klen, c->snap);
        if (skv__memiter_valid(&probe)) {
            SkvMemEntry e;
            skv__memiter_entry(&probe, &e);
            if (skv__key_cmp(e.key, e.klen, k.key, k.klen) == 0) {
                c->mi = probe;
                c->cur = e;
                return;
            }
        }
        skv__memiter_seek_before(&c->mi, k.key, k.klen, UINT64_MAX);
    }
}

static void child_ws_load(IterChild *c) {
    c->valid = c->pos < c->nws;
    if (!c->valid) return;
    const SkvWrite *w = &c->ws[c->pos];
    c->cur = (SkvMemEntry){
        .key = w->key, .klen = w->klen, .val = w->val, .vlen = w->vlen, .kind = w->kind};
}

/* index of the first write with key > k (strict) or >= k */
static size_t child_ws_bound(const IterChild *c, const void *k, size_t klen, int strict) {
    size_t lo = 0, hi = c->nws;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = skv__key_cmp(c->ws[mid].key, c->ws[mid].klen, k, klen);
        if (cmp < 0 || (strict && cmp == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void skv__child_seek_ge(IterChild *c, const void *key, size_t klen, int strict) {
    if (c->ws || !c->mem) {
        c->pos = key ? child_ws_bound(c, key, klen, strict) : 0;
        child_ws_load(c);
        return;
    }
    if (!key)
        skv__memiter_first(&c->mi);
    else
        skv__memiter_seek(&c->mi, key, klen, strict ? 0 : c->snap);
    child_settle_fwd(c);
}

void skv__child_seek_le(IterChild *c, const void *key, size_t klen, int strict) {
    if (c->ws || !c->mem) {
        size_t b = key ? child_ws_bound(c, key, klen, !strict) : c->nws;
        c->pos = b ? b - 1 : c->nws; /* nws = invalid */
        child_ws_load(c);
        return;
    }
    if (!key)
        skv__memiter_last(&c->mi);
    else
        skv__memiter_seek_before(&c->mi, key, klen, strict ? UINT64_MAX : 0);
    child_settle_bwd(c);
}
