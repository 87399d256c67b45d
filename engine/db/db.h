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
#include "cache/cache.h"
#include "env/env.h"
#include "manifest/manifest.h"
#include "mem/mem.h"
#include "sst/sst.h"
#include "txn/txn.h"
#include "vlog/vlog.h"
#include "wal/wal.h"

typedef struct {
    size_t max_memtable_size;
    int wal_recovery_mode; /* SKV_WAL_TOLERATE_TAIL or SKV_WAL_ABSOLUTE */
    int flush_on_close;
    size_t conflict_window;
    int create_if_missing;
    /* tables */
    size_t block_size;
    size_t index_partition_size;
    int block_restart_interval;
    int filter_bits_per_key;
    int compression[SKV_MAX_LEVELS]; /* SKV_SST_COMPRESS_* per level */
    int zstd_level;
    size_t block_cache_capacity;
    int level_count;
    int level0_max_files;
    uint64_t max_bytes_for_level;
    double level_multiplier;
    int memtable_stall_threshold;
    int l0_stall_threshold;
    uint64_t target_file_size;
    int max_open_files;
    int mmap_reads; /* map table files and read uncompressed blocks in place */
    /* versioning: history kept by compaction, served by get_at and history iterators */
    int enable_versioning;
    uint64_t versioned_history_retention_ns; /* 0 = forever */
    int enable_versioned_index;              /* accepted, no effect (needs versioning) */
    /* value log (db_vlog.c) */
    int enable_vlog;
    uint64_t vlog_value_threshold; /* values longer than this go to the value log */
    uint64_t vlog_max_file_size;
    int vlog_checksum_verification;
    double vlog_gc_discard_ratio; /* a file with more dead bytes than this fraction is rewritten */
    /* tests: no background thread; flushes and compactions run inside the commit that fills
     * a memtable, so every file operation happens in a reproducible order */
    int bg_inline;
} SkvDbOptions;

void skv__db_options_default(SkvDbOptions *o);

/* What a reader sees: the memtables, newest first (mems[0] is the active one), each with the
 * log segment that holds its entries, and the version of the table files. Immutable once
 * published; refcounted (db_view.c). */
typedef struct {
    SkvMemtable *mem;
    uint64_t wal; /* the log segment holding its entries */
    /* set when it became immutable: its highest sequence and commit timestamp */
    uint64_t last_seq, last_ts;
} SkvViewMem;

typedef struct SkvViewLink {
    struct SkvViewLink *prev, *next;
} SkvViewLink;

typedef struct SkvView {
    SkvViewLink link; /* first: the database's list of live views (views_mu) */
    _Atomic long refs;
    skv_db *db;
    SkvVersion *version;
    size_t n;
    SkvViewMem mems[];
} SkvView;

/* A new view with room for n memtables (refs 1, no memtables or version referenced yet),
 * linked into the database's list of live views. */
SkvView *skv__view_new(skv_db *db, size_t n);
/* A new view: `front` (if any, taken over) followed by the first `keep` memtables of cur
 * (referenced), with `version` (taken over; NULL allowed). NULL when out of memory (front
 * is then still the caller's, version released). */
SkvView *skv__view_derive(skv_db *db, const SkvView *cur, SkvMemtable *front, size_t keep,
                          SkvVersion *version);
SkvView *skv__view_acquire(skv_db *db);
void skv__view_release(SkvView *v);
/* Replaces the published view (call with view_mu held); takes over the caller's reference
 * to v and returns the old view, which the caller releases after unlocking view_mu. */
SkvView *skv__view_publish(skv_db *db, SkvView *v);

typedef struct SkvCommitReq SkvCommitReq;
typedef struct SkvDbVlog SkvDbVlog;

struct skv_db {
    SkvEnv *env;
    char *path, *wal_dir;
    SkvDbOptions opt;
    SkvFileLock *lock;
    _Atomic long refs;  /* the user's handle + every live transaction and iterator */
    _Atomic int closed; /* skv_close has begun */

    SkvMutex view_mu; /* guards the view pointer and every change of it */
    SkvView *view;
    SkvMutex views_mu;      /* guards the list of live views */
    SkvViewLink live_views; /* sentinel */
    SkvMemtable *active;    /* the memtable commits go to (commit leader only) */

    /* tables (db_table.c) */
    SkvVersionSet *vset;
    SkvCache *block_cache;
    SkvCache *table_cache; /* open table readers by file number */

    /* background flush and compaction (db_bg.c) */
    SkvMutex bg_mu;
    SkvCond bg_cv; /* work to do, or work done */
    int bg_stop;
    int bg_manual;      /* a full compaction was asked for */
    int bg_manual_done; /* counts finished full compactions */
    SkvThread *bg;
    int bg_paused;             /* skv__bg_pause calls not yet resumed: no new job starts */
    int bg_busy;               /* the thread is running a job */
    uint64_t stall_ns, stalls; /* bg_mu */
    _Atomic uint64_t flush_bytes, compact_read_bytes, compact_write_bytes, flushes, compactions;
    _Atomic int bg_error;                  /* a failed flush or compaction (also latches fatal) */
    size_t compact_cursor[SKV_MAX_LEVELS]; /* the next file of each level to compact */

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

    /* checkpoint, restore and check (db_checkpoint.c, db_restore.c, db_check.c) */
    int maint_busy;                 /* one of them is running (commit_mu); close waits */
    _Atomic uint64_t restores;      /* restores so far: transactions begun before fail */
    _Atomic uint64_t wal_keep_from; /* log segments from this number are kept (0: none) */
    SkvDbVlog *vlog;                /* the value log's files, references and writer (db_vlog.c) */
};

enum { SKV_TXN_OPEN = 0, SKV_TXN_ENDED = 1 };

struct skv_txn {
    skv_db *db;
    int mode, durability;
    int state;
    uint64_t epoch;    /* db->restores at begin: a restore since then ends it (SKV_ECLOSED) */
    _Atomic long refs; /* the user's handle + its iterators */
    SkvWriteSet ws;
    SkvSnapshot *snap; /* registered while the transaction is open (owned by the commit
                          request once submitted, until its conflict check) */
    SkvView *view;     /* NULL for write-only transactions */
    SkvSstPin pin;     /* keeps the block of the last value read from a table */
    uint8_t *at_buf;   /* the value of the last skv_txn_get_at */
    size_t at_cap;
    SkvVlogBuf vbuf; /* holds the last value read from the value log */
};

/* ---- db_open.c ---- */
int skv__db_open(const char *path, const SkvDbOptions *opt, SkvEnv *env, skv_db **out);
int skv__db_close(skv_db *db);
void skv__db_unref(skv_db *db); /* frees the handle with its last reference */
int skv__db_sync(skv_db *db);

/* The format marker of the database directory dir: SKV_OK, SKV_NOTFOUND when it has none,
 * SKV_ECORRUPT when unreadable, SKV_EVERSION when newer than this library. */
int skv__db_read_format(SkvEnv *env, const char *dir);
/* Writes the format marker (temporary name, fsync, rename, directory fsync): the last step
 * of creating a database or a checkpoint. */
int skv__db_write_format(SkvEnv *env, const char *dir);

/* ---- db_recover.c ---- */
/* Replays the log segments the manifest still needs into new memtables (*mems, oldest
 * first; the caller owns them), sets next_seq, last_ts and wal_number (the highest segment
 * number in use), cuts a torn tail off the last segment and removes older segments. */
int skv__db_recover(skv_db *db, SkvMemtable ***mems, size_t *nmems);
/* What replaying a log directory found. */
typedef struct {
    SkvMemtable **mems; /* oldest first; the caller owns them */
    size_t n;
    uint64_t next_seq; /* the sequence after the last record (0 when none) */
    uint64_t last_ts;  /* the highest commit timestamp (0 when none) */
    uint64_t last_wal; /* the highest segment number in the directory (0 when none) */
} SkvLogReplay;
/* Replays the segments numbered >= log_number of the log directory wal_dir, in number order,
 * into new memtables of at most the database's memtable size, under its recovery mode. With
 * cut_tail a torn tail of the last segment is cut off (truncate + fsync); without, nothing
 * is written. On failure nothing is returned (out is left empty). */
int skv__db_replay_log(skv_db *db, const char *wal_dir, uint64_t log_number, int cut_tail,
                       SkvLogReplay *out);
void skv__db_replay_free(SkvLogReplay *r);
/* Segment file name of number n inside the log directory (malloc'ed). */
char *skv__db_wal_path(const skv_db *db, uint64_t n);
/* The same inside any log directory. */
char *skv__db_wal_path_in(const char *wal_dir, uint64_t n);
/* 1 and the number when name is a log segment's ("<20 digits>.log"). */
int skv__db_parse_wal_name(const char *name, uint64_t *n);

/* ---- db_commit.c ---- */
int skv__commit_start(skv_db *db); /* starts the engine thread */
/* Makes the active memtable immutable now (if it holds anything), as the commit leader. */
int skv__commit_switch_now(skv_db *db);
void skv__commit_stop(skv_db *db); /* waits for every pending commit and callback */
/* Holds the commit pipeline: waits until no group is being written, then keeps every other
 * committer from leading (they queue) until skv__commit_release. The visible sequence, the
 * active log segment and memtable stay as they are meanwhile. */
void skv__commit_hold(skv_db *db);
void skv__commit_release(skv_db *db);
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

/* ---- db_iter_child.c ---- */
/* Copies n bytes into *buf (grown as needed); returns the copy, or NULL when out of memory. */
const uint8_t *skv__hold_key(uint8_t **buf, size_t *cap, const void *key, size_t n);

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
/* The current entry: SKV_OK or SKV_NOTFOUND when not positioned. val NULL: the key only;
 * otherwise a value in the value log is read now (SKV_ECORRUPT, SKV_EIO, SKV_ENOMEM). */
int skv__iter_entry(skv_iter *it, const void **key, size_t *klen, const void **val, size_t *vlen);
int skv__iter_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes, const void **buf,
                         size_t *len, size_t *count);
void skv__iter_free(skv_iter *it);

/* ---- db_table.c ---- */
char *skv__db_table_path(const skv_db *db, uint64_t number);
void skv__db_sst_options(const skv_db *db, int level, SkvSstOptions *o);
/* The open reader of a table (opened on first use, kept in the table cache); release the
 * handle with skv__db_table_release. */
int skv__db_table_get(skv_db *db, uint64_t number, SkvSstReader **r, SkvCacheHandle **h);
void skv__db_table_release(skv_db *db, SkvCacheHandle *h);
/* The newest version of key with seq <= snap in the view's memtables, then its tables:
 * SKV_OK with *e (views valid while *pin is held), SKV_NOTFOUND, or a read error. */
int skv__view_get_any(skv_db *db, const SkvView *v, const void *key, size_t klen, uint64_t snap,
                      SkvMemEntry *e, SkvSstPin *pin);
/* The metadata of a finished table file (pointing at the props' keys, not copying them). */
SkvFileMeta skv__db_file_meta(uint64_t number, const SkvSstProps *p);
/* Writes a memtable to a new level-0 table; fills meta (number, keys...) on success. A
 * memtable with no entries gives SKV_NOTFOUND (no file). */
int skv__db_write_level0(skv_db *db, SkvMemtable *m, SkvFileMeta *meta);
/* The sorted numbers of every table file some live view (or the current version) needs, in
 * a malloc'ed array. */
int skv__db_live_numbers(skv_db *db, uint64_t **out, size_t *count);
/* Deletes table files that no live view needs any more, and stray files from a crash. */
void skv__db_delete_obsolete(skv_db *db);

/* ---- db_bg.c ---- */
/* Removes log segments numbered below `below` (their memtables are all in tables), but none
 * at or above wal_keep_from while that is set. */
void skv__db_delete_segments(skv_db *db, uint64_t below);
/* Lets the running flush or compaction finish and starts no other until skv__bg_resume
 * (calls nest). With bg_inline nothing runs in the background: no-ops. */
void skv__bg_pause(skv_db *db);
void skv__bg_resume(skv_db *db);
int skv__bg_start(skv_db *db);
void skv__bg_stop(skv_db *db);
void skv__bg_wake(skv_db *db);
/* Blocks (counting the stall) while immutable memtables or level-0 files are over their
 * thresholds; returns the background error, if any. Called by the commit leader. */
int skv__bg_wait_for_room(skv_db *db);
/* With bg_inline: does all pending flushes and compactions now (commit leader). */
int skv__bg_run_inline(skv_db *db);
/* skv_flush and skv_compact. */
int skv__db_flush(skv_db *db);
int skv__db_compact(skv_db *db);

/* ---- db_compact.c ---- */
/* Picks and runs one compaction if a level is over its size or file-count target (or, with
 * manual, compacts everything into the last level). Returns SKV_NOTFOUND when there was
 * nothing to do. Called by the background thread only. */
int skv__compact_run(skv_db *db, int manual);
/* The score of the neediest level (>= 1 means a compaction is due). */
double skv__compact_score(const skv_db *db, const SkvVersion *v);

/* ---- db_files.c ---- */
/* One immutable data file a version needs. */
typedef struct {
    char name[32];            /* inside the database directory: "<20 digits>.sst" / ".vlog" */
    uint64_t number;          /* its file number */
    uint64_t size;            /* a table's bytes as the manifest records them; a value-log
                                 file's durable bytes (open database only, else 0) */
    int level;                /* the level of a table (-1 for a value-log file) */
    const SkvFileMeta *table; /* a table's metadata (in the version), NULL for other files */
    int vlog;                 /* a value-log file some table of the version references */
    int appending;            /* a value-log file the writer still appends to (open database) */
    uint64_t live;            /* a value-log file's record bytes the version's tables name */
} SkvDataFile;
/* Every immutable data file version v needs: its tables, level by level, then the value-log
 * files they reference (by number), in a malloc'ed array (*out NULL when there are none).
 * The references come from vl (an open database's notes; its mutex is taken) or, with vl
 * NULL, from the properties of each table in dir (a table that cannot be opened adds none).
 * Checkpoints copy exactly these, the integrity check verifies them and reports any other as
 * an orphan. */
int skv__db_data_files(SkvEnv *env, const char *dir, const SkvVersion *v, SkvDbVlog *vl,
                       SkvDataFile **out, size_t *n);
/* 1 and the number when name is a data file's name (a table's or a value-log file's). */
int skv__db_parse_data_name(const char *name, uint64_t *number);

/* ---- db_maint.c, db_checkpoint.c, db_restore.c, db_check.c ---- */
/* Marks a checkpoint, restore or check as running: SKV_EBUSY when one already is,
 * SKV_ECLOSED when the database is closed (close waits for the running one). */
int skv__db_maint_begin(skv_db *db, const char *fn);
void skv__db_maint_end(skv_db *db);
/* A consistent state of the open database (db_maint.c). */
typedef struct {
    SkvView *view;                /* referenced: its memtables and tables */
    uint64_t seq, ts;             /* the visible sequence and the last commit timestamp */
    uint64_t first_wal, last_wal; /* the log segments holding the view's memtables */
    uint64_t last_wal_size;       /* bytes of the last one (a record boundary) */
} SkvCapture;
/* Takes the capture; the commit pipeline must be held (skv__commit_hold). Until the release
 * the segments first_wal .. last_wal stay on disk (one capture at a time: maint_begin). */
void skv__db_capture(skv_db *db, SkvCapture *c);
void skv__db_capture_release(skv_db *db, SkvCapture *c);
int skv__db_checkpoint(skv_db *db, const char *dir);
int skv__db_restore(skv_db *db, const char *dir);
/* The integrity check of an open database / of the closed database in dir; *report (may be
 * NULL) receives the malloc'ed report whenever the check ran. */
int skv__db_check(skv_db *db, char **report);
int skv__db_check_dir(SkvEnv *env, const char *dir, const SkvDbOptions *opt, char **report);

/* ---- db_property.c ---- */
int skv__db_property(skv_db *db, const char *name, char **value);

#endif /* SKV_DB_H */
