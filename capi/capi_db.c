/* capi_db.c — skv_open, skv_close, skv_flush, skv_compact, skv_sync, skv_property: checks,
 * then the engine. */
#include <stdlib.h>

#include "capi.h"

int skv_open(const char *path, const skv_options *opts, skv_db **out) {
    skv__errmsg_clear();
    if (out) *out = NULL;
    if (!path || !out) return skv__err(SKV_EINVAL, "skv_open: path or out is NULL");
    if (!*path) return skv__err(SKV_EINVAL, "skv_open: empty path");
    SkvDbOptions o;
    if (opts)
        o = opts->o;
    else
        skv__db_options_default(&o);
    if (o.l0_stall_threshold < o.level0_max_files)
        return skv__err(SKV_EINVAL,
                        "skv_open: l0_stall_threshold (%d) is below level0_max_files (%d)",
                        o.l0_stall_threshold, o.level0_max_files);
    if (o.enable_versioned_index && !o.enable_versioning)
        return skv__err(SKV_EINVAL, "skv_open: enable_versioned_index needs enable_versioning");
    return skv__db_open(path, &o, skv__env_posix(), out);
}

int skv_close(skv_db *db) {
    skv__errmsg_clear();
    if (!db) return SKV_OK;
    int was = 0;
    if (!atomic_compare_exchange_strong(&db->closed, &was, 1))
        return skv__err(SKV_ECLOSED, "skv_close: database already closed");
    return skv__db_close(db);
}

static int capi_db_check(skv_db *db, const char *fn) {
    if (!db) return skv__err(SKV_EINVAL, "%s: database handle is NULL", fn);
    if (atomic_load(&db->closed)) return skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    return SKV_OK;
}

int skv_flush(skv_db *db) {
    skv__errmsg_clear();
    int rc = capi_db_check(db, "skv_flush");
    return rc ? rc : skv__db_flush(db);
}

int skv_compact(skv_db *db) {
    skv__errmsg_clear();
    int rc = capi_db_check(db, "skv_compact");
    return rc ? rc : skv__db_compact(db);
}

int skv_sync(skv_db *db) {
    skv__errmsg_clear();
    int rc = capi_db_check(db, "skv_sync");
    return rc ? rc : skv__db_sync(db);
}

int skv_property(skv_db *db, const char *name, char **value) {
    skv__errmsg_clear();
    if (value) *value = NULL;
    int rc = capi_db_check(db, "skv_property");
    if (rc) return rc;
    if (!name || !value) return skv__err(SKV_EINVAL, "skv_property: name or value is NULL");
    return skv__db_property(db, name, value);
}
