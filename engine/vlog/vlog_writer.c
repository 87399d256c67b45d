/*
 * vlog_writer.c — appending records to value-log files: a file header when a file starts,
 * then records [header with checksums][key][value] gathered in a buffer and written in large
 * appends; a new file when the open one would pass the size limit (the finished one is
 * fsynced and closed first); fsync on request. Layout in FORMAT.md.
 */
#include <stdlib.h>

#include "base/base.h"
#include "vlog/vlog.h"

enum { VW_BUF = 128 * 1024 };

struct SkvVlogWriter {
    SkvEnv *env;
    char *dir;
    uint64_t max_file_size;
    SkvVlogNumberFn new_number;
    void *ctx;
    SkvFile *f; /* the open file, NULL when none */
    uint64_t number;
    uint64_t size; /* bytes of the open file, buffered ones included */
    uint8_t *buf;  /* bytes not yet appended */
    size_t blen;
    int dirty;  /* appended or buffered since the last fsync */
    int failed; /* the I/O error that stopped the writer, or 0 */
};

int skv__vlog_writer_new(SkvEnv *env, const char *dir, uint64_t max_file_size,
                         SkvVlogNumberFn new_number, void *ctx, SkvVlogWriter **out) {
    *out = NULL;
    if (max_file_size < 64)
        return skv__err(SKV_EINVAL, "value-log file size limit %llu is below 64 bytes",
                        (unsigned long long)max_file_size);
    SkvVlogWriter *w = calloc(1, sizeof *w);
    if (!w) return skv__err(SKV_ENOMEM, "out of memory creating a value-log writer");
    size_t n = strlen(dir) + 1;
    w->dir = malloc(n);
    w->buf = malloc(VW_BUF);
    if (!w->dir || !w->buf) {
        free(w->dir);
        free(w->buf);
        free(w);
        return skv__err(SKV_ENOMEM, "out of memory creating a value-log writer");
    }
    memcpy(w->dir, dir, n);
    w->env = env;
    w->max_file_size = max_file_size;
    w->new_number = new_number;
    w->ctx = ctx;
    *out = w;
    return SKV_OK;
}

void skv__vlog_writer_free(SkvVlogWriter *w) {
    if (!w) return;
    if (w->f) w->env->close(w->f);
    free(w->dir);
    free(w->buf);
    free(w);
}

static int vw_fail(SkvVlogWriter *w, int rc) {
    if (!w->failed) w->failed = rc;
    return rc;
}

/* Appends the buffered bytes to the file. */
static int vw_drain(SkvVlogWriter *w) {
    if (!w->blen) return SKV_OK;
    int rc = w->env->append(w->f, w->buf, w->blen);
    if (rc) return vw_fail(w, rc);
    w->blen = 0;
    return SKV_OK;
}

/* Adds n bytes to the file through the buffer (large pieces go straight to the file). */
static int vw_put(SkvVlogWriter *w, const void *data, size_t n) {
    if (w->blen + n > VW_BUF) {
        int rc = vw_drain(w);
        if (rc) return rc;
    }
    if (n > VW_BUF) {
        int rc = w->env->append(w->f, data, n);
        return rc ? vw_fail(w, rc) : SKV_OK;
    }
    if (n) memcpy(w->buf + w->blen, data, n);
    w->blen += n;
    return SKV_OK;
}

int skv__vlog_writer_sync(SkvVlogWriter *w) {
    if (w->failed) return skv__err(w->failed, "value log: the writer stopped after an error");
    if (!w->f || !w->dirty) return SKV_OK;
    int rc = vw_drain(w);
    if (!rc && (rc = w->env->sync(w->f))) vw_fail(w, rc);
    if (!rc) w->dirty = 0;
    return rc;
}

int skv__vlog_writer_seal(SkvVlogWriter *w) {
    int rc = skv__vlog_writer_sync(w);
    if (rc || !w->f) return rc;
    rc = w->env->close(w->f);
    w->f = NULL;
    w->number = 0;
    w->size = 0;
    return rc ? vw_fail(w, rc) : SKV_OK;
}

/* Creates the next file and buffers its header. */
static int vw_start_file(SkvVlogWriter *w) {
    uint64_t number = w->new_number(w->ctx);
    char *path = skv__vlog_path(w->dir, number);
    if (!path) return skv__err(SKV_ENOMEM, "out of memory starting a value-log file");
    int rc = w->env->open(w->env, path, SKV_ENV_TRUNCATE, &w->f);
    free(path);
    if (rc) {
        w->f = NULL;
        return vw_fail(w, rc);
    }
    uint8_t h[SKV_VLOG_FILE_HEADER];
    skv__put_u64(h, SKV_VLOG_MAGIC);
    skv__put_u64(h + 8, number);
    skv__put_u32(h + 16, SKV_VLOG_VERSION);
    skv__put_u32(h + 20, skv__checksum(h, 20));
    w->number = number;
    w->size = SKV_VLOG_FILE_HEADER;
    w->dirty = 1;
    return vw_put(w, h, sizeof h);
}

int skv__vlog_writer_add(SkvVlogWriter *w, const void *key, size_t klen, const void *val,
                         size_t vlen, SkvVlogPtr *ptr) {
    if (w->failed) return skv__err(w->failed, "value log: the writer stopped after an error");
    if (klen > UINT32_MAX || vlen > UINT32_MAX)
        return skv__err(SKV_EINVAL, "value log: record too large");
    uint64_t rec = skv__vlog_record_size(klen, vlen);
    int rc;
    if (w->f && w->size > SKV_VLOG_FILE_HEADER && w->size + rec > w->max_file_size &&
        (rc = skv__vlog_writer_seal(w)))
        return rc;
    if (!w->f && (rc = vw_start_file(w))) return rc;
    uint8_t h[SKV_VLOG_RECORD_HEADER];
    uint32_t vsum = skv__checksum(val, vlen);
    skv__put_u32(h + 4, vsum);
    skv__put_u32(h + 8, (uint32_t)klen);
    skv__put_u32(h + 12, (uint32_t)vlen);
    skv__put_u32(h, skv__checksum2(h + 4, 12, key, klen));
    if ((rc = vw_put(w, h, sizeof h)) || (rc = vw_put(w, key, klen)) || (rc = vw_put(w, val, vlen)))
        return rc;
    *ptr = (SkvVlogPtr){.file = w->number, .offset = w->size, .vlen = (uint32_t)vlen, .vsum = vsum};
    w->size += rec;
    w->dirty = 1;
    return SKV_OK;
}

uint64_t skv__vlog_writer_file(const SkvVlogWriter *w) { return w->f ? w->number : 0; }

uint64_t skv__vlog_writer_size(const SkvVlogWriter *w) { return w->f ? w->size : 0; }
