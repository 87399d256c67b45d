/*
 * crash_points.h — the crash-point enumeration shared by test_crash_points.c (value log off)
 * and test_crash_points_vlog.c (on): the canonical seeded workload (workload.h) is run once to
 * count its K mutating file operations, then once per n in 1..K with a crash armed at op n.
 * Each crash image is recovered in three states (durable only, and two random selections of
 * the unsynced log bytes kept or torn) and must equal the model after a prefix of k commits,
 * with k at least the last durable acknowledged commit and at most the commits attempted; then
 * three more transactions, a close and a second recovery must give the same state with rising
 * sequence numbers. With the value log, values above 32 bytes are separated at flush into
 * 2 KiB value-log files and frequent compactions rewrite them. Also a checkpoint and a restore
 * crashed at each of their file operations (value log off or on). Header-only; include after
 * test.h.
 */
#ifndef SKV_TESTS_CRASH_POINTS_H
#define SKV_TESTS_CRASH_POINTS_H

#include "kv.h"
#include "workload.h"

enum { CRASH_TXNS = 220 };

static SkvDbOptions crash_opts(int vlog) {
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.max_memtable_size = 4096;
    o.bg_inline = 1; /* file operations in a reproducible order */
    if (vlog) {
        o.enable_vlog = 1;
        o.vlog_value_threshold = 32;
        o.vlog_max_file_size = 2048;
        o.vlog_gc_discard_ratio = 0.2;
        o.level0_max_files = 2;
    }
    return o;
}

/* The workload without faults: it completes, everything is durable after close, and the
 * op count is stable from run to run. */
static void run_no_fault(int vlog) {
    uint64_t seed = wl_seed(0x5eed0001);
    Workload wl;
    CHECK(wl_init(&wl, seed, CRASH_TXNS, 1) == 0);
    SkvDbOptions o = crash_opts(vlog);
    uint64_t k1 = 0, k2 = 0;
    for (int run = 0; run < 2; run++) {
        SkvMemFs *fs = skv__memfs_new();
        WlResult res;
        wl_run(&wl, skv__memfs_env(fs), &o, 1, &res, "no fault");
        if (res.fail_at != WL_AT_NONE || res.acked != wl.ntxns) {
            fprintf(stderr, "seed %" PRIu64 ": fault-free run failed at %s: %s: %s\n", seed,
                    wl_at_name(res.fail_at), skv_errname(res.fail_rc), res.fail_msg);
            skv__memfs_free(fs);
            wl_free(&wl);
            CHECK(0);
        }
        *(run ? &k2 : &k1) = skv__memfs_op_count(fs);
        if (vlog && res.vlog_gc_runs == 0) {
            fprintf(stderr, "seed %" PRIu64 ": the workload never rewrote a value-log file\n",
                    seed);
            skv__memfs_free(fs);
            wl_free(&wl);
            CHECK(0);
        }
        SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
        size_t k = 0;
        int bad = wl_verify_recovery_with(&wl, skv__memfs_env(c), &o, wl.ntxns, wl.ntxns, &k,
                                          "no fault, power loss after close");
        skv__memfs_free(c);
        skv__memfs_free(fs);
        if (bad) wl_free(&wl);
        CHECK(!bad);
    }
    wl_free(&wl);
    CHECK_EQ_U64(k1, k2);
    printf("seed %" PRIu64 ": %d transactions, %" PRIu64 " mutating ops\n", seed, CRASH_TXNS, k1);
}

/* Every crash point of the workload, three recovered states each; with versioning, every
 * key's history is checked after each recovery too. */
static void run_every_crash_point(int vlog, int versioned) {
    uint64_t seed = wl_seed(0x5eed0001);
    Workload wl;
    SkvDbOptions o = crash_opts(vlog);
    o.enable_versioning = versioned;
    WlResult res;
    uint64_t K = 0;
    /* the canonical size; longer for a seed whose workload has fewer than 400 ops */
    for (size_t ntxns = CRASH_TXNS; K < 400; ntxns += 20) {
        if (ntxns > CRASH_TXNS) wl_free(&wl);
        CHECK(wl_init(&wl, seed, ntxns, 1) == 0);
        wl.versioned = versioned;
        SkvMemFs *fs0 = skv__memfs_new();
        wl_run(&wl, skv__memfs_env(fs0), &o, 0, &res, "count");
        K = skv__memfs_op_count(fs0);
        skv__memfs_free(fs0);
        if (res.fail_at != WL_AT_NONE) {
            fprintf(stderr, "seed %" PRIu64 ": fault-free run failed at %s: %s\n", seed,
                    wl_at_name(res.fail_at), skv_errname(res.fail_rc));
            wl_free(&wl);
            CHECK(0);
        }
    }

    size_t recoveries = 0, failures = 0;
    size_t at_count[6] = {0};
    size_t beyond_acked = 0; /* recoveries that kept the unacknowledged commit */
    for (uint64_t n = 1; n <= K && failures < 5; n++) {
        char ctx[160];
        snprintf(ctx, sizeof ctx, "seed %" PRIu64 " crash at op %" PRIu64, seed, n);
        SkvMemFs *fs = skv__memfs_new();
        skv__memfs_set_fault(fs, SKV_FAULT_CRASH, n, 0);
        wl_run(&wl, skv__memfs_env(fs), &o, 1, &res, ctx);
        if (!skv__memfs_crashed(fs) || res.fail_at == WL_AT_NONE || res.check_failed) {
            fprintf(stderr, "%s: crashed %d, workload failed at %s (%s)%s\n", ctx,
                    skv__memfs_crashed(fs), wl_at_name(res.fail_at), skv_errname(res.fail_rc),
                    res.check_failed ? ", a check after the failure did not hold" : "");
            failures++;
            skv__memfs_free(fs);
            continue;
        }
        if (res.fail_rc != SKV_EIO) {
            fprintf(stderr, "%s: %s returned %s, expected SKV_EIO: %s\n", ctx,
                    wl_at_name(res.fail_at), skv_errname(res.fail_rc), res.fail_msg);
            failures++;
        }
        at_count[res.fail_at]++;
        /* durable only, then two random page-cache states (a fresh seed per crash point:
         * the kept/torn choice for the log tail depends on the seed's first draws) */
        uint64_t mix = seed ^ (n * 0x100000001b3ull);
        uint64_t clone_seeds[3] = {0, wl_rand(&mix) | 1, wl_rand(&mix) | 1};
        for (int s = 0; s < 3; s++) {
            char ctx2[400];
            snprintf(ctx2, sizeof ctx2,
                     "%s, clone seed %" PRIu64 " (failed at %s; %zu acked, "
                     "%zu durable, %zu attempted)",
                     ctx, clone_seeds[s], wl_at_name(res.fail_at), res.acked, res.durable,
                     res.attempted);
            SkvMemFs *c = skv__memfs_crash_clone(fs, clone_seeds[s]);
            size_t k = 0;
            if (!c || wl_verify_recovery_with(&wl, skv__memfs_env(c), &o, res.durable,
                                              res.attempted, &k, ctx2) < 0)
                failures++;
            else if (k > res.acked)
                beyond_acked++;
            recoveries++;
            skv__memfs_free(c);
        }
        skv__memfs_free(fs);
    }
    size_t ntxns = wl.ntxns;
    wl_free(&wl);
    printf("%s%sseed %" PRIu64 ": %zu transactions, %" PRIu64
           " crash points, %zu recoveries checked (%zu kept an "
           "unacknowledged commit); failures at open %zu, commit %zu, skv_sync %zu, close "
           "%zu\n",
           vlog ? "value log: " : "", versioned ? "versioned: " : "", seed, ntxns, K, recoveries,
           beyond_acked, at_count[WL_AT_OPEN], at_count[WL_AT_COMMIT], at_count[WL_AT_SYNC],
           at_count[WL_AT_CLOSE]);
    CHECK_EQ_U64(failures, 0);
    CHECK_EQ_U64(recoveries, 3 * K);
}

/* ---- checkpoint and restore ---------------------------------------------------------------
 * A database of 60 small transactions (tables and log, everything durable): state A after
 * the first 40, B after all 60. The checkpoint test crashes a checkpoint of A at each of its
 * file operations: the database must recover as A exactly, and the checkpoint directory must
 * either open as A exactly or be refused as incomplete. The restore test takes a checkpoint of
 * A, writes the rest, and crashes the restore at each of its file operations: the database
 * must recover as exactly A or exactly B, with no state in between, and keep working. With
 * the value log (vlog), the values above 32 bytes of the first 20 transactions (A) and of the
 * first 50 (B) are flushed into value-log files, so the checkpoint carries value-log files,
 * the restore stages them under new numbers (the checkpoint's numbers are the database's own)
 * and rewrites the tables pointing into them, and the database's old files become strays. */

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
static int ck_setup(SkvMemFs *fs, int vlog, int with_checkpoint, skv_db **db, CkStates *st) {
    SkvDbOptions o = crash_opts(vlog);
    int rc = skv__db_open("db", &o, skv__memfs_env(fs), db);
    if (!rc) rc = ck_txns(*db, 0, vlog ? 20 : CK_TXNS_A);
    if (!rc && vlog) rc = skv_flush(*db);
    if (!rc && vlog) rc = ck_txns(*db, 20, CK_TXNS_A);
    if (!rc) rc = skv_sync(*db);
    if (!rc) st->a = kv_dump(*db, &rc);
    st->seq_a = kv_sequence(*db);
    if (!rc && with_checkpoint) rc = skv_checkpoint(*db, "ck");
    if (!rc && with_checkpoint) rc = ck_txns(*db, CK_TXNS_A, vlog ? 50 : CK_TXNS);
    if (!rc && with_checkpoint && vlog) rc = skv_flush(*db);
    if (!rc && with_checkpoint && vlog) rc = ck_txns(*db, 50, CK_TXNS);
    if (!rc && with_checkpoint) rc = skv_sync(*db);
    if (!rc && with_checkpoint) st->b = kv_dump(*db, &rc);
    st->seq_b = kv_sequence(*db);
    return rc;
}

/* Opens path on fs: the contents must be exactly want (with sequence want_seq); then one more
 * commit, a reopen, and the same plus that commit. Returns 0 or -1 (printed). */
static int ck_verify(SkvMemFs *fs, int vlog, const char *path, const char *want, uint64_t want_seq,
                     const char *ctx) {
    SkvDbOptions o = crash_opts(vlog);
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

/* 1 when directory dir of fs holds a value-log file. */
static int ck_has_vlog(SkvMemFs *fs, const char *dir) {
    SkvEnv *env = skv__memfs_env(fs);
    char **names;
    size_t n;
    int found = 0;
    uint64_t num;
    if (env->list(env, dir, &names, &n)) return 0;
    for (size_t i = 0; i < n; i++) found |= skv__vlog_parse_name(names[i], &num);
    skv__env_free_list(names, n);
    return found;
}

/* The number of file operations of one checkpoint (restore) after the setup, without faults
 * (0 when, with the value log, the checkpoint holds no value-log file). */
static uint64_t ck_count_ops(int vlog, int restore) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL;
    CkStates st = {0};
    uint64_t k = 0;
    if (ck_setup(fs, vlog, restore, &db, &st) == SKV_OK) {
        uint64_t before = skv__memfs_op_count(fs);
        if ((restore ? skv_restore(db, "ck") : skv_checkpoint(db, "ck")) == SKV_OK &&
            (!vlog || ck_has_vlog(fs, "ck")))
            k = skv__memfs_op_count(fs) - before;
    }
    skv_close(db);
    ck_states_free(&st);
    skv__memfs_free(fs);
    return k;
}

static void run_checkpoint_crash_points(int vlog) {
    uint64_t K = ck_count_ops(vlog, 0);
    CHECK(K > 10);
    size_t failures = 0, complete = 0, incomplete = 0, recoveries = 0;
    uint64_t first_complete = 0;
    /* n = K + 1: the power is lost just after the checkpoint returned */
    for (uint64_t n = 1; n <= K + 1 && failures < 5; n++) {
        SkvMemFs *fs = skv__memfs_new();
        skv_db *db = NULL;
        CkStates st = {0};
        CHECK_RC(ck_setup(fs, vlog, 0, &db, &st), SKV_OK);
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
            if (ck_verify(c, vlog, "db", st.a, st.seq_a, ctx)) failures++;
            SkvEnv *env = skv__memfs_env(c);
            if (skv__db_read_format(env, "ck") == SKV_OK) {
                complete++;
                if (!first_complete && !seed) first_complete = n;
                if (ck_verify(c, vlog, "ck", st.a, st.seq_a, ctx)) failures++;
            } else {
                incomplete++;
                if (first_complete && !seed) {
                    fprintf(stderr, "%s: incomplete after a complete one at op %" PRIu64 "\n", ctx,
                            first_complete);
                    failures++;
                }
                /* refused as a restore source; as a database either damage or nothing */
                SkvDbOptions o = crash_opts(vlog);
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
    printf("%scheckpoint: %" PRIu64 " crash points, %zu recoveries: %zu complete, %zu incomplete\n",
           vlog ? "value log: " : "", K, recoveries, complete, incomplete);
    CHECK_EQ_U64(failures, 0);
    CHECK(complete > 0 && incomplete > 0);
}

static void run_restore_crash_points(int vlog) {
    uint64_t K = ck_count_ops(vlog, 1);
    CHECK(K > 10);
    size_t failures = 0, old = 0, restored = 0;
    uint64_t first_restored = 0;
    for (uint64_t n = 1; n <= K + 1 && failures < 5; n++) {
        SkvMemFs *fs = skv__memfs_new();
        skv_db *db = NULL;
        CkStates st = {0};
        CHECK_RC(ck_setup(fs, vlog, 1, &db, &st), SKV_OK);
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
            SkvDbOptions o = crash_opts(vlog);
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
            } else if (ck_verify(c, vlog, "db", is_a ? st.a : st.b, st.seq_b, ctx)) {
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
    printf("%srestore: %" PRIu64 " crash points: %zu recoveries old, %zu restored (from op %" PRIu64
           ")\n",
           vlog ? "value log: " : "", K, old, restored, first_restored);
    CHECK_EQ_U64(failures, 0);
    CHECK(old > 0 && restored > 0 && first_restored > 1);
}

#endif /* SKV_TESTS_CRASH_POINTS_H */
