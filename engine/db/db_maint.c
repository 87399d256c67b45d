/*
 * db_maint.c — what checkpoint, restore and the integrity check share: the guard that lets
 * one of them run at a time (and makes close wait for it), and the capture of a consistent
 * state of an open database — the published view (whose tables then stay on disk), the
 * visible sequence, and the log segments holding the view's memtables, the last one up to
 * the record boundary where the capture was taken (those segments then stay on disk too).
 */
#include "db/db.h"

int skv__db_maint_begin(skv_db *db, const char *fn) {
    int rc = SKV_OK;
    skv__mutex_lock(&db->commit_mu);
    if (atomic_load(&db->closed))
        rc = skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    else if (db->maint_busy)
        rc = skv__err(SKV_EBUSY, "%s: a checkpoint, restore or check of this database is running",
                      fn);
    else
        db->maint_busy = 1;
    skv__mutex_unlock(&db->commit_mu);
    return rc;
}

void skv__db_maint_end(skv_db *db) {
    skv__mutex_lock(&db->commit_mu);
    db->maint_busy = 0;
    skv__cond_broadcast(&db->commit_cv);
    skv__mutex_unlock(&db->commit_mu);
}

void skv__db_capture(skv_db *db, SkvCapture *c) {
    skv__mutex_lock(&db->view_mu);
    SkvView *v = db->view;
    atomic_fetch_add(&v->refs, 1);
    c->view = v;
    c->first_wal = v->mems[v->n - 1].wal;
    c->last_wal = v->mems[0].wal;
    /* set under view_mu: a flush that publishes a view without one of these memtables after
     * this point sees the pin before it removes segments */
    atomic_store(&db->wal_keep_from, c->first_wal);
    skv__mutex_unlock(&db->view_mu);
    c->last_wal_size = skv__wal_size(db->wal);
    c->seq = atomic_load(&db->visible_seq);
    c->ts = atomic_load(&db->published_ts);
}

void skv__db_capture_release(skv_db *db, SkvCapture *c) {
    atomic_store(&db->wal_keep_from, 0);
    if (c->view) skv__view_release(c->view);
    c->view = NULL;
}
