/*
 * db_txn.c — transactions: begin (snapshot + view), point reads that consult the write set
 * first and then the memtables newest first, and the end of a transaction.
 */
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

int skv__txn_begin(skv_db *db, int mode, skv_txn **out) {
    skv_txn *txn = calloc(1, sizeof *txn);
    if (!txn || !(txn->snap = calloc(1, sizeof *txn->snap))) {
        free(txn);
        return SKV_ENOMEM;
    }
    txn->db = db;
    txn->mode = mode;
    txn->durability = SKV_DURABILITY_EVENTUAL;
    atomic_init(&txn->refs, 1);
    skv__ws_init(&txn->ws);
    atomic_fetch_add(&db->refs, 1);
    /* the epoch first: a restore publishes its view and sequence before it counts itself, so
     * a transaction that sees the new count also reads the restored state */
    txn->epoch = atomic_load(&db->restores);
    /* the view is taken after the snapshot so it holds every entry the snapshot can see */
    skv__snapshots_acquire(&db->snaps, txn->snap, &db->visible_seq);
    if (mode != SKV_TXN_WRITE_ONLY) txn->view = skv__view_acquire(db);
    *out = txn;
    return SKV_OK;
}

static int txn_kind_is_value(int kind) {
    return kind == SKV_KIND_VALUE || kind == SKV_KIND_REPLACE;
}

int skv__txn_get(skv_txn *txn, const void *key, size_t klen, const void **val, size_t *vlen) {
    const SkvWrite *w = skv__ws_get(&txn->ws, key, klen);
    if (w) {
        if (!txn_kind_is_value(w->kind)) return SKV_NOTFOUND;
        *val = w->val;
        *vlen = w->vlen;
        return SKV_OK;
    }
    SkvMemEntry e;
    skv__sst_pin_release(&txn->pin);
    int rc = skv__view_get_any(txn->db, txn->view, key, klen, txn->snap->seq, &e, &txn->pin);
    if (rc) return rc;
    if (!txn_kind_is_value(e.kind)) return SKV_NOTFOUND;
    if ((rc = skv__db_vlog_resolve(txn->db, &e, &txn->vbuf))) return rc;
    *val = e.vlen ? (const void *)e.val : "";
    *vlen = e.vlen;
    return SKV_OK;
}

void skv__txn_end(skv_txn *txn) {
    if (txn->state == SKV_TXN_ENDED) return;
    txn->state = SKV_TXN_ENDED;
    if (txn->snap) {
        skv__snapshots_release(&txn->db->snaps, txn->snap);
        free(txn->snap);
        txn->snap = NULL;
    }
    skv__sst_pin_release(&txn->pin);
    free(txn->at_buf);
    txn->at_buf = NULL;
    txn->at_cap = 0;
    skv__vlog_buf_free(&txn->vbuf);
    if (txn->view) {
        skv__view_release(txn->view);
        txn->view = NULL;
    }
    skv__ws_free(&txn->ws);
}

void skv__txn_unref(skv_txn *txn) {
    if (atomic_fetch_sub(&txn->refs, 1) != 1) return;
    skv__txn_end(txn);
    skv_db *db = txn->db;
    free(txn);
    skv__db_unref(db);
}
