/*
 * bench_lmdb.c — the LMDB adapter of `skv-bench`, written against lmdb.h (Debian's liblmdb).
 * The environment is opened with MDB_NOSYNC (commits reach the OS, not the disk: the same
 * crash guarantee as skv's eventual durability) and MDB_NOTLS (read transactions are not
 * tied to threads). Every put() is one write transaction of its own, so put() may run on
 * several threads at once: LMDB lets one write transaction run at a time and the others
 * wait in mdb_txn_begin. A put() with sync clears MDB_NOSYNC (and one without sets it back)
 * while it holds that write lock, so no other commit runs while the flag changes; its commit
 * then fsyncs as LMDB does by default. Each reader keeps one read-only transaction that it
 * resets after and renews before every get(), scan() or scan_back(), so each call reads a
 * fresh snapshot. Map size 64 GiB (address space only; the file grows as needed). The same
 * open serves fresh and existing databases.
 */
#include "bench.h"

#include <lmdb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct bench_db {
    MDB_env *env;
    MDB_dbi dbi;
    int nosync; /* MDB_NOSYNC currently set; read and changed under LMDB's write lock */
};

struct bench_reader {
    bench_db *b;
    MDB_txn *txn; /* reset between calls */
};

static void check(int rc, const char *what) {
    if (rc != MDB_SUCCESS) bench_die("lmdb", "%s: %s", what, mdb_strerror(rc));
}

static void lmdb_version(char *buf, size_t size) {
    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    snprintf(buf, size, "%d.%d.%d", major, minor, patch);
}

static bench_db *lmdb_open(const char *dir, int mode) {
    (void)mode; /* mdb_env_open creates the files when missing */
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die("lmdb", "out of memory");
    check(mdb_env_create(&b->env), "mdb_env_create");
    check(mdb_env_set_mapsize(b->env, (size_t)64 << 30), "mdb_env_set_mapsize");
    check(mdb_env_set_maxreaders(b->env, 64), "mdb_env_set_maxreaders");
    check(mdb_env_open(b->env, dir, MDB_NOSYNC | MDB_NOTLS, 0644), "mdb_env_open");
    b->nosync = 1;
    MDB_txn *txn;
    check(mdb_txn_begin(b->env, NULL, 0, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, NULL, 0, &b->dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit");
    return b;
}

static void lmdb_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    MDB_txn *txn;
    check(mdb_txn_begin(b->env, NULL, 0, &txn), "mdb_txn_begin"); /* takes the write lock */
    if (sync == b->nosync) { /* sync wanted and NOSYNC set, or the reverse */
        check(mdb_env_set_flags(b->env, MDB_NOSYNC, sync ? 0 : 1), "mdb_env_set_flags");
        b->nosync = !sync;
    }
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {kv[i].klen, (void *)(uintptr_t)kv[i].key};
        MDB_val v = {kv[i].vlen, (void *)(uintptr_t)kv[i].val};
        check(mdb_put(txn, b->dbi, &k, &v, 0), "mdb_put");
    }
    check(mdb_txn_commit(txn), "mdb_txn_commit");
}

static bench_reader *lmdb_reader_open(bench_db *b) {
    bench_reader *r = calloc(1, sizeof *r);
    if (!r) bench_die("lmdb", "out of memory");
    r->b = b;
    check(mdb_txn_begin(b->env, NULL, MDB_RDONLY, &r->txn), "mdb_txn_begin");
    mdb_txn_reset(r->txn);
    return r;
}

static int lmdb_get(bench_reader *r, const void *key, size_t klen, size_t *vlen) {
    check(mdb_txn_renew(r->txn), "mdb_txn_renew");
    MDB_val k = {klen, (void *)(uintptr_t)key};
    MDB_val v;
    int rc = mdb_get(r->txn, r->b->dbi, &k, &v);
    if (rc != MDB_NOTFOUND) check(rc, "mdb_get");
    mdb_txn_reset(r->txn);
    if (rc == MDB_NOTFOUND) return 0;
    *vlen = v.mv_size;
    return 1;
}

/* Renews the reader's transaction, positions a cursor with `start` (from `from` for
 * MDB_SET_RANGE), takes up to n entries (0: all) moving with `step`, and resets. */
static size_t walk(bench_reader *r, const void *from, size_t flen, MDB_cursor_op start,
                   MDB_cursor_op step, size_t n, size_t *bytes) {
    check(mdb_txn_renew(r->txn), "mdb_txn_renew");
    MDB_cursor *cur;
    check(mdb_cursor_open(r->txn, r->b->dbi, &cur), "mdb_cursor_open");
    MDB_val k = {flen, (void *)(uintptr_t)from};
    MDB_val v;
    int rc = mdb_cursor_get(cur, &k, &v, start);
    size_t count = 0;
    while (rc == MDB_SUCCESS && (n == 0 || count < n)) {
        *bytes += k.mv_size + v.mv_size;
        count++;
        rc = mdb_cursor_get(cur, &k, &v, step);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "mdb_cursor_get");
    mdb_cursor_close(cur);
    mdb_txn_reset(r->txn);
    return count;
}

static size_t lmdb_scan(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes) {
    return walk(r, from, flen, from ? MDB_SET_RANGE : MDB_FIRST, MDB_NEXT, n, bytes);
}

static size_t lmdb_scan_back(bench_reader *r, size_t n, size_t *bytes) {
    return walk(r, NULL, 0, MDB_LAST, MDB_PREV, n, bytes);
}

static void lmdb_reader_close(bench_reader *r) {
    mdb_txn_abort(r->txn);
    free(r);
}

static void lmdb_close(bench_db *b) {
    mdb_dbi_close(b->env, b->dbi);
    mdb_env_close(b->env); /* with MDB_NOSYNC, closing does not flush; nothing is timed here */
    free(b);
}

const bench_engine bench_lmdb_engine = {
    .name = "lmdb",
    .settings = "MDB_NOSYNC (commit reaches the OS, no fsync); default sync (fsync per "
                "commit) for fillsync; MDB_NOTLS, map size 64 GiB",
    .version = lmdb_version,
    .open = lmdb_open,
    .put = lmdb_put,
    .reader_open = lmdb_reader_open,
    .get = lmdb_get,
    .scan = lmdb_scan,
    .scan_back = lmdb_scan_back,
    .reader_close = lmdb_reader_close,
    .close = lmdb_close,
};
