/*
 * bench_leveldb.c — the LevelDB adapter of `skv-bench`, written against leveldb/c.h
 * (Debian's libleveldb). Options: create_if_missing (fresh databases only), compression
 * off, write_buffer_size 64 MiB (skv's memtable size), everything else LevelDB's default.
 * Writes go with the log on, sync=false for eventual, sync=true for fillsync: one put is
 * leveldb_put, several a WriteBatch of their own (put() may run on several threads at once).
 * get() is leveldb_get (the C API copies the value; it is freed at once); scan() and
 * scan_back() use an iterator.
 */
#include "bench.h"

#include <leveldb/c.h>

#include <stdio.h>
#include <stdlib.h>

struct bench_db {
    leveldb_t *db;
    leveldb_options_t *opts;
    leveldb_writeoptions_t *wo_async;
    leveldb_writeoptions_t *wo_sync;
};

struct bench_reader {
    leveldb_t *db;
    leveldb_readoptions_t *ro;
};

static void check(char *err, const char *what) {
    if (err) bench_die("leveldb", "%s: %s", what, err);
}

static void ldb_version(char *buf, size_t size) {
    snprintf(buf, size, "%d.%d", leveldb_major_version(), leveldb_minor_version());
}

static bench_db *ldb_open(const char *dir, int mode) {
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die("leveldb", "out of memory");
    b->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(b->opts, mode == BENCH_CREATE);
    leveldb_options_set_compression(b->opts, leveldb_no_compression);
    leveldb_options_set_write_buffer_size(b->opts, BENCH_WRITE_BUFFER);
    char *err = NULL;
    b->db = leveldb_open(b->opts, dir, &err);
    check(err, "leveldb_open");
    b->wo_async = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(b->wo_async, 0);
    b->wo_sync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(b->wo_sync, 1);
    return b;
}

static void ldb_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    const leveldb_writeoptions_t *wo = sync ? b->wo_sync : b->wo_async;
    char *err = NULL;
    if (n == 1) {
        leveldb_put(b->db, wo, kv[0].key, kv[0].klen, kv[0].val, kv[0].vlen, &err);
        check(err, "leveldb_put");
        return;
    }
    leveldb_writebatch_t *batch = leveldb_writebatch_create();
    for (size_t i = 0; i < n; i++)
        leveldb_writebatch_put(batch, kv[i].key, kv[i].klen, kv[i].val, kv[i].vlen);
    leveldb_write(b->db, wo, batch, &err);
    check(err, "leveldb_write");
    leveldb_writebatch_destroy(batch);
}

static bench_reader *ldb_reader_open(bench_db *b) {
    bench_reader *r = calloc(1, sizeof *r);
    if (!r) bench_die("leveldb", "out of memory");
    r->db = b->db;
    r->ro = leveldb_readoptions_create();
    return r;
}

static int ldb_get(bench_reader *r, const void *key, size_t klen, size_t *vlen) {
    char *err = NULL;
    char *v = leveldb_get(r->db, r->ro, key, klen, vlen, &err);
    check(err, "leveldb_get");
    if (!v) return 0;
    leveldb_free(v);
    return 1;
}

/* Takes up to n entries (0: all) from the iterator's position, forwards or backwards, then
 * checks and frees the iterator. */
static size_t walk(leveldb_iterator_t *it, size_t n, int backwards, size_t *bytes) {
    size_t count = 0;
    while (leveldb_iter_valid(it) && (n == 0 || count < n)) {
        size_t klen, vlen;
        leveldb_iter_key(it, &klen);
        leveldb_iter_value(it, &vlen);
        *bytes += klen + vlen;
        count++;
        if (backwards)
            leveldb_iter_prev(it);
        else
            leveldb_iter_next(it);
    }
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    check(err, "leveldb iterator");
    leveldb_iter_destroy(it);
    return count;
}

static size_t ldb_scan(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes) {
    leveldb_iterator_t *it = leveldb_create_iterator(r->db, r->ro);
    if (from)
        leveldb_iter_seek(it, from, flen);
    else
        leveldb_iter_seek_to_first(it);
    return walk(it, n, 0, bytes);
}

static size_t ldb_scan_back(bench_reader *r, size_t n, size_t *bytes) {
    leveldb_iterator_t *it = leveldb_create_iterator(r->db, r->ro);
    leveldb_iter_seek_to_last(it);
    return walk(it, n, 1, bytes);
}

static void ldb_reader_close(bench_reader *r) {
    leveldb_readoptions_destroy(r->ro);
    free(r);
}

static void ldb_close(bench_db *b) {
    leveldb_writeoptions_destroy(b->wo_sync);
    leveldb_writeoptions_destroy(b->wo_async);
    leveldb_close(b->db);
    leveldb_options_destroy(b->opts);
    free(b);
}

const bench_engine bench_leveldb_engine = {
    .name = "leveldb",
    .settings = "log on, sync=false (sync=true for fillsync); compression off, "
                "write_buffer_size 64 MiB, other options default",
    .version = ldb_version,
    .open = ldb_open,
    .put = ldb_put,
    .reader_open = ldb_reader_open,
    .get = ldb_get,
    .scan = ldb_scan,
    .scan_back = ldb_scan_back,
    .reader_close = ldb_reader_close,
    .close = ldb_close,
};
