/*
 * sst_bloom.c — the bloom filter over the user keys of a table: building the cache-line
 * blocked filter from 64-bit key hashes and probing it, and probing the older flat filter
 * (double hashing over the whole bit array) that tables written before it still carry.
 * Both layouts are in FORMAT.md.
 */
#include <stdlib.h>

#include "base/base.h"
#include "sst/sst.h"

#define BLOOM_MAX_K 30
#define BLOOM_BLOCK_BYTES 64
#define BLOOM_BLOCK_BITS (BLOOM_BLOCK_BYTES * 8)
#define BLOOM_MAX_BLOCKS UINT32_MAX  /* the block pick multiplies a 32-bit hash by the count */
#define BLOOM_BLOCKED_TAG 0x80       /* the last byte of a blocked filter is this | k */
#define BLOOM_PROBE_MULT 0x9e3779b9u /* the next probe: h * this (32-bit), top 9 bits */

uint64_t skv__bloom_hash(const void *key, size_t klen) { return skv__fingerprint(key, klen); }

static int bloom_probe_count(int bits_per_key) {
    /* round(bits_per_key * ln 2), clamped to 1..30 */
    int k = (int)((double)bits_per_key * 0.69314718055994531 + 0.5);
    if (k < 1) k = 1;
    if (k > BLOOM_MAX_K) k = BLOOM_MAX_K;
    return k;
}

/* ---- blocked filter: 64-byte blocks, all probes of a key in one block ---- */

/* The block a hash falls in: its high 32 bits scaled to 0..nblocks-1 (multiply-shift). */
static size_t blocked_block_of(uint64_t hash, size_t nblocks) {
    return (size_t)(((hash >> 32) * (uint64_t)nblocks) >> 32);
}

/* The bit of probe i within a block: the top 9 bits of (low 32 bits of hash) * MULT^i. */
static unsigned blocked_bit(uint32_t h) { return h >> (32 - 9); }

static void blocked_add(uint8_t *filter, size_t nblocks, int k, uint64_t hash) {
    uint8_t *block = filter + blocked_block_of(hash, nblocks) * BLOOM_BLOCK_BYTES;
    uint32_t h = (uint32_t)hash;
    for (int i = 0; i < k; i++, h *= BLOOM_PROBE_MULT) {
        unsigned b = blocked_bit(h);
        block[b / 8] |= (uint8_t)(1u << (b % 8));
    }
}

static int blocked_may_contain(const uint8_t *f, size_t flen, int k, uint64_t hash) {
    size_t bytes = flen - 1;
    if (bytes == 0 || bytes % BLOOM_BLOCK_BYTES != 0) return 1;
    size_t nblocks = bytes / BLOOM_BLOCK_BYTES;
    if ((uint64_t)nblocks > BLOOM_MAX_BLOCKS) return 1;
    const uint8_t *block = f + blocked_block_of(hash, nblocks) * BLOOM_BLOCK_BYTES;
    uint32_t h = (uint32_t)hash;
    for (int i = 0; i < k; i++, h *= BLOOM_PROBE_MULT) {
        unsigned b = blocked_bit(h);
        if (!(block[b / 8] & (1u << (b % 8)))) return 0;
    }
    return 1;
}

/* ---- flat filter (read only): double hashing over the whole bit array ---- */

/* The second hash of double hashing: the halves of h swapped, made odd. */
static uint64_t flat_delta(uint64_t h) { return ((h >> 32) | (h << 32)) | 1; }

static int flat_may_contain(const uint8_t *f, size_t flen, int k, uint64_t hash) {
    uint64_t bits = (uint64_t)(flen - 1) * 8;
    uint64_t h = hash, d = flat_delta(hash);
    for (int j = 0; j < k; j++, h += d) {
        uint64_t b = h % bits;
        if (!(f[b / 8] & (1u << (b % 8)))) return 0;
    }
    return 1;
}

int skv__bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, uint8_t **out,
                     size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (bits_per_key < 1 || bits_per_key > 100)
        return skv__err(SKV_EINVAL, "bloom bits per key %d outside 1..100", bits_per_key);
    if (n > (SIZE_MAX / 8 - 1) / (size_t)bits_per_key)
        return skv__err(SKV_EINVAL, "bloom filter over %zu keys is too large", n);
    size_t bits = n * (size_t)bits_per_key;
    size_t nblocks = bits / BLOOM_BLOCK_BITS + (bits % BLOOM_BLOCK_BITS != 0);
    if (nblocks == 0) nblocks = 1;
    if ((uint64_t)nblocks > BLOOM_MAX_BLOCKS)
        return skv__err(SKV_EINVAL, "bloom filter over %zu keys is too large", n);
    size_t bytes = nblocks * BLOOM_BLOCK_BYTES;
    uint8_t *f = calloc(bytes + 1, 1);
    if (!f) return skv__err(SKV_ENOMEM, "out of memory building a bloom filter");
    int k = bloom_probe_count(bits_per_key);
    for (size_t i = 0; i < n; i++) blocked_add(f, nblocks, k, hashes[i]);
    f[bytes] = (uint8_t)(BLOOM_BLOCKED_TAG | k);
    *out = f;
    *out_len = bytes + 1;
    return SKV_OK;
}

int skv__bloom_may_contain_hash(const void *filter, size_t flen, uint64_t hash) {
    const uint8_t *f = filter;
    if (!f || flen < 2) return 1;
    int tag = f[flen - 1];
    if (tag >= 1 && tag <= BLOOM_MAX_K) return flat_may_contain(f, flen, tag, hash);
    int k = tag & ~BLOOM_BLOCKED_TAG;
    if ((tag & BLOOM_BLOCKED_TAG) && k >= 1 && k <= BLOOM_MAX_K)
        return blocked_may_contain(f, flen, k, hash);
    return 1; /* a reserved trailer byte: some encoding this reader does not know */
}

int skv__bloom_may_contain(const void *filter, size_t flen, const void *key, size_t klen) {
    return skv__bloom_may_contain_hash(filter, flen, skv__bloom_hash(key, klen));
}
