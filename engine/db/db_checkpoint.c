/*
 * db_checkpoint.c — skv_checkpoint: a copy of the database as of the call, in a new directory
 * that opens as a database of its own. With the commit pipeline held for a moment (no I/O)
 * the state is captured (db_maint.c: the view, the visible sequence, the log segments and the
 * length of the last one). Then, with writers running again: the data files of the captured
 * version are hard-linked (copied when the directories are on different file systems), the
 * log segments of its memtables are linked (the full, immutable ones) or copied (the last
 * one, up to the captured length: exactly the commits up to the captured sequence), a fresh
 * manifest names exactly those tables, every file and directory is fsynced, and the format
 * marker is written last, so a checkpoint cut short by a crash is never taken for a whole one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

static char *ckpt_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The directory holding dir ("." for a bare name, "/" for a top-level one), malloc'ed. */
static char *ckpt_parent(const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    while (n > 0 && dir[n - 1] != '/') n--;
    while (n > 1 && dir[n - 1] == '/') n--;
    const char *p = n == 0 ? "." : dir;
    size_t len = n == 0 ? 1 : n;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
    return out;
}

/* The checkpoint directory must not exist (it is created, and its parent fsynced) or be an
 * empty directory. */
static int ckpt_prepare_dir(SkvEnv *env, const char *dir, int *created) {
    int is_dir = 0;
    int rc = env->exists(env, dir, &is_dir);
    if (rc == SKV_NOTFOUND) {
        char *parent = ckpt_parent(dir);
        if (!parent) return SKV_ENOMEM;
        skv__errmsg_clear();
        if (!(rc = env->mkdir(env, dir))) {
            *created = 1;
            rc = env->sync_dir(env, parent);
        }
        free(parent);
        return rc;
    }
    if (rc) return rc;
    if (!is_dir)
        return skv__err(SKV_EINVAL, "skv_checkpoint: %s exists and is not a directory", dir);
    char **names;
    size_t n;
    if ((rc = env->list(env, dir, &names, &n))) return rc;
    skv__env_free_list(names, n);
    if (n) return skv__err(SKV_EINVAL, "skv_checkpoint: %s exists and is not empty", dir);
    return SKV_OK;
}

/* Links (or copies) every data file of the captured version into dir; the value-log file
 * still being appended to is copied up to its durable size. */
static int ckpt_data_files(skv_db *db, const SkvVersion *v, const char *dir) {
    SkvDataFile *files;
    size_t n;
    int rc = skv__db_data_files(db->env, db->path, v, db->vlog, &files, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        char *from = ckpt_join(db->path, files[i].name), *to = ckpt_join(dir, files[i].name);
        if (!from || !to)
            rc = SKV_ENOMEM;
        else if (files[i].appending)
            rc = skv__env_copy_file(db->env, from, to, files[i].size);
        else
            rc = skv__env_link_or_copy(db->env, from, to, NULL);
        free(from);
        free(to);
    }
    free(files);
    return rc;
}

/* The log segments of the captured memtables: the last one up to the captured length. */
static int ckpt_log(skv_db *db, const SkvCapture *c, const char *wal_dir) {
    int rc = SKV_OK;
    for (uint64_t w = c->first_wal; !rc && w <= c->last_wal; w++) {
        char *from = skv__db_wal_path(db, w), *to = skv__db_wal_path_in(wal_dir, w);
        if (!from || !to)
            rc = SKV_ENOMEM;
        else if (w < c->last_wal) /* full and fsynced before the next one began */
            rc = skv__env_link_or_copy(db->env, from, to, NULL);
        else
            rc = skv__env_copy_file(db->env, from, to, c->last_wal_size);
        free(from);
        free(to);
    }
    return rc ? rc : db->env->sync_dir(db->env, wal_dir);
}

/* Makes the edit's next file number pass every data file the checkpoint holds (the tables'
 * and the value-log files'), so that the checkpoint never hands one out again. */
static int ckpt_next_file(skv_db *db, const SkvVersion *v, SkvVersionSet *vs,
                          SkvVersionEdit *edit) {
    SkvDataFile *files;
    size_t n;
    int rc = skv__db_data_files(db->env, db->path, v, db->vlog, &files, &n);
    edit->has_next_file = 1;
    edit->next_file = 1;
    for (size_t i = 0; !rc && i < n; i++)
        if (files[i].number >= edit->next_file) {
            edit->next_file = files[i].number + 1;
            skv__vset_mark_file_number_used(vs, files[i].number);
        }
    free(files);
    return rc;
}

/* A manifest (and CURRENT) in dir naming exactly the captured version's tables; the numbers
 * of its value-log files are marked used. */
static int ckpt_manifest(skv_db *db, const SkvCapture *c, const char *dir) {
    SkvVersionSet *vs = NULL;
    const SkvVersion *v = c->view->version;
    SkvVersionEdit edit;
    skv__edit_init(&edit);
    int rc = skv__vset_load(db->env, dir, db->opt.level_count, &vs);
    for (int l = 0; !rc && l < v->nlevels; l++)
        for (size_t i = 0; !rc && i < v->nfiles[l]; i++) {
            rc = skv__edit_add(&edit, l, v->files[l][i]);
            /* the manifest's own number comes after every table's */
            skv__vset_mark_file_number_used(vs, v->files[l][i]->number);
        }
    if (!rc) rc = ckpt_next_file(db, v, vs, &edit);
    edit.has_log_number = edit.has_last_seq = edit.has_last_ts = 1;
    edit.log_number = c->first_wal;
    edit.last_seq = c->seq;
    edit.last_ts = c->ts;
    if (!rc) rc = skv__vset_apply(vs, &edit);
    skv__edit_free(&edit);
    skv__vset_close(vs);
    return rc;
}

/* Writes the checkpoint into dir; *prepared once dir is ours (created, or found empty). */
static int ckpt_write(skv_db *db, const SkvCapture *c, const char *dir, int *prepared,
                      int *created) {
    SkvEnv *env = db->env;
    char *wal_dir = ckpt_join(dir, "wal");
    if (!wal_dir) return SKV_ENOMEM;
    int rc = ckpt_prepare_dir(env, dir, created);
    *prepared = !rc || *created;
    if (!rc) rc = env->mkdir(env, wal_dir);
    if (!rc) rc = env->sync_dir(env, dir);
    if (!rc) rc = ckpt_data_files(db, c->view->version, dir);
    if (!rc) rc = ckpt_log(db, c, wal_dir);
    if (!rc) rc = ckpt_manifest(db, c, dir);
    if (!rc) rc = env->sync_dir(env, dir);
    /* last: only now is the directory a database */
    if (!rc) rc = skv__db_write_format(env, dir);
    free(wal_dir);
    return rc;
}

/* Removes every entry of directory path (best effort). */
static void ckpt_remove_entries(SkvEnv *env, const char *path) {
    char **names;
    size_t n;
    if (env->list(env, path, &names, &n)) return;
    for (size_t i = 0; i < n; i++) {
        char *p = ckpt_join(path, names[i]);
        if (p) env->remove(env, p);
        free(p);
    }
    skv__env_free_list(names, n);
}

/* Removes what a failed checkpoint wrote (best effort; the error message is kept). */
static void ckpt_cleanup(SkvEnv *env, const char *dir, int created) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
    char *wal_dir = ckpt_join(dir, "wal");
    if (wal_dir) ckpt_remove_entries(env, wal_dir);
    free(wal_dir);
    ckpt_remove_entries(env, dir); /* the tables, the manifest and the empty wal/ */
    if (created) env->remove(env, dir);
    skv__err(SKV_OK, "%s", msg);
}

int skv__db_checkpoint(skv_db *db, const char *dir) {
    int rc = skv__db_maint_begin(db, "skv_checkpoint");
    if (rc) return rc;
    SkvCapture c = {0};
    skv__commit_hold(db);
    if ((rc = atomic_load(&db->fatal)))
        rc = skv__err(SKV_EFATAL, "skv_checkpoint: database latched after %s", skv_errname(rc));
    else
        skv__db_capture(db, &c);
    skv__commit_release(db);
    int prepared = 0, created = 0;
    if (!rc && (rc = ckpt_write(db, &c, dir, &prepared, &created)) && prepared)
        ckpt_cleanup(db->env, dir, created);
    skv__db_capture_release(db, &c);
    skv__db_maint_end(db);
    return rc;
}
