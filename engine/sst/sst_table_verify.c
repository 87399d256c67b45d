/*
 * sst_table_verify.c — the full check of one table file for the integrity check: every index
 * partition and data block read from the file and checked, entries in strictly increasing
 * internal order within and across blocks, each block ending with its index key, the
 * properties (entry count, smallest and largest key, sequence range) matching the entries,
 * and a damaged filter block reported. A problem is reported and the walk goes on with the
 * next block, so one pass lists every damaged block.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"

typedef struct {
    SkvSstReader *r;
    SkvSstVerify *v;
    int first_rc;
    /* the previous entry's key (a copy) and sequence, and the range seen */
    uint8_t *prev;
    size_t prev_len, prev_cap;
    uint64_t prev_seq, min_seq, max_seq;
    int have_prev;
    uint8_t *first;
    size_t first_len;
} TblvState;

static void tblv_problem(TblvState *st, int rc) {
    if (!st->first_rc) st->first_rc = rc;
    if (st->v->problem) st->v->problem(st->v->ud, rc);
}

static int tblv_hold(uint8_t **buf, size_t *cap, const void *key, size_t n) {
    if (n > *cap) {
        uint8_t *p = realloc(*buf, n);
        if (!p) return SKV_ENOMEM;
        *buf = p;
        *cap = n;
    }
    if (n) memcpy(*buf, key, n);
    return SKV_OK;
}

/* Checks the order against the previous entry and remembers this one. */
static int tblv_entry(TblvState *st, const SkvSstEntry *e, uint64_t block_off) {
    if (st->have_prev) {
        int c = skv__key_cmp(st->prev, st->prev_len, e->key, e->klen);
        if (c > 0 || (c == 0 && e->seq >= st->prev_seq))
            tblv_problem(st, skv__err(SKV_ECORRUPT,
                                      "table %s: data block at offset %llu: entry %llu is out of "
                                      "order (key or sequence not after the previous entry's)",
                                      st->r->path, (unsigned long long)block_off,
                                      (unsigned long long)st->v->entries));
    } else {
        size_t cap = 0;
        if (tblv_hold(&st->first, &cap, e->key, e->klen)) return SKV_ENOMEM;
        st->first_len = e->klen;
        st->min_seq = st->max_seq = e->seq;
    }
    if (tblv_hold(&st->prev, &st->prev_cap, e->key, e->klen)) return SKV_ENOMEM;
    st->prev_len = e->klen;
    st->prev_seq = e->seq;
    st->have_prev = 1;
    if (e->seq < st->min_seq) st->min_seq = e->seq;
    if (e->seq > st->max_seq) st->max_seq = e->seq;
    st->v->entries++;
    return st->v->entry ? st->v->entry(st->v->ud, e) : SKV_OK;
}

/* One data block: read, checked, walked. */
static int tblv_block(TblvState *st, const SkvSstPartition *pt, size_t b) {
    const SkvSstIndexEntry *ie = &pt->e[b];
    const SkvSstBlock *blk;
    SkvSstPin pin = {0};
    int rc = skv__sst_load_block(st->r, ie->h, &blk, &pin);
    if (rc == SKV_ENOMEM) return rc;
    if (rc) {
        tblv_problem(st, rc);
        return SKV_OK;
    }
    SkvSstBlockIter it;
    skv__sst_blockiter_init(&it, blk);
    SkvSstEntry e = {0};
    int any = 0;
    for (skv__sst_blockiter_first(&it); !rc && skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_next(&it)) {
        skv__sst_blockiter_entry(&it, &e);
        any = 1;
        rc = tblv_entry(st, &e, ie->h.off);
    }
    int status = skv__sst_blockiter_status(&it);
    if (!rc && status == SKV_ENOMEM) rc = status;
    if (!rc && status) tblv_problem(st, skv__sst_wrap_error(status, st->r, "data", ie->h.off));
    if (!rc && !status) {
        st->v->blocks++;
        /* the block's last entry is the key its index entry names */
        if (!any || skv__key_cmp(e.key, e.klen, pt->keys + ie->key_off, ie->klen) != 0 ||
            e.seq != ie->seq)
            tblv_problem(st, skv__err(SKV_ECORRUPT,
                                      "table %s: data block at offset %llu does not end with the "
                                      "key its index entry names",
                                      st->r->path, (unsigned long long)ie->h.off));
    }
    skv__sst_blockiter_free(&it);
    skv__sst_pin_release(&pin);
    return rc;
}

/* The properties against what the walk saw. */
static void tblv_props(TblvState *st) {
    const SkvSstProps *p = &st->r->props;
    const char *what = NULL;
    if (st->v->entries != p->entries)
        what = "entry count";
    else if (st->have_prev &&
             (skv__key_cmp(st->first, st->first_len, p->smallest, p->smallest_len) != 0 ||
              skv__key_cmp(st->prev, st->prev_len, p->largest, p->largest_len) != 0))
        what = "smallest or largest key";
    else if (st->have_prev && (st->min_seq != p->min_seq || st->max_seq != p->max_seq))
        what = "sequence range";
    if (what)
        tblv_problem(st, skv__err(SKV_ECORRUPT,
                                  "table %s: the properties' %s disagrees with the entries",
                                  st->r->path, what));
}

int skv__sst_verify(SkvSstReader *r, SkvSstVerify *v) {
    TblvState st = {.r = r, .v = v};
    v->blocks = v->entries = 0;
    int rc = SKV_OK, complete = 1;
    size_t nparts = skv__sst_nparts(r);
    for (size_t p = 0; !rc && p < nparts; p++) {
        const SkvSstPartition *pt;
        SkvSstPin ppin;
        int prc = skv__sst_load_part(r, p, &pt, &ppin);
        if (prc == SKV_ENOMEM) rc = prc;
        if (prc) {
            if (prc != SKV_ENOMEM) tblv_problem(&st, prc);
            complete = 0;
            continue;
        }
        for (size_t b = 0; !rc && b < pt->n; b++) rc = tblv_block(&st, pt, b);
        skv__sst_pin_release(&ppin);
    }
    /* the properties can be compared only when every block was read */
    if (!rc && complete && !st.first_rc) tblv_props(&st);
    if (!rc && r->filter_error) tblv_problem(&st, skv__err(SKV_ECORRUPT, "%s", r->filter_error));
    free(st.prev);
    free(st.first);
    if (rc) return rc == SKV_ENOMEM ? skv__err(rc, "out of memory checking table %s", r->path) : rc;
    return st.first_rc;
}
