/*
 * kv.h — small helpers for database-level tests over the public API: one write or delete per
 * transaction, a point read into a buffer, the whole visible contents as one comparable text
 * ("key=value\n" per entry, in key order), and the "sequence" property as a number.
 * Header-only (static functions): each test is one translation unit.
 */
#ifndef SKV_TESTS_KV_H
#define SKV_TESTS_KV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skv.h"

/* Commits one set (val non-NULL) or hard delete (val NULL) of a text key. */
static inline int kv_put(skv_db *db, const char *key, const char *val) {
    skv_txn *t = NULL;
    int rc = skv_txn_begin(db, SKV_TXN_READ_WRITE, &t);
    if (!rc)
        rc = val ? skv_txn_set(t, key, strlen(key), val, strlen(val))
                 : skv_txn_delete(t, key, strlen(key));
    if (!rc) rc = skv_txn_commit(t);
    skv_txn_free(t);
    return rc;
}

/* Reads a key as text into buf (cap bytes): SKV_OK, SKV_NOTFOUND or an error. */
static inline int kv_get(skv_db *db, const char *key, char *buf, size_t cap) {
    skv_txn *t = NULL;
    const void *v = NULL;
    size_t n = 0;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &t);
    if (!rc) rc = skv_txn_get(t, key, strlen(key), &v, &n);
    if (!rc) snprintf(buf, cap, "%.*s", (int)n, (const char *)v);
    skv_txn_free(t);
    return rc;
}

typedef struct {
    char *s;
    size_t len, cap;
} KvText;

static inline int kv_dump_cb_(void *ud, const void *key, size_t klen, const void *val,
                              size_t vlen) {
    KvText *t = ud;
    size_t need = t->len + klen + vlen + 3;
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < need) cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) return 1;
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, key, klen);
    t->len += klen;
    t->s[t->len++] = '=';
    if (vlen) memcpy(t->s + t->len, val, vlen);
    t->len += vlen;
    t->s[t->len++] = '\n';
    t->s[t->len] = '\0';
    return 0;
}

/* The visible contents as text (malloc'ed; "" when empty), or NULL on failure (*rc says). */
static inline char *kv_dump(skv_db *db, int *rc_out) {
    KvText t = {calloc(1, 1), 0, 1};
    skv_txn *txn = NULL;
    int rc = t.s ? skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn) : SKV_ENOMEM;
    if (!rc) rc = skv_txn_scan(txn, NULL, 0, NULL, 0, 0, 0, kv_dump_cb_, &t);
    skv_txn_free(txn);
    if (rc_out) *rc_out = rc;
    if (rc) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* The "sequence" property, or UINT64_MAX when it cannot be read. */
static inline uint64_t kv_sequence(skv_db *db) {
    char *s = NULL;
    if (skv_property(db, "sequence", &s)) return UINT64_MAX;
    uint64_t v = strtoull(s, NULL, 10);
    skv_free(s);
    return v;
}

#endif /* SKV_TESTS_KV_H */
