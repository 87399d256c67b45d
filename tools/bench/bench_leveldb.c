/*
 * bench_leveldb.c — the LevelDB adapter of `skv-bench`, written against leveldb/c.h
 * (Debian's libleveldb). Options: create_if_missing, compression off, write_buffer_size
 * 64 MiB (skv's memtable size), everything else LevelDB's default. Writes go through one
 * reused WriteBatch with the log on: sync=false for eventual, sync=true for fillsync.
 * get() is leveldb_get (the C API copies the value; it is freed at once); scan() uses an
 * iterator.
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
    leveldb_writebatch_t *batch;
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

static bench_db *ldb_open(const char *dir) {
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die("leveldb", "out of memory");
    b->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(b->opts, 1);
    leveldb_options_set_compression(b->opts, leveldb_no_compression);
    leveldb_options_set_write_buffer_size(b->opts, BENCH_WRITE_BUFFER);
    char *err = NULL;
    b->db = leveldb_open(b->opts, dir, &err);
    check(err, "leveldb_open");
    b->wo_async = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(b->wo_async, 0);
    b->wo_sync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(b->wo_sync, 1);
    b->batch = leveldb_writebatch_create();
    return b;
}

static void ldb_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    leveldb_writebatch_clear(b->batch);
    for (size_t i = 0; i < n; i++)
        leveldb_writebatch_put(b->batch, kv[i].key, kv[i].klen, kv[i].val, kv[i].vlen);
    char *err = NULL;
    leveldb_write(b->db, sync ? b->wo_sync : b->wo_async, b->batch, &err);
    check(err, "leveldb_write");
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

static size_t ldb_scan(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes) {
    leveldb_iterator_t *it = leveldb_create_iterator(r->db, r->ro);
    if (from)
        leveldb_iter_seek(it, from, flen);
    else
        leveldb_iter_seek_to_first(it);
    size_t count = 0;
    for (; leveldb_iter_valid(it) && (n == 0 || count < n); leveldb_iter_next(it)) {
        size_t klen, vlen;
        leveldb_iter_key(it, &klen);
        leveldb_iter_value(it, &vlen);
        *bytes += klen + vlen;
        count++;
    }
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    check(err, "leveldb iterator");
    leveldb_iter_destroy(it);
    return count;
}

static void ldb_reader_close(bench_reader *r) {
    leveldb_readoptions_destroy(r->ro);
    free(r);
}

static void ldb_close(bench_db *b) {
    leveldb_writebatch_destroy(b->batch);
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
    .reader_close = ldb_reader_close,
    .close = ldb_close,
};
