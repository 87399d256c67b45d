/*
 * sst_table_int.h — what the table builder, reader and iterator share (not part of the module
 * interface): the stored-block trailer and footer constants, block handles, the reader's
 * in-memory state (footer, decoded index, filter, properties) and data block loading.
 * Layout in FORMAT.md ("Table file").
 */
#ifndef SKV_SST_TABLE_INT_H
#define SKV_SST_TABLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sst/sst.h"

#define SKV_SST_TABLE_MAGIC UINT64_C(0x656c626174766b73) /* the bytes "skvtable" */
#define SKV_SST_TABLE_VERSION 1
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

/* One index entry: the last internal key of a data block and where the block lies. */
typedef struct {
    size_t key_off; /* user key at reader->index_keys + key_off */
    size_t klen;
    uint64_t seq;
    SkvSstHandle h;
} SkvSstIndexEntry;

struct SkvSstReader {
    SkvEnv *env;
    SkvFile *file;
    char *path;
    uint64_t file_number;
    SkvCache *cache;
    SkvSstIndexEntry *index; /* one per data block, in file order */
    size_t nblocks;
    uint8_t *index_keys;
    uint8_t *filter; /* NULL: no filter, or one that failed its checksum */
    size_t filter_len;
    SkvSstProps props;
};

/* The first data block whose last entry is >= (key, seq) in internal order; r->nblocks when
 * every block ends before it. */
size_t skv__sst_index_find(const SkvSstReader *r, const void *key, size_t klen, uint64_t seq);

/* Reads data block i (through the cache when the reader has one) and opens it; *out stays
 * valid while *pin is held. SKV_ECORRUPT naming file and block, SKV_EIO or SKV_ENOMEM. */
int skv__sst_load_block(SkvSstReader *r, size_t i, const SkvSstBlock **out, SkvSstPin *pin);

#endif /* SKV_SST_TABLE_INT_H */
