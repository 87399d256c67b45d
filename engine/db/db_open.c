/*
 * db_open.c — opening and closing a database: the directory, its exclusive lock, the format
 * marker, recovery, the first log segment, the engine thread; and the reference count that
 * keeps the handle's memory alive until its last transaction or iterator is freed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

#define DB_FORMAT_TEXT "skv-format 1\n"
enum { DB_FORMAT_VERSION = 1 };

void skv__db_options_default(SkvDbOptions *o) {
    o->max_memtable_size = 64u << 20;
    o->wal_recovery_mode = SKV_WAL_TOLERATE_TAIL;
    o->flush_on_close = 1;
    o->conflict_window = 1000000;
    o->create_if_missing = 1;
}

static char *db_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Creates the directory if allowed; SKV_EINVAL when the path is not a directory. */
static int db_prepare_dir(skv_db *db) {
    int is_dir = 0;
    int rc = db->env->exists(db->env, db->path, &is_dir);
    if (rc == SKV_NOTFOUND) {
        if (!db->opt.create_if_missing)
            return skv__err(SKV_NOTFOUND, "%s: no such database (create_if_missing is false)",
                            db->path);
        return db->env->mkdir(db->env, db->path);
    }
    if (rc) return rc;
    if (!is_dir) return skv__err(SKV_EINVAL, "%s: not a directory", db->path);
    return SKV_OK;
}

/* Writes the format marker of a new database: to a temporary name first, fsynced, then
 * renamed into place and the directory fsynced, so a crash never leaves a partial marker. */
static int db_write_format(skv_db *db, const char *path) {
    char *tmp = db_join(db->path, "FORMAT.tmp");
    if (!tmp) return SKV_ENOMEM;
    int rc = skv__env_write_file_sync(db->env, tmp, DB_FORMAT_TEXT, strlen(DB_FORMAT_TEXT));
    if (!rc) rc = db->env->rename(db->env, tmp, path);
    if (!rc) rc = db->env->sync_dir(db->env, db->path);
    free(tmp);
    return rc;
}

/* Checks the format marker, writing it into a new database. */
static int db_check_format(skv_db *db) {
    char *path = db_join(db->path, "FORMAT"), *text = NULL;
    size_t len = 0;
    if (!path) return SKV_ENOMEM;
    int rc = skv__env_read_file(db->env, path, &text, &len);
    if (rc == SKV_NOTFOUND) {
        int is_dir;
        if (db->env->exists(db->env, db->wal_dir, &is_dir) == SKV_OK)
            rc = skv__err(SKV_ECORRUPT, "%s: missing while the database has a log", path);
        else
            rc = db_write_format(db, path);
    } else if (!rc) {
        unsigned v = 0;
        char tail = 0;
        if (len > 64 || sscanf(text, "skv-format %u%c", &v, &tail) != 2 || tail != '\n')
            rc = skv__err(SKV_ECORRUPT, "%s: unreadable format marker", path);
        else if (v > DB_FORMAT_VERSION)
            rc = skv__err(SKV_EVERSION, "%s: format %u is newer than this library's %d", path, v,
                          DB_FORMAT_VERSION);
    }
    free(text);
    free(path);
    return rc;
}

static void db_free(skv_db *db) {
    if (db->view) skv__view_release(db->view);
    skv__oracle_free(db->oracle);
    skv__snapshots_destroy(&db->snaps);
    skv__mutex_destroy(&db->view_mu);
    skv__mutex_destroy(&db->commit_mu);
    skv__cond_destroy(&db->commit_cv);
    skv__cond_destroy(&db->worker_cv);
    free(db->path);
    free(db->wal_dir);
    free(db);
}

int skv__db_open(const char *path, const SkvDbOptions *opt, SkvEnv *env, skv_db **out) {
    skv_db *db = calloc(1, sizeof *db);
    if (!db) return SKV_ENOMEM;
    db->env = env;
    db->opt = *opt;
    atomic_init(&db->refs, 1);
    skv__mutex_init(&db->view_mu);
    skv__mutex_init(&db->commit_mu);
    skv__cond_init(&db->commit_cv);
    skv__cond_init(&db->worker_cv);
    skv__snapshots_init(&db->snaps);
    db->path = strdup(path);
    db->wal_dir = db_join(path, "wal");
    char *lock_path = db_join(path, "LOCK");
    int rc = SKV_ENOMEM;
    if (!db->path || !db->wal_dir || !lock_path) goto fail;
    if ((rc = db_prepare_dir(db))) goto fail;
    if ((rc = env->lock(env, lock_path, &db->lock))) goto fail;
    if ((rc = db_check_format(db))) goto fail;
    if ((rc = env->mkdir(env, db->wal_dir)) || (rc = env->sync_dir(env, db->path))) goto fail;
    if ((rc = skv__db_recover(db))) goto fail;
    if (!(db->oracle = skv__oracle_new(db->opt.conflict_window))) {
        rc = SKV_ENOMEM;
        goto fail;
    }
    char *wal_path = skv__db_wal_path(db, ++db->wal_number);
    if (!wal_path) {
        rc = SKV_ENOMEM;
        goto fail;
    }
    rc = skv__wal_create(env, wal_path, &db->wal);
    free(wal_path);
    if (rc || (rc = env->sync_dir(env, db->wal_dir))) goto fail;
    db->wal_segments++;
    if ((rc = skv__commit_start(db))) goto fail;
    free(lock_path);
    *out = db;
    return SKV_OK;
fail:
    if (db->wal) skv__wal_close(db->wal);
    if (db->lock) env->unlock(db->lock);
    free(lock_path);
    db_free(db);
    return rc;
}

int skv__db_sync(skv_db *db) {
    skv__mutex_lock(&db->commit_mu);
    /* wait for leadership so no group is being written meanwhile */
    while (db->leader_active) skv__cond_wait(&db->commit_cv, &db->commit_mu);
    int rc = atomic_load(&db->fatal);
    if (rc)
        rc = skv__err(SKV_EFATAL, "database latched after %s", skv_errname(rc));
    else if ((rc = skv__wal_sync(db->wal)))
        atomic_store(&db->fatal, rc);
    skv__mutex_unlock(&db->commit_mu);
    return rc;
}

int skv__db_close(skv_db *db) {
    atomic_store(&db->closed, 1);
    skv__commit_stop(db);
    int rc = SKV_OK;
    if (db->opt.flush_on_close && !atomic_load(&db->fatal)) rc = skv__wal_sync(db->wal);
    int rc2 = skv__wal_close(db->wal);
    db->wal = NULL;
    if (!rc) rc = rc2;
    db->env->unlock(db->lock);
    db->lock = NULL;
    skv__db_unref(db);
    return rc;
}

void skv__db_unref(skv_db *db) {
    if (atomic_fetch_sub(&db->refs, 1) == 1) db_free(db);
}

SkvView *skv__view_acquire(skv_db *db) {
    skv__mutex_lock(&db->view_mu);
    SkvView *v = db->view;
    atomic_fetch_add(&v->refs, 1);
    skv__mutex_unlock(&db->view_mu);
    return v;
}

void skv__view_release(SkvView *v) {
    if (atomic_fetch_sub(&v->refs, 1) != 1) return;
    for (size_t i = 0; i < v->n; i++) skv__mem_unref(v->mems[i]);
    free(v);
}
