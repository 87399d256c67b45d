/*
 * bench_rocksdb.c — the RocksDB adapter of `skv-bench`, written in C against rocksdb/c.h
 * (Debian's librocksdb). Options: create_if_missing, compression off, write_buffer_size
 * 64 MiB (skv's memtable size), everything else RocksDB's default. Writes go through one
 * reused WriteBatch with the WAL on: sync=false for eventual, sync=true for fillsync.
 * get() uses rocksdb_get_pinned (no value copy); scan() uses an iterator.
 */
#include "bench.h"

#include <rocksdb/c.h>

#include <stdio.h>
#include <stdlib.h>

#ifndef BENCH_ROCKSDB_VERSION
#define BENCH_ROCKSDB_VERSION "unknown"
#endif

struct bench_db {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wo_async;
    rocksdb_writeoptions_t *wo_sync;
    rocksdb_writebatch_t *batch;
};

struct bench_reader {
    rocksdb_t *db;
    rocksdb_readoptions_t *ro;
};

static void check(char *err, const char *what) {
    if (err) bench_die("rocksdb", "%s: %s", what, err);
}

static void rdb_version(char *buf, size_t size) {
    snprintf(buf, size, "%s", BENCH_ROCKSDB_VERSION);
}

static bench_db *rdb_open(const char *dir) {
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die("rocksdb", "out of memory");
    b->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(b->opts, 1);
    rocksdb_options_set_compression(b->opts, rocksdb_no_compression);
    rocksdb_options_set_write_buffer_size(b->opts, BENCH_WRITE_BUFFER);
    char *err = NULL;
    b->db = rocksdb_open(b->opts, dir, &err);
    check(err, "rocksdb_open");
    b->wo_async = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(b->wo_async, 0);
    b->wo_sync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(b->wo_sync, 1);
    b->batch = rocksdb_writebatch_create();
    return b;
}

static void rdb_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    rocksdb_writebatch_clear(b->batch);
    for (size_t i = 0; i < n; i++)
        rocksdb_writebatch_put(b->batch, kv[i].key, kv[i].klen, kv[i].val, kv[i].vlen);
    char *err = NULL;
    rocksdb_write(b->db, sync ? b->wo_sync : b->wo_async, b->batch, &err);
    check(err, "rocksdb_write");
}

static bench_reader *rdb_reader_open(bench_db *b) {
    bench_reader *r = calloc(1, sizeof *r);
    if (!r) bench_die("rocksdb", "out of memory");
    r->db = b->db;
    r->ro = rocksdb_readoptions_create();
    return r;
}

static int rdb_get(bench_reader *r, const void *key, size_t klen, size_t *vlen) {
    char *err = NULL;
    rocksdb_pinnableslice_t *v = rocksdb_get_pinned(r->db, r->ro, key, klen, &err);
    check(err, "rocksdb_get_pinned");
    if (!v) return 0;
    rocksdb_pinnableslice_value(v, vlen);
    rocksdb_pinnableslice_destroy(v);
    return 1;
}

static size_t rdb_scan(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes) {
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
    if (from)
        rocksdb_iter_seek(it, from, flen);
    else
        rocksdb_iter_seek_to_first(it);
    size_t count = 0;
    for (; rocksdb_iter_valid(it) && (n == 0 || count < n); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        rocksdb_iter_key(it, &klen);
        rocksdb_iter_value(it, &vlen);
        *bytes += klen + vlen;
        count++;
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    check(err, "rocksdb iterator");
    rocksdb_iter_destroy(it);
    return count;
}

static void rdb_reader_close(bench_reader *r) {
    rocksdb_readoptions_destroy(r->ro);
    free(r);
}

static void rdb_close(bench_db *b) {
    rocksdb_writebatch_destroy(b->batch);
    rocksdb_writeoptions_destroy(b->wo_sync);
    rocksdb_writeoptions_destroy(b->wo_async);
    rocksdb_close(b->db);
    rocksdb_options_destroy(b->opts);
    free(b);
}

const bench_engine bench_rocksdb_engine = {
    .name = "rocksdb",
    .settings = "WAL on, sync=false (sync=true for fillsync); compression off, "
                "write_buffer_size 64 MiB, other options default",
    .version = rdb_version,
    .open = rdb_open,
    .put = rdb_put,
    .reader_open = rdb_reader_open,
    .get = rdb_get,
    .scan = rdb_scan,
    .reader_close = rdb_reader_close,
    .close = rdb_close,
};
