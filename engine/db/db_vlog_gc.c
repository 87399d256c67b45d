/*
 * db_vlog_gc.c — value-log garbage collection. A file's live bytes are the record bytes the
 * tables of a version reference (each table lists them in its properties); the rest is dead.
 * A compaction marks the files whose dead share of their records passes
 * vlog_gc_discard_ratio and copies every value it meets in a marked file to the value log
 * anew, so the marked file's live bytes drop to zero; when nothing else is due, a table of a
 * level >= 1 that points into a marked file is rewritten in place for that purpose alone.
 * Files that no table of any live view references are deleted (orphans of a crash at open).
 */
#include <stdlib.h>

#include "db/db_vlog.h"

/* 1 when the file's dead bytes pass the ratio (and it still holds live ones). */
static int gc_over_ratio(const skv_db *db, const SkvDbVlogFile *f, uint64_t live) {
    if (f->damaged || live == 0 || f->size <= SKV_VLOG_FILE_HEADER) return 0;
    uint64_t payload = f->size - SKV_VLOG_FILE_HEADER;
    uint64_t dead = live >= payload ? 0 : payload - live;
    return (double)dead > db->opt.vlog_gc_discard_ratio * (double)payload;
}

static int gc_is_marked(const SkvDbVlog *vl, uint64_t file) {
    size_t lo = 0, hi = vl->nmarked;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vl->marked[mid] < file)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < vl->nmarked && vl->marked[lo] == file;
}

int skv__db_vlog_gc_begin(skv_db *db, const SkvVersion *v) {
    SkvDbVlog *vl = db->vlog;
    vl->nmarked = 0;
    vl->job_values = 0;
    skv__mutex_lock(&vl->mu);
    uint64_t *live = skv__db_vlog_live_bytes(vl, v);
    int rc = live ? SKV_OK : SKV_ENOMEM;
    if (!rc && vl->mcap < vl->nfiles) {
        uint64_t *m = realloc(vl->marked, vl->nfiles * sizeof *m);
        if (m) {
            vl->marked = m;
            vl->mcap = vl->nfiles;
        } else
            rc = SKV_ENOMEM;
    }
    for (size_t i = 0; !rc && i < vl->nfiles; i++)
        if (gc_over_ratio(db, &vl->files[i], live[i]))
            vl->marked[vl->nmarked++] = vl->files[i].number;
    skv__mutex_unlock(&vl->mu);
    free(live);
    /* values copied out of the writer's own file must go to another one */
    uint64_t open = skv__vlog_writer_file(vl->w);
    if (!rc && open && gc_is_marked(vl, open)) rc = skv__db_vlog_seal(db);
    return rc;
}

int skv__db_vlog_gc_pick(skv_db *db, const SkvVersion *v, const SkvFileMeta **f) {
    SkvDbVlog *vl = db->vlog;
    int level = -1;
    uint64_t best = 0;
    if (!vl->nmarked) return -1;
    skv__mutex_lock(&vl->mu);
    for (int l = 1; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++) {
            const SkvDbVlogTable *t = skv__db_vlog_table(vl, v->files[l][i]->number);
            uint64_t bytes = 0;
            for (size_t j = 0; t && j < t->n; j++)
                if (gc_is_marked(vl, t->r[j].file)) bytes += t->r[j].bytes;
            if (bytes > best) {
                best = bytes;
                level = l;
                *f = v->files[l][i];
            }
        }
    skv__mutex_unlock(&vl->mu);
    return level;
}

/* Marks a file damaged so that no later compaction tries to rewrite it again. */
static void gc_mark_damaged(SkvDbVlog *vl, uint64_t file) {
    skv__mutex_lock(&vl->mu);
    for (size_t i = 0; i < vl->nfiles; i++)
        if (vl->files[i].number == file) vl->files[i].damaged = 1;
    skv__mutex_unlock(&vl->mu);
}

int skv__db_vlog_compact_add(skv_db *db, SkvSstBuilder *b, const SkvSstEntry *e) {
    SkvDbVlog *vl = db->vlog;
    if (!e->vptr)
        return skv__sst_builder_add(b, e->key, e->klen, e->seq, e->kind, e->ts, e->val, e->vlen);
    int kind = e->kind | SKV_KIND_VLOG_BIT;
    SkvVlogPtr p;
    int rc = skv__vlog_ptr_decode(e->val, e->vlen, &p);
    if (rc) return rc;
    if (!gc_is_marked(vl, p.file))
        return skv__sst_builder_add(b, e->key, e->klen, e->seq, kind, e->ts, e->val, e->vlen);
    /* always checked: a damaged value must not be copied under a fresh checksum */
    SkvMemEntry v = *e;
    rc = skv__db_vlog_read(db, &v, 1, &vl->gcbuf);
    if (rc == SKV_ECORRUPT) { /* keep the pointer: that key reads as damaged, nothing else */
        gc_mark_damaged(vl, p.file);
        return skv__sst_builder_add(b, e->key, e->klen, e->seq, kind, e->ts, e->val, e->vlen);
    }
    SkvVlogPtr np;
    if (rc || (rc = skv__db_vlog_append(db, e->key, e->klen, v.val, v.vlen, &np))) return rc;
    uint8_t enc[SKV_VLOG_PTR_MAX];
    size_t n = skv__vlog_ptr_encode(enc, &np);
    if ((rc = skv__sst_builder_add(b, e->key, e->klen, e->seq, kind, e->ts, enc, n))) return rc;
    vl->job_values++;
    skv__mutex_lock(&vl->mu);
    vl->gc_values++;
    vl->gc_bytes += skv__vlog_record_size(e->klen, v.vlen);
    skv__mutex_unlock(&vl->mu);
    return SKV_OK;
}

void skv__db_vlog_gc_end(skv_db *db, int rc) {
    SkvDbVlog *vl = db->vlog;
    if (!rc && vl->job_values) {
        skv__mutex_lock(&vl->mu);
        vl->gc_runs++;
        skv__mutex_unlock(&vl->mu);
    }
    vl->nmarked = 0;
    vl->job_values = 0;
}

static int gc_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int skv__db_vlog_live_files(skv_db *db, uint64_t **live, size_t *nlive) {
    SkvDbVlog *vl = db->vlog;
    SkvVlogRefs files = {0};
    int rc = SKV_OK;
    skv__mutex_lock(&vl->mu);
    for (size_t i = 0; !rc && i < *nlive; i++) {
        const SkvDbVlogTable *t = skv__db_vlog_table(vl, (*live)[i]);
        for (size_t j = 0; !rc && t && j < t->n; j++)
            rc = skv__vlog_refs_add(&files, t->r[j].file, 0);
    }
    skv__mutex_unlock(&vl->mu);
    uint64_t *all = rc ? NULL : realloc(*live, (*nlive + files.n + 1) * sizeof *all);
    if (!rc && !all) rc = skv__err(SKV_ENOMEM, "out of memory listing value-log files");
    if (!rc) {
        for (size_t i = 0; i < files.n; i++) all[*nlive + i] = files.r[i].file;
        *live = all;
        *nlive += files.n;
        qsort(all, *nlive, sizeof *all, gc_cmp_u64);
    }
    skv__vlog_refs_free(&files);
    return rc;
}

void skv__db_vlog_delete_obsolete(skv_db *db, const uint64_t *live, size_t nlive) {
    SkvDbVlog *vl = db->vlog;
    skv__mutex_lock(&vl->mu);
    size_t nfiles = vl->nfiles, ndead = 0;
    uint8_t *used = calloc(nfiles ? nfiles : 1, 1);
    uint64_t *dead = malloc((nfiles ? nfiles : 1) * sizeof *dead);
    if (used && dead) {
        for (size_t i = 0; i < nlive; i++) {
            const SkvDbVlogTable *t = skv__db_vlog_table(vl, live[i]);
            for (size_t j = 0; t && j < t->n; j++) {
                size_t k = skv__db_vlog_find_file(vl, t->r[j].file);
                if (k < nfiles) used[k] = 1;
            }
        }
        for (size_t i = 0; i < nfiles; i++)
            if (!used[i]) dead[ndead++] = vl->files[i].number;
    }
    skv__mutex_unlock(&vl->mu);
    for (size_t i = 0; i < ndead; i++) {
        /* the writer's file, once nothing points into it, is closed before it goes */
        if (skv__vlog_writer_file(vl->w) == dead[i] && skv__db_vlog_seal(db)) continue;
        char *path = skv__vlog_path(db->path, dead[i]);
        if (path && db->env->remove(db->env, path) == SKV_OK) {
            skv__cache_erase_file(vl->readers, dead[i]);
            skv__mutex_lock(&vl->mu);
            size_t k = skv__db_vlog_find_file(vl, dead[i]);
            if (k < vl->nfiles) {
                memmove(vl->files + k, vl->files + k + 1, (vl->nfiles - k - 1) * sizeof *vl->files);
                vl->nfiles--;
            }
            vl->files_deleted++;
            skv__mutex_unlock(&vl->mu);
        }
        free(path);
    }
    free(used);
    free(dead);
}
