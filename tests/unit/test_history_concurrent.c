/*
 * test_history_concurrent.c — time travel while the database changes: writers commit new
 * versions of their keys (each key has one writer, whose values count up) on tiny memtables,
 * so background flushes and compactions run all the time, while readers check every key's
 * history (values and timestamps strictly falling, newest first, nothing missing from a
 * snapshot's count) and get_at at each version's own timestamp. Run under ThreadSanitizer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"

enum { WRITERS = 2, READERS = 2, KEYS_PER_WRITER = 8, ROUNDS = 600 };

typedef struct {
    skv_db *db;
    int id;
    int failures;
    char msg[256];
} Worker;

static _Atomic int writers_done;

static void *writer_main(void *arg) {
    Worker *w = arg;
    for (int r = 1; r <= ROUNDS && !w->failures; r++) {
        skv_txn *t;
        int rc = skv_txn_begin(w->db, SKV_TXN_READ_WRITE, &t);
        for (int k = 0; !rc && k < KEYS_PER_WRITER; k++) {
            char key[16], val[16];
            snprintf(key, sizeof key, "w%d/%d", w->id, k);
            snprintf(val, sizeof val, "%06d", r);
            rc = (r + k) % 17 == 0 ? skv_txn_soft_delete(t, key, strlen(key))
                                   : skv_txn_set(t, key, strlen(key), val, strlen(val));
        }
        if (!rc) rc = skv_txn_commit(t);
        skv_txn_free(t);
        if (rc) {
            snprintf(w->msg, sizeof w->msg, "commit: %s: %s", skv_errname(rc), skv_errmsg());
            w->failures++;
        }
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

/* The round a 6-digit value holds, or -1. */
static long round_of(const void *v, size_t n) {
    char buf[8];
    if (n != 6) return -1;
    memcpy(buf, v, 6);
    buf[6] = '\0';
    return strtol(buf, NULL, 10);
}

/* One pass over every key's history in one snapshot. */
static int check_pass(Worker *w) {
    skv_txn *t;
    int rc = skv_txn_begin(w->db, SKV_TXN_READ_ONLY, &t);
    for (int wr = 0; !rc && wr < WRITERS; wr++)
        for (int k = 0; !rc && k < KEYS_PER_WRITER; k++) {
            char key[16], hi[17];
            snprintf(key, sizeof key, "w%d/%d", wr, k);
            size_t kl = strlen(key);
            memcpy(hi, key, kl);
            hi[kl] = 0;
            skv_iter *it;
            if ((rc = skv_txn_history(t, key, kl, hi, kl + 1, 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES,
                                      0, &it)))
                break;
            long prev_round = -1, n = 0, newest = -1;
            uint64_t prev_ts = UINT64_MAX;
            for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it), n++) {
                const void *v;
                size_t vl;
                uint64_t ts;
                int kind;
                if ((rc = skv_iter_value(it, &v, &vl)) || (rc = skv_iter_version(it, &ts, &kind)))
                    break;
                long round = kind == SKV_KIND_SET ? round_of(v, vl) : -2;
                if (kind == SKV_KIND_SET &&
                    (round < 1 || (prev_round >= 0 && round >= prev_round))) {
                    snprintf(w->msg, sizeof w->msg, "%s: version %ld out of order", key, n);
                    rc = SKV_ECORRUPT;
                    break;
                }
                if (ts >= prev_ts) {
                    snprintf(w->msg, sizeof w->msg, "%s: timestamps do not fall", key);
                    rc = SKV_ECORRUPT;
                    break;
                }
                /* the value as of this version's time is this version */
                const void *av;
                size_t al;
                int arc = skv_txn_get_at(t, key, kl, ts, &av, &al);
                if (kind == SKV_KIND_SET ? arc != SKV_OK || round_of(av, al) != round
                                         : arc != SKV_NOTFOUND) {
                    snprintf(w->msg, sizeof w->msg, "%s: get_at its own time gave %s", key,
                             skv_errname(arc));
                    rc = SKV_ECORRUPT;
                    break;
                }
                if (newest < 0) newest = kind == SKV_KIND_SET ? round : 0;
                if (kind == SKV_KIND_SET) prev_round = round;
                prev_ts = ts;
            }
            skv_iter_free(it);
            if (rc == SKV_NOTFOUND) rc = SKV_OK;
            /* every round up to the newest one seen left a version (retention is forever) */
            if (!rc && newest > 0 && n != newest) {
                snprintf(w->msg, sizeof w->msg, "%s: %ld versions up to round %ld", key, n, newest);
                rc = SKV_ECORRUPT;
            }
        }
    if (rc && !w->msg[0]) snprintf(w->msg, sizeof w->msg, "%s: %s", skv_errname(rc), skv_errmsg());
    skv_txn_free(t);
    return rc;
}

static void *reader_main(void *arg) {
    Worker *w = arg;
    int passes = 0;
    while (!w->failures && (atomic_load(&writers_done) < WRITERS || passes < 3)) {
        if (check_pass(w)) w->failures++;
        passes++;
    }
    return NULL;
}

static void test_history_while_writing(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    opt.max_memtable_size = 8192;
    opt.block_size = 512;
    opt.target_file_size = 8192;
    opt.level0_max_files = 2;
    opt.max_bytes_for_level = 16384;
    opt.level_count = 4;
    opt.enable_versioning = 1;
    skv_db *db;
    CHECK_RC(skv__db_open("/db", &opt, skv__memfs_env(fs), &db), SKV_OK);
    atomic_store(&writers_done, 0);
    pthread_t th[WRITERS + READERS];
    Worker w[WRITERS + READERS];
    for (int i = 0; i < WRITERS + READERS; i++) {
        w[i] = (Worker){.db = db, .id = i};
        pthread_create(&th[i], NULL, i < WRITERS ? writer_main : reader_main, &w[i]);
    }
    int failures = 0;
    for (int i = 0; i < WRITERS + READERS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].failures) fprintf(stderr, "thread %d: %s\n", i, w[i].msg);
        failures += w[i].failures;
    }
    CHECK_EQ_U64(failures, 0);
    CHECK_RC(skv_compact(db), SKV_OK);
    Worker last = {.db = db};
    CHECK_RC(check_pass(&last), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {{"history_while_writing", test_history_while_writing},
                                 {NULL, NULL}};

TEST_MAIN(TESTS)
