/*
 * sst_table_builder.c — writing table files: table options and properties, block handles, the
 * builder that cuts data blocks, compresses them with zstd when that pays, stores each with its
 * trailer (compression byte, checksum), collects the key hashes for the filter, and at finish
 * writes the filter block, the index partitions when the index is large, the properties block,
 * the index (or top-level index) block and the footer. Layout in FORMAT.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "base/base.h"
#include "mem/mem.h"
#include "sst/sst.h"
#include "sst/sst_table_int.h"

void skv__sst_options_default(SkvSstOptions *o) {
    o->block_size = 4096;
    o->restart_interval = 16;
    o->filter_bits_per_key = 10;
    o->compression = SKV_SST_COMPRESS_ZSTD;
    o->zstd_level = 3;
    o->index_partition_size = 16384;
}

void skv__sst_props_free(SkvSstProps *p) {
    if (!p) return;
    free(p->smallest);
    free(p->largest);
    free(p->vrefs);
    memset(p, 0, sizeof *p);
}

size_t skv__sst_handle_encode(uint8_t *p, SkvSstHandle h) {
    size_t n = skv__put_varint(p, h.off);
    return n + skv__put_varint(p + n, h.size);
}

int skv__sst_handle_decode(const uint8_t **p, const uint8_t *end, SkvSstHandle *h) {
    size_t m = skv__get_varint(*p, end, &h->off);
    if (!m) return -1;
    *p += m;
    if (!(m = skv__get_varint(*p, end, &h->size))) return -1;
    *p += m;
    return 0;
}

struct SkvSstBuilder {
    SkvEnv *env;
    SkvFile *file;
    char *path;
    SkvSstOptions o;
    SkvSstBlockBuilder data, index;
    uint64_t offset; /* bytes written so far */
    uint8_t *last;   /* user key of the last entry added */
    size_t last_len, last_cap;
    uint64_t last_seq, last_ts;
    int ts_unordered; /* some key's newer version has a larger timestamp than an older one */
    uint64_t *hashes; /* one per distinct user key, for the filter */
    size_t nhashes, hcap;
    uint64_t entries, min_seq, max_seq, nblocks;
    uint64_t nparts; /* index partitions written (0: the index is one block) */
    uint8_t *smallest;
    size_t smallest_len;
    SkvVlogRefs vrefs; /* value-log records the entries point at, per file */
    ZSTD_CCtx *cctx;
    uint8_t *zbuf; /* compression output */
    size_t zcap;
    int failed; /* the error that stopped the builder, or 0 */
};

static int tblb_reserve(uint8_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return SKV_OK;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    uint8_t *np = realloc(*p, ncap);
    if (!np) return skv__err(SKV_ENOMEM, "out of memory building a table");
    *p = np;
    *cap = ncap;
    return SKV_OK;
}

static void tblb_free(SkvSstBuilder *b) {
    skv__sst_block_builder_free(&b->data);
    skv__sst_block_builder_free(&b->index);
    ZSTD_freeCCtx(b->cctx);
    free(b->zbuf);
    free(b->last);
    free(b->hashes);
    free(b->smallest);
    skv__vlog_refs_free(&b->vrefs);
    free(b->path);
    free(b);
}

int skv__sst_builder_new(SkvEnv *env, const char *path, const SkvSstOptions *o,
                         SkvSstBuilder **out) {
    *out = NULL;
    if (o->block_size < 1) return skv__err(SKV_EINVAL, "table block size must be positive");
    if (o->restart_interval < 1)
        return skv__err(SKV_EINVAL, "table restart interval %d is not positive",
                        o->restart_interval);
    if (o->filter_bits_per_key < 0 || o->filter_bits_per_key > 100)
        return skv__err(SKV_EINVAL, "table filter bits per key %d outside 0..100",
                        o->filter_bits_per_key);
    if (o->compression != SKV_SST_COMPRESS_NONE && o->compression != SKV_SST_COMPRESS_ZSTD)
        return skv__err(SKV_EINVAL, "unknown table compression %d", o->compression);
    if (o->compression == SKV_SST_COMPRESS_ZSTD &&
        (o->zstd_level < ZSTD_minCLevel() || o->zstd_level > ZSTD_maxCLevel()))
        return skv__err(SKV_EINVAL, "zstd level %d outside %d..%d", o->zstd_level, ZSTD_minCLevel(),
                        ZSTD_maxCLevel());
    SkvSstBuilder *b = calloc(1, sizeof *b);
    if (!b) return skv__err(SKV_ENOMEM, "out of memory creating table %s", path);
    b->env = env;
    b->o = *o;
    size_t plen = strlen(path);
    b->path = malloc(plen + 1);
    if (!b->path) {
        tblb_free(b);
        return skv__err(SKV_ENOMEM, "out of memory creating table %s", path);
    }
    memcpy(b->path, path, plen + 1);
    int rc = skv__sst_block_builder_init(&b->data, o->restart_interval);
    if (rc == SKV_OK) rc = skv__sst_block_builder_init(&b->index, 1);
    if (rc == SKV_OK && o->compression == SKV_SST_COMPRESS_ZSTD) {
        b->cctx = ZSTD_createCCtx();
        if (!b->cctx) rc = skv__err(SKV_ENOMEM, "out of memory creating table %s", path);
    }
    if (rc == SKV_OK) rc = env->open(env, path, SKV_ENV_TRUNCATE, &b->file);
    if (rc != SKV_OK) {
        b->file = NULL;
        tblb_free(b);
        return rc;
    }
    *out = b;
    return SKV_OK;
}

/* Stores one block: payload (compressed when allowed and it saves at least 1/8), the
 * compression byte and the checksum over both. *h receives the payload's place. */
static int tblb_write_block(SkvSstBuilder *b, const uint8_t *raw, size_t n, int compress,
                            SkvSstHandle *h) {
    uint8_t comp = SKV_SST_COMPRESS_NONE;
    const uint8_t *pay = raw;
    size_t plen = n;
    if (compress && b->o.compression == SKV_SST_COMPRESS_ZSTD && n >= 8 &&
        n <= SKV_SST_MAX_UNCOMPRESSED) {
        size_t bound = ZSTD_compressBound(n);
        int rc = tblb_reserve(&b->zbuf, &b->zcap, bound);
        if (rc) return rc;
        size_t z = ZSTD_compressCCtx(b->cctx, b->zbuf, bound, raw, n, b->o.zstd_level);
        if (!ZSTD_isError(z) && z <= n - n / 8) {
            pay = b->zbuf;
            plen = z;
            comp = SKV_SST_COMPRESS_ZSTD;
        }
    }
    if (b->offset + (uint64_t)plen + SKV_SST_TRAILER + SKV_SST_FOOTER_SIZE > SKV_SST_MAX_FILE)
        return skv__err(SKV_EINVAL, "table %s would pass the largest file size", b->path);
    uint8_t trailer[SKV_SST_TRAILER];
    trailer[0] = comp;
    skv__put_u32(trailer + 1, skv__checksum2(pay, plen, &comp, 1));
    int rc = b->env->append(b->file, pay, plen);
    if (rc == SKV_OK) rc = b->env->append(b->file, trailer, sizeof trailer);
    if (rc != SKV_OK) return rc;
    h->off = b->offset;
    h->size = plen;
    b->offset += plen + SKV_SST_TRAILER;
    return SKV_OK;
}

/* Writes the current data block and adds its index entry (last key -> handle). */
static int tblb_flush(SkvSstBuilder *b) {
    const uint8_t *raw;
    size_t n;
    SkvSstHandle h;
    int rc = skv__sst_block_finish(&b->data, &raw, &n);
    if (rc == SKV_OK) rc = tblb_write_block(b, raw, n, 1, &h);
    if (rc != SKV_OK) return rc;
    uint8_t enc[20];
    size_t elen = skv__sst_handle_encode(enc, h);
    rc = skv__sst_block_add(&b->index, b->last, b->last_len, b->last_seq, SKV_KIND_VALUE, 0, enc,
                            elen);
    if (rc != SKV_OK) return rc;
    skv__sst_block_builder_reset(&b->data);
    b->nblocks++;
    return SKV_OK;
}

int skv__sst_builder_add(SkvSstBuilder *b, const void *key, size_t klen, uint64_t seq, int kind,
                         uint64_t ts, const void *val, size_t vlen) {
    if (b->failed)
        return skv__err(b->failed, "table %s: the builder stopped after an earlier error", b->path);
    if (seq > SKV_SST_SEQ_MAX)
        return skv__err(SKV_EINVAL, "table %s: sequence number out of range", b->path);
    if (kind < 0 || kind > 255)
        return skv__err(SKV_EINVAL, "table %s: entry kind %d out of range", b->path, kind);
    if (klen > UINT32_MAX || vlen > UINT32_MAX)
        return skv__err(SKV_EINVAL, "table %s: entry too large", b->path);
    SkvVlogPtr vp = {0};
    if ((kind & SKV_KIND_VLOG_BIT) && skv__vlog_ptr_decode(val, vlen, &vp))
        return skv__err(SKV_EINVAL, "table %s: entry with a malformed value pointer", b->path);
    int newkey = 1;
    if (b->entries > 0) {
        int c = skv__key_cmp(b->last, b->last_len, key, klen);
        if (c > 0 || (c == 0 && b->last_seq <= seq))
            return skv__err(SKV_EINVAL, "table %s: entries added out of order", b->path);
        newkey = c != 0;
    }
    if (newkey && b->o.filter_bits_per_key > 0 && b->nhashes == b->hcap) {
        size_t ncap = b->hcap ? b->hcap * 2 : 256;
        uint64_t *nh = realloc(b->hashes, ncap * sizeof *nh);
        if (!nh) return skv__err(SKV_ENOMEM, "out of memory building table %s", b->path);
        b->hashes = nh;
        b->hcap = ncap;
    }
    int rc = tblb_reserve(&b->last, &b->last_cap, klen ? klen : 1);
    if (b->entries == 0 && rc == SKV_OK) {
        b->smallest = malloc(klen ? klen : 1);
        if (!b->smallest) rc = skv__err(SKV_ENOMEM, "out of memory building table %s", b->path);
    }
    if (rc == SKV_OK) rc = skv__sst_block_add(&b->data, key, klen, seq, kind, ts, val, vlen);
    if (rc != SKV_OK) return rc; /* nothing changed: the builder stays usable */

    if (b->entries == 0) {
        if (klen) memcpy(b->smallest, key, klen);
        b->smallest_len = klen;
        b->min_seq = b->max_seq = seq;
    }
    if (!newkey && ts > b->last_ts) b->ts_unordered = 1;
    if (klen) memcpy(b->last, key, klen);
    b->last_len = klen;
    b->last_seq = seq;
    b->last_ts = ts;
    if (newkey && b->o.filter_bits_per_key > 0)
        b->hashes[b->nhashes++] = skv__bloom_hash(key, klen);
    if (seq < b->min_seq) b->min_seq = seq;
    if (seq > b->max_seq) b->max_seq = seq;
    b->entries++;
    if ((kind & SKV_KIND_VLOG_BIT) &&
        (rc = skv__vlog_refs_add(&b->vrefs, vp.file, skv__vlog_record_size(klen, vp.vlen))))
        return b->failed = rc; /* the entry is in the table but not counted: stop */
    if (skv__sst_block_size_estimate(&b->data) >= b->o.block_size) {
        if ((rc = tblb_flush(b)) != SKV_OK) b->failed = rc;
    }
    return rc;
}

uint64_t skv__sst_builder_size(const SkvSstBuilder *b) {
    uint64_t n = b->offset + SKV_SST_FOOTER_SIZE + 3 * SKV_SST_TRAILER;
    if (skv__sst_block_count(&b->data) > 0)
        n += skv__sst_block_size_estimate(&b->data) + SKV_SST_TRAILER + 40 + b->last_len;
    size_t ilen = skv__sst_block_size_estimate(&b->index);
    n += ilen;
    if (b->o.index_partition_size > 0 && ilen > b->o.index_partition_size) /* top level */
        n += (ilen / b->o.index_partition_size + 1) * (SKV_SST_TRAILER + 48 + b->last_len) + 12;
    if (b->o.filter_bits_per_key > 0)
        n += ((uint64_t)b->nhashes * (uint64_t)b->o.filter_bits_per_key + 7) / 8 + 9;
    n += 60 + b->smallest_len + b->last_len + b->vrefs.n * 20; /* properties */
    return n;
}

uint64_t skv__sst_builder_entries(const SkvSstBuilder *b) { return b->entries; }

void skv__sst_builder_abandon(SkvSstBuilder *b) {
    if (!b) return;
    if (b->file) {
        b->env->close(b->file);
        b->file = NULL;
    }
    b->env->remove(b->env, b->path);
    tblb_free(b);
}

/* The properties block payload: entries, min seq, max seq, data block count (varints), then
 * the smallest and largest user keys (varint length, bytes), the partition count (varint, 0
 * when the index is one block) and the timestamp order (varint 1 or 0). A table with value
 * pointers (format version 2) then has the value-log references: their count, and per file
 * its number and record bytes (varints). */
static int tblb_write_props(SkvSstBuilder *b, SkvSstHandle *h) {
    size_t n = 7 * 10 + 2 * 10 + b->smallest_len + b->last_len + b->vrefs.n * 20;
    uint8_t *buf = malloc(n);
    if (!buf) return skv__err(SKV_ENOMEM, "out of memory building table %s", b->path);
    uint8_t *p = buf;
    p += skv__put_varint(p, b->entries);
    p += skv__put_varint(p, b->min_seq);
    p += skv__put_varint(p, b->max_seq);
    p += skv__put_varint(p, b->nblocks);
    p += skv__put_varint(p, b->smallest_len);
    if (b->smallest_len) memcpy(p, b->smallest, b->smallest_len);
    p += b->smallest_len;
    p += skv__put_varint(p, b->last_len);
    if (b->last_len) memcpy(p, b->last, b->last_len);
    p += b->last_len;
    p += skv__put_varint(p, b->nparts);
    p += skv__put_varint(p, b->ts_unordered ? 0 : 1);
    if (b->vrefs.n > 0) {
        p += skv__put_varint(p, b->vrefs.n);
        for (size_t i = 0; i < b->vrefs.n; i++) {
            p += skv__put_varint(p, b->vrefs.r[i].file);
            p += skv__put_varint(p, b->vrefs.r[i].bytes);
        }
    }
    int rc = tblb_write_block(b, buf, (size_t)(p - buf), 0, h);
    free(buf);
    return rc;
}

/* Cuts the finished index block (raw, n bytes) into partitions of about index_partition_size
 * bytes, writes each, and builds in top the top-level index (each partition's last key ->
 * its handle). */
static int tblb_write_partitions(SkvSstBuilder *b, const uint8_t *raw, size_t n,
                                 SkvSstBlockBuilder *top) {
    SkvSstBlock blk;
    SkvSstBlockBuilder part;
    SkvSstBlockIter it;
    int rc = skv__sst_block_open(&blk, raw, n);
    if (rc != SKV_OK) return rc;
    if ((rc = skv__sst_block_builder_init(&part, 1)) != SKV_OK) return rc;
    if ((rc = skv__sst_blockiter_init(&it, &blk)) != SKV_OK) {
        skv__sst_block_builder_free(&part);
        return rc;
    }
    for (skv__sst_blockiter_first(&it); rc == SKV_OK && skv__sst_blockiter_valid(&it);
         skv__sst_blockiter_next(&it)) {
        SkvSstEntry e;
        skv__sst_blockiter_entry(&it, &e);
        rc = skv__sst_block_add(&part, e.key, e.klen, e.seq, e.kind, e.ts, e.val, e.vlen);
        int last = it.next >= blk.data_end;
        if (rc != SKV_OK ||
            (!last && skv__sst_block_size_estimate(&part) < b->o.index_partition_size))
            continue;
        const uint8_t *praw;
        size_t plen;
        SkvSstHandle h;
        uint8_t enc[20];
        rc = skv__sst_block_finish(&part, &praw, &plen);
        if (rc == SKV_OK) rc = tblb_write_block(b, praw, plen, 0, &h);
        if (rc == SKV_OK)
            rc = skv__sst_block_add(top, e.key, e.klen, e.seq, e.kind, 0, enc,
                                    skv__sst_handle_encode(enc, h));
        skv__sst_block_builder_reset(&part);
        b->nparts++;
    }
    if (rc == SKV_OK) rc = skv__sst_blockiter_status(&it);
    skv__sst_blockiter_free(&it);
    skv__sst_block_builder_free(&part);
    return rc;
}

static int tblb_finish_file(SkvSstBuilder *b) {
    int rc = SKV_OK;
    SkvSstHandle fh = {0, 0}, ph, ih;
    if (skv__sst_block_count(&b->data) > 0 && (rc = tblb_flush(b)) != SKV_OK) return rc;
    if (b->o.filter_bits_per_key > 0) {
        uint8_t *f;
        size_t flen;
        rc = skv__bloom_build(b->hashes, b->nhashes, b->o.filter_bits_per_key, &f, &flen);
        if (rc != SKV_OK) return rc;
        rc = tblb_write_block(b, f, flen, 0, &fh);
        free(f);
        if (rc != SKV_OK) return rc;
    }
    const uint8_t *raw;
    size_t n;
    if ((rc = skv__sst_block_finish(&b->index, &raw, &n)) != SKV_OK) return rc;
    if (b->o.index_partition_size > 0 && n > b->o.index_partition_size) {
        SkvSstBlockBuilder top;
        if ((rc = skv__sst_block_builder_init(&top, 1)) != SKV_OK) return rc;
        rc = tblb_write_partitions(b, raw, n, &top);
        if (rc == SKV_OK) rc = tblb_write_props(b, &ph);
        if (rc == SKV_OK) rc = skv__sst_block_finish(&top, &raw, &n);
        if (rc == SKV_OK) rc = tblb_write_block(b, raw, n, 0, &ih);
        skv__sst_block_builder_free(&top);
        if (rc != SKV_OK) return rc;
    } else {
        if ((rc = tblb_write_props(b, &ph)) != SKV_OK) return rc;
        if ((rc = tblb_write_block(b, raw, n, 0, &ih)) != SKV_OK) return rc;
    }

    uint8_t foot[SKV_SST_FOOTER_SIZE];
    memset(foot, 0, sizeof foot);
    size_t k = skv__sst_handle_encode(foot, ih);
    k += skv__sst_handle_encode(foot + k, fh);
    skv__sst_handle_encode(foot + k, ph); /* six varints of < 2^56: at most 48 bytes */
    skv__put_u32(foot + SKV_SST_FOOTER_HANDLES,
                 b->vrefs.n ? SKV_SST_TABLE_VERSION_VLOG : SKV_SST_TABLE_VERSION);
    skv__put_u32(foot + SKV_SST_FOOTER_HANDLES + 4,
                 skv__checksum(foot, SKV_SST_FOOTER_HANDLES + 4));
    skv__put_u64(foot + SKV_SST_FOOTER_HANDLES + 8, SKV_SST_TABLE_MAGIC);
    if ((rc = b->env->append(b->file, foot, sizeof foot)) != SKV_OK) return rc;
    b->offset += sizeof foot;
    if ((rc = b->env->sync(b->file)) != SKV_OK) return rc;
    rc = b->env->close(b->file);
    b->file = NULL;
    return rc;
}

int skv__sst_builder_finish(SkvSstBuilder *b, SkvSstProps *props) {
    if (props) memset(props, 0, sizeof *props);
    int rc = b->failed;
    if (rc)
        skv__err(rc, "table %s: the builder stopped after an earlier error", b->path);
    else if (b->entries == 0)
        rc = skv__err(SKV_EINVAL, "table %s: a table must hold at least one entry", b->path);
    else
        rc = tblb_finish_file(b);
    uint8_t *largest = NULL;
    if (rc == SKV_OK && props) {
        largest = malloc(b->last_len ? b->last_len : 1);
        if (!largest) rc = skv__err(SKV_ENOMEM, "out of memory finishing table %s", b->path);
    }
    if (rc != SKV_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", skv__errmsg_get());
        skv__sst_builder_abandon(b);
        return skv__err(rc, "%s", msg); /* what went wrong, not the clean-up */
    }
    if (props) {
        if (b->last_len) memcpy(largest, b->last, b->last_len);
        props->size = b->offset;
        props->entries = b->entries;
        props->min_seq = b->min_seq;
        props->max_seq = b->max_seq;
        props->smallest = b->smallest;
        props->smallest_len = b->smallest_len;
        props->largest = largest;
        props->largest_len = b->last_len;
        props->ts_ordered = !b->ts_unordered;
        props->vrefs = b->vrefs.r;
        props->nvrefs = b->vrefs.n;
        b->smallest = NULL;
        memset(&b->vrefs, 0, sizeof b->vrefs);
    }
    tblb_free(b);
    return SKV_OK;
}
