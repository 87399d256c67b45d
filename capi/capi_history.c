/* capi_history.c — time travel: skv_txn_get_at, skv_txn_history and skv_iter_version; handle,
 * state, mode, option and argument checks, then db/db_get_at.c and db/db_history.c. */
#include "capi.h"
#include "db/db_history.h"

/* The checks every time-travel call on a transaction makes, in this order. */
static int capi_time_travel_check(skv_txn *txn, const char *fn) {
    if (!txn) return skv__err(SKV_EINVAL, "%s: transaction handle is NULL", fn);
    if (txn->state != SKV_TXN_OPEN)
        return skv__err(SKV_ECLOSED, "%s: transaction has already ended", fn);
    if (atomic_load(&txn->db->closed)) return skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    if (txn->mode == SKV_TXN_WRITE_ONLY)
        return skv__err(SKV_EWRITEONLY, "%s: transaction is write-only", fn);
    if (!txn->db->opt.enable_versioning)
        return skv__err(SKV_ENOTSUP, "%s: the database was opened without enable_versioning", fn);
    return SKV_OK;
}

int skv_txn_get_at(skv_txn *txn, const void *key, size_t klen, uint64_t ts, const void **val,
                   size_t *vlen) {
    skv__errmsg_clear();
    if (val) *val = NULL;
    if (vlen) *vlen = 0;
    int rc = capi_time_travel_check(txn, "skv_txn_get_at");
    if (rc) return rc;
    if (!val || !vlen) return skv__err(SKV_EINVAL, "skv_txn_get_at: val or vlen is NULL");
    if (!key && klen) return skv__err(SKV_EINVAL, "skv_txn_get_at: key is NULL");
    if (!klen) return skv__err(SKV_EEMPTYKEY, "skv_txn_get_at: empty key");
    if (klen > SKV_MAX_KEY_SIZE)
        return skv__err(SKV_ETOOBIG, "skv_txn_get_at: key of %zu bytes exceeds %d", klen,
                        SKV_MAX_KEY_SIZE);
    rc = skv__txn_get_at(txn, key, klen, ts, val, vlen);
    if (rc) {
        *val = NULL;
        *vlen = 0;
    }
    return rc;
}

int skv_txn_history(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                    uint64_t ts_from, uint64_t ts_to, unsigned flags, size_t limit,
                    skv_iter **out) {
    skv__errmsg_clear();
    if (out) *out = NULL;
    if (!out) return skv__err(SKV_EINVAL, "skv_txn_history: out is NULL");
    int rc = capi_time_travel_check(txn, "skv_txn_history");
    if (rc) return rc;
    if ((!lo && lolen) || (!hi && hilen))
        return skv__err(SKV_EINVAL, "skv_txn_history: NULL bound with a non-zero length");
    if (flags & ~(unsigned)(SKV_ITER_REVERSE | SKV_ITER_KEYS_ONLY | SKV_HISTORY_TOMBSTONES))
        return skv__err(SKV_EINVAL, "skv_txn_history: unknown flags 0x%x", flags);
    if (ts_from > ts_to)
        return skv__err(SKV_EINVAL, "skv_txn_history: ts_from %llu is above ts_to %llu",
                        (unsigned long long)ts_from, (unsigned long long)ts_to);
    return skv__hist_open(txn, lo, lolen, hi, hilen, ts_from, ts_to, flags, limit, out);
}

int skv_iter_version(skv_iter *it, uint64_t *ts, int *kind) {
    skv__errmsg_clear();
    if (ts) *ts = 0;
    if (kind) *kind = 0;
    if (!it) return skv__err(SKV_EINVAL, "skv_iter_version: iterator handle is NULL");
    skv_txn *txn = skv__iter_txn(it);
    if (txn->state != SKV_TXN_OPEN)
        return skv__err(SKV_ECLOSED, "skv_iter_version: the iterator's transaction has ended");
    if (atomic_load(&txn->db->closed))
        return skv__err(SKV_ECLOSED, "skv_iter_version: database is closed");
    if (!ts || !kind) return skv__err(SKV_EINVAL, "skv_iter_version: ts or kind is NULL");
    if (!it->hist)
        return skv__err(SKV_EINVAL,
                        "skv_iter_version: not a history iterator (open it with skv_txn_history)");
    return skv__hist_version(it, ts, kind);
}
