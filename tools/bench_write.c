/*
 * bench_write.c — `skv-bench-write`: a quick write benchmark through the public API. Every
 * operation is one transaction holding one put (16-byte key, 100-byte value, keys in random
 * order, distinct across threads). It runs 1 and 4 writer threads, each with eventual and
 * with immediate durability, on a fresh database per configuration, and prints ops/s and
 * the p50/p99 commit latency of each.
 *
 *   skv-bench-write [--n OPS] [--sync-n OPS] [--dir DIR]
 *     --n       operations per thread with eventual durability (default 10000)
 *     --sync-n  operations per thread with immediate durability (default: --n, at most 2000)
 *     --dir     scratch directory (default ./skv-bench.db); the databases made in it are
 *               removed at the end, and the directory too when it is left empty
 */
#include <skv.h>

#include "remove_tree.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { KEY_SIZE = 16, VALUE_SIZE = 100 };

typedef struct {
    skv_db *db;
    int durability;
    unsigned id;
    size_t n;
    uint64_t *lat_ns; /* n latencies */
    int rc;           /* first failure, SKV_OK when none */
    char err[256];
} Worker;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: a bijection, so distinct inputs give distinct keys in a random order. */
static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static void make_key(char key[KEY_SIZE], unsigned thread, size_t i) {
    static const char digits[] = "0123456789abcdef";
    uint64_t x = mix64((uint64_t)thread << 40 | (uint64_t)i);
    for (int b = 0; b < KEY_SIZE; b++) key[b] = digits[(x >> (60 - 4 * b)) & 15];
}

static void *writer(void *arg) {
    Worker *w = arg;
    char key[KEY_SIZE];
    unsigned char value[VALUE_SIZE];
    uint64_t r = mix64(w->id + 1);
    for (size_t i = 0; i < VALUE_SIZE; i++) {
        r = mix64(r);
        value[i] = (unsigned char)r;
    }
    for (size_t i = 0; i < w->n; i++) {
        make_key(key, w->id, i);
        value[i % VALUE_SIZE]++;
        uint64_t t0 = now_ns();
        skv_txn *txn = NULL;
        int rc = skv_txn_begin(w->db, SKV_TXN_WRITE_ONLY, &txn);
        if (rc == SKV_OK) rc = skv_txn_set_durability(txn, w->durability);
        if (rc == SKV_OK) rc = skv_txn_set(txn, key, KEY_SIZE, value, VALUE_SIZE);
        if (rc == SKV_OK) rc = skv_txn_commit(txn);
        if (rc != SKV_OK) {
            snprintf(w->err, sizeof w->err, "%s", skv_errmsg()); /* copy before any call */
            w->rc = rc;
            skv_txn_free(txn);
            return NULL;
        }
        skv_txn_free(txn);
        w->lat_ns[i] = now_ns() - t0;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_us(const uint64_t *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)sorted[i] / 1000.0;
}

/* One configuration on a fresh database under dir; returns 0 or exits on failure. */
static int run(const char *dir, unsigned threads, int durability, size_t n) {
    const char *dname = durability == SKV_DURABILITY_IMMEDIATE ? "immediate" : "eventual";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%ut", dir, dname, threads);
    if (remove_tree(path) != 0) {
        fprintf(stderr, "skv-bench-write: cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    skv_db *db = NULL;
    int rc = skv_open(path, NULL, &db);
    if (rc != SKV_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", skv_errmsg());
        fprintf(stderr, "skv-bench-write: skv_open %s: %s: %s\n", path, skv_errname(rc), msg);
        return -1;
    }

    Worker w[4];
    pthread_t tid[4];
    uint64_t *lat = malloc(sizeof *lat * n * threads);
    if (lat == NULL) {
        fprintf(stderr, "skv-bench-write: out of memory\n");
        skv_close(db);
        return -1;
    }
    uint64_t t0 = now_ns();
    for (unsigned t = 0; t < threads; t++) {
        w[t] = (Worker){db, durability, t, n, lat + (size_t)t * n, SKV_OK, ""};
        if (pthread_create(&tid[t], NULL, writer, &w[t]) != 0) {
            fprintf(stderr, "skv-bench-write: pthread_create failed\n");
            exit(2);
        }
    }
    for (unsigned t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    uint64_t elapsed = now_ns() - t0;

    int failed = 0;
    for (unsigned t = 0; t < threads; t++) {
        if (w[t].rc != SKV_OK) {
            fprintf(stderr, "skv-bench-write: thread %u: %s: %s\n", t, skv_errname(w[t].rc),
                    w[t].err);
            failed = 1;
        }
    }
    rc = skv_close(db);
    if (rc != SKV_OK) {
        fprintf(stderr, "skv-bench-write: skv_close: %s\n", skv_errname(rc));
        failed = 1;
    }
    if (!failed) {
        size_t total = n * threads;
        qsort(lat, total, sizeof *lat, cmp_u64);
        double secs = (double)elapsed / 1e9;
        printf("%-10s %7u %10zu %12.0f %10.1f %10.1f\n", dname, threads, total,
               secs > 0 ? (double)total / secs : 0.0, percentile_us(lat, total, 0.50),
               percentile_us(lat, total, 0.99));
        fflush(stdout);
    }
    free(lat);
    remove_tree(path);
    return failed ? -1 : 0;
}

static int parse_count(const char *s, size_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > (1ull << 32)) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int main(int argc, char **argv) {
    size_t n = 10000, sync_n = 0;
    const char *dir = "./skv-bench.db";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--n") == 0 && v && parse_count(v, &n) == 0) {
            i++;
        } else if (strcmp(a, "--sync-n") == 0 && v && parse_count(v, &sync_n) == 0) {
            i++;
        } else if (strcmp(a, "--dir") == 0 && v) {
            dir = v;
            i++;
        } else {
            fprintf(stderr, "usage: skv-bench-write [--n OPS] [--sync-n OPS] [--dir DIR]\n");
            return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ? 0 : 2;
        }
    }
    if (sync_n == 0) sync_n = n < 2000 ? n : 2000;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "skv-bench-write: mkdir %s: %s\n", dir, strerror(errno));
        return 2;
    }

    printf("skv %s write benchmark: one put per transaction, %d-byte keys, %d-byte values\n",
           skv_version_string(), KEY_SIZE, VALUE_SIZE);
    printf("dir %s; %zu ops/thread (eventual), %zu ops/thread (immediate)\n\n", dir, n, sync_n);
    printf("%-10s %7s %10s %12s %10s %10s\n", "durability", "threads", "ops", "ops/s", "p50 us",
           "p99 us");
    static const unsigned thread_counts[] = {1, 4};
    int status = 0;
    for (int d = 0; d < 2; d++) {
        int durability = d == 0 ? SKV_DURABILITY_EVENTUAL : SKV_DURABILITY_IMMEDIATE;
        for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
            if (run(dir, thread_counts[t], durability, d == 0 ? n : sync_n) != 0) status = 2;
        }
    }
    rmdir(dir); /* only when empty: never removes anything the benchmark did not create */
    return status;
}
