/*
 * workload.h — the seeded canonical workload shared by crash/test_crash_points.c and
 * fault/test_wal_faults.c: generating it (transactions of 1-4 writes over a fixed key
 * universe, skv_sync steps, a close + reopen step), running it on an in-memory file system
 * until the first failure (recording what was acknowledged and what is known durable), the
 * model (the state after every prefix of k commits), and the exact comparison of a database
 * with the model. Header-only (static inline functions): each test is one translation unit.
 */
#ifndef SKV_TESTS_CRASH_WORKLOAD_H
#define SKV_TESTS_CRASH_WORKLOAD_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "env/env.h"
#include "skv.h"

/* ---- keys ---------------------------------------------------------------------------- */

enum {
    WL_NKEYS = 40,            /* "key/00" .. "key/38" and the shared key "shared" */
    WL_SHARED = WL_NKEYS - 1, /* overwritten by many transactions */
    WL_MAX_OPS = 4
};

enum { WL_SET = 0, WL_DELETE = 1, WL_SOFT_DELETE = 2, WL_REPLACE = 3 };
enum { WL_STEP_TXN = 0, WL_STEP_SYNC = 1, WL_STEP_REOPEN = 2 };

static inline void wl_key_name(int k, char *buf, size_t n) {
    if (k == WL_SHARED)
        snprintf(buf, n, "shared");
    else
        snprintf(buf, n, "key/%02d", k);
}

/* The index of a key name, or -1 when it is not in the universe. */
static inline int wl_key_index(const void *key, size_t klen) {
    char name[16];
    for (int k = 0; k < WL_NKEYS; k++) {
        wl_key_name(k, name, sizeof name);
        if (strlen(name) == klen && memcmp(name, key, klen) == 0) return k;
    }
    return -1;
}

/* ---- the workload ---------------------------------------------------------------------- */

typedef struct {
    int kind, key;
    const uint8_t *val; /* owned by the workload (NULL for deletes) */
    size_t vlen;
} WlOp;

typedef struct {
    int type;
    int immediate;
    int nops;
    WlOp ops[WL_MAX_OPS];
} WlStep;

/* A model state: the value of every key of the universe (val NULL = absent). */
typedef struct {
    const uint8_t *val[WL_NKEYS];
    size_t len[WL_NKEYS];
} WlState;

typedef struct {
    uint64_t seed;
    int versioned; /* opened with enable_versioning: recovery checks every key's history too */
    WlStep *steps;
    size_t nsteps;
    size_t ntxns;
    WlState *states;  /* ntxns + 1: states[k] = after the first k commits */
    uint64_t *seqsum; /* ntxns + 1: writes (= sequence numbers) of the first k commits */
    uint8_t **bufs;   /* every value buffer, for freeing */
    size_t nbufs;
} Workload;

static const uint8_t wl_empty_[1] = {0}; /* the bytes of an empty value */

static inline uint64_t wl_rand(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Applies one step's writes to a model state. */
static inline void wl_state_apply(WlState *st, const WlStep *s) {
    for (int j = 0; j < s->nops; j++) {
        const WlOp *o = &s->ops[j];
        if (o->kind == WL_SET || o->kind == WL_REPLACE) {
            st->val[o->key] = o->val;
            st->len[o->key] = o->vlen;
        } else {
            st->val[o->key] = NULL;
            st->len[o->key] = 0;
        }
    }
}

/* Generates ntxns transactions with skv_sync steps after 1/4 and 3/4 of them and a close +
 * reopen after 1/2 (when with_reopen). Every transaction writes distinct keys, so a commit
 * of n writes takes exactly n sequence numbers. Returns 0, or -1 when out of memory. */
static inline int wl_init(Workload *wl, uint64_t seed, size_t ntxns, int with_reopen) {
    memset(wl, 0, sizeof *wl);
    wl->seed = seed;
    wl->ntxns = ntxns;
    size_t cap = ntxns + 3;
    wl->steps = calloc(cap, sizeof *wl->steps);
    wl->states = calloc(ntxns + 1, sizeof *wl->states);
    wl->seqsum = calloc(ntxns + 1, sizeof *wl->seqsum);
    wl->bufs = calloc(ntxns * WL_MAX_OPS, sizeof *wl->bufs);
    if (!wl->steps || !wl->states || !wl->seqsum || !wl->bufs) return -1;
    uint64_t rng = seed;
    size_t t = 0;
    while (t < ntxns) {
        if (t == ntxns / 4 || t == (3 * ntxns) / 4) {
            if (wl->nsteps == 0 || wl->steps[wl->nsteps - 1].type == WL_STEP_TXN) {
                wl->steps[wl->nsteps++].type = WL_STEP_SYNC;
                continue;
            }
        }
        if (with_reopen && t == ntxns / 2 && wl->steps[wl->nsteps - 1].type == WL_STEP_TXN) {
            wl->steps[wl->nsteps++].type = WL_STEP_REOPEN;
            continue;
        }
        WlStep *s = &wl->steps[wl->nsteps++];
        s->type = WL_STEP_TXN;
        s->immediate = wl_rand(&rng) % 100 < 45;
        s->nops = 1 + (int)(wl_rand(&rng) % WL_MAX_OPS);
        int big_used = 0;
        for (int j = 0; j < s->nops; j++) {
            WlOp *o = &s->ops[j];
            int key, dup;
            do { /* distinct keys; the shared key a quarter of the time */
                key = wl_rand(&rng) % 4 == 0 ? WL_SHARED : (int)(wl_rand(&rng) % WL_SHARED);
                dup = 0;
                for (int i = 0; i < j; i++) dup |= s->ops[i].key == key;
            } while (dup);
            o->key = key;
            unsigned r = (unsigned)(wl_rand(&rng) % 100);
            o->kind = r < 50 ? WL_SET : r < 65 ? WL_DELETE : r < 80 ? WL_SOFT_DELETE : WL_REPLACE;
            if (o->kind == WL_DELETE || o->kind == WL_SOFT_DELETE) continue;
            unsigned lr = (unsigned)(wl_rand(&rng) % 100);
            size_t len;
            if (lr < 10)
                len = 0;
            else if (lr < 16 && !big_used) {
                len = 1500 + (size_t)(wl_rand(&rng) % 1500);
                big_used = 1;
            } else
                len = 1 + (size_t)(wl_rand(&rng) % 40);
            if (len == 0) {
                o->val = wl_empty_;
                o->vlen = 0;
                continue;
            }
            uint8_t *b = malloc(len);
            if (!b) return -1;
            wl->bufs[wl->nbufs++] = b;
            char head[32];
            int hn = snprintf(head, sizeof head, "t%zu.%d:", t, j);
            for (size_t i = 0; i < len; i++)
                b[i] = i < (size_t)hn ? (uint8_t)head[i] : (uint8_t)wl_rand(&rng);
            o->val = b;
            o->vlen = len;
        }
        t++;
    }
    t = 0;
    for (size_t i = 0; i < wl->nsteps; i++) {
        const WlStep *s = &wl->steps[i];
        if (s->type != WL_STEP_TXN) continue;
        wl->states[t + 1] = wl->states[t];
        wl_state_apply(&wl->states[t + 1], s);
        wl->seqsum[t + 1] = wl->seqsum[t] + (uint64_t)s->nops;
        t++;
    }
    return 0;
}

static inline void wl_free(Workload *wl) {
    for (size_t i = 0; i < wl->nbufs; i++) free(wl->bufs[i]);
    free(wl->bufs);
    free(wl->steps);
    free(wl->states);
    free(wl->seqsum);
    memset(wl, 0, sizeof *wl);
}

/* ---- reading a database ---------------------------------------------------------------- */

/* What a full scan found. */
typedef struct {
    uint8_t *val[WL_NKEYS];
    size_t len[WL_NKEYS];
    int present[WL_NKEYS];
    int unknown; /* entries whose key is outside the universe */
    char unknown_key[40];
    int scan_rc;
} WlScan;

static inline int wl_scan_cb_(void *ud, const void *key, size_t klen, const void *val,
                              size_t vlen) {
    WlScan *sc = ud;
    int k = wl_key_index(key, klen);
    if (k < 0 || sc->present[k]) {
        if (!sc->unknown++)
            snprintf(sc->unknown_key, sizeof sc->unknown_key, "%.*s%s",
                     (int)(klen < 30 ? klen : 30), (const char *)key, k >= 0 ? " (twice)" : "");
        return 0;
    }
    sc->present[k] = 1;
    sc->val[k] = malloc(vlen ? vlen : 1);
    if (!sc->val[k]) {
        sc->scan_rc = SKV_ENOMEM;
        return 1;
    }
    if (vlen) memcpy(sc->val[k], val, vlen);
    sc->len[k] = vlen;
    return 0;
}

static inline void wl_scan_free(WlScan *sc) {
    for (int k = 0; k < WL_NKEYS; k++) free(sc->val[k]);
    memset(sc, 0, sizeof *sc);
}

/* Full scan in a read-only transaction. Returns SKV_OK or the failing call's code. */
static inline int wl_scan(skv_db *db, WlScan *sc) {
    memset(sc, 0, sizeof *sc);
    skv_txn *txn = NULL;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc) return rc;
    rc = skv_txn_scan(txn, NULL, 0, NULL, 0, 0, 0, wl_scan_cb_, sc);
    skv_txn_free(txn);
    return rc ? rc : sc->scan_rc;
}

/* -1 when the scan equals the state exactly; else the first differing key index, or
 * WL_NKEYS for an entry outside the universe. */
static inline int wl_diff(const WlState *st, const WlScan *sc) {
    if (sc->unknown) return WL_NKEYS;
    for (int k = 0; k < WL_NKEYS; k++) {
        int want = st->val[k] != NULL;
        if (want != sc->present[k]) return k;
        if (want && (st->len[k] != sc->len[k] ||
                     (st->len[k] && memcmp(st->val[k], sc->val[k], st->len[k]) != 0)))
            return k;
    }
    return -1;
}

static inline void wl_print_diff(const char *ctx, const WlState *st, const WlScan *sc, int k) {
    char name[16];
    if (k == WL_NKEYS) {
        fprintf(stderr, "%s: unexpected key '%s' in the database\n", ctx, sc->unknown_key);
        return;
    }
    wl_key_name(k, name, sizeof name);
    fprintf(stderr,
            "%s: key '%s': database has %s (%zu bytes '%.*s'), model has %s (%zu "
            "bytes '%.*s')\n",
            ctx, name, sc->present[k] ? "a value" : "nothing", sc->len[k],
            (int)(sc->len[k] < 16 ? sc->len[k] : 16),
            sc->present[k] ? (const char *)sc->val[k] : "", st->val[k] ? "a value" : "nothing",
            st->len[k], (int)(st->len[k] < 16 ? st->len[k] : 16),
            st->val[k] ? (const char *)st->val[k] : "");
}

/* The "sequence" property as a number; returns SKV_OK or an error. */
static inline int wl_sequence(skv_db *db, uint64_t *out) {
    char *s = NULL;
    int rc = skv_property(db, "sequence", &s);
    if (rc) return rc;
    char *end = NULL;
    *out = strtoull(s, &end, 10);
    rc = (end == s || *end) ? SKV_ECORRUPT : SKV_OK;
    skv_free(s);
    return rc;
}

/* Checks that the database equals states[k] for some k in [lo, hi] whose sequence count
 * equals the "sequence" property exactly. Sets *k_out. Prints the mismatch (prefixed with
 * ctx) and returns -1 otherwise. */
static inline int wl_check_prefix(const Workload *wl, skv_db *db, size_t lo, size_t hi,
                                  size_t *k_out, const char *ctx) {
    WlScan sc;
    uint64_t seq = 0;
    int rc = wl_scan(db, &sc);
    if (rc || (rc = wl_sequence(db, &seq))) {
        fprintf(stderr, "%s: scan or property failed: %s: %s\n", ctx, skv_errname(rc),
                skv_errmsg());
        wl_scan_free(&sc);
        return -1;
    }
    if (hi > wl->ntxns) hi = wl->ntxns;
    for (size_t k = lo; k <= hi; k++) {
        if (wl->seqsum[k] == seq && wl_diff(&wl->states[k], &sc) < 0) {
            *k_out = k;
            wl_scan_free(&sc);
            return 0;
        }
    }
    /* explain: which prefixes (in the whole range) match the data, and the closest diff */
    fprintf(stderr,
            "%s: database is not the model after k commits for any k in [%zu, %zu] "
            "(sequence %" PRIu64 ")\n",
            ctx, lo, hi, seq);
    int any = 0;
    for (size_t k = 0; k <= wl->ntxns; k++) {
        if (wl_diff(&wl->states[k], &sc) < 0) {
            fprintf(stderr,
                    "%s:   data equals the model after %zu commits (their sequence "
                    "is %" PRIu64 ")\n",
                    ctx, k, wl->seqsum[k]);
            any = 1;
        }
    }
    if (!any) {
        size_t k = hi;
        for (size_t i = 0; i <= wl->ntxns; i++)
            if (wl->seqsum[i] == seq) k = i;
        fprintf(stderr, "%s:   data matches no prefix; against k = %zu:\n", ctx, k);
        wl_print_diff(ctx, &wl->states[k], &sc, wl_diff(&wl->states[k], &sc));
    }
    wl_scan_free(&sc);
    return -1;
}

/* ---- history (versioned workloads) ------------------------------------------------------ */

/* One expected version of a key. */
typedef struct {
    int kind; /* SKV_KIND_SET, SKV_KIND_SOFT_DELETE or SKV_KIND_REPLACE */
    const uint8_t *val;
    size_t len;
} WlVersion;

/* The writes of wl_post_txns, in order: key, WL_* kind, value. */
static const struct {
    int key, kind;
    const char *val;
} wl_post_ops_[6] = {{3, WL_SET, "post-0"}, {WL_NKEYS - 1, WL_REPLACE, "post-0"},
                     {5, WL_SET, "post-1"}, {7, WL_REPLACE, "post-1"},
                     {9, WL_SET, "post-2"}, {11, WL_DELETE, NULL}};

/* Applies one write to the versions of its key (oldest first; *n of them): a hard delete
 * erases them, a replace keeps only itself. */
static inline void wl_history_apply(WlVersion *vs, size_t *n, int kind, const uint8_t *val,
                                    size_t len) {
    if (kind == WL_DELETE || kind == WL_REPLACE) *n = 0;
    if (kind == WL_DELETE) return;
    vs[(*n)++] = (WlVersion){kind == WL_SET       ? SKV_KIND_SET
                             : kind == WL_REPLACE ? SKV_KIND_REPLACE
                                                  : SKV_KIND_SOFT_DELETE,
                             kind == WL_SOFT_DELETE ? NULL : val, kind == WL_SOFT_DELETE ? 0 : len};
}

/* The versions of key after the first k commits (and the post transactions when post),
 * oldest first, into vs (room for wl->ntxns + 3). */
static inline size_t wl_history_of(const Workload *wl, size_t k, int post, int key, WlVersion *vs) {
    size_t n = 0, t = 0;
    for (size_t i = 0; i < wl->nsteps && t < k; i++) {
        const WlStep *s = &wl->steps[i];
        if (s->type != WL_STEP_TXN) continue;
        for (int j = 0; j < s->nops; j++)
            if (s->ops[j].key == key)
                wl_history_apply(vs, &n, s->ops[j].kind, s->ops[j].val, s->ops[j].vlen);
        t++;
    }
    for (int p = 0; post && p < 6; p++)
        if (wl_post_ops_[p].key == key)
            wl_history_apply(vs, &n, wl_post_ops_[p].kind, (const uint8_t *)wl_post_ops_[p].val,
                             wl_post_ops_[p].val ? strlen(wl_post_ops_[p].val) : 0);
    return n;
}

/* Checks the history of every key (tombstones included) against the model after k commits
 * (and the post transactions when post): the same versions, newest first, with timestamps
 * falling. Returns 0 or -1 (printed). */
static inline int wl_check_history(const Workload *wl, skv_db *db, size_t k, int post,
                                   const char *ctx) {
    WlVersion *vs = malloc((wl->ntxns + 4) * sizeof *vs);
    skv_txn *txn = NULL;
    int bad = 0;
    int rc = vs ? skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn) : SKV_ENOMEM;
    /* the key names in byte order: "key/00" .. "key/38", then "shared" */
    for (int key = 0; !rc && !bad && key < WL_NKEYS; key++) {
        char name[16], hi[17];
        wl_key_name(key, name, sizeof name);
        size_t nl = strlen(name), n = wl_history_of(wl, k, post, key, vs), got = 0;
        memcpy(hi, name, nl);
        hi[nl] = 0;
        skv_iter *it = NULL;
        uint64_t prev_ts = UINT64_MAX;
        rc = skv_txn_history(txn, name, nl, hi, nl + 1, 0, UINT64_MAX, SKV_HISTORY_TOMBSTONES, 0,
                             &it);
        for (rc = rc ? rc : skv_iter_first(it); rc == SKV_OK && !bad; rc = skv_iter_next(it)) {
            const void *v;
            size_t vl;
            uint64_t ts;
            int kind;
            if ((rc = skv_iter_value(it, &v, &vl)) || (rc = skv_iter_version(it, &ts, &kind)))
                break;
            const WlVersion *w = got < n ? &vs[n - 1 - got] : NULL;
            if (!w || w->kind != kind || w->len != vl || (vl && memcmp(w->val, v, vl) != 0) ||
                ts >= prev_ts) {
                fprintf(stderr,
                        "%s: history of '%s' after %zu commits%s: version %zu (kind %d, %zu "
                        "bytes, ts %" PRIu64 ") is not the model's (%zu versions)\n",
                        ctx, name, k, post ? " and the post transactions" : "", got, kind, vl, ts,
                        n);
                bad = 1;
            }
            prev_ts = ts;
            got++;
        }
        skv_iter_free(it);
        if (rc == SKV_NOTFOUND) rc = SKV_OK;
        if (!rc && !bad && got != n) {
            fprintf(stderr,
                    "%s: history of '%s' after %zu commits has %zu versions, expected %zu\n", ctx,
                    name, k, got, n);
            bad = 1;
        }
    }
    if (rc)
        fprintf(stderr, "%s: history read failed: %s: %s\n", ctx, skv_errname(rc), skv_errmsg());
    skv_txn_free(txn);
    free(vs);
    return rc || bad ? -1 : 0;
}

/* ---- running ------------------------------------------------------------------------- */

enum { WL_AT_NONE = 0, WL_AT_OPEN, WL_AT_COMMIT, WL_AT_SYNC, WL_AT_CLOSE, WL_AT_WRITE };

static inline const char *wl_at_name(int at) {
    switch (at) {
    case WL_AT_OPEN: return "open";
    case WL_AT_COMMIT: return "commit";
    case WL_AT_SYNC: return "skv_sync";
    case WL_AT_CLOSE: return "close";
    case WL_AT_WRITE: return "buffered write";
    default: return "nothing";
    }
}

typedef struct {
    size_t attempted; /* commits attempted (the failed one included) */
    size_t acked;     /* commits acknowledged with SKV_OK (a prefix: attempted or one less) */
    size_t durable;   /* commits known durable: the last acknowledged IMMEDIATE one, or the
                         last one acknowledged before a successful skv_sync or close */
    int fail_at;      /* WL_AT_*: the call that failed first */
    int fail_rc;
    char fail_msg[256];
    int check_failed;      /* a check after the failure did not hold (already printed) */
    uint64_t vlog_gc_runs; /* value-log rewrites ("vlog-gc-runs" summed over the sessions) */
} WlResult;

static inline const char *wl_db_path(void) { return "db"; }

/* Adds the session's "vlog-gc-runs" to the result before a close. */
static inline void wl_count_gc(skv_db *db, WlResult *res) {
    char *s = NULL;
    if (skv_property(db, "vlog-gc-runs", &s) == SKV_OK) res->vlog_gc_runs += strtoull(s, NULL, 10);
    skv_free(s);
}

/* Runs one transaction step: SKV_OK, or the failing code (*at says where). */
static inline int wl_txn(skv_db *db, const WlStep *s, size_t t, int *at) {
    skv_txn *txn = NULL;
    /* every third transaction is write-only (no snapshot) */
    int rc = skv_txn_begin(db, t % 3 == 2 ? SKV_TXN_WRITE_ONLY : SKV_TXN_READ_WRITE, &txn);
    *at = WL_AT_WRITE;
    if (!rc && s->immediate) rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
    for (int j = 0; !rc && j < s->nops; j++) {
        const WlOp *o = &s->ops[j];
        char key[16];
        wl_key_name(o->key, key, sizeof key);
        switch (o->kind) {
        case WL_SET: rc = skv_txn_set(txn, key, strlen(key), o->val, o->vlen); break;
        case WL_REPLACE: rc = skv_txn_replace(txn, key, strlen(key), o->val, o->vlen); break;
        case WL_DELETE: rc = skv_txn_delete(txn, key, strlen(key)); break;
        default: rc = skv_txn_soft_delete(txn, key, strlen(key)); break;
        }
    }
    if (!rc) {
        *at = WL_AT_COMMIT;
        rc = skv_txn_commit(txn);
    }
    skv_txn_free(txn);
    return rc;
}

static inline void wl_record_failure(WlResult *res, int at, int rc) {
    res->fail_at = at;
    res->fail_rc = rc;
    snprintf(res->fail_msg, sizeof res->fail_msg, "%s", skv_errmsg());
}

/* After the first failure of a live handle: later commits must return SKV_EFATAL, skv_sync
 * too, and reads must show exactly the acknowledged commits. */
static inline void wl_check_latched(const Workload *wl, skv_db *db, size_t next_step, WlResult *res,
                                    const char *ctx) {
    size_t tried = 0;
    for (size_t i = next_step; i < wl->nsteps && tried < 2; i++) {
        if (wl->steps[i].type != WL_STEP_TXN) continue;
        int at = 0;
        int rc = wl_txn(db, &wl->steps[i], i, &at);
        if (rc != SKV_EFATAL || at != WL_AT_COMMIT) {
            fprintf(stderr,
                    "%s: a commit after the failure returned %s at %s, expected "
                    "SKV_EFATAL\n",
                    ctx, skv_errname(rc), wl_at_name(at));
            res->check_failed = 1;
            return;
        }
        tried++;
    }
    int rc = skv_sync(db);
    if (rc != SKV_EFATAL) {
        fprintf(stderr, "%s: skv_sync after the failure returned %s, expected SKV_EFATAL\n", ctx,
                skv_errname(rc));
        res->check_failed = 1;
        return;
    }
    /* reads keep working: a point read of an acknowledged key, then the full state */
    const WlState *st = &wl->states[res->acked];
    for (int k = 0; k < WL_NKEYS; k++) {
        if (!st->val[k]) continue;
        char key[16];
        const void *v = NULL;
        size_t vlen = 0;
        skv_txn *txn = NULL;
        wl_key_name(k, key, sizeof key);
        rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
        if (!rc) rc = skv_txn_get(txn, key, strlen(key), &v, &vlen);
        int same = !rc && vlen == st->len[k] && (vlen == 0 || memcmp(v, st->val[k], vlen) == 0);
        skv_txn_free(txn);
        if (!same) {
            fprintf(stderr,
                    "%s: get '%s' after the failure: %s, expected its acknowledged "
                    "value\n",
                    ctx, key, skv_errname(rc));
            res->check_failed = 1;
            return;
        }
        break;
    }
    WlScan sc;
    rc = wl_scan(db, &sc);
    int d = rc ? -2 : wl_diff(st, &sc);
    if (d != -1) {
        if (rc)
            fprintf(stderr, "%s: scan after the failure: %s\n", ctx, skv_errname(rc));
        else {
            fprintf(stderr,
                    "%s: reads after the failure differ from the %zu acknowledged "
                    "commits\n",
                    ctx, res->acked);
            wl_print_diff(ctx, st, &sc, d);
        }
        res->check_failed = 1;
    }
    wl_scan_free(&sc);
}

/* Runs the workload on env (database directory wl_db_path()) with opts until the end or
 * the first failing call; the handle is always closed. With check_latch, checks the
 * behaviour of a latched handle after a failed commit or skv_sync. */
static inline void wl_run(const Workload *wl, SkvEnv *env, const SkvDbOptions *opts,
                          int check_latch, WlResult *res, const char *ctx) {
    memset(res, 0, sizeof *res);
    skv_db *db = NULL;
    int rc = skv__db_open(wl_db_path(), opts, env, &db);
    if (rc) {
        wl_record_failure(res, WL_AT_OPEN, rc);
        return;
    }
    size_t i;
    for (i = 0; i < wl->nsteps; i++) {
        const WlStep *s = &wl->steps[i];
        if (s->type == WL_STEP_TXN) {
            int at = 0;
            res->attempted++;
            rc = wl_txn(db, s, i, &at);
            if (rc) {
                if (at != WL_AT_COMMIT) res->attempted--;
                wl_record_failure(res, at, rc);
                break;
            }
            res->acked++;
            if (s->immediate) res->durable = res->acked;
        } else if (s->type == WL_STEP_SYNC) {
            if ((rc = skv_sync(db))) {
                wl_record_failure(res, WL_AT_SYNC, rc);
                break;
            }
            res->durable = res->acked;
        } else {
            wl_count_gc(db, res);
            rc = skv_close(db);
            db = NULL;
            if (rc) {
                wl_record_failure(res, WL_AT_CLOSE, rc);
                return;
            }
            res->durable = res->acked;
            if ((rc = skv__db_open(wl_db_path(), opts, env, &db))) {
                wl_record_failure(res, WL_AT_OPEN, rc);
                return;
            }
        }
    }
    if (rc && check_latch && (res->fail_at == WL_AT_COMMIT || res->fail_at == WL_AT_SYNC))
        wl_check_latched(wl, db, i + 1, res, ctx);
    wl_count_gc(db, res);
    int crc = skv_close(db);
    if (!rc && crc)
        wl_record_failure(res, WL_AT_CLOSE, crc);
    else if (!rc)
        res->durable = res->acked;
}

/* ---- after recovery ------------------------------------------------------------------- */

/* Three more transactions (two distinct keys each: 6 sequence numbers) applied to a
 * model state. */
static inline int wl_post_txns(skv_db *db, WlState *st) {
    static const char *const vals[3] = {"post-0", "post-1", "post-2"};
    static const int keys[3][2] = {{3, WL_SHARED}, {5, 7}, {9, 11}};
    for (int p = 0; p < 3; p++) {
        skv_txn *txn = NULL;
        char k0[16], k1[16];
        wl_key_name(keys[p][0], k0, sizeof k0);
        wl_key_name(keys[p][1], k1, sizeof k1);
        int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &txn);
        if (!rc && p == 1) rc = skv_txn_set_durability(txn, SKV_DURABILITY_IMMEDIATE);
        if (!rc) rc = skv_txn_set(txn, k0, strlen(k0), vals[p], strlen(vals[p]));
        if (!rc)
            rc = p == 2 ? skv_txn_delete(txn, k1, strlen(k1))
                        : skv_txn_replace(txn, k1, strlen(k1), vals[p], strlen(vals[p]));
        if (!rc) rc = skv_txn_commit(txn);
        skv_txn_free(txn);
        if (rc) return rc;
        st->val[keys[p][0]] = (const uint8_t *)vals[p];
        st->len[keys[p][0]] = strlen(vals[p]);
        st->val[keys[p][1]] = p == 2 ? NULL : (const uint8_t *)vals[p];
        st->len[keys[p][1]] = p == 2 ? 0 : strlen(vals[p]);
    }
    return SKV_OK;
}

/* Checks a database against one state exactly, with an exact sequence number. */
static inline int wl_check_exact(skv_db *db, const WlState *st, uint64_t want_seq,
                                 const char *ctx) {
    WlScan sc;
    uint64_t seq = 0;
    int rc = wl_scan(db, &sc);
    if (rc || (rc = wl_sequence(db, &seq))) {
        fprintf(stderr, "%s: scan or property failed: %s: %s\n", ctx, skv_errname(rc),
                skv_errmsg());
        wl_scan_free(&sc);
        return -1;
    }
    int d = wl_diff(st, &sc);
    if (d >= 0) wl_print_diff(ctx, st, &sc, d);
    if (seq != want_seq)
        fprintf(stderr, "%s: sequence is %" PRIu64 ", expected %" PRIu64 "\n", ctx, seq, want_seq);
    wl_scan_free(&sc);
    return d >= 0 || seq != want_seq ? -1 : 0;
}

/* Opens the database on env and checks it is the model after k commits for some k in
 * [lo, hi]; then writes three transactions, closes, reopens and checks again (recovery is
 * repeatable, sequence numbers keep rising). Sets *k_out. Returns 0 or -1 (printed). */
static inline int wl_verify_recovery_with(const Workload *wl, SkvEnv *env, const SkvDbOptions *opts,
                                          size_t lo, size_t hi, size_t *k_out, const char *ctx) {
    SkvDbOptions o = *opts;
    o.enable_versioning = wl->versioned;
    skv_db *db = NULL;
    int rc = skv__db_open(wl_db_path(), &o, env, &db);
    if (rc) {
        fprintf(stderr, "%s: recovery open failed: %s: %s\n", ctx, skv_errname(rc), skv_errmsg());
        return -1;
    }
    size_t k = 0;
    if (wl_check_prefix(wl, db, lo, hi, &k, ctx) < 0 ||
        (wl->versioned && wl_check_history(wl, db, k, 0, ctx) < 0)) {
        skv_close(db);
        return -1;
    }
    WlState st = wl->states[k];
    uint64_t seq0 = wl->seqsum[k];
    if ((rc = wl_post_txns(db, &st))) {
        fprintf(stderr, "%s: a transaction after recovery failed: %s: %s\n", ctx, skv_errname(rc),
                skv_errmsg());
        skv_close(db);
        return -1;
    }
    if (wl_check_exact(db, &st, seq0 + 6, ctx) < 0 ||
        (wl->versioned && wl_check_history(wl, db, k, 1, ctx) < 0)) {
        skv_close(db);
        return -1;
    }
    if ((rc = skv_close(db))) {
        fprintf(stderr, "%s: close after recovery failed: %s: %s\n", ctx, skv_errname(rc),
                skv_errmsg());
        return -1;
    }
    if ((rc = skv__db_open(wl_db_path(), &o, env, &db))) {
        fprintf(stderr, "%s: second recovery open failed: %s: %s\n", ctx, skv_errname(rc),
                skv_errmsg());
        return -1;
    }
    char ctx2[512];
    snprintf(ctx2, sizeof ctx2, "%s (second recovery)", ctx);
    int bad = wl_check_exact(db, &st, seq0 + 6, ctx2);
    if (!bad && wl->versioned) bad = wl_check_history(wl, db, k, 1, ctx2);
    if ((rc = skv_close(db)) && !bad) {
        fprintf(stderr, "%s: close failed: %s\n", ctx2, skv_errname(rc));
        bad = -1;
    }
    *k_out = k;
    return bad ? -1 : 0;
}

/* wl_verify_recovery_with the options of the crash tests: 4 KiB memtables, inline flushes. */
static inline int wl_verify_recovery(const Workload *wl, SkvEnv *env, size_t lo, size_t hi,
                                     size_t *k_out, const char *ctx) {
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.max_memtable_size = 4096;
    o.bg_inline = 1; /* file operations in a reproducible order */
    return wl_verify_recovery_with(wl, env, &o, lo, hi, k_out, ctx);
}

/* The seed: SKV_SEED from the environment, else `def`. */
static inline uint64_t wl_seed(uint64_t def) {
    const char *s = getenv("SKV_SEED");
    return s && *s ? strtoull(s, NULL, 0) : def;
}

#endif /* SKV_TESTS_CRASH_WORKLOAD_H */
