/*
 * cache.h — the block cache: a sharded CLOCK (second chance) cache with a hard byte capacity.
 * Entries are keyed by (file number, block offset), carry a charge in bytes and a deleter, and
 * are pinned by handles: an entry is freed when it has been evicted or erased and its last
 * handle released. Thread-safe; each shard has its own lock.
 */
#ifndef SKV_CACHE_H
#define SKV_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct SkvCache SkvCache;
typedef struct SkvCacheHandle SkvCacheHandle;
typedef void (*SkvCacheDeleter)(void *value, size_t charge);

/* capacity 0 disables caching (inserts return a handle that is freed on release). */
SkvCache *skv__cache_new(size_t capacity, int shard_bits);
/* Frees every entry; no handle may still be held. */
void skv__cache_free(SkvCache *c);

/* Inserts (replacing an entry with the same key) and returns a handle pinning the entry;
 * NULL only when out of memory (the deleter has then already been called). The total charge
 * of unpinned entries never exceeds the capacity (usage exceeds it only by what is pinned):
 * eviction goes from the oldest entry on, passing over pinned entries and, once, over those
 * hit since the last pass (they become the newest). */
SkvCacheHandle *skv__cache_insert(SkvCache *c, uint64_t file, uint64_t offset, void *value,
                                  size_t charge, SkvCacheDeleter deleter);
/* A handle pinning the entry, or NULL (a miss). Counts hits and misses; a hit marks the
 * entry referenced, which spares it once from eviction. */
SkvCacheHandle *skv__cache_lookup(SkvCache *c, uint64_t file, uint64_t offset);
void *skv__cache_value(const SkvCacheHandle *h);
void skv__cache_release(SkvCache *c, SkvCacheHandle *h);
/* Drops every entry of a file (a deleted table). */
void skv__cache_erase_file(SkvCache *c, uint64_t file);

typedef struct {
    uint64_t hits, misses, inserts, evictions;
    size_t usage, pinned, capacity;
} SkvCacheStats;
void skv__cache_stats(SkvCache *c, SkvCacheStats *out);

#endif /* SKV_CACHE_H */
