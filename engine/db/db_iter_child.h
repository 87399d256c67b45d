/*
 * db_iter_child.h — the sources merged by a database iterator (db_iter_child.c).
 */
#ifndef SKV_DB_ITER_CHILD_H
#define SKV_DB_ITER_CHILD_H

#include "db/db.h"

typedef struct {
    const SkvMemtable *mem; /* a memtable child, or NULL for the write-set child */
    SkvMemIter mi;
    uint64_t snap;
    const SkvWrite *ws; /* write-set child: sorted latest writes */
    size_t nws, pos;
    int valid;
    SkvMemEntry cur; /* the current key's winning version in this child */
} IterChild;

/* Positions on the first key >= key (> key when strict); NULL key = the first key. */
void skv__child_seek_ge(IterChild *c, const void *key, size_t klen, int strict);
/* Positions on the last key <= key (< key when strict); NULL key = the last key. */
void skv__child_seek_le(IterChild *c, const void *key, size_t klen, int strict);

#endif /* SKV_DB_ITER_CHILD_H */
