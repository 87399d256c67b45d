/* capi_options.c — option sets: every option by its snake_case name, the value as text. */
#include <errno.h>
#include <stdlib.h>

#include "capi.h"

int skv_options_new(skv_options **out) {
    skv__errmsg_clear();
    if (!out) return skv__err(SKV_EINVAL, "skv_options_new: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return skv__err(SKV_ENOMEM, "skv_options_new: out of memory");
    skv__db_options_default(&(*out)->o);
    return SKV_OK;
}

void skv_options_free(skv_options *opts) { free(opts); }

static int opt_size(const char *name, const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
    uint64_t x = 0;
    const char *p = v;
    if (!*p) goto bad;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || x > (UINT64_MAX - 9) / 10) goto bad;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x < lo || x > hi) goto bad;
    *out = x;
    return SKV_OK;
bad:
    return skv__err(SKV_EINVAL, "option %s: '%s' is not a whole number from %llu to %llu", name, v,
                    (unsigned long long)lo, (unsigned long long)hi);
}

static int opt_bool(const char *name, const char *v, int *out) {
    if (strcmp(v, "true") == 0)
        *out = 1;
    else if (strcmp(v, "false") == 0)
        *out = 0;
    else
        return skv__err(SKV_EINVAL, "option %s: '%s' is not true or false", name, v);
    return SKV_OK;
}

int skv_options_set(skv_options *opts, const char *name, const char *value) {
    skv__errmsg_clear();
    if (!opts || !name || !value) return skv__err(SKV_EINVAL, "skv_options_set: NULL argument");
    SkvDbOptions *o = &opts->o;
    uint64_t x = 0;
    int rc;
    if (strcmp(name, "max_memtable_size") == 0) {
        if (!(rc = opt_size(name, value, 4096, UINT32_MAX, &x))) o->max_memtable_size = (size_t)x;
        return rc;
    }
    if (strcmp(name, "conflict_window") == 0) {
        if (!(rc = opt_size(name, value, 1, UINT32_MAX, &x))) o->conflict_window = (size_t)x;
        return rc;
    }
    if (strcmp(name, "flush_on_close") == 0) return opt_bool(name, value, &o->flush_on_close);
    if (strcmp(name, "create_if_missing") == 0) return opt_bool(name, value, &o->create_if_missing);
    if (strcmp(name, "wal_recovery_mode") == 0) {
        if (strcmp(value, "tolerate_corrupted_tail") == 0)
            o->wal_recovery_mode = SKV_WAL_TOLERATE_TAIL;
        else if (strcmp(value, "absolute_consistency") == 0)
            o->wal_recovery_mode = SKV_WAL_ABSOLUTE;
        else
            return skv__err(SKV_EINVAL,
                            "option %s: '%s' is not tolerate_corrupted_tail or "
                            "absolute_consistency",
                            name, value);
        return SKV_OK;
    }
    return skv__err(SKV_EINVAL, "unknown option '%s'", name);
}
