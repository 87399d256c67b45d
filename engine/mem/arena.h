/*
 * arena.h — the memtable's arena (internal to the mem module): a chunked bump allocator.
 * Memory is handed out in 1 MiB chunks; a request larger than a quarter chunk gets a chunk
 * of its own. Nothing is freed before the whole arena is destroyed. One thread allocates at
 * a time; the byte counter may be read from any thread.
 */
#ifndef SKV_MEM_ARENA_H
#define SKV_MEM_ARENA_H

#include <stdatomic.h>
#include <stddef.h>

enum {
    SKV_MEM_ARENA_CHUNK = 1 << 20, /* bytes of a regular chunk */
    SKV_MEM_ARENA_MAX_ALIGN = 16   /* largest alignment skv__mem_arena_alloc honours */
};

typedef struct SkvMemArenaChunk SkvMemArenaChunk;

typedef struct {
    char *cur;                /* next free byte of the current chunk (NULL: none yet) */
    size_t left;              /* free bytes after cur in the current chunk */
    SkvMemArenaChunk *chunks; /* every chunk, newest first */
    _Atomic size_t bytes;     /* bytes handed out, alignment padding included */
} SkvMemArena;

void skv__mem_arena_init(SkvMemArena *a);
/* Frees every chunk. The arena may be initialized again afterwards. */
void skv__mem_arena_destroy(SkvMemArena *a);
/* n bytes aligned to align (a power of two <= SKV_MEM_ARENA_MAX_ALIGN), or NULL when out of
 * memory. The counter grows by n plus the padding skipped to reach the alignment, which is
 * at most align - 1; the unused tail of an abandoned chunk is not counted. */
void *skv__mem_arena_alloc(SkvMemArena *a, size_t n, size_t align);
/* Bytes handed out so far. Safe from any thread. */
size_t skv__mem_arena_bytes(const SkvMemArena *a);

#endif /* SKV_MEM_ARENA_H */
