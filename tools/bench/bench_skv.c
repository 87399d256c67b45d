/*
 * bench_skv.c — the skv adapter of `skv-bench`, written against the public header skv.h
 * only. Every put() is one write-only transaction (eventual durability, or immediate with
 * sync); every get(), scan() and scan_back() is one read-only transaction (a fresh snapshot).
 * Forward scans use skv_txn_scan, reverse scans an iterator (skv_iter_last / skv_iter_prev).
 * Options: compression "none" (as for the peers), create_if_missing false on reopen,
 * everything else skv's default (max_memtable_size 64 MiB). The engine "skv-vlog" is the same
 * with enable_vlog true (values above the default vlog_value_threshold go to the value log).
 */
#include "bench.h"

#include <skv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_db {
    skv_db *db;
};

struct bench_reader {
    skv_db *db;
};

static _Noreturn void skv_fail(const char *what, int rc) {
    bench_die("skv", "%s: %s: %s", what, skv_errname(rc), skv_errmsg());
}

static void skv_version(char *buf, size_t size) { snprintf(buf, size, "%s", skv_version_string()); }

/* SKV_BENCH_OPTIONS="name=value,name=value" sets more options (for tuning runs). */
static void set_extra_options(skv_options *opts) {
    const char *extra = getenv("SKV_BENCH_OPTIONS");
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", extra ? extra : "");
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) bench_die("skv", "SKV_BENCH_OPTIONS wants name=value pairs");
        *eq = '\0';
        int rc = skv_options_set(opts, kv, eq + 1);
        if (rc != SKV_OK) skv_fail(kv, rc);
    }
}

static bench_db *skv_bench_open_with(const char *dir, int mode, int vlog) {
    bench_db *b = calloc(1, sizeof *b);
    if (!b) bench_die("skv", "out of memory");
    skv_options *opts = NULL;
    int rc = skv_options_new(&opts);
    if (rc != SKV_OK) skv_fail("skv_options_new", rc);
    /* no table compression, as for the peers; a library without the option has none */
    rc = skv_options_set(opts, "compression", "none");
    if (rc != SKV_OK && rc != SKV_EINVAL) skv_fail("skv_options_set compression", rc);
    if (mode == BENCH_REOPEN) {
        rc = skv_options_set(opts, "create_if_missing", "false");
        if (rc != SKV_OK) skv_fail("skv_options_set create_if_missing", rc);
    }
    if (vlog && (rc = skv_options_set(opts, "enable_vlog", "true")) != SKV_OK)
        skv_fail("skv_options_set enable_vlog", rc);
    set_extra_options(opts);
    rc = skv_open(dir, opts, &b->db);
    skv_options_free(opts);
    if (rc != SKV_OK) skv_fail("skv_open", rc);
    return b;
}

static bench_db *skv_bench_open(const char *dir, int mode) {
    return skv_bench_open_with(dir, mode, 0);
}

static bench_db *skv_bench_open_vlog(const char *dir, int mode) {
    return skv_bench_open_with(dir, mode, 1);
}

static void skv_bench_put(bench_db *b, const bench_kv *kv, size_t n, int sync) {
    skv_txn *txn = NULL;
    int rc = skv_txn_begin(b->db, SKV_TXN_WRITE_ONLY, &txn);
    if (rc != SKV_OK) skv_fail("skv_txn_begin", rc);
    if (sync) {
        rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
        if (rc != SKV_OK) skv_fail("skv_txn_set_durability", rc);
    }
    for (size_t i = 0; i < n; i++) {
        rc = skv_txn_set(txn, kv[i].key, kv[i].klen, kv[i].val, kv[i].vlen);
        if (rc != SKV_OK) skv_fail("skv_txn_set", rc);
    }
    rc = skv_txn_commit(txn);
    if (rc != SKV_OK) skv_fail("skv_txn_commit", rc);
    skv_txn_free(txn);
}

static bench_reader *skv_reader_open(bench_db *b) {
    bench_reader *r = calloc(1, sizeof *r);
    if (!r) bench_die("skv", "out of memory");
    r->db = b->db;
    return r;
}

static int skv_bench_get(bench_reader *r, const void *key, size_t klen, size_t *vlen) {
    skv_txn *txn = NULL;
    int rc = skv_txn_begin(r->db, SKV_TXN_READ_ONLY, &txn);
    if (rc != SKV_OK) skv_fail("skv_txn_begin", rc);
    const void *val = NULL;
    rc = skv_txn_get(txn, key, klen, &val, vlen);
    if (rc != SKV_OK && rc != SKV_NOTFOUND) skv_fail("skv_txn_get", rc);
    skv_txn_free(txn);
    return rc == SKV_OK;
}

typedef struct {
    size_t count;
    size_t bytes;
} scan_acc;

static int scan_cb(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    scan_acc *acc = user_data;
    (void)key;
    (void)val;
    acc->count++;
    acc->bytes += klen + vlen;
    return 0;
}

static size_t skv_bench_scan(bench_reader *r, const void *from, size_t flen, size_t n,
                             size_t *bytes) {
    skv_txn *txn = NULL;
    int rc = skv_txn_begin(r->db, SKV_TXN_READ_ONLY, &txn);
    if (rc != SKV_OK) skv_fail("skv_txn_begin", rc);
    scan_acc acc = {0, 0};
    rc = skv_txn_scan(txn, from, from ? flen : 0, NULL, 0, 0, n, scan_cb, &acc);
    if (rc != SKV_OK) skv_fail("skv_txn_scan", rc);
    skv_txn_free(txn);
    *bytes += acc.bytes;
    return acc.count;
}

/* Walks an iterator from the largest key down, taking each key and value. */
static size_t skv_bench_scan_back(bench_reader *r, size_t n, size_t *bytes) {
    skv_txn *txn = NULL;
    int rc = skv_txn_begin(r->db, SKV_TXN_READ_ONLY, &txn);
    if (rc != SKV_OK) skv_fail("skv_txn_begin", rc);
    skv_iter *it = NULL;
    rc = skv_iter_open(txn, NULL, 0, NULL, 0, 0, &it);
    if (rc != SKV_OK) skv_fail("skv_iter_open", rc);
    size_t count = 0;
    for (rc = skv_iter_last(it); rc == SKV_OK && (n == 0 || count < n); rc = skv_iter_prev(it)) {
        const void *key, *val;
        size_t klen, vlen;
        if ((rc = skv_iter_key(it, &key, &klen)) != SKV_OK) skv_fail("skv_iter_key", rc);
        if ((rc = skv_iter_value(it, &val, &vlen)) != SKV_OK) skv_fail("skv_iter_value", rc);
        *bytes += klen + vlen;
        count++;
    }
    if (rc != SKV_OK && rc != SKV_NOTFOUND) skv_fail("skv_iter_prev", rc);
    skv_iter_free(it);
    skv_txn_free(txn);
    return count;
}

static void skv_reader_close(bench_reader *r) { free(r); }

static void skv_bench_close(bench_db *b) {
    int rc = skv_close(b->db);
    if (rc != SKV_OK) skv_fail("skv_close", rc);
    free(b);
}

const bench_engine bench_skv_engine = {
    .name = "skv",
    .settings = "eventual durability (log written to the OS per commit), immediate (fsync per "
                "commit) for fillsync; compression none, max_memtable_size 64 MiB, other "
                "options default",
    .version = skv_version,
    .open = skv_bench_open,
    .put = skv_bench_put,
    .reader_open = skv_reader_open,
    .get = skv_bench_get,
    .scan = skv_bench_scan,
    .scan_back = skv_bench_scan_back,
    .reader_close = skv_reader_close,
    .close = skv_bench_close,
};

const bench_engine bench_skv_vlog_engine = {
    .name = "skv-vlog",
    .settings = "as skv, with enable_vlog true (values above vlog_value_threshold, default "
                "options, in the value log)",
    .version = skv_version,
    .open = skv_bench_open_vlog,
    .put = skv_bench_put,
    .reader_open = skv_reader_open,
    .get = skv_bench_get,
    .scan = skv_bench_scan,
    .scan_back = skv_bench_scan_back,
    .reader_close = skv_reader_close,
    .close = skv_bench_close,
};
