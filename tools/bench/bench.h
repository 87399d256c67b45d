/*
 * bench.h — the interface between the `skv-bench` driver (bench_main.c) and its engine
 * adapters (bench_skv.c, bench_rocksdb.c, bench_rocksdb_txn.c, bench_leveldb.c,
 * bench_lmdb.c): one table of function pointers per engine, and the fatal-error helper the
 * adapters share.
 *
 * Contract for adapters:
 *   - open(dir, BENCH_CREATE) creates a fresh, empty database in the existing empty directory
 *     `dir`; open(dir, BENCH_REOPEN) opens the database a previous close() left in `dir`,
 *     with everything it held. Either way the engine's non-synced (eventual) durability is
 *     the default for writes.
 *   - put() applies the n entries as one atomic write (one transaction / write batch) and
 *     returns once it is committed; with sync != 0 it returns only after the write is on
 *     stable storage (fsync). put() may be called from several threads at once (fillsync4,
 *     fillsync16): each call is its own write and shares no transaction, batch or buffer
 *     with another call. Concurrent calls all pass the same sync value.
 *   - A reader is the per-thread read handle: open it on the thread that uses it, one at a
 *     time per thread. Every get(), scan() and scan_back() reads the latest committed state
 *     (a fresh snapshot per call), never a snapshot kept across calls.
 *   - get() returns 1 and sets *vlen when the key exists, 0 when it does not.
 *   - scan() visits up to n entries (n == 0: all of them) in key order from the first key
 *     >= from (from == NULL: the smallest key), takes each key and value, adds their byte
 *     count to *bytes and returns the number of entries visited.
 *   - scan_back() does the same in descending key order from the largest key.
 *   - close() releases the database; what was committed is there at the next open.
 *   - Any failure calls bench_die(), which ends the process (each engine runs in its own
 *     forked child).
 */
#ifndef SKV_BENCH_H
#define SKV_BENCH_H

#include <stddef.h>

enum bench_open_mode { BENCH_CREATE = 0, BENCH_REOPEN = 1 };

typedef struct bench_db bench_db;         /* defined by each adapter */
typedef struct bench_reader bench_reader; /* defined by each adapter */

typedef struct {
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
} bench_kv;

typedef struct {
    const char *name;     /* as given to --engines */
    const char *settings; /* one line: the durability and option settings used */
    void (*version)(char *buf, size_t size);
    bench_db *(*open)(const char *dir, int mode); /* mode: BENCH_CREATE or BENCH_REOPEN */
    void (*put)(bench_db *db, const bench_kv *kv, size_t n, int sync);
    bench_reader *(*reader_open)(bench_db *db);
    int (*get)(bench_reader *r, const void *key, size_t klen, size_t *vlen);
    size_t (*scan)(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes);
    size_t (*scan_back)(bench_reader *r, size_t n, size_t *bytes);
    void (*reader_close)(bench_reader *r);
    void (*close)(bench_db *db);
} bench_engine;

/* Prints "skv-bench: <engine>: <message>" on stderr and ends the process with status 2. */
_Noreturn void bench_die(const char *engine, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A write-buffer / memtable size every LSM engine is given (skv's max_memtable_size
 * default), so that they hold the same amount of unflushed data. */
enum { BENCH_WRITE_BUFFER = 64 * 1024 * 1024 };

extern const bench_engine bench_skv_engine;
extern const bench_engine bench_skv_vlog_engine; /* skv with enable_vlog */
#ifdef BENCH_HAVE_ROCKSDB
extern const bench_engine bench_rocksdb_engine;
extern const bench_engine bench_rocksdb_txn_engine; /* TransactionDB (pessimistic) */
extern const bench_engine bench_rocksdb_occ_engine; /* OptimisticTransactionDB */
#endif
#ifdef BENCH_HAVE_LEVELDB
extern const bench_engine bench_leveldb_engine;
#endif
#ifdef BENCH_HAVE_LMDB
extern const bench_engine bench_lmdb_engine;
#endif

#endif /* SKV_BENCH_H */
