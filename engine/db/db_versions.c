/*
 * db_versions.c — walking one user key's versions across the children of a merged read, in
 * commit order (newest first), with the history rules applied: a hard delete ends the walk
 * (it erased everything before it), a replace is the last version reported. Also says how
 * large the timestamps of the versions not yet read can be, so that readers can stop early
 * when timestamps follow commit order.
 */
#include "db/db_history.h"

void skv__vwalk_start(SkvVersionWalk *w, IterChild *kids, size_t n, const void *key, size_t klen) {
    *w = (SkvVersionWalk){.kids = kids, .n = n, .key = key, .klen = klen, .last = n};
    for (size_t i = 0; i < n; i++) {
        IterChild *c = &kids[i];
        if (c->valid && skv__key_cmp(c->cur.key, c->cur.klen, key, klen) != 0) c->valid = 0;
    }
}

/* 1 when child a's version is newer than child b's: the transaction's own write is the
 * newest of all, then the higher sequence number. */
static int vwalk_newer(const IterChild *a, const IterChild *b) {
    if (a->type == CHILD_WRITES) return 1;
    if (b->type == CHILD_WRITES) return 0;
    return a->cur.seq > b->cur.seq;
}

int skv__vwalk_next(SkvVersionWalk *w, SkvMemEntry *e) {
    if (w->done) return SKV_NOTFOUND;
    if (w->last < w->n) {
        IterChild *c = &w->kids[w->last];
        skv__child_next_version(c, w->key, w->klen);
        int rc = skv__child_status(c);
        if (rc) {
            w->done = 1;
            return rc;
        }
        w->last = w->n;
    }
    size_t best = w->n;
    for (size_t i = 0; i < w->n; i++)
        if (w->kids[i].valid && (best == w->n || vwalk_newer(&w->kids[i], &w->kids[best])))
            best = i;
    if (best == w->n || w->kids[best].cur.kind == SKV_KIND_DELETE) {
        w->done = 1;
        return SKV_NOTFOUND;
    }
    w->last = best;
    *e = w->kids[best].cur;
    if (e->kind == SKV_KIND_REPLACE) w->done = 1;
    return SKV_OK;
}

int skv__vwalk_bound(const SkvVersionWalk *w, uint64_t *max_ts) {
    if (w->done) return SKV_VWALK_NONE_LEFT;
    int any = 0;
    uint64_t mx = 0;
    for (size_t i = 0; i < w->n; i++) {
        const IterChild *c = &w->kids[i];
        /* the writes child holds one version per key: once reported, nothing is left */
        if (!c->valid || (c->type == CHILD_WRITES && i == w->last)) continue;
        if (!skv__child_ts_ordered(c)) return SKV_VWALK_UNKNOWN;
        /* ordered: the child's next versions are no later than the one it stands on */
        if (!any || c->cur.ts > mx) mx = c->cur.ts;
        any = 1;
    }
    *max_ts = mx;
    return any ? SKV_VWALK_BOUNDED : SKV_VWALK_NONE_LEFT;
}
