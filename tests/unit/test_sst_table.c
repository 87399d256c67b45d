/* test_sst_table.c — table files (engine/sst/sst_table_*.c) on memfs: empty, one-entry and
 * 50k-entry tables (many versions, empty and 64 KiB values, binary keys) under every mix of
 * compression, filter, block size and index partitioning (one index block, or partitions
 * under a top-level index), compared with a sorted reference through full iteration both
 * ways, seeks, seek_before, random walks and gets at several snapshots; exact properties;
 * the filter sparing block reads; the block cache; and the corruption matrix (each region
 * damaged, index partitions included, truncations) with the exact outcome of each, plus
 * every single-byte flip of a small table, partitioned or not — the round trip and the damage
 * checks both with copied reads and with the table mapped (blocks read in place). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cache/cache.h"
#include "env/env.h"
#include "mem/mem.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"
#include "test.h"

/* ---- opening: copied reads, or reads in place from a mapping (g_mapped) ---- */

static int g_mapped;

/* skv__sst_open, then, when g_mapped, skv__sst_map (which must succeed on memfs). */
static int open_table(SkvEnv *env, const char *path, uint64_t number, SkvCache *cache,
                      SkvSstReader **out) {
    int rc = skv__sst_open(env, path, number, cache, out);
    if (rc == SKV_OK && g_mapped && skv__sst_map(*out) != SKV_OK) {
        skv__sst_close(*out);
        *out = NULL;
        return SKV_EIO;
    }
    return rc;
}

/* ---- reference ---- */

#include "ref_entries.h"

/* The entry get(key, snap) must return, or NULL. */
static const Ent *ref_get(const Ref *r, const void *key, size_t klen, uint64_t snap) {
    size_t i = ref_lower(r, key, klen, snap);
    if (i < r->n && skv__key_cmp(r->e[i].key, r->e[i].klen, key, klen) == 0) return &r->e[i];
    return NULL;
}

static int same_entry(const SkvSstEntry *e, const Ent *x) {
    return e->klen == x->klen && (x->klen == 0 || memcmp(e->key, x->key, x->klen) == 0) &&
           e->vlen == x->vlen && (x->vlen == 0 || memcmp(e->val, x->val, x->vlen) == 0) &&
           e->seq == x->seq && e->kind == x->kind && e->ts == x->ts;
}

static int iter_is(const SkvSstIter *it, const Ent *x) {
    if (!skv__sst_iter_valid(it)) return 0;
    SkvSstEntry e;
    skv__sst_iter_entry(it, &e);
    return same_entry(&e, x);
}

/* Verification helpers report the first mismatch and return -1. */
#define VCHK(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: mismatch: %s\n", __FILE__, __LINE__, #cond);                   \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

/* ---- building ---- */

static SkvSstOptions opts(size_t block_size, int bits, int comp) {
    SkvSstOptions o;
    skv__sst_options_default(&o);
    o.block_size = block_size;
    o.filter_bits_per_key = bits;
    o.compression = comp;
    return o;
}

static int build(SkvEnv *env, const char *path, const Ref *r, const SkvSstOptions *o,
                 SkvSstProps *props) {
    SkvSstBuilder *b;
    int rc = skv__sst_builder_new(env, path, o, &b);
    if (rc != SKV_OK) return rc;
    for (size_t i = 0; i < r->n; i++) {
        const Ent *x = &r->e[i];
        rc = skv__sst_builder_add(b, x->key, x->klen, x->seq, x->kind, x->ts, x->val, x->vlen);
        if (rc != SKV_OK) {
            skv__sst_builder_abandon(b);
            return rc;
        }
    }
    if (skv__sst_builder_entries(b) != r->n) {
        skv__sst_builder_abandon(b);
        return SKV_EINVAL;
    }
    return skv__sst_builder_finish(b, props);
}

static int props_match(const SkvSstProps *p, const Ref *r) {
    uint64_t mn = UINT64_MAX, mx = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->e[i].seq < mn) mn = r->e[i].seq;
        if (r->e[i].seq > mx) mx = r->e[i].seq;
    }
    const Ent *first = &r->e[0], *last = &r->e[r->n - 1];
    VCHK(p->entries == r->n);
    VCHK(p->min_seq == mn && p->max_seq == mx);
    VCHK(p->smallest_len == first->klen &&
         (first->klen == 0 || memcmp(p->smallest, first->key, first->klen) == 0));
    VCHK(p->largest_len == last->klen &&
         (last->klen == 0 || memcmp(p->largest, last->key, last->klen) == 0));
    return 0;
}

/* ---- checking a table against its reference ---- */

static int check_seek(SkvSstIter *it, const Ref *r, const void *key, size_t klen, uint64_t seq) {
    size_t want = ref_lower(r, key, klen, seq);
    skv__sst_iter_seek(it, key, klen, seq);
    if (want == r->n)
        VCHK(!skv__sst_iter_valid(it));
    else
        VCHK(iter_is(it, &r->e[want]));
    skv__sst_iter_seek_before(it, key, klen, seq);
    if (want == 0)
        VCHK(!skv__sst_iter_valid(it));
    else
        VCHK(iter_is(it, &r->e[want - 1]));
    VCHK(skv__sst_iter_status(it) == SKV_OK);
    return 0;
}

static int check_get(SkvSstReader *rd, const Ref *r, const void *key, size_t klen, uint64_t snap) {
    const Ent *want = ref_get(r, key, klen, snap);
    SkvSstEntry e;
    SkvSstPin pin = {0};
    int rc = skv__sst_get(rd, key, klen, snap, &e, &pin);
    if (!want) {
        VCHK(rc == SKV_NOTFOUND);
        VCHK(pin.handle == NULL && pin.owned == NULL);
        return 0;
    }
    VCHK(rc == SKV_OK);
    int ok = same_entry(&e, want);
    skv__sst_pin_release(&pin);
    VCHK(ok);
    return 0;
}

/* Full iteration both ways, a random walk, and nprobe seeks and gets around random entries. */
static int check_table(SkvSstReader *rd, const Ref *r, uint64_t seed, size_t nprobe) {
    SkvSstIter *it;
    VCHK(skv__sst_iter_new(rd, &it) == SKV_OK);
    size_t i = 0;
    int ok = 1;
    for (skv__sst_iter_first(it); ok && skv__sst_iter_valid(it); skv__sst_iter_next(it), i++)
        ok = i < r->n && iter_is(it, &r->e[i]);
    ok = ok && i == r->n && skv__sst_iter_status(it) == SKV_OK;
    for (skv__sst_iter_last(it); ok && skv__sst_iter_valid(it); skv__sst_iter_prev(it))
        ok = i > 0 && iter_is(it, &r->e[--i]);
    ok = ok && i == 0 && skv__sst_iter_status(it) == SKV_OK;
    /* a random walk from a random place */
    uint64_t s = seed;
    size_t pos = (size_t)(rnd(&s) % r->n);
    skv__sst_iter_seek(it, r->e[pos].key, r->e[pos].klen, r->e[pos].seq);
    for (int step = 0; ok && step < 3000; step++) {
        ok = iter_is(it, &r->e[pos]);
        if (rnd(&s) % 2) {
            skv__sst_iter_next(it);
            if (++pos == r->n) {
                ok = ok && !skv__sst_iter_valid(it);
                pos = r->n - 1;
                skv__sst_iter_last(it);
            }
        } else {
            skv__sst_iter_prev(it);
            if (pos-- == 0) {
                ok = ok && !skv__sst_iter_valid(it);
                pos = 0;
                skv__sst_iter_first(it);
            }
        }
    }
    if (!ok) {
        skv__sst_iter_free(it);
        VCHK(ok);
    }
    /* seeks and gets at, around and between entries */
    int bad = 0;
    for (size_t k = 0; !bad && k < nprobe; k++) {
        const Ent *x = &r->e[rnd(&s) % r->n];
        uint64_t snaps[5] = {x->seq, x->seq + 1, x->seq ? x->seq - 1 : 0, UINT64_MAX, 0};
        for (int j = 0; !bad && j < 5; j++)
            bad = check_seek(it, r, x->key, x->klen, snaps[j]) ||
                  check_get(rd, r, x->key, x->klen, snaps[j]);
        uint8_t k2[64];
        size_t kl = x->klen < sizeof k2 - 1 ? x->klen : sizeof k2 - 1;
        if (kl) memcpy(k2, x->key, kl);
        k2[kl] = (uint8_t)rnd(&s); /* a longer key, usually absent */
        bad = bad || check_seek(it, r, k2, kl + 1, SKV_SST_SEQ_MAX) ||
              check_get(rd, r, k2, kl + 1, UINT64_MAX);
        if (!bad && kl > 0) /* a prefix */
            bad = check_seek(it, r, k2, kl - 1, 5) || check_get(rd, r, k2, kl - 1, UINT64_MAX);
    }
    bad = bad || check_seek(it, r, "", 0, UINT64_MAX) || check_seek(it, r, "", 0, 0) ||
          check_seek(it, r, "\xff\xff\xff\xff\xff", 5, 0) ||
          check_get(rd, r, "\xff\xff\xff\xff\xff", 5, UINT64_MAX);
    skv__sst_iter_free(it);
    VCHK(!bad);
    return 0;
}

/* ---- data sets ---- */

/* About n entries: numbered keys (every 50th with 20 versions), binary keys, the empty key,
 * empty and compressible values, eight 64 KiB values, sequence numbers 0 and the maximum. */
static void big_ref(Ref *r, size_t n, uint64_t seed) {
    uint64_t s = seed, seq = 1;
    uint8_t *big = malloc(64 * 1024);
    char v[128];
    for (size_t i = 0; r->n < n; i++) {
        char k[32];
        int kl = snprintf(k, sizeof k, "key%08zu", i * 2);
        int versions = i % 50 == 0 ? 20 : 1;
        for (int j = 0; j < versions; j++) {
            size_t vl = rnd(&s) % 5 == 0 ? 0
                                         : (size_t)snprintf(v, sizeof v, "value %zu of %d %s", i, j,
                                                            "padding padding");
            ref_add(r, k, (size_t)kl, seq, KINDS[rnd(&s) % 4], rnd(&s), v, vl);
            seq += 1 + rnd(&s) % 3;
        }
        if (i % 10 == 3) { /* a binary key */
            uint8_t b[24];
            size_t bl = 1 + rnd(&s) % sizeof b;
            for (size_t j = 0; j < bl; j++) b[j] = (uint8_t)(rnd(&s) % 3 == 0 ? 0 : rnd(&s));
            ref_add(r, b, bl, seq++, SKV_KIND_VALUE, rnd(&s), b, bl);
        }
    }
    for (int j = 0; j < 8; j++) {
        for (size_t t = 0; t < 64 * 1024; t++)
            big[t] = (uint8_t)(j % 2 ? rnd(&s) : t / 64); /* incompressible or compressible */
        char k[32];
        int kl = snprintf(k, sizeof k, "key%08d", j * 997 + 1);
        ref_add(r, k, (size_t)kl, seq++, SKV_KIND_VALUE, 1, big, 64 * 1024);
    }
    ref_add(r, "", 0, 0, SKV_KIND_VALUE, 0, "empty key", 9);
    ref_add(r, "", 0, SKV_SST_SEQ_MAX, SKV_KIND_DELETE, 0, "", 0);
    ref_add(r, "key00000000", 11, SKV_SST_SEQ_MAX, SKV_KIND_REPLACE, UINT64_MAX, "top", 3);
    free(big);
    ref_sort(r);
}

static int has(const char *msg, const char *s) { return strstr(msg, s) != NULL; }

/* ---- tests ---- */

static void test_empty_table(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvSstOptions o = opts(4096, 10, SKV_SST_COMPRESS_ZSTD);
    SkvSstBuilder *b;
    CHECK_RC(skv__sst_builder_new(env, "/t.sst", &o, &b), SKV_OK);
    CHECK_EQ_U64(skv__sst_builder_entries(b), 0);
    SkvSstProps p;
    CHECK_RC(skv__sst_builder_finish(b, &p), SKV_EINVAL); /* an empty table is refused */
    CHECK(has(skv_errmsg(), "/t.sst"));
    int is_dir;
    CHECK_RC(env->exists(env, "/t.sst", &is_dir), SKV_NOTFOUND); /* and its file removed */
    /* abandon removes the file too */
    CHECK_RC(skv__sst_builder_new(env, "/u.sst", &o, &b), SKV_OK);
    CHECK_RC(skv__sst_builder_add(b, "a", 1, 1, SKV_KIND_VALUE, 0, "x", 1), SKV_OK);
    skv__sst_builder_abandon(b);
    CHECK_RC(env->exists(env, "/u.sst", &is_dir), SKV_NOTFOUND);
    /* bad options */
    SkvSstOptions bad = o;
    bad.compression = 7;
    CHECK_RC(skv__sst_builder_new(env, "/v.sst", &bad, &b), SKV_EINVAL);
    bad = o;
    bad.filter_bits_per_key = 101;
    CHECK_RC(skv__sst_builder_new(env, "/v.sst", &bad, &b), SKV_EINVAL);
    bad = o;
    bad.restart_interval = 0;
    CHECK_RC(skv__sst_builder_new(env, "/v.sst", &bad, &b), SKV_EINVAL);
    skv__memfs_free(fs);
}

static void test_order_enforced(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvSstOptions o = opts(256, 10, SKV_SST_COMPRESS_NONE);
    SkvSstBuilder *b;
    CHECK_RC(skv__sst_builder_new(env, "/t.sst", &o, &b), SKV_OK);
    CHECK_RC(skv__sst_builder_add(b, "b", 1, 5, SKV_KIND_VALUE, 0, "x", 1), SKV_OK);
    CHECK_RC(skv__sst_builder_add(b, "b", 1, 5, SKV_KIND_VALUE, 0, "x", 1), SKV_EINVAL);
    CHECK_RC(skv__sst_builder_add(b, "b", 1, 6, SKV_KIND_VALUE, 0, "x", 1), SKV_EINVAL);
    CHECK_RC(skv__sst_builder_add(b, "a", 1, 1, SKV_KIND_VALUE, 0, "x", 1), SKV_EINVAL);
    CHECK_RC(skv__sst_builder_add(b, "c", 1, SKV_SST_SEQ_MAX + 1, SKV_KIND_VALUE, 0, "", 0),
             SKV_EINVAL);
    CHECK_RC(skv__sst_builder_add(b, "c", 1, 1, 256, 0, "", 0), SKV_EINVAL);
    /* the builder stays usable after a refused entry */
    CHECK_RC(skv__sst_builder_add(b, "b", 1, 4, SKV_KIND_DELETE, 0, "", 0), SKV_OK);
    CHECK_RC(skv__sst_builder_add(b, "c", 1, 9, SKV_KIND_VALUE, 0, "y", 1), SKV_OK);
    SkvSstProps p;
    CHECK_RC(skv__sst_builder_finish(b, &p), SKV_OK);
    CHECK_EQ_U64(p.entries, 3);
    skv__sst_props_free(&p);
    skv__memfs_free(fs);
}

static void test_one_entry(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    for (int comp = 0; comp < 2; comp++) {
        for (int bits = 0; bits <= 10; bits += 10) {
            Ref r = {0};
            ref_add(&r, "only", 4, 42, SKV_KIND_VALUE, 7, "v", 1);
            SkvSstOptions o = opts(4096, bits, comp);
            SkvSstProps p;
            CHECK_RC(build(env, "/one.sst", &r, &o, &p), SKV_OK);
            CHECK(props_match(&p, &r) == 0);
            SkvSstReader *rd;
            CHECK_RC(open_table(env, "/one.sst", 1, NULL, &rd), SKV_OK);
            const SkvSstProps *q = skv__sst_props(rd);
            CHECK(props_match(q, &r) == 0);
            CHECK_EQ_U64(q->size, p.size);
            uint64_t fsize;
            SkvFile *f;
            CHECK_RC(env->open(env, "/one.sst", SKV_ENV_READ, &f), SKV_OK);
            CHECK_RC(env->size(f, &fsize), SKV_OK);
            env->close(f);
            CHECK_EQ_U64(fsize, p.size);
            CHECK(check_table(rd, &r, 1, 20) == 0);
            SkvSstEntry e;
            SkvSstPin pin = {0};
            CHECK_RC(skv__sst_get(rd, "only", 4, 41, &e, &pin), SKV_NOTFOUND);
            CHECK_RC(skv__sst_get(rd, "only", 4, 42, &e, &pin), SKV_OK);
            CHECK_MEM(e.val, e.vlen, "v");
            CHECK_MEM(e.key, e.klen, "only");
            skv__sst_pin_release(&pin);
            skv__sst_pin_release(&pin); /* a released pin holds nothing */
            skv__sst_close(rd);
            skv__sst_props_free(&p);
            ref_free(&r);
        }
    }
    skv__memfs_free(fs);
}

/* Every data block of rd in file order, through the partitions when partitioned (*n of them,
 * malloc'ed); part_first (nparts + 1 entries, may be NULL) receives the first block of each
 * partition and the total. -1 when a partition does not load or the handles are not
 * contiguous from offset 0. */
static int all_blocks(SkvSstReader *rd, SkvSstHandle **out, size_t *n, size_t *part_first) {
    size_t np = skv__sst_nparts(rd), cap = 0, k = 0;
    SkvSstHandle *hs = NULL;
    uint64_t at = 0;
    int bad = 0;
    for (size_t p = 0; !bad && p < np; p++) {
        const SkvSstPartition *pt;
        SkvSstPin pin;
        if (skv__sst_load_part(rd, p, &pt, &pin) != SKV_OK) {
            bad = 1;
            break;
        }
        if (part_first) part_first[p] = k;
        for (size_t i = 0; !bad && i < pt->n; i++) {
            if (k == cap) {
                cap = cap ? cap * 2 : 64;
                SkvSstHandle *nh = realloc(hs, cap * sizeof *hs);
                if (!nh) bad = 1;
                if (nh) hs = nh;
            }
            bad = bad || pt->e[i].h.off != at;
            if (!bad) hs[k++] = pt->e[i].h;
            at += pt->e[i].h.size + SKV_SST_TRAILER;
        }
        skv__sst_pin_release(&pin);
    }
    if (part_first) part_first[np] = k;
    if (bad) {
        free(hs);
        return -1;
    }
    *out = hs;
    *n = k;
    return 0;
}

/* The shape of rd's index for partition size ps: partitioned only with ps > 0 and an index
 * that did not fit in ps bytes; then the top level has one entry per partition, the
 * partitions are contiguous and each about ps bytes. Either way more than min_blocks data
 * blocks are reachable in order, contiguous from offset 0. */
static int check_partitioning(SkvSstReader *rd, size_t ps, size_t min_blocks) {
    SkvSstHandle *hs;
    size_t n;
    VCHK(all_blocks(rd, &hs, &n, NULL) == 0);
    free(hs);
    VCHK(n > min_blocks);
    if (!rd->partitioned) {
        VCHK(ps == 0 || rd->nblocks * 24 <= ps + 64); /* the index was small enough */
        VCHK(rd->nblocks == n);
        return 0;
    }
    VCHK(ps > 0 && rd->nblocks >= 1 && rd->nblocks < n);
    for (size_t p = 0; p < rd->nblocks; p++) {
        SkvSstHandle h = rd->index[p].h;
        VCHK(h.size <= ps + 128); /* cut as soon as a partition reaches ps */
        VCHK(p == 0 || h.off == rd->index[p - 1].h.off + rd->index[p - 1].h.size + SKV_SST_TRAILER);
    }
    return 0;
}

static void test_round_trip(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    big_ref(&r, 50000, 99);
    CHECK(r.n >= 50000);
    uint64_t fileno = 1;
    static const size_t BS[2] = {256, 4096};
    static const size_t PS[3] = {0, 512, 16384}; /* never, small partitions, the default */
    for (int comp = 0; comp < 2; comp++) {
        for (int bits = 0; bits <= 10; bits += 10) {
            for (int bs = 0; bs < 2; bs++) {
                for (int ps = 0; ps < 3; ps++) {
                    SkvSstOptions o = opts(BS[bs], bits, comp);
                    o.index_partition_size = PS[ps];
                    SkvSstProps p;
                    char path[64];
                    snprintf(path, sizeof path, "/rt-%d-%d-%zu-%zu.sst", comp, bits, BS[bs],
                             PS[ps]);
                    CHECK_RC(build(env, path, &r, &o, &p), SKV_OK);
                    CHECK(props_match(&p, &r) == 0);
                    SkvSstReader *rd;
                    CHECK_RC(open_table(env, path, fileno++, NULL, &rd), SKV_OK);
                    CHECK(props_match(skv__sst_props(rd), &r) == 0);
                    CHECK_EQ_U64(skv__sst_props(rd)->size, p.size);
                    CHECK((bits == 0) == (rd->filter == NULL));
                    /* small partitions: every configuration is partitioned, into many */
                    if (PS[ps] == 512) CHECK(rd->partitioned && rd->nblocks > 4);
                    if (PS[ps] == 0) CHECK(!rd->partitioned);
                    if (PS[ps] == 16384 && bs == 0) CHECK(rd->partitioned);
                    /* blocks about block_size bytes: a 256-byte table has many more blocks */
                    CHECK(check_partitioning(rd, PS[ps], bs == 0 ? r.n / 20 : r.n / 200) == 0);
                    int ok = check_table(rd, &r, 1000 + (uint64_t)bs, 400) == 0;
                    skv__sst_close(rd);
                    skv__sst_props_free(&p);
                    CHECK(ok);
                }
            }
        }
    }
    ref_free(&r);
    skv__memfs_free(fs);
}

static void test_compression_saves(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    big_ref(&r, 5000, 5);
    SkvSstOptions o1 = opts(4096, 10, SKV_SST_COMPRESS_NONE);
    SkvSstOptions o2 = opts(4096, 10, SKV_SST_COMPRESS_ZSTD);
    SkvSstProps p1, p2;
    CHECK_RC(build(env, "/a.sst", &r, &o1, &p1), SKV_OK);
    CHECK_RC(build(env, "/b.sst", &r, &o2, &p2), SKV_OK);
    CHECK(p2.size < p1.size * 3 / 4);
    /* the size estimate while building is close to the final size */
    SkvSstBuilder *b;
    CHECK_RC(skv__sst_builder_new(env, "/c.sst", &o1, &b), SKV_OK);
    for (size_t i = 0; i < r.n; i++) {
        const Ent *x = &r.e[i];
        CHECK_RC(skv__sst_builder_add(b, x->key, x->klen, x->seq, x->kind, x->ts, x->val, x->vlen),
                 SKV_OK);
    }
    uint64_t est = skv__sst_builder_size(b);
    SkvSstProps p3;
    CHECK_RC(skv__sst_builder_finish(b, &p3), SKV_OK);
    CHECK_EQ_U64(p3.size, p1.size);
    CHECK(est >= p3.size * 9 / 10 && est <= p3.size * 11 / 10 + 512);
    skv__sst_props_free(&p1);
    skv__sst_props_free(&p2);
    skv__sst_props_free(&p3);
    ref_free(&r);
    skv__memfs_free(fs);
}

/* keys key%08d of even numbers; odd numbers are absent but inside the key range */
static void even_ref(Ref *r, int n) {
    for (int i = 0; i < n; i++) {
        char k[32];
        int kl = snprintf(k, sizeof k, "key%08d", 2 * i);
        ref_add(r, k, (size_t)kl, (uint64_t)i + 1, SKV_KIND_VALUE, 0, k, (size_t)kl);
    }
}

static uint64_t lookups(SkvCache *c) {
    SkvCacheStats st;
    skv__cache_stats(c, &st);
    return st.hits + st.misses;
}

static void test_filter_skips_reads(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    even_ref(&r, 5000);
    SkvCache *cache = skv__cache_new(1 << 20, 0);
    CHECK(cache != NULL);
    for (int bits = 0; bits <= 10; bits += 10) {
        SkvSstOptions o = opts(1024, bits, SKV_SST_COMPRESS_NONE);
        CHECK_RC(build(env, "/f.sst", &r, &o, NULL), SKV_OK);
        SkvSstReader *rd;
        CHECK_RC(open_table(env, "/f.sst", 10 + (uint64_t)bits, cache, &rd), SKV_OK);
        uint64_t before = lookups(cache);
        int bad = 0;
        for (int i = 0; i < 4000; i++) {
            char k[32];
            int kl = snprintf(k, sizeof k, "key%08d", 2 * i + 1);
            SkvSstEntry e;
            SkvSstPin pin = {0};
            bad |= skv__sst_get(rd, k, (size_t)kl, UINT64_MAX, &e, &pin) != SKV_NOTFOUND;
        }
        uint64_t reads = lookups(cache) - before;
        /* present keys are always found (no false negatives) */
        for (int i = 0; i < 5000; i += 7) bad |= check_get(rd, &r, r.e[i].key, r.e[i].klen, 9999);
        skv__sst_close(rd);
        CHECK(!bad);
        if (bits == 0)
            CHECK_EQ_U64(reads, 4000); /* every absent key costs a block read */
        else
            CHECK(reads <= 4000 / 40); /* about 1 % false positives */
    }
    skv__cache_free(cache);
    ref_free(&r);
    skv__memfs_free(fs);
}

static void test_cache(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    big_ref(&r, 20000, 3);
    SkvSstOptions o = opts(4096, 10, SKV_SST_COMPRESS_ZSTD);
    CHECK_RC(build(env, "/c.sst", &r, &o, NULL), SKV_OK);
    SkvCache *cache = skv__cache_new(64 * 1024, 0);
    CHECK(cache != NULL);
    SkvSstReader *rd;
    CHECK_RC(open_table(env, "/c.sst", 77, cache, &rd), SKV_OK);
    CHECK(check_table(rd, &r, 5, 500) == 0);
    SkvCacheStats st1, st2;
    skv__cache_stats(cache, &st1);
    CHECK(check_table(rd, &r, 5, 500) == 0);
    skv__cache_stats(cache, &st2);
    CHECK(st2.hits > st1.hits);
    CHECK(st2.usage <= 64 * 1024);
    CHECK_EQ_U64(st2.pinned, 0);
    /* a held get pins its block */
    SkvSstEntry e;
    SkvSstPin pin = {0};
    CHECK_RC(skv__sst_get(rd, r.e[0].key, r.e[0].klen, UINT64_MAX, &e, &pin), SKV_OK);
    skv__cache_stats(cache, &st1);
    CHECK(st1.pinned > 0);
    skv__sst_pin_release(&pin);
    skv__cache_stats(cache, &st1);
    CHECK_EQ_U64(st1.pinned, 0);
    skv__sst_close(rd);
    /* a cache of capacity 0 caches nothing and changes nothing */
    SkvCache *none = skv__cache_new(0, 0);
    CHECK_RC(open_table(env, "/c.sst", 77, none, &rd), SKV_OK);
    CHECK(check_table(rd, &r, 6, 200) == 0);
    skv__sst_close(rd);
    skv__cache_free(none);
    skv__cache_free(cache);
    ref_free(&r);
    skv__memfs_free(fs);
}

/* ---- corruption ---- */

static int flip(SkvEnv *env, const char *path, uint64_t off) {
    char *d;
    size_t n;
    if (skv__env_read_file(env, path, &d, &n) != SKV_OK || off >= n) return -1;
    d[off] ^= 0x5a;
    int rc = skv__env_write_file_sync(env, path, d, n);
    free(d);
    return rc;
}

static int truncate_to(SkvEnv *env, const char *path, uint64_t len) {
    char *d;
    size_t n;
    if (skv__env_read_file(env, path, &d, &n) != SKV_OK || len > n) return -1;
    int rc = skv__env_write_file_sync(env, path, d, (size_t)len);
    free(d);
    return rc;
}

static int copy_file(SkvEnv *env, const char *from, const char *to) {
    char *d;
    size_t n;
    if (skv__env_read_file(env, from, &d, &n) != SKV_OK) return -1;
    int rc = skv__env_write_file_sync(env, to, d, n);
    free(d);
    return rc;
}

/* Where the regions of a good table lie. */
typedef struct {
    uint64_t size;
    SkvSstHandle index, filter, props;
    size_t nblocks;
    SkvSstHandle *blocks;
    Ent *last;     /* last key of each block (views into the reference) */
    size_t nparts; /* index partitions, 0 when the index is one block */
    SkvSstHandle *parts;
    size_t *part_first; /* first block of each partition, then nblocks */
} Layout;

static int layout_of(SkvEnv *env, const char *path, const Ref *r, Layout *l) {
    SkvSstReader *rd;
    memset(l, 0, sizeof *l);
    if (open_table(env, path, 999, NULL, &rd) != SKV_OK) return -1;
    l->size = rd->props.size;
    size_t np = skv__sst_nparts(rd);
    l->part_first = calloc(np + 1, sizeof *l->part_first);
    l->parts = calloc(np, sizeof *l->parts);
    if (!l->part_first || !l->parts || all_blocks(rd, &l->blocks, &l->nblocks, l->part_first)) {
        skv__sst_close(rd);
        return -1;
    }
    if (rd->partitioned) {
        l->nparts = np;
        for (size_t p = 0; p < np; p++) l->parts[p] = rd->index[p].h;
    }
    l->last = calloc(l->nblocks, sizeof *l->last);
    for (size_t p = 0; p < np; p++) {
        const SkvSstPartition *pt;
        SkvSstPin pin;
        if (!l->last || skv__sst_load_part(rd, p, &pt, &pin) != SKV_OK) {
            skv__sst_close(rd);
            return -1;
        }
        for (size_t i = 0; i < pt->n; i++) {
            size_t j = ref_lower(r, pt->keys + pt->e[i].key_off, pt->e[i].klen, pt->e[i].seq);
            l->last[l->part_first[p] + i] = r->e[j];
        }
        skv__sst_pin_release(&pin);
    }
    skv__sst_close(rd);
    /* the footer, decoded by hand */
    char *d;
    size_t n;
    if (skv__env_read_file(env, path, &d, &n) != SKV_OK) return -1;
    const uint8_t *p = (const uint8_t *)d + n - SKV_SST_FOOTER_SIZE, *e = p + 48;
    int rc = skv__sst_handle_decode(&p, e, &l->index) ||
             skv__sst_handle_decode(&p, e, &l->filter) || skv__sst_handle_decode(&p, e, &l->props);
    free(d);
    return rc ? -1 : 0;
}

static void layout_free(Layout *l) {
    free(l->blocks);
    free(l->last);
    free(l->parts);
    free(l->part_first);
}

/* The data block that holds entry x (by the last keys of the good table). */
static size_t block_of(const Layout *l, const Ent *x) {
    size_t b = 0;
    while (b < l->nblocks && ent_cmp(&l->last[b], x) < 0) b++;
    return b;
}

static int expect_open_corrupt(SkvEnv *env, const char *path, const char *what) {
    SkvSstReader *rd = NULL;
    int rc = open_table(env, path, 5, NULL, &rd);
    if (rc != SKV_ECORRUPT || rd || !has(skv_errmsg(), path) ||
        (what && !has(skv_errmsg(), what))) {
        fprintf(stderr, "%s (%s): open gave %s: %s\n", path, what ? what : "-", skv_errname(rc),
                skv_errmsg());
        skv__sst_close(rd);
        return -1;
    }
    return 0;
}

/* A damaged data block or index partition, covering data blocks [lo, hi): open works;
 * exactly the entries of those blocks fail (with an error naming the file and `what`), in
 * gets and in iteration, and every other entry reads correctly. */
static int check_damaged(SkvEnv *env, const char *path, const Ref *r, const Layout *l, size_t lo,
                         size_t hi, const char *what, SkvCache *cache) {
    SkvSstReader *rd;
    VCHK(open_table(env, path, 500 + lo, cache, &rd) == SKV_OK);
    size_t in_k = 0, corrupt = 0, first_k = r->n, bad = 0;
    for (size_t i = 0; i < r->n; i++) {
        const Ent *x = &r->e[i];
        size_t bk = block_of(l, x);
        int mine = bk >= lo && bk < hi;
        SkvSstEntry e;
        SkvSstPin pin = {0};
        int rc = skv__sst_get(rd, x->key, x->klen, x->seq, &e, &pin);
        if (mine) {
            in_k++;
            if (first_k == r->n) first_k = i;
            corrupt += rc == SKV_ECORRUPT && has(skv_errmsg(), path) && has(skv_errmsg(), what);
        } else {
            bad += rc != SKV_OK || !same_entry(&e, x);
        }
        skv__sst_pin_release(&pin);
    }
    VCHK(in_k > 0 && corrupt == in_k && bad == 0);
    /* forward: the entries before block k, then the error */
    SkvSstIter *it;
    VCHK(skv__sst_iter_new(rd, &it) == SKV_OK);
    size_t i = 0;
    int ok = 1;
    for (skv__sst_iter_first(it); ok && skv__sst_iter_valid(it); skv__sst_iter_next(it), i++)
        ok = iter_is(it, &r->e[i]);
    ok = ok && i == first_k && skv__sst_iter_status(it) == SKV_ECORRUPT;
    skv__sst_iter_next(it); /* the cursor stays stopped */
    ok = ok && !skv__sst_iter_valid(it) && skv__sst_iter_status(it) == SKV_ECORRUPT;
    skv__sst_iter_free(it);
    /* backward: the entries after block k, then the error */
    VCHK(ok && skv__sst_iter_new(rd, &it) == SKV_OK);
    i = r->n;
    for (skv__sst_iter_last(it); ok && skv__sst_iter_valid(it); skv__sst_iter_prev(it))
        ok = iter_is(it, &r->e[--i]);
    ok = ok && i == first_k + in_k && skv__sst_iter_status(it) == SKV_ECORRUPT;
    skv__sst_iter_free(it);
    /* a seek into the block fails; one past it works */
    VCHK(ok && skv__sst_iter_new(rd, &it) == SKV_OK);
    const Ent *x = &r->e[first_k];
    skv__sst_iter_seek(it, x->key, x->klen, x->seq);
    ok = !skv__sst_iter_valid(it) && skv__sst_iter_status(it) == SKV_ECORRUPT;
    skv__sst_iter_free(it);
    if (ok && first_k + in_k < r->n) {
        VCHK(skv__sst_iter_new(rd, &it) == SKV_OK);
        x = &r->e[first_k + in_k];
        skv__sst_iter_seek(it, x->key, x->klen, x->seq);
        ok = iter_is(it, x);
        skv__sst_iter_next(it);
        ok = ok && (first_k + in_k + 1 == r->n || iter_is(it, x + 1));
        skv__sst_iter_free(it);
    }
    skv__sst_close(rd);
    VCHK(ok);
    return 0;
}

static int check_damaged_block(SkvEnv *env, const char *path, const Ref *r, const Layout *l,
                               size_t k, SkvCache *cache) {
    return check_damaged(env, path, r, l, k, k + 1, "data block", cache);
}

static void corruption_matrix(int comp) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    big_ref(&r, 3000, 17);
    SkvSstOptions o = opts(1024, 10, comp);
    CHECK_RC(build(env, "/good.sst", &r, &o, NULL), SKV_OK);
    Layout l;
    CHECK(layout_of(env, "/good.sst", &r, &l) == 0);
    CHECK(l.nblocks > 10 && l.filter.size > 0 && l.nparts == 0);
    /* the regions tile the file: data blocks, filter, properties, index, footer */
    uint64_t at = 0;
    for (size_t i = 0; i < l.nblocks; i++) {
        CHECK_EQ_U64(l.blocks[i].off, at);
        at += l.blocks[i].size + SKV_SST_TRAILER;
    }
    CHECK_EQ_U64(l.filter.off, at);
    CHECK_EQ_U64(l.props.off, l.filter.off + l.filter.size + SKV_SST_TRAILER);
    CHECK_EQ_U64(l.index.off, l.props.off + l.props.size + SKV_SST_TRAILER);
    CHECK_EQ_U64(l.size, l.index.off + l.index.size + SKV_SST_TRAILER + SKV_SST_FOOTER_SIZE);
    const char *P = "/bad.sst";

    /* data blocks: first, middle, last; payload, compression byte and checksum */
    size_t ks[3] = {0, l.nblocks / 2, l.nblocks - 1};
    for (int j = 0; j < 3; j++) {
        SkvSstHandle h = l.blocks[ks[j]];
        uint64_t offs[3] = {h.off + h.size / 2, h.off + h.size, h.off + h.size + 2};
        for (int m = 0; m < 3; m++) {
            CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, offs[m]) == 0);
            CHECK(check_damaged_block(env, P, &r, &l, ks[j], NULL) == 0);
        }
    }
    /* the same through a cache: the damage is found at every read, never cached */
    SkvCache *cache = skv__cache_new(1 << 20, 0);
    CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, l.blocks[3].off + 1) == 0);
    CHECK(check_damaged_block(env, P, &r, &l, 3, cache) == 0);
    CHECK(check_damaged_block(env, P, &r, &l, 3, cache) == 0);
    skv__cache_free(cache);

    /* filter: open works, the filter is dropped, every read stays right */
    uint64_t foffs[3] = {l.filter.off, l.filter.off + l.filter.size / 2,
                         l.filter.off + l.filter.size + 1};
    for (int m = 0; m < 3; m++) {
        CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, foffs[m]) == 0);
        SkvSstReader *rd;
        CHECK_RC(open_table(env, P, 600, NULL, &rd), SKV_OK);
        CHECK(rd->filter == NULL);
        int ok = check_table(rd, &r, 8, 300) == 0;
        for (size_t i = 0; ok && i < r.n; i += 3)
            ok = check_get(rd, &r, r.e[i].key, r.e[i].klen, r.e[i].seq) == 0;
        skv__sst_close(rd);
        CHECK(ok);
    }
    /* properties, index: open fails naming the file and the block */
    struct {
        uint64_t off;
        const char *what;
    } meta[] = {{l.props.off, "properties"},
                {l.props.off + l.props.size / 2, "properties"},
                {l.props.off + l.props.size + 3, "properties"},
                {l.index.off, "index"},
                {l.index.off + l.index.size / 2, "index"},
                {l.index.off + l.index.size, "index"},
                {l.size - 1, "magic"},
                {l.size - 8, "magic"},
                {l.size - 16, "version"},
                {l.size - 13, "version"},
                {l.size - 12, "footer"},
                {l.size - SKV_SST_FOOTER_SIZE, "footer"},
                {l.size - SKV_SST_FOOTER_SIZE + 40, "footer"}};
    for (size_t m = 0; m < sizeof meta / sizeof meta[0]; m++) {
        CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, meta[m].off) == 0);
        CHECK(expect_open_corrupt(env, P, meta[m].what) == 0);
    }
    /* truncations */
    uint64_t lens[5] = {0, l.size / 2, l.size - 1, SKV_SST_FOOTER_SIZE - 1, SKV_SST_FOOTER_SIZE};
    for (int m = 0; m < 5; m++) {
        CHECK(copy_file(env, "/good.sst", P) == 0 && truncate_to(env, P, lens[m]) == 0);
        CHECK(expect_open_corrupt(env, P, NULL) == 0);
    }
    /* a missing file, and one that is not a table */
    CHECK(expect_open_corrupt(env, "/missing.sst", "missing") == 0);
    char junk[200];
    memset(junk, 'j', sizeof junk);
    CHECK_RC(skv__env_write_file_sync(env, P, junk, sizeof junk), SKV_OK);
    CHECK(expect_open_corrupt(env, P, "magic") == 0);
    layout_free(&l);
    ref_free(&r);
    skv__memfs_free(fs);
}

static void test_corruption_plain(void) { corruption_matrix(SKV_SST_COMPRESS_NONE); }
static void test_corruption_zstd(void) { corruption_matrix(SKV_SST_COMPRESS_ZSTD); }

/* A partitioned table: the regions tile the file (data blocks, filter, partitions, properties,
 * top-level index, footer); a damaged partition leaves open working and fails exactly the
 * reads through it, with or without a cache; a damaged data block still fails only itself; a
 * damaged top-level index fails the open. */
static void partition_matrix(int comp) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    big_ref(&r, 3000, 23);
    SkvSstOptions o = opts(256, 10, comp);
    o.index_partition_size = 512;
    CHECK_RC(build(env, "/good.sst", &r, &o, NULL), SKV_OK);
    Layout l;
    CHECK(layout_of(env, "/good.sst", &r, &l) == 0);
    CHECK(l.nparts > 4 && l.nblocks > 4 * l.nparts && l.filter.size > 0);
    uint64_t at = 0;
    for (size_t i = 0; i < l.nblocks; i++) {
        CHECK_EQ_U64(l.blocks[i].off, at);
        at += l.blocks[i].size + SKV_SST_TRAILER;
    }
    CHECK_EQ_U64(l.filter.off, at);
    at = l.filter.off + l.filter.size + SKV_SST_TRAILER;
    for (size_t p = 0; p < l.nparts; p++) {
        CHECK_EQ_U64(l.parts[p].off, at);
        at += l.parts[p].size + SKV_SST_TRAILER;
        CHECK(l.part_first[p + 1] > l.part_first[p]);
    }
    CHECK_EQ_U64(l.props.off, at);
    CHECK_EQ_U64(l.index.off, l.props.off + l.props.size + SKV_SST_TRAILER);
    CHECK_EQ_U64(l.size, l.index.off + l.index.size + SKV_SST_TRAILER + SKV_SST_FOOTER_SIZE);
    /* the reader keeps only the top level in memory: a fraction of the whole index */
    CHECK(l.index.size * 4 <
          l.parts[l.nparts - 1].off + l.parts[l.nparts - 1].size - l.parts[0].off);
    const char *P = "/bad.sst";

    /* partitions: first, middle, last; payload start and middle, compression byte, checksum */
    size_t ps[3] = {0, l.nparts / 2, l.nparts - 1};
    for (int j = 0; j < 3; j++) {
        SkvSstHandle h = l.parts[ps[j]];
        uint64_t offs[4] = {h.off, h.off + h.size / 2, h.off + h.size, h.off + h.size + 2};
        for (int m = 0; m < 4; m++) {
            CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, offs[m]) == 0);
            CHECK(check_damaged(env, P, &r, &l, l.part_first[ps[j]], l.part_first[ps[j] + 1],
                                "index partition", NULL) == 0);
        }
    }
    /* through a cache: the damage is found at every read, never cached */
    SkvCache *cache = skv__cache_new(1 << 20, 0);
    size_t k = l.nparts / 3;
    CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, l.parts[k].off + 3) == 0);
    for (int m = 0; m < 2; m++)
        CHECK(check_damaged(env, P, &r, &l, l.part_first[k], l.part_first[k + 1], "index partition",
                            cache) == 0);
    skv__cache_free(cache);
    /* a data block inside a partition, and the first of a partition */
    size_t bks[2] = {l.part_first[k] + 1, l.part_first[k + 1]};
    for (int j = 0; j < 2; j++) {
        CHECK(copy_file(env, "/good.sst", P) == 0 &&
              flip(env, P, l.blocks[bks[j]].off + l.blocks[bks[j]].size / 2) == 0);
        CHECK(check_damaged_block(env, P, &r, &l, bks[j], NULL) == 0);
    }
    /* every single-bit change of one partition with its checksums made to match again (damage
     * no checksum sees): open works and nothing crashes; a get answers SKV_OK with the key
     * asked for at a sequence <= the snapshot (a changed key may send it to a neighbouring
     * block: another version, or SKV_NOTFOUND), or SKV_ECORRUPT; iteration gives the right
     * entries up to SKV_ECORRUPT at worst */
    char *good;
    size_t n;
    CHECK_RC(skv__env_read_file(env, "/good.sst", &good, &n), SKV_OK);
    SkvSstHandle h = l.parts[k];
    uint8_t *pp = (uint8_t *)good + h.off;
    size_t sz = (size_t)h.size, wrong = 0;
    CHECK(pp[sz] == SKV_SST_COMPRESS_NONE);
    size_t elo = 0, ehi = 0; /* entries of the blocks around and in partition k */
    while (elo < r.n && block_of(&l, &r.e[elo]) + 1 < l.part_first[k]) elo++;
    for (ehi = elo; ehi < r.n && block_of(&l, &r.e[ehi]) <= l.part_first[k + 1]; ehi++) {}
    CHECK(elo < ehi);
    for (size_t off = 0; off < sz - 4 && !wrong; off++) {
        for (int bit = 0; bit < 8; bit += 5) {
            pp[off] ^= (uint8_t)(1u << bit);
            uint32_t inner = skv__get_u32(pp + sz - 4), outer = skv__get_u32(pp + sz + 1);
            skv__put_u32(pp + sz - 4, skv__checksum(pp, sz - 4));
            skv__put_u32(pp + sz + 1, skv__checksum(pp, sz + 1));
            int wrc = skv__env_write_file_sync(env, P, good, n);
            pp[off] ^= (uint8_t)(1u << bit);
            skv__put_u32(pp + sz - 4, inner);
            skv__put_u32(pp + sz + 1, outer);
            SkvSstReader *rd;
            if (wrc != SKV_OK || open_table(env, P, 700, NULL, &rd) != SKV_OK) {
                wrong++;
                break;
            }
            for (size_t i = elo; i < ehi; i++) {
                SkvSstEntry e;
                SkvSstPin pin = {0};
                int rc = skv__sst_get(rd, r.e[i].key, r.e[i].klen, r.e[i].seq, &e, &pin);
                wrong += rc == SKV_OK ? e.klen != r.e[i].klen || e.seq > r.e[i].seq
                                      : rc != SKV_ECORRUPT && rc != SKV_NOTFOUND;
                skv__sst_pin_release(&pin);
            }
            /* from the block before the partition to the one after it */
            SkvSstIter *it;
            CHECK_RC(skv__sst_iter_new(rd, &it), SKV_OK);
            size_t i = elo;
            skv__sst_iter_seek(it, r.e[elo].key, r.e[elo].klen, r.e[elo].seq);
            for (; i < ehi && skv__sst_iter_valid(it); skv__sst_iter_next(it))
                wrong += !iter_is(it, &r.e[i++]);
            wrong += i != ehi && skv__sst_iter_status(it) != SKV_ECORRUPT;
            skv__sst_iter_free(it);
            skv__sst_close(rd);
            if (wrong) fprintf(stderr, "partition byte %zu bit %d: wrong result\n", off, bit);
        }
    }
    free(good);
    CHECK_EQ_U64(wrong, 0);
    /* the top-level index and the properties: open fails naming the file and the block */
    struct {
        uint64_t off;
        const char *what;
    } meta[] = {{l.index.off, "index"},
                {l.index.off + l.index.size / 2, "index"},
                {l.index.off + l.index.size, "index"},
                {l.props.off + l.props.size - 1, "properties"},
                {l.props.off + l.props.size + 3, "properties"}};
    for (size_t m = 0; m < sizeof meta / sizeof meta[0]; m++) {
        CHECK(copy_file(env, "/good.sst", P) == 0 && flip(env, P, meta[m].off) == 0);
        CHECK(expect_open_corrupt(env, P, meta[m].what) == 0);
    }
    layout_free(&l);
    ref_free(&r);
    skv__memfs_free(fs);
}

static void test_partition_corruption_plain(void) { partition_matrix(SKV_SST_COMPRESS_NONE); }
static void test_partition_corruption_zstd(void) { partition_matrix(SKV_SST_COMPRESS_ZSTD); }

/* Every single-byte change of a small table: open fails with SKV_ECORRUPT, or every read
 * gives the right entry or SKV_ECORRUPT — never a wrong answer, never a crash. */
static void test_every_byte(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    uint64_t s = 1;
    for (int i = 0; i < 40; i++) {
        char k[16], v[24];
        int kl = snprintf(k, sizeof k, "k%03d", i);
        int vl = snprintf(v, sizeof v, "value-%d-value", i * 7);
        ref_add(&r, k, (size_t)kl, 100 - (uint64_t)(i % 3), KINDS[rnd(&s) % 4], (uint64_t)i, v,
                (size_t)vl);
    }
    ref_sort(&r);
    for (int v = 0; v < 4; v++) {
        int comp = v % 2;
        SkvSstOptions o = opts(256, 10, comp);
        o.index_partition_size = v < 2 ? 0 : 64; /* one index block, or partitions */
        CHECK_RC(build(env, "/s.sst", &r, &o, NULL), SKV_OK);
        SkvSstReader *grd;
        CHECK_RC(open_table(env, "/s.sst", 1, NULL, &grd), SKV_OK);
        CHECK(grd->partitioned == (v >= 2) && (v < 2 || grd->nblocks > 1));
        skv__sst_close(grd);
        char *good;
        size_t n;
        CHECK_RC(skv__env_read_file(env, "/s.sst", &good, &n), SKV_OK);
        size_t opened = 0, wrong = 0;
        for (size_t off = 0; off < n; off++) {
            good[off] ^= 0x01;
            int wrc = skv__env_write_file_sync(env, "/x.sst", good, n);
            good[off] ^= 0x01;
            if (wrc != SKV_OK) break;
            SkvSstReader *rd;
            int rc = open_table(env, "/x.sst", 1, NULL, &rd);
            if (rc != SKV_OK) {
                wrong += rc != SKV_ECORRUPT;
                continue;
            }
            opened++;
            for (size_t i = 0; i < r.n; i++) {
                SkvSstEntry e;
                SkvSstPin pin = {0};
                rc = skv__sst_get(rd, r.e[i].key, r.e[i].klen, r.e[i].seq, &e, &pin);
                wrong += rc == SKV_OK ? !same_entry(&e, &r.e[i]) : rc != SKV_ECORRUPT;
                skv__sst_pin_release(&pin);
            }
            SkvSstIter *it;
            if (skv__sst_iter_new(rd, &it) == SKV_OK) {
                size_t i = 0;
                for (skv__sst_iter_first(it); skv__sst_iter_valid(it); skv__sst_iter_next(it))
                    wrong += i >= r.n || !iter_is(it, &r.e[i++]);
                wrong += i != r.n && skv__sst_iter_status(it) != SKV_ECORRUPT;
                skv__sst_iter_free(it);
            }
            skv__sst_close(rd);
        }
        free(good);
        CHECK_EQ_U64(wrong, 0);
        CHECK(opened > 0); /* damage in data blocks and the filter still opens */
    }
    ref_free(&r);
    skv__memfs_free(fs);
}

static void test_io_error(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Ref r = {0};
    even_ref(&r, 2000);
    SkvSstOptions o = opts(512, 10, SKV_SST_COMPRESS_NONE);
    /* an append that fails: the builder stops, finish reports it and removes the file */
    skv__memfs_set_fault(fs, SKV_FAULT_EIO, skv__memfs_op_count(fs) + 5, 0);
    SkvSstBuilder *b;
    CHECK_RC(skv__sst_builder_new(env, "/e.sst", &o, &b), SKV_OK);
    int rc = SKV_OK;
    for (size_t i = 0; i < r.n && rc == SKV_OK; i++)
        rc = skv__sst_builder_add(b, r.e[i].key, r.e[i].klen, r.e[i].seq, r.e[i].kind, 0,
                                  r.e[i].val, r.e[i].vlen);
    CHECK_RC(rc, SKV_EIO);
    CHECK_RC(skv__sst_builder_add(b, "zz", 2, 1, SKV_KIND_VALUE, 0, "", 0), SKV_EIO);
    CHECK_RC(skv__sst_builder_finish(b, NULL), SKV_EIO);
    int is_dir;
    CHECK_RC(env->exists(env, "/e.sst", &is_dir), SKV_NOTFOUND);
    ref_free(&r);
    skv__memfs_free(fs);
}

/* The same checks with the table mapped: uncompressed data blocks are read in place. */
static void run_mapped(void (*test)(void)) {
    g_mapped = 1;
    test();
    g_mapped = 0;
}
static void test_round_trip_mapped(void) { run_mapped(test_round_trip); }
static void test_corruption_plain_mapped(void) { run_mapped(test_corruption_plain); }
static void test_corruption_zstd_mapped(void) { run_mapped(test_corruption_zstd); }
static void test_partition_corruption_plain_mapped(void) {
    run_mapped(test_partition_corruption_plain);
}
static void test_every_byte_mapped(void) { run_mapped(test_every_byte); }

static const TestCase TESTS[] = {
    {"empty_table", test_empty_table},
    {"order_enforced", test_order_enforced},
    {"one_entry", test_one_entry},
    {"round_trip", test_round_trip},
    {"compression_saves", test_compression_saves},
    {"filter_skips_reads", test_filter_skips_reads},
    {"cache", test_cache},
    {"corruption_plain", test_corruption_plain},
    {"corruption_zstd", test_corruption_zstd},
    {"partition_corruption_plain", test_partition_corruption_plain},
    {"partition_corruption_zstd", test_partition_corruption_zstd},
    {"every_byte", test_every_byte},
    {"io_error", test_io_error},
    {"round_trip_mapped", test_round_trip_mapped},
    {"corruption_plain_mapped", test_corruption_plain_mapped},
    {"corruption_zstd_mapped", test_corruption_zstd_mapped},
    {"partition_corruption_plain_mapped", test_partition_corruption_plain_mapped},
    {"every_byte_mapped", test_every_byte_mapped},
    {0, 0}};

TEST_MAIN(TESTS)
