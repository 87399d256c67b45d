/*
 * sst_table_iter.c — the cursor over a whole table: positions through the in-memory index,
 * holds at most one data block pinned at a time and walks across block boundaries in both
 * directions. The first read error ends the walk and is kept as the cursor's status.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"

struct SkvSstIter {
    SkvSstReader *r;
    size_t bi; /* the loaded block, or r->nblocks when none */
    SkvSstPin pin;
    SkvSstBlockIter bit; /* over the loaded block */
    int status;
};

int skv__sst_iter_new(SkvSstReader *r, SkvSstIter **out) {
    SkvSstIter *it = calloc(1, sizeof *it);
    *out = NULL;
    if (!it) return skv__err(SKV_ENOMEM, "out of memory creating a table cursor");
    it->r = r;
    it->bi = r->nblocks;
    *out = it;
    return SKV_OK;
}

static void tbli_unload(SkvSstIter *it) {
    if (it->bi < it->r->nblocks) {
        skv__sst_blockiter_free(&it->bit);
        skv__sst_pin_release(&it->pin);
    }
    it->bi = it->r->nblocks;
}

void skv__sst_iter_free(SkvSstIter *it) {
    if (!it) return;
    tbli_unload(it);
    free(it);
}

/* Makes block i the loaded one: 0, or -1 with the status set and nothing loaded. */
static int tbli_load(SkvSstIter *it, size_t i) {
    if (it->bi == i) return 0;
    tbli_unload(it);
    const SkvSstBlock *blk;
    int rc = skv__sst_load_block(it->r, i, &blk, &it->pin);
    if (rc == SKV_OK) {
        rc = skv__sst_blockiter_init(&it->bit, blk);
        if (rc != SKV_OK) skv__sst_pin_release(&it->pin);
    }
    if (rc != SKV_OK) {
        it->status = rc;
        return -1;
    }
    it->bi = i;
    return 0;
}

int skv__sst_iter_valid(const SkvSstIter *it) {
    return it->status == SKV_OK && it->bi < it->r->nblocks && skv__sst_blockiter_valid(&it->bit);
}

int skv__sst_iter_status(const SkvSstIter *it) { return it->status; }

/* From an exhausted block, on to the first entry of the next non-empty block. */
static void tbli_skip_forward(SkvSstIter *it) {
    while (it->bi < it->r->nblocks && !skv__sst_blockiter_valid(&it->bit)) {
        size_t i = it->bi + 1;
        if (i >= it->r->nblocks) {
            tbli_unload(it);
            return;
        }
        if (tbli_load(it, i)) return;
        skv__sst_blockiter_first(&it->bit);
    }
}

/* From an exhausted block, back to the last entry of the previous non-empty block. */
static void tbli_skip_backward(SkvSstIter *it) {
    while (it->bi < it->r->nblocks && !skv__sst_blockiter_valid(&it->bit)) {
        if (it->bi == 0) {
            tbli_unload(it);
            return;
        }
        if (tbli_load(it, it->bi - 1)) return;
        skv__sst_blockiter_last(&it->bit);
    }
}

void skv__sst_iter_first(SkvSstIter *it) {
    if (it->status || tbli_load(it, 0)) return;
    skv__sst_blockiter_first(&it->bit);
    tbli_skip_forward(it);
}

void skv__sst_iter_last(SkvSstIter *it) {
    if (it->status || tbli_load(it, it->r->nblocks - 1)) return;
    skv__sst_blockiter_last(&it->bit);
    tbli_skip_backward(it);
}

void skv__sst_iter_seek(SkvSstIter *it, const void *key, size_t klen, uint64_t seq) {
    if (it->status) return;
    size_t i = skv__sst_index_find(it->r, key, klen, seq);
    if (i == it->r->nblocks) {
        tbli_unload(it);
        return;
    }
    if (tbli_load(it, i)) return;
    skv__sst_blockiter_seek(&it->bit, key, klen, seq);
    tbli_skip_forward(it);
}

void skv__sst_iter_seek_before(SkvSstIter *it, const void *key, size_t klen, uint64_t seq) {
    skv__sst_iter_seek(it, key, klen, seq);
    if (it->status) return;
    if (skv__sst_iter_valid(it))
        skv__sst_iter_prev(it);
    else
        skv__sst_iter_last(it);
}

void skv__sst_iter_next(SkvSstIter *it) {
    if (!skv__sst_iter_valid(it)) return;
    skv__sst_blockiter_next(&it->bit);
    tbli_skip_forward(it);
}

void skv__sst_iter_prev(SkvSstIter *it) {
    if (!skv__sst_iter_valid(it)) return;
    skv__sst_blockiter_prev(&it->bit);
    tbli_skip_backward(it);
}

void skv__sst_iter_entry(const SkvSstIter *it, SkvSstEntry *e) {
    skv__sst_blockiter_entry(&it->bit, e);
}
