/*
 * writeset.c — the writes a transaction buffers until commit: an array in write order (one
 * entry per version to commit), a hash index from key to its latest write for
 * read-your-own-writes, and a stack of savepoints (entry counts).
 */
#include <stdlib.h>

#include "mem/mem.h"
#include "txn/txn.h"

void skv__ws_init(SkvWriteSet *ws) { memset(ws, 0, sizeof *ws); }

static void ws_free_entry(SkvWrite *w) {
    free(w->key);
    free(w->val);
}

void skv__ws_free(SkvWriteSet *ws) {
    for (size_t i = 0; i < ws->n; i++) ws_free_entry(&ws->w[i]);
    free(ws->w);
    free(ws->index);
    free(ws->savepoints);
    memset(ws, 0, sizeof *ws);
}

static size_t ws_slot(const SkvWriteSet *ws, const void *key, size_t klen) {
    size_t mask = ws->index_cap - 1;
    size_t i = (size_t)skv__fingerprint(key, klen) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t e = ws->index[i];
        if (!e) return i;
        const SkvWrite *w = &ws->w[e - 1];
        if (w->klen == klen && memcmp(w->key, key, klen) == 0) return i;
    }
}

static int ws_rebuild_index(SkvWriteSet *ws, size_t cap) {
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx) return SKV_ENOMEM;
    free(ws->index);
    ws->index = idx;
    ws->index_cap = cap;
    for (size_t i = 0; i < ws->n; i++)
        ws->index[ws_slot(ws, ws->w[i].key, ws->w[i].klen)] = (uint32_t)(i + 1);
    return SKV_OK;
}

static uint8_t *ws_dup(const void *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

int skv__ws_put(SkvWriteSet *ws, int kind, const void *key, size_t klen, const void *val,
                size_t vlen, uint64_t ts, size_t max_cost) {
    if ((ws->n + 1) * 2 > ws->index_cap) {
        int rc = ws_rebuild_index(ws, ws->index_cap ? ws->index_cap * 2 : 16);
        if (rc) return rc;
    }
    size_t slot = ws_slot(ws, key, klen);
    size_t floor = ws->nsave ? ws->savepoints[ws->nsave - 1] : 0;
    SkvWrite *old = ws->index[slot] ? &ws->w[ws->index[slot] - 1] : NULL;
    int in_place = old && (size_t)(old - ws->w) >= floor && old->ts == ts;
    size_t cost = skv__mem_entry_cost(klen, vlen);
    size_t base = ws->cost - (in_place ? skv__mem_entry_cost(old->klen, old->vlen) : 0);
    if (base + cost > max_cost)
        return skv__err(SKV_ETOOBIG, "transaction would take %zu bytes of a %zu-byte memtable",
                        base + cost, max_cost);
    uint8_t *v = NULL;
    if (kind == SKV_KIND_VALUE || kind == SKV_KIND_REPLACE) {
        v = ws_dup(val, vlen);
        if (!v) return SKV_ENOMEM;
    }
    if (in_place) {
        free(old->val);
        old->val = v;
        old->vlen = (uint32_t)vlen;
        old->kind = kind;
        ws->cost = base + cost;
        return SKV_OK;
    }
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 8;
        SkvWrite *w = realloc(ws->w, cap * sizeof *w);
        if (!w) {
            free(v);
            return SKV_ENOMEM;
        }
        ws->w = w;
        ws->cap = cap;
    }
    uint8_t *k = ws_dup(key, klen);
    if (!k) {
        free(v);
        return SKV_ENOMEM;
    }
    ws->w[ws->n] = (SkvWrite){k, v, (uint32_t)klen, (uint32_t)vlen, ts, kind};
    ws->index[slot] = (uint32_t)(++ws->n);
    ws->cost = base + cost;
    return SKV_OK;
}

const SkvWrite *skv__ws_get(const SkvWriteSet *ws, const void *key, size_t klen) {
    if (!ws->n) return NULL;
    uint32_t e = ws->index[ws_slot(ws, key, klen)];
    return e ? &ws->w[e - 1] : NULL;
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
    return ws_rebuild_index(ws, ws->index_cap);
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
    qsort(arr, m, sizeof *arr, ws_cmp_ptr);
    *out = arr;
    *n = m;
    return SKV_OK;
}
