/*
 * db.h — the database: options, the handle shared by transactions and iterators, the view
 * of memtables readers use, the commit pipeline, recovery and close. The public handle types
 * of skv.h (skv_db, skv_txn, skv_iter) are defined here; capi/ checks arguments and handle
 * states and calls these functions.
 */
#ifndef SKV_DB_H
#define SKV_DB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "env/env.h"
#include "mem/mem.h"
#include "txn/txn.h"
#include "wal/wal.h"

typedef struct {
    size_t max_memtable_size;
    int wal_recovery_mode; /* SKV_WAL_TOLERATE_TAIL or SKV_WAL_ABSOLUTE */
    int flush_on_close;
    size_t conflict_window;
    int create_if_missing;
} SkvDbOptions;

void skv__db_options_default(SkvDbOptions *o);

/* What a reader sees: the memtables, newest first. Immutable once published; refcounted. */
typedef struct {
    _Atomic long refs;
    size_t n;
    SkvMemtable *mems[];
} SkvView;

SkvView *skv__view_acquire(skv_db *db);
void skv__view_release(SkvView *v);

typedef struct SkvCommitReq SkvCommitReq;

struct skv_db {
    SkvEnv *env;
    char *path, *wal_dir;
    SkvDbOptions opt;
    SkvFileLock *lock;
    _Atomic long refs;  /* the user's handle + every live transaction and iterator */
    _Atomic int closed; /* skv_close has begun */

    SkvMutex view_mu;
    SkvView *view;

    _Atomic uint64_t visible_seq; /* highest sequence readers may see */
    uint64_t next_seq;            /* next sequence to assign (commit leader only) */
    uint64_t last_ts;             /* last commit timestamp (commit leader only) */
    _Atomic uint64_t published_ts;
    SkvSnapshots snaps;

    /* commit pipeline (db_commit.c) */
    SkvMutex commit_mu;
    SkvCond commit_cv; /* a commit finished or leadership is free */
    SkvCond worker_cv; /* work for the engine thread */
    SkvCommitReq *q_head, *q_tail;
    SkvCommitReq *done_head, *done_tail; /* finished async commits awaiting their callback */
    int leader_active;
    int async_pending; /* submitted async commits whose callback has not returned */
    int worker_stop;
    SkvThread *worker;
    SkvOracle *oracle;
    SkvWalWriter *wal;
    uint64_t wal_number;
    size_t wal_segments;
    _Atomic int fatal; /* the error that latched the database, 0 if none */
};

enum { SKV_TXN_OPEN = 0, SKV_TXN_ENDED = 1 };

struct skv_txn {
    skv_db *db;
    int mode, durability;
    int state;
    _Atomic long refs; /* the user's handle + its iterators */
    SkvWriteSet ws;
    SkvSnapshot *snap; /* registered while the transaction is open (owned by the commit
                          request once submitted, until its conflict check) */
    SkvView *view;     /* NULL for write-only transactions */
    const void *get_buf;
};

/* ---- db_open.c ---- */
int skv__db_open(const char *path, const SkvDbOptions *opt, SkvEnv *env, skv_db **out);
int skv__db_close(skv_db *db);
void skv__db_unref(skv_db *db); /* frees the handle with its last reference */
int skv__db_sync(skv_db *db);

/* ---- db_recover.c ---- */
/* Replays every log segment into memtables (publishing db->view), sets next_seq, last_ts
 * and wal_number (the highest segment number found), and cuts a torn tail off the last
 * segment. */
int skv__db_recover(skv_db *db);
/* Segment file name of number n inside the log directory (malloc'ed). */
char *skv__db_wal_path(const skv_db *db, uint64_t n);

/* ---- db_commit.c ---- */
int skv__commit_start(skv_db *db); /* starts the engine thread */
void skv__commit_stop(skv_db *db); /* waits for every pending commit and callback */
/* Commits the transaction's writes (blocking) or submits them (cb != NULL). */
int skv__commit(skv_txn *txn, skv_commit_cb cb, void *user_data);

/* ---- db_txn.c ---- */
int skv__txn_begin(skv_db *db, int mode, skv_txn **out);
int skv__txn_get(skv_txn *txn, const void *key, size_t klen, const void **val, size_t *vlen);
/* Ends the transaction: releases its snapshot, view and writes. */
void skv__txn_end(skv_txn *txn);
void skv__txn_unref(skv_txn *txn);
/* Newest visible version of key with seq <= snap across the view: SKV_OK with *e, or
 * SKV_NOTFOUND. */
int skv__view_get(const SkvView *v, const void *key, size_t klen, uint64_t snap, SkvMemEntry *e);

/* ---- db_iter.c ---- */
int skv__iter_open(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                   unsigned flags, skv_iter **out);
skv_txn *skv__iter_txn(const skv_iter *it);
/* Positioning in iteration order: SKV_OK or SKV_NOTFOUND. */
int skv__iter_first(skv_iter *it);
int skv__iter_last(skv_iter *it);
int skv__iter_seek(skv_iter *it, const void *key, size_t klen);
int skv__iter_next(skv_iter *it);
int skv__iter_prev(skv_iter *it);
/* The current entry: SKV_OK or SKV_NOTFOUND when not positioned. */
int skv__iter_entry(const skv_iter *it, const void **key, size_t *klen, const void **val,
                    size_t *vlen);
int skv__iter_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes, const void **buf,
                         size_t *len, size_t *count);
void skv__iter_free(skv_iter *it);

/* ---- db_property.c ---- */
int skv__db_property(skv_db *db, const char *name, char **value);

#endif /* SKV_DB_H */
