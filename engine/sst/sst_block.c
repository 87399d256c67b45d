/*
 * sst_block.c — data blocks of sorted tables: the builder (prefix compression against the
 * previous key, restart points, restart array, checksum) and the reader (validation of a whole
 * block at open, then a cursor with first/last/seek/next/prev). Layout in FORMAT.md.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "mem/mem.h"
#include "sst/sst.h"

/* ---- internal keys: user key | trailer u64 LE | timestamp u64 LE ---- */

static uint64_t blk_key_seq(const uint8_t *ikey, size_t iklen) {
    return skv__get_u64(ikey + iklen - SKV_SST_KEY_EXTRA) >> 8;
}

/* Internal order: user key ascending, then sequence descending. */
static int blk_cmp(const uint8_t *a, size_t alen, uint64_t aseq, const void *b, size_t blen,
                   uint64_t bseq) {
    int c = skv__key_cmp(a, alen, b, blen);
    if (c) return c;
    return aseq > bseq ? -1 : aseq < bseq ? 1 : 0;
}

static int blk_reserve(uint8_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return SKV_OK;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    uint8_t *np = realloc(*p, ncap);
    if (!np) return skv__err(SKV_ENOMEM, "out of memory building a table block");
    *p = np;
    *cap = ncap;
    return SKV_OK;
}

/* ---- builder ---- */

int skv__sst_block_builder_init(SkvSstBlockBuilder *b, int restart_interval) {
    memset(b, 0, sizeof *b);
    if (restart_interval < 1)
        return skv__err(SKV_EINVAL, "block restart interval %d is not positive", restart_interval);
    b->interval = restart_interval;
    return SKV_OK;
}

void skv__sst_block_builder_free(SkvSstBlockBuilder *b) {
    free(b->buf);
    free(b->restarts);
    free(b->last);
    memset(b, 0, sizeof *b);
}

void skv__sst_block_builder_reset(SkvSstBlockBuilder *b) {
    b->len = 0;
    b->nrestarts = 0;
    b->counter = 0;
    b->last_len = 0;
    b->count = 0;
    b->finished = 0;
}

size_t skv__sst_block_size_estimate(const SkvSstBlockBuilder *b) {
    return b->finished ? b->len : b->len + 4 * b->nrestarts + SKV_SST_BLOCK_TAIL;
}

uint64_t skv__sst_block_count(const SkvSstBlockBuilder *b) { return b->count; }

int skv__sst_block_add(SkvSstBlockBuilder *b, const void *key, size_t klen, uint64_t seq, int kind,
                       uint64_t ts, const void *val, size_t vlen) {
    if (b->finished) return skv__err(SKV_EINVAL, "add to a finished block");
    if (seq > SKV_SST_SEQ_MAX) return skv__err(SKV_EINVAL, "sequence number out of range");
    if (kind < 0 || kind > 255) return skv__err(SKV_EINVAL, "entry kind %d out of range", kind);
    if (klen > UINT32_MAX || vlen > UINT32_MAX)
        return skv__err(SKV_EINVAL, "block entry too large");
    if (b->count > 0) {
        size_t pl = b->last_len - SKV_SST_KEY_EXTRA;
        if (blk_cmp(b->last, pl, blk_key_seq(b->last, b->last_len), key, klen, seq) >= 0)
            return skv__err(SKV_EINVAL, "block entries added out of order");
    }
    size_t iklen = klen + SKV_SST_KEY_EXTRA;
    int rc = blk_reserve(&b->last, &b->last_cap, iklen);
    if (rc) return rc;

    int restart = b->counter == 0;
    size_t shared = 0;
    if (!restart) {
        size_t lim = b->last_len < klen ? b->last_len : klen;
        const uint8_t *k = key;
        while (shared < lim && b->last[shared] == k[shared]) shared++;
        /* a shared run ending inside the user key may continue into the trailer */
        if (shared == klen && b->last_len >= klen) {
            uint8_t tail[SKV_SST_KEY_EXTRA];
            skv__put_u64(tail, seq << 8 | (uint64_t)kind);
            skv__put_u64(tail + 8, ts);
            while (shared < b->last_len && shared < iklen && b->last[shared] == tail[shared - klen])
                shared++;
        }
    }
    size_t unshared = iklen - shared;
    size_t need = skv__varint_len(shared) + skv__varint_len(unshared) + skv__varint_len(vlen) +
                  unshared + vlen;
    size_t nr = b->nrestarts + (size_t)restart;
    if ((uint64_t)b->len + need + 4 * (uint64_t)nr + SKV_SST_BLOCK_TAIL > UINT32_MAX)
        return skv__err(SKV_EINVAL, "block would pass 4 GiB");
    if ((rc = blk_reserve(&b->buf, &b->cap, b->len + need))) return rc;
    if (restart && b->nrestarts == b->rcap) {
        size_t ncap = b->rcap ? b->rcap * 2 : 16;
        uint32_t *nr2 = realloc(b->restarts, ncap * sizeof *nr2);
        if (!nr2) return skv__err(SKV_ENOMEM, "out of memory building a table block");
        b->restarts = nr2;
        b->rcap = ncap;
    }

    /* build the new internal key in place of the last one (the shared prefix stays) */
    if (klen > shared) memcpy(b->last + shared, (const uint8_t *)key + shared, klen - shared);
    skv__put_u64(b->last + klen, seq << 8 | (uint64_t)kind);
    skv__put_u64(b->last + klen + 8, ts);
    b->last_len = iklen;

    if (restart) b->restarts[b->nrestarts++] = (uint32_t)b->len;
    uint8_t *p = b->buf + b->len;
    p += skv__put_varint(p, shared);
    p += skv__put_varint(p, unshared);
    p += skv__put_varint(p, vlen);
    memcpy(p, b->last + shared, unshared);
    p += unshared;
    if (vlen) memcpy(p, val, vlen);
    b->len += need;
    b->count++;
    if (++b->counter >= b->interval) b->counter = 0;
    return SKV_OK;
}

int skv__sst_block_finish(SkvSstBlockBuilder *b, const uint8_t **out, size_t *n) {
    if (b->finished) return skv__err(SKV_EINVAL, "block already finished");
    size_t total = b->len + 4 * b->nrestarts + SKV_SST_BLOCK_TAIL;
    int rc = blk_reserve(&b->buf, &b->cap, total);
    if (rc) return rc;
    uint8_t *p = b->buf + b->len;
    for (size_t i = 0; i < b->nrestarts; i++, p += 4) skv__put_u32(p, b->restarts[i]);
    skv__put_u32(p, (uint32_t)b->nrestarts);
    p += 4;
    skv__put_u32(p, skv__checksum(b->buf, total - 4));
    b->len = total;
    b->finished = 1;
    *out = b->buf;
    *n = total;
    return SKV_OK;
}

/* ---- reader ---- */

/* Parses the entry header at off: 0 and the fields when it lies within [0, end), -1 when not. */
static int blk_parse(const uint8_t *data, size_t end, size_t off, uint64_t *shared,
                     uint64_t *unshared, uint64_t *vlen, size_t *body) {
    const uint8_t *p = data + off, *e = data + end;
    size_t m;
    if (off >= end) return -1;
    if (!(m = skv__get_varint(p, e, shared))) return -1;
    p += m;
    if (!(m = skv__get_varint(p, e, unshared))) return -1;
    p += m;
    if (!(m = skv__get_varint(p, e, vlen))) return -1;
    p += m;
    uint64_t rem = (uint64_t)(e - p);
    if (*unshared > rem || *vlen > rem - *unshared) return -1;
    *body = (size_t)(p - data);
    return 0;
}

static uint32_t blk_restart(const SkvSstBlock *blk, uint32_t i) {
    return skv__get_u32(blk->data + blk->data_end + 4 * (size_t)i);
}

/* The restart count and array at the end of the block (the checksum is not checked). */
static int blk_open_trailer(SkvSstBlock *blk, const uint8_t *d, size_t n) {
    memset(blk, 0, sizeof *blk);
    if (n < SKV_SST_BLOCK_TAIL)
        return skv__err(SKV_ECORRUPT, "table block of %zu bytes is too short", n);
    uint64_t nr = skv__get_u32(d + n - 8);
    if (nr > (n - SKV_SST_BLOCK_TAIL) / 4)
        return skv__err(SKV_ECORRUPT, "table block restart count %llu too large",
                        (unsigned long long)nr);
    size_t end = n - SKV_SST_BLOCK_TAIL - 4 * (size_t)nr;
    blk->data = d;
    blk->data_end = end;
    blk->nrestarts = (uint32_t)nr;
    if ((end == 0) != (nr == 0)) {
        memset(blk, 0, sizeof *blk);
        return skv__err(SKV_ECORRUPT, "table block has %llu restart points for %zu entry bytes",
                        (unsigned long long)nr, end);
    }
    return SKV_OK;
}

int skv__sst_block_view(SkvSstBlock *blk, const void *data, size_t n) {
    return blk_open_trailer(blk, data, n);
}

int skv__sst_block_open(SkvSstBlock *blk, const void *data, size_t n) {
    const uint8_t *d = data;
    memset(blk, 0, sizeof *blk);
    if (n < SKV_SST_BLOCK_TAIL)
        return skv__err(SKV_ECORRUPT, "table block of %zu bytes is too short", n);
    if (skv__get_u32(d + n - 4) != skv__checksum(d, n - 4))
        return skv__err(SKV_ECORRUPT, "table block checksum mismatch");
    int rc = blk_open_trailer(blk, d, n);
    if (rc != SKV_OK) return rc;
    size_t end = blk->data_end;
    uint32_t nr = blk->nrestarts;

    /* walk every entry: bounds, restart points at entry starts with nothing shared, order */
    uint8_t *prev = NULL, *cur = NULL;
    size_t prev_cap = 0, cur_cap = 0, prev_len = 0, off = 0, max = 0;
    uint32_t r = 0, count = 0;
    while (off < end) {
        uint64_t sh, un, vl;
        size_t body;
        if (blk_parse(d, end, off, &sh, &un, &vl, &body)) {
            rc = skv__err(SKV_ECORRUPT, "table block entry at offset %zu is malformed", off);
            break;
        }
        int at_restart = r < nr && blk_restart(blk, r) == off;
        if (r < nr && blk_restart(blk, r) < off) {
            rc = skv__err(SKV_ECORRUPT, "table block restart point %u is not an entry start", r);
            break;
        }
        if (sh > prev_len || (at_restart && sh) || (count == 0 && !at_restart) ||
            sh + un < SKV_SST_KEY_EXTRA) {
            rc = skv__err(SKV_ECORRUPT, "table block entry at offset %zu has a bad key", off);
            break;
        }
        size_t kl = (size_t)(sh + un);
        if ((rc = blk_reserve(&cur, &cur_cap, kl))) break;
        if (sh) memcpy(cur, prev, (size_t)sh);
        memcpy(cur + sh, d + body, (size_t)un);
        if (count > 0 && blk_cmp(prev, prev_len - SKV_SST_KEY_EXTRA, blk_key_seq(prev, prev_len),
                                 cur, kl - SKV_SST_KEY_EXTRA, blk_key_seq(cur, kl)) >= 0) {
            rc = skv__err(SKV_ECORRUPT, "table block entries out of order at offset %zu", off);
            break;
        }
        uint8_t *t = prev;
        prev = cur;
        cur = t;
        size_t tc = prev_cap;
        prev_cap = cur_cap;
        cur_cap = tc;
        prev_len = kl;
        if (kl > max) max = kl;
        if (at_restart) r++;
        count++;
        off = body + (size_t)un + (size_t)vl;
    }
    free(prev);
    free(cur);
    if (rc == SKV_OK && r != nr)
        rc = skv__err(SKV_ECORRUPT, "table block restart point %u is not an entry start", r);
    if (rc) {
        memset(blk, 0, sizeof *blk);
        return rc;
    }
    blk->count = count;
    blk->max_klen = max;
    return SKV_OK;
}

int skv__sst_blockiter_init(SkvSstBlockIter *it, const SkvSstBlock *blk) {
    it->blk = blk;
    it->run = NULL;
    it->run_n = it->run_cap = it->run_hint = 0;
    it->run_keys = NULL;
    it->run_keys_len = it->run_keys_cap = 0;
    it->key = it->inline_key;
    it->kcap = sizeof it->inline_key;
    it->klen = 0;
    it->cur = it->next = blk->data_end;
    it->val = NULL;
    it->vlen = 0;
    it->status = SKV_OK;
    return SKV_OK;
}

void skv__sst_blockiter_free(SkvSstBlockIter *it) {
    free(it->run);
    free(it->run_keys);
    it->run = NULL;
    it->run_keys = NULL;
    it->run_n = it->run_cap = it->run_keys_len = it->run_keys_cap = 0;
    if (it->key != it->inline_key) free(it->key);
    it->key = it->inline_key;
    it->kcap = sizeof it->inline_key;
}

int skv__sst_blockiter_status(const SkvSstBlockIter *it) { return it->status; }

int skv__sst_blockiter_valid(const SkvSstBlockIter *it) { return it->cur < it->blk->data_end; }

static void blk_invalidate(SkvSstBlockIter *it) {
    it->cur = it->next = it->blk->data_end;
    it->klen = 0;
    it->vlen = 0;
    it->val = NULL;
}

/* Makes the key buffer hold at least need bytes, keeping its first keep bytes. */
static int blk_key_reserve(SkvSstBlockIter *it, size_t need, size_t keep) {
    if (need <= it->kcap) return 0;
    size_t cap = it->kcap * 2 > need ? it->kcap * 2 : need;
    uint8_t *k = malloc(cap);
    if (!k) return -1;
    memcpy(k, it->key, keep);
    if (it->key != it->inline_key) free(it->key);
    it->key = k;
    it->kcap = cap;
    return 0;
}

/* Ends the walk for good with status rc (the message is set here). */
static void blk_fail(SkvSstBlockIter *it, int rc, size_t off) {
    blk_invalidate(it);
    it->status = rc == SKV_ENOMEM
                     ? skv__err(SKV_ENOMEM, "out of memory decoding a table block")
                     : skv__err(SKV_ECORRUPT, "table block entry at offset %zu is malformed", off);
}

/* Decodes the entry at off, whose predecessor's key is in it->key (for a restart point, any
 * key). Nothing is trusted: an entry that does not fit the block, shares more than its
 * predecessor's key or is too short to be an internal key ends the walk with SKV_ECORRUPT.
 * (A key grows by at most its unshared bytes, so no key is longer than the block.) */
static int blk_step(SkvSstBlockIter *it, size_t off) {
    const SkvSstBlock *blk = it->blk;
    uint64_t sh, un, vl;
    size_t body;
    if (it->status != SKV_OK) return -1;
    if (blk_parse(blk->data, blk->data_end, off, &sh, &un, &vl, &body) || sh > it->klen ||
        sh + un < SKV_SST_KEY_EXTRA) {
        blk_fail(it, SKV_ECORRUPT, off);
        return -1;
    }
    if (blk_key_reserve(it, (size_t)(sh + un), (size_t)sh)) {
        blk_fail(it, SKV_ENOMEM, off);
        return -1;
    }
    memcpy(it->key + sh, blk->data + body, (size_t)un);
    it->klen = (size_t)(sh + un);
    it->val = blk->data + body + un;
    it->vlen = (size_t)vl;
    it->cur = off;
    it->next = body + (size_t)un + (size_t)vl;
    return 0;
}

static void blk_to_restart(SkvSstBlockIter *it, uint32_t i) {
    it->klen = 0;
    blk_step(it, blk_restart(it->blk, i));
}

void skv__sst_blockiter_first(SkvSstBlockIter *it) {
    if (it->blk->nrestarts == 0) {
        blk_invalidate(it);
        return;
    }
    blk_to_restart(it, 0);
}

void skv__sst_blockiter_next(SkvSstBlockIter *it) {
    if (!skv__sst_blockiter_valid(it)) return;
    if (it->next >= it->blk->data_end) {
        blk_invalidate(it);
        return;
    }
    blk_step(it, it->next);
}

/* Keeps the current entry as the next one of the run; on no memory the run is dropped (the
 * walk goes on without it). */
static void blk_run_keep(SkvSstBlockIter *it) {
    if (it->run_n == it->run_cap) {
        size_t cap = it->run_cap ? it->run_cap * 2 : 16;
        SkvSstRunEntry *r = realloc(it->run, cap * sizeof *r);
        if (!r) {
            it->run_n = 0;
            return;
        }
        it->run = r;
        it->run_cap = cap;
    }
    if (it->run_keys_len + it->klen > it->run_keys_cap) {
        size_t cap = it->run_keys_cap ? it->run_keys_cap : 512;
        while (cap < it->run_keys_len + it->klen) cap *= 2;
        uint8_t *k = realloc(it->run_keys, cap);
        if (!k) {
            it->run_n = 0;
            return;
        }
        it->run_keys = k;
        it->run_keys_cap = cap;
    }
    memcpy(it->run_keys + it->run_keys_len, it->key, it->klen);
    it->run[it->run_n++] = (SkvSstRunEntry){.cur = it->cur,
                                            .next = it->next,
                                            .vlen = it->vlen,
                                            .key_off = it->run_keys_len,
                                            .klen = it->klen};
    it->run_keys_len += it->klen;
}

/* Moves to the entry that ends at target, scanning from restart point i and keeping the
 * entries it decodes as the run. */
static void blk_scan_to_end(SkvSstBlockIter *it, uint32_t i, size_t target) {
    it->run_n = it->run_keys_len = 0;
    blk_to_restart(it, i);
    while (skv__sst_blockiter_valid(it)) {
        blk_run_keep(it);
        if (it->next >= target) break;
        if (blk_step(it, it->next)) {
            it->run_n = 0;
            return;
        }
    }
    if (skv__sst_blockiter_valid(it) && it->next != target) {
        it->run_n = 0;
        blk_fail(it, SKV_ECORRUPT, it->next);
    }
    it->run_hint = it->run_n ? it->run_n - 1 : 0;
}

/* The kept run's entry that ends at target, or -1 when the run does not hold it. */
static ptrdiff_t blk_run_find(const SkvSstBlockIter *it, size_t target) {
    if (!it->run_n || target <= it->run[0].cur || target > it->run[it->run_n - 1].next) return -1;
    size_t h = it->run_hint;
    if (h < it->run_n && it->run[h].next == target) return (ptrdiff_t)h;
    if (h > 0 && h - 1 < it->run_n && it->run[h - 1].next == target) return (ptrdiff_t)h - 1;
    for (size_t j = 0; j < it->run_n; j++)
        if (it->run[j].next == target) return (ptrdiff_t)j;
    return -1;
}

/* Positions on the kept run's entry j (already decoded and checked once). */
static void blk_run_load(SkvSstBlockIter *it, size_t j) {
    const SkvSstRunEntry *e = &it->run[j];
    if (blk_key_reserve(it, e->klen, 0)) {
        blk_fail(it, SKV_ENOMEM, e->cur);
        return;
    }
    memcpy(it->key, it->run_keys + e->key_off, e->klen);
    it->klen = e->klen;
    it->vlen = e->vlen;
    it->val = it->blk->data + e->next - e->vlen;
    it->cur = e->cur;
    it->next = e->next;
    it->run_hint = j ? j - 1 : 0;
}

void skv__sst_blockiter_last(SkvSstBlockIter *it) {
    const SkvSstBlock *blk = it->blk;
    if (blk->nrestarts == 0) {
        blk_invalidate(it);
        return;
    }
    blk_scan_to_end(it, blk->nrestarts - 1, blk->data_end);
}

void skv__sst_blockiter_prev(SkvSstBlockIter *it) {
    const SkvSstBlock *blk = it->blk;
    if (!skv__sst_blockiter_valid(it)) return;
    size_t target = it->cur;
    if (target == 0) {
        blk_invalidate(it);
        return;
    }
    ptrdiff_t j = blk_run_find(it, target);
    if (j >= 0) {
        blk_run_load(it, (size_t)j);
        return;
    }
    /* the last restart point before target */
    uint32_t lo = 0, hi = blk->nrestarts - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (blk_restart(blk, mid) < target)
            lo = mid;
        else
            hi = mid - 1;
    }
    blk_scan_to_end(it, lo, target);
}

static int blk_cmp_target(const SkvSstBlockIter *it, const void *key, size_t klen, uint64_t seq) {
    return blk_cmp(it->key, it->klen - SKV_SST_KEY_EXTRA, blk_key_seq(it->key, it->klen), key, klen,
                   seq);
}

void skv__sst_blockiter_seek(SkvSstBlockIter *it, const void *key, size_t klen, uint64_t seq) {
    const SkvSstBlock *blk = it->blk;
    if (blk->nrestarts == 0) {
        blk_invalidate(it);
        return;
    }
    /* the last restart point whose key is < target (or the first one) */
    uint32_t lo = 0, hi = blk->nrestarts - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        blk_to_restart(it, mid);
        if (!skv__sst_blockiter_valid(it)) return;
        if (blk_cmp_target(it, key, klen, seq) < 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    blk_to_restart(it, lo);
    while (skv__sst_blockiter_valid(it) && blk_cmp_target(it, key, klen, seq) < 0)
        skv__sst_blockiter_next(it);
}

void skv__sst_blockiter_entry(const SkvSstBlockIter *it, SkvSstEntry *e) {
    size_t kl = it->klen - SKV_SST_KEY_EXTRA;
    uint64_t trailer = skv__get_u64(it->key + kl);
    e->key = it->key;
    e->klen = kl;
    e->val = it->val;
    e->vlen = it->vlen;
    e->seq = trailer >> 8;
    e->kind = (int)(trailer & 0xff & ~(uint64_t)SKV_KIND_VLOG_BIT);
    e->vptr = (trailer & SKV_KIND_VLOG_BIT) != 0;
    e->ts = skv__get_u64(it->key + kl + 8);
}
