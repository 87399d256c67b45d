/*
 * bench_rocksdb_common.h — what the three RocksDB adapters of `skv-bench` share
 * (bench_rocksdb.c: plain DB; bench_rocksdb_txn.c: TransactionDB and
 * OptimisticTransactionDB): the database options, the write options, the version text, the
 * error check, and taking a get's pinned value or an iterator's entries.
 */
#ifndef SKV_BENCH_ROCKSDB_COMMON_H
#define SKV_BENCH_ROCKSDB_COMMON_H

#include <rocksdb/c.h>

#include <stddef.h>

/* The two write options every adapter uses: WAL on, sync=false or sync=true. */
typedef struct {
    rocksdb_writeoptions_t *async;
    rocksdb_writeoptions_t *sync;
} bench_rdb_writes;

/* Options shared by every RocksDB adapter: create_if_missing for BENCH_CREATE only,
 * compression off, write_buffer_size BENCH_WRITE_BUFFER, everything else the default. */
rocksdb_options_t *bench_rdb_options(int mode);

void bench_rdb_writes_init(bench_rdb_writes *w);
void bench_rdb_writes_free(bench_rdb_writes *w);

/* The RocksDB version the adapters were built against. */
void bench_rdb_version(char *buf, size_t size);

/* Calls bench_die(engine, ...) when err is set. */
void bench_rdb_check(const char *engine, char *err, const char *what);

/* Takes the value of a get_pinned result (NULL: not found): returns 1 and sets *vlen, or 0;
 * frees the slice. */
int bench_rdb_take_pinned(rocksdb_pinnableslice_t *v, size_t *vlen);

/* Positions `it` (at the first key >= from, at the smallest key when from is NULL, or at the
 * largest key when backwards), takes up to n entries (0: all) in that direction adding their
 * key and value bytes to *bytes, checks and destroys the iterator; returns the count. */
size_t bench_rdb_walk(const char *engine, rocksdb_iterator_t *it, const void *from, size_t flen,
                      int backwards, size_t n, size_t *bytes);

#endif /* SKV_BENCH_ROCKSDB_COMMON_H */
