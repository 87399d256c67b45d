/*
 * test_manifest.c — version edits, versions and the version set on the in-memory file
 * system: the edit encoding (round trip, every truncation, malformed fields), level order
 * and overlap checks, random edits surviving reopens, manifest rotation, a torn last edit,
 * a damaged early edit, CURRENT missing / garbage / dangling, a crash at every mutating
 * operation of opens and applies, EIO on the manifest, file numbers across reopens, removal
 * of old manifests, and readers of the current version on another thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "env/env.h"
#include "manifest/manifest.h"
#include "test.h"

#define DB "/db"
enum { NLEVELS = 4 };

/* ---- helpers ---- */

static SkvMemFs *new_fs(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    if (env->mkdir(env, DB) != SKV_OK) abort();
    return fs;
}

/* Keys of file n: "k<n>0" .. "k<n>5", so files with different numbers never overlap. */
static void file_meta(SkvFileMeta *m, uint64_t n, uint8_t *sbuf, uint8_t *lbuf) {
    memset(m, 0, sizeof *m);
    m->number = n;
    m->size = 1000 + n;
    m->entries = 10 + n;
    m->min_seq = n * 100;
    m->max_seq = n * 100 + 50;
    m->smallest_len = (uint32_t)snprintf((char *)sbuf, 32, "k%08llu0", (unsigned long long)n);
    m->largest_len = (uint32_t)snprintf((char *)lbuf, 32, "k%08llu5", (unsigned long long)n);
    m->smallest = sbuf;
    m->largest = lbuf;
}

static int add_file(SkvVersionEdit *e, int level, uint64_t n) {
    uint8_t s[32], l[32];
    SkvFileMeta m;
    file_meta(&m, n, s, l);
    return skv__edit_add(e, level, &m);
}

/* A file with explicit keys and seqs. */
static int add_file_keys(SkvVersionEdit *e, int level, uint64_t n, const char *smallest,
                         const char *largest, uint64_t max_seq) {
    SkvFileMeta m;
    memset(&m, 0, sizeof m);
    m.number = n;
    m.size = 100 * n;
    m.entries = n;
    m.min_seq = max_seq / 2;
    m.max_seq = max_seq;
    m.smallest = (uint8_t *)(uintptr_t)smallest;
    m.smallest_len = (uint32_t)strlen(smallest);
    m.largest = (uint8_t *)(uintptr_t)largest;
    m.largest_len = (uint32_t)strlen(largest);
    return skv__edit_add(e, level, &m);
}

static int meta_same(const SkvFileMeta *a, const SkvFileMeta *b) {
    return a->number == b->number && a->size == b->size && a->entries == b->entries &&
           a->min_seq == b->min_seq && a->max_seq == b->max_seq &&
           a->smallest_len == b->smallest_len && a->largest_len == b->largest_len &&
           memcmp(a->smallest, b->smallest, a->smallest_len) == 0 &&
           memcmp(a->largest, b->largest, a->largest_len) == 0;
}

static int version_same(const SkvVersion *a, const SkvVersion *b) {
    if (a->nlevels != b->nlevels) return 0;
    for (int l = 0; l < a->nlevels; l++) {
        if (a->nfiles[l] != b->nfiles[l]) return 0;
        for (size_t i = 0; i < a->nfiles[l]; i++)
            if (!meta_same(a->files[l][i], b->files[l][i])) return 0;
    }
    return 1;
}

static size_t version_count(const SkvVersion *v) {
    size_t n = 0;
    for (int l = 0; l < v->nlevels; l++) n += v->nfiles[l];
    return n;
}

static int errmsg_has(const char *s) { return strstr(skv_errmsg(), s) != NULL; }

/* Number of MANIFEST-* names in the directory (and the last one's number). */
static size_t count_manifests(SkvEnv *env, uint64_t *last) {
    char **names;
    size_t n, found = 0;
    if (env->list(env, DB, &names, &n) != SKV_OK) return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], "MANIFEST-", 9) == 0) {
            found++;
            if (last) *last = strtoull(names[i] + 9, NULL, 10);
        }
    }
    skv__env_free_list(names, n);
    return found;
}

static void manifest_path(char *buf, size_t cap, uint64_t number) {
    snprintf(buf, cap, DB "/MANIFEST-%020llu", (unsigned long long)number);
}

/* Reopens: close vs and open a new set on env. */
static int reopen(SkvEnv *env, SkvVersionSet **vs) {
    skv__vset_close(*vs);
    *vs = NULL;
    return skv__vset_open(env, DB, NLEVELS, vs);
}

/* ---- edits ---- */

static void edit_full(SkvVersionEdit *e) {
    skv__edit_init(e);
    e->has_log_number = e->has_next_file = e->has_last_seq = e->has_last_ts = 1;
    e->log_number = 7;
    e->next_file = 300;
    e->last_seq = UINT64_MAX;
    e->last_ts = 1ull << 40;
    skv__edit_delete(e, 0, 5);
    skv__edit_delete(e, SKV_MAX_LEVELS - 1, 123456789);
    add_file(e, 1, 42);
    add_file_keys(e, 0, 43, "", "", 0); /* empty keys */
    SkvFileMeta m;
    uint8_t bin[300];
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (uint8_t)(i * 7);
    memset(&m, 0, sizeof m);
    m.number = UINT64_MAX - 1;
    m.size = UINT64_MAX;
    m.entries = 1;
    m.min_seq = 0;
    m.max_seq = UINT64_MAX;
    m.smallest = bin;
    m.smallest_len = 200;
    m.largest = bin;
    m.largest_len = 300;
    skv__edit_add(e, 3, &m);
}

static void test_edit_roundtrip(void) {
    SkvVersionEdit e, d;
    edit_full(&e);
    CHECK(e.ndeleted == 2 && e.nadded == 3);
    uint8_t *buf, *buf2;
    size_t len, len2;
    CHECK_RC(skv__edit_encode(&e, &buf, &len), SKV_OK);
    CHECK_RC(skv__edit_decode(&d, buf, len), SKV_OK);
    CHECK(d.has_log_number && d.has_next_file && d.has_last_seq && d.has_last_ts);
    CHECK_EQ_U64(d.log_number, 7);
    CHECK_EQ_U64(d.next_file, 300);
    CHECK_EQ_U64(d.last_seq, UINT64_MAX);
    CHECK_EQ_U64(d.last_ts, 1ull << 40);
    CHECK(d.ndeleted == 2 && d.nadded == 3);
    CHECK(d.deleted[0].level == 0 && d.deleted[0].number == 5);
    CHECK(d.deleted[1].level == SKV_MAX_LEVELS - 1 && d.deleted[1].number == 123456789);
    for (size_t i = 0; i < 3; i++) {
        CHECK(d.added[i].level == e.added[i].level);
        CHECK(meta_same(&d.added[i].meta, &e.added[i].meta));
    }
    CHECK_RC(skv__edit_encode(&d, &buf2, &len2), SKV_OK);
    CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
    free(buf2);
    skv__edit_free(&d);

    /* an empty edit and an edit with only one field */
    SkvVersionEdit z;
    skv__edit_init(&z);
    CHECK_RC(skv__edit_encode(&z, &buf2, &len2), SKV_OK);
    CHECK_EQ_U64(len2, 1);
    CHECK_RC(skv__edit_decode(&d, buf2, len2), SKV_OK);
    CHECK(!d.has_log_number && !d.has_next_file && d.ndeleted == 0 && d.nadded == 0);
    skv__edit_free(&d);
    free(buf2);
    z.has_last_ts = 1;
    z.last_ts = 9;
    CHECK_RC(skv__edit_encode(&z, &buf2, &len2), SKV_OK);
    CHECK_RC(skv__edit_decode(&d, buf2, len2), SKV_OK);
    CHECK(d.has_last_ts && d.last_ts == 9 && !d.has_last_seq);
    skv__edit_free(&d);
    free(buf2);
    free(buf);
    skv__edit_free(&e);
}

static void test_edit_truncations(void) {
    SkvVersionEdit e, d;
    edit_full(&e);
    uint8_t *buf;
    size_t len;
    CHECK_RC(skv__edit_encode(&e, &buf, &len), SKV_OK);
    skv__edit_free(&e);
    for (size_t cut = 0; cut < len; cut++) {
        /* a copy of exactly `cut` bytes, so ASan catches any read past it */
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, buf, cut);
        int rc = skv__edit_decode(&d, p, cut);
        free(p);
        if (rc != SKV_ECORRUPT) {
            fprintf(stderr, "cut %zu of %zu: %s\n", cut, len, skv_errname(rc));
            free(buf);
            CHECK(0);
        }
        CHECK(d.nadded == 0 && d.ndeleted == 0 && d.added == NULL);
    }
    /* a byte after the end tag */
    uint8_t *p = malloc(len + 1);
    memcpy(p, buf, len);
    p[len] = 0;
    CHECK_RC(skv__edit_decode(&d, p, len + 1), SKV_ECORRUPT);
    free(p);
    free(buf);
}

static void test_edit_malformed(void) {
    SkvVersionEdit d;
    static const uint8_t unknown_tag[] = {9, 1, 0};
    static const uint8_t repeated[] = {1, 5, 1, 6, 0};
    static const uint8_t bad_level[] = {5, 16, 1, 0};
    static const uint8_t overlong_varint[] = {1,    0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xff, 0xff, 0x7f, 0};
    /* added file whose smallest key claims 2^32 bytes */
    static const uint8_t huge_key[] = {6, 1, 1, 1, 1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0};
    /* added file with a key length larger than the rest */
    static const uint8_t long_key[] = {6, 1, 1, 1, 1, 1, 1, 5, 'a', 'b', 0};
    /* min_seq above max_seq */
    static const uint8_t seqs[] = {6, 1, 1, 1, 1, 9, 1, 1, 'a', 1, 'a', 0};
    /* smallest above largest */
    static const uint8_t keys[] = {6, 1, 1, 1, 1, 1, 9, 1, 'b', 1, 'a', 0};
    static const uint8_t ok_file[] = {6, 1, 1, 1, 1, 1, 9, 1, 'a', 1, 'b', 0};
    CHECK_RC(skv__edit_decode(&d, unknown_tag, sizeof unknown_tag), SKV_ECORRUPT);
    CHECK(errmsg_has("unknown tag"));
    CHECK_RC(skv__edit_decode(&d, repeated, sizeof repeated), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, bad_level, sizeof bad_level), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, overlong_varint, sizeof overlong_varint), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, huge_key, sizeof huge_key), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, long_key, sizeof long_key), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, seqs, sizeof seqs), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, keys, sizeof keys), SKV_ECORRUPT);
    CHECK_RC(skv__edit_decode(&d, ok_file, sizeof ok_file), SKV_OK);
    CHECK(d.nadded == 1 && d.added[0].meta.max_seq == 9);
    skv__edit_free(&d);
    CHECK_RC(skv__edit_decode(&d, NULL, 0), SKV_ECORRUPT);
}

/* ---- versions ---- */

static void test_level_order(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    SkvVersion *v0 = skv__vset_current(vs);
    CHECK(v0->nlevels == NLEVELS && version_count(v0) == 0);

    SkvVersionEdit e;
    skv__edit_init(&e);
    /* level 0: overlapping files, in max_seq order newest first */
    add_file_keys(&e, 0, 10, "a", "z", 30);
    add_file_keys(&e, 0, 11, "a", "z", 50);
    add_file_keys(&e, 0, 12, "c", "d", 10);
    /* level 1: sorted by smallest key whatever the order of the adds */
    add_file_keys(&e, 1, 20, "m", "p", 5);
    add_file_keys(&e, 1, 21, "a", "c", 5);
    add_file_keys(&e, 1, 22, "d", "f", 5);
    add_file_keys(&e, 2, 30, "x", "x", 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
    skv__edit_free(&e);
    SkvVersion *v = skv__vset_current(vs);
    CHECK(v != v0);
    CHECK(version_count(v0) == 0); /* the old version is unchanged */
    skv__version_unref(v0);
    CHECK(v->nfiles[0] == 3 && v->nfiles[1] == 3 && v->nfiles[2] == 1 && v->nfiles[3] == 0);
    CHECK_EQ_U64(v->files[0][0]->number, 11);
    CHECK_EQ_U64(v->files[0][1]->number, 10);
    CHECK_EQ_U64(v->files[0][2]->number, 12);
    CHECK_EQ_U64(v->files[1][0]->number, 21);
    CHECK_EQ_U64(v->files[1][1]->number, 22);
    CHECK_EQ_U64(v->files[1][2]->number, 20);
    CHECK_EQ_U64(skv__version_level_bytes(v, 1), 100 * (20 + 21 + 22));
    CHECK_EQ_U64(skv__version_level_bytes(v, 3), 0);
    CHECK_EQ_U64(skv__version_level_bytes(v, 99), 0);

    /* a newer level-0 file goes first; a level-1 file fills the gap; a move from 0 to 2 */
    skv__edit_init(&e);
    add_file_keys(&e, 0, 13, "b", "b", 60);
    add_file_keys(&e, 1, 23, "g", "l", 5);
    skv__edit_delete(&e, 0, 12);
    add_file_keys(&e, 2, 12, "c", "d", 10);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
    skv__edit_free(&e);
    SkvVersion *w = skv__vset_current(vs);
    CHECK(w->nfiles[0] == 3 && w->nfiles[1] == 4 && w->nfiles[2] == 2);
    CHECK_EQ_U64(w->files[0][0]->number, 13);
    CHECK_EQ_U64(w->files[0][1]->number, 11);
    CHECK_EQ_U64(w->files[0][2]->number, 10);
    CHECK_EQ_U64(w->files[1][2]->number, 23);
    CHECK_EQ_U64(w->files[2][0]->number, 12);
    CHECK_EQ_U64(w->files[2][1]->number, 30);
    /* unchanged files are shared with the previous version */
    CHECK(w->files[1][0] == v->files[1][0]);
    skv__version_unref(v); /* w keeps the shared metadata alive */
    CHECK_MEM(w->files[1][0]->smallest, w->files[1][0]->smallest_len, "a");

    CHECK_RC(reopen(env, &vs), SKV_OK);
    SkvVersion *r = skv__vset_current(vs);
    CHECK(version_same(r, w));
    skv__version_unref(r);
    skv__version_unref(w);
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

static void test_invalid_edits(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    SkvVersionEdit e;
    skv__edit_init(&e);
    add_file_keys(&e, 1, 5, "b", "d", 5);
    add_file_keys(&e, 1, 6, "f", "h", 5);
    e.has_last_seq = 1;
    e.last_seq = 77;
    CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
    skv__edit_free(&e);
    SkvVersion *before = skv__vset_current(vs);
    uint64_t mf = skv__vset_manifest_number(vs);
    char path[64];
    manifest_path(path, sizeof path, mf);
    char *content;
    size_t size_before, size_after;
    CHECK_RC(skv__env_read_file(env, path, &content, &size_before), SKV_OK);
    free(content);

    static const struct {
        const char *s, *l;
        int level;
    } overlaps[] = {
        {"c", "e", 1}, /* overlaps 5 */
        {"a", "b", 1}, /* touches 5's smallest */
        {"d", "f", 1}, /* touches both */
        {"a", "z", 1}, /* covers both */
        {"e", "e", 0}, /* fine in level 0, but see the duplicate below */
    };
    for (size_t i = 0; i < 4; i++) {
        skv__edit_init(&e);
        add_file_keys(&e, overlaps[i].level, 9, overlaps[i].s, overlaps[i].l, 5);
        e.has_last_seq = 1;
        e.last_seq = 1000;
        CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
        CHECK(errmsg_has("overlapping files in level 1"));
        skv__edit_free(&e);
    }
    /* two added files overlapping each other */
    skv__edit_init(&e);
    add_file_keys(&e, 2, 9, "a", "c", 5);
    add_file_keys(&e, 2, 10, "c", "d", 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    CHECK(errmsg_has("overlapping files in level 2"));
    skv__edit_free(&e);
    /* deleting a file not there (wrong level, unknown number) */
    skv__edit_init(&e);
    skv__edit_delete(&e, 0, 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    skv__edit_free(&e);
    skv__edit_init(&e);
    skv__edit_delete(&e, 1, 99);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    skv__edit_free(&e);
    skv__edit_init(&e);
    skv__edit_delete(&e, 1, 5);
    skv__edit_delete(&e, 1, 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    skv__edit_free(&e);
    /* adding a file already present (in another level, or twice) */
    skv__edit_init(&e);
    add_file_keys(&e, 0, 5, "x", "y", 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    skv__edit_free(&e);
    skv__edit_init(&e);
    add_file_keys(&e, 0, 8, "x", "y", 5);
    add_file_keys(&e, 3, 8, "x", "y", 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    skv__edit_free(&e);
    /* a level beyond the set's level count */
    skv__edit_init(&e);
    add_file_keys(&e, NLEVELS, 8, "x", "y", 5);
    CHECK_RC(skv__vset_apply(vs, &e), SKV_ECORRUPT);
    skv__edit_free(&e);

    /* nothing changed: same version, same counters, nothing logged */
    SkvVersion *after = skv__vset_current(vs);
    CHECK(after == before);
    CHECK_EQ_U64(skv__vset_last_seq(vs), 77);
    CHECK_RC(skv__env_read_file(env, path, &content, &size_after), SKV_OK);
    free(content);
    CHECK_EQ_U64(size_after, size_before);
    CHECK_RC(reopen(env, &vs), SKV_OK);
    SkvVersion *r = skv__vset_current(vs);
    CHECK(version_same(r, before));
    CHECK_EQ_U64(skv__vset_last_seq(vs), 77);
    skv__version_unref(r);
    skv__version_unref(after);
    skv__version_unref(before);
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

/* ---- random edits and reopens ---- */

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A random valid edit against v: deletes, moves and adds (new numbers from vs). */
static int random_edit(SkvVersionSet *vs, const SkvVersion *v, uint64_t *rng, SkvVersionEdit *e) {
    skv__edit_init(e);
    size_t total = version_count(v);
    int used[SKV_MAX_LEVELS][64] = {{0}};
    int rc = SKV_OK;
    for (int k = 0; k < 3 && total; k++) {
        uint64_t pick = rng_next(rng) % total;
        int l = 0;
        while (pick >= v->nfiles[l]) pick -= v->nfiles[l++];
        if (pick < 64 && used[l][pick]) continue;
        if (pick < 64)
            used[l][pick] = 1;
        else
            continue;
        const SkvFileMeta *m = v->files[l][pick];
        rc = skv__edit_delete(e, l, m->number);
        if (rc == SKV_OK && rng_next(rng) % 2) /* move it to another level */
            rc = skv__edit_add(e, (int)((unsigned)(l + 1) % NLEVELS), m);
        if (rc != SKV_OK) return rc;
    }
    int nadd = (int)(rng_next(rng) % 4);
    for (int k = 0; k < nadd && rc == SKV_OK; k++)
        rc = add_file(e, (int)(rng_next(rng) % NLEVELS), skv__vset_new_file_number(vs));
    uint64_t r = rng_next(rng);
    if (r & 1) {
        e->has_last_seq = 1;
        e->last_seq = rng_next(rng) % 100000;
    }
    if (r & 2) {
        e->has_last_ts = 1;
        e->last_ts = rng_next(rng);
    }
    if (r & 4) {
        e->has_log_number = 1;
        e->log_number = rng_next(rng) % 1000;
    }
    return rc;
}

static void test_random_reopen(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    uint64_t rng = 12345, max_seq = 0, max_ts = 0, max_log = 0;
    for (int i = 0; i < 400; i++) {
        SkvVersion *v = skv__vset_current(vs);
        SkvVersionEdit e;
        int rc = random_edit(vs, v, &rng, &e);
        skv__version_unref(v);
        CHECK_RC(rc, SKV_OK);
        if (e.has_last_seq && e.last_seq > max_seq) max_seq = e.last_seq;
        if (e.has_last_ts && e.last_ts > max_ts) max_ts = e.last_ts;
        if (e.has_log_number && e.log_number > max_log) max_log = e.log_number;
        rc = skv__vset_apply(vs, &e);
        skv__edit_free(&e);
        CHECK_RC(rc, SKV_OK);
        CHECK_EQ_U64(skv__vset_last_seq(vs), max_seq);
        CHECK_EQ_U64(skv__vset_last_ts(vs), max_ts);
        CHECK_EQ_U64(skv__vset_log_number(vs), max_log);
        if (i % 37 == 36) {
            SkvVersion *a = skv__vset_current(vs);
            CHECK_RC(reopen(env, &vs), SKV_OK);
            SkvVersion *b = skv__vset_current(vs);
            int same = version_same(a, b);
            skv__version_unref(a);
            skv__version_unref(b);
            CHECK(same);
            CHECK_EQ_U64(skv__vset_last_seq(vs), max_seq);
            CHECK_EQ_U64(skv__vset_last_ts(vs), max_ts);
            CHECK_EQ_U64(skv__vset_log_number(vs), max_log);
            CHECK_EQ_U64(count_manifests(env, NULL), 1);
        }
    }
    /* the same state from a crash image (everything applied was fsynced) */
    SkvVersion *a = skv__vset_current(vs);
    SkvMemFs *img = skv__memfs_crash_clone(fs, 0);
    SkvVersionSet *vs2;
    CHECK_RC(skv__vset_open(skv__memfs_env(img), DB, NLEVELS, &vs2), SKV_OK);
    SkvVersion *b = skv__vset_current(vs2);
    CHECK(version_same(a, b));
    skv__version_unref(a);
    skv__version_unref(b);
    skv__vset_close(vs2);
    skv__memfs_free(img);
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

/* Big keys push the manifest past its size limit: a new manifest replaces the old one. */
static void test_rotation(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    uint64_t first = skv__vset_manifest_number(vs);
    enum { KEY = 16384 };
    uint8_t *ks = malloc(KEY), *kl = malloc(KEY);
    memset(ks, 'a', KEY);
    memset(kl, 'b', KEY);
    int rotations = 0;
    uint64_t prev_mf = first, prev = 0;
    for (uint64_t i = 1; i <= 700; i++) {
        SkvVersionEdit e;
        skv__edit_init(&e);
        SkvFileMeta m;
        memset(&m, 0, sizeof m);
        m.number = skv__vset_new_file_number(vs);
        m.max_seq = i;
        m.smallest = ks;
        m.largest = kl;
        m.smallest_len = m.largest_len = KEY;
        skv__edit_add(&e, 1, &m);
        if (prev) skv__edit_delete(&e, 1, prev);
        e.has_last_seq = 1;
        e.last_seq = i;
        int rc = skv__vset_apply(vs, &e);
        skv__edit_free(&e);
        CHECK_RC(rc, SKV_OK);
        prev = m.number;
        uint64_t mf = skv__vset_manifest_number(vs), last = 0;
        if (mf != prev_mf) {
            rotations++;
            CHECK(mf > prev_mf);
            CHECK_EQ_U64(count_manifests(env, &last), 1);
            CHECK_EQ_U64(last, mf);
            prev_mf = mf;
        }
    }
    free(ks);
    free(kl);
    CHECK(rotations >= 2);
    SkvVersion *a = skv__vset_current(vs);
    CHECK_RC(reopen(env, &vs), SKV_OK);
    SkvVersion *b = skv__vset_current(vs);
    CHECK(version_same(a, b) && b->nfiles[1] == 1);
    CHECK_EQ_U64(skv__vset_last_seq(vs), 700);
    skv__version_unref(a);
    skv__version_unref(b);
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

/* ---- damage ---- */

/* Opens a set, applies edits adding files 100..100+n-1 (one each, last_seq = i + 1) and
 * closes it. Returns the number of the live manifest (0 on failure). */
static uint64_t build_db(SkvEnv *env, int n) {
    SkvVersionSet *vs;
    if (skv__vset_open(env, DB, NLEVELS, &vs) != SKV_OK) return 0;
    for (int i = 0; i < n; i++) {
        SkvVersionEdit e;
        skv__edit_init(&e);
        add_file(&e, i % NLEVELS, 100 + (uint64_t)i);
        e.has_last_seq = 1;
        e.last_seq = (uint64_t)i + 1;
        int rc = skv__vset_apply(vs, &e);
        skv__edit_free(&e);
        if (rc != SKV_OK) {
            skv__vset_close(vs);
            return 0;
        }
    }
    uint64_t mf = skv__vset_manifest_number(vs);
    skv__vset_close(vs);
    return mf;
}

static int truncate_file(SkvEnv *env, const char *path, uint64_t by) {
    SkvFile *f;
    uint64_t size;
    int rc = env->open(env, path, SKV_ENV_APPEND, &f);
    if (rc != SKV_OK) return rc;
    rc = env->size(f, &size);
    if (rc == SKV_OK) rc = env->truncate(f, size - by);
    if (rc == SKV_OK) rc = env->sync(f);
    env->close(f);
    return rc;
}

static void test_torn_last_edit(void) {
    for (uint64_t cut = 1; cut <= 12; cut++) {
        SkvMemFs *fs = new_fs();
        SkvEnv *env = skv__memfs_env(fs);
        uint64_t mf = build_db(env, 5);
        CHECK(mf != 0);
        char path[64];
        manifest_path(path, sizeof path, mf);
        CHECK_RC(truncate_file(env, path, cut), SKV_OK);
        SkvMemFs *img = skv__memfs_crash_clone(fs, 0);
        SkvEnv *ienv = skv__memfs_env(img);
        SkvVersionSet *vs;
        CHECK_RC(skv__vset_open(ienv, DB, NLEVELS, &vs), SKV_OK);
        SkvVersion *v = skv__vset_current(vs);
        size_t n = version_count(v);
        skv__version_unref(v);
        CHECK_EQ_U64(n, 4); /* the fifth edit is gone */
        CHECK_EQ_U64(skv__vset_last_seq(vs), 4);
        /* the reopened set works and keeps what it has */
        SkvVersionEdit e;
        skv__edit_init(&e);
        add_file(&e, 0, 104);
        CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
        skv__edit_free(&e);
        CHECK_RC(reopen(ienv, &vs), SKV_OK);
        v = skv__vset_current(vs);
        n = version_count(v);
        skv__version_unref(v);
        CHECK_EQ_U64(n, 5);
        skv__vset_close(vs);
        skv__memfs_free(img);
        skv__memfs_free(fs);
    }
}

static void test_bitflip_early_edit(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    uint64_t mf = build_db(env, 6);
    CHECK(mf != 0);
    char path[64], name[40];
    manifest_path(path, sizeof path, mf);
    snprintf(name, sizeof name, "MANIFEST-%020llu", (unsigned long long)mf);
    char *content;
    size_t size;
    CHECK_RC(skv__env_read_file(env, path, &content, &size), SKV_OK);
    /* the first edit (the snapshot) starts at offset 0: flip a bit in its payload, then in
     * the second edit */
    for (int round = 0; round < 2; round++) {
        size_t at = round == 0 ? 9 : 0;
        if (round == 1) {
            /* skip the first record: 7-byte header + length */
            at = 7 + (size_t)skv__get_u16((uint8_t *)content + 4) + 9;
        }
        content[at] ^= 0x10;
        CHECK_RC(skv__env_write_file_sync(env, path, content, size), SKV_OK);
        SkvVersionSet *vs = NULL;
        CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_ECORRUPT);
        CHECK(errmsg_has(name));
        CHECK(vs == NULL);
        /* the failed open changed nothing */
        CHECK_EQ_U64(count_manifests(env, NULL), 1);
        content[at] ^= 0x10;
    }
    CHECK_RC(skv__env_write_file_sync(env, path, content, size), SKV_OK);
    free(content);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    SkvVersion *v = skv__vset_current(vs);
    CHECK_EQ_U64(version_count(v), 6);
    skv__version_unref(v);
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

static void test_current_damage(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    uint64_t mf = build_db(env, 3);
    CHECK(mf != 0);
    char *cur;
    size_t cur_len;
    CHECK_RC(skv__env_read_file(env, DB "/CURRENT", &cur, &cur_len), SKV_OK);
    char want[64];
    snprintf(want, sizeof want, "MANIFEST-%020llu\n", (unsigned long long)mf);
    CHECK_MEM(cur, cur_len, want);
    SkvVersionSet *vs = NULL;

    /* missing while a manifest exists */
    CHECK_RC(env->remove(env, DB "/CURRENT"), SKV_OK);
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_ECORRUPT);
    CHECK(errmsg_has("CURRENT missing"));
    CHECK_EQ_U64(count_manifests(env, NULL), 1);

    /* garbage of several kinds */
    static const char *garbage[] = {"",
                                    "hello\n",
                                    "MANIFEST-1\n",
                                    "MANIFEST-0000000000000000000x\n",
                                    "MANIFEST-00000000000000000001", /* no newline */
                                    "MANIFEST-000000000000000000011\n",
                                    "MANIFEST-99999999999999999999\n"};
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        CHECK_RC(skv__env_write_file_sync(env, DB "/CURRENT", garbage[i], strlen(garbage[i])),
                 SKV_OK);
        CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_ECORRUPT);
        CHECK(errmsg_has("CURRENT"));
    }

    /* naming a manifest that does not exist */
    char other[64];
    snprintf(other, sizeof other, "MANIFEST-%020llu\n", (unsigned long long)mf + 7);
    CHECK_RC(skv__env_write_file_sync(env, DB "/CURRENT", other, strlen(other)), SKV_OK);
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_ECORRUPT);
    CHECK(errmsg_has("missing"));

    /* an empty manifest */
    char path[64];
    manifest_path(path, sizeof path, mf + 7);
    CHECK_RC(skv__env_write_file_sync(env, path, "", 0), SKV_OK);
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_ECORRUPT);

    /* restored, it opens again */
    CHECK_RC(env->remove(env, path), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, DB "/CURRENT", cur, cur_len), SKV_OK);
    free(cur);
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    SkvVersion *v = skv__vset_current(vs);
    CHECK_EQ_U64(version_count(v), 3);
    skv__version_unref(v);
    skv__vset_close(vs);

    /* a level count below the levels in use */
    CHECK_RC(skv__vset_open(env, DB, 2, &vs), SKV_ECORRUPT);
    CHECK_RC(skv__vset_open(env, DB, 0, &vs), SKV_EINVAL);
    CHECK_RC(skv__vset_open(env, DB, SKV_MAX_LEVELS + 1, &vs), SKV_EINVAL);
    /* no directory */
    CHECK(skv__vset_open(env, "/nodir", NLEVELS, &vs) != SKV_OK);
    skv__memfs_free(fs);
}

/* ---- crashes ---- */

enum { SCRIPT_APPLIES = 9 };

/* Edit i of the crash script: adds file 100 + i, deletes file 100 + i - 3 (from level
 * (i - 3) % 3), moves nothing; every counter distinct per prefix. */
static int script_edit(int i, SkvVersionEdit *e) {
    skv__edit_init(e);
    int rc = add_file(e, i % 3, 100 + (uint64_t)i);
    if (rc == SKV_OK && i >= 3) rc = skv__edit_delete(e, (i - 3) % 3, 100 + (uint64_t)i - 3);
    e->has_last_seq = e->has_last_ts = e->has_log_number = 1;
    e->last_seq = 10 * (uint64_t)(i + 1);
    e->last_ts = 1000 + (uint64_t)i;
    e->log_number = (uint64_t)i + 1;
    return rc;
}

/* Runs: open, 4 applies, close, open, 3 applies, close, open, 2 applies, close. Stops at the
 * first failure. *attempted: applies started; *ok: applies that returned SKV_OK. When states
 * is not NULL, states[j] gets the version after j applies (states[0] the empty one). */
static void run_script(SkvEnv *env, int *attempted, int *ok, SkvVersion **states) {
    static const int per_open[] = {4, 3, 2};
    *attempted = *ok = 0;
    int i = 0;
    for (int round = 0; round < 3; round++) {
        SkvVersionSet *vs;
        if (skv__vset_open(env, DB, NLEVELS, &vs) != SKV_OK) return;
        if (states && i == 0) states[0] = skv__vset_current(vs);
        for (int k = 0; k < per_open[round]; k++, i++) {
            SkvVersionEdit e;
            script_edit(i, &e);
            (*attempted)++;
            int rc = skv__vset_apply(vs, &e);
            skv__edit_free(&e);
            if (rc != SKV_OK) {
                skv__vset_close(vs);
                return;
            }
            (*ok)++;
            if (states) states[i + 1] = skv__vset_current(vs);
        }
        skv__vset_close(vs);
    }
}

static void test_crash_every_op(void) {
    SkvVersion *states[SCRIPT_APPLIES + 1] = {0};
    SkvMemFs *ref = new_fs();
    int attempted, ok;
    uint64_t base_ops = skv__memfs_op_count(ref);
    run_script(skv__memfs_env(ref), &attempted, &ok, states);
    CHECK(ok == SCRIPT_APPLIES);
    uint64_t total = skv__memfs_op_count(ref);
    skv__memfs_free(ref);
    CHECK(total > base_ops + 20);
    int checked = 0;
    for (uint64_t seed = 0; seed < 3; seed++) {
        for (uint64_t at = base_ops + 1; at <= total + 1; at++) {
            SkvMemFs *fs = new_fs();
            skv__memfs_set_fault(fs, SKV_FAULT_CRASH, at, 1);
            run_script(skv__memfs_env(fs), &attempted, &ok, NULL);
            SkvMemFs *img = skv__memfs_crash_clone(fs, seed);
            SkvEnv *ienv = skv__memfs_env(img);
            SkvVersionSet *vs;
            int rc = skv__vset_open(ienv, DB, NLEVELS, &vs);
            if (rc != SKV_OK) {
                fprintf(stderr, "crash at op %llu (seed %llu): reopen: %s: %s\n",
                        (unsigned long long)at, (unsigned long long)seed, skv_errname(rc),
                        skv_errmsg());
                CHECK(0);
            }
            SkvVersion *v = skv__vset_current(vs);
            int match = -1;
            for (int j = ok; j <= attempted && match < 0; j++)
                if (version_same(v, states[j]) &&
                    skv__vset_last_seq(vs) == (j ? 10 * (uint64_t)j : 0) &&
                    skv__vset_log_number(vs) == (uint64_t)j)
                    match = j;
            skv__version_unref(v);
            if (match < 0) {
                fprintf(stderr, "crash at op %llu (seed %llu): state is no prefix in [%d, %d]\n",
                        (unsigned long long)at, (unsigned long long)seed, ok, attempted);
                CHECK(0);
            }
            /* file numbers stay above everything the recovered state names */
            if (match) CHECK(skv__vset_new_file_number(vs) > 100 + (uint64_t)match - 1);
            CHECK_EQ_U64(count_manifests(ienv, NULL), 1);
            /* and the set goes on */
            SkvVersionEdit e;
            skv__edit_init(&e);
            add_file(&e, 3, 999);
            CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
            skv__edit_free(&e);
            CHECK_RC(reopen(ienv, &vs), SKV_OK);
            v = skv__vset_current(vs);
            CHECK(v->nfiles[3] == 1 && version_count(v) == version_count(states[match]) + 1);
            skv__version_unref(v);
            skv__vset_close(vs);
            skv__memfs_free(img);
            skv__memfs_free(fs);
            checked++;
        }
    }
    for (int j = 0; j <= SCRIPT_APPLIES; j++) skv__version_unref(states[j]);
    CHECK(checked > 60);
}

/* ---- I/O errors ---- */

static void test_eio(void) {
    for (uint64_t which = 1; which <= 2; which++) { /* 1: the append, 2: the fsync */
        for (int kind = SKV_FAULT_EIO; kind <= SKV_FAULT_SHORT_WRITE; kind++) {
            if (kind == SKV_FAULT_SHORT_WRITE && which == 2) continue;
            SkvMemFs *fs = new_fs();
            SkvEnv *env = skv__memfs_env(fs);
            SkvVersionSet *vs;
            CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
            SkvVersionEdit e;
            script_edit(0, &e);
            CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
            skv__edit_free(&e);
            SkvVersion *before = skv__vset_current(vs);
            uint64_t nf_before = skv__vset_new_file_number(vs);
            /* the apply's ops: append, sync */
            skv__memfs_set_fault(fs, kind, skv__memfs_op_count(fs) + which, 0);
            script_edit(1, &e);
            int rc = skv__vset_apply(vs, &e);
            skv__edit_free(&e);
            int want = kind == SKV_FAULT_ENOSPC ? SKV_ENOSPC : SKV_EIO;
            CHECK_RC(rc, want);
            SkvVersion *after = skv__vset_current(vs);
            CHECK(after == before);
            skv__version_unref(after);
            CHECK_EQ_U64(skv__vset_last_seq(vs), 10);
            CHECK_EQ_U64(skv__vset_log_number(vs), 1);
            CHECK(skv__vset_new_file_number(vs) > nf_before);
            /* a crash now keeps the first apply only */
            SkvMemFs *img = skv__memfs_crash_clone(fs, 0);
            SkvVersionSet *vs2;
            CHECK_RC(skv__vset_open(skv__memfs_env(img), DB, NLEVELS, &vs2), SKV_OK);
            SkvVersion *v2 = skv__vset_current(vs2);
            CHECK(version_same(v2, before));
            skv__version_unref(v2);
            skv__vset_close(vs2);
            skv__memfs_free(img);
            /* the next apply starts a new manifest and succeeds */
            uint64_t mf = skv__vset_manifest_number(vs);
            script_edit(2, &e);
            CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
            skv__edit_free(&e);
            CHECK(skv__vset_manifest_number(vs) > mf);
            CHECK_EQ_U64(count_manifests(env, NULL), 1);
            SkvVersion *a = skv__vset_current(vs);
            CHECK(a->nfiles[0] == 1 && a->nfiles[2] == 1 && a->nfiles[1] == 0);
            CHECK_RC(reopen(env, &vs), SKV_OK);
            SkvVersion *b = skv__vset_current(vs);
            CHECK(version_same(a, b));
            CHECK_EQ_U64(skv__vset_last_seq(vs), 30);
            skv__version_unref(a);
            skv__version_unref(b);
            skv__version_unref(before);
            skv__vset_close(vs);
            skv__memfs_free(fs);
        }
    }
}

/* Every mutating op of an apply that rotates (after a failure) fails in turn: the apply
 * reports it, nothing changes, and a later apply succeeds. */
static void test_eio_during_rotation(void) {
    SkvMemFs *probe = new_fs();
    uint64_t rot_ops;
    {
        SkvEnv *env = skv__memfs_env(probe);
        SkvVersionSet *vs;
        CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
        SkvVersionEdit e;
        script_edit(0, &e);
        skv__memfs_set_fault(probe, SKV_FAULT_EIO, skv__memfs_op_count(probe) + 2, 0);
        CHECK_RC(skv__vset_apply(vs, &e), SKV_EIO);
        uint64_t start = skv__memfs_op_count(probe);
        CHECK_RC(skv__vset_apply(vs, &e), SKV_OK); /* rotates */
        skv__edit_free(&e);
        rot_ops = skv__memfs_op_count(probe) - start;
        skv__vset_close(vs);
    }
    skv__memfs_free(probe);
    CHECK(rot_ops >= 8);
    for (uint64_t k = 1; k <= rot_ops; k++) {
        SkvMemFs *fs = new_fs();
        SkvEnv *env = skv__memfs_env(fs);
        SkvVersionSet *vs;
        CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
        SkvVersionEdit e;
        script_edit(0, &e);
        skv__memfs_set_fault(fs, SKV_FAULT_EIO, skv__memfs_op_count(fs) + 2, 0);
        CHECK_RC(skv__vset_apply(vs, &e), SKV_EIO);
        skv__memfs_set_fault(fs, SKV_FAULT_EIO, skv__memfs_op_count(fs) + k, 0);
        int rc = skv__vset_apply(vs, &e);
        SkvVersion *v = skv__vset_current(vs);
        size_t n = version_count(v);
        skv__version_unref(v);
        if (rc == SKV_OK) {
            CHECK_EQ_U64(n, 1); /* only the removal of the old manifest may fail silently */
        } else {
            CHECK_RC(rc, SKV_EIO);
            CHECK_EQ_U64(n, 0);
            CHECK_EQ_U64(skv__vset_last_seq(vs), 0);
            CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
        }
        skv__edit_free(&e);
        CHECK_RC(reopen(env, &vs), SKV_OK);
        v = skv__vset_current(vs);
        n = version_count(v);
        skv__version_unref(v);
        CHECK_EQ_U64(n, 1);
        CHECK_EQ_U64(skv__vset_last_seq(vs), 10);
        CHECK_EQ_U64(count_manifests(env, NULL), 1);
        skv__vset_close(vs);
        skv__memfs_free(fs);
    }
}

/* ---- numbers and files ---- */

static void test_next_file_monotonic(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    CHECK_EQ_U64(skv__vset_manifest_number(vs), 1);
    CHECK_EQ_U64(skv__vset_new_file_number(vs), 2);
    uint64_t floor = 0;
    for (int round = 0; round < 6; round++) {
        uint64_t a = skv__vset_new_file_number(vs);
        CHECK(a > floor);
        CHECK(a > skv__vset_manifest_number(vs));
        SkvVersionEdit e;
        skv__edit_init(&e);
        switch (round) {
        case 0: add_file(&e, 0, a); break;
        case 1: add_file(&e, 1, a + 50); break; /* a number above next_file */
        case 2:
            e.has_next_file = 1;
            e.next_file = a + 500;
            break;
        case 3:
            e.has_next_file = 1;
            e.next_file = 3; /* never backwards */
            break;
        case 4: skv__vset_mark_file_number_used(vs, a + 2000); break;
        default: break;
        }
        CHECK_RC(skv__vset_apply(vs, &e), SKV_OK);
        skv__edit_free(&e);
        floor = skv__vset_new_file_number(vs);
        uint64_t mf = skv__vset_manifest_number(vs);
        CHECK_RC(reopen(env, &vs), SKV_OK);
        CHECK(skv__vset_manifest_number(vs) > mf);
        CHECK(skv__vset_manifest_number(vs) >= floor);
        if (round == 1) CHECK(floor > a + 50);
        if (round == 2) CHECK(floor >= a + 500);
        if (round == 4) CHECK(floor > a + 2000);
    }
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

static void test_old_manifests_removed(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    for (int i = 0; i < 4; i++) {
        uint64_t last = 0, mf = skv__vset_manifest_number(vs);
        CHECK_EQ_U64(count_manifests(env, &last), 1);
        CHECK_EQ_U64(last, mf);
        CHECK_RC(reopen(env, &vs), SKV_OK);
        CHECK(skv__vset_manifest_number(vs) > mf);
    }
    int is_dir;
    CHECK_RC(env->exists(env, DB "/CURRENT.tmp", &is_dir), SKV_NOTFOUND);
    skv__vset_close(vs);
    /* leftovers of a crash while starting a manifest go too, and their numbers are skipped */
    CHECK_RC(skv__env_write_file_sync(env, DB "/MANIFEST-00000000000000000099", "xx", 2), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, DB "/CURRENT.tmp", "yy", 2), SKV_OK);
    CHECK_RC(skv__env_write_file_sync(env, DB "/MANIFEST-other", "zz", 2), SKV_OK);
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    CHECK(skv__vset_manifest_number(vs) > 99);
    CHECK_RC(env->exists(env, DB "/MANIFEST-00000000000000000099", &is_dir), SKV_NOTFOUND);
    CHECK_RC(env->exists(env, DB "/MANIFEST-other", &is_dir), SKV_OK); /* not ours */
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

static void test_fresh_open(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    CHECK_EQ_U64(skv__vset_last_seq(vs), 0);
    CHECK_EQ_U64(skv__vset_last_ts(vs), 0);
    CHECK_EQ_U64(skv__vset_log_number(vs), 0);
    SkvVersion *v = skv__vset_current(vs);
    CHECK(v->nlevels == NLEVELS && version_count(v) == 0);
    skv__version_unref(v);
    skv__vset_close(vs);
    /* a crash image right after the open holds the same */
    SkvMemFs *img = skv__memfs_crash_clone(fs, 0);
    CHECK_EQ_U64(count_manifests(skv__memfs_env(img), NULL), 1);
    CHECK_RC(skv__vset_open(skv__memfs_env(img), DB, NLEVELS, &vs), SKV_OK);
    skv__vset_close(vs);
    skv__memfs_free(img);
    skv__memfs_free(fs);
}

/* ---- readers on other threads ---- */

typedef struct {
    SkvVersionSet *vs;
    _Atomic int stop;
    size_t seen;
    int bad;
} Reader;

static void *reader_main(void *arg) {
    Reader *r = arg;
    while (!atomic_load(&r->stop)) {
        SkvVersion *v = skv__vset_current(r->vs);
        /* level 1 is always sorted and non-overlapping, its keys readable */
        for (size_t i = 1; i < v->nfiles[1]; i++)
            if (memcmp(v->files[1][i - 1]->largest, v->files[1][i]->smallest, 10) >= 0) r->bad = 1;
        r->seen += version_count(v);
        skv__version_unref(v);
    }
    return NULL;
}

static void test_concurrent_readers(void) {
    SkvMemFs *fs = new_fs();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVersionSet *vs;
    CHECK_RC(skv__vset_open(env, DB, NLEVELS, &vs), SKV_OK);
    Reader r[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        r[i].vs = vs;
        atomic_init(&r[i].stop, 0);
        r[i].seen = 0;
        r[i].bad = 0;
        CHECK(pthread_create(&th[i], NULL, reader_main, &r[i]) == 0);
    }
    uint64_t rng = 7;
    int rc = SKV_OK;
    for (int i = 0; i < 300 && rc == SKV_OK; i++) {
        SkvVersion *v = skv__vset_current(vs);
        SkvVersionEdit e;
        rc = random_edit(vs, v, &rng, &e);
        skv__version_unref(v);
        if (rc == SKV_OK) rc = skv__vset_apply(vs, &e);
        skv__edit_free(&e);
    }
    for (int i = 0; i < 3; i++) atomic_store(&r[i].stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    CHECK_RC(rc, SKV_OK);
    for (int i = 0; i < 3; i++) CHECK(!r[i].bad);
    skv__vset_close(vs);
    skv__memfs_free(fs);
}

static const TestCase TESTS[] = {
    {"edit_roundtrip", test_edit_roundtrip},
    {"edit_truncations", test_edit_truncations},
    {"edit_malformed", test_edit_malformed},
    {"level_order", test_level_order},
    {"invalid_edits", test_invalid_edits},
    {"random_reopen", test_random_reopen},
    {"rotation", test_rotation},
    {"torn_last_edit", test_torn_last_edit},
    {"bitflip_early_edit", test_bitflip_early_edit},
    {"current_damage", test_current_damage},
    {"crash_every_op", test_crash_every_op},
    {"eio", test_eio},
    {"eio_during_rotation", test_eio_during_rotation},
    {"next_file_monotonic", test_next_file_monotonic},
    {"old_manifests_removed", test_old_manifests_removed},
    {"fresh_open", test_fresh_open},
    {"concurrent_readers", test_concurrent_readers},
    {0, 0},
};

TEST_MAIN(TESTS)
