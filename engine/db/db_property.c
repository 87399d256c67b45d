/* db_property.c — named properties of an open database, as text. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} PropText;

static void prop_add(PropText *t, const char *fmt, ...) SKV_PRINTF(2, 3);
static void prop_add(PropText *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || t->failed) return;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* "level-files" / "level-bytes": one number per level, space separated. */
static void prop_levels(PropText *t, const SkvVersion *v, int bytes) {
    for (int l = 0; v && l < v->nlevels; l++) {
        uint64_t x = bytes ? skv__version_level_bytes(v, l) : (uint64_t)v->nfiles[l];
        prop_add(t, l ? " %" PRIu64 : "%" PRIu64, x);
    }
}

int skv__db_property(skv_db *db, const char *name, char **value) {
    uint64_t seq = atomic_load(&db->visible_seq), ts = atomic_load(&db->published_ts);
    SkvView *v = skv__view_acquire(db);
    size_t bytes = 0;
    uint64_t entries = 0;
    for (size_t i = 0; i < v->n; i++) {
        bytes += skv__mem_bytes(v->mems[i].mem);
        entries += skv__mem_count(v->mems[i].mem);
    }
    skv__mutex_lock(&db->view_mu); /* changed with the view, by the commit leader */
    size_t segments = db->wal_segments;
    skv__mutex_unlock(&db->view_mu);
    skv__mutex_lock(&db->bg_mu);
    uint64_t stall_ns = db->stall_ns, stalls = db->stalls, flush = db->flush_bytes,
             cread = db->compact_read_bytes, cwrite = db->compact_write_bytes,
             flushes = db->flushes, compactions = db->compactions;
    skv__mutex_unlock(&db->bg_mu);
    SkvCacheStats cs;
    skv__cache_stats(db->block_cache, &cs);
    int fatal = atomic_load(&db->fatal);
    /* write amplification: table bytes written per byte flushed from memtables */
    double wamp = flush ? (double)(flush + cwrite) / (double)flush : 0.0;
    PropText t = {0};
    uint64_t vlog_value;
    int vrc = strncmp(name, "vlog-", 5) == 0 ? skv__db_vlog_property(db, name, &vlog_value)
                                             : SKV_NOTFOUND;
    if (vrc == SKV_OK)
        prop_add(&t, "%" PRIu64, vlog_value);
    else if (vrc != SKV_NOTFOUND)
        t.failed = 1;
    else if (strcmp(name, "sequence") == 0)
        prop_add(&t, "%" PRIu64, seq);
    else if (strcmp(name, "timestamp") == 0)
        prop_add(&t, "%" PRIu64, ts);
    else if (strcmp(name, "memtables") == 0)
        prop_add(&t, "%zu", v->n);
    else if (strcmp(name, "memtable-bytes") == 0)
        prop_add(&t, "%zu", bytes);
    else if (strcmp(name, "wal-segments") == 0)
        prop_add(&t, "%zu", segments);
    else if (strcmp(name, "level-files") == 0)
        prop_levels(&t, v->version, 0);
    else if (strcmp(name, "level-bytes") == 0)
        prop_levels(&t, v->version, 1);
    else if (strcmp(name, "stats") == 0) {
        prop_add(&t, "path: %s\nsequence: %" PRIu64 "\ntimestamp: %" PRIu64 "\n", db->path, seq,
                 ts);
        prop_add(&t, "memtables: %zu (%" PRIu64 " entries, %zu bytes)\nwal segments: %zu\n", v->n,
                 entries, bytes, segments);
        prop_add(&t, "level files: ");
        prop_levels(&t, v->version, 0);
        prop_add(&t, "\nlevel bytes: ");
        prop_levels(&t, v->version, 1);
        prop_add(&t, "\nblock cache: %" PRIu64 " hits, %" PRIu64 " misses, %zu of %zu bytes\n",
                 cs.hits, cs.misses, cs.usage, cs.capacity);
        prop_add(&t,
                 "flushes: %" PRIu64 " (%" PRIu64 " bytes)\ncompactions: %" PRIu64 " (%" PRIu64
                 " bytes read, %" PRIu64 " written)\n",
                 flushes, flush, compactions, cread, cwrite);
        prop_add(&t, "write amplification: %.2f\nstalls: %" PRIu64 " (%.3f s)\nstate: %s\n", wamp,
                 stalls, (double)stall_ns / 1e9, fatal ? skv_errname(fatal) : "ok");
        char *vs = skv__db_vlog_stats(db);
        if (vs)
            prop_add(&t, "%s", vs);
        else
            t.failed = 1;
        free(vs);
    } else {
        skv__view_release(v);
        return skv__err(SKV_EINVAL, "unknown property '%s'", name);
    }
    skv__view_release(v);
    if (t.failed || !t.s) {
        free(t.s);
        return SKV_ENOMEM;
    }
    *value = t.s;
    return SKV_OK;
}
