/*
 * mem.h — the memtable: a skiplist of internal entries in an arena. One writer at a time
 * (the commit leader, serialized by the caller); any number of concurrent readers that take
 * no lock (nodes are published with release stores and read with acquire loads; nothing is
 * freed before the memtable itself).
 *
 * Entries are ordered by user key ascending (bytewise, shorter first on a common prefix),
 * then by sequence number descending. Sequence numbers are unique across the database, so
 * no two entries compare equal.
 */
#ifndef SKV_MEM_H
#define SKV_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "skv.h"

/* entry kinds (the values are part of the on-disk formats). SKV_KIND_SOFT_DELETE (1, a
 * tombstone version) and SKV_KIND_REPLACE (6, a value that supersedes older versions) are the
 * public constants of skv.h, which history iterators report; the other two are internal. */
enum {
    SKV_KIND_DELETE = 0,           /* hard delete: the key and its history are gone */
    SKV_KIND_VALUE = SKV_KIND_SET, /* a value (set / set_at) */
};
_Static_assert(SKV_KIND_SOFT_DELETE == 1 && SKV_KIND_VALUE == 2 && SKV_KIND_REPLACE == 6,
               "entry kinds are part of the on-disk formats");

/* Set in the stored kind byte of a table entry whose value lives in the value log (the entry's
 * value is then a value pointer, vlog/vlog.h). Readers get the kind without it, and vptr set. */
enum { SKV_KIND_VLOG_BIT = 0x80 };

typedef struct SkvMemtable SkvMemtable;

/* A new, empty memtable holding one reference. */
SkvMemtable *skv__mem_new(void);
void skv__mem_ref(SkvMemtable *m);
void skv__mem_unref(SkvMemtable *m); /* frees it at zero */

/* Inserts an entry (copies key and value into the arena). Single writer.
 * Returns SKV_OK or SKV_ENOMEM. */
int skv__mem_add(SkvMemtable *m, uint64_t seq, int kind, uint64_t ts, const void *key, size_t klen,
                 const void *val, size_t vlen);

/* Whether every key's versions in the memtable have timestamps in commit order (a newer
 * version never has a smaller timestamp). Cleared (before the entry is inserted) by whoever
 * inserts an entry whose timestamp is not its commit's; safe from any thread. History reads
 * stop early only over sources where this holds. */
void skv__mem_note_ts_unordered(SkvMemtable *m);
int skv__mem_ts_ordered(const SkvMemtable *m);

/* Approximate bytes used (arena + nodes), and number of entries. Safe from any thread. */
size_t skv__mem_bytes(const SkvMemtable *m);
uint64_t skv__mem_count(const SkvMemtable *m);
/* The bytes one entry will take in a memtable (for admission checks before a commit). */
size_t skv__mem_entry_cost(size_t klen, size_t vlen);

/* One entry as seen by readers (views into the arena, valid while the memtable lives). */
typedef struct {
    const uint8_t *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
    uint64_t seq;
    uint64_t ts;
    int kind;
    int vptr; /* 1: val is a value-log pointer, not the value (table entries only) */
} SkvMemEntry;

/* The newest entry of `key` with seq <= snap: SKV_OK (any kind, *e filled) or SKV_NOTFOUND. */
int skv__mem_get(const SkvMemtable *m, const void *key, size_t klen, uint64_t snap, SkvMemEntry *e);

/* A cursor over all entries in internal order. Not thread-safe itself; many may run at once.
 * Sees entries inserted after it was created (callers filter by sequence). */
typedef struct {
    const SkvMemtable *m;
    const void *node; /* NULL = not positioned */
} SkvMemIter;

void skv__memiter_init(SkvMemIter *it, const SkvMemtable *m);
int skv__memiter_valid(const SkvMemIter *it);
/* first entry >= (key, seq) in internal order, i.e. the first entry with a greater user key,
 * or the same user key and a sequence <= seq */
void skv__memiter_seek(SkvMemIter *it, const void *key, size_t klen, uint64_t seq);
void skv__memiter_first(SkvMemIter *it);
void skv__memiter_last(SkvMemIter *it);
void skv__memiter_next(SkvMemIter *it);
void skv__memiter_prev(SkvMemIter *it); /* O(log n), as in LevelDB's skiplist */
/* last entry < (key, seq) in internal order */
void skv__memiter_seek_before(SkvMemIter *it, const void *key, size_t klen, uint64_t seq);
void skv__memiter_entry(const SkvMemIter *it, SkvMemEntry *e); /* requires valid */

/* Compares two user keys bytewise (shorter first on a common prefix). Inline, eight bytes
 * at a time: every search of a memtable, block and index runs on it. */
static inline int skv__key_cmp(const void *a, size_t alen, const void *b, size_t blen) {
    const uint8_t *x = a, *y = b;
    size_t n = alen < blen ? alen : blen;
    for (; n >= 8; n -= 8, x += 8, y += 8) {
        uint64_t u, v;
        memcpy(&u, x, 8);
        memcpy(&v, y, 8);
        if (u != v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            u = __builtin_bswap64(u);
            v = __builtin_bswap64(v);
#endif
            return u < v ? -1 : 1;
        }
    }
    for (; n > 0; n--, x++, y++)
        if (*x != *y) return *x < *y ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

#endif /* SKV_MEM_H */
