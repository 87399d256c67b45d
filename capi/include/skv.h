/*
 * skv.h — the one public header of skv, a versioned, embedded, transactional key-value store.
 *
 * Contract (applies to every function below):
 *
 * Errors. Every fallible function returns int: SKV_OK (0) or a negative code from
 * SKV_ERRNO_MAP. Codes are never renumbered. skv_errname() gives the stable name of a code,
 * skv_strerror() a static English text. When a call fails, skv_errmsg() returns a detail
 * message (naming the option, file, offset...) for the most recent failing call *on the
 * calling thread*; it stays valid until the next skv call on that thread. Read it in the same
 * native call sequence (bindings read it inside the same foreign call) before calling skv
 * again. On failure every out-pointer is set to NULL / 0.
 *
 * Threading. An skv_db may be used from many threads at once. A transaction or an iterator
 * may be used by one thread at a time, but it is not tied to an OS thread: any thread may
 * continue it. No engine lock is held between calls.
 *
 * Memory. Inputs are borrowed for the duration of the call and never retained. Returned keys
 * and values are views that stay valid until the next call on the same handle (or its end).
 * Anything the library allocates for the caller is released with skv_free().
 *
 * Callbacks take user_data first. An async-commit callback runs exactly once, on an engine
 * thread, with no engine lock held, never inside the call that registered it, and never after
 * skv_close() has returned. A scan callback runs on the caller's thread inside the scan call.
 *
 * Lifecycle. skv_close() with live transactions or iterators never crashes: the database
 * stops accepting work, live children answer SKV_ECLOSED, and memory is released when the
 * last child is freed. Use after *free* is the caller's bug; use after close or commit is a
 * clean SKV_ECLOSED.
 *
 * Durability. A commit with SKV_DURABILITY_IMMEDIATE returns only after its write-ahead-log
 * record has been fsynced. SKV_DURABILITY_EVENTUAL hands the record to the OS before the
 * commit returns (it survives a process crash, not a power loss) until skv_sync().
 * After a write or fsync of the log fails, the database latches: later commits return
 * SKV_EFATAL until it is closed and reopened; reads keep working.
 *
 * Every function that takes a handle returns SKV_EINVAL when the handle (or a required
 * pointer argument) is NULL, unless documented otherwise.
 */
#ifndef SKV_H
#define SKV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SKV_STATIC)
#define SKV_API
#elif defined(_WIN32)
#define SKV_API __declspec(dllexport)
#else
#define SKV_API __attribute__((visibility("default")))
#endif

/* ---- version ---------------------------------------------------------------------------- */

#define SKV_VERSION_MAJOR 0
#define SKV_VERSION_MINOR 1
#define SKV_VERSION_PATCH 0
#define SKV_VERSION_NUMBER 100 /* MAJOR*10000 + MINOR*100 + PATCH */
#define SKV_VERSION_STRING "0.1.0"
#define SKV_ABI_VERSION 1 /* the SONAME major: libskv.so.1 */

/* ---- errors ----------------------------------------------------------------------------- */

/* XX(NAME, number, text): the frozen list of codes. Names are "SKV_" + NAME. */
#define SKV_ERRNO_MAP(XX)                                                                          \
    XX(NOTFOUND, -1, "not found")                                                                  \
    XX(EINVAL, -2, "invalid argument")                                                             \
    XX(ENOMEM, -3, "out of memory")                                                                \
    XX(EIO, -4, "input/output error")                                                              \
    XX(ENOSPC, -5, "no space left on device")                                                      \
    XX(ECORRUPT, -6, "data is corrupt")                                                            \
    XX(ECONFLICT, -7, "write conflict: another transaction committed this key first")              \
    XX(ERETRY, -8, "snapshot too old for conflict checking: retry the transaction")                \
    XX(ECLOSED, -9, "database closed, or transaction or iterator already ended")                   \
    XX(EREADONLY, -10, "transaction is read-only")                                                 \
    XX(EWRITEONLY, -11, "transaction is write-only")                                               \
    XX(ENOSAVEPOINT, -12, "no savepoint to roll back to")                                          \
    XX(EEMPTYKEY, -13, "empty key")                                                                \
    XX(ETOOBIG, -14, "key, value or transaction too large")                                        \
    XX(ELOCKED, -15, "database directory is in use by another handle or process")                  \
    XX(EBUSY, -16, "resource busy")                                                                \
    XX(ENOTSUP, -17, "operation not supported with these options")                                 \
    XX(EVERSION, -18, "ABI or on-disk format version mismatch")                                    \
    XX(EFATAL, -19, "a failed log write or fsync latched the database: reopen it")

#define SKV__ERRNO_ENUM(name, num, text) SKV_##name = (num),
enum skv_error { SKV_OK = 0, SKV_ERRNO_MAP(SKV__ERRNO_ENUM) };
#undef SKV__ERRNO_ENUM

/* ---- constants -------------------------------------------------------------------------- */

enum skv_txn_mode { SKV_TXN_READ_WRITE = 0, SKV_TXN_READ_ONLY = 1, SKV_TXN_WRITE_ONLY = 2 };
enum skv_durability { SKV_DURABILITY_EVENTUAL = 0, SKV_DURABILITY_IMMEDIATE = 1 };
enum skv_iter_flags { SKV_ITER_REVERSE = 1, SKV_ITER_KEYS_ONLY = 2 };
enum skv_limits {
    SKV_MAX_KEY_SIZE = 65535,      /* bytes; longer keys give SKV_ETOOBIG */
    SKV_MAX_VALUE_SIZE = 268435456 /* 256 MiB; longer values give SKV_ETOOBIG */
};

typedef struct skv_options skv_options;
typedef struct skv_db skv_db;
typedef struct skv_txn skv_txn;
typedef struct skv_iter skv_iter;

/* ---- version and errors ----------------------------------------------------------------- */

/* SKV_VERSION_NUMBER of the library at run time. Never fails. */
SKV_API unsigned skv_version_number(void);
/* SKV_VERSION_STRING of the library at run time ("0.1.0"). Never fails. */
SKV_API const char *skv_version_string(void);
/* SKV_ABI_VERSION the library was built with; bindings compare it with their header's. */
SKV_API unsigned skv_abi_version(void);
/* The stable name of a code ("SKV_ECONFLICT", "SKV_OK"); "SKV_UNKNOWN" for any other int. */
SKV_API const char *skv_errname(int code);
/* A static English text for any int ("unknown error" for unknown codes). */
SKV_API const char *skv_strerror(int code);
/* Detail of the most recent failure on this thread ("" when none). Valid until the next skv
 * call on this thread. Never NULL. */
SKV_API const char *skv_errmsg(void);
/* Frees memory the library allocated for the caller (skv_property values). NULL is a no-op. */
SKV_API void skv_free(void *p);

/* ---- options ---------------------------------------------------------------------------- */

/* A fresh option set with every default. Errors: SKV_EINVAL (out NULL), SKV_ENOMEM. */
SKV_API int skv_options_new(skv_options **out);

/* Set one option by its snake_case name; the value is text. Sizes are plain byte counts,
 * booleans "true"/"false". Options (default):
 *   max_memtable_size (67108864)   bytes of one memtable; also bounds one transaction
 *                                  (4096 .. 4294967295)
 *   wal_recovery_mode (tolerate_corrupted_tail) | absolute_consistency
 *   flush_on_close (true)          make every commit durable (fsync) at skv_close
 *   conflict_window (1000000)      written keys the conflict checker remembers beyond what
 *                                  live snapshots need; a transaction whose snapshot is older
 *                                  than what it forgot gets SKV_ERETRY (1 .. 2^32-1)
 *   create_if_missing (true)       create the directory when it does not exist
 *   block_size (4096)              target bytes of a table data block (256 .. 64 MiB)
 *   block_restart_interval (16)    keys between restart points in a block (1 .. 1024)
 *   index_partition_size (16384)   a table index larger than this is split into partitions
 *                                  read on demand; 0 = never
 *   filter_bits_per_key (10)       bloom filter bits per key; 0 = no filter (0 .. 100)
 *   compression (none,none,zstd)   none | zstd, or a comma list per level (the last repeats)
 *   zstd_level (1)                 1 .. 19
 *   block_cache_capacity (67108864) bytes of table blocks kept in memory; 0 = none
 *   level_count (7)                levels of the tree, 2 .. 16
 *   level0_max_files (4)           level-0 files that trigger a compaction into level 1
 *   max_bytes_for_level (268435456) target bytes of level 1
 *   level_multiplier (10)          each deeper level's target is this many times larger
 *   memtable_stall_threshold (2)   commits wait while this many memtables await flushing
 *   l0_stall_threshold (12)        commits wait while level 0 has this many files
 *                                  (must be >= level0_max_files)
 *   target_file_size (33554432)    compaction output files are cut near this size
 *   max_open_files (1000)          table files kept open (16 .. 1000000)
 *   enable_versioning (false)      keep the history of every key for skv_txn_get_at and
 *                                  skv_txn_history (without it they give SKV_ENOTSUP)
 *   versioned_history_retention_ns (0) with versioning: compaction keeps every version whose
 *                                  timestamp is at most this many ns old, and per key the
 *                                  newest older one (in effect when that window began);
 *                                  0 = forever
 *   enable_versioned_index (false) accepted for SurrealKV compatibility and changes nothing:
 *                                  history is always served from the tree itself, which
 *                                  gives the same cost bound; true needs enable_versioning
 * Value log (values kept outside the tables; README "Value log"):
 *   enable_vlog (false)            values longer than vlog_value_threshold go to the value
 *                                  log when a memtable is flushed
 *   vlog_value_threshold (1024)    bytes (0 .. 268435456)
 *   vlog_max_file_size (268435456) bytes of one value-log file (4096 .. 2^40)
 *   vlog_checksum_verification (true)  check each value's checksums when it is read
 *   vlog_gc_discard_ratio (0.5)    compaction rewrites a value-log file once more than this
 *                                  fraction of it is dead (0 .. 1)
 * Errors: SKV_EINVAL (NULL argument, unknown name, bad value; skv_errmsg() names it). */
SKV_API int skv_options_set(skv_options *opts, const char *name, const char *value);

/* Frees an option set. NULL is a no-op. */
SKV_API void skv_options_free(skv_options *opts);

/* ---- database --------------------------------------------------------------------------- */

/* Opens (creating if allowed) the database in directory `path`, takes an exclusive lock on it
 * and recovers every committed transaction from the write-ahead log. opts may be NULL
 * (defaults) and is not retained.
 * Errors: SKV_EINVAL (path or out NULL, empty path, path is not a directory,
 * l0_stall_threshold below level0_max_files, enable_versioned_index without
 * enable_versioning),
 * SKV_NOTFOUND (the directory does not exist and create_if_missing is false, or its parent
 * directory does not exist),
 * SKV_ELOCKED (already open in this or another process), SKV_ECORRUPT (damaged log: a record
 * that fails its checksum followed by valid ones, or any damage in absolute_consistency mode;
 * skv_errmsg() names file and offset; a missing or damaged table, a missing value-log file),
 * SKV_EVERSION (on-disk format from a newer version), SKV_EIO, SKV_ENOSPC, SKV_ENOMEM. */
SKV_API int skv_open(const char *path, const skv_options *opts, skv_db **out);

/* Closes the database: waits for pending async commits (their callbacks run before it
 * returns), makes every commit durable when flush_on_close is set, releases the lock. Live
 * transactions and iterators then answer SKV_ECLOSED; memory is released when the last of
 * them is freed. NULL is a no-op returning SKV_OK.
 * Errors: SKV_ECLOSED (already closed), SKV_EIO / SKV_ENOSPC (the final sync failed; the
 * handle is closed all the same). */
SKV_API int skv_close(skv_db *db);

/* Writes every memtable to table files (level 0) and waits until they are in the manifest;
 * afterwards the log holds nothing that is not also in a table.
 * Errors: SKV_EINVAL, SKV_ECLOSED, SKV_EFATAL (latched, or the flush failed: the database
 * latches), SKV_EIO, SKV_ENOSPC, SKV_ENOMEM. */
SKV_API int skv_flush(skv_db *db);

/* Flushes, then compacts every table into the last level, dropping every version no live
 * snapshot can see (with enable_versioning: that is also older than the retention window);
 * returns when done. Same errors as skv_flush. */
SKV_API int skv_compact(skv_db *db);

/* fsyncs the write-ahead log: every commit acknowledged so far becomes durable.
 * Errors: SKV_EINVAL, SKV_ECLOSED, SKV_EFATAL (latched), SKV_EIO (the fsync failed; the
 * database latches). */
SKV_API int skv_sync(skv_db *db);

/* A property as text in *value (free with skv_free). Names:
 *   "stats"        readable multi-line summary
 *   "sequence"     last committed sequence number
 *   "timestamp"    last commit timestamp (ns since the Unix epoch)
 *   "memtables"    number of memtables held (active + immutable)
 *   "memtable-bytes" bytes held by memtables
 *   "wal-segments" number of log segments on disk
 *   "level-files"  files per level, space separated ("2 5 0 0 0 0 0")
 *   "level-bytes"  bytes per level, space separated
 *   "vlog-files"   value-log files on disk
 *   "vlog-bytes"   their bytes
 *   "vlog-live-bytes" bytes of the records the current tables point at
 *   "vlog-gc-runs" compactions that rewrote values out of mostly dead files since open
 * Errors: SKV_EINVAL (NULL argument, unknown name), SKV_ECLOSED, SKV_ENOMEM. */
SKV_API int skv_property(skv_db *db, const char *name, char **value);

/* ---- transactions ----------------------------------------------------------------------- */

/* Begins a transaction in `mode` (SKV_TXN_*). Read-write and read-only transactions read a
 * snapshot taken now (snapshot isolation); write-only ones have no snapshot.
 * Errors: SKV_EINVAL (bad mode, NULL), SKV_ECLOSED, SKV_ENOMEM. */
SKV_API int skv_txn_begin(skv_db *db, int mode, skv_txn **out);

/* Sets how durable the commit is (SKV_DURABILITY_*). Default EVENTUAL.
 * Errors: SKV_EINVAL, SKV_ECLOSED (ended or database closed). */
SKV_API int skv_txn_set_durability(skv_txn *txn, int durability);

/* Reads the latest value of key visible to the transaction, its own writes first. *val stays
 * valid until the next call on txn. Returns SKV_OK or SKV_NOTFOUND.
 * Errors: SKV_EINVAL, SKV_EEMPTYKEY, SKV_ETOOBIG (key), SKV_EWRITEONLY, SKV_ECLOSED,
 * SKV_ECORRUPT / SKV_EIO (a table block holding the key, or its value in the value log, could
 * not be read; skv_errmsg() names the file and offset), SKV_ENOMEM. */
SKV_API int skv_txn_get(skv_txn *txn, const void *key, size_t klen, const void **val, size_t *vlen);

/* Buffers a write of key = val (empty values are allowed). Nothing is visible to other
 * transactions before commit. Errors: SKV_EINVAL (NULL pointer with a non-zero length),
 * SKV_EEMPTYKEY, SKV_ETOOBIG (key > SKV_MAX_KEY_SIZE, value > SKV_MAX_VALUE_SIZE, or the
 * transaction would no longer fit in a memtable), SKV_EREADONLY, SKV_ECLOSED, SKV_ENOMEM. */
SKV_API int skv_txn_set(skv_txn *txn, const void *key, size_t klen, const void *val, size_t vlen);

/* As skv_txn_set, with an explicit version timestamp (ns since the Unix epoch; 0 = the
 * commit's). Same errors. */
SKV_API int skv_txn_set_at(skv_txn *txn, const void *key, size_t klen, const void *val, size_t vlen,
                           uint64_t ts);

/* Hard delete: the key disappears together with its history. Same errors as skv_txn_set. */
SKV_API int skv_txn_delete(skv_txn *txn, const void *key, size_t klen);

/* Soft delete: records a tombstone version; older versions stay in the history. Same errors
 * as skv_txn_set. */
SKV_API int skv_txn_soft_delete(skv_txn *txn, const void *key, size_t klen);

/* Replace: a value that supersedes every older version of the key. Same errors as
 * skv_txn_set. */
SKV_API int skv_txn_replace(skv_txn *txn, const void *key, size_t klen, const void *val,
                            size_t vlen);

/* Pushes a savepoint (they nest). Errors: SKV_EINVAL, SKV_EREADONLY, SKV_ECLOSED,
 * SKV_ENOMEM. */
SKV_API int skv_txn_savepoint(skv_txn *txn);

/* Drops every write made since the most recent savepoint and pops it.
 * Errors: SKV_EINVAL, SKV_ENOSAVEPOINT, SKV_EREADONLY, SKV_ECLOSED. */
SKV_API int skv_txn_rollback_to_savepoint(skv_txn *txn);

/* Commits. The transaction has ended whatever this returns (free it with skv_txn_free).
 * An empty write set commits nothing and returns SKV_OK. First committer wins: when another
 * transaction committed one of the written keys after this one's snapshot, nothing is
 * written and SKV_ECONFLICT is returned.
 * Errors: SKV_EINVAL, SKV_ECLOSED, SKV_EREADONLY, SKV_ECONFLICT, SKV_ERETRY, SKV_ETOOBIG,
 * SKV_EFATAL (database latched), SKV_EIO / SKV_ENOSPC (the log write or fsync failed: the
 * database latches; the transaction is then either wholly durable or absent after reopen),
 * SKV_ENOMEM. */
SKV_API int skv_txn_commit(skv_txn *txn);

typedef void (*skv_commit_cb)(void *user_data, int status);

/* Submits the commit and returns at once. SKV_OK: cb(user_data, status) will run exactly
 * once, on an engine thread, with status as skv_txn_commit would have returned. Any other
 * return: cb never runs. The transaction has ended either way.
 * Errors (cb never runs): SKV_EINVAL (NULL txn or cb), SKV_ECLOSED, SKV_EREADONLY,
 * SKV_ETOOBIG, SKV_EFATAL, SKV_ENOMEM. */
SKV_API int skv_txn_commit_async(skv_txn *txn, skv_commit_cb cb, void *user_data);

/* Discards the transaction's writes and ends it. Rolling back an ended transaction is a
 * no-op returning SKV_OK. Errors: SKV_EINVAL. */
SKV_API int skv_txn_rollback(skv_txn *txn);

/* Rolls back if still open and frees the handle. Iterators opened on it answer SKV_ECLOSED.
 * NULL is a no-op. */
SKV_API void skv_txn_free(skv_txn *txn);

/* ---- iteration -------------------------------------------------------------------------- */

/* Opens an iterator over keys in [lo, hi) as seen by txn (its snapshot merged with its own
 * writes at the time of this call). A NULL bound is unbounded; an empty (len 0, non-NULL)
 * lower bound is the smallest key. Flags: SKV_ITER_REVERSE makes first/next walk from the
 * largest key down (last/prev then walk upwards); SKV_ITER_KEYS_ONLY makes values empty.
 * The iterator starts unpositioned. Bounds are copied.
 * Errors: SKV_EINVAL (NULL, unknown flag), SKV_EWRITEONLY, SKV_ECLOSED, SKV_ENOMEM. */
SKV_API int skv_iter_open(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                          unsigned flags, skv_iter **out);

/* Positioning. Each returns SKV_OK when positioned on an entry, SKV_NOTFOUND when there is
 * none, SKV_ECORRUPT / SKV_EIO when a table block could not be read. first/next follow the
 * iteration order (descending with SKV_ITER_REVERSE), last/prev the opposite one. seek positions on
 * the first entry at or after key in iteration order (with SKV_ITER_REVERSE: the largest key <=
 * key). next/prev on an unpositioned iterator act as first/last. Errors: SKV_EINVAL, SKV_ECLOSED
 * (transaction ended or database closed). */
SKV_API int skv_iter_first(skv_iter *it);
SKV_API int skv_iter_last(skv_iter *it);
SKV_API int skv_iter_seek(skv_iter *it, const void *key, size_t klen);
SKV_API int skv_iter_next(skv_iter *it);
SKV_API int skv_iter_prev(skv_iter *it);

/* The current entry. Views are valid until the next call on it.
 * Errors: SKV_EINVAL, SKV_NOTFOUND (not positioned), SKV_ECLOSED; skv_iter_value also
 * SKV_ECORRUPT / SKV_EIO / SKV_ENOMEM (the value is in the value log and could not be read;
 * the iterator stays on the entry). */
SKV_API int skv_iter_key(skv_iter *it, const void **key, size_t *klen);
SKV_API int skv_iter_value(skv_iter *it, const void **val, size_t *vlen);

/* Batched read for language packages: copies entries starting at the current one, advancing
 * in iteration order, into one buffer owned by the iterator (valid until the next call on
 * it), until max_entries entries are taken or the buffer holds at least max_bytes (at least
 * one entry is always taken; 0 means no limit for either). Each entry is laid out as
 * [klen: u32 little-endian][vlen: u32 little-endian][key bytes][value bytes].
 * After the call the iterator stands on the entry after the last one returned.
 * An unpositioned iterator starts with first. Returns SKV_OK with *count > 0, or SKV_NOTFOUND
 * (count 0) when no entry is left.
 * Errors: SKV_EINVAL, SKV_ECLOSED, SKV_ENOMEM, SKV_ECORRUPT / SKV_EIO (a table block could
 * not be read; no entries are returned and the iterator is exhausted; or the current entry's
 * value is in the value log and could not be read: entries before it are returned by one call
 * with SKV_OK, the next call fails and the iterator stays on that entry). */
SKV_API int skv_iter_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes,
                                const void **buf, size_t *len, size_t *count);

/* Frees an iterator. NULL is a no-op. */
SKV_API void skv_iter_free(skv_iter *it);

typedef int (*skv_scan_cb)(void *user_data, const void *key, size_t klen, const void *val,
                           size_t vlen); /* non-zero stops the scan */

/* Calls cb once per entry of [lo, hi) in order (flags as for skv_iter_open), at most `limit`
 * entries (0 = no limit), stopping early when cb returns non-zero. Views passed to cb are
 * valid during the call only. Returns SKV_OK (also when stopped early).
 * Errors: SKV_EINVAL, SKV_EWRITEONLY, SKV_ECLOSED, SKV_ENOMEM, SKV_ECORRUPT / SKV_EIO (a
 * table block or a value in the value log could not be read: the scan stops there; entries
 * before it were correct). */
SKV_API int skv_txn_scan(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                         unsigned flags, size_t limit, skv_scan_cb cb, void *user_data);

/* ---- checkpoints, restore and the integrity check -------------------------------------- */

/* Writes a consistent copy of the database as of this call into directory `dir`: exactly
 * the transactions committed before the call started, none committed during it. `dir` must
 * not exist (it is created; its parent must exist) or must be an empty directory. Table files
 * and the value-log files they reference are hard-linked (copied when `dir` is on another file
 * system; the value-log file still being appended to is copied up to its size at the call),
 * the log and a manifest are written, and every file and directory is fsynced; the
 * directory's format marker is
 * written last, so a checkpoint cut short by a crash is refused by skv_restore (and skv_open
 * calls it damaged once it holds tables). The result opens with skv_open as a database of
 * its own and is the input of skv_restore. Writers are held only for a moment at the start;
 * reads and commits go on while the files are written. On failure whatever was written is
 * removed.
 * Errors: SKV_EINVAL (NULL, `dir` exists and is not an empty directory), SKV_NOTFOUND (the
 * parent of `dir` does not exist), SKV_ECLOSED, SKV_EBUSY (a checkpoint, restore or check of
 * this database is running), SKV_EFATAL (the database is latched), SKV_EIO, SKV_ENOSPC,
 * SKV_ENOMEM. */
SKV_API int skv_checkpoint(skv_db *db, const char *dir);

/* Replaces the whole contents of the open database with the checkpoint in `dir` (made by
 * skv_checkpoint, or any closed database directory). The checkpoint is only read, every table
 * of it in full, so a damaged one is refused. Crash-safe: the checkpoint is first staged and
 * fsynced inside the database directory, then one fsynced manifest record switches to it, so
 * after a crash at any point the database reopens either as it was or as restored, never a
 * mix. The handle stays valid: afterwards reads see the checkpoint's data, new transactions
 * never conflict with anything committed before the restore, sequence numbers and timestamps
 * keep rising, and every transaction and iterator begun before the restore answers
 * SKV_ECLOSED to every call (its commit writes nothing and ends it). Commits wait while the
 * restore runs. A checkpoint with a value log is restored into any database (the value-log
 * file numbers of both may coincide): its value-log files are copied in under new numbers,
 * every record checked, and its tables that point into them are written anew; the database's
 * old value-log files are deleted like its old tables.
 * Errors: SKV_EINVAL (NULL, `dir` is not a directory, is the database itself, or is not a
 * complete checkpoint: no format marker), SKV_NOTFOUND (`dir` does not exist), SKV_ELOCKED
 * (`dir` is open as a database), SKV_ECORRUPT (the checkpoint is damaged: its manifest, its
 * log, a table missing, of the wrong size or with a damaged block, or a value-log file its
 * tables need missing or with a damaged header or record; nothing was changed),
 * SKV_EVERSION (the checkpoint has a newer format), SKV_ECLOSED, SKV_EBUSY (a checkpoint,
 * restore or check of this database is running), SKV_EFATAL (latched before), SKV_EIO /
 * SKV_ENOSPC (before the switch: nothing was changed; when writing the switch record itself
 * failed, the database latches and reopening it gives either the old or the restored
 * contents), SKV_ENOMEM. */
SKV_API int skv_restore(skv_db *db, const char *dir);

/* Checks the integrity of the open database, reading only: the format marker; the manifest
 * (every record's checksum, and that it names the tables the database uses); every table it
 * names (present with the recorded size and metadata, every block's checksum, keys in order
 * within and across blocks, each block matching its index, the filter block); the levels
 * (level 0 newest first, deeper levels sorted and non-overlapping); every value-log pointer
 * of those tables (the value-log file exists with an intact header, the record lies inside it,
 * its checksums are right, it holds the entry's key and the pointer's value length; a problem
 * names the table, the key, the file and the offset); table and value-log files nothing
 * needs (orphans: listed, not counted as problems, since a crash, a compaction whose inputs a
 * reader held, or value-log collection not yet run leaves them and the database deletes
 * them); and every record of the log segments still needed. The state checked is that of
 * one moment at the start of the call (commits wait for that moment only: until a running
 * flush or compaction has finished and the state is taken). `report` (may be NULL) receives
 * a readable text: one line per table, value-log file and log segment, a "problem: ..." line
 * per problem, "orphan: ..." lines, "note: ..." lines for harmless findings (a torn log tail
 * the next open drops), and a summary line; free it with skv_free. *report is set when the
 * check ran (SKV_OK or the first problem's code), NULL otherwise.
 * Returns SKV_OK when everything is intact; otherwise the code of the first problem, whose
 * text skv_errmsg() gives: SKV_ECORRUPT (damage), SKV_EIO (a file could not be read).
 * Errors (no check ran): SKV_EINVAL, SKV_ECLOSED, SKV_EBUSY (a checkpoint, restore or check
 * of this database is running), SKV_ENOMEM. */
SKV_API int skv_check(skv_db *db, char **report);

/* The same check of the closed database in directory `path` (not opened, nothing written;
 * its lock is held meanwhile), as `skv <dir> check` does. opts may be NULL; its level_count
 * and wal_recovery_mode say how the database is opened (a torn log tail is a note under
 * tolerate_corrupted_tail, a problem under absolute_consistency).
 * Returns as skv_check, and also SKV_EVERSION (a newer on-disk format; *report says so).
 * Errors (no check ran): SKV_EINVAL (NULL path, not a directory), SKV_NOTFOUND (no such
 * directory, or it holds no database), SKV_ELOCKED (the database is open), SKV_EIO,
 * SKV_ENOMEM. */
SKV_API int skv_check_dir(const char *path, const skv_options *opts, char **report);
/* ---- time travel (needs enable_versioning) ---------------------------------------------
 *
 * With enable_versioning every committed version of a key is kept (subject to
 * versioned_history_retention_ns) with its timestamp: the commit's (ns since the Unix epoch,
 * strictly increasing), or the one given to skv_txn_set_at. "Newer" means committed later;
 * when timestamps follow commit order (no skv_txn_set_at with an older or a future time)
 * that is also the larger timestamp. A hard delete (skv_txn_delete) erases the key's history
 * up to it; a soft delete (skv_txn_soft_delete) is a tombstone version and keeps what came
 * before; a replace (skv_txn_replace) is a value version that cuts every older version off.
 * The transaction's own writes take part: its latest write of a key is that key's newest
 * version, with the skv_txn_set_at timestamp or, for any other write, timestamp 0 until
 * commit; an own hard delete hides the key's whole history. Compaction removes versions older
 * than the retention window that no live snapshot needs (keeping the one in effect when the
 * window began), so reads at a time inside the window are exact and reads before it may find
 * less. Open a versioned database with enable_versioning every time: a handle opened without
 * it compacts history away. */

/* Kinds of versions reported by skv_iter_version (the values are fixed). Hard deletes are
 * never reported: they erase history. */
enum skv_version_kind { SKV_KIND_SOFT_DELETE = 1, SKV_KIND_SET = 2, SKV_KIND_REPLACE = 6 };

/* skv_txn_history flag (combines with SKV_ITER_REVERSE and SKV_ITER_KEYS_ONLY): report soft
 * deletes as versions of kind SKV_KIND_SOFT_DELETE with an empty value. */
enum skv_history_flags { SKV_HISTORY_TOMBSTONES = 4 };

/* The value of key as of timestamp ts: of the key's versions visible to the transaction
 * (back to its latest hard delete or replace), the one with the largest timestamp <= ts, the
 * newer one on equal timestamps. SKV_NOTFOUND when there is none or it is a soft delete.
 * The transaction's own latest write of the key decides first when its timestamp is <= ts
 * (a write without an explicit timestamp always decides; an own hard delete always gives
 * SKV_NOTFOUND). Costs a seek per source plus the versions read: with timestamps in commit
 * order the search stops at the first version at or below ts. *val stays valid until the
 * next call on txn.
 * Errors: SKV_EINVAL (NULL txn, val or vlen; key NULL with klen > 0), SKV_EEMPTYKEY,
 * SKV_ETOOBIG (key), SKV_ENOTSUP (enable_versioning is off), SKV_EWRITEONLY, SKV_ECLOSED
 * (transaction ended or database closed), SKV_ECORRUPT / SKV_EIO (a table block could not
 * be read), SKV_ENOMEM. */
SKV_API int skv_txn_get_at(skv_txn *txn, const void *key, size_t klen, uint64_t ts,
                           const void **val, size_t *vlen);

/* Opens an iterator over the versions of the keys in [lo, hi) (bounds as for skv_iter_open)
 * whose timestamp lies in [ts_from, ts_to] (inclusive; 0 and UINT64_MAX leave that end
 * open). Order: keys ascending, each key's versions newest first; with SKV_ITER_REVERSE keys
 * descending, each key's versions oldest first (exactly the reverse). Soft deletes appear
 * only with SKV_HISTORY_TOMBSTONES; hard deletes never (the versions before one are gone).
 * `limit` > 0 keeps only the first `limit` versions in iteration order (counting versions,
 * not keys); every move stays within them; 0 = all. The iterator is used with
 * skv_iter_first/last/next/prev/seek (seek: the first version of the first key >= key; with
 * SKV_ITER_REVERSE the first, i.e. oldest, version of the largest key <= key), skv_iter_key,
 * skv_iter_value, skv_iter_read_batch and skv_iter_free like any iterator, and
 * skv_iter_version gives each version's timestamp and kind. It sees the snapshot and the
 * transaction's writes as of this call. A single key's history costs a seek per source plus
 * the versions read (with ts_from > 0 and timestamps in commit order it stops at the first
 * version older than ts_from); the iterator holds one key's versions in memory at a time.
 * Errors: SKV_EINVAL (NULL txn or out, NULL bound with a non-zero length, unknown flag,
 * ts_from > ts_to), SKV_ENOTSUP (enable_versioning is off), SKV_EWRITEONLY, SKV_ECLOSED,
 * SKV_ENOMEM. */
SKV_API int skv_txn_history(skv_txn *txn, const void *lo, size_t lolen, const void *hi,
                            size_t hilen, uint64_t ts_from, uint64_t ts_to, unsigned flags,
                            size_t limit, skv_iter **out);

/* The timestamp and kind (SKV_KIND_*) of the version a history iterator stands on. A write
 * of the transaction itself without an explicit timestamp reports ts 0.
 * Errors: SKV_EINVAL (NULL argument, or an iterator not opened by skv_txn_history),
 * SKV_NOTFOUND (not positioned), SKV_ECLOSED (transaction ended or database closed). */
SKV_API int skv_iter_version(skv_iter *it, uint64_t *ts, int *kind);

#ifdef __cplusplus
}
#endif

#endif /* SKV_H */
