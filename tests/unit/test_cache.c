/* test_cache.c — the block cache on one thread: insert, lookup and release, hit and miss
 * counts, CLOCK eviction order (which keys survive given inserts and hits), second chances
 * for hit entries, the capacity bound, pinned entries under eviction pressure (up to a shard
 * with every entry pinned), replacement, erase_file, capacity 0, and deleters run exactly
 * once per inserted entry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "cache/cache.h"
#include "test.h"

/* A cached value: counts its own deleter calls and those of all values sharing a counter. */
typedef struct {
    uint64_t *calls;
    uint64_t file, offset;
    int deleted;
} Rec;

static void rec_init(Rec *r, uint64_t *calls, uint64_t file, uint64_t offset) {
    r->calls = calls;
    r->file = file;
    r->offset = offset;
    r->deleted = 0;
}

static void rec_deleter(void *value, size_t charge) {
    (void)charge;
    Rec *r = value;
    r->deleted++;
    (*r->calls)++;
}

/* Inserts r under its own key and releases the handle at once. */
static int put(SkvCache *c, Rec *r, size_t charge) {
    SkvCacheHandle *h = skv__cache_insert(c, r->file, r->offset, r, charge, rec_deleter);
    if (!h || skv__cache_value(h) != r) return 0;
    skv__cache_release(c, h);
    return 1;
}

/* 1 when (file, offset) is cached with the value r (the lookup is released again). */
static int has(SkvCache *c, uint64_t file, uint64_t offset, const Rec *r) {
    SkvCacheHandle *h = skv__cache_lookup(c, file, offset);
    if (!h) return 0;
    int ok = skv__cache_value(h) == r;
    skv__cache_release(c, h);
    return ok;
}

static void test_insert_lookup_release(void) {
    uint64_t calls = 0;
    Rec a, b;
    rec_init(&a, &calls, 1, 0);
    rec_init(&b, &calls, 1, 4096);
    SkvCache *c = skv__cache_new(1 << 20, 4);
    CHECK(c);
    SkvCacheHandle *h = skv__cache_insert(c, 1, 0, &a, 100, rec_deleter);
    CHECK(h);
    CHECK(skv__cache_value(h) == &a);
    SkvCacheHandle *h2 = skv__cache_lookup(c, 1, 0); /* a second handle on the same entry */
    CHECK(h2);
    CHECK(skv__cache_value(h2) == &a);
    skv__cache_release(c, h);
    skv__cache_release(c, h2);
    CHECK(put(c, &b, 50));
    CHECK(has(c, 1, 0, &a));
    CHECK(has(c, 1, 4096, &b));
    CHECK(skv__cache_lookup(c, 1, 8192) == NULL);
    CHECK(skv__cache_lookup(c, 2, 0) == NULL);
    CHECK(skv__cache_lookup(c, 0, 4096) == NULL);
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 150);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK_EQ_U64(st.capacity, 1 << 20);
    CHECK_EQ_U64(st.inserts, 2);
    CHECK_EQ_U64(calls, 0);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 2);
    CHECK(a.deleted == 1 && b.deleted == 1);
}

static void test_hit_miss_counts(void) {
    uint64_t calls = 0;
    Rec r[4];
    SkvCache *c = skv__cache_new(1000, 2);
    CHECK(c);
    for (int i = 0; i < 4; i++) {
        rec_init(&r[i], &calls, 7, (uint64_t)i * 4096);
        CHECK(put(c, &r[i], 10));
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 4; i++) CHECK(has(c, 7, (uint64_t)i * 4096, &r[i]));
    for (int i = 0; i < 5; i++) CHECK(skv__cache_lookup(c, 8, (uint64_t)i) == NULL);
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.hits, 12);
    CHECK_EQ_U64(st.misses, 5);
    CHECK_EQ_U64(st.inserts, 4);
    CHECK_EQ_U64(st.evictions, 0);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 4);
}

/* Gives each record its key: file 1, offsets 0, 1, 2, ... */
static void recs_init(Rec *r, int n, uint64_t *calls) {
    for (int i = 0; i < n; i++) rec_init(&r[i], calls, 1, (uint64_t)i);
}

/* One shard with room for two entries of charge 10; the checks read the deleted flags, since
 * a lookup (has) would itself mark entries referenced. */
static void test_clock_order(void) {
    uint64_t calls = 0;
    Rec r[4];
    Rec *a = &r[0], *b = &r[1], *cc = &r[2], *d = &r[3];
    SkvCacheStats st;

    /* nothing referenced: the oldest goes, at once */
    SkvCache *c = skv__cache_new(20, 0);
    CHECK(c);
    recs_init(r, 3, &calls);
    CHECK(put(c, a, 10));
    CHECK(put(c, b, 10));
    CHECK(put(c, cc, 10));
    CHECK(a->deleted == 1 && b->deleted == 0 && cc->deleted == 0);
    CHECK(!has(c, 1, 0, a));
    CHECK(has(c, 1, 1, b));
    CHECK(has(c, 1, 2, cc));
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.evictions, 1);
    CHECK_EQ_U64(st.usage, 20);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 3);

    /* both hit, b last: LRU would evict b, CLOCK passes both once and takes the oldest, a */
    calls = 0;
    c = skv__cache_new(20, 0);
    CHECK(c);
    recs_init(r, 4, &calls);
    CHECK(put(c, a, 10));
    CHECK(put(c, b, 10));
    CHECK(has(c, 1, 1, b));
    CHECK(has(c, 1, 0, a));
    CHECK(put(c, cc, 10));
    CHECK(a->deleted == 1 && b->deleted == 0 && cc->deleted == 0);
    /* b's second chance is spent: it is the oldest now and goes next */
    CHECK(put(c, d, 10));
    CHECK(b->deleted == 1 && cc->deleted == 0 && d->deleted == 0);
    CHECK(has(c, 1, 2, cc));
    CHECK(has(c, 1, 3, d));
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.evictions, 2);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 4);

    /* one hit spares the oldest once; the next unreferenced entry goes instead */
    calls = 0;
    c = skv__cache_new(20, 0);
    CHECK(c);
    recs_init(r, 4, &calls);
    CHECK(put(c, a, 10));
    CHECK(put(c, b, 10));
    CHECK(has(c, 1, 0, a));
    CHECK(put(c, cc, 10));
    CHECK(b->deleted == 1 && a->deleted == 0 && cc->deleted == 0);
    /* oldest to newest: cc, a. Both hit again: cc, the older, comes round first */
    CHECK(has(c, 1, 0, a));
    CHECK(!has(c, 1, 1, b));
    CHECK(has(c, 1, 2, cc));
    CHECK(put(c, d, 10));
    CHECK(cc->deleted == 1 && a->deleted == 0 && d->deleted == 0);
    CHECK(has(c, 1, 0, a));
    CHECK(has(c, 1, 3, d));
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 4);
    for (int i = 0; i < 4; i++) CHECK(r[i].deleted == 1);
}

/* A recently hit entry survives an eviction that takes an unreferenced one, then ages like
 * any other once its second chance is spent. */
static void test_referenced_survives(void) {
    uint64_t calls = 0;
    Rec r[7];
    recs_init(r, 7, &calls);
    SkvCache *c = skv__cache_new(30, 0); /* three entries of charge 10 */
    CHECK(c);
    for (int i = 0; i < 3; i++) CHECK(put(c, &r[i], 10));
    CHECK(has(c, 1, 0, &r[0])); /* the oldest, but hit */
    CHECK(put(c, &r[3], 10));
    CHECK(r[0].deleted == 0 && r[1].deleted == 1 && r[2].deleted == 0 && r[3].deleted == 0);
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.evictions, 1);
    CHECK_EQ_U64(st.usage, 30);
    /* oldest to newest now: r2, r3, r0 (its flag cleared); no more hits */
    CHECK(put(c, &r[4], 10));
    CHECK(r[2].deleted == 1 && r[0].deleted == 0);
    CHECK(put(c, &r[5], 10));
    CHECK(r[3].deleted == 1 && r[0].deleted == 0);
    CHECK(put(c, &r[6], 10));
    CHECK(r[0].deleted == 1);
    CHECK_EQ_U64(calls, 4);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 7);
}

/* A hot set hit between the inserts of a long scan stays cached; the scan keeps only its
 * newest entries. */
static void test_hot_set_survives_scan(void) {
    enum { HOT = 3, COLD = 200, ROOM = 10 };
    uint64_t calls = 0;
    Rec hot[HOT], cold[COLD];
    SkvCache *c = skv__cache_new(ROOM * 10, 0);
    CHECK(c);
    for (int i = 0; i < HOT; i++) {
        rec_init(&hot[i], &calls, 5, (uint64_t)i);
        CHECK(put(c, &hot[i], 10));
    }
    for (int k = 0; k < COLD; k++) {
        rec_init(&cold[k], &calls, 6, (uint64_t)k);
        CHECK(put(c, &cold[k], 10));
        for (int i = 0; i < HOT; i++) CHECK(has(c, 5, (uint64_t)i, &hot[i]));
    }
    for (int i = 0; i < HOT; i++) CHECK(hot[i].deleted == 0);
    for (int k = 0; k < COLD; k++) CHECK(cold[k].deleted == (k < COLD - (ROOM - HOT)));
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.evictions, COLD - (ROOM - HOT));
    CHECK_EQ_U64(st.usage, ROOM * 10);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, HOT + COLD);
}

/* A shard whose entries are all pinned: inserts return at once (the hand has nothing to
 * take), an unpinned newcomer is evicted past the pinned ones, and releases evict down to the
 * capacity, flagged entries after their second chance. */
static void test_all_pinned_shard(void) {
    enum { PINS = 5, EXTRA = 100 };
    uint64_t calls = 0;
    Rec p[PINS], x[EXTRA];
    SkvCacheHandle *hp[PINS];
    SkvCache *c = skv__cache_new(30, 0); /* three entries of charge 10 */
    CHECK(c);
    for (int i = 0; i < PINS; i++) {
        rec_init(&p[i], &calls, 1, (uint64_t)i);
        hp[i] = skv__cache_insert(c, 1, (uint64_t)i, &p[i], 10, rec_deleter);
        CHECK(hp[i]);
    }
    CHECK(has(c, 1, 1, &p[1]));
    CHECK(has(c, 1, 3, &p[3]));
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 50);
    CHECK_EQ_U64(st.pinned, 50);
    CHECK_EQ_U64(st.evictions, 0);
    /* each newcomer is evicted as soon as it is released; the pinned ones stay */
    for (int k = 0; k < EXTRA; k++) {
        rec_init(&x[k], &calls, 2, (uint64_t)k);
        CHECK(put(c, &x[k], 10));
        CHECK(x[k].deleted == 1);
    }
    for (int i = 0; i < PINS; i++) CHECK(p[i].deleted == 0);
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 50);
    CHECK_EQ_U64(st.evictions, EXTRA);
    /* releases evict the oldest until the unpinned entries fit: p0 (hit, so spared once) and
     * p1; p2, p3 and p4 remain */
    CHECK(has(c, 1, 0, &p[0]));
    for (int i = 0; i < PINS; i++) {
        skv__cache_release(c, hp[i]);
        skv__cache_stats(c, &st);
        CHECK(st.usage - st.pinned <= 30);
    }
    CHECK(p[0].deleted == 1 && p[1].deleted == 1);
    CHECK(p[2].deleted == 0 && p[3].deleted == 0 && p[4].deleted == 0);
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 30);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK_EQ_U64(st.evictions, EXTRA + 2);
    for (int i = 2; i < PINS; i++) CHECK(has(c, 1, (uint64_t)i, &p[i]));
    skv__cache_free(c);
    CHECK_EQ_U64(calls, PINS + EXTRA);
}

static uint64_t tc_rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_usage_bound(void) {
    enum { N = 3000, CAP = 5000 };
    uint64_t calls = 0, rng = 42;
    Rec *r = calloc(N, sizeof *r);
    CHECK(r);
    SkvCache *c = skv__cache_new(CAP, 3);
    CHECK(c);
    SkvCacheStats st;
    for (int i = 0; i < N; i++) {
        /* keys repeat (replacements), charges vary */
        uint64_t k = tc_rnd(&rng) % 500;
        rec_init(&r[i], &calls, k % 5, k);
        SkvCacheHandle *h =
            skv__cache_insert(c, k % 5, k, &r[i], 1 + tc_rnd(&rng) % 100, rec_deleter);
        CHECK(h);
        SkvCacheHandle *l = skv__cache_lookup(c, tc_rnd(&rng) % 5, tc_rnd(&rng) % 500);
        if (l) skv__cache_release(c, l);
        skv__cache_release(c, h);
        skv__cache_stats(c, &st);
        CHECK(st.usage <= CAP);
        CHECK_EQ_U64(st.pinned, 0);
    }
    skv__cache_stats(c, &st);
    CHECK(st.evictions > 0);
    CHECK(st.usage > CAP / 2); /* it is really used */
    skv__cache_free(c);
    CHECK_EQ_U64(calls, N);
    for (int i = 0; i < N; i++) CHECK(r[i].deleted == 1);
    free(r);
}

static void test_pinned_survives(void) {
    uint64_t calls = 0;
    Rec p, o[50];
    SkvCache *c = skv__cache_new(20, 0);
    CHECK(c);
    /* an entry larger than the capacity, pinned while others are inserted */
    rec_init(&p, &calls, 9, 0);
    SkvCacheHandle *hp = skv__cache_insert(c, 9, 0, &p, 30, rec_deleter);
    CHECK(hp);
    for (int i = 0; i < 50; i++) {
        rec_init(&o[i], &calls, 1, (uint64_t)i);
        CHECK(put(c, &o[i], 10));
        CHECK(o[i].deleted == 1); /* nothing else fits */
        CHECK(p.deleted == 0);
        CHECK(skv__cache_value(hp) == &p);
    }
    CHECK(has(c, 9, 0, &p));
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 30);
    CHECK_EQ_U64(st.pinned, 30);
    skv__cache_release(c, hp);
    CHECK(p.deleted == 1); /* evicted at release */
    CHECK(!has(c, 9, 0, &p));
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 0);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK_EQ_U64(calls, 51);

    /* everything pinned: inserts succeed beyond the capacity, releases bring it back */
    Rec q[4];
    SkvCacheHandle *hq[4];
    for (int i = 0; i < 4; i++) {
        rec_init(&q[i], &calls, 2, (uint64_t)i);
        hq[i] = skv__cache_insert(c, 2, (uint64_t)i, &q[i], 10, rec_deleter);
        CHECK(hq[i]);
    }
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 40);
    CHECK_EQ_U64(st.pinned, 40);
    for (int i = 0; i < 4; i++) CHECK(has(c, 2, (uint64_t)i, &q[i]));
    for (int i = 0; i < 4; i++) skv__cache_release(c, hq[i]);
    CHECK(q[0].deleted == 1 && q[1].deleted == 1 && q[2].deleted == 0 && q[3].deleted == 0);
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 20);
    CHECK_EQ_U64(st.pinned, 0);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 55);
}

static void test_replace(void) {
    uint64_t calls = 0;
    Rec v1, v2, v3;
    rec_init(&v1, &calls, 3, 64);
    rec_init(&v2, &calls, 3, 64);
    rec_init(&v3, &calls, 3, 64);
    SkvCache *c = skv__cache_new(1000, 2);
    CHECK(c);
    SkvCacheHandle *h1 = skv__cache_insert(c, 3, 64, &v1, 100, rec_deleter);
    CHECK(h1);
    SkvCacheHandle *h2 = skv__cache_insert(c, 3, 64, &v2, 200, rec_deleter);
    CHECK(h2);
    CHECK(has(c, 3, 64, &v2));
    CHECK(skv__cache_value(h1) == &v1); /* the old entry lives on while pinned */
    CHECK(v1.deleted == 0);
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 200);
    CHECK_EQ_U64(st.pinned, 300);
    skv__cache_release(c, h1);
    CHECK(v1.deleted == 1);
    CHECK(has(c, 3, 64, &v2));
    skv__cache_release(c, h2);
    CHECK(v2.deleted == 0);
    /* replacing an unpinned entry frees it at once */
    CHECK(put(c, &v3, 50));
    CHECK(v2.deleted == 1);
    CHECK(has(c, 3, 64, &v3));
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 50);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK_EQ_U64(st.evictions, 0);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 3);
    CHECK(v3.deleted == 1);
}

static void test_erase_file(void) {
    enum { N = 40 };
    uint64_t calls = 0;
    Rec f1[N], f2[N];
    SkvCache *c = skv__cache_new(1 << 20, 3);
    CHECK(c);
    for (int i = 0; i < N; i++) {
        rec_init(&f1[i], &calls, 1, (uint64_t)i * 4096);
        rec_init(&f2[i], &calls, 2, (uint64_t)i * 4096);
        CHECK(put(c, &f1[i], 10));
        CHECK(put(c, &f2[i], 10));
    }
    SkvCacheHandle *held = skv__cache_lookup(c, 1, 5 * 4096);
    CHECK(held);
    skv__cache_erase_file(c, 1);
    for (int i = 0; i < N; i++) {
        CHECK(f1[i].deleted == (i == 5 ? 0 : 1));
        CHECK(!has(c, 1, (uint64_t)i * 4096, &f1[i]));
        CHECK(has(c, 2, (uint64_t)i * 4096, &f2[i]));
        CHECK(f2[i].deleted == 0);
    }
    CHECK(skv__cache_value(held) == &f1[5]);
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, N * 10);
    CHECK_EQ_U64(st.pinned, 10);
    skv__cache_release(c, held);
    CHECK(f1[5].deleted == 1);
    skv__cache_erase_file(c, 3); /* no such file */
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, N * 10);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK_EQ_U64(calls, N);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 2 * N);
}

static void test_capacity_zero(void) {
    uint64_t calls = 0;
    Rec a, b;
    rec_init(&a, &calls, 1, 0);
    rec_init(&b, &calls, 1, 0);
    SkvCache *c = skv__cache_new(0, 4);
    CHECK(c);
    SkvCacheHandle *h = skv__cache_insert(c, 1, 0, &a, 10, rec_deleter);
    CHECK(h);
    CHECK(skv__cache_value(h) == &a);
    CHECK(skv__cache_lookup(c, 1, 0) == NULL);
    SkvCacheHandle *h2 = skv__cache_insert(c, 1, 0, &b, 10, rec_deleter);
    CHECK(h2);
    CHECK(skv__cache_value(h) == &a && skv__cache_value(h2) == &b);
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.usage, 0);
    CHECK_EQ_U64(st.pinned, 20);
    CHECK_EQ_U64(st.capacity, 0);
    CHECK_EQ_U64(st.inserts, 2);
    CHECK_EQ_U64(st.misses, 1);
    CHECK(calls == 0);
    skv__cache_release(c, h);
    CHECK(a.deleted == 1 && b.deleted == 0);
    skv__cache_release(c, h2);
    CHECK(b.deleted == 1);
    skv__cache_stats(c, &st);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK_EQ_U64(st.usage, 0);
    skv__cache_free(c);
    CHECK_EQ_U64(calls, 2);
}

/* Heap values freed by their deleter, under a mix of every operation; shard counts from one
 * to many. ASan reports any leak or double free. */
typedef struct {
    uint64_t *calls;
    uint64_t key;
} HeapRec;

static void heap_deleter(void *value, size_t charge) {
    HeapRec *r = value;
    (void)charge;
    (*r->calls)++;
    free(r);
}

static void test_deleter_counts(void) {
    static const int bits[] = {0, 1, 4, 8};
    for (size_t bi = 0; bi < sizeof bits / sizeof bits[0]; bi++) {
        enum { OPS = 20000, HELD = 8 };
        uint64_t calls = 0, rng = 7 + bi;
        SkvCache *c = skv__cache_new(2000, bits[bi]);
        CHECK(c);
        SkvCacheHandle *held[HELD] = {0};
        for (int i = 0; i < OPS; i++) {
            uint64_t k = tc_rnd(&rng) % 1000, op = tc_rnd(&rng) % 100;
            SkvCacheHandle *h = NULL;
            if (op < 45) {
                HeapRec *r = malloc(sizeof *r);
                CHECK(r);
                r->calls = &calls;
                r->key = k;
                h = skv__cache_insert(c, k % 7, k, r, 1 + k % 20, heap_deleter);
                CHECK(h);
            } else if (op < 98) {
                h = skv__cache_lookup(c, k % 7, k);
                if (h) CHECK(((HeapRec *)skv__cache_value(h))->key == k);
            } else {
                skv__cache_erase_file(c, k % 7);
            }
            if (h) {
                size_t slot = (size_t)(tc_rnd(&rng) % HELD);
                if (held[slot]) skv__cache_release(c, held[slot]);
                held[slot] = h;
            }
        }
        for (int i = 0; i < HELD; i++)
            if (held[i]) skv__cache_release(c, held[i]);
        SkvCacheStats st;
        skv__cache_stats(c, &st);
        CHECK_EQ_U64(st.pinned, 0);
        CHECK(st.usage <= 2000);
        uint64_t inserts = st.inserts;
        CHECK(inserts > 0);
        skv__cache_free(c);
        CHECK_EQ_U64(calls, inserts);
    }
}

static const TestCase TESTS[] = {
    {"insert_lookup_release", test_insert_lookup_release},
    {"hit_miss_counts", test_hit_miss_counts},
    {"clock_order", test_clock_order},
    {"referenced_survives", test_referenced_survives},
    {"hot_set_survives_scan", test_hot_set_survives_scan},
    {"all_pinned_shard", test_all_pinned_shard},
    {"usage_bound", test_usage_bound},
    {"pinned_survives", test_pinned_survives},
    {"replace", test_replace},
    {"erase_file", test_erase_file},
    {"capacity_zero", test_capacity_zero},
    {"deleter_counts", test_deleter_counts},
    {0, 0},
};

TEST_MAIN(TESTS)
