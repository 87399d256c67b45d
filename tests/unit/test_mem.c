/* test_mem.c — the memtable (engine/mem): ordering, iteration both ways, point lookups at
 * snapshots, seeks, size accounting and the entry-cost bound, against a sorted reference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "mem/mem.h"
#include "test.h"

/* ---- helpers ---- */

static uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const int KINDS[4] = {SKV_KIND_DELETE, SKV_KIND_SOFT_DELETE, SKV_KIND_VALUE,
                             SKV_KIND_REPLACE};

typedef struct {
    uint8_t *key;
    size_t klen;
    uint8_t *val;
    size_t vlen;
    uint64_t seq, ts;
    int kind;
} Ref;

typedef struct {
    Ref *v;
    size_t n, cap;
} RefList;

static void refs_push(RefList *l, const void *key, size_t klen, const void *val, size_t vlen,
                      uint64_t seq, uint64_t ts, int kind) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    Ref *r = &l->v[l->n++];
    r->key = malloc(klen + 1);
    r->val = malloc(vlen + 1);
    if (!r->key || !r->val) abort();
    if (klen) memcpy(r->key, key, klen);
    if (vlen) memcpy(r->val, val, vlen);
    r->klen = klen;
    r->vlen = vlen;
    r->seq = seq;
    r->ts = ts;
    r->kind = kind;
}

static void refs_free(RefList *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].val);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* internal order of (key, seq) pairs: key ascending, seq descending */
static int probe_cmp(const void *ak, size_t al, uint64_t as, const void *bk, size_t bl,
                     uint64_t bs) {
    int c = skv__key_cmp(ak, al, bk, bl);
    if (c) return c;
    return as > bs ? -1 : as < bs;
}

static int ref_cmp(const void *a, const void *b) {
    const Ref *x = a, *y = b;
    return probe_cmp(x->key, x->klen, x->seq, y->key, y->klen, y->seq);
}

/* index of the first reference entry >= (key, seq) */
static size_t refs_lower_bound(const RefList *l, const void *key, size_t klen, uint64_t seq) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (probe_cmp(l->v[mid].key, l->v[mid].klen, l->v[mid].seq, key, klen, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int entry_is(const SkvMemEntry *e, const Ref *r) {
    return e->klen == r->klen && e->vlen == r->vlen && e->seq == r->seq && e->ts == r->ts &&
           e->kind == r->kind && (r->klen == 0 || memcmp(e->key, r->key, r->klen) == 0) &&
           (r->vlen == 0 || memcmp(e->val, r->val, r->vlen) == 0);
}

/* the iterator is on reference entry idx, or invalid when idx is out of range */
static int iter_at(const SkvMemIter *it, const RefList *l, size_t idx) {
    if (idx >= l->n) return !skv__memiter_valid(it);
    if (!skv__memiter_valid(it)) return 0;
    SkvMemEntry e;
    skv__memiter_entry(it, &e);
    return entry_is(&e, &l->v[idx]);
}

/* Adds r and checks the accounting: count +1, bytes grow by at least key+value and by at
 * most skv__mem_entry_cost. Returns 1 when all holds. */
static int add_checked(SkvMemtable *m, const Ref *r) {
    size_t before = skv__mem_bytes(m);
    uint64_t count = skv__mem_count(m);
    int rc = skv__mem_add(m, r->seq, r->kind, r->ts, r->key, r->klen, r->val, r->vlen);
    if (rc != SKV_OK) {
        fprintf(stderr, "skv__mem_add returned %d\n", rc);
        return 0;
    }
    size_t after = skv__mem_bytes(m), cost = skv__mem_entry_cost(r->klen, r->vlen);
    if (skv__mem_count(m) != count + 1 || after < before + r->klen + r->vlen + 1 ||
        after - before > cost) {
        fprintf(stderr, "accounting: count %llu->%llu, bytes %zu->%zu, cost %zu\n",
                (unsigned long long)count, (unsigned long long)skv__mem_count(m), before, after,
                cost);
        return 0;
    }
    return 1;
}

/* Inserts every reference entry in a random order (checked), then sorts the reference. */
static int insert_all(SkvMemtable *m, RefList *l, uint64_t *rng) {
    size_t *order = malloc(l->n * sizeof *order);
    if (!order) abort();
    for (size_t i = 0; i < l->n; i++) order[i] = i;
    for (size_t i = l->n; i > 1; i--) {
        size_t j = (size_t)(rnd(rng) % i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    int ok = 1;
    for (size_t i = 0; i < l->n && ok; i++) ok = add_checked(m, &l->v[order[i]]);
    free(order);
    qsort(l->v, l->n, sizeof *l->v, ref_cmp);
    return ok;
}

/* Full forward and backward iteration equal the sorted reference. */
static int iterate_matches(const SkvMemtable *m, const RefList *l) {
    SkvMemIter it;
    skv__memiter_init(&it, m);
    size_t i = 0;
    for (skv__memiter_first(&it); skv__memiter_valid(&it); skv__memiter_next(&it), i++)
        if (i >= l->n || !iter_at(&it, l, i)) return 0;
    if (i != l->n) return 0;
    for (skv__memiter_last(&it); skv__memiter_valid(&it); skv__memiter_prev(&it)) {
        if (i == 0 || !iter_at(&it, l, --i)) return 0;
    }
    return i == 0;
}

/* get(key, snap) equals the reference's newest version of key with seq <= snap. */
static int get_matches(const SkvMemtable *m, const RefList *l, const void *key, size_t klen,
                       uint64_t snap) {
    size_t idx = refs_lower_bound(l, key, klen, snap);
    int present = idx < l->n && skv__key_cmp(l->v[idx].key, l->v[idx].klen, key, klen) == 0;
    SkvMemEntry e;
    int rc = skv__mem_get(m, key, klen, snap, &e);
    if (!present) return rc == SKV_NOTFOUND;
    return rc == SKV_OK && entry_is(&e, &l->v[idx]);
}

/* seek and seek_before at (key, seq) agree with the reference. */
static int seeks_match(const SkvMemtable *m, const RefList *l, const void *key, size_t klen,
                       uint64_t seq) {
    size_t idx = refs_lower_bound(l, key, klen, seq);
    SkvMemIter it;
    skv__memiter_init(&it, m);
    skv__memiter_seek(&it, key, klen, seq);
    if (!iter_at(&it, l, idx)) return 0;
    skv__memiter_seek_before(&it, key, klen, seq);
    return iter_at(&it, l, idx == 0 ? l->n : idx - 1);
}

static void make_value(uint64_t *rng, uint8_t *buf, size_t n) {
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rnd(rng);
}

/* 20,000 rounds of gets and seeks, at random snapshots up to max_seq + 1, of a present key
 * and of a random key of 1..key_max bytes: all agree with the reference. */
static int probes_match(const SkvMemtable *m, const RefList *l, uint64_t *rng, size_t key_max,
                        uint64_t max_seq) {
    uint8_t key[64];
    if (key_max > sizeof key) return 0;
    for (int i = 0; i < 20000; i++) {
        const Ref *r = &l->v[rnd(rng) % l->n];
        uint64_t snap = rnd(rng) % (max_seq + 2);
        if (!get_matches(m, l, r->key, r->klen, snap) || !seeks_match(m, l, r->key, r->klen, snap))
            return 0;
        size_t klen = 1 + (size_t)(rnd(rng) % key_max);
        make_value(rng, key, klen);
        if (!get_matches(m, l, key, klen, snap) || !seeks_match(m, l, key, klen, snap)) return 0;
    }
    return 1;
}

/* ---- tests ---- */

static void test_key_cmp(void) {
    CHECK(skv__key_cmp("a", 1, "a", 1) == 0);
    CHECK(skv__key_cmp(NULL, 0, NULL, 0) == 0);
    CHECK(skv__key_cmp(NULL, 0, "", 1) < 0);
    CHECK(skv__key_cmp("a", 1, "ab", 2) < 0);
    CHECK(skv__key_cmp("ab", 2, "a", 1) > 0);
    CHECK(skv__key_cmp("ab", 2, "b", 1) < 0);
    CHECK(skv__key_cmp("\x00", 1, "\x00\x00", 2) < 0);
    CHECK(skv__key_cmp("\xff", 1, "\x01\x00", 2) > 0); /* bytes are unsigned */
    CHECK(skv__key_cmp("a\x00"
                       "b",
                       3,
                       "a\x00"
                       "c",
                       3) < 0);
}

static void test_empty(void) {
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    CHECK_EQ_U64(skv__mem_count(m), 0);
    CHECK(skv__mem_bytes(m) > 0);
    SkvMemEntry e;
    CHECK(skv__mem_get(m, "a", 1, UINT64_MAX, &e) == SKV_NOTFOUND);
    SkvMemIter it;
    skv__memiter_init(&it, m);
    CHECK(!skv__memiter_valid(&it));
    skv__memiter_first(&it);
    CHECK(!skv__memiter_valid(&it));
    skv__memiter_last(&it);
    CHECK(!skv__memiter_valid(&it));
    skv__memiter_seek(&it, "a", 1, UINT64_MAX);
    CHECK(!skv__memiter_valid(&it));
    skv__memiter_seek_before(&it, "a", 1, 0);
    CHECK(!skv__memiter_valid(&it));
    skv__mem_unref(m);
}

static void test_basic_versions(void) {
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    CHECK(skv__mem_add(m, 10, SKV_KIND_VALUE, 100, "k", 1, "v10", 3) == SKV_OK);
    CHECK(skv__mem_add(m, 20, SKV_KIND_SOFT_DELETE, 200, "k", 1, NULL, 0) == SKV_OK);
    CHECK(skv__mem_add(m, 30, SKV_KIND_REPLACE, 300, "k", 1, "v30", 3) == SKV_OK);
    CHECK(skv__mem_add(m, 5, SKV_KIND_VALUE, 50, "j", 1, "", 0) == SKV_OK);
    CHECK(skv__mem_add(m, 7, SKV_KIND_VALUE, 70, "kk", 2, "x", 1) == SKV_OK);
    CHECK_EQ_U64(skv__mem_count(m), 5);
    SkvMemEntry e;
    CHECK(skv__mem_get(m, "k", 1, 9, &e) == SKV_NOTFOUND);
    CHECK(skv__mem_get(m, "k", 1, 10, &e) == SKV_OK);
    CHECK_EQ_U64(e.seq, 10);
    CHECK_EQ_U64(e.ts, 100);
    CHECK(e.kind == SKV_KIND_VALUE);
    CHECK_MEM(e.val, e.vlen, "v10");
    CHECK(skv__mem_get(m, "k", 1, 29, &e) == SKV_OK);
    CHECK_EQ_U64(e.seq, 20);
    CHECK(e.kind == SKV_KIND_SOFT_DELETE);
    CHECK_EQ_U64(e.vlen, 0);
    CHECK(skv__mem_get(m, "k", 1, UINT64_MAX, &e) == SKV_OK);
    CHECK_EQ_U64(e.seq, 30);
    CHECK(e.kind == SKV_KIND_REPLACE);
    CHECK_MEM(e.key, e.klen, "k");
    CHECK(skv__mem_get(m, "j", 1, 4, &e) == SKV_NOTFOUND);
    CHECK(skv__mem_get(m, "j", 1, 5, &e) == SKV_OK);
    CHECK_EQ_U64(e.vlen, 0);
    CHECK(skv__mem_get(m, "kk", 2, 100, &e) == SKV_OK);
    CHECK_MEM(e.val, e.vlen, "x");
    CHECK(skv__mem_get(m, "", 0, 100, &e) == SKV_NOTFOUND);
    CHECK(skv__mem_get(m, "kkk", 3, 100, &e) == SKV_NOTFOUND);
    CHECK(skv__mem_get(m, "i", 1, 100, &e) == SKV_NOTFOUND);

    /* order: j@5, k@30, k@20, k@10, kk@7 */
    static const char *const keys[] = {"j", "k", "k", "k", "kk"};
    static const uint64_t seqs[] = {5, 30, 20, 10, 7};
    SkvMemIter it;
    skv__memiter_init(&it, m);
    int i = 0;
    for (skv__memiter_first(&it); skv__memiter_valid(&it); skv__memiter_next(&it), i++) {
        CHECK(i < 5);
        skv__memiter_entry(&it, &e);
        CHECK_MEM(e.key, e.klen, keys[i]);
        CHECK_EQ_U64(e.seq, seqs[i]);
    }
    CHECK(i == 5);
    /* seek to (k, 25): k@20; seek_before (k, 25): k@30; seek (k, UINT64_MAX): k@30 */
    skv__memiter_seek(&it, "k", 1, 25);
    CHECK(skv__memiter_valid(&it));
    skv__memiter_entry(&it, &e);
    CHECK_EQ_U64(e.seq, 20);
    skv__memiter_seek_before(&it, "k", 1, 25);
    CHECK(skv__memiter_valid(&it));
    skv__memiter_entry(&it, &e);
    CHECK_EQ_U64(e.seq, 30);
    skv__memiter_seek_before(&it, "k", 1, UINT64_MAX);
    CHECK(skv__memiter_valid(&it));
    skv__memiter_entry(&it, &e);
    CHECK_MEM(e.key, e.klen, "j");
    skv__memiter_seek(&it, "k", 1, 0); /* past every version of k */
    CHECK(skv__memiter_valid(&it));
    skv__memiter_entry(&it, &e);
    CHECK_MEM(e.key, e.klen, "kk");
    skv__memiter_seek(&it, "kk", 2, 6);
    CHECK(!skv__memiter_valid(&it));
    skv__memiter_seek_before(&it, "j", 1, UINT64_MAX);
    CHECK(!skv__memiter_valid(&it));
    /* prev from the first entry and next from the last leave the cursor invalid */
    skv__memiter_first(&it);
    skv__memiter_prev(&it);
    CHECK(!skv__memiter_valid(&it));
    skv__memiter_last(&it);
    skv__memiter_next(&it);
    CHECK(!skv__memiter_valid(&it));
    skv__mem_unref(m);
}

static void test_refcount(void) {
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    skv__mem_ref(m);
    skv__mem_ref(m);
    CHECK(skv__mem_add(m, 1, SKV_KIND_VALUE, 1, "a", 1, "b", 1) == SKV_OK);
    skv__mem_unref(m);
    skv__mem_unref(m);
    /* still one reference: usable */
    SkvMemEntry e;
    CHECK(skv__mem_get(m, "a", 1, 1, &e) == SKV_OK);
    CHECK_MEM(e.val, e.vlen, "b");
    skv__mem_unref(m); /* freed here; the sanitizer builds report any leak */
}

/* a cursor created before an insertion sees the new entry */
static void test_iter_sees_later_inserts(void) {
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    CHECK(skv__mem_add(m, 1, SKV_KIND_VALUE, 1, "b", 1, "1", 1) == SKV_OK);
    SkvMemIter it;
    skv__memiter_init(&it, m);
    skv__memiter_first(&it);
    CHECK(skv__memiter_valid(&it));
    CHECK(skv__mem_add(m, 2, SKV_KIND_VALUE, 2, "c", 1, "2", 1) == SKV_OK);
    CHECK(skv__mem_add(m, 3, SKV_KIND_VALUE, 3, "a", 1, "3", 1) == SKV_OK);
    skv__memiter_next(&it);
    CHECK(skv__memiter_valid(&it));
    SkvMemEntry e;
    skv__memiter_entry(&it, &e);
    CHECK_MEM(e.key, e.klen, "c");
    skv__memiter_prev(&it);
    skv__memiter_prev(&it);
    CHECK(skv__memiter_valid(&it));
    skv__memiter_entry(&it, &e);
    CHECK_MEM(e.key, e.klen, "a");
    skv__mem_unref(m);
}

static void test_large_entries(void) {
    uint64_t rng = 7;
    size_t bigk = 64 * 1024, bigv = 1024 * 1024;
    uint8_t *k = malloc(bigk), *v = malloc(bigv);
    CHECK(k && v);
    make_value(&rng, k, bigk);
    make_value(&rng, v, bigv);
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    size_t b0 = skv__mem_bytes(m);
    CHECK(skv__mem_add(m, 1, SKV_KIND_VALUE, 9, k, bigk, v, bigv) == SKV_OK);
    size_t b1 = skv__mem_bytes(m);
    CHECK(b1 - b0 >= bigk + bigv);
    CHECK(b1 - b0 <= skv__mem_entry_cost(bigk, bigv));
    CHECK(skv__mem_add(m, 2, SKV_KIND_VALUE, 9, k, bigk - 1, "s", 1) == SKV_OK);
    CHECK(skv__mem_add(m, 3, SKV_KIND_VALUE, 9, "s", 1, v, bigv) == SKV_OK);
    SkvMemEntry e;
    CHECK(skv__mem_get(m, k, bigk, 5, &e) == SKV_OK);
    CHECK(e.klen == bigk && e.vlen == bigv && e.seq == 1);
    CHECK(memcmp(e.key, k, bigk) == 0 && memcmp(e.val, v, bigv) == 0);
    CHECK(skv__mem_get(m, k, bigk - 1, 5, &e) == SKV_OK);
    CHECK(e.seq == 2 && e.vlen == 1);
    CHECK(skv__mem_get(m, "s", 1, 5, &e) == SKV_OK);
    CHECK(e.seq == 3 && e.vlen == bigv && memcmp(e.val, v, bigv) == 0);
    free(k);
    free(v);
    skv__mem_unref(m);
}

/* keys over a tiny alphabet (zero bytes, prefixes of each other, many versions), empty
 * values, and a few huge keys and values */
static void test_random_mixed(void) {
    uint64_t rng = 42;
    RefList l = {0};
    static const uint8_t alpha[] = {0x00, 0x01, 'a', 0xff};
    uint8_t key[8], val[64];
    uint64_t seq = 1;
    for (int i = 0; i < 4000; i++) {
        size_t klen = 1 + (size_t)(rnd(&rng) % 5);
        for (size_t j = 0; j < klen; j++) key[j] = alpha[rnd(&rng) % 4];
        size_t vlen = rnd(&rng) % 3 == 0 ? 0 : (size_t)(rnd(&rng) % sizeof val);
        make_value(&rng, val, vlen);
        seq += 1 + rnd(&rng) % 3; /* gaps, so snapshots fall between versions */
        refs_push(&l, key, klen, val, vlen, seq, rnd(&rng), KINDS[rnd(&rng) % 4]);
    }
    /* big ones: 64 KiB keys (one a prefix of the other), 1 MiB values */
    size_t bigk = 64 * 1024, bigv = 1024 * 1024;
    uint8_t *bk = malloc(bigk), *bv = malloc(bigv);
    CHECK(bk && bv);
    memset(bk, 'a', bigk);
    make_value(&rng, bv, bigv);
    refs_push(&l, bk, bigk, bv, bigv, ++seq, 1, SKV_KIND_VALUE);
    refs_push(&l, bk, bigk, "", 0, ++seq, 2, SKV_KIND_SOFT_DELETE);
    refs_push(&l, bk, bigk - 1, bv, 1000, ++seq, 3, SKV_KIND_VALUE);
    refs_push(&l, "a", 1, bv, bigv, ++seq, 4, SKV_KIND_REPLACE);
    refs_push(&l, bk, 17, bv, bigv - 1, ++seq, 5, SKV_KIND_VALUE);
    free(bk);
    free(bv);

    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    CHECK(insert_all(m, &l, &rng));
    CHECK_EQ_U64(skv__mem_count(m), l.n);
    CHECK(iterate_matches(m, &l));

    /* get: every version's own seq, just below it, far above; below the oldest gives
     * NOTFOUND (the reference says so: checked explicitly for the first version) */
    int below_oldest = 0;
    for (size_t i = 0; i < l.n; i++) {
        const Ref *r = &l.v[i];
        CHECK(get_matches(m, &l, r->key, r->klen, r->seq));
        CHECK(get_matches(m, &l, r->key, r->klen, r->seq - 1));
        CHECK(get_matches(m, &l, r->key, r->klen, UINT64_MAX));
        int oldest =
            i + 1 == l.n || skv__key_cmp(l.v[i + 1].key, l.v[i + 1].klen, r->key, r->klen) != 0;
        if (oldest) {
            SkvMemEntry e;
            CHECK(skv__mem_get(m, r->key, r->klen, r->seq - 1, &e) == SKV_NOTFOUND);
            CHECK(skv__mem_get(m, r->key, r->klen, r->seq, &e) == SKV_OK);
            CHECK(entry_is(&e, r));
            below_oldest++;
        }
    }
    CHECK(below_oldest > 100);
    /* random probes, mostly absent keys of length 0..6 */
    for (int i = 0; i < 20000; i++) {
        size_t klen = (size_t)(rnd(&rng) % 7);
        for (size_t j = 0; j < klen; j++) key[j] = alpha[rnd(&rng) % 4];
        uint64_t snap = rnd(&rng) % 8 == 0 ? UINT64_MAX : rnd(&rng) % (seq + 2);
        CHECK(get_matches(m, &l, key, klen, snap));
        CHECK(seeks_match(m, &l, key, klen, snap));
    }
    /* seeks at present entries and at the gaps around them */
    for (size_t i = 0; i < l.n; i++) {
        const Ref *r = &l.v[i];
        CHECK(seeks_match(m, &l, r->key, r->klen, r->seq));
        CHECK(seeks_match(m, &l, r->key, r->klen, r->seq + 1));
        CHECK(seeks_match(m, &l, r->key, r->klen, r->seq - 1));
    }
    CHECK(seeks_match(m, &l, NULL, 0, UINT64_MAX));
    CHECK(seeks_match(m, &l, "\xff\xff\xff\xff\xff\xff", 6, 0));

    /* direction switching: random walks of next/prev from random entries */
    SkvMemIter it;
    skv__memiter_init(&it, m);
    for (int w = 0; w < 500; w++) {
        size_t idx = (size_t)(rnd(&rng) % l.n);
        skv__memiter_seek(&it, l.v[idx].key, l.v[idx].klen, l.v[idx].seq);
        CHECK(iter_at(&it, &l, idx));
        for (int s = 0; s < 40; s++) {
            if (rnd(&rng) % 2) {
                skv__memiter_next(&it);
                idx++;
            } else {
                skv__memiter_prev(&it);
                idx = idx == 0 ? l.n : idx - 1;
            }
            CHECK(iter_at(&it, &l, idx));
            if (idx >= l.n) break;
        }
    }
    /* next-prev pairs at each end */
    skv__memiter_first(&it);
    skv__memiter_next(&it);
    skv__memiter_prev(&it);
    CHECK(iter_at(&it, &l, 0));
    skv__memiter_last(&it);
    skv__memiter_prev(&it);
    skv__memiter_next(&it);
    CHECK(iter_at(&it, &l, l.n - 1));

    skv__mem_unref(m);
    refs_free(&l);
}

static void test_100k_random(void) {
    uint64_t rng = 1234567;
    RefList l = {0};
    const size_t n = 100000;
    uint8_t key[24], val[48];
    /* unique seqs 1..n in random order; keys of 1..24 random bytes, some repeated */
    uint64_t *seqs = malloc(n * sizeof *seqs);
    CHECK(seqs != NULL);
    for (size_t i = 0; i < n; i++) seqs[i] = i + 1;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnd(&rng) % i);
        uint64_t t = seqs[i - 1];
        seqs[i - 1] = seqs[j];
        seqs[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        size_t klen;
        if (i > 0 && rnd(&rng) % 10 == 0) { /* another version of an earlier key */
            const Ref *r = &l.v[rnd(&rng) % l.n];
            klen = r->klen;
            memcpy(key, r->key, klen);
        } else {
            klen = 1 + (size_t)(rnd(&rng) % sizeof key);
            make_value(&rng, key, klen);
        }
        size_t vlen = (size_t)(rnd(&rng) % sizeof val);
        make_value(&rng, val, vlen);
        refs_push(&l, key, klen, val, vlen, seqs[i], rnd(&rng), KINDS[rnd(&rng) % 4]);
    }
    free(seqs);
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    size_t b0 = skv__mem_bytes(m), payload = 0;
    for (size_t i = 0; i < l.n; i++) payload += l.v[i].klen + l.v[i].vlen;
    CHECK(insert_all(m, &l, &rng));
    CHECK_EQ_U64(skv__mem_count(m), n);
    CHECK(skv__mem_bytes(m) - b0 >= payload);
    CHECK(skv__mem_bytes(m) - b0 <= n * skv__mem_entry_cost(24, sizeof val));
    CHECK(iterate_matches(m, &l));
    CHECK(probes_match(m, &l, &rng, sizeof key, n));
    skv__mem_unref(m);
    refs_free(&l);
}

static const RefList *g_sort_refs; /* for sort_by_ref: qsort takes no context */

static int sort_by_ref(const void *a, const void *b) {
    return ref_cmp(&g_sort_refs->v[*(const size_t *)a], &g_sort_refs->v[*(const size_t *)b]);
}

/* Insertions in ascending runs (sequential loads take a path without a search) mixed with
 * random ones, runs that skip over keys inserted later, and new versions of a key right after
 * its older one: the skiplist stays exactly ordered at every level (iteration both ways, gets
 * and seeks, which descend through every level, all match the reference). */
static void test_ascending_runs(void) {
    uint64_t rng = 77;
    RefList l = {0};
    const size_t n = 30000;
    uint8_t key[12];
    for (size_t i = 0; i < n; i++) {
        size_t klen = 1 + (size_t)(rnd(&rng) % sizeof key);
        if (i > 0 && rnd(&rng) % 8 == 0) { /* another version of an earlier key */
            const Ref *r = &l.v[rnd(&rng) % l.n];
            klen = r->klen;
            memcpy(key, r->key, klen);
        } else {
            make_value(&rng, key, klen);
        }
        refs_push(&l, key, klen, "v", 1, i + 1, i, KINDS[rnd(&rng) % 4]);
    }
    size_t *order = malloc(n * sizeof *order);
    CHECK(order != NULL);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnd(&rng) % i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    /* sort random windows of the shuffled order: ascending runs of 1..400 insertions */
    g_sort_refs = &l;
    for (size_t at = 0; at < n;) {
        size_t len = 1 + (size_t)(rnd(&rng) % 400);
        if (len > n - at) len = n - at;
        if (rnd(&rng) % 4 != 0) qsort(order + at, len, sizeof *order, sort_by_ref);
        at += len;
    }
    SkvMemtable *m = skv__mem_new();
    CHECK(m != NULL);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) ok = add_checked(m, &l.v[order[i]]);
    CHECK(ok);
    free(order);
    qsort(l.v, l.n, sizeof *l.v, ref_cmp);
    CHECK_EQ_U64(skv__mem_count(m), n);
    CHECK(iterate_matches(m, &l));
    CHECK(probes_match(m, &l, &rng, sizeof key, n));
    skv__mem_unref(m);
    refs_free(&l);
}

static void test_entry_cost(void) {
    /* monotone in both lengths, and at least the payload */
    CHECK(skv__mem_entry_cost(0, 0) > 0);
    CHECK(skv__mem_entry_cost(10, 0) >= skv__mem_entry_cost(0, 0) + 10);
    CHECK(skv__mem_entry_cost(0, 10) >= skv__mem_entry_cost(0, 0) + 10);
    CHECK(skv__mem_entry_cost(SIZE_MAX, SIZE_MAX) == SIZE_MAX); /* saturates */
    /* the bound holds for the first insertion into a fresh memtable, whatever its height */
    for (int i = 0; i < 200; i++) {
        SkvMemtable *m = skv__mem_new();
        CHECK(m != NULL);
        Ref r = {(uint8_t *)"key", 3, (uint8_t *)"value", 5, (uint64_t)i, 0, SKV_KIND_VALUE};
        for (int j = 0; j <= i % 50; j++) {
            r.seq = (uint64_t)j;
            CHECK(add_checked(m, &r));
        }
        skv__mem_unref(m);
    }
}

static const TestCase TESTS[] = {
    {"key_cmp", test_key_cmp},
    {"empty", test_empty},
    {"basic_versions", test_basic_versions},
    {"refcount", test_refcount},
    {"iter_sees_later_inserts", test_iter_sees_later_inserts},
    {"large_entries", test_large_entries},
    {"entry_cost", test_entry_cost},
    {"random_mixed", test_random_mixed},
    {"100k_random", test_100k_random},
    {"ascending_runs", test_ascending_runs},
    {0, 0},
};

TEST_MAIN(TESTS)
