/*
 * test_checkpoint_concurrent.c — checkpoints, checks and a restore while writers run (on the
 * real file system, with background flushes and compactions). Every writer transaction reads
 * the global counter g and its thread's counter t<n>/last, then writes t<n>/<last+1>,
 * t<n>/last and g+1 (conflicts are retried), so the commits are totally ordered by g. A
 * checkpoint must then hold exactly the first G commits for some G: g = G, every thread's keys
 * t<n>/0 .. t<n>/last present with no gap, the lasts adding up to G, and (before any restore)
 * the sequence exactly 3 G. After a restore the same invariants hold for the database. The
 * value-log variant pads every value past the threshold into small value-log files that
 * background collection rewrites and deletes while the checkpoints are taken.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "kv.h"
#include "skv.h"
#include "scratch_dir.h"
#include "test.h"

enum { WRITERS = 4, CHECKPOINTS = 4 };

typedef struct {
    skv_db *db;
    int id;
    atomic_int *stop;
    long commits, closed;
    int error;
} Writer;

static long get_num(skv_txn *t, const char *key, int *rc) {
    const void *v;
    size_t n;
    *rc = skv_txn_get(t, key, strlen(key), &v, &n);
    if (*rc == SKV_NOTFOUND) {
        *rc = SKV_OK;
        return -1;
    }
    if (*rc) return 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%.*s", (int)n, (const char *)v);
    return strtol(buf, NULL, 10);
}

static int g_vlog; /* the value-log variant: values padded into the value log */

static int set_num(skv_txn *t, const char *key, long x) {
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%ld", x);
    if (g_vlog) n += snprintf(buf + n, sizeof buf - (size_t)n, ".%0*ld", 40 + (int)(x % 50), x);
    return skv_txn_set(t, key, strlen(key), buf, (size_t)n);
}

static void *writer_main(void *arg) {
    Writer *w = arg;
    char last_key[32], item[48];
    snprintf(last_key, sizeof last_key, "t%d/last", w->id);
    while (!atomic_load(w->stop)) {
        skv_txn *t = NULL;
        int rc = skv_txn_begin(w->db, SKV_TXN_READ_WRITE, &t);
        long g = rc ? 0 : get_num(t, "g", &rc);
        long last = rc ? 0 : get_num(t, last_key, &rc);
        if (!rc) {
            snprintf(item, sizeof item, "t%d/%06ld", w->id, last + 1);
            rc = set_num(t, item, last + 1);
        }
        if (!rc) rc = set_num(t, last_key, last + 1);
        if (!rc) rc = set_num(t, "g", (g < 0 ? 0 : g) + 1);
        if (!rc) rc = skv_txn_commit(t);
        skv_txn_free(t);
        if (rc == SKV_OK)
            w->commits++;
        else if (rc == SKV_ECLOSED)
            w->closed++; /* began before a restore: start over */
        else if (rc != SKV_ECONFLICT && rc != SKV_ERETRY) {
            w->error = rc;
            break;
        }
    }
    return NULL;
}

/* Checks the invariants on db; *g_out = g. Returns 0 or -1 (printed). */
static int check_invariants(skv_db *db, long *g_out, const char *what) {
    skv_txn *t = NULL;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &t);
    long g = rc ? 0 : get_num(t, "g", &rc), sum = 0;
    if (g < 0) g = 0;
    for (int id = 0; !rc && id < WRITERS; id++) {
        char key[48];
        snprintf(key, sizeof key, "t%d/last", id);
        long last = get_num(t, key, &rc);
        for (long i = 0; !rc && i <= last; i++) {
            snprintf(key, sizeof key, "t%d/%06ld", id, i);
            long x = get_num(t, key, &rc);
            if (!rc && x != i) {
                fprintf(stderr, "%s: %s is %ld\n", what, key, x);
                rc = SKV_ECORRUPT;
            }
        }
        snprintf(key, sizeof key, "t%d/%06ld", id, last + 1);
        if (!rc && get_num(t, key, &rc) != -1) {
            fprintf(stderr, "%s: %s exists after t%d/last = %ld\n", what, key, id, last);
            rc = SKV_ECORRUPT;
        }
        sum += last + 1;
    }
    skv_txn_free(t);
    if (rc || sum != g) {
        fprintf(stderr, "%s: %s, g = %ld, the threads' counts add up to %ld\n", what,
                skv_errname(rc), g, sum);
        return -1;
    }
    *g_out = g;
    return 0;
}

static void run_checkpoints_while_writing(int vlog) {
    g_vlog = vlog;
    char dir[] = "/tmp/skv-ckpt-conc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], ck[CHECKPOINTS][128];
    snprintf(path, sizeof path, "%s/db", dir);
    skv_options *opts = NULL;
    CHECK_RC(skv_options_new(&opts), SKV_OK);
    CHECK_RC(skv_options_set(opts, "max_memtable_size", "16384"), SKV_OK);
    CHECK_RC(skv_options_set(opts, "level0_max_files", "2"), SKV_OK);
    CHECK_RC(skv_options_set(opts, "target_file_size", "32768"), SKV_OK);
    if (vlog) {
        CHECK_RC(skv_options_set(opts, "enable_vlog", "true"), SKV_OK);
        CHECK_RC(skv_options_set(opts, "vlog_value_threshold", "16"), SKV_OK);
        CHECK_RC(skv_options_set(opts, "vlog_max_file_size", "8192"), SKV_OK);
        CHECK_RC(skv_options_set(opts, "vlog_gc_discard_ratio", "0.3"), SKV_OK);
    }
    skv_db *db = NULL;
    CHECK_RC(skv_open(path, opts, &db), SKV_OK);
    atomic_int stop = 0;
    Writer w[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (Writer){.db = db, .id = i, .stop = &stop};
        CHECK(pthread_create(&th[i], NULL, writer_main, &w[i]) == 0);
    }
    int bad = 0;
    uint64_t seq_before[CHECKPOINTS] = {0}, seq_after[CHECKPOINTS] = {0};
    for (int c = 0; c < CHECKPOINTS && !bad; c++) {
        usleep(40000);
        snprintf(ck[c], sizeof ck[c], "%s/ck%d", dir, c);
        seq_before[c] = kv_sequence(db);
        int rc = skv_checkpoint(db, ck[c]);
        seq_after[c] = kv_sequence(db);
        char *report = NULL;
        int crc = skv_check(db, &report);
        if (rc || crc) {
            fprintf(stderr, "checkpoint %d: %s; check: %s: %s\n%s", c, skv_errname(rc),
                    skv_errname(crc), skv_errmsg(), report ? report : "");
            bad = 1;
        }
        skv_free(report);
    }
    usleep(40000);
    /* a restore while they write: their open transactions end, they start over */
    int rrc = bad ? SKV_OK : skv_restore(db, ck[1]);
    usleep(40000);
    atomic_store(&stop, 1);
    long commits = 0, closed = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        commits += w[i].commits;
        closed += w[i].closed;
        if (w[i].error) fprintf(stderr, "writer %d: %s\n", i, skv_errname(w[i].error));
        bad |= w[i].error != 0;
    }
    CHECK(!bad);
    CHECK_RC(rrc, SKV_OK);
    long g_db = 0;
    CHECK(check_invariants(db, &g_db, "database after the restore") == 0);
    char *report = NULL;
    CHECK_RC(skv_check(db, &report), SKV_OK);
    skv_free(report);
    if (vlog) { /* collection ran while the checkpoints were taken */
        char *runs = NULL;
        CHECK_RC(skv_property(db, "vlog-gc-runs", &runs), SKV_OK);
        printf("value log: %s collection runs\n", runs);
        CHECK(runs && strtol(runs, NULL, 10) > 0);
        skv_free(runs);
    }
    CHECK_RC(skv_close(db), SKV_OK);
    long prev = -1;
    for (int c = 0; c < CHECKPOINTS; c++) {
        skv_db *d = NULL;
        CHECK_RC(skv_open(ck[c], opts, &d), SKV_OK);
        long g = 0;
        char what[160];
        snprintf(what, sizeof what, "checkpoint %d", c);
        int ok = check_invariants(d, &g, what) == 0;
        uint64_t seq = kv_sequence(d);
        skv_close(d);
        CHECK(ok);
        CHECK_EQ_U64(seq, 3 * (uint64_t)g); /* exactly the first g commits, nothing else */
        /* as of the call: every commit made before it, none made after it returned */
        CHECK(seq >= seq_before[c] && seq <= seq_after[c]);
        CHECK(g >= prev);
        prev = g;
        printf("checkpoint %d: the first %ld commits\n", c, g);
    }
    printf("%s%ld commits, %ld transactions ended by the restore\n", vlog ? "value log: " : "",
           commits, closed);
    CHECK(prev > 0);
    skv_options_free(opts);
    CHECK(scratch_remove(dir) == 0);
}

static void test_checkpoints_while_writing(void) { run_checkpoints_while_writing(0); }
static void test_checkpoints_while_writing_vlog(void) { run_checkpoints_while_writing(1); }

static const TestCase TESTS[] = {
    {"checkpoints_while_writing", test_checkpoints_while_writing},
    {"checkpoints_while_writing_vlog", test_checkpoints_while_writing_vlog},
    {0, 0},
};

TEST_MAIN(TESTS)
