/*
 * test_wal.c — the write-ahead log on the in-memory file system: round trips of records of
 * every size class, add_many as one append, block trailers, a cut at every byte offset,
 * single bit flips in a middle and in the last record, zero tails, non-last segments,
 * stopping from the callback, write and sync failures, and crash images.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "env/env.h"
#include "test.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

enum { MAX_RECS = 4096 };

/* What a replay delivered. */
typedef struct {
    size_t count;
    size_t stop_at; /* return 7 when delivering record number stop_at (1-based); 0: never */
    uint8_t *recs[MAX_RECS];
    size_t lens[MAX_RECS];
} Got;

static int collect(void *user, const void *rec, size_t n) {
    Got *g = user;
    if (g->count < MAX_RECS) {
        g->recs[g->count] = malloc(n ? n : 1);
        if (n) memcpy(g->recs[g->count], rec, n);
        g->lens[g->count] = n;
    }
    g->count++;
    if (g->stop_at && g->count == g->stop_at) return 7;
    return 0;
}

static void got_free(Got *g) {
    for (size_t i = 0; i < g->count && i < MAX_RECS; i++) free(g->recs[i]);
    memset(g, 0, sizeof *g);
}

/* Deterministic record content: record i of length n. */
static void fill(uint8_t *p, size_t n, size_t i) {
    uint64_t x = 0x9e3779b97f4a7c15ull * (i + 1);
    for (size_t k = 0; k < n; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[k] = (uint8_t)x;
    }
}

static int rec_ok(const Got *g, size_t i, size_t n) {
    if (i >= g->count || g->lens[i] != n) return 0;
    uint8_t *want = malloc(n ? n : 1);
    fill(want, n, i);
    int ok = memcmp(want, g->recs[i], n) == 0;
    free(want);
    return ok;
}

/* Writes records with the given lengths to path (one add per record); returns the offset
 * just past each record in ends (when not NULL). */
static int write_log(SkvEnv *env, const char *path, const size_t *lens, size_t count,
                     uint64_t *ends) {
    SkvWalWriter *w;
    int rc = skv__wal_create(env, path, &w);
    if (rc != SKV_OK) return rc;
    for (size_t i = 0; i < count && rc == SKV_OK; i++) {
        uint8_t *p = malloc(lens[i] ? lens[i] : 1);
        fill(p, lens[i], i);
        rc = skv__wal_add(w, p, lens[i]);
        free(p);
        if (ends) ends[i] = skv__wal_size(w);
    }
    if (rc == SKV_OK) rc = skv__wal_sync(w);
    int crc = skv__wal_close(w);
    return rc != SKV_OK ? rc : crc;
}

static int write_bytes(SkvEnv *env, const char *path, const char *data, size_t len) {
    return skv__env_write_file_sync(env, path, data, len);
}

/* Round trip of the given lengths. */
static void round_trip(const size_t *lens, size_t count) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    CHECK_RC(write_log(env, "log", lens, count, NULL), SKV_OK);
    Got *g = calloc(1, sizeof *g);
    uint64_t end = 12345;
    CHECK_RC(skv__wal_replay(env, "log", SKV_WAL_ABSOLUTE, 0, collect, g, &end), SKV_OK);
    CHECK_EQ_U64(g->count, count);
    for (size_t i = 0; i < count; i++) CHECK(rec_ok(g, i, lens[i]));
    char *data;
    size_t len;
    CHECK_RC(skv__env_read_file(env, "log", &data, &len), SKV_OK);
    free(data);
    CHECK_EQ_U64(end, len);
    got_free(g);
    free(g);
    skv__memfs_free(fs);
}

static void test_round_trip_sizes(void) {
    const size_t sizes[] = {
        0,          1, 100, SKV_WAL_MAX_PAYLOAD, SKV_WAL_MAX_PAYLOAD + 1, SKV_WAL_BLOCK_SIZE,
        200 * 1024, 0, 5};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t one[1] = {sizes[i]};
        round_trip(one, 1);
        if (test_failures_) return;
    }
    round_trip(sizes, sizeof sizes / sizeof *sizes);
}

static void test_round_trip_many(void) {
    size_t *lens = malloc(3000 * sizeof *lens);
    uint64_t x = 42;
    for (size_t i = 0; i < 3000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        lens[i] = (size_t)(x >> 33) % (i % 50 == 0 ? 70000 : 300);
    }
    round_trip(lens, 3000);
    free(lens);
}

static void test_empty_and_missing(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    Got g = {0};
    uint64_t end = 99;
    CHECK_RC(skv__wal_replay(env, "nope", SKV_WAL_TOLERATE_TAIL, 1, collect, &g, &end),
             SKV_NOTFOUND);
    SkvWalWriter *w;
    CHECK_RC(skv__wal_create(env, "log", &w), SKV_OK);
    CHECK_EQ_U64(skv__wal_size(w), 0);
    CHECK_RC(skv__wal_close(w), SKV_OK);
    CHECK_RC(skv__wal_replay(env, "log", SKV_WAL_ABSOLUTE, 0, collect, &g, &end), SKV_OK);
    CHECK_EQ_U64(g.count, 0);
    CHECK_EQ_U64(end, 0);
    skv__memfs_free(fs);
}

static void test_add_many_one_append(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvWalWriter *w;
    CHECK_RC(skv__wal_create(env, "log", &w), SKV_OK);
    enum { N = 40 };
    size_t lens[N];
    const void *recs[N];
    uint8_t *bufs[N];
    for (size_t i = 0; i < N; i++) {
        lens[i] = i * 1500; /* the group spans many blocks */
        bufs[i] = malloc(lens[i] ? lens[i] : 1);
        fill(bufs[i], lens[i], i);
        recs[i] = bufs[i];
    }
    uint64_t ops = skv__memfs_op_count(fs);
    CHECK_RC(skv__wal_add_many(w, recs, lens, 20), SKV_OK);
    CHECK_EQ_U64(skv__memfs_op_count(fs), ops + 1);
    CHECK_RC(skv__wal_add_many(w, recs + 20, lens + 20, 20), SKV_OK);
    CHECK_EQ_U64(skv__memfs_op_count(fs), ops + 2);
    CHECK_RC(skv__wal_add_many(w, recs, lens, 0), SKV_OK); /* nothing: no append */
    CHECK_EQ_U64(skv__memfs_op_count(fs), ops + 2);
    uint64_t size = skv__wal_size(w);
    CHECK_RC(skv__wal_close(w), SKV_OK);
    for (size_t i = 0; i < N; i++) free(bufs[i]);
    Got *g = calloc(1, sizeof *g);
    uint64_t end = 0;
    CHECK_RC(skv__wal_replay(env, "log", SKV_WAL_ABSOLUTE, 1, collect, g, &end), SKV_OK);
    CHECK_EQ_U64(g->count, N);
    for (size_t i = 0; i < N; i++) CHECK(rec_ok(g, i, lens[i]));
    CHECK_EQ_U64(end, size);
    got_free(g);
    free(g);
    skv__memfs_free(fs);
}

static void test_block_trailers(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    /* 3 bytes left in block 0: a zero trailer, then the next record at 32768 */
    size_t a[2] = {SKV_WAL_BLOCK_SIZE - 3 - SKV_WAL_HEADER_SIZE, 10};
    uint64_t ends[2];
    CHECK_RC(write_log(env, "a", a, 2, ends), SKV_OK);
    CHECK_EQ_U64(ends[0], SKV_WAL_BLOCK_SIZE - 3);
    CHECK_EQ_U64(ends[1], SKV_WAL_BLOCK_SIZE + SKV_WAL_HEADER_SIZE + 10);
    char *data;
    size_t len;
    CHECK_RC(skv__env_read_file(env, "a", &data, &len), SKV_OK);
    CHECK(memcmp(data + SKV_WAL_BLOCK_SIZE - 3, "\0\0\0", 3) == 0);
    CHECK(data[SKV_WAL_BLOCK_SIZE + 6] == SKV_WAL_FULL);
    free(data);
    Got g = {0};
    CHECK_RC(skv__wal_replay(env, "a", SKV_WAL_ABSOLUTE, 0, collect, &g, NULL), SKV_OK);
    CHECK(g.count == 2 && rec_ok(&g, 0, a[0]) && rec_ok(&g, 1, a[1]));
    got_free(&g);

    /* exactly 7 bytes left: an empty FIRST there, the LAST in the next block */
    size_t b[2] = {SKV_WAL_BLOCK_SIZE - 2 * SKV_WAL_HEADER_SIZE, 10};
    CHECK_RC(write_log(env, "b", b, 2, ends), SKV_OK);
    CHECK_EQ_U64(ends[1], SKV_WAL_BLOCK_SIZE + SKV_WAL_HEADER_SIZE + 10);
    CHECK_RC(skv__env_read_file(env, "b", &data, &len), SKV_OK);
    CHECK(data[SKV_WAL_BLOCK_SIZE - 1] == SKV_WAL_FIRST);
    CHECK(data[SKV_WAL_BLOCK_SIZE - 3] == 0 && data[SKV_WAL_BLOCK_SIZE - 2] == 0);
    CHECK(data[SKV_WAL_BLOCK_SIZE + 6] == SKV_WAL_LAST);
    free(data);
    CHECK_RC(skv__wal_replay(env, "b", SKV_WAL_ABSOLUTE, 0, collect, &g, NULL), SKV_OK);
    CHECK(g.count == 2 && rec_ok(&g, 0, b[0]) && rec_ok(&g, 1, b[1]));
    got_free(&g);

    /* a payload filling a block exactly, then one more */
    size_t c[2] = {SKV_WAL_MAX_PAYLOAD, 0};
    CHECK_RC(write_log(env, "c", c, 2, ends), SKV_OK);
    CHECK_EQ_U64(ends[0], SKV_WAL_BLOCK_SIZE);
    CHECK_RC(skv__wal_replay(env, "c", SKV_WAL_ABSOLUTE, 0, collect, &g, NULL), SKV_OK);
    CHECK(g.count == 2 && rec_ok(&g, 0, c[0]) && rec_ok(&g, 1, 0));
    got_free(&g);
    skv__memfs_free(fs);
}

/* Cuts the log at every offset in [from, to) with the given stride and checks each. */
static void check_cuts(const size_t *lens, size_t count, size_t from, size_t to, size_t stride) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    uint64_t ends[64];
    CHECK(count <= 64);
    CHECK_RC(write_log(env, "full", lens, count, ends), SKV_OK);
    char *data;
    size_t size;
    CHECK_RC(skv__env_read_file(env, "full", &data, &size), SKV_OK);
    if (to > size + 1) to = size + 1;
    Got *g = calloc(1, sizeof *g);
    for (size_t cut = from; cut < to; cut += stride) {
        CHECK_RC(write_bytes(env, "cut", data, cut), SKV_OK);
        size_t whole = 0;
        while (whole < count && ends[whole] <= cut) whole++;
        uint64_t want_end = whole ? ends[whole - 1] : 0;
        /* a cut inside the zero trailer after a record loses no record */
        uint64_t room = SKV_WAL_BLOCK_SIZE - want_end % SKV_WAL_BLOCK_SIZE;
        int mid = cut != want_end && !(room < SKV_WAL_HEADER_SIZE && cut - want_end <= room);
        uint64_t end = 777;
        got_free(g);
        int rc = skv__wal_replay(env, "cut", SKV_WAL_TOLERATE_TAIL, 1, collect, g, &end);
        if (rc != SKV_OK || g->count != whole || end != want_end) {
            fprintf(stderr, "cut %zu: rc %d count %zu end %llu\n", cut, rc, g->count,
                    (unsigned long long)end);
        }
        CHECK_RC(rc, SKV_OK);
        CHECK_EQ_U64(g->count, whole);
        for (size_t i = 0; i < whole; i++) CHECK(rec_ok(g, i, lens[i]));
        CHECK_EQ_U64(end, want_end);
        got_free(g);
        rc = skv__wal_replay(env, "cut", SKV_WAL_ABSOLUTE, 1, collect, g, &end);
        CHECK_RC(rc, mid ? SKV_ECORRUPT : SKV_OK);
        CHECK_EQ_U64(g->count, whole);
        if (mid) {
            char want[64];
            snprintf(want, sizeof want, "cut: corrupt log record at offset ");
            CHECK(strstr(skv__errmsg_get(), want) != NULL);
        }
        got_free(g);
        rc = skv__wal_replay(env, "cut", SKV_WAL_TOLERATE_TAIL, 0, collect, g, &end);
        CHECK_RC(rc, mid ? SKV_ECORRUPT : SKV_OK);
        got_free(g);
    }
    free(g);
    free(data);
    skv__memfs_free(fs);
}

static void test_cut_everywhere_small(void) {
    const size_t lens[] = {0, 10, 50, 3, 200, 1, 0, 30};
    check_cuts(lens, sizeof lens / sizeof *lens, 0, SIZE_MAX, 1);
}

static void test_cut_at_trailer(void) {
    /* the first record leaves 3 bytes of trailer in block 0 */
    const size_t lens[] = {SKV_WAL_BLOCK_SIZE - 3 - SKV_WAL_HEADER_SIZE, 10, 5};
    check_cuts(lens, 3, SKV_WAL_BLOCK_SIZE - 40, SIZE_MAX, 1);
    check_cuts(lens, 3, 0, SIZE_MAX, 97);
}

static void test_cut_multi_block(void) {
    const size_t lens[] = {100, 70000, 5, SKV_WAL_BLOCK_SIZE - 40, 3000, 0, 40000, 9};
    size_t n = sizeof lens / sizeof *lens;
    check_cuts(lens, n, 0, SIZE_MAX, 61);
    /* and every byte around each block boundary */
    for (size_t b = SKV_WAL_BLOCK_SIZE; b < 160000; b += SKV_WAL_BLOCK_SIZE) {
        check_cuts(lens, n, b - 20, b + 20, 1);
        if (test_failures_) return;
    }
}

/* Writes lens to "log", flips bit `bit` of byte `at`, replays into g. */
static int flip_and_replay(SkvEnv *env, const size_t *lens, size_t count, size_t at, int bit,
                           int mode, int is_last, Got *g, uint64_t *end) {
    int rc = write_log(env, "log", lens, count, NULL);
    if (rc != SKV_OK) return rc;
    char *data;
    size_t size;
    rc = skv__env_read_file(env, "log", &data, &size);
    if (rc != SKV_OK) return rc;
    data[at] = (char)(data[at] ^ (1 << bit));
    rc = write_bytes(env, "log", data, size);
    free(data);
    if (rc != SKV_OK) return rc;
    got_free(g);
    return skv__wal_replay(env, "log", mode, is_last, collect, g, end);
}

static void test_flip_middle_record(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    const size_t lens[] = {20, 30, 40, 50, 60};
    uint64_t ends[5];
    CHECK_RC(write_log(env, "ref", lens, 5, ends), SKV_OK);
    Got g = {0};
    char want[96];
    /* every bit of record 2 (header and payload) */
    for (size_t at = ends[1]; at < ends[2]; at++) {
        for (int bit = 0; bit < 8; bit++) {
            uint64_t end = 0;
            CHECK_RC(flip_and_replay(env, lens, 5, at, bit, SKV_WAL_TOLERATE_TAIL, 1, &g, &end),
                     SKV_ECORRUPT);
            snprintf(want, sizeof want, "log: corrupt log record at offset %llu",
                     (unsigned long long)ends[1]);
            CHECK(strstr(skv__errmsg_get(), want) != NULL);
            CHECK_EQ_U64(g.count, 2);
            CHECK(rec_ok(&g, 0, 20) && rec_ok(&g, 1, 30));
        }
    }
    got_free(&g);
    skv__memfs_free(fs);
}

static void test_flip_multi_block(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    const size_t lens[] = {100, 80000, 100, 20};
    uint64_t ends[4];
    CHECK_RC(write_log(env, "ref", lens, 4, ends), SKV_OK);
    Got g = {0};
    /* damage in the FIRST, a MIDDLE and the LAST fragment of the big record */
    const size_t spots[] = {ends[0] + 2,
                            ends[0] + 500,
                            SKV_WAL_BLOCK_SIZE + 5,
                            SKV_WAL_BLOCK_SIZE + 9000,
                            2 * SKV_WAL_BLOCK_SIZE + 4,
                            ends[1] - 1};
    for (size_t i = 0; i < sizeof spots / sizeof *spots; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            CHECK_RC(
                flip_and_replay(env, lens, 4, spots[i], bit, SKV_WAL_TOLERATE_TAIL, 1, &g, NULL),
                SKV_ECORRUPT);
            CHECK_EQ_U64(g.count, 1);
        }
    }
    /* damage in the last record only: a torn tail */
    for (size_t at = ends[2]; at < ends[3]; at++) {
        uint64_t end = 0;
        CHECK_RC(flip_and_replay(env, lens, 4, at, 1, SKV_WAL_TOLERATE_TAIL, 1, &g, &end), SKV_OK);
        CHECK_EQ_U64(g.count, 3);
        CHECK_EQ_U64(end, ends[2]);
    }
    got_free(&g);
    skv__memfs_free(fs);
}

static void test_flip_last_record(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    const size_t lens[] = {20, 30, 40, 50, 60};
    uint64_t ends[5];
    CHECK_RC(write_log(env, "ref", lens, 5, ends), SKV_OK);
    Got g = {0};
    for (size_t at = ends[3]; at < ends[4]; at++) {
        for (int bit = 0; bit < 8; bit++) {
            uint64_t end = 0;
            CHECK_RC(flip_and_replay(env, lens, 5, at, bit, SKV_WAL_TOLERATE_TAIL, 1, &g, &end),
                     SKV_OK);
            CHECK_EQ_U64(g.count, 4);
            for (size_t i = 0; i < 4; i++) CHECK(rec_ok(&g, i, lens[i]));
            CHECK_EQ_U64(end, ends[3]);
            CHECK_RC(flip_and_replay(env, lens, 5, at, bit, SKV_WAL_ABSOLUTE, 1, &g, &end),
                     SKV_ECORRUPT);
            CHECK_RC(flip_and_replay(env, lens, 5, at, bit, SKV_WAL_TOLERATE_TAIL, 0, &g, &end),
                     SKV_ECORRUPT);
            char want[96];
            snprintf(want, sizeof want, "log: corrupt log record at offset %llu",
                     (unsigned long long)ends[3]);
            CHECK(strstr(skv__errmsg_get(), want) != NULL);
        }
    }
    got_free(&g);
    skv__memfs_free(fs);
}

static void test_zero_tail(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    const size_t lens[] = {20, 30000, 40};
    uint64_t ends[3];
    CHECK_RC(write_log(env, "log", lens, 3, ends), SKV_OK);
    char *data;
    size_t size;
    CHECK_RC(skv__env_read_file(env, "log", &data, &size), SKV_OK);
    const size_t zeros[] = {1, 7, 100, 3 * SKV_WAL_BLOCK_SIZE + 11};
    Got g = {0};
    for (size_t i = 0; i < sizeof zeros / sizeof *zeros; i++) {
        char *z = calloc(1, size + zeros[i]);
        memcpy(z, data, size);
        CHECK_RC(write_bytes(env, "z", z, size + zeros[i]), SKV_OK);
        free(z);
        uint64_t end = 0;
        got_free(&g);
        CHECK_RC(skv__wal_replay(env, "z", SKV_WAL_TOLERATE_TAIL, 1, collect, &g, &end), SKV_OK);
        CHECK_EQ_U64(g.count, 3);
        CHECK_EQ_U64(end, ends[2]);
        got_free(&g);
        CHECK_RC(skv__wal_replay(env, "z", SKV_WAL_ABSOLUTE, 1, collect, &g, &end), SKV_ECORRUPT);
        got_free(&g);
        CHECK_RC(skv__wal_replay(env, "z", SKV_WAL_TOLERATE_TAIL, 0, collect, &g, &end),
                 SKV_ECORRUPT);
    }
    /* zeros in the middle, records after them: corruption */
    char *z = calloc(1, size + 200);
    memcpy(z, data, ends[0]);
    memcpy(z + ends[0] + 200, data + ends[0], size - ends[0]);
    CHECK_RC(write_bytes(env, "z", z, size + 200), SKV_OK);
    free(z);
    got_free(&g);
    CHECK_RC(skv__wal_replay(env, "z", SKV_WAL_TOLERATE_TAIL, 1, collect, &g, NULL), SKV_ECORRUPT);
    got_free(&g);
    free(data);
    skv__memfs_free(fs);
}

static void test_sequence_errors(void) {
    /* hand-made fragments: a MIDDLE with no FIRST, and a FIRST interrupted by a FULL */
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    uint8_t buf[64];
    size_t n = 0;
    const int types[3][3] = {{SKV_WAL_FULL, SKV_WAL_MIDDLE, SKV_WAL_FULL},
                             {SKV_WAL_FIRST, SKV_WAL_FULL, SKV_WAL_FULL},
                             {SKV_WAL_FULL, SKV_WAL_FULL, SKV_WAL_FIRST}};
    const int want_rc[3] = {SKV_ECORRUPT, SKV_ECORRUPT, SKV_OK};
    const size_t want_count[3] = {1, 0, 2};
    for (int t = 0; t < 3; t++) {
        n = 0;
        for (int i = 0; i < 3; i++) {
            uint8_t *h = buf + n;
            skv__put_u16(h + 4, 3);
            h[6] = (uint8_t)types[t][i];
            memcpy(h + 7, "abc", 3);
            skv__put_u32(h, skv__wal_frag_checksum(h, h + 7, 3));
            n += 10;
        }
        CHECK_RC(write_bytes(env, "log", (const char *)buf, n), SKV_OK);
        Got g = {0};
        uint64_t end = 0;
        CHECK_RC(skv__wal_replay(env, "log", SKV_WAL_TOLERATE_TAIL, 1, collect, &g, &end),
                 want_rc[t]);
        CHECK_EQ_U64(g.count, want_count[t]);
        if (want_rc[t] == SKV_OK) CHECK_EQ_U64(end, 20);
        got_free(&g);
    }
    skv__memfs_free(fs);
}

static void test_callback_stops(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    const size_t lens[] = {1, 2, 3, 4, 5};
    CHECK_RC(write_log(env, "log", lens, 5, NULL), SKV_OK);
    Got g = {0};
    g.stop_at = 3;
    CHECK(skv__wal_replay(env, "log", SKV_WAL_ABSOLUTE, 1, collect, &g, NULL) == 7);
    CHECK_EQ_U64(g.count, 3);
    got_free(&g);
    skv__memfs_free(fs);
}

static void test_write_failures_latch(void) {
    SkvMemFs *fs = skv__memfs_new();
    SkvEnv *env = skv__memfs_env(fs);
    SkvWalWriter *w;
    CHECK_RC(skv__wal_create(env, "log", &w), SKV_OK);
    CHECK_RC(skv__wal_add(w, "one", 3), SKV_OK);
    uint64_t size = skv__wal_size(w);
    skv__memfs_set_fault(fs, SKV_FAULT_SHORT_WRITE, skv__memfs_op_count(fs) + 1, 0);
    CHECK_RC(skv__wal_add(w, "two-two-two", 11), SKV_EIO);
    CHECK_EQ_U64(skv__wal_size(w), size);
    CHECK_RC(skv__wal_add(w, "three", 5), SKV_EIO); /* latched, though the fs is fine */
    CHECK_RC(skv__wal_sync(w), SKV_EIO);
    CHECK_RC(skv__wal_close(w), SKV_OK);
    Got g = {0};
    uint64_t end = 0;
    CHECK_RC(skv__wal_replay(env, "log", SKV_WAL_TOLERATE_TAIL, 1, collect, &g, &end), SKV_OK);
    CHECK_EQ_U64(g.count, 1);
    CHECK_EQ_U64(end, size);
    got_free(&g);

    /* a failed sync is never followed by a successful one */
    CHECK_RC(skv__wal_create(env, "log2", &w), SKV_OK);
    CHECK_RC(skv__wal_add(w, "x", 1), SKV_OK);
    skv__memfs_set_fault(fs, SKV_FAULT_EIO, skv__memfs_op_count(fs) + 1, 0);
    CHECK_RC(skv__wal_sync(w), SKV_EIO);
    CHECK_RC(skv__wal_sync(w), SKV_EIO);
    CHECK_RC(skv__wal_close(w), SKV_OK);
    skv__memfs_set_fault(fs, SKV_FAULT_ENOSPC, skv__memfs_op_count(fs) + 2, 0);
    CHECK_RC(skv__wal_create(env, "log3", &w), SKV_OK);
    CHECK_RC(skv__wal_add(w, "x", 1), SKV_ENOSPC);
    CHECK_RC(skv__wal_close(w), SKV_OK);
    skv__memfs_free(fs);
}

static void test_crash_images(void) {
    /* synced records always survive; unsynced ones survive as a prefix */
    for (uint64_t seed = 0; seed < 60; seed++) {
        SkvMemFs *fs = skv__memfs_new();
        SkvEnv *env = skv__memfs_env(fs);
        SkvWalWriter *w;
        CHECK_RC(skv__wal_create(env, "log", &w), SKV_OK);
        CHECK_RC(env->sync_dir(env, ""), SKV_OK);
        size_t lens[12];
        size_t i = 0;
        for (; i < 6; i++) {
            lens[i] = i * 9000;
            uint8_t *p = malloc(lens[i] + 1);
            fill(p, lens[i], i);
            CHECK_RC(skv__wal_add(w, p, lens[i]), SKV_OK);
            free(p);
        }
        CHECK_RC(skv__wal_sync(w), SKV_OK);
        for (; i < 12; i++) {
            lens[i] = 100 + i * 7000;
            uint8_t *p = malloc(lens[i]);
            fill(p, lens[i], i);
            CHECK_RC(skv__wal_add(w, p, lens[i]), SKV_OK);
            free(p);
        }
        SkvMemFs *c = skv__memfs_crash_clone(fs, seed);
        CHECK_RC(skv__wal_close(w), SKV_OK);
        Got *g = calloc(1, sizeof *g);
        uint64_t end = 0;
        SkvEnv *cenv = skv__memfs_env(c);
        CHECK_RC(skv__wal_replay(cenv, "log", SKV_WAL_TOLERATE_TAIL, 1, collect, g, &end), SKV_OK);
        CHECK(g->count >= 6 && g->count <= 12);
        if (seed == 0) CHECK_EQ_U64(g->count, 6);
        for (size_t k = 0; k < g->count; k++) CHECK(rec_ok(g, k, lens[k]));
        got_free(g);
        free(g);
        skv__memfs_free(c);
        skv__memfs_free(fs);
    }
}

static const TestCase TESTS[] = {
    {"round_trip_sizes", test_round_trip_sizes},
    {"round_trip_many", test_round_trip_many},
    {"empty_and_missing", test_empty_and_missing},
    {"add_many_one_append", test_add_many_one_append},
    {"block_trailers", test_block_trailers},
    {"cut_everywhere_small", test_cut_everywhere_small},
    {"cut_at_trailer", test_cut_at_trailer},
    {"cut_multi_block", test_cut_multi_block},
    {"flip_middle_record", test_flip_middle_record},
    {"flip_multi_block", test_flip_multi_block},
    {"flip_last_record", test_flip_last_record},
    {"zero_tail", test_zero_tail},
    {"sequence_errors", test_sequence_errors},
    {"callback_stops", test_callback_stops},
    {"write_failures_latch", test_write_failures_latch},
    {"crash_images", test_crash_images},
    {0, 0},
};

TEST_MAIN(TESTS)
