/* capi_checkpoint.c — skv_checkpoint, skv_restore, skv_check, skv_check_dir: checks, then
 * the engine (db/db_checkpoint.c, db/db_restore.c, db/db_check.c). */
#include "capi.h"

static int capi_maint_check(skv_db *db, const char *arg, const char *fn) {
    if (!db) return skv__err(SKV_EINVAL, "%s: database handle is NULL", fn);
    if (!arg) return skv__err(SKV_EINVAL, "%s: directory is NULL", fn);
    if (!*arg) return skv__err(SKV_EINVAL, "%s: empty directory name", fn);
    if (atomic_load(&db->closed)) return skv__err(SKV_ECLOSED, "%s: database is closed", fn);
    return SKV_OK;
}

int skv_checkpoint(skv_db *db, const char *dir) {
    skv__errmsg_clear();
    int rc = capi_maint_check(db, dir, "skv_checkpoint");
    return rc ? rc : skv__db_checkpoint(db, dir);
}

int skv_restore(skv_db *db, const char *dir) {
    skv__errmsg_clear();
    int rc = capi_maint_check(db, dir, "skv_restore");
    return rc ? rc : skv__db_restore(db, dir);
}

int skv_check(skv_db *db, char **report) {
    skv__errmsg_clear();
    if (report) *report = NULL;
    if (!db) return skv__err(SKV_EINVAL, "skv_check: database handle is NULL");
    if (atomic_load(&db->closed)) return skv__err(SKV_ECLOSED, "skv_check: database is closed");
    return skv__db_check(db, report);
}

int skv_check_dir(const char *path, const skv_options *opts, char **report) {
    skv__errmsg_clear();
    if (report) *report = NULL;
    if (!path || !*path) return skv__err(SKV_EINVAL, "skv_check_dir: path is NULL or empty");
    SkvDbOptions o;
    if (opts)
        o = opts->o;
    else
        skv__db_options_default(&o);
    return skv__db_check_dir(skv__env_posix(), path, &o, report);
}
