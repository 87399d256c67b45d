/*
 * tour.c — `skv-tour`: a short walk through the skv C API on a real database, printing each
 * step: options and the error model, open, transactions, read-your-own-writes, snapshot
 * isolation with a write conflict, range scans forward and reverse, a delete, an async
 * commit, properties, close, and a reopen that shows the data survived.
 *
 *   skv-tour [dbdir]          (default ./skv-tour.db)
 *
 * The tour only touches keys under "tour/", so it can run again on the same directory. It
 * exits non-zero on the first result that differs from what the API documents.
 */
#include <skv.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "tour/"
#define PREFIX_END "tour0" /* '0' follows '/': [PREFIX, PREFIX_END) is every "tour/" key */

static skv_db *db;

static void step(const char *title) { printf("\n== %s\n", title); }

/* A copy of skv_errmsg(): the message is only valid until the next skv call on this thread,
 * so it is copied before anything else (even skv_errname) is called. */
static const char *detail(void) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s", skv_errmsg());
    return buf;
}

/* Stops the tour when rc is not the expected code. */
static void expect(int rc, int want, const char *what) {
    if (rc == want) return;
    const char *msg = detail();
    fprintf(stderr, "skv-tour: unexpected: %s returned %s (%s), expected %s\n", what,
            skv_errname(rc), msg[0] ? msg : skv_strerror(rc), skv_errname(want));
    exit(1);
}

static void ok(int rc, const char *what) { expect(rc, SKV_OK, what); }

static void fail(const char *what) {
    fprintf(stderr, "skv-tour: unexpected: %s\n", what);
    exit(1);
}

static skv_txn *begin(int mode) {
    skv_txn *txn = NULL;
    ok(skv_txn_begin(db, mode, &txn), "skv_txn_begin");
    return txn;
}

static void put(skv_txn *txn, const char *key, const char *val) {
    ok(skv_txn_set(txn, key, strlen(key), val, strlen(val)), "skv_txn_set");
    printf("  set %s = %s\n", key, val);
}

/* Reads key in txn; checks it holds want (NULL: absent) and prints it. */
static void check_get(skv_txn *txn, const char *key, const char *want) {
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_get(txn, key, strlen(key), &val, &vlen);
    if (want == NULL) {
        expect(rc, SKV_NOTFOUND, "skv_txn_get");
        printf("  get %s -> (not found)\n", key);
        return;
    }
    ok(rc, "skv_txn_get");
    printf("  get %s -> %.*s\n", key, (int)vlen, (const char *)val);
    if (vlen != strlen(want) || memcmp(val, want, vlen) != 0) fail("wrong value read back");
}

/* A read-only transaction that checks one key. */
static void check_committed(const char *key, const char *want) {
    skv_txn *txn = begin(SKV_TXN_READ_ONLY);
    check_get(txn, key, want);
    skv_txn_free(txn);
}

/* ---- scans ---- */

typedef struct {
    const char *const *want; /* expected keys, in order */
    size_t n;
    size_t seen;
} ScanCheck;

static int scan_cb(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    ScanCheck *sc = user_data;
    printf("  %.*s = %.*s\n", (int)klen, (const char *)key, (int)vlen, (const char *)val);
    if (sc->seen >= sc->n || klen != strlen(sc->want[sc->seen]) ||
        memcmp(key, sc->want[sc->seen], klen) != 0) {
        sc->seen = (size_t)-1;
        return 1; /* stop the scan: unexpected key */
    }
    sc->seen++;
    return 0;
}

/* ---- async commit ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int status;
} AsyncWait;

static void commit_done(void *user_data, int status) {
    AsyncWait *w = user_data; /* runs on an engine thread */
    pthread_mutex_lock(&w->mu);
    w->status = status;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void open_db(const char *dir) {
    skv_options *opts = NULL;
    ok(skv_options_new(&opts), "skv_options_new");
    ok(skv_options_set(opts, "flush_on_close", "true"), "skv_options_set");
    ok(skv_options_set(opts, "create_if_missing", "true"), "skv_options_set");
    ok(skv_open(dir, opts, &db), "skv_open");
    skv_options_free(opts); /* options are copied by skv_open, never retained */
    printf("  opened %s\n", dir);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./skv-tour.db";
    skv_txn *txn, *t1, *t2;

    step("version");
    printf("  library %s (ABI %u), header %s (ABI %d)\n", skv_version_string(), skv_abi_version(),
           SKV_VERSION_STRING, SKV_ABI_VERSION);
    if (skv_abi_version() != SKV_ABI_VERSION) fail("library ABI differs from the header's");

    step("errors: every call returns SKV_OK or a negative code; skv_errmsg() has the detail");
    skv_options *opts = NULL;
    ok(skv_options_new(&opts), "skv_options_new");
    int rc = skv_options_set(opts, "no_such_option", "1");
    const char *msg = detail();
    printf("  skv_options_set(\"no_such_option\") -> %s: %s\n", skv_errname(rc), msg);
    expect(rc, SKV_EINVAL, "skv_options_set(unknown name)");
    skv_options_free(opts);

    step("open");
    open_db(dir);

    step("clear what an earlier tour left");
    txn = begin(SKV_TXN_READ_WRITE);
    skv_iter *it = NULL;
    ok(skv_iter_open(txn, PREFIX, strlen(PREFIX), PREFIX_END, strlen(PREFIX_END),
                     SKV_ITER_KEYS_ONLY, &it),
       "skv_iter_open");
    size_t cleared = 0;
    for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it)) {
        const void *k;
        size_t klen;
        ok(skv_iter_key(it, &k, &klen), "skv_iter_key");
        ok(skv_txn_delete(txn, k, klen), "skv_txn_delete");
        cleared++;
    }
    expect(rc, SKV_NOTFOUND, "skv_iter_next (end)");
    skv_iter_free(it);
    ok(skv_txn_commit(txn), "skv_txn_commit");
    skv_txn_free(txn);
    printf("  deleted %zu old keys\n", cleared);

    step("a transaction with immediate durability (fsynced before commit returns)");
    txn = begin(SKV_TXN_READ_WRITE);
    ok(skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE), "skv_txn_set_durability");
    put(txn, PREFIX "apple", "red");
    put(txn, PREFIX "banana", "yellow");
    put(txn, PREFIX "cherry", "dark red");
    put(txn, PREFIX "date", "brown");
    ok(skv_txn_commit(txn), "skv_txn_commit");
    skv_txn_free(txn);
    printf("  committed 4 keys\n");
    check_committed(PREFIX "cherry", "dark red");

    step("read your own writes; rollback discards them");
    txn = begin(SKV_TXN_READ_WRITE);
    put(txn, PREFIX "fig", "green");
    check_get(txn, PREFIX "fig", "green");
    ok(skv_txn_rollback(txn), "skv_txn_rollback");
    skv_txn_free(txn);
    printf("  rolled back\n");
    check_committed(PREFIX "fig", NULL);

    step("modes and argument errors");
    txn = begin(SKV_TXN_READ_ONLY);
    rc = skv_txn_set(txn, PREFIX "x", strlen(PREFIX "x"), "y", 1);
    printf("  set in a read-only transaction -> %s\n", skv_errname(rc));
    expect(rc, SKV_EREADONLY, "skv_txn_set(read-only)");
    skv_txn_free(txn);
    txn = begin(SKV_TXN_READ_WRITE);
    rc = skv_txn_set(txn, "", 0, "y", 1);
    printf("  set with an empty key -> %s\n", skv_errname(rc));
    expect(rc, SKV_EEMPTYKEY, "skv_txn_set(empty key)");
    skv_txn_free(txn);

    step("snapshot isolation: first committer wins");
    t1 = begin(SKV_TXN_READ_WRITE);
    t2 = begin(SKV_TXN_READ_WRITE);
    printf("  t1 and t2 begin; t1 reads:\n");
    check_get(t1, PREFIX "apple", "red");
    printf("  t2 writes apple and commits:\n");
    put(t2, PREFIX "apple", "green");
    ok(skv_txn_commit(t2), "skv_txn_commit(t2)");
    skv_txn_free(t2);
    printf("  t1 still reads its snapshot:\n");
    check_get(t1, PREFIX "apple", "red");
    printf("  t1 writes the same key; its commit must fail:\n");
    put(t1, PREFIX "apple", "crimson");
    rc = skv_txn_commit(t1);
    msg = detail();
    printf("  t1 commit -> %s: %s\n", skv_errname(rc), msg);
    expect(rc, SKV_ECONFLICT, "skv_txn_commit(t1)");
    const void *stale;
    size_t stale_len;
    rc = skv_txn_get(t1, PREFIX "apple", strlen(PREFIX "apple"), &stale, &stale_len);
    printf("  t1 after its commit -> %s\n", skv_errname(rc));
    expect(rc, SKV_ECLOSED, "skv_txn_get after commit");
    skv_txn_free(t1);
    check_committed(PREFIX "apple", "green");

    step("range scan [tour/b, tour/e) with an iterator");
    txn = begin(SKV_TXN_READ_ONLY);
    static const char *const forward[] = {PREFIX "banana", PREFIX "cherry", PREFIX "date"};
    ok(skv_iter_open(txn, PREFIX "b", strlen(PREFIX "b"), PREFIX "e", strlen(PREFIX "e"), 0, &it),
       "skv_iter_open");
    size_t n = 0;
    for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it), n++) {
        const void *k, *v;
        size_t klen, vlen;
        ok(skv_iter_key(it, &k, &klen), "skv_iter_key");
        ok(skv_iter_value(it, &v, &vlen), "skv_iter_value");
        printf("  %.*s = %.*s\n", (int)klen, (const char *)k, (int)vlen, (const char *)v);
        if (n >= 3 || klen != strlen(forward[n]) || memcmp(k, forward[n], klen) != 0) {
            fail("forward scan returned the wrong key");
        }
    }
    expect(rc, SKV_NOTFOUND, "skv_iter_next (end)");
    if (n != 3) fail("forward scan returned the wrong number of keys");
    skv_iter_free(it);

    step("reverse scan of every tour/ key with skv_txn_scan");
    static const char *const reverse[] = {PREFIX "date", PREFIX "cherry", PREFIX "banana",
                                          PREFIX "apple"};
    ScanCheck sc = {reverse, 4, 0};
    ok(skv_txn_scan(txn, PREFIX, strlen(PREFIX), PREFIX_END, strlen(PREFIX_END), SKV_ITER_REVERSE,
                    0, scan_cb, &sc),
       "skv_txn_scan");
    if (sc.seen != 4) fail("reverse scan returned the wrong keys");
    skv_txn_free(txn);

    step("delete");
    txn = begin(SKV_TXN_READ_WRITE);
    ok(skv_txn_delete(txn, PREFIX "banana", strlen(PREFIX "banana")), "skv_txn_delete");
    ok(skv_txn_commit(txn), "skv_txn_commit");
    skv_txn_free(txn);
    printf("  deleted tour/banana\n");
    check_committed(PREFIX "banana", NULL);

    step("async commit: the callback runs once, on an engine thread");
    AsyncWait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 1};
    txn = begin(SKV_TXN_READ_WRITE);
    put(txn, PREFIX "elderberry", "purple");
    ok(skv_txn_commit_async(txn, commit_done, &w), "skv_txn_commit_async");
    skv_txn_free(txn); /* the transaction has ended; the commit goes on without it */
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    printf("  callback status: %s\n", skv_errname(w.status));
    ok(w.status, "async commit status");
    check_committed(PREFIX "elderberry", "purple");

    step("properties");
    char *stats = NULL;
    ok(skv_property(db, "stats", &stats), "skv_property(stats)");
    printf("%s%s", stats, stats[0] && stats[strlen(stats) - 1] == '\n' ? "" : "\n");
    skv_free(stats);
    ok(skv_sync(db), "skv_sync");
    printf("  skv_sync: every commit so far is durable\n");

    step("close, reopen, and read everything back");
    ok(skv_close(db), "skv_close");
    db = NULL;
    printf("  closed\n");
    open_db(dir);
    static const char *const final_keys[] = {PREFIX "apple", PREFIX "cherry", PREFIX "date",
                                             PREFIX "elderberry"};
    ScanCheck all = {final_keys, 4, 0};
    txn = begin(SKV_TXN_READ_ONLY);
    ok(skv_txn_scan(txn, PREFIX, strlen(PREFIX), PREFIX_END, strlen(PREFIX_END), 0, 0, scan_cb,
                    &all),
       "skv_txn_scan");
    if (all.seen != 4) fail("the reopened database holds the wrong keys");
    check_get(txn, PREFIX "apple", "green");
    check_get(txn, PREFIX "banana", NULL);
    skv_txn_free(txn);
    ok(skv_close(db), "skv_close");

    printf("\ntour complete: %s\n", dir);
    return 0;
}
