/*
 * test_checkpoint.c — checkpoints, restore and the integrity check on the in-memory file
 * system (and, for hard links and the public directory check, on the real one): contents
 * exactly as of the call, durability after a power loss, the copy fallback without links,
 * every error path of skv_checkpoint, skv_restore, skv_check and the directory check
 * (arguments, states, damaged sources, and an injected I/O error or full disk at every file
 * operation), transactions and iterators begun before a restore, conflicts after it, writes
 * and reopen after it, and the check's report naming each problem.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "env/env.h"
#include "kv.h"
#include "test.h"

static SkvDbOptions small_opts(void) {
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.max_memtable_size = 4096;
    o.block_size = 256;
    o.level0_max_files = 2;
    o.target_file_size = 6000;
    o.bg_inline = 1;
    return o;
}

static int open_at(SkvMemFs *fs, const char *path, skv_db **db) {
    SkvDbOptions o = small_opts();
    return skv__db_open(path, &o, skv__memfs_env(fs), db);
}

/* Commits key k%03d = "<tag>-<i>" for i in [from, to). */
static int fill(skv_db *db, int from, int to, const char *tag) {
    for (int i = from; i < to; i++) {
        char k[16], v[32];
        snprintf(k, sizeof k, "k%03d", i);
        snprintf(v, sizeof v, "%s-%d", tag, i);
        int rc = kv_put(db, k, v);
        if (rc) return rc;
    }
    return SKV_OK;
}

/* State A: tables in the last level and in level 0, deletes, and commits only in the log. */
static int build_a(skv_db *db) {
    int rc = fill(db, 0, 150, "a");
    if (!rc) rc = skv_flush(db);
    if (!rc) rc = skv_compact(db);
    if (!rc) rc = fill(db, 100, 180, "a2");
    for (int i = 10; !rc && i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%03d", i);
        rc = kv_put(db, k, NULL);
    }
    if (!rc) rc = fill(db, 180, 184, "a3"); /* in the log only */
    return rc;
}

/* State B on top of A: overwrites, deletes, new keys, a compaction. */
static int build_b(skv_db *db) {
    int rc = fill(db, 0, 60, "b");
    for (int i = 100; !rc && i < 120; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%03d", i);
        rc = kv_put(db, k, NULL);
    }
    if (!rc) rc = skv_compact(db);
    if (!rc) rc = fill(db, 150, 200, "b2");
    return rc;
}

static int dir_exists(SkvMemFs *fs, const char *path) {
    SkvEnv *env = skv__memfs_env(fs);
    int rc = env->exists(env, path, NULL);
    skv__errmsg_clear();
    return rc == SKV_OK;
}

/* Copies directory `from` (files and the wal/ subdirectory) to `to` within the memfs. */
static int copy_tree(SkvMemFs *fs, const char *from, const char *to) {
    SkvEnv *env = skv__memfs_env(fs);
    int rc = env->mkdir(env, to);
    char **names;
    size_t n;
    if (rc || (rc = env->list(env, from, &names, &n))) return rc;
    for (size_t i = 0; !rc && i < n; i++) {
        char a[256], b[256];
        int is_dir = 0;
        snprintf(a, sizeof a, "%s/%s", from, names[i]);
        snprintf(b, sizeof b, "%s/%s", to, names[i]);
        if ((rc = env->exists(env, a, &is_dir))) break;
        rc = is_dir ? copy_tree(fs, a, b) : skv__env_copy_file(env, a, b, UINT64_MAX);
    }
    skv__env_free_list(names, n);
    return rc;
}

/* The name of the first table file in dir, into buf. */
static int first_table(SkvMemFs *fs, const char *dir, char *buf, size_t cap) {
    SkvEnv *env = skv__memfs_env(fs);
    char **names;
    size_t n;
    uint64_t num;
    if (env->list(env, dir, &names, &n)) return -1;
    int found = -1;
    for (size_t i = 0; i < n && found; i++)
        if (skv__db_parse_data_name(names[i], &num)) {
            snprintf(buf, cap, "%s/%s", dir, names[i]);
            found = 0;
        }
    skv__env_free_list(names, n);
    return found;
}

static int xor_byte(SkvMemFs *fs, const char *path, double where) {
    SkvEnv *env = skv__memfs_env(fs);
    char *buf;
    size_t len;
    int rc = skv__env_read_file(env, path, &buf, &len);
    if (rc) return rc;
    size_t off = (size_t)(where * (double)len);
    buf[off] = (char)(buf[off] ^ 0x20);
    rc = skv__env_write_file_sync(env, path, buf, len);
    free(buf);
    return rc;
}

/* ---- checkpoint ---- */

static void test_checkpoint_contents(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL, *ck = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    int rc;
    char *a = kv_dump(db, &rc);
    CHECK(a != NULL);
    uint64_t seq_a = kv_sequence(db);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    CHECK_RC(build_b(db), SKV_OK);
    char *b = kv_dump(db, &rc);
    CHECK(b != NULL && strcmp(a, b) != 0);
    /* the checkpoint holds exactly state A, and survives a power loss right now */
    SkvMemFs *lost = skv__memfs_crash_clone(fs, 0);
    CHECK_RC(open_at(lost, "ck", &ck), SKV_OK);
    char *c = kv_dump(ck, &rc);
    CHECK(c != NULL);
    CHECK(strcmp(a, c) == 0);
    CHECK_EQ_U64(kv_sequence(ck), seq_a);
    char *report = NULL;
    CHECK_RC(skv_check(ck, &report), SKV_OK);
    CHECK(report && strstr(report, "clean, 0 problems"));
    skv_free(report);
    /* it is a database of its own: writes there do not reach the original */
    CHECK_RC(kv_put(ck, "only-in-ck", "1"), SKV_OK);
    CHECK_RC(skv_close(ck), SKV_OK);
    char buf[64];
    CHECK_RC(kv_get(db, "only-in-ck", buf, sizeof buf), SKV_NOTFOUND);
    char *b2 = kv_dump(db, &rc);
    CHECK(b2 && strcmp(b, b2) == 0);
    CHECK_RC(skv_close(db), SKV_OK);
    /* a checkpoint into an existing empty directory */
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "ck2"), SKV_OK);
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(skv_checkpoint(db, "ck2"), SKV_OK);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(open_at(fs, "ck2", &ck), SKV_OK);
    char *c2 = kv_dump(ck, &rc);
    CHECK(c2 && strcmp(c2, b) == 0);
    CHECK_RC(skv_close(ck), SKV_OK);
    free(a);
    free(b);
    free(b2);
    free(c);
    free(c2);
    skv__memfs_free(lost);
    skv__memfs_free(fs);
}

/* Without hard links (another file system) the files are copied. */
static void test_checkpoint_without_links(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL, *ck = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    int rc;
    char *a = kv_dump(db, &rc);
    skv__memfs_set_links(fs, 0);
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->link(env, "db/FORMAT", "x"), SKV_ENOTSUP);
    uint64_t before = skv__memfs_op_count(fs);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    uint64_t ops_copy = skv__memfs_op_count(fs) - before;
    skv__memfs_set_links(fs, 1);
    before = skv__memfs_op_count(fs);
    CHECK_RC(skv_checkpoint(db, "ck-linked"), SKV_OK);
    uint64_t ops_link = skv__memfs_op_count(fs) - before;
    /* a copy is open + append + sync where a link is link + sync: one more per file */
    CHECK(ops_copy > ops_link);
    /* the copies are independent of the originals: damage an original table */
    char table[96], name[96];
    CHECK(first_table(fs, "ck", table, sizeof table) == 0);
    snprintf(name, sizeof name, "db/%s", table + 3);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(xor_byte(fs, name, 0.3), SKV_OK);
    SkvDbOptions o = small_opts();
    char *report = NULL;
    CHECK_RC(skv__db_check_dir(env, "ck", &o, &report), SKV_OK);
    skv_free(report);
    CHECK_RC(skv__db_check_dir(env, "ck-linked", &o, &report), SKV_ECORRUPT);
    skv_free(report);
    CHECK_RC(open_at(fs, "ck", &ck), SKV_OK);
    char *c = kv_dump(ck, &rc);
    CHECK(a && c && strcmp(a, c) == 0);
    CHECK_RC(skv_close(ck), SKV_OK);
    free(a);
    free(c);
    skv__memfs_free(fs);
}

static void test_checkpoint_errors(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    skv_db *db = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    int rc;
    char *a = kv_dump(db, &rc);
    CHECK_RC(skv_checkpoint(NULL, "ck"), SKV_EINVAL);
    CHECK_RC(skv_checkpoint(db, NULL), SKV_EINVAL);
    CHECK_RC(skv_checkpoint(db, ""), SKV_EINVAL);
    /* not empty: refused, and nothing of it is touched */
    CHECK_RC(env->mkdir(env, "full"), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, "full/mine", "x", 1), SKV_OK);
    CHECK_RC(skv_checkpoint(db, "full"), SKV_EINVAL);
    CHECK(strstr(skv_errmsg(), "not empty") != NULL);
    CHECK(dir_exists(fs, "full/mine"));
    CHECK_RC(skv_checkpoint(db, "full/mine"), SKV_EINVAL);
    CHECK(dir_exists(fs, "full/mine"));
    CHECK_RC(skv_checkpoint(db, "nodir/ck"), SKV_NOTFOUND);
    CHECK(!dir_exists(fs, "nodir"));
    /* one at a time */
    db->maint_busy = 1;
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_EBUSY);
    CHECK_RC(skv_restore(db, "ck"), SKV_EBUSY);
    CHECK_RC(skv_check(db, NULL), SKV_EBUSY);
    db->maint_busy = 0;
    CHECK(!dir_exists(fs, "ck"));

    /* an injected error or a full disk at each file operation of a checkpoint: the error is
     * returned, nothing is left behind, the database is untouched, a retry works */
    uint64_t before = skv__memfs_op_count(fs);
    CHECK_RC(skv_checkpoint(db, "probe"), SKV_OK);
    uint64_t K = skv__memfs_op_count(fs) - before;
    CHECK(K > 10);
    static const int kinds[2] = {SKV_FAULT_EIO, SKV_FAULT_ENOSPC};
    for (int f = 0; f < 2; f++)
        for (uint64_t n = 1; n <= K; n++) {
            skv__memfs_set_fault(fs, kinds[f], skv__memfs_op_count(fs) + n, 0);
            rc = skv_checkpoint(db, "ck");
            skv__memfs_set_fault(fs, SKV_FAULT_NONE, 0, 0);
            if (rc != (kinds[f] == SKV_FAULT_EIO ? SKV_EIO : SKV_ENOSPC))
                fprintf(stderr, "fault %d at checkpoint op %" PRIu64 ": %s: %s\n", kinds[f], n,
                        skv_errname(rc), skv_errmsg());
            CHECK_RC(rc, kinds[f] == SKV_FAULT_EIO ? SKV_EIO : SKV_ENOSPC);
            CHECK(!dir_exists(fs, "ck"));
            char *now = kv_dump(db, &rc);
            CHECK(now && strcmp(now, a) == 0);
            free(now);
        }
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);

    /* a latched database refuses; a closed one too */
    skv_txn *t = NULL;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    CHECK_RC(skv_txn_set_durability(t, SKV_DURABILITY_IMMEDIATE), SKV_OK);
    CHECK_RC(skv_txn_set(t, "x", 1, "y", 1), SKV_OK);
    skv__memfs_set_fault(fs, SKV_FAULT_EIO, skv__memfs_op_count(fs) + 1, 1);
    CHECK_RC(skv_txn_commit(t), SKV_EIO);
    skv_txn_free(t);
    skv__memfs_set_fault(fs, SKV_FAULT_NONE, 0, 0);
    CHECK_RC(skv_checkpoint(db, "ck3"), SKV_EFATAL);
    CHECK_RC(skv_restore(db, "ck"), SKV_EFATAL);
    CHECK(!dir_exists(fs, "ck3"));
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK); /* keeps the handle */
    skv_close(db);
    CHECK_RC(skv_checkpoint(db, "ck3"), SKV_ECLOSED);
    CHECK_RC(skv_restore(db, "ck"), SKV_ECLOSED);
    CHECK_RC(skv_check(db, NULL), SKV_ECLOSED);
    skv_txn_free(t);
    free(a);
    skv__memfs_free(fs);
}

/* ---- restore ---- */

static void test_restore_roundtrip(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    int rc;
    char *a = kv_dump(db, &rc);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    CHECK_RC(build_b(db), SKV_OK);
    uint64_t seq_b = kv_sequence(db);
    CHECK_RC(skv_restore(db, "ck"), SKV_OK);
    char *r = kv_dump(db, &rc);
    CHECK(a && r && strcmp(a, r) == 0);
    CHECK(kv_sequence(db) >= seq_b); /* sequence numbers never go backwards */
    char *report = NULL;
    CHECK_RC(skv_check(db, &report), SKV_OK);
    skv_free(report);
    /* more writes, then a reopen keeps the restored data and the writes */
    CHECK_RC(kv_put(db, "k000", "after-0"), SKV_OK);
    CHECK_RC(kv_put(db, "zz", "after-1"), SKV_OK);
    uint64_t seq_w = kv_sequence(db);
    CHECK(seq_w == seq_b + 2 || seq_w > seq_b + 2);
    char *w = kv_dump(db, &rc);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    char *w2 = kv_dump(db, &rc);
    CHECK(w && w2 && strcmp(w, w2) == 0);
    CHECK(strstr(w2, "k000=after-0\n") && strstr(w2, "zz=after-1\n"));
    CHECK_EQ_U64(kv_sequence(db), seq_w);
    /* again, from the same checkpoint (restore only reads it), and through a power loss */
    CHECK_RC(skv_restore(db, "ck"), SKV_OK);
    SkvMemFs *lost = skv__memfs_crash_clone(fs, 0);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(open_at(lost, "db", &db), SKV_OK);
    char *r2 = kv_dump(db, &rc);
    CHECK(r2 && strcmp(a, r2) == 0);
    CHECK_RC(skv_close(db), SKV_OK);
    SkvDbOptions o = small_opts();
    CHECK_RC(skv__db_check_dir(skv__memfs_env(lost), "db", &o, &report), SKV_OK);
    skv_free(report);
    CHECK_RC(skv__db_check_dir(skv__memfs_env(fs), "ck", &o, &report), SKV_OK);
    skv_free(report);
    CHECK(!dir_exists(fs, "ck/LOCK")); /* restore and check only read the checkpoint */
    free(a);
    free(r);
    free(r2);
    free(w);
    free(w2);
    skv__memfs_free(lost);
    skv__memfs_free(fs);
}

/* A checkpoint that was opened and written to (commits only in its log) restores too. */
static void test_restore_from_log(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL, *ck = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    CHECK_RC(open_at(fs, "ck", &ck), SKV_OK);
    CHECK_RC(kv_put(ck, "from-ck-log", "1"), SKV_OK);
    CHECK_RC(kv_put(ck, "k001", NULL), SKV_OK);
    int rc;
    char *c = kv_dump(ck, &rc);
    uint64_t seq_c = kv_sequence(ck);
    CHECK_RC(skv_restore(db, "ck"), SKV_ELOCKED); /* open elsewhere */
    CHECK_RC(skv_close(ck), SKV_OK);
    CHECK_RC(skv_restore(db, "ck"), SKV_OK);
    char *r = kv_dump(db, &rc);
    CHECK(c && r && strcmp(c, r) == 0);
    CHECK(kv_sequence(db) >= seq_c);
    CHECK_RC(skv_close(db), SKV_OK);
    free(c);
    free(r);
    skv__memfs_free(fs);
}

static void test_restore_ends_earlier_transactions(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(fill(db, 0, 20, "a"), SKV_OK);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    CHECK_RC(kv_put(db, "x", "after"), SKV_OK);
    skv_txn *rw = NULL, *ro = NULL, *wo = NULL, *raw = NULL;
    skv_iter *it = NULL;
    const void *v;
    size_t n;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &rw), SKV_OK);
    CHECK_RC(skv_txn_set(rw, "y", 1, "2", 1), SKV_OK);
    CHECK_RC(skv_txn_get(rw, "x", 1, &v, &n), SKV_OK);
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &ro), SKV_OK);
    CHECK_RC(skv_iter_open(ro, NULL, 0, NULL, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_first(it), SKV_OK);
    CHECK_RC(skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &wo), SKV_OK);
    CHECK_RC(skv_txn_set(wo, "z", 1, "3", 1), SKV_OK);
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &raw), SKV_OK);
    CHECK_RC(skv_txn_set(raw, "w", 1, "4", 1), SKV_OK);

    CHECK_RC(skv_restore(db, "ck"), SKV_OK);
    CHECK_RC(skv_txn_get(rw, "x", 1, &v, &n), SKV_ECLOSED);
    CHECK(strstr(skv_errmsg(), "restored") != NULL);
    CHECK_RC(skv_txn_set(rw, "y", 1, "5", 1), SKV_ECLOSED);
    CHECK_RC(skv_txn_commit(rw), SKV_ECLOSED);
    CHECK_RC(skv_txn_commit(rw), SKV_ECLOSED); /* the failed commit ended it */
    CHECK_RC(skv_iter_next(it), SKV_ECLOSED);
    CHECK_RC(skv_iter_key(it, &v, &n), SKV_ECLOSED);
    skv_iter *it2 = NULL;
    CHECK_RC(skv_iter_open(ro, NULL, 0, NULL, 0, 0, &it2), SKV_ECLOSED);
    CHECK(it2 == NULL);
    CHECK_RC(skv_txn_get(ro, "x", 1, &v, &n), SKV_ECLOSED);
    CHECK_RC(skv_txn_commit(wo), SKV_ECLOSED);
    /* below the API checks, the commit pipeline refuses it as well */
    CHECK_RC(skv__commit(raw, NULL, NULL), SKV_ECLOSED);
    skv_iter_free(it);
    skv_txn_free(rw);
    skv_txn_free(ro);
    skv_txn_free(wo);
    skv_txn_free(raw);
    char buf[32];
    CHECK_RC(kv_get(db, "x", buf, sizeof buf), SKV_NOTFOUND);
    CHECK_RC(kv_get(db, "y", buf, sizeof buf), SKV_NOTFOUND);
    CHECK_RC(kv_get(db, "z", buf, sizeof buf), SKV_NOTFOUND);
    CHECK_RC(kv_get(db, "w", buf, sizeof buf), SKV_NOTFOUND);
    CHECK_RC(kv_get(db, "k005", buf, sizeof buf), SKV_OK);
    CHECK(strcmp(buf, "a-5") == 0);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* SurrealKV §2.13 item 13: keys written after the checkpoint conflict with nothing after
 * the restore; conflicts between transactions begun after it are still found. */
static void test_restore_clears_conflicts(void) {
    SkvMemFs *fs = skv__memfs_new();
    skv_db *db = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(kv_put(db, "k", "0"), SKV_OK);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    skv_txn *old = NULL, *t1 = NULL, *t2 = NULL;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &old), SKV_OK);
    for (int i = 1; i <= 3; i++) CHECK_RC(kv_put(db, "k", i == 3 ? "3" : "x"), SKV_OK);
    CHECK_RC(skv_restore(db, "ck"), SKV_OK);
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &t1), SKV_OK);
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_WRITE, &t2), SKV_OK);
    const void *v;
    size_t n;
    CHECK_RC(skv_txn_get(t1, "k", 1, &v, &n), SKV_OK);
    CHECK_MEM(v, n, "0");
    CHECK_RC(skv_txn_set(t1, "k", 1, "t1", 2), SKV_OK);
    CHECK_RC(skv_txn_set(t2, "k", 1, "t2", 2), SKV_OK);
    CHECK_RC(skv_txn_commit(t1), SKV_OK);
    CHECK_RC(skv_txn_commit(t2), SKV_ECONFLICT);
    CHECK_RC(skv_txn_set(old, "k", 1, "old", 3), SKV_ECLOSED);
    skv_txn_free(old);
    skv_txn_free(t1);
    skv_txn_free(t2);
    char buf[16];
    CHECK_RC(kv_get(db, "k", buf, sizeof buf), SKV_OK);
    CHECK(strcmp(buf, "t1") == 0);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

/* A damaged or unusable source: refused with the documented code, nothing changed. */
static void test_restore_errors(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    skv_db *db = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    CHECK_RC(skv_checkpoint(db, "ck"), SKV_OK);
    CHECK_RC(build_b(db), SKV_OK);
    int rc;
    char *b = kv_dump(db, &rc);
    CHECK(b != NULL);

    CHECK_RC(skv_restore(NULL, "ck"), SKV_EINVAL);
    CHECK_RC(skv_restore(db, NULL), SKV_EINVAL);
    CHECK_RC(skv_restore(db, ""), SKV_EINVAL);
    CHECK_RC(skv_restore(db, "nothere"), SKV_NOTFOUND);
    CHECK_RC(skv__env_write_file_sync(env, "afile", "x", 1), SKV_OK);
    CHECK_RC(skv_restore(db, "afile"), SKV_EINVAL);
    CHECK_RC(skv_restore(db, "db"), SKV_EINVAL);
    CHECK_RC(env->mkdir(env, "empty"), SKV_OK);
    CHECK_RC(skv_restore(db, "empty"), SKV_EINVAL);
    CHECK(strstr(skv_errmsg(), "FORMAT") != NULL);

    struct {
        const char *name;
        int rc;
    } cases[] = {{"newer", SKV_EVERSION},       {"no-table", SKV_ECORRUPT},
                 {"short-table", SKV_ECORRUPT}, {"bad-current", SKV_ECORRUPT},
                 {"bad-log", SKV_ECORRUPT},     {"bad-table", SKV_ECORRUPT}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[64], path[128], table[128];
        snprintf(dir, sizeof dir, "src-%s", cases[i].name);
        CHECK_RC(copy_tree(fs, "ck", dir), SKV_OK);
        CHECK(first_table(fs, dir, table, sizeof table) == 0);
        switch (i) {
        case 0:
            snprintf(path, sizeof path, "%s/FORMAT", dir);
            rc = skv__env_write_file_sync(env, path, "skv-format 9\n", 13);
            break;
        case 1: rc = env->remove(env, table); break;
        case 2: {
            char *buf;
            size_t len;
            rc = skv__env_read_file(env, table, &buf, &len);
            if (!rc) rc = skv__env_write_file_sync(env, table, buf, len - 1);
            free(buf);
            break;
        }
        case 3:
            snprintf(path, sizeof path, "%s/CURRENT", dir);
            rc = skv__env_write_file_sync(env, path, "garbage\n", 8);
            break;
        case 4: { /* the log segment of the last commits: a damaged first record */
            char **names;
            size_t n;
            snprintf(path, sizeof path, "%s/wal", dir);
            rc = env->list(env, path, &names, &n);
            CHECK(!rc && n >= 1);
            snprintf(path, sizeof path, "%s/wal/%s", dir, names[n - 1]);
            skv__env_free_list(names, n);
            /* an intact record after it makes it corruption, not a torn tail */
            rc = xor_byte(fs, path, 0.02);
            break;
        }
        default: rc = xor_byte(fs, table, 0.0); break; /* the first data block */
        }
        CHECK_RC(rc, SKV_OK);
        rc = skv_restore(db, dir);
        if (rc != cases[i].rc)
            fprintf(stderr, "restore from %s: %s: %s\n", dir, skv_errname(rc), skv_errmsg());
        CHECK_RC(rc, cases[i].rc);
        char *now = kv_dump(db, &rc);
        CHECK(now && strcmp(now, b) == 0);
        free(now);
    }
    /* no stray staged file is left in the database directory */
    char *report = NULL;
    CHECK_RC(skv_check(db, &report), SKV_OK);
    skv_free(report);

    /* an injected error or a full disk at each file operation of a restore */
    uint64_t before = skv__memfs_op_count(fs);
    CHECK_RC(copy_tree(fs, "db", "db-copy"), SKV_OK);
    skv_db *probe = NULL;
    SkvMemFs *pfs = skv__memfs_clone(fs);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(open_at(pfs, "db-copy", &probe), SKV_OK);
    before = skv__memfs_op_count(pfs);
    CHECK_RC(skv_restore(probe, "ck"), SKV_OK);
    uint64_t K = skv__memfs_op_count(pfs) - before;
    char *a = kv_dump(probe, &rc);
    CHECK_RC(skv_close(probe), SKV_OK);
    skv__memfs_free(pfs);
    CHECK(a != NULL && K > 10);
    size_t latched = 0, clean = 0;
    for (uint64_t n = 1; n <= K; n++)
        for (int f = 0; f < 2; f++) {
            int kind = f ? SKV_FAULT_ENOSPC : SKV_FAULT_EIO, want = f ? SKV_ENOSPC : SKV_EIO;
            SkvMemFs *c = skv__memfs_clone(fs);
            skv_db *d = NULL;
            CHECK_RC(open_at(c, "db-copy", &d), SKV_OK);
            skv__memfs_set_fault(c, kind, skv__memfs_op_count(c) + n, 0);
            rc = skv_restore(d, "ck");
            skv__memfs_set_fault(c, SKV_FAULT_NONE, 0, 0);
            if (rc == SKV_OK) { /* the failed op was one whose loss changes nothing */
                char *now = kv_dump(d, NULL);
                CHECK(now && strcmp(now, a) == 0);
                free(now);
            } else {
                CHECK_RC(rc, want);
                int fatal = kv_put(d, "probe", "1");
                char *now = kv_dump(d, NULL);
                if (fatal == SKV_EFATAL) {
                    latched++; /* the switch record itself: old or restored after reopen */
                    CHECK(now && strcmp(now, b) == 0);
                } else {
                    clean++;
                    CHECK_RC(fatal, SKV_OK);
                    CHECK(now && strstr(now, "probe=1\n"));
                    CHECK_RC(kv_put(d, "probe", NULL), SKV_OK);
                    CHECK_RC(skv_check(d, NULL), SKV_OK);
                    CHECK_RC(skv_restore(d, "ck"), SKV_OK);
                }
                free(now);
            }
            skv_close(d);
            skv_db *r = NULL;
            CHECK_RC(open_at(c, "db-copy", &r), SKV_OK);
            char *after = kv_dump(r, NULL);
            CHECK(after && (strcmp(after, a) == 0 || strcmp(after, b) == 0));
            free(after);
            CHECK_RC(skv_check(r, NULL), SKV_OK);
            skv_close(r);
            skv__memfs_free(c);
        }
    printf("restore faults: %" PRIu64 " ops, %zu latched, %zu refused cleanly\n", K, latched,
           clean);
    CHECK(latched >= 2 && clean > K);
    free(a);
    free(b);
    skv__memfs_free(fs);
}

/* ---- check ---- */

static void test_check_reports(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvDbOptions o = small_opts();
    skv_db *db = NULL;
    CHECK_RC(open_at(fs, "db", &db), SKV_OK);
    CHECK_RC(build_a(db), SKV_OK);
    char *report = NULL;
    CHECK_RC(skv_check(db, &report), SKV_OK);
    CHECK(report && strstr(report, "table ") && strstr(report, "log ") &&
          strstr(report, "clean, 0 problems"));
    skv_free(report);
    CHECK_RC(skv_check(db, NULL), SKV_OK);
    CHECK_RC(skv_check(NULL, &report), SKV_EINVAL);
    CHECK(report == NULL);

    /* an orphan is listed, not a problem; damaged blocks in two tables are both listed, the
     * first is returned */
    CHECK_RC(skv__env_write_file_sync(env, "db/00000000000000099999.sst", "x", 1), SKV_OK);
    CHECK_RC(skv_check(db, &report), SKV_OK);
    CHECK(report && strstr(report, "orphan: db/00000000000000099999.sst") &&
          strstr(report, "clean, 0 problems, 1 orphan\n"));
    skv_free(report);
    CHECK_RC(env->remove(env, "db/00000000000000099999.sst"), SKV_OK);
    SkvView *v = db->view;
    const SkvVersion *ver = v->version;
    char t1[96] = "", t2[96] = "";
    for (int l = ver->nlevels - 1; l >= 0 && !t2[0]; l--)
        for (size_t i = 0; i < ver->nfiles[l] && !t2[0]; i++)
            snprintf(t1[0] ? t2 : t1, sizeof t1, "db/%020llu.sst",
                     (unsigned long long)ver->files[l][i]->number);
    CHECK(t1[0] && t2[0]);
    CHECK_RC(xor_byte(fs, t1, 0.05), SKV_OK);
    CHECK_RC(xor_byte(fs, t2, 0.05), SKV_OK);
    CHECK_RC(skv_check(db, &report), SKV_ECORRUPT);
    CHECK(strstr(skv_errmsg(), "block at offset") != NULL);
    size_t problems = 0;
    for (const char *p = report; (p = strstr(p, "problem: ")); p++) problems++;
    CHECK(strstr(report, t1) && strstr(report, t2));
    CHECK(problems >= 2);
    skv_free(report);
    CHECK_RC(skv_close(db), SKV_OK);

    /* the closed directory: the same damage; and the argument and state errors */
    CHECK_RC(skv__db_check_dir(env, "db", &o, &report), SKV_ECORRUPT);
    CHECK(report && strstr(report, t1) && strstr(report, t2));
    skv_free(report);
    CHECK_RC(skv__db_check_dir(env, "nothere", &o, &report), SKV_NOTFOUND);
    CHECK(report == NULL);
    CHECK_RC(env->mkdir(env, "empty"), SKV_OK);
    CHECK_RC(skv__db_check_dir(env, "empty", &o, &report), SKV_NOTFOUND);
    CHECK_RC(skv__env_write_file_sync(env, "afile", "x", 1), SKV_OK);
    CHECK_RC(skv__db_check_dir(env, "afile", &o, &report), SKV_EINVAL);
    CHECK_RC(open_at(fs, "other", &db), SKV_OK);
    CHECK_RC(skv__db_check_dir(env, "other", &o, &report), SKV_ELOCKED);
    CHECK_RC(skv_close(db), SKV_OK);
    CHECK_RC(skv__db_check_dir(env, "other", &o, &report), SKV_OK);
    skv_free(report);
    CHECK_RC(skv_check_dir(NULL, NULL, &report), SKV_EINVAL);
    CHECK_RC(skv_check_dir("", NULL, &report), SKV_EINVAL);
    skv__memfs_free(fs);
}

/* ---- the real file system ---- */

static void test_posix_links_and_public_check(void) {
    char dir[] = "/tmp/skv-ckpt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], ck[256], a_table[300], b_table[300], cmd[300];
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(ck, sizeof ck, "%s/ck", dir);
    skv_options *opts = NULL;
    CHECK_RC(skv_options_new(&opts), SKV_OK);
    CHECK_RC(skv_options_set(opts, "max_memtable_size", "4096"), SKV_OK);
    skv_db *db = NULL;
    CHECK_RC(skv_open(path, opts, &db), SKV_OK);
    CHECK_RC(fill(db, 0, 100, "p"), SKV_OK);
    CHECK_RC(skv_flush(db), SKV_OK);
    CHECK_RC(skv_checkpoint(db, ck), SKV_OK);
    /* the tables are hard links to the same files */
    SkvVersion *ver = db->view->version;
    CHECK(ver->nfiles[0] > 0);
    snprintf(a_table, sizeof a_table, "%s/%020llu.sst", path,
             (unsigned long long)ver->files[0][0]->number);
    snprintf(b_table, sizeof b_table, "%s/%020llu.sst", ck,
             (unsigned long long)ver->files[0][0]->number);
    struct stat sa, sb;
    CHECK(stat(a_table, &sa) == 0 && stat(b_table, &sb) == 0);
    CHECK(sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev && sa.st_nlink >= 2);
    CHECK_RC(fill(db, 0, 10, "q"), SKV_OK);
    CHECK_RC(skv_restore(db, ck), SKV_OK);
    char buf[32];
    CHECK_RC(kv_get(db, "k003", buf, sizeof buf), SKV_OK);
    CHECK(strcmp(buf, "p-3") == 0);
    CHECK_RC(skv_check_dir(path, opts, NULL), SKV_ELOCKED);
    CHECK_RC(skv_close(db), SKV_OK);
    char *report = NULL;
    CHECK_RC(skv_check_dir(path, opts, &report), SKV_OK);
    CHECK(report && strstr(report, "clean, 0 problems"));
    skv_free(report);
    CHECK_RC(skv_check_dir(ck, NULL, &report), SKV_OK);
    skv_free(report);
    skv_options_free(opts);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static const TestCase TESTS[] = {
    {"checkpoint_contents", test_checkpoint_contents},
    {"checkpoint_without_links", test_checkpoint_without_links},
    {"checkpoint_errors", test_checkpoint_errors},
    {"restore_roundtrip", test_restore_roundtrip},
    {"restore_from_log", test_restore_from_log},
    {"restore_ends_earlier_transactions", test_restore_ends_earlier_transactions},
    {"restore_clears_conflicts", test_restore_clears_conflicts},
    {"restore_errors", test_restore_errors},
    {"check_reports", test_check_reports},
    {"posix_links_and_public_check", test_posix_links_and_public_check},
    {0, 0},
};

TEST_MAIN(TESTS)
