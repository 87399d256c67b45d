/* test_cache_concurrent.c — the block cache under 4 threads doing random inserts, lookups,
 * releases (holding a few handles at a time) and the odd erase_file, for about a second and a
 * half each on 2000 keys with room for 500 and on 64 keys with room for 8 (so the handles
 * held pin more than the capacity and shards fill with pinned entries): every value seen
 * must encode its own key and still be alive, and once the cache is freed every inserted
 * value must have been deleted once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/base.h"
#include "cache/cache.h"
#include "test.h"

enum { N_THREADS = 4, N_FILES = 8, HELD = 4 };

#define VAL_LIVE 0x4c49564556414cULL
#define VAL_DEAD 0xdeadULL

typedef struct {
    _Atomic uint64_t *deleted;
    uint64_t file, offset;
    uint64_t check; /* a function of file and offset */
    _Atomic uint64_t magic;
} Val;

typedef struct {
    SkvCache *c;
    uint64_t n_keys, run_ms;
    _Atomic uint64_t deleted;
    _Atomic uint64_t inserted;
    _Atomic long failures;
    _Atomic uint64_t hits, lookups;
} Shared;

typedef struct {
    Shared *sh;
    uint64_t rng;
} Worker;

static uint64_t cc_rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t val_check(uint64_t file, uint64_t offset) {
    return (file * 0x100000001b3ULL) ^ (offset * 0x9e3779b97f4a7c15ULL) ^ 0x5bd1e995ULL;
}

static void val_deleter(void *value, size_t charge) {
    Val *v = value;
    (void)charge;
    /* a second call would find the magic already dead (and ASan a use after free) */
    uint64_t was = atomic_exchange(&v->magic, VAL_DEAD);
    if (was == VAL_LIVE) atomic_fetch_add(v->deleted, 1);
    free(v);
}

static int val_ok(const SkvCacheHandle *h, uint64_t file, uint64_t offset) {
    const Val *v = skv__cache_value(h);
    return v && atomic_load(&v->magic) == VAL_LIVE && v->file == file && v->offset == offset &&
           v->check == val_check(file, offset);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *worker_main(void *arg) {
    Worker *w = arg;
    Shared *sh = w->sh;
    SkvCacheHandle *held[HELD] = {0};
    uint64_t held_file[HELD] = {0}, held_off[HELD] = {0};
    uint64_t deadline = now_ms() + sh->run_ms;
    for (uint64_t i = 0;; i++) {
        if ((i & 255) == 0 && now_ms() >= deadline) break;
        uint64_t k = cc_rnd(&w->rng) % sh->n_keys, op = cc_rnd(&w->rng) % 1000;
        uint64_t file = k % N_FILES, off = k * 4096;
        SkvCacheHandle *h = NULL;
        if (op < 400) {
            Val *v = malloc(sizeof *v);
            if (!v) {
                atomic_fetch_add(&sh->failures, 1);
                break;
            }
            v->deleted = &sh->deleted;
            v->file = file;
            v->offset = off;
            v->check = val_check(file, off);
            atomic_init(&v->magic, VAL_LIVE);
            h = skv__cache_insert(sh->c, file, off, v, 1, val_deleter);
            if (!h || skv__cache_value(h) != v) {
                atomic_fetch_add(&sh->failures, 1);
                break;
            }
            atomic_fetch_add(&sh->inserted, 1);
        } else if (op < 999) {
            h = skv__cache_lookup(sh->c, file, off);
            atomic_fetch_add(&sh->lookups, 1);
            if (h) atomic_fetch_add(&sh->hits, 1);
        } else {
            skv__cache_erase_file(sh->c, file);
        }
        if (h) {
            if (!val_ok(h, file, off)) atomic_fetch_add(&sh->failures, 1);
            size_t slot = (size_t)(cc_rnd(&w->rng) % HELD);
            if (held[slot]) {
                /* still intact while pinned, whatever happened to its key meanwhile */
                if (!val_ok(held[slot], held_file[slot], held_off[slot]))
                    atomic_fetch_add(&sh->failures, 1);
                skv__cache_release(sh->c, held[slot]);
            }
            held[slot] = h;
            held_file[slot] = file;
            held_off[slot] = off;
        }
    }
    for (int i = 0; i < HELD; i++)
        if (held[i]) skv__cache_release(sh->c, held[i]);
    return NULL;
}

static void run_concurrent(uint64_t n_keys, size_t capacity, uint64_t run_ms) {
    Shared sh;
    sh.c = skv__cache_new(capacity, 4);
    CHECK(sh.c);
    sh.n_keys = n_keys;
    sh.run_ms = run_ms;
    atomic_init(&sh.deleted, 0);
    atomic_init(&sh.inserted, 0);
    atomic_init(&sh.failures, 0);
    atomic_init(&sh.hits, 0);
    atomic_init(&sh.lookups, 0);
    pthread_t th[N_THREADS];
    Worker w[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i].sh = &sh;
        w[i].rng = 1000 + (uint64_t)i;
        CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
    CHECK_EQ_U64(atomic_load(&sh.failures), 0);

    SkvCacheStats st;
    skv__cache_stats(sh.c, &st);
    CHECK_EQ_U64(st.pinned, 0);
    CHECK(st.usage <= capacity);
    CHECK_EQ_U64(st.inserts, atomic_load(&sh.inserted));
    CHECK_EQ_U64(st.hits, atomic_load(&sh.hits));
    CHECK_EQ_U64(st.hits + st.misses, atomic_load(&sh.lookups));
    CHECK(st.hits > 0 && st.misses > 0 && st.evictions > 0);
    /* every value not in the cache any more has been deleted */
    CHECK_EQ_U64(atomic_load(&sh.deleted) + st.usage, st.inserts);
    skv__cache_free(sh.c);
    CHECK_EQ_U64(atomic_load(&sh.deleted), atomic_load(&sh.inserted));
}

static void test_concurrent_random(void) { run_concurrent(2000, 500, 1500); }

/* 16 handles held against room for 8: evictions pass over pinned entries all the time. */
static void test_concurrent_pinned_over_capacity(void) { run_concurrent(64, 8, 1500); }

static const TestCase TESTS[] = {
    {"concurrent_random", test_concurrent_random},
    {"concurrent_pinned_over_capacity", test_concurrent_pinned_over_capacity},
    {0, 0},
};

TEST_MAIN(TESTS)
