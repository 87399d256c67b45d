/* test_vlog.c — the value-log module (engine/vlog) on memfs: pointer coding and its malformed
 * forms, file names, reference lists, record round trips (empty, small and buffer-sized
 * values, with and without checksum verification), rolling at the size limit with exact file
 * numbers and sizes, sealing, writer I/O errors, and every kind of damage: each gives
 * SKV_ECORRUPT naming the file and offset for the damaged record only, the others still read
 * back exactly; every single-byte flip of a small file is caught or harmless. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "env/env.h"
#include "test.h"
#include "vlog/vlog.h"

/* ---- pointers, names, references ---- */

static void test_ptr_round_trip(void) {
    SkvVlogPtr cases[] = {{1, 24, 0, 0},
                          {7, 4096, 1025, 0xdeadbeef},
                          {UINT64_MAX, UINT64_MAX, SKV_MAX_VALUE_SIZE, 0xffffffffu}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[SKV_VLOG_PTR_MAX + 1];
        size_t n = skv__vlog_ptr_encode(buf, &cases[i]);
        CHECK(n <= SKV_VLOG_PTR_MAX);
        SkvVlogPtr p;
        CHECK_RC(skv__vlog_ptr_decode(buf, n, &p), SKV_OK);
        CHECK_EQ_U64(p.file, cases[i].file);
        CHECK_EQ_U64(p.offset, cases[i].offset);
        CHECK_EQ_U64(p.vlen, cases[i].vlen);
        CHECK_EQ_U64(p.vsum, cases[i].vsum);
        /* every proper prefix, and one byte more, is malformed */
        for (size_t k = 0; k < n; k++) CHECK_RC(skv__vlog_ptr_decode(buf, k, &p), SKV_ECORRUPT);
        buf[n] = 0;
        CHECK_RC(skv__vlog_ptr_decode(buf, n + 1, &p), SKV_ECORRUPT);
    }
    /* the smallest pointer is 1 + 1 + 1 + 1 + 4 bytes */
    uint8_t small[SKV_VLOG_PTR_MAX];
    SkvVlogPtr sp = {1, 24, 0, 0};
    CHECK_EQ_U64(skv__vlog_ptr_encode(small, &sp), 8);
}

static void test_ptr_malformed(void) {
    SkvVlogPtr p;
    /* format 2, file 0, offset inside the file header, value above the maximum */
    const uint8_t fmt[] = {2, 1, 24, 0, 0, 0, 0, 0};
    const uint8_t file0[] = {1, 0, 24, 0, 0, 0, 0, 0};
    const uint8_t off23[] = {1, 1, 23, 0, 0, 0, 0, 0};
    const uint8_t big[] = {1, 1, 24, 0x81, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0}; /* 2^28 + 1 */
    const uint8_t badvar[] = {1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    CHECK_RC(skv__vlog_ptr_decode(fmt, sizeof fmt, &p), SKV_ECORRUPT);
    CHECK(strstr(skv_errmsg(), "malformed value pointer") != NULL);
    CHECK_RC(skv__vlog_ptr_decode(file0, sizeof file0, &p), SKV_ECORRUPT);
    CHECK_RC(skv__vlog_ptr_decode(off23, sizeof off23, &p), SKV_ECORRUPT);
    CHECK_RC(skv__vlog_ptr_decode(big, sizeof big, &p), SKV_ECORRUPT);
    CHECK_RC(skv__vlog_ptr_decode(badvar, sizeof badvar, &p), SKV_ECORRUPT);
    CHECK_RC(skv__vlog_ptr_decode(fmt, 0, &p), SKV_ECORRUPT);
}

static void test_names(void) {
    char *p = skv__vlog_path("/db", 42);
    CHECK(p && strcmp(p, "/db/00000000000000000042.vlog") == 0);
    free(p);
    uint64_t n = 0;
    CHECK(skv__vlog_parse_name("00000000000000000042.vlog", &n) == 1);
    CHECK_EQ_U64(n, 42);
    CHECK(skv__vlog_parse_name("18446744073709551615.vlog", &n) == 1);
    CHECK_EQ_U64(n, UINT64_MAX);
    CHECK(skv__vlog_parse_name("18446744073709551616.vlog", &n) == 0); /* overflow */
    CHECK(skv__vlog_parse_name("0000000000000000042.vlog", &n) == 0);
    CHECK(skv__vlog_parse_name("00000000000000000042.sst", &n) == 0);
    CHECK(skv__vlog_parse_name("0000000000000000004x.vlog", &n) == 0);
    CHECK(skv__vlog_parse_name("00000000000000000042.vlog.tmp", &n) == 0);
}

static void test_refs(void) {
    SkvVlogRefs r = {0};
    uint64_t adds[][2] = {{5, 10}, {3, 1}, {5, 7}, {9, 2}, {1, 4}, {9, 3}, {3, 5}};
    for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++)
        CHECK_RC(skv__vlog_refs_add(&r, adds[i][0], adds[i][1]), SKV_OK);
    uint64_t want[][2] = {{1, 4}, {3, 6}, {5, 17}, {9, 5}};
    CHECK_EQ_U64(r.n, 4);
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_U64(r.r[i].file, want[i][0]);
        CHECK_EQ_U64(r.r[i].bytes, want[i][1]);
    }
    skv__vlog_refs_free(&r);
    CHECK(r.r == NULL && r.n == 0);
}

/* ---- writing and reading ---- */

typedef struct {
    uint64_t next;
    int calls;
} Numbers;

static uint64_t next_number(void *ctx) {
    Numbers *n = ctx;
    n->calls++;
    return n->next++;
}

enum { NREC = 40 };

typedef struct {
    char key[16];
    size_t klen;
    uint8_t *val;
    size_t vlen;
    SkvVlogPtr p;
} Rec;

/* Record i: key "key/<i>", a value of a length from a fixed list (0, 1, small, 1 KiB-ish,
 * one larger than the writer's buffer) with bytes derived from i. */
static void rec_make_len(Rec *r, int i, size_t vlen) {
    r->klen = (size_t)snprintf(r->key, sizeof r->key, "key/%d", i);
    r->vlen = vlen;
    r->val = malloc(r->vlen ? r->vlen : 1);
    for (size_t b = 0; b < r->vlen; b++) r->val[b] = (uint8_t)(i * 131 + b * 7 + (b >> 8));
}

static void rec_make(Rec *r, int i) {
    static const size_t lens[] = {0, 1, 17, 1000, 4000, 200000, 33, 1500};
    rec_make_len(r, i, lens[i % 8]);
}

static int read_back(SkvEnv *env, const Rec *r, int verify, SkvVlogBuf *buf, char *msg,
                     size_t msgn) {
    char *path = skv__vlog_path("/v", r->p.file);
    SkvVlogFile *f = NULL;
    int rc = skv__vlog_file_open(env, path, r->p.file, &f);
    free(path);
    const uint8_t *val = NULL;
    if (!rc) rc = skv__vlog_read(f, &r->p, r->key, r->klen, verify, buf, &val);
    if (!rc && (r->vlen != r->p.vlen || (r->vlen && memcmp(val, r->val, r->vlen) != 0)))
        rc = 1; /* a wrong value: never acceptable */
    if (msg) snprintf(msg, msgn, "%s", rc == 1 ? "wrong value" : skv_errmsg());
    skv__vlog_file_close(f);
    return rc;
}

static void test_round_trip(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "/v"), SKV_OK);
    Numbers nums = {5, 0};
    SkvVlogWriter *w;
    CHECK_RC(skv__vlog_writer_new(env, "/v", 1 << 30, next_number, &nums, &w), SKV_OK);
    CHECK_EQ_U64(skv__vlog_writer_file(w), 0); /* nothing before the first add */
    CHECK_RC(skv__vlog_writer_sync(w), SKV_OK);
    CHECK_EQ_U64(nums.calls, 0);
    Rec recs[NREC];
    uint64_t size = SKV_VLOG_FILE_HEADER;
    for (int i = 0; i < NREC; i++) {
        rec_make(&recs[i], i);
        CHECK_RC(skv__vlog_writer_add(w, recs[i].key, recs[i].klen, recs[i].val, recs[i].vlen,
                                      &recs[i].p),
                 SKV_OK);
        CHECK_EQ_U64(recs[i].p.file, 5);
        CHECK_EQ_U64(recs[i].p.offset, size);
        CHECK_EQ_U64(recs[i].p.vlen, recs[i].vlen);
        CHECK_EQ_U64(recs[i].p.vsum, skv__checksum(recs[i].val, recs[i].vlen));
        size += skv__vlog_record_size(recs[i].klen, recs[i].vlen);
        CHECK_EQ_U64(skv__vlog_writer_size(w), size);
    }
    CHECK_EQ_U64(nums.calls, 1);
    CHECK_RC(skv__vlog_writer_sync(w), SKV_OK);
    CHECK_RC(env->sync_dir(env, "/v"), SKV_OK);
    /* synced: a power loss keeps every record */
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    SkvEnv *cenv = skv__memfs_env(c);
    char *data;
    size_t n;
    CHECK_RC(skv__env_read_file(cenv, "/v/00000000000000000005.vlog", &data, &n), SKV_OK);
    CHECK_EQ_U64(n, size);
    CHECK_EQ_U64(skv__get_u64((uint8_t *)data), SKV_VLOG_MAGIC);
    CHECK_EQ_U64(skv__get_u64((uint8_t *)data + 8), 5);
    CHECK_EQ_U64(skv__get_u32((uint8_t *)data + 16), SKV_VLOG_VERSION);
    free(data);
    SkvVlogBuf buf = {0};
    for (int i = 0; i < NREC; i++) {
        char msg[256];
        for (int verify = 0; verify < 2; verify++) {
            int rc = read_back(cenv, &recs[i], verify, &buf, msg, sizeof msg);
            if (rc) fprintf(stderr, "record %d verify %d: %s\n", i, verify, msg);
            CHECK(rc == 0);
        }
    }
    /* a pointer whose key differs is refused */
    Rec other = recs[3];
    other.key[0] = 'K';
    char msg[256];
    CHECK_RC(read_back(cenv, &other, 1, &buf, msg, sizeof msg), SKV_ECORRUPT);
    CHECK(strstr(msg, "another key") != NULL);
    skv__vlog_buf_free(&buf);
    skv__memfs_free(c);
    skv__vlog_writer_free(w);
    for (int i = 0; i < NREC; i++) free(recs[i].val);
    skv__memfs_free(fs);
}

/* Unsynced records are lost at a power loss; a file holds a whole header after a sync. */
static void test_sync_durability(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "/v"), SKV_OK);
    Numbers nums = {1, 0};
    SkvVlogWriter *w;
    CHECK_RC(skv__vlog_writer_new(env, "/v", 1 << 20, next_number, &nums, &w), SKV_OK);
    SkvVlogPtr p;
    CHECK_RC(skv__vlog_writer_add(w, "a", 1, "1234", 4, &p), SKV_OK);
    CHECK_RC(skv__vlog_writer_sync(w), SKV_OK);
    CHECK_RC(env->sync_dir(env, "/v"), SKV_OK);
    CHECK_RC(skv__vlog_writer_add(w, "b", 1, "5678", 4, &p), SKV_OK);
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    char *data;
    size_t n;
    CHECK_RC(skv__env_read_file(skv__memfs_env(c), "/v/00000000000000000001.vlog", &data, &n),
             SKV_OK);
    CHECK_EQ_U64(n, SKV_VLOG_FILE_HEADER + skv__vlog_record_size(1, 4));
    free(data);
    skv__memfs_free(c);
    skv__vlog_writer_free(w);
    skv__memfs_free(fs);
}

static void test_rolling(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "/v"), SKV_OK);
    Numbers nums = {10, 0};
    SkvVlogWriter *w;
    CHECK_RC(skv__vlog_writer_new(env, "/v", 63, next_number, &nums, &w), SKV_EINVAL);
    CHECK_RC(skv__vlog_writer_new(env, "/v", 4096, next_number, &nums, &w), SKV_OK);
    /* records of 16 + 5 + 1000 = 1021 bytes: 24 + 4 x 1021 = 4108 > 4096, so 3 per file */
    uint8_t val[5000];
    for (size_t i = 0; i < sizeof val; i++) val[i] = (uint8_t)(i * 13);
    SkvVlogPtr p[10];
    for (int i = 0; i < 7; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%04d", i);
        CHECK_RC(skv__vlog_writer_add(w, key, 5, val, 1000, &p[i]), SKV_OK);
        CHECK_EQ_U64(p[i].file, 10 + (uint64_t)(i / 3));
        CHECK_EQ_U64(p[i].offset, SKV_VLOG_FILE_HEADER + (uint64_t)(i % 3) * 1021);
    }
    /* a record larger than the limit gets a file of its own */
    CHECK_RC(skv__vlog_writer_add(w, "big00", 5, val, 5000, &p[7]), SKV_OK);
    CHECK_EQ_U64(p[7].file, 13);
    CHECK_EQ_U64(p[7].offset, SKV_VLOG_FILE_HEADER);
    CHECK_RC(skv__vlog_writer_add(w, "k0007", 5, val, 1000, &p[8]), SKV_OK);
    CHECK_EQ_U64(p[8].file, 14);
    /* sealing ends the file; the next add starts another */
    CHECK_RC(skv__vlog_writer_seal(w), SKV_OK);
    CHECK_EQ_U64(skv__vlog_writer_file(w), 0);
    CHECK_RC(skv__vlog_writer_add(w, "k0008", 5, val, 10, &p[9]), SKV_OK);
    CHECK_EQ_U64(p[9].file, 15);
    CHECK_RC(skv__vlog_writer_sync(w), SKV_OK);
    CHECK_RC(env->sync_dir(env, "/v"), SKV_OK);
    CHECK_EQ_U64(nums.calls, 6);
    /* the files finished by rolling were synced when the writer left them */
    SkvMemFs *c = skv__memfs_crash_clone(fs, 0);
    uint64_t want[6] = {24 + 3 * 1021, 24 + 3 * 1021, 24 + 1021, 24 + 5021, 24 + 1021, 24 + 31};
    for (int f = 0; f < 6; f++) {
        char *path = skv__vlog_path("/v", 10 + (uint64_t)f), *data;
        size_t n = 0;
        int rc = skv__env_read_file(skv__memfs_env(c), path, &data, &n);
        free(path);
        CHECK_RC(rc, SKV_OK);
        free(data);
        CHECK_EQ_U64(n, want[f]);
    }
    skv__memfs_free(c);
    skv__vlog_writer_free(w);
    skv__memfs_free(fs);
}

static void test_writer_io_error(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(env->mkdir(env, "/v"), SKV_OK);
    Numbers nums = {1, 0};
    SkvVlogWriter *w;
    CHECK_RC(skv__vlog_writer_new(env, "/v", 1 << 20, next_number, &nums, &w), SKV_OK);
    SkvVlogPtr p;
    CHECK_RC(skv__vlog_writer_add(w, "a", 1, "x", 1, &p), SKV_OK);
    /* the buffered append at sync fails: the writer stays failed */
    skv__memfs_set_fault(fs, SKV_FAULT_EIO, skv__memfs_op_count(fs) + 1, 0);
    CHECK_RC(skv__vlog_writer_sync(w), SKV_EIO);
    CHECK_RC(skv__vlog_writer_add(w, "b", 1, "y", 1, &p), SKV_EIO);
    CHECK_RC(skv__vlog_writer_sync(w), SKV_EIO);
    skv__vlog_writer_free(w);
    /* ENOSPC creating the first file */
    CHECK_RC(skv__vlog_writer_new(env, "/v", 1 << 20, next_number, &nums, &w), SKV_OK);
    skv__memfs_set_fault(fs, SKV_FAULT_ENOSPC, skv__memfs_op_count(fs) + 1, 0);
    CHECK_RC(skv__vlog_writer_add(w, "a", 1, "x", 1, &p), SKV_ENOSPC);
    CHECK_RC(skv__vlog_writer_add(w, "a", 1, "x", 1, &p), SKV_ENOSPC);
    skv__vlog_writer_free(w);
    skv__memfs_free(fs);
}

/* ---- damage ---- */

/* A synced file /v/00000000000000000001.vlog with the records of recs (values below 5000
 * bytes so the file stays small). */
static int build_small(SkvMemFs *fs, Rec *recs, int n) {
    SkvEnv *env = skv__memfs_env(fs);
    Numbers nums = {1, 0};
    SkvVlogWriter *w;
    if (env->mkdir(env, "/v") || skv__vlog_writer_new(env, "/v", 1 << 20, next_number, &nums, &w))
        return -1;
    int rc = 0;
    for (int i = 0; !rc && i < n; i++)
        rc = skv__vlog_writer_add(w, recs[i].key, recs[i].klen, recs[i].val, recs[i].vlen,
                                  &recs[i].p);
    if (!rc) rc = skv__vlog_writer_sync(w);
    skv__vlog_writer_free(w);
    return rc;
}

#define VPATH "/v/00000000000000000001.vlog"

static int damage(SkvEnv *env, uint64_t off, size_t len, int mode) {
    char *d;
    size_t n;
    if (skv__env_read_file(env, VPATH, &d, &n) || off + len > n) return -1;
    if (mode == 0) /* flip */
        for (size_t i = 0; i < len; i++) d[off + i] ^= 0x20;
    else if (mode == 1) /* zero */
        memset(d + off, 0, len);
    else /* truncate at off */
        n = (size_t)off;
    int rc = skv__env_write_file_sync(env, VPATH, d, n);
    free(d);
    return rc;
}

/* Reads every record: the ones in bad[] must give SKV_ECORRUPT with a message naming the
 * file and (with need_off) their offset, and containing `what`; every other one its exact
 * value. */
static int expect_reads_at(SkvEnv *env, Rec *recs, int n, const int *bad, int verify,
                           const char *what, int need_off) {
    SkvVlogBuf buf = {0};
    int fails = 0;
    for (int i = 0; i < n; i++) {
        char msg[300];
        int rc = read_back(env, &recs[i], verify, &buf, msg, sizeof msg);
        if (!bad[i]) {
            if (rc) {
                fprintf(stderr, "record %d (verify %d) should read: %s\n", i, verify, msg);
                fails++;
            }
            continue;
        }
        char off[64];
        snprintf(off, sizeof off, "offset %llu", (unsigned long long)recs[i].p.offset);
        if (rc != SKV_ECORRUPT || !strstr(msg, VPATH) || (need_off && !strstr(msg, off)) ||
            (what && !strstr(msg, what))) {
            fprintf(
                stderr, "record %d (verify %d): got %s '%s', expected SKV_ECORRUPT '%s' at %s\n", i,
                verify, rc == 1 ? "a wrong value" : skv_errname(rc), msg, what ? what : "", off);
            fails++;
        }
    }
    skv__vlog_buf_free(&buf);
    return fails;
}

static int expect_reads(SkvEnv *env, Rec *recs, int n, const int *bad, int verify,
                        const char *what) {
    return expect_reads_at(env, recs, n, bad, verify, what, 1);
}

enum { NSMALL = 6 };

static void small_recs(Rec *recs) {
    for (int i = 0; i < NSMALL; i++) rec_make_len(&recs[i], i, i == 5 ? 3000 : 0);
    for (int i = 0; i < 5; i++) { /* 0, 1, 17, 1000, 4000 bytes */
        free(recs[i].val);
        rec_make(&recs[i], i);
    }
}

static void test_record_damage(void) {
    Rec recs[NSMALL];
    small_recs(recs);
    /* record 3 (1000 bytes) is the victim: [header 16][key 5][value 1000] */
    struct {
        const char *name;
        uint64_t at; /* from the record's start */
        size_t len;
        int mode;
        int caught_unverified; /* also caught without checksum verification */
        const char *what;
    } cases[] = {
        {"value byte", 16 + 5 + 500, 1, 0, 0, "value checksum mismatch"},
        {"last value byte", 16 + 5 + 999, 1, 0, 0, "value checksum mismatch"},
        {"key byte", 16 + 2, 1, 0, 1, "another key"},
        {"klen", 8, 1, 0, 1, "lengths"},
        {"vlen", 13, 1, 0, 1, "lengths"},
        {"value checksum", 5, 1, 0, 1, "value checksum differs"},
        {"record checksum", 1, 1, 0, 0, "record checksum mismatch"},
        {"zeroed record", 0, 16 + 5 + 1000, 1, 1, "lengths"},
        {"zeroed value", 16 + 5, 1000, 1, 0, "value checksum mismatch"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        SkvMemFs *fs = skv__memfs_new();
        SkvEnv *env = skv__memfs_env(fs);
        CHECK(build_small(fs, recs, NSMALL) == 0);
        CHECK(damage(env, recs[3].p.offset + cases[c].at, cases[c].len, cases[c].mode) == 0);
        int bad[NSMALL] = {0, 0, 0, 1, 0, 0};
        if (expect_reads(env, recs, NSMALL, bad, 1, cases[c].what)) {
            fprintf(stderr, "case '%s' (verified)\n", cases[c].name);
            CHECK(0);
        }
        /* unverified: structural damage still caught; checksum-only damage passes unnoticed
         * (the documented trade-off), but never with another record's value */
        if (!cases[c].caught_unverified) bad[3] = 0;
        if (cases[c].caught_unverified || strcmp(cases[c].name, "record checksum") == 0) {
            if (expect_reads(env, recs, NSMALL, bad, 0,
                             cases[c].caught_unverified ? cases[c].what : NULL)) {
                fprintf(stderr, "case '%s' (unverified)\n", cases[c].name);
                CHECK(0);
            }
        }
        skv__memfs_free(fs);
    }
    for (int i = 0; i < NSMALL; i++) free(recs[i].val);
}

static void test_truncation(void) {
    Rec recs[NSMALL];
    small_recs(recs);
    /* cut inside record 4: records 4 and 5 are damaged, 0-3 read */
    uint64_t cuts[] = {0, 1, 16, 16 + 5 + 1};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        SkvMemFs *fs = skv__memfs_new();
        SkvEnv *env = skv__memfs_env(fs);
        CHECK(build_small(fs, recs, NSMALL) == 0);
        CHECK(damage(env, recs[4].p.offset + cuts[c], 0, 2) == 0);
        int bad[NSMALL] = {0, 0, 0, 0, 1, 1};
        for (int verify = 0; verify < 2; verify++)
            CHECK(expect_reads(env, recs, NSMALL, bad, verify, "past the end of the file") == 0);
        skv__memfs_free(fs);
    }
    for (int i = 0; i < NSMALL; i++) free(recs[i].val);
}

static void test_file_damage(void) {
    Rec recs[NSMALL];
    small_recs(recs);
    SkvVlogFile *f;
    struct {
        uint64_t off;
        int mode;
        const char *what;
    } cases[] = {{0, 0, "magic"},
                 {9, 0, "checksum"},
                 {17, 0, "checksum"},
                 {22, 0, "checksum"},
                 {10, 2, "header is truncated"},
                 {0, 2, "header is truncated"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        SkvMemFs *fs = skv__memfs_new();
        SkvEnv *env = skv__memfs_env(fs);
        CHECK(build_small(fs, recs, NSMALL) == 0);
        CHECK(damage(env, cases[c].off, cases[c].mode == 2 ? 0 : 1, cases[c].mode) == 0);
        CHECK_RC(skv__vlog_file_open(env, VPATH, 1, &f), SKV_ECORRUPT);
        CHECK(strstr(skv_errmsg(), VPATH) && strstr(skv_errmsg(), cases[c].what));
        skv__memfs_free(fs);
    }
    /* a missing file, and a file under another number's name */
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK(build_small(fs, recs, NSMALL) == 0);
    CHECK_RC(skv__vlog_file_open(env, "/v/00000000000000000002.vlog", 2, &f), SKV_ECORRUPT);
    CHECK(strstr(skv_errmsg(), "is missing") != NULL);
    CHECK_RC(env->rename(env, VPATH, "/v/00000000000000000002.vlog"), SKV_OK);
    CHECK_RC(skv__vlog_file_open(env, "/v/00000000000000000002.vlog", 2, &f), SKV_ECORRUPT);
    CHECK(strstr(skv_errmsg(), "another file number") != NULL);
    skv__memfs_free(fs);
    for (int i = 0; i < NSMALL; i++) free(recs[i].val);
}

/* Every byte of a small file flipped in turn: with verification the record holding it (or
 * every record, for the file header) gives SKV_ECORRUPT, all others read exactly. */
static void test_every_byte(void) {
    Rec recs[4];
    static const size_t lens[4] = {3, 0, 40, 9};
    for (int i = 0; i < 4; i++) rec_make_len(&recs[i], i, lens[i]);
    SkvMemFs *base = skv__memfs_new();
    CHECK(build_small(base, recs, 4) == 0);
    char *data;
    size_t n;
    CHECK_RC(skv__env_read_file(skv__memfs_env(base), VPATH, &data, &n), SKV_OK);
    free(data);
    size_t checked = 0;
    for (uint64_t off = 0; off < n; off++) {
        SkvMemFs *fs = skv__memfs_clone(base);
        SkvEnv *env = skv__memfs_env(fs);
        CHECK(damage(env, off, 1, 0) == 0);
        int bad[4];
        for (int i = 0; i < 4; i++) {
            uint64_t s = recs[i].p.offset, e = s + skv__vlog_record_size(recs[i].klen, lens[i]);
            bad[i] = off < SKV_VLOG_FILE_HEADER || (off >= s && off < e);
        }
        if (expect_reads_at(env, recs, 4, bad, 1, NULL, off >= SKV_VLOG_FILE_HEADER)) {
            fprintf(stderr, "flip at byte %llu\n", (unsigned long long)off);
            skv__memfs_free(fs);
            CHECK(0);
        }
        checked++;
        skv__memfs_free(fs);
    }
    CHECK_EQ_U64(checked, n);
    skv__memfs_free(base);
    for (int i = 0; i < 4; i++) free(recs[i].val);
}

static const TestCase TESTS[] = {
    {"ptr_round_trip", test_ptr_round_trip},
    {"ptr_malformed", test_ptr_malformed},
    {"names", test_names},
    {"refs", test_refs},
    {"round_trip", test_round_trip},
    {"sync_durability", test_sync_durability},
    {"rolling", test_rolling},
    {"writer_io_error", test_writer_io_error},
    {"record_damage", test_record_damage},
    {"truncation", test_truncation},
    {"file_damage", test_file_damage},
    {"every_byte", test_every_byte},
    {0, 0},
};

TEST_MAIN(TESTS)
