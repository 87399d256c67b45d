/*
 * vlog_reader.c — reading value-log records by pointer: opening a file (its header checked
 * once), then one positioned read per record, checked against the pointer (bounds, lengths,
 * value checksum, key) and, when asked, against its checksums. Nothing read is trusted
 * before it is checked; damage is SKV_ECORRUPT naming the file and the record's offset.
 */
#include <stdlib.h>

#include "base/base.h"
#include "vlog/vlog.h"

struct SkvVlogFile {
    SkvEnv *env;
    SkvFile *f;
    uint64_t number;
    char path[];
};

void skv__vlog_buf_free(SkvVlogBuf *b) {
    free(b->p);
    b->p = NULL;
    b->cap = 0;
}

uint64_t skv__vlog_file_number(const SkvVlogFile *f) { return f->number; }

void skv__vlog_file_close(SkvVlogFile *f) {
    if (!f) return;
    if (f->f) f->env->close(f->f);
    free(f);
}

int skv__vlog_file_open(SkvEnv *env, const char *path, uint64_t number, SkvVlogFile **out) {
    *out = NULL;
    size_t plen = strlen(path) + 1;
    SkvVlogFile *f = calloc(1, sizeof *f + plen);
    if (!f) return skv__err(SKV_ENOMEM, "out of memory opening value-log file %s", path);
    memcpy(f->path, path, plen);
    f->env = env;
    f->number = number;
    int rc = env->open(env, path, SKV_ENV_READ, &f->f);
    if (rc) {
        f->f = NULL;
        skv__vlog_file_close(f);
        if (rc == SKV_NOTFOUND) return skv__err(SKV_ECORRUPT, "value-log file %s is missing", path);
        return rc;
    }
    uint8_t h[SKV_VLOG_FILE_HEADER];
    size_t got = 0;
    if ((rc = env->read_at(f->f, 0, h, sizeof h, &got))) {
        skv__vlog_file_close(f);
        return rc;
    }
    const char *what = NULL;
    if (got < sizeof h)
        what = "file header is truncated";
    else if (skv__get_u64(h) != SKV_VLOG_MAGIC)
        what = "bad magic number (not a value-log file)";
    else if (skv__get_u32(h + 20) != skv__checksum(h, 20))
        what = "file header checksum mismatch";
    else if (skv__get_u32(h + 16) != SKV_VLOG_VERSION)
        what = "unsupported format version";
    else if (skv__get_u64(h + 8) != number)
        what = "file header names another file number";
    if (what) {
        skv__vlog_file_close(f);
        return skv__err(SKV_ECORRUPT, "value-log file %s: %s", path, what);
    }
    *out = f;
    return SKV_OK;
}

static int vr_bad(const SkvVlogFile *f, uint64_t off, const char *what) {
    return skv__err(SKV_ECORRUPT, "value-log file %s: record at offset %llu: %s", f->path,
                    (unsigned long long)off, what);
}

int skv__vlog_read(SkvVlogFile *f, const SkvVlogPtr *p, const void *key, size_t klen, int verify,
                   SkvVlogBuf *buf, const uint8_t **val) {
    uint64_t n64 = skv__vlog_record_size(klen, p->vlen);
    if (p->file != f->number) return vr_bad(f, p->offset, "pointer names another file");
    if (p->offset < SKV_VLOG_FILE_HEADER || p->offset > UINT64_MAX - n64 || n64 > SIZE_MAX)
        return vr_bad(f, p->offset, "pointer out of range");
    size_t n = (size_t)n64;
    if (n > buf->cap) {
        uint8_t *b = realloc(buf->p, n);
        if (!b) return skv__err(SKV_ENOMEM, "out of memory reading value-log file %s", f->path);
        buf->p = b;
        buf->cap = n;
    }
    size_t got = 0;
    int rc = f->env->read_at(f->f, p->offset, buf->p, n, &got);
    if (rc) return rc;
    if (got < n) return vr_bad(f, p->offset, "record extends past the end of the file");
    const uint8_t *h = buf->p;
    if (skv__get_u32(h + 8) != klen || skv__get_u32(h + 12) != p->vlen)
        return vr_bad(f, p->offset, "record lengths differ from the pointer's");
    if (skv__get_u32(h + 4) != p->vsum)
        return vr_bad(f, p->offset, "record value checksum differs from the pointer's");
    if (klen && memcmp(h + SKV_VLOG_RECORD_HEADER, key, klen) != 0)
        return vr_bad(f, p->offset, "record holds another key");
    const uint8_t *v = h + SKV_VLOG_RECORD_HEADER + klen;
    if (verify) {
        if (skv__get_u32(h) != skv__checksum(h + 4, 12 + klen))
            return vr_bad(f, p->offset, "record checksum mismatch");
        if (skv__checksum(v, p->vlen) != p->vsum)
            return vr_bad(f, p->offset, "value checksum mismatch");
    }
    *val = v;
    return SKV_OK;
}
