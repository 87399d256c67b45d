/* test_sst_block.c — table data blocks (engine/sst/sst_block.c): round trips of awkward keys
 * and values at several restart intervals, iteration both ways and seeks against a sorted
 * reference, random walks mixing every move, order enforcement, and damage: every bit flip, every
 * truncation, and random or mutated bytes (with and without a fixed-up checksum) never crash and
 * never decode wrongly, whether the block is opened checked or as a view that checks each entry as
 * it is decoded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "mem/mem.h"
#include "sst/sst.h"
#include "test.h"

/* ---- helpers ---- */

#include "ref_entries.h"

static int same(const SkvSstBlockIter *it, const Ent *x) {
    SkvSstEntry e;
    skv__sst_blockiter_entry(it, &e);
    return e.klen == x->klen && memcmp(e.key, x->key, x->klen) == 0 && e.vlen == x->vlen &&
           (x->vlen == 0 || memcmp(e.val, x->val, x->vlen) == 0) && e.seq == x->seq &&
           e.kind == x->kind && e.ts == x->ts;
}

/* Builds a block of r at the interval into a malloc'd copy. Returns 0 on success. */
static int build(const Ref *r, int interval, uint8_t **out, size_t *n) {
    SkvSstBlockBuilder b;
    if (skv__sst_block_builder_init(&b, interval) != SKV_OK) return -1;
    for (size_t i = 0; i < r->n; i++) {
        const Ent *x = &r->e[i];
        if (skv__sst_block_add(&b, x->key, x->klen, x->seq, x->kind, x->ts, x->val, x->vlen) !=
            SKV_OK) {
            skv__sst_block_builder_free(&b);
            return -1;
        }
    }
    size_t est = skv__sst_block_size_estimate(&b);
    const uint8_t *p;
    if (skv__sst_block_finish(&b, &p, n) != SKV_OK || *n != est) {
        skv__sst_block_builder_free(&b);
        return -1;
    }
    *out = malloc(*n);
    memcpy(*out, p, *n);
    skv__sst_block_builder_free(&b);
    return 0;
}

static int seek_ok(SkvSstBlockIter *it, const Ref *r, const void *key, size_t klen, uint64_t seq) {
    size_t want = ref_lower(r, key, klen, seq);
    skv__sst_blockiter_seek(it, key, klen, seq);
    if (want == r->n) return !skv__sst_blockiter_valid(it);
    return skv__sst_blockiter_valid(it) && same(it, &r->e[want]);
}

/* Builds, opens and checks everything against the reference (which must be sorted). */
static void check_block(const Ref *r, int interval) {
    uint8_t *buf;
    size_t n;
    CHECK(build(r, interval, &buf, &n) == 0);
    SkvSstBlock blk;
    CHECK_RC(skv__sst_block_open(&blk, buf, n), SKV_OK);
    CHECK_EQ_U64(blk.count, r->n);
    SkvSstBlockIter it;
    CHECK_RC(skv__sst_blockiter_init(&it, &blk), SKV_OK);
    int ok = 1;
    size_t i = 0;
    for (skv__sst_blockiter_first(&it); ok && skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_next(&it), i++)
        ok = i < r->n && same(&it, &r->e[i]);
    ok = ok && i == r->n;
    i = r->n;
    for (skv__sst_blockiter_last(&it); ok && skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_prev(&it))
        ok = i > 0 && same(&it, &r->e[--i]);
    ok = ok && i == 0;
    /* seeks at, around and between every entry, then stepping both ways from there */
    for (size_t j = 0; ok && j < r->n; j++) {
        const Ent *x = &r->e[j];
        ok = seek_ok(&it, r, x->key, x->klen, x->seq) && seek_ok(&it, r, x->key, x->klen, 0) &&
             seek_ok(&it, r, x->key, x->klen, SKV_SST_SEQ_MAX) &&
             seek_ok(&it, r, x->key, x->klen, x->seq + 1) &&
             (x->seq == 0 || seek_ok(&it, r, x->key, x->klen, x->seq - 1));
        if (ok && x->klen > 0) ok = seek_ok(&it, r, x->key, x->klen - 1, SKV_SST_SEQ_MAX);
        if (ok && j % 7 == 0) {
            skv__sst_blockiter_seek(&it, x->key, x->klen, x->seq);
            if (j > 0) {
                skv__sst_blockiter_prev(&it);
                ok = skv__sst_blockiter_valid(&it) && same(&it, &r->e[j - 1]);
                skv__sst_blockiter_next(&it);
            }
            ok = ok && skv__sst_blockiter_valid(&it) && same(&it, &r->e[j]);
            skv__sst_blockiter_next(&it);
            ok = ok && (j + 1 == r->n ? !skv__sst_blockiter_valid(&it)
                                      : skv__sst_blockiter_valid(&it) && same(&it, &r->e[j + 1]));
        }
    }
    ok = ok && seek_ok(&it, r, "", 0, SKV_SST_SEQ_MAX);
    ok = ok && seek_ok(&it, r, "\xff\xff\xff\xff", 4, 0);
    skv__sst_blockiter_free(&it);
    free(buf);
    CHECK(ok);
}

static const int INTERVALS[3] = {1, 2, 16};

/* ---- tests ---- */

static void test_empty_block(void) {
    Ref r = {0};
    for (int k = 0; k < 3; k++) check_block(&r, INTERVALS[k]);
    uint8_t *buf;
    size_t n;
    CHECK(build(&r, 16, &buf, &n) == 0);
    CHECK_EQ_U64(n, SKV_SST_BLOCK_TAIL);
    SkvSstBlock blk;
    CHECK_RC(skv__sst_block_open(&blk, buf, n), SKV_OK);
    SkvSstBlockIter it;
    CHECK_RC(skv__sst_blockiter_init(&it, &blk), SKV_OK);
    skv__sst_blockiter_first(&it);
    int v1 = skv__sst_blockiter_valid(&it);
    skv__sst_blockiter_last(&it);
    int v2 = skv__sst_blockiter_valid(&it);
    skv__sst_blockiter_seek(&it, "a", 1, 5);
    int v3 = skv__sst_blockiter_valid(&it);
    skv__sst_blockiter_free(&it);
    free(buf);
    CHECK(!v1 && !v2 && !v3);
}

static void test_awkward_keys(void) {
    Ref r = {0};
    /* keys that are prefixes of each other, with zero bytes, the empty key, empty values */
    static const char *const KEYS[] = {"", "a", "a\0", "a\0\0", "ab", "abc", "abcd", "b", "\xff"};
    static const size_t LENS[] = {0, 1, 2, 3, 2, 3, 4, 1, 1};
    uint64_t seq = 1;
    for (size_t i = 0; i < sizeof LENS / sizeof LENS[0]; i++) {
        ref_add(&r, KEYS[i], LENS[i], seq++, SKV_KIND_VALUE, 100 + i, "", 0);
        ref_add(&r, KEYS[i], LENS[i], seq++, SKV_KIND_SOFT_DELETE, 7, "v\0x", 3);
    }
    /* 1-byte keys of every byte value */
    for (int c = 0; c < 256; c++) {
        uint8_t k = (uint8_t)c;
        ref_add(&r, &k, 1, 1000 + (uint64_t)c, KINDS[c % 4], (uint64_t)c << 40, &k, 1);
    }
    /* sequence numbers at the edges */
    ref_add(&r, "edge", 4, SKV_SST_SEQ_MAX, SKV_KIND_REPLACE, UINT64_MAX, "max", 3);
    ref_add(&r, "edge", 4, 0, SKV_KIND_DELETE, 0, "", 0);
    ref_sort(&r);
    for (int k = 0; k < 3; k++) check_block(&r, INTERVALS[k]);
    ref_free(&r);
}

static void test_many_versions(void) {
    Ref r = {0};
    uint64_t s = 7;
    for (uint64_t seq = 1; seq <= 500; seq++) {
        char v[16];
        int vn = snprintf(v, sizeof v, "v%llu", (unsigned long long)seq);
        ref_add(&r, "same-key", 8, seq * 3, KINDS[rnd(&s) % 4], rnd(&s), v, (size_t)vn);
    }
    ref_add(&r, "same-ke", 7, 5, SKV_KIND_VALUE, 1, "x", 1);
    ref_add(&r, "same-key\0", 9, 5, SKV_KIND_VALUE, 1, "y", 1);
    ref_sort(&r);
    for (int k = 0; k < 3; k++) check_block(&r, INTERVALS[k]);
    ref_free(&r);
}

static void test_big_keys_and_values(void) {
    Ref r = {0};
    size_t big = 64 * 1024;
    uint8_t *k = malloc(big + 1), *v = malloc(big);
    uint64_t s = 11;
    for (size_t i = 0; i < big + 1; i++) k[i] = (uint8_t)rnd(&s);
    for (size_t i = 0; i < big; i++) v[i] = (uint8_t)(i * 31);
    ref_add(&r, k, big, 9, SKV_KIND_VALUE, 1, v, big);
    ref_add(&r, k, big, 8, SKV_KIND_VALUE, 2, "", 0);
    ref_add(&r, k, big - 1, 9, SKV_KIND_VALUE, 3, v, 10);
    k[big - 1] ^= 0x80;
    ref_add(&r, k, big, 4, SKV_KIND_VALUE, 4, v, big);
    ref_add(&r, k, 1, 4, SKV_KIND_VALUE, 5, v, 1);
    ref_add(&r, "z", 1, 4, SKV_KIND_VALUE, 6, v, big);
    ref_sort(&r);
    for (int i = 0; i < 3; i++) check_block(&r, INTERVALS[i]);
    free(k);
    free(v);
    ref_free(&r);
}

static void random_ref(Ref *r, uint64_t *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t k[12], v[40];
        size_t kl = 1 + rnd(s) % 12, vl = rnd(s) % 40;
        for (size_t j = 0; j < kl; j++) k[j] = (uint8_t)(rnd(s) % 4); /* shared prefixes, zeros */
        for (size_t j = 0; j < vl; j++) v[j] = (uint8_t)rnd(s);
        ref_add(r, k, kl, rnd(s) % 1000, KINDS[rnd(s) % 4], rnd(s), v, vl);
    }
    ref_sort(r);
}

static void test_random_blocks(void) {
    uint64_t s = 42;
    for (int round = 0; round < 20; round++) {
        Ref r = {0};
        random_ref(&r, &s, 1 + rnd(&s) % 400);
        for (int k = 0; k < 3; k++) check_block(&r, INTERVALS[k]);
        ref_free(&r);
        if (test_failures_) return;
    }
}

/* Random walks (next, prev, seek, first, last, in any mix) against the reference index: a
 * backward step served from the entries the cursor kept of its restart run lands on exactly
 * the entry a fresh decode would, however the moves interleave. */
static void test_random_walks(void) {
    uint64_t s = 7;
    for (int round = 0; round < 30 && !test_failures_; round++) {
        Ref r = {0};
        random_ref(&r, &s, 1 + rnd(&s) % 300);
        int interval = 1 + (int)(rnd(&s) % 20);
        uint8_t *buf;
        size_t n;
        CHECK(build(&r, interval, &buf, &n) == 0);
        SkvSstBlock blk;
        CHECK_RC(skv__sst_block_view(&blk, buf, n), SKV_OK);
        SkvSstBlockIter it;
        skv__sst_blockiter_init(&it, &blk);
        size_t pos = r.n; /* r.n: not positioned */
        int ok = 1, backs = 0;
        for (int step = 0; ok && step < 3000; step++) {
            unsigned m = (unsigned)(rnd(&s) % 16);
            if (pos == r.n || m == 0) {
                size_t j = rnd(&s) % r.n;
                const Ent *x = &r.e[j];
                skv__sst_blockiter_seek(&it, x->key, x->klen, x->seq);
                pos = j;
            } else if (m == 1) {
                skv__sst_blockiter_last(&it);
                pos = r.n - 1;
            } else if (m < 9) {
                skv__sst_blockiter_prev(&it); /* mostly backwards: the kept run is used */
                backs++;
                if (pos == 0) {
                    ok = !skv__sst_blockiter_valid(&it);
                    pos = r.n;
                    continue;
                }
                pos--;
            } else {
                skv__sst_blockiter_next(&it);
                if (pos + 1 == r.n) {
                    ok = !skv__sst_blockiter_valid(&it);
                    pos = r.n;
                    continue;
                }
                pos++;
            }
            ok = skv__sst_blockiter_valid(&it) && same(&it, &r.e[pos]);
        }
        ok = ok && skv__sst_blockiter_status(&it) == SKV_OK && backs > 0;
        skv__sst_blockiter_free(&it);
        free(buf);
        ref_free(&r);
        CHECK(ok);
    }
}

static void test_order_enforced(void) {
    SkvSstBlockBuilder b;
    CHECK_RC(skv__sst_block_builder_init(&b, 0), SKV_EINVAL);
    CHECK_RC(skv__sst_block_builder_init(&b, 4), SKV_OK);
    CHECK_RC(skv__sst_block_add(&b, "b", 1, 5, SKV_KIND_VALUE, 0, "", 0), SKV_OK);
    CHECK_RC(skv__sst_block_add(&b, "a", 1, 9, SKV_KIND_VALUE, 0, "", 0), SKV_EINVAL);
    CHECK_RC(skv__sst_block_add(&b, "b", 1, 5, SKV_KIND_DELETE, 0, "", 0), SKV_EINVAL);
    CHECK_RC(skv__sst_block_add(&b, "b", 1, 6, SKV_KIND_VALUE, 0, "", 0), SKV_EINVAL);
    CHECK_RC(skv__sst_block_add(&b, "", 0, 1, SKV_KIND_VALUE, 0, "", 0), SKV_EINVAL);
    CHECK_RC(skv__sst_block_add(&b, "b", 1, 4, SKV_KIND_VALUE, 0, "", 0), SKV_OK);
    CHECK_RC(skv__sst_block_add(&b, "b\0", 2, 9, SKV_KIND_VALUE, 0, "", 0), SKV_OK);
    CHECK_RC(skv__sst_block_add(&b, "c", 1, SKV_SST_SEQ_MAX + 1, SKV_KIND_VALUE, 0, "", 0),
             SKV_EINVAL);
    CHECK_RC(skv__sst_block_add(&b, "c", 1, 1, 256, 0, "", 0), SKV_EINVAL);
    CHECK_EQ_U64(skv__sst_block_count(&b), 3);
    const uint8_t *p;
    size_t n;
    CHECK_RC(skv__sst_block_finish(&b, &p, &n), SKV_OK);
    CHECK_RC(skv__sst_block_add(&b, "d", 1, 1, SKV_KIND_VALUE, 0, "", 0), SKV_EINVAL);
    CHECK_RC(skv__sst_block_finish(&b, &p, &n), SKV_EINVAL);
    /* reset starts a fresh block */
    skv__sst_block_builder_reset(&b);
    CHECK_RC(skv__sst_block_add(&b, "a", 1, 1, SKV_KIND_VALUE, 0, "x", 1), SKV_OK);
    CHECK_RC(skv__sst_block_finish(&b, &p, &n), SKV_OK);
    SkvSstBlock blk;
    CHECK_RC(skv__sst_block_open(&blk, p, n), SKV_OK);
    CHECK_EQ_U64(blk.count, 1);
    skv__sst_block_builder_free(&b);
}

static uint8_t *sample_block(size_t *n, int interval) {
    Ref r = {0};
    uint64_t s = 5;
    random_ref(&r, &s, 40);
    uint8_t *buf = NULL;
    if (build(&r, interval, &buf, n) != 0) buf = NULL;
    ref_free(&r);
    return buf;
}

static void test_bit_flips_detected(void) {
    size_t n;
    uint8_t *buf = sample_block(&n, 4);
    CHECK(buf != NULL);
    size_t missed = 0;
    SkvSstBlock blk;
    for (size_t i = 0; i < n * 8; i++) {
        buf[i / 8] ^= (uint8_t)(1u << (i % 8));
        if (skv__sst_block_open(&blk, buf, n) != SKV_ECORRUPT) missed++;
        buf[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK_RC(skv__sst_block_open(&blk, buf, n), SKV_OK);
    free(buf);
    CHECK_EQ_U64(missed, 0);
}

static void test_truncations_detected(void) {
    size_t n;
    uint8_t *buf = sample_block(&n, 3);
    CHECK(buf != NULL);
    size_t missed = 0;
    SkvSstBlock blk;
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, buf, len);
        if (skv__sst_block_open(&blk, copy, len) != SKV_ECORRUPT) missed++;
        free(copy);
    }
    free(buf);
    CHECK_EQ_U64(missed, 0);
}

/* Walks an opened block every way; returns the entries seen going forward. */
static size_t exercise(const SkvSstBlock *blk, uint64_t *s) {
    SkvSstBlockIter it;
    if (skv__sst_blockiter_init(&it, blk) != SKV_OK) return 0;
    size_t fwd = 0, bwd = 0;
    SkvSstEntry e;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_next(&it)) {
        skv__sst_blockiter_entry(&it, &e);
        fwd++;
    }
    for (skv__sst_blockiter_last(&it); skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_prev(&it)) {
        skv__sst_blockiter_entry(&it, &e);
        bwd++;
    }
    for (int i = 0; i < 8; i++) {
        uint8_t k[3] = {(uint8_t)(rnd(s) % 4), (uint8_t)(rnd(s) % 4), (uint8_t)rnd(s)};
        skv__sst_blockiter_seek(&it, k, 1 + rnd(s) % 3, rnd(s) % 1200);
        if (skv__sst_blockiter_valid(&it)) skv__sst_blockiter_entry(&it, &e);
    }
    skv__sst_blockiter_free(&it);
    return fwd == bwd && fwd == blk->count ? fwd : (size_t)-1;
}

static void fix_checksum(uint8_t *p, size_t n) {
    if (n >= 4) skv__put_u32(p + n - 4, skv__checksum(p, n - 4));
}

static void test_fuzz_random_bytes(void) {
    uint64_t s = 99;
    size_t opened = 0, bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = rnd(&s) % 200;
        uint8_t *p = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd(&s);
        if (round % 2 && n >= 8) {
            /* a plausible restart count and a valid checksum, so the structure is tested */
            skv__put_u32(p + n - 8, (uint32_t)(rnd(&s) % 4));
            fix_checksum(p, n);
        }
        SkvSstBlock blk;
        int rc = skv__sst_block_open(&blk, p, n);
        if (rc == SKV_OK) {
            opened++;
            if (exercise(&blk, &s) == (size_t)-1) bad++;
        } else if (rc != SKV_ECORRUPT) {
            bad++;
        }
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
    printf("     %zu of 20000 random byte strings opened\n", opened);
}

static void test_fuzz_mutated_blocks(void) {
    size_t n;
    uint8_t *orig = sample_block(&n, 2);
    CHECK(orig != NULL);
    uint64_t s = 1234;
    size_t opened = 0, bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = round % 3 ? n : rnd(&s) % (n + 1);
        uint8_t *p = malloc(len ? len : 1);
        memcpy(p, orig, len);
        int muts = 1 + (int)(rnd(&s) % 4);
        for (int m = 0; m < muts && len; m++) p[rnd(&s) % len] = (uint8_t)rnd(&s);
        fix_checksum(p, len);
        SkvSstBlock blk;
        int rc = skv__sst_block_open(&blk, p, len);
        if (rc == SKV_OK) {
            opened++;
            if (exercise(&blk, &s) == (size_t)-1) bad++;
        } else if (rc != SKV_ECORRUPT) {
            bad++;
        }
        free(p);
    }
    free(orig);
    CHECK_EQ_U64(bad, 0);
    printf("     %zu of 20000 mutated blocks opened (values or trailers changed)\n", opened);
}

static void test_structure_damage(void) {
    size_t n;
    uint8_t *buf = sample_block(&n, 4);
    CHECK(buf != NULL);
    SkvSstBlock blk;
    /* restart count past the block */
    skv__put_u32(buf + n - 8, 0x7fffffff);
    fix_checksum(buf, n);
    int rc1 = skv__sst_block_open(&blk, buf, n);
    free(buf);
    buf = sample_block(&n, 4);
    /* first restart point moved off an entry start */
    uint32_t nr = skv__get_u32(buf + n - 8);
    size_t r0 = n - 8 - 4 * (size_t)nr;
    skv__put_u32(buf + r0, 1);
    fix_checksum(buf, n);
    int rc2 = skv__sst_block_open(&blk, buf, n);
    free(buf);
    CHECK_RC(rc1, SKV_ECORRUPT);
    CHECK_RC(rc2, SKV_ECORRUPT);
}

/* Walks a block opened with skv__sst_block_view forwards, backwards and by seeks; returns the
 * entries seen going forward, or (size_t)-1 when the cursor reported something other than
 * SKV_OK / SKV_ECORRUPT or the walks disagree on a well-formed block. */
static size_t exercise_view(const uint8_t *p, size_t n, uint64_t *s) {
    SkvSstBlock blk;
    if (skv__sst_block_view(&blk, p, n) != SKV_OK) return 0;
    SkvSstBlockIter it;
    skv__sst_blockiter_init(&it, &blk);
    size_t fwd = 0, bwd = 0;
    SkvSstEntry e;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it); skv__sst_blockiter_next(&it))
        fwd++;
    int st_fwd = skv__sst_blockiter_status(&it);
    skv__sst_blockiter_free(&it);
    skv__sst_blockiter_init(&it, &blk);
    for (skv__sst_blockiter_last(&it); skv__sst_blockiter_valid(&it); skv__sst_blockiter_prev(&it))
        bwd++;
    int st_bwd = skv__sst_blockiter_status(&it);
    for (int i = 0; i < 4; i++) {
        uint8_t k[3] = {(uint8_t)(rnd(s) % 4), (uint8_t)(rnd(s) % 4), (uint8_t)rnd(s)};
        skv__sst_blockiter_seek(&it, k, 1 + rnd(s) % 3, rnd(s) % 1200);
        if (skv__sst_blockiter_valid(&it)) skv__sst_blockiter_entry(&it, &e);
    }
    int st_seek = skv__sst_blockiter_status(&it);
    skv__sst_blockiter_free(&it);
    int ok = (st_fwd == SKV_OK || st_fwd == SKV_ECORRUPT) &&
             (st_bwd == SKV_OK || st_bwd == SKV_ECORRUPT) &&
             (st_seek == SKV_OK || st_seek == SKV_ECORRUPT);
    if (ok && st_fwd == SKV_OK && st_bwd == SKV_OK) ok = fwd == bwd;
    return ok ? fwd : (size_t)-1;
}

/* A view trusts nothing either: the first malformed entry ends the walk with SKV_ECORRUPT
 * (not a silent end of block), and a well-formed block walks exactly as a checked open. */
static void test_view_checks_each_entry(void) {
    size_t n;
    uint8_t *buf = sample_block(&n, 1); /* every entry a restart point: nothing shared */
    CHECK(buf != NULL);
    SkvSstBlock blk, full;
    CHECK_RC(skv__sst_block_open(&full, buf, n), SKV_OK);
    uint64_t s = 3;
    CHECK_EQ_U64(exercise_view(buf, n, &s), full.count);
    /* the third entry claims to share 127 bytes, more than the key before it has */
    CHECK_RC(skv__sst_block_view(&blk, buf, n), SKV_OK);
    SkvSstBlockIter it;
    skv__sst_blockiter_init(&it, &blk);
    skv__sst_blockiter_first(&it);
    skv__sst_blockiter_next(&it);
    size_t third = it.next;
    skv__sst_blockiter_free(&it);
    buf[third] = 127;
    skv__sst_blockiter_init(&it, &blk);
    size_t seen = 0;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it); skv__sst_blockiter_next(&it))
        seen++;
    CHECK_EQ_U64(seen, 2);
    CHECK_RC(skv__sst_blockiter_status(&it), SKV_ECORRUPT);
    CHECK(strstr(skv__errmsg_get(), "malformed") != NULL);
    /* the error sticks: repositioning does not revive the cursor */
    skv__sst_blockiter_first(&it);
    CHECK(!skv__sst_blockiter_valid(&it));
    skv__sst_blockiter_free(&it);
    /* a restart count larger than the block fits is refused by the view itself */
    skv__put_u32(buf + n - 8, (uint32_t)n);
    CHECK_RC(skv__sst_block_view(&blk, buf, n), SKV_ECORRUPT);
    free(buf);
}

/* Random and mutated bytes through a view: never a crash or an overread (ASan), only SKV_OK or
 * SKV_ECORRUPT from the cursor. */
static void test_view_fuzz(void) {
    uint64_t s = 1234;
    size_t bad = 0;
    size_t n;
    uint8_t *good = sample_block(&n, 4);
    CHECK(good != NULL);
    for (int round = 0; round < 20000; round++) {
        size_t len = round % 2 ? n : rnd(&s) % 200;
        uint8_t *p = malloc(len ? len : 1);
        if (round % 2) {
            memcpy(p, good, n);
            for (int k = 0; k < 1 + (int)(rnd(&s) % 4); k++) p[rnd(&s) % n] = (uint8_t)rnd(&s);
        } else {
            for (size_t i = 0; i < len; i++) p[i] = (uint8_t)rnd(&s);
            if (len >= 8) skv__put_u32(p + len - 8, (uint32_t)(rnd(&s) % 4));
        }
        if (exercise_view(p, len, &s) == (size_t)-1) bad++;
        free(p);
    }
    free(good);
    CHECK_EQ_U64(bad, 0);
}

static const TestCase TESTS[] = {
    {"empty_block", test_empty_block},
    {"awkward_keys", test_awkward_keys},
    {"many_versions", test_many_versions},
    {"big_keys_and_values", test_big_keys_and_values},
    {"random_blocks", test_random_blocks},
    {"random_walks", test_random_walks},
    {"order_enforced", test_order_enforced},
    {"bit_flips_detected", test_bit_flips_detected},
    {"truncations_detected", test_truncations_detected},
    {"structure_damage", test_structure_damage},
    {"fuzz_random_bytes", test_fuzz_random_bytes},
    {"fuzz_mutated_blocks", test_fuzz_mutated_blocks},
    {"view_checks_each_entry", test_view_checks_each_entry},
    {"view_fuzz", test_view_fuzz},
    {0, 0},
};

TEST_MAIN(TESTS)
