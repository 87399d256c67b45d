/*
 * sst_bloom.c — the bloom filter over the user keys of a table: building it from 64-bit key
 * hashes (double hashing) and probing it. Layout in FORMAT.md.
 */
#include <stdlib.h>

#include "base/base.h"
#include "sst/sst.h"

#define BLOOM_MAX_K 30
#define BLOOM_MIN_BITS 64

uint64_t skv__bloom_hash(const void *key, size_t klen) { return skv__fingerprint(key, klen); }

/* The second hash of double hashing: the halves of h swapped, made odd. */
static uint64_t bloom_delta(uint64_t h) { return ((h >> 32) | (h << 32)) | 1; }

int skv__bloom_build(const uint64_t *hashes, size_t n, int bits_per_key, uint8_t **out,
                     size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (bits_per_key < 1 || bits_per_key > 100)
        return skv__err(SKV_EINVAL, "bloom bits per key %d outside 1..100", bits_per_key);
    if (n > (SIZE_MAX / 8 - 1) / (size_t)bits_per_key)
        return skv__err(SKV_EINVAL, "bloom filter over %zu keys is too large", n);
    /* k = round(bits_per_key * ln 2), clamped to 1..30 */
    int k = (int)((double)bits_per_key * 0.69314718055994531 + 0.5);
    if (k < 1) k = 1;
    if (k > BLOOM_MAX_K) k = BLOOM_MAX_K;
    size_t bits = n * (size_t)bits_per_key;
    if (bits < BLOOM_MIN_BITS) bits = BLOOM_MIN_BITS;
    size_t bytes = (bits + 7) / 8;
    bits = bytes * 8;
    uint8_t *f = calloc(bytes + 1, 1);
    if (!f) return skv__err(SKV_ENOMEM, "out of memory building a bloom filter");
    for (size_t i = 0; i < n; i++) {
        uint64_t h = hashes[i], d = bloom_delta(h);
        for (int j = 0; j < k; j++, h += d) {
            uint64_t b = h % bits;
            f[b / 8] |= (uint8_t)(1u << (b % 8));
        }
    }
    f[bytes] = (uint8_t)k;
    *out = f;
    *out_len = bytes + 1;
    return SKV_OK;
}

int skv__bloom_may_contain_hash(const void *filter, size_t flen, uint64_t hash) {
    const uint8_t *f = filter;
    if (!f || flen < 2) return 1;
    int k = f[flen - 1];
    if (k < 1 || k > BLOOM_MAX_K) return 1;
    uint64_t bits = (uint64_t)(flen - 1) * 8;
    uint64_t h = hash, d = bloom_delta(hash);
    for (int j = 0; j < k; j++, h += d) {
        uint64_t b = h % bits;
        if (!(f[b / 8] & (1u << (b % 8)))) return 0;
    }
    return 1;
}

int skv__bloom_may_contain(const void *filter, size_t flen, const void *key, size_t klen) {
    return skv__bloom_may_contain_hash(filter, flen, skv__bloom_hash(key, klen));
}
