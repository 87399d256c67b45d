/* fuzz_vlog_read.c — libFuzzer target for the value-log reader and the pointer decoder. The
 * input describes records (written with the real writer to an in-memory file), then damage
 * (byte flips, a truncation) applied to the file, then raw bytes decoded as a pointer. Every
 * record is read back with and without checksum verification: the answer is SKV_OK or
 * SKV_ECORRUPT (never a crash or an over-read), and with verification an SKV_OK value is the
 * value written. A decoded pointer encodes and decodes to the same fields.
 *
 * Input: u8 nflips, nflips x (u16 offset, u8 mask), u16 truncate-to (0xffff: none),
 * u8 ptrlen, ptrlen pointer bytes, then records: u8 klen, u16 vlen, key, value (to the end). */
#include <stdlib.h>

#include "base/base.h"
#include "env/env.h"
#include "vlog/vlog.h"

#include "fuzz_main.h"

enum { MAXREC = 64 };

static uint64_t fz_number(void *ctx) {
    (void)ctx;
    return 1;
}

typedef struct {
    const uint8_t *p, *end;
} Cursor;

static int take(Cursor *c, size_t n, const uint8_t **out) {
    if ((size_t)(c->end - c->p) < n) return -1;
    *out = c->p;
    c->p += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Cursor c = {data, data + size};
    const uint8_t *b;
    if (take(&c, 1, &b)) return 0;
    size_t nflips = b[0] % 16;
    const uint8_t *flips;
    if (take(&c, nflips * 3, &flips) || take(&c, 2, &b)) return 0;
    uint32_t trunc = skv__get_u16(b);
    if (take(&c, 1, &b)) return 0;
    size_t plen = b[0] % (SKV_VLOG_PTR_MAX + 4);
    const uint8_t *praw;
    if (take(&c, plen, &praw)) return 0;

    SkvVlogPtr p;
    if (skv__vlog_ptr_decode(praw, plen, &p) == SKV_OK) {
        uint8_t enc[SKV_VLOG_PTR_MAX];
        SkvVlogPtr q;
        size_t n = skv__vlog_ptr_encode(enc, &p);
        if (skv__vlog_ptr_decode(enc, n, &q) != SKV_OK || q.file != p.file ||
            q.offset != p.offset || q.vlen != p.vlen || q.vsum != p.vsum)
            abort();
    }

    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvVlogWriter *w;
    if (env->mkdir(env, "/v") || skv__vlog_writer_new(env, "/v", 1 << 20, fz_number, NULL, &w)) {
        skv__memfs_free(fs);
        return 0;
    }
    struct {
        const uint8_t *key, *val;
        size_t klen, vlen;
        SkvVlogPtr p;
    } recs[MAXREC];
    int nrec = 0;
    while (nrec < MAXREC && !take(&c, 3, &b)) {
        size_t kl = b[0], vl = skv__get_u16(b + 1) % 4096;
        const uint8_t *k, *v;
        if (take(&c, kl, &k)) break;
        if ((size_t)(c.end - c.p) < vl) vl = (size_t)(c.end - c.p);
        take(&c, vl, &v);
        if (skv__vlog_writer_add(w, k, kl, v, vl, &recs[nrec].p)) break;
        recs[nrec].key = k;
        recs[nrec].klen = kl;
        recs[nrec].val = v;
        recs[nrec].vlen = vl;
        nrec++;
    }
    int rc = skv__vlog_writer_sync(w);
    skv__vlog_writer_free(w);
    const char *path = "/v/00000000000000000001.vlog";
    char *file = NULL;
    size_t flen = 0;
    if (!rc && nrec > 0 && skv__env_read_file(env, path, &file, &flen) == SKV_OK) {
        for (size_t i = 0; i < nflips && flen; i++) {
            size_t off = skv__get_u16(flips + 3 * i) % flen;
            file[off] ^= (char)(flips[3 * i + 2] | 1);
        }
        if (trunc != 0xffff && trunc < flen) flen = trunc;
        if (skv__env_write_file_sync(env, path, file, flen) == SKV_OK) {
            SkvVlogFile *f;
            SkvVlogBuf buf = {0};
            int orc = skv__vlog_file_open(env, path, 1, &f);
            if (orc != SKV_OK && orc != SKV_ECORRUPT) abort();
            for (int i = 0; orc == SKV_OK && i < nrec; i++)
                for (int verify = 0; verify < 2; verify++) {
                    const uint8_t *val;
                    int r = skv__vlog_read(f, &recs[i].p, recs[i].key, recs[i].klen, verify, &buf,
                                           &val);
                    if (r != SKV_OK && r != SKV_ECORRUPT && r != SKV_ENOMEM) abort();
                    if (r == SKV_OK && verify &&
                        (recs[i].p.vlen != recs[i].vlen ||
                         (recs[i].vlen && memcmp(val, recs[i].val, recs[i].vlen) != 0)))
                        abort(); /* a damaged value passed verification */
                }
            /* the fuzzed pointer against the same file (any key): no crash */
            if (orc == SKV_OK && plen && skv__vlog_ptr_decode(praw, plen, &p) == SKV_OK &&
                p.vlen < (1u << 20)) {
                const uint8_t *val;
                p.file = 1;
                int r = skv__vlog_read(f, &p, "k", 1, 1, &buf, &val);
                if (r != SKV_OK && r != SKV_ECORRUPT && r != SKV_ENOMEM) abort();
            }
            skv__vlog_buf_free(&buf);
            if (orc == SKV_OK) skv__vlog_file_close(f);
        }
    }
    free(file);
    skv__memfs_free(fs);
    return 0;
}
