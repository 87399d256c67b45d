/*
 * db_vlog.c — the database's value log: its state (the files it knows, the references of
 * every table, the writer, the cache of open files), separating large values at flush,
 * reading values by pointer, the checks at open, and the value-log properties. Collection
 * and rewriting are in db_vlog_gc.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db_vlog.h"

static uint64_t dbv_new_number(void *ctx);

int skv__db_vlog_open(skv_db *db) {
    SkvDbVlog *vl = calloc(1, sizeof *vl);
    if (!vl) return SKV_ENOMEM;
    skv__mutex_init(&vl->mu);
    db->vlog = vl;
    size_t cap = (size_t)db->opt.max_open_files;
    if (!(vl->readers = skv__cache_new(cap, 2))) return SKV_ENOMEM;
    return skv__vlog_writer_new(db->env, db->path, db->opt.vlog_max_file_size, dbv_new_number, db,
                                &vl->w);
}

void skv__db_vlog_free(skv_db *db) {
    SkvDbVlog *vl = db->vlog;
    if (!vl) return;
    skv__vlog_writer_free(vl->w);
    if (vl->readers) skv__cache_free(vl->readers);
    for (size_t i = 0; i < vl->ntables; i++) free(vl->tables[i].r);
    free(vl->tables);
    free(vl->files);
    free(vl->marked);
    skv__vlog_buf_free(&vl->gcbuf);
    skv__mutex_destroy(&vl->mu);
    free(vl);
    db->vlog = NULL;
}

/* ---- the file list (mu held) ---- */

static size_t dbv_file_index(const SkvDbVlog *vl, uint64_t number) {
    size_t lo = 0, hi = vl->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vl->files[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t skv__db_vlog_find_file(const SkvDbVlog *vl, uint64_t number) {
    size_t k = dbv_file_index(vl, number);
    return k < vl->nfiles && vl->files[k].number == number ? k : vl->nfiles;
}

/* Adds file `number` (or updates its size); returns its entry, NULL when out of memory. */
static SkvDbVlogFile *dbv_file_add(SkvDbVlog *vl, uint64_t number, uint64_t size) {
    size_t i = dbv_file_index(vl, number);
    if (i < vl->nfiles && vl->files[i].number == number) {
        vl->files[i].size = size;
        return &vl->files[i];
    }
    if (vl->nfiles == vl->fcap) {
        size_t cap = vl->fcap ? vl->fcap * 2 : 16;
        SkvDbVlogFile *f = realloc(vl->files, cap * sizeof *f);
        if (!f) return NULL;
        vl->files = f;
        vl->fcap = cap;
    }
    memmove(vl->files + i + 1, vl->files + i, (vl->nfiles - i) * sizeof *vl->files);
    vl->files[i] = (SkvDbVlogFile){.number = number, .size = size, .synced = size};
    vl->nfiles++;
    return &vl->files[i];
}

/* The writer left the file it appended to (mu held): all of it is durable. */
static void dbv_file_sealed(SkvDbVlog *vl) {
    for (size_t i = 0; i < vl->nfiles; i++)
        if (vl->files[i].appending) {
            vl->files[i].appending = 0;
            vl->files[i].synced = vl->files[i].size;
        }
}

/* The writer's callback: a number from the table counter, and the file in the list. The
 * writer starts a file only after it sealed the one before. */
static uint64_t dbv_new_number(void *ctx) {
    skv_db *db = ctx;
    uint64_t n = skv__vset_new_file_number(db->vset);
    skv__mutex_lock(&db->vlog->mu);
    dbv_file_sealed(db->vlog);
    /* out of memory here only hides the file from the list until the next open */
    SkvDbVlogFile *f = dbv_file_add(db->vlog, n, SKV_VLOG_FILE_HEADER);
    if (f) {
        f->appending = 1;
        f->synced = 0;
    }
    skv__mutex_unlock(&db->vlog->mu);
    return n;
}

/* ---- table references (mu held for the lookups) ---- */

static size_t dbv_table_index(const SkvDbVlog *vl, uint64_t table) {
    size_t lo = 0, hi = vl->ntables;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vl->tables[mid].table < table)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const SkvDbVlogTable *skv__db_vlog_table(const SkvDbVlog *vl, uint64_t table) {
    size_t i = dbv_table_index(vl, table);
    return i < vl->ntables && vl->tables[i].table == table ? &vl->tables[i] : NULL;
}

int skv__db_vlog_note_table(skv_db *db, uint64_t table, const SkvVlogRef *r, size_t n) {
    if (!n) return SKV_OK;
    SkvVlogRef *copy = malloc(n * sizeof *copy);
    if (!copy) return SKV_ENOMEM;
    memcpy(copy, r, n * sizeof *copy);
    SkvDbVlog *vl = db->vlog;
    skv__mutex_lock(&vl->mu);
    size_t i = dbv_table_index(vl, table);
    if (i < vl->ntables && vl->tables[i].table == table) { /* noted again: the same file */
        free(vl->tables[i].r);
        vl->tables[i].r = copy;
        vl->tables[i].n = n;
        skv__mutex_unlock(&vl->mu);
        return SKV_OK;
    }
    if (vl->ntables == vl->tcap) {
        size_t cap = vl->tcap ? vl->tcap * 2 : 64;
        SkvDbVlogTable *t = realloc(vl->tables, cap * sizeof *t);
        if (!t) {
            skv__mutex_unlock(&vl->mu);
            free(copy);
            return SKV_ENOMEM;
        }
        vl->tables = t;
        vl->tcap = cap;
    }
    memmove(vl->tables + i + 1, vl->tables + i, (vl->ntables - i) * sizeof *vl->tables);
    vl->tables[i] = (SkvDbVlogTable){table, copy, n};
    vl->ntables++;
    skv__mutex_unlock(&vl->mu);
    return SKV_OK;
}

void skv__db_vlog_forget_table(skv_db *db, uint64_t table) {
    SkvDbVlog *vl = db->vlog;
    skv__mutex_lock(&vl->mu);
    size_t i = dbv_table_index(vl, table);
    if (i < vl->ntables && vl->tables[i].table == table) {
        free(vl->tables[i].r);
        memmove(vl->tables + i, vl->tables + i + 1, (vl->ntables - i - 1) * sizeof *vl->tables);
        vl->ntables--;
    }
    skv__mutex_unlock(&vl->mu);
}

uint64_t *skv__db_vlog_live_bytes(SkvDbVlog *vl, const SkvVersion *v) {
    uint64_t *live = calloc(vl->nfiles ? vl->nfiles : 1, sizeof *live);
    if (!live) return NULL;
    for (int l = 0; v && l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++) {
            const SkvDbVlogTable *t = skv__db_vlog_table(vl, v->files[l][i]->number);
            for (size_t j = 0; t && j < t->n; j++) {
                size_t k = skv__db_vlog_find_file(vl, t->r[j].file);
                if (k < vl->nfiles) live[k] += t->r[j].bytes;
            }
        }
    return live;
}

/* ---- open ---- */

static int dbv_file_size(SkvEnv *env, const char *path, uint64_t *size) {
    SkvFile *f;
    int rc = env->open(env, path, SKV_ENV_READ, &f);
    if (rc) return rc;
    rc = env->size(f, size);
    env->close(f);
    return rc;
}

int skv__db_vlog_check(skv_db *db) {
    SkvDbVlog *vl = db->vlog;
    char **names;
    size_t n;
    int rc = db->env->list(db->env, db->path, &names, &n);
    if (rc) return rc;
    for (size_t i = 0; !rc && i < n; i++) {
        uint64_t number, size = 0;
        if (!skv__vlog_parse_name(names[i], &number)) continue;
        skv__vset_mark_file_number_used(db->vset, number);
        char *path = skv__vlog_path(db->path, number);
        rc = path ? dbv_file_size(db->env, path, &size) : SKV_ENOMEM;
        free(path);
        if (!rc) {
            skv__mutex_lock(&vl->mu);
            rc = dbv_file_add(vl, number, size) ? SKV_OK : SKV_ENOMEM;
            skv__mutex_unlock(&vl->mu);
        }
    }
    skv__env_free_list(names, n);
    if (rc) return rc;
    /* every referenced file must be there (a missing one is reported now, like a table) */
    skv__mutex_lock(&vl->mu);
    for (size_t i = 0; !rc && i < vl->ntables; i++)
        for (size_t j = 0; !rc && j < vl->tables[i].n; j++) {
            uint64_t f = vl->tables[i].r[j].file;
            if (skv__db_vlog_find_file(vl, f) < vl->nfiles) continue;
            char *path = skv__vlog_path(db->path, f);
            rc = skv__err(SKV_ECORRUPT,
                          "value-log file %s is missing (table %020" PRIu64 " points into it)",
                          path ? path : "?", vl->tables[i].table);
            free(path);
        }
    skv__mutex_unlock(&vl->mu);
    return rc;
}

/* ---- writing ---- */

int skv__db_vlog_append(skv_db *db, const void *key, size_t klen, const void *val, size_t vlen,
                        SkvVlogPtr *p) {
    SkvDbVlog *vl = db->vlog;
    int rc = skv__vlog_writer_add(vl->w, key, klen, val, vlen, p);
    if (rc) return rc;
    skv__mutex_lock(&vl->mu);
    rc = dbv_file_add(vl, p->file, skv__vlog_writer_size(vl->w)) ? SKV_OK : SKV_ENOMEM;
    skv__mutex_unlock(&vl->mu);
    return rc;
}

static int dbv_is_value(int kind) { return kind == SKV_KIND_VALUE || kind == SKV_KIND_REPLACE; }

int skv__db_vlog_flush_add(skv_db *db, SkvSstBuilder *b, const SkvMemEntry *e) {
    if (!db->opt.enable_vlog || e->vlen <= db->opt.vlog_value_threshold || !dbv_is_value(e->kind))
        return skv__sst_builder_add(b, e->key, e->klen, e->seq, e->kind, e->ts, e->val, e->vlen);
    SkvVlogPtr p;
    int rc = skv__db_vlog_append(db, e->key, e->klen, e->val, e->vlen, &p);
    if (rc) return rc;
    uint8_t enc[SKV_VLOG_PTR_MAX];
    size_t n = skv__vlog_ptr_encode(enc, &p);
    rc = skv__sst_builder_add(b, e->key, e->klen, e->seq, e->kind | SKV_KIND_VLOG_BIT, e->ts, enc,
                              n);
    if (!rc) {
        skv__mutex_lock(&db->vlog->mu);
        db->vlog->separated++;
        db->vlog->separated_bytes += e->vlen;
        skv__mutex_unlock(&db->vlog->mu);
    }
    return rc;
}

int skv__db_vlog_sync(skv_db *db) {
    SkvDbVlog *vl = db->vlog;
    int rc = skv__vlog_writer_sync(vl->w);
    uint64_t open = skv__vlog_writer_file(vl->w);
    if (rc || !open) return rc;
    skv__mutex_lock(&vl->mu);
    size_t k = skv__db_vlog_find_file(vl, open);
    if (k < vl->nfiles) vl->files[k].synced = skv__vlog_writer_size(vl->w);
    skv__mutex_unlock(&vl->mu);
    return SKV_OK;
}

int skv__db_vlog_seal(skv_db *db) {
    SkvDbVlog *vl = db->vlog;
    int rc = skv__vlog_writer_seal(vl->w);
    if (rc) return rc;
    skv__mutex_lock(&vl->mu);
    dbv_file_sealed(vl);
    skv__mutex_unlock(&vl->mu);
    return SKV_OK;
}

void skv__db_vlog_add_file(skv_db *db, uint64_t number, uint64_t size) {
    skv__mutex_lock(&db->vlog->mu);
    (void)dbv_file_add(db->vlog, number, size);
    skv__mutex_unlock(&db->vlog->mu);
}

/* ---- reading ---- */

static void dbv_close_file(void *value, size_t charge) {
    (void)charge;
    skv__vlog_file_close(value);
}

static int dbv_file_get(skv_db *db, uint64_t number, SkvVlogFile **f, SkvCacheHandle **h) {
    SkvCache *c = db->vlog->readers;
    if ((*h = skv__cache_lookup(c, number, 0))) {
        *f = skv__cache_value(*h);
        return SKV_OK;
    }
    char *path = skv__vlog_path(db->path, number);
    if (!path) return SKV_ENOMEM;
    int rc = skv__vlog_file_open(db->env, path, number, f);
    free(path);
    if (rc) return rc;
    *h = skv__cache_insert(c, number, 0, *f, 1, dbv_close_file);
    return *h ? SKV_OK : SKV_ENOMEM;
}

int skv__db_vlog_read(skv_db *db, SkvMemEntry *e, int verify, SkvVlogBuf *buf) {
    if (!e->vptr) return SKV_OK;
    SkvVlogPtr p;
    int rc = skv__vlog_ptr_decode(e->val, e->vlen, &p);
    if (rc) return rc;
    SkvVlogFile *f;
    SkvCacheHandle *h;
    const uint8_t *val;
    if ((rc = dbv_file_get(db, p.file, &f, &h))) return rc;
    rc = skv__vlog_read(f, &p, e->key, e->klen, verify, buf, &val);
    skv__cache_release(db->vlog->readers, h);
    if (rc) return rc;
    e->val = val;
    e->vlen = p.vlen;
    e->vptr = 0;
    return SKV_OK;
}

int skv__db_vlog_resolve(skv_db *db, SkvMemEntry *e, SkvVlogBuf *buf) {
    return skv__db_vlog_read(db, e, db->opt.vlog_checksum_verification, buf);
}

/* ---- properties ---- */

typedef struct {
    uint64_t files, bytes, live;
} DbvTotals;

static int dbv_totals(skv_db *db, DbvTotals *t) {
    SkvDbVlog *vl = db->vlog;
    SkvVersion *v = skv__vset_current(db->vset);
    skv__mutex_lock(&vl->mu);
    uint64_t *live = skv__db_vlog_live_bytes(vl, v);
    memset(t, 0, sizeof *t);
    for (size_t i = 0; live && i < vl->nfiles; i++) {
        t->files++;
        t->bytes += vl->files[i].size;
        t->live += live[i];
    }
    skv__mutex_unlock(&vl->mu);
    skv__version_unref(v);
    free(live);
    return live ? SKV_OK : SKV_ENOMEM;
}

int skv__db_vlog_property(skv_db *db, const char *name, uint64_t *out) {
    DbvTotals t;
    int rc;
    if (strcmp(name, "vlog-gc-runs") == 0) {
        skv__mutex_lock(&db->vlog->mu);
        *out = db->vlog->gc_runs;
        skv__mutex_unlock(&db->vlog->mu);
        return SKV_OK;
    }
    if (strcmp(name, "vlog-files") && strcmp(name, "vlog-bytes") && strcmp(name, "vlog-live-bytes"))
        return SKV_NOTFOUND;
    if ((rc = dbv_totals(db, &t))) return rc;
    *out = name[5] == 'f' ? t.files : name[5] == 'b' ? t.bytes : t.live;
    return SKV_OK;
}

char *skv__db_vlog_stats(skv_db *db) {
    DbvTotals t;
    if (dbv_totals(db, &t)) return NULL;
    SkvDbVlog *vl = db->vlog;
    skv__mutex_lock(&vl->mu);
    uint64_t sep = vl->separated, sepb = vl->separated_bytes, runs = vl->gc_runs,
             vals = vl->gc_values, gcb = vl->gc_bytes, del = vl->files_deleted;
    skv__mutex_unlock(&vl->mu);
    char *s = malloc(512);
    if (s)
        snprintf(s, 512,
                 "value log: %" PRIu64 " files, %" PRIu64 " bytes, %" PRIu64
                 " live bytes\nvalue log writes: %" PRIu64 " values (%" PRIu64
                 " bytes) separated at flush\nvalue log gc: %" PRIu64 " runs, %" PRIu64
                 " values (%" PRIu64 " bytes) rewritten, %" PRIu64 " files deleted\n",
                 t.files, t.bytes, t.live, sep, sepb, runs, vals, gcb, del);
    return s;
}
