/*
 * version.c — versions: the immutable, refcounted set of files per level that readers hold,
 * the refcounted file metadata versions share, and building the version an edit yields from
 * a base version, with the level invariants checked (level 0 newest first, levels >= 1
 * sorted by smallest key and non-overlapping, every file number once).
 */
#include <stdlib.h>

#include "base/base.h"
#include "manifest/manifest.h"
#include "mem/mem.h"

/* Builds into *out (a new version with one reference) the version that applying e to base
 * yields; base NULL is the empty version, e NULL an empty edit. SKV_ECORRUPT when the edit
 * does not fit the base (a deleted file that is not there, a file added twice, a level out of
 * range, overlapping files in a level >= 1), SKV_ENOMEM; base is never changed. Used by the
 * version set (version_set.c), which declares it too: manifest.h is the module's only header
 * and does not list it. */
int skv__version_build(const SkvVersion *base, int nlevels, const SkvVersionEdit *e,
                       SkvVersion **out);

/* A file's metadata with its refcount; a version's SkvFileMeta * points at `meta`, the first
 * member, so the node is found from it. */
typedef struct {
    SkvFileMeta meta;
    _Atomic long refs;
} VersFile;

static VersFile *vers_node(SkvFileMeta *m) { return (VersFile *)(void *)m; }

static void vers_file_ref(SkvFileMeta *m) {
    atomic_fetch_add_explicit(&vers_node(m)->refs, 1, memory_order_relaxed);
}

static void vers_file_unref(SkvFileMeta *m) {
    VersFile *f = vers_node(m);
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1) return;
    free(f->meta.smallest);
    free(f->meta.largest);
    free(f);
}

/* A new node holding a copy of m (keys included). */
static SkvFileMeta *vers_file_new(const SkvFileMeta *m) {
    VersFile *f = malloc(sizeof *f);
    if (!f) return NULL;
    f->meta = *m;
    f->meta.smallest = malloc(m->smallest_len ? m->smallest_len : 1);
    f->meta.largest = malloc(m->largest_len ? m->largest_len : 1);
    if (!f->meta.smallest || !f->meta.largest) {
        free(f->meta.smallest);
        free(f->meta.largest);
        free(f);
        return NULL;
    }
    if (m->smallest_len) memcpy(f->meta.smallest, m->smallest, m->smallest_len);
    if (m->largest_len) memcpy(f->meta.largest, m->largest, m->largest_len);
    atomic_init(&f->refs, 1);
    return &f->meta;
}

static void vers_free(SkvVersion *v) {
    for (int l = 0; l < SKV_MAX_LEVELS; l++) {
        for (size_t i = 0; i < v->nfiles[l]; i++) vers_file_unref(v->files[l][i]);
        free(v->files[l]);
    }
    free(v);
}

void skv__version_ref(SkvVersion *v) {
    atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
}

void skv__version_unref(SkvVersion *v) {
    if (!v) return;
    if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1) vers_free(v);
}

uint64_t skv__version_level_bytes(const SkvVersion *v, int level) {
    if (level < 0 || level >= v->nlevels) return 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < v->nfiles[level]; i++) sum += v->files[level][i]->size;
    return sum;
}

/* ---- building ---- */

/* Level 0: newest first (highest max_seq, then highest number). */
static int vers_cmp_l0(const void *a, const void *b) {
    const SkvFileMeta *x = *(SkvFileMeta *const *)a, *y = *(SkvFileMeta *const *)b;
    if (x->max_seq != y->max_seq) return x->max_seq > y->max_seq ? -1 : 1;
    if (x->number != y->number) return x->number > y->number ? -1 : 1;
    return 0;
}

/* Levels >= 1: by smallest key, then number. */
static int vers_cmp_key(const void *a, const void *b) {
    const SkvFileMeta *x = *(SkvFileMeta *const *)a, *y = *(SkvFileMeta *const *)b;
    int c = skv__key_cmp(x->smallest, x->smallest_len, y->smallest, y->smallest_len);
    if (c) return c;
    return x->number < y->number ? -1 : x->number > y->number;
}

static int vers_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Checks what can be checked of the edit alone. */
static int vers_check_edit(const SkvVersionEdit *e, int nlevels) {
    for (size_t i = 0; i < e->ndeleted; i++) {
        int l = e->deleted[i].level;
        if (l < 0 || l >= nlevels)
            return skv__err(SKV_ECORRUPT, "deleted file %llu is in level %d of %d levels",
                            (unsigned long long)e->deleted[i].number, l, nlevels);
    }
    for (size_t i = 0; i < e->nadded; i++) {
        int l = e->added[i].level;
        const SkvFileMeta *m = &e->added[i].meta;
        if (l < 0 || l >= nlevels)
            return skv__err(SKV_ECORRUPT, "added file %llu is in level %d of %d levels",
                            (unsigned long long)m->number, l, nlevels);
        if (m->min_seq > m->max_seq)
            return skv__err(SKV_ECORRUPT, "added file %llu has min_seq above max_seq",
                            (unsigned long long)m->number);
        if (skv__key_cmp(m->smallest, m->smallest_len, m->largest, m->largest_len) > 0)
            return skv__err(SKV_ECORRUPT, "added file %llu has its smallest key above its largest",
                            (unsigned long long)m->number);
    }
    return SKV_OK;
}

/* Marks in gone[l][i] the base files the edit deletes. */
static int vers_mark_deleted(const SkvVersion *base, const SkvVersionEdit *e,
                             unsigned char *gone[SKV_MAX_LEVELS], size_t ndel[SKV_MAX_LEVELS]) {
    for (size_t d = 0; d < e->ndeleted; d++) {
        int l = e->deleted[d].level;
        uint64_t num = e->deleted[d].number;
        size_t n = base ? base->nfiles[l] : 0, i = 0;
        while (i < n && base->files[l][i]->number != num) i++;
        if (i == n)
            return skv__err(SKV_ECORRUPT, "deleted file %llu is not in level %d",
                            (unsigned long long)num, l);
        if (gone[l][i])
            return skv__err(SKV_ECORRUPT, "file %llu deleted twice from level %d",
                            (unsigned long long)num, l);
        gone[l][i] = 1;
        ndel[l]++;
    }
    return SKV_OK;
}

/* Every file number at most once in v. */
static int vers_check_unique(const SkvVersion *v) {
    size_t total = 0;
    for (int l = 0; l < v->nlevels; l++) total += v->nfiles[l];
    if (total < 2) return SKV_OK;
    uint64_t *nums = malloc(total * sizeof *nums);
    if (!nums) return skv__err(SKV_ENOMEM, "version: out of memory");
    size_t k = 0;
    for (int l = 0; l < v->nlevels; l++)
        for (size_t i = 0; i < v->nfiles[l]; i++) nums[k++] = v->files[l][i]->number;
    qsort(nums, total, sizeof *nums, vers_cmp_u64);
    int rc = SKV_OK;
    for (size_t i = 1; i < total && rc == SKV_OK; i++)
        if (nums[i] == nums[i - 1])
            rc = skv__err(SKV_ECORRUPT, "file %llu added while already in the version",
                          (unsigned long long)nums[i]);
    free(nums);
    return rc;
}

/* Sorts level l of v and checks that its files do not overlap (levels >= 1). */
static int vers_sort_level(SkvVersion *v, int l) {
    SkvFileMeta **f = v->files[l];
    size_t n = v->nfiles[l];
    if (n < 2) return SKV_OK;
    qsort(f, n, sizeof *f, l == 0 ? vers_cmp_l0 : vers_cmp_key);
    if (l == 0) return SKV_OK;
    for (size_t i = 1; i < n; i++) {
        if (skv__key_cmp(f[i - 1]->largest, f[i - 1]->largest_len, f[i]->smallest,
                         f[i]->smallest_len) >= 0)
            return skv__err(SKV_ECORRUPT, "overlapping files in level %d (files %llu and %llu)", l,
                            (unsigned long long)f[i - 1]->number, (unsigned long long)f[i]->number);
    }
    return SKV_OK;
}

/* Fills level l of v: the base files not deleted, then the added ones. */
static int vers_fill_level(SkvVersion *v, const SkvVersion *base, const SkvVersionEdit *e, int l,
                           const unsigned char *gone, size_t ndel) {
    size_t nbase = base ? base->nfiles[l] : 0, nadd = 0;
    for (size_t i = 0; i < e->nadded; i++) nadd += e->added[i].level == l;
    size_t n = nbase - ndel + nadd;
    if (n == 0) return SKV_OK;
    v->files[l] = malloc(n * sizeof *v->files[l]);
    if (!v->files[l]) return skv__err(SKV_ENOMEM, "version: out of memory");
    for (size_t i = 0; i < nbase; i++) {
        if (gone && gone[i]) continue;
        vers_file_ref(base->files[l][i]);
        v->files[l][v->nfiles[l]++] = base->files[l][i];
    }
    for (size_t i = 0; i < e->nadded; i++) {
        if (e->added[i].level != l) continue;
        SkvFileMeta *m = vers_file_new(&e->added[i].meta);
        if (!m) return skv__err(SKV_ENOMEM, "version: out of memory");
        v->files[l][v->nfiles[l]++] = m;
    }
    if (nadd == 0 && ndel == 0) return SKV_OK; /* the base order stands */
    return vers_sort_level(v, l);
}

int skv__version_build(const SkvVersion *base, int nlevels, const SkvVersionEdit *e,
                       SkvVersion **out) {
    if (nlevels < 1 || nlevels > SKV_MAX_LEVELS || (base && base->nlevels != nlevels))
        return skv__err(SKV_EINVAL, "version: bad level count %d", nlevels);
    SkvVersionEdit empty;
    if (!e) {
        skv__edit_init(&empty);
        e = &empty;
    }
    int rc = vers_check_edit(e, nlevels);
    if (rc != SKV_OK) return rc;
    unsigned char *gone[SKV_MAX_LEVELS] = {0};
    size_t ndel[SKV_MAX_LEVELS] = {0};
    SkvVersion *v = calloc(1, sizeof *v);
    if (!v) return skv__err(SKV_ENOMEM, "version: out of memory");
    atomic_init(&v->refs, 1);
    v->nlevels = nlevels;
    for (int l = 0; l < nlevels && rc == SKV_OK && e->ndeleted; l++) {
        size_t n = base ? base->nfiles[l] : 0;
        if (n && !(gone[l] = calloc(n, 1))) rc = skv__err(SKV_ENOMEM, "version: out of memory");
    }
    if (rc == SKV_OK) rc = vers_mark_deleted(base, e, gone, ndel);
    for (int l = 0; l < nlevels && rc == SKV_OK; l++)
        rc = vers_fill_level(v, base, e, l, gone[l], ndel[l]);
    if (rc == SKV_OK && e->nadded) rc = vers_check_unique(v);
    for (int l = 0; l < SKV_MAX_LEVELS; l++) free(gone[l]);
    if (rc != SKV_OK) {
        vers_free(v);
        return rc;
    }
    *out = v;
    return SKV_OK;
}
