/* skiplist.c — the memtable's skiplist: ordering, insertion and searches (see skiplist.h). */
#include <stdalign.h>
#include <string.h>

#include "base/base.h"
#include "mem/mem.h"
#include "mem/skiplist.h"

#define SKL_NODE_ALIGN alignof(SkvMemSklNode)

/* Is node n before (key, seq) in internal order (user key ascending, then seq descending)? */
static inline int skl_before(const SkvMemSklNode *n, const void *key, size_t klen, uint64_t seq) {
    int c = skv__key_cmp(skv__mem_skl_key(n), n->klen, key, klen);
    return c < 0 || (c == 0 && n->seq > seq);
}

static inline SkvMemSklNode *skl_link(const SkvMemSklNode *n, int level) {
    return atomic_load_explicit(&n->next[level], memory_order_acquire);
}

static inline int skl_height_now(const SkvMemSkl *s) {
    return atomic_load_explicit(&s->max_height, memory_order_relaxed);
}

/* splitmix64 */
static uint64_t skl_rand(SkvMemSkl *s) {
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 1 with probability 3/4, 2 with 3/16, ... capped at SKV_MEM_SKL_MAX_HEIGHT */
static int skl_random_height(SkvMemSkl *s) {
    uint64_t r = skl_rand(s);
    int h = 1;
    while (h < SKV_MEM_SKL_MAX_HEIGHT && r % SKV_MEM_SKL_BRANCHING == 0) {
        h++;
        r /= SKV_MEM_SKL_BRANCHING;
    }
    return h;
}

static size_t skl_node_size(int height, size_t klen, size_t vlen) {
    return sizeof(SkvMemSklNode) + (size_t)height * sizeof(_Atomic(SkvMemSklNode *)) + klen + vlen;
}

size_t skv__mem_skl_cost(size_t klen, size_t vlen) {
    size_t fixed = skl_node_size(SKV_MEM_SKL_MAX_HEIGHT, 0, 0) + SKL_NODE_ALIGN - 1;
    if (klen > SIZE_MAX - fixed || vlen > SIZE_MAX - fixed - klen) return SIZE_MAX;
    return fixed + klen + vlen;
}

int skv__mem_skl_init(SkvMemSkl *s, SkvMemArena *arena, uint64_t seed) {
    s->arena = arena;
    s->rng = seed;
    s->last = NULL;
    s->ascending_run = 0;
    atomic_init(&s->max_height, 1);
    SkvMemSklNode *h =
        skv__mem_arena_alloc(arena, skl_node_size(SKV_MEM_SKL_MAX_HEIGHT, 0, 0), SKL_NODE_ALIGN);
    if (!h) return SKV_ENOMEM;
    memset(h, 0, sizeof *h);
    h->height = SKV_MEM_SKL_MAX_HEIGHT;
    for (int i = 0; i < SKV_MEM_SKL_MAX_HEIGHT; i++) atomic_init(&h->next[i], NULL);
    s->head = h;
    return SKV_OK;
}

/* The predecessor of (key, seq) at every level below top, searched from the head. */
static void skl_find_prev(SkvMemSkl *s, int top, const void *key, size_t klen, uint64_t seq,
                          SkvMemSklNode **prev) {
    SkvMemSklNode *x = s->head, *last_after = NULL;
    for (int level = top - 1;;) {
        SkvMemSklNode *nx = atomic_load_explicit(&x->next[level], memory_order_relaxed);
        /* a node already found after the key, one level up, need not be compared again */
        if (nx && nx != last_after && skl_before(nx, key, klen, seq)) {
            x = nx;
        } else {
            last_after = nx;
            prev[level] = x;
            if (level == 0) return;
            level--;
        }
    }
}

/* Does (key, seq) belong right after the node inserted last, with nothing in between? The
 * first test touches only that node, still in the processor's cache; the second, which reads
 * its successor, is made only during a run of ascending insertions (a sequential load), so
 * that random insertions seldom pay for it. Counts the run in s->ascending_run. */
static int skl_goes_right_after_last(SkvMemSkl *s, const void *key, size_t klen, uint64_t seq) {
    const SkvMemSklNode *last = s->last;
    if (!last || !skl_before(last, key, klen, seq)) {
        s->ascending_run = 0;
        return 0;
    }
    if (++s->ascending_run < 3) return 0;
    const SkvMemSklNode *nx = atomic_load_explicit(&last->next[0], memory_order_relaxed);
    return !nx || !skl_before(nx, key, klen, seq);
}

/* The predecessors when the new node goes right after s->last: s->last itself at the levels
 * it reaches (its successor there is at or after its level-0 successor, so at or after the
 * key), and above them the predecessors the last insertion had, which nothing has been
 * inserted after since. */
static void skl_prev_from_last(const SkvMemSkl *s, int top, SkvMemSklNode **prev) {
    for (int i = 0; i < top; i++) prev[i] = i < s->last->height ? s->last : s->last_prev[i];
}

int skv__mem_skl_insert(SkvMemSkl *s, uint64_t seq, int kind, uint64_t ts, const void *key,
                        size_t klen, const void *val, size_t vlen) {
    if (klen > UINT32_MAX || vlen > UINT32_MAX)
        return skv__err(SKV_ENOMEM, "memtable entry too large (key %zu, value %zu bytes)", klen,
                        vlen);
    int height = skl_random_height(s);
    SkvMemSklNode *n =
        skv__mem_arena_alloc(s->arena, skl_node_size(height, klen, vlen), SKL_NODE_ALIGN);
    if (!n) return skv__err(SKV_ENOMEM, "out of memory in the memtable arena");
    n->seq = seq;
    n->ts = ts;
    n->klen = (uint32_t)klen;
    n->vlen = (uint32_t)vlen;
    n->kind = (uint8_t)kind;
    n->height = (uint8_t)height;
    uint8_t *kp = (uint8_t *)&n->next[height];
    if (klen) memcpy(kp, key, klen);
    if (vlen) memcpy(kp + klen, val, vlen);

    /* the predecessor at every level (this thread is the only writer) */
    SkvMemSklNode *prev[SKV_MEM_SKL_MAX_HEIGHT];
    int top = skl_height_now(s);
    if (skl_goes_right_after_last(s, key, klen, seq))
        skl_prev_from_last(s, top, prev);
    else
        skl_find_prev(s, top, key, klen, seq, prev);
    if (height > top) {
        for (int i = top; i < height; i++) prev[i] = s->head;
        /* a reader seeing the new height before the links finds NULL there: harmless */
        atomic_store_explicit(&s->max_height, height, memory_order_relaxed);
    }
    for (int i = 0; i < height; i++) {
        atomic_store_explicit(&n->next[i],
                              atomic_load_explicit(&prev[i]->next[i], memory_order_relaxed),
                              memory_order_relaxed);
        /* publishes the node (its fields and its own links) at this level */
        atomic_store_explicit(&prev[i]->next[i], n, memory_order_release);
    }
    int now = height > top ? height : top;
    for (int i = 0; i < now; i++) s->last_prev[i] = prev[i];
    s->last = n;
    return SKV_OK;
}

/* The last node before (key, seq) (the head when none) and, in *after, the first node at or
 * after it (NULL when none). */
static const SkvMemSklNode *skl_search(const SkvMemSkl *s, const void *key, size_t klen,
                                       uint64_t seq, const SkvMemSklNode **after) {
    const SkvMemSklNode *x = s->head, *last_after = NULL;
    for (int level = skl_height_now(s) - 1;;) {
        const SkvMemSklNode *nx = skl_link(x, level);
        /* a node already found after the key, one level up, need not be compared again */
        if (nx && nx != last_after && skl_before(nx, key, klen, seq)) {
            x = nx;
        } else {
            if (level == 0) {
                *after = nx;
                return x;
            }
            last_after = nx;
            level--;
        }
    }
}

const SkvMemSklNode *skv__mem_skl_seek_ge(const SkvMemSkl *s, const void *key, size_t klen,
                                          uint64_t seq) {
    const SkvMemSklNode *after;
    skl_search(s, key, klen, seq, &after);
    return after;
}

const SkvMemSklNode *skv__mem_skl_seek_lt(const SkvMemSkl *s, const void *key, size_t klen,
                                          uint64_t seq) {
    const SkvMemSklNode *after, *x = skl_search(s, key, klen, seq, &after);
    return x == s->head ? NULL : x;
}

const SkvMemSklNode *skv__mem_skl_first(const SkvMemSkl *s) { return skl_link(s->head, 0); }

const SkvMemSklNode *skv__mem_skl_last(const SkvMemSkl *s) {
    const SkvMemSklNode *x = s->head;
    for (int level = skl_height_now(s) - 1;;) {
        const SkvMemSklNode *nx = skl_link(x, level);
        if (nx) {
            x = nx;
        } else {
            if (level == 0) return x == s->head ? NULL : x;
            level--;
        }
    }
}

const SkvMemSklNode *skv__mem_skl_next(const SkvMemSklNode *n) { return skl_link(n, 0); }

const SkvMemSklNode *skv__mem_skl_prev(const SkvMemSkl *s, const SkvMemSklNode *n) {
    return skv__mem_skl_seek_lt(s, skv__mem_skl_key(n), n->klen, n->seq);
}
