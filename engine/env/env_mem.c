/*
 * env_mem.c — the in-memory file system for crash and fault tests.
 *
 * Model. A file is an inode holding volatile content (what reads see) and durable content
 * (what survives a power loss; replaced by the volatile content at sync()). Names live in
 * two namespaces, volatile and durable, each mapping a path to an inode; sync_dir(d) makes
 * the durable entries of d equal to the volatile ones. So a renamed file whose directory was
 * not synced keeps its durable content under its old durable name. Directories are durable
 * as soon as mkdir returns. Paths are plain strings ("a//b/" is "a/b"); the parent of a path
 * is the part before its last '/', and the root ("", "/" or ".") always exists.
 *
 * Every mutating operation (open that creates or truncates, a lock that creates its file,
 * append, sync, truncate, remove, rename, link, sync_dir, mkdir) takes the next number from 1; an
 * armed fault fires on its number. A CRASH fault freezes a full copy of the state (the crash
 * image) and fails that op and all later mutating ops with SKV_EIO.
 *
 * One mutex per file system guards everything, so the env is thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "env/env.h"

typedef struct MemInode {
    int refs;      /* volatile and durable names and open handles pointing here */
    uint8_t *data; /* volatile content */
    size_t len, cap;
    uint8_t *ddata; /* durable content */
    size_t dlen, dcap;
    int diverged; /* 0: ddata is a prefix of data (only appends since the last sync) */
    int maps;     /* handles that mapped data: it must not move (grow) while any does */
} MemInode;

typedef struct MemEntry {
    char *path;
    MemInode *ino;
} MemEntry;

typedef struct MemNames {
    MemEntry *v;
    size_t n, cap;
} MemNames;

typedef struct MemStrSet {
    char **v;
    size_t n, cap;
} MemStrSet;

struct SkvMemFs {
    SkvEnv env; /* first: the env functions find the fs from their SkvEnv pointer */
    SkvMutex mu;
    MemNames vol, dur;
    MemStrSet dirs;  /* existing directories (always durable); the root is implicit */
    MemStrSet locks; /* locked paths */
    uint64_t ops;
    int fault_kind;
    uint64_t fault_at;
    int fault_sticky;
    int crashed;
    SkvMemFs *image;    /* full copy frozen when a CRASH fault fired */
    char fault_hit[16]; /* the kind of op the armed fault hit first ("" = none yet) */
    int no_links;       /* link fails with SKV_ENOTSUP (as across file systems) */
};

typedef struct MemFile {
    SkvMemFs *fs;
    MemInode *ino;
    int writable;
    int mapped;
    char path[];
} MemFile;

typedef struct MemLock {
    SkvMemFs *fs;
    char path[];
} MemLock;

static SkvMemFs *memfs_of(SkvEnv *env) { return (SkvMemFs *)(void *)env; }
static MemFile *memfs_file(SkvFile *f) { return (MemFile *)(void *)f; }

/* ---- small containers ---- */

/* Array v (capacity *cap elements of elem bytes) with room for `need`: v itself, a
 * reallocated array, or NULL when out of memory (v is then unchanged). */
static void *memfs_grow(void *v, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return v;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) ncap *= 2;
    void *nv = realloc(v, ncap * elem);
    if (nv) *cap = ncap;
    return nv;
}

static int memfs_reserve_bytes(uint8_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    uint8_t *np = realloc(*p, ncap);
    if (!np) return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* A normalised copy: repeated '/' collapsed, trailing '/' dropped ("/" and "." become ""). */
static char *memfs_norm(const char *path) {
    size_t n = strlen(path);
    char *s = malloc(n + 1);
    if (!s) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (path[i] == '/' && j > 0 && s[j - 1] == '/') continue;
        s[j++] = path[i];
    }
    while (j > 0 && s[j - 1] == '/') j--;
    s[j] = '\0';
    if (strcmp(s, ".") == 0) s[0] = '\0'; /* the current directory is the root */
    return s;
}

/* Length of the parent part of a normalised path (0 when the parent is the root). */
static size_t memfs_parent_len(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) : 0;
}

/* 1 when the parent of `path` is exactly `dir` (both normalised). */
static int memfs_in_dir(const char *path, const char *dir) {
    size_t pl = memfs_parent_len(path);
    return pl == strlen(dir) && memcmp(path, dir, pl) == 0;
}

static MemInode *memfs_inode_new(void) {
    MemInode *ino = calloc(1, sizeof *ino);
    return ino;
}

static void memfs_inode_unref(MemInode *ino) {
    if (!ino || --ino->refs > 0) return;
    free(ino->data);
    free(ino->ddata);
    free(ino);
}

static MemEntry *memfs_names_find(MemNames *ns, const char *path) {
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i].path, path) == 0) return &ns->v[i];
    return NULL;
}

/* Points `path` at `ino` (taking a reference), replacing any entry of that name. */
static int memfs_names_set(MemNames *ns, const char *path, MemInode *ino) {
    MemEntry *e = memfs_names_find(ns, path);
    if (e) {
        ino->refs++;
        memfs_inode_unref(e->ino);
        e->ino = ino;
        return 0;
    }
    MemEntry *nv = memfs_grow(ns->v, &ns->cap, ns->n + 1, sizeof *ns->v);
    if (!nv) return -1;
    ns->v = nv;
    char *p = strdup(path);
    if (!p) return -1;
    ns->v[ns->n].path = p;
    ns->v[ns->n].ino = ino;
    ns->n++;
    ino->refs++;
    return 0;
}

static void memfs_names_del_at(MemNames *ns, size_t i) {
    free(ns->v[i].path);
    memfs_inode_unref(ns->v[i].ino);
    ns->v[i] = ns->v[--ns->n];
}

static void memfs_names_free(MemNames *ns) {
    while (ns->n) memfs_names_del_at(ns, ns->n - 1);
    free(ns->v);
    ns->v = NULL;
    ns->cap = 0;
}

static int memfs_set_has(const MemStrSet *s, const char *str) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], str) == 0) return 1;
    return 0;
}

static int memfs_set_add(MemStrSet *s, const char *str) {
    char **nv = memfs_grow(s->v, &s->cap, s->n + 1, sizeof *s->v);
    if (!nv) return -1;
    s->v = nv;
    char *p = strdup(str);
    if (!p) return -1;
    s->v[s->n++] = p;
    return 0;
}

static void memfs_set_del(MemStrSet *s, const char *str) {
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i], str) == 0) {
            free(s->v[i]);
            s->v[i] = s->v[--s->n];
            return;
        }
    }
}

static void memfs_set_free(MemStrSet *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int memfs_dir_exists(const SkvMemFs *fs, const char *dir) {
    return dir[0] == '\0' || memfs_set_has(&fs->dirs, dir);
}

/* 1 when the parent directory of normalised `path` exists. */
static int memfs_parent_exists(const SkvMemFs *fs, const char *path) {
    size_t pl = memfs_parent_len(path);
    if (pl == 0) return 1;
    for (size_t i = 0; i < fs->dirs.n; i++)
        if (strlen(fs->dirs.v[i]) == pl && memcmp(fs->dirs.v[i], path, pl) == 0) return 1;
    return 0;
}

/* ---- operation numbering and faults ---- */

static SkvMemFs *memfs_copy(SkvMemFs *src);

/* Numbers a mutating op and applies an armed fault. Returns SKV_OK to go ahead (with
 * *short_write set when an append must stop half way), or the error the op fails with. */
static int memfs_begin(SkvMemFs *fs, const char *what, const char *path, int *short_write) {
    uint64_t op = ++fs->ops;
    if (short_write) *short_write = 0;
    if (fs->crashed)
        return skv__err(SKV_EIO, "memfs %s %s: crashed (op %llu)", what, path,
                        (unsigned long long)op);
    if (fs->fault_kind == SKV_FAULT_NONE) return SKV_OK;
    int hit = op == fs->fault_at || (fs->fault_sticky && op > fs->fault_at);
    if (!hit) return SKV_OK;
    if (!fs->fault_hit[0]) snprintf(fs->fault_hit, sizeof fs->fault_hit, "%s", what);
    switch (fs->fault_kind) {
    case SKV_FAULT_CRASH:
        fs->image = memfs_copy(fs);
        fs->crashed = 1;
        return skv__err(SKV_EIO, "memfs %s %s: crashed (op %llu)", what, path,
                        (unsigned long long)op);
    case SKV_FAULT_EIO:
        return skv__err(SKV_EIO, "memfs %s %s: injected I/O error (op %llu)", what, path,
                        (unsigned long long)op);
    case SKV_FAULT_ENOSPC:
        return skv__err(SKV_ENOSPC, "memfs %s %s: injected no space (op %llu)", what, path,
                        (unsigned long long)op);
    case SKV_FAULT_SHORT_WRITE:
        if (short_write) *short_write = 1;
        return SKV_OK;
    default: return SKV_OK;
    }
}

static int memfs_nomem(const char *what, const char *path) {
    return skv__err(SKV_ENOMEM, "memfs %s %s: out of memory", what, path);
}

/* ---- files ---- */

static int memfs_open(SkvEnv *env, const char *path, int flags, SkvFile **out) {
    SkvMemFs *fs = memfs_of(env);
    if (flags != SKV_ENV_READ && flags != SKV_ENV_APPEND && flags != SKV_ENV_TRUNCATE)
        return skv__err(SKV_EINVAL, "memfs open %s: bad flags %d", path, flags);
    char *np = memfs_norm(path);
    size_t plen = strlen(path);
    MemFile *mf = malloc(sizeof *mf + plen + 1);
    if (!np || !mf) {
        free(np);
        free(mf);
        return memfs_nomem("open", path);
    }
    memcpy(mf->path, path, plen + 1);
    mf->fs = fs;
    mf->writable = flags != SKV_ENV_READ;
    mf->mapped = 0;
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    MemEntry *e = memfs_names_find(&fs->vol, np);
    MemInode *ino = e ? e->ino : NULL;
    if (memfs_set_has(&fs->dirs, np) || np[0] == '\0') {
        rc = skv__err(SKV_EIO, "memfs open %s: is a directory", path);
    } else if (flags == SKV_ENV_READ || (flags == SKV_ENV_APPEND && ino)) {
        if (!ino) rc = skv__err(SKV_NOTFOUND, "memfs open %s: no such file", path);
    } else if (!memfs_parent_exists(fs, np)) {
        rc = skv__err(SKV_NOTFOUND, "memfs open %s: no such directory", path);
    } else if ((rc = memfs_begin(fs, "open", path, NULL)) == SKV_OK) {
        if (ino) { /* truncate */
            if (ino->dlen > 0) ino->diverged = 1;
            ino->len = 0;
        } else {
            ino = memfs_inode_new();
            if (!ino || memfs_names_set(&fs->vol, np, ino) < 0) {
                free(ino);
                ino = NULL;
                rc = memfs_nomem("open", path);
            }
        }
    }
    if (rc == SKV_OK) {
        ino->refs++;
        mf->ino = ino;
    }
    skv__mutex_unlock(&fs->mu);
    free(np);
    if (rc != SKV_OK) {
        free(mf);
        return rc;
    }
    *out = (SkvFile *)(void *)mf;
    return SKV_OK;
}

static int memfs_read_at(SkvFile *f, uint64_t off, void *buf, size_t n, size_t *got) {
    MemFile *mf = memfs_file(f);
    skv__mutex_lock(&mf->fs->mu);
    size_t k = 0;
    if (off < mf->ino->len) {
        k = mf->ino->len - (size_t)off;
        if (k > n) k = n;
        memcpy(buf, mf->ino->data + off, k);
    }
    skv__mutex_unlock(&mf->fs->mu);
    *got = k;
    return SKV_OK;
}

static int memfs_append(SkvFile *f, const void *buf, size_t n) {
    MemFile *mf = memfs_file(f);
    SkvMemFs *fs = mf->fs;
    if (!mf->writable) return skv__err(SKV_EINVAL, "memfs append %s: opened read-only", mf->path);
    skv__mutex_lock(&fs->mu);
    int short_write;
    int rc = memfs_begin(fs, "append", mf->path, &short_write);
    if (rc == SKV_OK) {
        MemInode *ino = mf->ino;
        size_t k = short_write ? n / 2 : n;
        if (ino->maps && ino->len + k > ino->cap) {
            rc = skv__err(SKV_EIO, "memfs append %s: the file is mapped and cannot grow", mf->path);
        } else if (ino->len + k < ino->len ||
                   memfs_reserve_bytes(&ino->data, &ino->cap, ino->len + k) < 0) {
            rc = memfs_nomem("append", mf->path);
        } else {
            if (k) memcpy(ino->data + ino->len, buf, k);
            ino->len += k;
            if (short_write)
                rc = skv__err(SKV_EIO, "memfs append %s: injected short write (%zu of %zu bytes)",
                              mf->path, k, n);
        }
    }
    skv__mutex_unlock(&fs->mu);
    return rc;
}

static int memfs_sync(SkvFile *f) {
    MemFile *mf = memfs_file(f);
    SkvMemFs *fs = mf->fs;
    skv__mutex_lock(&fs->mu);
    int rc = memfs_begin(fs, "sync", mf->path, NULL);
    if (rc == SKV_OK) {
        MemInode *ino = mf->ino;
        size_t from = (!ino->diverged && ino->len >= ino->dlen) ? ino->dlen : 0;
        if (memfs_reserve_bytes(&ino->ddata, &ino->dcap, ino->len) < 0) {
            rc = memfs_nomem("sync", mf->path);
        } else {
            if (ino->len > from) memcpy(ino->ddata + from, ino->data + from, ino->len - from);
            ino->dlen = ino->len;
            ino->diverged = 0;
        }
    }
    skv__mutex_unlock(&fs->mu);
    return rc;
}

static int memfs_size(SkvFile *f, uint64_t *out) {
    MemFile *mf = memfs_file(f);
    skv__mutex_lock(&mf->fs->mu);
    *out = mf->ino->len;
    skv__mutex_unlock(&mf->fs->mu);
    return SKV_OK;
}

static int memfs_truncate(SkvFile *f, uint64_t size) {
    MemFile *mf = memfs_file(f);
    SkvMemFs *fs = mf->fs;
    if (!mf->writable) return skv__err(SKV_EINVAL, "memfs truncate %s: opened read-only", mf->path);
    if (size > SIZE_MAX) return memfs_nomem("truncate", mf->path);
    skv__mutex_lock(&fs->mu);
    int rc = memfs_begin(fs, "truncate", mf->path, NULL);
    if (rc == SKV_OK) {
        MemInode *ino = mf->ino;
        size_t sz = (size_t)size;
        if (sz > ino->len) {
            if (ino->maps && sz > ino->cap) {
                rc = skv__err(SKV_EIO, "memfs truncate %s: the file is mapped and cannot grow",
                              mf->path);
            } else if (memfs_reserve_bytes(&ino->data, &ino->cap, sz) < 0) {
                rc = memfs_nomem("truncate", mf->path);
            } else {
                memset(ino->data + ino->len, 0, sz - ino->len);
                ino->len = sz;
            }
        } else {
            if (sz < ino->dlen) ino->diverged = 1;
            ino->len = sz;
        }
    }
    skv__mutex_unlock(&fs->mu);
    return rc;
}

/* A "mapping" is the inode's own buffer, which then never moves: appends and truncations
 * that would grow it past its capacity fail while any handle has it mapped. */
static int memfs_map(SkvFile *f, uint64_t size, const uint8_t **out) {
    MemFile *mf = memfs_file(f);
    *out = NULL;
    skv__mutex_lock(&mf->fs->mu);
    int rc = SKV_OK;
    if (mf->mapped || size == 0 || size > mf->ino->len)
        rc = skv__err(SKV_EINVAL, "memfs map %s: cannot map %llu of %zu bytes", mf->path,
                      (unsigned long long)size, mf->ino->len);
    else {
        mf->mapped = 1;
        mf->ino->maps++;
        *out = mf->ino->data;
    }
    skv__mutex_unlock(&mf->fs->mu);
    return rc;
}

static int memfs_close(SkvFile *f) {
    MemFile *mf = memfs_file(f);
    if (!mf) return SKV_OK;
    SkvMemFs *fs = mf->fs;
    skv__mutex_lock(&fs->mu);
    if (mf->mapped) mf->ino->maps--;
    memfs_inode_unref(mf->ino);
    skv__mutex_unlock(&fs->mu);
    free(mf);
    return SKV_OK;
}

/* ---- names ---- */

static int memfs_exists(SkvEnv *env, const char *path, int *is_dir) {
    SkvMemFs *fs = memfs_of(env);
    char *np = memfs_norm(path);
    if (!np) return memfs_nomem("exists", path);
    int rc = SKV_OK, dir = 0;
    skv__mutex_lock(&fs->mu);
    if (memfs_dir_exists(fs, np))
        dir = 1;
    else if (!memfs_names_find(&fs->vol, np))
        rc = skv__err(SKV_NOTFOUND, "memfs stat %s: no such file or directory", path);
    skv__mutex_unlock(&fs->mu);
    free(np);
    if (rc == SKV_OK && is_dir) *is_dir = dir;
    return rc;
}

static int memfs_mkdir(SkvEnv *env, const char *path) {
    SkvMemFs *fs = memfs_of(env);
    char *np = memfs_norm(path);
    if (!np) return memfs_nomem("mkdir", path);
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    if (memfs_dir_exists(fs, np)) {
        /* exists: nothing to do */
    } else if (memfs_names_find(&fs->vol, np)) {
        rc = skv__err(SKV_EIO, "memfs mkdir %s: exists and is not a directory", path);
    } else if (!memfs_parent_exists(fs, np)) {
        rc = skv__err(SKV_NOTFOUND, "memfs mkdir %s: no such parent directory", path);
    } else if ((rc = memfs_begin(fs, "mkdir", path, NULL)) == SKV_OK) {
        if (memfs_set_add(&fs->dirs, np) < 0) rc = memfs_nomem("mkdir", path);
    }
    skv__mutex_unlock(&fs->mu);
    free(np);
    return rc;
}

static int memfs_remove(SkvEnv *env, const char *path) {
    SkvMemFs *fs = memfs_of(env);
    char *np = memfs_norm(path);
    if (!np) return memfs_nomem("remove", path);
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    MemEntry *e = memfs_names_find(&fs->vol, np);
    if (e) {
        if ((rc = memfs_begin(fs, "remove", path, NULL)) == SKV_OK)
            memfs_names_del_at(&fs->vol, (size_t)(e - fs->vol.v));
    } else if (np[0] != '\0' && memfs_set_has(&fs->dirs, np)) {
        int empty = 1;
        for (size_t i = 0; i < fs->vol.n && empty; i++)
            if (memfs_in_dir(fs->vol.v[i].path, np)) empty = 0;
        for (size_t i = 0; i < fs->dirs.n && empty; i++)
            if (memfs_in_dir(fs->dirs.v[i], np)) empty = 0;
        if (!empty) {
            rc = skv__err(SKV_EIO, "memfs remove %s: directory not empty", path);
        } else if ((rc = memfs_begin(fs, "remove", path, NULL)) == SKV_OK) {
            memfs_set_del(&fs->dirs, np);
            for (size_t i = fs->dur.n; i-- > 0;) /* directory removal is durable at once */
                if (memfs_in_dir(fs->dur.v[i].path, np)) memfs_names_del_at(&fs->dur, i);
        }
    } else {
        rc = skv__err(SKV_NOTFOUND, "memfs remove %s: no such file or directory", path);
    }
    skv__mutex_unlock(&fs->mu);
    free(np);
    return rc;
}

static int memfs_rename(SkvEnv *env, const char *from, const char *to) {
    SkvMemFs *fs = memfs_of(env);
    char *nf = memfs_norm(from), *nt = memfs_norm(to);
    if (!nf || !nt) {
        free(nf);
        free(nt);
        return memfs_nomem("rename", from);
    }
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    MemEntry *e = memfs_names_find(&fs->vol, nf);
    if (!e) {
        if (memfs_dir_exists(fs, nf))
            rc = skv__err(SKV_EINVAL, "memfs rename %s: renaming directories is not supported",
                          from);
        else
            rc = skv__err(SKV_NOTFOUND, "memfs rename %s to %s: no such file", from, to);
    } else if (memfs_dir_exists(fs, nt)) {
        rc = skv__err(SKV_EIO, "memfs rename %s to %s: target is a directory", from, to);
    } else if (!memfs_parent_exists(fs, nt)) {
        rc = skv__err(SKV_NOTFOUND, "memfs rename %s to %s: no such directory", from, to);
    } else if ((rc = memfs_begin(fs, "rename", from, NULL)) == SKV_OK && strcmp(nf, nt) != 0) {
        MemInode *ino = e->ino;
        ino->refs++; /* keep it alive while its old name goes */
        if (memfs_names_set(&fs->vol, nt, ino) < 0) {
            rc = memfs_nomem("rename", from);
        } else {
            e = memfs_names_find(&fs->vol, nf);
            memfs_names_del_at(&fs->vol, (size_t)(e - fs->vol.v));
        }
        memfs_inode_unref(ino);
    }
    skv__mutex_unlock(&fs->mu);
    free(nf);
    free(nt);
    return rc;
}

static int memfs_link(SkvEnv *env, const char *from, const char *to) {
    SkvMemFs *fs = memfs_of(env);
    char *nf = memfs_norm(from), *nt = memfs_norm(to);
    if (!nf || !nt) {
        free(nf);
        free(nt);
        return memfs_nomem("link", from);
    }
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    MemEntry *e = memfs_names_find(&fs->vol, nf);
    if (fs->no_links) {
        rc = skv__err(SKV_ENOTSUP, "memfs link %s to %s: links are turned off", from, to);
    } else if (!e) {
        rc = skv__err(SKV_NOTFOUND, "memfs link %s to %s: no such file", from, to);
    } else if (memfs_dir_exists(fs, nt) || memfs_names_find(&fs->vol, nt)) {
        rc = skv__err(SKV_EIO, "memfs link %s to %s: target exists", from, to);
    } else if (!memfs_parent_exists(fs, nt)) {
        rc = skv__err(SKV_NOTFOUND, "memfs link %s to %s: no such directory", from, to);
    } else if ((rc = memfs_begin(fs, "link", from, NULL)) == SKV_OK) {
        if (memfs_names_set(&fs->vol, nt, e->ino) < 0) rc = memfs_nomem("link", from);
    }
    skv__mutex_unlock(&fs->mu);
    free(nf);
    free(nt);
    return rc;
}

static int memfs_sync_dir(SkvEnv *env, const char *dir) {
    SkvMemFs *fs = memfs_of(env);
    char *nd = memfs_norm(dir);
    if (!nd) return memfs_nomem("sync_dir", dir);
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    if (!memfs_dir_exists(fs, nd)) {
        rc = skv__err(SKV_NOTFOUND, "memfs sync_dir %s: no such directory", dir);
    } else if ((rc = memfs_begin(fs, "sync_dir", dir, NULL)) == SKV_OK) {
        /* add or update first (may fail on memory), then drop names no longer present */
        for (size_t i = 0; i < fs->vol.n && rc == SKV_OK; i++)
            if (memfs_in_dir(fs->vol.v[i].path, nd) &&
                memfs_names_set(&fs->dur, fs->vol.v[i].path, fs->vol.v[i].ino) < 0)
                rc = memfs_nomem("sync_dir", dir);
        for (size_t i = fs->dur.n; rc == SKV_OK && i-- > 0;)
            if (memfs_in_dir(fs->dur.v[i].path, nd) &&
                !memfs_names_find(&fs->vol, fs->dur.v[i].path))
                memfs_names_del_at(&fs->dur, i);
    }
    skv__mutex_unlock(&fs->mu);
    free(nd);
    return rc;
}

static int memfs_cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int memfs_list(SkvEnv *env, const char *dir, char ***names, size_t *count) {
    SkvMemFs *fs = memfs_of(env);
    char *nd = memfs_norm(dir);
    if (!nd) return memfs_nomem("list", dir);
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    if (!memfs_dir_exists(fs, nd)) {
        rc = skv__err(SKV_NOTFOUND, "memfs list %s: no such directory", dir);
    } else {
        size_t total = fs->vol.n + fs->dirs.n;
        for (size_t i = 0; i < total && rc == SKV_OK; i++) {
            const char *p = i < fs->vol.n ? fs->vol.v[i].path : fs->dirs.v[i - fs->vol.n];
            if (!memfs_in_dir(p, nd)) continue;
            const char *slash = strrchr(p, '/');
            const char *name = slash ? slash + 1 : p;
            char *s = strdup(name);
            char **nv = s ? memfs_grow(v, &cap, n + 1, sizeof *v) : NULL;
            if (!nv) {
                free(s);
                rc = memfs_nomem("list", dir);
            } else {
                v = nv;
                v[n++] = s;
            }
        }
    }
    skv__mutex_unlock(&fs->mu);
    free(nd);
    if (rc != SKV_OK) {
        skv__env_free_list(v, n);
        return rc;
    }
    if (n > 1) qsort(v, n, sizeof *v, memfs_cmp_names);
    *names = v;
    *count = n;
    return SKV_OK;
}

/* ---- locks ---- */

static int memfs_lock(SkvEnv *env, const char *path, SkvFileLock **out) {
    SkvMemFs *fs = memfs_of(env);
    char *np = memfs_norm(path);
    MemLock *lk = np ? malloc(sizeof *lk + strlen(np) + 1) : NULL;
    if (!lk) {
        free(np);
        return memfs_nomem("lock", path);
    }
    lk->fs = fs;
    strcpy(lk->path, np);
    int rc = SKV_OK;
    skv__mutex_lock(&fs->mu);
    if (memfs_set_has(&fs->locks, np)) {
        rc = skv__err(SKV_ELOCKED, "memfs lock %s: already locked", path);
    } else if (memfs_dir_exists(fs, np)) {
        rc = skv__err(SKV_EIO, "memfs lock %s: is a directory", path);
    } else if (!memfs_names_find(&fs->vol, np)) { /* create the lock file */
        if (!memfs_parent_exists(fs, np)) {
            rc = skv__err(SKV_NOTFOUND, "memfs lock %s: no such directory", path);
        } else if ((rc = memfs_begin(fs, "open", path, NULL)) == SKV_OK) {
            MemInode *ino = memfs_inode_new();
            if (!ino || memfs_names_set(&fs->vol, np, ino) < 0) {
                free(ino);
                rc = memfs_nomem("lock", path);
            }
        }
    }
    if (rc == SKV_OK && memfs_set_add(&fs->locks, np) < 0) rc = memfs_nomem("lock", path);
    skv__mutex_unlock(&fs->mu);
    free(np);
    if (rc != SKV_OK) {
        free(lk);
        return rc;
    }
    *out = (SkvFileLock *)(void *)lk;
    return SKV_OK;
}

static void memfs_unlock(SkvFileLock *lock) {
    MemLock *lk = (MemLock *)(void *)lock;
    if (!lk) return;
    skv__mutex_lock(&lk->fs->mu);
    memfs_set_del(&lk->fs->locks, lk->path);
    skv__mutex_unlock(&lk->fs->mu);
    free(lk);
}

/* ---- clocks and threads: the POSIX ones ---- */

static uint64_t memfs_now_ns(SkvEnv *env) {
    (void)env;
    SkvEnv *p = skv__env_posix();
    return p->now_ns(p);
}

static uint64_t memfs_mono_ns(SkvEnv *env) {
    (void)env;
    SkvEnv *p = skv__env_posix();
    return p->mono_ns(p);
}

static int memfs_thread_start(SkvEnv *env, void (*fn)(void *), void *arg, SkvThread **out) {
    (void)env;
    SkvEnv *p = skv__env_posix();
    return p->thread_start(p, fn, arg, out);
}

static void memfs_thread_join(SkvThread *t) { skv__env_posix()->thread_join(t); }

/* ---- the file system object ---- */

SkvMemFs *skv__memfs_new(void) {
    SkvMemFs *fs = calloc(1, sizeof *fs);
    if (!fs) return NULL;
    if (skv__mutex_init(&fs->mu) != 0) {
        free(fs);
        return NULL;
    }
    fs->env = (SkvEnv){
        .open = memfs_open,
        .read_at = memfs_read_at,
        .append = memfs_append,
        .sync = memfs_sync,
        .size = memfs_size,
        .truncate = memfs_truncate,
        .close = memfs_close,
        .map = memfs_map,
        .exists = memfs_exists,
        .mkdir = memfs_mkdir,
        .remove = memfs_remove,
        .rename = memfs_rename,
        .link = memfs_link,
        .sync_dir = memfs_sync_dir,
        .list = memfs_list,
        .lock = memfs_lock,
        .unlock = memfs_unlock,
        .now_ns = memfs_now_ns,
        .mono_ns = memfs_mono_ns,
        .thread_start = memfs_thread_start,
        .thread_join = memfs_thread_join,
    };
    return fs;
}

/* Every file handle and lock must be closed before. */
void skv__memfs_free(SkvMemFs *fs) {
    if (!fs) return;
    memfs_names_free(&fs->vol);
    memfs_names_free(&fs->dur);
    memfs_set_free(&fs->dirs);
    memfs_set_free(&fs->locks);
    skv__memfs_free(fs->image);
    skv__mutex_destroy(&fs->mu);
    free(fs);
}

SkvEnv *skv__memfs_env(SkvMemFs *fs) { return &fs->env; }

const char *skv__memfs_fault_hit(SkvMemFs *fs) { return fs->fault_hit; }

uint64_t skv__memfs_op_count(SkvMemFs *fs) {
    skv__mutex_lock(&fs->mu);
    uint64_t n = fs->ops;
    skv__mutex_unlock(&fs->mu);
    return n;
}

void skv__memfs_set_fault(SkvMemFs *fs, int kind, uint64_t at, int sticky) {
    skv__mutex_lock(&fs->mu);
    fs->fault_kind = kind;
    fs->fault_at = at;
    fs->fault_sticky = sticky;
    skv__mutex_unlock(&fs->mu);
}

void skv__memfs_set_links(SkvMemFs *fs, int allowed) {
    skv__mutex_lock(&fs->mu);
    fs->no_links = !allowed;
    skv__mutex_unlock(&fs->mu);
}

int skv__memfs_crashed(SkvMemFs *fs) {
    skv__mutex_lock(&fs->mu);
    int c = fs->crashed;
    skv__mutex_unlock(&fs->mu);
    return c;
}

/* ---- copies ---- */

/* Old inode -> its copy. The map holds one reference to each copy, dropped at the end, so
 * copies that never got a name are freed. */
typedef struct MemInoPair {
    const MemInode *from;
    MemInode *to;
} MemInoPair;

typedef struct MemInoMap {
    MemInoPair *v;
    size_t n, cap;
} MemInoMap;

static MemInode *memfs_map_get(const MemInoMap *m, const MemInode *from) {
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].from == from) return m->v[i].to;
    return NULL;
}

/* A new empty inode registered as the copy of `from`; NULL when out of memory. */
static MemInode *memfs_map_new(MemInoMap *m, const MemInode *from) {
    MemInoPair *nv = memfs_grow(m->v, &m->cap, m->n + 1, sizeof *m->v);
    if (!nv) return NULL;
    m->v = nv;
    MemInode *to = memfs_inode_new();
    if (!to) return NULL;
    to->refs = 1;
    m->v[m->n].from = from;
    m->v[m->n].to = to;
    m->n++;
    return to;
}

static void memfs_map_free(MemInoMap *m) {
    for (size_t i = 0; i < m->n; i++) memfs_inode_unref(m->v[i].to);
    free(m->v);
}

/* Sets *dst (capacity *cap) to a copy of n bytes of src. */
static int memfs_bytes_set(uint8_t **dst, size_t *cap, const uint8_t *src, size_t n) {
    if (memfs_reserve_bytes(dst, cap, n ? n : 1) < 0) return -1;
    if (n) memcpy(*dst, src, n);
    return 0;
}

static uint64_t memfs_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* How many of the `tail` unsynced bytes survive: none, all or a random prefix (a third of
 * the time each). */
static size_t memfs_kept_tail(uint64_t *rng, size_t tail) {
    uint64_t r = memfs_splitmix64(rng);
    switch (r % 3) {
    case 0: return 0;
    case 1: return tail;
    default: return (size_t)(memfs_splitmix64(rng) % ((uint64_t)tail + 1));
    }
}

static int memfs_copy_dirs(SkvMemFs *dst, const SkvMemFs *src) {
    for (size_t i = 0; i < src->dirs.n; i++)
        if (memfs_set_add(&dst->dirs, src->dirs.v[i]) < 0) return -1;
    return 0;
}

/* A full copy (both namespaces, both contents, directories) of src; the caller holds
 * src->mu or owns src. NULL when out of memory. */
static SkvMemFs *memfs_copy(SkvMemFs *src) {
    SkvMemFs *dst = skv__memfs_new();
    if (!dst) return NULL;
    MemInoMap map = {0};
    int ok = memfs_copy_dirs(dst, src) == 0;
    for (int pass = 0; pass < 2 && ok; pass++) {
        MemNames *sn = pass == 0 ? &src->vol : &src->dur;
        MemNames *dn = pass == 0 ? &dst->vol : &dst->dur;
        for (size_t i = 0; i < sn->n && ok; i++) {
            const MemInode *si = sn->v[i].ino;
            MemInode *di = memfs_map_get(&map, si);
            if (!di) {
                di = memfs_map_new(&map, si);
                if (!di || memfs_bytes_set(&di->data, &di->cap, si->data, si->len) < 0 ||
                    memfs_bytes_set(&di->ddata, &di->dcap, si->ddata, si->dlen) < 0) {
                    ok = 0;
                    break;
                }
                di->len = si->len;
                di->dlen = si->dlen;
                di->diverged = si->diverged;
            }
            if (memfs_names_set(dn, sn->v[i].path, di) < 0) ok = 0;
        }
    }
    memfs_map_free(&map);
    if (!ok) {
        skv__memfs_free(dst);
        return NULL;
    }
    return dst;
}

/* The state after a power loss of src: only durable names and content, plus (with a
 * non-zero seed) a random prefix of each durable file's unsynced appended bytes. */
static SkvMemFs *memfs_crash_copy(SkvMemFs *src, uint64_t seed) {
    SkvMemFs *dst = skv__memfs_new();
    if (!dst) return NULL;
    MemInoMap map = {0};
    uint64_t rng = seed;
    int ok = memfs_copy_dirs(dst, src) == 0;
    for (size_t i = 0; i < src->dur.n && ok; i++) {
        const MemInode *si = src->dur.v[i].ino;
        MemInode *di = memfs_map_get(&map, si);
        if (!di) {
            size_t keep = 0;
            if (seed != 0 && !si->diverged && si->len > si->dlen)
                keep = memfs_kept_tail(&rng, si->len - si->dlen);
            size_t n = si->dlen + keep;
            di = memfs_map_new(&map, si);
            if (!di || memfs_reserve_bytes(&di->data, &di->cap, n ? n : 1) < 0 ||
                memfs_reserve_bytes(&di->ddata, &di->dcap, n ? n : 1) < 0) {
                ok = 0;
                break;
            }
            if (si->dlen) memcpy(di->data, si->ddata, si->dlen);
            if (keep) memcpy(di->data + si->dlen, si->data + si->dlen, keep);
            if (n) memcpy(di->ddata, di->data, n);
            di->len = di->dlen = n;
        }
        if (memfs_names_set(&dst->vol, src->dur.v[i].path, di) < 0 ||
            memfs_names_set(&dst->dur, src->dur.v[i].path, di) < 0)
            ok = 0;
    }
    memfs_map_free(&map);
    if (!ok) {
        skv__memfs_free(dst);
        return NULL;
    }
    return dst;
}

SkvMemFs *skv__memfs_crash_clone(SkvMemFs *fs, uint64_t keep_volatile_seed) {
    skv__mutex_lock(&fs->mu);
    SkvMemFs *src = fs->crashed ? fs->image : fs;
    SkvMemFs *out = src ? memfs_crash_copy(src, keep_volatile_seed) : NULL;
    skv__mutex_unlock(&fs->mu);
    return out;
}

SkvMemFs *skv__memfs_clone(SkvMemFs *fs) {
    skv__mutex_lock(&fs->mu);
    SkvMemFs *out = memfs_copy(fs);
    skv__mutex_unlock(&fs->mu);
    return out;
}
