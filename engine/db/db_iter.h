/*
 * db_iter.h — the iterator handle (skv_iter of skv.h) shared by the plain iterator
 * (db_iter.c) and the history iterator (db_history.c): the transaction, bounds, view, a copy
 * of the transaction's writes and the merged children; `hist` marks a history iterator.
 */
#ifndef SKV_DB_ITER_H
#define SKV_DB_ITER_H

#include "db/db_iter_child.h"
#include "db/db_vlog.h"

enum { POS_NONE, POS_VALID, POS_END };

typedef struct SkvHistory SkvHistory;

struct skv_iter {
    skv_txn *txn;
    unsigned flags;
    uint8_t *lo, *hi; /* NULL = unbounded */
    size_t lolen, hilen;
    SkvView *view;
    SkvWrite *ws; /* the transaction's writes at open, sorted; keys/values in ws_data */
    uint8_t *ws_data;
    IterChild *kids; /* kids[0]: the writes */
    size_t nkids;
    /* after a merge in direction dir: the winning child, the best of the others (NULL when
     * none is valid) and whether that one holds the same key (a tie) */
    IterChild *best, *second;
    int ties;
    int pos;
    int dir; /* 1 after forward moves, -1 after backward ones (physical order) */
    SkvMemEntry cur;
    uint8_t *kbuf; /* a copy of the key the children move away from */
    size_t kcap;
    uint8_t *batch;
    size_t batch_cap;
    SkvHistory *hist; /* NULL unless opened by skv_txn_history */
    SkvVlogBuf vbuf;  /* the current value when it came from the value log */
};

/* A new iterator over [lo, hi) of txn (bounds copied, NULL = unbounded) with its children and
 * a copy of the transaction's latest writes; unpositioned. SKV_ENOMEM. */
int skv__iter_setup(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                    unsigned flags, skv_iter **out);

#endif /* SKV_DB_ITER_H */
