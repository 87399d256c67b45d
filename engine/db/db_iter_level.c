/*
 * db_iter_level.c — a cursor over the files of one level as if they were one table: the
 * files are sorted and share no user key, so the cursor keeps one table open at a time (from
 * the table cache) and steps into the neighbouring file at either end. A level-0 file is
 * walked as a level of one file.
 */
#include "db/db_iter_child.h"

static void level_close(SkvLevelIter *it) {
    if (it->ti) skv__sst_iter_free(it->ti);
    if (it->h) skv__db_table_release(it->db, it->h);
    it->ti = NULL;
    it->h = NULL;
    it->r = NULL;
    it->fi = it->n;
}

/* Opens file i (closing the current one); 0 on success, -1 when it failed (err set). */
static int level_open(SkvLevelIter *it, size_t i) {
    if (it->ti && it->fi == i) return 0;
    level_close(it);
    SkvSstReader *r;
    int rc = skv__db_table_get(it->db, it->files[i]->number, &r, &it->h);
    if (!rc) rc = skv__sst_iter_new(r, &it->ti);
    if (rc) {
        it->err = rc;
        level_close(it);
        return -1;
    }
    it->r = r;
    it->fi = i;
    return 0;
}

void skv__leveliter_init(SkvLevelIter *it, skv_db *db, SkvFileMeta *const *files, size_t n) {
    *it = (SkvLevelIter){.db = db, .files = files, .n = n, .fi = n};
}

void skv__leveliter_free(SkvLevelIter *it) { level_close(it); }

int skv__leveliter_valid(const SkvLevelIter *it) { return it->ti && skv__sst_iter_valid(it->ti); }

int skv__leveliter_status(const SkvLevelIter *it) {
    if (it->err) return it->err;
    return it->ti ? skv__sst_iter_status(it->ti) : SKV_OK;
}

void skv__leveliter_entry(const SkvLevelIter *it, SkvSstEntry *e) {
    skv__sst_iter_entry(it->ti, e);
}

/* After a move left the current file: continue at the start of the next one. */
static void level_forward(SkvLevelIter *it) {
    while (it->ti && !skv__sst_iter_valid(it->ti) && !skv__sst_iter_status(it->ti) &&
           it->fi + 1 < it->n) {
        if (level_open(it, it->fi + 1)) return;
        skv__sst_iter_first(it->ti);
    }
}

/* After a move left the current file backwards: continue at the end of the previous one. */
static void level_backward(SkvLevelIter *it) {
    while (it->ti && !skv__sst_iter_valid(it->ti) && !skv__sst_iter_status(it->ti) && it->fi > 0) {
        if (level_open(it, it->fi - 1)) return;
        skv__sst_iter_last(it->ti);
    }
}

void skv__leveliter_first(SkvLevelIter *it) {
    if (!it->n || level_open(it, 0)) return;
    skv__sst_iter_first(it->ti);
    level_forward(it);
}

void skv__leveliter_last(SkvLevelIter *it) {
    if (!it->n || level_open(it, it->n - 1)) return;
    skv__sst_iter_last(it->ti);
    level_backward(it);
}

void skv__leveliter_next(SkvLevelIter *it) {
    skv__sst_iter_next(it->ti);
    level_forward(it);
}

void skv__leveliter_prev(SkvLevelIter *it) {
    skv__sst_iter_prev(it->ti);
    level_backward(it);
}

void skv__leveliter_seek(SkvLevelIter *it, const void *key, size_t klen, uint64_t seq) {
    size_t lo = 0, hi = it->n; /* the first file whose largest key >= key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (skv__key_cmp(it->files[mid]->largest, it->files[mid]->largest_len, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == it->n) {
        level_close(it);
        return;
    }
    if (level_open(it, lo)) return;
    skv__sst_iter_seek(it->ti, key, klen, seq);
    level_forward(it);
}

void skv__leveliter_seek_before(SkvLevelIter *it, const void *key, size_t klen, uint64_t seq) {
    size_t lo = 0, hi = it->n; /* the first file whose smallest key > key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (skv__key_cmp(it->files[mid]->smallest, it->files[mid]->smallest_len, key, klen) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        level_close(it);
        return;
    }
    if (level_open(it, lo - 1)) return;
    skv__sst_iter_seek_before(it->ti, key, klen, seq);
    level_backward(it);
}

int skv__leveliter_may_contain(SkvLevelIter *it, const void *key, size_t klen, uint64_t snap) {
    size_t lo = 0, hi = it->n; /* the only file that can hold key: the first whose largest >= key */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (skv__key_cmp(it->files[mid]->largest, it->files[mid]->largest_len, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == it->n) return 0;
    const SkvFileMeta *f = it->files[lo];
    if (skv__key_cmp(key, klen, f->smallest, f->smallest_len) < 0 || f->min_seq > snap) return 0;
    SkvSstReader *r;
    SkvCacheHandle *h;
    if (skv__db_table_get(it->db, f->number, &r, &h)) return 1; /* the seek reports the error */
    int may = skv__sst_may_contain(r, key, klen);
    skv__db_table_release(it->db, h);
    return may;
}

int skv__leveliter_ts_ordered(const SkvLevelIter *it) {
    return it->r ? skv__sst_props(it->r)->ts_ordered : 0;
}
