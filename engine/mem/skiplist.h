/*
 * skiplist.h — the memtable's skiplist (internal to the mem module), LevelDB style. Nodes
 * live in an arena and are never unlinked. One writer inserts at a time; readers take no
 * lock: a node's fields are written before it is linked, and links are stored with release
 * and loaded with acquire ordering.
 *
 * Node layout (one arena allocation, 8-byte aligned):
 *   seq u64 | ts u64 | klen u32 | vlen u32 | kind u8 | height u8 | pad |
 *   next[height] (atomic pointers) | key bytes | value bytes
 */
#ifndef SKV_MEM_SKIPLIST_H
#define SKV_MEM_SKIPLIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/arena.h"

enum {
    SKV_MEM_SKL_MAX_HEIGHT = 12, /* with branching 4: ample for 16M entries */
    SKV_MEM_SKL_BRANCHING = 4
};

typedef struct SkvMemSklNode SkvMemSklNode;
struct SkvMemSklNode {
    uint64_t seq;
    uint64_t ts;
    uint32_t klen;
    uint32_t vlen;
    uint8_t kind;
    uint8_t height;
    _Atomic(SkvMemSklNode *) next[]; /* height links, then the key and the value */
};

typedef struct {
    SkvMemArena *arena;
    SkvMemSklNode *head;    /* sentinel with SKV_MEM_SKL_MAX_HEIGHT links, holds no entry */
    _Atomic int max_height; /* height of the tallest node so far (>= 1) */
    uint64_t rng;           /* height generator state (writer only) */
    /* The writer's memory of its last insertion, so that keys inserted in ascending order
     * (sequential loads) go in without a search: the node inserted last, its predecessor at
     * every level, and how many insertions in a row each came right after the one before. */
    SkvMemSklNode *last;
    SkvMemSklNode *last_prev[SKV_MEM_SKL_MAX_HEIGHT];
    int ascending_run;
} SkvMemSkl;

/* Allocates the head node from arena. SKV_OK or SKV_ENOMEM. */
int skv__mem_skl_init(SkvMemSkl *s, SkvMemArena *arena, uint64_t seed);
/* Copies the entry into a new node and links it. SKV_OK or SKV_ENOMEM (nothing changed).
 * Lengths above UINT32_MAX are refused with SKV_ENOMEM. */
int skv__mem_skl_insert(SkvMemSkl *s, uint64_t seq, int kind, uint64_t ts, const void *key,
                        size_t klen, const void *val, size_t vlen);
/* Upper bound of the arena bytes one insertion takes (tallest node, alignment padding). */
size_t skv__mem_skl_cost(size_t klen, size_t vlen);

/* Searches; NULL when there is no such node. */
const SkvMemSklNode *skv__mem_skl_seek_ge(const SkvMemSkl *s, const void *key, size_t klen,
                                          uint64_t seq);
const SkvMemSklNode *skv__mem_skl_seek_lt(const SkvMemSkl *s, const void *key, size_t klen,
                                          uint64_t seq);
const SkvMemSklNode *skv__mem_skl_first(const SkvMemSkl *s);
const SkvMemSklNode *skv__mem_skl_last(const SkvMemSkl *s);
const SkvMemSklNode *skv__mem_skl_next(const SkvMemSklNode *n);
const SkvMemSklNode *skv__mem_skl_prev(const SkvMemSkl *s, const SkvMemSklNode *n);

static inline const uint8_t *skv__mem_skl_key(const SkvMemSklNode *n) {
    return (const uint8_t *)&n->next[n->height];
}
static inline const uint8_t *skv__mem_skl_val(const SkvMemSklNode *n) {
    return skv__mem_skl_key(n) + n->klen;
}

#endif /* SKV_MEM_SKIPLIST_H */
