/* test_mem_concurrent.c — the memtable under one writer and lock-free readers: readers
 * scanning both ways, seeking and reading at snapshots while entries are inserted must
 * always see a sorted list of intact entries that holds everything published before. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "mem/mem.h"
#include "test.h"

enum { N_ENTRIES = 200000, N_KEYS = 5000, N_READERS = 3, MAX_KEY = 12, MAX_VAL = 64 };

typedef struct {
    SkvMemtable *m;
    uint32_t *key_of_seq;       /* [seq] = key index; written before seq is published */
    _Atomic uint64_t published; /* every seq <= this is in the memtable */
    _Atomic int done;
    _Atomic long failures;
    _Atomic long scans, gets;
} Shared;

typedef struct {
    Shared *sh;
    uint64_t rng;
} Reader;

static uint64_t cc_rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* key of index i: 4 bytes big-endian i, then i % 9 bytes derived from i (zeros included) */
static size_t make_key(uint32_t i, uint8_t *k) {
    k[0] = (uint8_t)(i >> 24);
    k[1] = (uint8_t)(i >> 16);
    k[2] = (uint8_t)(i >> 8);
    k[3] = (uint8_t)i;
    size_t n = 4 + i % 9;
    for (size_t j = 4; j < n; j++) k[j] = (uint8_t)((i * 7 + j) % 3);
    return n;
}

/* the value of (key index, seq) */
static size_t make_val(uint32_t i, uint64_t seq, uint8_t *v) {
    uint64_t h = ((uint64_t)i << 32) ^ seq;
    size_t n = (size_t)((seq * 7 + i) % MAX_VAL);
    for (size_t j = 0; j < n; j++) v[j] = (uint8_t)(cc_rnd(&h) >> 17);
    return n;
}

static void fail(Shared *sh, const char *what, uint64_t seq) {
    if (atomic_fetch_add(&sh->failures, 1) < 10)
        fprintf(stderr, "reader: %s (seq %llu)\n", what, (unsigned long long)seq);
}

/* the entry is exactly what the writer inserted for its seq */
static int intact(const Shared *sh, const SkvMemEntry *e) {
    uint8_t k[MAX_KEY], v[MAX_VAL];
    if (e->seq == 0 || e->seq > N_ENTRIES) return 0;
    uint32_t idx = sh->key_of_seq[e->seq];
    size_t klen = make_key(idx, k), vlen = make_val(idx, e->seq, v);
    return e->kind == SKV_KIND_VALUE && e->ts == e->seq * 3 && e->klen == klen &&
           memcmp(e->key, k, klen) == 0 && e->vlen == vlen &&
           (vlen == 0 || memcmp(e->val, v, vlen) == 0);
}

/* internal order of two entries: <0, 0, >0 */
static int entry_order(const SkvMemEntry *a, const SkvMemEntry *b) {
    int c = skv__key_cmp(a->key, a->klen, b->key, b->klen);
    if (c) return c;
    return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/* One scan, forward or backward: sorted, intact, and holding each of the seqs 1..p that
 * were published before it started. */
static void scan(Shared *sh, int backward) {
    uint64_t p = atomic_load_explicit(&sh->published, memory_order_acquire), old = 0;
    SkvMemIter it;
    SkvMemEntry e, prev;
    skv__memiter_init(&it, sh->m);
    if (backward)
        skv__memiter_last(&it);
    else
        skv__memiter_first(&it);
    for (int first = 1; skv__memiter_valid(&it); first = 0) {
        skv__memiter_entry(&it, &e);
        if (!intact(sh, &e)) return fail(sh, "damaged entry in a scan", e.seq);
        if (!first && (backward ? entry_order(&prev, &e) <= 0 : entry_order(&prev, &e) >= 0))
            return fail(sh, "scan out of order", e.seq);
        if (e.seq <= p) old++;
        prev = e;
        if (backward)
            skv__memiter_prev(&it);
        else
            skv__memiter_next(&it);
    }
    if (old != p) fail(sh, "scan missed published entries", p);
    atomic_fetch_add(&sh->scans, 1);
}

static void point_reads(Reader *r, int rounds) {
    Shared *sh = r->sh;
    uint8_t k[MAX_KEY];
    SkvMemEntry e;
    SkvMemIter it;
    skv__memiter_init(&it, sh->m);
    for (int i = 0; i < rounds; i++) {
        uint64_t p = atomic_load_explicit(&sh->published, memory_order_acquire);
        if (p == 0) return;
        uint64_t s = 1 + cc_rnd(&r->rng) % p;
        uint32_t idx = sh->key_of_seq[s];
        size_t klen = make_key(idx, k);
        /* the version written at s is the newest one visible at snapshot s */
        if (skv__mem_get(sh->m, k, klen, s, &e) != SKV_OK || e.seq != s || !intact(sh, &e))
            return fail(sh, "get at a published seq", s);
        /* at s - 1: an older version of the same key, or nothing */
        int rc = skv__mem_get(sh->m, k, klen, s - 1, &e);
        if (rc == SKV_OK &&
            (e.seq >= s || !intact(sh, &e) || skv__key_cmp(e.key, e.klen, k, klen) != 0))
            return fail(sh, "get below a published seq", s);
        if (rc != SKV_OK && rc != SKV_NOTFOUND) return fail(sh, "get error", s);
        /* a key that is never written */
        klen = make_key(N_KEYS + idx, k);
        if (skv__mem_get(sh->m, k, klen, UINT64_MAX, &e) != SKV_NOTFOUND)
            return fail(sh, "get of an absent key", s);
        /* seek lands on (idx, s) exactly; seek_before lands before it */
        klen = make_key(idx, k);
        skv__memiter_seek(&it, k, klen, s);
        if (!skv__memiter_valid(&it)) return fail(sh, "seek lost an entry", s);
        skv__memiter_entry(&it, &e);
        if (e.seq != s || !intact(sh, &e)) return fail(sh, "seek to a published seq", s);
        SkvMemEntry at = e;
        skv__memiter_seek_before(&it, k, klen, s);
        if (skv__memiter_valid(&it)) {
            skv__memiter_entry(&it, &e);
            if (!intact(sh, &e) || entry_order(&e, &at) >= 0)
                return fail(sh, "seek_before not before", s);
            skv__memiter_next(&it); /* the entry right after it is at, or newer than p */
            if (!skv__memiter_valid(&it)) return fail(sh, "next after seek_before ended", s);
            skv__memiter_entry(&it, &e);
            if (!intact(sh, &e) || entry_order(&e, &at) > 0 || (e.seq != s && e.seq <= p))
                return fail(sh, "next after seek_before", s);
        }
        atomic_fetch_add(&sh->gets, 1);
    }
}

static void *reader_main(void *arg) {
    Reader *r = arg;
    Shared *sh = r->sh;
    while (atomic_load_explicit(&sh->published, memory_order_acquire) == 0) sched_yield();
    for (unsigned round = 0;; round++) {
        int finished = atomic_load(&sh->done);
        scan(sh, round % 3 == 2);
        point_reads(r, 500);
        if (finished || atomic_load(&sh->failures)) break;
    }
    /* once more over the complete list, both ways */
    scan(sh, 0);
    scan(sh, 1);
    return NULL;
}

static void test_one_writer_three_readers(void) {
    Shared sh;
    memset(&sh, 0, sizeof sh);
    sh.m = skv__mem_new();
    CHECK(sh.m != NULL);
    sh.key_of_seq = calloc(N_ENTRIES + 1, sizeof *sh.key_of_seq);
    CHECK(sh.key_of_seq != NULL);
    atomic_init(&sh.published, 0);
    atomic_init(&sh.done, 0);
    atomic_init(&sh.failures, 0);
    atomic_init(&sh.scans, 0);
    atomic_init(&sh.gets, 0);

    Reader rd[N_READERS];
    pthread_t th[N_READERS];
    for (int i = 0; i < N_READERS; i++) {
        rd[i].sh = &sh;
        rd[i].rng = 1000 + (uint64_t)i;
        CHECK(pthread_create(&th[i], NULL, reader_main, &rd[i]) == 0);
    }
    uint64_t rng = 99;
    uint8_t k[MAX_KEY], v[MAX_VAL];
    int add_failed = 0;
    for (uint64_t seq = 1; seq <= N_ENTRIES; seq++) {
        uint32_t idx = (uint32_t)(cc_rnd(&rng) % N_KEYS);
        sh.key_of_seq[seq] = idx;
        size_t klen = make_key(idx, k), vlen = make_val(idx, seq, v);
        if (skv__mem_add(sh.m, seq, SKV_KIND_VALUE, seq * 3, k, klen, v, vlen) != SKV_OK) {
            add_failed = 1;
            break;
        }
        atomic_store_explicit(&sh.published, seq, memory_order_release);
    }
    atomic_store(&sh.done, 1);
    for (int i = 0; i < N_READERS; i++) pthread_join(th[i], NULL);
    CHECK(!add_failed);
    CHECK_EQ_U64(atomic_load(&sh.failures), 0);
    CHECK_EQ_U64(skv__mem_count(sh.m), N_ENTRIES);
    /* every reader scanned at least twice and did point reads */
    CHECK(atomic_load(&sh.scans) >= 2 * N_READERS);
    CHECK(atomic_load(&sh.gets) >= 500 * N_READERS);
    printf("     %ld scans, %ld point reads\n", atomic_load(&sh.scans), atomic_load(&sh.gets));
    skv__mem_unref(sh.m);
    free(sh.key_of_seq);
}

static const TestCase TESTS[] = {
    {"one_writer_three_readers", test_one_writer_three_readers},
    {0, 0},
};

TEST_MAIN(TESTS)
