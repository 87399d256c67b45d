/*
 * db_bg.c — the background thread: it flushes immutable memtables to level-0 tables (oldest
 * first), runs compactions while a level is over its target, deletes files no view needs,
 * and wakes writers that stalled because memtables or level-0 files piled up; it can be
 * paused between jobs (checkpoint, restore and check). Also the synchronous skv_flush and
 * skv_compact, which hand their work to it and wait.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

void skv__db_delete_segments(skv_db *db, uint64_t below) {
    char **names;
    size_t n;
    uint64_t keep = atomic_load(&db->wal_keep_from), num;
    if (keep && below > keep) below = keep; /* a checkpoint or check is reading them */
    if (db->env->list(db->env, db->wal_dir, &names, &n)) return;
    for (size_t i = 0; i < n; i++) {
        if (!skv__db_parse_wal_name(names[i], &num) || num >= below) continue;
        char *path = skv__db_wal_path(db, num);
        if (path) db->env->remove(db->env, path);
        free(path);
    }
    skv__env_free_list(names, n);
}

static void bg_latch(skv_db *db, int rc) {
    int zero = 0;
    atomic_compare_exchange_strong(&db->bg_error, &zero, rc);
    zero = 0;
    atomic_compare_exchange_strong(&db->fatal, &zero, rc);
}

/* Flushes the oldest immutable memtable; SKV_NOTFOUND when there is none. */
static int bg_flush_one(skv_db *db) {
    skv__mutex_lock(&db->view_mu);
    SkvView *v = db->view;
    if (v->n < 2) {
        skv__mutex_unlock(&db->view_mu);
        return SKV_NOTFOUND;
    }
    SkvMemtable *m = v->mems[v->n - 1].mem;
    uint64_t log_number = v->mems[v->n - 2].wal, last_seq = v->mems[v->n - 1].last_seq,
             last_ts = v->mems[v->n - 1].last_ts;
    skv__mem_ref(m);
    skv__mutex_unlock(&db->view_mu);

    SkvFileMeta meta;
    SkvVersionEdit edit;
    skv__edit_init(&edit);
    int rc = skv__db_write_level0(db, m, &meta), wrote = rc == SKV_OK;
    if (rc == SKV_NOTFOUND) rc = SKV_OK;
    if (!rc && wrote) rc = db->env->sync_dir(db->env, db->path);
    if (!rc && wrote) rc = skv__edit_add(&edit, 0, &meta);
    if (wrote) {
        free(meta.smallest);
        free(meta.largest);
    }
    edit.has_log_number = edit.has_last_seq = edit.has_last_ts = 1;
    edit.log_number = log_number;
    edit.last_seq = last_seq;
    edit.last_ts = last_ts;
    if (!rc) rc = skv__vset_apply(db->vset, &edit);
    skv__edit_free(&edit);
    if (rc) {
        skv__mem_unref(m);
        return rc;
    }
    skv__mutex_lock(&db->view_mu);
    /* the flushed memtable is still the oldest: keep all but it */
    SkvView *nv =
        skv__view_derive(db, db->view, NULL, db->view->n - 1, skv__vset_current(db->vset));
    if (!nv) {
        skv__mutex_unlock(&db->view_mu);
        skv__mem_unref(m);
        return SKV_ENOMEM;
    }
    SkvView *old = skv__view_publish(db, nv);
    skv__mutex_unlock(&db->view_mu);
    skv__view_release(old);
    skv__mem_unref(m);
    skv__db_delete_segments(db, log_number);
    db->flushes++;
    return SKV_OK;
}

/* Publishes a view with the current version (after a compaction). */
static int bg_publish_version(skv_db *db) {
    skv__mutex_lock(&db->view_mu);
    SkvView *nv = skv__view_derive(db, db->view, NULL, db->view->n, skv__vset_current(db->vset));
    if (!nv) {
        skv__mutex_unlock(&db->view_mu);
        return SKV_ENOMEM;
    }
    SkvView *old = skv__view_publish(db, nv);
    skv__mutex_unlock(&db->view_mu);
    skv__view_release(old);
    return SKV_OK;
}

/* One unit of background work: a flush, else a compaction (manual: the full one). Returns
 * SKV_OK when something was done, SKV_NOTFOUND when nothing was due, or an error (which
 * latches the database). */
static int bg_work_once(skv_db *db, int manual) {
    if (atomic_load(&db->bg_error)) return SKV_NOTFOUND;
    int rc = bg_flush_one(db);
    if (rc == SKV_NOTFOUND) {
        rc = skv__compact_run(db, manual);
        if (rc == SKV_OK && !(rc = bg_publish_version(db))) db->compactions++;
    }
    if (rc == SKV_OK)
        skv__db_delete_obsolete(db);
    else if (rc != SKV_NOTFOUND)
        bg_latch(db, rc);
    return rc;
}

int skv__bg_run_inline(skv_db *db) {
    int rc;
    while ((rc = bg_work_once(db, 0)) == SKV_OK) {}
    return rc == SKV_NOTFOUND ? SKV_OK : rc;
}

static void bg_main(void *arg) {
    skv_db *db = arg;
    skv__mutex_lock(&db->bg_mu);
    while (!db->bg_stop) {
        if (db->bg_paused) {
            skv__cond_wait(&db->bg_cv, &db->bg_mu);
            continue;
        }
        int manual = db->bg_manual, manual_done = 0;
        db->bg_busy = 1;
        skv__mutex_unlock(&db->bg_mu);
        int rc = bg_work_once(db, 0);
        if (rc == SKV_NOTFOUND && manual) {
            /* every flush is done and no automatic compaction is due: the full one now */
            rc = bg_work_once(db, 1);
            /* then the value-log rewrites it left due, so no file stays over the ratio */
            while (rc == SKV_OK) rc = bg_work_once(db, 0);
            manual_done = 1;
        }
        skv__mutex_lock(&db->bg_mu);
        db->bg_busy = 0;
        if ((manual_done || atomic_load(&db->bg_error)) && db->bg_manual) {
            db->bg_manual_done++;
            db->bg_manual = 0;
        }
        skv__cond_broadcast(&db->bg_cv);
        if (rc != SKV_OK && !db->bg_stop && !db->bg_manual) skv__cond_wait(&db->bg_cv, &db->bg_mu);
    }
    skv__mutex_unlock(&db->bg_mu);
}

int skv__bg_start(skv_db *db) {
    if (db->opt.bg_inline) return SKV_OK;
    return db->env->thread_start(db->env, bg_main, db, &db->bg);
}

void skv__bg_stop(skv_db *db) {
    if (!db->bg) return;
    skv__mutex_lock(&db->bg_mu);
    db->bg_stop = 1;
    skv__cond_broadcast(&db->bg_cv);
    skv__mutex_unlock(&db->bg_mu);
    db->env->thread_join(db->bg);
    db->bg = NULL;
}

void skv__bg_pause(skv_db *db) {
    skv__mutex_lock(&db->bg_mu);
    db->bg_paused++;
    while (db->bg_busy) skv__cond_wait(&db->bg_cv, &db->bg_mu);
    skv__mutex_unlock(&db->bg_mu);
}

void skv__bg_resume(skv_db *db) {
    skv__mutex_lock(&db->bg_mu);
    db->bg_paused--;
    skv__cond_broadcast(&db->bg_cv);
    skv__mutex_unlock(&db->bg_mu);
}

void skv__bg_wake(skv_db *db) {
    if (db->opt.bg_inline) return;
    skv__mutex_lock(&db->bg_mu);
    skv__cond_broadcast(&db->bg_cv);
    skv__mutex_unlock(&db->bg_mu);
}

/* Immutable memtables and level-0 files of the published view. */
static void bg_pile(skv_db *db, size_t *imm, size_t *l0) {
    skv__mutex_lock(&db->view_mu);
    *imm = db->view->n - 1;
    *l0 = db->view->version ? db->view->version->nfiles[0] : 0;
    skv__mutex_unlock(&db->view_mu);
}

int skv__bg_wait_for_room(skv_db *db) {
    size_t imm, l0;
    uint64_t start = 0;
    skv__mutex_lock(&db->bg_mu);
    for (;;) {
        bg_pile(db, &imm, &l0);
        int rc = atomic_load(&db->bg_error);
        if (rc || db->bg_stop ||
            (imm < (size_t)db->opt.memtable_stall_threshold &&
             l0 < (size_t)db->opt.l0_stall_threshold))
            break;
        if (!start) {
            start = db->env->mono_ns(db->env);
            db->stalls++;
        }
        skv__cond_broadcast(&db->bg_cv);
        skv__cond_wait(&db->bg_cv, &db->bg_mu);
    }
    if (start) db->stall_ns += db->env->mono_ns(db->env) - start;
    int rc = atomic_load(&db->bg_error);
    skv__mutex_unlock(&db->bg_mu);
    return rc;
}

int skv__db_flush(skv_db *db) {
    int rc = skv__commit_switch_now(db);
    if (rc || db->opt.bg_inline) return rc;
    skv__mutex_lock(&db->bg_mu);
    for (;;) {
        size_t imm, l0;
        bg_pile(db, &imm, &l0);
        if ((rc = atomic_load(&db->bg_error)) || imm == 0) break;
        skv__cond_broadcast(&db->bg_cv);
        skv__cond_wait(&db->bg_cv, &db->bg_mu);
    }
    skv__mutex_unlock(&db->bg_mu);
    return rc ? skv__err(SKV_EFATAL, "background work failed: %s", skv_errname(rc)) : SKV_OK;
}

int skv__db_compact(skv_db *db) {
    int rc = skv__db_flush(db);
    if (rc) return rc;
    if (db->opt.bg_inline) {
        rc = bg_work_once(db, 1);
        while (rc == SKV_OK) rc = bg_work_once(db, 0);
        return rc == SKV_NOTFOUND ? SKV_OK : rc;
    }
    skv__mutex_lock(&db->bg_mu);
    int target = db->bg_manual_done + 1;
    db->bg_manual = 1;
    skv__cond_broadcast(&db->bg_cv);
    while (db->bg_manual_done < target && !(rc = atomic_load(&db->bg_error)))
        skv__cond_wait(&db->bg_cv, &db->bg_mu);
    skv__mutex_unlock(&db->bg_mu);
    return rc ? skv__err(SKV_EFATAL, "background work failed: %s", skv_errname(rc)) : SKV_OK;
}
