/*
 * test_crash_points.c — crash-point enumeration on the in-memory file system (plan 11.4),
 * value log off: every mutating file operation of the canonical workload is a crash point,
 * each recovered in three states and checked against the model (crash_points.h), also with
 * versioning on (every key's history checked after each recovery). Then a checkpoint and a
 * restore crashed at each of their file operations.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "test.h"

#include "crash_points.h"

static void test_no_fault(void) { run_no_fault(0); }
static void test_every_crash_point(void) { run_every_crash_point(0, 0); }
static void test_every_crash_point_versioned(void) { run_every_crash_point(0, 1); }

/* ---- checkpoint and restore ---------------------------------------------------------------
 * A database of 60 small transactions (tables and log, everything durable): state A after
 * the first 40, B after all 60. The checkpoint test crashes a checkpoint of A at each of its
 * file operations: the database must recover as A exactly, and the checkpoint directory must
 * either open as A exactly or be refused as incomplete. The restore test takes a checkpoint of
 * A, writes the rest, and crashes the restore at each of its file operations: the database
 * must recover as exactly A or exactly B, with no state in between, and keep working. */

enum { CK_TXNS_A = 40, CK_TXNS = 60 };

static int ck_txns(skv_db *db, int from, int to) {
    for (int t = from; t < to; t++) {
        char k[16], v[48];
        snprintf(k, sizeof k, "k%02d", (t * 7) % 50);
        snprintf(v, sizeof v, "v%d-%0*d", t, 10 + t % 30, t);
        int rc = t % 9 == 4 ? kv_put(db, k, NULL) : kv_put(db, k, v);
        if (rc) return rc;
    }
    return SKV_OK;
}

typedef struct {
    char *a, *b; /* the contents after CK_TXNS_A and after CK_TXNS commits */
    uint64_t seq_a, seq_b;
} CkStates;

static void ck_states_free(CkStates *st) {
    free(st->a);
    free(st->b);
}

/* Builds the database on fs and leaves it open in *db; with_checkpoint: "ck" holds state A and
 * the database state B, else the database holds state A. */
static int ck_setup(SkvMemFs *fs, int with_checkpoint, skv_db **db, CkStates *st) {
    SkvDbOptions o = crash_opts(0);
    int rc = skv__db_open("db", &o, skv__memfs_env(fs), db);
    if (!rc) rc = ck_txns(*db, 0, CK_TXNS_A);
    if (!rc) rc = skv_sync(*db);
    if (!rc) st->a = kv_dump(*db, &rc);
    st->seq_a = kv_sequence(*db);
    if (!rc && with_checkpoint) rc = skv_checkpoint(*db, "ck");
    if (!rc && with_checkpoint) rc = ck_txns(*db, CK_TXNS_A, CK_TXNS);
    if (!rc && with_checkpoint) rc = skv_sync(*db);
    if (!rc && with_checkpoint) st->b = kv_dump(*db, &rc);
    st->seq_b = kv_sequence(*db);
    return rc;
}

/* Opens path on fs: the contents must be exactly want (with sequence want_seq); then one more
 * commit, a reopen, and the same plus that commit. Returns 0 or -1 (printed). */
static int ck_verify(SkvMemFs *fs, const char *path, const char *want, uint64_t want_seq,
                     const char *ctx) {
    SkvDbOptions o = crash_opts(0);
    skv_db *db = NULL;
    int rc = skv__db_open(path, &o, skv__memfs_env(fs), &db);
    if (rc) {
        fprintf(stderr, "%s: open %s: %s: %s\n", ctx, path, skv_errname(rc), skv_errmsg());
        return -1;
    }
    char *got = kv_dump(db, &rc);
    uint64_t seq = kv_sequence(db);
    int bad = !got || strcmp(got, want) != 0 || seq != want_seq;
    if (bad)
        fprintf(stderr,
                "%s: %s holds other contents (sequence %" PRIu64 ", expected %" PRIu64 ")\n", ctx,
                path, seq, want_seq);
    free(got);
    if (!bad && (rc = kv_put(db, "post", "1"))) {
        fprintf(stderr, "%s: a commit after recovery: %s\n", ctx, skv_errname(rc));
        bad = 1;
    }
    skv_close(db);
    if (!bad && (rc = skv__db_open(path, &o, skv__memfs_env(fs), &db)) == SKV_OK) {
        char buf[8];
        bad = kv_get(db, "post", buf, sizeof buf) != SKV_OK || kv_sequence(db) != want_seq + 1 ||
              skv_check(db, NULL) != SKV_OK;
        if (bad) fprintf(stderr, "%s: after one more commit and a reopen: %s\n", ctx, skv_errmsg());
        skv_close(db);
    } else if (!bad) {
        fprintf(stderr, "%s: reopen: %s\n", ctx, skv_errname(rc));
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* The number of file operations of one checkpoint (restore) after the setup, without faults. */
static uint64_t ck_count_ops(int restore) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL;
    CkStates st = {0};
    uint64_t k = 0;
    if (ck_setup(fs, restore, &db, &st) == SKV_OK) {
        uint64_t before = skv__memfs_op_count(fs);
        if ((restore ? skv_restore(db, "ck") : skv_checkpoint(db, "ck")) == SKV_OK)
            k = skv__memfs_op_count(fs) - before;
    }
    skv_close(db);
    ck_states_free(&st);
    skv__memfs_free(fs);
    return k;
}

static void test_checkpoint_crash_points(void) {
    uint64_t K = ck_count_ops(0);
    CHECK(K > 10);
    size_t failures = 0, complete = 0, incomplete = 0, recoveries = 0;
    uint64_t first_complete = 0;
    /* n = K + 1: the power is lost just after the checkpoint returned */
    for (uint64_t n = 1; n <= K + 1 && failures < 5; n++) {
        SkvMemFs *fs = skv__memfs_new();
        skv_db *db = NULL;
        CkStates st = {0};
        CHECK_RC(ck_setup(fs, 0, &db, &st), SKV_OK);
        skv__memfs_set_fault(fs, SKV_FAULT_CRASH, skv__memfs_op_count(fs) + n, 0);
        int rc = skv_checkpoint(db, "ck");
        skv_close(db);
        if (n <= K && (rc != SKV_EIO || !skv__memfs_crashed(fs))) {
            fprintf(stderr, "checkpoint crash at op %" PRIu64 ": returned %s\n", n,
                    skv_errname(rc));
            failures++;
        }
        for (uint64_t seed = 0; seed < 3; seed++) {
            char ctx[96];
            snprintf(ctx, sizeof ctx, "checkpoint crash at op %" PRIu64 ", clone seed %" PRIu64, n,
                     seed);
            SkvMemFs *c = skv__memfs_crash_clone(fs, seed ? seed * 7919 + n : 0);
            recoveries++;
            /* the database itself is untouched */
            if (ck_verify(c, "db", st.a, st.seq_a, ctx)) failures++;
            SkvEnv *env = skv__memfs_env(c);
            if (skv__db_read_format(env, "ck") == SKV_OK) {
                complete++;
                if (!first_complete && !seed) first_complete = n;
                if (ck_verify(c, "ck", st.a, st.seq_a, ctx)) failures++;
            } else {
                incomplete++;
                if (first_complete && !seed) {
                    fprintf(stderr, "%s: incomplete after a complete one at op %" PRIu64 "\n", ctx,
                            first_complete);
                    failures++;
                }
                /* refused as a restore source; as a database either damage or nothing */
                SkvDbOptions o = crash_opts(0);
                skv_db *d = NULL;
                if (skv__db_open("db", &o, env, &d) == SKV_OK) {
                    if (skv_restore(d, "ck") != SKV_EINVAL &&
                        env->exists(env, "ck", NULL) == SKV_OK)
                        failures++;
                    skv_close(d);
                }
                rc = env->exists(env, "ck", NULL) == SKV_OK ? skv__db_open("ck", &o, env, &d)
                                                            : SKV_NOTFOUND;
                if (rc == SKV_OK) {
                    char *got = kv_dump(d, NULL);
                    if (!got || strcmp(got, "") != 0) {
                        fprintf(stderr, "%s: an incomplete checkpoint opened with data\n", ctx);
                        failures++;
                    }
                    free(got);
                    skv_close(d);
                } else if (rc != SKV_ECORRUPT && rc != SKV_NOTFOUND) {
                    fprintf(stderr, "%s: an incomplete checkpoint: open gave %s\n", ctx,
                            skv_errname(rc));
                    failures++;
                }
            }
            skv__memfs_free(c);
        }
        ck_states_free(&st);
        skv__memfs_free(fs);
    }
    printf("checkpoint: %" PRIu64 " crash points, %zu recoveries: %zu complete, %zu incomplete\n",
           K, recoveries, complete, incomplete);
    CHECK_EQ_U64(failures, 0);
    CHECK(complete > 0 && incomplete > 0);
}

static void test_restore_crash_points(void) {
    uint64_t K = ck_count_ops(1);
    CHECK(K > 10);
    size_t failures = 0, old = 0, restored = 0;
    uint64_t first_restored = 0;
    for (uint64_t n = 1; n <= K + 1 && failures < 5; n++) {
        SkvMemFs *fs = skv__memfs_new();
        skv_db *db = NULL;
        CkStates st = {0};
        CHECK_RC(ck_setup(fs, 1, &db, &st), SKV_OK);
        skv__memfs_set_fault(fs, SKV_FAULT_CRASH, skv__memfs_op_count(fs) + n, 0);
        int rc = skv_restore(db, "ck");
        skv_close(db);
        /* after the switch the removal of the old files is best effort (open removes them) */
        int tolerated = rc == SKV_OK && strcmp(skv__memfs_fault_hit(fs), "remove") == 0;
        if (n <= K && !tolerated && (rc != SKV_EIO || !skv__memfs_crashed(fs))) {
            fprintf(stderr, "restore crash at op %" PRIu64 ": returned %s\n", n, skv_errname(rc));
            failures++;
        }
        for (uint64_t seed = 0; seed < 3; seed++) {
            char ctx[96];
            snprintf(ctx, sizeof ctx, "restore crash at op %" PRIu64 ", clone seed %" PRIu64, n,
                     seed);
            SkvMemFs *c = skv__memfs_crash_clone(fs, seed ? seed * 7919 + n : 0);
            SkvDbOptions o = crash_opts(0);
            skv_db *d = NULL;
            char *got = NULL;
            if ((rc = skv__db_open("db", &o, skv__memfs_env(c), &d)) == SKV_OK)
                got = kv_dump(d, &rc);
            skv_close(d);
            /* restored: state A, with the sequence of B (sequences never go backwards) */
            int is_a = got && strcmp(got, st.a) == 0, is_b = got && strcmp(got, st.b) == 0;
            free(got);
            if (!is_a && !is_b) {
                fprintf(stderr, "%s: neither the old nor the restored contents (%s)\n", ctx,
                        skv_errname(rc));
                failures++;
            } else if (ck_verify(c, "db", is_a ? st.a : st.b, st.seq_b, ctx)) {
                failures++;
            }
            if (is_a) restored++;
            if (is_b) old++;
            if (!seed && is_a && !first_restored) first_restored = n;
            if (!seed && is_b && first_restored) {
                fprintf(stderr, "%s: old contents after restored ones at op %" PRIu64 "\n", ctx,
                        first_restored);
                failures++;
            }
            skv__memfs_free(c);
        }
        ck_states_free(&st);
        skv__memfs_free(fs);
    }
    printf("restore: %" PRIu64 " crash points: %zu recoveries old, %zu restored (from op %" PRIu64
           ")\n",
           K, old, restored, first_restored);
    CHECK_EQ_U64(failures, 0);
    CHECK(old > 0 && restored > 0 && first_restored > 1);
}

static const TestCase TESTS[] = {
    {"no_fault", test_no_fault},
    {"every_crash_point", test_every_crash_point},
    {"every_crash_point_versioned", test_every_crash_point_versioned},
    {"checkpoint_crash_points", test_checkpoint_crash_points},
    {"restore_crash_points", test_restore_crash_points},
    {0, 0},
};

TEST_MAIN(TESTS)
