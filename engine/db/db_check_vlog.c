/*
 * db_check_vlog.c — the integrity check of value pointers and value-log files. Every pointer
 * of every table the version names is followed: the value-log file must exist with an intact
 * header, the record must lie inside it, and its header, record checksum, value checksum, key
 * (the table entry's) and value length (the pointer's) must be right; each failure is a
 * problem naming the table, the key (printable prefix), the file and the offset. A file that
 * cannot be opened (missing, bad header) is one problem, naming the first pointer into it and
 * how many there are. The bytes each table's pointers name per file must equal the references
 * its properties record (what collection counts on). Value-log files no live table references
 * are listed as orphans by db_check.c, like tables: collection deletes a dead file at its
 * next run after a flush or compaction, or at the next open, so finding one is harmless.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db_check.h"

typedef struct {
    uint64_t number;
    SkvVlogFile *f;
    int failed;      /* could not be opened: msg says why */
    char msg[400];   /* the open's error */
    uint64_t misses; /* pointers that could not be followed into it */
    char first[400]; /* the first of them: table, key, offset */
} ChkVlogFile;

struct SkvChkVlog {
    const char *table;    /* the table being checked */
    uint64_t problems_at; /* c->problems when it began */
    SkvVlogRefs refs;     /* what its pointers named */
    ChkVlogFile *files;   /* by number */
    size_t n, cap;
    SkvVlogBuf buf;
};

static SkvChkVlog *cv_state(ChkCtx *c) {
    if (!c->vlog && !(c->vlog = calloc(1, sizeof *c->vlog))) c->oom = 1;
    return c->vlog;
}

/* The entry of file `number` (added, unopened, when new); NULL when out of memory. */
static ChkVlogFile *cv_file(ChkCtx *c, SkvChkVlog *v, uint64_t number) {
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->files[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < v->n && v->files[lo].number == number) return &v->files[lo];
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        ChkVlogFile *f = realloc(v->files, cap * sizeof *f);
        if (!f) {
            c->oom = 1;
            return NULL;
        }
        v->files = f;
        v->cap = cap;
    }
    memmove(v->files + lo + 1, v->files + lo, (v->n - lo) * sizeof *v->files);
    memset(&v->files[lo], 0, sizeof v->files[lo]);
    v->files[lo].number = number;
    v->n++;
    return &v->files[lo];
}

/* Opens the file on first use; 0 when it cannot be (f->msg says why). */
static int cv_open(ChkCtx *c, ChkVlogFile *f) {
    if (f->f) return 1;
    if (f->failed) return 0;
    char *path = skv__vlog_path(c->dir, f->number);
    int rc = path ? skv__vlog_file_open(c->env, path, f->number, &f->f) : SKV_ENOMEM;
    free(path);
    if (rc == SKV_ENOMEM) c->oom = 1;
    if (rc) {
        f->failed = rc;
        snprintf(f->msg, sizeof f->msg, "%s", skv__errmsg_get());
    }
    return !rc;
}

void skv__chk_vlog_table_begin(ChkCtx *c, const char *table) {
    SkvChkVlog *v = cv_state(c);
    if (!v) return;
    v->table = table;
    v->problems_at = c->problems;
    v->refs.n = 0;
}

void skv__chk_vlog_pointer(ChkCtx *c, const SkvSstEntry *e) {
    SkvChkVlog *v = cv_state(c);
    if (!v) return;
    char key[160];
    skv__key_printable(key, sizeof key, e->key, e->klen);
    c->pointers++;
    SkvVlogPtr p;
    if (skv__vlog_ptr_decode(e->val, e->vlen, &p)) {
        skv__chk_problem(c, SKV_ECORRUPT, "table %s: key '%s': %s", v->table, key,
                         skv__errmsg_get());
        return;
    }
    if (skv__vlog_refs_add(&v->refs, p.file, skv__vlog_record_size(e->klen, p.vlen))) c->oom = 1;
    ChkVlogFile *f = cv_file(c, v, p.file);
    if (!f) return;
    if (!cv_open(c, f)) {
        if (!f->misses++)
            snprintf(f->first, sizeof f->first, "table %s, key '%s', offset %" PRIu64, v->table,
                     key, p.offset);
        return;
    }
    const uint8_t *val;
    int rc = skv__vlog_read(f->f, &p, e->key, e->klen, 1, &v->buf, &val);
    if (rc == SKV_ENOMEM)
        c->oom = 1;
    else if (rc)
        skv__chk_problem(c, rc, "table %s: key '%s': %s", v->table, key, skv__errmsg_get());
}

void skv__chk_vlog_table_end(ChkCtx *c, const SkvSstProps *props) {
    SkvChkVlog *v = c->vlog;
    if (!v || c->problems != v->problems_at) return; /* a damaged table: reported already */
    int same = v->refs.n == props->nvrefs;
    for (size_t i = 0; same && i < v->refs.n; i++)
        same = v->refs.r[i].file == props->vrefs[i].file &&
               v->refs.r[i].bytes == props->vrefs[i].bytes;
    if (!same)
        skv__chk_problem(c, SKV_ECORRUPT,
                         "table %s: the value-log references in its properties (%zu files) "
                         "disagree with its value pointers (%zu files)",
                         v->table, props->nvrefs, v->refs.n);
}

void skv__chk_vlog_file(ChkCtx *c, const SkvDataFile *d) {
    SkvChkVlog *v = cv_state(c);
    ChkVlogFile *f = v ? cv_file(c, v, d->number) : NULL;
    if (!f) return;
    c->vlog_files++;
    if (!cv_open(c, f)) {
        if (f->misses)
            skv__chk_problem(c, f->failed,
                             "%s: %" PRIu64 " value pointers cannot be read, the first: %s", f->msg,
                             f->misses, f->first);
        else
            skv__chk_problem(c, f->failed, "%s (the tables' properties reference it)", f->msg);
        return;
    }
    char *path = skv__vlog_path(c->dir, d->number);
    SkvFile *file;
    uint64_t size = 0;
    if (path && c->env->open(c->env, path, SKV_ENV_READ, &file) == SKV_OK) {
        c->env->size(file, &size);
        c->env->close(file);
    }
    free(path);
    skv__chk_line(c, "value-log file %s: %" PRIu64 " bytes, %" PRIu64 " referenced", d->name, size,
                  d->live);
}

void skv__chk_vlog_free(ChkCtx *c) {
    SkvChkVlog *v = c->vlog;
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) skv__vlog_file_close(v->files[i].f);
    free(v->files);
    skv__vlog_refs_free(&v->refs);
    skv__vlog_buf_free(&v->buf);
    free(v);
    c->vlog = NULL;
}
