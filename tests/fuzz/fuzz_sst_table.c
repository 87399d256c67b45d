/* fuzz_sst_table.c — libFuzzer target for table files (engine/sst/sst_table_*.c): the input
 * is a whole table file on memfs; it is opened (through a small block cache) and walked with
 * the cursor both ways, seeks, seek_before and gets at the keys it holds. It must never crash
 * or leak, and a get that answers SKV_OK must return the key asked for at a sequence number
 * <= the snapshot. Each input runs twice: as given, and with every checksum it can find
 * (footer, stored-block trailers, index and uncompressed data blocks) recomputed, so the
 * parsers behind the checksums see the mutations too. Built without -DSKV_LIBFUZZER, fuzz_main.h's
 * main() replays the files named on the command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cache/cache.h"
#include "env/env.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"

#include "fuzz_main.h"

enum { FUZZ_MAX_STEPS = 20000, FUZZ_KEYS = 32, FUZZ_KEY_MAX = 256 };

typedef struct {
    uint8_t key[FUZZ_KEY_MAX];
    size_t klen;
    uint64_t seq;
} FuzzKey;

static void fuzz_check_get(SkvSstReader *r, const FuzzKey *k, uint64_t snap) {
    SkvSstEntry e;
    SkvSstPin pin = {0};
    int rc = skv__sst_get(r, k->key, k->klen, snap, &e, &pin);
    if (rc == SKV_OK) {
        if (e.klen != k->klen || (k->klen && memcmp(e.key, k->key, k->klen) != 0) || e.seq > snap)
            abort();
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < e.vlen; i++) sink ^= e.val[i]; /* the value is readable */
        (void)sink;
    } else if (pin.handle || pin.owned) {
        abort(); /* a failed get holds nothing */
    }
    skv__sst_pin_release(&pin);
}

static void fuzz_walk(SkvSstReader *r) {
    const SkvSstProps *p = skv__sst_props(r);
    if (!p->smallest || !p->largest || p->min_seq > p->max_seq) abort();
    SkvSstIter *it;
    if (skv__sst_iter_new(r, &it) != SKV_OK) return;
    FuzzKey keys[FUZZ_KEYS];
    size_t nkeys = 0, steps = 0;
    for (skv__sst_iter_first(it); skv__sst_iter_valid(it) && steps < FUZZ_MAX_STEPS;
         skv__sst_iter_next(it), steps++) {
        SkvSstEntry e;
        skv__sst_iter_entry(it, &e);
        if (e.klen <= FUZZ_KEY_MAX && nkeys < FUZZ_KEYS && (steps % 7 == 0 || nkeys < 4)) {
            if (e.klen) memcpy(keys[nkeys].key, e.key, e.klen);
            keys[nkeys].klen = e.klen;
            keys[nkeys++].seq = e.seq;
        }
    }
    steps = 0;
    for (skv__sst_iter_last(it); skv__sst_iter_valid(it) && steps < FUZZ_MAX_STEPS;
         skv__sst_iter_prev(it), steps++) {
        SkvSstEntry e;
        skv__sst_iter_entry(it, &e);
    }
    skv__sst_iter_free(it);
    for (size_t i = 0; i < nkeys; i++) {
        const FuzzKey *k = &keys[i];
        if (skv__sst_iter_new(r, &it) != SKV_OK) return;
        skv__sst_iter_seek(it, k->key, k->klen, k->seq);
        skv__sst_iter_next(it);
        skv__sst_iter_prev(it);
        skv__sst_iter_prev(it);
        skv__sst_iter_seek_before(it, k->key, k->klen, k->seq);
        skv__sst_iter_next(it);
        skv__sst_iter_free(it);
        fuzz_check_get(r, k, k->seq);
        fuzz_check_get(r, k, UINT64_MAX);
        fuzz_check_get(r, k, k->seq ? k->seq - 1 : 0);
    }
    FuzzKey small = {.klen = p->smallest_len < FUZZ_KEY_MAX ? p->smallest_len : FUZZ_KEY_MAX};
    if (small.klen) memcpy(small.key, p->smallest, small.klen);
    fuzz_check_get(r, &small, UINT64_MAX);
}

/* Recomputes the checksums of the stored block at h (its own block checksum too when inner
 * and the block is uncompressed) if the block lies within the first n bytes. */
static void fuzz_fix_block(uint8_t *d, size_t n, SkvSstHandle h, int inner) {
    if (h.size > n || h.off > n - h.size || n - h.off - h.size < SKV_SST_TRAILER) return;
    uint8_t *p = d + h.off;
    size_t sz = (size_t)h.size;
    if (inner && p[sz] == SKV_SST_COMPRESS_NONE && sz >= SKV_SST_BLOCK_TAIL)
        skv__put_u32(p + sz - 4, skv__checksum(p, sz - 4));
    skv__put_u32(p + sz + 1, skv__checksum(p, sz + 1));
}

static void fuzz_fix_checksums(uint8_t *d, size_t n) {
    if (n < SKV_SST_FOOTER_SIZE) return;
    uint8_t *f = d + n - SKV_SST_FOOTER_SIZE;
    size_t body = n - SKV_SST_FOOTER_SIZE;
    skv__put_u32(f + SKV_SST_FOOTER_HANDLES + 4, skv__checksum(f, SKV_SST_FOOTER_HANDLES + 4));
    SkvSstHandle ih, fh, ph;
    const uint8_t *p = f, *end = f + SKV_SST_FOOTER_HANDLES;
    if (skv__sst_handle_decode(&p, end, &ih) || skv__sst_handle_decode(&p, end, &fh) ||
        skv__sst_handle_decode(&p, end, &ph))
        return;
    fuzz_fix_block(d, body, fh, 0);
    fuzz_fix_block(d, body, ph, 0);
    fuzz_fix_block(d, body, ih, 1);
    if (ih.size > body || ih.off > body - ih.size || body - ih.off - ih.size < SKV_SST_TRAILER ||
        d[ih.off + ih.size] != SKV_SST_COMPRESS_NONE)
        return;
    SkvSstBlock blk;
    SkvSstBlockIter it;
    if (skv__sst_block_open(&blk, d + ih.off, (size_t)ih.size) != SKV_OK ||
        skv__sst_blockiter_init(&it, &blk) != SKV_OK)
        return;
    int count = 0;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it) && count < 4096;
         skv__sst_blockiter_next(&it), count++) {
        SkvSstEntry e;
        SkvSstHandle h;
        skv__sst_blockiter_entry(&it, &e);
        const uint8_t *q = e.val;
        /* data blocks lie before the index: fixing them leaves the index bytes unchanged */
        if (!skv__sst_handle_decode(&q, e.val + e.vlen, &h) && h.off < ih.off &&
            h.size <= ih.off - h.off)
            fuzz_fix_block(d, (size_t)ih.off, h, 1);
    }
    skv__sst_blockiter_free(&it);
}

static void fuzz_one(const uint8_t *data, size_t size) {
    SkvMemFs *fs = skv__memfs_new();
    if (!fs) return;
    SkvEnv *env = skv__memfs_env(fs);
    if (skv__env_write_file_sync(env, "/fuzz.sst", data, size) == SKV_OK) {
        SkvCache *cache = skv__cache_new(size % 2 ? 0 : 64 * 1024, 0);
        SkvSstReader *r;
        if (skv__sst_open(env, "/fuzz.sst", 1, cache, &r) == SKV_OK) {
            fuzz_walk(r);
            skv__sst_close(r);
        } else if (r != NULL) {
            abort();
        }
        skv__cache_free(cache);
    }
    skv__memfs_free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_one(data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    if (!fixed) return 0;
    if (size) memcpy(fixed, data, size);
    fuzz_fix_checksums(fixed, size);
    fuzz_one(fixed, size);
    free(fixed);
    return 0;
}
