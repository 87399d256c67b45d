/* test_sst_vlog_refs.c — tables holding value-log pointers (engine/sst with SKV_KIND_VLOG_BIT):
 * the builder counts the record bytes per value-log file into the properties (format version
 * 2), a reader gives them back exactly (partitioned index or not), entries come back with the
 * plain kind and the pointer flag, a malformed pointer is refused without harming the builder,
 * and a table without pointers is still version 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "env/env.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"
#include "test.h"
#include "vlog/vlog.h"

static uint32_t footer_version(SkvEnv *env, const char *path) {
    char *d;
    size_t n;
    if (skv__env_read_file(env, path, &d, &n) || n < SKV_SST_FOOTER_SIZE) return 0;
    uint32_t v = skv__get_u32((uint8_t *)d + n - SKV_SST_FOOTER_SIZE + SKV_SST_FOOTER_HANDLES);
    free(d);
    return v;
}

static void build_and_check(size_t partition) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvSstOptions o;
    skv__sst_options_default(&o);
    o.block_size = 256;
    o.index_partition_size = partition;
    SkvSstBuilder *b;
    CHECK_RC(skv__sst_builder_new(env, "/t.sst", &o, &b), SKV_OK);
    /* 300 keys: every third an inline value, the others pointers into files 7, 9 and 12 */
    uint64_t want[3] = {0, 0, 0};
    const uint64_t files[3] = {7, 9, 12};
    for (int i = 0; i < 300; i++) {
        char key[16];
        int kl = snprintf(key, sizeof key, "key%05d", i);
        if (i % 3 == 0) {
            CHECK_RC(skv__sst_builder_add(b, key, (size_t)kl, 1000 - (uint64_t)i, SKV_KIND_VALUE, 5,
                                          "inline", 6),
                     SKV_OK);
            continue;
        }
        SkvVlogPtr p = {files[i % 3 == 1 ? (i / 3) % 2 : 2], 24 + (uint64_t)i * 100,
                        (uint32_t)(100 + i), (uint32_t)i};
        uint8_t enc[SKV_VLOG_PTR_MAX];
        size_t n = skv__vlog_ptr_encode(enc, &p);
        int kind = (i % 7 == 0 ? SKV_KIND_REPLACE : SKV_KIND_VALUE) | SKV_KIND_VLOG_BIT;
        if (i == 100) { /* a malformed pointer is refused; the builder goes on */
            CHECK_RC(
                skv__sst_builder_add(b, key, (size_t)kl, 1000 - (uint64_t)i, kind, 5, enc, n - 1),
                SKV_EINVAL);
        }
        CHECK_RC(skv__sst_builder_add(b, key, (size_t)kl, 1000 - (uint64_t)i, kind, 5, enc, n),
                 SKV_OK);
        want[p.file == 7 ? 0 : p.file == 9 ? 1 : 2] += skv__vlog_record_size((size_t)kl, p.vlen);
    }
    SkvSstProps props;
    CHECK_RC(skv__sst_builder_finish(b, &props), SKV_OK);
    CHECK_EQ_U64(props.nvrefs, 3);
    for (int f = 0; f < 3; f++) {
        CHECK_EQ_U64(props.vrefs[f].file, files[f]);
        CHECK_EQ_U64(props.vrefs[f].bytes, want[f]);
    }
    skv__sst_props_free(&props);
    CHECK_EQ_U64(footer_version(env, "/t.sst"), SKV_SST_TABLE_VERSION_VLOG);
    SkvSstReader *r;
    CHECK_RC(skv__sst_open(env, "/t.sst", 1, NULL, &r), SKV_OK);
    const SkvSstProps *rp = skv__sst_props(r);
    CHECK_EQ_U64(rp->nvrefs, 3);
    for (int f = 0; f < 3; f++) {
        CHECK_EQ_U64(rp->vrefs[f].file, files[f]);
        CHECK_EQ_U64(rp->vrefs[f].bytes, want[f]);
    }
    CHECK_EQ_U64(rp->entries, 300);
    /* entries: the plain kind, the pointer flag, the pointer bytes */
    SkvSstIter *it;
    CHECK_RC(skv__sst_iter_new(r, &it), SKV_OK);
    int i = 0;
    for (skv__sst_iter_first(it); skv__sst_iter_valid(it); skv__sst_iter_next(it), i++) {
        SkvSstEntry e;
        skv__sst_iter_entry(it, &e);
        int ptr = i % 3 != 0;
        CHECK(e.vptr == ptr);
        CHECK(e.kind == (ptr && i % 7 == 0 ? SKV_KIND_REPLACE : SKV_KIND_VALUE));
        SkvVlogPtr p;
        if (ptr) {
            CHECK_RC(skv__vlog_ptr_decode(e.val, e.vlen, &p), SKV_OK);
            CHECK_EQ_U64(p.offset, 24 + (uint64_t)i * 100);
            CHECK_EQ_U64(p.vlen, 100 + (uint64_t)i);
        }
    }
    CHECK_RC(skv__sst_iter_status(it), SKV_OK);
    CHECK_EQ_U64(i, 300);
    skv__sst_iter_free(it);
    SkvSstEntry e;
    SkvSstPin pin = {0};
    CHECK_RC(skv__sst_get(r, "key00101", 8, UINT64_MAX, &e, &pin), SKV_OK);
    CHECK(e.vptr == 1 && e.kind == SKV_KIND_VALUE);
    skv__sst_pin_release(&pin);
    skv__sst_close(r);
    /* without pointers: version 1, no references */
    CHECK_RC(skv__sst_builder_new(env, "/u.sst", &o, &b), SKV_OK);
    CHECK_RC(skv__sst_builder_add(b, "a", 1, 1, SKV_KIND_VALUE, 0, "x", 1), SKV_OK);
    CHECK_RC(skv__sst_builder_finish(b, &props), SKV_OK);
    CHECK(props.vrefs == NULL && props.nvrefs == 0);
    skv__sst_props_free(&props);
    CHECK_EQ_U64(footer_version(env, "/u.sst"), SKV_SST_TABLE_VERSION);
    CHECK_RC(skv__sst_open(env, "/u.sst", 2, NULL, &r), SKV_OK);
    CHECK(skv__sst_props(r)->nvrefs == 0);
    skv__sst_close(r);
    skv__memfs_free(fs);
}

static void test_refs_one_index(void) { build_and_check(0); }
static void test_refs_partitioned(void) { build_and_check(64); }

/* Every byte of a version-2 properties block flipped: the table refuses to open. */
static void test_props_damage(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvSstOptions o;
    skv__sst_options_default(&o);
    SkvSstBuilder *b;
    CHECK_RC(skv__sst_builder_new(env, "/t.sst", &o, &b), SKV_OK);
    SkvVlogPtr p = {3, 24, 10, 1};
    uint8_t enc[SKV_VLOG_PTR_MAX];
    size_t n = skv__vlog_ptr_encode(enc, &p);
    CHECK_RC(skv__sst_builder_add(b, "k", 1, 1, SKV_KIND_VALUE | SKV_KIND_VLOG_BIT, 0, enc, n),
             SKV_OK);
    CHECK_RC(skv__sst_builder_finish(b, NULL), SKV_OK);
    char *d;
    size_t len;
    CHECK_RC(skv__env_read_file(env, "/t.sst", &d, &len), SKV_OK);
    /* the footer's handles: index, filter, then properties */
    const uint8_t *h = (uint8_t *)d + len - SKV_SST_FOOTER_SIZE, *end = h + SKV_SST_FOOTER_HANDLES;
    SkvSstHandle ih, fh, ph;
    CHECK(skv__sst_handle_decode(&h, end, &ih) == 0 && skv__sst_handle_decode(&h, end, &fh) == 0 &&
          skv__sst_handle_decode(&h, end, &ph) == 0);
    for (uint64_t off = ph.off; off < ph.off + ph.size + SKV_SST_TRAILER; off++) {
        d[off] ^= 0x10;
        CHECK_RC(skv__env_write_file_sync(env, "/x.sst", d, len), SKV_OK);
        d[off] ^= 0x10;
        SkvSstReader *r;
        CHECK_RC(skv__sst_open(env, "/x.sst", 9, NULL, &r), SKV_ECORRUPT);
    }
    free(d);
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {
    {"refs_one_index", test_refs_one_index},
    {"refs_partitioned", test_refs_partitioned},
    {"props_damage", test_props_damage},
    {0, 0},
};

TEST_MAIN(TESTS)
