/*
 * test_db_vlog.c — the value log seen through the database (memfs, flushes and compactions
 * inline): the threshold boundary (a value of exactly vlog_value_threshold bytes stays in
 * the table, one byte more goes to the value log), empty and 1 MiB values, large values with
 * the value log off, every read path (get, iterators both ways, keys-only, scans, batches),
 * rolling files, overwrites and deletes followed by full compactions with the exact number
 * of files, their bytes and live bytes, a snapshot keeping old values alive across a
 * rewrite, reopen (pointers still read, orphans deleted, the value log switched off), and
 * the "stats" property.
 */
#include <stdlib.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"
#include "vlog/vlog.h"

#define DB "db"

static SkvDbOptions vopts(uint64_t threshold) {
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.bg_inline = 1;
    o.enable_vlog = 1;
    o.vlog_value_threshold = threshold;
    return o;
}

/* A value of n bytes for key k, version ver: bytes derived from all three. */
static uint8_t *make_val(const char *k, int ver, size_t n) {
    uint8_t *v = malloc(n ? n : 1);
    size_t h = strlen(k) * 31 + (size_t)ver * 7;
    for (size_t i = 0; i < n; i++) v[i] = (uint8_t)(h + i * 13 + (i >> 9) + k[0]);
    return v;
}

static int put(skv_db *db, const char *k, int ver, size_t n) {
    skv_txn *t;
    int rc = skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &t);
    if (rc) return rc;
    uint8_t *v = make_val(k, ver, n);
    rc = skv_txn_set(t, k, strlen(k), v, n);
    free(v);
    if (!rc) rc = skv_txn_commit(t);
    skv_txn_free(t);
    return rc;
}

static int del(skv_db *db, const char *k) {
    skv_txn *t;
    int rc = skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &t);
    if (!rc) rc = skv_txn_delete(t, k, strlen(k));
    if (!rc) rc = skv_txn_commit(t);
    skv_txn_free(t);
    return rc;
}

/* SKV_OK when txn reads exactly version ver of n bytes for k; -1 for another value. */
static int check_get(skv_txn *t, const char *k, int ver, size_t n) {
    const void *v;
    size_t vl;
    int rc = skv_txn_get(t, k, strlen(k), &v, &vl);
    if (rc) return rc;
    uint8_t *want = make_val(k, ver, n);
    int same = vl == n && (n == 0 || memcmp(v, want, n) == 0);
    free(want);
    return same ? SKV_OK : -1;
}

static int check(skv_db *db, const char *k, int ver, size_t n) {
    skv_txn *t;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &t);
    if (!rc) rc = check_get(t, k, ver, n);
    skv_txn_free(t);
    return rc;
}

static uint64_t prop(skv_db *db, const char *name) {
    char *s = NULL;
    if (skv_property(db, name, &s)) return UINT64_MAX;
    uint64_t x = strtoull(s, NULL, 10);
    skv_free(s);
    return x;
}

static uint64_t rec(const char *k, size_t n) { return skv__vlog_record_size(strlen(k), n); }

/* Number of *.vlog files in the directory. */
static uint64_t count_files(SkvEnv *env) {
    char **names;
    size_t n;
    uint64_t c = 0, num;
    if (env->list(env, DB, &names, &n)) return UINT64_MAX;
    for (size_t i = 0; i < n; i++) c += (uint64_t)skv__vlog_parse_name(names[i], &num);
    skv__env_free_list(names, n);
    return c;
}

static void test_threshold_boundary(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(100);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put(db, "at", 1, 100), SKV_OK);    /* == threshold: in the table */
    CHECK_RC(put(db, "above", 1, 101), SKV_OK); /* threshold + 1: value log */
    CHECK_RC(put(db, "empty", 1, 0), SKV_OK);
    CHECK_RC(put(db, "mib", 1, 1 << 20), SKV_OK);
    CHECK_RC(put(db, "small", 1, 7), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 0); /* nothing before a flush */
    CHECK_RC(skv_flush(db), SKV_OK);
    uint64_t live = rec("above", 101) + rec("mib", 1 << 20);
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(count_files(env), 1);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), live);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), SKV_VLOG_FILE_HEADER + live);
    CHECK_RC(check(db, "at", 1, 100), SKV_OK);
    CHECK_RC(check(db, "above", 1, 101), SKV_OK);
    CHECK_RC(check(db, "empty", 1, 0), SKV_OK);
    CHECK_RC(check(db, "mib", 1, 1 << 20), SKV_OK);
    CHECK_RC(check(db, "small", 1, 7), SKV_OK);
    CHECK_RC(check(db, "missing", 1, 7), SKV_NOTFOUND);
    /* threshold 0: every non-empty value goes, the empty one stays */
    CHECK_RC(skv_close(db), SKV_OK);
    o = vopts(0);
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put(db, "one", 1, 1), SKV_OK);
    CHECK_RC(put(db, "zero", 1, 0), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 2); /* a reopen starts a new file */
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), live + rec("one", 1));
    CHECK_RC(check(db, "one", 1, 1), SKV_OK);
    CHECK_RC(check(db, "zero", 1, 0), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static void test_vlog_off_large_values(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(100);
    o.enable_vlog = 0;
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put(db, "mib", 1, 1 << 20), SKV_OK);
    CHECK_RC(put(db, "k64", 1, 65536), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 0);
    CHECK_EQ_U64(count_files(env), 0);
    CHECK_RC(check(db, "mib", 1, 1 << 20), SKV_OK);
    CHECK_RC(check(db, "k64", 1, 65536), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* Keys "k0".."k9" with values of 1000 bytes (records of 1018 bytes). */
static int put_all(skv_db *db, int ver, int n) {
    for (int i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        int rc = put(db, k, ver, 1000);
        if (rc) return rc;
    }
    return SKV_OK;
}

static int check_all(skv_db *db, int ver) {
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        int rc = check(db, k, ver, 1000);
        if (rc) return rc;
    }
    return SKV_OK;
}

/* Every read path over k0..k9 (version ver): forward and reverse iterators, keys-only, a
 * scan and batches. */
static int collect_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl) {
    int *n = ud;
    char key[16];
    snprintf(key, sizeof key, "k%d", *n);
    uint8_t *want = make_val(key, n[1], 1000);
    int same = kl == 2 && memcmp(k, key, 2) == 0 && vl == 1000 && memcmp(v, want, 1000) == 0;
    free(want);
    if (!same) n[2]++;
    n[0]++;
    return 0;
}

static void check_read_paths(skv_db *db, int ver) {
    skv_txn *t;
    skv_iter *it;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    int st[3] = {0, ver, 0};
    CHECK_RC(skv_txn_scan(t, NULL, 0, NULL, 0, 0, 0, collect_cb, st), SKV_OK);
    CHECK_EQ_U64(st[0], 10);
    CHECK_EQ_U64(st[2], 0);
    for (int rev = 0; rev < 2; rev++) {
        CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, rev ? SKV_ITER_REVERSE : 0, &it), SKV_OK);
        int n = 0;
        for (int rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it), n++) {
            const void *k, *v;
            size_t kl, vl;
            char key[16];
            snprintf(key, sizeof key, "k%d", rev ? 9 - n : n);
            CHECK_RC(skv_iter_key(it, &k, &kl), SKV_OK);
            CHECK(kl == 2 && memcmp(k, key, 2) == 0);
            CHECK_RC(skv_iter_value(it, &v, &vl), SKV_OK);
            uint8_t *want = make_val(key, ver, 1000);
            int same = vl == 1000 && memcmp(v, want, 1000) == 0;
            free(want);
            CHECK(same);
        }
        CHECK_EQ_U64(n, 10);
        skv_iter_free(it);
    }
    CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, SKV_ITER_KEYS_ONLY, &it), SKV_OK);
    const void *buf;
    size_t len, count;
    CHECK_RC(skv_iter_read_batch(it, 0, 0, &buf, &len, &count), SKV_OK);
    CHECK_EQ_U64(count, 10);
    CHECK_EQ_U64(len, 10 * (8 + 2));
    skv_iter_free(it);
    CHECK_RC(skv_iter_open(t, "k3", 2, "k7", 2, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_read_batch(it, 3, 0, &buf, &len, &count), SKV_OK);
    CHECK_EQ_U64(count, 3);
    CHECK_EQ_U64(len, 3 * (8 + 2 + 1000));
    const uint8_t *p = buf;
    for (int i = 0; i < 3; i++, p += 8 + 2 + 1000) {
        char key[16];
        snprintf(key, sizeof key, "k%d", 3 + i);
        uint8_t *want = make_val(key, ver, 1000);
        int same = skv__get_u32(p) == 2 && skv__get_u32(p + 4) == 1000 &&
                   memcmp(p + 8, key, 2) == 0 && memcmp(p + 10, want, 1000) == 0;
        free(want);
        CHECK(same);
    }
    CHECK_RC(skv_iter_read_batch(it, 3, 0, &buf, &len, &count), SKV_OK);
    CHECK_EQ_U64(count, 1); /* k6 */
    CHECK_RC(skv_iter_read_batch(it, 3, 0, &buf, &len, &count), SKV_NOTFOUND);
    skv_iter_free(it);
    skv_txn_free(t);
}

static void test_read_paths(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvDbOptions o = vopts(512);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, skv__memfs_env(fs), &db), SKV_OK);
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    check_read_paths(db, 1); /* from the memtable */
    CHECK_RC(skv_flush(db), SKV_OK);
    check_read_paths(db, 1); /* from a level-0 table */
    CHECK_RC(skv_compact(db), SKV_OK);
    check_read_paths(db, 1); /* from the last level */
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * 1018);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static void test_overwrite_delete_compact(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(512);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    const uint64_t R = 1018, H = SKV_VLOG_FILE_HEADER;
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_RC(put_all(db, 2, 6), SKV_OK); /* k0..k5 again, into the same file */
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), H + 16 * R);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 16 * R);
    /* compaction drops 6 old versions: 6 of 16 records dead, under the 0.5 ratio */
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), H + 16 * R);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-gc-runs"), 0);
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        CHECK_RC(check(db, k, i < 6 ? 2 : 1, 1000), SKV_OK);
    }
    /* everything again: 16 of 26 dead after the merge, so the file is rewritten */
    CHECK_RC(put_all(db, 3, 10), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), H + 26 * R);
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(count_files(env), 1);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), H + 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-gc-runs"), 1);
    CHECK_RC(check_all(db, 3), SKV_OK);
    check_read_paths(db, 3);
    /* a reopen reads the rewritten pointers */
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(check_all(db, 3), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * R);
    /* delete everything: no table is left, nor any value-log file */
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        CHECK_RC(del(db, k), SKV_OK);
    }
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 0);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), 0);
    CHECK_EQ_U64(count_files(env), 0);
    CHECK_RC(check(db, "k0", 3, 1000), SKV_NOTFOUND);
    /* and the value log goes on after that */
    CHECK_RC(put_all(db, 4, 10), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), H + 10 * R);
    CHECK_RC(check_all(db, 4), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* A transaction's snapshot keeps the old values readable while compaction rewrites the
 * live ones elsewhere; the old file goes once the transaction ends. */
static void test_snapshot_keeps_file(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(512);
    o.vlog_gc_discard_ratio = 0.4;
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    skv_txn *old;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &old), SKV_OK);
    CHECK_RC(put_all(db, 2, 10), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    /* the snapshot still needs version 1 (so the merge kept it): nothing is dead yet */
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 20 * 1018);
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        CHECK_RC(check_get(old, k, 1, 1000), SKV_OK);
    }
    skv_txn_free(old);
    /* now version 1 is dead, half the file, over the 0.4 ratio: it is rewritten and deleted */
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 1);
    CHECK_EQ_U64(count_files(env), 1);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), SKV_VLOG_FILE_HEADER + 10 * 1018);
    CHECK_EQ_U64(prop(db, "vlog-gc-runs"), 1);
    CHECK_RC(check_all(db, 2), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* The view of an open iterator keeps the tables it reads, and so their value-log files,
 * while compaction rewrites and deletes around it. */
static void test_iterator_across_gc(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(512);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    skv_txn *t;
    skv_iter *it;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_first(it), SKV_OK);
    /* the snapshot is still live: compaction must keep version 1 */
    CHECK_RC(put_all(db, 2, 10), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    int n = 0;
    for (int rc = SKV_OK; rc == SKV_OK; rc = skv_iter_next(it), n++) {
        const void *v;
        size_t vl;
        char key[16];
        snprintf(key, sizeof key, "k%d", n);
        CHECK_RC(skv_iter_value(it, &v, &vl), SKV_OK);
        uint8_t *want = make_val(key, 1, 1000);
        int same = vl == 1000 && memcmp(v, want, 1000) == 0;
        free(want);
        CHECK(same);
    }
    CHECK_EQ_U64(n, 10);
    skv_iter_free(it);
    skv_txn_free(t);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static int check_versions(skv_db *db, const int *ver) {
    for (int i = 0; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        int rc = check(db, k, ver[i], 1000);
        if (rc) return rc;
    }
    return SKV_OK;
}

static void test_rolling_files(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(512);
    o.vlog_max_file_size = 4096; /* 24 + 4 x 1018 = 4096: four records a file */
    const uint64_t R = 1018, H = SKV_VLOG_FILE_HEADER;
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    /* F1 k0-k3, F2 k4-k7, F3 k8 k9 */
    CHECK_EQ_U64(prop(db, "vlog-files"), 3);
    CHECK_EQ_U64(count_files(env), 3);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), 3 * H + 10 * R);
    int ver[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_RC(check_versions(db, ver), SKV_OK);
    /* k0-k7 again: F3 gets k0 k1, F4 k2-k5, F5 k6 k7; F1 and F2 die and are deleted */
    CHECK_RC(put_all(db, 2, 8), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    for (int i = 0; i < 8; i++) ver[i] = 2;
    CHECK_EQ_U64(prop(db, "vlog-files"), 3);
    CHECK_EQ_U64(count_files(env), 3);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), 3 * H + 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * R);
    CHECK_RC(check_versions(db, ver), SKV_OK);
    /* k8 k9 again (into F5): F3 is then exactly half dead, not over the 0.5 ratio */
    CHECK_RC(put(db, "k8", 2, 1000), SKV_OK);
    CHECK_RC(put(db, "k9", 2, 1000), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    ver[8] = ver[9] = 2;
    CHECK_EQ_U64(prop(db, "vlog-files"), 3);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), 3 * H + 12 * R);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-gc-runs"), 0);
    CHECK_RC(check_versions(db, ver), SKV_OK);
    /* k0 again (into a new F6): F3 is 3/4 dead, so k1 moves to F6 and F3 goes */
    CHECK_RC(put(db, "k0", 3, 1000), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    ver[0] = 3;
    CHECK_EQ_U64(prop(db, "vlog-files"), 3);
    CHECK_EQ_U64(count_files(env), 3);
    CHECK_EQ_U64(prop(db, "vlog-bytes"), 3 * H + 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * R);
    CHECK_EQ_U64(prop(db, "vlog-gc-runs"), 1);
    CHECK_RC(check_versions(db, ver), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* Files no table names (a crash between writing values and naming the table) go at open;
 * the value log switched off still reads and collects what it holds. */
static void test_reopen_orphans_and_off(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = vopts(512);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, DB "/00000000000000099999.vlog", "junk", 4), SKV_OK);
    CHECK_EQ_U64(count_files(env), 2);
    o.enable_vlog = 0;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_EQ_U64(count_files(env), 1); /* the orphan is gone, the file with values stays */
    CHECK_EQ_U64(prop(db, "vlog-live-bytes"), 10 * 1018);
    CHECK_RC(check_all(db, 1), SKV_OK);
    /* the value log is off: new large values stay in the tables; old ones are collected */
    CHECK_RC(put_all(db, 2, 10), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_EQ_U64(prop(db, "vlog-files"), 0);
    CHECK_EQ_U64(count_files(env), 0);
    CHECK_RC(check_all(db, 2), SKV_OK);
    char *s;
    CHECK_RC(skv_property(db, "stats", &s), SKV_OK);
    CHECK(strstr(s, "value log: 0 files, 0 bytes, 0 live bytes\n") != NULL);
    CHECK(strstr(s, "value log gc: 0 runs") != NULL);
    skv_free(s);
    CHECK_RC(skv_close(db), SKV_OK);
    /* the file number of the orphan is never handed out again */
    o.enable_vlog = 1;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(put_all(db, 3, 1), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    char **names;
    size_t n;
    uint64_t num = 0;
    CHECK_RC(env->list(env, DB, &names, &n), SKV_OK);
    for (size_t i = 0; i < n; i++) skv__vlog_parse_name(names[i], &num);
    skv__env_free_list(names, n);
    CHECK(num > 99999);
    CHECK_RC(check(db, "k0", 3, 1000), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static void test_stats(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvDbOptions o = vopts(512);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, skv__memfs_env(fs), &db), SKV_OK);
    CHECK_RC(put_all(db, 1, 10), SKV_OK);
    CHECK_RC(put(db, "tiny", 1, 3), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    char *s;
    CHECK_RC(skv_property(db, "stats", &s), SKV_OK);
    CHECK(strstr(s, "value log: 1 files, 10204 bytes, 10180 live bytes\n") != NULL);
    CHECK(strstr(s, "value log writes: 10 values (10000 bytes) separated at flush\n") != NULL);
    CHECK(strstr(s, "value log gc: 0 runs, 0 values (0 bytes) rewritten, 0 files deleted\n"));
    skv_free(s);
    CHECK_RC(skv_property(db, "vlog-nothing", &s), SKV_EINVAL);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {
    {"threshold_boundary", test_threshold_boundary},
    {"vlog_off_large_values", test_vlog_off_large_values},
    {"read_paths", test_read_paths},
    {"overwrite_delete_compact", test_overwrite_delete_compact},
    {"snapshot_keeps_file", test_snapshot_keeps_file},
    {"iterator_across_gc", test_iterator_across_gc},
    {"rolling_files", test_rolling_files},
    {"reopen_orphans_and_off", test_reopen_orphans_and_off},
    {"stats", test_stats},
    {0, 0},
};

TEST_MAIN(TESTS)
