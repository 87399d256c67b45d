/* hash.c — checksums and key fingerprints, both from xxhash (XXH3). */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/base.h"

uint32_t skv__checksum(const void *data, size_t n) { return (uint32_t)XXH3_64bits(data, n); }

uint32_t skv__checksum2(const void *a, size_t na, const void *b, size_t nb) {
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, a, na);
    XXH3_64bits_update(&st, b, nb);
    return (uint32_t)XXH3_64bits_digest(&st);
}

uint64_t skv__fingerprint(const void *data, size_t n) { return XXH3_64bits(data, n); }
