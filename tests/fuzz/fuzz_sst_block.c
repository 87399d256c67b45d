/* fuzz_sst_block.c — libFuzzer target for the data-block reader: the input is a block (its
 * checksum is recomputed half of the time so the parser behind it is reached). Opening either
 * fails with SKV_ECORRUPT or gives a block whose cursor walks the same entries forwards and
 * backwards, in strictly increasing internal order, and whose seeks land on them; opened as a
 * view (no checks at open) every move stays in bounds and ends in SKV_OK or SKV_ECORRUPT. */
#include "base/base.h"
#include "mem/mem.h"
#include "sst/sst.h"

#include "fuzz_main.h"

static int fuzz_block_cmp(const SkvSstEntry *a, const SkvSstEntry *b) {
    int c = skv__key_cmp(a->key, a->klen, b->key, b->klen);
    if (c) return c;
    return a->seq > b->seq ? -1 : a->seq < b->seq;
}

static void fuzz_block(const uint8_t *data, size_t size) {
    SkvSstBlock blk;
    int rc = skv__sst_block_open(&blk, data, size);
    if (rc == SKV_ECORRUPT || rc == SKV_ENOMEM) return;
    if (rc != SKV_OK) abort();
    SkvSstBlockIter it;
    if (skv__sst_blockiter_init(&it, &blk) != SKV_OK) return;
    size_t fwd = 0, back = 0;
    SkvSstEntry prev = {0}, e;
    uint8_t *prev_key = NULL;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_next(&it), fwd++) {
        skv__sst_blockiter_entry(&it, &e);
        if (fwd) {
            prev.key = prev_key;
            if (fuzz_block_cmp(&prev, &e) >= 0) abort();
        }
        free(prev_key);
        prev_key = malloc(e.klen ? e.klen : 1);
        if (!prev_key) break;
        if (e.klen) memcpy(prev_key, e.key, e.klen);
        prev = e;
        if (fwd > blk.count) abort();
    }
    free(prev_key);
    for (skv__sst_blockiter_last(&it); skv__sst_blockiter_valid(&it); skv__sst_blockiter_prev(&it))
        if (++back > blk.count) abort();
    if (fwd != back || fwd != blk.count) abort();
    skv__sst_blockiter_free(&it);
}

/* The same bytes as a view (no checksum, no walk at open): every move stays in bounds and the
 * cursor ends with SKV_OK or SKV_ECORRUPT; when the checked open accepts the block the view
 * walks exactly its entries. */
static void fuzz_view(const uint8_t *data, size_t size) {
    SkvSstBlock blk, full;
    if (skv__sst_block_view(&blk, data, size) != SKV_OK) return;
    SkvSstBlockIter it;
    skv__sst_blockiter_init(&it, &blk);
    size_t fwd = 0;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it); skv__sst_blockiter_next(&it))
        fwd++;
    int st = skv__sst_blockiter_status(&it);
    if (st != SKV_OK && st != SKV_ECORRUPT) abort();
    skv__sst_blockiter_free(&it);
    skv__sst_blockiter_init(&it, &blk);
    size_t back = 0;
    for (skv__sst_blockiter_last(&it); skv__sst_blockiter_valid(&it); skv__sst_blockiter_prev(&it))
        back++;
    int st_back = skv__sst_blockiter_status(&it);
    if (st_back != SKV_OK && st_back != SKV_ECORRUPT) abort();
    if (size >= 8) skv__sst_blockiter_seek(&it, data, size % 8, size);
    skv__sst_blockiter_free(&it);
    if (skv__sst_block_open(&full, data, size) == SKV_OK &&
        (st != SKV_OK || st_back != SKV_OK || fwd != full.count || back != full.count))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_block(data, size);
    fuzz_view(data, size);
    if (size >= 4) {
        uint8_t *fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        skv__put_u32(fixed + size - 4, skv__checksum(fixed, size - 4));
        fuzz_block(fixed, size);
        fuzz_view(fixed, size);
        free(fixed);
    }
    return 0;
}
