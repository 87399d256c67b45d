/*
 * db_iter_child.h — the sources merged by a database iterator (db_iter_child.c).
 */
#ifndef SKV_DB_ITER_CHILD_H
#define SKV_DB_ITER_CHILD_H

#include "db/db.h"

enum { CHILD_WRITES, CHILD_MEM, CHILD_TABLE };

typedef struct {
    int type;
    uint64_t snap;
    /* CHILD_MEM */
    SkvMemIter mi;
    /* CHILD_TABLE: the reader is pinned in the table cache while the child lives */
    SkvSstIter *ti;
    SkvCacheHandle *table;
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
/* SKV_OK, or the read error a table child met (the child is then invalid). */
int skv__child_status(const IterChild *c);

#endif /* SKV_DB_ITER_CHILD_H */
