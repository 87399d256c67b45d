/*
 * env_util.c — helpers over any SkvEnv: freeing a name list, reading a whole file, and
 * writing a whole file durably.
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
