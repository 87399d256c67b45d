/*
 * db_view.c — views: the immutable, refcounted snapshot of the memtables and table version
 * that transactions and iterators read through. A new view is published whenever the
 * memtables change (a memtable fills up, or one has been flushed) or the version changes.
 * Live views are listed so that table files are deleted only when no view needs them.
 */
#include <stdlib.h>

#include "db/db.h"

SkvView *skv__view_new(skv_db *db, size_t n) {
    SkvView *v = calloc(1, sizeof *v + n * sizeof v->mems[0]);
    if (!v) return NULL;
    atomic_init(&v->refs, 1);
    v->db = db;
    v->n = n;
    skv__mutex_lock(&db->views_mu);
    v->link.next = db->live_views.next;
    v->link.prev = &db->live_views;
    v->link.next->prev = &v->link;
    db->live_views.next = &v->link;
    skv__mutex_unlock(&db->views_mu);
    return v;
}

SkvView *skv__view_derive(skv_db *db, const SkvView *cur, SkvMemtable *front, size_t keep,
                          SkvVersion *version) {
    size_t lead = front ? 1 : 0;
    SkvView *v = skv__view_new(db, lead + keep);
    if (!v) {
        if (version) skv__version_unref(version);
        return NULL;
    }
    if (front) v->mems[0].mem = front;
    for (size_t i = 0; i < keep; i++) {
        v->mems[lead + i] = cur->mems[i];
        skv__mem_ref(cur->mems[i].mem);
    }
    /* the view is listed already: skv__db_live_numbers reads its version under views_mu */
    skv__mutex_lock(&db->views_mu);
    v->version = version;
    skv__mutex_unlock(&db->views_mu);
    return v;
}

SkvView *skv__view_acquire(skv_db *db) {
    skv__mutex_lock(&db->view_mu);
    SkvView *v = db->view;
    atomic_fetch_add(&v->refs, 1);
    skv__mutex_unlock(&db->view_mu);
    return v;
}

void skv__view_release(SkvView *v) {
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1) return;
    skv__mutex_lock(&v->db->views_mu);
    v->link.prev->next = v->link.next;
    v->link.next->prev = v->link.prev;
    skv__mutex_unlock(&v->db->views_mu);
    for (size_t i = 0; i < v->n; i++)
        if (v->mems[i].mem) skv__mem_unref(v->mems[i].mem);
    if (v->version) skv__version_unref(v->version);
    free(v);
}

SkvView *skv__view_publish(skv_db *db, SkvView *v) {
    SkvView *old = db->view;
    db->view = v;
    return old;
}
