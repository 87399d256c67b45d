/* arena.c — the memtable's chunked bump allocator (see arena.h). */
#include <stdint.h>
#include <stdlib.h>

#include "mem/arena.h"

struct SkvMemArenaChunk {
    SkvMemArenaChunk *next;
};

/* chunk data starts this far into the allocation, keeping malloc's 16-byte alignment */
#define ARENA_HDR                                                                                  \
    ((sizeof(SkvMemArenaChunk) + SKV_MEM_ARENA_MAX_ALIGN - 1) &                                    \
     ~(size_t)(SKV_MEM_ARENA_MAX_ALIGN - 1))

void skv__mem_arena_init(SkvMemArena *a) {
    a->cur = NULL;
    a->left = 0;
    a->chunks = NULL;
    atomic_init(&a->bytes, 0);
}

void skv__mem_arena_destroy(SkvMemArena *a) {
    SkvMemArenaChunk *c = a->chunks;
    while (c) {
        SkvMemArenaChunk *next = c->next;
        free(c);
        c = next;
    }
    skv__mem_arena_init(a);
}

/* A new chunk with `size` bytes of data, linked into the arena; its data, or NULL. */
static char *arena_new_chunk(SkvMemArena *a, size_t size) {
    if (size > SIZE_MAX - ARENA_HDR) return NULL;
    SkvMemArenaChunk *c = malloc(ARENA_HDR + size);
    if (!c) return NULL;
    c->next = a->chunks;
    a->chunks = c;
    return (char *)c + ARENA_HDR;
}

static void arena_count(SkvMemArena *a, size_t n) {
    atomic_fetch_add_explicit(&a->bytes, n, memory_order_relaxed);
}

void *skv__mem_arena_alloc(SkvMemArena *a, size_t n, size_t align) {
    if (a->cur) {
        size_t pad = (size_t)(-(uintptr_t)a->cur) & (align - 1);
        if (pad <= a->left && n <= a->left - pad) {
            char *p = a->cur + pad;
            a->cur = p + n;
            a->left -= pad + n;
            arena_count(a, pad + n);
            return p;
        }
    }
    if (n > SKV_MEM_ARENA_CHUNK / 4) {
        /* a chunk of its own; the current chunk keeps serving small requests */
        char *p = arena_new_chunk(a, n);
        if (p) arena_count(a, n);
        return p;
    }
    char *p = arena_new_chunk(a, SKV_MEM_ARENA_CHUNK);
    if (!p) return NULL;
    a->cur = p + n;
    a->left = SKV_MEM_ARENA_CHUNK - n;
    arena_count(a, n);
    return p;
}

size_t skv__mem_arena_bytes(const SkvMemArena *a) {
    return atomic_load_explicit(&a->bytes, memory_order_relaxed);
}
