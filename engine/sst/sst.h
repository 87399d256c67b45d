/*
 * sst.h — the sorted-table module: data blocks (sst_block.c: a builder that prefix-compresses
 * internal entries with restart points, and a validating reader with a cursor), the bloom
 * filter over user keys (sst_bloom.c), and table files built from them (sst_table_*.c).
 * FORMAT.md holds the byte layouts.
 */
#ifndef SKV_SST_H
#define SKV_SST_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "env/env.h"
#include "mem/mem.h"
#include "vlog/vlog.h"

/* Largest sequence number an entry may carry (the trailer keeps 56 bits of it). */
#define SKV_SST_SEQ_MAX ((UINT64_C(1) << 56) - 1)
/* Bytes an internal key adds to the user key: the trailer (seq << 8 | kind) and the timestamp. */
#define SKV_SST_KEY_EXTRA 16
/* Bytes after the entries: restart count and checksum (plus 4 per restart point). */
#define SKV_SST_BLOCK_TAIL 8

/* ---- data blocks (sst_block.c) ---- */

/* One entry of a block. The pointers are views into the block (or the cursor's key buffer)
 * and stay valid until the cursor moves. */
typedef SkvMemEntry SkvSstEntry; /* the same view of an entry as the memtable's */

typedef struct {
    uint8_t *buf; /* entries, then (at finish) restart array, count and checksum */
    size_t len, cap;
    uint32_t *restarts;
    size_t nrestarts, rcap;
    int interval; /* entries per restart point */
    int counter;  /* entries since the last restart point */
    uint8_t *last;
    size_t last_len, last_cap; /* last internal key added */
    uint64_t count;
    int finished;
} SkvSstBlockBuilder;

/* restart_interval >= 1, else SKV_EINVAL. */
int skv__sst_block_builder_init(SkvSstBlockBuilder *b, int restart_interval);
void skv__sst_block_builder_free(SkvSstBlockBuilder *b);
/* Empties the builder for the next block (keeps its memory). */
void skv__sst_block_builder_reset(SkvSstBlockBuilder *b);
/* Appends an entry. Entries must come in strictly increasing internal order (user key
 * ascending, sequence descending): SKV_EINVAL otherwise, or when seq > SKV_SST_SEQ_MAX,
 * kind is outside 0..255, the block would pass 4 GiB, or the block is finished.
 * SKV_ENOMEM when memory runs out. */
int skv__sst_block_add(SkvSstBlockBuilder *b, const void *key, size_t klen, uint64_t seq, int kind,
                       uint64_t ts, const void *val, size_t vlen);
/* Bytes the block would take if finished now. */
size_t skv__sst_block_size_estimate(const SkvSstBlockBuilder *b);
uint64_t skv__sst_block_count(const SkvSstBlockBuilder *b);
/* Completes the block; *out points into the builder and stays valid until reset or free.
 * SKV_ENOMEM, or SKV_EINVAL when already finished. */
int skv__sst_block_finish(SkvSstBlockBuilder *b, const uint8_t **out, size_t *n);

/* A block opened for reading: a view over the caller's bytes, which must outlive it. */
typedef struct {
    const uint8_t *data;
    size_t data_end; /* end of the entries = start of the restart array */
    uint32_t nrestarts;
    uint32_t count;  /* entries (0 when opened with skv__sst_block_view) */
    size_t max_klen; /* longest internal key (0 when opened with skv__sst_block_view) */
} SkvSstBlock;

/* Checks the checksum and walks every entry (bounds, restart points, key order): SKV_OK,
 * SKV_ECORRUPT with a message, or SKV_ENOMEM. Nothing in the block is trusted before. */
int skv__sst_block_open(SkvSstBlock *blk, const void *data, size_t n);
/* Opens a block whose bytes a checksum the caller verified already vouches for (a data block
 * just read from a table): checks only the restart count against the size (SKV_ECORRUPT) and
 * leaves the entries to the cursor, which checks each one as it decodes it. */
int skv__sst_block_view(SkvSstBlock *blk, const void *data, size_t n);

/* One entry of the restart run a backward move decoded: where it lies and where its full
 * internal key was kept (in SkvSstBlockIter.run_keys). */
typedef struct {
    size_t cur, next, vlen;
    size_t key_off, klen;
} SkvSstRunEntry;

/* A cursor over an opened block. Several may run over one block at once. The cursor keeps
 * the current key in a buffer of its own (inline for short keys), so it must not be copied
 * or moved once initialised. Moving backwards decodes the entries from the last restart point
 * before the target; the cursor keeps them (offsets and full keys) so that the next backward
 * steps inside the same run need no decoding (heap buffers, freed by
 * skv__sst_blockiter_free). */
typedef struct {
    const SkvSstBlock *blk;
    uint8_t *key; /* current internal key: inline_key, or a heap buffer of kcap bytes */
    size_t klen, kcap;
    size_t cur;  /* offset of the current entry; data_end = not positioned */
    size_t next; /* offset of the entry after it */
    const uint8_t *val;
    size_t vlen;
    int status; /* SKV_OK, or the error that ended the walk (see skv__sst_blockiter_status) */
    SkvSstRunEntry *run; /* the run kept by the last backward scan: run_n entries in order */
    size_t run_n, run_cap, run_hint;
    uint8_t *run_keys;
    size_t run_keys_len, run_keys_cap;
    uint8_t inline_key[112];
} SkvSstBlockIter;

/* Starts the cursor, unpositioned, over blk; returns SKV_OK. */
int skv__sst_blockiter_init(SkvSstBlockIter *it, const SkvSstBlock *blk);
/* SKV_OK while every entry decoded so far was well formed; SKV_ECORRUPT (with a message)
 * once one was not, or SKV_ENOMEM when a long key found no memory. Either leaves the cursor
 * invalid, as at the end of the block, for good. */
int skv__sst_blockiter_status(const SkvSstBlockIter *it);
void skv__sst_blockiter_free(SkvSstBlockIter *it);
int skv__sst_blockiter_valid(const SkvSstBlockIter *it);
void skv__sst_blockiter_first(SkvSstBlockIter *it);
void skv__sst_blockiter_last(SkvSstBlockIter *it);
/* first entry >= (key, seq) in internal order: a greater user key, or the same user key with
 * a sequence <= seq */
void skv__sst_blockiter_seek(SkvSstBlockIter *it, const void *key, size_t klen, uint64_t seq);
void skv__sst_blockiter_next(SkvSstBlockIter *it);                        /* requires valid */
void skv__sst_blockiter_prev(SkvSstBlockIter *it);                        /* requires valid */
void skv__sst_blockiter_entry(const SkvSstBlockIter *it, SkvSstEntry *e); /* requires valid */

/* ---- bloom filter (sst_bloom.c) ---- */

/* The hash a filter is built from and probed with (skv__fingerprint of the user key). */
uint64_t skv__bloom_hash(const void *key, size_t klen);
/* Builds a blocked filter over n key hashes with bits_per_key (1..100) bits per key into a
 * new malloc'd buffer (*out, *out_len; the caller frees it): 64-byte blocks, every probe of
 * a key inside the one block its hash picks, then a trailer byte 0x80 | k. SKV_EINVAL or
 * SKV_ENOMEM. */
int skv__bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, uint8_t **out,
                     size_t *out_len);
/* 0 when the key is certainly absent, 1 when it may be present. Reads blocked filters and
 * the older flat ones (trailer byte k in 1..30); answers 1 for anything else (empty, a
 * reserved trailer byte, a blocked filter not a whole number of 64-byte blocks). */
int skv__bloom_may_contain(const void *filter, size_t flen, const void *key, size_t klen);
int skv__bloom_may_contain_hash(const void *filter, size_t flen, uint64_t hash);

/* ---- table files (sst_table_*.c; the file layout is in FORMAT.md) ----
 *
 * A table file holds internal entries (user key ascending, sequence descending) in data
 * blocks of about block_size bytes, each optionally zstd-compressed, followed by a filter
 * block (bloom over user keys), a properties block, an index block (one entry per data block:
 * the block's last user key + sequence -> offset, size) and a fixed-size footer (handles of
 * the index, filter and properties blocks, format version, magic number). An index larger
 * than index_partition_size is stored in two levels: partition blocks of about that size
 * (each an index block over a run of data blocks) and a top-level index block with one entry
 * per partition (its last key -> its handle); the reader opens with only the top level in
 * memory and reads each partition on its first use, keeping it until it closes (so a table
 * never opened for reads costs no index memory). Every block carries a
 * checksum of its stored bytes; a damaged table gives SKV_ECORRUPT naming file and block. */

enum { SKV_SST_COMPRESS_NONE = 0, SKV_SST_COMPRESS_ZSTD = 1 };

typedef struct {
    size_t block_size;       /* target uncompressed size of a data block */
    int restart_interval;    /* entries per restart point */
    int filter_bits_per_key; /* 0 = no filter */
    int compression;         /* SKV_SST_COMPRESS_* */
    int zstd_level;
    /* An index block larger than this many bytes is cut into partitions of about this size
     * under a top-level index (a two-level index); 0 = never partition. */
    size_t index_partition_size;
} SkvSstOptions;

/* block_size 4096, restart_interval 16, 10 filter bits per key, zstd at level 3, index
 * partitions of 16384 bytes. */
void skv__sst_options_default(SkvSstOptions *o);

/* What a finished table holds (keys malloc'ed; free with skv__sst_props_free). */
typedef struct {
    uint64_t size;    /* file bytes */
    uint64_t entries; /* internal entries */
    uint64_t min_seq, max_seq;
    uint8_t *smallest, *largest; /* user keys */
    size_t smallest_len, largest_len;
    /* 1: within every user key, a newer version never has a larger timestamp than an older
     * one (timestamps in commit order); 0: not so, or not recorded (older tables) */
    int ts_ordered;
    /* the value-log files the table's pointers name, by file number, with the bytes of the
     * records they name (malloc'ed; NULL and 0 when the table holds no pointer) */
    SkvVlogRef *vrefs;
    size_t nvrefs;
} SkvSstProps;

void skv__sst_props_free(SkvSstProps *p);

typedef struct SkvSstBuilder SkvSstBuilder;

/* Creates the file (truncating) and starts a table. SKV_EINVAL for options out of range
 * (block_size 0, restart_interval < 1, filter bits outside 0..100, unknown compression, a zstd
 * level zstd does not accept). */
int skv__sst_builder_new(SkvEnv *env, const char *path, const SkvSstOptions *o,
                         SkvSstBuilder **out);
/* Adds an entry in strictly increasing internal order (SKV_EINVAL otherwise; the builder
 * stays usable). A kind with SKV_KIND_VLOG_BIT marks a value-log pointer as the value: it
 * must decode (skv__vlog_ptr_decode, else SKV_EINVAL), and the table's properties count the
 * record bytes it names per value-log file. Writes a data block to the file whenever one fills up
 * (memory stays bounded by about one block, plus 8 bytes per distinct user key for the filter and
 * the index). */
int skv__sst_builder_add(SkvSstBuilder *b, const void *key, size_t klen, uint64_t seq, int kind,
                         uint64_t ts, const void *val, size_t vlen);
/* Bytes the file would have if finished now (for splitting compaction output). */
uint64_t skv__sst_builder_size(const SkvSstBuilder *b);
uint64_t skv__sst_builder_entries(const SkvSstBuilder *b);
/* Writes the remaining blocks and the footer, fsyncs and closes the file, frees the builder
 * and fills *props (props may be NULL). The caller fsyncs the directory. On error the file is
 * removed; a table without entries is SKV_EINVAL. After a failed add that wrote to the file
 * (SKV_EIO, SKV_ENOSPC) the builder refuses further adds and finish returns that error. */
int skv__sst_builder_finish(SkvSstBuilder *b, SkvSstProps *props);
/* Closes and removes the unfinished file and frees the builder. */
void skv__sst_builder_abandon(SkvSstBuilder *b);

typedef struct SkvSstReader SkvSstReader;

/* Opens a table: reads and checks the footer, index (the top-level index of a partitioned
 * table), filter and properties (a filter that fails its checksum is ignored, never trusted).
 * Data blocks are read on demand through the block cache (cache may be NULL: no caching),
 * keyed by (file_number, offset), and their checksums checked at every read from the file;
 * index partitions are read once and kept by the reader. Closing a reader leaves its blocks in the
 * cache (skv__cache_erase_file when the file is deleted). A reader may be shared by threads.
 * Errors: SKV_ECORRUPT (message names the file and what is damaged; also for a missing file
 * or one shorter than the footer), SKV_EIO, SKV_ENOMEM. */
int skv__sst_open(SkvEnv *env, const char *path, uint64_t file_number, SkvCache *cache,
                  SkvSstReader **out);
void skv__sst_close(SkvSstReader *r);
/* Maps the table's file read-only (when the env can) so that uncompressed data blocks are
 * read in place, without a copy or the block cache; their checksums are still checked at
 * every use. Call before the reader is shared. SKV_OK also when the env cannot map; a failed
 * mapping returns its error and leaves the reader reading as before. */
int skv__sst_map(SkvSstReader *r);
const SkvSstProps *skv__sst_props(const SkvSstReader *r);

/* Keeps the block a returned entry points into alive; release with skv__sst_pin_release
 * (a zeroed pin holds nothing). */
typedef struct {
    SkvCache *cache;
    SkvCacheHandle *handle;
    void *owned;     /* a block read without a cache */
    SkvSstBlock blk; /* a block viewed in place in a mapped table */
    /* 1 when the entry lies in the table's mapping: whoever owns the reader keeps it open for
     * as long as the pin (by handing a table-cache handle to reader_cache/reader_handle, which
     * skv__sst_pin_release releases too) */
    int mapped;
    SkvCache *reader_cache;
    SkvCacheHandle *reader_handle;
} SkvSstPin;

void skv__sst_pin_release(SkvSstPin *pin);

/* 0 when the table's bloom filter says key is certainly absent, else 1 (also without a
 * filter). */
int skv__sst_may_contain(const SkvSstReader *r, const void *key, size_t klen);

/* The newest entry of key with seq <= snap (any kind): SKV_OK with *e (e->key is `key`
 * itself; the value view stays valid while *pin is held), SKV_NOTFOUND, or SKV_ECORRUPT /
 * SKV_EIO / SKV_ENOMEM. Consults the filter first. *pin holds nothing unless SKV_OK. */
int skv__sst_get(SkvSstReader *r, const void *key, size_t klen, uint64_t snap, SkvSstEntry *e,
                 SkvSstPin *pin);

/* A cursor over all entries of a table in internal order (same moves as SkvMemIter). Entry
 * views stay valid until the cursor moves. It pins at most one data block (and one index
 * partition) at a time. A read
 * error leaves the cursor invalid for good (later moves do nothing) and is reported by
 * skv__sst_iter_status. One thread at a time per cursor. */
typedef struct SkvSstIter SkvSstIter;

int skv__sst_iter_new(SkvSstReader *r, SkvSstIter **out);
void skv__sst_iter_free(SkvSstIter *it);
int skv__sst_iter_valid(const SkvSstIter *it);
int skv__sst_iter_status(const SkvSstIter *it); /* SKV_OK or the first error met */
void skv__sst_iter_first(SkvSstIter *it);
void skv__sst_iter_last(SkvSstIter *it);
/* first entry >= (key, seq) in internal order */
void skv__sst_iter_seek(SkvSstIter *it, const void *key, size_t klen, uint64_t seq);
/* last entry < (key, seq) in internal order */
void skv__sst_iter_seek_before(SkvSstIter *it, const void *key, size_t klen, uint64_t seq);
void skv__sst_iter_next(SkvSstIter *it);
void skv__sst_iter_prev(SkvSstIter *it);
void skv__sst_iter_entry(const SkvSstIter *it, SkvSstEntry *e);

/* The full check of a table (sst_table_verify.c), for the integrity check: every index
 * partition and data block is read from the file and checked (checksum, decompression, every
 * entry decoded), the entries must come in strictly increasing internal order within and
 * across blocks, each block must end with the key its index entry names, the entries' count,
 * keys and sequences must agree with the properties, and a filter block the reader dropped as
 * damaged is reported. Each problem is passed to `problem` with skv_errmsg() naming the file,
 * the block and what is wrong, and the walk goes on with the next block. */
typedef struct {
    void (*problem)(void *ud, int rc);
    /* called once per intact entry, in order; a non-zero return stops the walk (returned) */
    int (*entry)(void *ud, const SkvSstEntry *e);
    void *ud;
    uint64_t blocks, entries; /* counted: data blocks read intact, entries seen */
} SkvSstVerify;

/* SKV_OK when the table is intact, else the code of the first problem (SKV_ECORRUPT, or
 * SKV_EIO for a read that failed); SKV_ENOMEM stops the walk. The reader should have no
 * block cache, so that every block comes from the file. */
int skv__sst_verify(SkvSstReader *r, SkvSstVerify *v);

#endif /* SKV_SST_H */
