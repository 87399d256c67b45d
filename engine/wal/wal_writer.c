/*
 * wal_writer.c — appending records to a log segment: framing records into fragments
 * (wal_format.h), one env append per call, the block offset carried across calls.
 *
 * A writer whose append or sync failed is latched: the file may end in a partial write and
 * an fsync error must never be followed by a sync that reports success, so every later call
 * returns the first error again. The caller starts a new segment.
 */
#include <stdlib.h>

#include "base/base.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

struct SkvWalWriter {
    SkvEnv *env;
    SkvFile *file;
    uint64_t size;    /* bytes appended so far */
    size_t block_off; /* offset inside the current block */
    int error;        /* the first failure, latched; SKV_OK while healthy */
    uint8_t *buf;     /* framing buffer, reused across calls */
    size_t cap;
    char path[];
};

/* Frames n bytes of rec starting at block offset *off into out (NULL: only measures).
 * Returns the bytes produced and advances *off. */
static size_t walw_frame(size_t *off, const uint8_t *rec, size_t n, uint8_t *out) {
    size_t pos = 0, left = n;
    int begin = 1;
    for (;;) {
        size_t room = SKV_WAL_BLOCK_SIZE - *off;
        if (room < SKV_WAL_HEADER_SIZE) {
            if (out && room) memset(out + pos, 0, room);
            pos += room;
            *off = 0;
            room = SKV_WAL_BLOCK_SIZE;
        }
        size_t frag = left < room - SKV_WAL_HEADER_SIZE ? left : room - SKV_WAL_HEADER_SIZE;
        int end = frag == left;
        uint8_t type = begin && end ? SKV_WAL_FULL
                       : begin      ? SKV_WAL_FIRST
                       : end        ? SKV_WAL_LAST
                                    : SKV_WAL_MIDDLE;
        if (out) {
            uint8_t *h = out + pos;
            skv__put_u16(h + 4, (uint16_t)frag);
            h[6] = type;
            if (frag) memcpy(h + SKV_WAL_HEADER_SIZE, rec + (n - left), frag);
            skv__put_u32(h, skv__wal_frag_checksum(h, h + SKV_WAL_HEADER_SIZE, frag));
        }
        pos += SKV_WAL_HEADER_SIZE + frag;
        *off += SKV_WAL_HEADER_SIZE + frag;
        left -= frag;
        begin = 0;
        if (end) return pos;
    }
}

int skv__wal_create(SkvEnv *env, const char *path, SkvWalWriter **out) {
    size_t plen = strlen(path);
    SkvWalWriter *w = calloc(1, sizeof *w + plen + 1);
    if (!w) return skv__err(SKV_ENOMEM, "wal %s: out of memory", path);
    memcpy(w->path, path, plen + 1);
    w->env = env;
    int rc = env->open(env, path, SKV_ENV_TRUNCATE, &w->file);
    if (rc != SKV_OK) {
        free(w);
        return rc;
    }
    *out = w;
    return SKV_OK;
}

int skv__wal_add_many(SkvWalWriter *w, const void *const *recs, const size_t *lens, size_t count) {
    if (w->error != SKV_OK)
        return skv__err(w->error, "wal %s: an earlier write or sync failed", w->path);
    if (count == 0) return SKV_OK;
    /* measure the framed size, then frame into one buffer */
    size_t total = 0, off = w->block_off;
    for (size_t i = 0; i < count; i++) {
        if (lens[i] > SIZE_MAX / 2 - total)
            return skv__err(SKV_ETOOBIG, "wal %s: records too large", w->path);
        total += walw_frame(&off, NULL, lens[i], NULL);
    }
    if (total > w->cap) {
        uint8_t *nb = malloc(total);
        if (!nb) return skv__err(SKV_ENOMEM, "wal %s: out of memory (%zu bytes)", w->path, total);
        free(w->buf);
        w->buf = nb;
        w->cap = total;
    }
    size_t pos = 0;
    off = w->block_off;
    for (size_t i = 0; i < count; i++)
        pos += walw_frame(&off, (const uint8_t *)recs[i], lens[i], w->buf + pos);
    int rc = w->env->append(w->file, w->buf, pos);
    if (w->cap > (1u << 20)) { /* do not keep a large buffer around */
        free(w->buf);
        w->buf = NULL;
        w->cap = 0;
    }
    if (rc != SKV_OK) {
        w->error = rc;
        return rc;
    }
    w->block_off = off;
    w->size += pos;
    return SKV_OK;
}

int skv__wal_add(SkvWalWriter *w, const void *rec, size_t n) {
    const void *recs[1] = {rec};
    return skv__wal_add_many(w, recs, &n, 1);
}

int skv__wal_sync(SkvWalWriter *w) {
    if (w->error != SKV_OK)
        return skv__err(w->error, "wal %s: an earlier write or sync failed", w->path);
    int rc = w->env->sync(w->file);
    if (rc != SKV_OK) w->error = rc;
    return rc;
}

uint64_t skv__wal_size(const SkvWalWriter *w) { return w->size; }

int skv__wal_close(SkvWalWriter *w) {
    if (!w) return SKV_OK;
    int rc = w->env->close(w->file);
    free(w->buf);
    free(w);
    return rc;
}
