/*
 * env_posix.c — the POSIX environment: files over file descriptors (pread, looping write,
 * fdatasync, read-only mmap), names (stat, mkdir, unlink, rename, link, directory fsync,
 * readdir), exclusive locks (flock plus a process-wide registry of locked files), the clocks
 * and pthreads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "env/env.h"

/* An open file (SkvFile is opaque; this is what it points to for this env). */
typedef struct PosixFile {
    int fd;
    void *map; /* the read-only mapping, or NULL */
    size_t map_len;
    char path[]; /* for error messages */
} PosixFile;

typedef struct PosixLock {
    int fd;
    dev_t dev;
    ino_t ino;
    struct PosixLock *next; /* in the registry */
} PosixLock;

typedef struct PosixThread {
    pthread_t tid;
    void (*fn)(void *);
    void *arg;
} PosixThread;

/* Process-wide registry of the files this process holds locked: a second lock of the same
 * file from this process fails even on systems whose locks are per process. */
static pthread_mutex_t posix_lock_mu = PTHREAD_MUTEX_INITIALIZER;
static PosixLock *posix_lock_held = NULL;

static int posix_code(int e) {
    switch (e) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return SKV_ENOSPC;
    case ENOENT:
    case ENOTDIR: return SKV_NOTFOUND;
    case ENOMEM: return SKV_ENOMEM;
    case EBADF: return SKV_EINVAL;
    default: return SKV_EIO;
    }
}

static int posix_fail(const char *op, const char *path) {
    int e = errno;
    return skv__err(posix_code(e), "%s %s: %s", op, path, strerror(e));
}

static PosixFile *posix_file(SkvFile *f) { return (PosixFile *)(void *)f; }

/* ---- files ---- */

static int posix_open(SkvEnv *env, const char *path, int flags, SkvFile **out) {
    (void)env;
    int oflags;
    switch (flags) {
    case SKV_ENV_READ: oflags = O_RDONLY; break;
    case SKV_ENV_APPEND: oflags = O_RDWR | O_CREAT | O_APPEND; break;
    case SKV_ENV_TRUNCATE: oflags = O_RDWR | O_CREAT | O_APPEND | O_TRUNC; break;
    default: return skv__err(SKV_EINVAL, "open %s: bad flags %d", path, flags);
    }
    size_t plen = strlen(path);
    PosixFile *pf = malloc(sizeof *pf + plen + 1);
    if (!pf) return skv__err(SKV_ENOMEM, "open %s: out of memory", path);
    memcpy(pf->path, path, plen + 1);
    int fd;
    do {
        fd = open(path, oflags | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int rc = posix_fail("open", path);
        free(pf);
        return rc;
    }
    pf->fd = fd;
    pf->map = NULL;
    pf->map_len = 0;
    *out = (SkvFile *)(void *)pf;
    return SKV_OK;
}

static int posix_read_at(SkvFile *f, uint64_t off, void *buf, size_t n, size_t *got) {
    PosixFile *pf = posix_file(f);
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(pf->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            *got = done;
            return posix_fail("read", pf->path);
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    *got = done;
    return SKV_OK;
}

static int posix_append(SkvFile *f, const void *buf, size_t n) {
    PosixFile *pf = posix_file(f);
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(pf->fd, (const char *)buf + done, n - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            return posix_fail("write", pf->path);
        }
        if (r == 0) return skv__err(SKV_EIO, "write %s: wrote nothing", pf->path);
        done += (size_t)r;
    }
    return SKV_OK;
}

static int posix_sync(SkvFile *f) {
    PosixFile *pf = posix_file(f);
    int r;
    do {
        r = fdatasync(pf->fd);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? posix_fail("fdatasync", pf->path) : SKV_OK;
}

static int posix_size(SkvFile *f, uint64_t *out) {
    PosixFile *pf = posix_file(f);
    struct stat st;
    if (fstat(pf->fd, &st) < 0) return posix_fail("fstat", pf->path);
    *out = (uint64_t)st.st_size;
    return SKV_OK;
}

static int posix_truncate(SkvFile *f, uint64_t size) {
    PosixFile *pf = posix_file(f);
    int r;
    do {
        r = ftruncate(pf->fd, (off_t)size);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? posix_fail("ftruncate", pf->path) : SKV_OK;
}

static int posix_map(SkvFile *f, uint64_t size, const uint8_t **out) {
    PosixFile *pf = posix_file(f);
    *out = NULL;
    if (pf->map) return skv__err(SKV_EINVAL, "mmap %s: already mapped", pf->path);
    if (size == 0 || size > SIZE_MAX)
        return skv__err(SKV_EINVAL, "mmap %s: cannot map %llu bytes", pf->path,
                        (unsigned long long)size);
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, pf->fd, 0);
    if (p == MAP_FAILED) return posix_fail("mmap", pf->path);
    pf->map = p;
    pf->map_len = (size_t)size;
    *out = p;
    return SKV_OK;
}

static int posix_close(SkvFile *f) {
    PosixFile *pf = posix_file(f);
    int rc = SKV_OK;
    if (pf->map) munmap(pf->map, pf->map_len);
    /* close is not retried on EINTR: on Linux the descriptor is released anyway */
    if (close(pf->fd) < 0 && errno != EINTR) rc = posix_fail("close", pf->path);
    free(pf);
    return rc;
}

/* ---- names ---- */

static int posix_exists(SkvEnv *env, const char *path, int *is_dir) {
    (void)env;
    struct stat st;
    if (stat(path, &st) < 0) return posix_fail("stat", path);
    if (is_dir) *is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
    return SKV_OK;
}

static int posix_mkdir(SkvEnv *env, const char *path) {
    (void)env;
    if (mkdir(path, 0755) == 0) return SKV_OK;
    if (errno != EEXIST) return posix_fail("mkdir", path);
    struct stat st;
    if (stat(path, &st) < 0) return posix_fail("stat", path);
    if (!S_ISDIR(st.st_mode))
        return skv__err(SKV_EIO, "mkdir %s: exists and is not a directory", path);
    return SKV_OK;
}

static int posix_remove(SkvEnv *env, const char *path) {
    (void)env;
    if (unlink(path) == 0) return SKV_OK;
    if (errno == EISDIR || errno == EPERM) {
        if (rmdir(path) == 0) return SKV_OK;
        return posix_fail("rmdir", path);
    }
    return posix_fail("unlink", path);
}

static int posix_rename(SkvEnv *env, const char *from, const char *to) {
    (void)env;
    if (rename(from, to) == 0) return SKV_OK;
    int e = errno;
    return skv__err(posix_code(e), "rename %s to %s: %s", from, to, strerror(e));
}

static int posix_link(SkvEnv *env, const char *from, const char *to) {
    (void)env;
    if (link(from, to) == 0) return SKV_OK;
    int e = errno;
    /* another device, or a file system without hard links: the caller copies instead */
    int code = e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP || e == EOPNOTSUPP
                   ? SKV_ENOTSUP
                   : posix_code(e);
    return skv__err(code, "link %s to %s: %s", from, to, strerror(e));
}

static int posix_sync_dir(SkvEnv *env, const char *dir) {
    (void)env;
    int fd;
    do {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return posix_fail("open directory", dir);
    int r;
    do {
        r = fsync(fd);
    } while (r < 0 && errno == EINTR);
    /* EINVAL: the file system cannot fsync directories (nothing was lost) */
    int rc = (r < 0 && errno != EINVAL) ? posix_fail("fsync directory", dir) : SKV_OK;
    close(fd);
    return rc;
}

static int posix_cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int posix_list(SkvEnv *env, const char *dir, char ***names, size_t *count) {
    (void)env;
    DIR *d = opendir(dir);
    if (!d) return posix_fail("opendir", dir);
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = SKV_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) rc = posix_fail("readdir", dir);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = skv__err(SKV_ENOMEM, "list %s: out of memory", dir);
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[n] = strdup(de->d_name);
        if (!v[n]) {
            rc = skv__err(SKV_ENOMEM, "list %s: out of memory", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (rc != SKV_OK) {
        skv__env_free_list(v, n);
        return rc;
    }
    if (n > 1) qsort(v, n, sizeof *v, posix_cmp_names);
    *names = v;
    *count = n;
    return SKV_OK;
}

/* ---- locks ---- */

static int posix_lock(SkvEnv *env, const char *path, SkvFileLock **out) {
    (void)env;
    PosixLock *lk = malloc(sizeof *lk);
    if (!lk) return skv__err(SKV_ENOMEM, "lock %s: out of memory", path);
    int fd;
    do {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int rc = posix_fail("open lock file", path);
        free(lk);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int rc = posix_fail("fstat", path);
        close(fd);
        free(lk);
        return rc;
    }
    lk->fd = fd;
    lk->dev = st.st_dev;
    lk->ino = st.st_ino;
    int rc = SKV_OK;
    pthread_mutex_lock(&posix_lock_mu);
    for (PosixLock *p = posix_lock_held; p; p = p->next) {
        if (p->dev == lk->dev && p->ino == lk->ino) {
            rc = skv__err(SKV_ELOCKED, "lock %s: already locked by this process", path);
            break;
        }
    }
    if (rc == SKV_OK) {
        int r;
        do {
            r = flock(fd, LOCK_EX | LOCK_NB);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
            int e = errno;
            if (e == EWOULDBLOCK || e == EAGAIN)
                rc = skv__err(SKV_ELOCKED, "lock %s: held by another process", path);
            else
                rc = skv__err(posix_code(e), "lock %s: %s", path, strerror(e));
        }
    }
    if (rc == SKV_OK) {
        lk->next = posix_lock_held;
        posix_lock_held = lk;
    }
    pthread_mutex_unlock(&posix_lock_mu);
    if (rc != SKV_OK) {
        close(fd);
        free(lk);
        return rc;
    }
    *out = (SkvFileLock *)(void *)lk;
    return SKV_OK;
}

static void posix_unlock(SkvFileLock *lock) {
    PosixLock *lk = (PosixLock *)(void *)lock;
    if (!lk) return;
    pthread_mutex_lock(&posix_lock_mu);
    for (PosixLock **pp = &posix_lock_held; *pp; pp = &(*pp)->next) {
        if (*pp == lk) {
            *pp = lk->next;
            break;
        }
    }
    flock(lk->fd, LOCK_UN);
    close(lk->fd);
    pthread_mutex_unlock(&posix_lock_mu);
    free(lk);
}

/* ---- clocks ---- */

static uint64_t posix_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t posix_now_ns(SkvEnv *env) {
    (void)env;
    return posix_clock(CLOCK_REALTIME);
}

static uint64_t posix_mono_ns(SkvEnv *env) {
    (void)env;
    return posix_clock(CLOCK_MONOTONIC);
}

/* ---- threads ---- */

static void *posix_thread_main(void *arg) {
    PosixThread *t = arg;
    t->fn(t->arg);
    return NULL;
}

static int posix_thread_start(SkvEnv *env, void (*fn)(void *), void *arg, SkvThread **out) {
    (void)env;
    PosixThread *t = malloc(sizeof *t);
    if (!t) return skv__err(SKV_ENOMEM, "thread start: out of memory");
    t->fn = fn;
    t->arg = arg;
    int e = pthread_create(&t->tid, NULL, posix_thread_main, t);
    if (e != 0) {
        free(t);
        return skv__err(e == EAGAIN ? SKV_ENOMEM : SKV_EIO, "thread start: %s", strerror(e));
    }
    *out = (SkvThread *)(void *)t;
    return SKV_OK;
}

static void posix_thread_join(SkvThread *thread) {
    PosixThread *t = (PosixThread *)(void *)thread;
    if (!t) return;
    pthread_join(t->tid, NULL);
    free(t);
}

/* Never written after initialisation: a table of function pointers. */
static SkvEnv posix_env = {
    .open = posix_open,
    .read_at = posix_read_at,
    .append = posix_append,
    .sync = posix_sync,
    .size = posix_size,
    .truncate = posix_truncate,
    .close = posix_close,
    .map = posix_map,
    .exists = posix_exists,
    .mkdir = posix_mkdir,
    .remove = posix_remove,
    .rename = posix_rename,
    .link = posix_link,
    .sync_dir = posix_sync_dir,
    .list = posix_list,
    .lock = posix_lock,
    .unlock = posix_unlock,
    .now_ns = posix_now_ns,
    .mono_ns = posix_mono_ns,
    .thread_start = posix_thread_start,
    .thread_join = posix_thread_join,
};

SkvEnv *skv__env_posix(void) { return &posix_env; }
