/*
 * db_restore.c — skv_restore: the open database's contents replaced by a checkpoint's,
 * crash-safely and without closing the handle.
 *
 * With the commit pipeline held and background work paused, the checkpoint is staged inside
 * the database directory, beside the live data, which nothing touches yet: its tables are
 * linked (or copied) under new file numbers and each checked whole (the size its manifest
 * records, every block), its log is replayed into level-0 tables, the directory is fsynced, and a
 * new (empty) log segment is created for the writes that follow. The switch is one version
 * edit appended to the manifest and fsynced — every live table out, every staged one in,
 * the log number moved to the new segment: a crash before it is durable leaves the old
 * database (the staged files are strays that the next open deletes), after it the restored
 * one (the old tables and log segments are strays then). A torn edit is ignored at open, so
 * there is no state in between. In memory the handle then takes a view of the new version
 * with one empty memtable, writes to the new segment, forgets every conflict (a new oracle)
 * and counts a restore: transactions and iterators begun before it answer SKV_ECLOSED.
 * Sequence numbers and timestamps continue from the larger of the database's and the
 * checkpoint's, so they never go backwards.
 *
 * A checkpoint with a value log: its value-log numbers may be live here, so its value-log
 * files are staged under fresh numbers (checked whole) and its tables that point into them
 * are written anew with translated pointers (db_restore_vlog.c); they are staged files like
 * the others, and the old value-log files are strays after the switch.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

typedef struct {
    SkvVersionEdit edit; /* every live table out, every staged one in */
    uint64_t *staged;    /* numbers of the tables written into the database directory */
    size_t nstaged, cap;
    uint64_t seq, ts; /* the sequence and timestamp the restored database continues from */
    uint64_t wal;     /* the new log segment */
    SkvWalWriter *w;
    SkvMemtable *mem; /* the new active memtable */
    SkvOracle *oracle;
    SkvView *view;   /* allocated before the switch so that it cannot fail after it */
    SkvRstVlog vlog; /* the checkpoint's value-log files under their new numbers */
} RstStage;

static char *rst_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The source must be a complete checkpoint (or a closed database) other than this one; its
 * lock is taken when it has one (SKV_ELOCKED while it is open). */
static int rst_check_source(skv_db *db, const char *src, SkvFileLock **lock) {
    SkvEnv *env = db->env;
    int is_dir = 0;
    int rc = env->exists(env, src, &is_dir);
    if (rc == SKV_NOTFOUND) return skv__err(SKV_NOTFOUND, "skv_restore: %s does not exist", src);
    if (rc) return rc;
    if (!is_dir) return skv__err(SKV_EINVAL, "skv_restore: %s is not a directory", src);
    if (strcmp(src, db->path) == 0)
        return skv__err(SKV_EINVAL, "skv_restore: %s is the database itself", src);
    char *lock_path = rst_join(src, "LOCK");
    if (!lock_path) return SKV_ENOMEM;
    if (env->exists(env, lock_path, NULL) == SKV_OK)
        rc = env->lock(env, lock_path, lock);
    else
        skv__errmsg_clear();
    free(lock_path);
    if (rc == SKV_ELOCKED)
        return skv__err(SKV_ELOCKED, "skv_restore: %s is open as a database", src);
    if (rc) return rc;
    rc = skv__db_read_format(env, src);
    if (rc == SKV_NOTFOUND)
        return skv__err(SKV_EINVAL, "skv_restore: %s is not a complete checkpoint (no FORMAT)",
                        src);
    return rc;
}

static int rst_add_staged(RstStage *st, uint64_t number) {
    if (st->nstaged == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        uint64_t *v = realloc(st->staged, cap * sizeof *v);
        if (!v) return SKV_ENOMEM;
        st->staged = v;
        st->cap = cap;
    }
    st->staged[st->nstaged++] = number;
    return SKV_OK;
}

/* Keeps the first problem skv__sst_verify reports (its message is the thread's). */
static void rst_verify_problem(void *ud, int rc) {
    int *first = ud;
    if (!*first) {
        *first = rc;
        char msg[480];
        snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
        skv__err(rc, "skv_restore: %s", msg);
    }
}

/* A checkpoint table whole: the size its manifest records, every block. */
static int rst_check_table(SkvSstReader *r, const SkvFileMeta *f, const char *from) {
    if (skv__sst_props(r)->size != f->size)
        return skv__err(SKV_ECORRUPT,
                        "skv_restore: table %s has %llu bytes, its manifest says %llu", from,
                        (unsigned long long)skv__sst_props(r)->size, (unsigned long long)f->size);
    int first = SKV_OK;
    SkvSstVerify v = {.problem = rst_verify_problem, .ud = &first};
    int vrc = skv__sst_verify(r, &v);
    return first ? first : vrc;
}

/* A checkpoint table with value pointers, checked whole, written anew as table `number`
 * with its pointers translated (db_restore_vlog.c). */
static int rst_rewrite_table(skv_db *db, RstStage *st, const char *src, int level,
                             const SkvFileMeta *f, SkvSstReader *r, const char *from,
                             uint64_t number) {
    SkvSstProps p;
    int rc = rst_check_table(r, f, from);
    if (!rc) rc = skv__rst_vlog_table(db, &st->vlog, src, from, r, level, number, &p);
    if (rc) return rc;
    SkvFileMeta m = skv__db_file_meta(number, &p);
    rc = skv__edit_add(&st->edit, level, &m); /* copies the keys */
    if (!rc) rc = skv__db_vlog_note_table(db, number, p.vrefs, p.nvrefs);
    skv__sst_props_free(&p);
    return rc;
}

/* Brings one table of the checkpoint in under a new number, checked whole (a damaged
 * checkpoint is refused before anything changes): linked (or copied), or written anew when it
 * points into the value log. */
static int rst_stage_table(skv_db *db, RstStage *st, const char *src, int level,
                           const SkvFileMeta *f) {
    char name[32];
    snprintf(name, sizeof name, "%020llu.sst", (unsigned long long)f->number);
    uint64_t number = skv__vset_new_file_number(db->vset);
    char *from = rst_join(src, name), *to = skv__db_table_path(db, number);
    int rc = from && to ? rst_add_staged(st, number) : SKV_ENOMEM;
    SkvSstReader *r = NULL;
    if (!rc && skv__sst_open(db->env, from, f->number, NULL, &r) == SKV_OK &&
        skv__sst_props(r)->nvrefs) {
        rc = rst_rewrite_table(db, st, src, level, f, r, from, number);
        skv__sst_close(r);
        free(from);
        free(to);
        return rc;
    }
    skv__sst_close(r); /* without references (or unreadable: reported below) */
    r = NULL;
    skv__errmsg_clear();
    if (!rc) rc = skv__env_link_or_copy(db->env, from, to, NULL);
    if (rc == SKV_NOTFOUND) rc = skv__err(SKV_ECORRUPT, "skv_restore: table %s is missing", from);
    if (!rc) rc = skv__sst_open(db->env, to, number, NULL, &r);
    if (!rc) rc = rst_check_table(r, f, from);
    skv__sst_close(r);
    if (!rc) {
        SkvFileMeta m = *f;
        m.number = number;
        rc = skv__edit_add(&st->edit, level, &m);
    }
    free(from);
    free(to);
    return rc;
}

/* The value-log files the checkpoint's tables reference, staged under fresh numbers. A table
 * that cannot be opened adds none (its staging reports it). */
static int rst_stage_vlog(skv_db *db, RstStage *st, const char *src, const SkvVersion *cv) {
    int rc = SKV_OK;
    for (int l = 0; !rc && l < cv->nlevels; l++)
        for (size_t i = 0; !rc && i < cv->nfiles[l]; i++) {
            char name[32];
            uint64_t number = cv->files[l][i]->number;
            snprintf(name, sizeof name, "%020llu.sst", (unsigned long long)number);
            char *from = rst_join(src, name);
            SkvSstReader *r = NULL;
            if (!from) rc = SKV_ENOMEM;
            if (!rc && skv__sst_open(db->env, from, number, NULL, &r) == SKV_OK)
                rc = skv__rst_vlog_collect(&st->vlog, skv__sst_props(r)->vrefs,
                                           skv__sst_props(r)->nvrefs);
            else if (!rc)
                skv__errmsg_clear();
            skv__sst_close(r);
            free(from);
        }
    return rc ? rc : skv__rst_vlog_stage(db, src, &st->vlog);
}

/* The checkpoint's log, replayed into level-0 tables of the database. */
static int rst_stage_log(skv_db *db, RstStage *st, const char *src, uint64_t log_number) {
    char *wal_dir = rst_join(src, "wal");
    if (!wal_dir) return SKV_ENOMEM;
    int is_dir = 0;
    SkvLogReplay rp = {0};
    int rc = db->env->exists(db->env, wal_dir, &is_dir);
    if (rc == SKV_NOTFOUND || (!rc && !is_dir)) { /* no log: nothing to replay */
        skv__errmsg_clear();
        free(wal_dir);
        return SKV_OK;
    }
    if (!rc) rc = skv__db_replay_log(db, wal_dir, log_number, 0, &rp);
    for (size_t i = 0; !rc && i < rp.n; i++) {
        SkvFileMeta meta;
        rc = skv__db_write_level0(db, rp.mems[i], &meta);
        if (rc == SKV_NOTFOUND) { /* an empty memtable */
            rc = SKV_OK;
            continue;
        }
        if (rc) break;
        rc = rst_add_staged(st, meta.number);
        if (!rc) rc = skv__edit_add(&st->edit, 0, &meta);
        free(meta.smallest);
        free(meta.largest);
    }
    if (!rc && rp.next_seq > st->seq + 1) st->seq = rp.next_seq - 1;
    if (!rc && rp.last_ts > st->ts) st->ts = rp.last_ts;
    skv__db_replay_free(&rp);
    free(wal_dir);
    return rc;
}

/* Everything up to (not including) the switch. Nothing of the live database changes. */
static int rst_stage(skv_db *db, RstStage *st, const char *src, SkvVersionSet *cvs) {
    SkvVersion *cv = skv__vset_current(cvs);
    int rc = SKV_OK;
    st->seq = skv__vset_last_seq(cvs);
    st->ts = skv__vset_last_ts(cvs);
    rc = rst_stage_vlog(db, st, src, cv);
    for (int l = 0; !rc && l < cv->nlevels; l++)
        for (size_t i = 0; !rc && i < cv->nfiles[l]; i++)
            rc = rst_stage_table(db, st, src, l, cv->files[l][i]);
    skv__version_unref(cv);
    /* values the log replay separates go to a new value-log file, not to one of the old
     * database's, which then all become collectable after the switch */
    if (!rc) rc = skv__db_vlog_seal(db);
    if (!rc) rc = rst_stage_log(db, st, src, skv__vset_log_number(cvs));
    if (!rc && (st->nstaged || st->vlog.nstaged)) rc = db->env->sync_dir(db->env, db->path);

    /* the segment the restored database writes to, above every live one */
    st->wal = db->wal_number + 1;
    char *path = rc ? NULL : skv__db_wal_path(db, st->wal);
    if (!rc && !path) rc = SKV_ENOMEM;
    if (!rc && !(rc = skv__wal_create(db->env, path, &st->w)))
        rc = db->env->sync_dir(db->env, db->wal_dir);
    free(path);
    if (!rc &&
        (!(st->mem = skv__mem_new()) || !(st->oracle = skv__oracle_new(db->opt.conflict_window)) ||
         !(st->view = skv__view_new(db, 1))))
        rc = skv__err(SKV_ENOMEM, "skv_restore: out of memory");

    /* the edit: every live table out; counters never go backwards */
    SkvVersion *cur = skv__vset_current(db->vset);
    for (int l = 0; !rc && l < cur->nlevels; l++)
        for (size_t i = 0; !rc && i < cur->nfiles[l]; i++)
            rc = skv__edit_delete(&st->edit, l, cur->files[l][i]->number);
    skv__version_unref(cur);
    if (db->next_seq - 1 > st->seq) st->seq = db->next_seq - 1;
    if (db->last_ts > st->ts) st->ts = db->last_ts;
    st->edit.has_log_number = st->edit.has_last_seq = st->edit.has_last_ts = 1;
    st->edit.log_number = st->wal;
    st->edit.last_seq = st->seq;
    st->edit.last_ts = st->ts;
    return rc;
}

/* Drops a stage that was not switched to; with remove_files also the files it wrote (not
 * when the edit naming them may be durable). Best effort; the error message is kept. */
static void rst_unstage(skv_db *db, RstStage *st, int remove_files) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
    for (size_t i = 0; i < st->nstaged; i++) {
        char *p = remove_files ? skv__db_table_path(db, st->staged[i]) : NULL;
        if (p) db->env->remove(db->env, p);
        free(p);
        skv__db_vlog_forget_table(db, st->staged[i]);
    }
    skv__rst_vlog_free(db, &st->vlog, remove_files);
    if (st->w) {
        skv__wal_close(st->w);
        char *p = remove_files ? skv__db_wal_path(db, st->wal) : NULL;
        if (p) db->env->remove(db->env, p);
        free(p);
        st->w = NULL;
    }
    if (st->mem) skv__mem_unref(st->mem);
    skv__oracle_free(st->oracle);
    if (st->view) skv__view_release(st->view);
    st->mem = NULL;
    st->oracle = NULL;
    st->view = NULL;
    skv__err(SKV_OK, "%s", msg);
}

/* The in-memory switch, after the edit is durable; cannot fail. */
static void rst_switch(skv_db *db, RstStage *st) {
    skv__mutex_lock(&db->view_mu);
    SkvView *old = db->view;
    st->view->mems[0] = (SkvViewMem){st->mem, st->wal, 0, 0};
    skv__mutex_lock(&db->views_mu); /* the view is listed already (db_view.c) */
    st->view->version = skv__vset_current(db->vset);
    skv__mutex_unlock(&db->views_mu);
    skv__view_publish(db, st->view);
    SkvWalWriter *old_wal = db->wal;
    db->active = st->mem;
    db->wal = st->w;
    db->wal_number = st->wal;
    db->wal_segments = 1;
    skv__mutex_unlock(&db->view_mu);
    skv__wal_close(old_wal);
    skv__view_release(old);
    skv__oracle_free(db->oracle);
    db->oracle = st->oracle; /* no conflict with anything committed before */
    db->next_seq = st->seq + 1;
    db->last_ts = st->ts;
    memset(db->compact_cursor, 0, sizeof db->compact_cursor);
    atomic_store(&db->published_ts, st->ts);
    atomic_store(&db->visible_seq, st->seq);
    /* last: a transaction that sees the new count reads the new view (db_txn.c) */
    atomic_fetch_add(&db->restores, 1);
    st->w = NULL;
    st->mem = NULL;
    st->oracle = NULL;
    st->view = NULL;
    skv__rst_vlog_publish(db, &st->vlog);
    skv__db_delete_segments(db, st->wal);
    skv__db_delete_obsolete(db); /* the old tables and value-log files, unless a view holds them */
    skv__errmsg_clear();
}

int skv__db_restore(skv_db *db, const char *src) {
    int rc = skv__db_maint_begin(db, "skv_restore");
    if (rc) return rc;
    SkvFileLock *lock = NULL;
    SkvVersionSet *cvs = NULL;
    if (!(rc = rst_check_source(db, src, &lock)))
        rc = skv__vset_load(db->env, src, db->opt.level_count, &cvs);
    if (rc) {
        if (lock) db->env->unlock(lock);
        skv__db_maint_end(db);
        return rc;
    }
    RstStage st = {0};
    skv__edit_init(&st.edit);
    skv__commit_hold(db);
    skv__bg_pause(db);
    if ((rc = atomic_load(&db->fatal)))
        rc = skv__err(SKV_EFATAL, "skv_restore: database latched after %s", skv_errname(rc));
    else if ((rc = rst_stage(db, &st, src, cvs)))
        rst_unstage(db, &st, 1);
    else if ((rc = skv__vset_apply(db->vset, &st.edit))) {
        /* the edit may or may not be durable: the database latches until it is reopened,
         * which then finds either the old or the restored contents */
        int zero = 0;
        atomic_compare_exchange_strong(&db->fatal, &zero, rc);
        rst_unstage(db, &st, 0);
    } else {
        rst_switch(db, &st);
    }
    skv__bg_resume(db);
    skv__bg_wake(db);
    skv__commit_release(db);
    skv__edit_free(&st.edit);
    skv__rst_vlog_free(db, &st.vlog, 0);
    free(st.staged);
    skv__vset_close(cvs);
    if (lock) db->env->unlock(lock);
    skv__db_maint_end(db);
    return rc;
}
