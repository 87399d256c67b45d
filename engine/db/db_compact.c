/*
 * db_compact.c — leveled compaction. The picker scores level 0 by its file count against
 * level0_max_files and every deeper level by its bytes against its target
 * (max_bytes_for_level x level_multiplier^(level-1)); the neediest level at or above 1.0 is
 * compacted: all of level 0 (or one file of a deeper level, taken in turn) with the files of
 * the next level it overlaps. The job merges its inputs in internal order with one block of
 * each in memory, drops versions no live snapshot can see (the newest version at or below
 * the oldest snapshot stays; a hard delete goes too when no deeper level holds the key) —
 * with versioning, the history inside the retention window stays (compact_keep) — and
 * writes output files split at target_file_size, never splitting one user key's versions.
 */
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

static uint64_t compact_target(const skv_db *db, int level) {
    double t = (double)db->opt.max_bytes_for_level;
    for (int l = 1; l < level; l++) t *= db->opt.level_multiplier;
    return t > 1.8e19 ? UINT64_MAX : (uint64_t)t;
}

double skv__compact_score(const skv_db *db, const SkvVersion *v) {
    double best = (double)v->nfiles[0] / (double)db->opt.level0_max_files;
    for (int l = 1; l + 1 < v->nlevels; l++) {
        double s = (double)skv__version_level_bytes(v, l) / (double)compact_target(db, l);
        if (s > best) best = s;
    }
    return best;
}

typedef struct {
    const SkvFileMeta **f;
    size_t n, cap;
} FileList;

static int compact_list_add(FileList *l, const SkvFileMeta *f) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const SkvFileMeta **g = realloc(l->f, cap * sizeof *g);
        if (!g) return SKV_ENOMEM;
        l->f = g;
        l->cap = cap;
    }
    l->f[l->n++] = f;
    return SKV_OK;
}

static int compact_overlaps(const SkvFileMeta *f, const uint8_t *lo, size_t lolen,
                            const uint8_t *hi, size_t hilen) {
    return skv__key_cmp(f->largest, f->largest_len, lo, lolen) >= 0 &&
           skv__key_cmp(f->smallest, f->smallest_len, hi, hilen) <= 0;
}

/* 1 when a level deeper than `level` may hold key. */
static int compact_deeper_has(const SkvVersion *v, int level, const void *key, size_t klen) {
    for (int l = level + 1; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++)
            if (compact_overlaps(v->files[l][i], key, klen, key, klen)) return 1;
    return 0;
}

typedef struct {
    skv_db *db;
    const SkvVersion *v;
    int out_level;
    uint64_t oldest_snap;
    uint64_t now; /* for the retention window */
    SkvSstBuilder *b;
    SkvVersionEdit *edit;
    uint64_t written;
} CompactOut;

/* What compaction knows about the versions of one user key seen so far (newest first). */
typedef struct {
    int kept_old; /* the newest version at or below the oldest snapshot has gone by */
    int barrier;  /* with versioning: a hard delete or replace at or below it has gone by */
    int edge;     /* with versioning: a version older than the retention window was kept */
} CompactKey;

/* 1 when the version's timestamp is inside the retention window (retention 0: forever). */
static int compact_in_retention(const CompactOut *o, uint64_t ts) {
    uint64_t keep = o->db->opt.versioned_history_retention_ns;
    return keep == 0 || ts >= o->now || o->now - ts <= keep;
}

/* Whether to keep version e of a key. Every version newer than the oldest live snapshot
 * stays, and the newest one at or below it. Without versioning nothing older stays, and a
 * hard delete goes too when no deeper level holds the key. With versioning older versions
 * stay while their timestamp is inside the retention window, and so does the newest one
 * older than the window (the version in effect when the window starts, so that reads at any
 * time inside it stay exact); nothing older than a hard delete or a replace stays (history
 * ends there), and such a delete or replace stays only as long as it must go on hiding older
 * versions a deeper level may hold (a replace also as a version). Soft deletes are versions
 * like values: at the bottom level too. */
static int compact_keep(const CompactOut *o, CompactKey *k, const SkvSstEntry *e) {
    if (e->seq > o->oldest_snap) return 1;
    int newest = !k->kept_old;
    k->kept_old = 1;
    if (!o->db->opt.enable_versioning) {
        if (!newest) return 0; /* shadowed for every live snapshot */
        /* nothing older left anywhere: the delete has done its work */
        return e->kind != SKV_KIND_DELETE ||
               compact_deeper_has(o->v, o->out_level, e->key, e->klen);
    }
    if (k->barrier) return 0;
    if (e->kind == SKV_KIND_DELETE || e->kind == SKV_KIND_REPLACE) k->barrier = 1;
    if (e->kind != SKV_KIND_DELETE) {
        if (compact_in_retention(o, e->ts)) return 1;
        if (!k->edge) return k->edge = 1;
    }
    return e->kind != SKV_KIND_VALUE && e->kind != SKV_KIND_SOFT_DELETE &&
           compact_deeper_has(o->v, o->out_level, e->key, e->klen);
}

static int compact_finish_file(CompactOut *o, uint64_t number) {
    SkvSstProps p;
    int rc = skv__sst_builder_finish(o->b, &p);
    o->b = NULL;
    if (rc) return rc;
    SkvFileMeta m = skv__db_file_meta(number, &p);
    rc = skv__edit_add(o->edit, o->out_level, &m); /* copies the keys */
    if (!rc) rc = skv__db_vlog_note_table(o->db, number, p.vrefs, p.nvrefs);
    o->written += p.size;
    skv__sst_props_free(&p);
    return rc;
}

/* Merges the inputs into output files; adds them to the edit. */
static int compact_merge(CompactOut *o, const FileList *in) {
    skv_db *db = o->db;
    size_t n = in->n;
    SkvSstIter **its = calloc(n ? n : 1, sizeof *its);
    SkvCacheHandle **hs = calloc(n ? n : 1, sizeof *hs);
    uint8_t *group = NULL;
    size_t group_len = 0, group_cap = 0;
    int rc = its && hs ? SKV_OK : SKV_ENOMEM, have_group = 0;
    CompactKey ck = {0, 0, 0};
    uint64_t number = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        SkvSstReader *r;
        if (!(rc = skv__db_table_get(db, in->f[i]->number, &r, &hs[i])) &&
            !(rc = skv__sst_iter_new(r, &its[i])))
            skv__sst_iter_first(its[i]);
    }
    SkvSstOptions so;
    skv__db_sst_options(db, o->out_level, &so);
    while (!rc) {
        SkvSstEntry e, best = {0};
        size_t bi = n;
        for (size_t i = 0; i < n; i++) {
            if (!skv__sst_iter_valid(its[i])) {
                if ((rc = skv__sst_iter_status(its[i]))) break;
                continue;
            }
            skv__sst_iter_entry(its[i], &e);
            int c = bi == n ? -1 : skv__key_cmp(e.key, e.klen, best.key, best.klen);
            if (c < 0 || (c == 0 && e.seq > best.seq)) {
                best = e;
                bi = i;
            }
        }
        if (rc || bi == n) break;
        int new_key = !have_group || skv__key_cmp(best.key, best.klen, group, group_len) != 0;
        if (new_key) {
            /* a user key boundary: the place to cut a full output file */
            if (o->b && skv__sst_builder_size(o->b) >= db->opt.target_file_size &&
                (rc = compact_finish_file(o, number)))
                break;
            if (!skv__hold_key(&group, &group_cap, best.key, best.klen)) {
                rc = SKV_ENOMEM;
                break;
            }
            group_len = best.klen;
            have_group = 1;
            ck = (CompactKey){0, 0, 0};
        }
        if (compact_keep(o, &ck, &best)) {
            if (!o->b) {
                number = skv__vset_new_file_number(db->vset);
                char *path = skv__db_table_path(db, number);
                rc = path ? skv__sst_builder_new(db->env, path, &so, &o->b) : SKV_ENOMEM;
                free(path);
                if (rc) break;
            }
            rc = skv__db_vlog_compact_add(db, o->b, &best); /* rewrites values of marked files */
        }
        if (!rc) skv__sst_iter_next(its[bi]);
    }
    if (!rc && o->b) rc = compact_finish_file(o, number);
    if (o->b) {
        skv__sst_builder_abandon(o->b);
        o->b = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (its && its[i]) skv__sst_iter_free(its[i]);
        if (hs && hs[i]) skv__db_table_release(db, hs[i]);
    }
    free(its);
    free(hs);
    free(group);
    return rc;
}

/* Chooses the inputs: returns the output level, or -1 when nothing is due. */
static int compact_pick(skv_db *db, const SkvVersion *v, int manual, FileList *in) {
    int last = v->nlevels - 1;
    if (manual) {
        size_t total = 0;
        for (int l = 0; l < v->nlevels; l++) total += v->nfiles[l];
        if (!total) return -1;
        for (int l = 0; l < v->nlevels; l++)
            for (size_t i = 0; i < v->nfiles[l]; i++)
                if (compact_list_add(in, v->files[l][i])) return -2;
        return last;
    }
    int level = -1;
    double best = 1.0;
    if (v->nfiles[0] >= (size_t)db->opt.level0_max_files) {
        level = 0;
        best = (double)v->nfiles[0] / (double)db->opt.level0_max_files;
    }
    for (int l = 1; l < last; l++) {
        double s = (double)skv__version_level_bytes(v, l) / (double)compact_target(db, l);
        if (s >= best) {
            best = s;
            level = l;
        }
    }
    if (level < 0) { /* nothing due: rewrite a table for the value log's sake, if one needs it */
        const SkvFileMeta *f;
        level = skv__db_vlog_gc_pick(db, v, &f);
        return level < 0 ? -1 : compact_list_add(in, f) ? -2 : level;
    }
    const uint8_t *lo, *hi;
    size_t lolen, hilen;
    if (level == 0) {
        for (size_t i = 0; i < v->nfiles[0]; i++)
            if (compact_list_add(in, v->files[0][i])) return -2;
    } else {
        /* one file, in turn through the level */
        size_t i = db->compact_cursor[level] % v->nfiles[level];
        db->compact_cursor[level] = i + 1;
        if (compact_list_add(in, v->files[level][i])) return -2;
    }
    lo = in->f[0]->smallest, lolen = in->f[0]->smallest_len;
    hi = in->f[0]->largest, hilen = in->f[0]->largest_len;
    for (size_t i = 1; i < in->n; i++) {
        if (skv__key_cmp(in->f[i]->smallest, in->f[i]->smallest_len, lo, lolen) < 0)
            lo = in->f[i]->smallest, lolen = in->f[i]->smallest_len;
        if (skv__key_cmp(in->f[i]->largest, in->f[i]->largest_len, hi, hilen) > 0)
            hi = in->f[i]->largest, hilen = in->f[i]->largest_len;
    }
    for (size_t i = 0; i < v->nfiles[level + 1]; i++)
        if (compact_overlaps(v->files[level + 1][i], lo, lolen, hi, hilen) &&
            compact_list_add(in, v->files[level + 1][i]))
            return -2;
    return level + 1;
}

/* The level each input file is in (for the edit). */
static int compact_level_of(const SkvVersion *v, const SkvFileMeta *f) {
    for (int l = 0; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++)
            if (v->files[l][i] == f) return l;
    return -1;
}

int skv__compact_run(skv_db *db, int manual) {
    SkvVersion *v = skv__vset_current(db->vset);
    FileList in = {0};
    int rc = skv__db_vlog_gc_begin(db, v); /* marks the value-log files to rewrite */
    int out_level = rc ? -2 : compact_pick(db, v, manual, &in);
    if (out_level < 0) {
        skv__db_vlog_gc_end(db, SKV_NOTFOUND);
        free(in.f);
        skv__version_unref(v);
        return out_level == -1 ? SKV_NOTFOUND : rc ? rc : SKV_ENOMEM;
    }
    SkvVersionEdit edit;
    skv__edit_init(&edit);
    CompactOut o = {.db = db,
                    .v = v,
                    .out_level = out_level,
                    .edit = &edit,
                    .oldest_snap = skv__snapshots_oldest(&db->snaps, &db->visible_seq),
                    .now = db->env->now_ns(db->env)};
    for (size_t i = 0; !rc && i < in.n; i++) {
        rc = skv__edit_delete(&edit, compact_level_of(v, in.f[i]), in.f[i]->number);
        db->compact_read_bytes += in.f[i]->size;
    }
    if (!rc) rc = compact_merge(&o, &in);
    if (!rc) rc = skv__db_vlog_sync(db); /* rewritten values, before the tables naming them */
    if (!rc && edit.nadded) rc = db->env->sync_dir(db->env, db->path);
    if (!rc) rc = skv__vset_apply(db->vset, &edit);
    if (!rc) db->compact_write_bytes += o.written;
    skv__db_vlog_gc_end(db, rc);
    skv__edit_free(&edit);
    free(in.f);
    skv__version_unref(v);
    return rc;
}
