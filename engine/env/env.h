/*
 * env.h — the one door to the outside world: every file operation, directory fsync, lock,
 * clock read and thread start of the engine goes through an SkvEnv. Two implementations:
 * the POSIX one (env_posix.c) and an in-memory file system (env_mem.c) that remembers what
 * was fsynced, can be "crashed" at any numbered mutating operation, and can inject EIO,
 * ENOSPC and short writes — for the crash and fault tests.
 *
 * All functions return SKV_OK or a negative SKV_* code (SKV_EIO, SKV_ENOSPC, SKV_NOTFOUND
 * for a missing file, SKV_ELOCKED, SKV_ENOMEM, SKV_EINVAL) and set the thread's error
 * message (skv__errmsg_set) naming the path and the OS error.
 */
#ifndef SKV_ENV_H
#define SKV_ENV_H

#include <stddef.h>
#include <stdint.h>

typedef struct SkvEnv SkvEnv;
typedef struct SkvFile SkvFile; /* an open file; each implementation defines it */
typedef struct SkvFileLock SkvFileLock;
typedef struct SkvThread SkvThread;

/* open flags */
enum {
    SKV_ENV_READ = 0,    /* open an existing file for reading */
    SKV_ENV_APPEND = 1,  /* open or create for appending (keeps existing content) */
    SKV_ENV_TRUNCATE = 2 /* create or truncate to empty, for writing */
};

struct SkvEnv {
    /* files */
    int (*open)(SkvEnv *env, const char *path, int flags, SkvFile **out);
    /* reads up to n bytes at offset; *got < n only at end of file */
    int (*read_at)(SkvFile *f, uint64_t off, void *buf, size_t n, size_t *got);
    /* appends all n bytes (a short write is reported as an error) */
    int (*append)(SkvFile *f, const void *buf, size_t n);
    int (*sync)(SkvFile *f); /* fdatasync-or-stronger of content and size */
    int (*size)(SkvFile *f, uint64_t *out);
    int (*truncate)(SkvFile *f, uint64_t size);
    int (*close)(SkvFile *f); /* frees f even when it returns an error (and unmaps it) */
    /* Maps the first size bytes of a file opened with SKV_ENV_READ, read-only, until the file
     * is closed; *out receives the address. For immutable files only: the file must not
     * change or shrink while mapped. NULL in an env that cannot map (the caller reads with
     * read_at instead); SKV_ENOMEM / SKV_EIO / SKV_EINVAL (size 0) when the mapping fails. */
    int (*map)(SkvFile *f, uint64_t size, const uint8_t **out);

    /* names */
    int (*exists)(SkvEnv *env, const char *path, int *is_dir); /* SKV_NOTFOUND if absent */
    int (*mkdir)(SkvEnv *env, const char *path);               /* SKV_OK if it exists */
    int (*remove)(SkvEnv *env, const char *path);
    int (*rename)(SkvEnv *env, const char *from, const char *to); /* atomic replace */
    /* a second name `to` (which must not exist) for the existing file `from` (a hard link):
     * SKV_ENOTSUP when the file system cannot link them (another device, no link support),
     * and the caller copies instead */
    int (*link)(SkvEnv *env, const char *from, const char *to);
    int (*sync_dir)(SkvEnv *env, const char *dir);
    /* names (not paths) in dir, excluding "." and ".."; free with skv__env_free_list */
    int (*list)(SkvEnv *env, const char *dir, char ***names, size_t *count);

    /* an exclusive advisory lock on a file (created if missing): SKV_ELOCKED when another
     * handle, in this process or another, holds it */
    int (*lock)(SkvEnv *env, const char *path, SkvFileLock **out);
    void (*unlock)(SkvFileLock *lock);

    /* clock: wall time in ns since the Unix epoch, and a monotonic clock */
    uint64_t (*now_ns)(SkvEnv *env);
    uint64_t (*mono_ns)(SkvEnv *env);

    /* threads */
    int (*thread_start)(SkvEnv *env, void (*fn)(void *), void *arg, SkvThread **out);
    void (*thread_join)(SkvThread *t);
};

/* The process-wide POSIX environment (stateless; never freed). */
SkvEnv *skv__env_posix(void);

void skv__env_free_list(char **names, size_t count);

/* Helpers over any env. */
/* Reads a whole file into a malloc'ed buffer (*out, *len); SKV_NOTFOUND when missing. */
int skv__env_read_file(SkvEnv *env, const char *path, char **out, size_t *len);
/* Writes a whole file (truncating), fsyncs it, closes it. */
int skv__env_write_file_sync(SkvEnv *env, const char *path, const void *data, size_t len);
/* Copies the first `len` bytes of `from` (all of it with UINT64_MAX) into a new file `to`
 * (truncating), fsyncs it, closes it; SKV_ECORRUPT when `from` is shorter than `len`. */
int skv__env_copy_file(SkvEnv *env, const char *from, const char *to, uint64_t len);
/* Gives the immutable file `from` the second name `to` by a hard link, or by a copy when the
 * file system cannot link them; either way `to` is then fsynced (the caller fsyncs its
 * directory). *linked (may be NULL) says which it was. */
int skv__env_link_or_copy(SkvEnv *env, const char *from, const char *to, int *linked);

/* ---- the in-memory file system (env_mem.c) ------------------------------------------------
 *
 * Every file and directory entry has a volatile state (what reads see) and a durable state
 * (what survives a crash): file content becomes durable at sync(); creation, removal, rename
 * and link of a name become durable at sync_dir() of its parent directory. mkdir is durable
 * at once. Mutating operations (open with create or truncate, append, sync, truncate, remove,
 * rename, link, sync_dir, mkdir) are numbered from 1 in the order they happen. */

typedef struct SkvMemFs SkvMemFs;

enum skv_memfs_fault {
    SKV_FAULT_NONE = 0,
    SKV_FAULT_CRASH = 1,      /* at op N: freeze the durable state as the crash image;
                                 op N and every later mutating op fail with SKV_EIO */
    SKV_FAULT_EIO = 2,        /* op N fails with SKV_EIO (once, or from N on if sticky) */
    SKV_FAULT_ENOSPC = 3,     /* op N fails with SKV_ENOSPC (once, or from N on if sticky) */
    SKV_FAULT_SHORT_WRITE = 4 /* op N, if an append, writes half its bytes then fails EIO */
};

SkvMemFs *skv__memfs_new(void);
void skv__memfs_free(SkvMemFs *fs);
/* The env over this file system. Its clock and threads are the POSIX ones. */
SkvEnv *skv__memfs_env(SkvMemFs *fs);
/* Number of mutating operations so far. */
uint64_t skv__memfs_op_count(SkvMemFs *fs);
/* Arm a fault at mutating op number `at` (1-based; counted from the memfs's creation). */
void skv__memfs_set_fault(SkvMemFs *fs, int kind, uint64_t at, int sticky);
/* The kind of operation the armed fault hit first ("append", "remove", ...; "" if none). */
const char *skv__memfs_fault_hit(SkvMemFs *fs);
/* 1 once an armed CRASH fault has fired. */
int skv__memfs_crashed(SkvMemFs *fs);
/* A new file system holding only the durable state: of the crash image if a CRASH fault
 * fired, else of the current state (as if power were lost now). `keep_volatile_seed`:
 * 0 keeps nothing volatile; otherwise a seed with which each not-yet-durable append to an
 * existing durable file is kept or dropped at random (a prefix of the unsynced bytes, possibly
 * torn mid-write), modelling a page cache partially written back. */
SkvMemFs *skv__memfs_crash_clone(SkvMemFs *fs, uint64_t keep_volatile_seed);
/* A full copy of the current volatile state (a process crash: the OS keeps everything). */
SkvMemFs *skv__memfs_clone(SkvMemFs *fs);
/* With 0, link fails with SKV_ENOTSUP (without counting an operation), as across two file
 * systems; 1 (the default) allows links again. */
void skv__memfs_set_links(SkvMemFs *fs, int allowed);

#endif /* SKV_ENV_H */
