/* test_vlog_corruption.c — owns the value-log part of the corruption matrix (plan 11.7) on
 * memfs. */
/*
 * A database with the value log on (threshold 64, 4 KiB value-log files, flushes and
 * compactions inline) holds 60 keys, 48 of them with values of 100-400 bytes in four
 * value-log files and 12 with small values in the tables, after a flush and a full
 * compaction. The records of every file are found by parsing it (FORMAT.md). Each case
 * damages a copy and asserts the exact outcome: the open error and the file it names, or,
 * when open succeeds, which keys read their exact value and which give SKV_ECORRUPT naming
 * the file and the record's offset (with checksum verification on, and for structural damage
 * also off), a full scan (the exact prefix before the first damaged key, then SKV_ECORRUPT),
 * a keys-only scan (complete: it reads no value), a full compaction (succeeds: pointers are
 * copied, not read) and a reopen, after which the outcome is the same. A damaged record in a
 * file that compaction rewrites keeps its pointer (that key stays damaged, every other value
 * moves) and the compaction succeeds. The integrity check (skv_check_dir on the closed copy,
 * skv_check on it open) reports each damaged pointer exactly: a flipped value byte, a
 * truncated file, a missing file, and lists an orphan value-log file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "env/env.h"
#include "test.h"
#include "vlog/vlog.h"

#define DB "db"

enum { NKEYS = 60, MAXREC = 64 };

static void key_name(int k, char *buf) { snprintf(buf, 16, "key%03d", k); }

/* Keys with k % 5 == 4 get a small (table) value, the others 100-400 bytes. */
static size_t val_len(int k, int ver) {
    return k % 5 == 4 ? (size_t)(10 + k % 7) : (size_t)(100 + (k * 53 + ver * 31) % 301);
}

static void val_fill(int k, int ver, uint8_t *v) {
    size_t n = val_len(k, ver);
    for (size_t i = 0; i < n; i++) v[i] = (uint8_t)('a' + (k * 7 + ver * 3 + i) % 26);
}

/* ---- the base database ---- */

typedef struct {
    int key; /* -1: none */
    uint64_t file, off, size;
} Rec;

typedef struct {
    SkvMemFs *fs;
    Rec recs[MAXREC];
    int nrecs;
    uint64_t files[8];
    int nfiles;
    int ver[NKEYS]; /* version of each key's value */
} Base;

static SkvDbOptions db_opts(int verify) {
    SkvDbOptions o;
    skv__db_options_default(&o);
    o.bg_inline = 1;
    o.enable_vlog = 1;
    o.vlog_value_threshold = 64;
    o.vlog_max_file_size = 4096;
    o.vlog_checksum_verification = verify;
    return o;
}

static int put(skv_db *db, int k, int ver) {
    char key[16];
    uint8_t v[512];
    key_name(k, key);
    val_fill(k, ver, v);
    skv_txn *t;
    int rc = skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &t);
    if (!rc) rc = skv_txn_set(t, key, strlen(key), v, val_len(k, ver));
    if (!rc) rc = skv_txn_commit(t);
    skv_txn_free(t);
    return rc;
}

/* Finds every record of every value-log file of the database. */
static int base_parse(Base *b) {
    SkvEnv *env = skv__memfs_env(b->fs);
    char **names;
    size_t n;
    b->nrecs = b->nfiles = 0;
    if (env->list(env, DB, &names, &n)) return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t num;
        if (skv__vlog_parse_name(names[i], &num) && b->nfiles < 8) b->files[b->nfiles++] = num;
    }
    skv__env_free_list(names, n);
    for (int i = 1; i < b->nfiles; i++) /* sort */
        for (int j = i; j > 0 && b->files[j - 1] > b->files[j]; j--) {
            uint64_t t = b->files[j];
            b->files[j] = b->files[j - 1];
            b->files[j - 1] = t;
        }
    for (int f = 0; f < b->nfiles; f++) {
        char *path = skv__vlog_path(DB, b->files[f]), *d;
        size_t len;
        int rc = skv__env_read_file(env, path, &d, &len);
        free(path);
        if (rc) return -1;
        const uint8_t *p = (const uint8_t *)d;
        for (uint64_t off = SKV_VLOG_FILE_HEADER; off + SKV_VLOG_RECORD_HEADER <= len;) {
            uint32_t kl = skv__get_u32(p + off + 8), vl = skv__get_u32(p + off + 12);
            char key[16];
            int k = -1;
            if (kl == 6) {
                memcpy(key, p + off + 16, 6);
                key[6] = 0;
                k = atoi(key + 3);
            }
            if (b->nrecs < MAXREC)
                b->recs[b->nrecs++] = (Rec){k, b->files[f], off, skv__vlog_record_size(kl, vl)};
            off += skv__vlog_record_size(kl, vl);
        }
        free(d);
    }
    return 0;
}

static int base_build(Base *b) {
    memset(b, 0, sizeof *b);
    b->fs = skv__memfs_new();
    SkvDbOptions o = db_opts(1);
    skv_db *db;
    int rc = skv__db_open(DB, &o, skv__memfs_env(b->fs), &db);
    for (int k = 0; k < NKEYS; k++) b->ver[k] = 1;
    for (int k = 0; !rc && k < NKEYS; k++) rc = put(db, k, 1);
    if (!rc) rc = skv_flush(db);
    if (!rc) rc = skv_compact(db);
    int crc = skv_close(db);
    return rc || crc || base_parse(b) ? -1 : 0;
}

static const Rec *rec_of(const Base *b, int k) {
    for (int i = 0; i < b->nrecs; i++)
        if (b->recs[i].key == k) return &b->recs[i];
    return NULL;
}

static char *file_path(uint64_t number) { return skv__vlog_path(DB, number); }

/* ---- damage ---- */

static int edit_file(SkvEnv *env, uint64_t file, uint64_t off, size_t len, int mode) {
    char *path = file_path(file), *d;
    size_t n;
    int rc = skv__env_read_file(env, path, &d, &n);
    if (!rc && off + len <= n) {
        if (mode == 0)
            d[off] ^= 0x04;
        else if (mode == 1)
            memset(d + off, 0, len);
        else
            n = (size_t)off;
        rc = skv__env_write_file_sync(env, path, d, n);
    } else if (!rc)
        rc = -1;
    free(d);
    free(path);
    return rc;
}

/* ---- checking ---- */

static char g_case[120];

static void fail_(int line, const char *fmt, ...) SKV_PRINTF(2, 3);
static void fail_(int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "test_vlog_corruption.c:%d: [%s] ", line, g_case);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    test_failures_++;
}

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fail_(__LINE__, __VA_ARGS__);                                                          \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

/* What each key must give: 0 its value, 1 SKV_ECORRUPT (message naming its file and offset
 * when the record's place is known), 2 its value with byte `flip_at` xor 0x04 (damage that
 * only a checksum would catch, read with verification off). */
typedef struct {
    int bad[NKEYS];
    size_t flip_at;
    const char *what; /* part of the SKV_ECORRUPT message */
    int header;       /* the file header is damaged: no record offset in the message */
} Want;

static int check_key(const Base *b, skv_db *db, int k, const Want *w) {
    char key[16];
    uint8_t want[512];
    key_name(k, key);
    val_fill(k, b->ver[k], want);
    size_t n = val_len(k, b->ver[k]);
    if (w->bad[k] == 2) want[w->flip_at] ^= 0x04;
    skv_txn *t;
    const void *v = NULL;
    size_t vl = 0;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &t);
    if (!rc) rc = skv_txn_get(t, key, strlen(key), &v, &vl);
    char msg[300];
    snprintf(msg, sizeof msg, "%s", skv_errmsg());
    int same = !rc && vl == n && memcmp(v, want, n) == 0;
    skv_txn_free(t);
    if (w->bad[k] != 1) {
        EXPECT(same, "%s: got %s (%zu bytes), expected its %svalue: %s", key, skv_errname(rc), vl,
               w->bad[k] == 2 ? "damaged " : "", msg);
        return 0;
    }
    EXPECT(rc == SKV_ECORRUPT, "%s: got %s, expected SKV_ECORRUPT", key, skv_errname(rc));
    const Rec *r = rec_of(b, k);
    char *path = file_path(r->file), off[48];
    snprintf(off, sizeof off, "offset %llu", (unsigned long long)r->off);
    int named =
        strstr(msg, path) && (w->header || strstr(msg, off)) && (!w->what || strstr(msg, w->what));
    free(path);
    EXPECT(named, "%s: message '%s' does not name the file, %s, '%s'", key, msg, off,
           w->what ? w->what : "");
    return 0;
}

typedef struct {
    int n, stop_rc;
    int keys[NKEYS];
} Scan;

static int scan_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl) {
    (void)v;
    (void)vl;
    Scan *s = ud;
    const char *d = (const char *)k + 3;
    if (kl == 6 && s->n < NKEYS)
        s->keys[s->n++] = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    return 0;
}

/* Full scan: the keys before the first damaged one, then SKV_ECORRUPT; a keys-only scan
 * sees every key. */
static int check_scans(skv_db *db, const Want *w) {
    int first_bad = NKEYS;
    for (int k = NKEYS - 1; k >= 0; k--)
        if (w->bad[k] == 1) first_bad = k;
    for (int keys_only = 0; keys_only < 2; keys_only++) {
        skv_txn *t;
        Scan s = {0};
        int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &t);
        if (!rc)
            rc = skv_txn_scan(t, NULL, 0, NULL, 0, keys_only ? SKV_ITER_KEYS_ONLY : 0, 0, scan_cb,
                              &s);
        skv_txn_free(t);
        int want_n = keys_only ? NKEYS : first_bad;
        int want_rc = keys_only || first_bad == NKEYS ? SKV_OK : SKV_ECORRUPT;
        EXPECT(rc == want_rc && s.n == want_n, "%s scan: %s after %d keys, expected %s after %d",
               keys_only ? "keys-only" : "full", skv_errname(rc), s.n, skv_errname(want_rc),
               want_n);
        for (int i = 0; i < s.n; i++) EXPECT(s.keys[i] == i, "scan key %d is %d", i, s.keys[i]);
    }
    return 0;
}

static int check_db(const Base *b, skv_db *db, const Want *w, const char *stage) {
    char save[120];
    snprintf(save, sizeof save, "%s", g_case);
    snprintf(g_case + strlen(g_case), sizeof g_case - strlen(g_case), ", %s", stage);
    int rc = 0;
    for (int k = 0; !rc && k < NKEYS; k++) rc = check_key(b, db, k, w);
    if (!rc) rc = check_scans(db, w);
    snprintf(g_case, sizeof g_case, "%s", save);
    return rc;
}

/* Opens a damaged copy and checks it, compacts and checks, reopens and checks. */
static int run_case(const Base *b, SkvMemFs *fs, int verify, const Want *w) {
    SkvDbOptions o = db_opts(verify);
    skv_db *db;
    int rc = skv__db_open(DB, &o, skv__memfs_env(fs), &db);
    EXPECT(rc == SKV_OK, "open: %s: %s", skv_errname(rc), skv_errmsg());
    if (check_db(b, db, w, "opened")) {
        skv_close(db);
        return -1;
    }
    rc = skv_compact(db);
    if (rc) skv_close(db);
    EXPECT(rc == SKV_OK, "compaction: %s: %s", skv_errname(rc), skv_errmsg());
    if (check_db(b, db, w, "compacted")) {
        skv_close(db);
        return -1;
    }
    EXPECT(skv_close(db) == SKV_OK, "close");
    EXPECT(skv__db_open(DB, &o, skv__memfs_env(fs), &db) == SKV_OK, "reopen: %s", skv_errmsg());
    rc = check_db(b, db, w, "reopened");
    skv_close(db);
    return rc;
}

/* ---- cases ---- */

/* The record of a key with a value in the value log, picked by index among them. */
static const Rec *pick(const Base *b, int which) {
    int seen = 0;
    for (int i = 0; i < b->nrecs; i++)
        if (b->recs[i].key >= 0 && seen++ == which) return &b->recs[i];
    return NULL;
}

static void test_layout(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    /* 48 values of 100-400 bytes in 4 KiB files */
    CHECK_EQ_U64(b.nrecs, 48);
    CHECK(b.nfiles >= 3);
    for (int k = 0; k < NKEYS; k++) CHECK((rec_of(&b, k) != NULL) == (k % 5 != 4));
    skv__memfs_free(b.fs);
}

static void value_flip(int verify) {
    Base b;
    CHECK(base_build(&b) == 0);
    for (int which = 0; which < 48; which += 11) {
        const Rec *r = pick(&b, which);
        size_t at = val_len(r->key, 1) / 2;
        SkvMemFs *fs = skv__memfs_clone(b.fs);
        snprintf(g_case, sizeof g_case, "value bit flip in key%03d, verify %d", r->key, verify);
        CHECK(edit_file(skv__memfs_env(fs), r->file, r->off + 16 + 6 + at, 1, 0) == 0);
        Want w = {.flip_at = at, .what = "value checksum mismatch"};
        w.bad[r->key] = verify ? 1 : 2;
        CHECK(run_case(&b, fs, verify, &w) == 0);
        skv__memfs_free(fs);
    }
    skv__memfs_free(b.fs);
}

static void test_value_flip_verified(void) { value_flip(1); }
static void test_value_flip_unverified(void) { value_flip(0); }

/* Damage a check without checksums catches: the same outcome with verification off. */
static void structural(const char *name, uint64_t at, size_t len, int mode, const char *what) {
    Base b;
    CHECK(base_build(&b) == 0);
    for (int verify = 0; verify < 2; verify++)
        for (int which = 3; which < 48; which += 20) {
            const Rec *r = pick(&b, which);
            SkvMemFs *fs = skv__memfs_clone(b.fs);
            snprintf(g_case, sizeof g_case, "%s of key%03d, verify %d", name, r->key, verify);
            CHECK(edit_file(skv__memfs_env(fs), r->file, r->off + at, len ? len : r->size, mode) ==
                  0);
            Want w = {.what = what};
            w.bad[r->key] = 1;
            CHECK(run_case(&b, fs, verify, &w) == 0);
            skv__memfs_free(fs);
        }
    skv__memfs_free(b.fs);
}

static void test_zeroed_record(void) { structural("zeroed record", 0, 0, 1, "lengths"); }
static void test_key_flip(void) { structural("key bit flip", 16 + 4, 1, 0, "another key"); }
static void test_length_flip(void) { structural("length bit flip", 12, 1, 0, "lengths"); }

/* A file cut inside a record: that record and every later one of the file are damaged. */
static void test_truncation(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    for (int which = 1; which < 48; which += 15) {
        const Rec *r = pick(&b, which);
        SkvMemFs *fs = skv__memfs_clone(b.fs);
        snprintf(g_case, sizeof g_case, "file cut inside the record of key%03d", r->key);
        CHECK(edit_file(skv__memfs_env(fs), r->file, r->off + r->size / 2, 0, 2) == 0);
        Want w = {.what = "past the end of the file"};
        for (int i = 0; i < b.nrecs; i++)
            if (b.recs[i].file == r->file && b.recs[i].off >= r->off) w.bad[b.recs[i].key] = 1;
        CHECK(run_case(&b, fs, 1, &w) == 0);
        skv__memfs_free(fs);
    }
    skv__memfs_free(b.fs);
}

/* A damaged file header: every key of that file is damaged, no other. */
static void test_header_flip(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    uint64_t offs[3] = {0, 9, 20};
    for (int i = 0; i < 3; i++) {
        uint64_t file = b.files[i % b.nfiles];
        SkvMemFs *fs = skv__memfs_clone(b.fs);
        snprintf(g_case, sizeof g_case, "header byte %llu of file %llu flipped",
                 (unsigned long long)offs[i], (unsigned long long)file);
        CHECK(edit_file(skv__memfs_env(fs), file, offs[i], 1, 0) == 0);
        Want w = {.what = i ? "file header checksum" : "magic", .header = 1};
        for (int r = 0; r < b.nrecs; r++)
            if (b.recs[r].file == file) w.bad[b.recs[r].key] = 1;
        CHECK(run_case(&b, fs, 1, &w) == 0);
        skv__memfs_free(fs);
    }
    skv__memfs_free(b.fs);
}

/* A missing file is reported at open, naming it; nothing is changed on disk. */
static void test_missing_file(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    for (int i = 0; i < b.nfiles; i++) {
        SkvMemFs *fs = skv__memfs_clone(b.fs);
        SkvEnv *env = skv__memfs_env(fs);
        char *path = file_path(b.files[i]);
        CHECK_RC(env->remove(env, path), SKV_OK);
        SkvDbOptions o = db_opts(1);
        skv_db *db;
        for (int attempt = 0; attempt < 2; attempt++) {
            CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_ECORRUPT);
            CHECK(strstr(skv_errmsg(), path) && strstr(skv_errmsg(), "is missing"));
        }
        free(path);
        skv__memfs_free(fs);
    }
    skv__memfs_free(b.fs);
}

/* A damaged record in a file that compaction rewrites: that key keeps its pointer and stays
 * damaged; every other live value of the file moves; compaction succeeds. */
static void test_damage_in_rewritten_file(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    SkvMemFs *fs = skv__memfs_clone(b.fs);
    SkvEnv *env = skv__memfs_env(fs);
    uint64_t file = b.files[0];
    int victim = -1, nlive = 0;
    /* overwrite all but two keys of the first file, so it is mostly dead */
    SkvDbOptions o = db_opts(1);
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    int keep[2] = {-1, -1};
    for (int i = 0; i < b.nrecs; i++) {
        if (b.recs[i].file != file) continue;
        if (nlive < 2) {
            keep[nlive++] = b.recs[i].key;
            continue;
        }
        CHECK_RC(put(db, b.recs[i].key, 2), SKV_OK);
        b.ver[b.recs[i].key] = 2;
    }
    CHECK_RC(skv_close(db), SKV_OK);
    victim = keep[0];
    const Rec *r = rec_of(&b, victim);
    CHECK(edit_file(env, file, r->off + 16 + 6 + 3, 1, 0) == 0);
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(skv_compact(db), SKV_OK);
    char *s;
    CHECK_RC(skv_property(db, "vlog-gc-runs", &s), SKV_OK);
    CHECK(strcmp(s, "1") == 0);
    skv_free(s);
    snprintf(g_case, sizeof g_case, "damaged key%03d in a rewritten file", victim);
    Want w = {.what = "value checksum mismatch"};
    w.bad[victim] = 1;
    CHECK(check_db(&b, db, &w, "compacted") == 0);
    /* the file stays (the damaged record is still referenced); a second compaction does not
     * try it again */
    CHECK_RC(skv_compact(db), SKV_OK);
    CHECK_RC(skv_property(db, "vlog-gc-runs", &s), SKV_OK);
    CHECK(strcmp(s, "1") == 0);
    skv_free(s);
    char *path = file_path(file);
    int is_dir;
    CHECK_RC(env->exists(env, path, &is_dir), SKV_OK);
    free(path);
    CHECK(check_db(&b, db, &w, "compacted twice") == 0);
    CHECK_RC(skv_close(db), SKV_OK);
    skv__memfs_free(fs);
    skv__memfs_free(b.fs);
    (void)keep[1];
}

/* ---- the integrity check ---- */

/* Checks the closed copy, then the same copy open: the same result code and the same
 * problem count both times; each report must hold every string of `has` and the summary
 * "<problems>, <orphans>". */
static int check_both(SkvMemFs *fs, int want_rc, const char *summary, const char *const *has,
                      int nhas) {
    SkvDbOptions o = db_opts(1);
    SkvEnv *env = skv__memfs_env(fs);
    for (int open = 0; open < 2; open++) {
        char *report = NULL;
        skv_db *db = NULL;
        int rc;
        if (open) {
            rc = skv__db_open(DB, &o, env, &db);
            EXPECT(rc == SKV_OK, "open: %s: %s", skv_errname(rc), skv_errmsg());
            rc = skv__db_check(db, &report);
        } else {
            rc = skv__db_check_dir(env, DB, &o, &report);
        }
        char msg[512];
        snprintf(msg, sizeof msg, "%s", skv_errmsg());
        if (db) skv_close(db);
        int ok = rc == want_rc && report && strstr(report, summary);
        for (int i = 0; ok && i < nhas; i++) ok = strstr(report, has[i]) || strstr(msg, has[i]);
        if (!ok)
            fprintf(stderr, "[%s] check (%s): %s: %s\n%s", g_case, open ? "open" : "closed",
                    skv_errname(rc), msg, report ? report : "(no report)\n");
        free(report);
        EXPECT(ok, "check result");
    }
    return 0;
}

static void test_check_value_flip(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    const Rec *r = pick(&b, 17);
    SkvMemFs *fs = skv__memfs_clone(b.fs);
    snprintf(g_case, sizeof g_case, "check: value byte of key%03d flipped", r->key);
    CHECK(edit_file(skv__memfs_env(fs), r->file, r->off + 16 + 6 + 5, 1, 0) == 0);
    char key[48], where[96];
    snprintf(key, sizeof key, ": key 'key%03d': ", r->key);
    char *path = file_path(r->file);
    snprintf(where, sizeof where, "%s: record at offset %llu: value checksum mismatch", path,
             (unsigned long long)r->off);
    free(path);
    const char *has[] = {key, where, "48 value pointers", "problem: table db/"};
    CHECK(check_both(fs, SKV_ECORRUPT, "records: 1 problem, 0 orphans", has, 4) == 0);
    skv__memfs_free(fs);
    skv__memfs_free(b.fs);
}

static void test_check_truncated_file(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    const Rec *r = pick(&b, 1);
    SkvMemFs *fs = skv__memfs_clone(b.fs);
    snprintf(g_case, sizeof g_case, "check: file cut inside the record of key%03d", r->key);
    CHECK(edit_file(skv__memfs_env(fs), r->file, r->off + r->size / 2, 0, 2) == 0);
    int cut = 0;
    for (int i = 0; i < b.nrecs; i++) cut += b.recs[i].file == r->file && b.recs[i].off >= r->off;
    CHECK(cut >= 2);
    char summary[64], key[48];
    snprintf(summary, sizeof summary, "records: %d problems, 0 orphans", cut);
    snprintf(key, sizeof key, ": key 'key%03d': ", r->key);
    const char *has[] = {key, "record extends past the end of the file"};
    CHECK(check_both(fs, SKV_ECORRUPT, summary, has, 2) == 0);
    skv__memfs_free(fs);
    skv__memfs_free(b.fs);
}

/* A missing file is one problem naming it and the first pointer into it (open refuses the
 * database, so only the closed check runs). */
static void test_check_missing_file(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    SkvMemFs *fs = skv__memfs_clone(b.fs);
    SkvEnv *env = skv__memfs_env(fs);
    char *path = file_path(b.files[1]);
    CHECK_RC(env->remove(env, path), SKV_OK);
    int in_file = 0;
    for (int i = 0; i < b.nrecs; i++) in_file += b.recs[i].file == b.files[1];
    char *report = NULL, want[160], count[96];
    SkvDbOptions o = db_opts(1);
    CHECK_RC(skv__db_check_dir(env, DB, &o, &report), SKV_ECORRUPT);
    snprintf(want, sizeof want, "problem: value-log file %s is missing: ", path);
    snprintf(count, sizeof count, "%d value pointers cannot be read, the first: table db/",
             in_file);
    CHECK(report && strstr(report, want) && strstr(report, count) && strstr(report, ", key 'key") &&
          strstr(report, "records: 1 problem, 0 orphans"));
    CHECK(strstr(skv_errmsg(), path) != NULL);
    free(report);
    free(path);
    skv__memfs_free(fs);
    skv__memfs_free(b.fs);
}

/* A value-log file no table references is listed as an orphan, not a problem. */
static void test_check_orphan_file(void) {
    Base b;
    CHECK(base_build(&b) == 0);
    SkvMemFs *fs = skv__memfs_clone(b.fs);
    SkvEnv *env = skv__memfs_env(fs);
    char *from = file_path(b.files[0]), *to = file_path(99999);
    CHECK_RC(skv__env_copy_file(env, from, to, UINT64_MAX), SKV_OK);
    snprintf(g_case, sizeof g_case, "check: orphan value-log file");
    const char *has[] = {"orphan: db/00000000000000099999.vlog is not named by the manifest"};
    /* closed: the copy is there; open deletes it first, so only the closed check lists it */
    char *report = NULL;
    SkvDbOptions o = db_opts(1);
    CHECK_RC(skv__db_check_dir(env, DB, &o, &report), SKV_OK);
    CHECK(report && strstr(report, has[0]) && strstr(report, "clean, 0 problems, 1 orphan\n"));
    free(report);
    /* open deletes the orphan: the check of the open database is clean */
    skv_db *db;
    CHECK_RC(skv__db_open(DB, &o, env, &db), SKV_OK);
    CHECK_RC(skv__db_check(db, &report), SKV_OK);
    CHECK(report && strstr(report, "clean, 0 problems, 0 orphans\n") && !strstr(report, has[0]));
    free(report);
    CHECK_RC(skv_close(db), SKV_OK);
    int is_dir;
    CHECK_RC(env->exists(env, to, &is_dir), SKV_NOTFOUND);
    free(from);
    free(to);
    skv__memfs_free(fs);
    skv__memfs_free(b.fs);
}

static const TestCase TESTS[] = {
    {"layout", test_layout},
    {"value_flip_verified", test_value_flip_verified},
    {"value_flip_unverified", test_value_flip_unverified},
    {"zeroed_record", test_zeroed_record},
    {"key_flip", test_key_flip},
    {"length_flip", test_length_flip},
    {"truncation", test_truncation},
    {"header_flip", test_header_flip},
    {"missing_file", test_missing_file},
    {"damage_in_rewritten_file", test_damage_in_rewritten_file},
    {"check_value_flip", test_check_value_flip},
    {"check_truncated_file", test_check_truncated_file},
    {"check_missing_file", test_check_missing_file},
    {"check_orphan_file", test_check_orphan_file},
    {0, 0},
};

TEST_MAIN(TESTS)
