/*
 * crash_points.h — the crash-point enumeration shared by test_crash_points.c (value log off)
 * and test_crash_points_vlog.c (on): the canonical seeded workload (workload.h) is run once to
 * count its K mutating file operations, then once per n in 1..K with a crash armed at op n.
 * Each crash image is recovered in three states (durable only, and two random selections of
 * the unsynced log bytes kept or torn) and must equal the model after a prefix of k commits,
 * with k at least the last durable acknowledged commit and at most the commits attempted; then
 * three more transactions, a close and a second recovery must give the same state with rising
 * sequence numbers. With the value log, values above 32 bytes are separated at flush into
 * 2 KiB value-log files and frequent compactions rewrite them. Header-only; include after
 * test.h.
 */
#ifndef SKV_TESTS_CRASH_POINTS_H
#define SKV_TESTS_CRASH_POINTS_H

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

#endif /* SKV_TESTS_CRASH_POINTS_H */
