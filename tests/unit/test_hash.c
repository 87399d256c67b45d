/* test_hash.c — checksums and fingerprints (engine/base/hash.c): whichever XXH3 kernel the
 * processor gets (AVX2 for long inputs where it has it), every length and alignment gives the
 * XXH3 value of the reference implementation, and the two-part checksum equals the checksum
 * of the joined bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/base.h"
#include "test.h"

static uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The published XXH3-64 value of the empty input (seed 0). */
static void test_known_answer(void) {
    CHECK_EQ_U64(skv__fingerprint("", 0), UINT64_C(0x2D06800538D394C2));
    CHECK_EQ_U64(skv__checksum("", 0), UINT64_C(0x38D394C2));
}

/* Every length up to 9000 bytes (short, medium and long inputs, several stripes and blocks)
 * at every alignment within 8 bytes, against the reference compiled here. */
static void test_every_length_and_alignment(void) {
    enum { MAX = 9000 };
    uint8_t *buf = malloc(MAX + 8);
    CHECK(buf != NULL);
    uint64_t s = 5;
    for (size_t i = 0; i < MAX + 8; i++) buf[i] = (uint8_t)rnd(&s);
    size_t bad = 0;
    for (size_t n = 0; n <= MAX; n += n < 1100 ? 1 : 7)
        for (size_t a = 0; a < 8; a++) {
            uint64_t want = XXH3_64bits(buf + a, n);
            if (skv__fingerprint(buf + a, n) != want || skv__checksum(buf + a, n) != (uint32_t)want)
                bad++;
        }
    free(buf);
    CHECK_EQ_U64(bad, 0);
}

/* skv__checksum2(a, b) is the checksum of a || b, on both sides of the long-input size. */
static void test_two_parts(void) {
    uint8_t buf[5000];
    uint64_t s = 9;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rnd(&s);
    size_t bad = 0;
    for (int k = 0; k < 500; k++) {
        size_t n = (size_t)(rnd(&s) % sizeof buf), cut = n ? (size_t)(rnd(&s) % (n + 1)) : 0;
        if (skv__checksum2(buf, cut, buf + cut, n - cut) != skv__checksum(buf, n)) bad++;
    }
    CHECK_EQ_U64(bad, 0);
}

static const TestCase TESTS[] = {{"known_answer", test_known_answer},
                                 {"every_length_and_alignment", test_every_length_and_alignment},
                                 {"two_parts", test_two_parts},
                                 {NULL, NULL}};

TEST_MAIN(TESTS)
