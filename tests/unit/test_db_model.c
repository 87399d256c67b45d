/*
 * test_db_model.c — randomized model test of the database through the public API: random
 * transactions (set, delete, soft delete, replace, savepoints, rollbacks, conflicting
 * pairs) on tiny memtables, blocks and table files (so background flushes and compactions
 * run all the time), with flushes, full compactions and reopens, compared after every step
 * with an in-memory reference: point reads, and iterators with random bounds, flags and moves (both
 * directions, switching, seeks) over committed data and a transaction's own writes. Seeds 3
 * and 4 run with the value log on (most values in it, rewritten often).
 * Set SKV_SEED to replay one seed.
 */
#include <stdlib.h>

#include "db/db.h"
#include "env/env.h"
#include "scratch_dir.h"
#include "test.h"

#include "model_run.h"

enum { NKEYS = 160, STEPS = 2000 };

typedef struct {
    int present[NKEYS];
    char val[NKEYS][24];
} Model;

static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int rndn(int n) { return (int)(rnd() % (uint64_t)n); }

/* keys are 1-3 bytes so some are prefixes of others; key_of(i) sorts by i */
static size_t key_of(int i, char *k) {
    k[0] = (char)('a' + i / 8);
    if (i % 8 == 0) return 1;
    k[1] = (char)('0' + i % 8 / 2);
    if (i % 2 == 0) return 2;
    k[2] = 'x';
    return 3;
}

static int model_find(const Model *m, int from, int step, int lo, int hi) {
    for (int i = from; i >= lo && i < hi; i += step)
        if (m->present[i]) return i;
    return -1;
}

/* Walks a random iterator over the model and the database side by side. */
static int check_iterator(skv_txn *txn, const Model *m) {
    int lo = rndn(3) ? -1 : rndn(NKEYS), hi = rndn(3) ? -1 : rndn(NKEYS + 1);
    unsigned flags = rndn(2) ? SKV_ITER_REVERSE : 0;
    char lk[4], hk[4];
    size_t ll = lo >= 0 ? key_of(lo, lk) : 0, hl = hi >= 0 && hi < NKEYS ? key_of(hi, hk) : 0;
    skv_iter *it;
    int rc = skv_iter_open(txn, lo >= 0 ? lk : NULL, ll, hi >= 0 && hi < NKEYS ? hk : NULL, hl,
                           flags, &it);
    if (rc) return rc;
    int mlo = lo >= 0 ? lo : 0, mhi = hi >= 0 ? hi : NKEYS;
    int fwd = flags & SKV_ITER_REVERSE ? -1 : 1;
    int pos = -2; /* -2 unpositioned, -1 exhausted */
    for (int step = 0; step < 12; step++) {
        int op = rndn(5), expect;
        char sk[4];
        size_t sl = 0;
        int s = rndn(NKEYS);
        if (op == 0) {
            rc = skv_iter_first(it);
            expect = model_find(m, fwd > 0 ? mlo : mhi - 1, fwd, mlo, mhi);
        } else if (op == 1) {
            rc = skv_iter_last(it);
            expect = model_find(m, fwd > 0 ? mhi - 1 : mlo, -fwd, mlo, mhi);
        } else if (op == 2) {
            sl = key_of(s, sk);
            rc = skv_iter_seek(it, sk, sl);
            int from = s < mlo ? (fwd > 0 ? mlo : -1) : s >= mhi ? (fwd > 0 ? -1 : mhi - 1) : s;
            expect = from < 0 ? -1 : model_find(m, from, fwd, mlo, mhi);
        } else {
            int dir = op == 3 ? fwd : -fwd;
            rc = op == 3 ? skv_iter_next(it) : skv_iter_prev(it);
            if (pos == -2)
                expect = model_find(m, dir > 0 ? mlo : mhi - 1, dir, mlo, mhi);
            else if (pos == -1)
                expect = -1;
            else
                expect = model_find(m, pos + dir, dir, mlo, mhi);
        }
        pos = expect;
        if (rc != (expect >= 0 ? SKV_OK : SKV_NOTFOUND)) {
            fprintf(stderr, "iterator op %d (lo %d hi %d flags %u seek %d): %s, expected %d\n", op,
                    lo, hi, flags, s, skv_errname(rc), expect);
            skv_iter_free(it);
            return SKV_ECORRUPT;
        }
        if (expect >= 0) {
            const void *k, *v;
            size_t kl, vl;
            char ek[4];
            size_t el = key_of(expect, ek);
            if (skv_iter_key(it, &k, &kl) || skv_iter_value(it, &v, &vl) || kl != el ||
                memcmp(k, ek, el) || vl != strlen(m->val[expect]) ||
                memcmp(v, m->val[expect], vl)) {
                fprintf(stderr, "iterator entry mismatch at key %d\n", expect);
                skv_iter_free(it);
                return SKV_ECORRUPT;
            }
        }
    }
    skv_iter_free(it);
    return SKV_OK;
}

static int check_gets(skv_txn *txn, const Model *m) {
    for (int i = 0; i < NKEYS; i++) {
        char k[4];
        size_t kl = key_of(i, k);
        const void *v;
        size_t vl;
        int rc = skv_txn_get(txn, k, kl, &v, &vl);
        if (rc != (m->present[i] ? SKV_OK : SKV_NOTFOUND) ||
            (m->present[i] && (vl != strlen(m->val[i]) || memcmp(v, m->val[i], vl)))) {
            fprintf(stderr, "get of key %d: %s\n", i, skv_errname(rc));
            return SKV_ECORRUPT;
        }
    }
    return SKV_OK;
}

/* Applies random writes to txn and to the model copy *m. */
static int random_writes(skv_txn *txn, Model *m, int step) {
    int n = 1 + rndn(5);
    Model saved = *m;
    int has_sp = 0;
    for (int j = 0; j < n; j++) {
        int i = rndn(NKEYS), op = rndn(10);
        char k[4];
        size_t kl = key_of(i, k);
        int rc;
        if (op < 5) {
            snprintf(m->val[i], sizeof m->val[i], "%d.%d", step, j);
            if (rndn(8) == 0) m->val[i][0] = '\0';
            rc = op == 4 ? skv_txn_replace(txn, k, kl, m->val[i], strlen(m->val[i]))
                         : skv_txn_set(txn, k, kl, m->val[i], strlen(m->val[i]));
            m->present[i] = 1;
        } else if (op < 8) {
            rc = op == 5 ? skv_txn_soft_delete(txn, k, kl) : skv_txn_delete(txn, k, kl);
            m->present[i] = 0;
        } else if (op == 8 && !has_sp) {
            rc = skv_txn_savepoint(txn);
            saved = *m;
            has_sp = 1;
        } else if (has_sp) {
            rc = skv_txn_rollback_to_savepoint(txn);
            *m = saved;
            has_sp = 0;
        } else {
            rc = SKV_OK;
        }
        if (rc) return rc;
    }
    return SKV_OK;
}

static void run_seed(uint64_t seed) {
    rng_state = seed;
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    /* tiny everything, so a few thousand steps reach every file type and level */
    opt.max_memtable_size = 4096;
    opt.block_size = 256;
    opt.index_partition_size = seed % 2 ? 64 : 0; /* two-level indexes on odd seeds */
    opt.target_file_size = 2048;
    opt.level0_max_files = 2;
    opt.l0_stall_threshold = 8;
    opt.max_bytes_for_level = 4096;
    opt.level_multiplier = 2;
    opt.level_count = 4;
    opt.block_cache_capacity = seed % 2 ? 0 : 64 << 10;
    opt.filter_bits_per_key = seed % 3 ? 10 : 0;
    for (int l = 0; l < SKV_MAX_LEVELS; l++)
        opt.compression[l] = seed % 2 ? SKV_SST_COMPRESS_ZSTD : SKV_SST_COMPRESS_NONE;
    if (seed >= 3) { /* the value log: values of 5+ bytes, small files, eager rewriting */
        opt.enable_vlog = 1;
        opt.vlog_value_threshold = 4;
        opt.vlog_max_file_size = 1024;
        opt.vlog_gc_discard_ratio = 0.25;
    }
    skv_db *db;
    CHECK_RC(skv__db_open("/db", &opt, env, &db), SKV_OK);
    Model m;
    memset(&m, 0, sizeof m);
    for (int step = 0; step < STEPS; step++) {
        int what = rndn(20);
        skv_txn *t;
        if (what == 0) {
            CHECK_RC(skv_close(db), SKV_OK);
            CHECK_RC(skv__db_open("/db", &opt, env, &db), SKV_OK);
            continue;
        }
        if (what == 3 && rndn(4) == 0) {
            CHECK_RC(rndn(3) ? skv_flush(db) : skv_compact(db), SKV_OK);
            continue;
        }
        CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &t), SKV_OK);
        Model next = m;
        int rc = random_writes(t, &next, step);
        if (rc) fprintf(stderr, "seed %llu step %d\n", (unsigned long long)seed, step);
        CHECK_RC(rc, SKV_OK);
        /* the transaction's own view */
        if ((rc = check_gets(t, &next)) || (rc = check_iterator(t, &next)))
            fprintf(stderr, "seed %llu step %d (own writes)\n", (unsigned long long)seed, step);
        CHECK_RC(rc, SKV_OK);
        if (what == 1) {
            /* a concurrent writer of the same key: one of them must lose */
            skv_txn *u;
            char k[4];
            size_t kl = key_of(0, k);
            CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &u), SKV_OK);
            CHECK_RC(skv_txn_set(u, k, kl, "u", 1), SKV_OK);
            CHECK_RC(skv_txn_set(t, k, kl, "t", 1), SKV_OK);
            CHECK_RC(skv_txn_commit(u), SKV_OK);
            CHECK_RC(skv_txn_commit(t), SKV_ECONFLICT);
            skv_txn_free(u);
            m.present[0] = 1;
            strcpy(m.val[0], "u");
        } else if (what == 2) {
            CHECK_RC(skv_txn_rollback(t), SKV_OK);
        } else {
            CHECK_RC(skv_txn_commit(t), SKV_OK);
            m = next;
        }
        skv_txn_free(t);
        CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
        if ((rc = check_gets(t, &m)) || (rc = check_iterator(t, &m)) ||
            (rc = check_iterator(t, &m)))
            fprintf(stderr, "seed %llu step %d\n", (unsigned long long)seed, step);
        skv_txn_free(t);
        CHECK_RC(rc, SKV_OK);
    }
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK(model_levels_with_tables(db) > 0); /* the tiny memtables really went to tables */
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static void test_random_model(void) { model_run_seeds(run_seed, 4); }

static void put_one(skv_db *db, const char *key, const void *val, size_t vlen) {
    skv_txn *t;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &t), SKV_OK);
    CHECK_RC(skv_txn_set(t, key, strlen(key), val, vlen), SKV_OK);
    CHECK_RC(skv_txn_commit(t), SKV_OK);
    skv_txn_free(t);
}

/* A value read from a mapped table (real files, real mmap) stays readable for as long as the
 * transaction holds it, even after the table's reader has left the table cache (40 newer
 * tables through a cache of 16) and a compaction has replaced the table: the read keeps the
 * reader, and so the mapping, open (else the read below faults on unmapped memory). */
static void test_mapped_value_outlives_table(void) {
    char dir[] = "/tmp/skv-mapped-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    SkvEnv *env = skv__env_posix();
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    opt.max_open_files = 16;
    opt.bg_inline = 1;
    for (int l = 0; l < SKV_MAX_LEVELS; l++) opt.compression[l] = SKV_SST_COMPRESS_NONE;
    skv_db *db;
    CHECK_RC(skv__db_open(dir, &opt, env, &db), SKV_OK);
    uint8_t want[100];
    for (int i = 0; i < 100; i++) want[i] = (uint8_t)(i * 7);
    put_one(db, "key", want, sizeof want);
    CHECK_RC(skv_flush(db), SKV_OK);
    skv_txn *r;
    const void *val = NULL;
    size_t vlen = 0;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &r), SKV_OK);
    CHECK_RC(skv_txn_get(r, "key", 3, &val, &vlen), SKV_OK);
    CHECK_EQ_U64(vlen, sizeof want);
    for (int i = 0; i < 40; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%02d", i);
        put_one(db, k, "x", 1);
        CHECK_RC(skv_flush(db), SKV_OK);
    }
    put_one(db, "key", "new", 3);
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK(memcmp(val, want, sizeof want) == 0);
    skv_txn_free(r);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK(scratch_remove(dir) == 0);
}

/* Walks [lo, hi) of txn forwards (dir 1) or backwards and checks the keys against want
 * (ascending, n of them); 1 when they match. */
static int walk_matches(skv_txn *txn, const char *lo, const char *hi, int dir, const int *want,
                        int n) {
    skv_iter *it;
    if (skv_iter_open(txn, lo, lo ? strlen(lo) : 0, hi, hi ? strlen(hi) : 0, 0, &it)) return 0;
    int got = 0, ok = 1, rc;
    for (rc = dir > 0 ? skv_iter_first(it) : skv_iter_last(it); ok && rc == SKV_OK;
         rc = dir > 0 ? skv_iter_next(it) : skv_iter_prev(it), got++) {
        const void *k;
        size_t kl;
        char exp[8];
        ok = got < n && skv_iter_key(it, &k, &kl) == SKV_OK;
        if (ok) {
            snprintf(exp, sizeof exp, "k%03d", want[dir > 0 ? got : n - 1 - got]);
            ok = kl == 4 && memcmp(k, exp, 4) == 0;
        }
    }
    skv_iter_free(it);
    return ok && rc == SKV_NOTFOUND && got == n;
}

/* The merge moves a lone winner without looking at the other sources while it stays ahead of
 * them: sources holding disjoint key ranges (two tables, the memtable, the transaction's own
 * writes), keys deleted at the edges of the ranges, a source whose next key ties with
 * another's, and bounds inside a range, walked both ways, against the expected keys. */
static void test_merge_disjoint_sources(void) {
    char dir[] = "/tmp/skv-merge-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    opt.bg_inline = 1;
    skv_db *db;
    CHECK_RC(skv__db_open(dir, &opt, skv__env_posix(), &db), SKV_OK);
    char k[8];
    for (int i = 0; i < 300; i++) { /* k000..k099, k100..k199 in tables, k200..k299 in memory */
        snprintf(k, sizeof k, "k%03d", i);
        put_one(db, k, "v", 1);
        if (i == 99 || i == 199) CHECK_RC(skv_flush(db), SKV_OK);
    }
    /* deletes at the edges of the first two ranges, in the memtable; k150 written again */
    skv_txn *t;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    static const int DELS[] = {99, 100, 199, 0};
    for (int i = 0; i < 4; i++) {
        snprintf(k, sizeof k, "k%03d", DELS[i]);
        CHECK_RC(skv_txn_delete(t, k, 4), SKV_OK);
    }
    CHECK_RC(skv_txn_set(t, "k150", 4, "w", 1), SKV_OK);
    CHECK_RC(skv_txn_commit(t), SKV_OK);
    skv_txn_free(t);
    /* a reader with its own writes past the end and one in the middle */
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    for (int i = 300; i < 310; i++) {
        snprintf(k, sizeof k, "k%03d", i);
        CHECK_RC(skv_txn_set(t, k, 4, "o", 1), SKV_OK);
    }
    CHECK_RC(skv_txn_set(t, "k050", 4, "o", 1), SKV_OK);
    int want[310], n = 0;
    for (int i = 0; i < 310; i++)
        if (i != 99 && i != 100 && i != 199 && i != 0) want[n++] = i;
    CHECK(walk_matches(t, NULL, NULL, 1, want, n));
    CHECK(walk_matches(t, NULL, NULL, -1, want, n));
    /* bounds inside the ranges: [k090, k205) */
    int inner[120], m = 0;
    for (int i = 90; i < 205; i++)
        if (i != 99 && i != 100 && i != 199) inner[m++] = i;
    CHECK(walk_matches(t, "k090", "k205", 1, inner, m));
    CHECK(walk_matches(t, "k090", "k205", -1, inner, m));
    skv_txn_free(t);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK(scratch_remove(dir) == 0);
}

static const TestCase TESTS[] = {{"random_model", test_random_model},
                                 {"merge_disjoint_sources", test_merge_disjoint_sources},
                                 {"mapped_value_outlives_table", test_mapped_value_outlives_table},
                                 {NULL, NULL}};

TEST_MAIN(TESTS)
