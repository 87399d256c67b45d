/* hash.c — checksums and key fingerprints, both from xxhash (XXH3). On x86-64 a long input
 * (a table block) is hashed with the AVX2 kernel when the processor has it, chosen at run
 * time; every kernel gives the same XXH3 value. */
#define XXH_INLINE_ALL
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__AVX2__)
#include <immintrin.h>
#define HASH_AVX2 1
#define XXH_DISPATCH_AVX2 1
#define XXH_TARGET_AVX2 __attribute__((__target__("avx2")))
#endif
#include <xxhash.h>

#include "base/base.h"

#ifdef HASH_AVX2
static XXH_TARGET_AVX2 uint64_t hash_long_avx2(const void *data, size_t n) {
    return XXH3_hashLong_64b_internal(data, n, XXH3_kSecret, sizeof(XXH3_kSecret),
                                      XXH3_accumulate_512_avx2, XXH3_scrambleAcc_avx2);
}

/* XXH3_64bits, with the AVX2 kernel for inputs long enough to use it. */
static uint64_t hash64(const void *data, size_t n) {
    if (n > XXH3_MIDSIZE_MAX && __builtin_cpu_supports("avx2")) return hash_long_avx2(data, n);
    return XXH3_64bits(data, n);
}
#else
static uint64_t hash64(const void *data, size_t n) { return XXH3_64bits(data, n); }
#endif

uint32_t skv__checksum(const void *data, size_t n) { return (uint32_t)hash64(data, n); }

uint32_t skv__checksum2(const void *a, size_t na, const void *b, size_t nb) {
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, a, na);
    XXH3_64bits_update(&st, b, nb);
    return (uint32_t)XXH3_64bits_digest(&st);
}

uint64_t skv__fingerprint(const void *data, size_t n) { return hash64(data, n); }
