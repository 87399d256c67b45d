/*
 * test_kill.c — kill -9 of a real writer process on the real file system (plan 11.5). Each
 * cycle forks a child that opens the database in a temporary directory (skv_open) and runs
 * random multi-key transactions until it is killed: transaction i writes "k/<j>" = "<i>" for
 * 1-4 random j in 0..199 and the marker "txn/<i>" = "<i>", with eventual or immediate
 * durability, and reports "B <i>" before and "A <i>" after each commit on a pipe. The parent
 * sends SIGKILL after 20-200 ms, reopens the database and checks that it equals its model
 * after every announced-and-acknowledged transaction, plus possibly the one announced but not
 * acknowledged, and nothing else; that the "sequence" property matches exactly and never
 * goes down. The next cycle continues the same database. The vlog variant runs the same with
 * the value log on: values get 0-180 bytes of padding (a function of the transaction number,
 * checked exactly), those above 16 bytes go to 4 KiB value-log files, and every 64th
 * transaction the writer runs a full compaction, so kills also land in value-log writes,
 * rewrites and deletions.
 */
#define _POSIX_C_SOURCE 200809L

#include "skv.h"
#include "test.h"

#include "kill_harness.h"

enum { KILL_KEYS = 200, KILL_CYCLES = 30, KILL_MIN_CYCLES = 25 };

/* The keys (distinct) and durability of transaction i: a pure function of (seed, i), so the
 * parent knows what the child wrote. Returns the key count. */
static int kill_txn_shape(uint64_t seed, uint64_t i, int keys[4], int *immediate) {
    uint64_t r = kill_mix(seed ^ (i * 0x100000001b3ull));
    int n = 1 + (int)(r % 4);
    *immediate = (r >> 8) % 100 < 30;
    for (int j = 0; j < n; j++) {
        int dup;
        do {
            r = kill_mix(r);
            keys[j] = (int)(r % KILL_KEYS);
            dup = 0;
            for (int m = 0; m < j; m++) dup |= keys[m] == keys[j];
        } while (dup);
    }
    return n;
}

/* Small memtables, blocks and levels, so kills also land in flushes, compactions and
 * manifest writes. */
static int g_vlog; /* the value-log variant is running */

static skv_options *kill_options(void) {
    skv_options *o = NULL;
    if (skv_options_new(&o) != SKV_OK) return NULL;
    if (skv_options_set(o, "max_memtable_size", "16384") ||
        skv_options_set(o, "block_size", "512") || skv_options_set(o, "level0_max_files", "2") ||
        skv_options_set(o, "max_bytes_for_level", "65536") ||
        skv_options_set(o, "target_file_size", "16384") ||
        (g_vlog && (skv_options_set(o, "enable_vlog", "true") ||
                    skv_options_set(o, "vlog_value_threshold", "16") ||
                    skv_options_set(o, "vlog_max_file_size", "4096") ||
                    skv_options_set(o, "vlog_gc_discard_ratio", "0.3")))) {
        skv_options_free(o);
        return NULL;
    }
    return o;
}

/* The value transaction i writes: its number, and in the vlog variant '.' and a padding of
 * (i % 7) * 30 bytes derived from i. Returns the length. */
static size_t kill_value(uint64_t i, char *val, size_t cap) {
    size_t n = (size_t)snprintf(val, cap, "%" PRIu64, i);
    if (!g_vlog) return n;
    size_t pad = (size_t)(i % 7) * 30;
    val[n++] = '.';
    for (size_t j = 0; j < pad && n < cap; j++) val[n++] = (char)('a' + (i + j * 7) % 26);
    return n;
}

static int kill_open(const char *path, skv_db **db) {
    skv_options *o = kill_options();
    if (!o) return SKV_ENOMEM;
    int rc = skv_open(path, o, db);
    skv_options_free(o);
    return rc;
}

/* The writer: never returns. */
static void kill_child(const char *path, uint64_t seed, uint64_t start, int fd) {
    skv_db *db = NULL;
    int rc = kill_open(path, &db);
    if (rc) {
        kill_say(fd, "E", (uint64_t)-rc);
        _exit(3);
    }
    for (uint64_t i = start;; i++) {
        int keys[4], immediate;
        int n = kill_txn_shape(seed, i, keys, &immediate);
        char val[256], key[32];
        size_t vlen = kill_value(i, val, sizeof val);
        skv_txn *txn = NULL;
        rc = skv_txn_begin(db, i % 2 ? SKV_TXN_WRITE_ONLY : SKV_TXN_READ_WRITE, &txn);
        if (!rc && immediate) rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
        for (int j = 0; !rc && j < n; j++) {
            int klen = snprintf(key, sizeof key, "k/%d", keys[j]);
            rc = skv_txn_set(txn, key, (size_t)klen, val, vlen);
        }
        if (!rc) {
            int klen = snprintf(key, sizeof key, "txn/%" PRIu64, i);
            rc = skv_txn_set(txn, key, (size_t)klen, val, vlen);
        }
        if (rc) {
            kill_say(fd, "E", (uint64_t)-rc);
            _exit(4);
        }
        kill_say(fd, "B", i);
        rc = skv_txn_commit(txn);
        skv_txn_free(txn);
        if (rc) {
            kill_say(fd, "E", (uint64_t)-rc);
            _exit(4);
        }
        kill_say(fd, "A", i);
        if (g_vlog && i % 64 == 0 && (rc = skv_compact(db))) {
            kill_say(fd, "E", (uint64_t)-rc);
            _exit(4);
        }
    }
}

typedef struct {
    const char *path;
    uint64_t seed, start;
} KillChild;

static void kill_child_run(void *ctx, int fd) {
    KillChild *c = ctx;
    kill_child(c->path, c->seed, c->start, fd);
}

/* Parses complete lines: B and A must alternate with consecutive numbers from start. */
static void kill_log_parse(KillLog *lg, uint64_t start, char *err, size_t errn) {
    uint64_t expect = start;
    int open_b = 0;
    char *p = lg->text;
    err[0] = '\0';
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (!nl) break; /* an incomplete last line cannot happen with atomic pipe writes */
        char tag = 0;
        unsigned long long v = 0;
        if (sscanf(p, "%c %llu", &tag, &v) != 2) tag = '?';
        if (tag == 'B' && !open_b && v == expect) {
            open_b = 1;
            lg->last_b = v;
        } else if (tag == 'A' && open_b && v == expect) {
            open_b = 0;
            lg->last_a = v;
            expect++;
        } else {
            snprintf(err, errn, "unexpected line '%.*s' (next expected number %" PRIu64 ")",
                     (int)(nl - p), p, expect);
            lg->error = 1;
            return;
        }
        p = nl + 1;
    }
}

/* Scan state of the parent's check. */
typedef struct {
    uint64_t kv[KILL_KEYS]; /* value of k/<j> (0: absent) */
    uint8_t *marker;        /* marker[i] = 1 when txn/<i> was found */
    uint64_t marker_cap;
    uint64_t markers, max_marker;
    int bad;
    char why[160];
} KillScan;

static int kill_parse_u64(const char *s, size_t n, uint64_t *out) {
    if (n == 0 || n > 19 || (n > 1 && s[0] == '0')) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int kill_scan_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen) {
    KillScan *sc = ud;
    const char *k = key;
    uint64_t idx = 0, v = 0;
    const char *dot = memchr(val, '.', vlen);
    size_t nlen = dot ? (size_t)(dot - (const char *)val) : vlen;
    char want[256];
    if (kill_parse_u64(val, nlen, &v) < 0 || v == 0 || g_vlog != (dot != NULL) ||
        kill_value(v, want, sizeof want) != vlen || memcmp(want, val, vlen) != 0) {
        snprintf(sc->why, sizeof sc->why, "key '%.*s' has a malformed value", (int)klen, k);
        sc->bad = 1;
        return 1;
    }
    if (klen > 2 && memcmp(k, "k/", 2) == 0 && kill_parse_u64(k + 2, klen - 2, &idx) == 0 &&
        idx < KILL_KEYS) {
        sc->kv[idx] = v;
    } else if (klen > 4 && memcmp(k, "txn/", 4) == 0 &&
               kill_parse_u64(k + 4, klen - 4, &idx) == 0 && idx == v && idx > 0) {
        if (idx >= sc->marker_cap) {
            uint64_t cap = sc->marker_cap ? sc->marker_cap : 1024;
            while (cap <= idx) cap *= 2;
            uint8_t *m = realloc(sc->marker, (size_t)cap);
            if (!m) {
                sc->bad = 1;
                snprintf(sc->why, sizeof sc->why, "out of memory");
                return 1;
            }
            memset(m + sc->marker_cap, 0, (size_t)(cap - sc->marker_cap));
            sc->marker = m;
            sc->marker_cap = cap;
        }
        sc->marker[idx] = 1;
        sc->markers++;
        if (idx > sc->max_marker) sc->max_marker = idx;
    } else {
        snprintf(sc->why, sizeof sc->why, "unexpected entry '%.*s' = '%.*s'",
                 (int)(klen < 40 ? klen : 40), k, (int)(vlen < 24 ? vlen : 24), (const char *)val);
        sc->bad = 1;
        return 1;
    }
    return 0;
}

static void run_kill_cycles(void) {
    uint64_t seed = (uint64_t)strtoull(getenv("SKV_SEED") ? getenv("SKV_SEED") : "0", NULL, 0);
    if (!seed) seed = 0x6b696c6cull;
    uint64_t rng = seed;
    const char *tmpdir = getenv("TMPDIR");
    char tmpl[256], path[300];
    snprintf(tmpl, sizeof tmpl, "%s/skv-kill-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    CHECK(mkdtemp(tmpl) != NULL);
    snprintf(path, sizeof path, "%s/db", tmpl);

    uint64_t kv[KILL_KEYS] = {0}; /* the model: last transaction that wrote k/<j> */
    uint64_t committed = 0;       /* transactions 1..committed are in the database */
    uint64_t seqsum = 0;          /* their writes: the expected "sequence" */
    uint64_t prev_seq = 0, t0 = kill_now_ms();
    int cycles = 0, failed = 0, pending_kept = 0, pending_lost = 0, killed_early = 0;
    uint64_t acked_total = 0;
    KillScan sc;
    memset(&sc, 0, sizeof sc);

    while (cycles < KILL_CYCLES && !failed) {
        /* stop early (but not below the minimum) when a slow machine runs long */
        if (cycles >= KILL_MIN_CYCLES && kill_now_ms() - t0 > 30000) break;
        rng = kill_mix(rng);
        uint64_t delay = 20 + rng % 181;
        uint64_t start = committed + 1;
        KillLog lg = {0};
        KillChild child = {path, seed, start};
        int status = 0;
        if (kill_cycle(kill_child_run, &child, delay, &lg, &status)) {
            failed = 1;
            break;
        }
        char err[200];
        kill_log_parse(&lg, start, err, sizeof err);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL || lg.error) {
            fprintf(stderr,
                    "seed %" PRIu64 " cycle %d: child ended with status 0x%x; %s; "
                    "its last output: %.200s\n",
                    seed, cycles, (unsigned)status, err[0] ? err : "no protocol error",
                    lg.len > 200 ? lg.text + lg.len - 200 : (lg.text ? lg.text : ""));
            free(lg.text);
            failed = 1;
            break;
        }
        uint64_t last_a = lg.last_a ? lg.last_a : committed;
        uint64_t pending = lg.last_b > last_a ? lg.last_b : 0;
        if (!lg.last_b) killed_early++;
        acked_total += last_a - committed;
        free(lg.text);

        /* recover and compare with the model */
        skv_db *db = NULL;
        skv_txn *txn = NULL;
        int rc = kill_open(path, &db);
        if (!rc) rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
        memset(sc.kv, 0, sizeof sc.kv);
        if (sc.marker) memset(sc.marker, 0, (size_t)sc.marker_cap);
        sc.markers = sc.max_marker = 0;
        sc.bad = 0;
        if (!rc) rc = skv_txn_scan(txn, NULL, 0, NULL, 0, 0, 0, kill_scan_cb, &sc);
        skv_txn_free(txn);
        uint64_t seq = 0;
        char *s = NULL;
        if (!rc && !(rc = skv_property(db, "sequence", &s))) {
            seq = strtoull(s, NULL, 10);
            skv_free(s);
        }
        char ctx[120];
        snprintf(ctx, sizeof ctx,
                 "seed %" PRIu64 " cycle %d (acked up to %" PRIu64 ", pending %" PRIu64 ")", seed,
                 cycles, last_a, pending);
        if (rc || sc.bad) {
            fprintf(stderr, "%s: recovery: %s %s %s\n", ctx, skv_errname(rc), skv_errmsg(),
                    sc.bad ? sc.why : "");
            skv_close(db);
            failed = 1;
            break;
        }
        /* the markers are exactly 1..M with M the last acknowledged or the pending one */
        uint64_t M = sc.max_marker;
        if (sc.markers != M || (M != last_a && (!pending || M != pending))) {
            fprintf(stderr, "%s: recovered %" PRIu64 " markers, the largest %" PRIu64 "\n", ctx,
                    sc.markers, M);
            skv_close(db);
            failed = 1;
            break;
        }
        if (pending) {
            if (M == pending)
                pending_kept++;
            else
                pending_lost++;
        }
        for (uint64_t i = committed + 1; i <= M; i++) {
            int keys[4], imm;
            int n = kill_txn_shape(seed, i, keys, &imm);
            for (int j = 0; j < n; j++) kv[keys[j]] = i;
            seqsum += (uint64_t)n + 1;
        }
        committed = M;
        for (int j = 0; j < KILL_KEYS && !failed; j++) {
            if (sc.kv[j] != kv[j]) {
                fprintf(stderr,
                        "%s: k/%d is %" PRIu64 " (0 = absent), the model says %" PRIu64 "\n", ctx,
                        j, sc.kv[j], kv[j]);
                failed = 1;
            }
        }
        if (!failed && (seq != seqsum || seq < prev_seq)) {
            fprintf(stderr,
                    "%s: sequence %" PRIu64 ", expected %" PRIu64 " (previous cycle %" PRIu64 ")\n",
                    ctx, seq, seqsum, prev_seq);
            failed = 1;
        }
        prev_seq = seq;
        rc = skv_close(db);
        if (rc && !failed) {
            fprintf(stderr, "%s: close: %s\n", ctx, skv_errname(rc));
            failed = 1;
        }
        cycles++;
    }
    free(sc.marker);
    kill_rmtree(tmpl);
    printf("seed %" PRIu64 ": %d kill cycles in %" PRIu64 " ms, %" PRIu64 " transactions "
           "acknowledged, %" PRIu64 " recovered; unacknowledged commit kept %d, lost %d; "
           "killed before the first commit %d\n",
           seed, cycles, kill_now_ms() - t0, acked_total, committed, pending_kept, pending_lost,
           killed_early);
    CHECK(!failed);
    CHECK(cycles >= KILL_MIN_CYCLES);
}

static void test_kill_cycles(void) {
    g_vlog = 0;
    run_kill_cycles();
}

static void test_kill_cycles_vlog(void) {
    g_vlog = 1;
    run_kill_cycles();
}

static const TestCase TESTS[] = {
    {"kill_cycles", test_kill_cycles},
    {"kill_cycles_vlog", test_kill_cycles_vlog},
    {0, 0},
};

TEST_MAIN(TESTS)
