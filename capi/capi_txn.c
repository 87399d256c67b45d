/*
 * capi_txn.c — the transaction entry points: handle, state, mode and argument checks, then
 * the engine (db/db_txn.c, db/db_commit.c).
 */
#include "capi.h"

static int capi_txn_check(skv_txn *txn, const char *fn) {
    if (!txn) return skv__err(SKV_EINVAL, "%s: transaction handle is NULL", fn);
    if (txn->state != SKV_TXN_OPEN)
        return skv__err(SKV_ECLOSED, "%s: transaction has already ended", fn);
    if (atomic_load(&txn->db->closed)) return skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    if (txn->epoch != atomic_load(&txn->db->restores))
        return skv__err(SKV_ECLOSED, "%s: the database was restored after the transaction began",
                        fn);
    return SKV_OK;
}

static int capi_key_check(const void *key, size_t klen, const char *fn) {
    if (!key && klen) return skv__err(SKV_EINVAL, "%s: key is NULL", fn);
    if (!klen) return skv__err(SKV_EEMPTYKEY, "%s: empty key", fn);
    if (klen > SKV_MAX_KEY_SIZE)
        return skv__err(SKV_ETOOBIG, "%s: key of %zu bytes exceeds %d", fn, klen, SKV_MAX_KEY_SIZE);
    return SKV_OK;
}

static int capi_write(skv_txn *txn, int kind, const void *key, size_t klen, const void *val,
                      size_t vlen, uint64_t ts, const char *fn) {
    skv__errmsg_clear();
    int rc = capi_txn_check(txn, fn);
    if (rc) return rc;
    if (txn->mode == SKV_TXN_READ_ONLY)
        return skv__err(SKV_EREADONLY, "%s: transaction is read-only", fn);
    if ((rc = capi_key_check(key, klen, fn))) return rc;
    if (!val && vlen) return skv__err(SKV_EINVAL, "%s: value is NULL", fn);
    if (vlen > SKV_MAX_VALUE_SIZE)
        return skv__err(SKV_ETOOBIG, "%s: value of %zu bytes exceeds %d", fn, vlen,
                        SKV_MAX_VALUE_SIZE);
    return skv__ws_put(&txn->ws, kind, key, klen, val, vlen, ts, txn->db->opt.max_memtable_size);
}

int skv_txn_begin(skv_db *db, int mode, skv_txn **out) {
    skv__errmsg_clear();
    if (out) *out = NULL;
    if (!db || !out) return skv__err(SKV_EINVAL, "skv_txn_begin: db or out is NULL");
    if (mode != SKV_TXN_READ_WRITE && mode != SKV_TXN_READ_ONLY && mode != SKV_TXN_WRITE_ONLY)
        return skv__err(SKV_EINVAL, "skv_txn_begin: unknown mode %d", mode);
    if (atomic_load(&db->closed)) return skv__err(SKV_ECLOSED, "skv_txn_begin: database is closed");
    return skv__txn_begin(db, mode, out);
}

int skv_txn_set_durability(skv_txn *txn, int durability) {
    skv__errmsg_clear();
    int rc = capi_txn_check(txn, "skv_txn_set_durability");
    if (rc) return rc;
    if (durability != SKV_DURABILITY_EVENTUAL && durability != SKV_DURABILITY_IMMEDIATE)
        return skv__err(SKV_EINVAL, "skv_txn_set_durability: unknown durability %d", durability);
    txn->durability = durability;
    return SKV_OK;
}

int skv_txn_get(skv_txn *txn, const void *key, size_t klen, const void **val, size_t *vlen) {
    skv__errmsg_clear();
    if (val) *val = NULL;
    if (vlen) *vlen = 0;
    int rc = capi_txn_check(txn, "skv_txn_get");
    if (rc) return rc;
    if (!val || !vlen) return skv__err(SKV_EINVAL, "skv_txn_get: val or vlen is NULL");
    if (txn->mode == SKV_TXN_WRITE_ONLY)
        return skv__err(SKV_EWRITEONLY, "skv_txn_get: transaction is write-only");
    if ((rc = capi_key_check(key, klen, "skv_txn_get"))) return rc;
    return skv__txn_get(txn, key, klen, val, vlen);
}

int skv_txn_set(skv_txn *txn, const void *key, size_t klen, const void *val, size_t vlen) {
    return capi_write(txn, SKV_KIND_VALUE, key, klen, val, vlen, 0, "skv_txn_set");
}

int skv_txn_set_at(skv_txn *txn, const void *key, size_t klen, const void *val, size_t vlen,
                   uint64_t ts) {
    return capi_write(txn, SKV_KIND_VALUE, key, klen, val, vlen, ts, "skv_txn_set_at");
}

int skv_txn_delete(skv_txn *txn, const void *key, size_t klen) {
    return capi_write(txn, SKV_KIND_DELETE, key, klen, NULL, 0, 0, "skv_txn_delete");
}

int skv_txn_soft_delete(skv_txn *txn, const void *key, size_t klen) {
    return capi_write(txn, SKV_KIND_SOFT_DELETE, key, klen, NULL, 0, 0, "skv_txn_soft_delete");
}

int skv_txn_replace(skv_txn *txn, const void *key, size_t klen, const void *val, size_t vlen) {
    return capi_write(txn, SKV_KIND_REPLACE, key, klen, val, vlen, 0, "skv_txn_replace");
}

int skv_txn_savepoint(skv_txn *txn) {
    skv__errmsg_clear();
    int rc = capi_txn_check(txn, "skv_txn_savepoint");
    if (rc) return rc;
    if (txn->mode == SKV_TXN_READ_ONLY)
        return skv__err(SKV_EREADONLY, "skv_txn_savepoint: transaction is read-only");
    return skv__ws_savepoint(&txn->ws);
}

int skv_txn_rollback_to_savepoint(skv_txn *txn) {
    skv__errmsg_clear();
    int rc = capi_txn_check(txn, "skv_txn_rollback_to_savepoint");
    if (rc) return rc;
    if (txn->mode == SKV_TXN_READ_ONLY)
        return skv__err(SKV_EREADONLY, "skv_txn_rollback_to_savepoint: transaction is read-only");
    return skv__ws_rollback_to_savepoint(&txn->ws);
}

/* Checks shared by both commits; ends the transaction when the commit cannot proceed. */
static int capi_commit_check(skv_txn *txn, const char *fn) {
    int rc = capi_txn_check(txn, fn);
    if (rc == SKV_ECLOSED && txn->state == SKV_TXN_OPEN && !atomic_load(&txn->db->closed))
        skv__txn_end(txn); /* restored since it began: the commit ends it, writing nothing */
    if (rc) return rc;
    if (txn->mode == SKV_TXN_READ_ONLY) {
        skv__txn_end(txn);
        return skv__err(SKV_EREADONLY, "%s: transaction is read-only", fn);
    }
    return SKV_OK;
}

int skv_txn_commit(skv_txn *txn) {
    skv__errmsg_clear();
    int rc = capi_commit_check(txn, "skv_txn_commit");
    return rc ? rc : skv__commit(txn, NULL, NULL);
}

int skv_txn_commit_async(skv_txn *txn, skv_commit_cb cb, void *user_data) {
    skv__errmsg_clear();
    if (txn && !cb) {
        if (txn->state == SKV_TXN_OPEN) skv__txn_end(txn);
        return skv__err(SKV_EINVAL, "skv_txn_commit_async: callback is NULL");
    }
    int rc = capi_commit_check(txn, "skv_txn_commit_async");
    return rc ? rc : skv__commit(txn, cb, user_data);
}

int skv_txn_rollback(skv_txn *txn) {
    skv__errmsg_clear();
    if (!txn) return skv__err(SKV_EINVAL, "skv_txn_rollback: transaction handle is NULL");
    skv__txn_end(txn);
    return SKV_OK;
}

void skv_txn_free(skv_txn *txn) {
    if (!txn) return;
    skv__txn_end(txn); /* its iterators, which keep the memory, now answer SKV_ECLOSED */
    skv__txn_unref(txn);
}
