/* test_abi_misuse.c — the bad-input behaviour of every function of the public header skv.h:
 * NULL handles and out-pointers, empty and oversized keys and values, unknown modes and flags,
 * use after commit, rollback and close, directory locking, error names and messages. */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skv.h"
#include "test.h"

/* ---- helpers ---------------------------------------------------------------------------- */

/* A non-NULL sentinel stored in out-pointers before a failing call: the call must clear it. */
static char junk_;
#define JUNK ((void *)&junk_)

/* Lengths near SIZE_MAX, passed with a valid small buffer: the length must be rejected before
 * any byte is read. */
static const size_t HUGE_LENS[] = {SIZE_MAX,      SIZE_MAX - 1,     SIZE_MAX - 7,
                                   SIZE_MAX - 64, SIZE_MAX / 2 + 1, SIZE_MAX / 2};
#define N_HUGE (sizeof HUGE_LENS / sizeof HUGE_LENS[0])

static int make_tmpdir(char *buf, size_t n) {
    snprintf(buf, n, "/tmp/skv_abi_misuse_XXXXXX");
    return mkdtemp(buf) != NULL;
}

static void remove_tree(const char *path) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
}

static int errmsg_nonempty(void) {
    const char *m = skv_errmsg();
    return m != NULL && m[0] != '\0';
}

static int errmsg_contains(const char *s) {
    const char *m = skv_errmsg();
    return m != NULL && strstr(m, s) != NULL;
}

/* Runs body(dir) in a fresh temporary directory (the database lives in dir/db), then removes
 * the directory whatever the body did. */
static void in_tmpdir(void (*body)(const char *dbdir)) {
    char dir[256], dbdir[300];
    if (!make_tmpdir(dir, sizeof dir)) {
        fprintf(stderr, "mkdtemp failed\n");
        test_failures_++;
        return;
    }
    snprintf(dbdir, sizeof dbdir, "%s/db", dir);
    body(dbdir);
    remove_tree(dir);
}

static _Atomic int cb_calls;
static _Atomic int cb_status;

static void count_cb(void *user_data, int status) {
    (void)user_data;
    atomic_store(&cb_status, status);
    atomic_fetch_add(&cb_calls, 1);
}

static int scan_calls;

static int scan_cb(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    (void)user_data, (void)key, (void)klen, (void)val, (void)vlen;
    scan_calls++;
    return 0;
}

/* ---- version and error codes ------------------------------------------------------------ */

static void test_version_functions(void) {
    CHECK(skv_version_number() == SKV_VERSION_NUMBER);
    CHECK(SKV_VERSION_NUMBER ==
          SKV_VERSION_MAJOR * 10000 + SKV_VERSION_MINOR * 100 + SKV_VERSION_PATCH);
    CHECK(skv_version_string() != NULL);
    CHECK(strcmp(skv_version_string(), SKV_VERSION_STRING) == 0);
    CHECK(skv_abi_version() == SKV_ABI_VERSION);
}

#define CHECK_CODE_(name, num, text)                                                               \
    CHECK((int)SKV_##name == (num));                                                               \
    CHECK(skv_errname(num) != NULL && strcmp(skv_errname(num), "SKV_" #name) == 0);                \
    CHECK(skv_strerror(num) != NULL && strcmp(skv_strerror(num), text) == 0);

static void test_errname_strerror_every_code(void) {
    SKV_ERRNO_MAP(CHECK_CODE_)
    CHECK(strcmp(skv_errname(SKV_OK), "SKV_OK") == 0);
    CHECK(skv_strerror(SKV_OK) != NULL && skv_strerror(SKV_OK)[0] != '\0');
    CHECK(strcmp(skv_strerror(SKV_OK), "unknown error") != 0);
}

static void test_errname_strerror_unknown(void) {
    static const int unknown[] = {1, 2, 19, -20, -21, -100, 1000, INT_MIN, INT_MAX, INT_MIN + 1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(skv_errname(unknown[i]) != NULL);
        CHECK(strcmp(skv_errname(unknown[i]), "SKV_UNKNOWN") == 0);
        CHECK(skv_strerror(unknown[i]) != NULL);
        CHECK(strcmp(skv_strerror(unknown[i]), "unknown error") == 0);
    }
}

static void test_errmsg_after_failure(void) {
    skv_txn *t = JUNK;
    CHECK_RC(skv_txn_begin(NULL, SKV_TXN_READ_WRITE, &t), SKV_EINVAL);
    CHECK(errmsg_nonempty());
    CHECK_RC(skv_options_new(NULL), SKV_EINVAL);
    CHECK(errmsg_nonempty());
    CHECK_RC(skv_open(NULL, NULL, NULL), SKV_EINVAL);
    CHECK(errmsg_nonempty());
    CHECK_RC(skv_txn_commit(NULL), SKV_EINVAL);
    CHECK(errmsg_nonempty());
}

/* ---- NULL-tolerant frees ---------------------------------------------------------------- */

static void test_null_noops(void) {
    skv_free(NULL);
    skv_options_free(NULL);
    skv_txn_free(NULL);
    skv_iter_free(NULL);
    CHECK_RC(skv_close(NULL), SKV_OK);
}

/* ---- options ---------------------------------------------------------------------------- */

static void test_options_misuse(void) {
    CHECK_RC(skv_options_new(NULL), SKV_EINVAL);
    CHECK_RC(skv_options_set(NULL, "create_if_missing", "true"), SKV_EINVAL);
    CHECK(errmsg_nonempty());

    skv_options *o = NULL;
    CHECK_RC(skv_options_new(&o), SKV_OK);
    CHECK(o != NULL);
    int ok = 1;
    do {
        int rc;
        if ((rc = skv_options_set(o, NULL, "1")) != SKV_EINVAL) {
            ok = 0;
            break;
        }
        if ((rc = skv_options_set(o, "max_memtable_size", NULL)) != SKV_EINVAL) {
            ok = 0;
            break;
        }
        if (skv_options_set(o, "no_such_option_xyz", "1") != SKV_EINVAL) {
            ok = 0;
            break;
        }
        if (!errmsg_contains("no_such_option_xyz")) {
            ok = 0;
            break;
        }
        if (skv_options_set(o, "", "1") != SKV_EINVAL) {
            ok = 0;
            break;
        }
        /* bad values: the message names the option */
        static const char *const bad[][2] = {
            {"max_memtable_size", "4095"},
            {"max_memtable_size", "4294967296"},
            {"max_memtable_size", "-1"},
            {"max_memtable_size", "abc"},
            {"max_memtable_size", ""},
            {"max_memtable_size", "12x"},
            {"max_memtable_size", "18446744073709551616"},
            {"conflict_window", "0"},
            {"conflict_window", "4294967296"},
            {"conflict_window", "-5"},
            {"create_if_missing", "yes"},
            {"create_if_missing", ""},
            {"flush_on_close", "1"},
            {"wal_recovery_mode", "bogus"},
            {"wal_recovery_mode", ""},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            rc = skv_options_set(o, bad[i][0], bad[i][1]);
            if (rc != SKV_EINVAL || !errmsg_contains(bad[i][0])) {
                fprintf(stderr, "skv_options_set(%s, \"%s\") returned %s, errmsg '%s'\n", bad[i][0],
                        bad[i][1], skv_errname(rc), skv_errmsg());
                ok = 0;
            }
        }
        /* the documented good values are accepted */
        static const char *const good[][2] = {
            {"max_memtable_size", "4096"},
            {"max_memtable_size", "4294967295"},
            {"max_memtable_size", "67108864"},
            {"conflict_window", "1"},
            {"conflict_window", "4294967295"},
            {"create_if_missing", "false"},
            {"create_if_missing", "true"},
            {"flush_on_close", "false"},
            {"wal_recovery_mode", "absolute_consistency"},
            {"wal_recovery_mode", "tolerate_corrupted_tail"},
        };
        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
            rc = skv_options_set(o, good[i][0], good[i][1]);
            if (rc != SKV_OK) {
                fprintf(stderr, "skv_options_set(%s, \"%s\") returned %s: %s\n", good[i][0],
                        good[i][1], skv_errname(rc), skv_errmsg());
                ok = 0;
            }
        }
    } while (0);
    skv_options_free(o);
    CHECK(ok);
}

/* ---- skv_open / skv_close / locking ----------------------------------------------------- */

static void open_args_body(const char *dbdir) {
    skv_db *db = JUNK;
    CHECK_RC(skv_open(NULL, NULL, &db), SKV_EINVAL);
    CHECK(db == NULL);
    CHECK(errmsg_nonempty());
    CHECK_RC(skv_open(dbdir, NULL, NULL), SKV_EINVAL);

    /* a regular file */
    char file[400];
    snprintf(file, sizeof file, "%s.file", dbdir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fputs("not a database directory\n", f);
    fclose(f);
    db = JUNK;
    int rc = skv_open(file, NULL, &db);
    CHECK(errmsg_nonempty());
    CHECK(db == NULL);
    CHECK_RC(rc, SKV_EINVAL);

    /* the parent does not exist */
    char deep[400];
    snprintf(deep, sizeof deep, "%s/missing_parent/db", dbdir);
    db = JUNK;
    rc = skv_open(deep, NULL, &db);
    CHECK(rc != SKV_OK);
    CHECK(rc < 0);
    CHECK(db == NULL);
    if (!errmsg_contains(deep)) {
        fprintf(stderr, "skv_open(missing parent) returned %s, errmsg '%s' does not name %s\n",
                skv_errname(rc), skv_errmsg(), deep);
        CHECK(errmsg_contains(deep));
    }

    /* create_if_missing=false on a missing directory */
    skv_options *o = NULL;
    CHECK_RC(skv_options_new(&o), SKV_OK);
    rc = skv_options_set(o, "create_if_missing", "false");
    if (rc != SKV_OK) skv_options_free(o);
    CHECK_RC(rc, SKV_OK);
    db = JUNK;
    rc = skv_open(dbdir, o, &db);
    skv_options_free(o);
    CHECK(db == NULL);
    CHECK_RC(rc, SKV_NOTFOUND);
    struct stat st;
    CHECK(stat(dbdir, &st) != 0); /* nothing was created */

    /* an empty path */
    db = JUNK;
    CHECK(skv_open("", NULL, &db) != SKV_OK);
    CHECK(db == NULL);
}

static void test_open_bad_paths(void) { in_tmpdir(open_args_body); }

/* Forks a child that tries to open dbdir; returns the child's skv_open code, or 1 on a
 * failure of fork/wait. */
static int open_in_child(const char *dbdir) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        skv_db *db = NULL;
        int rc = skv_open(dbdir, NULL, &db);
        if (rc == SKV_OK) _exit(db != NULL ? 0 : 101);
        _exit(rc < 0 && rc >= -100 ? -rc : 100);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 1;
    int code = WEXITSTATUS(status);
    return code == 0 ? SKV_OK : (code >= 100 ? 1 : -code);
}

static void lock_body(const char *dbdir) {
    skv_db *db = NULL, *db2 = JUNK;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    CHECK(db != NULL);
    int rc = skv_open(dbdir, NULL, &db2);
    int msg_ok = errmsg_nonempty();
    int rc_child = open_in_child(dbdir);
    int rc_close = skv_close(db);
    CHECK(db2 == NULL);
    CHECK_RC(rc, SKV_ELOCKED);
    CHECK(msg_ok);
    CHECK_RC(rc_child, SKV_ELOCKED);
    CHECK_RC(rc_close, SKV_OK);

    /* after close: the child and this process can open it again */
    CHECK_RC(open_in_child(dbdir), SKV_OK);
    db = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    CHECK(db != NULL);
    CHECK_RC(skv_close(db), SKV_OK);
}

static void test_open_locked(void) { in_tmpdir(lock_body); }

/* ---- NULL handles ----------------------------------------------------------------------- */

static void test_null_db_handle(void) {
    CHECK_RC(skv_sync(NULL), SKV_EINVAL);
    CHECK_RC(skv_flush(NULL), SKV_EINVAL);
    CHECK_RC(skv_compact(NULL), SKV_EINVAL);
    char *v = JUNK;
    CHECK_RC(skv_property(NULL, "stats", &v), SKV_EINVAL);
    CHECK(v == NULL);
    skv_txn *t = JUNK;
    CHECK_RC(skv_txn_begin(NULL, SKV_TXN_READ_WRITE, &t), SKV_EINVAL);
    CHECK(t == NULL);
    t = JUNK;
    CHECK_RC(skv_txn_begin(NULL, SKV_TXN_READ_ONLY, &t), SKV_EINVAL);
    CHECK(t == NULL);
}

static void test_null_txn_handle(void) {
    const void *val = JUNK;
    size_t vlen = 7;
    CHECK_RC(skv_txn_set_durability(NULL, SKV_DURABILITY_IMMEDIATE), SKV_EINVAL);
    CHECK_RC(skv_txn_get(NULL, "k", 1, &val, &vlen), SKV_EINVAL);
    CHECK(val == NULL && vlen == 0);
    CHECK_RC(skv_txn_set(NULL, "k", 1, "v", 1), SKV_EINVAL);
    CHECK_RC(skv_txn_set_at(NULL, "k", 1, "v", 1, 5), SKV_EINVAL);
    CHECK_RC(skv_txn_delete(NULL, "k", 1), SKV_EINVAL);
    CHECK_RC(skv_txn_soft_delete(NULL, "k", 1), SKV_EINVAL);
    CHECK_RC(skv_txn_replace(NULL, "k", 1, "v", 1), SKV_EINVAL);
    CHECK_RC(skv_txn_savepoint(NULL), SKV_EINVAL);
    CHECK_RC(skv_txn_rollback_to_savepoint(NULL), SKV_EINVAL);
    CHECK_RC(skv_txn_commit(NULL), SKV_EINVAL);
    atomic_store(&cb_calls, 0);
    CHECK_RC(skv_txn_commit_async(NULL, count_cb, NULL), SKV_EINVAL);
    CHECK_RC(skv_txn_commit_async(NULL, NULL, NULL), SKV_EINVAL);
    CHECK(atomic_load(&cb_calls) == 0);
    CHECK_RC(skv_txn_rollback(NULL), SKV_EINVAL);
    skv_iter *it = JUNK;
    CHECK_RC(skv_iter_open(NULL, NULL, 0, NULL, 0, 0, &it), SKV_EINVAL);
    CHECK(it == NULL);
    scan_calls = 0;
    CHECK_RC(skv_txn_scan(NULL, NULL, 0, NULL, 0, 0, 0, scan_cb, NULL), SKV_EINVAL);
    CHECK(scan_calls == 0);
}

static void test_null_iter_handle(void) {
    CHECK_RC(skv_iter_first(NULL), SKV_EINVAL);
    CHECK_RC(skv_iter_last(NULL), SKV_EINVAL);
    CHECK_RC(skv_iter_seek(NULL, "k", 1), SKV_EINVAL);
    CHECK_RC(skv_iter_next(NULL), SKV_EINVAL);
    CHECK_RC(skv_iter_prev(NULL), SKV_EINVAL);
    const void *p = JUNK;
    size_t n = 9;
    CHECK_RC(skv_iter_key(NULL, &p, &n), SKV_EINVAL);
    CHECK(p == NULL && n == 0);
    p = JUNK, n = 9;
    CHECK_RC(skv_iter_value(NULL, &p, &n), SKV_EINVAL);
    CHECK(p == NULL && n == 0);
    size_t len = 9, count = 9;
    p = JUNK;
    CHECK_RC(skv_iter_read_batch(NULL, 0, 0, &p, &len, &count), SKV_EINVAL);
    CHECK(p == NULL && len == 0 && count == 0);
}

/* ---- database-level arguments ----------------------------------------------------------- */

static void db_args_body(const char *dbdir) {
    skv_db *db = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    int ok = 0;
    do {
        char *v = JUNK;
        if (skv_property(db, NULL, &v) != SKV_EINVAL || v != NULL) break;
        if (skv_property(db, "stats", NULL) != SKV_EINVAL) break;
        v = JUNK;
        if (skv_property(db, "no-such-property", &v) != SKV_EINVAL || v != NULL) break;
        if (!errmsg_nonempty()) break;
        v = JUNK;
        if (skv_property(db, "", &v) != SKV_EINVAL || v != NULL) break;
        v = NULL;
        if (skv_property(db, "sequence", &v) != SKV_OK || v == NULL) break;
        skv_free(v);

        if (skv_txn_begin(db, SKV_TXN_READ_WRITE, NULL) != SKV_EINVAL) break;
        static const int bad_modes[] = {3, 4, -1, 100, INT_MAX, INT_MIN};
        int bad = 0;
        for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
            skv_txn *t = JUNK;
            int rc = skv_txn_begin(db, bad_modes[i], &t);
            if (rc != SKV_EINVAL || t != NULL) {
                fprintf(stderr, "skv_txn_begin(mode %d) returned %s\n", bad_modes[i],
                        skv_errname(rc));
                if (rc == SKV_OK) skv_txn_free(t);
                bad = 1;
            }
        }
        if (bad) break;
        CHECK_RC(skv_sync(db), SKV_OK);
        ok = 1;
    } while (0);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK(ok);
}

static void test_db_bad_arguments(void) { in_tmpdir(db_args_body); }

/* ---- transaction arguments -------------------------------------------------------------- */

enum { OP_SET, OP_SET_AT, OP_DELETE, OP_SOFT_DELETE, OP_REPLACE, N_OPS };
static const char *const OP_NAMES[N_OPS] = {"set", "set_at", "delete", "soft_delete", "replace"};

static int do_write(int op, skv_txn *t, const void *k, size_t klen, const void *v, size_t vlen) {
    switch (op) {
    case OP_SET: return skv_txn_set(t, k, klen, v, vlen);
    case OP_SET_AT: return skv_txn_set_at(t, k, klen, v, vlen, 12345);
    case OP_DELETE: return skv_txn_delete(t, k, klen);
    case OP_SOFT_DELETE: return skv_txn_soft_delete(t, k, klen);
    default: return skv_txn_replace(t, k, klen, v, vlen);
    }
}

static int op_has_value(int op) { return op == OP_SET || op == OP_SET_AT || op == OP_REPLACE; }

#define CHECK_OP(op, call, want)                                                                   \
    do {                                                                                           \
        int r_ = (call);                                                                           \
        if (r_ != (want)) {                                                                        \
            fprintf(stderr, "%s:%d: skv_txn_%s: %s returned %s, expected %s: %s\n", __FILE__,      \
                    __LINE__, OP_NAMES[op], #call, skv_errname(r_), skv_errname(want),             \
                    skv_errmsg());                                                                 \
            test_failures_++;                                                                      \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static void txn_args_body(const char *dbdir) {
    skv_db *db = NULL;
    skv_txn *t = NULL;
    char *maxkey = NULL, *bigkey = NULL, *bigval = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    maxkey = malloc((size_t)SKV_MAX_KEY_SIZE);
    bigkey = malloc((size_t)SKV_MAX_KEY_SIZE + 1);
    bigval = calloc((size_t)SKV_MAX_VALUE_SIZE + 1, 1);
    if (!maxkey || !bigkey || !bigval) {
        fprintf(stderr, "out of memory\n");
        test_failures_++;
        goto out;
    }
    memset(maxkey, 'm', (size_t)SKV_MAX_KEY_SIZE);
    memset(bigkey, 'b', (size_t)SKV_MAX_KEY_SIZE + 1);
    if (skv_txn_begin(db, SKV_TXN_READ_WRITE, &t) != SKV_OK) {
        fprintf(stderr, "skv_txn_begin failed: %s\n", skv_errmsg());
        test_failures_++;
        goto out;
    }

    for (int op = 0; op < N_OPS; op++) {
        /* NULL key with a non-zero length */
        CHECK_OP(op, do_write(op, t, NULL, 1, "v", 1), SKV_EINVAL);
        CHECK_OP(op, do_write(op, t, NULL, SKV_MAX_KEY_SIZE + 1, "v", 1), SKV_EINVAL);
        /* empty keys */
        CHECK_OP(op, do_write(op, t, "k", 0, "v", 1), SKV_EEMPTYKEY);
        CHECK_OP(op, do_write(op, t, NULL, 0, "v", 1), SKV_EEMPTYKEY);
        /* key size limit */
        CHECK_OP(op, do_write(op, t, maxkey, SKV_MAX_KEY_SIZE, "v", 1), SKV_OK);
        CHECK_OP(op, do_write(op, t, bigkey, (size_t)SKV_MAX_KEY_SIZE + 1, "v", 1), SKV_ETOOBIG);
        for (size_t i = 0; i < N_HUGE; i++)
            CHECK_OP(op, do_write(op, t, "k", HUGE_LENS[i], "v", 1), SKV_ETOOBIG);
        if (!op_has_value(op)) continue;
        /* NULL value with a non-zero length; an empty value is fine */
        CHECK_OP(op, do_write(op, t, "k", 1, NULL, 1), SKV_EINVAL);
        CHECK_OP(op, do_write(op, t, "k", 1, NULL, SIZE_MAX), SKV_EINVAL);
        CHECK_OP(op, do_write(op, t, "k", 1, NULL, 0), SKV_OK);
        CHECK_OP(op, do_write(op, t, "k", 1, "", 0), SKV_OK);
        /* value size limit */
        CHECK_OP(op, do_write(op, t, "k", 1, bigval, (size_t)SKV_MAX_VALUE_SIZE + 1), SKV_ETOOBIG);
        for (size_t i = 0; i < N_HUGE; i++) {
            CHECK_OP(op, do_write(op, t, "k", 1, "v", HUGE_LENS[i]), SKV_ETOOBIG);
            CHECK_OP(op, do_write(op, t, "k", HUGE_LENS[i], "v", HUGE_LENS[i]), SKV_ETOOBIG);
        }
    }

    /* skv_txn_get */
    {
        const void *val;
        size_t vlen;
        CHECK_RC(skv_txn_get(t, "k", 1, NULL, &vlen), SKV_EINVAL);
        val = JUNK;
        CHECK_RC(skv_txn_get(t, "k", 1, &val, NULL), SKV_EINVAL);
        CHECK(val == NULL);
        val = JUNK, vlen = 3;
        CHECK_RC(skv_txn_get(t, NULL, 1, &val, &vlen), SKV_EINVAL);
        CHECK(val == NULL && vlen == 0);
        val = JUNK, vlen = 3;
        CHECK_RC(skv_txn_get(t, "k", 0, &val, &vlen), SKV_EEMPTYKEY);
        CHECK(val == NULL && vlen == 0);
        val = JUNK, vlen = 3;
        CHECK_RC(skv_txn_get(t, NULL, 0, &val, &vlen), SKV_EEMPTYKEY);
        CHECK(val == NULL && vlen == 0);
        val = JUNK, vlen = 3;
        CHECK_RC(skv_txn_get(t, bigkey, (size_t)SKV_MAX_KEY_SIZE + 1, &val, &vlen), SKV_ETOOBIG);
        CHECK(val == NULL && vlen == 0);
        for (size_t i = 0; i < N_HUGE; i++) {
            val = JUNK, vlen = 3;
            CHECK_RC(skv_txn_get(t, "k", HUGE_LENS[i], &val, &vlen), SKV_ETOOBIG);
            CHECK(val == NULL && vlen == 0);
        }
        val = JUNK, vlen = 3;
        CHECK_RC(skv_txn_get(t, "absent", 6, &val, &vlen), SKV_NOTFOUND);
        CHECK(val == NULL && vlen == 0);
        /* the max-size key was written last by replace */
        CHECK_RC(skv_txn_get(t, maxkey, SKV_MAX_KEY_SIZE, &val, &vlen), SKV_OK);
        CHECK_MEM(val, vlen, "v");
    }

    /* durability */
    CHECK_RC(skv_txn_set_durability(t, 2), SKV_EINVAL);
    CHECK_RC(skv_txn_set_durability(t, -1), SKV_EINVAL);
    CHECK_RC(skv_txn_set_durability(t, INT_MAX), SKV_EINVAL);
    CHECK_RC(skv_txn_set_durability(t, SKV_DURABILITY_IMMEDIATE), SKV_OK);
    CHECK_RC(skv_txn_set_durability(t, SKV_DURABILITY_EVENTUAL), SKV_OK);

    /* savepoints */
    CHECK_RC(skv_txn_rollback_to_savepoint(t), SKV_ENOSAVEPOINT);
    CHECK_RC(skv_txn_savepoint(t), SKV_OK);
    CHECK_RC(skv_txn_rollback_to_savepoint(t), SKV_OK);
    CHECK_RC(skv_txn_rollback_to_savepoint(t), SKV_ENOSAVEPOINT);

    /* iterators and scans */
    {
        skv_iter *it = JUNK;
        CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, 0, NULL), SKV_EINVAL);
        static const unsigned bad_flags[] = {4, 8, 0x80000000u, ~0u,
                                             SKV_ITER_REVERSE | SKV_ITER_KEYS_ONLY | 4};
        for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++) {
            it = JUNK;
            int rc = skv_iter_open(t, NULL, 0, NULL, 0, bad_flags[i], &it);
            if (rc == SKV_OK) skv_iter_free(it);
            CHECK_RC(rc, SKV_EINVAL);
            CHECK(it == NULL);
            scan_calls = 0;
            CHECK_RC(skv_txn_scan(t, NULL, 0, NULL, 0, bad_flags[i], 0, scan_cb, NULL), SKV_EINVAL);
            CHECK(scan_calls == 0);
        }
        CHECK_RC(skv_txn_scan(t, NULL, 0, NULL, 0, 0, 0, NULL, NULL), SKV_EINVAL);

        it = NULL;
        CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, SKV_ITER_REVERSE | SKV_ITER_KEYS_ONLY, &it),
                 SKV_OK);
        const void *p = JUNK;
        size_t n = 5, count = 5;
        int bad = 1;
        do {
            /* unpositioned */
            if (skv_iter_key(it, &p, &n) != SKV_NOTFOUND || p != NULL || n != 0) break;
            p = JUNK, n = 5;
            if (skv_iter_value(it, &p, &n) != SKV_NOTFOUND || p != NULL || n != 0) break;
            /* NULL out-pointers */
            if (skv_iter_key(it, NULL, &n) != SKV_EINVAL) break;
            p = JUNK;
            if (skv_iter_key(it, &p, NULL) != SKV_EINVAL || p != NULL) break;
            if (skv_iter_value(it, NULL, &n) != SKV_EINVAL) break;
            p = JUNK;
            if (skv_iter_value(it, &p, NULL) != SKV_EINVAL || p != NULL) break;
            n = 5, count = 5;
            if (skv_iter_read_batch(it, 0, 0, NULL, &n, &count) != SKV_EINVAL || n != 0 ||
                count != 0)
                break;
            p = JUNK, count = 5;
            if (skv_iter_read_batch(it, 0, 0, &p, NULL, &count) != SKV_EINVAL || p != NULL ||
                count != 0)
                break;
            p = JUNK, n = 5;
            if (skv_iter_read_batch(it, 0, 0, &p, &n, NULL) != SKV_EINVAL || p != NULL || n != 0)
                break;
            /* NULL seek key with a non-zero length */
            if (skv_iter_seek(it, NULL, 1) != SKV_EINVAL) break;
            bad = 0;
        } while (0);
        skv_iter_free(it);
        CHECK(!bad);
    }
    CHECK_RC(skv_txn_commit(t), SKV_OK);
    skv_txn_free(t);
    t = NULL;

    /* the committed max-size key reads back; an exhausted iterator clears its outputs */
    {
        const void *val = NULL;
        size_t vlen = 0;
        CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
        CHECK_RC(skv_txn_get(t, maxkey, SKV_MAX_KEY_SIZE, &val, &vlen), SKV_OK);
        CHECK_MEM(val, vlen, "v");
        skv_iter *it = NULL;
        CHECK_RC(skv_iter_open(t, "zzzz", 4, NULL, 0, 0, &it), SKV_OK);
        const void *p = JUNK;
        size_t n = 5, count = 5;
        int rc = skv_iter_read_batch(it, 0, 0, &p, &n, &count);
        int rc_first = skv_iter_first(it);
        skv_iter_free(it);
        CHECK_RC(rc, SKV_NOTFOUND);
        CHECK(p == NULL && n == 0 && count == 0);
        CHECK_RC(rc_first, SKV_NOTFOUND);
    }

out:
    skv_txn_free(t);
    free(maxkey);
    free(bigkey);
    free(bigval);
    if (db) CHECK_RC(skv_close(db), SKV_OK);
}

static void test_txn_bad_arguments(void) { in_tmpdir(txn_args_body); }

/* ---- modes ------------------------------------------------------------------------------ */

static void modes_body(const char *dbdir) {
    skv_db *db = NULL;
    skv_txn *ro = NULL, *wo = NULL, *ro2 = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    int ok = 0;
    do {
        if (skv_txn_begin(db, SKV_TXN_READ_ONLY, &ro) != SKV_OK) break;
        if (skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &wo) != SKV_OK) break;
        if (skv_txn_begin(db, SKV_TXN_READ_ONLY, &ro2) != SKV_OK) break;
        int bad = 0;
        for (int op = 0; op < N_OPS; op++) {
            int rc = do_write(op, ro, "k", 1, "v", 1);
            if (rc != SKV_EREADONLY) {
                fprintf(stderr, "read-only skv_txn_%s returned %s\n", OP_NAMES[op],
                        skv_errname(rc));
                bad = 1;
            }
        }
        if (bad) break;
        if (skv_txn_savepoint(ro) != SKV_EREADONLY) break;
        if (skv_txn_rollback_to_savepoint(ro) != SKV_EREADONLY) break;
        CHECK_RC(skv_txn_commit(ro), SKV_EREADONLY);
        /* the transaction has ended whatever commit returned */
        CHECK_RC(skv_txn_commit(ro), SKV_ECLOSED);
        atomic_store(&cb_calls, 0);
        CHECK_RC(skv_txn_commit_async(ro2, count_cb, NULL), SKV_EREADONLY);
        CHECK_RC(skv_txn_get(ro2, "k", 1, &(const void *){NULL}, &(size_t){0}), SKV_ECLOSED);

        const void *val = JUNK;
        size_t vlen = 4;
        CHECK_RC(skv_txn_get(wo, "k", 1, &val, &vlen), SKV_EWRITEONLY);
        CHECK(val == NULL && vlen == 0);
        skv_iter *it = JUNK;
        CHECK_RC(skv_iter_open(wo, NULL, 0, NULL, 0, 0, &it), SKV_EWRITEONLY);
        CHECK(it == NULL);
        scan_calls = 0;
        CHECK_RC(skv_txn_scan(wo, NULL, 0, NULL, 0, 0, 0, scan_cb, NULL), SKV_EWRITEONLY);
        CHECK(scan_calls == 0);
        CHECK_RC(skv_txn_set(wo, "k", 1, "v", 1), SKV_OK);
        CHECK_RC(skv_txn_commit(wo), SKV_OK);
        ok = 1;
    } while (0);
    skv_txn_free(ro);
    skv_txn_free(ro2);
    skv_txn_free(wo);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK(atomic_load(&cb_calls) == 0);
    CHECK(ok);
}

static void test_readonly_writeonly(void) { in_tmpdir(modes_body); }

/* ---- ended transactions and iterators --------------------------------------------------- */

/* Every call on a transaction that has ended (or whose database closed) answers ECLOSED. */
static void check_txn_closed(skv_txn *t) {
    const void *val = JUNK;
    size_t vlen = 3;
    CHECK_RC(skv_txn_get(t, "k", 1, &val, &vlen), SKV_ECLOSED);
    CHECK(val == NULL && vlen == 0);
    for (int op = 0; op < N_OPS; op++) {
        int rc = do_write(op, t, "k", 1, "v", 1);
        if (rc != SKV_ECLOSED) {
            fprintf(stderr, "%s:%d: ended skv_txn_%s returned %s, expected SKV_ECLOSED\n", __FILE__,
                    __LINE__, OP_NAMES[op], skv_errname(rc));
            test_failures_++;
            return;
        }
    }
    CHECK_RC(skv_txn_set_durability(t, SKV_DURABILITY_IMMEDIATE), SKV_ECLOSED);
    CHECK_RC(skv_txn_savepoint(t), SKV_ECLOSED);
    CHECK_RC(skv_txn_rollback_to_savepoint(t), SKV_ECLOSED);
    skv_iter *it = JUNK;
    CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, 0, &it), SKV_ECLOSED);
    CHECK(it == NULL);
    scan_calls = 0;
    CHECK_RC(skv_txn_scan(t, NULL, 0, NULL, 0, 0, 0, scan_cb, NULL), SKV_ECLOSED);
    CHECK(scan_calls == 0);
    CHECK_RC(skv_txn_commit(t), SKV_ECLOSED);
    /* the callers check that count_cb never ran for this call */
    CHECK_RC(skv_txn_commit_async(t, count_cb, NULL), SKV_ECLOSED);
}

static void check_iter_closed(skv_iter *it) {
    CHECK_RC(skv_iter_first(it), SKV_ECLOSED);
    CHECK_RC(skv_iter_last(it), SKV_ECLOSED);
    CHECK_RC(skv_iter_seek(it, "a", 1), SKV_ECLOSED);
    CHECK_RC(skv_iter_next(it), SKV_ECLOSED);
    CHECK_RC(skv_iter_prev(it), SKV_ECLOSED);
    const void *p = JUNK;
    size_t n = 3, count = 3;
    CHECK_RC(skv_iter_key(it, &p, &n), SKV_ECLOSED);
    CHECK(p == NULL && n == 0);
    p = JUNK, n = 3;
    CHECK_RC(skv_iter_value(it, &p, &n), SKV_ECLOSED);
    CHECK(p == NULL && n == 0);
    p = JUNK, n = 3;
    CHECK_RC(skv_iter_read_batch(it, 0, 0, &p, &n, &count), SKV_ECLOSED);
    CHECK(p == NULL && n == 0 && count == 0);
}

/* A read-write transaction with one write and a positioned iterator on it. */
static int begin_with_iter(skv_db *db, skv_txn **t, skv_iter **it) {
    *t = NULL, *it = NULL;
    if (skv_txn_begin(db, SKV_TXN_READ_WRITE, t) != SKV_OK) return 0;
    if (skv_txn_set(*t, "a", 1, "1", 1) != SKV_OK) return 0;
    if (skv_iter_open(*t, NULL, 0, NULL, 0, 0, it) != SKV_OK) return 0;
    if (skv_iter_first(*it) != SKV_OK) return 0;
    return 1;
}

static void ended_body(const char *dbdir) {
    skv_db *db = NULL;
    skv_txn *t = NULL;
    skv_iter *it = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    int before;
    atomic_store(&cb_calls, 0);

    /* after commit */
    if (!begin_with_iter(db, &t, &it)) goto fail;
    if (skv_txn_commit(t) != SKV_OK) goto fail;
    before = test_failures_;
    check_txn_closed(t);
    check_iter_closed(it);
    if (test_failures_ != before) goto out;
    CHECK_RC(skv_txn_rollback(t), SKV_OK); /* rolling back an ended txn is a no-op */
    skv_iter_free(it), it = NULL;
    skv_txn_free(t), t = NULL;

    /* after rollback */
    if (!begin_with_iter(db, &t, &it)) goto fail;
    if (skv_txn_rollback(t) != SKV_OK) goto fail;
    before = test_failures_;
    check_txn_closed(t);
    check_iter_closed(it);
    if (test_failures_ != before) goto out;
    CHECK_RC(skv_txn_rollback(t), SKV_OK);
    skv_iter_free(it), it = NULL;
    skv_txn_free(t), t = NULL;

    /* after a successful async commit: the callback ran once, the txn has ended */
    atomic_store(&cb_status, 1);
    if (skv_txn_begin(db, SKV_TXN_READ_WRITE, &t) != SKV_OK) goto fail;
    if (skv_txn_set(t, "b", 1, "2", 1) != SKV_OK) goto fail;
    CHECK_RC(skv_txn_commit_async(t, count_cb, NULL), SKV_OK);
    before = test_failures_;
    check_txn_closed(t);
    if (test_failures_ != before) goto out;
    skv_txn_free(t), t = NULL;

    /* after the txn was freed its iterators answer ECLOSED */
    if (!begin_with_iter(db, &t, &it)) goto fail;
    skv_txn_free(t), t = NULL;
    before = test_failures_;
    check_iter_closed(it);
    if (test_failures_ != before) goto out;
    skv_iter_free(it), it = NULL;

    {
        skv_db *d = db;
        db = NULL;
        CHECK_RC(skv_close(d), SKV_OK);
    }
    CHECK(atomic_load(&cb_calls) == 1);
    CHECK_RC(atomic_load(&cb_status), SKV_OK);
    goto out;
fail:
    fprintf(stderr, "%s:%d: setup failed: %s\n", __FILE__, __LINE__, skv_errmsg());
    test_failures_++;
out:
    skv_iter_free(it);
    skv_txn_free(t);
    if (db) skv_close(db);
}

static void test_use_after_commit_and_rollback(void) { in_tmpdir(ended_body); }

static void async_null_cb_body(const char *dbdir) {
    skv_db *db = NULL;
    skv_txn *t = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &t);
    if (rc == SKV_OK) rc = skv_txn_set(t, "k", 1, "v", 1);
    int rc_async = rc == SKV_OK ? skv_txn_commit_async(t, NULL, NULL) : SKV_OK;
    /* "The transaction has ended either way": later calls answer ECLOSED */
    int rc_after = rc == SKV_OK ? skv_txn_set(t, "k2", 2, "v", 1) : SKV_OK;
    skv_txn_free(t);
    t = NULL;
    /* nothing was committed */
    int rc_get = SKV_OK;
    if (rc == SKV_OK && skv_txn_begin(db, SKV_TXN_READ_ONLY, &t) == SKV_OK) {
        const void *v;
        size_t n;
        rc_get = skv_txn_get(t, "k", 1, &v, &n);
        skv_txn_free(t);
    }
    int rc_close = skv_close(db);
    CHECK_RC(rc, SKV_OK);
    CHECK_RC(rc_async, SKV_EINVAL);
    CHECK_RC(rc_after, SKV_ECLOSED);
    CHECK_RC(rc_get, SKV_NOTFOUND);
    CHECK_RC(rc_close, SKV_OK);
}

static void test_commit_async_null_callback(void) { in_tmpdir(async_null_cb_body); }

static void after_close_body(const char *dbdir) {
    skv_db *db = NULL;
    skv_txn *t = NULL;
    skv_iter *it = NULL;
    CHECK_RC(skv_open(dbdir, NULL, &db), SKV_OK);
    atomic_store(&cb_calls, 0);
    if (!begin_with_iter(db, &t, &it)) {
        fprintf(stderr, "setup failed: %s\n", skv_errmsg());
        test_failures_++;
        goto out;
    }
    /* the live transaction keeps the handle valid after close */
    if (skv_close(db) != SKV_OK) {
        fprintf(stderr, "skv_close failed: %s\n", skv_errmsg());
        test_failures_++;
        goto out;
    }
    {
        int before = test_failures_;
        check_txn_closed(t);
        check_iter_closed(it);
        if (test_failures_ != before) goto out;
        if (atomic_load(&cb_calls) != 0) {
            fprintf(stderr, "a commit callback ran for a rejected skv_txn_commit_async\n");
            test_failures_++;
            goto out;
        }
        int rc;
        if ((rc = skv_sync(db)) != SKV_ECLOSED || (rc = skv_flush(db)) != SKV_ECLOSED ||
            (rc = skv_compact(db)) != SKV_ECLOSED) {
            fprintf(stderr, "skv_sync/flush/compact after close returned %s\n", skv_errname(rc));
            test_failures_++;
            goto out;
        }
        char *v = JUNK;
        rc = skv_property(db, "stats", &v);
        if (rc != SKV_ECLOSED || v != NULL) {
            fprintf(stderr, "skv_property after close returned %s\n", skv_errname(rc));
            if (rc == SKV_OK) skv_free(v);
            test_failures_++;
            goto out;
        }
        skv_txn *t2 = JUNK;
        rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &t2);
        if (rc != SKV_ECLOSED || t2 != NULL) {
            fprintf(stderr, "skv_txn_begin after close returned %s\n", skv_errname(rc));
            if (rc == SKV_OK) skv_txn_free(t2);
            test_failures_++;
            goto out;
        }
        if ((rc = skv_close(db)) != SKV_ECLOSED) {
            fprintf(stderr, "second skv_close returned %s\n", skv_errname(rc));
            test_failures_++;
            goto out;
        }
        /* the lock was released by the first close */
        skv_db *db2 = NULL;
        rc = skv_open(dbdir, NULL, &db2);
        if (rc == SKV_OK) rc = skv_close(db2);
        if (rc != SKV_OK) {
            fprintf(stderr, "reopen after close returned %s: %s\n", skv_errname(rc), skv_errmsg());
            test_failures_++;
            goto out;
        }
    }
out:
    /* the last child freed releases the closed handle */
    skv_iter_free(it);
    skv_txn_free(t);
}

static void test_use_after_close(void) { in_tmpdir(after_close_body); }

static const TestCase TESTS[] = {
    {"version_functions", test_version_functions},
    {"errname_strerror_every_code", test_errname_strerror_every_code},
    {"errname_strerror_unknown", test_errname_strerror_unknown},
    {"errmsg_after_failure", test_errmsg_after_failure},
    {"null_noops", test_null_noops},
    {"options_misuse", test_options_misuse},
    {"open_bad_paths", test_open_bad_paths},
    {"open_locked", test_open_locked},
    {"null_db_handle", test_null_db_handle},
    {"null_txn_handle", test_null_txn_handle},
    {"null_iter_handle", test_null_iter_handle},
    {"db_bad_arguments", test_db_bad_arguments},
    {"txn_bad_arguments", test_txn_bad_arguments},
    {"readonly_writeonly", test_readonly_writeonly},
    {"use_after_commit_and_rollback", test_use_after_commit_and_rollback},
    {"commit_async_null_callback", test_commit_async_null_callback},
    {"use_after_close", test_use_after_close},
    {0, 0},
};

TEST_MAIN(TESTS)
