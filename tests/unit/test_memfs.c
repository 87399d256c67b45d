/*
 * test_memfs.c — the in-memory file system: volatile versus durable content and names
 * (crash_clone), rename without a directory sync, operation numbering, every fault kind
 * once and sticky, the crash freeze, clones, locks, and concurrent appends.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "env/env.h"
#include "test.h"

/* Reads path in fs into a static buffer; returns its length, or -1 when missing. */
static long slurp(SkvMemFs *fs, const char *path, char *out, size_t cap) {
    SkvEnv *env = skv__memfs_env(fs);
    char *data;
    size_t len;
    if (skv__env_read_file(env, path, &data, &len) != SKV_OK) return -1;
    if (len > cap) len = cap;
    memcpy(out, data, len);
    free(data);
    return (long)len;
}

static int append_file(SkvEnv *env, const char *path, const char *s, int sync) {
    SkvFile *f;
    int rc = env->open(env, path, SKV_ENV_APPEND, &f);
    if (rc != SKV_OK) return rc;
    rc = env->append(f, s, strlen(s));
    if (rc == SKV_OK && sync) rc = env->sync(f);
    env->close(f);
    return rc;
}

static void test_basic_files(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFile *f;
    CHECK_RC(env->open(env, "/db/x", SKV_ENV_TRUNCATE, &f), SKV_NOTFOUND); /* no /db */
    CHECK_RC(env->mkdir(env, "/db"), SKV_OK);
    CHECK_RC(env->mkdir(env, "/db/"), SKV_OK);
    CHECK_RC(env->mkdir(env, "/nope/sub"), SKV_NOTFOUND);
    CHECK_RC(env->open(env, "/db/x", SKV_ENV_READ, &f), SKV_NOTFOUND);
    CHECK_RC(env->open(env, "/db/x", SKV_ENV_TRUNCATE, &f), SKV_OK);
    CHECK_RC(env->append(f, "abcdef", 6), SKV_OK);
    char buf[16];
    size_t got;
    CHECK_RC(env->read_at(f, 2, buf, 3, &got), SKV_OK);
    CHECK_MEM(buf, got, "cde");
    CHECK_RC(env->read_at(f, 4, buf, 16, &got), SKV_OK);
    CHECK_MEM(buf, got, "ef");
    CHECK_RC(env->truncate(f, 3), SKV_OK);
    uint64_t sz;
    CHECK_RC(env->size(f, &sz), SKV_OK);
    CHECK_EQ_U64(sz, 3);
    CHECK_RC(env->truncate(f, 5), SKV_OK); /* grows with zeros */
    CHECK_RC(env->read_at(f, 0, buf, 16, &got), SKV_OK);
    CHECK(got == 5 && memcmp(buf, "abc\0\0", 5) == 0);
    CHECK_RC(env->close(f), SKV_OK);
    CHECK_RC(env->open(env, "/db/x", SKV_ENV_READ, &f), SKV_OK);
    CHECK_RC(env->append(f, "z", 1), SKV_EINVAL);
    CHECK_RC(env->close(f), SKV_OK);

    int is_dir = -1;
    CHECK_RC(env->exists(env, "/db", &is_dir), SKV_OK);
    CHECK(is_dir == 1);
    CHECK_RC(env->exists(env, "/db/x", &is_dir), SKV_OK);
    CHECK(is_dir == 0);
    CHECK_RC(env->exists(env, "/db/y", &is_dir), SKV_NOTFOUND);
    CHECK_RC(env->mkdir(env, "/db/sub"), SKV_OK);
    CHECK_RC(env->open(env, "/db/b", SKV_ENV_APPEND, &f), SKV_OK);
    CHECK_RC(env->close(f), SKV_OK);
    char **names;
    size_t count;
    CHECK_RC(env->list(env, "/db", &names, &count), SKV_OK);
    CHECK_EQ_U64(count, 3);
    CHECK(strcmp(names[0], "b") == 0 && strcmp(names[1], "sub") == 0 && strcmp(names[2], "x") == 0);
    skv__env_free_list(names, count);
    CHECK_RC(env->list(env, "/other", &names, &count), SKV_NOTFOUND);
    CHECK_RC(env->remove(env, "/db"), SKV_EIO); /* not empty */
    CHECK_RC(env->remove(env, "/db/sub"), SKV_OK);
    CHECK_RC(env->remove(env, "/db/b"), SKV_OK);
    CHECK_RC(env->remove(env, "/db/b"), SKV_NOTFOUND);
    CHECK_RC(env->rename(env, "/db/x", "/db/y"), SKV_OK);
    CHECK_RC(env->exists(env, "/db/x", NULL), SKV_NOTFOUND);
    CHECK_RC(env->rename(env, "/db/x", "/db/y"), SKV_NOTFOUND);
    char data[16];
    CHECK(slurp(fs, "/db/y", data, sizeof data) == 5);
    skv__memfs_free(fs);
}

static void test_handle_survives_remove(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFile *f;
    CHECK_RC(env->open(env, "f", SKV_ENV_TRUNCATE, &f), SKV_OK);
    CHECK_RC(env->append(f, "abc", 3), SKV_OK);
    CHECK_RC(env->remove(env, "f"), SKV_OK);
    char buf[8];
    size_t got;
    CHECK_RC(env->read_at(f, 0, buf, sizeof buf, &got), SKV_OK);
    CHECK_MEM(buf, got, "abc");
    CHECK_RC(env->close(f), SKV_OK);
    skv__memfs_free(fs);
}

static void test_durable_vs_volatile(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "/d"), SKV_OK);
    /* a: content synced, name synced */
    CHECK_RC(append_file(env, "/d/a", "AAAA", 1), SKV_OK);
    /* b: name synced, content never synced */
    CHECK_RC(append_file(env, "/d/b", "BBBB", 0), SKV_OK);
    CHECK_RC(env->sync_dir(env, "/d"), SKV_OK);
    /* c: content synced, name never synced */
    CHECK_RC(append_file(env, "/d/c", "CCCC", 1), SKV_OK);
    /* a gets an unsynced tail */
    CHECK_RC(append_file(env, "/d/a", "aaaa", 0), SKV_OK);

    char buf[64];
    CHECK(slurp(fs, "/d/a", buf, sizeof buf) == 8); /* reads see volatile content */

    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    CHECK(c != NULL);
    long n = slurp(c, "/d/a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "AAAA");
    CHECK(slurp(c, "/d/b", buf, sizeof buf) == 0); /* exists, empty */
    CHECK(slurp(c, "/d/c", buf, sizeof buf) == -1);
    int is_dir = 0;
    CHECK_RC(skv__memfs_env(c)->exists(skv__memfs_env(c), "/d", &is_dir), SKV_OK);
    CHECK(is_dir == 1);
    /* the clone is itself durable: crashing it again keeps everything it holds */
    SkvMemFs *c2 = skv__memfs_crash_clone(c, 0);
    n = slurp(c2, "/d/a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "AAAA");
    skv__memfs_free(c2);
    skv__memfs_free(c);

    /* a full clone keeps the volatile state */
    c = skv__memfs_clone(fs);
    n = slurp(c, "/d/a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "AAAAaaaa");
    n = slurp(c, "/d/c", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "CCCC");
    /* ... and its durable state */
    c2 = skv__memfs_crash_clone(c, 0);
    CHECK(slurp(c2, "/d/c", buf, sizeof buf) == -1);
    n = slurp(c2, "/d/a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "AAAA");
    skv__memfs_free(c2);
    skv__memfs_free(c);

    /* truncating a synced file is volatile until the next sync */
    SkvFile *f;
    CHECK_RC(env->open(env, "/d/a", SKV_ENV_TRUNCATE, &f), SKV_OK);
    CHECK_RC(env->append(f, "Z", 1), SKV_OK);
    c = skv__memfs_crash_clone(fs, 7);
    n = slurp(c, "/d/a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "AAAA"); /* diverged: no volatile tail kept */
    skv__memfs_free(c);
    CHECK_RC(env->sync(f), SKV_OK);
    CHECK_RC(env->close(f), SKV_OK);
    c = skv__memfs_crash_clone(fs, 0);
    n = slurp(c, "/d/a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "Z");
    skv__memfs_free(c);
    skv__memfs_free(fs);
}

static void test_rename_needs_sync_dir(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "/d"), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, "/d/CURRENT", "old", 3), SKV_OK);
    CHECK_RC(env->sync_dir(env, "/d"), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, "/d/tmp", "new", 3), SKV_OK);
    CHECK_RC(env->rename(env, "/d/tmp", "/d/CURRENT"), SKV_OK);
    char buf[16];
    long n = slurp(fs, "/d/CURRENT", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "new");

    /* no sync_dir: the rename (and tmp's creation) are lost */
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    n = slurp(c, "/d/CURRENT", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "old");
    CHECK(slurp(c, "/d/tmp", buf, sizeof buf) == -1);
    skv__memfs_free(c);

    CHECK_RC(env->sync_dir(env, "/d"), SKV_OK);
    c = skv__memfs_crash_clone(fs, 0);
    n = slurp(c, "/d/CURRENT", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "new");
    CHECK(slurp(c, "/d/tmp", buf, sizeof buf) == -1);
    char **names;
    size_t count;
    CHECK_RC(skv__memfs_env(c)->list(skv__memfs_env(c), "/d", &names, &count), SKV_OK);
    CHECK_EQ_U64(count, 1);
    skv__env_free_list(names, count);
    skv__memfs_free(c);

    /* a removal is lost without sync_dir too */
    CHECK_RC(env->remove(env, "/d/CURRENT"), SKV_OK);
    c = skv__memfs_crash_clone(fs, 0);
    n = slurp(c, "/d/CURRENT", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "new");
    skv__memfs_free(c);
    skv__memfs_free(fs);
}

static void test_renamed_file_keeps_durable_content(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFile *f;
    CHECK_RC(env->open(env, "a", SKV_ENV_TRUNCATE, &f), SKV_OK);
    CHECK_RC(env->append(f, "one", 3), SKV_OK);
    CHECK_RC(env->sync(f), SKV_OK);
    CHECK_RC(env->sync_dir(env, ""), SKV_OK);
    CHECK_RC(env->rename(env, "a", "b"), SKV_OK);
    CHECK_RC(env->append(f, "two", 3), SKV_OK);
    CHECK_RC(env->sync(f), SKV_OK); /* content of the inode, now named b */
    CHECK_RC(env->close(f), SKV_OK);
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    char buf[16];
    long n = slurp(c, "a", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "onetwo");
    CHECK(slurp(c, "b", buf, sizeof buf) == -1);
    skv__memfs_free(c);
    skv__memfs_free(fs);
}

static void test_op_count(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFile *f;
    CHECK_EQ_U64(skv__memfs_op_count(fs), 0);
    CHECK_RC(env->mkdir(env, "d"), SKV_OK);                      /* 1 */
    CHECK_RC(env->mkdir(env, "d"), SKV_OK);                      /* exists: no op */
    CHECK_RC(env->open(env, "d/f", SKV_ENV_APPEND, &f), SKV_OK); /* 2: creates */
    CHECK_RC(env->append(f, "x", 1), SKV_OK);                    /* 3 */
    CHECK_RC(env->sync(f), SKV_OK);                              /* 4 */
    CHECK_RC(env->truncate(f, 0), SKV_OK);                       /* 5 */
    CHECK_RC(env->close(f), SKV_OK);
    CHECK_EQ_U64(skv__memfs_op_count(fs), 5);
    CHECK_RC(env->open(env, "d/f", SKV_ENV_APPEND, &f), SKV_OK); /* exists: no op */
    CHECK_RC(env->close(f), SKV_OK);
    CHECK_RC(env->open(env, "d/f", SKV_ENV_READ, &f), SKV_OK); /* no op */
    char buf[4];
    size_t got;
    uint64_t sz;
    CHECK_RC(env->read_at(f, 0, buf, 4, &got), SKV_OK);
    CHECK_RC(env->size(f, &sz), SKV_OK);
    CHECK_RC(env->close(f), SKV_OK);
    CHECK_RC(env->exists(env, "d/f", NULL), SKV_OK);
    CHECK_EQ_U64(skv__memfs_op_count(fs), 5);
    CHECK_RC(env->open(env, "d/f", SKV_ENV_TRUNCATE, &f), SKV_OK); /* 6 */
    CHECK_RC(env->close(f), SKV_OK);
    CHECK_RC(env->rename(env, "d/f", "d/g"), SKV_OK); /* 7 */
    CHECK_RC(env->sync_dir(env, "d"), SKV_OK);        /* 8 */
    CHECK_RC(env->remove(env, "d/g"), SKV_OK);        /* 9 */
    CHECK_RC(env->remove(env, "d/g"), SKV_NOTFOUND);  /* missing: no op */
    CHECK_EQ_U64(skv__memfs_op_count(fs), 9);
    skv__memfs_free(fs);
}

/* Runs a fixed sequence of 6 mutating ops; returns the rc of each in rcs. */
static void run_ops(SkvEnv *env, int rcs[6]) {
    SkvFile *f = NULL;
    rcs[0] = env->mkdir(env, "d");
    rcs[1] = env->open(env, "d/f", SKV_ENV_TRUNCATE, &f);
    if (rcs[1] != SKV_OK) f = NULL;
    rcs[2] = f ? env->append(f, "abcd", 4) : -100;
    rcs[3] = f ? env->sync(f) : -100;
    rcs[4] = f ? env->append(f, "efgh", 4) : -100;
    rcs[5] = env->sync_dir(env, "d");
    if (f) env->close(f);
}

static void test_faults_once_and_sticky(void) {
    static const int kinds[] = {SKV_FAULT_EIO, SKV_FAULT_ENOSPC};
    static const int codes[] = {SKV_EIO, SKV_ENOSPC};
    for (int k = 0; k < 2; k++) {
        for (int sticky = 0; sticky < 2; sticky++) {
            SkvMemFs *fs = skv__memfs_new();
            SkvEnv *env = skv__memfs_env(fs);
            skv__memfs_set_fault(fs, kinds[k], 3, sticky); /* the first append */
            int rcs[6];
            run_ops(env, rcs);
            CHECK_RC(rcs[0], SKV_OK);
            CHECK_RC(rcs[1], SKV_OK);
            CHECK_RC(rcs[2], codes[k]);
            for (int i = 3; i < 6; i++) CHECK_RC(rcs[i], sticky ? codes[k] : SKV_OK);
            CHECK_EQ_U64(skv__memfs_op_count(fs), 6);
            CHECK(!skv__memfs_crashed(fs));
            char buf[16];
            long n = slurp(fs, "d/f", buf, sizeof buf);
            if (sticky)
                CHECK(n == 0);
            else
                CHECK_MEM(buf, (size_t)n, "efgh"); /* the failed append wrote nothing */
            skv__memfs_free(fs);
        }
    }
}

static void test_fault_eio_on_sync_is_not_durable(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    skv__memfs_set_fault(fs, SKV_FAULT_EIO, 4, 0);
    int rcs[6];
    run_ops(env, rcs);
    CHECK_RC(rcs[3], SKV_EIO);
    CHECK_RC(rcs[5], SKV_OK);
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    char buf[16];
    CHECK(slurp(c, "d/f", buf, sizeof buf) == 0);
    skv__memfs_free(c);
    skv__memfs_free(fs);
}

static void test_short_write(void) {
    for (int sticky = 0; sticky < 2; sticky++) {
        SkvMemFs *fs = skv__memfs_new();
        SkvEnv *env = skv__memfs_env(fs);
        skv__memfs_set_fault(fs, SKV_FAULT_SHORT_WRITE, 3, sticky);
        int rcs[6];
        run_ops(env, rcs);
        CHECK_RC(rcs[2], SKV_EIO);
        CHECK_RC(rcs[3], SKV_OK);
        CHECK_RC(rcs[4], sticky ? SKV_EIO : SKV_OK);
        CHECK_RC(rcs[5], SKV_OK);
        char buf[16];
        long n = slurp(fs, "d/f", buf, sizeof buf);
        CHECK_MEM(buf, (size_t)n, sticky ? "abef" : "abefgh");
        skv__memfs_free(fs);
    }
    /* on an op that is not an append it does nothing */
    SkvMemFs *fs = skv__memfs_new();
    skv__memfs_set_fault(fs, SKV_FAULT_SHORT_WRITE, 4, 0);
    int rcs[6];
    run_ops(skv__memfs_env(fs), rcs);
    for (int i = 0; i < 6; i++) CHECK_RC(rcs[i], SKV_OK);
    skv__memfs_free(fs);
}

static void test_crash_freeze(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    skv__memfs_set_fault(fs, SKV_FAULT_CRASH, 5, 0); /* the second append */
    int rcs[6];
    run_ops(env, rcs);
    for (int i = 0; i < 4; i++) CHECK_RC(rcs[i], SKV_OK);
    CHECK_RC(rcs[4], SKV_EIO);
    CHECK_RC(rcs[5], SKV_EIO); /* every later mutating op fails */
    CHECK(skv__memfs_crashed(fs));
    CHECK_RC(env->mkdir(env, "e"), SKV_EIO);
    CHECK_EQ_U64(skv__memfs_op_count(fs), 7);
    /* reads still work on the live state */
    char buf[16];
    long n = slurp(fs, "d/f", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "abcd");
    /* the crash image: d/f's name was never dir-synced */
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    CHECK(slurp(c, "d/f", buf, sizeof buf) == -1);
    int is_dir;
    CHECK_RC(skv__memfs_env(c)->exists(skv__memfs_env(c), "d", &is_dir), SKV_OK);
    skv__memfs_free(c);
    /* the clone can be used normally */
    c = skv__memfs_crash_clone(fs, 0);
    CHECK_RC(skv__env_write_file_sync(skv__memfs_env(c), "d/new", "n", 1), SKV_OK);
    skv__memfs_free(c);
    skv__memfs_free(fs);

    /* freeze at the sync_dir: what was synced before it is in the image */
    fs = skv__memfs_new();
    env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "d"), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, "d/f", "xy", 2), SKV_OK);
    CHECK_RC(env->sync_dir(env, "d"), SKV_OK);
    uint64_t at = skv__memfs_op_count(fs) + 2;
    skv__memfs_set_fault(fs, SKV_FAULT_CRASH, at, 0);
    CHECK_RC(append_file(env, "d/f", "zz", 1), SKV_EIO); /* append ok, sync crashes */
    c = skv__memfs_crash_clone(fs, 0);
    n = slurp(c, "d/f", buf, sizeof buf);
    CHECK_MEM(buf, (size_t)n, "xy");
    skv__memfs_free(c);
    skv__memfs_free(fs);
}

static void test_crash_clone_seed(void) {
    /* unsynced appends to a durable file survive as a prefix, chosen by the seed */
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(skv__env_write_file_sync(env, "f", "0123", 4), SKV_OK);
    CHECK_RC(env->sync_dir(env, ""), SKV_OK);
    CHECK_RC(append_file(env, "f", "456789", 0), SKV_OK);
    CHECK_RC(append_file(env, "g", "nope", 0), SKV_OK); /* name not durable */
    int seen_none = 0, seen_all = 0, seen_part = 0;
    for (uint64_t seed = 1; seed <= 64; seed++) {
        SkvMemFs *c = skv__memfs_crash_clone(fs, seed);
        char buf[16];
        long n = slurp(c, "f", buf, sizeof buf);
        CHECK(n >= 4 && n <= 10);
        CHECK(memcmp(buf, "0123456789", (size_t)n) == 0);
        CHECK(slurp(c, "g", buf, sizeof buf) == -1);
        seen_none |= n == 4;
        seen_all |= n == 10;
        seen_part |= n > 4 && n < 10;
        /* deterministic for a seed */
        SkvMemFs *c2 = skv__memfs_crash_clone(fs, seed);
        CHECK(slurp(c2, "f", buf, sizeof buf) == n);
        /* what a clone holds is durable */
        SkvMemFs *c3 = skv__memfs_crash_clone(c, 0);
        CHECK(slurp(c3, "f", buf, sizeof buf) == n);
        skv__memfs_free(c3);
        skv__memfs_free(c2);
        skv__memfs_free(c);
    }
    CHECK(seen_none && seen_all && seen_part);
    skv__memfs_free(fs);
}

static void test_locks(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFileLock *a, *b;
    CHECK_RC(env->mkdir(env, "db"), SKV_OK);
    CHECK_RC(env->lock(env, "db/LOCK", &a), SKV_OK);
    CHECK_RC(env->exists(env, "db/LOCK", NULL), SKV_OK);
    CHECK_RC(env->lock(env, "db/LOCK", &b), SKV_ELOCKED);
    CHECK_RC(env->lock(env, "db//LOCK", &b), SKV_ELOCKED);
    env->unlock(a);
    CHECK_RC(env->lock(env, "db/LOCK", &b), SKV_OK);
    env->unlock(b);
    CHECK_RC(env->lock(env, "nodir/LOCK", &b), SKV_NOTFOUND);
    skv__memfs_free(fs);
}

typedef struct {
    SkvEnv *env;
    char tag;
} Appender;

enum { APPENDS = 2000, REC = 8 };

static void append_many(void *arg) {
    Appender *a = arg;
    SkvFile *f;
    if (a->env->open(a->env, "shared", SKV_ENV_APPEND, &f) != SKV_OK) return;
    char rec[REC];
    memset(rec, a->tag, REC);
    for (int i = 0; i < APPENDS; i++) {
        a->env->append(f, rec, REC);
        if (i % 100 == 0) a->env->sync(f);
    }
    a->env->close(f);
}

static void test_concurrent_appends(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvFile *f;
    CHECK_RC(env->open(env, "shared", SKV_ENV_TRUNCATE, &f), SKV_OK);
    CHECK_RC(env->close(f), SKV_OK);
    Appender a = {env, 'a'}, b = {env, 'b'};
    SkvThread *ta, *tb;
    CHECK_RC(env->thread_start(env, append_many, &a, &ta), SKV_OK);
    CHECK_RC(env->thread_start(env, append_many, &b, &tb), SKV_OK);
    env->thread_join(ta);
    env->thread_join(tb);
    char *data;
    size_t len;
    CHECK_RC(skv__env_read_file(env, "shared", &data, &len), SKV_OK);
    CHECK_EQ_U64(len, 2 * APPENDS * REC);
    size_t na = 0, nb = 0, torn = 0;
    for (size_t i = 0; i < len; i += REC) {
        if (memcmp(data + i, "aaaaaaaa", REC) == 0)
            na++;
        else if (memcmp(data + i, "bbbbbbbb", REC) == 0)
            nb++;
        else
            torn++;
    }
    free(data);
    CHECK_EQ_U64(torn, 0);
    CHECK_EQ_U64(na, APPENDS);
    CHECK_EQ_U64(nb, APPENDS);
    CHECK_EQ_U64(skv__memfs_op_count(fs), 1 + 2 * (APPENDS + APPENDS / 100));
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {
    {"basic_files", test_basic_files},
    {"handle_survives_remove", test_handle_survives_remove},
    {"durable_vs_volatile", test_durable_vs_volatile},
    {"rename_needs_sync_dir", test_rename_needs_sync_dir},
    {"renamed_file_keeps_durable_content", test_renamed_file_keeps_durable_content},
    {"op_count", test_op_count},
    {"faults_once_and_sticky", test_faults_once_and_sticky},
    {"fault_eio_on_sync_is_not_durable", test_fault_eio_on_sync_is_not_durable},
    {"short_write", test_short_write},
    {"crash_freeze", test_crash_freeze},
    {"crash_clone_seed", test_crash_clone_seed},
    {"locks", test_locks},
    {"concurrent_appends", test_concurrent_appends},
    {0, 0},
};

TEST_MAIN(TESTS)
