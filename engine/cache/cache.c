/*
 * cache.c — the sharded CLOCK block cache of cache.h: the shards (one lock, one chained hash
 * table grown by rehashing, one clock ring and the counters each), entry reference counting,
 * second-chance eviction down to the capacity and the running of deleters (always outside
 * of the shard locks, exactly once per entry, never while a handle pins it).
 *
 * An entry is "in the cache" while the table of its shard holds it; its charge counts in the
 * shard's usage only then, and only then is it on the shard's clock ring, pinned or not. The
 * ring keeps insertion order: the hand is the oldest entry, the one before it the newest. A
 * hit only bumps the entry's refs and sets its referenced flag; release only drops refs. The
 * hand evicts: an entry that is pinned or referenced gets a second chance (flag cleared, the
 * hand steps past it so it becomes the newest), an idle unreferenced one is evicted. An entry
 * that is neither in the cache nor pinned is freed.
 */
#include <stdlib.h>

#include "base/base.h"
#include "cache/cache.h"

enum { CACHE_MAX_SHARD_BITS = 16, CACHE_MIN_BUCKETS = 16 };

struct SkvCacheHandle {
    /* what a lookup reads first */
    SkvCacheHandle *next_hash; /* bucket chain; also links entries to be deleted */
    uint64_t file, offset;
    uint64_t hash;
    void *value;
    uint32_t refs;      /* handles held */
    uint8_t referenced; /* hit since the hand last passed it */
    uint8_t in_cache;
    /* the rest */
    size_t charge;
    SkvCacheDeleter deleter;
    SkvCacheHandle *ring_prev, *ring_next; /* the clock ring, while in the cache */
};

typedef struct {
    SkvMutex mu;
    SkvCacheHandle **buckets;
    size_t nbuckets;      /* a power of two */
    size_t count;         /* entries in the table (and on the ring) */
    size_t idle;          /* of those, the ones no handle pins: what eviction may take */
    SkvCacheHandle *hand; /* the oldest entry on the ring; NULL when the ring is empty */
    size_t capacity, usage, pinned;
    uint64_t hits, misses, inserts, evictions;
} CacheShard;

struct SkvCache {
    CacheShard *shards;
    size_t nshards;
    int shard_bits;
    size_t capacity;
};

/* ---- keys and shards ---- */

/* A multiply-xorshift mix of the key: the high bits of the product depend on every input bit
 * (the shard takes them), the final fold brings them down into the low ones (the bucket). */
static uint64_t cache_hash(uint64_t file, uint64_t offset) {
    uint64_t h = (offset ^ (file * 0x9e3779b97f4a7c15ULL)) * 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

/* The shard takes the top bits of the hash, the bucket the low ones. */
static CacheShard *cache_shard_of(SkvCache *c, uint64_t hash) {
    if (c->shard_bits == 0) return &c->shards[0];
    return &c->shards[hash >> (64 - c->shard_bits)];
}

/* ---- the clock ring ---- */

/* Adds e as the newest entry: just behind the hand. */
static void ring_add_newest(CacheShard *s, SkvCacheHandle *e) {
    if (!s->hand) {
        e->ring_prev = e->ring_next = e;
        s->hand = e;
        return;
    }
    e->ring_next = s->hand;
    e->ring_prev = s->hand->ring_prev;
    e->ring_prev->ring_next = e;
    s->hand->ring_prev = e;
}

static void ring_remove(CacheShard *s, SkvCacheHandle *e) {
    if (e->ring_next == e) {
        s->hand = NULL;
    } else {
        e->ring_prev->ring_next = e->ring_next;
        e->ring_next->ring_prev = e->ring_prev;
        if (s->hand == e) s->hand = e->ring_next;
    }
    e->ring_prev = e->ring_next = NULL;
}

/* ---- the hash table ---- */

static SkvCacheHandle **table_slot(CacheShard *s, uint64_t hash, uint64_t file, uint64_t offset) {
    SkvCacheHandle **p = &s->buckets[hash & (s->nbuckets - 1)];
    while (*p && ((*p)->file != file || (*p)->offset != offset)) p = &(*p)->next_hash;
    return p;
}

static void table_push(CacheShard *s, SkvCacheHandle *e) {
    SkvCacheHandle **bucket = &s->buckets[e->hash & (s->nbuckets - 1)];
    e->next_hash = *bucket;
    *bucket = e;
}

/* Doubles the bucket array; when that allocation fails the table keeps its size (longer
 * chains, still correct). */
static void table_grow(CacheShard *s) {
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

/* Takes e out of the cache (the caller has unlinked it from its chain) and off the ring. An
 * unpinned entry is pushed on *dead to be deleted once the lock is dropped. */
static void entry_detach(CacheShard *s, SkvCacheHandle *e, SkvCacheHandle **dead) {
    e->in_cache = 0;
    s->count--;
    s->usage -= e->charge;
    ring_remove(s, e);
    if (e->refs == 0) {
        s->idle--;
        e->next_hash = *dead;
        *dead = e;
    } else {
        e->next_hash = NULL;
    }
}

static void entry_evict(CacheShard *s, SkvCacheHandle *e, SkvCacheHandle **dead) {
    SkvCacheHandle **slot = table_slot(s, e->hash, e->file, e->offset);
    *slot = e->next_hash;
    entry_detach(s, e, dead);
    s->evictions++;
}

/* Moves the hand while the shard is above its capacity and holds an idle entry. Within one
 * turn of the ring every flag is cleared, within the next every idle entry is reached, so
 * 2 x count steps always suffice; the bound only guards against looping. */
static void clock_evict(CacheShard *s, SkvCacheHandle **dead) {
    size_t steps = 2 * s->count;
    while (s->usage > s->capacity && s->idle > 0 && steps-- > 0) {
        SkvCacheHandle *e = s->hand;
        if (e->refs > 0 || e->referenced) {
            e->referenced = 0; /* a second chance: it is now the newest */
            s->hand = e->ring_next;
        } else {
            entry_evict(s, e, dead);
        }
    }
}

/* Runs the deleters of a list built by entry_detach; called without any lock held. */
static void delete_all(SkvCacheHandle *dead) {
    while (dead) {
        SkvCacheHandle *next = dead->next_hash;
        if (dead->deleter) dead->deleter(dead->value, dead->charge);
        free(dead);
        dead = next;
    }
}

/* ---- shards ---- */

static int shard_init(CacheShard *s, size_t capacity) {
    s->capacity = capacity;
    s->nbuckets = CACHE_MIN_BUCKETS;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    if (!s->buckets) return -1;
    if (skv__mutex_init(&s->mu) != 0) {
        free(s->buckets);
        return -1;
    }
    return 0;
}

/* Deletes every entry (none may be pinned) and frees the shard's own memory. */
static void shard_destroy(CacheShard *s) {
    SkvCacheHandle *dead = NULL;
    for (size_t b = 0; b < s->nbuckets; b++) {
        SkvCacheHandle *e = s->buckets[b];
        while (e) {
            SkvCacheHandle *next = e->next_hash;
            entry_detach(s, e, &dead);
            e = next;
        }
        s->buckets[b] = NULL;
    }
    delete_all(dead);
    skv__mutex_destroy(&s->mu);
    free(s->buckets);
}

/* ---- the interface ---- */

SkvCache *skv__cache_new(size_t capacity, int shard_bits) {
    if (shard_bits < 0) shard_bits = 0;
    if (shard_bits > CACHE_MAX_SHARD_BITS) shard_bits = CACHE_MAX_SHARD_BITS;
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
        /* split evenly; the first (capacity % nshards) shards take one byte more */
        size_t cap = capacity / c->nshards + (i < capacity % c->nshards ? 1 : 0);
        if (shard_init(&c->shards[i], cap) != 0) {
            for (size_t j = 0; j < i; j++) shard_destroy(&c->shards[j]);
            free(c->shards);
            free(c);
            return NULL;
        }
    }
    return c;
}

void skv__cache_free(SkvCache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nshards; i++) shard_destroy(&c->shards[i]);
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
    e->next_hash = NULL;
    e->file = file;
    e->offset = offset;
    e->hash = cache_hash(file, offset);
    e->value = value;
    e->refs = 1;
    e->referenced = 0; /* a hit earns the second chance, not the insert */
    e->in_cache = 0;
    e->charge = charge;
    e->deleter = deleter;
    e->ring_prev = e->ring_next = NULL;

    CacheShard *s = cache_shard_of(c, e->hash);
    SkvCacheHandle *dead = NULL;
    skv__mutex_lock(&s->mu);
    s->inserts++;
    s->pinned += charge;
    if (s->capacity > 0) {
        SkvCacheHandle **slot = table_slot(s, e->hash, file, offset);
        SkvCacheHandle *old = *slot;
        if (old) {
            *slot = old->next_hash; /* the replaced entry lives on while pinned */
            entry_detach(s, old, &dead);
        }
        e->in_cache = 1;
        table_push(s, e);
        ring_add_newest(s, e);
        s->count++;
        s->usage += charge;
        if (s->count > s->nbuckets) table_grow(s);
        clock_evict(s, &dead);
    }
    skv__mutex_unlock(&s->mu);
    delete_all(dead);
    return e;
}

SkvCacheHandle *skv__cache_lookup(SkvCache *c, uint64_t file, uint64_t offset) {
    uint64_t hash = cache_hash(file, offset);
    CacheShard *s = cache_shard_of(c, hash);
    skv__mutex_lock(&s->mu);
    SkvCacheHandle *e = *table_slot(s, hash, file, offset);
    if (e) {
        if (e->refs++ == 0) {
            s->idle--;
            s->pinned += e->charge;
        }
        e->referenced = 1;
        s->hits++;
    } else {
        s->misses++;
    }
    skv__mutex_unlock(&s->mu);
    return e;
}

void *skv__cache_value(const SkvCacheHandle *h) { return h->value; }

void skv__cache_release(SkvCache *c, SkvCacheHandle *h) {
    CacheShard *s = cache_shard_of(c, h->hash);
    SkvCacheHandle *dead = NULL;
    skv__mutex_lock(&s->mu);
    if (--h->refs == 0) {
        s->pinned -= h->charge;
        if (h->in_cache) {
            s->idle++;
            clock_evict(s, &dead); /* only does work when pins had pushed usage over */
        } else {
            h->next_hash = NULL;
            dead = h;
        }
    }
    skv__mutex_unlock(&s->mu);
    delete_all(dead);
}

void skv__cache_erase_file(SkvCache *c, uint64_t file) {
    for (size_t i = 0; i < c->nshards; i++) {
        CacheShard *s = &c->shards[i];
        SkvCacheHandle *dead = NULL;
        skv__mutex_lock(&s->mu);
        for (size_t b = 0; b < s->nbuckets && s->count > 0; b++) {
            SkvCacheHandle **p = &s->buckets[b];
            while (*p) {
                SkvCacheHandle *e = *p;
                if (e->file == file) {
                    *p = e->next_hash;
                    entry_detach(s, e, &dead);
                } else {
                    p = &e->next_hash;
                }
            }
        }
        skv__mutex_unlock(&s->mu);
        delete_all(dead);
    }
}

void skv__cache_stats(SkvCache *c, SkvCacheStats *out) {
    memset(out, 0, sizeof *out);
    out->capacity = c->capacity;
    for (size_t i = 0; i < c->nshards; i++) {
        CacheShard *s = &c->shards[i];
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
