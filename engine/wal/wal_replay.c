/*
 * wal_replay.c — reading a log segment back: fragments are checked and reassembled into
 * records handed to a callback in order; damage is classified as a torn tail (no intact
 * record after it) or corruption (an intact record after it), as FORMAT.md describes.
 */
#include <stdlib.h>

#include "base/base.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

enum { WALR_OK = 0, WALR_TRUNC, WALR_ZERO, WALR_BADTYPE, WALR_OVERFLOW, WALR_CHECKSUM };

typedef struct WalrFrag {
    int type;
    const uint8_t *payload;
    size_t len;
    size_t next; /* offset just past the fragment */
} WalrFrag;

typedef struct WalrBuf {
    uint8_t *p;
    size_t len, cap;
} WalrBuf;

static const char *walr_reason(int st) {
    switch (st) {
    case WALR_TRUNC: return "cut by the end of the file";
    case WALR_ZERO: return "zeroed header";
    case WALR_BADTYPE: return "unknown fragment type";
    case WALR_OVERFLOW: return "fragment length runs past the block";
    case WALR_CHECKSUM: return "checksum mismatch";
    default: return "damaged";
    }
}

/* Where the next fragment can start at or after pos: skips a block trailer. */
static size_t walr_skip_trailer(size_t pos) {
    size_t room = SKV_WAL_BLOCK_SIZE - pos % SKV_WAL_BLOCK_SIZE;
    return room < SKV_WAL_HEADER_SIZE ? pos + room : pos;
}

/* Checks the fragment at pos (which leaves room for a header in its block). */
static int walr_parse(const uint8_t *buf, size_t size, size_t pos, WalrFrag *fr) {
    if (size - pos < SKV_WAL_HEADER_SIZE) return WALR_TRUNC;
    const uint8_t *h = buf + pos;
    size_t len = skv__get_u16(h + 4);
    int type = h[6];
    if (type == SKV_WAL_ZERO) return WALR_ZERO;
    if (type > SKV_WAL_LAST) return WALR_BADTYPE;
    if (pos % SKV_WAL_BLOCK_SIZE + SKV_WAL_HEADER_SIZE + len > SKV_WAL_BLOCK_SIZE)
        return WALR_OVERFLOW;
    if (size - pos - SKV_WAL_HEADER_SIZE < len) return WALR_TRUNC;
    if (skv__get_u32(h) != skv__wal_frag_checksum(h, h + SKV_WAL_HEADER_SIZE, len))
        return WALR_CHECKSUM;
    fr->type = type;
    fr->payload = h + SKV_WAL_HEADER_SIZE;
    fr->len = len;
    fr->next = pos + SKV_WAL_HEADER_SIZE + len;
    return WALR_OK;
}

/* 1 when an intact record (FULL, or FIRST MIDDLE* LAST all intact) starts at pos. */
static int walr_record_at(const uint8_t *buf, size_t size, size_t pos) {
    WalrFrag fr;
    if (walr_parse(buf, size, pos, &fr) != WALR_OK) return 0;
    if (fr.type == SKV_WAL_FULL) return 1;
    if (fr.type != SKV_WAL_FIRST) return 0;
    for (;;) {
        pos = walr_skip_trailer(fr.next);
        if (pos >= size || walr_parse(buf, size, pos, &fr) != WALR_OK) return 0;
        if (fr.type == SKV_WAL_LAST) return 1;
        if (fr.type != SKV_WAL_MIDDLE) return 0;
    }
}

/* 1 when an intact record starts after the damage at x: at any byte offset in the rest of
 * x's block, or among the fragments walked from any later block boundary. */
static int walr_intact_after(const uint8_t *buf, size_t size, size_t x) {
    size_t bstart = x - x % SKV_WAL_BLOCK_SIZE;
    size_t bend = size - bstart < SKV_WAL_BLOCK_SIZE ? size : bstart + SKV_WAL_BLOCK_SIZE;
    for (size_t p = x + 1; p + SKV_WAL_HEADER_SIZE <= bend; p++)
        if (walr_record_at(buf, size, p)) return 1;
    for (size_t b = bstart + SKV_WAL_BLOCK_SIZE; b < size && b > bstart; b += SKV_WAL_BLOCK_SIZE) {
        size_t q = b;
        while (q < size && q - b < SKV_WAL_BLOCK_SIZE - (SKV_WAL_HEADER_SIZE - 1)) {
            WalrFrag fr;
            if (walr_parse(buf, size, q, &fr) != WALR_OK) break;
            if (fr.type == SKV_WAL_FULL || fr.type == SKV_WAL_FIRST) {
                if (walr_record_at(buf, size, q)) return 1;
                if (fr.type == SKV_WAL_FIRST) break; /* its chain is broken */
            }
            q = fr.next; /* MIDDLE and LAST continue a record begun before b */
        }
    }
    return 0;
}

static int walr_buf_add(WalrBuf *b, const uint8_t *p, size_t n) {
    if (n > b->cap - b->len) {
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap - b->len < n) ncap *= 2;
        uint8_t *np = realloc(b->p, ncap);
        if (!np) return -1;
        b->p = np;
        b->cap = ncap;
    }
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int skv__wal_replay(SkvEnv *env, const char *path, int mode, int is_last, SkvWalRecordFn fn,
                    void *user_data, uint64_t *valid_end) {
    char *file;
    size_t size;
    int rc = skv__env_read_file(env, path, &file, &size);
    if (rc != SKV_OK) return rc;
    const uint8_t *buf = (const uint8_t *)file;
    WalrBuf rec = {0};
    size_t pos = 0, last_end = 0, chain_start = 0;
    int in_chain = 0, damage = WALR_OK, stopped = 0;
    size_t x = 0; /* offset of the damage */
    const char *why = NULL;
    for (;;) {
        pos = walr_skip_trailer(pos);
        if (pos >= size) {
            if (in_chain) {
                x = chain_start;
                why = "record cut by the end of the file";
                damage = WALR_TRUNC;
            }
            break;
        }
        WalrFrag fr;
        int st = walr_parse(buf, size, pos, &fr);
        if (st != WALR_OK) {
            x = pos;
            why = walr_reason(st);
            damage = st;
            break;
        }
        if ((fr.type == SKV_WAL_FULL || fr.type == SKV_WAL_FIRST) && in_chain) {
            x = chain_start;
            why = "record without its last fragment";
            damage = WALR_BADTYPE;
            break;
        }
        if ((fr.type == SKV_WAL_MIDDLE || fr.type == SKV_WAL_LAST) && !in_chain) {
            x = pos;
            why = "fragment without the start of its record";
            damage = WALR_BADTYPE;
            break;
        }
        if (fr.type == SKV_WAL_FIRST) {
            in_chain = 1;
            chain_start = pos;
            rec.len = 0;
        }
        if (fr.type != SKV_WAL_FULL && walr_buf_add(&rec, fr.payload, fr.len) < 0) {
            rc = skv__err(SKV_ENOMEM, "%s: out of memory reading a log record", path);
            break;
        }
        pos = fr.next;
        if (fr.type == SKV_WAL_FULL || fr.type == SKV_WAL_LAST) {
            in_chain = 0;
            last_end = pos;
            int r = fr.type == SKV_WAL_FULL ? fn(user_data, fr.payload, fr.len)
                                            : fn(user_data, rec.len ? rec.p : fr.payload, rec.len);
            if (r != 0) {
                rc = r;
                stopped = 1;
                break;
            }
        }
    }
    if (rc == SKV_OK && damage != WALR_OK) {
        if (mode == SKV_WAL_TOLERATE_TAIL && is_last && !walr_intact_after(buf, size, x)) {
            /* torn tail: dropped */
        } else {
            rc = skv__err(SKV_ECORRUPT, "%s: corrupt log record at offset %zu (%s)", path, x, why);
        }
    }
    /* a file ending in (part of) a block trailer still ends at its last record */
    if (valid_end && (rc == SKV_OK || stopped)) *valid_end = last_end;
    free(rec.p);
    free(file);
    return rc;
}
