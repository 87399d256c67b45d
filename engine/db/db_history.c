/*
 * db_history.c — history iterators (skv_txn_history): a key-at-a-time walk over every
 * version of the keys in [lo, hi). The merged children of the iterator find the keys (the
 * next or previous one with a visible version); for each key the version walk
 * (db_versions.c) reads its versions newest first into a buffer, keeping those inside the
 * timestamp range (soft deletes only when asked for) and stopping early when timestamps
 * follow commit order. Physical order is keys ascending, each key's versions newest first;
 * SKV_ITER_REVERSE walks it backwards. A limit keeps the first `limit` versions in
 * iteration order: the iterator counts its position and never moves past them. A range
 * that holds a single key ([k, k 0x00)) is read with point seeks and bloom filters.
 */
#include <stdlib.h>

#include "db/db_history.h"

typedef struct {
    uint64_t ts;
    int kind;
    size_t voff, vlen;
} HistVersion;

struct SkvHistory {
    uint64_t from, to;
    size_t limit; /* 0 = all */
    int tombstones;
    int single; /* [lo, hi) holds the one key lo */
    int pos;
    size_t idx;   /* position in iteration order (kept when limit > 0) */
    uint8_t *key; /* the current key */
    size_t klen, kcap;
    HistVersion *v; /* its versions in the range, newest first */
    size_t n, cap, j;
    uint8_t *vals;
    size_t vused, vcap;
    uint8_t *saved; /* a key remembered while looking for the last version (limit) */
    size_t saved_len, saved_cap;
};

void skv__hist_free(SkvHistory *h) {
    if (!h) return;
    free(h->key);
    free(h->v);
    free(h->vals);
    free(h->saved);
    free(h);
}

static int hist_is_single(const skv_iter *it) {
    return it->lo && it->hi && it->hilen == it->lolen + 1 && it->hi[it->lolen] == 0 &&
           memcmp(it->lo, it->hi, it->lolen) == 0;
}

int skv__hist_open(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                   uint64_t ts_from, uint64_t ts_to, unsigned flags, size_t limit, skv_iter **out) {
    SkvHistory *h = calloc(1, sizeof *h);
    if (!h) return SKV_ENOMEM;
    skv_iter *it;
    int rc = skv__iter_setup(txn, lo, lolen, hi, hilen, flags, &it);
    if (rc) {
        free(h);
        return rc;
    }
    h->from = ts_from;
    h->to = ts_to;
    h->limit = limit;
    h->tombstones = (flags & SKV_HISTORY_TOMBSTONES) != 0;
    h->pos = POS_NONE;
    it->hist = h;
    h->single = hist_is_single(it);
    *out = it;
    return SKV_OK;
}

/* ---- finding keys ---- */

static int hist_take_key(SkvHistory *h, const IterChild *c) {
    if (!skv__hold_key(&h->key, &h->kcap, c->cur.key, c->cur.klen)) return SKV_ENOMEM;
    h->klen = c->cur.klen;
    return SKV_OK;
}

/* A range of one key: positions the children on it when it passes the target test (cmp:
 * the key against the target; ok when the caller's direction accepts it). */
static int hist_find_single(skv_iter *it, int accepted) {
    SkvHistory *h = it->hist;
    if (!accepted) return SKV_NOTFOUND;
    const IterChild *found = NULL;
    for (size_t i = 0; i < it->nkids; i++) {
        skv__child_seek_key(&it->kids[i], it->lo, it->lolen);
        int rc = skv__child_status(&it->kids[i]);
        if (rc) return rc;
        if (it->kids[i].valid) found = &it->kids[i];
    }
    return found ? hist_take_key(h, found) : SKV_NOTFOUND;
}

/* Positions the children on the smallest key >= target (> when strict; NULL target: the
 * first key) inside the bounds and makes it the current key. */
static int hist_find_ge(skv_iter *it, const void *target, size_t tlen, int strict) {
    if (it->lo && (!target || skv__key_cmp(target, tlen, it->lo, it->lolen) < 0)) {
        target = it->lo;
        tlen = it->lolen;
        strict = 0;
    }
    if (it->hist->single) {
        int c = target ? skv__key_cmp(it->lo, it->lolen, target, tlen) : 1;
        return hist_find_single(it, c > 0 || (c == 0 && !strict));
    }
    IterChild *best = NULL;
    for (size_t i = 0; i < it->nkids; i++) {
        IterChild *c = &it->kids[i];
        skv__child_seek_ge(c, target, tlen, strict);
        int rc = c->valid ? SKV_OK : skv__child_status(c);
        if (rc) return rc;
        if (c->valid &&
            (!best || skv__key_cmp(c->cur.key, c->cur.klen, best->cur.key, best->cur.klen) < 0))
            best = c;
    }
    if (!best || (it->hi && skv__key_cmp(best->cur.key, best->cur.klen, it->hi, it->hilen) >= 0))
        return SKV_NOTFOUND;
    return hist_take_key(it->hist, best);
}

/* Positions the children on the largest key <= target (< when strict; NULL target: the last
 * key) inside the bounds and makes it the current key. */
static int hist_find_le(skv_iter *it, const void *target, size_t tlen, int strict) {
    if (it->hi && (!target || skv__key_cmp(target, tlen, it->hi, it->hilen) >= 0)) {
        target = it->hi;
        tlen = it->hilen;
        strict = 1;
    }
    if (it->hist->single) {
        int c = target ? skv__key_cmp(it->lo, it->lolen, target, tlen) : -1;
        return hist_find_single(it, c < 0 || (c == 0 && !strict));
    }
    IterChild *best = NULL;
    for (size_t i = 0; i < it->nkids; i++) {
        IterChild *c = &it->kids[i];
        skv__child_seek_le(c, target, tlen, strict);
        int rc = c->valid ? SKV_OK : skv__child_status(c);
        if (rc) return rc;
        if (c->valid &&
            (!best || skv__key_cmp(c->cur.key, c->cur.klen, best->cur.key, best->cur.klen) > 0))
            best = c;
    }
    if (!best || (it->lo && skv__key_cmp(best->cur.key, best->cur.klen, it->lo, it->lolen) < 0))
        return SKV_NOTFOUND;
    return hist_take_key(it->hist, best);
}

/* ---- reading one key's versions ---- */

static int hist_add(SkvHistory *h, const SkvMemEntry *e) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        HistVersion *v = realloc(h->v, cap * sizeof *v);
        if (!v) return SKV_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    size_t vlen = e->kind == SKV_KIND_SOFT_DELETE ? 0 : e->vlen;
    if (h->vused + vlen > h->vcap) {
        size_t cap = h->vcap ? h->vcap : 256;
        while (cap < h->vused + vlen) cap *= 2;
        uint8_t *p = realloc(h->vals, cap);
        if (!p) return SKV_ENOMEM;
        h->vals = p;
        h->vcap = cap;
    }
    if (vlen) memcpy(h->vals + h->vused, e->val, vlen);
    h->v[h->n++] = (HistVersion){.ts = e->ts, .kind = e->kind, .voff = h->vused, .vlen = vlen};
    h->vused += vlen;
    return SKV_OK;
}

/* Reads the current key's versions (the children stand on it) into the buffer. */
static int hist_load(skv_iter *it) {
    SkvHistory *h = it->hist;
    /* forward with a limit, no key shows more than `limit` versions */
    size_t cap = h->limit && !(it->flags & SKV_ITER_REVERSE) ? h->limit : SIZE_MAX;
    SkvVersionWalk w;
    SkvMemEntry e;
    int rc = SKV_OK;
    h->n = h->vused = 0;
    skv__vwalk_start(&w, it->kids, it->nkids, h->key, h->klen);
    while (h->n < cap && (rc = skv__vwalk_next(&w, &e)) == SKV_OK) {
        if ((e.kind != SKV_KIND_SOFT_DELETE || h->tombstones) && e.ts >= h->from && e.ts <= h->to) {
            /* a value in the value log is read before it is kept (not for keys only) */
            if (!(it->flags & SKV_ITER_KEYS_ONLY) && e.kind != SKV_KIND_SOFT_DELETE &&
                (rc = skv__db_vlog_resolve(it->txn->db, &e, &it->vbuf)))
                return rc;
            if ((rc = hist_add(h, &e))) return rc;
        }
        uint64_t bound;
        int b = skv__vwalk_bound(&w, &bound);
        /* nothing unread can reach the range */
        if (b == SKV_VWALK_NONE_LEFT || (b == SKV_VWALK_BOUNDED && bound < h->from)) break;
    }
    return rc == SKV_NOTFOUND ? SKV_OK : rc;
}

/* ---- physical moves: keys ascending, versions newest first ---- */

/* Finds a key from target in direction dir (see hist_find_ge/le) with at least one version
 * in the range, loads it and stands on its first (dir > 0) or last version. */
static int hist_settle(skv_iter *it, int dir, const void *target, size_t tlen, int strict) {
    SkvHistory *h = it->hist;
    for (;;) {
        int rc = dir > 0 ? hist_find_ge(it, target, tlen, strict)
                         : hist_find_le(it, target, tlen, strict);
        if (!rc) rc = hist_load(it);
        if (rc) {
            h->pos = POS_END;
            return rc;
        }
        if (h->n) {
            h->j = dir > 0 ? 0 : h->n - 1;
            h->pos = POS_VALID;
            return SKV_OK;
        }
        /* no version in the range: on to the next key (the target is the key itself, whose
         * buffer the next search only replaces once it has found a key) */
        target = h->key;
        tlen = h->klen;
        strict = 1;
    }
}

static int hist_step(skv_iter *it, int dir) {
    SkvHistory *h = it->hist;
    if (h->pos == POS_NONE) return hist_settle(it, dir, NULL, 0, 0);
    if (h->pos == POS_END) return SKV_NOTFOUND;
    if (dir > 0 && h->j + 1 < h->n) {
        h->j++;
        return SKV_OK;
    }
    if (dir < 0 && h->j > 0) {
        h->j--;
        return SKV_OK;
    }
    return hist_settle(it, dir, h->key, h->klen, 1);
}

/* ---- logical moves: iteration order and the limit ---- */

static int hist_rev(const skv_iter *it) { return (it->flags & SKV_ITER_REVERSE) != 0; }

int skv__hist_first(skv_iter *it) {
    it->hist->idx = 0;
    return hist_settle(it, hist_rev(it) ? -1 : 1, NULL, 0, 0);
}

int skv__hist_next(skv_iter *it) {
    SkvHistory *h = it->hist;
    if (h->pos == POS_NONE) return skv__hist_first(it);
    if (h->pos == POS_END) return SKV_NOTFOUND;
    if (h->limit && h->idx + 1 >= h->limit) {
        h->pos = POS_END;
        return SKV_NOTFOUND;
    }
    int rc = hist_step(it, hist_rev(it) ? -1 : 1);
    if (!rc) h->idx++;
    return rc;
}

int skv__hist_last(skv_iter *it) {
    SkvHistory *h = it->hist;
    if (!h->limit) return hist_settle(it, hist_rev(it) ? 1 : -1, NULL, 0, 0);
    /* the last of the first `limit` versions: walk to it, remembering where the walk was */
    int rc = skv__hist_first(it);
    while (rc == SKV_OK && h->idx + 1 < h->limit) {
        size_t j = h->j;
        if (!skv__hold_key(&h->saved, &h->saved_cap, h->key, h->klen)) return SKV_ENOMEM;
        h->saved_len = h->klen;
        rc = hist_step(it, hist_rev(it) ? -1 : 1);
        if (rc == SKV_OK) {
            h->idx++;
            continue;
        }
        if (rc != SKV_NOTFOUND) return rc;
        /* ran off the end: back to the remembered version */
        rc = hist_rev(it) ? hist_settle(it, -1, h->saved, h->saved_len, 0)
                          : hist_settle(it, 1, h->saved, h->saved_len, 0);
        if (rc == SKV_OK) h->j = j;
        return rc;
    }
    return rc;
}

int skv__hist_prev(skv_iter *it) {
    SkvHistory *h = it->hist;
    if (h->pos == POS_NONE) return skv__hist_last(it);
    if (h->pos == POS_END) return SKV_NOTFOUND;
    if (h->limit && h->idx == 0) {
        h->pos = POS_END;
        return SKV_NOTFOUND;
    }
    int rc = hist_step(it, hist_rev(it) ? 1 : -1);
    if (!rc && h->idx > 0) h->idx--;
    return rc;
}

int skv__hist_seek(skv_iter *it, const void *key, size_t klen) {
    SkvHistory *h = it->hist;
    int rev = hist_rev(it);
    if (!h->limit)
        return rev ? hist_settle(it, -1, key, klen, 0) : hist_settle(it, 1, key, klen, 0);
    /* within the first `limit` versions: walk from the first to the first key at or past
     * the target in iteration order */
    int rc = skv__hist_first(it);
    while (rc == SKV_OK) {
        int c = skv__key_cmp(h->key, h->klen, key, klen);
        if (rev ? c <= 0 : c >= 0) break;
        rc = skv__hist_next(it);
    }
    return rc;
}

int skv__hist_pos(const skv_iter *it) { return it->hist->pos; }

int skv__hist_entry(const skv_iter *it, const void **key, size_t *klen, const void **val,
                    size_t *vlen) {
    const SkvHistory *h = it->hist;
    if (h->pos != POS_VALID) return SKV_NOTFOUND;
    const HistVersion *v = &h->v[h->j];
    int keys_only = (it->flags & SKV_ITER_KEYS_ONLY) != 0;
    *key = h->key;
    *klen = h->klen;
    if (!val) return SKV_OK; /* the key only */
    *val = keys_only || !v->vlen ? "" : (const void *)(h->vals + v->voff);
    *vlen = keys_only ? 0 : v->vlen;
    return SKV_OK;
}

int skv__hist_version(const skv_iter *it, uint64_t *ts, int *kind) {
    const SkvHistory *h = it->hist;
    if (h->pos != POS_VALID) return SKV_NOTFOUND;
    *ts = h->v[h->j].ts;
    *kind = h->v[h->j].kind; /* the internal kinds of versions are the public values */
    return SKV_OK;
}
