/*
 * test_vlog_concurrent.c — the value log under concurrency (memfs, background flushes and
 * compactions): one writer overwrites 200 keys with values of 150-2000 bytes (most in the
 * value log), two readers read them (point reads and scans, each value checked against the
 * key and version it carries), and a third thread runs full compactions, which rewrite and
 * delete value-log files while the readers' views still point into them. Afterwards the
 * database holds exactly the last versions, no file is over the discard ratio, and the file
 * count and bytes agree with the directory. Run under ThreadSanitizer (label tsan).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"
#include "vlog/vlog.h"

enum { NKEYS = 200, WRITES = 3000 };

static size_t vlen_of(int k, uint32_t ver) { return 150 + (size_t)((k * 131u + ver * 17u) % 1851); }

/* value: "<k>:<ver>:" then bytes derived from both */
static size_t make_val(int k, uint32_t ver, uint8_t *v) {
    size_t n = vlen_of(k, ver);
    int h = snprintf((char *)v, 32, "%d:%u:", k, ver);
    for (size_t i = (size_t)h; i < n; i++) v[i] = (uint8_t)(k + ver * 3 + i * 7);
    return n;
}

/* 1 when v is a well-formed value of key k (any version); *ver receives the version. */
static int val_ok(int k, const uint8_t *v, size_t n, uint32_t *ver) {
    char head[32];
    size_t h = n < 31 ? n : 31;
    memcpy(head, v, h);
    head[h] = 0;
    int kk;
    unsigned vv;
    if (sscanf(head, "%d:%u:", &kk, &vv) != 2 || kk != k) return 0;
    uint8_t want[2048];
    if (make_val(k, vv, want) != n || memcmp(want, v, n) != 0) return 0;
    *ver = vv;
    return 1;
}

static skv_db *g_db;
static atomic_int g_stop, g_bad;
static _Atomic uint32_t g_ver[NKEYS]; /* last committed version per key */

static void *writer(void *arg) {
    (void)arg;
    uint8_t v[2048];
    for (uint32_t i = 1; i <= WRITES && !atomic_load(&g_bad); i++) {
        int k = (int)((i * 7919u) % NKEYS);
        char key[16];
        snprintf(key, sizeof key, "key%03d", k);
        size_t n = make_val(k, i, v);
        skv_txn *t;
        int rc = skv_txn_begin(g_db, SKV_TXN_WRITE_ONLY, &t);
        if (!rc) rc = skv_txn_set(t, key, strlen(key), v, n);
        if (!rc) rc = skv_txn_commit(t);
        skv_txn_free(t);
        if (rc) {
            fprintf(stderr, "writer: %s: %s\n", skv_errname(rc), skv_errmsg());
            atomic_store(&g_bad, 1);
        }
        atomic_store(&g_ver[k], i);
    }
    atomic_store(&g_stop, 1);
    return NULL;
}

typedef struct {
    int n;
    int bad;
    uint32_t seen[NKEYS];
} ScanState;

static int scan_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen) {
    ScanState *s = ud;
    uint32_t ver;
    const char *d = (const char *)key + 3;
    int k = klen == 6 ? (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0') : -1;
    if (k < 0 || k >= NKEYS || !val_ok(k, val, vlen, &ver)) {
        s->bad++;
        return 1;
    }
    s->n++;
    return 0;
}

static void *reader(void *arg) {
    uint64_t r = (uint64_t)(uintptr_t)arg;
    while (!atomic_load(&g_stop) && !atomic_load(&g_bad)) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((r >> 33) % NKEYS);
        char key[16];
        snprintf(key, sizeof key, "key%03d", k);
        uint32_t before = atomic_load(&g_ver[k]), ver = 0;
        skv_txn *t;
        const void *v;
        size_t n;
        int rc = skv_txn_begin(g_db, SKV_TXN_READ_ONLY, &t);
        if (!rc) rc = skv_txn_get(t, key, strlen(key), &v, &n);
        if (rc == SKV_OK && (!val_ok(k, v, n, &ver) || ver < before)) {
            fprintf(stderr, "reader: %s has a wrong value (version %u, at least %u expected)\n",
                    key, ver, before);
            atomic_store(&g_bad, 1);
        } else if (rc != SKV_OK && !(rc == SKV_NOTFOUND && before == 0)) {
            fprintf(stderr, "reader: get %s: %s: %s\n", key, skv_errname(rc), skv_errmsg());
            atomic_store(&g_bad, 1);
        }
        if (!rc && (r >> 20) % 16 == 0) { /* now and then a scan in the same snapshot */
            ScanState s = {0};
            rc = skv_txn_scan(t, NULL, 0, NULL, 0, (r >> 24) % 2 ? SKV_ITER_REVERSE : 0, 50,
                              scan_cb, &s);
            if (rc || s.bad) {
                fprintf(stderr, "reader: scan: %s: %s\n", skv_errname(rc), skv_errmsg());
                atomic_store(&g_bad, 1);
            }
        }
        skv_txn_free(t);
    }
    return NULL;
}

static void *compactor(void *arg) {
    (void)arg;
    for (int i = 0; !atomic_load(&g_stop) && !atomic_load(&g_bad); i++) {
        int rc = i % 3 == 2 ? skv_flush(g_db) : skv_compact(g_db);
        if (rc) {
            fprintf(stderr, "compactor: %s: %s\n", skv_errname(rc), skv_errmsg());
            atomic_store(&g_bad, 1);
        }
    }
    return NULL;
}

static uint64_t prop(const char *name) {
    char *s = NULL;
    if (skv_property(g_db, name, &s)) return UINT64_MAX;
    uint64_t x = strtoull(s, NULL, 10);
    skv_free(s);
    return x;
}

static void test_concurrent_gc(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.max_memtable_size = 64 << 10;
    o.enable_vlog = 1;
    o.vlog_value_threshold = 100;
    o.vlog_max_file_size = 16 << 10;
    o.vlog_gc_discard_ratio = 0.3;
    o.level0_max_files = 2;
    o.target_file_size = 16 << 10;
    CHECK_RC(skv__db_open("db", &o, env, &g_db), SKV_OK);
    pthread_t tw, tr1, tr2, tc;
    CHECK(pthread_create(&tw, NULL, writer, NULL) == 0);
    CHECK(pthread_create(&tr1, NULL, reader, (void *)(uintptr_t)1) == 0);
    CHECK(pthread_create(&tr2, NULL, reader, (void *)(uintptr_t)2) == 0);
    CHECK(pthread_create(&tc, NULL, compactor, NULL) == 0);
    pthread_join(tw, NULL);
    pthread_join(tr1, NULL);
    pthread_join(tr2, NULL);
    pthread_join(tc, NULL);
    CHECK(!atomic_load(&g_bad));
    CHECK_RC(skv_compact(g_db), SKV_OK);
    /* exactly the last versions */
    skv_txn *t;
    CHECK_RC(skv_txn_begin(g_db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    uint64_t live = 0;
    for (int k = 0; k < NKEYS; k++) {
        char key[16];
        snprintf(key, sizeof key, "key%03d", k);
        const void *v;
        size_t n;
        uint32_t ver = 0;
        CHECK_RC(skv_txn_get(t, key, strlen(key), &v, &n), SKV_OK);
        CHECK(val_ok(k, v, n, &ver) && ver == atomic_load(&g_ver[k]));
        if (n > 100) live += skv__vlog_record_size(strlen(key), n);
    }
    skv_txn_free(t);
    CHECK_EQ_U64(prop("vlog-live-bytes"), live);
    /* no file over the ratio: dead bytes at most 0.3 of each file, so of them all */
    uint64_t files = prop("vlog-files"), bytes = prop("vlog-bytes");
    CHECK(files > 0 && files < 100);
    uint64_t payload = bytes - files * SKV_VLOG_FILE_HEADER;
    CHECK((double)(payload - live) <= 0.3 * (double)payload);
    /* the list matches the directory */
    char **names;
    size_t nn;
    uint64_t count = 0, num;
    CHECK_RC(env->list(env, "db", &names, &nn), SKV_OK);
    for (size_t i = 0; i < nn; i++) count += (uint64_t)skv__vlog_parse_name(names[i], &num);
    skv__env_free_list(names, nn);
    CHECK_EQ_U64(count, files);
    CHECK(prop("vlog-gc-runs") > 0);
    CHECK_RC(skv_close(g_db), SKV_OK);
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {
    {"concurrent_gc", test_concurrent_gc},
    {0, 0},
};

TEST_MAIN(TESTS)
