/*
 * db_history.h — time travel inside the db module: walking one user key's versions across
 * the children of a merged read (db_versions.c), history iterators (db_history.c) and
 * point-in-time reads (db_get_at.c).
 */
#ifndef SKV_DB_HISTORY_H
#define SKV_DB_HISTORY_H

#include "db/db_iter.h"

/* ---- one key's versions (db_versions.c) ----
 * The children standing on `key` (at its newest visible version: after skv__child_seek_key,
 * or after a merged seek that landed on key) are merged in commit order, newest first: the
 * transaction's own write, then by sequence number. A hard delete ends the walk unreported
 * (it erased everything older); a replace is reported and ends it. */
typedef struct {
    IterChild *kids;
    size_t n;
    const uint8_t *key; /* held by the caller for the whole walk */
    size_t klen;
    size_t last; /* the child of the version reported last; n when none */
    int done;
} SkvVersionWalk;

/* Starts a walk; children not standing on key are marked invalid. */
void skv__vwalk_start(SkvVersionWalk *w, IterChild *kids, size_t n, const void *key, size_t klen);
/* SKV_OK with the next version in *e (views valid until the next call), SKV_NOTFOUND when
 * there is none, or the read error a table child met. */
int skv__vwalk_next(SkvVersionWalk *w, SkvMemEntry *e);

enum { SKV_VWALK_UNKNOWN = 0, SKV_VWALK_BOUNDED = 1, SKV_VWALK_NONE_LEFT = 2 };
/* What the versions not yet reported can hold: SKV_VWALK_BOUNDED with *max_ts >= each of
 * their timestamps (every source holding them keeps timestamps in commit order),
 * SKV_VWALK_NONE_LEFT, or SKV_VWALK_UNKNOWN. */
int skv__vwalk_bound(const SkvVersionWalk *w, uint64_t *max_ts);

/* ---- history iterators (db_history.c) ---- */
int skv__hist_open(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                   uint64_t ts_from, uint64_t ts_to, unsigned flags, size_t limit, skv_iter **out);
void skv__hist_free(SkvHistory *h);
int skv__hist_first(skv_iter *it);
int skv__hist_last(skv_iter *it);
int skv__hist_seek(skv_iter *it, const void *key, size_t klen);
int skv__hist_next(skv_iter *it);
int skv__hist_prev(skv_iter *it);
int skv__hist_pos(const skv_iter *it); /* POS_NONE, POS_VALID or POS_END */
int skv__hist_entry(const skv_iter *it, const void **key, size_t *klen, const void **val,
                    size_t *vlen);
/* The current version's timestamp and public kind: SKV_OK or SKV_NOTFOUND. */
int skv__hist_version(const skv_iter *it, uint64_t *ts, int *kind);

/* ---- point-in-time reads (db_get_at.c) ---- */
int skv__txn_get_at(skv_txn *txn, const void *key, size_t klen, uint64_t ts, const void **val,
                    size_t *vlen);

#endif /* SKV_DB_HISTORY_H */
