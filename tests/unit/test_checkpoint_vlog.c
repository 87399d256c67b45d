/*
 * test_checkpoint_vlog.c — checkpoints and restore of databases with a value log, on the
 * in-memory file system: a checkpoint carries the value-log files its tables reference (the
 * writer's file copied as of the capture, the others linked), opens on its own with every
 * value exact and a clean check; restore into a fresh database, into the same database after
 * it changed, and into one whose own value-log numbers are the checkpoint's; collection after
 * a restore reclaims the old files; a damaged or incomplete checkpoint value log is refused
 * with nothing changed.
 */
#include <inttypes.h>

#include "db/db.h"
#include "env/env.h"
#include "kv.h"
#include "test.h"
#include "vlog/vlog.h"

enum { NKEYS = 120 };

static SkvDbOptions vlog_opts(uint64_t max_file) {
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.max_memtable_size = 4096;
    o.level0_max_files = 2;
    o.bg_inline = 1;
    o.enable_vlog = 1;
    o.vlog_value_threshold = 32;
    o.vlog_max_file_size = max_file;
    return o;
}

/* Key k%03d gets "<tag>-<k>-" repeated to 40..120 bytes (above the threshold) except every
 * seventh key, which gets a short value (kept in the tables). */
static int put_key(skv_db *db, int k, const char *tag) {
    char key[16], val[160], unit[32];
    snprintf(key, sizeof key, "k%03d", k);
    snprintf(unit, sizeof unit, "%s-%d-", tag, k);
    size_t want = k % 7 == 6 ? 8 : (size_t)(40 + (k * 37) % 81), n = 0;
    while (n < want) n += (size_t)snprintf(val + n, sizeof val - n, "%s", unit);
    val[want] = '\0';
    return kv_put(db, key, val);
}

static int put_range(skv_db *db, int from, int to, int step, const char *tag) {
    int rc = SKV_OK;
    for (int k = from; !rc && k < to; k += step) rc = put_key(db, k, tag);
    return rc;
}

/* Tables on two levels, values in several value-log files, commits in the log only. */
static int build(skv_db *db, const char *tag) {
    int rc = put_range(db, 0, NKEYS, 1, tag);
    if (!rc) rc = skv_flush(db);
    if (!rc) rc = skv_compact(db);
    if (!rc) rc = put_range(db, 0, NKEYS, 3, "x");
    if (!rc) rc = kv_put(db, "k005", NULL);
    if (!rc) rc = skv_flush(db);
    if (!rc) rc = put_range(db, 1, 10, 4, "log"); /* in the log only */
    return rc;
}

static int open_db(SkvMemFs *fs, const char *path, uint64_t max_file, skv_db **db) {
    SkvDbOptions o = vlog_opts(max_file);
    return skv__db_open(path, &o, skv__memfs_env(fs), db);
}

/* The numbers of the value-log files in dir (sorted), their count. */
static size_t vlog_files(SkvMemFs *fs, const char *dir, uint64_t *out, size_t cap) {
    SkvEnv *env = skv__memfs_env(fs);
    char **names;
    size_t n, k = 0;
    if (env->list(env, dir, &names, &n)) return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t num;
        if (skv__vlog_parse_name(names[i], &num) && k < cap) out[k++] = num;
    }
    skv__env_free_list(names, n);
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            uint64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return k;
}

static uint64_t file_size(SkvMemFs *fs, const char *dir, uint64_t number) {
    SkvEnv *env = skv__memfs_env(fs);
    char *path = skv__vlog_path(dir, number);
    SkvFile *f;
    uint64_t size = 0;
    if (path && env->open(env, path, SKV_ENV_READ, &f) == SKV_OK) {
        env->size(f, &size);
        env->close(f);
    }
    free(path);
    return size;
}

static int check_clean(skv_db *db) {
    char *report = NULL;
    int rc = skv__db_check(db, &report);
    int ok = rc == SKV_OK && report && strstr(report, "clean, 0 problems, 0 orphans");
    if (!ok) fprintf(stderr, "check: %s: %s\n%s", skv_errname(rc), skv_errmsg(), report);
    free(report);
    return ok;
}

static int check_dir_clean(SkvMemFs *fs, const char *dir) {
    SkvDbOptions o = vlog_opts(2048);
    char *report = NULL;
    int rc = skv__db_check_dir(skv__memfs_env(fs), dir, &o, &report);
    int ok = rc == SKV_OK && report && strstr(report, "clean, 0 problems, 0 orphans");
    if (!ok) fprintf(stderr, "check of %s: %s: %s\n%s", dir, skv_errname(rc), skv_errmsg(), report);
    free(report);
    return ok;
}

/* The checkpoint opens alone with exactly the contents of the call; the writer's file was
 * copied as of the capture (the database appended to it since), the sealed files linked. */
static void test_checkpoint_opens_alone(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db, *ck;
    CHECK_RC(open_db(fs, "db", 1 << 20, &db), SKV_OK);
    CHECK_RC(build(db, "a"), SKV_OK);
    char *want = kv_dump(db, NULL);
    CHECK(want && strlen(want) > 1000);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    uint64_t nums[64], cknums[64];
    size_t nck = vlog_files(fs, "ck", cknums, 64);
    CHECK(nck >= 1);
    uint64_t ck_sizes[64];
    for (size_t i = 0; i < nck; i++) ck_sizes[i] = file_size(fs, "ck", cknums[i]);
    /* the database goes on appending to its writer's file */
    CHECK_RC(put_range(db, 0, NKEYS, 2, "after"), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    size_t n = vlog_files(fs, "db", nums, 64);
    int grew = 0;
    for (size_t i = 0; i < nck; i++) {
        CHECK_EQ_U64(file_size(fs, "ck", cknums[i]), ck_sizes[i]);
        for (size_t j = 0; j < n; j++)
            if (nums[j] == cknums[i] && file_size(fs, "db", nums[j]) > ck_sizes[i]) grew++;
    }
    CHECK_EQ_U64(grew, 1); /* exactly the writer's file: a copy, not a link */
    CHECK(check_dir_clean(fs, "ck"));
    CHECK_RC(open_db(fs, "ck", 1 << 20, &ck), SKV_OK);
    char *got = kv_dump(ck, NULL);
    CHECK(got && strcmp(got, want) == 0);
    free(got);
    CHECK(check_clean(ck));
    /* the checkpoint never hands out one of its value-log numbers again */
    CHECK_RC(put_range(ck, 0, 20, 1, "ck"), SKV_OK);
    CHECK_RC(skv_flush(ck), SKV_OK);
    uint64_t after[64];
    size_t nafter = vlog_files(fs, "ck", after, 64);
    CHECK_EQ_U64(nafter, nck + 1);
    CHECK(after[nafter - 1] > cknums[nck - 1]);
    CHECK_RC(skv_close(ck), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    free(want);
    skv__memfs_free(fs);
}

/* Restore into a fresh database, and into a database whose own value-log files carry the
 * checkpoint's numbers (built by the same steps). */
static void restore_into(int collide) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *a, *b;
    CHECK_RC(open_db(fs, "a", 2048, &a), SKV_OK);
    CHECK_RC(build(a, "a"), SKV_OK);
    char *want = kv_dump(a, NULL);
    CHECK_RC(skv_checkpoint(a, "ck"), SKV_OK);
    CHECK_RC(skv_close(a), SKV_OK);
    CHECK_RC(open_db(fs, "b", 2048, &b), SKV_OK);
    if (collide) CHECK_RC(build(b, "b"), SKV_OK);
    uint64_t before[64], cknums[64], after[64];
    size_t nbefore = vlog_files(fs, "b", before, 64), nck = vlog_files(fs, "ck", cknums, 64);
    if (collide) {
        size_t same = 0;
        for (size_t i = 0; i < nbefore && i < nck; i++) same += before[i] == cknums[i];
        CHECK(same >= 3);
    } else {
        CHECK_EQ_U64(nbefore, 0);
    }
    CHECK_RC(skv_restore(b, "ck"), SKV_OK);
    char *got = kv_dump(b, NULL);
    CHECK(got && want && strcmp(got, want) == 0);
    free(got);
    CHECK(check_clean(b));
    /* none of b's own value-log files is left: nothing references them any more */
    size_t nafter = vlog_files(fs, "b", after, 64);
    for (size_t i = 0; i < nafter; i++)
        for (size_t j = 0; j < nbefore; j++) CHECK(after[i] != before[j]);
    CHECK(nafter >= nck);
    CHECK_RC(skv_close(b), SKV_OK);
    CHECK_RC(open_db(fs, "b", 2048, &b), SKV_OK);
    got = kv_dump(b, NULL);
    CHECK(got && strcmp(got, want) == 0);
    free(got);
    CHECK(check_clean(b));
    CHECK_RC(skv_close(b), SKV_OK);
    free(want);
    skv__memfs_free(fs);
}

static void test_restore_into_fresh(void) { restore_into(0); }
static void test_restore_into_colliding(void) { restore_into(1); }

/* Restore into the database the checkpoint came from, after it changed (its writer's file
 * grew); then collection reclaims the restored files as their values are overwritten. */
static void test_restore_into_itself_later(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db;
    CHECK_RC(open_db(fs, "db", 1 << 20, &db), SKV_OK);
    CHECK_RC(build(db, "a"), SKV_OK);
    char *want = kv_dump(db, NULL);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    CHECK_RC(put_range(db, 0, NKEYS, 2, "later"), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    uint64_t before[64], after[64];
    size_t nbefore = vlog_files(fs, "db", before, 64);
    CHECK_RC(skv_restore(db, "ck"), SKV_OK);
    char *got = kv_dump(db, NULL);
    CHECK(got && want && strcmp(got, want) == 0);
    free(got);
    CHECK(check_clean(db));
    size_t nafter = vlog_files(fs, "db", after, 64);
    for (size_t i = 0; i < nafter; i++)
        for (size_t j = 0; j < nbefore; j++) CHECK(after[i] != before[j]);
    char *s;
    CHECK_RC(skv_property(db, "vlog-files", &s), SKV_OK);
    char count[16];
    snprintf(count, sizeof count, "%zu", nafter);
    CHECK(strcmp(s, count) == 0);
    skv_free(s);
    /* every separated value overwritten with a short one: collection deletes every file the
     * restore brought in */
    for (int k = 0; k < NKEYS; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%03d", k);
        CHECK_RC(kv_put(db, key, "short"), SKV_OK);
    }
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    uint64_t last[64];
    CHECK_EQ_U64(vlog_files(fs, "db", last, 64), 0);
    CHECK(check_clean(db));
    CHECK_RC(skv_close(db), SKV_OK);
    free(want);
    skv__memfs_free(fs);
}

/* Flips one byte of the value of the first record of value-log file `number` in dir. */
static int flip_value(SkvMemFs *fs, const char *dir, uint64_t number) {
    SkvEnv *env = skv__memfs_env(fs);
    char *path = skv__vlog_path(dir, number), *d;
    size_t n;
    int rc = skv__env_read_file(env, path, &d, &n);
    if (!rc) {
        uint32_t klen = skv__get_u32((uint8_t *)d + SKV_VLOG_FILE_HEADER + 8);
        d[SKV_VLOG_FILE_HEADER + SKV_VLOG_RECORD_HEADER + klen + 2] ^= 0x10;
        rc = skv__env_write_file_sync(env, path, d, n);
        free(d);
    }
    free(path);
    return rc;
}

/* A damaged or missing value-log file of the checkpoint: SKV_ECORRUPT naming it, the
 * database unchanged, no staged file left behind. */
static void test_restore_refuses_damage(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *a, *b;
    CHECK_RC(open_db(fs, "a", 2048, &a), SKV_OK);
    CHECK_RC(build(a, "a"), SKV_OK);
    CHECK_RC(skv_checkpoint(a, "ck"), SKV_OK);
    CHECK_RC(skv_close(a), SKV_OK);
    uint64_t cknums[64];
    size_t nck = vlog_files(fs, "ck", cknums, 64);
    CHECK(nck >= 3);
    for (int mode = 0; mode < 2; mode++) {
        SkvMemFs *c = skv__memfs_clone(fs);
        SkvEnv *env = skv__memfs_env(c);
        char *path = skv__vlog_path("ck", cknums[1]);
        if (mode == 0)
            CHECK_RC(flip_value(c, "ck", cknums[1]), SKV_OK);
        else
            CHECK_RC(env->remove(env, path), SKV_OK);
        CHECK_RC(open_db(c, "b", 2048, &b), SKV_OK);
        CHECK_RC(put_range(b, 0, 40, 1, "b"), SKV_OK);
        CHECK_RC(skv_flush(b), SKV_OK);
        char *want = kv_dump(b, NULL);
        uint64_t before[64], after[64];
        size_t nbefore = vlog_files(c, "b", before, 64);
        CHECK_RC(skv_restore(b, "ck"), SKV_ECORRUPT);
        CHECK(strstr(skv_errmsg(), path) != NULL);
        CHECK(strstr(skv_errmsg(), mode == 0 ? "value checksum mismatch" : "is missing") != NULL);
        char *got = kv_dump(b, NULL);
        CHECK(got && want && strcmp(got, want) == 0);
        CHECK_EQ_U64(vlog_files(c, "b", after, 64), nbefore);
        for (size_t i = 0; i < nbefore; i++) CHECK_EQ_U64(after[i], before[i]);
        CHECK(check_clean(b));
        CHECK_RC(skv_close(b), SKV_OK);
        free(got);
        free(want);
        free(path);
        skv__memfs_free(c);
    }
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {
    {"checkpoint_opens_alone", test_checkpoint_opens_alone},
    {"restore_into_fresh", test_restore_into_fresh},
    {"restore_into_colliding", test_restore_into_colliding},
    {"restore_into_itself_later", test_restore_into_itself_later},
    {"restore_refuses_damage", test_restore_refuses_damage},
    {0, 0},
};

TEST_MAIN(TESTS)
