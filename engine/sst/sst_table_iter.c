/*
 * sst_table_iter.c — the cursor over a whole table: positions through the in-memory index
 * (and, in a partitioned table, the index partition it points to), holds at most one
 * partition and one data block pinned at a time and walks across block and partition
 * boundaries in both directions. The first read error ends the walk and is kept as the
 * cursor's status.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"

struct SkvSstIter {
    SkvSstReader *r;
    size_t nparts;
    size_t pi; /* the loaded partition, or nparts when none */
    const SkvSstPartition *pt;
    SkvSstPin ppin;
    size_t bi;   /* the loaded data block within pt, when has_blk */
    int has_blk; /* only with a loaded partition */
    SkvSstPin pin;
    SkvSstBlockIter bit; /* over the loaded block */
    int status;
    /* the two mapped blocks this cursor checked last (offset + 1, 0 = none): a walk that
     * crosses a block boundary steps back and forth over it, and a block is checksummed once
     * per visit, not at every crossing */
    uint64_t checked[2];
};

int skv__sst_iter_new(SkvSstReader *r, SkvSstIter **out) {
    SkvSstIter *it = calloc(1, sizeof *it);
    *out = NULL;
    if (!it) return skv__err(SKV_ENOMEM, "out of memory creating a table cursor");
    it->r = r;
    it->nparts = skv__sst_nparts(r);
    it->pi = it->nparts;
    *out = it;
    return SKV_OK;
}

static void tbli_unload_block(SkvSstIter *it) {
    if (it->has_blk) {
        skv__sst_blockiter_free(&it->bit);
        skv__sst_pin_release(&it->pin);
        it->has_blk = 0;
    }
}

static void tbli_unload(SkvSstIter *it) {
    tbli_unload_block(it);
    if (it->pi < it->nparts) skv__sst_pin_release(&it->ppin);
    it->pi = it->nparts;
    it->pt = NULL;
}

void skv__sst_iter_free(SkvSstIter *it) {
    if (!it) return;
    tbli_unload(it);
    free(it);
}

/* Makes partition p the loaded one: 0, or -1 with the status set and nothing loaded. */
static int tbli_load_part(SkvSstIter *it, size_t p) {
    if (it->pi == p) return 0;
    tbli_unload(it);
    int rc = skv__sst_load_part(it->r, p, &it->pt, &it->ppin);
    if (rc != SKV_OK) {
        it->pt = NULL;
        it->status = rc;
        return -1;
    }
    it->pi = p;
    return 0;
}

/* Makes block b of partition p the loaded one: 0, or -1 with the status set and nothing
 * loaded. */
static int tbli_load(SkvSstIter *it, size_t p, size_t b) {
    if (tbli_load_part(it, p)) return -1;
    if (it->has_blk && it->bi == b) return 0;
    tbli_unload_block(it);
    const SkvSstBlock *blk;
    SkvSstHandle h = it->pt->e[b].h;
    int mapped, seen = it->checked[0] == h.off + 1 || it->checked[1] == h.off + 1;
    int rc = skv__sst_load_block_visit(it->r, h, seen, &blk, &it->pin, &mapped);
    if (rc == SKV_OK && mapped && !seen) {
        it->checked[1] = it->checked[0];
        it->checked[0] = h.off + 1;
    }
    if (rc == SKV_OK) skv__sst_blockiter_init(&it->bit, blk);
    if (rc != SKV_OK) {
        tbli_unload(it);
        it->status = rc;
        return -1;
    }
    it->bi = b;
    it->has_blk = 1;
    return 0;
}

int skv__sst_iter_valid(const SkvSstIter *it) {
    return it->status == SKV_OK && it->has_blk && skv__sst_blockiter_valid(&it->bit);
}

int skv__sst_iter_status(const SkvSstIter *it) { return it->status; }

/* 0, or -1 when the block cursor met a malformed entry (or no memory): the cursor's error
 * becomes the table cursor's status, naming the table and block, and nothing stays loaded. */
static int tbli_block_failed(SkvSstIter *it) {
    int rc = skv__sst_blockiter_status(&it->bit);
    if (rc == SKV_OK) return 0;
    it->status = skv__sst_wrap_error(rc, it->r, "data", it->pt->e[it->bi].h.off);
    tbli_unload(it);
    return -1;
}

/* From an exhausted block, on to the first entry of the next non-empty block. */
static void tbli_skip_forward(SkvSstIter *it) {
    while (it->has_blk && !skv__sst_blockiter_valid(&it->bit)) {
        if (tbli_block_failed(it)) return;
        size_t p = it->pi, b = it->bi + 1;
        if (b >= it->pt->n) {
            if (++p >= it->nparts) {
                tbli_unload(it);
                return;
            }
            b = 0;
        }
        if (tbli_load(it, p, b)) return;
        skv__sst_blockiter_first(&it->bit);
    }
}

/* From an exhausted block, back to the last entry of the previous non-empty block. */
static void tbli_skip_backward(SkvSstIter *it) {
    while (it->has_blk && !skv__sst_blockiter_valid(&it->bit)) {
        if (tbli_block_failed(it)) return;
        size_t p = it->pi, b = it->bi;
        if (b == 0) {
            if (p == 0) {
                tbli_unload(it);
                return;
            }
            if (tbli_load_part(it, --p)) return;
            b = it->pt->n; /* a partition has at least one entry */
        }
        if (tbli_load(it, p, b - 1)) return;
        skv__sst_blockiter_last(&it->bit);
    }
}

void skv__sst_iter_first(SkvSstIter *it) {
    if (it->status || tbli_load(it, 0, 0)) return;
    skv__sst_blockiter_first(&it->bit);
    tbli_skip_forward(it);
}

void skv__sst_iter_last(SkvSstIter *it) {
    size_t p = it->nparts - 1;
    if (it->status || tbli_load_part(it, p) || tbli_load(it, p, it->pt->n - 1)) return;
    skv__sst_blockiter_last(&it->bit);
    tbli_skip_backward(it);
}

void skv__sst_iter_seek(SkvSstIter *it, const void *key, size_t klen, uint64_t seq) {
    if (it->status) return;
    size_t p = 0;
    if (it->r->partitioned && (p = skv__sst_index_find(it->r, key, klen, seq)) == it->nparts) {
        tbli_unload(it);
        return;
    }
    if (tbli_load_part(it, p)) return;
    size_t b = skv__sst_part_find(it->pt, key, klen, seq);
    if (b == it->pt->n) {
        if (!it->r->partitioned) {
            tbli_unload(it);
            return;
        }
        b--; /* not reached: a partition ends with its top-level key, which is >= the target */
    }
    if (tbli_load(it, p, b)) return;
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
