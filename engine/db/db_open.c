/*
 * db_open.c — opening and closing a database: the directory, its exclusive lock, the format
 * marker, recovery, the first log segment, the engine thread; and the reference count that
 * keeps the handle's memory alive until its last transaction or iterator is freed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

#define DB_FORMAT_TEXT "skv-format 1\n"
enum { DB_FORMAT_VERSION = 1 };

void skv__db_options_default(SkvDbOptions *o) {
    o->max_memtable_size = 64u << 20;
    o->wal_recovery_mode = SKV_WAL_TOLERATE_TAIL;
    o->flush_on_close = 1;
    o->conflict_window = 1000000;
    o->create_if_missing = 1;
    o->block_size = 4096;
    o->index_partition_size = 16384;
    o->block_restart_interval = 16;
    o->filter_bits_per_key = 10;
    for (int i = 0; i < SKV_MAX_LEVELS; i++)
        o->compression[i] = i < 2 ? SKV_SST_COMPRESS_NONE : SKV_SST_COMPRESS_ZSTD;
    o->zstd_level = 1;
    o->block_cache_capacity = 64u << 20;
    o->level_count = 7;
    o->level0_max_files = 4;
    o->max_bytes_for_level = 256u << 20;
    o->level_multiplier = 10.0;
    o->memtable_stall_threshold = 2;
    o->l0_stall_threshold = 12;
    o->target_file_size = 32u << 20;
    o->max_open_files = 1000;
    o->mmap_reads = 1;
    o->enable_versioning = 0;
    o->versioned_history_retention_ns = 0;
    o->enable_versioned_index = 0;
    o->enable_vlog = 0;
    o->vlog_value_threshold = 1024;
    o->vlog_max_file_size = (uint64_t)256 << 20;
    o->vlog_checksum_verification = 1;
    o->vlog_gc_discard_ratio = 0.5;
    o->bg_inline = 0;
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

/* Writes the format marker: to a temporary name first, fsynced, then renamed into place and
 * the directory fsynced, so a crash never leaves a partial marker. */
int skv__db_write_format(SkvEnv *env, const char *dir) {
    char *tmp = db_join(dir, "FORMAT.tmp"), *path = db_join(dir, "FORMAT");
    int rc = tmp && path ? SKV_OK : SKV_ENOMEM;
    if (!rc) rc = skv__env_write_file_sync(env, tmp, DB_FORMAT_TEXT, strlen(DB_FORMAT_TEXT));
    if (!rc) rc = env->rename(env, tmp, path);
    if (!rc) rc = env->sync_dir(env, dir);
    free(tmp);
    free(path);
    return rc;
}

int skv__db_read_format(SkvEnv *env, const char *dir) {
    char *path = db_join(dir, "FORMAT"), *text = NULL;
    size_t len = 0;
    if (!path) return SKV_ENOMEM;
    int rc = skv__env_read_file(env, path, &text, &len);
    if (rc == SKV_NOTFOUND) {
        rc = skv__err(SKV_NOTFOUND, "%s: missing", path);
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

/* 1 when the directory holds a table file or a non-empty log segment. */
static int db_holds_data(skv_db *db) {
    char **names;
    size_t n;
    int found = 0;
    if (db->env->list(db->env, db->path, &names, &n) == SKV_OK) {
        for (size_t i = 0; i < n && !found; i++) {
            size_t len = strlen(names[i]);
            found = len > 4 && strcmp(names[i] + len - 4, ".sst") == 0;
        }
        skv__env_free_list(names, n);
    }
    if (!found && db->env->list(db->env, db->wal_dir, &names, &n) == SKV_OK) {
        for (size_t i = 0; i < n && !found; i++) {
            char *p = db_join(db->wal_dir, names[i]);
            SkvFile *f;
            uint64_t size = 0;
            if (p && db->env->open(db->env, p, SKV_ENV_READ, &f) == SKV_OK) {
                found = db->env->size(f, &size) != SKV_OK || size > 0;
                db->env->close(f);
            }
            free(p);
        }
        skv__env_free_list(names, n);
    }
    return found;
}

/* Removes what an interrupted creation may have left (manifests, CURRENT). */
static void db_clear_unfinished(skv_db *db) {
    char **names;
    size_t n;
    if (db->env->list(db->env, db->path, &names, &n)) return;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], "MANIFEST-", 9) != 0 && strcmp(names[i], "CURRENT") != 0 &&
            strcmp(names[i], "CURRENT.tmp") != 0)
            continue;
        char *p = db_join(db->path, names[i]);
        if (p) db->env->remove(db->env, p);
        free(p);
    }
    skv__env_free_list(names, n);
}

/* Checks the format marker. A database without one is new, or its creation was cut short
 * (the marker is written last): then *creating is set and leftovers are removed; a missing
 * marker next to data is damage. */
static int db_check_format(skv_db *db, int *creating) {
    int rc = skv__db_read_format(db->env, db->path);
    if (rc == SKV_NOTFOUND) {
        if (db_holds_data(db)) {
            rc = skv__err(SKV_ECORRUPT, "%s/FORMAT: missing while the database holds data",
                          db->path);
        } else {
            skv__errmsg_clear();
            db_clear_unfinished(db);
            *creating = 1;
            rc = SKV_OK;
        }
    }
    return rc;
}

static void db_free(skv_db *db) {
    if (db->view) skv__view_release(db->view);
    if (db->table_cache) skv__cache_free(db->table_cache);
    if (db->block_cache) skv__cache_free(db->block_cache);
    skv__db_vlog_free(db);
    if (db->vset) skv__vset_close(db->vset);
    skv__oracle_free(db->oracle);
    skv__snapshots_destroy(&db->snaps);
    skv__mutex_destroy(&db->view_mu);
    skv__mutex_destroy(&db->views_mu);
    skv__mutex_destroy(&db->commit_mu);
    skv__mutex_destroy(&db->bg_mu);
    skv__cond_destroy(&db->commit_cv);
    skv__cond_destroy(&db->worker_cv);
    skv__cond_destroy(&db->bg_cv);
    free(db->path);
    free(db->wal_dir);
    free(db);
}

/* Writes the recovered memtables to level-0 tables and records in the manifest that the log
 * segments before the new one are no longer needed. */
static int db_flush_recovered(skv_db *db, SkvMemtable **mems, size_t n) {
    SkvVersionEdit edit;
    skv__edit_init(&edit);
    int rc = SKV_OK, wrote = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        SkvFileMeta meta;
        rc = skv__db_write_level0(db, mems[i], &meta);
        if (rc == SKV_NOTFOUND) {
            rc = SKV_OK;
            continue;
        }
        if (rc) break;
        wrote = 1;
        rc = skv__edit_add(&edit, 0, &meta);
        free(meta.smallest);
        free(meta.largest);
    }
    if (!rc && wrote) rc = db->env->sync_dir(db->env, db->path);
    edit.has_log_number = edit.has_last_seq = edit.has_last_ts = 1;
    edit.log_number = db->wal_number;
    edit.last_seq = db->next_seq - 1;
    edit.last_ts = db->last_ts;
    if (!rc) rc = skv__vset_apply(db->vset, &edit);
    skv__edit_free(&edit);
    return rc;
}

/* Every table the manifest names must exist with the size it records and a readable footer,
 * index and properties: a missing or damaged table is reported at open, never a file
 * silently dropped from its level. */
static int db_check_tables(skv_db *db) {
    SkvVersion *v = skv__vset_current(db->vset);
    int rc = SKV_OK;
    for (int l = 0; !rc && l < v->nlevels; l++)
        for (size_t i = 0; !rc && i < v->nfiles[l]; i++) {
            const SkvFileMeta *f = v->files[l][i];
            SkvSstReader *r;
            SkvCacheHandle *h;
            /* opening the reader checks the file is there, its footer, index and properties */
            if ((rc = skv__db_table_get(db, f->number, &r, &h))) break;
            const SkvSstProps *props = skv__sst_props(r);
            uint64_t size = props->size;
            rc = skv__db_vlog_note_table(db, f->number, props->vrefs, props->nvrefs);
            skv__db_table_release(db, h);
            if (rc) break;
            if (size != f->size) {
                char *path = skv__db_table_path(db, f->number);
                rc = skv__err(SKV_ECORRUPT, "%s: table has %llu bytes, the manifest says %llu",
                              path ? path : "table", (unsigned long long)size,
                              (unsigned long long)f->size);
                free(path);
            }
        }
    skv__version_unref(v);
    return rc;
}

static int db_open_tables(skv_db *db) {
    int rc = skv__vset_load(db->env, db->path, db->opt.level_count, &db->vset);
    if (rc) return rc;
    db->block_cache = skv__cache_new(db->opt.block_cache_capacity, 4);
    db->table_cache = skv__cache_new((size_t)db->opt.max_open_files, 4);
    if (!db->block_cache || !db->table_cache) return SKV_ENOMEM;
    if ((rc = skv__db_vlog_open(db)) || (rc = db_check_tables(db))) return rc;
    return skv__db_vlog_check(db);
}

int skv__db_open(const char *path, const SkvDbOptions *opt, SkvEnv *env, skv_db **out) {
    skv_db *db = calloc(1, sizeof *db);
    if (!db) return SKV_ENOMEM;
    db->env = env;
    db->opt = *opt;
    atomic_init(&db->refs, 1);
    skv__mutex_init(&db->view_mu);
    skv__mutex_init(&db->views_mu);
    skv__mutex_init(&db->commit_mu);
    skv__mutex_init(&db->bg_mu);
    skv__cond_init(&db->commit_cv);
    skv__cond_init(&db->worker_cv);
    skv__cond_init(&db->bg_cv);
    skv__snapshots_init(&db->snaps);
    db->live_views.next = db->live_views.prev = &db->live_views;
    db->path = strdup(path);
    db->wal_dir = db_join(path, "wal");
    char *lock_path = db_join(path, "LOCK"), *wal_path = NULL;
    SkvMemtable **mems = NULL, *active = NULL;
    size_t nmems = 0;
    int rc = SKV_ENOMEM, creating = 0;
    if (!db->path || !db->wal_dir || !lock_path) goto fail;
    if ((rc = db_prepare_dir(db))) goto fail;
    if ((rc = env->lock(env, lock_path, &db->lock))) goto fail;
    if ((rc = db_check_format(db, &creating))) goto fail;
    if ((rc = env->mkdir(env, db->wal_dir)) || (rc = env->sync_dir(env, db->path))) goto fail;
    if ((rc = db_open_tables(db))) goto fail;
    if ((rc = skv__db_recover(db, &mems, &nmems))) goto fail;
    /* everything read and checked: only now is the manifest rewritten */
    if ((rc = skv__vset_start(db->vset))) goto fail;
    rc = SKV_ENOMEM;
    if (!(db->oracle = skv__oracle_new(db->opt.conflict_window))) goto fail;
    if (!(wal_path = skv__db_wal_path(db, ++db->wal_number))) goto fail;
    rc = skv__wal_create(env, wal_path, &db->wal);
    if (rc || (rc = env->sync_dir(env, db->wal_dir))) goto fail;
    if ((rc = db_flush_recovered(db, mems, nmems))) goto fail;
    skv__db_delete_segments(db, db->wal_number);
    db->wal_segments = 1;
    rc = SKV_ENOMEM;
    if (!(active = skv__mem_new()) || !(db->view = skv__view_new(db, 1))) goto fail;
    db->active = active;
    db->view->mems[0] = (SkvViewMem){active, db->wal_number, 0, 0};
    active = NULL;
    db->view->version = skv__vset_current(db->vset);
    atomic_store(&db->visible_seq, db->next_seq - 1);
    atomic_store(&db->published_ts, db->last_ts);
    skv__db_delete_obsolete(db);
    if (creating && (rc = skv__db_write_format(env, db->path))) goto fail;
    if ((rc = skv__commit_start(db))) goto fail;
    if ((rc = skv__bg_start(db))) {
        skv__commit_stop(db);
        goto fail;
    }
    for (size_t i = 0; i < nmems; i++) skv__mem_unref(mems[i]);
    free(mems);
    free(wal_path);
    free(lock_path);
    *out = db;
    return SKV_OK;
fail:
    for (size_t i = 0; i < nmems; i++) skv__mem_unref(mems[i]);
    free(mems);
    if (active) skv__mem_unref(active);
    if (db->wal) skv__wal_close(db->wal);
    if (db->lock) env->unlock(db->lock);
    free(wal_path);
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
    skv__bg_stop(db);
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
