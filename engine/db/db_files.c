/*
 * db_files.c — the immutable data files a version needs and their names: today the table
 * files of every level. A checkpoint links or copies exactly these, the integrity check
 * verifies each (present, with the size the manifest records) and reports any other data
 * file in the directory as an orphan. The value log adds its files to this one list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

int skv__db_data_files(const SkvVersion *v, SkvDataFile **out, size_t *n) {
    size_t total = 0, k = 0;
    *out = NULL;
    *n = 0;
    for (int l = 0; l < v->nlevels; l++) total += v->nfiles[l];
    if (!total) return SKV_OK;
    SkvDataFile *f = calloc(total, sizeof *f);
    if (!f) return skv__err(SKV_ENOMEM, "out of memory listing data files");
    for (int l = 0; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++, k++) {
            const SkvFileMeta *m = v->files[l][i];
            snprintf(f[k].name, sizeof f[k].name, "%020" PRIu64 ".sst", m->number);
            f[k].number = m->number;
            f[k].size = m->size;
            f[k].level = l;
            f[k].table = m;
        }
    *out = f;
    *n = total;
    return SKV_OK;
}

int skv__db_parse_data_name(const char *name, uint64_t *number) {
    char *end;
    if (strlen(name) != 24 || name[0] < '0' || name[0] > '9') return 0;
    unsigned long long x = strtoull(name, &end, 10);
    if (end != name + 20 || strcmp(end, ".sst") != 0) return 0;
    *number = x;
    return 1;
}
