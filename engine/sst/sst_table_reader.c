/*
 * sst_table_reader.c — reading table files: opening a table (footer, properties, index and
 * filter, each checked before it is trusted), reading any stored block (bounds, checksum,
 * bounded zstd decompression), loading index partitions and data blocks on demand through the
 * block cache, pins, the index search and point lookups. Layout in FORMAT.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "base/base.h"
#include "mem/mem.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"

/* Re-raises the current error message prefixed with the table and the block. */
int skv__sst_wrap_error(int rc, const SkvSstReader *r, const char *what, uint64_t off) {
    char msg[384];
    snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
    return skv__err(rc, "table %s: %s block at offset %llu: %s", r->path, what,
                    (unsigned long long)off, msg);
}

/* SKV_OK when the stored block at h (h.size bytes and the trailer) lies inside the file. */
static int tblr_bounds(const SkvSstReader *r, SkvSstHandle h, const char *what) {
    uint64_t limit = r->props.size - SKV_SST_FOOTER_SIZE;
    if (h.size > limit || limit - h.size < SKV_SST_TRAILER ||
        h.off > limit - h.size - SKV_SST_TRAILER)
        return skv__err(SKV_ECORRUPT,
                        "table %s: %s block at offset %llu (%llu bytes) lies outside "
                        "the file",
                        r->path, what, (unsigned long long)h.off, (unsigned long long)h.size);
    return SKV_OK;
}

/* Checks the checksum and the compression byte of the stored block p (h.size bytes, then the
 * trailer); *comp receives the compression. */
static int tblr_verify(const SkvSstReader *r, SkvSstHandle h, const char *what, const uint8_t *p,
                       uint8_t *comp) {
    *comp = p[h.size];
    if (skv__get_u32(p + h.size + 1) != skv__checksum(p, (size_t)h.size + 1))
        return skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu: checksum mismatch",
                        r->path, what, (unsigned long long)h.off);
    if (*comp != SKV_SST_COMPRESS_NONE && *comp != SKV_SST_COMPRESS_ZSTD)
        return skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu: unknown compression %u",
                        r->path, what, (unsigned long long)h.off, (unsigned)*comp);
    return SKV_OK;
}

/* Decompresses the zstd block p (h.size bytes) into a new buffer that begins with head spare
 * bytes; the frame states its size, and nothing larger than SKV_SST_MAX_UNCOMPRESSED is ever
 * allocated. */
static int tblr_decompress(const SkvSstReader *r, SkvSstHandle h, const char *what,
                           const uint8_t *p, size_t head, uint8_t **out, size_t *len) {
    unsigned long long cs = ZSTD_getFrameContentSize(p, (size_t)h.size);
    if (cs > SKV_SST_MAX_UNCOMPRESSED)
        return skv__err(SKV_ECORRUPT,
                        "table %s: %s block at offset %llu: bad uncompressed size in zstd frame",
                        r->path, what, (unsigned long long)h.off);
    uint8_t *dst = malloc(head + (size_t)cs + 1);
    if (!dst) return skv__err(SKV_ENOMEM, "out of memory reading table %s", r->path);
    size_t dn = ZSTD_decompress(dst + head, (size_t)cs, p, (size_t)h.size);
    if (ZSTD_isError(dn) || dn != cs) {
        free(dst);
        return skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu does not decompress",
                        r->path, what, (unsigned long long)h.off);
    }
    *out = dst;
    *len = (size_t)cs;
    return SKV_OK;
}

/* Reads the stored block at h (checking bounds, checksum and compression) into a new buffer
 * that begins with head spare bytes: the payload, decompressed, is at *out + head and has
 * *len bytes. The caller frees *out. */
static int tblr_read(SkvSstReader *r, SkvSstHandle h, const char *what, size_t head, uint8_t **out,
                     size_t *len) {
    *out = NULL;
    *len = 0;
    int rc = tblr_bounds(r, h, what);
    if (rc != SKV_OK) return rc;
    if (h.size > SIZE_MAX - head - SKV_SST_TRAILER)
        return skv__err(SKV_ENOMEM, "table %s: %s block too large", r->path, what);
    size_t n = (size_t)h.size + SKV_SST_TRAILER;
    uint8_t *buf = malloc(head + n);
    if (!buf) return skv__err(SKV_ENOMEM, "out of memory reading table %s", r->path);
    size_t got = 0;
    if (r->map) {
        memcpy(buf + head, r->map + h.off, n);
        got = n;
    } else {
        rc = r->env->read_at(r->file, h.off, buf + head, n, &got);
    }
    if (rc == SKV_OK && got < n)
        rc = skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu is truncated", r->path, what,
                      (unsigned long long)h.off);
    uint8_t comp = SKV_SST_COMPRESS_NONE;
    if (rc == SKV_OK) rc = tblr_verify(r, h, what, buf + head, &comp);
    if (rc == SKV_OK && comp == SKV_SST_COMPRESS_ZSTD) {
        rc = tblr_decompress(r, h, what, buf + head, head, out, len);
        free(buf);
        return rc;
    }
    if (rc != SKV_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = (size_t)h.size;
    return SKV_OK;
}

/* ---- opening ---- */

/* The value-log references at the end of a version-2 properties block: a count (>= 1),
 * then per file its number and record bytes, numbers strictly increasing, bytes above 0. */
static int tblr_parse_vrefs(SkvSstReader *r, const uint8_t *p, const uint8_t *end) {
    uint64_t count, prev = 0;
    size_t m;
    if (!(m = skv__get_varint(p, end, &count)) || count == 0 ||
        count > (uint64_t)(end - p - (ptrdiff_t)m) / 2)
        return -1;
    p += m;
    SkvSstProps *pr = &r->props;
    if (!(pr->vrefs = malloc((size_t)count * sizeof *pr->vrefs))) return -2;
    for (uint64_t i = 0; i < count; i++) {
        SkvVlogRef *x = &pr->vrefs[pr->nvrefs++];
        if (!(m = skv__get_varint(p, end, &x->file)) || x->file <= prev) return -1;
        p += m;
        if (!(m = skv__get_varint(p, end, &x->bytes)) || x->bytes == 0) return -1;
        p += m;
        prev = x->file;
    }
    return p == end ? 0 : -1;
}

/* The properties block; *nparts receives the optional partition count (0 when absent or 0).
 * Version 1: the partition count and the timestamp order may follow the keys (both optional);
 * version 2 (value pointers): both, then the value-log references. */
static int tblr_parse_props(SkvSstReader *r, const uint8_t *p, size_t n, uint32_t version,
                            uint64_t *nblocks, uint64_t *nparts) {
    const uint8_t *end = p + n;
    uint64_t v[6], parts = 0, ts_ordered = 0;
    SkvSstProps *pr = &r->props;
    size_t m;
    for (int i = 0; i < 4; i++) {
        if (!(m = skv__get_varint(p, end, &v[i]))) goto bad;
        p += m;
    }
    if (!(m = skv__get_varint(p, end, &v[4])) || v[4] > (uint64_t)(end - p - (ptrdiff_t)m))
        goto bad;
    p += m;
    const uint8_t *small = p;
    p += v[4];
    if (!(m = skv__get_varint(p, end, &v[5])) || v[5] > (uint64_t)(end - p - (ptrdiff_t)m))
        goto bad;
    p += m;
    const uint8_t *large = p;
    p += v[5];
    if (version == SKV_SST_TABLE_VERSION_VLOG) { /* partitions, timestamp order, references */
        if (!(m = skv__get_varint(p, end, &parts)) || parts > v[3]) goto bad;
        p += m;
        if (!(m = skv__get_varint(p, end, &ts_ordered)) || ts_ordered > 1) goto bad;
        int vr = tblr_parse_vrefs(r, p + m, end);
        if (vr == -2) return skv__err(SKV_ENOMEM, "out of memory opening table %s", r->path);
        if (vr) goto bad;
    } else if (p != end) { /* the partition count; 0 only when the timestamp order follows */
        if (!(m = skv__get_varint(p, end, &parts)) || parts > v[3]) goto bad;
        p += m;
        if (p != end &&
            (!(m = skv__get_varint(p, end, &ts_ordered)) || p + m != end || ts_ordered > 1))
            goto bad;
        if (p == end && parts == 0) goto bad;
    }
    p = large;
    if (v[0] == 0 || v[3] == 0 || v[3] > v[0] || v[1] > v[2] || v[2] > SKV_SST_SEQ_MAX ||
        skv__key_cmp(small, (size_t)v[4], p, (size_t)v[5]) > 0)
        goto bad;
    pr->smallest = malloc(v[4] ? (size_t)v[4] : 1);
    pr->largest = malloc(v[5] ? (size_t)v[5] : 1);
    if (!pr->smallest || !pr->largest)
        return skv__err(SKV_ENOMEM, "out of memory opening table %s", r->path);
    if (v[4]) memcpy(pr->smallest, small, (size_t)v[4]);
    if (v[5]) memcpy(pr->largest, p, (size_t)v[5]);
    pr->smallest_len = (size_t)v[4];
    pr->largest_len = (size_t)v[5];
    pr->entries = v[0];
    pr->min_seq = v[1];
    pr->max_seq = v[2];
    pr->ts_ordered = (int)ts_ordered;
    *nblocks = v[3];
    *nparts = parts;
    return SKV_OK;
bad:
    return skv__err(SKV_ECORRUPT, "table %s: properties block is malformed", r->path);
}

#define TBLR_ANY UINT64_MAX

/* Decodes the opened index block blk (n bytes, at offset off, `what` for messages) into x
 * (blk->count entries) and keys (n bytes): every entry a restart point (so the keys take no
 * more room than the block), the handles contiguous, the first at `first` (TBLR_ANY:
 * anywhere), each ending at or before `end`. */
static int tblr_decode_index(const SkvSstReader *r, const SkvSstBlock *blk, size_t n,
                             const char *what, uint64_t off, uint64_t first, uint64_t end,
                             SkvSstIndexEntry *x, uint8_t *keys) {
    if (n > UINT32_MAX)
        return skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu is too large", r->path,
                        what, (unsigned long long)off);
    if (blk->count == 0 || blk->nrestarts != blk->count)
        return skv__err(SKV_ECORRUPT,
                        "table %s: %s block at offset %llu has %u entries and %u restart points",
                        r->path, what, (unsigned long long)off, blk->count, blk->nrestarts);
    SkvSstBlockIter it;
    int rc = skv__sst_blockiter_init(&it, blk);
    if (rc != SKV_OK) return rc;
    size_t used = 0, i = 0;
    uint64_t next_off = first;
    for (skv__sst_blockiter_first(&it); skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_next(&it), i++) {
        SkvSstEntry e;
        skv__sst_blockiter_entry(&it, &e);
        const uint8_t *p = e.val;
        SkvSstHandle h;
        if (i >= blk->count || e.klen > n - used ||
            skv__sst_handle_decode(&p, e.val + e.vlen, &h) || p != e.val + e.vlen ||
            (next_off != TBLR_ANY && h.off != next_off) || h.size > end ||
            end - h.size < SKV_SST_TRAILER || h.off > end - h.size - SKV_SST_TRAILER) {
            rc = skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu: entry %zu is malformed",
                          r->path, what, (unsigned long long)off, i);
            break;
        }
        if (e.klen) memcpy(keys + used, e.key, e.klen);
        x[i].prefix = skv__sst_key_prefix(e.key, e.klen);
        x[i].key_off = (uint32_t)used;
        x[i].klen = (uint32_t)e.klen;
        x[i].seq = e.seq;
        x[i].h = h;
        used += e.klen;
        next_off = h.off + h.size + SKV_SST_TRAILER;
    }
    if (rc == SKV_OK) rc = skv__sst_blockiter_status(&it);
    skv__sst_blockiter_free(&it);
    if (rc == SKV_OK && i != blk->count)
        rc = skv__err(SKV_ECORRUPT, "table %s: %s block at offset %llu is malformed", r->path, what,
                      (unsigned long long)off);
    return rc;
}

/* Decodes the index block at offset off into r->index: for an unpartitioned table the data
 * blocks, contiguous from offset 0 up to at most data_end; for a partitioned one the
 * partitions, contiguous and ending at or before the index block. */
static int tblr_load_index(SkvSstReader *r, const uint8_t *data, size_t n, uint64_t off,
                           uint64_t data_end) {
    SkvSstBlock blk;
    int rc = skv__sst_block_open(&blk, data, n);
    if (rc != SKV_OK) return skv__sst_wrap_error(rc, r, "index", off);
    r->index = calloc(blk.count ? blk.count : 1, sizeof *r->index);
    r->index_keys = malloc(n);
    if (!r->index || !r->index_keys)
        return skv__err(SKV_ENOMEM, "out of memory opening table %s", r->path);
    rc = tblr_decode_index(r, &blk, n, "index", off, r->partitioned ? TBLR_ANY : 0,
                           r->partitioned ? off : data_end, r->index, r->index_keys);
    if (rc != SKV_OK) return rc;
    r->nblocks = blk.count;
    r->top.n = r->nblocks;
    r->top.e = r->index;
    r->top.keys = r->index_keys;
    return SKV_OK;
}

/* Reads the filter block into a buffer aligned to a cache line, so that a probe of the
 * blocked filter (64-byte blocks) touches exactly one line. */
static int tblr_read_filter(SkvSstReader *r, SkvSstHandle fh) {
    uint8_t *buf;
    size_t n;
    int rc = tblr_read(r, fh, "filter", 0, &buf, &n);
    if (rc != SKV_OK) return rc;
    r->filter = aligned_alloc(64, (n + 63) / 64 * 64 + 64);
    if (!r->filter) {
        free(buf);
        return skv__err(SKV_ENOMEM, "out of memory reading table %s", r->path);
    }
    memcpy(r->filter, buf, n);
    r->filter_len = n;
    free(buf);
    return SKV_OK;
}

static int tblr_open(SkvSstReader *r) {
    SkvEnv *env = r->env;
    int rc = env->open(env, r->path, SKV_ENV_READ, &r->file);
    if (rc != SKV_OK) {
        r->file = NULL;
        if (rc == SKV_NOTFOUND) return skv__err(SKV_ECORRUPT, "table %s is missing", r->path);
        return rc;
    }
    uint64_t size;
    if ((rc = env->size(r->file, &size)) != SKV_OK) return rc;
    if (size < SKV_SST_FOOTER_SIZE)
        return skv__err(SKV_ECORRUPT, "table %s: %llu bytes is shorter than the footer", r->path,
                        (unsigned long long)size);
    if (size > SKV_SST_MAX_FILE)
        return skv__err(SKV_ECORRUPT, "table %s: %llu bytes is too large", r->path,
                        (unsigned long long)size);
    r->props.size = size;

    uint8_t foot[SKV_SST_FOOTER_SIZE];
    size_t got = 0;
    if ((rc = env->read_at(r->file, size - sizeof foot, foot, sizeof foot, &got)) != SKV_OK)
        return rc;
    if (got != sizeof foot) return skv__err(SKV_ECORRUPT, "table %s: footer is truncated", r->path);
    if (skv__get_u64(foot + SKV_SST_FOOTER_HANDLES + 8) != SKV_SST_TABLE_MAGIC)
        return skv__err(SKV_ECORRUPT, "table %s: bad magic number (not a table file)", r->path);
    uint32_t version = skv__get_u32(foot + SKV_SST_FOOTER_HANDLES);
    if (version != SKV_SST_TABLE_VERSION && version != SKV_SST_TABLE_VERSION_VLOG)
        return skv__err(SKV_ECORRUPT, "table %s: unsupported format version %u", r->path,
                        (unsigned)version);
    if (skv__get_u32(foot + SKV_SST_FOOTER_HANDLES + 4) !=
        skv__checksum(foot, SKV_SST_FOOTER_HANDLES + 4))
        return skv__err(SKV_ECORRUPT, "table %s: footer checksum mismatch", r->path);
    SkvSstHandle ih, fh, ph;
    const uint8_t *p = foot, *hend = foot + SKV_SST_FOOTER_HANDLES;
    if (skv__sst_handle_decode(&p, hend, &ih) || skv__sst_handle_decode(&p, hend, &fh) ||
        skv__sst_handle_decode(&p, hend, &ph) || ih.size == 0 || ph.size == 0)
        return skv__err(SKV_ECORRUPT, "table %s: footer handles are malformed", r->path);
    uint64_t data_end = ih.off < ph.off ? ih.off : ph.off;
    if (fh.size > 0 && fh.off < data_end) data_end = fh.off;

    uint8_t *buf;
    size_t n;
    uint64_t nblocks = 0, nparts = 0;
    if ((rc = tblr_read(r, ph, "properties", 0, &buf, &n)) != SKV_OK) return rc;
    rc = tblr_parse_props(r, buf, n, version, &nblocks, &nparts);
    free(buf);
    if (rc != SKV_OK) return rc;
    r->partitioned = nparts > 0;

    if ((rc = tblr_read(r, ih, "index", 0, &buf, &n)) != SKV_OK) return rc;
    rc = tblr_load_index(r, buf, n, ih.off, data_end);
    free(buf);
    if (rc != SKV_OK) return rc;
    /* data blocks lie before the first partition, so the two never share a cache key */
    if (r->partitioned && r->index[0].h.off < data_end) data_end = r->index[0].h.off;
    r->data_end = data_end;
    const SkvSstIndexEntry *last = &r->index[r->nblocks - 1];
    if (r->nblocks != (r->partitioned ? nparts : nblocks) || r->nblocks > r->props.entries ||
        skv__key_cmp(r->index_keys + last->key_off, last->klen, r->props.largest,
                     r->props.largest_len) != 0 ||
        skv__key_cmp(r->index_keys, r->index[0].klen, r->props.smallest, r->props.smallest_len) < 0)
        return skv__err(SKV_ECORRUPT, "table %s: properties disagree with the index", r->path);

    if (r->partitioned && !(r->parts = calloc(r->nblocks, sizeof *r->parts)))
        return skv__err(SKV_ENOMEM, "out of memory opening table %s", r->path);
    if (fh.size > 0) {
        rc = tblr_read_filter(r, fh);
        if (rc == SKV_ECORRUPT) {
            /* a damaged filter is dropped: every key "may be present" */
            r->filter = NULL;
            r->filter_len = 0;
            r->filter_error = strdup(skv__errmsg_get()); /* NULL when out of memory */
            skv__errmsg_clear();
            rc = SKV_OK;
        }
    }
    return rc;
}

int skv__sst_open(SkvEnv *env, const char *path, uint64_t file_number, SkvCache *cache,
                  SkvSstReader **out) {
    *out = NULL;
    SkvSstReader *r = calloc(1, sizeof *r);
    size_t plen = strlen(path);
    if (r) r->path = malloc(plen + 1);
    if (!r || !r->path) {
        free(r);
        return skv__err(SKV_ENOMEM, "out of memory opening table %s", path);
    }
    memcpy(r->path, path, plen + 1);
    r->env = env;
    r->file_number = file_number;
    r->cache = cache;
    int rc = tblr_open(r);
    if (rc != SKV_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
        skv__sst_close(r);
        return skv__err(rc, "%s", msg);
    }
    *out = r;
    return SKV_OK;
}

int skv__sst_map(SkvSstReader *r) {
    if (r->map || !r->env->map) return SKV_OK;
    const uint8_t *p;
    int rc = r->env->map(r->file, r->props.size, &p);
    if (rc == SKV_OK) r->map = p;
    return rc;
}

void skv__sst_close(SkvSstReader *r) {
    if (!r) return;
    if (r->file) r->env->close(r->file);
    for (size_t p = 0; r->parts && p < r->nblocks; p++)
        free((void *)atomic_load_explicit(&r->parts[p], memory_order_relaxed));
    free((void *)r->parts);
    free(r->index);
    free(r->index_keys);
    free(r->filter);
    free(r->filter_error);
    skv__sst_props_free(&r->props);
    free(r->path);
    free(r);
}

const SkvSstProps *skv__sst_props(const SkvSstReader *r) { return &r->props; }

/* ---- data blocks ---- */

void skv__sst_pin_release(SkvSstPin *pin) {
    if (pin->handle) skv__cache_release(pin->cache, pin->handle);
    if (pin->reader_handle) skv__cache_release(pin->reader_cache, pin->reader_handle);
    free(pin->owned);
    memset(pin, 0, sizeof *pin);
}

static void tblr_free_loaded(void *value, size_t charge) {
    (void)charge;
    free(value);
}

/* Hands *out and its allocation (of charge bytes) to the cache, or to the pin. */
static int tblr_keep(SkvSstReader *r, uint64_t off, void *value, size_t charge, SkvSstPin *pin,
                     SkvCacheHandle **ch) {
    *ch = NULL;
    if (r->cache) {
        *ch = skv__cache_insert(r->cache, r->file_number, off, value, charge, tblr_free_loaded);
        if (!*ch) return skv__err(SKV_ENOMEM, "out of memory caching a block of table %s", r->path);
        pin->cache = r->cache;
        pin->handle = *ch;
        return SKV_OK;
    }
    pin->owned = value;
    return SKV_OK;
}

/* An uncompressed data block of a mapped table, viewed in place (no copy, no cache): its
 * checksum is checked at every use (unless the cursor asking `verified` it on this visit),
 * which also brings it into the processor's cache for the search that follows. 1 when h is
 * such a block (*out set, or rc an error), 0 when not. */
static int tblr_view_mapped(SkvSstReader *r, SkvSstHandle h, int verified, const SkvSstBlock **out,
                            SkvSstPin *pin, int *rc) {
    if (!r->map || tblr_bounds(r, h, "data") != SKV_OK ||
        r->map[h.off + h.size] != SKV_SST_COMPRESS_NONE)
        return 0; /* the bounds error, if any, is reported by the copying path */
    uint8_t comp;
    const uint8_t *p = r->map + h.off;
    if (!verified && (*rc = tblr_verify(r, h, "data", p, &comp)) != SKV_OK) return 1;
    if ((*rc = skv__sst_block_view(&pin->blk, p, (size_t)h.size)) != SKV_OK) {
        *rc = skv__sst_wrap_error(*rc, r, "data", h.off);
        return 1;
    }
    pin->mapped = 1;
    *out = &pin->blk;
    return 1;
}

int skv__sst_load_block(SkvSstReader *r, SkvSstHandle h, const SkvSstBlock **out, SkvSstPin *pin) {
    int mapped;
    return skv__sst_load_block_visit(r, h, 0, out, pin, &mapped);
}

int skv__sst_load_block_visit(SkvSstReader *r, SkvSstHandle h, int verified,
                              const SkvSstBlock **out, SkvSstPin *pin, int *mapped) {
    memset(pin, 0, sizeof *pin);
    *out = NULL;
    int rc;
    if ((*mapped = tblr_view_mapped(r, h, verified, out, pin, &rc))) return rc;
    if (r->cache) {
        SkvCacheHandle *ch = skv__cache_lookup(r->cache, r->file_number, h.off);
        if (ch) {
            *out = &((SkvSstLoaded *)skv__cache_value(ch))->blk;
            pin->cache = r->cache;
            pin->handle = ch;
            return SKV_OK;
        }
    }
    uint8_t *buf;
    size_t len;
    if ((rc = tblr_read(r, h, "data", sizeof(SkvSstLoaded), &buf, &len)) != SKV_OK) return rc;
    SkvSstLoaded *ld = (SkvSstLoaded *)(void *)buf;
    ld->len = len;
    /* the stored block's checksum was checked; the cursor checks each entry it decodes */
    if ((rc = skv__sst_block_view(&ld->blk, buf + sizeof *ld, len)) != SKV_OK) {
        free(buf);
        return skv__sst_wrap_error(rc, r, "data", h.off);
    }
    SkvCacheHandle *ch;
    if ((rc = tblr_keep(r, h.off, ld, sizeof *ld + len, pin, &ch)) != SKV_OK) return rc;
    *out = ch ? &((SkvSstLoaded *)skv__cache_value(ch))->blk : &ld->blk;
    return SKV_OK;
}

/* A partition in memory: the view, then its entries, then its keys, all one allocation. */
typedef struct {
    SkvSstPartition view;
    SkvSstIndexEntry ents[];
} TblrPart;

static int tblr_key_cmp(const SkvSstPartition *a, size_t i, const SkvSstPartition *b, size_t j) {
    const SkvSstIndexEntry *x = &a->e[i], *y = &b->e[j];
    int c = skv__key_cmp(a->keys + x->key_off, x->klen, b->keys + y->key_off, y->klen);
    if (c == 0) c = x->seq > y->seq ? -1 : x->seq < y->seq ? 1 : 0;
    return c;
}

size_t skv__sst_nparts(const SkvSstReader *r) { return r->partitioned ? r->nblocks : 1; }

int skv__sst_load_part(SkvSstReader *r, size_t p, const SkvSstPartition **out, SkvSstPin *pin) {
    memset(pin, 0, sizeof *pin);
    *out = NULL;
    if (!r->partitioned) {
        *out = &r->top;
        return SKV_OK;
    }
    const SkvSstPartition *kept = atomic_load_explicit(&r->parts[p], memory_order_acquire);
    if (kept) {
        *out = kept;
        return SKV_OK;
    }
    SkvSstHandle h = r->index[p].h;
    uint8_t *buf;
    size_t len;
    int rc = tblr_read(r, h, "index partition", 0, &buf, &len);
    if (rc != SKV_OK) return rc;
    SkvSstBlock blk;
    if ((rc = skv__sst_block_open(&blk, buf, len)) != SKV_OK) {
        free(buf);
        return skv__sst_wrap_error(rc, r, "index partition", h.off);
    }
    /* an entry takes at least 20 bytes of the block, so the entries fit 2 * len bytes */
    if (len > SIZE_MAX / 4) {
        free(buf);
        return skv__err(SKV_ENOMEM, "table %s: index partition block too large", r->path);
    }
    size_t count = blk.count, charge = sizeof(TblrPart) + count * sizeof(SkvSstIndexEntry) + len;
    TblrPart *pt = malloc(charge ? charge : 1);
    if (!pt) {
        free(buf);
        return skv__err(SKV_ENOMEM, "out of memory reading table %s", r->path);
    }
    uint8_t *keys = (uint8_t *)(pt->ents + count);
    rc = tblr_decode_index(r, &blk, len, "index partition", h.off, p == 0 ? 0 : TBLR_ANY,
                           r->data_end, pt->ents, keys);
    free(buf);
    if (rc == SKV_OK) {
        pt->view.n = count;
        pt->view.e = pt->ents;
        pt->view.keys = keys;
        /* it ends with its top-level key and starts after the previous partition's */
        if (tblr_key_cmp(&pt->view, count - 1, &r->top, p) != 0 ||
            (p > 0 && tblr_key_cmp(&pt->view, 0, &r->top, p - 1) <= 0))
            rc = skv__err(SKV_ECORRUPT,
                          "table %s: index partition block at offset %llu disagrees with the "
                          "top-level index",
                          r->path, (unsigned long long)h.off);
    }
    if (rc != SKV_OK) {
        free(pt);
        return rc;
    }
    /* the first thread to decode the partition publishes it; a racing one uses that copy */
    const SkvSstPartition *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&r->parts[p], &expected, &pt->view,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        free(pt);
        *out = expected;
        return SKV_OK;
    }
    *out = &pt->view;
    return SKV_OK;
}

/* ---- lookups ---- */

size_t skv__sst_part_find(const SkvSstPartition *pt, const void *key, size_t klen, uint64_t seq) {
    uint64_t prefix = skv__sst_key_prefix(key, klen);
    size_t lo = 0, hi = pt->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const SkvSstIndexEntry *x = &pt->e[mid];
        int c = x->prefix != prefix ? (x->prefix < prefix ? -1 : 1)
                                    : skv__key_cmp(pt->keys + x->key_off, x->klen, key, klen);
        if (c == 0) c = x->seq > seq ? -1 : x->seq < seq ? 1 : 0;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t skv__sst_index_find(const SkvSstReader *r, const void *key, size_t klen, uint64_t seq) {
    return skv__sst_part_find(&r->top, key, klen, seq);
}

int skv__sst_may_contain(const SkvSstReader *r, const void *key, size_t klen) {
    return !r->filter || skv__bloom_may_contain(r->filter, r->filter_len, key, klen);
}

int skv__sst_get(SkvSstReader *r, const void *key, size_t klen, uint64_t snap, SkvSstEntry *e,
                 SkvSstPin *pin) {
    memset(pin, 0, sizeof *pin);
    if (r->filter && !skv__bloom_may_contain(r->filter, r->filter_len, key, klen))
        return SKV_NOTFOUND;
    size_t p = 0;
    if (r->partitioned && (p = skv__sst_index_find(r, key, klen, snap)) == r->nblocks)
        return SKV_NOTFOUND;
    const SkvSstPartition *pt;
    SkvSstPin ppin;
    int rc = skv__sst_load_part(r, p, &pt, &ppin);
    if (rc != SKV_OK) return rc;
    /* a partition ends with its top-level key, so only an unpartitioned table ends here */
    size_t i = skv__sst_part_find(pt, key, klen, snap);
    int found = i < pt->n;
    SkvSstHandle h = found ? pt->e[i].h : (SkvSstHandle){0, 0};
    skv__sst_pin_release(&ppin); /* pt goes with it */
    if (!found) return SKV_NOTFOUND;
    const SkvSstBlock *blk;
    rc = skv__sst_load_block(r, h, &blk, pin);
    if (rc != SKV_OK) return rc;
    SkvSstBlockIter it;
    skv__sst_blockiter_init(&it, blk);
    skv__sst_blockiter_seek(&it, key, klen, snap);
    rc = skv__sst_blockiter_status(&it);
    if (rc != SKV_OK)
        rc = skv__sst_wrap_error(rc, r, "data", h.off);
    else if (!skv__sst_blockiter_valid(&it))
        rc = SKV_NOTFOUND;
    else {
        rc = SKV_NOTFOUND;
        SkvSstEntry x;
        skv__sst_blockiter_entry(&it, &x);
        if (x.klen == klen && (klen == 0 || memcmp(x.key, key, klen) == 0)) {
            *e = x;
            e->key = key; /* the cursor's key buffer goes away; the bytes are the same */
            rc = SKV_OK;
        }
    }
    skv__sst_blockiter_free(&it);
    if (rc != SKV_OK) skv__sst_pin_release(pin);
    return rc;
}
