/*
 * bench_main.c — the driver of `skv-bench`, a db_bench-style benchmark that runs the same
 * workloads against skv and the peers built in (RocksDB plain, TransactionDB and
 * OptimisticTransactionDB, LevelDB, LMDB; see bench.h for the adapter interface) in one run
 * and prints, per workload and engine, ops/s, MB/s, p50/p99 latency, the peak RSS during the
 * workload, the size on disk, the write amplification and the skv/peer ratio; then the
 * fillsync speed-up with threads, each engine's peak RSS over its run, and how this run
 * stands against skv's targets. Each engine runs all its workloads in its own forked child
 * process, one engine after the other, so its memory and I/O are measured on their own
 * (/proc/self in the child) and it never competes with another engine for the CPU. The child
 * sends its results to the parent through a pipe.
 *
 *   skv-bench [--num N] [--value-size B] [--batch K] [--reads N] [--seeks N] [--scan-len N]
 *             [--sync-num N] [--threads N] [--seed S] [--engines LIST] [--benchmarks LIST]
 *             [--dir DIR]
 *
 * tools/bench/README.md describes the workloads, the columns and the durability settings.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

enum { KEY_SIZE = 16, MAX_ENGINES = 8, MAX_ROWS = 24, LOAD_BATCH = 1000, MAX_THREADS = 64 };

/* ---- workloads -------------------------------------------------------------------------- */

enum bench_id {
    B_FILLSEQ,
    B_FILLRANDOM,
    B_OVERWRITE,
    B_READRANDOM,
    B_READMISSING,
    B_READSEQ,
    B_READREVERSE,
    B_SEEKRANDOM,
    B_READWHILEWRITING,
    B_FILLSYNC,
    B_FILLSYNC4,
    B_FILLSYNC16,
    B_COUNT
};

static const char *const bench_names[B_COUNT] = {
    "fillseq",     "fillrandom", "overwrite",        "readrandom", "readmissing", "readseq",
    "readreverse", "seekrandom", "readwhilewriting", "fillsync",   "fillsync4",   "fillsync16",
};

typedef struct {
    size_t num;        /* keys in the database */
    size_t value_size; /* bytes per value */
    size_t batch;      /* puts per write for fillseq/fillrandom/overwrite */
    size_t reads;      /* gets for readrandom, readmissing, readwhilewriting */
    size_t seeks;      /* seeks for seekrandom */
    size_t scan_len;   /* entries read after each seek */
    size_t sync_num;   /* puts for each of fillsync, fillsync4, fillsync16 */
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
    int writes;        /* the row's bytes were written (a write workload) */
    long rss_kb;       /* result: peak RSS during the workload; MSG_RSS: over the whole run */
    int rss_reset;     /* the peak was reset before the workload (else: ru_maxrss so far) */
    double disk_bytes; /* the engine's directory after the workload; < 0 unknown */
    double wamp;       /* bytes the process wrote / bytes the row wrote; < 0 not measured */
} msg;

typedef struct {
    const bench_engine *e;
    char version[32];
    msg rows[MAX_ROWS];
    size_t nrows;
    long maxrss_kb;
    int rss_reset;
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

/* Calls visit(path) for every entry under path, children before their directory. */
static void walk_tree(const char *path,
                      void (*visit)(const char *path, const struct stat *st, void *arg),
                      void *arg) {
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
                walk_tree(sub, visit, arg);
                free(sub);
            }
            closedir(d);
        }
    }
    visit(path, &st, arg);
}

static void remove_entry(const char *path, const struct stat *st, void *arg) {
    (void)arg;
    if (S_ISDIR(st->st_mode))
        rmdir(path);
    else
        unlink(path);
}

static void remove_tree(const char *path) { walk_tree(path, remove_entry, NULL); }

static void add_blocks(const char *path, const struct stat *st, void *arg) {
    (void)path;
    *(double *)arg += (double)st->st_blocks * 512.0;
}

/* Bytes the files under path take on disk (st_blocks, recursive). */
static double disk_usage(const char *path) {
    double bytes = 0;
    walk_tree(path, add_blocks, &bytes);
    return bytes;
}

/* ---- process counters (/proc/self) ------------------------------------------------------- */

/* The number after "field:" in a /proc file, or -1 when the file or field is missing. */
static long long proc_field(const char *file, const char *field) {
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char line[256];
    size_t flen = strlen(field);
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, flen) && line[flen] == ':') {
            v = strtoll(line + flen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Bytes this process has passed to write() and its kin so far (all threads), or -1. */
static long long written_so_far(void) { return proc_field("/proc/self/io", "wchar"); }

/* Peak resident memory since the last reset (VmHWM), in KiB, or -1. */
static long peak_rss_kb(void) { return (long)proc_field("/proc/self/status", "VmHWM"); }

/* Peak resident memory of the process so far (getrusage ru_maxrss), in KiB. */
static long maxrss_kb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Resets VmHWM to the current RSS; returns 0 when the kernel refuses. */
static int reset_peak_rss(void) {
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd < 0) return 0;
    int ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
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
    int rss_reset;    /* the kernel accepts the reset of the peak RSS */
    long run_peak_kb; /* the highest VmHWM seen, over the whole run */
} child;

/* The rows one workload produces (readwhilewriting: readers and writer). */
typedef struct {
    msg rows[2];
    size_t n;
} results;

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

/* Adds a row; `writes` when its bytes were written (the write amplification is then
 * computed for it). Sorts lat. */
static void add_row(results *res, const char *name, uint64_t ops, uint64_t ns, double bytes,
                    int writes, uint64_t *lat, size_t nlat) {
    msg *m = &res->rows[res->n++];
    memset(m, 0, sizeof *m);
    m->kind = MSG_RESULT;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->ops = ops;
    m->secs = (double)ns / 1e9;
    m->bytes = bytes;
    m->writes = writes;
    percentiles(lat, nlat, &m->p50_us, &m->p99_us);
}

static void open_db(child *ch, int mode) {
    ch->db = ch->e->open(ch->path, mode);
    if (!ch->db) bench_die(ch->e->name, "open %s failed", ch->path);
}

static void close_db(child *ch) {
    if (ch->db) ch->e->close(ch->db);
    ch->db = NULL;
}

static void fresh_db(child *ch) {
    close_db(ch);
    remove_tree(ch->path);
    if (mkdir(ch->path, 0755) != 0)
        bench_die(ch->e->name, "mkdir %s: %s", ch->path, strerror(errno));
    open_db(ch, BENCH_CREATE);
    ch->loaded = 0;
    sync();
}

/* Closes the database and opens it again, so that reads come from its on-disk state. */
static void reopen_db(child *ch) {
    close_db(ch);
    open_db(ch, BENCH_REOPEN);
}

/* ---- writers ---------------------------------------------------------------------------- */

enum key_order { ORDER_SEQ, ORDER_PERM, ORDER_UNIFORM };

/* One writing thread: `count` puts, `batch` per write, of the keys given by `order`. */
typedef struct {
    child *ch;
    int order;
    size_t first;         /* ORDER_SEQ: the first key index */
    const uint32_t *perm; /* ORDER_PERM: the count key indices to write, in order */
    uint64_t rng;         /* ORDER_UNIFORM: the generator, over 0..num-1 */
    size_t count;
    size_t batch;
    int sync;
    unsigned char *value; /* this writer's value; its first 8 bytes change every write */
    uint64_t counter;
    uint64_t *lat;       /* one entry per write, or NULL */
    atomic_int *readers; /* when set, stop once no reader is left */
    size_t puts;         /* done */
    size_t nwrites;      /* done */
    uint64_t ns;
} writer;

static uint64_t key_index(writer *w, size_t i) {
    switch (w->order) {
    case ORDER_SEQ: return w->first + i;
    case ORDER_PERM: return w->perm[i];
    default: return rng_next(&w->rng) % w->ch->c->num;
    }
}

static void stamp_value(writer *w) {
    size_t vs = w->ch->c->value_size;
    w->counter++;
    memcpy(w->value, &w->counter, vs < sizeof w->counter ? vs : sizeof w->counter);
}

static void *writer_run(void *arg) {
    writer *w = arg;
    const bench_engine *e = w->ch->e;
    char *keys = xmalloc(w->batch * KEY_SIZE);
    bench_kv *kv = xmalloc(w->batch * sizeof *kv);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < w->count; i += w->batch) {
        if (w->readers && atomic_load(w->readers) == 0) break;
        size_t n = w->count - i < w->batch ? w->count - i : w->batch;
        for (size_t k = 0; k < n; k++) {
            make_key(keys + k * KEY_SIZE, 2 * key_index(w, i + k));
            kv[k] = (bench_kv){keys + k * KEY_SIZE, KEY_SIZE, w->value, w->ch->c->value_size};
        }
        stamp_value(w);
        uint64_t s = w->lat ? now_ns() : 0;
        e->put(w->ch->db, kv, n, w->sync);
        if (w->lat) w->lat[w->nwrites] = now_ns() - s;
        w->nwrites++;
        w->puts += n;
    }
    w->ns = now_ns() - t0;
    free(kv);
    free(keys);
    return NULL;
}

/* A writer over the child's database with its own copy of the value. */
static writer new_writer(child *ch, int order, size_t count, size_t batch, int sync) {
    writer w;
    memset(&w, 0, sizeof w);
    w.ch = ch;
    w.order = order;
    w.count = count;
    w.batch = batch;
    w.sync = sync;
    w.value = xmalloc(ch->c->value_size);
    memcpy(w.value, ch->value, ch->c->value_size);
    w.counter = ch->counter;
    ch->counter += count;
    return w;
}

/* A random permutation of 0..count-1. */
static uint32_t *permutation(size_t count, uint64_t seed, uint64_t stream) {
    uint32_t *perm = xmalloc(count * sizeof *perm);
    uint64_t rs = rng_seed(seed, stream);
    for (size_t i = 0; i < count; i++) perm[i] = (uint32_t)i;
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)(rng_next(&rs) % i);
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    return perm;
}

static void start_thread(child *ch, pthread_t *t, void *(*fn)(void *), void *arg) {
    if (pthread_create(t, NULL, fn, arg) != 0) bench_die(ch->e->name, "pthread_create failed");
}

/* Writes `count` puts, `batch` per write, keys in `order` (ORDER_PERM: a permutation of
 * 0..count-1 from random stream `stream`), split across `nthreads` threads, each writing
 * its share; returns the wall time and fills lat (one entry per write) when given. */
static uint64_t write_keys(child *ch, size_t count, size_t batch, int order, int sync,
                           uint64_t stream, size_t nthreads, uint64_t *lat, size_t *nlat) {
    uint32_t *perm = order == ORDER_PERM ? permutation(count, ch->c->seed, stream) : NULL;
    writer w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    size_t first = 0, lat_off = 0;
    for (size_t t = 0; t < nthreads; t++) {
        size_t n = count / nthreads + (t < count % nthreads ? 1 : 0);
        w[t] = new_writer(ch, order, n, batch, sync);
        w[t].first = first;
        w[t].perm = perm ? perm + first : NULL;
        w[t].rng = rng_seed(ch->c->seed, stream + 100 * t);
        w[t].lat = lat ? lat + lat_off : NULL;
        first += n;
        lat_off += (n + batch - 1) / batch;
    }
    uint64_t t0 = now_ns();
    if (nthreads == 1) {
        writer_run(&w[0]);
    } else {
        for (size_t t = 0; t < nthreads; t++) start_thread(ch, &tid[t], writer_run, &w[t]);
        for (size_t t = 0; t < nthreads; t++) pthread_join(tid[t], NULL);
    }
    uint64_t ns = now_ns() - t0;
    if (nlat) *nlat = lat_off;
    for (size_t t = 0; t < nthreads; t++) free(w[t].value);
    free(perm);
    return ns;
}

static void run_fill(child *ch, results *res, const char *name, size_t count, size_t batch,
                     int order, int sync, size_t nthreads) {
    uint64_t *lat = xmalloc(((count + batch - 1) / batch + nthreads) * sizeof *lat);
    size_t nlat = 0;
    uint64_t ns =
        write_keys(ch, count, batch, order, sync, (uint64_t)order + 1, nthreads, lat, &nlat);
    add_row(res, name, count, ns, (double)count * (double)(KEY_SIZE + ch->c->value_size), 1, lat,
            nlat);
    free(lat);
}

static void ensure_loaded(child *ch) {
    if (ch->loaded) {
        sync();
        return;
    }
    fresh_db(ch);
    write_keys(ch, ch->c->num, LOAD_BATCH, ORDER_PERM, 0, 99, 1, NULL, NULL);
    ch->loaded = 1;
    sync();
}

/* ---- readers ---------------------------------------------------------------------------- */

static void run_reads(child *ch, results *res, const char *name, int missing) {
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
    add_row(res, name, c->reads, ns, bytes, 0, lat, c->reads);
    free(lat);
}

/* readseq and readreverse: one full scan, forwards or backwards; the count is checked. */
static void run_full_scan(child *ch, results *res, int backwards) {
    const char *name = backwards ? "readreverse" : "readseq";
    bench_reader *r = ch->e->reader_open(ch->db);
    size_t bytes = 0;
    uint64_t t0 = now_ns();
    size_t count = backwards ? ch->e->scan_back(r, 0, &bytes) : ch->e->scan(r, NULL, 0, 0, &bytes);
    uint64_t ns = now_ns() - t0;
    ch->e->reader_close(r);
    if (count != ch->c->num)
        bench_die(ch->e->name, "%s: %zu entries, expected %zu", name, count, ch->c->num);
    add_row(res, name, count, ns, (double)bytes, 0, NULL, 0);
}

static void run_seekrandom(child *ch, results *res) {
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
    add_row(res, "seekrandom", c->seeks, ns, (double)bytes, 0, lat, c->seeks);
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

static void run_readwhilewriting(child *ch, results *res) {
    const config *c = ch->c;
    size_t nt = c->threads;
    atomic_int running;
    atomic_init(&running, (int)nt);
    rww_reader *rd = xmalloc(nt * sizeof *rd);
    pthread_t *tid = xmalloc(nt * sizeof *tid);
    uint64_t *lat = xmalloc(c->reads * sizeof *lat);
    writer w = new_writer(ch, ORDER_UNIFORM, c->num, 1, 0);
    w.rng = rng_seed(c->seed, 20);
    w.lat = xmalloc(c->num * sizeof(uint64_t));
    w.readers = &running;
    size_t off = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t n = c->reads / nt + (t < c->reads % nt ? 1 : 0);
        rd[t] = (rww_reader){ch, n, rng_seed(c->seed, 30 + t), lat + off, 0, &running};
        off += n;
    }
    pthread_t wt;
    uint64_t t0 = now_ns();
    start_thread(ch, &wt, writer_run, &w);
    for (size_t t = 0; t < nt; t++) start_thread(ch, &tid[t], rww_read, &rd[t]);
    double bytes = 0;
    for (size_t t = 0; t < nt; t++) {
        pthread_join(tid[t], NULL);
        bytes += rd[t].bytes;
    }
    uint64_t ns = now_ns() - t0;
    pthread_join(wt, NULL);
    add_row(res, "readwhilewriting", c->reads, ns, bytes, 0, lat, c->reads);
    add_row(res, "  (its writer)", w.puts, w.ns,
            (double)w.puts * (double)(KEY_SIZE + c->value_size), 1, w.lat, w.nwrites);
    free(w.lat);
    free(w.value);
    free(lat);
    free(tid);
    free(rd);
}

/* ---- one workload: prepare, run, measure ------------------------------------------------- */

/* Untimed: gives the workload the database it needs, then writes back what earlier
 * workloads left dirty in the page cache (sync), so that it does not fall into the timing
 * (it mostly matters for fillsync). */
static void prepare(child *ch, int id) {
    switch (id) {
    case B_FILLSEQ:
    case B_FILLRANDOM:
    case B_FILLSYNC:
    case B_FILLSYNC4:
    case B_FILLSYNC16: fresh_db(ch); break;
    case B_READRANDOM:
        ensure_loaded(ch);
        reopen_db(ch); /* reads come from the on-disk state */
        sync();
        break;
    default: ensure_loaded(ch); break;
    }
}

static void run_workload(child *ch, int id, results *res) {
    const config *c = ch->c;
    switch (id) {
    case B_FILLSEQ:
        run_fill(ch, res, "fillseq", c->num, c->batch, ORDER_SEQ, 0, 1);
        ch->loaded = 1;
        break;
    case B_FILLRANDOM:
        run_fill(ch, res, "fillrandom", c->num, c->batch, ORDER_PERM, 0, 1);
        ch->loaded = 1;
        break;
    case B_OVERWRITE: run_fill(ch, res, "overwrite", c->num, c->batch, ORDER_UNIFORM, 0, 1); break;
    case B_READRANDOM: run_reads(ch, res, "readrandom", 0); break;
    case B_READMISSING: run_reads(ch, res, "readmissing", 1); break;
    case B_READSEQ: run_full_scan(ch, res, 0); break;
    case B_READREVERSE: run_full_scan(ch, res, 1); break;
    case B_SEEKRANDOM: run_seekrandom(ch, res); break;
    case B_READWHILEWRITING: run_readwhilewriting(ch, res); break;
    case B_FILLSYNC: run_fill(ch, res, "fillsync", c->sync_num, 1, ORDER_PERM, 1, 1); break;
    case B_FILLSYNC4: run_fill(ch, res, "fillsync4", c->sync_num, 1, ORDER_PERM, 1, 4); break;
    case B_FILLSYNC16: run_fill(ch, res, "fillsync16", c->sync_num, 1, ORDER_PERM, 1, 16); break;
    default: break;
    }
}

/* Starts the per-workload counters: folds the peak RSS so far into the run's peak, resets
 * it, and returns the bytes written so far. */
static long long measure_begin(child *ch) {
    long peak = peak_rss_kb();
    if (peak > ch->run_peak_kb) ch->run_peak_kb = peak;
    ch->rss_reset = ch->rss_reset && reset_peak_rss();
    return written_so_far();
}

/* Ends them: the disk size (after fillrandom with the database closed, then reopened), the
 * peak RSS and, for rows that wrote, the bytes written per byte of keys and values. */
static void measure_end(child *ch, int id, results *res, long long written0) {
    double disk;
    if (id == B_FILLRANDOM) {
        close_db(ch);
        disk = disk_usage(ch->path);
        open_db(ch, BENCH_REOPEN);
    } else {
        disk = disk_usage(ch->path);
    }
    long long written1 = written_so_far();
    long rss = ch->rss_reset ? peak_rss_kb() : maxrss_kb();
    if (ch->rss_reset && rss > ch->run_peak_kb) ch->run_peak_kb = rss;
    for (size_t i = 0; i < res->n; i++) {
        msg *m = &res->rows[i];
        m->rss_kb = rss;
        m->rss_reset = ch->rss_reset;
        m->disk_bytes = disk;
        m->wamp = -1;
        if (m->writes && m->bytes > 0 && written0 >= 0 && written1 >= written0)
            m->wamp = (double)(written1 - written0) / m->bytes;
    }
}

static void run_one(child *ch, int id) {
    results res;
    memset(&res, 0, sizeof res);
    prepare(ch, id);
    long long written0 = measure_begin(ch);
    run_workload(ch, id, &res);
    measure_end(ch, id, &res, written0);
    for (size_t i = 0; i < res.n; i++) send_msg(ch, &res.rows[i]);
}

static void run_engine(const bench_engine *e, const config *c, int fd) {
    child ch;
    memset(&ch, 0, sizeof ch);
    ch.e = e;
    ch.c = c;
    ch.fd = fd;
    ch.rss_reset = 1;
    snprintf(ch.path, sizeof ch.path, "%s/%s", c->dir, e->name);
    ch.value = xmalloc(c->value_size);
    uint64_t rs = rng_seed(c->seed, 1);
    for (size_t i = 0; i < c->value_size; i++) ch.value[i] = (unsigned char)rng_next(&rs);

    msg m;
    memset(&m, 0, sizeof m);
    m.kind = MSG_VERSION;
    e->version(m.name, sizeof m.name);
    send_msg(&ch, &m);

    for (size_t b = 0; b < c->nbenches; b++) run_one(&ch, c->benches[b]);
    close_db(&ch);
    remove_tree(ch.path);
    free(ch.value);

    memset(&m, 0, sizeof m);
    m.kind = MSG_RSS;
    m.rss_reset = ch.rss_reset;
    long peak = peak_rss_kb();
    if (peak > ch.run_peak_kb) ch.run_peak_kb = peak;
    long whole = maxrss_kb();
    m.rss_kb = ch.rss_reset && ch.run_peak_kb > whole ? ch.run_peak_kb : whole;
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
        if (m.kind == MSG_VERSION) {
            snprintf(run->version, sizeof run->version, "%s", m.name);
        } else if (m.kind == MSG_RSS) {
            run->maxrss_kb = m.rss_kb;
            run->rss_reset = m.rss_reset;
        } else if (m.kind == MSG_RESULT && run->nrows < MAX_ROWS) {
            run->rows[run->nrows++] = m;
        }
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

static const engine_run *find_run(const engine_run *runs, size_t nruns, const char *name) {
    for (size_t i = 0; i < nruns; i++)
        if (!strcmp(runs[i].e->name, name)) return &runs[i];
    return NULL;
}

static double ops_per_sec(const msg *m) { return m && m->secs > 0 ? (double)m->ops / m->secs : 0; }

/* ---- the report --------------------------------------------------------------------------- */

/* A column of `width` characters: v with `prec` decimals, or "-" when not known. */
static void print_num(double v, int known, int width, int prec) {
    if (known)
        printf(" %*.*f", width, prec, v);
    else
        printf(" %*s", width, "-");
}

static void print_row(const char *label, const engine_run *run, const msg *m, const msg *base) {
    double ops_s = ops_per_sec(m);
    printf("%-18s %-11s %9" PRIu64 " %8.3f %12.0f", label, run->e->name, m->ops, m->secs, ops_s);
    print_num(m->bytes / (m->secs > 0 ? m->secs : 1) / 1048576.0, m->bytes > 0 && m->secs > 0, 9,
              1);
    print_num(m->p50_us, m->p50_us >= 0, 9, 2);
    print_num(m->p99_us, m->p99_us >= 0, 9, 2);
    print_num((double)m->rss_kb / 1024.0, m->rss_kb > 0, 8, 1);
    print_num(m->disk_bytes / 1048576.0, m->disk_bytes >= 0, 9, 1);
    print_num(m->wamp, m->wamp >= 0, 6, 2);
    if (base && m != base && ops_s > 0 && base->secs > 0)
        printf(" %8.2fx", ops_per_sec(base) / ops_s);
    putchar('\n');
}

static void print_table(const engine_run *runs, size_t nruns, const engine_run *skv) {
    /* rows in the order they first appear */
    const char *rows[MAX_ROWS * MAX_ENGINES];
    size_t nrows = 0;
    for (size_t i = 0; i < nruns; i++)
        for (size_t r = 0; r < runs[i].nrows; r++) {
            size_t k = 0;
            while (k < nrows && strcmp(rows[k], runs[i].rows[r].name)) k++;
            if (k == nrows) rows[nrows++] = runs[i].rows[r].name;
        }
    printf("\n%-18s %-11s %9s %8s %12s %9s %9s %9s %8s %9s %6s %9s\n", "workload", "engine", "ops",
           "secs", "ops/s", "MB/s", "p50 us", "p99 us", "rss MiB", "disk MiB", "w-amp", "skv/peer");
    for (size_t k = 0; k < nrows; k++) {
        const msg *base = skv ? find_row(skv, rows[k]) : NULL;
        int first = 1;
        for (size_t i = 0; i < nruns; i++) {
            const msg *m = find_row(&runs[i], rows[k]);
            if (!m) continue;
            print_row(first ? rows[k] : "", &runs[i], m, base);
            first = 0;
        }
    }
}

static void print_speedups(const engine_run *runs, size_t nruns) {
    int header = 0;
    for (size_t i = 0; i < nruns; i++) {
        double one = ops_per_sec(find_row(&runs[i], "fillsync"));
        double four = ops_per_sec(find_row(&runs[i], "fillsync4"));
        double sixteen = ops_per_sec(find_row(&runs[i], "fillsync16"));
        if (one <= 0 || (four <= 0 && sixteen <= 0)) continue;
        if (!header)
            printf("\nfillsync speed-up with threads (ops/s over fillsync's, 1 thread):\n");
        header = 1;
        printf("  %-11s", runs[i].e->name);
        if (four > 0) printf("   4 threads %6.2fx", four / one);
        if (sixteen > 0) printf("   16 threads %6.2fx", sixteen / one);
        putchar('\n');
    }
}

static void print_peak_rss(const engine_run *runs, size_t nruns, const engine_run *skv) {
    int all_reset = 1;
    for (size_t i = 0; i < nruns; i++) all_reset &= runs[i].rss_reset || runs[i].failed;
    printf("\npeak RSS of each engine's process over its whole run (%s):\n",
           all_reset ? "the highest VmHWM" : "getrusage ru_maxrss");
    for (size_t i = 0; i < nruns; i++) {
        printf("  %-11s %9.1f MiB", runs[i].e->name, (double)runs[i].maxrss_kb / 1024.0);
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
    if (all_reset) return;
    printf("  note: the kernel refused to reset the peak RSS (/proc/self/clear_refs) for");
    for (size_t i = 0; i < nruns; i++)
        if (!runs[i].rss_reset && !runs[i].failed) printf(" %s", runs[i].e->name);
    printf(": their rss MiB column is ru_maxrss, the peak of the process so far, not of each"
           " workload\n");
}

/* ---- targets ------------------------------------------------------------------------------ */

enum target_kind { T_OPS, T_SPEEDUP, T_RSS, T_DISK };

typedef struct {
    int kind;
    const char *row;  /* the workload */
    const char *peer; /* T_SPEEDUP: the 1-thread row of skv itself */
    double target;    /* T_OPS, T_SPEEDUP: at least; T_RSS, T_DISK: at most */
} target;

static const target targets[] = {
    {T_OPS, "fillrandom", "leveldb", 1.0},    {T_OPS, "fillrandom", "rocksdb-txn", 3.0},
    {T_OPS, "fillseq", "leveldb", 1.0},       {T_OPS, "readrandom", "leveldb", 1.5},
    {T_OPS, "readrandom", "lmdb", 0.5},       {T_OPS, "readseq", "leveldb", 1.0},
    {T_SPEEDUP, "fillsync16", "fillsync", 5}, {T_OPS, "fillsync", "rocksdb", 1.0},
    {T_RSS, "fillrandom", "rocksdb", 1.0},    {T_DISK, "fillrandom", "rocksdb", 1.0},
};

/* The figure a target is about (skv's over the peer's), or < 0 when a side did not run. */
static double target_ratio(const target *t, const engine_run *skv, const engine_run *runs,
                           size_t nruns) {
    const msg *mine = find_row(skv, t->row);
    if (t->kind == T_SPEEDUP) {
        const msg *one = find_row(skv, t->peer);
        return mine && one && ops_per_sec(one) > 0 ? ops_per_sec(mine) / ops_per_sec(one) : -1;
    }
    const engine_run *peer = find_run(runs, nruns, t->peer);
    const msg *theirs = peer ? find_row(peer, t->row) : NULL;
    if (!mine || !theirs) return -1;
    if (t->kind == T_OPS)
        return ops_per_sec(theirs) > 0 ? ops_per_sec(mine) / ops_per_sec(theirs) : -1;
    if (t->kind == T_RSS)
        return theirs->rss_kb > 0 && mine->rss_kb > 0 ? (double)mine->rss_kb / theirs->rss_kb : -1;
    return theirs->disk_bytes > 0 && mine->disk_bytes >= 0 ? mine->disk_bytes / theirs->disk_bytes
                                                           : -1;
}

static void print_targets(const engine_run *runs, size_t nruns, const engine_run *skv) {
    if (!skv) return;
    static const char *const what[] = {"ops/s", "ops/s", "peak RSS", "disk size"};
    printf("\ntargets (figures of this run):\n");
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const target *t = &targets[i];
        double ratio = target_ratio(t, skv, runs, nruns);
        if (ratio < 0) continue;
        char label[64];
        if (t->kind == T_SPEEDUP)
            snprintf(label, sizeof label, "%s/%s skv", t->row, t->peer);
        else
            snprintf(label, sizeof label, "%s skv/%s", t->row, t->peer);
        int at_most = t->kind == T_RSS || t->kind == T_DISK;
        int met = at_most ? ratio <= t->target : ratio >= t->target;
        printf("  %-32s %-9s %7.3fx   target %s %.1f   %s\n", label, what[t->kind], ratio,
               at_most ? "<=" : ">=", t->target, met ? "met" : "missed");
    }
}

static void print_report(engine_run *runs, size_t nruns, const config *c) {
    const engine_run *skv = find_run(runs, nruns, "skv");
    print_table(runs, nruns, skv);
    print_speedups(runs, nruns);
    print_peak_rss(runs, nruns, skv);
    printf("\nskv/peer is skv's ops/s (or peak RSS) divided by the peer's: above 1 skv is faster"
           " (or bigger).\n");
    printf("Latency is per write call (%zu put%s per write for fillseq/fillrandom/overwrite), per"
           " get, or per seek+scan; rss MiB is the peak RSS during the workload; disk MiB the"
           " engine's directory after it (after fillrandom: closed); w-amp the bytes the process"
           " wrote during it (wchar) over the key+value bytes it wrote. One run on a machine that"
           " may be noisy.\n",
           c->batch, c->batch == 1 ? "" : "s");
    print_targets(runs, nruns, skv);
}

/* ---- arguments -------------------------------------------------------------------------- */

static const bench_engine *const all_engines[] = {
    &bench_skv_engine,     &bench_skv_vlog_engine,
#ifdef BENCH_HAVE_ROCKSDB
    &bench_rocksdb_engine, &bench_rocksdb_txn_engine, &bench_rocksdb_occ_engine,
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
    "  --sync-num N     fsync'd puts for each of fillsync, fillsync4, fillsync16 (default 2000)\n"
    "  --threads N      reader threads for readwhilewriting (default 4)\n"
    "  --seed S         random seed (default 42)\n"
    "  --engines LIST   comma-separated, of skv,skv-vlog,rocksdb,rocksdb-txn,rocksdb-occ,leveldb,\n"
    "                   lmdb\n"
    "                   (default: all built)\n"
    "  --benchmarks LIST comma-separated (default: fillseq,fillrandom,overwrite,readrandom,\n"
    "                   readmissing,readseq,readreverse,seekrandom,readwhilewriting,fillsync,\n"
    "                   fillsync4,fillsync16)\n"
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
    printf("  reads %zu, seeks %zu x %zu entries, fillsync %zu puts (on 1, 4 and 16 threads), "
           "readwhilewriting %zu readers + 1 writer, %ld CPUs online, dir %s\n",
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
        printf("  %-11s %-10s %s\n", runs[i].e->name, runs[i].version[0] ? runs[i].version : "?",
               runs[i].e->settings);
    print_report(runs, nruns, &c);

    if (made_dir) rmdir(c.dir);
    int failed = 0;
    for (size_t i = 0; i < nruns; i++) failed |= runs[i].failed;
    return failed ? 1 : 0;
}
