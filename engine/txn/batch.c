/* batch.c — encoding and decoding of a transaction's commit record (the log payload). */
#include <stdlib.h>

#include "mem/mem.h"
#include "txn/txn.h"

size_t skv__batch_size(const SkvWriteSet *ws) {
    size_t n = SKV_BATCH_HEADER;
    for (size_t i = 0; i < ws->n; i++) {
        const SkvWrite *w = &ws->w[i];
        n += 1 + skv__varint_len(w->klen) + w->klen + skv__varint_len(w->vlen) + w->vlen +
             skv__varint_len(w->ts);
    }
    return n;
}

void skv__batch_encode_to(const SkvWriteSet *ws, uint8_t *out) {
    uint8_t *p = out;
    *p = SKV_BATCH_FORMAT;
    memset(p + 1, 0, 16);
    skv__put_u32(p + 17, (uint32_t)ws->n);
    p += SKV_BATCH_HEADER;
    for (size_t i = 0; i < ws->n; i++) {
        const SkvWrite *w = &ws->w[i];
        *p++ = (uint8_t)w->kind;
        p += skv__put_varint(p, w->klen);
        memcpy(p, w->key, w->klen);
        p += w->klen;
        p += skv__put_varint(p, w->vlen);
        if (w->vlen) memcpy(p, w->val, w->vlen);
        p += w->vlen;
        p += skv__put_varint(p, w->ts);
    }
}

int skv__batch_encode(const SkvWriteSet *ws, uint8_t **out, size_t *len) {
    size_t n = skv__batch_size(ws);
    uint8_t *b = malloc(n);
    if (!b) return SKV_ENOMEM;
    skv__batch_encode_to(ws, b);
    *out = b;
    *len = n;
    return SKV_OK;
}

void skv__batch_stamp(uint8_t *rec, uint64_t first_seq, uint64_t commit_ts) {
    skv__put_u64(rec + 1, first_seq);
    skv__put_u64(rec + 9, commit_ts);
}

int skv__batch_open(SkvBatchReader *r, const void *rec, size_t len) {
    const uint8_t *p = rec;
    if (len < SKV_BATCH_HEADER || p[0] != SKV_BATCH_FORMAT)
        return skv__err(SKV_ECORRUPT, "commit record of %zu bytes has a bad header", len);
    r->p = p + SKV_BATCH_HEADER;
    r->end = p + len;
    r->first_seq = skv__get_u64(p + 1);
    r->commit_ts = skv__get_u64(p + 9);
    r->count = skv__get_u32(p + 17);
    r->next = 0;
    return SKV_OK;
}

static int batch_valid_kind(int kind) {
    return kind == SKV_KIND_DELETE || kind == SKV_KIND_SOFT_DELETE || kind == SKV_KIND_VALUE ||
           kind == SKV_KIND_REPLACE;
}

int skv__batch_next(SkvBatchReader *r, SkvWrite *out, uint64_t *seq) {
    if (r->next == r->count) {
        if (r->p != r->end) return skv__err(SKV_ECORRUPT, "commit record has trailing bytes");
        return SKV_NOTFOUND;
    }
    const uint8_t *p = r->p;
    uint64_t klen, vlen, ts;
    size_t k;
    if (p >= r->end || !batch_valid_kind(*p)) goto bad;
    out->kind = *p++;
    if (!(k = skv__get_varint(p, r->end, &klen)) || klen > (size_t)(r->end - p - k)) goto bad;
    p += k;
    out->key = (uint8_t *)p;
    out->klen = (uint32_t)klen;
    p += klen;
    if (!(k = skv__get_varint(p, r->end, &vlen)) || vlen > (size_t)(r->end - p - k)) goto bad;
    p += k;
    out->val = (uint8_t *)p;
    out->vlen = (uint32_t)vlen;
    p += vlen;
    if (!(k = skv__get_varint(p, r->end, &ts))) goto bad;
    p += k;
    out->ts = ts ? ts : r->commit_ts;
    *seq = r->first_seq + r->next++;
    r->p = p;
    return SKV_OK;
bad:
    return skv__err(SKV_ECORRUPT, "commit record entry %u is malformed", r->next);
}
