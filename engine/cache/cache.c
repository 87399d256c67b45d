/*
 * cache.c — the sharded LRU block cache of cache.h: the shards (one lock, one chained hash
 * table grown by rehashing, one LRU list of unpinned entries and the counters each), entry
 * reference counting, eviction down to the capacity and the running of deleters (always
 * outside of the shard locks, exactly once per entry, never while a handle pins it).
 *
 * An entry is "in the cache" while the table of its shard holds it; its charge counts in the
 * shard's usage only then. It is on the LRU list exactly when it is in the cache and no handle
 * pins it. An entry that is neither in the cache nor pinned is freed.
 */
#include <stdlib.h>

#include "base/base.h"
#include "cache/cache.h"

enum { LRU_MAX_SHARD_BITS = 16, LRU_MIN_BUCKETS = 16 };

struct SkvCacheHandle {
    uint64_t file, offset;
    uint64_t hash;
    void *value;
    size_t charge;
    SkvCacheDeleter deleter;
    SkvCacheHandle *next_hash;           /* bucket chain; also links entries to be deleted */
    SkvCacheHandle *lru_prev, *lru_next; /* the LRU list, while in the cache and unpinned */
    uint32_t refs;                       /* handles held */
    int in_cache;
};

typedef struct {
    SkvMutex mu;
    SkvCacheHandle **buckets;
    size_t nbuckets;    /* a power of two */
    size_t count;       /* entries in the table */
    SkvCacheHandle lru; /* sentinel: lru.lru_next is the oldest, lru.lru_prev the newest */
    size_t capacity, usage, pinned;
    uint64_t hits, misses, inserts, evictions;
} LruShard;

struct SkvCache {
    LruShard *shards;
    size_t nshards;
    int shard_bits;
    size_t capacity;
};

/* ---- keys and shards ---- */

static uint64_t lru_hash(uint64_t file, uint64_t offset) {
    uint8_t k[16];
    skv__put_u64(k, file);
    skv__put_u64(k + 8, offset);
    return skv__fingerprint(k, sizeof k);
}

/* The shard takes the top bits of the hash, the bucket the low ones. */
static LruShard *lru_shard_of(SkvCache *c, uint64_t hash) {
    if (c->shard_bits == 0) return &c->shards[0];
    return &c->shards[hash >> (64 - c->shard_bits)];
}

/* ---- the LRU list ---- */

static void lru_list_remove(SkvCacheHandle *e) {
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_list_append(LruShard *s, SkvCacheHandle *e) {
    e->lru_next = &s->lru;
    e->lru_prev = s->lru.lru_prev;
    e->lru_prev->lru_next = e;
    s->lru.lru_prev = e;
}

/* ---- the hash table ---- */

static SkvCacheHandle **lru_table_slot(LruShard *s, uint64_t hash, uint64_t file, uint64_t offset) {
    SkvCacheHandle **p = &s->buckets[hash & (s->nbuckets - 1)];
    while (*p && ((*p)->file != file || (*p)->offset != offset)) p = &(*p)->next_hash;
    return p;
}

/* Doubles the bucket array; when that allocation fails the table keeps its size (longer
 * chains, still correct). */
static void lru_table_grow(LruShard *s) {
    size_t n = s->nbuckets * 2;
    SkvCacheHandle **b = calloc(n, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        SkvCacheHandle *e = s->buckets[i];
        while (e) {
            SkvCacheHandle *next = e->next_hash;
            SkvCacheHandle **slot = &b[e->hash & (n - 1)];
            e->next_hash = *slot;
            *slot = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
}

/* ---- entry life ---- */

/* Takes e out of the table (the caller has unlinked it from its chain). An unpinned entry
 * leaves the LRU list and is pushed on *dead to be deleted once the lock is dropped. */
static void lru_detach(LruShard *s, SkvCacheHandle *e, SkvCacheHandle **dead) {
    e->in_cache = 0;
    s->count--;
    s->usage -= e->charge;
    if (e->refs == 0) {
        lru_list_remove(e);
        e->next_hash = *dead;
        *dead = e;
    } else {
        e->next_hash = NULL;
    }
}

/* Evicts unpinned entries, oldest first, while the shard is above its capacity. */
static void lru_evict(LruShard *s, SkvCacheHandle **dead) {
    while (s->usage > s->capacity && s->lru.lru_next != &s->lru) {
        SkvCacheHandle *e = s->lru.lru_next;
        SkvCacheHandle **slot = lru_table_slot(s, e->hash, e->file, e->offset);
        *slot = e->next_hash;
        lru_detach(s, e, dead);
        s->evictions++;
    }
}

/* Runs the deleters of a list built by lru_detach; called without any lock held. */
static void lru_delete_all(SkvCacheHandle *dead) {
    while (dead) {
        SkvCacheHandle *next = dead->next_hash;
        if (dead->deleter) dead->deleter(dead->value, dead->charge);
        free(dead);
        dead = next;
    }
}

/* ---- the interface ---- */

SkvCache *skv__cache_new(size_t capacity, int shard_bits) {
    if (shard_bits < 0) shard_bits = 0;
    if (shard_bits > LRU_MAX_SHARD_BITS) shard_bits = LRU_MAX_SHARD_BITS;
    SkvCache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->shard_bits = shard_bits;
    c->nshards = (size_t)1 << shard_bits;
    c->capacity = capacity;
    c->shards = calloc(c->nshards, sizeof *c->shards);
    if (!c->shards) {
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < c->nshards; i++) {
        LruShard *s = &c->shards[i];
        /* split evenly; the first (capacity % nshards) shards take one byte more */
        s->capacity = capacity / c->nshards + (i < capacity % c->nshards ? 1 : 0);
        s->nbuckets = LRU_MIN_BUCKETS;
        s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
        s->lru.lru_next = s->lru.lru_prev = &s->lru;
        if (!s->buckets || skv__mutex_init(&s->mu) != 0) {
            free(s->buckets);
            for (size_t j = 0; j < i; j++) {
                skv__mutex_destroy(&c->shards[j].mu);
                free(c->shards[j].buckets);
            }
            free(c->shards);
            free(c);
            return NULL;
        }
    }
    return c;
}

void skv__cache_free(SkvCache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nshards; i++) {
        LruShard *s = &c->shards[i];
        SkvCacheHandle *dead = NULL;
        for (size_t b = 0; b < s->nbuckets; b++) {
            SkvCacheHandle *e = s->buckets[b];
            while (e) {
                SkvCacheHandle *next = e->next_hash;
                lru_detach(s, e, &dead);
                e = next;
            }
            s->buckets[b] = NULL;
        }
        lru_delete_all(dead);
        skv__mutex_destroy(&s->mu);
        free(s->buckets);
    }
    free(c->shards);
    free(c);
}

SkvCacheHandle *skv__cache_insert(SkvCache *c, uint64_t file, uint64_t offset, void *value,
                                  size_t charge, SkvCacheDeleter deleter) {
    SkvCacheHandle *e = malloc(sizeof *e);
    if (!e) {
        if (deleter) deleter(value, charge);
        return NULL;
    }
    e->file = file;
    e->offset = offset;
    e->hash = lru_hash(file, offset);
    e->value = value;
    e->charge = charge;
    e->deleter = deleter;
    e->next_hash = e->lru_prev = e->lru_next = NULL;
    e->refs = 1;
    e->in_cache = 0;

    LruShard *s = lru_shard_of(c, e->hash);
    SkvCacheHandle *dead = NULL;
    skv__mutex_lock(&s->mu);
    s->inserts++;
    s->pinned += charge;
    if (s->capacity > 0) {
        SkvCacheHandle **slot = lru_table_slot(s, e->hash, file, offset);
        SkvCacheHandle *old = *slot;
        if (old) {
            *slot = old->next_hash; /* the replaced entry lives on while pinned */
            lru_detach(s, old, &dead);
        }
        e->in_cache = 1;
        e->next_hash = s->buckets[e->hash & (s->nbuckets - 1)];
        s->buckets[e->hash & (s->nbuckets - 1)] = e;
        s->count++;
        s->usage += charge;
        if (s->count > s->nbuckets) lru_table_grow(s);
        lru_evict(s, &dead);
    }
    skv__mutex_unlock(&s->mu);
    lru_delete_all(dead);
    return e;
}

SkvCacheHandle *skv__cache_lookup(SkvCache *c, uint64_t file, uint64_t offset) {
    uint64_t hash = lru_hash(file, offset);
    LruShard *s = lru_shard_of(c, hash);
    skv__mutex_lock(&s->mu);
    SkvCacheHandle *e = *lru_table_slot(s, hash, file, offset);
    if (e) {
        if (e->refs == 0) {
            lru_list_remove(e);
            s->pinned += e->charge;
        }
        e->refs++;
        s->hits++;
    } else {
        s->misses++;
    }
    skv__mutex_unlock(&s->mu);
    return e;
}

void *skv__cache_value(const SkvCacheHandle *h) { return h->value; }

void skv__cache_release(SkvCache *c, SkvCacheHandle *h) {
    LruShard *s = lru_shard_of(c, h->hash);
    SkvCacheHandle *dead = NULL;
    skv__mutex_lock(&s->mu);
    if (--h->refs == 0) {
        s->pinned -= h->charge;
        if (h->in_cache) {
            lru_list_append(s, h); /* the most recently used */
            lru_evict(s, &dead);
        } else {
            h->next_hash = NULL;
            dead = h;
        }
    }
    skv__mutex_unlock(&s->mu);
    lru_delete_all(dead);
}

void skv__cache_erase_file(SkvCache *c, uint64_t file) {
    for (size_t i = 0; i < c->nshards; i++) {
        LruShard *s = &c->shards[i];
        SkvCacheHandle *dead = NULL;
        skv__mutex_lock(&s->mu);
        for (size_t b = 0; b < s->nbuckets && s->count > 0; b++) {
            SkvCacheHandle **p = &s->buckets[b];
            while (*p) {
                SkvCacheHandle *e = *p;
                if (e->file == file) {
                    *p = e->next_hash;
                    lru_detach(s, e, &dead);
                } else {
                    p = &e->next_hash;
                }
            }
        }
        skv__mutex_unlock(&s->mu);
        lru_delete_all(dead);
    }
}

void skv__cache_stats(SkvCache *c, SkvCacheStats *out) {
    memset(out, 0, sizeof *out);
    out->capacity = c->capacity;
    for (size_t i = 0; i < c->nshards; i++) {
        LruShard *s = &c->shards[i];
        skv__mutex_lock(&s->mu);
        out->hits += s->hits;
        out->misses += s->misses;
        out->inserts += s->inserts;
        out->evictions += s->evictions;
        out->usage += s->usage;
        out->pinned += s->pinned;
        skv__mutex_unlock(&s->mu);
    }
}
