/*
 * bench_main.c — the driver of `skv-bench`, a db_bench-style benchmark that runs the same
 * workloads against skv and the peers built in (RocksDB, LevelDB, LMDB; see bench.h for the
 * adapter interface) in one run and prints, per workload and engine, ops/s, MB/s, p50/p99
 * latency and the skv/peer ratio, then each engine's peak RSS. Each engine runs all its
 * workloads in its own forked child process, one engine after the other, so its memory is
 * measured on its own (getrusage in the child) and it never competes with another engine
 * for the CPU. The child sends its results to the parent through a pipe.
 *
 *   skv-bench [--num N] [--value-size B] [--batch K] [--reads N] [--seeks N] [--scan-len N]
 *             [--sync-num N] [--threads N] [--seed S] [--engines LIST] [--benchmarks LIST]
 *             [--dir DIR]
 *
 * tools/bench/README.md describes the workloads and the durability settings.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { KEY_SIZE = 16, MAX_ENGINES = 8, MAX_ROWS = 16, LOAD_BATCH = 1000 };

/* ---- workloads -------------------------------------------------------------------------- */

enum bench_id {
    B_FILLSEQ,
    B_FILLRANDOM,
    B_OVERWRITE,
    B_READRANDOM,
    B_READMISSING,
    B_READSEQ,
    B_SEEKRANDOM,
    B_READWHILEWRITING,
    B_FILLSYNC,
    B_COUNT
};

static const char *const bench_names[B_COUNT] = {
    "fillseq", "fillrandom", "overwrite",        "readrandom", "readmissing",
    "readseq", "seekrandom", "readwhilewriting", "fillsync",
};

typedef struct {
    size_t num;        /* keys in the database */
    size_t value_size; /* bytes per value */
    size_t batch;      /* puts per write for fillseq/fillrandom/overwrite */
    size_t reads;      /* gets for readrandom, readmissing, readwhilewriting */
    size_t seeks;      /* seeks for seekrandom */
    size_t scan_len;   /* entries read after each seek */
    size_t sync_num;   /* puts for fillsync */
    size_t threads;    /* reader threads for readwhilewriting */
    uint64_t seed;
    const char *dir;
    int benches[B_COUNT];
    size_t nbenches;
} config;

/* ---- what a child reports ---------------------------------------------------------------- */

enum { MSG_VERSION = 1, MSG_RESULT = 2, MSG_RSS = 3 };

typedef struct {
    int kind;
    char name[32]; /* workload row, or version text */
    uint64_t ops;
    double secs;
    double bytes;  /* payload bytes moved (keys + values); 0 when none */
    double p50_us; /* < 0 when not measured per operation */
    double p99_us;
    long maxrss_kb;
} msg;

typedef struct {
    const bench_engine *e;
    char version[32];
    msg rows[MAX_ROWS];
    size_t nrows;
    long maxrss_kb;
    int failed;
    int status;
} engine_run;

/* ---- helpers ----------------------------------------------------------------------------- */

void bench_die(const char *engine, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "skv-bench: %s: ", engine);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    _exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a fast generator for key choice; one state per thread. */
static uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t rng_seed(uint64_t seed, uint64_t stream) {
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + stream * 0xbf58476d1ce4e5b9ULL + 1;
    return s ? s : 1;
}

/* Key of index i: 16 decimal digits of 2*i (present keys) or 2*i+1 (missing keys), so the
 * missing keys fall between the present ones. */
static void make_key(char key[KEY_SIZE], uint64_t v) {
    for (int b = KEY_SIZE - 1; b >= 0; b--) {
        key[b] = (char)('0' + v % 10);
        v /= 10;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void percentiles(uint64_t *lat, size_t n, double *p50, double *p99) {
    if (n == 0) {
        *p50 = *p99 = -1;
        return;
    }
    qsort(lat, n, sizeof *lat, cmp_u64);
    *p50 = (double)lat[(n - 1) / 2] / 1000.0;
    *p99 = (double)lat[(size_t)((double)(n - 1) * 0.99)] / 1000.0;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) bench_die("driver", "out of memory (%zu bytes)", n);
    return p;
}

static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
                size_t len = strlen(path) + strlen(de->d_name) + 2;
                char *sub = xmalloc(len);
                snprintf(sub, len, "%s/%s", path, de->d_name);
                remove_tree(sub);
                free(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- one engine, in the child ----------------------------------------------------------- */

typedef struct {
    const bench_engine *e;
    const config *c;
    int fd;
    char path[4096];
    bench_db *db;
    int loaded; /* the database holds exactly the keys 0..num-1 */
    unsigned char *value;
    uint64_t counter; /* makes every written value different */
} child;

static void send_msg(child *ch, const msg *m) {
    const char *p = (const char *)m;
    size_t left = sizeof *m;
    while (left) {
        ssize_t w = write(ch->fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) bench_die(ch->e->name, "write to the parent failed");
        p += w;
        left -= (size_t)w;
    }
}

static void send_result(child *ch, const char *name, uint64_t ops, uint64_t ns, double bytes,
                        uint64_t *lat, size_t nlat) {
    msg m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_RESULT;
    snprintf(m.name, sizeof m.name, "%s", name);
    m.ops = ops;
    m.secs = (double)ns / 1e9;
    m.bytes = bytes;
    percentiles(lat, nlat, &m.p50_us, &m.p99_us);
    send_msg(ch, &m);
}

static void fresh_db(child *ch) {
    if (ch->db) ch->e->close(ch->db);
    ch->db = NULL;
    remove_tree(ch->path);
    if (mkdir(ch->path, 0755) != 0)
        bench_die(ch->e->name, "mkdir %s: %s", ch->path, strerror(errno));
    ch->db = ch->e->open(ch->path);
    ch->loaded = 0;
    sync();
}

/* Writes `count` puts, `batch` per write, keys chosen by `order`: 0 sequential, 1 a random
 * permutation of 0..count-1, 2 uniformly random in 0..num-1. Returns the elapsed ns and fills
 * lat (one entry per write) when given. */
static uint64_t write_keys(child *ch, size_t count, size_t batch, int order, int sync,
                           uint64_t *lat, uint64_t seed) {
    const config *c = ch->c;
    uint32_t *perm = NULL;
    uint64_t rs = rng_seed(c->seed, seed);
    if (order == 1) {
        perm = xmalloc(count * sizeof *perm);
        for (size_t i = 0; i < count; i++) perm[i] = (uint32_t)i;
        for (size_t i = count; i > 1; i--) {
            size_t j = (size_t)(rng_next(&rs) % i);
            uint32_t t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
    }
    char *keys = xmalloc(batch * KEY_SIZE);
    bench_kv *kv = xmalloc(batch * sizeof *kv);
    size_t nw = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < count; i += batch) {
        size_t n = count - i < batch ? count - i : batch;
        for (size_t k = 0; k < n; k++) {
            uint64_t idx = order == 0 ? i + k : order == 1 ? perm[i + k] : rng_next(&rs) % c->num;
            make_key(keys + k * KEY_SIZE, 2 * idx);
            kv[k].key = keys + k * KEY_SIZE;
            kv[k].klen = KEY_SIZE;
            kv[k].val = ch->value;
            kv[k].vlen = c->value_size;
        }
        ch->counter++;
        memcpy(ch->value, &ch->counter,
               c->value_size < sizeof ch->counter ? c->value_size : sizeof ch->counter);
        uint64_t s = lat ? now_ns() : 0;
        ch->e->put(ch->db, kv, n, sync);
        if (lat) lat[nw++] = now_ns() - s;
    }
    uint64_t ns = now_ns() - t0;
    free(kv);
    free(keys);
    free(perm);
    return ns;
}

static void run_fill(child *ch, const char *name, size_t count, size_t batch, int order, int sync) {
    size_t nlat = (count + batch - 1) / batch;
    uint64_t *lat = xmalloc(nlat * sizeof *lat);
    uint64_t ns = write_keys(ch, count, batch, order, sync, lat, (uint64_t)order + 1);
    send_result(ch, name, count, ns, (double)count * (double)(KEY_SIZE + ch->c->value_size), lat,
                nlat);
    free(lat);
}

static void ensure_loaded(child *ch) {
    if (ch->loaded) {
        sync();
        return;
    }
    fresh_db(ch);
    write_keys(ch, ch->c->num, LOAD_BATCH, 1, 0, NULL, 99);
    ch->loaded = 1;
    sync();
}

static void run_reads(child *ch, const char *name, int missing) {
    const config *c = ch->c;
    uint64_t *lat = xmalloc(c->reads * sizeof *lat);
    bench_reader *r = ch->e->reader_open(ch->db);
    uint64_t rs = rng_seed(c->seed, missing ? 11 : 10);
    char key[KEY_SIZE];
    double bytes = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < c->reads; i++) {
        uint64_t idx = rng_next(&rs) % c->num;
        make_key(key, 2 * idx + (missing ? 1 : 0));
        size_t vlen = 0;
        uint64_t s = now_ns();
        int found = ch->e->get(r, key, KEY_SIZE, &vlen);
        lat[i] = now_ns() - s;
        if (found == missing)
            bench_die(ch->e->name, "%s: key %.16s %s", name, key,
                      missing ? "found but never written" : "not found");
        if (found) bytes += (double)(KEY_SIZE + vlen);
    }
    uint64_t ns = now_ns() - t0;
    ch->e->reader_close(r);
    send_result(ch, name, c->reads, ns, bytes, lat, c->reads);
    free(lat);
}

static void run_readseq(child *ch) {
    bench_reader *r = ch->e->reader_open(ch->db);
    size_t bytes = 0;
    uint64_t t0 = now_ns();
    size_t count = ch->e->scan(r, NULL, 0, 0, &bytes);
    uint64_t ns = now_ns() - t0;
    ch->e->reader_close(r);
    if (count != ch->c->num)
        bench_die(ch->e->name, "readseq: %zu entries, expected %zu", count, ch->c->num);
    send_result(ch, "readseq", count, ns, (double)bytes, NULL, 0);
}

static void run_seekrandom(child *ch) {
    const config *c = ch->c;
    uint64_t *lat = xmalloc(c->seeks * sizeof *lat);
    bench_reader *r = ch->e->reader_open(ch->db);
    uint64_t rs = rng_seed(c->seed, 12);
    char key[KEY_SIZE];
    size_t bytes = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < c->seeks; i++) {
        uint64_t idx = rng_next(&rs) % c->num;
        make_key(key, 2 * idx);
        uint64_t s = now_ns();
        size_t got = ch->e->scan(r, key, KEY_SIZE, c->scan_len, &bytes);
        lat[i] = now_ns() - s;
        size_t want = c->num - idx < c->scan_len ? c->num - idx : c->scan_len;
        if (got != want)
            bench_die(ch->e->name, "seekrandom: %zu entries from %.16s, expected %zu", got, key,
                      want);
    }
    uint64_t ns = now_ns() - t0;
    ch->e->reader_close(r);
    send_result(ch, "seekrandom", c->seeks, ns, (double)bytes, lat, c->seeks);
    free(lat);
}

/* readwhilewriting: reader threads do random gets of present keys while one writer
 * overwrites random present keys (eventual durability, one put per write) until the readers
 * are done or it has written --num puts. */
typedef struct {
    child *ch;
    size_t n;
    uint64_t seed;
    uint64_t *lat;
    double bytes;
    atomic_int *running;
} rww_reader;

typedef struct {
    child *ch;
    size_t cap;
    size_t done;
    uint64_t *lat;
    uint64_t ns;
    atomic_int *running;
} rww_writer;

static void *rww_read(void *arg) {
    rww_reader *a = arg;
    const bench_engine *e = a->ch->e;
    bench_reader *r = e->reader_open(a->ch->db);
    uint64_t rs = a->seed;
    char key[KEY_SIZE];
    for (size_t i = 0; i < a->n; i++) {
        make_key(key, 2 * (rng_next(&rs) % a->ch->c->num));
        size_t vlen = 0;
        uint64_t s = now_ns();
        int found = e->get(r, key, KEY_SIZE, &vlen);
        a->lat[i] = now_ns() - s;
        if (!found) bench_die(e->name, "readwhilewriting: key %.16s not found", key);
        a->bytes += (double)(KEY_SIZE + vlen);
    }
    e->reader_close(r);
    atomic_fetch_sub(a->running, 1);
    return NULL;
}

static void *rww_write(void *arg) {
    rww_writer *w = arg;
    child *ch = w->ch;
    uint64_t rs = rng_seed(ch->c->seed, 20);
    char key[KEY_SIZE];
    bench_kv kv = {key, KEY_SIZE, ch->value, ch->c->value_size};
    uint64_t t0 = now_ns();
    while (w->done < w->cap && atomic_load(w->running) > 0) {
        make_key(key, 2 * (rng_next(&rs) % ch->c->num));
        ch->counter++;
        memcpy(ch->value, &ch->counter,
               ch->c->value_size < sizeof ch->counter ? ch->c->value_size : sizeof ch->counter);
        uint64_t s = now_ns();
        ch->e->put(ch->db, &kv, 1, 0);
        w->lat[w->done++] = now_ns() - s;
    }
    w->ns = now_ns() - t0;
    return NULL;
}

static void run_readwhilewriting(child *ch) {
    const config *c = ch->c;
    size_t nt = c->threads;
    atomic_int running;
    atomic_init(&running, (int)nt);
    rww_reader *rd = xmalloc(nt * sizeof *rd);
    pthread_t *tid = xmalloc(nt * sizeof *tid);
    uint64_t *lat = xmalloc(c->reads * sizeof *lat);
    rww_writer w = {ch, c->num, 0, xmalloc(c->num * sizeof(uint64_t)), 0, &running};
    pthread_t wt;
    size_t off = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t n = c->reads / nt + (t < c->reads % nt ? 1 : 0);
        rd[t] = (rww_reader){ch, n, rng_seed(c->seed, 30 + t), lat + off, 0, &running};
        off += n;
    }
    uint64_t t0 = now_ns();
    if (pthread_create(&wt, NULL, rww_write, &w) != 0) bench_die(ch->e->name, "pthread_create");
    for (size_t t = 0; t < nt; t++)
        if (pthread_create(&tid[t], NULL, rww_read, &rd[t]) != 0)
            bench_die(ch->e->name, "pthread_create");
    double bytes = 0;
    for (size_t t = 0; t < nt; t++) {
        pthread_join(tid[t], NULL);
        bytes += rd[t].bytes;
    }
    uint64_t ns = now_ns() - t0;
    pthread_join(wt, NULL);
    send_result(ch, "readwhilewriting", c->reads, ns, bytes, lat, c->reads);
    send_result(ch, "  (its writer)", w.done, w.ns,
                (double)w.done * (double)(KEY_SIZE + c->value_size), w.lat, w.done);
    free(w.lat);
    free(lat);
    free(tid);
    free(rd);
}

static void run_engine(const bench_engine *e, const config *c, int fd) {
    child ch;
    memset(&ch, 0, sizeof ch);
    ch.e = e;
    ch.c = c;
    ch.fd = fd;
    snprintf(ch.path, sizeof ch.path, "%s/%s", c->dir, e->name);
    ch.value = xmalloc(c->value_size);
    uint64_t rs = rng_seed(c->seed, 1);
    for (size_t i = 0; i < c->value_size; i++) ch.value[i] = (unsigned char)rng_next(&rs);

    msg m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_VERSION;
    e->version(m.name, sizeof m.name);
    send_msg(&ch, &m);

    for (size_t b = 0; b < c->nbenches; b++) {
        int id = c->benches[b];
        /* untimed: fresh databases are made and loaded first (below), and sync() writes
         * back what earlier workloads left dirty in the page cache, so that neither falls
         * into the next timing (it mostly matters for fillsync) */
        switch (id) {
        case B_FILLSEQ:
            fresh_db(&ch);
            run_fill(&ch, "fillseq", c->num, c->batch, 0, 0);
            ch.loaded = 1;
            break;
        case B_FILLRANDOM:
            fresh_db(&ch);
            run_fill(&ch, "fillrandom", c->num, c->batch, 1, 0);
            ch.loaded = 1;
            break;
        case B_OVERWRITE:
            ensure_loaded(&ch);
            run_fill(&ch, "overwrite", c->num, c->batch, 2, 0);
            break;
        case B_READRANDOM:
            ensure_loaded(&ch);
            run_reads(&ch, "readrandom", 0);
            break;
        case B_READMISSING:
            ensure_loaded(&ch);
            run_reads(&ch, "readmissing", 1);
            break;
        case B_READSEQ:
            ensure_loaded(&ch);
            run_readseq(&ch);
            break;
        case B_SEEKRANDOM:
            ensure_loaded(&ch);
            run_seekrandom(&ch);
            break;
        case B_READWHILEWRITING:
            ensure_loaded(&ch);
            run_readwhilewriting(&ch);
            break;
        case B_FILLSYNC:
            fresh_db(&ch);
            run_fill(&ch, "fillsync", c->sync_num, 1, 1, 1);
            break;
        default: break;
        }
    }
    if (ch.db) e->close(ch.db);
    remove_tree(ch.path);
    free(ch.value);

    struct rusage ru;
    memset(&m, 0, sizeof m);
    m.kind = MSG_RSS;
    if (getrusage(RUSAGE_SELF, &ru) == 0) m.maxrss_kb = ru.ru_maxrss;
    send_msg(&ch, &m);
}

/* ---- the parent ------------------------------------------------------------------------- */

static void run_child(engine_run *run, const config *c) {
    int fds[2];
    if (pipe(fds) != 0) bench_die("driver", "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) bench_die("driver", "fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        run_engine(run->e, c, fds[1]);
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    msg m;
    for (;;) {
        size_t got = 0;
        while (got < sizeof m) {
            ssize_t r = read(fds[0], (char *)&m + got, sizeof m - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got < sizeof m) break;
        if (m.kind == MSG_VERSION)
            snprintf(run->version, sizeof run->version, "%s", m.name);
        else if (m.kind == MSG_RSS)
            run->maxrss_kb = m.maxrss_kb;
        else if (m.kind == MSG_RESULT && run->nrows < MAX_ROWS)
            run->rows[run->nrows++] = m;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    run->status = status;
    run->failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const msg *find_row(const engine_run *run, const char *name) {
    for (size_t i = 0; i < run->nrows; i++)
        if (!strcmp(run->rows[i].name, name)) return &run->rows[i];
    return NULL;
}

static void print_lat(double us) {
    if (us < 0)
        printf(" %9s", "-");
    else
        printf(" %9.2f", us);
}

static void print_report(engine_run *runs, size_t nruns, const config *c) {
    const engine_run *skv = NULL;
    for (size_t i = 0; i < nruns; i++)
        if (!strcmp(runs[i].e->name, "skv")) skv = &runs[i];

    /* rows in the order they first appear */
    const char *rows[MAX_ROWS * MAX_ENGINES];
    size_t nrows = 0;
    for (size_t i = 0; i < nruns; i++)
        for (size_t r = 0; r < runs[i].nrows; r++) {
            size_t k = 0;
            while (k < nrows && strcmp(rows[k], runs[i].rows[r].name)) k++;
            if (k == nrows) rows[nrows++] = runs[i].rows[r].name;
        }

    printf("\n%-18s %-8s %9s %8s %12s %9s %9s %9s %9s\n", "workload", "engine", "ops", "secs",
           "ops/s", "MB/s", "p50 us", "p99 us", "skv/peer");
    for (size_t k = 0; k < nrows; k++) {
        const msg *base = skv ? find_row(skv, rows[k]) : NULL;
        int first = 1;
        for (size_t i = 0; i < nruns; i++) {
            const msg *m = find_row(&runs[i], rows[k]);
            if (!m) continue;
            double ops_s = m->secs > 0 ? (double)m->ops / m->secs : 0;
            printf("%-18s %-8s %9" PRIu64 " %8.3f %12.0f", first ? rows[k] : "", runs[i].e->name,
                   m->ops, m->secs, ops_s);
            first = 0;
            if (m->bytes > 0 && m->secs > 0)
                printf(" %9.1f", m->bytes / m->secs / 1048576.0);
            else
                printf(" %9s", "-");
            print_lat(m->p50_us);
            print_lat(m->p99_us);
            if (base && m != base && m->ops > 0 && base->secs > 0 && m->secs > 0)
                printf(" %8.2fx", ((double)base->ops / base->secs) / ops_s);
            putchar('\n');
        }
    }

    printf("\npeak RSS of each engine's process (getrusage ru_maxrss, the whole run):\n");
    for (size_t i = 0; i < nruns; i++) {
        printf("  %-8s %9.1f MiB", runs[i].e->name, (double)runs[i].maxrss_kb / 1024.0);
        if (skv && &runs[i] != skv && runs[i].maxrss_kb > 0 && skv->maxrss_kb > 0)
            printf("   skv/peer %.2fx", (double)skv->maxrss_kb / (double)runs[i].maxrss_kb);
        if (runs[i].failed) {
            if (WIFSIGNALED(runs[i].status))
                printf("   FAILED (signal %d)", WTERMSIG(runs[i].status));
            else
                printf("   FAILED (exit %d)", WEXITSTATUS(runs[i].status));
        }
        putchar('\n');
    }
    printf("\nskv/peer is skv's ops/s (or peak RSS) divided by the peer's: above 1 skv is faster"
           " (or bigger).\n");
    printf("Latency is per write call (%zu put%s per write for fillseq/fillrandom/overwrite), per"
           " get, or per seek+scan; one run on a machine that may be noisy.\n",
           c->batch, c->batch == 1 ? "" : "s");
}

/* ---- arguments -------------------------------------------------------------------------- */

static const bench_engine *const all_engines[] = {
    &bench_skv_engine,
#ifdef BENCH_HAVE_ROCKSDB
    &bench_rocksdb_engine,
#endif
#ifdef BENCH_HAVE_LEVELDB
    &bench_leveldb_engine,
#endif
#ifdef BENCH_HAVE_LMDB
    &bench_lmdb_engine,
#endif
};
enum { N_ENGINES = sizeof all_engines / sizeof all_engines[0] };

static const char usage[] =
    "usage: skv-bench [options]\n"
    "  --num N          keys in the database (default 200000)\n"
    "  --value-size B   bytes per value (default 100; keys are 16 bytes)\n"
    "  --batch K        puts per write for fillseq, fillrandom, overwrite (default 1)\n"
    "  --reads N        gets for readrandom, readmissing, readwhilewriting (default --num)\n"
    "  --seeks N        seeks for seekrandom (default --num / 20)\n"
    "  --scan-len N     entries read after each seek (default 100)\n"
    "  --sync-num N     fsync'd puts for fillsync (default 2000)\n"
    "  --threads N      reader threads for readwhilewriting (default 4)\n"
    "  --seed S         random seed (default 42)\n"
    "  --engines LIST   comma-separated, of skv,rocksdb,leveldb,lmdb (default: all built)\n"
    "  --benchmarks LIST comma-separated (default: fillseq,fillrandom,overwrite,readrandom,\n"
    "                   readmissing,readseq,seekrandom,readwhilewriting,fillsync)\n"
    "  --dir DIR        scratch directory (default ./skv-bench.db); removed at the end when\n"
    "                   left empty\n";

static size_t parse_size(const char *flag, const char *s, size_t min) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > UINT32_MAX) {
        fprintf(stderr, "skv-bench: %s: bad value '%s' (an integer from %zu to %" PRIu32 ")\n",
                flag, s, min, UINT32_MAX);
        exit(2);
    }
    return (size_t)v;
}

/* Splits a comma-separated list in place; returns the number of items. */
static size_t split(char *s, char **items, size_t max) {
    size_t n = 0;
    for (char *p = strtok(s, ","); p && n < max; p = strtok(NULL, ",")) items[n++] = p;
    return n;
}

int main(int argc, char **argv) {
    config c;
    memset(&c, 0, sizeof c);
    c.num = 200000;
    c.value_size = 100;
    c.batch = 1;
    c.scan_len = 100;
    c.sync_num = 2000;
    c.threads = 4;
    c.seed = 42;
    c.dir = "skv-bench.db";
    size_t reads = 0, seeks = 0;
    char *engines_arg = NULL, *benches_arg = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "skv-bench: unknown option or missing value: %s\n%s", a, usage);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--num"))
            c.num = parse_size(a, v, 1);
        else if (!strcmp(a, "--value-size"))
            c.value_size = parse_size(a, v, 0);
        else if (!strcmp(a, "--batch"))
            c.batch = parse_size(a, v, 1);
        else if (!strcmp(a, "--reads"))
            reads = parse_size(a, v, 1);
        else if (!strcmp(a, "--seeks"))
            seeks = parse_size(a, v, 1);
        else if (!strcmp(a, "--scan-len"))
            c.scan_len = parse_size(a, v, 1);
        else if (!strcmp(a, "--sync-num"))
            c.sync_num = parse_size(a, v, 1);
        else if (!strcmp(a, "--threads"))
            c.threads = parse_size(a, v, 1);
        else if (!strcmp(a, "--seed"))
            c.seed = parse_size(a, v, 0);
        else if (!strcmp(a, "--engines"))
            engines_arg = argv[i];
        else if (!strcmp(a, "--benchmarks"))
            benches_arg = argv[i];
        else if (!strcmp(a, "--dir"))
            c.dir = v;
        else {
            fprintf(stderr, "skv-bench: unknown option: %s\n%s", a, usage);
            return 2;
        }
    }
    c.reads = reads ? reads : c.num;
    c.seeks = seeks ? seeks : (c.num / 20 ? c.num / 20 : 1);
    if (c.sync_num > c.num) c.sync_num = c.num;
    if (c.threads > 64) c.threads = 64;

    if (benches_arg) {
        char *items[64];
        size_t n = split(benches_arg, items, 64);
        for (size_t k = 0; k < n; k++) {
            int id = 0;
            while (id < B_COUNT && strcmp(items[k], bench_names[id])) id++;
            if (id == B_COUNT) {
                fprintf(stderr, "skv-bench: unknown benchmark '%s'\n%s", items[k], usage);
                return 2;
            }
            if (c.nbenches < B_COUNT) c.benches[c.nbenches++] = id;
        }
    } else {
        for (int id = 0; id < B_COUNT; id++) c.benches[c.nbenches++] = id;
    }

    engine_run runs[MAX_ENGINES];
    size_t nruns = 0;
    memset(runs, 0, sizeof runs);
    if (engines_arg) {
        char *items[16];
        size_t n = split(engines_arg, items, 16);
        for (size_t k = 0; k < n; k++) {
            const bench_engine *e = NULL;
            for (size_t j = 0; j < N_ENGINES; j++)
                if (!strcmp(items[k], all_engines[j]->name)) e = all_engines[j];
            if (!e) {
                int known = !strcmp(items[k], "rocksdb") || !strcmp(items[k], "leveldb") ||
                            !strcmp(items[k], "lmdb");
                fprintf(stderr, "skv-bench: engine '%s' %s\n", items[k],
                        known ? "was not built in (its library was not found at configure time);"
                                " skipped"
                              : "is unknown");
                if (!known) return 2;
                continue;
            }
            int dup = 0;
            for (size_t j = 0; j < nruns; j++) dup |= runs[j].e == e;
            if (!dup && nruns < MAX_ENGINES) runs[nruns++].e = e;
        }
    } else {
        for (size_t j = 0; j < N_ENGINES; j++) runs[nruns++].e = all_engines[j];
    }
    if (nruns == 0) {
        fprintf(stderr, "skv-bench: no engine to run\n");
        return 2;
    }

    int made_dir = mkdir(c.dir, 0755) == 0;
    if (!made_dir && errno != EEXIST) {
        fprintf(stderr, "skv-bench: mkdir %s: %s\n", c.dir, strerror(errno));
        return 2;
    }

    printf("skv-bench: %zu keys, 16-byte keys, %zu-byte values (%.1f MiB of raw data), "
           "%zu put%s per write in fillseq/fillrandom/overwrite\n",
           c.num, c.value_size, (double)c.num * (double)(KEY_SIZE + c.value_size) / 1048576.0,
           c.batch, c.batch == 1 ? "" : "s");
    printf("  reads %zu, seeks %zu x %zu entries, fillsync %zu puts, readwhilewriting %zu "
           "readers + 1 writer, %ld CPUs online, dir %s\n",
           c.reads, c.seeks, c.scan_len, c.sync_num, c.threads, sysconf(_SC_NPROCESSORS_ONLN),
           c.dir);
    printf("  benchmarks:");
    for (size_t b = 0; b < c.nbenches; b++) printf(" %s", bench_names[c.benches[b]]);
    printf("\n");
    fflush(stdout);

    for (size_t i = 0; i < nruns; i++) {
        fprintf(stderr, "skv-bench: running %s...\n", runs[i].e->name);
        run_child(&runs[i], &c);
    }

    printf("\nengines and durability settings (non-sync writes survive a process crash, not a "
           "power loss; fillsync fsyncs every write):\n");
    for (size_t i = 0; i < nruns; i++)
        printf("  %-8s %-10s %s\n", runs[i].e->name, runs[i].version[0] ? runs[i].version : "?",
               runs[i].e->settings);
    print_report(runs, nruns, &c);

    if (made_dir) rmdir(c.dir);
    int failed = 0;
    for (size_t i = 0; i < nruns; i++) failed |= runs[i].failed;
    return failed ? 1 : 0;
}
