/*
 * db_get_at.c — point-in-time reads (skv_txn_get_at): the transaction's own latest write
 * decides first when its timestamp is at or below the query's; otherwise every source is
 * positioned on the key (table files skipped by range and bloom filter) and the key's
 * versions are walked newest first, keeping the one with the largest timestamp at or below
 * the query's. With timestamps in commit order the walk stops at the first such version.
 */
#include <stdlib.h>

#include "db/db_history.h"

static int get_at_is_value(int kind) { return kind == SKV_KIND_VALUE || kind == SKV_KIND_REPLACE; }

/* Copies the chosen value into the transaction's buffer (valid until the next call on it). */
static int get_at_keep(skv_txn *txn, const SkvMemEntry *e) {
    if (!get_at_is_value(e->kind)) return SKV_OK;
    if (!skv__hold_key(&txn->at_buf, &txn->at_cap, e->val, e->vlen)) return SKV_ENOMEM;
    return SKV_OK;
}

/* The walk: SKV_OK with *best (kind, timestamp; value in the transaction's buffer), or
 * SKV_NOTFOUND when no version has a timestamp <= ts. */
static int get_at_walk(skv_txn *txn, IterChild *kids, size_t n, const void *key, size_t klen,
                       uint64_t ts, SkvMemEntry *best) {
    SkvVersionWalk w;
    SkvMemEntry e;
    int have = 0, rc;
    skv__vwalk_start(&w, kids, n, key, klen);
    while ((rc = skv__vwalk_next(&w, &e)) == SKV_OK) {
        if (e.ts <= ts && (!have || e.ts > best->ts)) {
            if (get_at_is_value(e.kind) && (rc = skv__db_vlog_resolve(txn->db, &e, &txn->vbuf)))
                return rc;
            if ((rc = get_at_keep(txn, &e))) return rc;
            *best = e;
            have = 1;
        }
        uint64_t bound;
        int b = skv__vwalk_bound(&w, &bound);
        /* nothing unread can have a larger timestamp at or below ts */
        if (have && (b == SKV_VWALK_NONE_LEFT || (b == SKV_VWALK_BOUNDED && bound <= best->ts)))
            break;
    }
    if (rc != SKV_OK && rc != SKV_NOTFOUND) return rc;
    return have ? SKV_OK : SKV_NOTFOUND;
}

int skv__txn_get_at(skv_txn *txn, const void *key, size_t klen, uint64_t ts, const void **val,
                    size_t *vlen) {
    const SkvWrite *w = skv__ws_get(&txn->ws, key, klen);
    if (w && (w->kind == SKV_KIND_DELETE || w->ts <= ts)) {
        if (!get_at_is_value(w->kind)) return SKV_NOTFOUND;
        *val = w->vlen ? (const void *)w->val : "";
        *vlen = w->vlen;
        return SKV_OK;
    }
    IterChild *kids;
    size_t n;
    int rc = skv__children_new(txn->db, txn->view, txn->snap->seq, &kids, &n);
    if (rc) return rc;
    for (size_t i = 1; i < n; i++) { /* kids[0], the writes, stays empty: handled above */
        skv__child_seek_key(&kids[i], key, klen);
        if ((rc = skv__child_status(&kids[i]))) break;
    }
    SkvMemEntry best = {0};
    if (!rc) rc = get_at_walk(txn, kids, n, key, klen, ts, &best);
    skv__children_free(kids, n);
    if (rc) return rc;
    if (!get_at_is_value(best.kind)) return SKV_NOTFOUND;
    *val = best.vlen ? (const void *)txn->at_buf : "";
    *vlen = best.vlen;
    return SKV_OK;
}
