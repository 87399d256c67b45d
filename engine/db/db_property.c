/* db_property.c — named properties of an open database, as text. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>

#include "db/db.h"

static char *prop_printf(const char *fmt, ...) SKV_PRINTF(1, 2);
static char *prop_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int skv__db_property(skv_db *db, const char *name, char **value) {
    uint64_t seq = atomic_load(&db->visible_seq), ts = atomic_load(&db->published_ts);
    SkvView *v = skv__view_acquire(db);
    size_t bytes = 0;
    uint64_t entries = 0;
    for (size_t i = 0; i < v->n; i++) {
        bytes += skv__mem_bytes(v->mems[i]);
        entries += skv__mem_count(v->mems[i]);
    }
    size_t nmem = v->n;
    skv__view_release(v);
    skv__mutex_lock(&db->commit_mu);
    size_t segments = db->wal_segments;
    int fatal = atomic_load(&db->fatal);
    skv__mutex_unlock(&db->commit_mu);
    char *s;
    if (strcmp(name, "sequence") == 0)
        s = prop_printf("%" PRIu64, seq);
    else if (strcmp(name, "timestamp") == 0)
        s = prop_printf("%" PRIu64, ts);
    else if (strcmp(name, "memtables") == 0)
        s = prop_printf("%zu", nmem);
    else if (strcmp(name, "memtable-bytes") == 0)
        s = prop_printf("%zu", bytes);
    else if (strcmp(name, "wal-segments") == 0)
        s = prop_printf("%zu", segments);
    else if (strcmp(name, "stats") == 0)
        s = prop_printf("path: %s\nsequence: %" PRIu64 "\ntimestamp: %" PRIu64
                        "\nmemtables: %zu\nmemtable entries: %" PRIu64
                        "\nmemtable bytes: %zu\nwal segments: %zu\nstate: %s\n",
                        db->path, seq, ts, nmem, entries, bytes, segments,
                        fatal ? skv_errname(fatal) : "ok");
    else
        return skv__err(SKV_EINVAL, "unknown property '%s'", name);
    if (!s) return SKV_ENOMEM;
    *value = s;
    return SKV_OK;
}
