/*
 * db_iter_child.h — the sources merged by a database iterator (db_iter_child.c).
 */
#ifndef SKV_DB_ITER_CHILD_H
#define SKV_DB_ITER_CHILD_H

#include "db/db.h"

enum { CHILD_WRITES, CHILD_MEM, CHILD_TABLES };

/* The files of one level walked as one table (db_iter_level.c). */
typedef struct {
    skv_db *db;
    SkvFileMeta *const *files;
    size_t n, fi;    /* fi: the open file, n when none */
    SkvSstReader *r; /* the open file's reader */
    SkvSstIter *ti;
    SkvCacheHandle *h;
    int err;
} SkvLevelIter;

void skv__leveliter_init(SkvLevelIter *it, skv_db *db, SkvFileMeta *const *files, size_t n);
void skv__leveliter_free(SkvLevelIter *it);
int skv__leveliter_valid(const SkvLevelIter *it);
int skv__leveliter_status(const SkvLevelIter *it);
void skv__leveliter_entry(const SkvLevelIter *it, SkvSstEntry *e);
void skv__leveliter_first(SkvLevelIter *it);
void skv__leveliter_last(SkvLevelIter *it);
void skv__leveliter_next(SkvLevelIter *it);
void skv__leveliter_prev(SkvLevelIter *it);
/* first entry >= (key, seq) / last entry < (key, seq), in internal order */
void skv__leveliter_seek(SkvLevelIter *it, const void *key, size_t klen, uint64_t seq);
void skv__leveliter_seek_before(SkvLevelIter *it, const void *key, size_t klen, uint64_t seq);
/* 0 when no file of the level can hold a version of key with sequence <= snap (key outside
 * every file's range, a file newer than snap, or its bloom filter says absent), else 1. */
int skv__leveliter_may_contain(SkvLevelIter *it, const void *key, size_t klen, uint64_t snap);
/* The ts_ordered property of the open file (0 when none is open). */
int skv__leveliter_ts_ordered(const SkvLevelIter *it);

typedef struct {
    int type;
    uint64_t snap;
    /* CHILD_MEM */
    SkvMemIter mi;
    /* CHILD_TABLES: a level-0 file, or all the files of a deeper level */
    SkvLevelIter li;
    /* CHILD_WRITES: sorted latest writes */
    const SkvWrite *ws;
    size_t nws, pos;
    int valid;
    SkvMemEntry cur; /* the current key's newest visible version in this child */
    uint8_t *kbuf;   /* a copy of a key the child seeks to from its own position */
    size_t kcap;
} IterChild;

/* Positions on the first key >= key (> key when strict); NULL key = the first key. */
void skv__child_seek_ge(IterChild *c, const void *key, size_t klen, int strict);
/* Positions on the last key <= key (< key when strict); NULL key = the last key. */
void skv__child_seek_le(IterChild *c, const void *key, size_t klen, int strict);
/* From the child's current key (passed in, held by the caller), on to the next key: the
 * same as skv__child_seek_ge(key, strict) but by stepping. */
void skv__child_next(IterChild *c, const void *key, size_t klen);
/* From the child's current key (passed in, held by the caller), back to the previous key: the
 * same as skv__child_seek_le(key, strict) but by stepping. */
void skv__child_prev(IterChild *c, const void *key, size_t klen);
/* SKV_OK, or the read error a table child met (the child is then invalid). */
int skv__child_status(const IterChild *c);

/* For reads of one key: positions on key's newest visible version (cur), or leaves the child
 * invalid when it has none (table files are skipped by key range and bloom filter). */
void skv__child_seek_key(IterChild *c, const void *key, size_t klen);
/* From a version of key (cur), on to the key's next older version: 1 with cur, or 0 (the
 * child is then invalid) when there is none. A writes child holds one version per key. */
int skv__child_next_version(IterChild *c, const void *key, size_t klen);
/* 1 when the child's source keeps every key's timestamps in commit order (see
 * skv__mem_ts_ordered, SkvSstProps.ts_ordered): for a table child, the file it stands in. */
int skv__child_ts_ordered(const IterChild *c);

/* The children of a merged read of view v at snapshot snap: kids[0] an empty writes child,
 * then one per memtable (newest first), one per level-0 file, one per non-empty deeper
 * level. Free with skv__children_free. SKV_ENOMEM. */
int skv__children_new(skv_db *db, const SkvView *v, uint64_t snap, IterChild **out, size_t *n);
void skv__children_free(IterChild *kids, size_t n);

#endif /* SKV_DB_ITER_CHILD_H */
