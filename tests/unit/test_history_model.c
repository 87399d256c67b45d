/*
 * test_history_model.c — randomized model test of time travel: random transactions (set,
 * set_at with past and future timestamps, soft delete, hard delete, replace) on tiny
 * memtables, blocks and table files, with flushes, full compactions, reopens, snapshots held
 * across them and a settable clock, compared with a reference that keeps every version:
 * skv_txn_get_at at random timestamps, and history iterators with random bounds, timestamp
 * ranges, flags and limits walked with random moves — from the writing transaction (its own
 * writes included), from fresh snapshots and from old ones. Seeds with a retention window
 * check what the window guarantees: every version inside it, and the one in effect when it
 * began, exactly; older versions may be gone. Set SKV_SEED to replay one seed.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"

#include "model_run.h"

enum { NKEYS = 24, STEPS = 1500, MAXV = 4096, MAXOWN = 4 };

typedef struct {
    int key, kind;
    uint64_t ts;
    char val[16];
} Ver;

/* Every committed version in commit order; a snapshot is a prefix of it. */
typedef struct {
    Ver v[MAXV];
    size_t n;
} Ref;

static Ref ref;
static uint64_t ref_last_ts; /* the last commit timestamp */
static _Atomic uint64_t fake_now;
static uint64_t clock_now(SkvEnv *env) {
    (void)env;
    return atomic_load(&fake_now);
}

static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int rndn(int n) { return (int)(rnd() % (uint64_t)n); }

static size_t key_of(int i, char *k) {
    k[0] = (char)('a' + i / 4);
    if (i % 4 == 0) return 1;
    k[1] = (char)('0' + i % 4);
    return 2;
}

/* One expected history entry. */
typedef struct {
    int key, kind;
    uint64_t ts;
    const char *val;
} Want;

/* The versions of key visible in the first `upto` committed versions plus the transaction's
 * own write (own, NULL = none), newest first, back to the first hard delete (excluded) or
 * replace (included). */
static size_t key_versions(int key, size_t upto, const Ver *own, const Ver **out) {
    size_t n = 0;
    if (own) {
        if (own->kind == SKV_KIND_DELETE) return 0;
        out[n++] = own;
        if (own->kind == SKV_KIND_REPLACE) return n;
    }
    for (size_t i = upto; i-- > 0;) {
        const Ver *v = &ref.v[i];
        if (v->key != key) continue;
        if (v->kind == SKV_KIND_DELETE) break;
        out[n++] = v;
        if (v->kind == SKV_KIND_REPLACE) break;
    }
    return n;
}

/* The reference answer of get_at: a version or NULL. */
static const Ver *ref_get_at(int key, size_t upto, const Ver *own, uint64_t ts) {
    if (own && (own->kind == SKV_KIND_DELETE || own->ts <= ts))
        return own->kind == SKV_KIND_DELETE || own->kind == SKV_KIND_SOFT_DELETE ? NULL : own;
    static const Ver *vs[MAXV + 1];
    size_t n = key_versions(key, upto, NULL, vs);
    const Ver *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (vs[i]->ts <= ts && (!best || vs[i]->ts > best->ts)) best = vs[i];
    return best && best->kind != SKV_KIND_SOFT_DELETE ? best : NULL;
}

/* A timestamp to query: often one of a version's (or one off it), else any up to past now. */
static uint64_t pick_ts(uint64_t now) {
    if (ref.n && rndn(3)) {
        uint64_t ts = ref.v[rndn((int)ref.n)].ts + (uint64_t)rndn(3);
        return ts ? ts - 1 : 0;
    }
    return rndn(8) == 0 ? UINT64_MAX : (uint64_t)rndn((int)now + 200);
}

/* The transaction's own write of each key (NULL = none). */
typedef struct {
    const Ver *own[NKEYS];
} Own;

static int check_get_at(skv_txn *t, size_t upto, const Own *own, uint64_t now) {
    int key = rndn(NKEYS);
    uint64_t ts = pick_ts(now);
    char k[4];
    size_t kl = key_of(key, k);
    const void *v;
    size_t vl;
    int rc = skv_txn_get_at(t, k, kl, ts, &v, &vl);
    const Ver *want = ref_get_at(key, upto, own ? own->own[key] : NULL, ts);
    if (rc != (want ? SKV_OK : SKV_NOTFOUND) ||
        (want && (vl != strlen(want->val) || memcmp(v, want->val, vl) != 0))) {
        fprintf(stderr, "get_at(%.*s, %llu): %s '%.*s', expected %s\n", (int)kl, k,
                (unsigned long long)ts, skv_errname(rc), rc ? 0 : (int)vl,
                rc ? "" : (const char *)v, want ? want->val : "NOTFOUND");
        return -1;
    }
    return 0;
}

/* The expected list of a history iterator (after filters, order and limit). */
static size_t ref_history(int lo, int hi, uint64_t from, uint64_t to, unsigned flags, size_t limit,
                          size_t upto, const Own *own, Want *out) {
    static const Ver *vs[MAXV + 1];
    size_t n = 0;
    for (int key = lo; key < hi; key++) {
        size_t m = key_versions(key, upto, own ? own->own[key] : NULL, vs);
        for (size_t i = 0; i < m; i++) {
            if (vs[i]->kind == SKV_KIND_SOFT_DELETE && !(flags & SKV_HISTORY_TOMBSTONES)) continue;
            if (vs[i]->ts < from || vs[i]->ts > to) continue;
            out[n++] = (Want){key, vs[i]->kind, vs[i]->ts,
                              vs[i]->kind == SKV_KIND_SOFT_DELETE ? "" : vs[i]->val};
        }
    }
    if (flags & SKV_ITER_REVERSE)
        for (size_t i = 0; i < n / 2; i++) {
            Want x = out[i];
            out[i] = out[n - 1 - i];
            out[n - 1 - i] = x;
        }
    return limit && limit < n ? limit : n;
}

static int entry_matches(skv_iter *it, const Want *w) {
    const void *k, *v;
    size_t kl, vl;
    uint64_t ts;
    int kind;
    char ek[4];
    size_t el = key_of(w->key, ek);
    if (skv_iter_key(it, &k, &kl) || skv_iter_value(it, &v, &vl) ||
        skv_iter_version(it, &ts, &kind))
        return 0;
    return kl == el && memcmp(k, ek, el) == 0 && vl == strlen(w->val) &&
           memcmp(v, w->val, vl) == 0 && ts == w->ts && kind == w->kind;
}

/* Walks a random history iterator with random moves against the reference. */
static int check_history(skv_txn *t, size_t upto, const Own *own, uint64_t now) {
    static Want want[MAXV + MAXOWN];
    int lo = rndn(3) ? 0 : rndn(NKEYS), hi = rndn(3) ? NKEYS : lo + rndn(NKEYS - lo + 1);
    int single = rndn(4) == 0;
    if (single) hi = lo + 1;
    uint64_t from = rndn(2) ? 0 : pick_ts(now);
    uint64_t to = rndn(2) || from == UINT64_MAX ? UINT64_MAX : from + (uint64_t)rndn(400);
    unsigned flags = (rndn(2) ? SKV_ITER_REVERSE : 0) | (rndn(2) ? SKV_HISTORY_TOMBSTONES : 0);
    size_t limit = rndn(3) ? 0 : 1 + (size_t)rndn(12);
    size_t n = ref_history(lo, hi, from, to, flags, limit, upto, own, want);
    char lk[4], hk[4];
    size_t ll = key_of(lo, lk), hl = hi < NKEYS ? key_of(hi, hk) : 0;
    if (single) { /* [key, key 0x00) */
        memcpy(hk, lk, ll);
        hk[ll] = 0;
        hl = ll + 1;
    }
    skv_iter *it;
    int with_lo = lo > 0 || single, with_hi = hi < NKEYS || single;
    int rc = skv_txn_history(t, with_lo ? lk : NULL, with_lo ? ll : 0, with_hi ? hk : NULL,
                             with_hi ? hl : 0, from, to, flags, limit, &it);
    if (rc) {
        fprintf(stderr, "history open: %s\n", skv_errname(rc));
        return -1;
    }
    int fwd = !(flags & SKV_ITER_REVERSE);
    long pos = -2; /* -2 unpositioned, -1 ended */
    for (int step = 0; step < 16; step++) {
        int op = rndn(6);
        long expect;
        int tk = rndn(NKEYS);
        if (op == 0) {
            rc = skv_iter_first(it);
            expect = n ? 0 : -1;
        } else if (op == 1) {
            rc = skv_iter_last(it);
            expect = n ? (long)n - 1 : -1;
        } else if (op == 2) {
            char sk[4];
            size_t sl = key_of(tk, sk);
            rc = skv_iter_seek(it, sk, sl);
            expect = -1;
            for (size_t i = 0; i < n && expect < 0; i++)
                if (fwd ? want[i].key >= tk : want[i].key <= tk) expect = (long)i;
        } else if (op <= 4) {
            rc = skv_iter_next(it);
            expect = pos == -2 ? (n ? 0 : -1) : pos == -1 || pos + 1 >= (long)n ? -1 : pos + 1;
        } else {
            rc = skv_iter_prev(it);
            expect = pos == -2 ? (n ? (long)n - 1 : -1) : pos <= 0 ? -1 : pos - 1;
        }
        pos = expect;
        if (rc != (expect >= 0 ? SKV_OK : SKV_NOTFOUND) ||
            (expect >= 0 && !entry_matches(it, &want[expect]))) {
            fprintf(stderr,
                    "history [%d, %d) ts [%llu, %llu] flags %u limit %zu: op %d (key %d) gave %s, "
                    "expected entry %ld of %zu",
                    lo, hi, (unsigned long long)from, (unsigned long long)to, flags, limit, op, tk,
                    skv_errname(rc), expect, n);
            if (expect >= 0)
                fprintf(stderr, " (key %d kind %d ts %llu '%s')", want[expect].key,
                        want[expect].kind, (unsigned long long)want[expect].ts, want[expect].val);
            fputc('\n', stderr);
            skv_iter_free(it);
            return -1;
        }
    }
    skv_iter_free(it);
    return 0;
}

/* With a retention window [w, now]: the history of each key must hold every version inside
 * the window and the newest one before it, exactly, then any subsequence of the older ones. */
static int check_retained(skv_txn *t, size_t upto, uint64_t w) {
    static const Ver *vs[MAXV + 1];
    for (int key = 0; key < NKEYS; key++) {
        char k[4], hk[4];
        size_t kl = key_of(key, k);
        memcpy(hk, k, kl);
        hk[kl] = 0;
        size_t m = key_versions(key, upto, NULL, vs), i = 0;
        skv_iter *it;
        if (skv_txn_history(t, k, kl, hk, kl + 1, 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES, 0, &it))
            return -1;
        int rc, edge = 0;
        for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it)) {
            uint64_t ts;
            int kind;
            skv_iter_version(it, &ts, &kind);
            /* required: inside the window, or the first one before it */
            while (i < m && vs[i]->ts != ts && (vs[i]->ts >= w || !edge)) {
                fprintf(stderr, "key %d: version at %llu (kind %d) is missing (window from %llu)\n",
                        key, (unsigned long long)vs[i]->ts, vs[i]->kind, (unsigned long long)w);
                skv_iter_free(it);
                return -1;
            }
            while (i < m && vs[i]->ts != ts) i++; /* dropped older versions */
            if (i == m || vs[i]->kind != kind) {
                fprintf(stderr, "key %d: unexpected version at %llu\n", key,
                        (unsigned long long)ts);
                skv_iter_free(it);
                return -1;
            }
            if (vs[i]->ts < w) edge = 1;
            i++;
        }
        skv_iter_free(it);
        if (rc != SKV_NOTFOUND) return -1;
        if (i < m && (vs[i]->ts >= w || !edge)) {
            fprintf(stderr, "key %d: version at %llu is missing at the end (window from %llu)\n",
                    key, (unsigned long long)vs[i]->ts, (unsigned long long)w);
            return -1;
        }
    }
    return 0;
}

/* One random transaction, checked from inside before it commits (when exact: without a
 * retention window). */
static int random_txn(skv_db *db, int step, int exact, int *committed) {
    skv_txn *t;
    Own own = {{NULL}};
    static Ver pending[MAXOWN];
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &t);
    int nops = 1 + rndn(MAXOWN);
    for (int j = 0; !rc && j < nops; j++) {
        int key = rndn(NKEYS);
        if (own.own[key]) continue;
        Ver *v = &pending[j];
        char k[4];
        size_t kl = key_of(key, k);
        int op = rndn(20);
        *v = (Ver){.key = key};
        snprintf(v->val, sizeof v->val, "%d.%d", step, j);
        if (op < 9 || (op < 11 && !exact)) {
            v->kind = SKV_KIND_VALUE;
            rc = skv_txn_set(t, k, kl, v->val, strlen(v->val));
        } else if (op < 11) {
            v->kind = SKV_KIND_VALUE;
            /* past or future, often equal or next to another version's */
            v->ts = pick_ts(atomic_load(&fake_now) + 100);
            if (v->ts == 0 || v->ts == UINT64_MAX) v->ts = 1 + (uint64_t)rndn(100);
            rc = skv_txn_set_at(t, k, kl, v->val, strlen(v->val), v->ts);
        } else if (op < 14) {
            v->kind = SKV_KIND_SOFT_DELETE;
            v->val[0] = '\0';
            rc = skv_txn_soft_delete(t, k, kl);
        } else if (op < 17) {
            v->kind = SKV_KIND_DELETE;
            v->val[0] = '\0';
            rc = skv_txn_delete(t, k, kl);
        } else {
            v->kind = SKV_KIND_REPLACE;
            rc = skv_txn_replace(t, k, kl, v->val, strlen(v->val));
        }
        own.own[key] = v;
    }
    uint64_t now = atomic_load(&fake_now);
    if (!rc && exact && (check_get_at(t, ref.n, &own, now) || check_history(t, ref.n, &own, now)))
        rc = SKV_ECORRUPT;
    *committed = 0;
    if (!rc && rndn(8) == 0) {
        rc = skv_txn_rollback(t);
    } else if (!rc) {
        rc = skv_txn_commit(t);
        /* the commit timestamp: the clock, or one past the last one */
        uint64_t ts = now > ref_last_ts ? now : ref_last_ts + 1;
        ref_last_ts = ts;
        for (int key = 0; !rc && key < NKEYS; key++)
            if (own.own[key] && ref.n < MAXV) {
                ref.v[ref.n] = *own.own[key];
                if (!ref.v[ref.n].ts) ref.v[ref.n].ts = ts;
                ref.n++;
            }
        *committed = 1;
    }
    skv_txn_free(t);
    return rc;
}

static void run_seed(uint64_t seed) {
    rng_state = seed;
    memset(&ref, 0, sizeof ref);
    ref_last_ts = 0;
    atomic_store(&fake_now, 1000);
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    env->now_ns = clock_now;
    SkvDbOptions opt;
    skv__db_options_default(&opt);
    opt.max_memtable_size = 4096;
    opt.block_size = 256;
    opt.index_partition_size = seed % 2 ? 64 : 0;
    opt.target_file_size = 2048;
    opt.level0_max_files = 2;
    opt.l0_stall_threshold = 8;
    opt.max_bytes_for_level = 4096;
    opt.level_multiplier = 2;
    opt.level_count = 4;
    opt.filter_bits_per_key = seed % 3 ? 10 : 0;
    opt.bg_inline = seed % 2 == 0;
    opt.enable_versioning = 1;
    /* seeds 1, 2: keep forever, with explicit timestamps; 3, 4: a 60 ns window */
    int windowed = seed % 4 == 3 || seed % 4 == 0;
    opt.versioned_history_retention_ns = windowed ? 60 : 0;
    skv_db *db;
    CHECK_RC(skv__db_open("/db", &opt, env, &db), SKV_OK);
    skv_txn *old = NULL; /* a snapshot held across steps */
    size_t old_upto = 0;
    for (int step = 0; step < STEPS; step++) {
        atomic_fetch_add(&fake_now, (uint64_t)rndn(12));
        int what = rndn(40), rc = SKV_OK, committed;
        if (what == 0) {
            skv_txn_free(old);
            old = NULL;
            CHECK_RC(skv_close(db), SKV_OK);
            CHECK_RC(skv__db_open("/db", &opt, env, &db), SKV_OK);
            continue;
        }
        if (what == 1) {
            CHECK_RC(rndn(2) ? skv_flush(db) : skv_compact(db), SKV_OK);
        } else if (what == 2) {
            skv_txn_free(old);
            CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &old), SKV_OK);
            old_upto = ref.n;
        } else {
            rc = random_txn(db, step, !windowed, &committed);
            if (rc)
                fprintf(stderr, "seed %llu step %d (in the transaction)\n",
                        (unsigned long long)seed, step);
            CHECK_RC(rc, SKV_OK);
        }
        uint64_t now = atomic_load(&fake_now);
        skv_txn *t;
        CHECK_RC(skv_txn_begin(db, SKV_TXN_READ_ONLY, &t), SKV_OK);
        if (!windowed) {
            for (int i = 0; !rc && i < 3; i++) rc = check_get_at(t, ref.n, NULL, now);
            if (!rc) rc = check_history(t, ref.n, NULL, now);
            if (!rc && old) rc = check_history(old, old_upto, NULL, now);
            if (!rc && old) rc = check_get_at(old, old_upto, NULL, now);
        } else {
            uint64_t w = now > 60 ? now - 60 : 0;
            if (rndn(4) == 0) rc = check_retained(t, ref.n, w);
            /* reads at a time inside the window are exact */
            int key = rndn(NKEYS);
            uint64_t ts = w + (uint64_t)rndn(100);
            char k[4];
            size_t kl = key_of(key, k);
            const void *v;
            size_t vl;
            int grc = skv_txn_get_at(t, k, kl, ts, &v, &vl);
            const Ver *want = ref_get_at(key, ref.n, NULL, ts);
            if (!rc && (grc != (want ? SKV_OK : SKV_NOTFOUND) ||
                        (want && (vl != strlen(want->val) || memcmp(v, want->val, vl))))) {
                fprintf(stderr, "get_at(%d, %llu) inside the window: %s\n", key,
                        (unsigned long long)ts, skv_errname(grc));
                rc = -1;
            }
            /* an old snapshot still reads its newest versions */
            if (!rc && old) {
                const Ver *nw = ref_get_at(key, old_upto, NULL, UINT64_MAX);
                grc = skv_txn_get_at(old, k, kl, UINT64_MAX, &v, &vl);
                if (grc != (nw ? SKV_OK : SKV_NOTFOUND) ||
                    (nw && (vl != strlen(nw->val) || memcmp(v, nw->val, vl)))) {
                    fprintf(stderr, "old snapshot get_at(%d): %s\n", key, skv_errname(grc));
                    rc = -1;
                }
            }
        }
        skv_txn_free(t);
        if (rc) fprintf(stderr, "seed %llu step %d\n", (unsigned long long)seed, step);
        CHECK(rc == 0);
        if (ref.n >= MAXV - MAXOWN) break;
    }
    skv_txn_free(old);
    CHECK(model_levels_with_tables(db) > 0); /* the versions really went through tables */
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
}

static void test_random_history(void) { model_run_seeds(run_seed, 4); }

static const TestCase TESTS[] = {{"random_history", test_random_history}, {NULL, NULL}};

TEST_MAIN(TESTS)
