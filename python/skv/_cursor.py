"""_cursor.py — skv.Cursor (an explicit iterator: first/last/seek/next/prev, key, value,
version, batched reads) and the generators behind Txn.range() and Txn.history(), which read
many entries per call into the engine.

A cursor shares its transaction's lock: the engine lets one thread at a time use a
transaction and its iterators. A cursor dropped without close() is freed when collected; if
its transaction is busy on another thread at that moment, the handle is left to the
transaction, which frees it on its next iterator open or at close.
"""
from __future__ import annotations

import struct
from typing import Iterator, NamedTuple, Optional, Tuple

from . import _abi
from ._ffi import ffi, lib
from ._status import closed, fail

_NOTFOUND = _abi.SKV_NOTFOUND
_KINDS = {v: n[len("SKV_KIND_") :].lower() for n, v in vars(_abi).items() if n.startswith("SKV_KIND_")}
_HEAD = struct.Struct("<II")
_buffer = ffi.buffer
_unpack = ffi.unpack
_string = ffi.string
_Struct = struct.Struct
_FORMAT_ROOM = lib.SKVPY_FORMAT_ROOM
_read_batch = lib.skvpy_read_batch
_read_versions = lib.skvpy_read_versions

FIRST_BATCH = 64  # entries of the first read of a range; later reads grow to MAX_BATCH
MAX_BATCH = 1024
MAX_BATCH_BYTES = 1 << 20  # a read stops once it holds this many bytes
MAX_FORMAT_BATCH = 1 << 16  # larger read_batch() requests are split without a struct format
HISTORY_BUFFER = 64 << 10  # bytes of versions one history read copies at first (grows)


class Scratch:
    """Out-parameters and buffers reused by the calls on one transaction and its iterators,
    which hold the transaction's lock while they use them."""

    __slots__ = ("p", "n", "count", "get_out", "get_view", "fmt", "fmt_cap", "fmt_struct")

    def __init__(self):
        self.p = ffi.new("const char **")
        self.n = ffi.new("size_t *")
        self.count = ffi.new("size_t *")
        self.get_out = ffi.new("skvpy_get_out *")  # where get() finds the value
        self.get_view = ffi.buffer(self.get_out.data)
        self.fmt = None  # char[]: the struct format of a batch of up to fmt_cap entries
        self.fmt_cap = 0
        self.fmt_struct = None  # struct.Struct of the format fmt holds

    def format_room(self, entries: int):
        if entries > self.fmt_cap:
            self.fmt = ffi.new("char[]", _FORMAT_ROOM * entries + 1)
            self.fmt_cap = entries
            self.fmt_struct = None
        return self.fmt


class HistoryEntry(NamedTuple):
    """One version of a key: its value, its timestamp (ns since the Unix epoch; 0 for a
    write of the transaction itself without one) and its kind (``"set"``, ``"replace"`` or,
    with ``tombstones``, ``"soft_delete"``)."""

    key: bytes
    value: bytes
    timestamp: int
    kind: str


def kind_name(kind: int) -> str:
    return _KINDS.get(kind, str(kind))


def parse_batch(data: bytes, count: int, keys_only: bool) -> list:
    """Splits one skv_iter_read_batch buffer ([klen u32][vlen u32][key][value] per entry)."""
    out = []
    append = out.append
    head = _HEAD.unpack_from
    off = 0
    if keys_only:
        for _ in range(count):
            kl, vl = head(data, off)
            off += 8
            append(data[off : off + kl])
            off += kl + vl
    else:
        for _ in range(count):
            kl, vl = head(data, off)
            off += 8
            k_end = off + kl
            v_end = k_end + vl
            append((data[off:k_end], data[k_end:v_end]))
            off = v_end
    return out


class Cursor:
    """An iterator handle over a range (``Txn.cursor()``) or over versions
    (``Txn.history_cursor()``). It starts unpositioned. Positioning calls return True when
    the cursor stands on an entry and False at the end; key(), value() and version() read
    the current entry (None when unpositioned). Iterating it yields the remaining entries.
    Use it as a context manager or call close()."""

    __slots__ = ("_h", "_txn", "_lock", "_history", "__weakref__")

    def __init__(self, txn, handle, history: bool):
        self._h = handle
        self._txn = txn
        self._lock = txn._lock
        self._history = history

    @property
    def transaction(self):
        return self._txn

    def _handle(self):
        """The handle, for a call into the engine made with the lock held."""
        h = self._h
        if h is None:
            raise closed("iterator")
        self._txn._guard()
        return h

    # ---- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        """Releases the iterator. Closing twice is a no-op."""
        with self._lock:
            h, self._h = self._h, None
            if h is not None:
                self._txn._guard()
                lib.skv_iter_free(h)

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    _iter_free = lib.skv_iter_free  # on the class: still there late at interpreter exit

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is None:
            return
        self._h = None
        lock = self._lock
        if lock.acquire(False):
            try:
                self._txn._guard()
                self._iter_free(h)
            finally:
                lock.release()
        else:  # the transaction is in use on another thread: it frees the handle later
            self._txn._orphans.append(h)

    # ---- positioning ------------------------------------------------------------------

    def _move(self, fn, *args) -> bool:
        with self._lock:
            rc = fn(self._handle(), *args)
            if rc == 0:
                return True
            if rc == _NOTFOUND:
                return False
            raise fail(rc)

    def first(self) -> bool:
        """Moves to the first entry in iteration order."""
        return self._move(lib.skv_iter_first)

    def last(self) -> bool:
        """Moves to the last entry in iteration order."""
        return self._move(lib.skv_iter_last)

    def next(self) -> bool:
        """Moves one entry on in iteration order (from unpositioned: to the first)."""
        return self._move(lib.skv_iter_next)

    def prev(self) -> bool:
        """Moves one entry back in iteration order (from unpositioned: to the last)."""
        return self._move(lib.skv_iter_prev)

    def seek(self, key) -> bool:
        """Moves to the first entry at or after key in iteration order (reverse: the largest
        key <= key)."""
        from ._txn import as_bytes

        k = as_bytes(key)
        return self._move(lib.skv_iter_seek, k, len(k))

    # ---- the current entry ------------------------------------------------------------

    def _view(self, fn) -> Optional[bytes]:
        with self._lock:
            p = self._txn._scratch().p
            n = fn(self._handle(), p)
            if n >= 0:
                return _unpack(p[0], n)
            if n == _NOTFOUND:
                return None
            raise fail(n)

    def key(self) -> Optional[bytes]:
        """The current key, None when unpositioned."""
        return self._view(lib.skvpy_iter_key)

    def value(self) -> Optional[bytes]:
        """The current value (empty with keys_only), None when unpositioned."""
        return self._view(lib.skvpy_iter_value)

    def item(self) -> Optional[Tuple[bytes, bytes]]:
        """(key, value) of the current entry, None when unpositioned."""
        with self._lock:
            k = self.key()
            return None if k is None else (k, self.value())

    def version(self) -> Optional[Tuple[int, str]]:
        """(timestamp, kind) of the version a history cursor stands on, None when
        unpositioned (``skv.InvalidArgumentError`` on a plain cursor)."""
        ts = ffi.new("uint64_t *")
        kind = ffi.new("int *")
        with self._lock:
            rc = lib.skv_iter_version(self._handle(), ts, kind)
            if rc == 0:
                return ts[0], kind_name(kind[0])
            if rc == _NOTFOUND:
                return None
            raise fail(rc)

    # ---- batches ----------------------------------------------------------------------

    def read_batch(self, max_entries: int = MAX_BATCH, max_bytes: int = MAX_BATCH_BYTES, keys_only: bool = False) -> list:
        """Reads entries from the current one on (from unpositioned: the first) in one call:
        until ``max_entries`` are taken or ``max_bytes`` are held (at least one; 0 = no
        limit). Returns a list of (key, value) (keys with ``keys_only``), empty at the end;
        the cursor then stands on the entry after the last one returned."""
        if max_entries <= 0 or max_entries > MAX_FORMAT_BATCH:
            return self._read_any(max_entries, max_bytes, keys_only)
        flat = self._read_flat(max_entries, max_bytes, keys_only)
        if keys_only:
            return list(flat)
        it = iter(flat)
        return list(zip(it, it))

    def _read_flat(self, max_entries: int, max_bytes: int, keys_only: bool) -> tuple:
        """read_batch for 0 < max_entries <= MAX_FORMAT_BATCH: the keys and values of the
        batch in one tuple (key, value, key, value...; just the keys with keys_only)."""
        lock = self._lock
        lock.acquire()
        try:
            h = self._h
            if h is None:
                raise closed("iterator")
            txn = self._txn
            txn._guard()
            sc = txn._s
            if sc is None:
                sc = txn._scratch()
            fmt = sc.format_room(max_entries)
            rc = _read_batch(h, max_entries, max_bytes, keys_only, sc.p, sc.n, sc.count, fmt)
            if rc >= 0:
                st = sc.fmt_struct
                if rc == 0 or st is None:  # a new format (1: the one fmt held already)
                    st = sc.fmt_struct = _Struct(_string(fmt))
                # one call makes every key and value (the format skips the length headers)
                return st.unpack_from(_buffer(sc.p[0], sc.n[0]))
            if rc == _NOTFOUND:
                return ()
            raise fail(rc)
        finally:
            lock.release()

    def _read_any(self, max_entries: int, max_bytes: int, keys_only: bool) -> list:
        """read_batch without an entry limit, or with one too large for a struct format:
        the buffer is split here, entry by entry."""
        p = ffi.new("const void **")
        n = ffi.new("size_t *")
        count = ffi.new("size_t *")
        with self._lock:
            rc = lib.skv_iter_read_batch(self._handle(), max(max_entries, 0), max_bytes, p, n, count)
            if rc == 0:
                return parse_batch(_buffer(p[0], n[0])[:], count[0], keys_only)
            if rc == _NOTFOUND:
                return []
            raise fail(rc)

    def __iter__(self):
        return entries(self, None, False)


def entries(cur: Cursor, limit: Optional[int], keys_only: bool) -> Iterator:
    """The generator of Txn.range(): batches that grow from FIRST_BATCH to MAX_BATCH
    entries, the iterator freed when it ends, is closed or is collected."""
    try:
        batch = limit if limit is not None and 0 < limit <= MAX_BATCH else FIRST_BATCH
        left = limit
        read = cur._read_flat
        while left is None or left > 0:
            n = batch if left is None or left > batch else left
            flat = read(n, MAX_BATCH_BYTES, keys_only)
            if not flat:
                return
            if left is not None:
                left -= len(flat) if keys_only else len(flat) >> 1
            if keys_only:
                yield from flat
            else:
                it = iter(flat)
                yield from zip(it, it)
            if batch < MAX_BATCH:
                batch *= 4
    finally:
        cur.close()


def history_entries(cur: Cursor) -> Iterator[HistoryEntry]:
    """The generator of Txn.history(): every version from the first on, read in batches that
    grow like those of entries() (key, value, timestamp and kind of each version copied by
    one call), the iterator freed when it ends, is closed or is collected."""
    try:
        state = ffi.new("int *")
        count = ffi.new("size_t *")
        need = ffi.new("size_t *")
        cap = HISTORY_BUFFER
        buf = ffi.new("char[]", cap)
        batch = 0
        while True:
            if batch < MAX_BATCH:
                batch = FIRST_BATCH if batch == 0 else min(batch * 4, MAX_BATCH)
                offs = ffi.new("size_t[]", 3 * batch)
                ts = ffi.new("uint64_t[]", batch)
                kinds = ffi.new("int[]", batch)
            with cur._lock:
                rc = _read_versions(cur._handle(), state, batch, buf, cap, count, offs, ts, kinds, need)
                while rc == 1:  # one version larger than the buffer
                    cap = max(need[0], cap * 4)
                    buf = ffi.new("char[]", cap)
                    rc = _read_versions(cur._handle(), state, batch, buf, cap, count, offs, ts, kinds, need)
                if rc == _NOTFOUND:
                    return
                if rc:
                    raise fail(rc)
                n = count[0]
                data = _unpack(buf, offs[3 * n - 1])
                o = iter(_unpack(offs, 3 * n))
                got = [
                    HistoryEntry(data[a:b], data[b:c], t, _KINDS.get(k) or str(k))
                    for (a, b, c), t, k in zip(zip(o, o, o), _unpack(ts, n), _unpack(kinds, n))
                ]
            yield from got
    finally:
        cur.close()


__all__ = ["Cursor", "HistoryEntry", "Scratch", "entries", "history_entries"]
