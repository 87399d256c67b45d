/*
 * test_kill_restore.c — kill -9 during checkpoints and restores of a database with a value
 * log, on the real file system. Each cycle forks a child that opens the database (value log
 * on: values of 40-190 bytes above a 16-byte threshold, 4 KiB value-log files, small
 * memtables) and loops: generation g is one transaction that sets every key "k/<j>" (j below
 * 24) to a value that is a function of (g, j) and "gen" to g; every third generation it takes
 * a checkpoint into "ck-<g>"; every second it restores the newest checkpoint of this cycle;
 * every eighth it runs a full compaction (value-log collection). It reports "B g"/"A g"
 * around each commit, "C g" after a checkpoint and "R c"/"D c" around a restore of the
 * checkpoint of generation c. The parent kills it after 80-500 ms, reopens the database and
 * requires: skv_check clean, and contents exactly those of one generation — the last
 * completed step's, or the pending step's (a commit or a restore announced, not finished).
 * The newest completed checkpoint of the cycle must open alone with exactly its generation
 * and check clean. The next cycle continues the same database.
 */
#define _POSIX_C_SOURCE 200809L

#include "skv.h"
#include "test.h"

#include "kill_harness.h"

enum { KR_KEYS = 24, KR_CYCLES = 20, KR_MIN_CYCLES = 15 };

static skv_options *kr_options(void) {
    skv_options *o = NULL;
    if (skv_options_new(&o) != SKV_OK) return NULL;
    if (skv_options_set(o, "max_memtable_size", "8192") ||
        skv_options_set(o, "level0_max_files", "2") ||
        skv_options_set(o, "target_file_size", "16384") ||
        skv_options_set(o, "enable_vlog", "true") ||
        skv_options_set(o, "vlog_value_threshold", "16") ||
        skv_options_set(o, "vlog_max_file_size", "4096") ||
        skv_options_set(o, "vlog_gc_discard_ratio", "0.3")) {
        skv_options_free(o);
        return NULL;
    }
    return o;
}

static int kr_open(const char *path, skv_db **db) {
    skv_options *o = kr_options();
    if (!o) return SKV_ENOMEM;
    int rc = skv_open(path, o, db);
    skv_options_free(o);
    return rc;
}

/* The value of key j in generation g: "<g>." and 40-190 bytes derived from (g, j). */
static size_t kr_value(uint64_t g, int j, char *val, size_t cap) {
    size_t n = (size_t)snprintf(val, cap, "%" PRIu64 ".", g);
    size_t pad = 40 + (size_t)((g * 7 + (uint64_t)j * 13) % 151);
    for (size_t i = 0; i < pad && n + 1 < cap; i++) val[n++] = (char)('a' + (g + i * 5 + j) % 26);
    return n;
}

typedef struct {
    const char *dir; /* holds "db" and the checkpoints */
    uint64_t start;  /* the first generation the child writes */
} KrChild;

static void kr_fail(int fd, int rc) {
    kill_say(fd, "E", (uint64_t)-rc);
    _exit(4);
}

/* The writer: never returns. */
static void kr_child(void *ctx, int fd) {
    const KrChild *c = ctx;
    char db_path[400], ck[400];
    snprintf(db_path, sizeof db_path, "%s/db", c->dir);
    skv_db *db = NULL;
    int rc = kr_open(db_path, &db);
    if (rc) kr_fail(fd, rc);
    uint64_t last_ck = 0;
    for (uint64_t g = c->start;; g++) {
        skv_txn *txn = NULL;
        char key[32], val[256];
        rc = skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &txn);
        if (!rc && g % 2) rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
        for (int j = 0; !rc && j < KR_KEYS; j++) {
            int klen = snprintf(key, sizeof key, "k/%d", j);
            rc = skv_txn_set(txn, key, (size_t)klen, val, kr_value(g, j, val, sizeof val));
        }
        int vlen = snprintf(val, sizeof val, "%" PRIu64, g);
        if (!rc) rc = skv_txn_set(txn, "gen", 3, val, (size_t)vlen);
        if (rc) kr_fail(fd, rc);
        kill_say(fd, "B", g);
        rc = skv_txn_commit(txn);
        skv_txn_free(txn);
        if (rc) kr_fail(fd, rc);
        kill_say(fd, "A", g);
        if (g % 3 == 0) {
            snprintf(ck, sizeof ck, "%s/ck-%" PRIu64, c->dir, g);
            if ((rc = skv_checkpoint(db, ck))) kr_fail(fd, rc);
            kill_say(fd, "C", g);
            last_ck = g;
        }
        if (g % 2 == 0 && last_ck) {
            snprintf(ck, sizeof ck, "%s/ck-%" PRIu64, c->dir, last_ck);
            kill_say(fd, "R", last_ck);
            if ((rc = skv_restore(db, ck))) kr_fail(fd, rc);
            kill_say(fd, "D", last_ck);
        }
        if (g % 8 == 0 && (rc = skv_compact(db))) kr_fail(fd, rc);
    }
}

/* What one cycle's lines allow: the generation of the last completed step (cur), the pending
 * step's (pending, 0: none), the newest completed checkpoint, the highest generation named. */
typedef struct {
    uint64_t cur, pending, last_ck, max_gen;
    int pending_restore; /* the pending step is a restore */
} KrState;

static int kr_parse(const KillLog *lg, uint64_t start, KrState *st, char *err, size_t errn) {
    uint64_t expect = start; /* the next generation to commit */
    char *p = lg->text;
    err[0] = '\0';
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (!nl) break;
        char tag = 0;
        unsigned long long v = 0;
        if (sscanf(p, "%c %llu", &tag, &v) != 2) tag = '?';
        int ok = 0;
        if (tag == 'B' && !st->pending && v == expect) {
            st->pending = v;
            st->pending_restore = 0;
            ok = 1;
        } else if (tag == 'A' && st->pending == v && !st->pending_restore) {
            st->cur = v;
            st->pending = 0;
            expect++;
            ok = 1;
        } else if (tag == 'C' && !st->pending && v == st->cur) {
            st->last_ck = v;
            ok = 1;
        } else if (tag == 'R' && !st->pending && v == st->last_ck && v) {
            st->pending = v;
            st->pending_restore = 1;
            ok = 1;
        } else if (tag == 'D' && st->pending == v && st->pending_restore) {
            st->cur = v;
            st->pending = 0;
            ok = 1;
        }
        if (!ok) {
            snprintf(err, errn, "unexpected line '%.*s'", (int)(nl - p), p);
            return -1;
        }
        if (v > st->max_gen) st->max_gen = v;
        p = nl + 1;
    }
    return 0;
}

/* Scan state: which generation every key holds (UINT64_MAX: mixed or malformed). */
typedef struct {
    uint64_t gen, gen_key;
    int keys, bad;
    char why[160];
} KrScan;

static int kr_scan_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen) {
    KrScan *sc = ud;
    char k[32], want[256];
    snprintf(k, sizeof k, "%.*s", (int)(klen < 31 ? klen : 31), (const char *)key);
    if (strcmp(k, "gen") == 0) {
        char v[32];
        snprintf(v, sizeof v, "%.*s", (int)(vlen < 31 ? vlen : 31), (const char *)val);
        sc->gen_key = strtoull(v, NULL, 10);
        return 0;
    }
    int j = -1;
    uint64_t g = strtoull((const char *)val, NULL, 10);
    if (strncmp(k, "k/", 2) == 0) j = atoi(k + 2);
    if (j < 0 || j >= KR_KEYS || kr_value(g, j, want, sizeof want) != vlen ||
        memcmp(want, val, vlen) != 0 || (sc->keys && g != sc->gen)) {
        snprintf(sc->why, sizeof sc->why, "key '%s' holds an unexpected value", k);
        sc->bad = 1;
        return 1;
    }
    sc->gen = g;
    sc->keys++;
    return 0;
}

/* Opens path, checks it clean and returns the one generation it holds (0: empty), or
 * UINT64_MAX (printed) when it holds anything else. */
static uint64_t kr_recover(const char *path, const char *ctx) {
    skv_db *db = NULL;
    skv_txn *txn = NULL;
    KrScan sc = {0};
    char *report = NULL;
    int rc = kr_open(path, &db);
    if (!rc) rc = skv_check(db, &report);
    if (!rc) rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (!rc) rc = skv_txn_scan(txn, NULL, 0, NULL, 0, 0, 0, kr_scan_cb, &sc);
    skv_txn_free(txn);
    int closed = db ? skv_close(db) : SKV_OK;
    uint64_t gen = sc.keys ? sc.gen : 0;
    if (rc || closed || sc.bad || (sc.keys && sc.keys != KR_KEYS) || sc.gen_key != gen) {
        fprintf(stderr, "%s: %s: %s %s %s (%d keys, gen %" PRIu64 ", gen key %" PRIu64 ")\n%s", ctx,
                path, skv_errname(rc ? rc : closed), skv_errmsg(), sc.bad ? sc.why : "", sc.keys,
                gen, sc.gen_key, report ? report : "");
        skv_free(report);
        return UINT64_MAX;
    }
    skv_free(report);
    return gen;
}

static void test_kill_checkpoint_restore(void) {
    uint64_t seed = (uint64_t)strtoull(getenv("SKV_SEED") ? getenv("SKV_SEED") : "0", NULL, 0);
    if (!seed) seed = 0x6b726573ull;
    uint64_t rng = seed;
    const char *tmpdir = getenv("TMPDIR");
    char dir[256], db_path[320];
    snprintf(dir, sizeof dir, "%s/skv-kill-restore-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof db_path, "%s/db", dir);
    uint64_t cur = 0, next = 1, t0 = kill_now_ms();
    int cycles = 0, failed = 0, restores = 0, checkpoints = 0, pending_kept = 0;
    while (cycles < KR_CYCLES && !failed) {
        if (cycles >= KR_MIN_CYCLES && kill_now_ms() - t0 > 20000) break;
        rng = kill_mix(rng);
        uint64_t delay = 80 + rng % 421;
        KrChild child = {dir, next};
        KillLog lg = {0};
        int status = 0;
        CHECK(kill_cycle(kr_child, &child, delay, &lg, &status) == 0);
        KrState st = {.cur = cur};
        char err[200], ctx[160];
        int perr = kr_parse(&lg, next, &st, err, sizeof err);
        if (perr || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
            fprintf(stderr, "seed %" PRIu64 " cycle %d: status 0x%x, %s; last output: %.200s\n",
                    seed, cycles, (unsigned)status, perr ? err : "no protocol error",
                    lg.len > 200 ? lg.text + lg.len - 200 : (lg.text ? lg.text : ""));
            free(lg.text);
            failed = 1;
            break;
        }
        for (char *p = lg.text; p && (p = strstr(p, "\nD ")); p++) restores++;
        if (lg.text && strncmp(lg.text, "D ", 2) == 0) restores++;
        free(lg.text);
        snprintf(ctx, sizeof ctx,
                 "seed %" PRIu64 " cycle %d (completed %" PRIu64 ", pending %s %" PRIu64 ")", seed,
                 cycles, st.cur, st.pending_restore ? "restore" : "commit", st.pending);
        uint64_t got = kr_recover(db_path, ctx);
        if (got == UINT64_MAX || (got != st.cur && (!st.pending || got != st.pending))) {
            if (got != UINT64_MAX)
                fprintf(stderr, "%s: the database holds generation %" PRIu64 "\n", ctx, got);
            failed = 1;
            break;
        }
        if (st.pending && got == st.pending && got != st.cur) pending_kept++;
        /* the newest complete checkpoint opens alone as its generation */
        if (st.last_ck) {
            char ck[320];
            snprintf(ck, sizeof ck, "%s/ck-%" PRIu64, dir, st.last_ck);
            uint64_t ck_gen = kr_recover(ck, ctx);
            checkpoints++;
            if (ck_gen != st.last_ck) {
                if (ck_gen != UINT64_MAX)
                    fprintf(stderr, "%s: checkpoint %s holds generation %" PRIu64 "\n", ctx, ck,
                            ck_gen);
                failed = 1;
                break;
            }
        }
        /* the checkpoints served this cycle only */
        for (uint64_t g = next; g <= st.max_gen + 1; g++) {
            char ck[320];
            snprintf(ck, sizeof ck, "%s/ck-%" PRIu64, dir, g);
            kill_rmtree(ck);
        }
        cur = got;
        next = st.max_gen + 1 > next ? st.max_gen + 1 : next;
        cycles++;
    }
    kill_rmtree(dir);
    printf("seed %" PRIu64 ": %d kill cycles in %" PRIu64 " ms, %" PRIu64
           " generations, %d restores completed, %d checkpoints reopened, pending step kept %d\n",
           seed, cycles, kill_now_ms() - t0, next - 1, restores, checkpoints, pending_kept);
    CHECK(!failed);
    CHECK(cycles >= KR_MIN_CYCLES);
    CHECK(restores > 0 && checkpoints > 0);
}

static const TestCase TESTS[] = {
    {"kill_checkpoint_restore", test_kill_checkpoint_restore},
    {0, 0},
};

TEST_MAIN(TESTS)
