/*
 * tour.c — `skv-tour`: a short walk through the skv C API on a real database, printing each
 * step: options and the error model, open, what earlier tours left, transactions,
 * read-your-own-writes, snapshot isolation with a write conflict, range scans forward and
 * reverse, a versioned read, a delete, an async commit, a checkpoint, the integrity check,
 * properties, close, and a reopen that shows the data survived.
 *
 *   skv-tour [dbdir]          (default ./skv-tour.db)
 *
 * It is the first of four tours (C, then python/examples/tour.py, node/examples/tour.js and
 * go/examples/tour) that `make tour` runs on one database, each checking what the others
 * left. They share this layout: the tour of language L keeps its keys in [L/, L0) and leaves
 * exactly L/apple = green (red before the conflict step), L/cherry = dark red and
 * L/elderberry = purple; tour/red-at/L holds a timestamp at which L/apple was still red
 * (for skv_txn_get_at), and tour/langs lists the languages whose tours ran, space-separated,
 * in the order they first ran. A tour starts by checking every language tour/langs lists,
 * then deletes its own keys, so it can run again on the same directory. It exits non-zero on
 * the first result that differs from what the API documents or the other tours wrote.
 */
#include <skv.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remove_tree.h"

#define LANG "c"
#define PREFIX "c/"
#define PREFIX_END "c0" /* '0' follows '/': [PREFIX, PREFIX_END) is every "c/" key */
#define LANGS_KEY "tour/langs"
#define RED_AT_KEY "tour/red-at/"

static skv_db *db;

/* Every line of output starts with the language, so the four tours' lines tell apart. */
static void step(const char *title) { printf(LANG ": == %s\n", title); }

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
    printf(LANG ":   set %s = %s\n", key, val);
}

static int same(const void *val, size_t vlen, const char *want) {
    return vlen == strlen(want) && memcmp(val, want, vlen) == 0;
}

/* Reads key in txn; checks it holds want (NULL: absent) and prints it. */
static void check_get(skv_txn *txn, const char *key, const char *want) {
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_get(txn, key, strlen(key), &val, &vlen);
    if (want == NULL) {
        expect(rc, SKV_NOTFOUND, "skv_txn_get");
        printf(LANG ":   get %s -> (not found)\n", key);
        return;
    }
    ok(rc, "skv_txn_get");
    printf(LANG ":   get %s -> %.*s\n", key, (int)vlen, (const char *)val);
    if (!same(val, vlen, want)) fail("wrong value read back");
}

/* A read-only transaction that checks one key. */
static void check_committed(const char *key, const char *want) {
    skv_txn *txn = begin(SKV_TXN_READ_ONLY);
    check_get(txn, key, want);
    skv_txn_free(txn);
}

/* The text of key into buf (empty when absent). */
static void get_text(skv_txn *txn, const char *key, char *buf, size_t size) {
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_get(txn, key, strlen(key), &val, &vlen);
    buf[0] = '\0';
    if (rc == SKV_NOTFOUND) return;
    ok(rc, "skv_txn_get");
    if (vlen >= size) fail("a tour/ value is too long");
    memcpy(buf, val, vlen);
    buf[vlen] = '\0';
}

/* An engine property as an unsigned number (e.g. "timestamp", the last commit's). */
static uint64_t property_u64(skv_db *d, const char *name) {
    char *text = NULL;
    ok(skv_property(d, name, &text), "skv_property");
    uint64_t v = strtoull(text, NULL, 10);
    skv_free(text);
    return v;
}

/* ---- scans ---- */

typedef struct {
    const char *const *want;      /* expected keys, in order */
    const char *const *want_vals; /* expected values, or NULL: not checked */
    size_t n;
    size_t seen;
    const char *indent; /* printed before each entry */
} ScanCheck;

static int scan_cb(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    ScanCheck *sc = user_data;
    printf(LANG ": %s%.*s = %.*s\n", sc->indent, (int)klen, (const char *)key, (int)vlen,
           (const char *)val);
    if (sc->seen >= sc->n || !same(key, klen, sc->want[sc->seen]) ||
        (sc->want_vals && !same(val, vlen, sc->want_vals[sc->seen]))) {
        sc->seen = (size_t)-1;
        return 1; /* stop the scan: unexpected entry */
    }
    sc->seen++;
    return 0;
}

/* ---- what every tour leaves (the layout in the comment at the top) ---- */

static const char *const left_names[] = {"apple", "cherry", "elderberry"};
static const char *const left_values[] = {"green", "dark red", "purple"};

/* Checks that lang's tour left exactly its keys, and that lang/apple was red at the time it
 * recorded; prints them. */
static void check_tour_of(skv_txn *txn, const char *lang) {
    char lo[64], hi[64], keys[3][96], red_at[32];
    const char *key_ptrs[3];
    snprintf(lo, sizeof lo, "%s/", lang);
    snprintf(hi, sizeof hi, "%s0", lang);
    for (int i = 0; i < 3; i++) {
        snprintf(keys[i], sizeof keys[i], "%s%s", lo, left_names[i]);
        key_ptrs[i] = keys[i];
    }
    printf(LANG ":   the %s tour left:\n", lang);
    ScanCheck sc = {key_ptrs, left_values, 3, 0, "    "};
    ok(skv_txn_scan(txn, lo, strlen(lo), hi, strlen(hi), 0, 0, scan_cb, &sc), "skv_txn_scan");
    if (sc.seen != 3) {
        fprintf(stderr, "skv-tour: the keys under %s are not what the %s tour writes\n", lo, lang);
        exit(1);
    }
    char key[96];
    snprintf(key, sizeof key, RED_AT_KEY "%s", lang);
    get_text(txn, key, red_at, sizeof red_at);
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_get_at(txn, keys[0], strlen(keys[0]), strtoull(red_at, NULL, 10), &val, &vlen);
    if (rc != SKV_OK || !same(val, vlen, "red")) {
        fprintf(stderr, "skv-tour: %s as of %s (%s) is not red\n", keys[0],
                red_at[0] ? red_at : "(missing)", key);
        exit(1);
    }
    printf(LANG ":     %s as of %s -> red\n", keys[0], red_at);
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

/* Opens dir with versioning on (every tour opens the database this way: a handle without it
 * would compact the history away). */
static skv_db *open_db(const char *dir) {
    skv_db *d = NULL;
    skv_options *opts = NULL;
    ok(skv_options_new(&opts), "skv_options_new");
    ok(skv_options_set(opts, "enable_versioning", "true"), "skv_options_set");
    ok(skv_options_set(opts, "flush_on_close", "true"), "skv_options_set");
    ok(skv_options_set(opts, "create_if_missing", "true"), "skv_options_set");
    ok(skv_open(dir, opts, &d), "skv_open");
    skv_options_free(opts); /* options are copied by skv_open, never retained */
    printf(LANG ":   opened %s\n", dir);
    return d;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "./skv-tour.db";
    skv_txn *txn, *t1, *t2;

    step("version");
    printf(LANG ":   library %s (ABI %u), header %s (ABI %d)\n", skv_version_string(),
           skv_abi_version(), SKV_VERSION_STRING, SKV_ABI_VERSION);
    if (skv_abi_version() != SKV_ABI_VERSION) fail("library ABI differs from the header's");

    step("errors: every call returns SKV_OK or a negative code; skv_errmsg() has the detail");
    skv_options *opts = NULL;
    ok(skv_options_new(&opts), "skv_options_new");
    int rc = skv_options_set(opts, "no_such_option", "1");
    const char *msg = detail();
    printf(LANG ":   skv_options_set(\"no_such_option\") -> %s: %s\n", skv_errname(rc), msg);
    expect(rc, SKV_EINVAL, "skv_options_set(unknown name)");
    skv_options_free(opts);

    step("open, with versioning");
    db = open_db(dir);

    step("what the earlier tours wrote");
    char langs[256];
    txn = begin(SKV_TXN_READ_ONLY);
    get_text(txn, LANGS_KEY, langs, sizeof langs);
    printf(LANG ":   %s = %s\n", LANGS_KEY, langs[0] ? langs : "(not found: the first tour here)");
    char list[256];
    snprintf(list, sizeof list, "%s", langs);
    int ran_before = 0;
    char *save = NULL;
    for (char *lang = strtok_r(list, " ", &save); lang; lang = strtok_r(NULL, " ", &save)) {
        check_tour_of(txn, lang);
        if (strcmp(lang, LANG) == 0) ran_before = 1;
    }
    skv_txn_free(txn);

    step("clear what an earlier run of this tour left");
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
    printf(LANG ":   deleted %zu old keys\n", cleared);

    step("a transaction with immediate durability (fsynced before commit returns)");
    txn = begin(SKV_TXN_READ_WRITE);
    ok(skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE), "skv_txn_set_durability");
    put(txn, PREFIX "apple", "red");
    put(txn, PREFIX "banana", "yellow");
    put(txn, PREFIX "cherry", "dark red");
    ok(skv_txn_commit(txn), "skv_txn_commit");
    skv_txn_free(txn);
    uint64_t red_at = property_u64(db, "timestamp"); /* the commit's timestamp */
    printf(LANG ":   committed 3 keys at timestamp %llu\n", (unsigned long long)red_at);
    check_committed(PREFIX "cherry", "dark red");

    step("read your own writes; rollback discards them");
    txn = begin(SKV_TXN_READ_WRITE);
    put(txn, PREFIX "fig", "green");
    check_get(txn, PREFIX "fig", "green");
    ok(skv_txn_rollback(txn), "skv_txn_rollback");
    skv_txn_free(txn);
    printf(LANG ":   rolled back\n");
    check_committed(PREFIX "fig", NULL);

    step("modes and argument errors");
    txn = begin(SKV_TXN_READ_ONLY);
    rc = skv_txn_set(txn, PREFIX "x", strlen(PREFIX "x"), "y", 1);
    printf(LANG ":   set in a read-only transaction -> %s\n", skv_errname(rc));
    expect(rc, SKV_EREADONLY, "skv_txn_set(read-only)");
    skv_txn_free(txn);
    txn = begin(SKV_TXN_READ_WRITE);
    rc = skv_txn_set(txn, "", 0, "y", 1);
    printf(LANG ":   set with an empty key -> %s\n", skv_errname(rc));
    expect(rc, SKV_EEMPTYKEY, "skv_txn_set(empty key)");
    skv_txn_free(txn);

    step("snapshot isolation: first committer wins");
    t1 = begin(SKV_TXN_READ_WRITE);
    t2 = begin(SKV_TXN_READ_WRITE);
    printf(LANG ":   t1 and t2 begin; t1 reads:\n");
    check_get(t1, PREFIX "apple", "red");
    printf(LANG ":   t2 writes apple and commits:\n");
    put(t2, PREFIX "apple", "green");
    ok(skv_txn_commit(t2), "skv_txn_commit(t2)");
    skv_txn_free(t2);
    printf(LANG ":   t1 still reads its snapshot:\n");
    check_get(t1, PREFIX "apple", "red");
    printf(LANG ":   t1 writes the same key; its commit must fail:\n");
    put(t1, PREFIX "apple", "crimson");
    rc = skv_txn_commit(t1);
    msg = detail();
    printf(LANG ":   t1 commit -> %s: %s\n", skv_errname(rc), msg);
    expect(rc, SKV_ECONFLICT, "skv_txn_commit(t1)");
    const void *stale;
    size_t stale_len;
    rc = skv_txn_get(t1, PREFIX "apple", strlen(PREFIX "apple"), &stale, &stale_len);
    printf(LANG ":   t1 after its commit -> %s\n", skv_errname(rc));
    expect(rc, SKV_ECLOSED, "skv_txn_get after commit");
    skv_txn_free(t1);
    check_committed(PREFIX "apple", "green");

    step("range scan [c/b, c/d) with an iterator");
    txn = begin(SKV_TXN_READ_ONLY);
    static const char *const forward[] = {PREFIX "banana", PREFIX "cherry"};
    ok(skv_iter_open(txn, PREFIX "b", strlen(PREFIX "b"), PREFIX "d", strlen(PREFIX "d"), 0, &it),
       "skv_iter_open");
    size_t n = 0;
    for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it), n++) {
        const void *k, *v;
        size_t klen, vlen;
        ok(skv_iter_key(it, &k, &klen), "skv_iter_key");
        ok(skv_iter_value(it, &v, &vlen), "skv_iter_value");
        printf(LANG ":   %.*s = %.*s\n", (int)klen, (const char *)k, (int)vlen, (const char *)v);
        if (n >= 2 || !same(k, klen, forward[n])) fail("forward scan returned the wrong key");
    }
    expect(rc, SKV_NOTFOUND, "skv_iter_next (end)");
    if (n != 2) fail("forward scan returned the wrong number of keys");
    skv_iter_free(it);

    step("reverse scan of every c/ key with skv_txn_scan");
    static const char *const reverse[] = {PREFIX "cherry", PREFIX "banana", PREFIX "apple"};
    ScanCheck sc = {reverse, NULL, 3, 0, "  "};
    ok(skv_txn_scan(txn, PREFIX, strlen(PREFIX), PREFIX_END, strlen(PREFIX_END), SKV_ITER_REVERSE,
                    0, scan_cb, &sc),
       "skv_txn_scan");
    if (sc.seen != 3) fail("reverse scan returned the wrong keys");

    step("versioned read: c/apple as of the first commit's timestamp");
    const void *val;
    size_t vlen;
    ok(skv_txn_get_at(txn, PREFIX "apple", strlen(PREFIX "apple"), red_at, &val, &vlen),
       "skv_txn_get_at");
    printf(LANG ":   get_at c/apple %llu -> %.*s\n", (unsigned long long)red_at, (int)vlen,
           (const char *)val);
    if (!same(val, vlen, "red")) fail("skv_txn_get_at did not return the older value");
    check_get(txn, PREFIX "apple", "green");
    skv_txn_free(txn);

    step("delete");
    txn = begin(SKV_TXN_READ_WRITE);
    ok(skv_txn_delete(txn, PREFIX "banana", strlen(PREFIX "banana")), "skv_txn_delete");
    ok(skv_txn_commit(txn), "skv_txn_commit");
    skv_txn_free(txn);
    printf(LANG ":   deleted c/banana\n");
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
    printf(LANG ":   callback status: %s\n", skv_errname(w.status));
    ok(w.status, "async commit status");
    check_committed(PREFIX "elderberry", "purple");

    step("leave a note for the next tours");
    char red_at_text[32];
    snprintf(red_at_text, sizeof red_at_text, "%llu", (unsigned long long)red_at);
    txn = begin(SKV_TXN_READ_WRITE);
    put(txn, RED_AT_KEY LANG, red_at_text);
    if (!ran_before) {
        char updated[sizeof langs + 8];
        snprintf(updated, sizeof updated, "%s%s" LANG, langs, langs[0] ? " " : "");
        put(txn, LANGS_KEY, updated);
    }
    ok(skv_txn_commit(txn), "skv_txn_commit");
    skv_txn_free(txn);

    step("checkpoint into a folder next to the database");
    char real[PATH_MAX], ckpt[PATH_MAX + 16];
    if (realpath(dir, real) == NULL) fail("realpath of the database folder");
    snprintf(ckpt, sizeof ckpt, "%s-checkpoint", real);
    if (remove_tree(ckpt) != 0) fail("could not remove the old checkpoint");
    ok(skv_checkpoint(db, ckpt), "skv_checkpoint");
    printf(LANG ":   checkpoint in %s\n", ckpt);
    skv_db *copy = open_db(ckpt); /* a database of its own */
    ok(skv_txn_begin(copy, SKV_TXN_READ_ONLY, &txn), "skv_txn_begin(checkpoint)");
    check_get(txn, PREFIX "elderberry", "purple");
    skv_txn_free(txn);
    ok(skv_close(copy), "skv_close(checkpoint)");

    step("integrity check");
    char *report = NULL;
    ok(skv_check(db, &report), "skv_check");
    const char *last = report; /* the report's last line is its summary */
    for (const char *p = report; *p; p++) {
        if (p[0] == '\n' && p[1] != '\0') last = p + 1;
    }
    printf(LANG ":   %.*s\n", (int)strcspn(last, "\n"), last);
    skv_free(report);

    step("properties");
    printf(LANG ":   sequence %llu, timestamp %llu, %llu memtables\n",
           (unsigned long long)property_u64(db, "sequence"),
           (unsigned long long)property_u64(db, "timestamp"),
           (unsigned long long)property_u64(db, "memtables"));
    ok(skv_sync(db), "skv_sync");
    printf(LANG ":   skv_sync: every commit so far is durable\n");

    step("close, reopen, and read everything back");
    ok(skv_close(db), "skv_close");
    db = NULL;
    printf(LANG ":   closed\n");
    db = open_db(dir);
    static const char *const final_keys[] = {PREFIX "apple", PREFIX "cherry", PREFIX "elderberry"};
    ScanCheck all = {final_keys, left_values, 3, 0, "  "};
    txn = begin(SKV_TXN_READ_ONLY);
    ok(skv_txn_scan(txn, PREFIX, strlen(PREFIX), PREFIX_END, strlen(PREFIX_END), 0, 0, scan_cb,
                    &all),
       "skv_txn_scan");
    if (all.seen != 3) fail("the reopened database holds the wrong keys");
    check_get(txn, PREFIX "banana", NULL);
    skv_txn_free(txn);
    ok(skv_close(db), "skv_close");

    printf(LANG ": tour complete: %s\n", dir);
    return 0;
}
