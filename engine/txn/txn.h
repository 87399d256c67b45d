/*
 * txn.h — the data structures of transactions: the write set a transaction buffers
 * (writeset.c), the commit record it becomes in the log (batch.c), the conflict oracle that
 * decides first-committer-wins (oracle.c) and the registry of live snapshots (snapshots.c).
 * The commit pipeline that ties them to the log and memtables lives in db/.
 */
#ifndef SKV_TXN_H
#define SKV_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* ---- write set (writeset.c) ---- */

typedef struct {
    uint8_t *key;
    uint8_t *val; /* NULL for deletes */
    uint32_t klen;
    uint32_t vlen;
    uint64_t ts; /* explicit timestamp, 0 = the commit's */
    int kind;    /* SKV_KIND_* (mem/mem.h) */
    uint64_t fp; /* skv__fingerprint of the key (the write set's and the oracle's hash) */
} SkvWrite;

typedef struct {
    SkvWrite *w; /* each entry's key and value share one allocation (the key's) */
    size_t n, cap;
    /* open addressing: entry number + 1, 0 = empty; latest write per key. Built once the
     * set passes SKV_WS_LINEAR entries; smaller sets are searched newest first. */
    uint32_t *index;
    size_t index_cap;
    size_t *savepoints; /* entry count at each savepoint */
    size_t nsave, save_cap;
    size_t cost; /* memtable bytes the writes will take */
} SkvWriteSet;

/* Write sets of at most this many entries are searched without a hash index. */
enum { SKV_WS_LINEAR = 8 };

void skv__ws_init(SkvWriteSet *ws);
void skv__ws_free(SkvWriteSet *ws);
/* Records a write. A write to a key already written since the latest savepoint with the
 * same explicit timestamp replaces that write; otherwise it is a new version.
 * SKV_ETOOBIG when the set would cost more than max_cost memtable bytes; SKV_ENOMEM. */
int skv__ws_put(SkvWriteSet *ws, int kind, const void *key, size_t klen, const void *val,
                size_t vlen, uint64_t ts, size_t max_cost);
/* The latest write of key, or NULL. */
const SkvWrite *skv__ws_get(const SkvWriteSet *ws, const void *key, size_t klen);
int skv__ws_savepoint(SkvWriteSet *ws);
int skv__ws_rollback_to_savepoint(SkvWriteSet *ws); /* SKV_ENOSAVEPOINT when none */
/* The latest write of every key, sorted by key: a malloc'ed array of pointers into ws
 * (*out NULL when empty). */
int skv__ws_sorted(const SkvWriteSet *ws, const SkvWrite ***out, size_t *n);

/* ---- commit record (batch.c) ----
 * Layout (little-endian):  u8 format (1) | u64 first_seq | u64 commit_ts | u32 count |
 * count x { u8 kind | varint klen | key | varint vlen | value | varint ts (0 = commit_ts) }
 * Entry i has sequence first_seq + i. */

enum { SKV_BATCH_HEADER = 21, SKV_BATCH_FORMAT = 1 };

/* Encodes every write of ws (in write order) into a malloc'ed record; the sequence and
 * timestamp fields are filled later with skv__batch_stamp. */
int skv__batch_encode(const SkvWriteSet *ws, uint8_t **out, size_t *len);
/* The size of ws's commit record, and its encoding into out (that many bytes). */
size_t skv__batch_size(const SkvWriteSet *ws);
void skv__batch_encode_to(const SkvWriteSet *ws, uint8_t *out);
void skv__batch_stamp(uint8_t *rec, uint64_t first_seq, uint64_t commit_ts);

typedef struct {
    const uint8_t *p, *end;
    uint64_t first_seq, commit_ts;
    uint32_t count, next;
} SkvBatchReader;

/* SKV_ECORRUPT when the header is malformed. */
int skv__batch_open(SkvBatchReader *r, const void *rec, size_t len);
/* SKV_OK with the next entry, SKV_NOTFOUND after the last, SKV_ECORRUPT when malformed. */
int skv__batch_next(SkvBatchReader *r, SkvWrite *out, uint64_t *seq);

/* ---- conflict oracle (oracle.c) ----
 * Remembers, for recently written key fingerprints, the sequence of the commit that wrote
 * them last. Not thread-safe: the commit leader owns it. */

typedef struct SkvOracle SkvOracle;

SkvOracle *skv__oracle_new(size_t window);
void skv__oracle_free(SkvOracle *o);
/* SKV_OK, SKV_ECONFLICT (a key was committed after start_seq) or SKV_ERETRY (the oracle has
 * forgotten commits the snapshot would need). */
int skv__oracle_check(const SkvOracle *o, uint64_t start_seq, const uint64_t *fps, size_t n);
/* Records that the keys were committed at seq. */
int skv__oracle_record(SkvOracle *o, uint64_t seq, const uint64_t *fps, size_t n);
/* Forgets what no snapshot >= oldest_live can conflict with, then trims to the window. */
void skv__oracle_prune(SkvOracle *o, uint64_t oldest_live);
size_t skv__oracle_size(const SkvOracle *o);

/* ---- live snapshots (snapshots.c) ----
 * Snapshots are registered in begin order; their sequences never decrease along the list,
 * so the head is the oldest. Thread-safe. */

typedef struct SkvSnapshot {
    struct SkvSnapshot *prev, *next;
    uint64_t seq;
} SkvSnapshot;

typedef struct {
    SkvMutex mu;
    SkvSnapshot head; /* sentinel */
} SkvSnapshots;

void skv__snapshots_init(SkvSnapshots *s);
void skv__snapshots_destroy(SkvSnapshots *s);
/* Registers s with seq = *visible read under the registry lock. */
void skv__snapshots_acquire(SkvSnapshots *s, SkvSnapshot *snap, const _Atomic uint64_t *visible);
void skv__snapshots_release(SkvSnapshots *s, SkvSnapshot *snap);
/* The oldest live snapshot's sequence, or *visible when there is none. */
uint64_t skv__snapshots_oldest(SkvSnapshots *s, const _Atomic uint64_t *visible);

#endif /* SKV_TXN_H */
