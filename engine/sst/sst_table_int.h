/*
 * sst_table_int.h — what the table builder, reader and iterator share (not part of the module
 * interface): the stored-block trailer and footer constants, block handles, the reader's
 * in-memory state (footer, decoded index or top-level index, filter, properties), index
 * partition and data block loading.
 * Layout in FORMAT.md ("Table file").
 */
#ifndef SKV_SST_TABLE_INT_H
#define SKV_SST_TABLE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sst/sst.h"

#define SKV_SST_TABLE_MAGIC UINT64_C(0x656c626174766b73) /* the bytes "skvtable" */
#define SKV_SST_TABLE_VERSION 1
/* a table whose properties list value-log references (it holds value pointers) */
#define SKV_SST_TABLE_VERSION_VLOG 2
/* footer: handles area, u32 version, u32 checksum, u64 magic */
#define SKV_SST_FOOTER_SIZE 64
#define SKV_SST_FOOTER_HANDLES 48
/* after every stored block: u8 compression, u32 checksum */
#define SKV_SST_TRAILER 5
/* largest uncompressed size of a compressed block */
#define SKV_SST_MAX_UNCOMPRESSED ((size_t)64 << 20)
/* offsets and sizes stay below 2^56 so six varints always fit the footer's handles area */
#define SKV_SST_MAX_FILE ((UINT64_C(1) << 56) - 1)

/* Where a stored block lies: its payload starts at off and has size bytes; the trailer follows. */
typedef struct {
    uint64_t off, size;
} SkvSstHandle;

/* Encodes h as two varints at p (at most 20 bytes); returns the bytes written. */
size_t skv__sst_handle_encode(uint8_t *p, SkvSstHandle h);
/* Decodes a handle from [*p, end) and advances *p; 0 on success, -1 when malformed. */
int skv__sst_handle_decode(const uint8_t **p, const uint8_t *end, SkvSstHandle *h);

/* A data block in memory (a cache value, or owned by a pin): this header, then the
 * uncompressed block bytes, all one allocation. */
typedef struct {
    SkvSstBlock blk; /* opened over the bytes that follow */
    size_t len;
} SkvSstLoaded;

/* One index entry: the last internal key of a block and where the block lies. */
typedef struct {
    uint64_t prefix;  /* skv__sst_key_prefix of the user key: most comparisons end on it */
    uint32_t key_off; /* user key at the owner's keys + key_off */
    uint32_t klen;
    uint64_t seq;
    SkvSstHandle h;
} SkvSstIndexEntry;

/* The first 8 bytes of a user key (zero-padded) as a big-endian number. Where two keys'
 * prefixes differ they order the keys as a bytewise comparison would; where they are equal
 * the keys must be compared in full. */
static inline uint64_t skv__sst_key_prefix(const void *key, size_t klen) {
    uint8_t b[8] = {0};
    memcpy(b, key, klen < 8 ? klen : 8);
    return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
           (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
           (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

/* A decoded index block: n >= 1 entries in file order, their user keys in keys. For a
 * partitioned table a partition (one entry per data block) is a cache value or owned by a pin,
 * all one allocation. */
typedef struct {
    size_t n;
    const SkvSstIndexEntry *e;
    const uint8_t *keys;
} SkvSstPartition;

struct SkvSstReader {
    SkvEnv *env;
    SkvFile *file;
    char *path;
    uint64_t file_number;
    SkvCache *cache;
    /* The index kept in memory: one entry per data block, or for a partitioned table the
     * top-level index, one entry per partition (key = the partition's last key). */
    SkvSstIndexEntry *index;
    size_t nblocks; /* entries of index */
    uint8_t *index_keys;
    SkvSstPartition top; /* a view over index, nblocks and index_keys */
    int partitioned;
    /* A partitioned table's partitions (nblocks of them), each decoded on first use and kept
     * until the reader closes; NULL until then. */
    _Atomic(const SkvSstPartition *) *parts;
    uint64_t data_end;  /* every data block ends at or before this offset */
    uint8_t *filter;    /* NULL: no filter, or one that failed its checksum */
    const uint8_t *map; /* the whole file mapped read-only (skv__sst_map), or NULL */
    size_t filter_len;
    char *filter_error; /* why a damaged filter was dropped (for skv__sst_verify), or NULL */
    SkvSstProps props;
};

/* The first entry of pt whose key is >= (key, seq) in internal order; pt->n when every entry
 * is smaller. */
size_t skv__sst_part_find(const SkvSstPartition *pt, const void *key, size_t klen, uint64_t seq);

/* skv__sst_part_find over the in-memory index: a data block, or for a partitioned table a
 * partition; r->nblocks when every one ends before (key, seq). */
size_t skv__sst_index_find(const SkvSstReader *r, const void *key, size_t klen, uint64_t seq);

/* Partitions a lookup goes through: r->nblocks when partitioned, else 1 (the whole index). */
size_t skv__sst_nparts(const SkvSstReader *r);

/* The index partition p (< skv__sst_nparts): for an unpartitioned table &r->top; otherwise
 * read and checked on its first use and kept with the reader until it closes (threads may
 * race to load one: one copy wins, the others are freed); *pin is left holding nothing.
 * SKV_ECORRUPT naming file and block, SKV_EIO or SKV_ENOMEM. */
int skv__sst_load_part(SkvSstReader *r, size_t p, const SkvSstPartition **out, SkvSstPin *pin);

/* Reads the data block at h (through the cache when the reader has one) and opens it; *out
 * stays valid while *pin is held. SKV_ECORRUPT naming file and block, SKV_EIO or SKV_ENOMEM. */
int skv__sst_load_block(SkvSstReader *r, SkvSstHandle h, const SkvSstBlock **out, SkvSstPin *pin);

/* skv__sst_load_block for a cursor that has just visited the block at h: when `verified`, an
 * uncompressed block viewed in the mapping is not checksummed again (the cursor checked it on
 * this visit already). *mapped tells whether the block was viewed in the mapping (and so
 * checked here unless `verified`). */
int skv__sst_load_block_visit(SkvSstReader *r, SkvSstHandle h, int verified,
                              const SkvSstBlock **out, SkvSstPin *pin, int *mapped);

/* Returns rc after prefixing the current error message with the table's path and the block
 * (`what` block at offset off). */
int skv__sst_wrap_error(int rc, const SkvSstReader *r, const char *what, uint64_t off);

#endif /* SKV_SST_TABLE_INT_H */
