/*
 * db_iter.c — the user-facing iterator: merges a transaction's own writes (copied when the
 * iterator opens) with the memtables and table files of its view at its snapshot (one child
 * per memtable, per level-0 file and per deeper level), shows each user key once
 * (its newest visible version; tombstones hide the key), keeps to [lo, hi), moves both
 * ways, and can copy runs of entries into one buffer for the language packages. A history
 * iterator (db_history.c) is the same handle over the same children; its moves, entry and
 * version are passed on to it.
 */
#include <stdlib.h>

#include "db/db_history.h"

skv_txn *skv__iter_txn(const skv_iter *it) { return it->txn; }

static uint8_t *iter_dup(const void *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

static int iter_copy_writes(skv_iter *it, const SkvWriteSet *ws) {
    const SkvWrite **sorted;
    size_t n, bytes = 0;
    int rc = skv__ws_sorted(ws, &sorted, &n);
    if (rc || !n) return rc;
    for (size_t i = 0; i < n; i++) bytes += sorted[i]->klen + sorted[i]->vlen;
    it->ws = malloc(n * sizeof *it->ws);
    it->ws_data = malloc(bytes ? bytes : 1);
    if (!it->ws || !it->ws_data) {
        free(sorted);
        return SKV_ENOMEM;
    }
    uint8_t *p = it->ws_data;
    for (size_t i = 0; i < n; i++) {
        SkvWrite w = *sorted[i];
        memcpy(p, sorted[i]->key, w.klen);
        w.key = p;
        p += w.klen;
        if (w.vlen) memcpy(p, sorted[i]->val, w.vlen);
        w.val = p;
        p += w.vlen;
        it->ws[i] = w;
    }
    it->kids[0].ws = it->ws;
    it->kids[0].nws = n;
    free(sorted);
    return SKV_OK;
}

void skv__iter_free(skv_iter *it) {
    if (!it) return;
    skv__hist_free(it->hist);
    skv__children_free(it->kids, it->nkids);
    if (it->view) skv__view_release(it->view);
    free(it->lo);
    free(it->hi);
    free(it->ws);
    free(it->ws_data);
    free(it->kbuf);
    free(it->batch);
    skv__vlog_buf_free(&it->vbuf);
    skv_txn *txn = it->txn;
    free(it);
    skv__txn_unref(txn);
}

int skv__iter_setup(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                    unsigned flags, skv_iter **out) {
    skv_iter *it = calloc(1, sizeof *it);
    if (!it) return SKV_ENOMEM;
    it->txn = txn;
    atomic_fetch_add(&txn->refs, 1);
    it->flags = flags;
    it->view = txn->view;
    atomic_fetch_add(&it->view->refs, 1);
    int rc = skv__children_new(txn->db, it->view, txn->snap->seq, &it->kids, &it->nkids);
    if (!rc && lo && !(it->lo = iter_dup(lo, lolen))) rc = SKV_ENOMEM;
    if (!rc && hi && !(it->hi = iter_dup(hi, hilen))) rc = SKV_ENOMEM;
    it->lolen = lolen;
    it->hilen = hilen;
    if (!rc) rc = iter_copy_writes(it, &txn->ws);
    if (rc) {
        skv__iter_free(it);
        return rc;
    }
    *out = it;
    return SKV_OK;
}

int skv__iter_open(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                   unsigned flags, skv_iter **out) {
    return skv__iter_setup(txn, lo, lolen, hi, hilen, flags, out);
}

static int iter_is_tombstone(int kind) {
    return kind == SKV_KIND_DELETE || kind == SKV_KIND_SOFT_DELETE;
}

static int iter_cmp_kid(const IterChild *a, const IterChild *b) {
    return skv__key_cmp(a->cur.key, a->cur.klen, b->cur.key, b->cur.klen);
}

/* Picks the smallest (dir 1) or largest (dir -1) key among the children, skipping keys whose
 * winning version is a tombstone, within the bounds. On a tie the earlier child wins. Notes
 * the winner, the best of the other children and whether they tie, for iter_step. */
static int iter_settle(skv_iter *it, int dir) {
    it->dir = dir;
    for (;;) {
        IterChild *best = NULL, *second = NULL;
        for (size_t i = 0; i < it->nkids; i++) {
            IterChild *c = &it->kids[i];
            int rc = c->valid ? SKV_OK : skv__child_status(c);
            if (rc) {
                /* a source that cannot be read could hold the next key or hide one: stop
                 * rather than return a wrong answer */
                it->pos = POS_END;
                it->best = NULL;
                return rc;
            }
            if (!c->valid) continue;
            if (!best || iter_cmp_kid(c, best) * dir < 0) {
                second = best;
                best = c;
            } else if (!second || iter_cmp_kid(c, second) * dir < 0) {
                second = c;
            }
        }
        it->best = best;
        it->second = second;
        it->ties = second && iter_cmp_kid(second, best) == 0;
        if (!best) break;
        if (dir > 0 && it->hi &&
            skv__key_cmp(best->cur.key, best->cur.klen, it->hi, it->hilen) >= 0)
            break;
        if (dir < 0 && it->lo && skv__key_cmp(best->cur.key, best->cur.klen, it->lo, it->lolen) < 0)
            break;
        if (!iter_is_tombstone(best->cur.kind)) {
            it->cur = best->cur;
            it->pos = POS_VALID;
            return SKV_OK;
        }
        SkvMemEntry k = best->cur;
        if (!(k.key = skv__hold_key(&it->kbuf, &it->kcap, k.key, k.klen))) return SKV_ENOMEM;
        for (size_t i = 0; i < it->nkids; i++) {
            IterChild *c = &it->kids[i];
            if (c->valid && skv__key_cmp(c->cur.key, c->cur.klen, k.key, k.klen) == 0) {
                if (dir > 0)
                    skv__child_seek_ge(c, k.key, k.klen, 1);
                else
                    skv__child_seek_le(c, k.key, k.klen, 1);
            }
        }
    }
    it->pos = POS_END;
    return SKV_NOTFOUND;
}

/* Physical moves (ascending key order). */
static int iter_seek_ge(skv_iter *it, const void *key, size_t klen, int strict) {
    if (it->lo && (!key || skv__key_cmp(key, klen, it->lo, it->lolen) < 0)) {
        key = it->lo;
        klen = it->lolen;
        strict = 0;
    }
    for (size_t i = 0; i < it->nkids; i++) skv__child_seek_ge(&it->kids[i], key, klen, strict);
    return iter_settle(it, 1);
}

static int iter_seek_le(skv_iter *it, const void *key, size_t klen, int strict) {
    if (it->hi && (!key || skv__key_cmp(key, klen, it->hi, it->hilen) >= 0)) {
        key = it->hi;
        klen = it->hilen;
        strict = 1;
    }
    for (size_t i = 0; i < it->nkids; i++) skv__child_seek_le(&it->kids[i], key, klen, strict);
    return iter_settle(it, -1);
}

static int iter_step(skv_iter *it, int dir) {
    if (it->pos == POS_NONE)
        return dir > 0 ? iter_seek_ge(it, NULL, 0, 0) : iter_seek_le(it, NULL, 0, 0);
    if (it->pos == POS_END) return SKV_NOTFOUND;
    SkvMemEntry k = it->cur;
    if (!(k.key = skv__hold_key(&it->kbuf, &it->kcap, k.key, k.klen))) return SKV_ENOMEM;
    if (it->dir != dir)
        return dir > 0 ? iter_seek_ge(it, k.key, k.klen, 1) : iter_seek_le(it, k.key, k.klen, 1);
    IterChild *b = it->best;
    if (b && !it->ties) {
        /* only the winner holds the key: move it alone; while it stays ahead of the best of
         * the others (the usual case when the sources hold different key ranges) it wins
         * again without a look at the other children */
        if (dir > 0)
            skv__child_next(b, k.key, k.klen);
        else
            skv__child_prev(b, k.key, k.klen);
        if (b->valid && !iter_is_tombstone(b->cur.kind) &&
            (!it->second || iter_cmp_kid(b, it->second) * dir < 0)) {
            if (dir > 0 && it->hi && skv__key_cmp(b->cur.key, b->cur.klen, it->hi, it->hilen) >= 0)
                return iter_settle(it, dir);
            if (dir < 0 && it->lo && skv__key_cmp(b->cur.key, b->cur.klen, it->lo, it->lolen) < 0)
                return iter_settle(it, dir);
            it->cur = b->cur;
            return SKV_OK;
        }
        return iter_settle(it, dir);
    }
    for (size_t i = 0; i < it->nkids; i++) {
        IterChild *c = &it->kids[i];
        if (c->valid && skv__key_cmp(c->cur.key, c->cur.klen, k.key, k.klen) == 0) {
            if (dir > 0)
                skv__child_next(c, k.key, k.klen);
            else
                skv__child_prev(c, k.key, k.klen);
        }
    }
    return iter_settle(it, dir);
}

/* Logical moves: SKV_ITER_REVERSE swaps the directions. */
static int iter_rev(const skv_iter *it) { return (it->flags & SKV_ITER_REVERSE) != 0; }

int skv__iter_first(skv_iter *it) {
    if (it->hist) return skv__hist_first(it);
    return iter_rev(it) ? iter_seek_le(it, NULL, 0, 0) : iter_seek_ge(it, NULL, 0, 0);
}

int skv__iter_last(skv_iter *it) {
    if (it->hist) return skv__hist_last(it);
    return iter_rev(it) ? iter_seek_ge(it, NULL, 0, 0) : iter_seek_le(it, NULL, 0, 0);
}

int skv__iter_seek(skv_iter *it, const void *key, size_t klen) {
    if (it->hist) return skv__hist_seek(it, key, klen);
    return iter_rev(it) ? iter_seek_le(it, key, klen, 0) : iter_seek_ge(it, key, klen, 0);
}

int skv__iter_next(skv_iter *it) {
    if (it->hist) return skv__hist_next(it);
    return iter_step(it, iter_rev(it) ? -1 : 1);
}

int skv__iter_prev(skv_iter *it) {
    if (it->hist) return skv__hist_prev(it);
    return iter_step(it, iter_rev(it) ? 1 : -1);
}

int skv__iter_entry(skv_iter *it, const void **key, size_t *klen, const void **val, size_t *vlen) {
    if (it->hist) return skv__hist_entry(it, key, klen, val, vlen);
    if (it->pos != POS_VALID) return SKV_NOTFOUND;
    *key = it->cur.klen ? (const void *)it->cur.key : "";
    *klen = it->cur.klen;
    if (!val) return SKV_OK;
    int keys_only = (it->flags & SKV_ITER_KEYS_ONLY) != 0, rc;
    /* a value in the value log is read only when asked for (once per position) */
    if (!keys_only && (rc = skv__db_vlog_resolve(it->txn->db, &it->cur, &it->vbuf))) return rc;
    *val = keys_only || !it->cur.vlen ? "" : (const void *)it->cur.val;
    *vlen = keys_only ? 0 : it->cur.vlen;
    return SKV_OK;
}

int skv__iter_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes, const void **buf,
                         size_t *len, size_t *count) {
    size_t used = 0, n = 0;
    int pos = it->hist ? skv__hist_pos(it) : it->pos;
    int rc = pos == POS_NONE ? skv__iter_first(it) : pos == POS_END ? SKV_NOTFOUND : SKV_OK;
    while (rc == SKV_OK) {
        const void *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        int erc = skv__iter_entry(it, &k, &kl, &v, &vl);
        if (erc) { /* an unreadable value: the entries before it now, the error next call */
            if (!n) return erc;
            break;
        }
        size_t need = used + 8 + kl + vl;
        if (need > it->batch_cap) {
            size_t cap = it->batch_cap ? it->batch_cap : 4096;
            while (cap < need) cap *= 2;
            uint8_t *b = realloc(it->batch, cap);
            if (!b) return SKV_ENOMEM;
            it->batch = b;
            it->batch_cap = cap;
        }
        uint8_t *p = it->batch + used;
        skv__put_u32(p, (uint32_t)kl);
        skv__put_u32(p + 4, (uint32_t)vl);
        memcpy(p + 8, k, kl);
        memcpy(p + 8 + kl, v, vl);
        used = need;
        n++;
        rc = skv__iter_next(it);
        if ((max_entries && n >= max_entries) || (max_bytes && used >= max_bytes)) break;
    }
    if (rc != SKV_OK && rc != SKV_NOTFOUND) return rc; /* a read error: no partial batch */
    *buf = it->batch;
    *len = used;
    *count = n;
    return n ? SKV_OK : SKV_NOTFOUND;
}
