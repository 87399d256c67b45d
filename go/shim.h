/*
 * shim.h — the C side of the Go package: small wrappers that make each skv call and, in the
 * same cgo call, copy the thread-local skv_errmsg() of a failure (so no goroutine needs to be
 * locked to its thread), returning everything by value (so no Go pointer is stored in C).
 */
#ifndef SKV_GO_SHIM_H
#define SKV_GO_SHIM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skv.h"

/* The result of a call: its code and, after a failure, a malloc'ed copy of skv_errmsg()
 * (NULL when the message is empty). */
typedef struct {
    int rc;
    char *msg;
} gskv_rc;

/* The result of a call that returns a view (a value, a key, a property, a batch). */
typedef struct {
    int rc;
    char *msg;
    const void *p;
    size_t n;
    size_t count;
} gskv_view;

static inline char *gskv_msg(int rc) {
    if (rc >= 0) return NULL;
    const char *m = skv_errmsg();
    return *m ? strdup(m) : NULL;
}

static inline gskv_rc gskv_result(int rc) {
    gskv_rc r = {rc, gskv_msg(rc)};
    return r;
}

/* A non-NULL pointer for empty byte strings (a NULL bound means "unbounded"). */
static const char gskv_empty[1];

static inline const void *gskv_ptr(const void *p) { return p ? p : gskv_empty; }

/* ---- options and database ---- */

static inline gskv_rc gskv_options_new(skv_options **out) {
    return gskv_result(skv_options_new(out));
}

static inline gskv_rc gskv_options_set(skv_options *o, const char *name, const char *value) {
    return gskv_result(skv_options_set(o, name, value));
}

static inline gskv_rc gskv_open(const char *path, const skv_options *o, skv_db **out) {
    return gskv_result(skv_open(path, o, out));
}

static inline gskv_rc gskv_close(skv_db *db) { return gskv_result(skv_close(db)); }
static inline gskv_rc gskv_flush(skv_db *db) { return gskv_result(skv_flush(db)); }
static inline gskv_rc gskv_compact(skv_db *db) { return gskv_result(skv_compact(db)); }
static inline gskv_rc gskv_sync(skv_db *db) { return gskv_result(skv_sync(db)); }

/* The property text is copied into a view the caller frees with skv_free. */
static inline gskv_view gskv_property(skv_db *db, const char *name) {
    gskv_view r = {0};
    char *v = NULL;
    r.rc = skv_property(db, name, &v);
    r.msg = gskv_msg(r.rc);
    r.p = v;
    r.n = v ? strlen(v) : 0;
    return r;
}

/* ---- transactions ---- */

static inline gskv_rc gskv_txn_begin(skv_db *db, int mode, skv_txn **out) {
    return gskv_result(skv_txn_begin(db, mode, out));
}

static inline gskv_rc gskv_txn_set_durability(skv_txn *t, int d) {
    return gskv_result(skv_txn_set_durability(t, d));
}

/* SKV_NOTFOUND is an answer, not a failure: no message is copied for it. */
static inline gskv_view gskv_txn_get(skv_txn *t, const void *k, size_t kl) {
    gskv_view r = {0};
    r.rc = skv_txn_get(t, gskv_ptr(k), kl, &r.p, &r.n);
    if (r.rc != SKV_NOTFOUND) r.msg = gskv_msg(r.rc);
    return r;
}

static inline gskv_rc gskv_txn_set(skv_txn *t, const void *k, size_t kl, const void *v, size_t vl) {
    return gskv_result(skv_txn_set(t, gskv_ptr(k), kl, gskv_ptr(v), vl));
}

static inline gskv_rc gskv_txn_set_at(skv_txn *t, const void *k, size_t kl, const void *v,
                                      size_t vl, uint64_t ts) {
    return gskv_result(skv_txn_set_at(t, gskv_ptr(k), kl, gskv_ptr(v), vl, ts));
}

static inline gskv_rc gskv_txn_delete(skv_txn *t, const void *k, size_t kl) {
    return gskv_result(skv_txn_delete(t, gskv_ptr(k), kl));
}

static inline gskv_rc gskv_txn_soft_delete(skv_txn *t, const void *k, size_t kl) {
    return gskv_result(skv_txn_soft_delete(t, gskv_ptr(k), kl));
}

static inline gskv_rc gskv_txn_replace(skv_txn *t, const void *k, size_t kl, const void *v,
                                       size_t vl) {
    return gskv_result(skv_txn_replace(t, gskv_ptr(k), kl, gskv_ptr(v), vl));
}

static inline gskv_rc gskv_txn_savepoint(skv_txn *t) { return gskv_result(skv_txn_savepoint(t)); }

static inline gskv_rc gskv_txn_rollback_to_savepoint(skv_txn *t) {
    return gskv_result(skv_txn_rollback_to_savepoint(t));
}

/* Commit, then free: a commit ends the transaction whatever it returns. */
static inline gskv_rc gskv_txn_commit_free(skv_txn *t) {
    gskv_rc r = gskv_result(skv_txn_commit(t));
    skv_txn_free(t);
    return r;
}

/* Rollback, then free. */
static inline gskv_rc gskv_txn_rollback_free(skv_txn *t) {
    gskv_rc r = gskv_result(skv_txn_rollback(t));
    skv_txn_free(t);
    return r;
}

/* Defined in callbacks.c: calls the Go side with the handle's number. */
void gskv_commit_done(void *handle, int status);

/* Submits an asynchronous commit, then frees the handle (the commit owns what it needs).
 * handle is a cgo.Handle number: no Go pointer reaches C. */
static inline gskv_rc gskv_txn_commit_async_free(skv_txn *t, uintptr_t handle) {
    gskv_rc r = gskv_result(skv_txn_commit_async(t, gskv_commit_done, (void *)handle));
    skv_txn_free(t);
    return r;
}

/* ---- iterators ---- */

static inline gskv_rc gskv_iter_open(skv_txn *t, const void *lo, size_t lolen, int has_lo,
                                     const void *hi, size_t hilen, int has_hi, unsigned flags,
                                     skv_iter **out) {
    return gskv_result(skv_iter_open(t, has_lo ? gskv_ptr(lo) : NULL, lolen,
                                     has_hi ? gskv_ptr(hi) : NULL, hilen, flags, out));
}

enum { GSKV_FIRST, GSKV_LAST, GSKV_NEXT, GSKV_PREV };

/* One move; SKV_NOTFOUND (no entry there) copies no message. */
static inline gskv_rc gskv_iter_move(skv_iter *it, int which) {
    int rc;
    switch (which) {
    case GSKV_FIRST: rc = skv_iter_first(it); break;
    case GSKV_LAST: rc = skv_iter_last(it); break;
    case GSKV_NEXT: rc = skv_iter_next(it); break;
    default: rc = skv_iter_prev(it); break;
    }
    gskv_rc r = {rc, rc == SKV_NOTFOUND ? NULL : gskv_msg(rc)};
    return r;
}

static inline gskv_rc gskv_iter_seek(skv_iter *it, const void *k, size_t kl) {
    int rc = skv_iter_seek(it, gskv_ptr(k), kl);
    gskv_rc r = {rc, rc == SKV_NOTFOUND ? NULL : gskv_msg(rc)};
    return r;
}

static inline gskv_view gskv_iter_key(skv_iter *it) {
    gskv_view r = {0};
    r.rc = skv_iter_key(it, &r.p, &r.n);
    if (r.rc != SKV_NOTFOUND) r.msg = gskv_msg(r.rc);
    return r;
}

static inline gskv_view gskv_iter_value(skv_iter *it) {
    gskv_view r = {0};
    r.rc = skv_iter_value(it, &r.p, &r.n);
    if (r.rc != SKV_NOTFOUND) r.msg = gskv_msg(r.rc);
    return r;
}

static inline gskv_view gskv_iter_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes) {
    gskv_view r = {0};
    r.rc = skv_iter_read_batch(it, max_entries, max_bytes, &r.p, &r.n, &r.count);
    if (r.rc != SKV_NOTFOUND) r.msg = gskv_msg(r.rc);
    return r;
}

/* Defined in callbacks.c: passes one scanned entry to the Go side. */
int gskv_scan_entry(void *handle, const void *k, size_t kl, const void *v, size_t vl);

static inline gskv_rc gskv_txn_scan(skv_txn *t, const void *lo, size_t lolen, int has_lo,
                                    const void *hi, size_t hilen, int has_hi, unsigned flags,
                                    size_t limit, uintptr_t handle) {
    return gskv_result(skv_txn_scan(t, has_lo ? gskv_ptr(lo) : NULL, lolen,
                                    has_hi ? gskv_ptr(hi) : NULL, hilen, flags, limit,
                                    gskv_scan_entry, (void *)handle));
}

/* ---- checkpoints, restore and the integrity check ---- */

static inline gskv_rc gskv_checkpoint(skv_db *db, const char *dir) {
    return gskv_result(skv_checkpoint(db, dir));
}

static inline gskv_rc gskv_restore(skv_db *db, const char *dir) {
    return gskv_result(skv_restore(db, dir));
}

/* The report (free with skv_free) is set whenever the check ran, also when it found damage. */
static inline gskv_view gskv_check(skv_db *db) {
    gskv_view r = {0};
    char *report = NULL;
    r.rc = skv_check(db, &report);
    r.msg = gskv_msg(r.rc);
    r.p = report;
    r.n = report ? strlen(report) : 0;
    return r;
}

static inline gskv_view gskv_check_dir(const char *path, const skv_options *o) {
    gskv_view r = {0};
    char *report = NULL;
    r.rc = skv_check_dir(path, o, &report);
    r.msg = gskv_msg(r.rc);
    r.p = report;
    r.n = report ? strlen(report) : 0;
    return r;
}

/* ---- time travel ---- */

static inline gskv_view gskv_txn_get_at(skv_txn *t, const void *k, size_t kl, uint64_t ts) {
    gskv_view r = {0};
    r.rc = skv_txn_get_at(t, gskv_ptr(k), kl, ts, &r.p, &r.n);
    if (r.rc != SKV_NOTFOUND) r.msg = gskv_msg(r.rc);
    return r;
}

static inline gskv_rc gskv_txn_history(skv_txn *t, const void *lo, size_t lolen, int has_lo,
                                       const void *hi, size_t hilen, int has_hi, uint64_t from,
                                       uint64_t to, unsigned flags, size_t limit, skv_iter **out) {
    return gskv_result(skv_txn_history(t, has_lo ? gskv_ptr(lo) : NULL, lolen,
                                       has_hi ? gskv_ptr(hi) : NULL, hilen, from, to, flags, limit,
                                       out));
}

typedef struct {
    int rc;
    char *msg;
    uint64_t ts;
    int kind;
} gskv_version;

static inline gskv_version gskv_iter_version(skv_iter *it) {
    gskv_version r = {0};
    r.rc = skv_iter_version(it, &r.ts, &r.kind);
    if (r.rc != SKV_NOTFOUND) r.msg = gskv_msg(r.rc);
    return r;
}

/* One step of a history walk: a move, then the version's key, value, timestamp and kind (the
 * views of one entry, read together). */
typedef struct {
    int rc;
    char *msg;
    const void *k, *v;
    size_t kl, vl;
    uint64_t ts;
    int kind;
} gskv_history_entry;

static inline gskv_history_entry gskv_history_step(skv_iter *it, int which) {
    gskv_history_entry r = {0};
    gskv_rc m = gskv_iter_move(it, which);
    r.rc = m.rc;
    r.msg = m.msg;
    if (r.rc != SKV_OK) return r;
    if ((r.rc = skv_iter_key(it, &r.k, &r.kl)) == SKV_OK &&
        (r.rc = skv_iter_value(it, &r.v, &r.vl)) == SKV_OK)
        r.rc = skv_iter_version(it, &r.ts, &r.kind);
    r.msg = gskv_msg(r.rc);
    return r;
}

#endif /* SKV_GO_SHIM_H */
