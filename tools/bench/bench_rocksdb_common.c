/*
 * bench_rocksdb_common.c — the helpers the RocksDB adapters of `skv-bench` share (see
 * bench_rocksdb_common.h): options, write options, version, error check, pinned gets and
 * iterator walks.
 */
#include "bench_rocksdb_common.h"

#include "bench.h"

#include <stdio.h>

#ifndef BENCH_ROCKSDB_VERSION
#define BENCH_ROCKSDB_VERSION "unknown"
#endif

rocksdb_options_t *bench_rdb_options(int mode) {
    rocksdb_options_t *opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(opts, mode == BENCH_CREATE);
    rocksdb_options_set_compression(opts, rocksdb_no_compression);
    rocksdb_options_set_write_buffer_size(opts, BENCH_WRITE_BUFFER);
    return opts;
}

void bench_rdb_writes_init(bench_rdb_writes *w) {
    w->async = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(w->async, 0);
    w->sync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(w->sync, 1);
}

void bench_rdb_writes_free(bench_rdb_writes *w) {
    rocksdb_writeoptions_destroy(w->sync);
    rocksdb_writeoptions_destroy(w->async);
}

void bench_rdb_version(char *buf, size_t size) { snprintf(buf, size, "%s", BENCH_ROCKSDB_VERSION); }

void bench_rdb_check(const char *engine, char *err, const char *what) {
    if (err) bench_die(engine, "%s: %s", what, err);
}

int bench_rdb_take_pinned(rocksdb_pinnableslice_t *v, size_t *vlen) {
    if (!v) return 0;
    rocksdb_pinnableslice_value(v, vlen);
    rocksdb_pinnableslice_destroy(v);
    return 1;
}

size_t bench_rdb_walk(const char *engine, rocksdb_iterator_t *it, const void *from, size_t flen,
                      int backwards, size_t n, size_t *bytes) {
    if (backwards)
        rocksdb_iter_seek_to_last(it);
    else if (from)
        rocksdb_iter_seek(it, from, flen);
    else
        rocksdb_iter_seek_to_first(it);
    size_t count = 0;
    while (rocksdb_iter_valid(it) && (n == 0 || count < n)) {
        size_t klen, vlen;
        rocksdb_iter_key(it, &klen);
        rocksdb_iter_value(it, &vlen);
        *bytes += klen + vlen;
        count++;
        if (backwards)
            rocksdb_iter_prev(it);
        else
            rocksdb_iter_next(it);
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    bench_rdb_check(engine, err, "rocksdb iterator");
    rocksdb_iter_destroy(it);
    return count;
}
