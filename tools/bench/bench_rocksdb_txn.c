/*
 * bench_rocksdb_txn.c — the two transactional RocksDB adapters of `skv-bench`, over
 * rocksdb/c.h: `rocksdb-txn` (TransactionDB, pessimistic: each put takes its key's lock)
 * and `rocksdb-occ` (OptimisticTransactionDB: each commit checks the written keys for
 * conflicts). Same options as the plain adapter (bench_rocksdb_common.c: compression off,
 * write_buffer_size 64 MiB, WAL on, sync only in fillsync); transaction and TransactionDB
 * options are RocksDB's defaults. Every put() is one transaction of its own: begin, one
 * transaction put per entry, commit, destroy. Reads go outside transactions, as a reader of
 * the latest data would: rocksdb-txn through rocksdb_transactiondb_get_pinned and
 * rocksdb_transactiondb_create_iterator, rocksdb-occ through its base DB (which is what an
 * OptimisticTransactionDB read does).
 */
#include "bench.h"
#include "bench_rocksdb_common.h"

#include <stdlib.h>

static const char txn_name[] = "rocksdb-txn";
static const char occ_name[] = "rocksdb-occ";

struct bench_db {
    const char *name;
    rocksdb_options_t *opts;
    bench_rdb_writes wo;
    /* rocksdb-txn */
    rocksdb_transactiondb_t *tdb;
    rocksdb_transactiondb_options_t *tdb_opts;
    rocksdb_transaction_options_t *txn_opts;
    /* rocksdb-occ */
    rocksdb_optimistictransactiondb_t *odb;
    rocksdb_optimistictransaction_options_t *occ_opts;
    rocksdb_t *base; /* the OptimisticTransactionDB's base DB, for reads */
};

struct bench_reader {
    bench_db *b;
    rocksdb_readoptions_t *ro;
};

static bench_db *new_db(const char *name, int mode) {
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die(name, "out of memory");
    b->name = name;
    b->opts = bench_rdb_options(mode);
    bench_rdb_writes_init(&b->wo);
    return b;
}

static bench_db *txn_open(const char *dir, int mode) {
    bench_db *b = new_db(txn_name, mode);
    b->tdb_opts = rocksdb_transactiondb_options_create();
    b->txn_opts = rocksdb_transaction_options_create();
    char *err = NULL;
    b->tdb = rocksdb_transactiondb_open(b->opts, b->tdb_opts, dir, &err);
    bench_rdb_check(b->name, err, "rocksdb_transactiondb_open");
    return b;
}

static bench_db *occ_open(const char *dir, int mode) {
    bench_db *b = new_db(occ_name, mode);
    b->occ_opts = rocksdb_optimistictransaction_options_create();
    char *err = NULL;
    b->odb = rocksdb_optimistictransactiondb_open(b->opts, dir, &err);
    bench_rdb_check(b->name, err, "rocksdb_optimistictransactiondb_open");
    b->base = rocksdb_optimistictransactiondb_get_base_db(b->odb);
    return b;
}

/* One transaction of its own per call, so that calls on several threads share nothing. */
static void txn_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    const rocksdb_writeoptions_t *wo = sync ? b->wo.sync : b->wo.async;
    rocksdb_transaction_t *txn =
        b->tdb ? rocksdb_transaction_begin(b->tdb, wo, b->txn_opts, NULL)
               : rocksdb_optimistictransaction_begin(b->odb, wo, b->occ_opts, NULL);
    char *err = NULL;
    for (size_t i = 0; i < n; i++) {
        rocksdb_transaction_put(txn, kv[i].key, kv[i].klen, kv[i].val, kv[i].vlen, &err);
        bench_rdb_check(b->name, err, "rocksdb_transaction_put");
    }
    rocksdb_transaction_commit(txn, &err);
    bench_rdb_check(b->name, err, "rocksdb_transaction_commit");
    rocksdb_transaction_destroy(txn);
}

static bench_reader *txn_reader_open(bench_db *b) {
    bench_reader *r = calloc(1, sizeof *r);
    if (!r) bench_die(b->name, "out of memory");
    r->b = b;
    r->ro = rocksdb_readoptions_create();
    return r;
}

static int txn_get(bench_reader *r, const void *key, size_t klen, size_t *vlen) {
    char *err = NULL;
    rocksdb_pinnableslice_t *v =
        r->b->tdb ? rocksdb_transactiondb_get_pinned(r->b->tdb, r->ro, key, klen, &err)
                  : rocksdb_get_pinned(r->b->base, r->ro, key, klen, &err);
    bench_rdb_check(r->b->name, err, "get_pinned");
    return bench_rdb_take_pinned(v, vlen);
}

static rocksdb_iterator_t *new_iterator(bench_reader *r) {
    return r->b->tdb ? rocksdb_transactiondb_create_iterator(r->b->tdb, r->ro)
                     : rocksdb_create_iterator(r->b->base, r->ro);
}

static size_t txn_scan(bench_reader *r, const void *from, size_t flen, size_t n, size_t *bytes) {
    return bench_rdb_walk(r->b->name, new_iterator(r), from, flen, 0, n, bytes);
}

static size_t txn_scan_back(bench_reader *r, size_t n, size_t *bytes) {
    return bench_rdb_walk(r->b->name, new_iterator(r), NULL, 0, 1, n, bytes);
}

static void txn_reader_close(bench_reader *r) {
    rocksdb_readoptions_destroy(r->ro);
    free(r);
}

static void txn_close(bench_db *b) {
    if (b->tdb) {
        rocksdb_transactiondb_close(b->tdb);
        rocksdb_transaction_options_destroy(b->txn_opts);
        rocksdb_transactiondb_options_destroy(b->tdb_opts);
    } else {
        rocksdb_optimistictransactiondb_close_base_db(b->base); /* the handle, not the DB */
        rocksdb_optimistictransactiondb_close(b->odb);
        rocksdb_optimistictransaction_options_destroy(b->occ_opts);
    }
    bench_rdb_writes_free(&b->wo);
    rocksdb_options_destroy(b->opts);
    free(b);
}

const bench_engine bench_rocksdb_txn_engine = {
    .name = txn_name,
    .settings = "TransactionDB (pessimistic), one transaction per write; WAL on, sync=false "
                "(sync=true for fillsync); compression off, write_buffer_size 64 MiB, other "
                "options default",
    .version = bench_rdb_version,
    .open = txn_open,
    .put = txn_put,
    .reader_open = txn_reader_open,
    .get = txn_get,
    .scan = txn_scan,
    .scan_back = txn_scan_back,
    .reader_close = txn_reader_close,
    .close = txn_close,
};

const bench_engine bench_rocksdb_occ_engine = {
    .name = occ_name,
    .settings = "OptimisticTransactionDB, one transaction per write; WAL on, sync=false "
                "(sync=true for fillsync); compression off, write_buffer_size 64 MiB, other "
                "options default",
    .version = bench_rdb_version,
    .open = occ_open,
    .put = txn_put,
    .reader_open = txn_reader_open,
    .get = txn_get,
    .scan = txn_scan,
    .scan_back = txn_scan_back,
    .reader_close = txn_reader_close,
    .close = txn_close,
};
