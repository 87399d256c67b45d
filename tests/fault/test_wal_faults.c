/*
 * test_wal_faults.c — I/O error injection on the in-memory file system (plan 11.6): for
 * every mutating op of a small seeded workload (crash/workload.h) x {EIO once, EIO sticky,
 * ENOSPC once, short write}, the call that hits the failure returns exactly the injected
 * error, the handle latches (later commits and skv_sync give SKV_EFATAL, reads keep
 * working), close never crashes, and the state after a process crash (and after a power
 * loss) is a prefix of the commits holding every acknowledged (resp. durable) one, the
 * failed commit wholly present or absent. Plus a focused check that ENOSPC or EIO on the
 * fsync of an IMMEDIATE commit is never reported as success, then or later. The vlog variant
 * runs the same with the value log on (values above 32 bytes, 2 KiB files, eager rewriting),
 * so faults also hit value-log writes, fsyncs, rewrites and removals.
 */
#include "../crash/workload.h"
#include "test.h"

enum { FAULT_TXNS = 40 };

typedef struct {
    const char *name;
    int kind, sticky, expect;
} FaultKind;

static const FaultKind FAULT_KINDS[] = {
    {"EIO once", SKV_FAULT_EIO, 0, SKV_EIO},
    {"EIO sticky", SKV_FAULT_EIO, 1, SKV_EIO},
    {"ENOSPC once", SKV_FAULT_ENOSPC, 0, SKV_ENOSPC},
    {"short write", SKV_FAULT_SHORT_WRITE, 0, SKV_EIO},
};

static void run_every_op_every_fault(int vlog) {
    uint64_t seed = wl_seed(0xfa017);
    Workload wl;
    CHECK(wl_init(&wl, seed, FAULT_TXNS, 1) == 0);
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

    SkvMemFs *fs0 = skv__memfs_new();
    WlResult res;
    wl_run(&wl, skv__memfs_env(fs0), &o, 0, &res, "count");
    uint64_t K = skv__memfs_op_count(fs0);
    skv__memfs_free(fs0);
    if (res.fail_at != WL_AT_NONE) {
        wl_free(&wl);
        CHECK(0);
    }

    size_t cases = 0, failures = 0, no_effect = 0, kept_failed = 0;
    size_t at_count[6] = {0};
    for (size_t f = 0; f < sizeof FAULT_KINDS / sizeof FAULT_KINDS[0]; f++) {
        const FaultKind *fk = &FAULT_KINDS[f];
        for (uint64_t n = 1; n <= K && failures < 5; n++) {
            char ctx[160];
            snprintf(ctx, sizeof ctx, "seed %" PRIu64 " %s at op %" PRIu64, seed, fk->name, n);
            SkvMemFs *fs = skv__memfs_new();
            skv__memfs_set_fault(fs, fk->kind, n, fk->sticky);
            wl_run(&wl, skv__memfs_env(fs), &o, 1, &res, ctx);
            cases++;
            int bad = res.check_failed;
            if (res.fail_at == WL_AT_NONE) {
                /* only a short write armed on an op that is not an append, or a single
                 * failure to remove an obsolete file (removal is retried later), has no
                 * effect */
                int harmless = fk->kind == SKV_FAULT_SHORT_WRITE ||
                               (!fk->sticky && strcmp(skv__memfs_fault_hit(fs), "remove") == 0);
                if (!harmless) {
                    fprintf(stderr, "%s: the workload completed without an error\n", ctx);
                    bad = 1;
                }
                no_effect++;
            } else if (res.fail_rc != fk->expect) {
                fprintf(stderr, "%s: %s returned %s, expected %s: %s\n", ctx,
                        wl_at_name(res.fail_at), skv_errname(res.fail_rc), skv_errname(fk->expect),
                        res.fail_msg);
                bad = 1;
            } else if (res.fail_at == WL_AT_WRITE) {
                fprintf(stderr, "%s: a buffered write failed (%s)\n", ctx,
                        skv_errname(res.fail_rc));
                bad = 1;
            }
            at_count[res.fail_at]++;
            /* a process crash: everything the OS had; then a power loss */
            for (int pass = 0; pass < 2 && !bad; pass++) {
                char ctx2[400];
                snprintf(ctx2, sizeof ctx2,
                         "%s, %s (failed at %s; %zu acked, %zu durable, "
                         "%zu attempted)",
                         ctx, pass == 0 ? "process crash" : "power loss", wl_at_name(res.fail_at),
                         res.acked, res.durable, res.attempted);
                SkvMemFs *c = pass == 0 ? skv__memfs_clone(fs) : skv__memfs_crash_clone(fs, 0);
                size_t k = 0;
                if (!c || wl_verify_recovery_with(&wl, skv__memfs_env(c), &o,
                                                  pass == 0 ? res.acked : res.durable,
                                                  res.attempted, &k, ctx2) < 0)
                    bad = 1;
                else if (pass == 0 && k > res.acked)
                    kept_failed++;
                skv__memfs_free(c);
            }
            failures += bad != 0;
            skv__memfs_free(fs);
        }
    }
    wl_free(&wl);
    printf("%sseed %" PRIu64 ": %" PRIu64 " ops x %zu fault kinds = %zu fault cases (%zu had no "
           "effect: a short write on a non-append, or one failed removal of an obsolete file); "
           "failed at open %zu, commit %zu, skv_sync "
           "%zu, close %zu; %zu failed commits survived a process crash whole\n",
           vlog ? "value log: " : "", seed, K, sizeof FAULT_KINDS / sizeof FAULT_KINDS[0], cases,
           no_effect, at_count[WL_AT_OPEN], at_count[WL_AT_COMMIT], at_count[WL_AT_SYNC],
           at_count[WL_AT_CLOSE], kept_failed);
    CHECK_EQ_U64(failures, 0);
}

/* ---- the fsync of an IMMEDIATE commit fails ---- */

static int put1(skv_db *db, const char *k, const char *v, int immediate) {
    skv_txn *txn = NULL;
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &txn);
    if (!rc && immediate) rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
    if (!rc) rc = skv_txn_set(txn, k, strlen(k), v, strlen(v));
    if (!rc) rc = skv_txn_commit(txn);
    skv_txn_free(txn);
    return rc;
}

/* SKV_OK with the value equal to v, SKV_NOTFOUND when v is NULL and the key is absent;
 * otherwise -100 (wrong value) or the error. */
static int get_is(skv_db *db, const char *k, const char *v) {
    skv_txn *txn = NULL;
    const void *got = NULL;
    size_t len = 0;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (!rc) rc = skv_txn_get(txn, k, strlen(k), &got, &len);
    if (rc == SKV_OK && (!v || len != strlen(v) || memcmp(got, v, len) != 0)) rc = -100;
    skv_txn_free(txn);
    if (!v && rc == SKV_NOTFOUND) return SKV_OK;
    return rc;
}

static uint64_t seq_of(skv_db *db) {
    uint64_t s = UINT64_MAX;
    return wl_sequence(db, &s) ? UINT64_MAX : s;
}

static void test_immediate_fsync_failure(void) {
    static const FaultKind kinds[] = {
        {"ENOSPC once", SKV_FAULT_ENOSPC, 0, SKV_ENOSPC},
        {"ENOSPC sticky", SKV_FAULT_ENOSPC, 1, SKV_ENOSPC},
        {"EIO once", SKV_FAULT_EIO, 0, SKV_EIO},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const FaultKind *fk = &kinds[i];
        fprintf(stderr, "case: %s on the fsync of an IMMEDIATE commit\n", fk->name);
        SkvDbOptions o;
        skv__db_options_default(&o);
        SkvMemFs *fs = skv__memfs_new();
        SkvEnv *env = skv__memfs_env(fs);
        skv_db *db = NULL;
        CHECK_RC(skv__db_open("db", &o, env, &db), SKV_OK);
        CHECK_RC(put1(db, "a", "1", 0), SKV_OK);
        CHECK_RC(put1(db, "b", "2", 0), SKV_OK);
        CHECK_RC(skv_sync(db), SKV_OK);
        uint64_t ops0 = skv__memfs_op_count(fs);
        /* the commit's ops: the log append (ops0 + 1), then its fsync (ops0 + 2) */
        skv__memfs_set_fault(fs, fk->kind, ops0 + 2, fk->sticky);
        CHECK_RC(put1(db, "c", "3", 1), fk->expect);
        CHECK_EQ_U64(skv__memfs_op_count(fs), ops0 + 2);
        /* no later call may report success for the lost fsync */
        CHECK_RC(put1(db, "d", "4", 1), SKV_EFATAL);
        CHECK_RC(put1(db, "e", "5", 0), SKV_EFATAL);
        CHECK_RC(skv_sync(db), SKV_EFATAL);
        CHECK_RC(skv_sync(db), SKV_EFATAL);
        /* reads keep working and show the acknowledged commits only */
        CHECK_RC(get_is(db, "a", "1"), SKV_OK);
        CHECK_RC(get_is(db, "b", "2"), SKV_OK);
        CHECK_RC(get_is(db, "c", NULL), SKV_OK);
        CHECK_EQ_U64(seq_of(db), 2);
        int crc = skv_close(db);
        CHECK(crc == SKV_OK || crc == fk->expect);

        /* power loss: exactly the synced commits */
        SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
        CHECK_RC(skv__db_open("db", &o, skv__memfs_env(c), &db), SKV_OK);
        CHECK_RC(get_is(db, "a", "1"), SKV_OK);
        CHECK_RC(get_is(db, "b", "2"), SKV_OK);
        CHECK_RC(get_is(db, "c", NULL), SKV_OK);
        CHECK_RC(get_is(db, "d", NULL), SKV_OK);
        CHECK_EQ_U64(seq_of(db), 2);
        CHECK_RC(put1(db, "f", "6", 1), SKV_OK);
        CHECK_EQ_U64(seq_of(db), 3);
        CHECK_RC(skv_close(db), SKV_OK);
        skv__memfs_free(c);

        /* process crash: the appended record is there whole, or not at all */
        c = skv__memfs_clone(fs);
        CHECK_RC(skv__db_open("db", &o, skv__memfs_env(c), &db), SKV_OK);
        CHECK_RC(get_is(db, "a", "1"), SKV_OK);
        CHECK_RC(get_is(db, "b", "2"), SKV_OK);
        int has_c = get_is(db, "c", "3") == SKV_OK;
        CHECK(has_c || get_is(db, "c", NULL) == SKV_OK);
        CHECK_RC(get_is(db, "d", NULL), SKV_OK);
        CHECK_RC(get_is(db, "e", NULL), SKV_OK);
        CHECK_EQ_U64(seq_of(db), has_c ? 3 : 2);
        CHECK_RC(skv_close(db), SKV_OK);
        skv__memfs_free(c);
        skv__memfs_free(fs);
    }
}

static void test_every_op_every_fault(void) { run_every_op_every_fault(0); }
static void test_every_op_every_fault_vlog(void) { run_every_op_every_fault(1); }

static const TestCase TESTS[] = {
    {"every_op_every_fault", test_every_op_every_fault},
    {"every_op_every_fault_vlog", test_every_op_every_fault_vlog},
    {"immediate_fsync_failure", test_immediate_fsync_failure},
    {0, 0},
};

TEST_MAIN(TESTS)
