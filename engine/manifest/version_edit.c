/*
 * version_edit.c — version edits: building them (files deleted and added, the set-wide
 * counters) and their byte encoding, a sequence of tagged fields ended by an end tag (the
 * layout is in FORMAT.md). Decoding trusts no length and accepts each field tag once.
 */
#include <stdlib.h>

#include "base/base.h"
#include "manifest/manifest.h"
#include "mem/mem.h"

enum {
    VEDIT_TAG_END = 0,
    VEDIT_TAG_LOG_NUMBER = 1,
    VEDIT_TAG_NEXT_FILE = 2,
    VEDIT_TAG_LAST_SEQ = 3,
    VEDIT_TAG_LAST_TS = 4,
    VEDIT_TAG_DELETED = 5,
    VEDIT_TAG_ADDED = 6
};

void skv__edit_init(SkvVersionEdit *e) { memset(e, 0, sizeof *e); }

void skv__edit_free(SkvVersionEdit *e) {
    for (size_t i = 0; i < e->nadded; i++) {
        free(e->added[i].meta.smallest);
        free(e->added[i].meta.largest);
    }
    free(e->added);
    free(e->deleted);
    skv__edit_init(e);
}

/* Returns arr grown so that index n fits, or NULL when out of memory (arr is then unchanged).
 * The capacity is derived from the count alone: 4, then the next power of two. */
static void *vedit_grow(void *arr, size_t n, size_t elem) {
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0)) return arr; /* room is left */
    size_t cap = n ? n * 2 : 4;
    if (cap > SIZE_MAX / elem) return NULL;
    return realloc(arr, cap * elem);
}

int skv__edit_delete(SkvVersionEdit *e, int level, uint64_t number) {
    void *p = vedit_grow(e->deleted, e->ndeleted, sizeof *e->deleted);
    if (!p) return skv__err(SKV_ENOMEM, "version edit: out of memory");
    e->deleted = p;
    e->deleted[e->ndeleted].level = level;
    e->deleted[e->ndeleted].number = number;
    e->ndeleted++;
    return SKV_OK;
}

static uint8_t *vedit_dup(const uint8_t *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

int skv__edit_add(SkvVersionEdit *e, int level, const SkvFileMeta *meta) {
    void *p = vedit_grow(e->added, e->nadded, sizeof *e->added);
    if (!p) return skv__err(SKV_ENOMEM, "version edit: out of memory");
    e->added = p;
    SkvFileMeta m = *meta;
    m.smallest = vedit_dup(meta->smallest, meta->smallest_len);
    m.largest = vedit_dup(meta->largest, meta->largest_len);
    if (!m.smallest || !m.largest) {
        free(m.smallest);
        free(m.largest);
        return skv__err(SKV_ENOMEM, "version edit: out of memory");
    }
    e->added[e->nadded].level = level;
    e->added[e->nadded].meta = m;
    e->nadded++;
    return SKV_OK;
}

/* ---- encoding ---- */

static size_t vedit_file_len(int level, const SkvFileMeta *m) {
    return skv__varint_len(VEDIT_TAG_ADDED) + skv__varint_len((uint64_t)level) +
           skv__varint_len(m->number) + skv__varint_len(m->size) + skv__varint_len(m->entries) +
           skv__varint_len(m->min_seq) + skv__varint_len(m->max_seq) +
           skv__varint_len(m->smallest_len) + m->smallest_len + skv__varint_len(m->largest_len) +
           m->largest_len;
}

int skv__edit_encode(const SkvVersionEdit *e, uint8_t **out, size_t *len) {
    size_t n = 1; /* the end tag */
    if (e->has_log_number) n += 1 + skv__varint_len(e->log_number);
    if (e->has_next_file) n += 1 + skv__varint_len(e->next_file);
    if (e->has_last_seq) n += 1 + skv__varint_len(e->last_seq);
    if (e->has_last_ts) n += 1 + skv__varint_len(e->last_ts);
    for (size_t i = 0; i < e->ndeleted; i++) {
        if (e->deleted[i].level < 0)
            return skv__err(SKV_EINVAL, "version edit: negative level %d", e->deleted[i].level);
        n += 1 + skv__varint_len((uint64_t)e->deleted[i].level) +
             skv__varint_len(e->deleted[i].number);
    }
    for (size_t i = 0; i < e->nadded; i++) {
        if (e->added[i].level < 0)
            return skv__err(SKV_EINVAL, "version edit: negative level %d", e->added[i].level);
        n += vedit_file_len(e->added[i].level, &e->added[i].meta);
    }
    uint8_t *buf = malloc(n);
    if (!buf) return skv__err(SKV_ENOMEM, "version edit: out of memory (%zu bytes)", n);
    uint8_t *p = buf;
    if (e->has_log_number) {
        *p++ = VEDIT_TAG_LOG_NUMBER;
        p += skv__put_varint(p, e->log_number);
    }
    if (e->has_next_file) {
        *p++ = VEDIT_TAG_NEXT_FILE;
        p += skv__put_varint(p, e->next_file);
    }
    if (e->has_last_seq) {
        *p++ = VEDIT_TAG_LAST_SEQ;
        p += skv__put_varint(p, e->last_seq);
    }
    if (e->has_last_ts) {
        *p++ = VEDIT_TAG_LAST_TS;
        p += skv__put_varint(p, e->last_ts);
    }
    for (size_t i = 0; i < e->ndeleted; i++) {
        *p++ = VEDIT_TAG_DELETED;
        p += skv__put_varint(p, (uint64_t)e->deleted[i].level);
        p += skv__put_varint(p, e->deleted[i].number);
    }
    for (size_t i = 0; i < e->nadded; i++) {
        const SkvFileMeta *m = &e->added[i].meta;
        *p++ = VEDIT_TAG_ADDED;
        p += skv__put_varint(p, (uint64_t)e->added[i].level);
        p += skv__put_varint(p, m->number);
        p += skv__put_varint(p, m->size);
        p += skv__put_varint(p, m->entries);
        p += skv__put_varint(p, m->min_seq);
        p += skv__put_varint(p, m->max_seq);
        p += skv__put_varint(p, m->smallest_len);
        if (m->smallest_len) memcpy(p, m->smallest, m->smallest_len);
        p += m->smallest_len;
        p += skv__put_varint(p, m->largest_len);
        if (m->largest_len) memcpy(p, m->largest, m->largest_len);
        p += m->largest_len;
    }
    *p++ = VEDIT_TAG_END;
    *out = buf;
    *len = (size_t)(p - buf);
    return SKV_OK;
}

/* ---- decoding ---- */

typedef struct {
    const uint8_t *p, *start, *end;
} VeditReader;

static int vedit_bad(const VeditReader *r, const char *what) {
    return skv__err(SKV_ECORRUPT, "version edit: %s at byte %zu of %zu", what,
                    (size_t)(r->p - r->start), (size_t)(r->end - r->start));
}

static int vedit_u64(VeditReader *r, uint64_t *v, const char *what) {
    size_t n = skv__get_varint(r->p, r->end, v);
    if (n == 0) return vedit_bad(r, what);
    r->p += n;
    return SKV_OK;
}

static int vedit_level(VeditReader *r, int *level) {
    uint64_t v = 0;
    int rc = vedit_u64(r, &v, "truncated level");
    if (rc != SKV_OK) return rc;
    if (v >= SKV_MAX_LEVELS) return vedit_bad(r, "level out of range");
    *level = (int)v;
    return SKV_OK;
}

/* A length-prefixed key, copied into a malloc'ed buffer. */
static int vedit_key(VeditReader *r, uint8_t **key, uint32_t *len, const char *what) {
    uint64_t n = 0;
    int rc = vedit_u64(r, &n, what);
    if (rc != SKV_OK) return rc;
    if (n > UINT32_MAX || n > (uint64_t)(r->end - r->p)) return vedit_bad(r, what);
    *key = vedit_dup(r->p, (size_t)n);
    if (!*key) return skv__err(SKV_ENOMEM, "version edit: out of memory");
    *len = (uint32_t)n;
    r->p += n;
    return SKV_OK;
}

static int vedit_decode_added(VeditReader *r, SkvVersionEdit *e) {
    int level = 0;
    SkvFileMeta m;
    memset(&m, 0, sizeof m);
    int rc = vedit_level(r, &level);
    if (rc == SKV_OK) rc = vedit_u64(r, &m.number, "truncated file number");
    if (rc == SKV_OK) rc = vedit_u64(r, &m.size, "truncated file size");
    if (rc == SKV_OK) rc = vedit_u64(r, &m.entries, "truncated entry count");
    if (rc == SKV_OK) rc = vedit_u64(r, &m.min_seq, "truncated min_seq");
    if (rc == SKV_OK) rc = vedit_u64(r, &m.max_seq, "truncated max_seq");
    if (rc == SKV_OK && m.min_seq > m.max_seq) rc = vedit_bad(r, "min_seq above max_seq");
    if (rc == SKV_OK) rc = vedit_key(r, &m.smallest, &m.smallest_len, "truncated smallest key");
    if (rc == SKV_OK) rc = vedit_key(r, &m.largest, &m.largest_len, "truncated largest key");
    if (rc == SKV_OK && skv__key_cmp(m.smallest, m.smallest_len, m.largest, m.largest_len) > 0)
        rc = vedit_bad(r, "smallest key above largest key");
    void *p = rc == SKV_OK ? vedit_grow(e->added, e->nadded, sizeof *e->added) : NULL;
    if (rc == SKV_OK && !p) rc = skv__err(SKV_ENOMEM, "version edit: out of memory");
    if (rc != SKV_OK) {
        free(m.smallest);
        free(m.largest);
        return rc;
    }
    e->added = p;
    e->added[e->nadded].level = level;
    e->added[e->nadded].meta = m;
    e->nadded++;
    return SKV_OK;
}

/* A scalar field: at most once per edit. */
static int vedit_scalar(VeditReader *r, int *has, uint64_t *v, const char *what) {
    if (*has) return vedit_bad(r, what);
    int rc = vedit_u64(r, v, "truncated field");
    if (rc == SKV_OK) *has = 1;
    return rc;
}

static int vedit_decode_fields(VeditReader *r, SkvVersionEdit *e) {
    for (;;) {
        if (r->p >= r->end) return vedit_bad(r, "missing end tag");
        uint64_t tag = 0;
        int rc = vedit_u64(r, &tag, "truncated tag");
        if (rc != SKV_OK) return rc;
        switch (tag) {
        case VEDIT_TAG_END:
            if (r->p != r->end) return vedit_bad(r, "bytes after the end tag");
            return SKV_OK;
        case VEDIT_TAG_LOG_NUMBER:
            rc = vedit_scalar(r, &e->has_log_number, &e->log_number, "repeated log_number");
            break;
        case VEDIT_TAG_NEXT_FILE:
            rc = vedit_scalar(r, &e->has_next_file, &e->next_file, "repeated next_file");
            break;
        case VEDIT_TAG_LAST_SEQ:
            rc = vedit_scalar(r, &e->has_last_seq, &e->last_seq, "repeated last_seq");
            break;
        case VEDIT_TAG_LAST_TS:
            rc = vedit_scalar(r, &e->has_last_ts, &e->last_ts, "repeated last_ts");
            break;
        case VEDIT_TAG_DELETED: {
            int level = 0;
            uint64_t number = 0;
            rc = vedit_level(r, &level);
            if (rc == SKV_OK) rc = vedit_u64(r, &number, "truncated file number");
            if (rc == SKV_OK) rc = skv__edit_delete(e, level, number);
            break;
        }
        case VEDIT_TAG_ADDED: rc = vedit_decode_added(r, e); break;
        default: return vedit_bad(r, "unknown tag");
        }
        if (rc != SKV_OK) return rc;
    }
}

int skv__edit_decode(SkvVersionEdit *e, const void *data, size_t len) {
    skv__edit_init(e);
    if (len == 0) return skv__err(SKV_ECORRUPT, "version edit: empty");
    VeditReader r = {(const uint8_t *)data, (const uint8_t *)data, (const uint8_t *)data + len};
    int rc = vedit_decode_fields(&r, e);
    if (rc != SKV_OK) skv__edit_free(e);
    return rc;
}
