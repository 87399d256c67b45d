/*
 * db_iter_child.c — one source of a merged iterator: a memtable, or table files (one level-0
 * file, or a whole deeper level), seen at a snapshot (each user key shows its newest version with
 * sequence <= snapshot, tombstones included), or a transaction's own writes (a sorted array, latest
 * write per key). Children move in user-key order; the merge (db_iter.c) decides which child wins a
 * key.
 */
#include "db/db_iter_child.h"

#include <stdlib.h>

const uint8_t *skv__hold_key(uint8_t **buf, size_t *cap, const void *key, size_t n) {
    if (n > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < n) c *= 2;
        uint8_t *b = realloc(*buf, c);
        if (!b) return NULL;
        *buf = b;
        *cap = c;
    }
    if (n) memcpy(*buf, key, n);
    return *buf ? *buf : (const uint8_t *)"";
}

/* Cursor primitives over the two ordered sources (memtable, tables). */
static int child_valid(const IterChild *c) {
    return c->type == CHILD_MEM ? skv__memiter_valid(&c->mi) : skv__leveliter_valid(&c->li);
}

static void child_read(IterChild *c) {
    if (c->type == CHILD_MEM) {
        skv__memiter_entry(&c->mi, &c->cur);
        return;
    }
    skv__leveliter_entry(&c->li, &c->cur);
}

static void child_next(IterChild *c) {
    if (c->type == CHILD_MEM)
        skv__memiter_next(&c->mi);
    else
        skv__leveliter_next(&c->li);
}

static void child_prev(IterChild *c) {
    if (c->type == CHILD_MEM)
        skv__memiter_prev(&c->mi);
    else
        skv__leveliter_prev(&c->li);
}

static void child_seek(IterChild *c, const void *key, size_t klen, uint64_t seq) {
    if (c->type == CHILD_MEM)
        skv__memiter_seek(&c->mi, key, klen, seq);
    else
        skv__leveliter_seek(&c->li, key, klen, seq);
}

static void child_seek_before(IterChild *c, const void *key, size_t klen, uint64_t seq) {
    if (c->type == CHILD_MEM)
        skv__memiter_seek_before(&c->mi, key, klen, seq);
    else
        skv__leveliter_seek_before(&c->li, key, klen, seq);
}

/* Forward, from an entry already read into cur: skip versions newer than the snapshot;
 * lands on a key's newest visible one. */
static void child_settle_fwd_read(IterChild *c) {
    while (c->cur.seq > c->snap) {
        child_next(c);
        if (!(c->valid = child_valid(c))) return;
        child_read(c);
    }
    c->valid = 1;
}

/* Forward: skip versions newer than the snapshot; lands on a key's newest visible one. */
static void child_settle_fwd(IterChild *c) {
    if (!(c->valid = child_valid(c))) return;
    child_read(c);
    child_settle_fwd_read(c);
}

/* Steps at most this many entries over versions of one key before seeking past them. */
enum { CHILD_MAX_STEPS = 8 };

/* Standing on a visible version of key k (held), moves to k's newest visible version: the
 * newer versions sit just before it, so it steps back over the visible ones and forward again
 * from the first entry that is not (another key, or a version above the snapshot); a long run
 * of versions ends in a seek. */
static void child_newest_visible(IterChild *c, const SkvMemEntry *k) {
    for (int steps = 0;; steps++) {
        if (steps == CHILD_MAX_STEPS) {
            child_seek(c, k->key, k->klen, c->snap);
            break;
        }
        child_prev(c);
        if (!child_valid(c)) {
            child_seek(c, k->key, k->klen, c->snap);
            break;
        }
        child_read(c);
        if (c->cur.seq > c->snap || skv__key_cmp(c->cur.key, c->cur.klen, k->key, k->klen) != 0) {
            child_next(c);
            break;
        }
    }
    if ((c->valid = child_valid(c))) child_read(c);
}

/* Backward: standing on the oldest version of some key K, find K's newest visible version,
 * or move to smaller keys until one has a visible version (the oldest version is visible
 * exactly when any is). */
static void child_settle_bwd(IterChild *c) {
    for (;;) {
        if (!(c->valid = child_valid(c))) return;
        child_read(c);
        SkvMemEntry k = c->cur;
        /* a table cursor's key lives in its own buffer, which the moves overwrite */
        if (!(k.key = skv__hold_key(&c->kbuf, &c->kcap, k.key, k.klen))) {
            c->valid = 0;
            return;
        }
        if (k.seq <= c->snap) {
            child_newest_visible(c, &k);
            return;
        }
        child_seek_before(c, k.key, k.klen, UINT64_MAX);
    }
}

static void child_ws_load(IterChild *c) {
    c->valid = c->pos < c->nws;
    if (!c->valid) return;
    const SkvWrite *w = &c->ws[c->pos];
    c->cur = (SkvMemEntry){.key = w->key,
                           .klen = w->klen,
                           .val = w->val,
                           .vlen = w->vlen,
                           .ts = w->ts,
                           .kind = w->kind};
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
    if (c->type == CHILD_WRITES) {
        c->pos = key ? child_ws_bound(c, key, klen, strict) : 0;
        child_ws_load(c);
        return;
    }
    if (!key) {
        if (c->type == CHILD_MEM)
            skv__memiter_first(&c->mi);
        else
            skv__leveliter_first(&c->li);
    } else {
        /* (key, 0) sorts after every version of key: the next key's first entry */
        child_seek(c, key, klen, strict ? 0 : c->snap);
    }
    child_settle_fwd(c);
}

void skv__child_seek_le(IterChild *c, const void *key, size_t klen, int strict) {
    if (c->type == CHILD_WRITES) {
        size_t b = key ? child_ws_bound(c, key, klen, !strict) : c->nws;
        c->pos = b ? b - 1 : c->nws; /* nws = invalid */
        child_ws_load(c);
        return;
    }
    if (!key) {
        if (c->type == CHILD_MEM)
            skv__memiter_last(&c->mi);
        else
            skv__leveliter_last(&c->li);
    } else {
        /* last entry < (key, MAX) is the oldest version of the previous key; last entry
         * < (key, 0) is the oldest version of key itself */
        child_seek_before(c, key, klen, strict ? UINT64_MAX : 0);
    }
    child_settle_bwd(c);
}

void skv__child_next(IterChild *c, const void *key, size_t klen) {
    if (c->type == CHILD_WRITES) {
        c->pos++;
        child_ws_load(c);
        return;
    }
    /* step over the older versions of key (usually none or a few); after many, seek past */
    for (int steps = 0; steps < CHILD_MAX_STEPS; steps++) {
        child_next(c);
        if (!(c->valid = child_valid(c))) return;
        child_read(c);
        if (skv__key_cmp(c->cur.key, c->cur.klen, key, klen) != 0) {
            child_settle_fwd_read(c);
            return;
        }
    }
    child_seek(c, key, klen, 0);
    child_settle_fwd(c);
}

void skv__child_prev(IterChild *c, const void *key, size_t klen) {
    if (c->type == CHILD_WRITES) {
        c->pos = c->pos ? c->pos - 1 : c->nws; /* nws = invalid */
        child_ws_load(c);
        return;
    }
    /* step back over the newer versions of key (usually none or a few); after many, seek */
    for (int steps = 0;; steps++) {
        if (steps == CHILD_MAX_STEPS) {
            child_seek_before(c, key, klen, UINT64_MAX);
            break;
        }
        child_prev(c);
        if (!child_valid(c)) break;
        child_read(c);
        if (skv__key_cmp(c->cur.key, c->cur.klen, key, klen) != 0) break;
    }
    child_settle_bwd(c);
}

int skv__child_status(const IterChild *c) {
    return c->type == CHILD_TABLES ? skv__leveliter_status(&c->li) : SKV_OK;
}

void skv__child_seek_key(IterChild *c, const void *key, size_t klen) {
    if (c->type == CHILD_WRITES) {
        c->pos = child_ws_bound(c, key, klen, 0);
        child_ws_load(c);
    } else if (c->type == CHILD_TABLES && !skv__leveliter_may_contain(&c->li, key, klen, c->snap)) {
        c->valid = 0;
        return;
    } else {
        /* the first entry >= (key, snap) is key's newest visible version if it has one */
        child_seek(c, key, klen, c->snap);
        if ((c->valid = child_valid(c))) child_read(c);
    }
    if (c->valid && skv__key_cmp(c->cur.key, c->cur.klen, key, klen) != 0) c->valid = 0;
}

int skv__child_next_version(IterChild *c, const void *key, size_t klen) {
    if (c->type == CHILD_WRITES) return c->valid = 0;
    child_next(c);
    if ((c->valid = child_valid(c))) {
        child_read(c);
        if (skv__key_cmp(c->cur.key, c->cur.klen, key, klen) != 0) c->valid = 0;
    }
    return c->valid;
}

int skv__child_ts_ordered(const IterChild *c) {
    if (c->type == CHILD_MEM) return skv__mem_ts_ordered(c->mi.m);
    if (c->type == CHILD_TABLES) return skv__leveliter_ts_ordered(&c->li);
    return 1;
}

int skv__children_new(skv_db *db, const SkvView *v, uint64_t snap, IterChild **out, size_t *n) {
    const SkvVersion *ver = v->version;
    size_t ntables = 0;
    for (int l = 0; ver && l < ver->nlevels; l++)
        ntables += l == 0 ? ver->nfiles[0] : ver->nfiles[l] > 0;
    IterChild *kids = calloc(1 + v->n + ntables, sizeof *kids);
    if (!kids) return SKV_ENOMEM;
    size_t k = 0;
    kids[k++].type = CHILD_WRITES;
    for (size_t i = 0; i < v->n; i++) {
        IterChild *c = &kids[k++];
        c->type = CHILD_MEM;
        c->snap = snap;
        skv__memiter_init(&c->mi, v->mems[i].mem);
    }
    /* one child per level-0 file (they overlap), one per deeper level (its files do not) */
    for (int l = 0; ver && l < ver->nlevels; l++)
        for (size_t i = 0; i < ver->nfiles[l]; i += l ? ver->nfiles[l] : 1) {
            IterChild *c = &kids[k++];
            c->type = CHILD_TABLES;
            c->snap = snap;
            skv__leveliter_init(&c->li, db, ver->files[l] + i, l ? ver->nfiles[l] : 1);
        }
    *out = kids;
    *n = k;
    return SKV_OK;
}

void skv__children_free(IterChild *kids, size_t n) {
    for (size_t i = 0; kids && i < n; i++) {
        if (kids[i].type == CHILD_TABLES) skv__leveliter_free(&kids[i].li);
        free(kids[i].kbuf);
    }
    free(kids);
}
