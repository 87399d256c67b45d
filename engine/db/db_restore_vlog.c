/*
 * db_restore_vlog.c — what skv_restore does with a checkpoint's value log. The checkpoint's
 * value-log numbers may be in use here (a checkpoint of another database, or of this one whose
 * writer's file grew since), so nothing is taken over under its own number:
 *
 * - each value-log file the checkpoint's tables reference is staged under a fresh number of
 *   this database: copied (a link cannot do: the file header names the number) with the
 *   header rewritten for the new number, and checked whole on the way — every record's header,
 *   key and value checksum. The copy ends at the first record that is not intact: a torn tail
 *   of a crash long ago is dropped; a record some table still needs past that point makes the
 *   restore fail below, before anything changed;
 * - each checkpoint table with references is written anew under a fresh number, entry by
 *   entry, its pointers translated to the staged numbers (offsets stay: the header has the
 *   same size) after the record each names was read and checked in the checkpoint's file
 *   (record checksum, value checksum, key, length) and found inside the staged copy. The new
 *   table's properties list the new references. Tables without references are linked as
 *   before (db_restore.c).
 *
 * Every staged file is fsynced; the caller fsyncs the directory before the switching edit.
 * Until that edit is durable the staged files are orphans that the next open deletes, so a
 * crash leaves the old database; after it, the old value-log files are the orphans.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db_vlog.h"

/* The staged entry of checkpoint file `from`, or NULL. */
static SkvRstVlogFile *rv_find(SkvRstVlog *rv, uint64_t from) {
    size_t lo = 0, hi = rv->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rv->f[mid].from < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rv->n && rv->f[lo].from == from ? &rv->f[lo] : NULL;
}

int skv__rst_vlog_collect(SkvRstVlog *rv, const SkvVlogRef *r, size_t n) {
    SkvVlogRefs refs = {.r = NULL, .n = 0, .cap = 0};
    int rc = SKV_OK;
    for (size_t i = 0; i < rv->n; i++)
        if ((rc = skv__vlog_refs_add(&refs, rv->f[i].from, 0))) break;
    for (size_t i = 0; !rc && i < n; i++) rc = skv__vlog_refs_add(&refs, r[i].file, 0);
    if (rc) {
        skv__vlog_refs_free(&refs);
        return rc;
    }
    SkvRstVlogFile *f = realloc(rv->f, (refs.n ? refs.n : 1) * sizeof *f);
    if (!f) {
        skv__vlog_refs_free(&refs);
        return skv__err(SKV_ENOMEM, "skv_restore: out of memory");
    }
    /* the old entries are a sorted subset of the new list and not staged yet */
    for (size_t i = 0; i < refs.n; i++) f[i] = (SkvRstVlogFile){.from = refs.r[i].file};
    rv->f = f;
    rv->n = refs.n;
    skv__vlog_refs_free(&refs);
    return SKV_OK;
}

/* Checks one record of the checkpoint's file (rec: its bytes, header first). */
static int rv_record_intact(const uint8_t *rec, uint32_t klen, uint32_t vlen) {
    return skv__get_u32(rec) == skv__checksum(rec + 4, 12 + (size_t)klen) &&
           skv__get_u32(rec + 4) == skv__checksum(rec + SKV_VLOG_RECORD_HEADER + klen, vlen);
}

/* Copies the intact records of src_path (after its header) into out; *end: where they end. */
static int rv_copy_records(SkvEnv *env, SkvFile *in, SkvFile *out, const char *src_path,
                           uint64_t size, uint64_t *end) {
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t off = SKV_VLOG_FILE_HEADER;
    int rc = SKV_OK;
    while (!rc && size - off >= SKV_VLOG_RECORD_HEADER) {
        uint8_t h[SKV_VLOG_RECORD_HEADER];
        size_t got = 0;
        if ((rc = env->read_at(in, off, h, sizeof h, &got))) break;
        uint32_t klen = skv__get_u32(h + 8), vlen = skv__get_u32(h + 12);
        uint64_t n64 = skv__vlog_record_size(klen, vlen);
        if (got < sizeof h || vlen > SKV_MAX_VALUE_SIZE || n64 > size - off) break; /* torn */
        size_t n = (size_t)n64;
        if (n > cap) {
            uint8_t *b = realloc(buf, n);
            if (!b) {
                rc = skv__err(SKV_ENOMEM, "skv_restore: out of memory copying %s", src_path);
                break;
            }
            buf = b;
            cap = n;
        }
        if ((rc = env->read_at(in, off, buf, n, &got))) break;
        if (got < n || !rv_record_intact(buf, klen, vlen)) break;
        if ((rc = env->append(out, buf, n))) break;
        off += n64;
    }
    free(buf);
    *end = off;
    return rc;
}

/* Stages checkpoint file f->from of src as f->to: the header for the new number, then the
 * intact records; fsynced. */
static int rv_stage_file(skv_db *db, const char *src, SkvRstVlogFile *f) {
    SkvEnv *env = db->env;
    char *from = skv__vlog_path(src, f->from), *to = skv__vlog_path(db->path, f->to);
    SkvVlogFile *check = NULL;
    SkvFile *in = NULL, *out = NULL;
    uint64_t size = 0;
    int rc = from && to ? SKV_OK : skv__err(SKV_ENOMEM, "skv_restore: out of memory");
    /* the checkpoint's header: magic, version, checksum and its own number */
    if (!rc && (rc = skv__vlog_file_open(env, from, f->from, &check))) {
        char msg[480];
        snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
        rc = skv__err(rc, "skv_restore: %s", msg);
    }
    skv__vlog_file_close(check);
    if (!rc) rc = env->open(env, from, SKV_ENV_READ, &in);
    if (!rc) rc = env->size(in, &size);
    if (!rc) rc = env->open(env, to, SKV_ENV_TRUNCATE, &out);
    if (!rc) {
        uint8_t h[SKV_VLOG_FILE_HEADER];
        skv__put_u64(h, SKV_VLOG_MAGIC);
        skv__put_u64(h + 8, f->to);
        skv__put_u32(h + 16, SKV_VLOG_VERSION);
        skv__put_u32(h + 20, skv__checksum(h, 20));
        rc = env->append(out, h, sizeof h);
    }
    if (!rc) rc = rv_copy_records(env, in, out, from, size, &f->size);
    if (!rc) rc = env->sync(out);
    if (in) env->close(in);
    if (out) {
        int crc = env->close(out);
        if (!rc) rc = crc;
    }
    free(from);
    free(to);
    return rc;
}

int skv__rst_vlog_stage(skv_db *db, const char *src, SkvRstVlog *rv) {
    int rc = SKV_OK;
    if (rv->n && !(rv->src = calloc(rv->n, sizeof *rv->src)))
        return skv__err(SKV_ENOMEM, "skv_restore: out of memory");
    for (size_t i = 0; !rc && i < rv->n; i++) {
        rv->f[i].to = skv__vset_new_file_number(db->vset);
        rv->nstaged = i + 1;
        rc = rv_stage_file(db, src, &rv->f[i]);
    }
    return rc;
}

void skv__rst_vlog_free(skv_db *db, SkvRstVlog *rv, int remove_files) {
    for (size_t i = 0; i < rv->nstaged; i++) {
        char *p = remove_files ? skv__vlog_path(db->path, rv->f[i].to) : NULL;
        if (p) db->env->remove(db->env, p);
        free(p);
    }
    for (size_t i = 0; rv->src && i < rv->n; i++) skv__vlog_file_close(rv->src[i]);
    free(rv->src);
    free(rv->f);
    skv__vlog_buf_free(&rv->buf);
    memset(rv, 0, sizeof *rv);
}

void skv__rst_vlog_publish(skv_db *db, const SkvRstVlog *rv) {
    for (size_t i = 0; i < rv->nstaged; i++) skv__db_vlog_add_file(db, rv->f[i].to, rv->f[i].size);
}

/* The entry's pointer, checked against the checkpoint's file and turned into one into the
 * staged copy (enc, *n). */
static int rv_translate(SkvRstVlog *rv, const char *src, const SkvSstEntry *e, uint8_t *enc,
                        size_t *n) {
    SkvVlogPtr p;
    int rc = skv__vlog_ptr_decode(e->val, e->vlen, &p);
    SkvRstVlogFile *f = rc ? NULL : rv_find(rv, p.file);
    if (!rc && !f)
        return skv__err(SKV_ECORRUPT,
                        "value-log file %020" PRIu64 " is not among the table's references",
                        p.file);
    if (rc) return rc;
    size_t k = (size_t)(f - rv->f);
    if (!rv->src[k]) {
        char *path = skv__vlog_path(src, f->from);
        rc = path ? skv__vlog_file_open(rv->env, path, f->from, &rv->src[k]) : SKV_ENOMEM;
        free(path);
        if (rc) return rc;
    }
    const uint8_t *val;
    if ((rc = skv__vlog_read(rv->src[k], &p, e->key, e->klen, 1, &rv->buf, &val))) return rc;
    uint64_t end = p.offset + skv__vlog_record_size(e->klen, p.vlen);
    if (end > f->size)
        return skv__err(SKV_ECORRUPT,
                        "value-log file %020" PRIu64 ": record at offset %" PRIu64
                        " lies after a damaged record (the intact records end at %" PRIu64 ")",
                        f->from, p.offset, f->size);
    p.file = f->to;
    *n = skv__vlog_ptr_encode(enc, &p);
    return SKV_OK;
}

int skv__rst_vlog_table(skv_db *db, SkvRstVlog *rv, const char *src, const char *table_path,
                        SkvSstReader *r, int level, uint64_t number, SkvSstProps *props) {
    SkvSstOptions o;
    skv__db_sst_options(db, level, &o);
    char *path = skv__db_table_path(db, number);
    SkvSstBuilder *b = NULL;
    SkvSstIter *it = NULL;
    rv->env = db->env;
    if (!path) return skv__err(SKV_ENOMEM, "skv_restore: out of memory");
    int rc = skv__sst_builder_new(db->env, path, &o, &b);
    free(path);
    if (!rc) rc = skv__sst_iter_new(r, &it);
    if (!rc) skv__sst_iter_first(it);
    for (; !rc && skv__sst_iter_valid(it); skv__sst_iter_next(it)) {
        SkvSstEntry e;
        skv__sst_iter_entry(it, &e);
        if (!e.vptr) {
            rc = skv__sst_builder_add(b, e.key, e.klen, e.seq, e.kind, e.ts, e.val, e.vlen);
            continue;
        }
        uint8_t enc[SKV_VLOG_PTR_MAX];
        size_t n = 0;
        if ((rc = rv_translate(rv, src, &e, enc, &n))) {
            char msg[400], key[160];
            snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
            skv__key_printable(key, sizeof key, e.key, e.klen);
            rc = skv__err(rc, "skv_restore: table %s: key '%s': %s", table_path, key, msg);
            break;
        }
        rc =
            skv__sst_builder_add(b, e.key, e.klen, e.seq, e.kind | SKV_KIND_VLOG_BIT, e.ts, enc, n);
    }
    if (!rc && it) rc = skv__sst_iter_status(it);
    skv__sst_iter_free(it);
    if (rc) {
        if (b) skv__sst_builder_abandon(b);
        return rc;
    }
    return skv__sst_builder_finish(b, props);
}
