/*
 * bench_history.c — `skv-bench-history`: time-travel reads through the public API. For each
 * versions-per-key count V it loads a fresh versioned database with --keys keys x V versions
 * (round r writes version r of every key, in transactions of --batch keys, and records the
 * commit timestamp that ends the round), compacts it, then measures on one thread:
 *   get_at        skv_txn_get_at of a random key at the end of a random round (the value read
 *                 is checked: it must be that round's version); it reads the versions from
 *                 the newest down to that one
 *   get_at-now    the same at the end of the last round (one version read)
 *   history       the whole history of a random key (skv_txn_history over [k, k 0x00); all V
 *                 versions must come back, newest first)
 *   history-last  the versions of a random key written in the last min(10, V) rounds
 *                 (ts_from = the timestamp that ended the round before them)
 * and prints ops/s and p50/p99 latency of each, then how each scales from the first to the
 * last V.
 *
 *   skv-bench-history [--keys N] [--versions V1,V2,...] [--ops N] [--batch N] [--dir DIR]
 *                     [--opt name=value]... [--no-compact]
 *     --keys      keys (default 100000)
 *     --versions  versions per key to compare (default 10,100)
 *     --ops       operations per read measure (default 100000; history: a fifth of it)
 *     --batch     keys per load transaction (default 10000)
 *     --dir       scratch directory (default ./skv-bench-history.db); the databases made in
 *                 it are removed at the end, and the directory too when it is left empty
 *     --opt       a database option for skv_options_set (repeatable), for example
 *                 block_cache_capacity=2147483648 to hold the whole database in the cache
 *     --no-compact  measure right after the load, without the full compaction
 */
#include <skv.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { VALUE_SIZE = 32, MAX_RUNS = 8, MAX_OPTS = 16 };

static const char *opt_names[MAX_OPTS], *opt_values[MAX_OPTS];
static size_t nopts;

typedef struct {
    double ops_per_s, p50_us, p99_us;
} Stat;

typedef struct {
    size_t versions;
    double load_s, compact_s;
    Stat get_at, get_at_now, history, history_last;
} RunResult;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static size_t make_key(char *buf, size_t k) { return (size_t)sprintf(buf, "key%09zu", k); }

/* Version r of key k: its identity first, then filler. */
static void make_value(unsigned char v[VALUE_SIZE], size_t k, size_t r) {
    char head[VALUE_SIZE + 1];
    int n = snprintf(head, sizeof head, "k%zu-v%zu-", k, r);
    for (size_t i = 0; i < VALUE_SIZE; i++)
        v[i] = i < (size_t)n ? (unsigned char)head[i] : (unsigned char)('a' + (k + r + i) % 26);
}

static void die(const char *what, int rc) {
    fprintf(stderr, "skv-bench-history: %s: %s: %s\n", what, skv_errname(rc), skv_errmsg());
    exit(1);
}

static int remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d == NULL) return -1;
        struct dirent *e;
        int rc = 0;
        while (rc == 0 && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char child[4096];
            if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child) {
                rc = -1;
                break;
            }
            rc = remove_tree(child);
        }
        closedir(d);
        return rc == 0 ? rmdir(path) : rc;
    }
    return unlink(path);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static Stat summarize(uint64_t *lat, size_t n, uint64_t total_ns) {
    qsort(lat, n, sizeof *lat, cmp_u64);
    Stat s = {0, 0, 0};
    if (n == 0) return s;
    s.ops_per_s = (double)n * 1e9 / (double)(total_ns ? total_ns : 1);
    s.p50_us = (double)lat[(size_t)(0.50 * (double)(n - 1) + 0.5)] / 1000.0;
    s.p99_us = (double)lat[(size_t)(0.99 * (double)(n - 1) + 0.5)] / 1000.0;
    return s;
}

static uint64_t property_u64(skv_db *db, const char *name) {
    char *s = NULL;
    int rc = skv_property(db, name, &s);
    if (rc) die("skv_property", rc);
    uint64_t x = strtoull(s, NULL, 10);
    skv_free(s);
    return x;
}

/* Round r writes version r of every key; round_ts[r] is the last commit timestamp of it. */
static void load(skv_db *db, size_t nkeys, size_t versions, size_t batch, uint64_t *round_ts) {
    char key[32];
    unsigned char val[VALUE_SIZE];
    for (size_t r = 0; r < versions; r++) {
        for (size_t k0 = 0; k0 < nkeys; k0 += batch) {
            skv_txn *txn;
            int rc = skv_txn_begin(db, SKV_TXN_WRITE_ONLY, &txn);
            if (rc) die("skv_txn_begin", rc);
            for (size_t k = k0; k < nkeys && k < k0 + batch; k++) {
                make_value(val, k, r);
                size_t kl = make_key(key, k);
                if ((rc = skv_txn_set(txn, key, kl, val, VALUE_SIZE))) die("skv_txn_set", rc);
            }
            if ((rc = skv_txn_commit(txn))) die("skv_txn_commit", rc);
            skv_txn_free(txn);
        }
        round_ts[r] = property_u64(db, "timestamp");
    }
}

/* get_at of random keys at the end of a random round, or of the last one when latest. */
static Stat measure_get_at(skv_db *db, size_t nkeys, size_t versions, const uint64_t *round_ts,
                           int latest, size_t ops, uint64_t *lat) {
    skv_txn *txn;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc) die("skv_txn_begin", rc);
    char key[32];
    unsigned char want[VALUE_SIZE];
    uint64_t r64 = 42, t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        size_t k = (size_t)((r64 = mix64(r64)) % nkeys);
        size_t r = latest ? versions - 1 : (size_t)(mix64(r64) % versions);
        size_t kl = make_key(key, k);
        const void *v;
        size_t vl;
        uint64_t s = now_ns();
        rc = skv_txn_get_at(txn, key, kl, round_ts[r], &v, &vl);
        lat[i] = now_ns() - s;
        if (rc) die("skv_txn_get_at", rc);
        make_value(want, k, r);
        if (vl != VALUE_SIZE || memcmp(v, want, VALUE_SIZE) != 0) {
            fprintf(stderr,
                    "skv-bench-history: get_at of key %zu at round %zu read a wrong value\n", k, r);
            exit(1);
        }
    }
    uint64_t total = now_ns() - t0;
    skv_txn_free(txn);
    return summarize(lat, ops, total);
}

/* Reads the history of random keys from ts_from on; every key must show `expect` versions. */
static Stat measure_history(skv_db *db, size_t nkeys, uint64_t ts_from, size_t expect, size_t ops,
                            uint64_t *lat) {
    skv_txn *txn;
    int rc = skv_txn_begin(db, SKV_TXN_READ_ONLY, &txn);
    if (rc) die("skv_txn_begin", rc);
    char key[32], hi[33];
    uint64_t r64 = 7, t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        size_t k = (size_t)((r64 = mix64(r64)) % nkeys);
        size_t kl = make_key(key, k), n = 0;
        memcpy(hi, key, kl);
        hi[kl] = 0;
        uint64_t s = now_ns();
        skv_iter *it;
        rc = skv_txn_history(txn, key, kl, hi, kl + 1, ts_from, UINT64_MAX, 0, 0, &it);
        if (rc) die("skv_txn_history", rc);
        for (rc = skv_iter_first(it); rc == SKV_OK; rc = skv_iter_next(it)) n++;
        skv_iter_free(it);
        lat[i] = now_ns() - s;
        if (rc != SKV_NOTFOUND) die("history iteration", rc);
        if (n != expect) {
            fprintf(stderr, "skv-bench-history: key %zu shows %zu versions, expected %zu\n", k, n,
                    expect);
            exit(1);
        }
    }
    uint64_t total = now_ns() - t0;
    skv_txn_free(txn);
    return summarize(lat, ops, total);
}

static void print_stat(const char *name, const Stat *s) {
    printf("  %-13s %12.0f ops/s   p50 %8.2f us   p99 %8.2f us\n", name, s->ops_per_s, s->p50_us,
           s->p99_us);
}

static RunResult run(const char *dir, size_t nkeys, size_t versions, size_t ops, size_t batch,
                     int compact) {
    RunResult res = {.versions = versions};
    char path[4096];
    snprintf(path, sizeof path, "%s/v%zu", dir, versions);
    if (remove_tree(path) != 0) {
        fprintf(stderr, "skv-bench-history: cannot remove %s: %s\n", path, strerror(errno));
        exit(1);
    }
    skv_options *o;
    skv_db *db;
    int rc = skv_options_new(&o);
    if (!rc) rc = skv_options_set(o, "enable_versioning", "true");
    for (size_t i = 0; !rc && i < nopts; i++) rc = skv_options_set(o, opt_names[i], opt_values[i]);
    if (rc) die("options", rc);
    if ((rc = skv_open(path, o, &db))) die("skv_open", rc);
    skv_options_free(o);
    uint64_t *round_ts = calloc(versions, sizeof *round_ts);
    uint64_t *lat = calloc(ops ? ops : 1, sizeof *lat);
    if (!round_ts || !lat) {
        fprintf(stderr, "skv-bench-history: out of memory\n");
        exit(1);
    }
    uint64_t t = now_ns();
    load(db, nkeys, versions, batch, round_ts);
    if ((rc = skv_flush(db))) die("skv_flush", rc);
    res.load_s = (double)(now_ns() - t) / 1e9;
    if (compact) {
        t = now_ns();
        if ((rc = skv_compact(db))) die("skv_compact", rc);
        res.compact_s = (double)(now_ns() - t) / 1e9;
    }
    printf("%zu keys x %zu versions: loaded in %.1f s%s", nkeys, versions, res.load_s,
           compact ? "" : "\n");
    if (compact) printf(", compacted in %.1f s\n", res.compact_s);
    res.get_at = measure_get_at(db, nkeys, versions, round_ts, 0, ops, lat);
    print_stat("get_at", &res.get_at);
    res.get_at_now = measure_get_at(db, nkeys, versions, round_ts, 1, ops, lat);
    print_stat("get_at-now", &res.get_at_now);
    size_t hops = ops / 5 ? ops / 5 : 1;
    res.history = measure_history(db, nkeys, 0, versions, hops, lat);
    print_stat("history", &res.history);
    size_t last = versions < 10 ? versions : 10;
    uint64_t from = versions > last ? round_ts[versions - last - 1] + 1 : 0;
    res.history_last = measure_history(db, nkeys, from, last, hops, lat);
    char name[32];
    snprintf(name, sizeof name, "history-%zu", last);
    print_stat(name, &res.history_last);
    fflush(stdout);
    free(round_ts);
    free(lat);
    if ((rc = skv_close(db))) die("skv_close", rc);
    remove_tree(path);
    return res;
}

static int parse_count(const char *s, size_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || x == 0) return -1;
    *out = (size_t)x;
    return 0;
}

int main(int argc, char **argv) {
    size_t nkeys = 100000, ops = 100000, batch = 10000, versions[MAX_RUNS], nruns = 0;
    const char *dir = "./skv-bench-history.db", *vlist = "10,100";
    int compact = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-compact") == 0) {
            compact = 0;
            continue;
        }
        if (!v) goto usage;
        i++;
        if (strcmp(a, "--keys") == 0 && !parse_count(v, &nkeys)) continue;
        if (strcmp(a, "--ops") == 0 && !parse_count(v, &ops)) continue;
        if (strcmp(a, "--batch") == 0 && !parse_count(v, &batch)) continue;
        if (strcmp(a, "--dir") == 0) {
            dir = v;
            continue;
        }
        if (strcmp(a, "--versions") == 0) {
            vlist = v;
            continue;
        }
        if (strcmp(a, "--opt") == 0 && strchr(v, '=') && nopts < MAX_OPTS) {
            static char specs[MAX_OPTS][256];
            snprintf(specs[nopts], sizeof specs[nopts], "%s", v);
            char *eq = strchr(specs[nopts], '=');
            *eq = '\0';
            opt_names[nopts] = specs[nopts];
            opt_values[nopts++] = eq + 1;
            continue;
        }
    usage:
        fprintf(stderr, "usage: skv-bench-history [--keys N] [--versions V1,V2,...] [--ops N] "
                        "[--batch N] [--dir DIR] [--opt name=value]... [--no-compact]\n");
        return 2;
    }
    for (const char *p = vlist; *p && nruns < MAX_RUNS;) {
        char buf[32];
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof buf) goto usage;
        memcpy(buf, p, n);
        buf[n] = 0;
        if (parse_count(buf, &versions[nruns++])) goto usage;
        p += n + (p[n] == ',');
    }
    if (!nruns) goto usage;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "skv-bench-history: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    printf("skv %s, %zu-byte values, one reader thread\n", skv_version_string(),
           (size_t)VALUE_SIZE);
    RunResult res[MAX_RUNS];
    for (size_t i = 0; i < nruns; i++) res[i] = run(dir, nkeys, versions[i], ops, batch, compact);
    rmdir(dir); /* only when empty: never removes anything the benchmark did not create */
    if (nruns > 1) {
        const RunResult *a = &res[0], *b = &res[nruns - 1];
        double f = (double)b->versions / (double)a->versions;
        printf("scaling %zu -> %zu versions per key (x%.0f): p50 get_at x%.2f, get_at-now x%.2f, "
               "history x%.2f, history of the last 10 x%.2f\n",
               a->versions, b->versions, f, b->get_at.p50_us / a->get_at.p50_us,
               b->get_at_now.p50_us / a->get_at_now.p50_us, b->history.p50_us / a->history.p50_us,
               b->history_last.p50_us / a->history_last.p50_us);
    }
    return 0;
}
