/* test_txn.c — unit tests of the transaction data structures: write set (small sets searched
 * in order and larger ones through the hash index), commit record, conflict oracle and
 * snapshot registry. */
#include <stdatomic.h>
#include <stdlib.h>

#include "mem/mem.h"
#include "test.h"
#include "txn/txn.h"

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_writeset_overwrite_and_versions(void) {
    SkvWriteSet ws;
    skv__ws_init(&ws);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "a", 1, "1", 1, 0, 1 << 20), SKV_OK);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "a", 1, "22", 2, 0, 1 << 20), SKV_OK);
    CHECK_EQ_U64(ws.n, 1); /* same savepoint, same timestamp: replaced */
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "a", 1, "3", 1, 100, 1 << 20), SKV_OK);
    CHECK_EQ_U64(ws.n, 2); /* explicit timestamp: a second version */
    const SkvWrite *w = skv__ws_get(&ws, "a", 1);
    CHECK(w && w->ts == 100);
    CHECK_MEM(w->val, w->vlen, "3");
    CHECK(skv__ws_get(&ws, "b", 1) == NULL);
    skv__ws_free(&ws);
}

static void test_writeset_savepoints(void) {
    SkvWriteSet ws;
    skv__ws_init(&ws);
    CHECK_RC(skv__ws_rollback_to_savepoint(&ws), SKV_ENOSAVEPOINT);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "a", 1, "1", 1, 0, 1 << 20), SKV_OK);
    CHECK_RC(skv__ws_savepoint(&ws), SKV_OK);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "b", 1, "1", 1, 0, 1 << 20), SKV_OK);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_DELETE, "a", 1, NULL, 0, 0, 1 << 20), SKV_OK);
    CHECK_EQ_U64(ws.n, 3); /* across a savepoint: a new version */
    CHECK(skv__ws_get(&ws, "a", 1)->kind == SKV_KIND_DELETE);
    size_t cost = ws.cost;
    CHECK_RC(skv__ws_rollback_to_savepoint(&ws), SKV_OK);
    CHECK(ws.cost < cost);
    CHECK_EQ_U64(ws.n, 1);
    CHECK(skv__ws_get(&ws, "a", 1)->kind == SKV_KIND_VALUE);
    CHECK(skv__ws_get(&ws, "b", 1) == NULL);
    CHECK_RC(skv__ws_rollback_to_savepoint(&ws), SKV_ENOSAVEPOINT);
    skv__ws_free(&ws);
}

static void test_writeset_too_big_and_sorted(void) {
    SkvWriteSet ws;
    skv__ws_init(&ws);
    static char big[5000];
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "k", 1, big, sizeof big, 0, 4096), SKV_ETOOBIG);
    CHECK_EQ_U64(ws.n, 0);
    char key[8];
    for (int i = 999; i >= 0; i--) {
        int n = snprintf(key, sizeof key, "k%04d", i);
        CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, key, (size_t)n, key, (size_t)n, 0, 1 << 24),
                 SKV_OK);
    }
    const SkvWrite **sorted;
    size_t n;
    CHECK_RC(skv__ws_sorted(&ws, &sorted, &n), SKV_OK);
    CHECK_EQ_U64(n, 1000);
    for (size_t i = 1; i < n; i++)
        CHECK(skv__key_cmp(sorted[i - 1]->key, sorted[i - 1]->klen, sorted[i]->key,
                           sorted[i]->klen) < 0);
    free(sorted);
    skv__ws_free(&ws);
}

/* Against a reference of each key's latest write, sets that grow through the size where the
 * hash index is built (SKV_WS_LINEAR), with overwrites in place, new versions, deletes,
 * savepoints and rollbacks on both sides of it: every lookup, the sorted latest writes, the
 * fingerprints the oracle is given and the encoded record agree. */
static void test_writeset_small_and_indexed(void) {
    uint64_t s = 11;
    for (int round = 0; round < 200 && !test_failures_; round++) {
        SkvWriteSet ws;
        skv__ws_init(&ws);
        enum { NKEYS = 24 };
        int latest_kind[NKEYS], latest_val[NKEYS];
        int save_kind[4][NKEYS], save_val[4][NKEYS], nsave = 0;
        for (int k = 0; k < NKEYS; k++) latest_kind[k] = -1;
        int nops = 1 + (int)(rnd(&s) % 40), ok = 1;
        for (int op = 0; ok && op < nops; op++) {
            unsigned m = (unsigned)(rnd(&s) % 20);
            if (m == 0 && nsave < 4) {
                ok = skv__ws_savepoint(&ws) == SKV_OK;
                memcpy(save_kind[nsave], latest_kind, sizeof latest_kind);
                memcpy(save_val[nsave], latest_val, sizeof latest_val);
                nsave++;
                continue;
            }
            if (m == 1 && nsave > 0) {
                ok = skv__ws_rollback_to_savepoint(&ws) == SKV_OK;
                nsave--;
                memcpy(latest_kind, save_kind[nsave], sizeof latest_kind);
                memcpy(latest_val, save_val[nsave], sizeof latest_val);
                continue;
            }
            int k = (int)(rnd(&s) % (round % 2 ? NKEYS : 6)), v = (int)(rnd(&s) % 1000);
            int kind = m < 4 ? SKV_KIND_DELETE : SKV_KIND_VALUE;
            char key[8], val[8];
            snprintf(key, sizeof key, "k%02d", k);
            snprintf(val, sizeof val, "v%03d", v);
            ok = skv__ws_put(&ws, kind, key, strlen(key), kind == SKV_KIND_VALUE ? val : NULL,
                             kind == SKV_KIND_VALUE ? strlen(val) : 0, 0, 1 << 20) == SKV_OK;
            latest_kind[k] = kind;
            latest_val[k] = v;
        }
        size_t live = 0;
        for (int k = 0; ok && k < NKEYS; k++) {
            char key[8], val[8];
            snprintf(key, sizeof key, "k%02d", k);
            const SkvWrite *w = skv__ws_get(&ws, key, strlen(key));
            if (latest_kind[k] < 0) {
                ok = w == NULL;
                continue;
            }
            live++;
            snprintf(val, sizeof val, "v%03d", latest_val[k]);
            ok = w && w->kind == latest_kind[k] && w->fp == skv__fingerprint(key, strlen(key)) &&
                 (w->kind != SKV_KIND_VALUE || (w->vlen == 4 && memcmp(w->val, val, 4) == 0));
        }
        const SkvWrite **sorted = NULL;
        size_t n = 0;
        ok = ok && skv__ws_sorted(&ws, &sorted, &n) == SKV_OK && n == live;
        for (size_t i = 0; ok && i < n; i++) {
            const uint8_t *key = sorted[i]->key; /* "kNN", not NUL-terminated */
            int k = (key[1] - '0') * 10 + (key[2] - '0');
            ok = sorted[i]->klen == 3 && latest_kind[k] == sorted[i]->kind &&
                 (i == 0 || memcmp(sorted[i - 1]->key, sorted[i]->key, 3) < 0);
        }
        free(sorted);
        uint8_t *rec = NULL;
        size_t len = 0;
        ok = ok && skv__batch_encode(&ws, &rec, &len) == SKV_OK && len == skv__batch_size(&ws);
        SkvBatchReader br;
        ok = ok && skv__batch_open(&br, rec, len) == SKV_OK && br.count == ws.n;
        free(rec);
        CHECK(ok);
        skv__ws_free(&ws);
    }
}

static void test_batch_round_trip(void) {
    SkvWriteSet ws;
    skv__ws_init(&ws);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "a", 1, "", 0, 0, 1 << 20), SKV_OK);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_SOFT_DELETE, "b", 1, NULL, 0, 0, 1 << 20), SKV_OK);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_REPLACE, "c", 1, "xyz", 3, 0, 1 << 20), SKV_OK);
    CHECK_RC(skv__ws_put(&ws, SKV_KIND_VALUE, "d", 1, "v", 1, 77, 1 << 20), SKV_OK);
    uint8_t *rec;
    size_t len;
    CHECK_RC(skv__batch_encode(&ws, &rec, &len), SKV_OK);
    skv__batch_stamp(rec, 10, 5000);
    SkvBatchReader r;
    CHECK_RC(skv__batch_open(&r, rec, len), SKV_OK);
    CHECK_EQ_U64(r.count, 4);
    SkvWrite w;
    uint64_t seq;
    const int kinds[] = {SKV_KIND_VALUE, SKV_KIND_SOFT_DELETE, SKV_KIND_REPLACE, SKV_KIND_VALUE};
    const uint64_t ts[] = {5000, 5000, 5000, 77};
    for (int i = 0; i < 4; i++) {
        CHECK_RC(skv__batch_next(&r, &w, &seq), SKV_OK);
        CHECK_EQ_U64(seq, 10 + (uint64_t)i);
        CHECK(w.kind == kinds[i]);
        CHECK_EQ_U64(w.ts, ts[i]);
    }
    CHECK_MEM(w.val, w.vlen, "v");
    CHECK_RC(skv__batch_next(&r, &w, &seq), SKV_NOTFOUND);
    /* every truncation is detected, never read past the end */
    for (size_t cut = 0; cut < len; cut++) {
        int rc = skv__batch_open(&r, rec, cut);
        while (rc == SKV_OK) rc = skv__batch_next(&r, &w, &seq);
        CHECK_RC(rc, SKV_ECORRUPT);
    }
    free(rec);
    skv__ws_free(&ws);
}

static void test_oracle_conflicts_and_retry(void) {
    SkvOracle *o = skv__oracle_new(2);
    uint64_t a = 11, b = 22, c = 33, x = 44;
    CHECK_RC(skv__oracle_check(o, 0, &a, 1), SKV_OK);
    CHECK_RC(skv__oracle_record(o, 5, &a, 1), SKV_OK);
    CHECK_RC(skv__oracle_check(o, 4, &a, 1), SKV_ECONFLICT);
    CHECK_RC(skv__oracle_check(o, 5, &a, 1), SKV_OK);
    CHECK_RC(skv__oracle_check(o, 4, &b, 1), SKV_OK);
    CHECK_RC(skv__oracle_record(o, 6, &b, 1), SKV_OK);
    CHECK_RC(skv__oracle_record(o, 7, &c, 1), SKV_OK);
    skv__oracle_prune(o, 4); /* a snapshot at 4 is live: only the window forces forgetting */
    CHECK_EQ_U64(skv__oracle_size(o), 2);
    CHECK_RC(skv__oracle_check(o, 4, &x, 1), SKV_ERETRY);
    CHECK_RC(skv__oracle_check(o, 4, NULL, 0), SKV_OK);
    CHECK_RC(skv__oracle_check(o, 5, &x, 1), SKV_OK);
    CHECK_RC(skv__oracle_check(o, 6, &c, 1), SKV_ECONFLICT);
    skv__oracle_prune(o, 7); /* nobody older than 7: everything may go */
    CHECK_EQ_U64(skv__oracle_size(o), 0);
    skv__oracle_free(o);
}

static void test_oracle_many_keys(void) {
    SkvOracle *o = skv__oracle_new(1000000);
    for (uint64_t i = 1; i <= 100000; i++) CHECK_RC(skv__oracle_record(o, i, &i, 1), SKV_OK);
    CHECK_EQ_U64(skv__oracle_size(o), 100000);
    for (uint64_t i = 1; i <= 100000; i++)
        CHECK_RC(skv__oracle_check(o, i - 1, &i, 1), SKV_ECONFLICT);
    skv__oracle_prune(o, 50000);
    CHECK_EQ_U64(skv__oracle_size(o), 50000);
    for (uint64_t i = 50001; i <= 100000; i++)
        CHECK_RC(skv__oracle_check(o, 50000, &i, 1), SKV_ECONFLICT);
    skv__oracle_free(o);
}

static void test_snapshots_oldest(void) {
    SkvSnapshots s;
    _Atomic uint64_t visible = 5;
    skv__snapshots_init(&s);
    CHECK_EQ_U64(skv__snapshots_oldest(&s, &visible), 5);
    SkvSnapshot a, b;
    skv__snapshots_acquire(&s, &a, &visible);
    atomic_store(&visible, 9);
    skv__snapshots_acquire(&s, &b, &visible);
    CHECK_EQ_U64(skv__snapshots_oldest(&s, &visible), 5);
    skv__snapshots_release(&s, &a);
    CHECK_EQ_U64(skv__snapshots_oldest(&s, &visible), 9);
    skv__snapshots_release(&s, &b);
    atomic_store(&visible, 12);
    CHECK_EQ_U64(skv__snapshots_oldest(&s, &visible), 12);
    skv__snapshots_destroy(&s);
}

static const TestCase TESTS[] = {
    {"writeset_overwrite_and_versions", test_writeset_overwrite_and_versions},
    {"writeset_savepoints", test_writeset_savepoints},
    {"writeset_too_big_and_sorted", test_writeset_too_big_and_sorted},
    {"writeset_small_and_indexed", test_writeset_small_and_indexed},
    {"batch_round_trip", test_batch_round_trip},
    {"oracle_conflicts_and_retry", test_oracle_conflicts_and_retry},
    {"oracle_many_keys", test_oracle_many_keys},
    {"snapshots_oldest", test_snapshots_oldest},
    {NULL, NULL}};

TEST_MAIN(TESTS)
