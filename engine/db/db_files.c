/*
 * db_files.c — the immutable data files a version needs and their names: the table files of
 * every level, then the value-log files those tables reference (in their properties). A
 * checkpoint links or copies exactly these, the integrity check verifies each (present; a
 * table with the size the manifest records) and reports any other data file in the directory
 * as an orphan.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "db/db_vlog.h"

/* Adds the value-log files of refs to the list (sorted, each once). */
static int files_add_refs(SkvVlogRefs *all, const SkvVlogRef *r, size_t n) {
    int rc = SKV_OK;
    for (size_t i = 0; !rc && i < n; i++) rc = skv__vlog_refs_add(all, r[i].file, r[i].bytes);
    return rc;
}

/* The references of every table of v: from the open database's notes, or (vl NULL) from each
 * table's properties in dir (a table that cannot be opened adds none: its own check reports
 * it). */
static int files_refs(SkvEnv *env, const char *dir, const SkvVersion *v, SkvDbVlog *vl,
                      SkvVlogRefs *all) {
    int rc = SKV_OK;
    if (vl) skv__mutex_lock(&vl->mu);
    for (int l = 0; !rc && l < v->nlevels; l++)
        for (size_t i = 0; !rc && i < v->nfiles[l]; i++) {
            uint64_t number = v->files[l][i]->number;
            if (vl) {
                const SkvDbVlogTable *t = skv__db_vlog_table(vl, number);
                if (t) rc = files_add_refs(all, t->r, t->n);
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%020" PRIu64 ".sst", dir, number);
            SkvSstReader *r;
            if (skv__sst_open(env, path, number, NULL, &r) != SKV_OK) {
                skv__errmsg_clear();
                continue;
            }
            const SkvSstProps *p = skv__sst_props(r);
            rc = files_add_refs(all, p->vrefs, p->nvrefs);
            skv__sst_close(r);
        }
    if (vl) skv__mutex_unlock(&vl->mu);
    return rc;
}

int skv__db_data_files(SkvEnv *env, const char *dir, const SkvVersion *v, SkvDbVlog *vl,
                       SkvDataFile **out, size_t *n) {
    size_t total = 0, k = 0;
    SkvVlogRefs refs = {0};
    *out = NULL;
    *n = 0;
    for (int l = 0; l < v->nlevels; l++) total += v->nfiles[l];
    int rc = files_refs(env, dir, v, vl, &refs);
    if (rc) {
        skv__vlog_refs_free(&refs);
        return rc;
    }
    total += refs.n;
    if (!total) return SKV_OK;
    SkvDataFile *f = calloc(total, sizeof *f);
    if (!f) {
        skv__vlog_refs_free(&refs);
        return skv__err(SKV_ENOMEM, "out of memory listing data files");
    }
    for (int l = 0; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++, k++) {
            const SkvFileMeta *m = v->files[l][i];
            snprintf(f[k].name, sizeof f[k].name, "%020" PRIu64 ".sst", m->number);
            f[k].number = m->number;
            f[k].size = m->size;
            f[k].level = l;
            f[k].table = m;
        }
    if (vl) skv__mutex_lock(&vl->mu);
    for (size_t i = 0; i < refs.n; i++, k++) {
        snprintf(f[k].name, sizeof f[k].name, "%020" PRIu64 ".vlog", refs.r[i].file);
        f[k].number = refs.r[i].file;
        f[k].level = -1;
        f[k].vlog = 1;
        f[k].live = refs.r[i].bytes;
        /* what a checkpoint carries: the durable bytes, and whether the file still grows */
        size_t j = vl ? skv__db_vlog_find_file(vl, refs.r[i].file) : 0;
        if (vl && j < vl->nfiles) {
            f[k].size = vl->files[j].synced;
            f[k].appending = vl->files[j].appending;
        }
    }
    if (vl) skv__mutex_unlock(&vl->mu);
    skv__vlog_refs_free(&refs);
    *out = f;
    *n = total;
    return SKV_OK;
}

int skv__db_parse_data_name(const char *name, uint64_t *number) {
    char *end;
    if (skv__vlog_parse_name(name, number)) return 1;
    if (strlen(name) != 24 || name[0] < '0' || name[0] > '9') return 0;
    unsigned long long x = strtoull(name, &end, 10);
    if (end != name + 20 || strcmp(end, ".sst") != 0) return 0;
    *number = x;
    return 1;
}
