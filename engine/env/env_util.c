/*
 * env_util.c — helpers over any SkvEnv: freeing a name list, reading a whole file, writing a
 * whole file durably, copying a file (or a prefix of it) durably, and linking an immutable
 * file under a second name with a copy as the fallback.
 */
#include <stdlib.h>

#include "base/base.h"
#include "env/env.h"

void skv__env_free_list(char **names, size_t count) {
    if (!names) return;
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
}

int skv__env_read_file(SkvEnv *env, const char *path, char **out, size_t *len) {
    SkvFile *f;
    int rc = env->open(env, path, SKV_ENV_READ, &f);
    if (rc != SKV_OK) return rc;
    uint64_t size;
    rc = env->size(f, &size);
    if (rc != SKV_OK) {
        env->close(f);
        return rc;
    }
    if (size > (uint64_t)SIZE_MAX - 1) {
        env->close(f);
        return skv__err(SKV_ENOMEM, "read %s: file too large (%llu bytes)", path,
                        (unsigned long long)size);
    }
    char *buf = malloc((size_t)size + 1);
    if (!buf) {
        env->close(f);
        return skv__err(SKV_ENOMEM, "read %s: out of memory (%llu bytes)", path,
                        (unsigned long long)size);
    }
    size_t got = 0;
    rc = env->read_at(f, 0, buf, (size_t)size, &got);
    int crc = env->close(f);
    if (rc == SKV_OK) rc = crc;
    if (rc != SKV_OK) {
        free(buf);
        return rc;
    }
    buf[got] = '\0'; /* convenience for text files; not counted in *len */
    *out = buf;
    *len = got;
    return SKV_OK;
}

int skv__env_write_file_sync(SkvEnv *env, const char *path, const void *data, size_t len) {
    SkvFile *f;
    int rc = env->open(env, path, SKV_ENV_TRUNCATE, &f);
    if (rc != SKV_OK) return rc;
    rc = env->append(f, data, len);
    if (rc == SKV_OK) rc = env->sync(f);
    int crc = env->close(f);
    return rc != SKV_OK ? rc : crc;
}

enum { ENV_COPY_CHUNK = 1 << 20 };

int skv__env_copy_file(SkvEnv *env, const char *from, const char *to, uint64_t len) {
    SkvFile *src, *dst = NULL;
    int rc = env->open(env, from, SKV_ENV_READ, &src);
    if (rc != SKV_OK) return rc;
    uint64_t size = 0;
    uint8_t *buf = NULL;
    if ((rc = env->size(src, &size)) == SKV_OK && len != UINT64_MAX && size < len)
        rc = skv__err(SKV_ECORRUPT, "copy %s: %llu bytes, %llu expected", from,
                      (unsigned long long)size, (unsigned long long)len);
    if (len == UINT64_MAX) len = size;
    if (rc == SKV_OK && !(buf = malloc(ENV_COPY_CHUNK)))
        rc = skv__err(SKV_ENOMEM, "copy %s: out of memory", from);
    if (rc == SKV_OK) rc = env->open(env, to, SKV_ENV_TRUNCATE, &dst);
    for (uint64_t off = 0; rc == SKV_OK && off < len;) {
        size_t want = len - off < ENV_COPY_CHUNK ? (size_t)(len - off) : ENV_COPY_CHUNK, got = 0;
        rc = env->read_at(src, off, buf, want, &got);
        if (rc == SKV_OK && got != want)
            rc = skv__err(SKV_ECORRUPT, "copy %s: file shrank while being copied", from);
        if (rc == SKV_OK) rc = env->append(dst, buf, want);
        off += want;
    }
    if (rc == SKV_OK) rc = env->sync(dst);
    free(buf);
    env->close(src);
    if (dst) {
        int crc = env->close(dst);
        if (rc == SKV_OK) rc = crc;
    }
    return rc;
}

int skv__env_link_or_copy(SkvEnv *env, const char *from, const char *to, int *linked) {
    if (linked) *linked = 0;
    int rc = env->link(env, from, to);
    if (rc == SKV_ENOTSUP) {
        skv__errmsg_clear();
        return skv__env_copy_file(env, from, to, UINT64_MAX);
    }
    if (rc != SKV_OK) return rc;
    if (linked) *linked = 1;
    /* the content is shared: make sure it is durable (a no-op for a file already synced) */
    SkvFile *f;
    if ((rc = env->open(env, to, SKV_ENV_READ, &f)) != SKV_OK) return rc;
    rc = env->sync(f);
    int crc = env->close(f);
    return rc != SKV_OK ? rc : crc;
}
