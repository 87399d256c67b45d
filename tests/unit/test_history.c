/*
 * test_history.c — time travel through the public API: the versioning options, skv_txn_get_at,
 * skv_txn_history and skv_iter_version with every error they document; history order,
 * timestamp ranges, tombstones, limits, every move of a history iterator, the transaction's
 * own writes, the three delete kinds before and after flushes and compactions, the retention
 * window, timestamps out of commit order and timestamps across reopens. Databases live on the
 * in-memory file system with a settable clock, so commit timestamps are known exactly.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"

/* ---- a settable clock ---- */

static _Atomic uint64_t fake_now;
static uint64_t clock_now(SkvEnv *env) {
    (void)env;
    return atomic_load(&fake_now);
}

typedef struct {
    SkvMemFs *fs;
    SkvDbOptions o;
    skv_db *db;
} Db;

static int db_open(Db *d, int versioning, uint64_t retention) {
    if (!d->fs) {
        d->fs = skv__memfs_new();
        skv__memfs_env(d->fs)->now_ns = clock_now;
        skv__db_options_default(&d->o);
        d->o.bg_inline = 1;
    }
    d->o.enable_versioning = versioning;
    d->o.versioned_history_retention_ns = retention;
    return skv__db_open("/db", &d->o, skv__memfs_env(d->fs), &d->db);
}

static void db_free(Db *d) {
    if (d->db) skv_close(d->db);
    skv__memfs_free(d->fs);
    memset(d, 0, sizeof *d);
}

/* One transaction: a script of writes. "s k v" set, "t k v ts" set_at, "d k" delete,
 * "x k" soft delete, "r k v" replace, separated by ';'. */
static int run_txn(skv_db *db, const char *script) {
    skv_txn *t;
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &t);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", script);
    for (char *save = NULL, *op = strtok_r(buf, ";", &save); !rc && op;
         op = strtok_r(NULL, ";", &save)) {
        char c, k[64] = "", v[64] = "";
        unsigned long long ts = 0;
        if (sscanf(op, " %c %63s %63s %llu", &c, k, v, &ts) < 2) return SKV_EINVAL;
        if (c == 's') rc = skv_txn_set(t, k, strlen(k), v, strlen(v));
        if (c == 't') rc = skv_txn_set_at(t, k, strlen(k), v, strlen(v), ts);
        if (c == 'd') rc = skv_txn_delete(t, k, strlen(k));
        if (c == 'x') rc = skv_txn_soft_delete(t, k, strlen(k));
        if (c == 'r') rc = skv_txn_replace(t, k, strlen(k), v, strlen(v));
    }
    if (!rc) rc = skv_txn_commit(t);
    skv_txn_free(t);
    return rc;
}

/* The versions an open history iterator shows from its current state on (first when
 * unpositioned), as "k=v@ts" (set), "k:=v@ts" (replace), "k~@ts" (soft delete), separated
 * by spaces; moves with next. */
static void iter_text(skv_iter *it, char *out, size_t cap, int rc) {
    size_t n = 0;
    out[0] = '\0';
    for (; rc == SKV_OK; rc = skv_iter_next(it)) {
        const void *k, *v;
        size_t kl, vl;
        uint64_t ts;
        int kind;
        if (skv_iter_key(it, &k, &kl) || skv_iter_value(it, &v, &vl) ||
            skv_iter_version(it, &ts, &kind)) {
            snprintf(out, cap, "ERROR %s", skv_errmsg());
            return;
        }
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? " " : "", (int)kl, (const char *)k);
        if (kind == SKV_KIND_SOFT_DELETE)
            n += (size_t)snprintf(out + n, cap - n, "~@%llu", (unsigned long long)ts);
        else
            n += (size_t)snprintf(out + n, cap - n, "%s%.*s@%llu",
                                  kind == SKV_KIND_REPLACE ? ":=" : "=", (int)vl, (const char *)v,
                                  (unsigned long long)ts);
        if (n >= cap) return;
    }
    if (rc != SKV_NOTFOUND) snprintf(out + n, cap - n, " END %s", skv_errname(rc));
}

static char hist_buf[4096];

/* The whole history of [lo, hi) (NULL = unbounded) as text. */
static const char *hist(skv_txn *t, const char *lo, const char *hi, uint64_t from, uint64_t to,
                        unsigned flags, size_t limit) {
    skv_iter *it;
    int rc = skv_txn_history(t, lo, lo ? strlen(lo) : 0, hi, hi ? strlen(hi) : 0, from, to, flags,
                             limit, &it);
    if (rc) {
        snprintf(hist_buf, sizeof hist_buf, "OPEN %s", skv_errname(rc));
        return hist_buf;
    }
    iter_text(it, hist_buf, sizeof hist_buf, skv_iter_first(it));
    skv_iter_free(it);
    return hist_buf;
}

/* The history of one key ([key, key 0x00)) as text. */
static const char *hist_key(skv_txn *t, const char *key, uint64_t from, uint64_t to, unsigned flags,
                            size_t limit) {
    char hi[64];
    size_t n = strlen(key);
    memcpy(hi, key, n);
    hi[n] = 0;
    skv_iter *it;
    int rc = skv_txn_history(t, key, n, hi, n + 1, from, to, flags, limit, &it);
    if (rc) {
        snprintf(hist_buf, sizeof hist_buf, "OPEN %s", skv_errname(rc));
        return hist_buf;
    }
    iter_text(it, hist_buf, sizeof hist_buf, skv_iter_first(it));
    skv_iter_free(it);
    return hist_buf;
}

static const char *hist_db(skv_db *db, const char *lo, const char *hi, unsigned flags) {
    skv_txn *t;
    if (skv_txn_begin(db, SKV_TXN_READ_ONLY, &t)) return "BEGIN FAILED";
    hist(t, lo, hi, 0, UINT64_MAX, flags, 0);
    skv_txn_free(t);
    return hist_buf;
}

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (strcmp(g_, w_) != 0) {                                                                 \
            fprintf(stderr, "%s:%d: %s is\n  '%s', expected\n  '%s'\n", __FILE__, __LINE__, #got,  \
                    g_, w_);                                                                       \
            test_failures_++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* get_at as text: the value, "NOTFOUND" or the error name. */
static char at_buf[128];
static const char *at(skv_txn *t, const char *k, uint64_t ts) {
    const void *v;
    size_t vl;
    int rc = skv_txn_get_at(t, k, strlen(k), ts, &v, &vl);
    if (rc == SKV_OK)
        snprintf(at_buf, sizeof at_buf, "%.*s", (int)vl, (const char *)v);
    else
        snprintf(at_buf, sizeof at_buf, "%s", rc == SKV_NOTFOUND ? "NOTFOUND" : skv_errname(rc));
    return at_buf;
}

/* ---- options ---- */

static void test_options(void) {
    skv_options *o;
    CHECK_RC(skv_options_new(&o), SKV_OK);
    CHECK_RC(skv_options_set(o, "enable_versioning", "true"), SKV_OK);
    CHECK_RC(skv_options_set(o, "enable_versioning", "yes"), SKV_EINVAL);
    CHECK_RC(skv_options_set(o, "versioned_history_retention_ns", "0"), SKV_OK);
    CHECK_RC(skv_options_set(o, "versioned_history_retention_ns", "18446744073709551615"), SKV_OK);
    CHECK_RC(skv_options_set(o, "versioned_history_retention_ns", "18446744073709551616"),
             SKV_EINVAL);
    CHECK_RC(skv_options_set(o, "versioned_history_retention_ns", "-1"), SKV_EINVAL);
    CHECK_RC(skv_options_set(o, "versioned_history_retention_ns", ""), SKV_EINVAL);
    CHECK_RC(skv_options_set(o, "enable_versioned_index", "true"), SKV_OK);
    CHECK_RC(skv_options_set(o, "enable_versioned_index", "1"), SKV_EINVAL);
    /* a versioned index needs versioning: refused before anything is touched */
    CHECK_RC(skv_options_set(o, "enable_versioning", "false"), SKV_OK);
    skv_db *db = (skv_db *)1;
    CHECK_RC(skv_open("/nonexistent/skv-history-test", o, &db), SKV_EINVAL);
    CHECK(db == NULL);
    CHECK(strstr(skv_errmsg(), "enable_versioned_index") != NULL);
    /* with versioning it opens (and changes nothing) */
    CHECK_RC(skv_options_set(o, "enable_versioning", "true"), SKV_OK);
    char dir[] = "/tmp/skv-history-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK_RC(skv_open(dir, o, &db), SKV_OK);
    skv_options_free(o);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, 0, 0), "");
    skv_txn_free(t);
    CHECK_RC(skv_close(db), SKV_OK);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* ---- errors ---- */

static void test_errors(void) {
    Db d = {0};
    atomic_store(&fake_now, 1000);
    CHECK_RC(db_open(&d, 0, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "s a 1"), SKV_OK);
    skv_txn *t;
    skv_iter *it = (skv_iter *)1;
    const void *v = "x";
    size_t vl = 5;
    uint64_t ts = 9;
    int kind = 9;
    /* without versioning */
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    CHECK_RC(skv_txn_get_at(t, "a", 1, 2000, &v, &vl), SKV_ENOTSUP);
    CHECK(v == NULL && vl == 0);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_ENOTSUP);
    CHECK(it == NULL);
    skv_txn_free(t);
    CHECK_RC(skv_close(d.db), SKV_OK);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);

    /* NULL handles and pointers */
    CHECK_RC(skv_txn_get_at(NULL, "a", 1, 0, &v, &vl), SKV_EINVAL);
    CHECK_RC(skv_txn_history(NULL, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_EINVAL);
    CHECK_RC(skv_iter_version(NULL, &ts, &kind), SKV_EINVAL);
    CHECK(ts == 0 && kind == 0);
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    CHECK_RC(skv_txn_get_at(t, "a", 1, 0, NULL, &vl), SKV_EINVAL);
    CHECK_RC(skv_txn_get_at(t, "a", 1, 0, &v, NULL), SKV_EINVAL);
    CHECK_RC(skv_txn_get_at(t, NULL, 1, 0, &v, &vl), SKV_EINVAL);
    CHECK_RC(skv_txn_get_at(t, "", 0, 0, &v, &vl), SKV_EEMPTYKEY);
    char *big = calloc(SKV_MAX_KEY_SIZE + 1, 1);
    CHECK(big);
    int rc = skv_txn_get_at(t, big, SKV_MAX_KEY_SIZE + 1, 0, &v, &vl);
    free(big);
    CHECK_RC(rc, SKV_ETOOBIG);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, NULL), SKV_EINVAL);
    CHECK_RC(skv_txn_history(t, NULL, 1, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_EINVAL);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 3, 0, UINT64_MAX, 0, 0, &it), SKV_EINVAL);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 8, 0, &it), SKV_EINVAL);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 5, 4, 0, 0, &it), SKV_EINVAL);
    CHECK(it == NULL);
    /* skv_iter_version on a plain iterator, and unpositioned / NULL outputs */
    CHECK_RC(skv_iter_open(t, NULL, 0, NULL, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_first(it), SKV_OK);
    CHECK_RC(skv_iter_version(it, &ts, &kind), SKV_EINVAL);
    skv_iter_free(it);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_version(it, &ts, &kind), SKV_NOTFOUND);
    CHECK_RC(skv_iter_key(it, &v, &vl), SKV_NOTFOUND);
    CHECK_RC(skv_iter_first(it), SKV_OK);
    CHECK_RC(skv_iter_version(it, NULL, &kind), SKV_EINVAL);
    CHECK_RC(skv_iter_version(it, &ts, NULL), SKV_EINVAL);
    CHECK_RC(skv_iter_version(it, &ts, &kind), SKV_OK);
    CHECK(ts == 1000 && kind == SKV_KIND_SET);
    CHECK_RC(skv_iter_next(it), SKV_NOTFOUND);
    CHECK_RC(skv_iter_version(it, &ts, &kind), SKV_NOTFOUND);
    /* after the transaction ends */
    CHECK_RC(skv_txn_commit(t), SKV_OK);
    CHECK_RC(skv_iter_version(it, &ts, &kind), SKV_ECLOSED);
    CHECK_RC(skv_iter_first(it), SKV_ECLOSED);
    CHECK_RC(skv_txn_get_at(t, "a", 1, 0, &v, &vl), SKV_ECLOSED);
    skv_iter *it2 = (skv_iter *)1;
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it2), SKV_ECLOSED);
    CHECK(it2 == NULL);
    skv_iter_free(it);
    skv_txn_free(t);
    /* write-only transactions have no snapshot */
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_WRITE_ONLY, &t), SKV_OK);
    CHECK_RC(skv_txn_get_at(t, "a", 1, 0, &v, &vl), SKV_EWRITEONLY);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_EWRITEONLY);
    skv_txn_free(t);
    /* after the database closes */
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_close(d.db), SKV_OK);
    d.db = NULL;
    CHECK_RC(skv_txn_get_at(t, "a", 1, 0, &v, &vl), SKV_ECLOSED);
    CHECK_RC(skv_iter_next(it), SKV_ECLOSED);
    CHECK_RC(skv_iter_version(it, &ts, &kind), SKV_ECLOSED);
    skv_iter_free(it);
    skv_txn_free(t);
    db_free(&d);
}

/* ---- SurrealKV's cases (its reference §2.13 items 8 and 9) ---- */

static void test_surrealkv_cases(void) {
    Db d = {0};
    atomic_store(&fake_now, 1000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "t k v1 100"), SKV_OK);
    CHECK_RC(run_txn(d.db, "t k v2 200"), SKV_OK);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(at(t, "k", 150), "v1");
    CHECK_STR(at(t, "k", 99), "NOTFOUND");
    CHECK_STR(at(t, "k", 100), "v1");
    CHECK_STR(at(t, "k", 200), "v2");
    CHECK_STR(at(t, "k", UINT64_MAX), "v2");
    CHECK_STR(hist(t, "k", "l", 0, UINT64_MAX, 0, 0), "k=v2@200 k=v1@100");
    skv_txn_free(t);
    /* a soft delete (at its commit time, 1002) hides the key from then on */
    CHECK_RC(run_txn(d.db, "x k"), SKV_OK);
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(at(t, "k", 1002), "NOTFOUND");
    CHECK_STR(at(t, "k", 1001), "v2");
    CHECK_STR(hist(t, "k", "l", 0, UINT64_MAX, 0, 0), "k=v2@200 k=v1@100");
    CHECK_STR(hist(t, "k", "l", 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES, 0),
              "k~@1002 k=v2@200 k=v1@100");
    skv_txn_free(t);
    /* a hard delete erases it */
    CHECK_RC(run_txn(d.db, "d k"), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES), "");
    /* a replace cuts older versions off */
    CHECK_RC(run_txn(d.db, "t j a 10;t m a 10"), SKV_OK);
    CHECK_RC(run_txn(d.db, "t j b 20;t m b 20"), SKV_OK);
    CHECK_RC(run_txn(d.db, "r j c"), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, 0), "j:=c@1006 m=b@20 m=a@10");
    /* limit counts versions (0 = all); the timestamp range is inclusive */
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(hist(t, "a", "z", 0, UINT64_MAX, 0, 3), "j:=c@1006 m=b@20 m=a@10");
    CHECK_STR(hist(t, "a", "z", 0, UINT64_MAX, 0, 2), "j:=c@1006 m=b@20");
    CHECK_STR(hist(t, "a", "z", 0, UINT64_MAX, 0, 1), "j:=c@1006");
    CHECK_STR(hist(t, "a", "z", 0, UINT64_MAX, 0, 0), "j:=c@1006 m=b@20 m=a@10");
    CHECK_STR(hist(t, NULL, NULL, 10, 20, 0, 0), "m=b@20 m=a@10");
    CHECK_STR(hist(t, NULL, NULL, 11, 20, 0, 0), "m=b@20");
    CHECK_STR(hist(t, NULL, NULL, 10, 19, 0, 0), "m=a@10");
    CHECK_STR(hist(t, NULL, NULL, 20, 20, 0, 0), "m=b@20");
    CHECK_STR(hist(t, NULL, NULL, 21, 1005, 0, 0), "");
    CHECK_STR(hist(t, NULL, NULL, 1006, 1006, 0, 0), "j:=c@1006");
    skv_txn_free(t);
    db_free(&d);
}

/* ---- order and moves ---- */

static void test_moves(void) {
    Db d = {0};
    atomic_store(&fake_now, 5000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "t a a1 1;t b b1 1;t c c1 1"), SKV_OK);
    CHECK_RC(run_txn(d.db, "t a a2 2;t c c2 2"), SKV_OK);
    CHECK_RC(run_txn(d.db, "t a a3 3"), SKV_OK);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, 0, 0),
              "a=a3@3 a=a2@2 a=a1@1 b=b1@1 c=c2@2 c=c1@1");
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, SKV_ITER_REVERSE, 0),
              "c=c1@1 c=c2@2 b=b1@1 a=a1@1 a=a2@2 a=a3@3");
    CHECK_STR(hist(t, "b", "c", 0, UINT64_MAX, 0, 0), "b=b1@1");
    CHECK_STR(hist_key(t, "a", 0, UINT64_MAX, 0, 0), "a=a3@3 a=a2@2 a=a1@1");
    CHECK_STR(hist_key(t, "a", 0, UINT64_MAX, SKV_ITER_REVERSE, 2), "a=a1@1 a=a2@2");
    CHECK_STR(hist_key(t, "bb", 0, UINT64_MAX, 0, 0), "");
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, SKV_ITER_REVERSE, 4),
              "c=c1@1 c=c2@2 b=b1@1 a=a1@1");
    CHECK_STR(hist(t, NULL, NULL, 2, UINT64_MAX, SKV_ITER_REVERSE, 0), "c=c2@2 a=a2@2 a=a3@3");

    skv_iter *it;
    char text[512];
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_last(it), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "c=c1@1");
    CHECK_RC(skv_iter_last(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK); /* c2 */
    CHECK_RC(skv_iter_prev(it), SKV_OK); /* b1 */
    CHECK_RC(skv_iter_prev(it), SKV_OK); /* a1 */
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "a=a1@1 b=b1@1 c=c2@2 c=c1@1");
    CHECK_RC(skv_iter_seek(it, "b", 1), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK); /* a1 */
    CHECK_RC(skv_iter_prev(it), SKV_OK); /* a2 */
    CHECK_RC(skv_iter_next(it), SKV_OK); /* a1 */
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "a=a1@1 b=b1@1 c=c2@2 c=c1@1");
    CHECK_RC(skv_iter_seek(it, "bb", 2), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "c=c2@2 c=c1@1");
    CHECK_RC(skv_iter_seek(it, "d", 1), SKV_NOTFOUND);
    CHECK_RC(skv_iter_first(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_NOTFOUND);
    /* read_batch: [klen][vlen][key][value] per version */
    CHECK_RC(skv_iter_first(it), SKV_OK);
    CHECK_RC(skv_iter_next(it), SKV_OK);
    const void *buf;
    size_t len, count;
    CHECK_RC(skv_iter_read_batch(it, 3, 0, &buf, &len, &count), SKV_OK);
    CHECK_EQ_U64(count, 3);
    CHECK_EQ_U64(len, 3 * (8 + 1 + 2));
    CHECK(memcmp((const char *)buf + 8, "aa2", 3) == 0);
    CHECK(memcmp((const char *)buf + 19, "aa1", 3) == 0);
    CHECK(memcmp((const char *)buf + 30, "bb1", 3) == 0);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "c=c2@2 c=c1@1");
    skv_iter_free(it);

    /* reverse: seek lands on the oldest version of the largest key <= target */
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, SKV_ITER_REVERSE, 0, &it), SKV_OK);
    CHECK_RC(skv_iter_seek(it, "bz", 2), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "b=b1@1 a=a1@1 a=a2@2 a=a3@3");
    CHECK_RC(skv_iter_last(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "a=a2@2 a=a3@3");
    skv_iter_free(it);

    /* a limit keeps the first versions in iteration order; every move stays inside them */
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 4, &it), SKV_OK);
    CHECK_RC(skv_iter_last(it), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "b=b1@1");
    CHECK_RC(skv_iter_last(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "a=a1@1 b=b1@1");
    CHECK_RC(skv_iter_seek(it, "c", 1), SKV_NOTFOUND);
    CHECK_RC(skv_iter_seek(it, "b", 1), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_OK);
    CHECK_RC(skv_iter_prev(it), SKV_NOTFOUND);
    skv_iter_free(it);
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, SKV_ITER_REVERSE, 2, &it), SKV_OK);
    CHECK_RC(skv_iter_last(it), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "c=c2@2");
    skv_iter_free(it);
    /* a limit larger than the history */
    CHECK_RC(skv_txn_history(t, NULL, 0, NULL, 0, 0, UINT64_MAX, 0, 100, &it), SKV_OK);
    CHECK_RC(skv_iter_last(it), SKV_OK);
    iter_text(it, text, sizeof text, SKV_OK);
    CHECK_STR(text, "c=c1@1");
    skv_iter_free(it);
    /* keys only */
    CHECK_STR(hist(t, "c", NULL, 0, UINT64_MAX, SKV_ITER_KEYS_ONLY, 0), "c=@2 c=@1");
    skv_txn_free(t);
    db_free(&d);
}

/* ---- the transaction's own writes ---- */

static void test_own_writes(void) {
    Db d = {0};
    atomic_store(&fake_now, 5000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "t a a1 100;t b b1 100;t c c1 100;t e e1 100"), SKV_OK);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_WRITE, &t), SKV_OK);
    CHECK_RC(skv_txn_set(t, "a", 1, "a2", 2), SKV_OK);
    CHECK_RC(skv_txn_delete(t, "b", 1), SKV_OK);
    CHECK_RC(skv_txn_replace(t, "c", 1, "c2", 2), SKV_OK);
    CHECK_RC(skv_txn_set(t, "d", 1, "d1", 2), SKV_OK);
    CHECK_RC(skv_txn_soft_delete(t, "e", 1), SKV_OK);
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES, 0),
              "a=a2@0 a=a1@100 c:=c2@0 d=d1@0 e~@0 e=e1@100");
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, 0, 0), "a=a2@0 a=a1@100 c:=c2@0 d=d1@0 e=e1@100");
    CHECK_STR(hist(t, NULL, NULL, 1, UINT64_MAX, 0, 0), "a=a1@100 e=e1@100");
    /* own writes decide get_at first (timestamp 0 until commit) */
    CHECK_STR(at(t, "a", 50), "a2");
    CHECK_STR(at(t, "b", 500), "NOTFOUND");
    CHECK_STR(at(t, "c", 1), "c2");
    CHECK_STR(at(t, "e", 100), "NOTFOUND");
    /* an explicit own timestamp above the query falls through to the stored versions */
    CHECK_RC(skv_txn_set_at(t, "a", 1, "a3", 2, 300), SKV_OK);
    CHECK_STR(at(t, "a", 200), "a1");
    CHECK_STR(at(t, "a", 300), "a3");
    CHECK_STR(hist(t, "a", "b", 0, UINT64_MAX, 0, 0), "a=a3@300 a=a1@100");
    /* the iterator holds the writes made before it opened */
    skv_iter *it;
    CHECK_RC(skv_txn_history(t, "d", 1, NULL, 0, 0, UINT64_MAX, 0, 0, &it), SKV_OK);
    CHECK_RC(skv_txn_delete(t, "d", 1), SKV_OK);
    char text[256];
    iter_text(it, text, sizeof text, skv_iter_first(it));
    CHECK_STR(text, "d=d1@0 e=e1@100");
    skv_iter_free(it);
    CHECK_STR(hist(t, "d", NULL, 0, UINT64_MAX, 0, 0), "e=e1@100");
    CHECK_RC(skv_txn_commit(t), SKV_OK);
    skv_txn_free(t);
    /* committed: the writes have the commit timestamp */
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES),
              "a=a3@300 a=a2@5001 a=a1@100 c:=c2@5001 e~@5001 e=e1@100");
    db_free(&d);
}

/* ---- flushes, compactions and the delete kinds ---- */

static void test_tables(void) {
    Db d = {0};
    atomic_store(&fake_now, 7000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "t h h1 1;t s s1 1;t r r1 1;t v v1 1"), SKV_OK);
    CHECK_RC(skv_flush(d.db), SKV_OK);
    CHECK_RC(run_txn(d.db, "t h h2 2;t s s2 2;t r r2 2;t v v2 2"), SKV_OK);
    CHECK_RC(skv_flush(d.db), SKV_OK);
    CHECK_RC(run_txn(d.db, "d h;x s;r r r3;t v v3 3"), SKV_OK);
    const char *all = "r:=r3@7002 s~@7002 s=s2@2 s=s1@1 v=v3@3 v=v2@2 v=v1@1";
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES), all);
    skv_txn *snap; /* an old snapshot keeps what it sees */
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &snap), SKV_OK);
    CHECK_RC(run_txn(d.db, "t v v4 4"), SKV_OK);
    CHECK_RC(skv_compact(d.db), SKV_OK);
    CHECK_STR(hist(snap, NULL, NULL, 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES, 0), all);
    CHECK_STR(at(snap, "h", 1), "NOTFOUND");
    CHECK_STR(at(snap, "s", 2), "s2");
    CHECK_STR(at(snap, "r", 2), "NOTFOUND");
    skv_txn_free(snap);
    CHECK_RC(skv_compact(d.db), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES),
              "r:=r3@7002 s~@7002 s=s2@2 s=s1@1 v=v4@4 v=v3@3 v=v2@2 v=v1@1");
    /* after a full compaction into the last level: the hard-deleted key is gone from the
     * files, the replaced key holds only its replace, the soft delete stayed */
    char *files;
    CHECK_RC(skv_property(d.db, "level-files", &files), SKV_OK);
    CHECK_STR(files, "0 0 0 0 0 0 1");
    skv_free(files);
    CHECK_RC(skv_close(d.db), SKV_OK);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES),
              "r:=r3@7002 s~@7002 s=s2@2 s=s1@1 v=v4@4 v=v3@3 v=v2@2 v=v1@1");
    /* without versioning, a compaction keeps the newest version only */
    CHECK_RC(skv_close(d.db), SKV_OK);
    CHECK_RC(db_open(&d, 0, 0), SKV_OK);
    CHECK_RC(skv_compact(d.db), SKV_OK);
    CHECK_RC(skv_close(d.db), SKV_OK);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES), "r:=r3@7002 s~@7002 v=v4@4");
    db_free(&d);
}

/* ---- the retention window ---- */

static void test_retention(void) {
    Db d = {0};
    atomic_store(&fake_now, 1000);
    CHECK_RC(db_open(&d, 1, 500), SKV_OK);
    CHECK_RC(run_txn(d.db, "s k k1;s j j1"), SKV_OK); /* 1000 */
    atomic_store(&fake_now, 1200);
    CHECK_RC(run_txn(d.db, "s k k2"), SKV_OK); /* 1200 */
    atomic_store(&fake_now, 1400);
    CHECK_RC(run_txn(d.db, "s k k3"), SKV_OK); /* 1400 */
    atomic_store(&fake_now, 1800);
    CHECK_RC(run_txn(d.db, "s k k4;x j"), SKV_OK); /* 1800 */
    /* at 2000 the window is [1500, 2000]: k4 is inside, k3 was in effect when it began */
    atomic_store(&fake_now, 2000);
    CHECK_RC(skv_compact(d.db), SKV_OK);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(hist(t, NULL, NULL, 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES, 0),
              "j~@1800 j=j1@1000 k=k4@1800 k=k3@1400");
    CHECK_STR(at(t, "k", 1600), "k3");
    CHECK_STR(at(t, "k", 1900), "k4");
    CHECK_STR(at(t, "j", 1700), "j1");
    skv_txn_free(t);
    /* a live snapshot keeps the version it reads */
    skv_txn *old;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &old), SKV_OK);
    atomic_store(&fake_now, 2100);
    CHECK_RC(run_txn(d.db, "s k k5"), SKV_OK); /* 2100 */
    atomic_store(&fake_now, 5000);
    CHECK_RC(skv_compact(d.db), SKV_OK);
    CHECK_STR(at(old, "k", UINT64_MAX), "k4");
    skv_txn_free(old);
    CHECK_RC(skv_compact(d.db), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, SKV_HISTORY_TOMBSTONES), "j~@1800 k=k5@2100");
    db_free(&d);
}

/* ---- timestamps out of commit order ---- */

static void test_unordered_timestamps(void) {
    Db d = {0};
    atomic_store(&fake_now, 9000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    /* a back-dated version after a newer one, in a memtable and then in a table */
    CHECK_RC(run_txn(d.db, "t k k500 500;t o o1 100"), SKV_OK);
    CHECK_RC(run_txn(d.db, "t k k100 100;t o o2 200"), SKV_OK);
    for (int round = 0; round < 3; round++) {
        skv_txn *t;
        CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
        CHECK_STR(at(t, "k", 600), "k500");
        CHECK_STR(at(t, "k", 499), "k100");
        CHECK_STR(at(t, "k", 99), "NOTFOUND");
        CHECK_STR(at(t, "o", 150), "o1");
        /* history is in commit order; the range still finds the older-looking version */
        CHECK_STR(hist_key(t, "k", 400, UINT64_MAX, 0, 0), "k=k500@500");
        CHECK_STR(hist_key(t, "k", 0, 200, 0, 0), "k=k100@100");
        skv_txn_free(t);
        CHECK_RC(round == 0 ? skv_flush(d.db) : skv_compact(d.db), SKV_OK);
    }
    /* a future timestamp, then ordinary commits below it */
    CHECK_RC(run_txn(d.db, "t f future 99999"), SKV_OK);
    CHECK_RC(skv_flush(d.db), SKV_OK);
    CHECK_RC(run_txn(d.db, "s f now"), SKV_OK); /* 9000-something */
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(at(t, "f", 99999), "future");
    CHECK_STR(at(t, "f", 99998), "now");
    skv_txn_free(t);
    db_free(&d);
}

/* ---- equal and adjacent timestamps in separate (ordered) tables ---- */

static void test_timestamp_ties_across_tables(void) {
    Db d = {0};
    atomic_store(&fake_now, 9000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    /* each table holds one version of each key, so each one is in timestamp order */
    CHECK_RC(run_txn(d.db, "t k old 50;t j old 51"), SKV_OK);
    CHECK_RC(skv_flush(d.db), SKV_OK);
    CHECK_RC(run_txn(d.db, "t k new 50;t j new 50"), SKV_OK);
    CHECK_RC(skv_flush(d.db), SKV_OK);
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    CHECK_STR(at(t, "k", 50), "new"); /* equal timestamps: the newer version */
    CHECK_STR(at(t, "j", 60), "old"); /* the larger timestamp, written earlier */
    CHECK_STR(at(t, "j", 50), "new");
    CHECK_STR(hist_key(t, "k", 50, UINT64_MAX, 0, 0), "k=new@50 k=old@50");
    CHECK_STR(hist_key(t, "j", 51, 51, 0, 0), "j=old@51");
    skv_txn_free(t);
    db_free(&d);
}

/* ---- timestamps across reopens ---- */

static void test_timestamps_never_go_back(void) {
    Db d = {0};
    atomic_store(&fake_now, 50000);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "s k a"), SKV_OK); /* 50000 */
    CHECK_RC(run_txn(d.db, "s k b"), SKV_OK); /* 50001: the clock stood still */
    CHECK_RC(skv_close(d.db), SKV_OK);
    atomic_store(&fake_now, 10); /* the clock went back */
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "s k c"), SKV_OK);
    CHECK_RC(skv_flush(d.db), SKV_OK);
    CHECK_RC(skv_close(d.db), SKV_OK);
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    CHECK_RC(run_txn(d.db, "s k d"), SKV_OK);
    CHECK_STR(hist_db(d.db, NULL, NULL, 0), "k=d@50003 k=c@50002 k=b@50001 k=a@50000");
    db_free(&d);
}

/* ---- many versions over many sources: early stops give the same answers ---- */

static void test_many_sources(void) {
    Db d = {0};
    atomic_store(&fake_now, 100);
    d.o.max_memtable_size = 4096;
    d.o.level0_max_files = 3;
    CHECK_RC(db_open(&d, 1, 0), SKV_OK);
    char script[64];
    for (int v = 0; v < 300; v++) {
        atomic_store(&fake_now, 1000 + (uint64_t)v * 10);
        snprintf(script, sizeof script, "s key%02d v%d;s key%02d w%d", v % 7, v, 10 + v % 5, v);
        CHECK_RC(run_txn(d.db, script), SKV_OK);
        if (v % 50 == 49) CHECK_RC(skv_flush(d.db), SKV_OK);
    }
    skv_txn *t;
    CHECK_RC(skv_txn_begin(d.db, SKV_TXN_READ_ONLY, &t), SKV_OK);
    for (int v = 0; v < 300; v++) {
        char k[8], want[16];
        snprintf(k, sizeof k, "key%02d", v % 7);
        snprintf(want, sizeof want, "v%d", v);
        /* at the commit time of version v, and just before the next version of the key */
        CHECK_STR(at(t, k, 1000 + (uint64_t)v * 10), want);
        CHECK_STR(at(t, k, 1000 + (uint64_t)v * 10 + 69), want);
    }
    CHECK_STR(at(t, "key00", 999), "NOTFOUND");
    CHECK_STR(hist_key(t, "key03", 3900, UINT64_MAX, 0, 0), "key03=v297@3970 key03=v290@3900");
    CHECK_STR(hist(t, "key03", "key04", 3900, UINT64_MAX, 0, 0), "key03=v297@3970 key03=v290@3900");
    skv_txn_free(t);
    db_free(&d);
}

static const TestCase TESTS[] = {
    {"options", test_options},
    {"errors", test_errors},
    {"surrealkv_cases", test_surrealkv_cases},
    {"moves", test_moves},
    {"own_writes", test_own_writes},
    {"tables", test_tables},
    {"retention", test_retention},
    {"unordered_timestamps", test_unordered_timestamps},
    {"timestamp_ties_across_tables", test_timestamp_ties_across_tables},
    {"timestamps_never_go_back", test_timestamps_never_go_back},
    {"many_sources", test_many_sources},
    {NULL, NULL},
};

TEST_MAIN(TESTS)
