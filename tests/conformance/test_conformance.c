/* tests/conformance/test_conformance.c — the C runner of the shared conformance suite: reads
 * the JSON cases (format in tests/conformance/README.md) and runs each through skv.h. */
#if !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "skv.h"

#define SCHEMA "skv-conformance/1"
#define MAX_DBS 16
#define MAX_TXNS 64
#define MAX_ITERS 64
#define MAX_VARS 64
#define MAX_ALLOCS 64
#define MAX_EXPECT 8
#define DEFAULT_BATCH 2
#define DEFAULT_TIMEOUT_MS 10000
#define MSG_SIZE 2048
#define PATH_SIZE 4096

/* ---- error names ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int code;
} code_name;

#define CONF_CODE_ENTRY(name, num, text) {"SKV_" #name, (num)},
static const code_name CODES[] = {{"SKV_OK", SKV_OK}, SKV_ERRNO_MAP(CONF_CODE_ENTRY)};
#undef CONF_CODE_ENTRY
#define NCODES (sizeof(CODES) / sizeof(CODES[0]))

static const char *code_name_of(int code, char *buf, size_t n) {
    for (size_t i = 0; i < NCODES; i++)
        if (CODES[i].code == code) return CODES[i].name;
    snprintf(buf, n, "code(%d)", code);
    return buf;
}

static int code_of_name(const char *name, int *code) {
    for (size_t i = 0; i < NCODES; i++)
        if (strcmp(CODES[i].name, name) == 0) {
            *code = CODES[i].code;
            return 0;
        }
    return -1;
}

/* ---- case state ------------------------------------------------------------------------- */

typedef struct async_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    int status;
    int registering; /* set while skv_txn_commit_async runs */
    pthread_t reg_thread;
    int inside_call; /* the callback ran inside the registering call */
    int returned_ok; /* skv_txn_commit_async returned SKV_OK */
    const char *txn_name;
    struct async_state *next;
} async_state;

typedef struct {
    const char *name; /* NULL = free slot */
    skv_db *db;
    int open;
    const char *path;
    const cJSON *options;
} db_slot;

typedef struct {
    const char *name;
    skv_txn *txn;
} txn_slot;

typedef struct {
    const char *name;
    skv_iter *it;
} iter_slot;

typedef struct {
    const char *name;
    uint64_t value;
} var_slot;

typedef struct {
    const unsigned char *p; /* never NULL when present */
    size_t n;
    int present;
} bytes;

typedef struct {
    const char *id;
    char dir[PATH_SIZE];
    db_slot dbs[MAX_DBS];
    txn_slot txns[MAX_TXNS];
    iter_slot iters[MAX_ITERS];
    var_slot vars[MAX_VARS];
    async_state *async_list;
    void *allocs[MAX_ALLOCS];
    int nallocs;
    char msg[MSG_SIZE];
} ctx;

__attribute__((format(printf, 2, 3))) static int fail(ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static void *step_alloc(ctx *c, size_t n) {
    if (c->nallocs >= MAX_ALLOCS) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) c->allocs[c->nallocs++] = p;
    return p;
}

static void step_free_all(ctx *c) {
    for (int i = 0; i < c->nallocs; i++) free(c->allocs[i]);
    c->nallocs = 0;
}

/* ---- JSON helpers ----------------------------------------------------------------------- */

static const cJSON *member(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *str_member(const cJSON *o, const char *name) {
    const cJSON *v = member(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int decode_hex(const char *h, unsigned char *out, size_t *n) {
    size_t len = strlen(h);
    if (len % 2) return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval((unsigned char)h[2 * i]), lo = hexval((unsigned char)h[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        if (out) out[i] = (unsigned char)(hi * 16 + lo);
    }
    *n = len / 2;
    return 0;
}

/* Non-negative integer from a JSON number or a decimal string. */
static int json_u64(const cJSON *v, uint64_t *out) {
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < 0 || v->valuedouble > 9007199254740992.0) return -1;
        *out = (uint64_t)v->valuedouble;
        if ((double)*out != v->valuedouble) return -1;
        return 0;
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (!*s) return -1;
        for (const char *q = s; *q; q++)
            if (*q < '0' || *q > '9') return -1;
        errno = 0;
        unsigned long long x = strtoull(s, NULL, 10);
        if (errno) return -1;
        *out = (uint64_t)x;
        return 0;
    }
    return -1;
}

static int decode_bytes(ctx *c, const cJSON *v, const char *what, bytes *out) {
    out->present = 0;
    out->p = NULL;
    out->n = 0;
    if (cJSON_IsString(v)) {
        out->p = (const unsigned char *)v->valuestring;
        out->n = strlen(v->valuestring);
        out->present = 1;
        return 0;
    }
    if (cJSON_IsObject(v)) {
        const char *hex = str_member(v, "hex");
        const char *rep = str_member(v, "repeat");
        if (hex) {
            size_t n = 0;
            if (decode_hex(hex, NULL, &n)) return fail(c, "bad case: %s: bad hex", what);
            unsigned char *p = step_alloc(c, n);
            if (!p) return fail(c, "runner: out of memory");
            decode_hex(hex, p, &n);
            out->p = p;
            out->n = n;
            out->present = 1;
            return 0;
        }
        if (rep) {
            size_t plen = 0;
            uint64_t count = 0;
            if (decode_hex(rep, NULL, &plen) || plen == 0)
                return fail(c, "bad case: %s: bad repeat pattern", what);
            if (json_u64(member(v, "count"), &count) || count > ((uint64_t)1 << 32))
                return fail(c, "bad case: %s: bad repeat count", what);
            unsigned char pat[256];
            if (plen > sizeof pat) return fail(c, "bad case: %s: repeat pattern too long", what);
            decode_hex(rep, pat, &plen);
            size_t n = plen * (size_t)count;
            unsigned char *p = step_alloc(c, n);
            if (!p) return fail(c, "runner: out of memory");
            for (size_t i = 0; i < (size_t)count; i++) memcpy(p + i * plen, pat, plen);
            out->p = p;
            out->n = n;
            out->present = 1;
            return 0;
        }
    }
    return fail(c, "bad case: %s is not a byte string", what);
}

/* Required byte-string member. */
static int req_bytes(ctx *c, const cJSON *s, const char *name, bytes *out) {
    const cJSON *v = member(s, name);
    if (!v) return fail(c, "bad case: missing '%s'", name);
    return decode_bytes(c, v, name, out);
}

/* Optional byte-string member: out->present = 0 when absent. */
static int opt_bytes(ctx *c, const cJSON *s, const char *name, bytes *out) {
    const cJSON *v = member(s, name);
    out->present = 0;
    out->p = NULL;
    out->n = 0;
    if (!v) return 0;
    return decode_bytes(c, v, name, out);
}

/* Printable rendering of bytes for messages. */
static const char *show(const void *data, size_t n, char *buf, size_t cap) {
    const unsigned char *p = data;
    int printable = n <= 64;
    for (size_t i = 0; printable && i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"') printable = 0;
    if (printable) {
        snprintf(buf, cap, "\"%.*s\"", (int)n, (const char *)p);
        return buf;
    }
    size_t shown = n < 24 ? n : 24, o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "hex:");
    for (size_t i = 0; i < shown && o + 3 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%02x", p[i]);
    if (shown < n && o < cap) snprintf(buf + o, cap - o, "...(%zu bytes)", n);
    return buf;
}

static int bytes_eq(const bytes *b, const void *p, size_t n) {
    return b->n == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

/* ---- expectations ----------------------------------------------------------------------- */

typedef struct {
    int codes[MAX_EXPECT];
    int n;
} expect_set;

static int parse_expect_value(ctx *c, const cJSON *v, const char *field, expect_set *e) {
    e->n = 0;
    if (!v) {
        e->codes[e->n++] = SKV_OK;
        return 0;
    }
    if (cJSON_IsString(v)) {
        if (code_of_name(v->valuestring, &e->codes[0]))
            return fail(c, "bad case: unknown error name '%s' in %s", v->valuestring, field);
        e->n = 1;
        return 0;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
        const cJSON *x;
        cJSON_ArrayForEach(x, v) {
            if (!cJSON_IsString(x) || e->n >= MAX_EXPECT)
                return fail(c, "bad case: bad %s list", field);
            if (code_of_name(x->valuestring, &e->codes[e->n]))
                return fail(c, "bad case: unknown error name '%s' in %s", x->valuestring, field);
            e->n++;
        }
        return 0;
    }
    return fail(c, "bad case: bad %s", field);
}

static int expect_has(const expect_set *e, int rc) {
    for (int i = 0; i < e->n; i++)
        if (e->codes[i] == rc) return 1;
    return 0;
}

static const char *expect_text(const expect_set *e, char *buf, size_t cap) {
    char tmp[32];
    size_t o = 0;
    buf[0] = 0;
    if (e->n > 1) o += (size_t)snprintf(buf, cap, "one of ");
    for (int i = 0; i < e->n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "/" : "",
                              code_name_of(e->codes[i], tmp, sizeof tmp));
    return buf;
}

/* Compares rc with the step's "expect". 0 when it matches. */
static int check_rc(ctx *c, const cJSON *s, int rc) {
    expect_set e;
    if (parse_expect_value(c, member(s, "expect"), "expect", &e)) return -1;
    if (expect_has(&e, rc)) return 0;
    char eb[256], gb[32];
    return fail(c, "expected %s, got %s", expect_text(&e, eb, sizeof eb),
                code_name_of(rc, gb, sizeof gb));
}

/* ---- handles ---------------------------------------------------------------------------- */

static db_slot *find_db(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "db");
    if (!name) {
        fail(c, "bad case: missing 'db'");
        return NULL;
    }
    for (int i = 0; i < MAX_DBS; i++)
        if (c->dbs[i].name && strcmp(c->dbs[i].name, name) == 0) return &c->dbs[i];
    fail(c, "bad case: db '%s' is not bound", name);
    return NULL;
}

static txn_slot *find_txn(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "txn");
    if (!name) {
        fail(c, "bad case: missing 'txn'");
        return NULL;
    }
    for (int i = 0; i < MAX_TXNS; i++)
        if (c->txns[i].name && strcmp(c->txns[i].name, name) == 0) return &c->txns[i];
    fail(c, "bad case: txn '%s' is not bound", name);
    return NULL;
}

static iter_slot *find_iter(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "iter");
    if (!name) {
        fail(c, "bad case: missing 'iter'");
        return NULL;
    }
    for (int i = 0; i < MAX_ITERS; i++)
        if (c->iters[i].name && strcmp(c->iters[i].name, name) == 0) return &c->iters[i];
    fail(c, "bad case: iter '%s' is not bound", name);
    return NULL;
}

static txn_slot *new_txn_slot(ctx *c, const char *name) {
    for (int i = 0; i < MAX_TXNS; i++)
        if (c->txns[i].name && strcmp(c->txns[i].name, name) == 0) {
            fail(c, "bad case: txn '%s' is still bound", name);
            return NULL;
        }
    for (int i = 0; i < MAX_TXNS; i++)
        if (!c->txns[i].name) return &c->txns[i];
    fail(c, "bad case: too many transactions");
    return NULL;
}

static iter_slot *new_iter_slot(ctx *c, const char *name) {
    for (int i = 0; i < MAX_ITERS; i++)
        if (c->iters[i].name && strcmp(c->iters[i].name, name) == 0) {
            fail(c, "bad case: iter '%s' is still bound", name);
            return NULL;
        }
    for (int i = 0; i < MAX_ITERS; i++)
        if (!c->iters[i].name) return &c->iters[i];
    fail(c, "bad case: too many iterators");
    return NULL;
}

/* ---- options ---------------------------------------------------------------------------- */

/* Builds an option set; returns the first failing code (and *out NULL) or SKV_OK. */
static int build_options(ctx *c, const cJSON *opts, skv_options **out, int *bad_case) {
    *out = NULL;
    *bad_case = 0;
    if (opts && !cJSON_IsObject(opts)) {
        *bad_case = 1;
        return fail(c, "bad case: 'options' must be an object");
    }
    skv_options *o = NULL;
    int rc = skv_options_new(&o);
    if (rc != SKV_OK) return rc;
    const cJSON *x;
    cJSON_ArrayForEach(x, opts) {
        if (!cJSON_IsString(x)) {
            skv_options_free(o);
            *bad_case = 1;
            return fail(c, "bad case: option '%s' must have a string value", x->string);
        }
        rc = skv_options_set(o, x->string, x->valuestring);
        if (rc != SKV_OK) {
            skv_options_free(o);
            return rc;
        }
    }
    *out = o;
    return SKV_OK;
}

static int open_path(ctx *c, const char *rel, const cJSON *opts, skv_db **out, int *bad_case) {
    char path[PATH_SIZE];
    *out = NULL;
    if (!*rel || strstr(rel, "..") || rel[0] == '/') {
        *bad_case = 1;
        return fail(c, "bad case: bad path '%s'", rel);
    }
    int pn = snprintf(path, sizeof path, "%s/%s", c->dir, rel);
    if (pn < 0 || (size_t)pn >= sizeof path) {
        *bad_case = 1;
        return fail(c, "bad case: path too long");
    }
    skv_options *o;
    int rc = build_options(c, opts, &o, bad_case);
    if (*bad_case || rc != SKV_OK) return rc;
    rc = skv_open(path, o, out);
    skv_options_free(o);
    return rc;
}

/* ---- steps: library --------------------------------------------------------------------- */

static int op_version(ctx *c, const cJSON *s) {
    uint64_t want = 0;
    const cJSON *v;
    if ((v = member(s, "abi"))) {
        if (json_u64(v, &want)) return fail(c, "bad case: bad 'abi'");
        if (skv_abi_version() != want)
            return fail(c, "expected abi %" PRIu64 ", got %u", want, skv_abi_version());
    }
    if ((v = member(s, "number"))) {
        if (json_u64(v, &want)) return fail(c, "bad case: bad 'number'");
        if (skv_version_number() != want)
            return fail(c, "expected number %" PRIu64 ", got %u", want, skv_version_number());
    }
    const char *str = str_member(s, "string");
    if (str) {
        const char *got = skv_version_string();
        if (!got || strcmp(got, str) != 0)
            return fail(c, "expected string \"%s\", got \"%s\"", str, got ? got : "(null)");
    }
    return 0;
}

static int op_errname(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "name");
    if (!name) return fail(c, "bad case: missing 'name'");
    const cJSON *cv = member(s, "code");
    int code;
    if (cv) {
        if (!cJSON_IsNumber(cv)) return fail(c, "bad case: bad 'code'");
        code = cv->valueint;
    } else if (code_of_name(name, &code)) {
        return fail(c, "bad case: unknown error name '%s'", name);
    }
    const char *got = skv_errname(code);
    if (!got || strcmp(got, name) != 0)
        return fail(c, "expected %s, got %s", name, got ? got : "(null)");
    const char *text = skv_strerror(code);
    if (!text || !*text) return fail(c, "expected a strerror text, got an empty one");
    return 0;
}

static int op_options(ctx *c, const cJSON *s) {
    skv_options *o;
    int bad_case;
    int rc = build_options(c, member(s, "options"), &o, &bad_case);
    if (bad_case) return -1;
    skv_options_free(o);
    return check_rc(c, s, rc);
}

/* ---- steps: databases ------------------------------------------------------------------- */

static int op_open(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "db");
    if (!name) return fail(c, "bad case: missing 'db'");
    const char *path = str_member(s, "path");
    if (!path) path = name;
    db_slot *slot = NULL, *free_slot = NULL;
    for (int i = 0; i < MAX_DBS; i++) {
        if (c->dbs[i].name && strcmp(c->dbs[i].name, name) == 0) slot = &c->dbs[i];
        if (!c->dbs[i].name && !free_slot) free_slot = &c->dbs[i];
    }
    if (slot && slot->open) return fail(c, "bad case: db '%s' is still open", name);
    if (!slot && !free_slot) return fail(c, "bad case: too many databases");
    skv_db *db;
    int bad_case = 0;
    const cJSON *opts = member(s, "options");
    int rc = open_path(c, path, opts, &db, &bad_case);
    if (bad_case) return -1;
    if (rc == SKV_OK) {
        if (!slot) slot = free_slot;
        slot->name = name;
        slot->db = db;
        slot->open = 1;
        slot->path = path;
        slot->options = opts;
    }
    return check_rc(c, s, rc);
}

static int op_close(ctx *c, const cJSON *s) {
    db_slot *d = find_db(c, s);
    if (!d) return -1;
    int rc = skv_close(d->db);
    d->open = 0;
    return check_rc(c, s, rc);
}

/* sync, flush, compact: one call on a database, checked against "expect". */
static int op_db_call(ctx *c, const cJSON *s, int (*fn)(skv_db *)) {
    db_slot *d = find_db(c, s);
    if (!d) return -1;
    return check_rc(c, s, fn(d->db));
}

static int op_sync(ctx *c, const cJSON *s) { return op_db_call(c, s, skv_sync); }
static int op_flush(ctx *c, const cJSON *s) { return op_db_call(c, s, skv_flush); }
static int op_compact(ctx *c, const cJSON *s) { return op_db_call(c, s, skv_compact); }

static int op_reopen(ctx *c, const cJSON *s) {
    db_slot *d = find_db(c, s);
    if (!d) return -1;
    char gb[32];
    int rc = skv_close(d->db);
    d->open = 0;
    if (rc != SKV_OK)
        return fail(c, "expected close SKV_OK, got %s", code_name_of(rc, gb, sizeof gb));
    skv_db *db;
    int bad_case = 0;
    rc = open_path(c, d->path, d->options, &db, &bad_case);
    if (bad_case) return -1;
    if (rc == SKV_OK) {
        d->db = db;
        d->open = 1;
    }
    return check_rc(c, s, rc);
}

static int var_find(ctx *c, const char *name, uint64_t *v) {
    for (int i = 0; i < MAX_VARS; i++)
        if (c->vars[i].name && strcmp(c->vars[i].name, name) == 0) {
            *v = c->vars[i].value;
            return 0;
        }
    return fail(c, "bad case: variable '%s' is not saved", name);
}

static int op_property(ctx *c, const cJSON *s) {
    db_slot *d = find_db(c, s);
    if (!d) return -1;
    const char *name = str_member(s, "name");
    if (!name) return fail(c, "bad case: missing 'name'");
    char *val = NULL;
    int rc = skv_property(d->db, name, &val);
    if (check_rc(c, s, rc)) {
        skv_free(val);
        return -1;
    }
    if (rc != SKV_OK) return 0;
    const char *text = str_member(s, "text");
    if (text) {
        int same = val && strcmp(val, text) == 0;
        char buf[160];
        snprintf(buf, sizeof buf, "%.120s", val ? val : "(null)");
        skv_free(val);
        return same ? 0 : fail(c, "expected %s \"%s\", got \"%s\"", name, text, buf);
    }
    const char *save = str_member(s, "save"), *gt = str_member(s, "gt");
    const char *ge = str_member(s, "ge"), *eq = str_member(s, "eq");
    const cJSON *minv = member(s, "min");
    if (!save && !gt && !ge && !eq && !minv) {
        skv_free(val);
        return 0;
    }
    uint64_t x = 0;
    int ok = val && *val;
    for (const char *q = val; ok && *q; q++)
        if (*q < '0' || *q > '9') ok = 0;
    if (ok) {
        errno = 0;
        x = (uint64_t)strtoull(val, NULL, 10);
        if (errno) ok = 0;
    }
    if (!ok) {
        char buf[160];
        snprintf(buf, sizeof buf, "%.120s", val ? val : "(null)");
        skv_free(val);
        return fail(c, "expected a decimal integer, got \"%s\"", buf);
    }
    skv_free(val);
    uint64_t ref = 0;
    if (gt) {
        if (var_find(c, gt, &ref)) return -1;
        if (!(x > ref))
            return fail(c, "expected %s > %s (%" PRIu64 "), got %" PRIu64, name, gt, ref, x);
    }
    if (ge) {
        if (var_find(c, ge, &ref)) return -1;
        if (!(x >= ref))
            return fail(c, "expected %s >= %s (%" PRIu64 "), got %" PRIu64, name, ge, ref, x);
    }
    if (eq) {
        if (var_find(c, eq, &ref)) return -1;
        if (x != ref)
            return fail(c, "expected %s == %s (%" PRIu64 "), got %" PRIu64, name, eq, ref, x);
    }
    if (minv) {
        if (json_u64(minv, &ref)) return fail(c, "bad case: bad 'min'");
        if (x < ref) return fail(c, "expected %s >= %" PRIu64 ", got %" PRIu64, name, ref, x);
    }
    if (save) {
        var_slot *slot = NULL;
        for (int i = 0; i < MAX_VARS && !slot; i++)
            if (c->vars[i].name && strcmp(c->vars[i].name, save) == 0) slot = &c->vars[i];
        for (int i = 0; i < MAX_VARS && !slot; i++)
            if (!c->vars[i].name) slot = &c->vars[i];
        if (!slot) return fail(c, "bad case: too many variables");
        slot->name = save;
        slot->value = x;
    }
    return 0;
}

/* ---- steps: transactions ---------------------------------------------------------------- */

static int parse_durability(ctx *c, const char *d, int *out) {
    if (strcmp(d, "eventual") == 0)
        *out = SKV_DURABILITY_EVENTUAL;
    else if (strcmp(d, "immediate") == 0)
        *out = SKV_DURABILITY_IMMEDIATE;
    else
        return fail(c, "bad case: bad durability '%s'", d);
    return 0;
}

static int op_begin(ctx *c, const cJSON *s) {
    db_slot *d = find_db(c, s);
    if (!d) return -1;
    const char *name = str_member(s, "txn");
    if (!name) return fail(c, "bad case: missing 'txn'");
    const char *mode_s = str_member(s, "mode");
    int mode = SKV_TXN_READ_WRITE;
    if (!mode_s || strcmp(mode_s, "read_write") == 0)
        mode = SKV_TXN_READ_WRITE;
    else if (strcmp(mode_s, "read_only") == 0)
        mode = SKV_TXN_READ_ONLY;
    else if (strcmp(mode_s, "write_only") == 0)
        mode = SKV_TXN_WRITE_ONLY;
    else
        return fail(c, "bad case: bad mode '%s'", mode_s);
    const char *dur_s = str_member(s, "durability");
    int dur = SKV_DURABILITY_EVENTUAL;
    if (dur_s && parse_durability(c, dur_s, &dur)) return -1;
    txn_slot *slot = new_txn_slot(c, name);
    if (!slot) return -1;
    skv_txn *t = NULL;
    int rc = skv_txn_begin(d->db, mode, &t);
    if (rc == SKV_OK) {
        slot->name = name;
        slot->txn = t;
    }
    if (check_rc(c, s, rc)) return -1;
    if (rc == SKV_OK && dur_s) {
        char gb[32];
        rc = skv_txn_set_durability(t, dur);
        if (rc != SKV_OK)
            return fail(c, "expected set_durability SKV_OK, got %s",
                        code_name_of(rc, gb, sizeof gb));
    }
    return 0;
}

static int op_set_durability(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    const char *dur_s = str_member(s, "durability");
    int dur = SKV_DURABILITY_EVENTUAL;
    if (!dur_s) return fail(c, "bad case: missing 'durability'");
    if (parse_durability(c, dur_s, &dur)) return -1;
    return check_rc(c, s, skv_txn_set_durability(t->txn, dur));
}

static int op_set(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k, v;
    if (!t || req_bytes(c, s, "key", &k) || req_bytes(c, s, "value", &v)) return -1;
    return check_rc(c, s, skv_txn_set(t->txn, k.p, k.n, v.p, v.n));
}

static int op_set_at(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k, v;
    uint64_t ts = 0;
    if (!t || req_bytes(c, s, "key", &k) || req_bytes(c, s, "value", &v)) return -1;
    if (json_u64(member(s, "ts"), &ts)) return fail(c, "bad case: bad 'ts'");
    return check_rc(c, s, skv_txn_set_at(t->txn, k.p, k.n, v.p, v.n, ts));
}

static int op_replace(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k, v;
    if (!t || req_bytes(c, s, "key", &k) || req_bytes(c, s, "value", &v)) return -1;
    return check_rc(c, s, skv_txn_replace(t->txn, k.p, k.n, v.p, v.n));
}

static int op_delete(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k;
    if (!t || req_bytes(c, s, "key", &k)) return -1;
    return check_rc(c, s, skv_txn_delete(t->txn, k.p, k.n));
}

static int op_soft_delete(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k;
    if (!t || req_bytes(c, s, "key", &k)) return -1;
    return check_rc(c, s, skv_txn_soft_delete(t->txn, k.p, k.n));
}

static int op_get(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k, want;
    if (!t || req_bytes(c, s, "key", &k) || opt_bytes(c, s, "value", &want)) return -1;
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_get(t->txn, k.p, k.n, &val, &vlen);
    if (check_rc(c, s, rc)) return -1;
    if (rc == SKV_OK && want.present && !bytes_eq(&want, val, vlen)) {
        char a[160], b[160];
        return fail(c, "expected value %s, got %s", show(want.p, want.n, a, sizeof a),
                    show(val, vlen, b, sizeof b));
    }
    return 0;
}

static int op_savepoint(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    return check_rc(c, s, skv_txn_savepoint(t->txn));
}

static int op_rollback_to_savepoint(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    return check_rc(c, s, skv_txn_rollback_to_savepoint(t->txn));
}

static int op_commit(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    return check_rc(c, s, skv_txn_commit(t->txn));
}

static int op_rollback(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    return check_rc(c, s, skv_txn_rollback(t->txn));
}

static int op_txn_free(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    skv_txn_free(t->txn);
    t->name = NULL;
    t->txn = NULL;
    return 0;
}

static void commit_cb(void *user_data, int status) {
    async_state *a = user_data;
    pthread_mutex_lock(&a->mu);
    if (a->registering && pthread_equal(pthread_self(), a->reg_thread)) a->inside_call = 1;
    a->calls++;
    a->status = status;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static int op_commit_async(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    async_state *a = calloc(1, sizeof *a);
    if (!a) return fail(c, "runner: out of memory");
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->txn_name = t->name;
    a->next = c->async_list;
    c->async_list = a;
    pthread_mutex_lock(&a->mu);
    a->registering = 1;
    a->reg_thread = pthread_self();
    pthread_mutex_unlock(&a->mu);
    int rc = skv_txn_commit_async(t->txn, commit_cb, a);
    pthread_mutex_lock(&a->mu);
    a->registering = 0;
    a->returned_ok = rc == SKV_OK;
    pthread_mutex_unlock(&a->mu);
    return check_rc(c, s, rc);
}

static int op_await_commit(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "txn");
    if (!name) return fail(c, "bad case: missing 'txn'");
    async_state *a = c->async_list; /* newest first; the txn may already be freed */
    while (a && !(a->returned_ok && strcmp(a->txn_name, name) == 0)) a = a->next;
    if (!a) return fail(c, "expected a successful commit_async on '%s', got none", name);
    expect_set e;
    if (parse_expect_value(c, member(s, "status"), "status", &e)) return -1;
    uint64_t timeout_ms = DEFAULT_TIMEOUT_MS;
    const cJSON *tv = member(s, "timeout_ms");
    if (tv && json_u64(tv, &timeout_ms)) return fail(c, "bad case: bad 'timeout_ms'");
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)(timeout_ms / 1000);
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&a->mu);
    int err = 0;
    while (a->calls == 0 && err == 0 && timeout_ms > 0)
        err = pthread_cond_timedwait(&a->cv, &a->mu, &dl);
    int calls = a->calls, status = a->status, inside = a->inside_call;
    pthread_mutex_unlock(&a->mu);
    if (calls == 0) return fail(c, "expected callback, got timeout");
    if (calls != 1) return fail(c, "expected 1 callback, got %d", calls);
    if (inside) return fail(c, "expected callback after the call returned, got one inside it");
    if (!expect_has(&e, status)) {
        char eb[256], gb[32];
        return fail(c, "expected status %s, got %s", expect_text(&e, eb, sizeof eb),
                    code_name_of(status, gb, sizeof gb));
    }
    return 0;
}

/* ---- steps: iterators ------------------------------------------------------------------- */

static int parse_flags(ctx *c, const cJSON *s, unsigned *flags) {
    *flags = 0;
    const cJSON *f = member(s, "flags"), *x;
    if (!f) return 0;
    if (!cJSON_IsArray(f)) return fail(c, "bad case: 'flags' must be an array");
    cJSON_ArrayForEach(x, f) {
        if (!cJSON_IsString(x)) return fail(c, "bad case: bad flag");
        if (strcmp(x->valuestring, "reverse") == 0)
            *flags |= SKV_ITER_REVERSE;
        else if (strcmp(x->valuestring, "keys_only") == 0)
            *flags |= SKV_ITER_KEYS_ONLY;
        else
            return fail(c, "bad case: unknown flag '%s'", x->valuestring);
    }
    return 0;
}

static int op_iter_open(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    const char *name = str_member(s, "iter");
    if (!name) return fail(c, "bad case: missing 'iter'");
    bytes lo, hi;
    unsigned flags;
    if (opt_bytes(c, s, "lo", &lo) || opt_bytes(c, s, "hi", &hi) || parse_flags(c, s, &flags))
        return -1;
    iter_slot *slot = new_iter_slot(c, name);
    if (!slot) return -1;
    skv_iter *it = NULL;
    int rc = skv_iter_open(t->txn, lo.present ? lo.p : NULL, lo.n, hi.present ? hi.p : NULL, hi.n,
                           flags, &it);
    if (rc == SKV_OK) {
        slot->name = name;
        slot->it = it;
    }
    return check_rc(c, s, rc);
}

static int check_current(ctx *c, const cJSON *s, skv_iter *it) {
    bytes wk, wv;
    char a[160], b[160], gb[32];
    if (opt_bytes(c, s, "key", &wk) || opt_bytes(c, s, "value", &wv)) return -1;
    if (wk.present) {
        const void *k = NULL;
        size_t kl = 0;
        int rc = skv_iter_key(it, &k, &kl);
        if (rc != SKV_OK)
            return fail(c, "expected iter_key SKV_OK, got %s", code_name_of(rc, gb, sizeof gb));
        if (!bytes_eq(&wk, k, kl))
            return fail(c, "expected key %s, got %s", show(wk.p, wk.n, a, sizeof a),
                        show(k, kl, b, sizeof b));
    }
    if (wv.present) {
        const void *v = NULL;
        size_t vl = 0;
        int rc = skv_iter_value(it, &v, &vl);
        if (rc != SKV_OK)
            return fail(c, "expected iter_value SKV_OK, got %s", code_name_of(rc, gb, sizeof gb));
        if (!bytes_eq(&wv, v, vl))
            return fail(c, "expected value %s, got %s", show(wv.p, wv.n, a, sizeof a),
                        show(v, vl, b, sizeof b));
    }
    return 0;
}

enum { POS_FIRST, POS_LAST, POS_NEXT, POS_PREV, POS_SEEK };

static int iter_position(ctx *c, const cJSON *s, int which) {
    iter_slot *i = find_iter(c, s);
    if (!i) return -1;
    int rc;
    switch (which) {
    case POS_FIRST: rc = skv_iter_first(i->it); break;
    case POS_LAST: rc = skv_iter_last(i->it); break;
    case POS_NEXT: rc = skv_iter_next(i->it); break;
    case POS_PREV: rc = skv_iter_prev(i->it); break;
    default: {
        bytes target;
        if (req_bytes(c, s, "target", &target)) return -1;
        rc = skv_iter_seek(i->it, target.p, target.n);
        break;
    }
    }
    if (check_rc(c, s, rc)) return -1;
    return rc == SKV_OK ? check_current(c, s, i->it) : 0;
}

static int op_iter_first(ctx *c, const cJSON *s) { return iter_position(c, s, POS_FIRST); }
static int op_iter_last(ctx *c, const cJSON *s) { return iter_position(c, s, POS_LAST); }
static int op_iter_next(ctx *c, const cJSON *s) { return iter_position(c, s, POS_NEXT); }
static int op_iter_prev(ctx *c, const cJSON *s) { return iter_position(c, s, POS_PREV); }
static int op_iter_seek(ctx *c, const cJSON *s) { return iter_position(c, s, POS_SEEK); }

static int op_iter_key(ctx *c, const cJSON *s) {
    iter_slot *i = find_iter(c, s);
    bytes want;
    if (!i || opt_bytes(c, s, "key", &want)) return -1;
    const void *k = NULL;
    size_t kl = 0;
    int rc = skv_iter_key(i->it, &k, &kl);
    if (check_rc(c, s, rc)) return -1;
    if (rc == SKV_OK && want.present && !bytes_eq(&want, k, kl)) {
        char a[160], b[160];
        return fail(c, "expected key %s, got %s", show(want.p, want.n, a, sizeof a),
                    show(k, kl, b, sizeof b));
    }
    return 0;
}

static int op_iter_value(ctx *c, const cJSON *s) {
    iter_slot *i = find_iter(c, s);
    bytes want;
    if (!i || opt_bytes(c, s, "value", &want)) return -1;
    const void *v = NULL;
    size_t vl = 0;
    int rc = skv_iter_value(i->it, &v, &vl);
    if (check_rc(c, s, rc)) return -1;
    if (rc == SKV_OK && want.present && !bytes_eq(&want, v, vl)) {
        char a[160], b[160];
        return fail(c, "expected value %s, got %s", show(want.p, want.n, a, sizeof a),
                    show(v, vl, b, sizeof b));
    }
    return 0;
}

static int op_iter_free(ctx *c, const cJSON *s) {
    iter_slot *i = find_iter(c, s);
    if (!i) return -1;
    skv_iter_free(i->it);
    i->name = NULL;
    i->it = NULL;
    return 0;
}

/* ---- entry lists (collect, scan) -------------------------------------------------------- */

typedef struct {
    unsigned char *k, *v;
    size_t kn, vn;
} list_entry;

typedef struct {
    list_entry *e;
    size_t n, cap;
    size_t stop_after; /* 0 = never */
    int oom;
} entry_list;

static int list_add(entry_list *l, const void *k, size_t kn, const void *v, size_t vn) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        list_entry *e = realloc(l->e, cap * sizeof *e);
        if (!e) return -1;
        l->e = e;
        l->cap = cap;
    }
    list_entry *x = &l->e[l->n];
    x->k = malloc(kn ? kn : 1);
    x->v = malloc(vn ? vn : 1);
    if (!x->k || !x->v) {
        free(x->k);
        free(x->v);
        return -1;
    }
    if (kn) memcpy(x->k, k, kn);
    if (vn) memcpy(x->v, v, vn);
    x->kn = kn;
    x->vn = vn;
    l->n++;
    return 0;
}

static void list_free(entry_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].k);
        free(l->e[i].v);
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* Compares a list with the step's "entries" ([[k, v], ...]) or "keys" ([k, ...]). */
static int compare_list(ctx *c, const cJSON *s, const entry_list *l) {
    const cJSON *ents = member(s, "entries"), *keys = member(s, "keys");
    const cJSON *want = ents ? ents : keys;
    if (!want || !cJSON_IsArray(want)) return fail(c, "bad case: missing 'entries' or 'keys'");
    size_t wn = (size_t)cJSON_GetArraySize(want);
    char a[160], b[160];
    size_t idx = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, want) {
        bytes wk, wv;
        wv.present = 0;
        if (ents) {
            if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) != 2)
                return fail(c, "bad case: entry %zu is not a [key, value] pair", idx);
            if (decode_bytes(c, cJSON_GetArrayItem(x, 0), "entry key", &wk) ||
                decode_bytes(c, cJSON_GetArrayItem(x, 1), "entry value", &wv))
                return -1;
        } else if (decode_bytes(c, x, "key", &wk)) {
            return -1;
        }
        if (idx >= l->n) {
            show(wk.p, wk.n, a, sizeof a);
            step_free_all(c);
            return fail(c, "expected %zu entries, got %zu (missing entry %zu key %s)", wn, l->n,
                        idx, a);
        }
        const list_entry *g = &l->e[idx];
        if (!bytes_eq(&wk, g->k, g->kn)) {
            show(wk.p, wk.n, a, sizeof a);
            step_free_all(c);
            return fail(c, "expected entry %zu key %s, got %s", idx, a,
                        show(g->k, g->kn, b, sizeof b));
        }
        if (wv.present && !bytes_eq(&wv, g->v, g->vn)) {
            show(wv.p, wv.n, a, sizeof a);
            step_free_all(c);
            return fail(c, "expected entry %zu value %s, got %s", idx, a,
                        show(g->v, g->vn, b, sizeof b));
        }
        step_free_all(c); /* keep the per-step arena small on long lists */
        idx++;
    }
    if (l->n != wn)
        return fail(c, "expected %zu entries, got %zu (first extra key %s)", wn, l->n,
                    show(l->e[wn].k, l->e[wn].kn, b, sizeof b));
    return 0;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int op_collect(ctx *c, const cJSON *s) {
    iter_slot *i = find_iter(c, s);
    if (!i) return -1;
    uint64_t batch = DEFAULT_BATCH, batch_bytes = 0;
    const cJSON *bv = member(s, "batch"), *bbv = member(s, "batch_bytes");
    if (bv && json_u64(bv, &batch)) return fail(c, "bad case: bad 'batch'");
    if (bbv && json_u64(bbv, &batch_bytes)) return fail(c, "bad case: bad 'batch_bytes'");
    entry_list l = {0};
    int rc;
    for (;;) {
        const void *buf = NULL;
        size_t len = 0, count = 0;
        rc = skv_iter_read_batch(i->it, (size_t)batch, (size_t)batch_bytes, &buf, &len, &count);
        if (rc == SKV_NOTFOUND) {
            if (count != 0) {
                list_free(&l);
                return fail(c, "expected count 0 with SKV_NOTFOUND, got %zu", count);
            }
            rc = SKV_OK;
            break;
        }
        if (rc != SKV_OK) break;
        if (count == 0 || (batch && count > batch)) {
            list_free(&l);
            return fail(c, "expected 1..%" PRIu64 " entries from read_batch, got %zu", batch,
                        count);
        }
        const unsigned char *p = buf;
        size_t off = 0;
        for (size_t e = 0; e < count; e++) {
            if (len - off < 8) goto malformed;
            size_t kl = le32(p + off), vl = le32(p + off + 4);
            off += 8;
            if (len - off < kl || len - off - kl < vl) goto malformed;
            if (list_add(&l, p + off, kl, p + off + kl, vl)) {
                list_free(&l);
                return fail(c, "runner: out of memory");
            }
            off += kl + vl;
        }
        if (off != len) goto malformed;
        if (l.n > 50000000) {
            list_free(&l);
            return fail(c, "expected the iterator to end, got more than 50000000 entries");
        }
    }
    if (check_rc(c, s, rc)) {
        list_free(&l);
        return -1;
    }
    int r = rc == SKV_OK ? compare_list(c, s, &l) : 0;
    list_free(&l);
    return r;
malformed:
    list_free(&l);
    return fail(c, "expected a well-formed read_batch buffer, got a malformed one");
}

static int scan_cb(void *user_data, const void *key, size_t klen, const void *val, size_t vlen) {
    entry_list *l = user_data;
    if (list_add(l, key, klen, val, vlen)) {
        l->oom = 1;
        return 1;
    }
    return l->stop_after && l->n >= l->stop_after;
}

static int op_scan(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    if (!t) return -1;
    bytes lo, hi;
    unsigned flags;
    uint64_t limit = 0, stop_after = 0;
    if (opt_bytes(c, s, "lo", &lo) || opt_bytes(c, s, "hi", &hi) || parse_flags(c, s, &flags))
        return -1;
    const cJSON *lv = member(s, "limit"), *sv = member(s, "stop_after");
    if (lv && json_u64(lv, &limit)) return fail(c, "bad case: bad 'limit'");
    if (sv && (json_u64(sv, &stop_after) || stop_after == 0))
        return fail(c, "bad case: bad 'stop_after'");
    entry_list l = {0};
    l.stop_after = (size_t)stop_after;
    int rc = skv_txn_scan(t->txn, lo.present ? lo.p : NULL, lo.n, hi.present ? hi.p : NULL, hi.n,
                          flags, (size_t)limit, scan_cb, &l);
    if (l.oom) {
        list_free(&l);
        return fail(c, "runner: out of memory");
    }
    if (check_rc(c, s, rc)) {
        list_free(&l);
        return -1;
    }
    int r = 0;
    if (rc == SKV_OK) {
        r = compare_list(c, s, &l);
    } else if (l.n) {
        r = fail(c, "expected no callback on failure, got %zu", l.n);
    }
    list_free(&l);
    return r;
}

/* ---- steps: checkpoints, restore and the integrity check -------------------------------- */

/* <case dir>/<rel> into path; -1 (case failed) for a bad relative name. */
static int case_path(ctx *c, const char *rel, char *path, size_t cap) {
    if (!rel || !*rel || strstr(rel, "..") || rel[0] == '/')
        return fail(c, "bad case: bad path '%s'", rel ? rel : "(missing)");
    int pn = snprintf(path, cap, "%s/%s", c->dir, rel);
    if (pn < 0 || (size_t)pn >= cap) return fail(c, "bad case: path too long");
    return 0;
}

/* checkpoint / restore: one call with a directory (`dir`, relative to the case directory). */
static int op_db_dir(ctx *c, const cJSON *s, int (*fn)(skv_db *, const char *)) {
    db_slot *d = find_db(c, s);
    char path[PATH_SIZE];
    if (!d || case_path(c, str_member(s, "dir"), path, sizeof path)) return -1;
    return check_rc(c, s, fn(d->db, path));
}

static int op_checkpoint(ctx *c, const cJSON *s) { return op_db_dir(c, s, skv_checkpoint); }
static int op_restore(ctx *c, const cJSON *s) { return op_db_dir(c, s, skv_restore); }

/* check: skv_check of the open `db`, or skv_check_dir of the closed database `path`; with
 * `report_has`, the report must contain that text. */
static int op_check(ctx *c, const cJSON *s) {
    char *report = NULL;
    int rc;
    if (member(s, "db")) {
        db_slot *d = find_db(c, s);
        if (!d) return -1;
        rc = skv_check(d->db, &report);
    } else {
        char path[PATH_SIZE];
        if (case_path(c, str_member(s, "path"), path, sizeof path)) return -1;
        rc = skv_check_dir(path, NULL, &report);
    }
    if (check_rc(c, s, rc)) {
        skv_free(report);
        return -1;
    }
    const char *has = str_member(s, "report_has");
    int ok = !has || (report && strstr(report, has));
    skv_free(report);
    return ok ? 0 : fail(c, "expected a report containing \"%s\"", has);
}

/* ---- steps: time travel ---------------------------------------------------------------- */

/* A timestamp: an integer or decimal string, or {"var": name, "plus": n, "minus": n} (a
 * saved variable, optionally shifted). */
static int ts_value(ctx *c, const cJSON *v, const char *what, uint64_t *out) {
    if (cJSON_IsObject(v)) {
        const char *name = str_member(v, "var");
        uint64_t plus = 0, minus = 0;
        if (!name || var_find(c, name, out)) return fail(c, "bad case: bad '%s'", what);
        const cJSON *p = member(v, "plus"), *m = member(v, "minus");
        if ((p && json_u64(p, &plus)) || (m && json_u64(m, &minus)))
            return fail(c, "bad case: bad '%s'", what);
        *out = *out + plus - minus;
        return 0;
    }
    if (json_u64(v, out)) return fail(c, "bad case: bad '%s'", what);
    return 0;
}

static int op_get_at(ctx *c, const cJSON *s) {
    txn_slot *t = find_txn(c, s);
    bytes k, want;
    uint64_t ts = 0;
    if (!t || req_bytes(c, s, "key", &k) || opt_bytes(c, s, "value", &want) ||
        ts_value(c, member(s, "ts"), "ts", &ts))
        return -1;
    const void *val = NULL;
    size_t vlen = 0;
    int rc = skv_txn_get_at(t->txn, k.p, k.n, ts, &val, &vlen);
    if (check_rc(c, s, rc)) return -1;
    if (rc == SKV_OK && want.present && !bytes_eq(&want, val, vlen)) {
        char a[160], b[160];
        return fail(c, "expected value %s, got %s", show(want.p, want.n, a, sizeof a),
                    show(val, vlen, b, sizeof b));
    }
    return 0;
}

static const struct {
    const char *name;
    int kind;
} KINDS[] = {
    {"set", SKV_KIND_SET}, {"soft_delete", SKV_KIND_SOFT_DELETE}, {"replace", SKV_KIND_REPLACE}};

static const char *kind_name(int kind) {
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (KINDS[i].kind == kind) return KINDS[i].name;
    return "unknown";
}

/* Opens the history iterator a `history` or `history_open` step describes. */
static int history_open(ctx *c, const cJSON *s, skv_iter **it, int *rc) {
    txn_slot *t = find_txn(c, s);
    bytes lo, hi;
    uint64_t from = 0, to = UINT64_MAX, limit = 0;
    unsigned flags = 0;
    if (!t || opt_bytes(c, s, "lo", &lo) || opt_bytes(c, s, "hi", &hi)) return -1;
    if ((member(s, "from") && ts_value(c, member(s, "from"), "from", &from)) ||
        (member(s, "to") && ts_value(c, member(s, "to"), "to", &to)))
        return -1;
    if (member(s, "limit") && json_u64(member(s, "limit"), &limit))
        return fail(c, "bad case: bad 'limit'");
    const cJSON *f = member(s, "flags"), *x;
    if (f && !cJSON_IsArray(f)) return fail(c, "bad case: 'flags' must be an array");
    cJSON_ArrayForEach(x, f) {
        const char *n = cJSON_IsString(x) ? x->valuestring : "";
        if (strcmp(n, "reverse") == 0)
            flags |= SKV_ITER_REVERSE;
        else if (strcmp(n, "keys_only") == 0)
            flags |= SKV_ITER_KEYS_ONLY;
        else if (strcmp(n, "tombstones") == 0)
            flags |= SKV_HISTORY_TOMBSTONES;
        else
            return fail(c, "bad case: unknown history flag '%s'", n);
    }
    *it = NULL;
    *rc = skv_txn_history(t->txn, lo.present ? lo.p : NULL, lo.n, hi.present ? hi.p : NULL, hi.n,
                          from, to, flags, (size_t)limit, it);
    return check_rc(c, s, *rc);
}

/* Checks the current version's timestamp and kind against a step or entry object. */
static int check_version(ctx *c, const cJSON *want, skv_iter *it, size_t idx) {
    uint64_t ts = 0, wts = 0;
    int kind = 0;
    char gb[32];
    int rc = skv_iter_version(it, &ts, &kind);
    if (rc != SKV_OK)
        return fail(c, "expected iter_version SKV_OK at entry %zu, got %s", idx,
                    code_name_of(rc, gb, sizeof gb));
    const cJSON *tv = member(want, "ts");
    const char *kv = str_member(want, "kind");
    if (tv) {
        if (ts_value(c, tv, "ts", &wts)) return -1;
        if (ts != wts)
            return fail(c, "expected entry %zu ts %" PRIu64 ", got %" PRIu64, idx, wts, ts);
    }
    if (member(want, "kind") && (!kv || strcmp(kv, kind_name(kind)) != 0))
        return fail(c, "expected entry %zu kind %s, got %s", idx, kv ? kv : "(bad)",
                    kind_name(kind));
    return 0;
}

static int history_compare(ctx *c, const cJSON *s, skv_iter *it) {
    const cJSON *want = member(s, "entries"), *x;
    if (!cJSON_IsArray(want)) return fail(c, "bad case: missing 'entries'");
    size_t idx = 0, wn = (size_t)cJSON_GetArraySize(want);
    char a[160], b[160], gb[32];
    int rc = skv_iter_first(it);
    cJSON_ArrayForEach(x, want) {
        bytes wk, wv;
        if (!cJSON_IsObject(x) || req_bytes(c, x, "key", &wk) || opt_bytes(c, x, "value", &wv))
            return fail(c, "bad case: entry %zu needs an object with 'key'", idx);
        if (rc != SKV_OK)
            return fail(c, "expected %zu entries, got %zu (then %s)", wn, idx,
                        code_name_of(rc, gb, sizeof gb));
        const void *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        if (skv_iter_key(it, &k, &kl) || skv_iter_value(it, &v, &vl))
            return fail(c, "expected entry %zu readable, got an error", idx);
        if (!bytes_eq(&wk, k, kl))
            return fail(c, "expected entry %zu key %s, got %s", idx, show(wk.p, wk.n, a, sizeof a),
                        show(k, kl, b, sizeof b));
        if (wv.present && !bytes_eq(&wv, v, vl))
            return fail(c, "expected entry %zu value %s, got %s", idx,
                        show(wv.p, wv.n, a, sizeof a), show(v, vl, b, sizeof b));
        if (check_version(c, x, it, idx)) return -1;
        step_free_all(c);
        idx++;
        rc = skv_iter_next(it);
    }
    if (rc == SKV_OK) {
        const void *k = NULL;
        size_t kl = 0;
        skv_iter_key(it, &k, &kl);
        return fail(c, "expected %zu entries, got more (next key %s)", wn,
                    show(k, kl, b, sizeof b));
    }
    if (rc != SKV_NOTFOUND)
        return fail(c, "expected the end after %zu entries, got %s", wn,
                    code_name_of(rc, gb, sizeof gb));
    return 0;
}

/* history: opens a history iterator, reads every version with key, value, ts and kind,
 * compares them with "entries" and frees it. */
static int op_history(ctx *c, const cJSON *s) {
    skv_iter *it = NULL;
    int rc;
    if (history_open(c, s, &it, &rc)) {
        skv_iter_free(it);
        return -1;
    }
    int r = rc == SKV_OK ? history_compare(c, s, it) : 0;
    skv_iter_free(it);
    return r;
}

/* history_open: binds a history iterator for the iter_* steps. */
static int op_history_open(ctx *c, const cJSON *s) {
    const char *name = str_member(s, "iter");
    if (!name) return fail(c, "bad case: missing 'iter'");
    iter_slot *slot = new_iter_slot(c, name);
    skv_iter *it = NULL;
    int rc;
    if (!slot || history_open(c, s, &it, &rc)) {
        skv_iter_free(it);
        return -1;
    }
    if (rc == SKV_OK) {
        slot->name = name;
        slot->it = it;
    }
    return 0;
}

/* iter_version: skv_iter_version, then ts / kind as in history entries. */
static int op_iter_version(ctx *c, const cJSON *s) {
    iter_slot *i = find_iter(c, s);
    if (!i) return -1;
    uint64_t ts = 0;
    int kind = 0;
    int rc = skv_iter_version(i->it, &ts, &kind);
    if (check_rc(c, s, rc)) return -1;
    return rc == SKV_OK ? check_version(c, s, i->it, 0) : 0;
}

/* ---- dispatch --------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int (*fn)(ctx *, const cJSON *);
} op_entry;

static const op_entry OPS[] = {
    {"version", op_version},
    {"errname", op_errname},
    {"options", op_options},
    {"open", op_open},
    {"close", op_close},
    {"reopen", op_reopen},
    {"property", op_property},
    {"sync", op_sync},
    {"flush", op_flush},
    {"compact", op_compact},
    {"begin", op_begin},
    {"set_durability", op_set_durability},
    {"set", op_set},
    {"set_at", op_set_at},
    {"delete", op_delete},
    {"soft_delete", op_soft_delete},
    {"replace", op_replace},
    {"get", op_get},
    {"savepoint", op_savepoint},
    {"rollback_to_savepoint", op_rollback_to_savepoint},
    {"commit", op_commit},
    {"commit_async", op_commit_async},
    {"await_commit", op_await_commit},
    {"rollback", op_rollback},
    {"txn_free", op_txn_free},
    {"iter_open", op_iter_open},
    {"iter_first", op_iter_first},
    {"iter_last", op_iter_last},
    {"iter_next", op_iter_next},
    {"iter_prev", op_iter_prev},
    {"iter_seek", op_iter_seek},
    {"iter_key", op_iter_key},
    {"iter_value", op_iter_value},
    {"iter_free", op_iter_free},
    {"collect", op_collect},
    {"scan", op_scan},
    /* checkpoints, restore and the integrity check */
    {"checkpoint", op_checkpoint},
    {"restore", op_restore},
    {"check", op_check},
    /* time travel */
    {"get_at", op_get_at},
    {"history", op_history},
    {"history_open", op_history_open},
    {"iter_version", op_iter_version},
};

/* ---- case directory --------------------------------------------------------------------- */

static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
                char sub[PATH_SIZE];
                int n = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                if (n > 0 && (size_t)n < sizeof sub) remove_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Frees every handle the case left and checks the async-commit rules. 0 when clean. */
static int cleanup_case(ctx *c) {
    int r = 0;
    for (int i = 0; i < MAX_ITERS; i++)
        if (c->iters[i].name) {
            skv_iter_free(c->iters[i].it);
            c->iters[i].name = NULL;
        }
    for (int i = 0; i < MAX_TXNS; i++)
        if (c->txns[i].name) {
            skv_txn_free(c->txns[i].txn);
            c->txns[i].name = NULL;
        }
    for (int i = 0; i < MAX_DBS; i++)
        if (c->dbs[i].name) {
            if (c->dbs[i].open) skv_close(c->dbs[i].db);
            c->dbs[i].name = NULL;
        }
    for (async_state *a = c->async_list; a; a = a->next) {
        pthread_mutex_lock(&a->mu);
        int calls = a->calls, inside = a->inside_call, ok = a->returned_ok;
        pthread_mutex_unlock(&a->mu);
        if (r) continue;
        if (ok && calls != 1)
            r = fail(c, "expected the callback of txn '%s' to run exactly once, got %d",
                     a->txn_name, calls);
        else if (!ok && calls != 0)
            r = fail(c, "expected no callback for txn '%s' (commit_async failed), got %d",
                     a->txn_name, calls);
        else if (inside)
            r = fail(c, "expected the callback of txn '%s' after the call, got one inside it",
                     a->txn_name);
    }
    while (c->async_list) {
        async_state *a = c->async_list;
        c->async_list = a->next;
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a);
    }
    step_free_all(c);
    return r;
}

/* ---- running ---------------------------------------------------------------------------- */

typedef struct {
    char **ids;
    char **reasons;
    size_t n;
} skip_list;

static const char *skip_reason(const skip_list *sl, const char *id) {
    for (size_t i = 0; i < sl->n; i++)
        if (strcmp(sl->ids[i], id) == 0) return sl->reasons[i];
    return NULL;
}

/* Runs one case; returns 1 passed, 0 failed. */
static int run_case(const cJSON *cs, const char *id) {
    static ctx c; /* large; one at a time */
    memset(&c, 0, sizeof c);
    c.id = id;
    snprintf(c.dir, sizeof c.dir, "/tmp/skv-conformance-XXXXXX");
    if (!mkdtemp(c.dir)) {
        printf("FAIL %s: cannot create a temporary directory: %s\n", id, strerror(errno));
        return 0;
    }
    const cJSON *steps = member(cs, "steps");
    int ok = 1;
    char where[64] = "";
    if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) == 0) {
        ok = 0;
        snprintf(c.msg, sizeof c.msg, "bad case: missing 'steps'");
        snprintf(where, sizeof where, "step 0 (none)");
    } else {
        int n = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, steps) {
            n++;
            const char *op = str_member(s, "op");
            const op_entry *entry = NULL;
            for (size_t i = 0; op && i < sizeof OPS / sizeof OPS[0]; i++)
                if (strcmp(OPS[i].name, op) == 0) entry = &OPS[i];
            int r;
            if (!entry)
                r = fail(&c, "bad case: unknown op '%s'", op ? op : "(missing)");
            else
                r = entry->fn(&c, s);
            step_free_all(&c);
            if (r) {
                ok = 0;
                snprintf(where, sizeof where, "step %d (%.40s)", n, op ? op : "?");
                break;
            }
        }
    }
    char first_msg[MSG_SIZE];
    memcpy(first_msg, c.msg, sizeof first_msg);
    if (cleanup_case(&c) && ok) {
        ok = 0;
        snprintf(where, sizeof where, "step cleanup");
        memcpy(first_msg, c.msg, sizeof first_msg);
    }
    remove_tree(c.dir);
    if (ok)
        printf("ok %s\n", id);
    else
        printf("FAIL %s: %s: %s\n", id, where, first_msg);
    fflush(stdout);
    return ok;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    char **v;
    size_t n, cap;
} str_vec;

static int vec_push(str_vec *v, char *s) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        char **x = realloc(v->v, cap * sizeof *x);
        if (!x) return -1;
        v->v = x;
        v->cap = cap;
    }
    v->v[v->n++] = s;
    return 0;
}

/* Collects the relative paths of every *.json file under root/rel. */
static void list_json(const char *root, const char *rel, str_vec *out) {
    char dir[PATH_SIZE];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char sub[PATH_SIZE], full[PATH_SIZE];
        int n1 = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        int n2 = snprintf(full, sizeof full, "%s/%s", root, sub);
        if (n1 < 0 || (size_t)n1 >= sizeof sub || n2 < 0 || (size_t)n2 >= sizeof full) continue;
        struct stat st;
        if (stat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            list_json(root, sub, out);
        } else {
            size_t n = strlen(e->d_name);
            if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
                char *copy = strdup(sub);
                if (copy && vec_push(out, copy)) free(copy);
            }
        }
    }
    closedir(d);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *x = realloc(buf, cap * 2);
            if (!x) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = x;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    if (buf) buf[n] = 0;
    return buf;
}

static void load_skip_list(const char *path, skip_list *sl, int required) {
    FILE *f = fopen(path, "r");
    if (!f) {
        if (required) fprintf(stderr, "cannot read skip list %s: %s\n", path, strerror(errno));
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strlen(p);
        while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ')) p[--n] = 0;
        if (!*p || *p == '#') continue;
        char *sp = p;
        while (*sp && *sp != ' ' && *sp != '\t') sp++;
        char *reason = sp;
        if (*sp) {
            *sp = 0;
            reason = sp + 1;
            while (*reason == ' ' || *reason == '\t') reason++;
        }
        char **ids = realloc(sl->ids, (sl->n + 1) * sizeof *ids);
        if (ids) sl->ids = ids;
        char **rs = realloc(sl->reasons, (sl->n + 1) * sizeof *rs);
        if (rs) sl->reasons = rs;
        if (!ids || !rs) break;
        sl->ids[sl->n] = strdup(p);
        sl->reasons[sl->n] = strdup(*reason ? reason : "(no reason given)");
        sl->n++;
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s <cases-dir> [<skip-file>]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *root = argv[1];
    skip_list sl = {0};
    if (argc == 3) {
        load_skip_list(argv[2], &sl, 1);
    } else {
        char skip_path[PATH_SIZE];
        snprintf(skip_path, sizeof skip_path, "%s/../skip/c.txt", root);
        load_skip_list(skip_path, &sl, 0);
    }
    str_vec files = {0}, seen = {0};
    list_json(root, "", &files);
    if (files.n) qsort(files.v, files.n, sizeof *files.v, cmp_str);
    size_t passed = 0, failed = 0, skipped = 0, total = 0;
    for (size_t fi = 0; fi < files.n; fi++) {
        char full[PATH_SIZE];
        snprintf(full, sizeof full, "%s/%s", root, files.v[fi]);
        char *text = read_file(full);
        cJSON *doc = text ? cJSON_Parse(text) : NULL;
        free(text);
        const char *schema = doc ? str_member(doc, "schema") : NULL;
        const cJSON *cases = doc ? member(doc, "cases") : NULL;
        if (!doc || !schema || strcmp(schema, SCHEMA) != 0 || !cJSON_IsArray(cases)) {
            printf("FAIL %s: %s\n", files.v[fi],
                   !doc ? "cannot read or parse the file"
                        : "not a case file (schema \"" SCHEMA "\" with a 'cases' array)");
            failed++;
            cJSON_Delete(doc);
            continue;
        }
        const cJSON *cs;
        cJSON_ArrayForEach(cs, cases) {
            const char *id = str_member(cs, "id");
            const cJSON *tags = member(cs, "tags");
            total++;
            if (!id || !*id) {
                printf("FAIL %s: case %zu has no id\n", files.v[fi], total);
                failed++;
                continue;
            }
            int dup = 0;
            for (size_t i = 0; i < seen.n; i++)
                if (strcmp(seen.v[i], id) == 0) dup = 1;
            if (dup) {
                printf("FAIL %s: duplicate case id\n", id);
                failed++;
                continue;
            }
            char *copy = strdup(id);
            if (copy && vec_push(&seen, copy)) free(copy);
            if (!cJSON_IsArray(tags) || cJSON_GetArraySize(tags) == 0) {
                printf("FAIL %s: step 0 (none): bad case: missing 'tags'\n", id);
                failed++;
                continue;
            }
            const char *reason = skip_reason(&sl, id);
            if (reason) {
                printf("skip %s: %s\n", id, reason);
                skipped++;
                continue;
            }
            if (run_case(cs, id))
                passed++;
            else
                failed++;
        }
        cJSON_Delete(doc);
    }
    printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    int bad = failed > 0 || total == 0 || passed + sl.n < total;
    for (size_t i = 0; i < files.n; i++) free(files.v[i]);
    free(files.v);
    for (size_t i = 0; i < seen.n; i++) free(seen.v[i]);
    free(seen.v);
    for (size_t i = 0; i < sl.n; i++) {
        free(sl.ids[i]);
        free(sl.reasons[i]);
    }
    free(sl.ids);
    free(sl.reasons);
    return bad ? 1 : 0;
}
