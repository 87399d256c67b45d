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
        if (*p < '0' || *p > '9') goto bad;
        uint64_t d = (uint64_t)(*p - '0');
        if (x > (UINT64_MAX - d) / 10) goto bad;
        x = x * 10 + d;
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

/* "none", "zstd", or a comma list per level ("none,none,zstd"; the last repeats). */
static int opt_compression(const char *name, const char *v, int *out) {
    int level = 0, last = SKV_SST_COMPRESS_NONE;
    const char *p = v;
    while (level < SKV_MAX_LEVELS) {
        size_t n = strcspn(p, ",");
        if (n == 4 && strncmp(p, "none", 4) == 0)
            last = SKV_SST_COMPRESS_NONE;
        else if (n == 4 && strncmp(p, "zstd", 4) == 0)
            last = SKV_SST_COMPRESS_ZSTD;
        else
            return skv__err(SKV_EINVAL, "option %s: '%s' is not none, zstd or a comma list of them",
                            name, v);
        out[level++] = last;
        if (!p[n]) break;
        p += n + 1;
    }
    if (level == SKV_MAX_LEVELS && *p && strchr(p, ','))
        return skv__err(SKV_EINVAL, "option %s: more than %d levels", name, SKV_MAX_LEVELS);
    while (level < SKV_MAX_LEVELS) out[level++] = last;
    return SKV_OK;
}

/* The options of tables, levels and compaction; SKV_NOTFOUND when name is none of them. */
static int capi_table_option(SkvDbOptions *o, const char *name, const char *value) {
    uint64_t x = 0;
    int rc;
    if (strcmp(name, "compression") == 0) return opt_compression(name, value, o->compression);
    if (strcmp(name, "level_multiplier") == 0) {
        char *end;
        double d = strtod(value, &end);
        if (!*value || *end || !(d >= 1.0 && d <= 1000.0))
            return skv__err(SKV_EINVAL, "option %s: '%s' is not a number from 1 to 1000", name,
                            value);
        o->level_multiplier = d;
        return SKV_OK;
    }
    static const struct {
        const char *name;
        uint64_t lo, hi;
    } sizes[] = {{"block_size", 256, 64u << 20},
                 {"block_restart_interval", 1, 1024},
                 {"filter_bits_per_key", 0, 100},
                 {"zstd_level", 1, 19},
                 {"block_cache_capacity", 0, (uint64_t)1 << 48},
                 {"level_count", 2, SKV_MAX_LEVELS},
                 {"level0_max_files", 1, 1000},
                 {"max_bytes_for_level", 4096, (uint64_t)1 << 50},
                 {"memtable_stall_threshold", 1, 1000},
                 {"l0_stall_threshold", 1, 10000},
                 {"target_file_size", 4096, (uint64_t)1 << 40},
                 {"max_open_files", 16, 1000000},
                 {"index_partition_size", 0, 64u << 20}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (strcmp(name, sizes[i].name) != 0) continue;
        if ((rc = opt_size(name, value, sizes[i].lo, sizes[i].hi, &x))) return rc;
        switch (i) {
        case 0: o->block_size = (size_t)x; break;
        case 1: o->block_restart_interval = (int)x; break;
        case 2: o->filter_bits_per_key = (int)x; break;
        case 3: o->zstd_level = (int)x; break;
        case 4: o->block_cache_capacity = (size_t)x; break;
        case 5: o->level_count = (int)x; break;
        case 6: o->level0_max_files = (int)x; break;
        case 7: o->max_bytes_for_level = x; break;
        case 8: o->memtable_stall_threshold = (int)x; break;
        case 9: o->l0_stall_threshold = (int)x; break;
        case 10: o->target_file_size = x; break;
        case 11: o->max_open_files = (int)x; break;
        default: o->index_partition_size = (size_t)x; break;
        }
        return SKV_OK;
    }
    return SKV_NOTFOUND;
}

/* The options of versioning; SKV_NOTFOUND when name is none of them. */
static int capi_versioning_option(SkvDbOptions *o, const char *name, const char *value) {
    if (strcmp(name, "enable_versioning") == 0) return opt_bool(name, value, &o->enable_versioning);
    if (strcmp(name, "enable_versioned_index") == 0)
        return opt_bool(name, value, &o->enable_versioned_index);
    if (strcmp(name, "versioned_history_retention_ns") == 0)
        return opt_size(name, value, 0, UINT64_MAX, &o->versioned_history_retention_ns);
    return SKV_NOTFOUND;
}

/* The options of the value log; SKV_NOTFOUND when name is none of them. */
static int capi_vlog_option(SkvDbOptions *o, const char *name, const char *value) {
    uint64_t x = 0;
    int rc;
    if (strcmp(name, "enable_vlog") == 0) return opt_bool(name, value, &o->enable_vlog);
    if (strcmp(name, "vlog_checksum_verification") == 0)
        return opt_bool(name, value, &o->vlog_checksum_verification);
    if (strcmp(name, "vlog_value_threshold") == 0) {
        if (!(rc = opt_size(name, value, 0, SKV_MAX_VALUE_SIZE, &x))) o->vlog_value_threshold = x;
        return rc;
    }
    if (strcmp(name, "vlog_max_file_size") == 0) {
        if (!(rc = opt_size(name, value, 4096, (uint64_t)1 << 40, &x))) o->vlog_max_file_size = x;
        return rc;
    }
    if (strcmp(name, "vlog_gc_discard_ratio") == 0) {
        char *end;
        double d = strtod(value, &end);
        if (!*value || *end || !(d >= 0.0 && d <= 1.0))
            return skv__err(SKV_EINVAL, "option %s: '%s' is not a number from 0 to 1", name, value);
        o->vlog_gc_discard_ratio = d;
        return SKV_OK;
    }
    return SKV_NOTFOUND;
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
    if ((rc = capi_table_option(o, name, value)) != SKV_NOTFOUND) return rc;
    if ((rc = capi_versioning_option(o, name, value)) != SKV_NOTFOUND) return rc;
    if ((rc = capi_vlog_option(o, name, value)) != SKV_NOTFOUND) return rc;
    if (strcmp(name, "flush_on_close") == 0) return opt_bool(name, value, &o->flush_on_close);
    if (strcmp(name, "create_if_missing") == 0) return opt_bool(name, value, &o->create_if_missing);
    if (strcmp(name, "mmap_reads") == 0) return opt_bool(name, value, &o->mmap_reads);
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
