/*
 * writeset.c — the writes a transaction buffers until commit: an array in write order (one
 * entry per version to commit, key and value in one allocation, the key's fingerprint kept
 * for the conflict oracle), a hash index from key to its latest write for
 * read-your-own-writes (built once the set passes SKV_WS_LINEAR entries; a smaller set is
 * searched newest first), and a stack of savepoints (entry counts).
 */
#include <stdlib.h>

#include "mem/mem.h"
#include "txn/txn.h"

void skv__ws_init(SkvWriteSet *ws) { memset(ws, 0, sizeof *ws); }

static void ws_free_entry(SkvWrite *w) { free(w->key); /* the value shares its allocation */ }

void skv__ws_free(SkvWriteSet *ws) {
    for (size_t i = 0; i < ws->n; i++) ws_free_entry(&ws->w[i]);
    free(ws->w);
    free(ws->index);
    free(ws->savepoints);
    memset(ws, 0, sizeof *ws);
}

static int ws_same_key(const SkvWrite *w, uint64_t fp, const void *key, size_t klen) {
    return w->fp == fp && w->klen == klen && memcmp(w->key, key, klen) == 0;
}

/* The index slot of key: the one naming its latest write, or the empty one to take. */
static size_t ws_slot(const SkvWriteSet *ws, uint64_t fp, const void *key, size_t klen) {
    size_t mask = ws->index_cap - 1;
    size_t i = (size_t)fp & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t e = ws->index[i];
        if (!e || ws_same_key(&ws->w[e - 1], fp, key, klen)) return i;
    }
}

static int ws_rebuild_index(SkvWriteSet *ws, size_t cap) {
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx) return SKV_ENOMEM;
    free(ws->index);
    ws->index = idx;
    ws->index_cap = cap;
    for (size_t i = 0; i < ws->n; i++) {
        const SkvWrite *w = &ws->w[i];
        ws->index[ws_slot(ws, w->fp, w->key, w->klen)] = (uint32_t)(i + 1);
    }
    return SKV_OK;
}

/* The latest write of key, or NULL: through the index, or newest first in a small set. */
static SkvWrite *ws_find(const SkvWriteSet *ws, uint64_t fp, const void *key, size_t klen) {
    if (ws->index_cap) {
        uint32_t e = ws->index[ws_slot(ws, fp, key, klen)];
        return e ? &ws->w[e - 1] : NULL;
    }
    for (size_t i = ws->n; i-- > 0;)
        if (ws_same_key(&ws->w[i], fp, key, klen)) return &ws->w[i];
    return NULL;
}

/* Makes the index name the last entry (just appended) as its key's latest write: builds the
 * index when the set passes SKV_WS_LINEAR entries, grows it past half full. */
static int ws_index_last(SkvWriteSet *ws) {
    if (!ws->index_cap) return ws->n <= SKV_WS_LINEAR ? SKV_OK : ws_rebuild_index(ws, 32);
    if (ws->n * 2 > ws->index_cap) return ws_rebuild_index(ws, ws->index_cap * 2);
    const SkvWrite *w = &ws->w[ws->n - 1];
    ws->index[ws_slot(ws, w->fp, w->key, w->klen)] = (uint32_t)ws->n;
    return SKV_OK;
}

/* One allocation holding the key, then the value (when the kind has one). */
static uint8_t *ws_entry_bytes(const void *key, size_t klen, const void *val, size_t vlen) {
    uint8_t *d = malloc(klen + vlen ? klen + vlen : 1);
    if (!d) return NULL;
    if (klen) memcpy(d, key, klen);
    if (vlen) memcpy(d + klen, val, vlen);
    return d;
}

int skv__ws_put(SkvWriteSet *ws, int kind, const void *key, size_t klen, const void *val,
                size_t vlen, uint64_t ts, size_t max_cost) {
    uint64_t fp = skv__fingerprint(key, klen);
    size_t floor = ws->nsave ? ws->savepoints[ws->nsave - 1] : 0;
    SkvWrite *old = ws_find(ws, fp, key, klen);
    int in_place = old && (size_t)(old - ws->w) >= floor && old->ts == ts;
    int has_val = kind == SKV_KIND_VALUE || kind == SKV_KIND_REPLACE;
    if (!has_val) vlen = 0;
    size_t cost = skv__mem_entry_cost(klen, vlen);
    size_t base = ws->cost - (in_place ? skv__mem_entry_cost(old->klen, old->vlen) : 0);
    if (base + cost > max_cost)
        return skv__err(SKV_ETOOBIG, "transaction would take %zu bytes of a %zu-byte memtable",
                        base + cost, max_cost);
    if (!in_place && ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 4;
        SkvWrite *w = realloc(ws->w, cap * sizeof *w);
        if (!w) return SKV_ENOMEM;
        ws->w = w;
        ws->cap = cap;
    }
    uint8_t *d = ws_entry_bytes(key, klen, val, vlen);
    if (!d) return SKV_ENOMEM;
    SkvWrite nw = {d, has_val ? d + klen : NULL, (uint32_t)klen, (uint32_t)vlen, ts, kind, fp};
    if (in_place) {
        ws_free_entry(old);
        *old = nw;
        ws->cost = base + cost;
        return SKV_OK;
    }
    ws->w[ws->n++] = nw;
    if (ws_index_last(ws) != SKV_OK) {
        ws_free_entry(&ws->w[--ws->n]);
        return SKV_ENOMEM;
    }
    ws->cost = base + cost;
    return SKV_OK;
}

const SkvWrite *skv__ws_get(const SkvWriteSet *ws, const void *key, size_t klen) {
    if (!ws->n) return NULL;
    return ws_find(ws, skv__fingerprint(key, klen), key, klen);
}

int skv__ws_savepoint(SkvWriteSet *ws) {
    if (ws->nsave == ws->save_cap) {
        size_t cap = ws->save_cap ? ws->save_cap * 2 : 4;
        size_t *s = realloc(ws->savepoints, cap * sizeof *s);
        if (!s) return SKV_ENOMEM;
        ws->savepoints = s;
        ws->save_cap = cap;
    }
    ws->savepoints[ws->nsave++] = ws->n;
    return SKV_OK;
}

int skv__ws_rollback_to_savepoint(SkvWriteSet *ws) {
    if (!ws->nsave) return skv__err(SKV_ENOSAVEPOINT, "no savepoint to roll back to");
    size_t keep = ws->savepoints[--ws->nsave];
    for (size_t i = keep; i < ws->n; i++) {
        ws->cost -= skv__mem_entry_cost(ws->w[i].klen, ws->w[i].vlen);
        ws_free_entry(&ws->w[i]);
    }
    ws->n = keep;
    /* writes made in place since the savepoint stay replaced only if they were made after
     * it; in-place replacement never crosses a savepoint, so entries < keep are intact */
    return ws->index_cap ? ws_rebuild_index(ws, ws->index_cap) : SKV_OK;
}

static int ws_cmp_ptr(const void *a, const void *b) {
    const SkvWrite *x = *(const SkvWrite *const *)a, *y = *(const SkvWrite *const *)b;
    return skv__key_cmp(x->key, x->klen, y->key, y->klen);
}

int skv__ws_sorted(const SkvWriteSet *ws, const SkvWrite ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!ws->n) return SKV_OK;
    const SkvWrite **arr = malloc(ws->n * sizeof *arr);
    if (!arr) return SKV_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < ws->index_cap; i++)
        if (ws->index[i]) arr[m++] = &ws->w[ws->index[i] - 1];
    if (!ws->index_cap) /* a small set: the writes no later one replaces */
        for (size_t i = 0; i < ws->n; i++)
            if (ws_find(ws, ws->w[i].fp, ws->w[i].key, ws->w[i].klen) == &ws->w[i])
                arr[m++] = &ws->w[i];
    qsort(arr, m, sizeof *arr, ws_cmp_ptr);
    *out = arr;
    *n = m;
    return SKV_OK;
}
