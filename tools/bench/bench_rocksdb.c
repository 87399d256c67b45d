/*
 * bench_rocksdb.c — the RocksDB adapter of `skv-bench` (plain DB), written in C against
 * rocksdb/c.h (Debian's librocksdb). Options (shared with the transactional adapters, see
 * bench_rocksdb_common.c): create_if_missing for fresh databases, compression off,
 * write_buffer_size 64 MiB (skv's memtable size), everything else RocksDB's default. Writes
 * go with the WAL on, sync=false for eventual, sync=true for fillsync: one put is
 * rocksdb_put, several a WriteBatch of their own (put() may run on several threads at once).
 * get() uses rocksdb_get_pinned (no value copy); scan() and scan_back() use an iterator.
 */
#include "bench.h"
#include "bench_rocksdb_common.h"

#include <stdlib.h>

static const char engine_name[] = "rocksdb";

struct bench_db {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    bench_rdb_writes wo;
};

struct bench_reader {
    rocksdb_t *db;
    rocksdb_readoptions_t *ro;
};

static void check(char *err, const char *what) { bench_rdb_check(engine_name, err, what); }

static bench_db *rdb_open(const char *dir, int mode) {
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die(engine_name, "out of memory");
    b->opts = bench_rdb_options(mode);
    char *err = NULL;
    b->db = rocksdb_open(b->opts, dir, &err);
    check(err, "rocksdb_open");
    bench_rdb_writes_init(&b->wo);
    return b;
}

static void rdb_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    const rocksdb_writeoptions_t *wo = sync ? b->wo.sync : b->wo.async;
    char *err = NULL;
    if (n == 1) {
        rocksdb_put(b->db, wo, kv[0].key, kv[0].klen, kv[0].val, kv[0].vlen, &err);
        check(err, "rocksdb_put");
        return;
    }
    rocksdb_writebatch_t *batch = rocksdb_writebatch_create();
    for (size_t i = 0; i < n; i++)
        rocksdb_writebatch_put(batch, kv[i].key, kv[i].klen, kv[i].val, kv[i].vlen);
    rocksdb_write(b->db, wo, batch, &err);
    check(err, "rocksdb_write");
    rocksdb_writebatch_destroy(batch);
}

static bench_reader *rdb_reader_open(bench_db *b) {
    bench_reader *r = calloc(1, sizeof *r);
    if (!r) bench_die(engine_name, "out of memory");
    r->db = b->db;
    r->ro = rocksdb_readoptions_create();
    return r;
}

static int rdb_get(bench_reader *r, const void *key, size_t klen, size_t *vlen) {
    char *err = NULL;
    rocksdb_pinnableslice_t *v = rocksdb_get_pinned(r->db, r->ro, key, klen, &err);
    check(err, "rocksdb_get_pinned");
    return bench_rdb_take_pinned(v, vlen);
}

static size_t rdb_scan(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes) {
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
    return bench_rdb_walk(engine_name, it, from, flen, 0, n, bytes);
}

static size_t rdb_scan_back(bench_reader *r, size_t n, size_t *bytes) {
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
    return bench_rdb_walk(engine_name, it, NULL, 0, 1, n, bytes);
}

static void rdb_reader_close(bench_reader *r) {
    rocksdb_readoptions_destroy(r->ro);
    free(r);
}

static void rdb_close(bench_db *b) {
    bench_rdb_writes_free(&b->wo);
    rocksdb_close(b->db);
    rocksdb_options_destroy(b->opts);
    free(b);
}

const bench_engine bench_rocksdb_engine = {
    .name = engine_name,
    .settings = "WAL on, sync=false (sync=true for fillsync); compression off, "
                "write_buffer_size 64 MiB, other options default",
    .version = bench_rdb_version,
    .open = rdb_open,
    .put = rdb_put,
    .reader_open = rdb_reader_open,
    .get = rdb_get,
    .scan = rdb_scan,
    .scan_back = rdb_scan_back,
    .reader_close = rdb_reader_close,
    .close = rdb_close,
};
