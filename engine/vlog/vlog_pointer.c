/*
 * vlog_pointer.c — value pointers (what a table entry holds instead of a large value), the
 * names of value-log files, and the per-table list of value-log references.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "vlog/vlog.h"

size_t skv__vlog_ptr_encode(uint8_t *out, const SkvVlogPtr *p) {
    size_t n = 0;
    out[n++] = SKV_VLOG_PTR_FORMAT;
    n += skv__put_varint(out + n, p->file);
    n += skv__put_varint(out + n, p->offset);
    n += skv__put_varint(out + n, p->vlen);
    skv__put_u32(out + n, p->vsum);
    return n + 4;
}

int skv__vlog_ptr_decode(const void *data, size_t n, SkvVlogPtr *p) {
    const uint8_t *s = data, *end = s + n;
    uint64_t file, off, vlen;
    size_t m;
    if (n < 1 || s[0] != SKV_VLOG_PTR_FORMAT) goto bad;
    s++;
    if (!(m = skv__get_varint(s, end, &file)) || file == 0) goto bad;
    s += m;
    if (!(m = skv__get_varint(s, end, &off)) || off < SKV_VLOG_FILE_HEADER) goto bad;
    s += m;
    if (!(m = skv__get_varint(s, end, &vlen)) || vlen > SKV_MAX_VALUE_SIZE) goto bad;
    s += m;
    if (end - s != 4) goto bad;
    p->file = file;
    p->offset = off;
    p->vlen = (uint32_t)vlen;
    p->vsum = skv__get_u32(s);
    return SKV_OK;
bad:
    return skv__err(SKV_ECORRUPT, "malformed value pointer (%zu bytes)", n);
}

char *skv__vlog_path(const char *dir, uint64_t number) {
    size_t n = strlen(dir) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%020" PRIu64 ".vlog", dir, number);
    return p;
}

int skv__vlog_parse_name(const char *name, uint64_t *number) {
    if (strlen(name) != 25 || strcmp(name + 20, ".vlog") != 0) return 0;
    uint64_t x = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (x > (UINT64_MAX - d) / 10) return 0;
        x = x * 10 + d;
    }
    *number = x;
    return 1;
}

int skv__vlog_refs_add(SkvVlogRefs *refs, uint64_t file, uint64_t bytes) {
    size_t lo = 0, hi = refs->n;
    /* appends are usually to the newest file: check the end first */
    if (refs->n && refs->r[refs->n - 1].file <= file) lo = refs->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (refs->r[mid].file < file)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < refs->n && refs->r[lo].file == file) {
        refs->r[lo].bytes += bytes;
        return SKV_OK;
    }
    if (refs->n == refs->cap) {
        size_t cap = refs->cap ? refs->cap * 2 : 4;
        SkvVlogRef *r = realloc(refs->r, cap * sizeof *r);
        if (!r) return skv__err(SKV_ENOMEM, "out of memory counting value-log references");
        refs->r = r;
        refs->cap = cap;
    }
    memmove(refs->r + lo + 1, refs->r + lo, (refs->n - lo) * sizeof *refs->r);
    refs->r[lo] = (SkvVlogRef){file, bytes};
    refs->n++;
    return SKV_OK;
}

void skv__vlog_refs_free(SkvVlogRefs *refs) {
    free(refs->r);
    memset(refs, 0, sizeof *refs);
}
