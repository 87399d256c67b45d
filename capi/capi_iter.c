/* capi_iter.c — iterators and scans: handle and state checks, then db/db_iter.c. */
#include "capi.h"

static int capi_iter_check(skv_iter *it, const char *fn) {
    if (!it) return skv__err(SKV_EINVAL, "%s: iterator handle is NULL", fn);
    skv_txn *txn = skv__iter_txn(it);
    if (txn->state != SKV_TXN_OPEN)
        return skv__err(SKV_ECLOSED, "%s: the iterator's transaction has ended", fn);
    if (atomic_load(&txn->db->closed)) return skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    if (txn->epoch != atomic_load(&txn->db->restores))
        return skv__err(SKV_ECLOSED,
                        "%s: the database was restored after the iterator's "
                        "transaction began",
                        fn);
    return SKV_OK;
}

static int capi_range_check(skv_txn *txn, const void *lo, size_t lolen, const void *hi,
                            size_t hilen, unsigned flags, const char *fn) {
    if (!txn) return skv__err(SKV_EINVAL, "%s: transaction handle is NULL", fn);
    if (txn->state != SKV_TXN_OPEN)
        return skv__err(SKV_ECLOSED, "%s: transaction has already ended", fn);
    if (atomic_load(&txn->db->closed)) return skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    if (txn->epoch != atomic_load(&txn->db->restores))
        return skv__err(SKV_ECLOSED, "%s: the database was restored after the transaction began",
                        fn);
    if (txn->mode == SKV_TXN_WRITE_ONLY)
        return skv__err(SKV_EWRITEONLY, "%s: transaction is write-only", fn);
    if ((!lo && lolen) || (!hi && hilen))
        return skv__err(SKV_EINVAL, "%s: NULL bound with a non-zero length", fn);
    if (flags & ~(unsigned)(SKV_ITER_REVERSE | SKV_ITER_KEYS_ONLY))
        return skv__err(SKV_EINVAL, "%s: unknown flags 0x%x", fn, flags);
    return SKV_OK;
}

int skv_iter_open(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                  unsigned flags, skv_iter **out) {
    skv__errmsg_clear();
    if (out) *out = NULL;
    if (!out) return skv__err(SKV_EINVAL, "skv_iter_open: out is NULL");
    int rc = capi_range_check(txn, lo, lolen, hi, hilen, flags, "skv_iter_open");
    return rc ? rc : skv__iter_open(txn, lo, lolen, hi, hilen, flags, out);
}

#define CAPI_ITER_MOVE(fn, call)                                                                   \
    int fn(skv_iter *it) {                                                                         \
        skv__errmsg_clear();                                                                       \
        int rc = capi_iter_check(it, #fn);                                                         \
        return rc ? rc : call(it);                                                                 \
    }
CAPI_ITER_MOVE(skv_iter_first, skv__iter_first)
CAPI_ITER_MOVE(skv_iter_last, skv__iter_last)
CAPI_ITER_MOVE(skv_iter_next, skv__iter_next)
CAPI_ITER_MOVE(skv_iter_prev, skv__iter_prev)
#undef CAPI_ITER_MOVE

int skv_iter_seek(skv_iter *it, const void *key, size_t klen) {
    skv__errmsg_clear();
    int rc = capi_iter_check(it, "skv_iter_seek");
    if (rc) return rc;
    if (!key && klen) return skv__err(SKV_EINVAL, "skv_iter_seek: key is NULL");
    return skv__iter_seek(it, key ? key : "", klen);
}

int skv_iter_key(skv_iter *it, const void **key, size_t *klen) {
    skv__errmsg_clear();
    if (key) *key = NULL;
    if (klen) *klen = 0;
    int rc = capi_iter_check(it, "skv_iter_key");
    if (rc) return rc;
    if (!key || !klen) return skv__err(SKV_EINVAL, "skv_iter_key: key or klen is NULL");
    return skv__iter_entry(it, key, klen, NULL, NULL);
}

int skv_iter_value(skv_iter *it, const void **val, size_t *vlen) {
    skv__errmsg_clear();
    if (val) *val = NULL;
    if (vlen) *vlen = 0;
    int rc = capi_iter_check(it, "skv_iter_value");
    if (rc) return rc;
    if (!val || !vlen) return skv__err(SKV_EINVAL, "skv_iter_value: val or vlen is NULL");
    const void *k;
    size_t kl;
    return skv__iter_entry(it, &k, &kl, val, vlen);
}

int skv_iter_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes, const void **buf,
                        size_t *len, size_t *count) {
    skv__errmsg_clear();
    if (buf) *buf = NULL;
    if (len) *len = 0;
    if (count) *count = 0;
    int rc = capi_iter_check(it, "skv_iter_read_batch");
    if (rc) return rc;
    if (!buf || !len || !count)
        return skv__err(SKV_EINVAL, "skv_iter_read_batch: NULL output pointer");
    return skv__iter_read_batch(it, max_entries, max_bytes, buf, len, count);
}

void skv_iter_free(skv_iter *it) { skv__iter_free(it); }

int skv_txn_scan(skv_txn *txn, const void *lo, size_t lolen, const void *hi, size_t hilen,
                 unsigned flags, size_t limit, skv_scan_cb cb, void *user_data) {
    skv__errmsg_clear();
    int rc = capi_range_check(txn, lo, lolen, hi, hilen, flags, "skv_txn_scan");
    if (rc) return rc;
    if (!cb) return skv__err(SKV_EINVAL, "skv_txn_scan: callback is NULL");
    skv_iter *it;
    if ((rc = skv__iter_open(txn, lo, lolen, hi, hilen, flags, &it))) return rc;
    size_t n = 0;
    for (rc = skv__iter_first(it); rc == SKV_OK && (!limit || n < limit);
         rc = skv__iter_next(it), n++) {
        const void *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        if ((rc = skv__iter_entry(it, &k, &kl, &v, &vl))) break;
        if (cb(user_data, k, kl, v, vl)) break;
    }
    skv__iter_free(it);
    return rc == SKV_NOTFOUND ? SKV_OK : rc; /* a read error stops the scan */
}
