/*
 * ref_entries.h — a sorted reference of internal entries (user key ascending, sequence
 * descending) and a seeded PRNG, shared by the block and table tests to compare what the
 * engine returns with what was written.
 */
#ifndef SKV_REF_ENTRIES_H
#define SKV_REF_ENTRIES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"

static inline uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const int KINDS[4] = {SKV_KIND_DELETE, SKV_KIND_SOFT_DELETE, SKV_KIND_VALUE,
                             SKV_KIND_REPLACE};

typedef struct {
    uint8_t *key;
    size_t klen;
    uint8_t *val;
    size_t vlen;
    uint64_t seq, ts;
    int kind;
} Ent;

typedef struct {
    Ent *e;
    size_t n, cap;
} Ref;

static inline void ref_add(Ref *r, const void *key, size_t klen, uint64_t seq, int kind,
                           uint64_t ts, const void *val, size_t vlen) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->e = realloc(r->e, r->cap * sizeof *r->e);
    }
    Ent *e = &r->e[r->n++];
    e->key = malloc(klen ? klen : 1);
    if (klen) memcpy(e->key, key, klen);
    e->klen = klen;
    e->val = malloc(vlen ? vlen : 1);
    if (vlen) memcpy(e->val, val, vlen);
    e->vlen = vlen;
    e->seq = seq;
    e->kind = kind;
    e->ts = ts;
}

static inline void ref_free(Ref *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->e[i].key);
        free(r->e[i].val);
    }
    free(r->e);
    memset(r, 0, sizeof *r);
}

static inline int ent_cmp_kv(const Ent *a, const void *key, size_t klen, uint64_t seq) {
    int c = skv__key_cmp(a->key, a->klen, key, klen);
    if (c) return c;
    return a->seq > seq ? -1 : a->seq < seq ? 1 : 0;
}

static inline int ent_cmp(const void *pa, const void *pb) {
    const Ent *a = pa, *b = pb;
    return ent_cmp_kv(a, b->key, b->klen, b->seq);
}

/* sorts and drops duplicate (key, seq) pairs */
static inline void ref_sort(Ref *r) {
    qsort(r->e, r->n, sizeof *r->e, ent_cmp);
    size_t w = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (w > 0 && ent_cmp(&r->e[w - 1], &r->e[i]) == 0) {
            free(r->e[i].key);
            free(r->e[i].val);
            continue;
        }
        r->e[w++] = r->e[i];
    }
    r->n = w;
}

/* index of the first reference entry >= (key, seq) */
static inline size_t ref_lower(const Ref *r, const void *key, size_t klen, uint64_t seq) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ent_cmp_kv(&r->e[mid], key, klen, seq) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif /* SKV_REF_ENTRIES_H */
