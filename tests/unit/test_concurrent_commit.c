/*
 * test_concurrent_commit.c — the commit pipeline under concurrency: many committers at once
 * (every commit lands exactly once), contended read-modify-write with retries (no lost
 * update), readers that must see consistent snapshots while writers move value around
 * (no read skew), thousands of asynchronous commits (each callback exactly once, none after
 * close), and group commit (concurrent immediate-durability committers share fsyncs).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"

enum { THREADS = 4 };

static skv_db *open_on(const char *path, SkvEnv *env) {
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    opt.max_memtable_size = 1 << 16;
    skv_db *db = NULL;
    if (skv__db_open(path, &opt, env, &db) != SKV_OK) return NULL;
    return db;
}

static skv_db *open_memfs(SkvMemFs *fs) { return open_on("/db", skv__memfs_env(fs)); }

static int put1(skv_db *db, const char *k, const char *v, int durability) {
    skv_txn *t;
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &t);
    if (rc) return rc;
    if (!(rc = skv_txn_set_durability(t, durability)) &&
        !(rc = skv_txn_set(t, k, strlen(k), v, strlen(v))))
        rc = skv_txn_commit(t);
    skv_txn_free(t);
    return rc;
}

typedef struct {
    skv_db *db;
    int id, n, failures;
} Worker;

static void *writer_main(void *arg) {
    Worker *w = arg;
    char k[32];
    for (int i = 0; i < w->n; i++) {
        snprintf(k, sizeof k, "w%d/%05d", w->id, i);
        if (put1(w->db, k, k, i % 3 == 0 ? SKV_DURABILITY_IMMEDIATE : SKV_DURABILITY_EVENTUAL))
            w->failures++;
    }
    return NULL;
}

/* Runs `n` threads of fn, each with `per` operations; returns the failures they counted. */
static int run_workers(skv_db *db, int n, int per, void *(*fn)(void *)) {
    pthread_t th[8];
    Worker w[8];
    int failures = 0;
    for (int i = 0; i < n; i++) {
        w[i] = (Worker){db, i, per, 0};
        pthread_create(&th[i], NULL, fn, &w[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        failures += w[i].failures;
    }
    return failures;
}

/* Entries a forward iteration over the whole database finds. */
static int count_entries(skv_db *db) {
    skv_txn *t;
    skv_iter *it;
    int n = 0, rc;
    if (skv_txn_begin(db, SKV_TXN_READ_ONLY, &t)) return -1;
    if (skv_iter_open(t, NULL, 0, NULL, 0, 0, &it)) {
        skv_txn_free(t);
        return -1;
    }
    for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it)) n++;
    skv_iter_free(it);
    skv_txn_free(t);
    return rc == SKV_NOTFOUND ? n : -1;
}

static void test_many_committers(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = open_memfs(fs);
    CHECK(db);
    CHECK_EQ_U64(run_workers(db, THREADS, 600, writer_main), 0);
    char *seq;
    CHECK_RC(skv_property(db, "sequence", &seq), SKV_OK);
    CHECK_EQ_U64(strtoull(seq, NULL, 10), THREADS * 600);
    skv_free(seq);
    CHECK_RC(skv_close(db), SKV_OK);
    db = open_memfs(fs);
    CHECK(db);
    CHECK_EQ_U64(count_entries(db), THREADS * 600);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static void *incrementer_main(void *arg) {
    Worker *w = arg;
    for (int done = 0; done < w->n;) {
        skv_txn *t;
        const void *v;
        size_t vl;
        char buf[32];
        if (skv_txn_begin(w->db, SKV_TXN_READ_WRITE, &t)) {
            w->failures++;
            return NULL;
        }
        long x = 0;
        if (skv_txn_get(t, "counter", 7, &v, &vl) == SKV_OK) {
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            x = atol(buf);
        }
        int n = snprintf(buf, sizeof buf, "%ld", x + 1);
        int rc = skv_txn_set(t, "counter", 7, buf, (size_t)n);
        if (!rc) rc = skv_txn_commit(t);
        skv_txn_free(t);
        if (rc == SKV_OK)
            done++;
        else if (rc != SKV_ECONFLICT)
            w->failures++;
    }
    return NULL;
}

static void test_no_lost_update(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = open_memfs(fs);
    CHECK(db);
    CHECK_EQ_U64(run_workers(db, THREADS, 300, incrementer_main), 0);
    skv_txn *t;
    const void *v;
    size_t vl;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_RC(skv_txn_get(t, "counter", 7, &v, &vl), SKV_OK);
    CHECK_MEM(v, vl, "1200");
    skv_txn_free(t);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* Two accounts always sum to 1000; writers move amounts, readers check the sum. */
typedef struct {
    skv_db *db;
    _Atomic int stop;
    _Atomic int bad_reads, reads, moves;
} Bank;

static long read_long(skv_txn *t, const char *k) {
    const void *v;
    size_t vl;
    char buf[32];
    if (skv_txn_get(t, k, strlen(k), &v, &vl) != SKV_OK || vl >= sizeof buf) return -1000000;
    memcpy(buf, v, vl);
    buf[vl] = '\0';
    return atol(buf);
}

static void *bank_writer(void *arg) {
    Bank *b = arg;
    for (int i = 0; i < 400; i++) {
        skv_txn *t;
        if (skv_txn_begin(b->db, SKV_TXN_READ_WRITE, &t)) break;
        long x = read_long(t, "acct/a"), y = read_long(t, "acct/b");
        long amount = (i % 7) - 3;
        char bx[32], by[32];
        int nx = snprintf(bx, sizeof bx, "%ld", x - amount),
            ny = snprintf(by, sizeof by, "%ld", y + amount);
        skv_txn_set(t, "acct/a", 6, bx, (size_t)nx);
        skv_txn_set(t, "acct/b", 6, by, (size_t)ny);
        if (skv_txn_commit(t) == SKV_OK) atomic_fetch_add(&b->moves, 1);
        skv_txn_free(t);
    }
    return NULL;
}

static void *bank_reader(void *arg) {
    Bank *b = arg;
    while (!atomic_load(&b->stop)) {
        skv_txn *t;
        if (skv_txn_begin(b->db, SKV_TXN_READ_ONLY, &t)) break;
        long x = read_long(t, "acct/a");
        sched_yield();
        long y = read_long(t, "acct/b");
        if (x + y != 1000) atomic_fetch_add(&b->bad_reads, 1);
        atomic_fetch_add(&b->reads, 1);
        skv_txn_free(t);
    }
    return NULL;
}

static void test_no_read_skew(void) {
    SkvMemFs *fs = skv__memfs_new();
    Bank b = {.db = open_memfs(fs)};
    CHECK(b.db);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(b.db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    CHECK_RC(skv_txn_set(t, "acct/a", 6, "500", 3), SKV_OK);
    CHECK_RC(skv_txn_set(t, "acct/b", 6, "500", 3), SKV_OK);
    CHECK_RC(skv_txn_commit(t), SKV_OK);
    skv_txn_free(t);
    pthread_t w[2], r[2];
    for (int i = 0; i < 2; i++) pthread_create(&w[i], NULL, bank_writer, &b);
    for (int i = 0; i < 2; i++) pthread_create(&r[i], NULL, bank_reader, &b);
    for (int i = 0; i < 2; i++) pthread_join(w[i], NULL);
    atomic_store(&b.stop, 1);
    for (int i = 0; i < 2; i++) pthread_join(r[i], NULL);
    CHECK_EQ_U64(atomic_load(&b.bad_reads), 0);
    CHECK(atomic_load(&b.reads) > 0);
    CHECK(atomic_load(&b.moves) > 0);
    CHECK_RC(skv_txn_begin(b.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_EQ_U64(read_long(t, "acct/a") + read_long(t, "acct/b"), 1000);
    skv_txn_free(t);
    CHECK_RC(skv_close(b.db), SKV_OK);
    skv__memfs_free(fs);
}

typedef struct {
    _Atomic int calls, ok, conflicts, other;
} AsyncCount;

static void async_cb(void *ud, int status) {
    AsyncCount *c = ud;
    atomic_fetch_add(&c->calls, 1);
    if (status == SKV_OK)
        atomic_fetch_add(&c->ok, 1);
    else if (status == SKV_ECONFLICT)
        atomic_fetch_add(&c->conflicts, 1);
    else
        atomic_fetch_add(&c->other, 1);
}

typedef struct {
    skv_db *db;
    AsyncCount *count;
    int id, submitted, failures;
} AsyncWorker;

static void *async_main(void *arg) {
    AsyncWorker *w = arg;
    char k[32];
    for (int i = 0; i < 5000; i++) {
        skv_txn *t;
        if (skv_txn_begin(w->db, SKV_TXN_READ_WRITE, &t)) {
            w->failures++;
            continue;
        }
        snprintf(k, sizeof k, "a%d/%05d", w->id, i);
        skv_txn_set(t, k, strlen(k), "v", 1);
        if (i % 100 == 0) skv_txn_set(t, "hot", 3, k, strlen(k)); /* some conflicts */
        if (skv_txn_commit_async(t, async_cb, w->count) == SKV_OK)
            w->submitted++;
        else
            w->failures++;
        skv_txn_free(t);
    }
    return NULL;
}

static void test_async_commits(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = open_memfs(fs);
    CHECK(db);
    AsyncCount count = {0};
    pthread_t th[2];
    AsyncWorker w[2];
    for (int i = 0; i < 2; i++) {
        w[i] = (AsyncWorker){db, &count, i, 0, 0};
        pthread_create(&th[i], NULL, async_main, &w[i]);
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK_EQ_U64(w[0].failures + w[1].failures, 0);
    CHECK_RC(skv_close(db), SKV_OK); /* waits for every callback */
    CHECK_EQ_U64(atomic_load(&count.calls), 10000);
    CHECK_EQ_U64(atomic_load(&count.other), 0);
    CHECK_EQ_U64(atomic_load(&count.ok) + atomic_load(&count.conflicts), 10000);
    db = open_memfs(fs);
    CHECK(db);
    char *seq;
    CHECK_RC(skv_property(db, "sequence", &seq), SKV_OK);
    /* one entry per committed transaction, plus one for the hot key of each that wrote it */
    uint64_t s = strtoull(seq, NULL, 10);
    skv_free(seq);
    CHECK(s >= (uint64_t)atomic_load(&count.ok) && s <= (uint64_t)atomic_load(&count.ok) + 100);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* The POSIX env (which keeps no state behind its pointer) with an fsync that takes 2 ms and
 * is counted: committers pile up behind it. */
typedef struct {
    SkvEnv env;
    SkvEnv *base;
    _Atomic int syncs;
} SlowEnv;

static SlowEnv slow_env;

static int slow_sync(SkvFile *f) {
    atomic_fetch_add(&slow_env.syncs, 1);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    return slow_env.base->sync(f);
}

static void test_group_commit_shares_fsyncs(void) {
    char dir[] = "/tmp/skv-group-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/db", dir);
    slow_env.base = skv__env_posix();
    slow_env.env = *slow_env.base;
    slow_env.env.sync = slow_sync;
    skv_db *db = open_on(path, &slow_env.env);
    CHECK(db);
    atomic_store(&slow_env.syncs, 0);
    enum { N = 8, PER = 40 };
    CHECK_EQ_U64(run_workers(db, N, PER, writer_main), 0);
    int immediate = N * ((PER + 2) / 3);
    int syncs = atomic_load(&slow_env.syncs);
    printf("  %d immediate-durability commits took %d fsyncs\n", immediate, syncs);
    CHECK_RC(skv_close(db), SKV_OK);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    CHECK(syncs > 0 && syncs < immediate);
}

/* Tiny memtables and stall thresholds of one: writers wait for the background thread
 * (stall), never fail, and every commit lands. */
static void test_stalls_never_fail(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    opt.max_memtable_size = 4096;
    opt.memtable_stall_threshold = 1;
    opt.level0_max_files = 2;
    opt.l0_stall_threshold = 2;
    opt.max_bytes_for_level = 16384;
    opt.target_file_size = 8192;
    skv_db *db = NULL;
    CHECK_RC(skv__db_open("/db", &opt, skv__memfs_env(fs), &db), SKV_OK);
    CHECK_EQ_U64(run_workers(db, THREADS, 300, writer_main), 0);
    char *stats;
    CHECK_RC(skv_property(db, "stats", &stats), SKV_OK);
    const char *line = strstr(stats, "stalls:");
    if (line) printf("  %.*s\n", (int)strcspn(line, "\n"), line);
    CHECK(line != NULL);
    skv_free(stats);
    CHECK_EQ_U64(count_entries(db), THREADS * 300);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {{"many_committers", test_many_committers},
                                 {"stalls_never_fail", test_stalls_never_fail},
                                 {"no_lost_update", test_no_lost_update},
                                 {"no_read_skew", test_no_read_skew},
                                 {"async_commits", test_async_commits},
                                 {"group_commit_shares_fsyncs", test_group_commit_shares_fsyncs},
                                 {NULL, NULL}};

TEST_MAIN(TESTS)
