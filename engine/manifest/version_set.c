/*
 * version_set.c — the version set: the current version and the set-wide counters (next file
 * number, log number, last sequence, last timestamp), kept durable in a MANIFEST-<n> log of
 * version edits named by the CURRENT file. Owns opening (reading CURRENT, replaying the
 * manifest, starting a new one), applying an edit (log, fsync, then install), rotating to a
 * new manifest, and publishing the current version to other threads.
 *
 * Starting a manifest: allocate its number, write a snapshot edit of the whole state (and,
 * when rotating inside an apply, that apply's edit after it) in one append, fsync, fsync the
 * directory, write CURRENT.tmp + fsync + rename to CURRENT + fsync the directory, then
 * remove the manifest it replaces. When the database is new (no CURRENT) the first directory
 * fsync is left out, so that the manifest's name and CURRENT become durable together and a
 * crash never leaves a manifest without CURRENT (which open reports as corruption).
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "manifest/manifest.h"
#include "wal/wal.h"

/* In version.c (manifest.h, the module's only header, does not list it). */
int skv__version_build(const SkvVersion *base, int nlevels, const SkvVersionEdit *e,
                       SkvVersion **out);

enum {
    VSET_ROTATE_BYTES = 4 << 20, /* start a new manifest once the live one is this large */
    VSET_MANIFEST_NAME_LEN = 29  /* "MANIFEST-" + 20 digits */
};

static const char VSET_MANIFEST_PREFIX[] = "MANIFEST-";

struct SkvVersionSet {
    SkvEnv *env;
    char *dir;
    int nlevels;
    SkvMutex mu;         /* guards `current` against readers on other threads */
    SkvVersion *current; /* changed only by open and apply */
    SkvWalWriter *log;   /* the live manifest; NULL after a failed write (the next apply
                            starts a new manifest) */
    _Atomic uint64_t next_file, log_number, last_seq, last_ts, manifest_number;
    int had_current; /* CURRENT existed at load */
};

/* ---- names ---- */

/* dir + "/" + name, malloc'ed. */
static char *vset_path(const char *dir, const char *name) {
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = malloc(dl + nl + 2);
    if (!p) return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}

static void vset_manifest_name(char buf[VSET_MANIFEST_NAME_LEN + 1], uint64_t number) {
    snprintf(buf, VSET_MANIFEST_NAME_LEN + 1, "MANIFEST-%020llu", (unsigned long long)number);
}

/* Parses exactly "MANIFEST-" + 20 decimal digits (n bytes at s); returns 1 and the number. */
static int vset_parse_manifest_name(const char *s, size_t n, uint64_t *number) {
    size_t pl = sizeof VSET_MANIFEST_PREFIX - 1;
    if (n != VSET_MANIFEST_NAME_LEN || memcmp(s, VSET_MANIFEST_PREFIX, pl) != 0) return 0;
    uint64_t v = 0;
    for (size_t i = pl; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *number = v;
    return 1;
}

/* ---- counters ---- */

static void vset_raise(_Atomic uint64_t *a, uint64_t v) {
    uint64_t cur = atomic_load_explicit(a, memory_order_relaxed);
    while (cur < v && !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed)) {}
}

static uint64_t vset_above(uint64_t n) { return n < UINT64_MAX ? n + 1 : n; }

/* The next_file an edit implies: its own, and above every file number it names. */
static uint64_t vset_edit_next_file(const SkvVersionEdit *e) {
    uint64_t nf = e->has_next_file ? e->next_file : 0;
    for (size_t i = 0; i < e->ndeleted; i++)
        if (vset_above(e->deleted[i].number) > nf) nf = vset_above(e->deleted[i].number);
    for (size_t i = 0; i < e->nadded; i++)
        if (vset_above(e->added[i].meta.number) > nf) nf = vset_above(e->added[i].meta.number);
    return nf;
}

/* Takes the edit's counters into the set; none goes backwards. */
static void vset_absorb(SkvVersionSet *vs, const SkvVersionEdit *e) {
    if (e->has_log_number) vset_raise(&vs->log_number, e->log_number);
    if (e->has_last_seq) vset_raise(&vs->last_seq, e->last_seq);
    if (e->has_last_ts) vset_raise(&vs->last_ts, e->last_ts);
    vset_raise(&vs->next_file, vset_edit_next_file(e));
}

/* Replaces the current version (the set's reference moves to v). */
static void vset_install(SkvVersionSet *vs, SkvVersion *v) {
    skv__mutex_lock(&vs->mu);
    SkvVersion *old = vs->current;
    vs->current = v;
    skv__mutex_unlock(&vs->mu);
    skv__version_unref(old);
}

/* ---- writing a manifest ---- */

/* An edit holding the whole state: every counter and every file of the current version. */
static int vset_snapshot(SkvVersionSet *vs, uint8_t **out, size_t *len) {
    SkvVersionEdit e;
    skv__edit_init(&e);
    e.has_log_number = e.has_next_file = e.has_last_seq = e.has_last_ts = 1;
    e.log_number = atomic_load(&vs->log_number);
    e.next_file = atomic_load(&vs->next_file);
    e.last_seq = atomic_load(&vs->last_seq);
    e.last_ts = atomic_load(&vs->last_ts);
    int rc = SKV_OK;
    const SkvVersion *v = vs->current;
    for (int l = 0; l < v->nlevels && rc == SKV_OK; l++)
        for (size_t i = 0; i < v->nfiles[l] && rc == SKV_OK; i++)
            rc = skv__edit_add(&e, l, v->files[l][i]);
    if (rc == SKV_OK) rc = skv__edit_encode(&e, out, len);
    skv__edit_free(&e);
    return rc;
}

/* Points CURRENT at manifest `number`: CURRENT.tmp, fsync, rename, directory fsync.
 * *renamed is set once the rename happened (CURRENT may then name the new manifest). */
static int vset_set_current(SkvVersionSet *vs, uint64_t number, int *renamed) {
    char content[VSET_MANIFEST_NAME_LEN + 2];
    vset_manifest_name(content, number);
    content[VSET_MANIFEST_NAME_LEN] = '\n';
    content[VSET_MANIFEST_NAME_LEN + 1] = '\0';
    char *tmp = vset_path(vs->dir, "CURRENT.tmp"), *cur = vset_path(vs->dir, "CURRENT");
    int rc = SKV_OK;
    if (!tmp || !cur) rc = skv__err(SKV_ENOMEM, "%s: out of memory", vs->dir);
    if (rc == SKV_OK)
        rc = skv__env_write_file_sync(vs->env, tmp, content, VSET_MANIFEST_NAME_LEN + 1);
    if (rc == SKV_OK) rc = vs->env->rename(vs->env, tmp, cur);
    if (rc == SKV_OK) {
        *renamed = 1;
        rc = vs->env->sync_dir(vs->env, vs->dir);
    }
    free(tmp);
    free(cur);
    return rc;
}

/* Removes a file whose loss changes nothing (an old manifest); failures are ignored, as the
 * next open removes it again. */
static void vset_remove_quietly(SkvVersionSet *vs, const char *name) {
    char *p = vset_path(vs->dir, name);
    if (p) vs->env->remove(vs->env, p);
    free(p);
    skv__errmsg_clear();
}

/* Starts a new manifest holding a snapshot of the current state followed by `extra` (an
 * encoded edit, or NULL) and makes it the live one. On failure the set's state is unchanged
 * and the set has no live manifest, so the next apply starts over. */
static int vset_new_manifest(SkvVersionSet *vs, const uint8_t *extra, size_t extra_len, int fresh) {
    uint64_t number = atomic_fetch_add(&vs->next_file, 1);
    char name[VSET_MANIFEST_NAME_LEN + 1];
    vset_manifest_name(name, number);
    uint8_t *snap = NULL;
    size_t snap_len = 0;
    SkvWalWriter *w = NULL;
    int renamed = 0;
    char *path = vset_path(vs->dir, name);
    int rc = path ? SKV_OK : skv__err(SKV_ENOMEM, "%s: out of memory", vs->dir);
    if (rc == SKV_OK) rc = vset_snapshot(vs, &snap, &snap_len);
    if (rc == SKV_OK) rc = skv__wal_create(vs->env, path, &w);
    if (rc == SKV_OK) {
        const void *recs[2] = {snap, extra};
        size_t lens[2] = {snap_len, extra_len};
        rc = skv__wal_add_many(w, recs, lens, extra ? 2 : 1);
    }
    if (rc == SKV_OK) rc = skv__wal_sync(w);
    if (rc == SKV_OK && !fresh) rc = vs->env->sync_dir(vs->env, vs->dir);
    if (rc == SKV_OK) rc = vset_set_current(vs, number, &renamed);
    free(snap);
    if (vs->log) skv__wal_close(vs->log);
    vs->log = NULL;
    if (rc != SKV_OK) {
        if (w) skv__wal_close(w);
        if (path && w && !renamed) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
            vs->env->remove(vs->env, path);
            skv__err(rc, "%s", msg);
        }
        free(path);
        return rc;
    }
    free(path);
    vs->log = w;
    uint64_t old = atomic_exchange(&vs->manifest_number, number);
    if (old != 0 && old != number) {
        vset_manifest_name(name, old);
        vset_remove_quietly(vs, name);
    }
    return SKV_OK;
}

/* ---- opening ---- */

typedef struct {
    SkvVersionSet *vs;
    const char *path;
    size_t count;
} VsetReplay;

static int vset_replay_edit(void *user, const void *rec, size_t n) {
    VsetReplay *r = user;
    SkvVersionSet *vs = r->vs;
    r->count++;
    SkvVersionEdit e;
    SkvVersion *v = NULL;
    int rc = skv__edit_decode(&e, rec, n);
    if (rc == SKV_OK) {
        rc = skv__version_build(vs->current, vs->nlevels, &e, &v);
        if (rc == SKV_OK) {
            vset_install(vs, v);
            vset_absorb(vs, &e);
        }
        skv__edit_free(&e);
    }
    if (rc != SKV_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
        return skv__err(rc, "%s: version edit %zu: %s", r->path, r->count, msg);
    }
    return SKV_OK;
}

/* Reads CURRENT and replays the manifest it names. *found = 0 when there is no CURRENT. */
static int vset_recover(SkvVersionSet *vs, char **names, size_t count, int *found) {
    char *cur_path = vset_path(vs->dir, "CURRENT");
    if (!cur_path) return skv__err(SKV_ENOMEM, "%s: out of memory", vs->dir);
    char *buf = NULL;
    size_t len = 0;
    int rc = skv__env_read_file(vs->env, cur_path, &buf, &len);
    *found = rc != SKV_NOTFOUND;
    if (rc == SKV_NOTFOUND) {
        rc = SKV_OK;
        for (size_t i = 0; i < count && rc == SKV_OK; i++)
            if (strncmp(names[i], VSET_MANIFEST_PREFIX, sizeof VSET_MANIFEST_PREFIX - 1) == 0)
                rc = skv__err(SKV_ECORRUPT, "%s: CURRENT missing while %s/%s exists", vs->dir,
                              vs->dir, names[i]);
        free(cur_path);
        return rc;
    }
    uint64_t number = 0;
    if (rc == SKV_OK && (len != VSET_MANIFEST_NAME_LEN + 1 || buf[len - 1] != '\n' ||
                         !vset_parse_manifest_name(buf, len - 1, &number)))
        rc = skv__err(SKV_ECORRUPT, "%s: garbage in CURRENT (not a manifest name)", cur_path);
    free(buf);
    free(cur_path);
    if (rc != SKV_OK) return rc;

    char name[VSET_MANIFEST_NAME_LEN + 1];
    vset_manifest_name(name, number);
    char *path = vset_path(vs->dir, name);
    if (!path) return skv__err(SKV_ENOMEM, "%s: out of memory", vs->dir);
    VsetReplay r = {vs, path, 0};
    uint64_t valid_end = 0;
    rc = skv__wal_replay(vs->env, path, SKV_WAL_TOLERATE_TAIL, 1, vset_replay_edit, &r, &valid_end);
    if (rc == SKV_NOTFOUND)
        rc = skv__err(SKV_ECORRUPT, "%s/CURRENT names %s, which is missing", vs->dir, path);
    else if (rc == SKV_OK && r.count == 0)
        rc = skv__err(SKV_ECORRUPT, "%s: manifest holds no version edit", path);
    free(path);
    if (rc != SKV_OK) return rc;
    atomic_store(&vs->manifest_number, number);
    vset_raise(&vs->next_file, vset_above(number));
    return SKV_OK;
}

int skv__vset_load(SkvEnv *env, const char *dir, int nlevels, SkvVersionSet **out) {
    if (nlevels < 1 || nlevels > SKV_MAX_LEVELS)
        return skv__err(SKV_EINVAL, "level count %d out of range 1..%d", nlevels, SKV_MAX_LEVELS);
    SkvVersionSet *vs = calloc(1, sizeof *vs);
    if (!vs) return skv__err(SKV_ENOMEM, "%s: out of memory", dir);
    vs->env = env;
    vs->nlevels = nlevels;
    skv__mutex_init(&vs->mu);
    atomic_init(&vs->next_file, 1);
    atomic_init(&vs->log_number, 0);
    atomic_init(&vs->last_seq, 0);
    atomic_init(&vs->last_ts, 0);
    atomic_init(&vs->manifest_number, 0);
    char **names = NULL;
    size_t count = 0;
    int rc = SKV_OK;
    vs->dir = malloc(strlen(dir) + 1);
    if (!vs->dir) rc = skv__err(SKV_ENOMEM, "%s: out of memory", dir);
    if (rc == SKV_OK) {
        memcpy(vs->dir, dir, strlen(dir) + 1);
        rc = skv__version_build(NULL, nlevels, NULL, &vs->current);
    }
    if (rc == SKV_OK) rc = env->list(env, dir, &names, &count);
    if (rc == SKV_OK) rc = vset_recover(vs, names, count, &vs->had_current);
    /* numbers of leftover manifests (from a crash while starting one) are not reused */
    uint64_t number;
    for (size_t i = 0; i < count && rc == SKV_OK; i++)
        if (vset_parse_manifest_name(names[i], strlen(names[i]), &number))
            vset_raise(&vs->next_file, vset_above(number));
    skv__env_free_list(names, count);
    if (rc != SKV_OK) {
        skv__vset_close(vs);
        return rc;
    }
    *out = vs;
    return SKV_OK;
}

int skv__vset_start(SkvVersionSet *vs) {
    char **names = NULL;
    size_t count = 0;
    int rc = vset_new_manifest(vs, NULL, 0, !vs->had_current);
    if (rc == SKV_OK) rc = vs->env->list(vs->env, vs->dir, &names, &count);
    /* every other manifest is now garbage */
    uint64_t live = atomic_load(&vs->manifest_number), number;
    for (size_t i = 0; i < count && rc == SKV_OK; i++)
        if (vset_parse_manifest_name(names[i], strlen(names[i]), &number) && number != live)
            vset_remove_quietly(vs, names[i]);
    if (rc == SKV_OK) skv__env_free_list(names, count);
    return rc;
}

int skv__vset_open(SkvEnv *env, const char *dir, int nlevels, SkvVersionSet **out) {
    int rc = skv__vset_load(env, dir, nlevels, out);
    if (rc == SKV_OK && (rc = skv__vset_start(*out)) != SKV_OK) {
        skv__vset_close(*out);
        *out = NULL;
    }
    return rc;
}

void skv__vset_close(SkvVersionSet *vs) {
    if (!vs) return;
    if (vs->log) skv__wal_close(vs->log);
    skv__version_unref(vs->current);
    skv__mutex_destroy(&vs->mu);
    free(vs->dir);
    free(vs);
}

/* ---- applying ---- */

SkvVersion *skv__vset_current(SkvVersionSet *vs) {
    skv__mutex_lock(&vs->mu);
    SkvVersion *v = vs->current;
    skv__version_ref(v);
    skv__mutex_unlock(&vs->mu);
    return v;
}

int skv__vset_apply(SkvVersionSet *vs, SkvVersionEdit *edit) {
    SkvVersion *v = NULL;
    int rc = skv__version_build(vs->current, vs->nlevels, edit, &v);
    if (rc != SKV_OK) return rc;

    /* the logged edit also carries next_file, above every number handed out so far */
    uint64_t next_file = vset_edit_next_file(edit);
    uint64_t now = atomic_load(&vs->next_file);
    if (now > next_file) next_file = now;
    int had = edit->has_next_file;
    uint64_t was = edit->next_file;
    edit->has_next_file = 1;
    edit->next_file = next_file;
    uint8_t *rec = NULL;
    size_t len = 0;
    rc = skv__edit_encode(edit, &rec, &len);
    edit->has_next_file = had;
    edit->next_file = was;

    if (rc == SKV_OK) {
        if (!vs->log || skv__wal_size(vs->log) >= VSET_ROTATE_BYTES) {
            rc = vset_new_manifest(vs, rec, len, 0);
        } else {
            rc = skv__wal_add(vs->log, rec, len);
            if (rc == SKV_OK) rc = skv__wal_sync(vs->log);
            if (rc != SKV_OK) {
                /* the manifest may end in a partial edit: start a new one next time */
                skv__wal_close(vs->log);
                vs->log = NULL;
            }
        }
    }
    free(rec);
    if (rc != SKV_OK) {
        skv__version_unref(v);
        return rc;
    }
    vset_absorb(vs, edit);
    vset_raise(&vs->next_file, next_file);
    vset_install(vs, v);
    return SKV_OK;
}

/* ---- counters ---- */

uint64_t skv__vset_new_file_number(SkvVersionSet *vs) {
    return atomic_fetch_add(&vs->next_file, 1);
}

uint64_t skv__vset_log_number(const SkvVersionSet *vs) { return atomic_load(&vs->log_number); }

uint64_t skv__vset_last_seq(const SkvVersionSet *vs) { return atomic_load(&vs->last_seq); }

uint64_t skv__vset_last_ts(const SkvVersionSet *vs) { return atomic_load(&vs->last_ts); }

void skv__vset_mark_file_number_used(SkvVersionSet *vs, uint64_t n) {
    vset_raise(&vs->next_file, vset_above(n));
}

uint64_t skv__vset_manifest_number(const SkvVersionSet *vs) {
    return atomic_load(&vs->manifest_number);
}
