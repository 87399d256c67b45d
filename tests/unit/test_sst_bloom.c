/* test_sst_bloom.c — the table bloom filter (engine/sst/sst_bloom.c): the blocked filter it
 * writes (no false negatives, false-positive rate, size, trailer byte, the exact bit layout of
 * FORMAT.md), the older flat filter it still reads, and filters it cannot use. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sst/sst.h"
#include "test.h"

enum { BLOCK = 64, BLOCKED_TAG = 0x80 };

static size_t key_of(char *buf, size_t cap, const char *prefix, long i) {
    return (size_t)snprintf(buf, cap, "%s%ld", prefix, i);
}

static uint64_t *hashes_of(long nkeys) {
    uint64_t *h = calloc((size_t)(nkeys ? nkeys : 1), sizeof *h);
    char k[32];
    for (long i = 0; h && i < nkeys; i++) {
        size_t kl = key_of(k, sizeof k, "key-", i);
        h[i] = skv__bloom_hash(k, kl);
    }
    return h;
}

static uint8_t *filter_of(long nkeys, int bits_per_key, size_t *flen) {
    uint64_t *h = hashes_of(nkeys);
    uint8_t *f = NULL;
    int rc = h ? skv__bloom_build(h, (size_t)nkeys, bits_per_key, &f, flen) : SKV_ENOMEM;
    free(h);
    return rc == SKV_OK ? f : NULL;
}

/* The flat filter older versions wrote (FORMAT.md, "Flat filter"), kept here to check that
 * tables carrying one are still read right. */
static uint8_t *flat_filter_of(long nkeys, int bits_per_key, size_t *flen) {
    int k = (int)((double)bits_per_key * 0.69314718055994531 + 0.5);
    k = k < 1 ? 1 : k > 30 ? 30 : k;
    size_t bits = (size_t)nkeys * (size_t)bits_per_key;
    size_t bytes = ((bits < 64 ? 64 : bits) + 7) / 8;
    uint8_t *f = calloc(bytes + 1, 1);
    uint64_t *hs = hashes_of(nkeys);
    for (long i = 0; f && hs && i < nkeys; i++) {
        uint64_t h = hs[i], d = ((h >> 32) | (h << 32)) | 1;
        for (int j = 0; j < k; j++, h += d) {
            uint64_t b = h % (bytes * 8);
            f[b / 8] |= (uint8_t)(1u << (b % 8));
        }
    }
    free(hs);
    if (f) f[bytes] = (uint8_t)k;
    *flen = bytes + 1;
    return f;
}

static long count_missing(const uint8_t *f, size_t flen, long nkeys) {
    long missing = 0;
    char k[32];
    for (long i = 0; i < nkeys; i++) {
        size_t kl = key_of(k, sizeof k, "key-", i);
        missing += !skv__bloom_may_contain(f, flen, k, kl);
    }
    return missing;
}

static double false_positive_rate(const uint8_t *f, size_t flen, long probes) {
    long fp = 0;
    char k[32];
    for (long i = 0; i < probes; i++) {
        size_t kl = key_of(k, sizeof k, "absent-", i);
        fp += skv__bloom_may_contain(f, flen, k, kl);
    }
    return (double)fp / (double)probes;
}

static void test_no_false_negatives(void) {
    static const int BITS[] = {1, 4, 10, 20, 100};
    for (size_t b = 0; b < sizeof BITS / sizeof BITS[0]; b++) {
        size_t flen;
        uint8_t *f = filter_of(100000, BITS[b], &flen);
        CHECK(f != NULL);
        CHECK_EQ_U64(count_missing(f, flen, 100000), 0);
        free(f);
    }
}

/* 100,000 keys, 1,000,000 absent ones probed. Measured: 0.97 % at 10 bits per key (k = 7),
 * 0.024 % at 20 (k = 14). */
static void test_false_positive_rate(void) {
    size_t flen;
    uint8_t *f = filter_of(100000, 10, &flen);
    CHECK(f != NULL);
    CHECK_EQ_U64(f[flen - 1], BLOCKED_TAG | 7);                /* round(10 * ln 2) */
    CHECK_EQ_U64(flen, (100000 * 10 + 511) / 512 * BLOCK + 1); /* whole 64-byte blocks */
    double rate = false_positive_rate(f, flen, 1000000);
    free(f);
    printf("     false positives at 10 bits/key: %.3f %%\n", 100 * rate);
    CHECK(rate < 0.0125);
    f = filter_of(100000, 20, &flen);
    CHECK(f != NULL);
    rate = false_positive_rate(f, flen, 1000000);
    free(f);
    printf("     false positives at 20 bits/key: %.4f %%\n", 100 * rate);
    CHECK(rate < 0.0006);
}

static void test_size_rounds_to_blocks(void) {
    static const long SIZES[][3] = {/* keys, bits per key, blocks */
                                    {0, 10, 1},  {1, 1, 1},   {1, 100, 1},
                                    {51, 10, 1}, {52, 10, 2}, {103, 5, 2},
                                    {512, 1, 1}, {513, 1, 2}, {1000, 10, 20}};
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
        size_t flen;
        uint8_t *f = filter_of(SIZES[i][0], (int)SIZES[i][1], &flen);
        CHECK(f != NULL);
        free(f);
        CHECK_EQ_U64(flen, (uint64_t)SIZES[i][2] * BLOCK + 1);
    }
}

static void test_probe_count(void) {
    static const int BITS[][2] = {{1, 1}, {2, 1}, {3, 2}, {10, 7}, {20, 14}, {43, 30}, {100, 30}};
    for (size_t i = 0; i < sizeof BITS / sizeof BITS[0]; i++) {
        size_t flen;
        uint8_t *f = filter_of(100, BITS[i][0], &flen);
        CHECK(f != NULL);
        int tag = f[flen - 1];
        free(f);
        CHECK_EQ_U64(tag, BLOCKED_TAG | BITS[i][1]);
    }
    uint8_t *f = NULL;
    size_t flen = 0;
    uint64_t h = 1;
    CHECK_RC(skv__bloom_build(&h, 1, 0, &f, &flen), SKV_EINVAL);
    CHECK_RC(skv__bloom_build(&h, 1, 101, &f, &flen), SKV_EINVAL);
    CHECK(f == NULL);
}

/* The bytes of FORMAT.md, worked out by hand: h = 0x0123456789abcdef, 10 bits per key, one
 * block, k = 7; the low 32 bits 0x89abcdef and its products with 0x9e3779b9 give the bits
 * 275, 227, 436, 48, 130, 237, 129. */
static void test_exact_layout(void) {
    uint64_t h = 0x0123456789abcdefull;
    uint8_t *f = NULL;
    size_t flen = 0;
    CHECK_RC(skv__bloom_build(&h, 1, 10, &f, &flen), SKV_OK);
    uint8_t want[BLOCK + 1] = {0};
    want[6] = 0x01;  /* bit 48 */
    want[16] = 0x06; /* bits 129, 130 */
    want[28] = 0x08; /* bit 227 */
    want[29] = 0x20; /* bit 237 */
    want[34] = 0x08; /* bit 275 */
    want[54] = 0x10; /* bit 436 */
    want[BLOCK] = BLOCKED_TAG | 7;
    CHECK_EQ_U64(flen, sizeof want);
    CHECK(f && memcmp(f, want, sizeof want) == 0);
    CHECK(skv__bloom_may_contain_hash(f, flen, h) == 1);
    free(f);
}

/* The block a hash picks is ((h >> 32) * blocks) >> 32: with three blocks, block 2 for
 * h = 0xfedcba98_76543210. Only the bits of that block decide. */
static void test_block_choice(void) {
    uint64_t h = 0xfedcba9876543210ull;
    uint8_t f[3 * BLOCK + 1];
    memset(f, 0, sizeof f);
    memset(f + 2 * BLOCK, 0xff, BLOCK);
    f[3 * BLOCK] = BLOCKED_TAG | 30;
    CHECK(skv__bloom_may_contain_hash(f, sizeof f, h) == 1);
    memset(f, 0xff, 2 * BLOCK);
    memset(f + 2 * BLOCK, 0, BLOCK);
    CHECK(skv__bloom_may_contain_hash(f, sizeof f, h) == 0);
}

static void test_empty_key_set(void) {
    size_t flen;
    uint8_t *f = filter_of(0, 10, &flen);
    CHECK(f != NULL);
    CHECK_EQ_U64(flen, BLOCK + 1);
    CHECK(false_positive_rate(f, flen, 1000) == 0);
    free(f);
}

/* Tables written before the blocked filter carry flat ones; they read as before. */
static void test_flat_filter_still_read(void) {
    size_t flen;
    uint8_t *f = flat_filter_of(100000, 10, &flen);
    CHECK(f != NULL);
    CHECK_EQ_U64(f[flen - 1], 7);
    CHECK_EQ_U64(flen, 100000 * 10 / 8 + 1);
    CHECK_EQ_U64(count_missing(f, flen, 100000), 0);
    double rate = false_positive_rate(f, flen, 1000000);
    printf("     false positives of a flat filter at 10 bits/key: %.3f %%\n", 100 * rate);
    CHECK(rate < 0.0125);
    free(f);
    for (int bits = 1; bits <= 100; bits += 33) { /* tiny ones too (64-bit minimum) */
        f = flat_filter_of(3, bits, &flen);
        CHECK(f != NULL);
        CHECK_EQ_U64(count_missing(f, flen, 3), 0);
        free(f);
    }
}

/* Every trailer byte over an all-clear array: only the known encodings answer "absent". */
static void test_trailer_bytes(void) {
    uint8_t f[BLOCK + 1] = {0};
    for (int tag = 0; tag < 256; tag++) {
        f[BLOCK] = (uint8_t)tag;
        int known = (tag >= 1 && tag <= 30) || (tag >= BLOCKED_TAG + 1 && tag <= BLOCKED_TAG + 30);
        CHECK_EQ_U64(skv__bloom_may_contain(f, sizeof f, "a", 1), !known);
    }
}

static void test_malformed_filters(void) {
    uint8_t zero[2 * BLOCK + 2] = {0};
    CHECK(skv__bloom_may_contain(NULL, 0, "a", 1) == 1);
    CHECK(skv__bloom_may_contain(zero, 0, "a", 1) == 1);
    zero[0] = 3;
    CHECK(skv__bloom_may_contain(zero, 1, "a", 1) == 1); /* only a trailer byte */
    zero[0] = BLOCKED_TAG | 3;
    CHECK(skv__bloom_may_contain(zero, 1, "a", 1) == 1);
    zero[0] = 0;
    /* a blocked trailer on anything but whole 64-byte blocks */
    for (size_t len = 2; len <= sizeof zero; len++) {
        zero[len - 1] = BLOCKED_TAG | 3;
        int whole = (len - 1) % BLOCK == 0;
        CHECK_EQ_U64(skv__bloom_may_contain(zero, len, "a", 1), !whole);
        zero[len - 1] = 0;
    }
    /* real filters cut short never read past their end (ASan) */
    for (int flat = 0; flat <= 1; flat++) {
        size_t flen;
        uint8_t *f = flat ? flat_filter_of(500, 10, &flen) : filter_of(500, 10, &flen);
        CHECK(f != NULL);
        for (size_t len = 0; len <= flen; len++) {
            uint8_t *c = malloc(len ? len : 1);
            memcpy(c, f, len);
            for (int i = 0; i < 20; i++) {
                char k[32];
                size_t kl = key_of(k, sizeof k, "key-", i);
                (void)skv__bloom_may_contain(c, len, k, kl);
            }
            free(c);
        }
        free(f);
    }
}

static const TestCase TESTS[] = {
    {"no_false_negatives", test_no_false_negatives},
    {"false_positive_rate", test_false_positive_rate},
    {"size_rounds_to_blocks", test_size_rounds_to_blocks},
    {"probe_count", test_probe_count},
    {"exact_layout", test_exact_layout},
    {"block_choice", test_block_choice},
    {"empty_key_set", test_empty_key_set},
    {"flat_filter_still_read", test_flat_filter_still_read},
    {"trailer_bytes", test_trailer_bytes},
    {"malformed_filters", test_malformed_filters},
    {0, 0},
};

TEST_MAIN(TESTS)
