/*
 * db_table.c — the database's table files: their names, the options each level builds
 * them with, the cache of open readers, point reads through a view (memtables, then level 0
 * newest first, then one file per deeper level), writing a memtable out as a level-0 table,
 * and deleting files no live view needs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

char *skv__db_table_path(const skv_db *db, uint64_t number) {
    size_t n = strlen(db->path) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%020" PRIu64 ".sst", db->path, number);
    return p;
}

void skv__db_sst_options(const skv_db *db, int level, SkvSstOptions *o) {
    skv__sst_options_default(o);
    o->block_size = db->opt.block_size;
    o->index_partition_size = db->opt.index_partition_size;
    o->restart_interval = db->opt.block_restart_interval;
    o->filter_bits_per_key = db->opt.filter_bits_per_key;
    o->compression = db->opt.compression[level < SKV_MAX_LEVELS ? level : SKV_MAX_LEVELS - 1];
    o->zstd_level = db->opt.zstd_level;
}

static void table_close_reader(void *value, size_t charge) {
    (void)charge;
    skv__sst_close(value);
}

int skv__db_table_get(skv_db *db, uint64_t number, SkvSstReader **r, SkvCacheHandle **h) {
    *h = skv__cache_lookup(db->table_cache, number, 0);
    if (*h) {
        *r = skv__cache_value(*h);
        return SKV_OK;
    }
    char *path = skv__db_table_path(db, number);
    if (!path) return SKV_ENOMEM;
    int rc = skv__sst_open(db->env, path, number, db->block_cache, r);
    free(path);
    if (rc) return rc;
    /* a table that cannot be mapped is read with copies, as with mmap_reads off */
    if (db->opt.mmap_reads && skv__sst_map(*r) != SKV_OK) skv__errmsg_clear();
    *h = skv__cache_insert(db->table_cache, number, 0, *r, 1, table_close_reader);
    return *h ? SKV_OK : SKV_ENOMEM;
}

void skv__db_table_release(skv_db *db, SkvCacheHandle *h) {
    skv__cache_release(db->table_cache, h);
}

static int table_in_range(const SkvFileMeta *f, const void *key, size_t klen) {
    return skv__key_cmp(key, klen, f->smallest, f->smallest_len) >= 0 &&
           skv__key_cmp(key, klen, f->largest, f->largest_len) <= 0;
}

/* A table's newest version of key at snap, keeping the block pinned in *pin. */
static int table_get(skv_db *db, const SkvFileMeta *f, const void *key, size_t klen, uint64_t snap,
                     SkvMemEntry *e, SkvSstPin *pin) {
    SkvSstReader *r;
    SkvCacheHandle *h;
    int rc = skv__db_table_get(db, f->number, &r, &h);
    if (rc) return rc;
    rc = skv__sst_get(r, key, klen, snap, e, pin);
    if (rc == SKV_OK && pin->mapped) {
        /* the entry lies in the reader's mapping: the pin keeps the reader open */
        pin->reader_cache = db->table_cache;
        pin->reader_handle = h;
        return rc;
    }
    skv__db_table_release(db, h);
    return rc;
}

int skv__view_get_any(skv_db *db, const SkvView *v, const void *key, size_t klen, uint64_t snap,
                      SkvMemEntry *e, SkvSstPin *pin) {
    for (size_t i = 0; i < v->n; i++)
        if (skv__mem_get(v->mems[i].mem, key, klen, snap, e) == SKV_OK) return SKV_OK;
    const SkvVersion *ver = v->version;
    for (int level = 0; ver && level < ver->nlevels; level++) {
        size_t n = ver->nfiles[level];
        SkvFileMeta **files = ver->files[level];
        if (level == 0) {
            for (size_t i = 0; i < n; i++) {
                if (!table_in_range(files[i], key, klen) || files[i]->min_seq > snap) continue;
                int rc = table_get(db, files[i], key, klen, snap, e, pin);
                if (rc != SKV_NOTFOUND) return rc;
            }
            continue;
        }
        size_t lo = 0, hi = n; /* first file whose largest key >= key */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (skv__key_cmp(files[mid]->largest, files[mid]->largest_len, key, klen) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && table_in_range(files[lo], key, klen)) {
            int rc = table_get(db, files[lo], key, klen, snap, e, pin);
            if (rc != SKV_NOTFOUND) return rc;
        }
    }
    return SKV_NOTFOUND;
}

int skv__db_write_level0(skv_db *db, SkvMemtable *m, SkvFileMeta *meta) {
    if (skv__mem_count(m) == 0) return SKV_NOTFOUND;
    SkvSstOptions o;
    skv__db_sst_options(db, 0, &o);
    uint64_t number = skv__vset_new_file_number(db->vset);
    char *path = skv__db_table_path(db, number);
    SkvSstBuilder *b;
    if (!path) return SKV_ENOMEM;
    int rc = skv__sst_builder_new(db->env, path, &o, &b);
    free(path);
    if (rc) return rc;
    SkvMemIter it;
    SkvMemEntry e;
    skv__memiter_init(&it, m);
    for (skv__memiter_first(&it); !rc && skv__memiter_valid(&it); skv__memiter_next(&it)) {
        skv__memiter_entry(&it, &e);
        rc = skv__db_vlog_flush_add(db, b, &e);
    }
    if (!rc) rc = skv__db_vlog_sync(db); /* the values, before the table that points at them */
    if (rc) {
        skv__sst_builder_abandon(b);
        return rc;
    }
    SkvSstProps p;
    if ((rc = skv__sst_builder_finish(b, &p))) return rc;
    rc = skv__db_vlog_note_table(db, number, p.vrefs, p.nvrefs);
    free(p.vrefs);
    p.vrefs = NULL;
    if (rc) {
        skv__sst_props_free(&p);
        return rc;
    }
    *meta = skv__db_file_meta(number, &p); /* takes over the props' keys */
    db->flush_bytes += p.size;
    return SKV_OK;
}

SkvFileMeta skv__db_file_meta(uint64_t number, const SkvSstProps *p) {
    return (SkvFileMeta){.number = number,
                         .size = p->size,
                         .entries = p->entries,
                         .min_seq = p->min_seq,
                         .max_seq = p->max_seq,
                         .smallest = p->smallest,
                         .largest = p->largest,
                         .smallest_len = (uint32_t)p->smallest_len,
                         .largest_len = (uint32_t)p->largest_len};
}

static int table_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int skv__db_live_numbers(skv_db *db, uint64_t **out, size_t *count) {
    size_t n = 0, cap = 64;
    uint64_t *v = malloc(cap * sizeof *v);
    if (!v) return SKV_ENOMEM;
    SkvVersion *cur = skv__vset_current(db->vset);
    skv__mutex_lock(&db->views_mu);
    for (SkvViewLink *w = db->live_views.next;; w = w->next) {
        const SkvVersion *ver = w == &db->live_views ? cur : ((SkvView *)(void *)w)->version;
        for (int l = 0; ver && l < ver->nlevels; l++)
            for (size_t i = 0; i < ver->nfiles[l]; i++) {
                if (n == cap) {
                    uint64_t *g = realloc(v, (cap *= 2) * sizeof *v);
                    if (!g) {
                        skv__mutex_unlock(&db->views_mu);
                        skv__version_unref(cur);
                        free(v);
                        return SKV_ENOMEM;
                    }
                    v = g;
                }
                v[n++] = ver->files[l][i]->number;
            }
        if (w == &db->live_views) break;
    }
    skv__mutex_unlock(&db->views_mu);
    skv__version_unref(cur);
    qsort(v, n, sizeof *v, table_cmp_u64);
    *out = v;
    *count = n;
    return SKV_OK;
}

/* Called only where no table is being written: by the background thread between jobs, and
 * at open before it starts. */
void skv__db_delete_obsolete(skv_db *db) {
    uint64_t *live;
    size_t nlive;
    if (skv__db_live_numbers(db, &live, &nlive)) return;
    char **names;
    size_t n;
    if (db->env->list(db->env, db->path, &names, &n) == SKV_OK) {
        for (size_t i = 0; i < n; i++) {
            char *end;
            uint64_t num = strtoull(names[i], &end, 10);
            if (strlen(names[i]) != 24 || end != names[i] + 20 || strcmp(end, ".sst") != 0 ||
                bsearch(&num, live, nlive, sizeof *live, table_cmp_u64))
                continue;
            char *path = skv__db_table_path(db, num);
            if (path && db->env->remove(db->env, path) == SKV_OK) {
                skv__cache_erase_file(db->table_cache, num);
                skv__cache_erase_file(db->block_cache, num);
                skv__db_vlog_forget_table(db, num);
            }
            free(path);
        }
        skv__env_free_list(names, n);
    }
    skv__db_vlog_delete_obsolete(db, live, nlive);
    free(live);
}
