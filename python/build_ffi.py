"""build_ffi.py — the cffi build of the extension module skv._skv (out-of-line API mode).

setup.py names it in `cffi_modules`, so `pip install ./python` and the wheel build compile
the engine (one translation unit made of every engine and API-layer source) together with
the cffi glue into one extension module; nothing is loaded at run time but libzstd.

The C sources come from `csrc/` inside the package directory (an sdist carries them there,
see setup.py) or, in a checkout, from the repository root. The declarations come from
skv.cdef, which bindings/generate.py writes from skv.h; the build stops when the skv.h it
compiles against is not the one skv.cdef was generated from.
"""
import hashlib
import os
import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent


def c_root() -> Path:
    """The directory holding capi/ and engine/: csrc/ of an sdist, else the checkout."""
    for root in (HERE / "csrc", HERE.parent):
        if (root / "capi" / "include" / "skv.h").is_file() and (root / "engine").is_dir():
            return root
    raise RuntimeError(
        "skv: the C sources (capi/, engine/) were not found in "
        f"{HERE / 'csrc'} or {HERE.parent}; build from a checkout or from the sdist"
    )


def c_sources(root: Path):
    """Every C source of the library, in a stable order."""
    return sorted(root.glob("engine/**/*.c")) + sorted((root / "capi").glob("*.c"))


def check_header(root: Path) -> None:
    """Refuses to build when skv.h differs from the header skv.cdef was generated from."""
    abi = (HERE / "skv" / "_abi.py").read_text()
    want = re.search(r'^HEADER_SHA256 = "([0-9a-f]{64})"$', abi, re.M).group(1)
    header = root / "capi" / "include" / "skv.h"
    got = hashlib.sha256(header.read_bytes()).hexdigest()
    if got != want:
        raise RuntimeError(
            f"skv: {header} is not the header python/skv.cdef and skv/_abi.py were generated "
            "from; run `python3 bindings/generate.py` in the repository and rebuild"
        )


def unity_source(root: Path) -> str:
    """Writes the one translation unit that includes every engine source; returns its path
    relative to the build's working directory when it lies below it."""
    out_dir = HERE / "build" / "csrc"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "skv_engine.c"
    text = "/* skv_engine.c — written by python/build_ffi.py: every skv C source, one unit. */\n"
    text += "".join(f'#include "{p.as_posix()}"\n' for p in c_sources(root))
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    try:
        return os.path.relpath(out, os.getcwd())
    except ValueError:
        return str(out)


# The package's own C glue, built only on functions of skv.h: reads that return the length
# (or a negative error code) as the result and the bytes as char *, so that Python makes the
# bytes object in one step; the reader through which the thread that owns a transaction's
# gets reads without the package's lock; a batched read that also writes the struct-module
# format that splits its buffer into keys and values in one call; a batched read of history
# versions (key, value, timestamp and kind of many versions per call); and the callbacks the
# engine calls into Python.
GLUE_CDEF = """
typedef struct {
    const char *big;
    char data[1024];
} skvpy_get_out;
int64_t skvpy_get(skv_txn *txn, const char *key, size_t klen, skvpy_get_out *out);
typedef struct {
    char data[1024];
    ...;
} skvpy_reader;
#define SKVPY_BUSY ...
void skvpy_reader_init(skvpy_reader *r, skv_txn *txn);
int64_t skvpy_reader_get(skvpy_reader *r, const char *key, size_t klen);
void skvpy_reader_share(skvpy_reader *r);
int64_t skvpy_iter_key(skv_iter *it, const char **key);
int64_t skvpy_iter_value(skv_iter *it, const char **val);
#define SKVPY_FORMAT_ROOM ...
int skvpy_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes, int keys_only,
                     const char **buf, size_t *len, size_t *count, char *fmt);
int64_t skvpy_get_at(skv_txn *txn, const char *key, size_t klen, uint64_t ts, const char **val);
int skvpy_read_versions(skv_iter *it, int *state, size_t max_entries, char *buf, size_t cap,
                        size_t *count, size_t *offs, uint64_t *ts, int *kinds, size_t *need);
extern "Python" void _skvpy_commit_done(void *user_data, int status);
extern "Python" int _skvpy_scan_entry(void *user_data, const void *key, size_t klen,
                                      const void *val, size_t vlen);
"""

GLUE_SOURCE = r"""
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "skv.h"

static const char skvpy_empty[1] = "";

typedef struct {
    const char *big;  /* a value longer than data */
    char data[1024];  /* values up to this size are copied here */
} skvpy_get_out;

static int64_t skvpy_view(int rc, const char **p, size_t n) {
    if (rc) return rc;
    if (!*p || !n) *p = skvpy_empty;
    return (int64_t)n;
}

/* skv_txn_get: the value's length (>= 0), copied into out->data when it fits (Python slices
 * it from a buffer over that array), else left where out->big points; or an error code (< 0). */
static int64_t skvpy_get(skv_txn *txn, const char *key, size_t klen, skvpy_get_out *out) {
    const void *v = NULL;
    size_t n = 0;
    int rc = skv_txn_get(txn, key, klen, &v, &n);
    if (rc) return rc;
    if (n <= sizeof out->data) {
        if (n) memcpy(out->data, v, n);
    } else {
        out->big = v;
    }
    return (int64_t)n;
}

/* The state of Txn.get() without the package's lock, for the thread that owns it (the one
 * that made it, at the transaction's second get). That thread calls skvpy_reader_get with no
 * Python lock held, copying the value into the reader, which no other thread writes. Any other
 * thread calls skvpy_reader_share under the transaction's lock before its first call into the
 * engine on the transaction: from then on the owner's reads answer SKVPY_BUSY (it takes the
 * lock like everyone else), and share returns once the owner has left a read it was in.
 * inflight and shared are sequentially consistent, so of a read starting and a share starting
 * at the same time at least one sees the other. The memory is zeroed by its allocator. */
typedef struct {
    char data[1024]; /* the value read last */
    skv_txn *txn;
    pthread_t owner;
    atomic_int inflight; /* the owner is inside skvpy_reader_get */
    atomic_int shared;   /* another thread uses the transaction: the owner takes the lock */
} skvpy_reader;

#define SKVPY_BUSY (-65536) /* not an skv error code */

static void skvpy_reader_init(skvpy_reader *r, skv_txn *txn) {
    r->txn = txn;
    r->owner = pthread_self();
    atomic_init(&r->inflight, 0);
    atomic_init(&r->shared, 0);
}

/* skvpy_get for the owner of r, for values that fit in r->data; SKVPY_BUSY on any other
 * thread, once r is shared, and for a longer value (the engine's copy of it is valid only
 * until the next call on the transaction, which another thread may make once this returns:
 * the caller reads it again under the lock). */
static int64_t skvpy_reader_get(skvpy_reader *r, const char *key, size_t klen) {
    if (!pthread_equal(r->owner, pthread_self())) return SKVPY_BUSY;
    atomic_store(&r->inflight, 1);
    if (atomic_load(&r->shared)) {
        atomic_store(&r->inflight, 0);
        return SKVPY_BUSY;
    }
    const void *v = NULL;
    size_t n = 0;
    int rc = skv_txn_get(r->txn, key, klen, &v, &n);
    if (!rc) {
        if (n > sizeof r->data)
            rc = SKVPY_BUSY;
        else if (n)
            memcpy(r->data, v, n);
    }
    atomic_store(&r->inflight, 0);
    return rc ? rc : (int64_t)n;
}

static void skvpy_reader_share(skvpy_reader *r) {
    atomic_store(&r->shared, 1);
    while (atomic_load(&r->inflight)) sched_yield();
}

/* skv_txn_get_at, returning like skvpy_get. */
static int64_t skvpy_get_at(skv_txn *txn, const char *key, size_t klen, uint64_t ts,
                            const char **val) {
    size_t n = 0;
    int rc = skv_txn_get_at(txn, key, klen, ts, (const void **)val, &n);
    return skvpy_view(rc, val, n);
}

static int64_t skvpy_iter_key(skv_iter *it, const char **key) {
    size_t n = 0;
    int rc = skv_iter_key(it, (const void **)key, &n);
    return skvpy_view(rc, key, n);
}

static int64_t skvpy_iter_value(skv_iter *it, const char **val) {
    size_t n = 0;
    int rc = skv_iter_value(it, (const void **)val, &n);
    return skvpy_view(rc, val, n);
}

static char *skvpy_decimal(char *out, size_t x) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    while (n) *out++ = tmp[--n];
    return out;
}

/* skv_iter_read_batch, then a struct-module format that splits the buffer into the batch's
 * keys and values in one call: "8x<klen>s<vlen>s" per entry ("8x<klen>s<vlen>x" with
 * keys_only), NUL-terminated in fmt, which holds SKVPY_FORMAT_ROOM bytes per entry and the
 * format of the previous batch read into it (or zeros). Returns 1 when the format is the one
 * fmt held already (the caller keeps the struct it compiled from it), 0 when it is new, or
 * the error of the read. max_entries must be > 0. */
#define SKVPY_FORMAT_ROOM 48
static int skvpy_read_batch(skv_iter *it, size_t max_entries, size_t max_bytes, int keys_only,
                            const char **buf, size_t *len, size_t *count, char *fmt) {
    int rc = skv_iter_read_batch(it, max_entries, max_bytes, (const void **)buf, len, count);
    if (rc) return rc;
    const unsigned char *p = (const unsigned char *)*buf;
    size_t off = 0, pk = 0, pv = 0, plen = 0;
    char piece[SKVPY_FORMAT_ROOM];
    int same = 1;
    char *f = fmt;
    for (size_t i = 0; i < *count && i < max_entries; i++) {
        size_t kl = (size_t)p[off] | (size_t)p[off + 1] << 8 | (size_t)p[off + 2] << 16 |
                    (size_t)p[off + 3] << 24;
        size_t vl = (size_t)p[off + 4] | (size_t)p[off + 5] << 8 | (size_t)p[off + 6] << 16 |
                    (size_t)p[off + 7] << 24;
        off += 8 + kl + vl;
        if (!plen || kl != pk || vl != pv) { /* runs of equal lengths reuse the piece */
            char *e = piece;
            *e++ = '8';
            *e++ = 'x';
            e = skvpy_decimal(e, kl);
            *e++ = 's';
            e = skvpy_decimal(e, vl);
            *e++ = keys_only ? 'x' : 's';
            plen = (size_t)(e - piece);
            pk = kl;
            pv = vl;
        }
        if (same && memcmp(f, piece, plen)) same = 0;
        memcpy(f, piece, plen);
        f += plen;
    }
    if (*f) same = 0;
    *f = 0;
    return same;
}

/* Copies up to max_entries versions of a history iterator into buf (cap bytes): version i has
 * its key in buf[offs[3i], offs[3i+1]), its value in buf[offs[3i+1], offs[3i+2]), timestamp
 * ts[i] and kind kinds[i]. *state is 0 before the first call (the iterator is then moved to
 * its first version), 1 while it stands on the next version to copy, 2 at the end. Returns
 * SKV_OK with *count > 0, SKV_NOTFOUND at the end, 1 when the next version alone does not fit
 * in cap bytes (*need is the room it takes; nothing moved), or the error of a failed call
 * (nothing is returned then). */
static int skvpy_read_versions(skv_iter *it, int *state, size_t max_entries, char *buf, size_t cap,
                               size_t *count, size_t *offs, uint64_t *ts, int *kinds,
                               size_t *need) {
    size_t n = 0, off = 0;
    int rc;
    *count = 0;
    if (*state == 2) return SKV_NOTFOUND;
    if (*state == 0) {
        rc = skv_iter_first(it);
        if (rc == SKV_NOTFOUND) *state = 2;
        if (rc) return rc;
        *state = 1;
    }
    while (n < max_entries) {
        const void *k, *v;
        size_t kl, vl;
        if ((rc = skv_iter_key(it, &k, &kl)) || (rc = skv_iter_value(it, &v, &vl)) ||
            (rc = skv_iter_version(it, &ts[n], &kinds[n])))
            return rc;
        if (kl + vl > cap - off) {
            if (n) break;
            *need = kl + vl;
            return 1;
        }
        offs[3 * n] = off;
        if (kl) memcpy(buf + off, k, kl);
        off += kl;
        offs[3 * n + 1] = off;
        if (vl) memcpy(buf + off, v, vl);
        off += vl;
        offs[3 * n + 2] = off;
        n++;
        rc = skv_iter_next(it);
        if (rc == SKV_NOTFOUND) {
            *state = 2;
            break;
        }
        if (rc) return rc;
    }
    *count = n;
    return SKV_OK;
}
"""

ROOT = c_root()
check_header(ROOT)

ffibuilder = FFI()
ffibuilder.cdef((HERE / "skv.cdef").read_text() + GLUE_CDEF)
ffibuilder.set_source(
    "skv._skv",
    GLUE_SOURCE,
    sources=[unity_source(ROOT)],
    include_dirs=[str(ROOT / "capi" / "include"), str(ROOT / "engine")],
    define_macros=[("SKV_STATIC", "1"), ("_POSIX_C_SOURCE", "200809L"), ("_DEFAULT_SOURCE", "1")],
    extra_compile_args=["-std=c11", "-fvisibility=hidden", "-pthread"],
    extra_link_args=["-pthread"],
    libraries=["zstd"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
