"""_txn.py — skv.Txn: reads, writes, savepoints, commit (blocking or asyncio), rollback,
ranges, cursors, callback scans and time travel on one transaction.

The engine lets one thread at a time use a transaction and its iterators; a re-entrant lock
per transaction serializes the calls of several Python threads on them (the GIL is released
inside every call, so the lock is what keeps them apart). Keys and values are bytes; str is
accepted and encoded as UTF-8.

get() of a transaction used by one thread skips the lock: from its second get() on, the
thread that makes it owns a reader (skvpy_reader in build_ffi.py) through which its gets go
straight into the engine, copying the value into the reader's buffer, which only that thread
uses. The first call another thread makes on the transaction or its iterators shares the
reader (_share, with the lock held, before that call enters the engine): it waits until the
owner has left a get it was in, and from then on every get takes the lock.
"""
from __future__ import annotations

import asyncio
import threading
from _thread import get_ident as _get_ident
from typing import Callable, Iterator, List, Optional, Union

from . import _abi
from ._async import submit_commit
from ._cursor import Cursor, HistoryEntry, Scratch, entries, history_entries
from ._ffi import ffi, lib
from ._status import closed, fail

Bytes = Union[bytes, bytearray, memoryview, str]

_NOTFOUND = _abi.SKV_NOTFOUND
# values up to this size are copied by get() into a buffer the transaction keeps
GET_BUFFER = dict(ffi.typeof("skvpy_get_out").fields)["data"].type.length
_MODES = {n[len("SKV_TXN_") :].lower(): v for n, v in vars(_abi).items() if n.startswith("SKV_TXN_")}
_DURABILITIES = {
    n[len("SKV_DURABILITY_") :].lower(): v for n, v in vars(_abi).items() if n.startswith("SKV_DURABILITY_")
}

_get = lib.skvpy_get
_reader_get = lib.skvpy_reader_get
_BUSY = lib.SKVPY_BUSY  # the reader cannot serve this get: take the lock
_txn_set = lib.skv_txn_set
# Txn._owner before a reader exists (thread idents are larger) and once it is gone for good
_NO_GET, _ONE_GET, _NO_READER = 0, 1, -1
_unpack = ffi.unpack


def mode_code(mode: str) -> int:
    try:
        return _MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, not {mode!r}") from None


def durability_code(durability: str) -> int:
    try:
        return _DURABILITIES[durability]
    except (KeyError, TypeError):
        raise ValueError(
            f"durability must be one of {', '.join(map(repr, _DURABILITIES))}, not {durability!r}"
        ) from None


def as_bytes(x: Bytes, what: str = "key") -> bytes:
    """bytes as they are, str as UTF-8, other buffers copied."""
    if type(x) is bytes:
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x)
    raise TypeError(f"{what} must be bytes or str, not {type(x).__name__}")


def _bound(x: Optional[Bytes], what: str) -> Optional[bytes]:
    return None if x is None else as_bytes(x, what)


class Txn:
    """A transaction. Begin with ``db.begin()`` or ``db.transaction()``.

    Reads see the snapshot taken at begin plus the transaction's own writes. It ends with
    ``commit()``, ``commit_async()`` or ``rollback()``; ``close()`` (or leaving a ``with``
    block) rolls back what was not committed and releases it. Calls on an ended or closed
    transaction raise ``skv.ClosedError``.
    """

    __slots__ = (
        "_h", "_db", "_lock", "_acquire", "_release", "_mode", "_ended", "_s", "_orphans",
        "_r", "_view", "_owner", "__weakref__",
    )

    def __init__(self, db, handle, mode: str):
        self._h = handle
        self._db = db
        self._mode = mode
        self._lock = threading.RLock()
        # the hot calls take the lock with these bound methods and try/finally, which costs
        # a third of a `with` block
        self._acquire = self._lock.acquire
        self._release = self._lock.release
        self._ended = False
        self._s = None  # Scratch, made at the first call that needs it
        self._orphans: List = []  # iterator handles whose owner was collected while locked
        self._r = None  # skvpy_reader of the thread that owns it, while it is not shared
        self._view = None  # a buffer over the reader's value
        self._owner = _NO_GET  # _NO_GET, _ONE_GET, the reader's thread, or _NO_READER

    # ---- lifecycle --------------------------------------------------------------------

    @property
    def db(self):
        """The database the transaction belongs to."""
        return self._db

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def ended(self) -> bool:
        """True once commit, commit_async, rollback or close was called."""
        return self._ended or self._h is None

    def _handle(self):
        """The handle, for a call into the engine made with the lock held."""
        h = self._h
        if h is None:
            raise closed("transaction")
        self._guard()
        return h

    def _guard(self, _ident=_get_ident) -> None:
        """Before a call into the engine made with the lock held: when a thread other than
        the reader's owner makes it, the reader is shared first. (No module globals: a
        cursor collected late at interpreter exit calls it.)"""
        if self._owner > 1 and self._owner != _ident():  # 1: _ONE_GET
            self._share()

    _reader_share = lib.skvpy_reader_share

    def _share(self) -> None:
        r, self._r = self._r, None
        self._owner = -1  # _NO_READER
        self._reader_share(r)  # returns once the owner is out of the engine

    def close(self) -> None:
        """Rolls back if still open and releases the transaction; its iterators raise
        ``skv.ClosedError`` afterwards. Closing twice is a no-op."""
        with self._lock:
            self._guard()
            h, self._h = self._h, None
            self._ended = True
            self._r = None
            self._owner = _NO_READER
            self._free_orphans()
            if h is not None:
                lib.skv_txn_free(h)

    def __enter__(self) -> "Txn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # kept on the class so that a transaction collected late at interpreter exit still
    # finds them
    _iter_free = lib.skv_iter_free
    _txn_free = lib.skv_txn_free

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is not None:
            self._h = None
            for it in self._orphans:
                self._iter_free(it)
            self._txn_free(h)

    def _scratch(self) -> Scratch:
        s = self._s
        if s is None:
            s = self._s = Scratch()
        return s

    def _free_orphans(self) -> None:
        while self._orphans:
            lib.skv_iter_free(self._orphans.pop())

    def __repr__(self) -> str:
        state = "closed" if self._h is None else "ended" if self._ended else "open"
        return f"<skv.Txn {self._mode} {state}>"

    # ---- reads and writes -------------------------------------------------------------

    def get(self, key: Bytes) -> Optional[bytes]:
        """The value of key as the transaction sees it, or None when absent."""
        if key.__class__ is not bytes:
            key = as_bytes(key)
        r = self._r
        if r is not None:  # without the lock, through the reader this thread may own
            n = _reader_get(r, key, len(key))
            if n >= 0:
                return self._view[:n]
            if n == _NOTFOUND:
                return None
            if n != _BUSY:
                raise fail(n)
        return self._get_locked(key)

    def _get_locked(self, key: bytes) -> Optional[bytes]:
        s = self._s
        if s is None:
            s = self._scratch()
        self._acquire()
        try:
            h = self._h
            if h is None:
                raise closed("transaction")
            owner = self._owner
            if owner > _ONE_GET:
                if owner != _get_ident():
                    self._share()
            elif owner == _ONE_GET:  # the second get: this thread takes a reader
                r = ffi.new("skvpy_reader *")
                lib.skvpy_reader_init(r, h)
                self._view = ffi.buffer(r.data)
                self._owner = _get_ident()
                self._r = r
            elif owner == _NO_GET:
                self._owner = _ONE_GET
            n = _get(h, key, len(key), s.get_out)
            if n >= 0:
                return s.get_view[:n] if n <= GET_BUFFER else _unpack(s.get_out.big, n)
            if n == _NOTFOUND:
                return None
            raise fail(n)
        finally:
            self._release()

    def set(self, key: Bytes, value: Bytes) -> None:
        """Writes key = value (visible to others after commit). Empty values are allowed."""
        if key.__class__ is not bytes:
            key = as_bytes(key)
        if value.__class__ is not bytes:
            value = as_bytes(value, "value")
        self._acquire()
        try:
            h = self._h
            if h is None:
                raise closed("transaction")
            if self._owner > _ONE_GET and self._owner != _get_ident():  # _guard(), inlined
                self._share()
            rc = _txn_set(h, key, len(key), value, len(value))
            if rc:
                raise fail(rc)
        finally:
            self._release()

    def _write(self, fn, *args) -> None:
        with self._lock:
            rc = fn(self._handle(), *args)
            if rc:
                raise fail(rc)

    def set_at(self, key: Bytes, value: Bytes, ts: int) -> None:
        """Writes key = value as a version with timestamp ``ts`` (ns since the Unix epoch;
        0 = the commit's)."""
        k, v = as_bytes(key), as_bytes(value, "value")
        self._write(lib.skv_txn_set_at, k, len(k), v, len(v), ts)

    def delete(self, key: Bytes) -> None:
        """Hard delete: the key disappears together with its history."""
        k = as_bytes(key)
        self._write(lib.skv_txn_delete, k, len(k))

    def soft_delete(self, key: Bytes) -> None:
        """Soft delete: a tombstone version; older versions stay in the history."""
        k = as_bytes(key)
        self._write(lib.skv_txn_soft_delete, k, len(k))

    def replace(self, key: Bytes, value: Bytes) -> None:
        """Writes a value that supersedes every older version of the key."""
        k, v = as_bytes(key), as_bytes(value, "value")
        self._write(lib.skv_txn_replace, k, len(k), v, len(v))

    def set_durability(self, durability: str) -> None:
        """``"eventual"`` (default) or ``"immediate"`` (fsync before commit returns)."""
        self._write(lib.skv_txn_set_durability, durability_code(durability))

    def savepoint(self) -> None:
        """Pushes a savepoint (they nest)."""
        self._write(lib.skv_txn_savepoint)

    def rollback_to_savepoint(self) -> None:
        """Drops every write since the most recent savepoint and pops it
        (``skv.NoSavepointError`` when there is none)."""
        self._write(lib.skv_txn_rollback_to_savepoint)

    # ---- ending -----------------------------------------------------------------------

    def commit(self) -> None:
        """Commits. The transaction has ended whatever happens; ``skv.ConflictError`` means
        another transaction committed one of the written keys first (retry), and nothing
        was written."""
        with self._lock:
            h = self._handle()
            self._ended = True
            rc = lib.skv_txn_commit(h)
            if rc:
                raise fail(rc)

    def commit_async(self) -> "asyncio.Future[None]":
        """Submits the commit and returns at once an asyncio future of the running loop:
        ``await txn.commit_async()``. The engine resolves it from its own thread through the
        loop's thread-safe call; it raises like commit(). Cancelling the future does not
        cancel the commit. The transaction has ended either way."""
        loop = asyncio.get_running_loop()
        with self._lock:
            h = self._handle()
            self._ended = True
            return submit_commit(loop, h)

    def rollback(self) -> None:
        """Discards the writes and ends the transaction (a no-op when already ended)."""
        with self._lock:
            h = self._handle()
            self._ended = True
            rc = lib.skv_txn_rollback(h)
            if rc:
                raise fail(rc)

    # ---- ranges -----------------------------------------------------------------------

    def cursor(
        self,
        lo: Optional[Bytes] = None,
        hi: Optional[Bytes] = None,
        *,
        reverse: bool = False,
        keys_only: bool = False,
    ) -> Cursor:
        """An explicit iterator over keys in [lo, hi) (None = unbounded), unpositioned:
        move it with first/last/seek/next/prev, read key()/value(), or read_batch()."""
        lo_b, hi_b = _bound(lo, "lo"), _bound(hi, "hi")
        flags = (_abi.SKV_ITER_REVERSE if reverse else 0) | (_abi.SKV_ITER_KEYS_ONLY if keys_only else 0)
        out = ffi.new("skv_iter **")
        with self._lock:
            h = self._handle()
            self._free_orphans()
            rc = lib.skv_iter_open(
                h,
                lo_b if lo_b is not None else ffi.NULL,
                len(lo_b) if lo_b is not None else 0,
                hi_b if hi_b is not None else ffi.NULL,
                len(hi_b) if hi_b is not None else 0,
                flags,
                out,
            )
            if rc:
                raise fail(rc)
            return Cursor(self, out[0], history=False)

    def range(
        self,
        lo: Optional[Bytes] = None,
        hi: Optional[Bytes] = None,
        reverse: bool = False,
        limit: Optional[int] = None,
        keys_only: bool = False,
    ) -> Iterator:
        """The entries of [lo, hi) (None = unbounded) as ``(key, value)`` tuples, in key
        order (descending with ``reverse``), at most ``limit`` of them; with ``keys_only``
        just the keys. A generator reading many entries per call into the engine; what it
        sees is fixed when range() is called. Closing it early releases the iterator."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        cur = self.cursor(lo, hi, reverse=reverse, keys_only=keys_only)
        return entries(cur, limit, keys_only)

    def scan(
        self,
        callback: Callable[[bytes, bytes], object],
        lo: Optional[Bytes] = None,
        hi: Optional[Bytes] = None,
        *,
        reverse: bool = False,
        keys_only: bool = False,
        limit: Optional[int] = None,
    ) -> None:
        """Calls ``callback(key, value)`` for each entry of [lo, hi) in order, inside one
        engine call, at most ``limit`` times; a true result stops the scan. An exception
        raised by the callback stops the scan and propagates. The callback must not end the
        transaction."""
        from ._scan import run_scan

        flags = (_abi.SKV_ITER_REVERSE if reverse else 0) | (_abi.SKV_ITER_KEYS_ONLY if keys_only else 0)
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        with self._lock:
            run_scan(self._handle(), _bound(lo, "lo"), _bound(hi, "hi"), flags, limit or 0, callback)

    # ---- time travel ------------------------------------------------------------------

    def get_at(self, key: Bytes, ts: int) -> Optional[bytes]:
        """The value key had at timestamp ``ts`` (ns since the Unix epoch), or None when it
        had none or was deleted then. Needs ``enable_versioning``
        (``skv.NotSupportedError`` otherwise)."""
        k = as_bytes(key)
        with self._lock:
            p = self._scratch().p
            n = lib.skvpy_get_at(self._handle(), k, len(k), ts, p)
            if n >= 0:
                return _unpack(p[0], n)
            if n == _NOTFOUND:
                return None
            raise fail(n)

    def history_cursor(
        self,
        lo: Optional[Bytes] = None,
        hi: Optional[Bytes] = None,
        *,
        ts_from: int = 0,
        ts_to: int = 2**64 - 1,
        tombstones: bool = False,
        reverse: bool = False,
        keys_only: bool = False,
        limit: Optional[int] = None,
    ) -> Cursor:
        """An explicit iterator over the versions of the keys in [lo, hi) whose timestamp
        lies in [ts_from, ts_to]; ``Cursor.version()`` gives each one's timestamp and kind."""
        lo_b, hi_b = _bound(lo, "lo"), _bound(hi, "hi")
        flags = (
            (_abi.SKV_ITER_REVERSE if reverse else 0)
            | (_abi.SKV_ITER_KEYS_ONLY if keys_only else 0)
            | (_abi.SKV_HISTORY_TOMBSTONES if tombstones else 0)
        )
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        out = ffi.new("skv_iter **")
        with self._lock:
            h = self._handle()
            self._free_orphans()
            rc = lib.skv_txn_history(
                h,
                lo_b if lo_b is not None else ffi.NULL,
                len(lo_b) if lo_b is not None else 0,
                hi_b if hi_b is not None else ffi.NULL,
                len(hi_b) if hi_b is not None else 0,
                ts_from,
                ts_to,
                flags,
                limit or 0,
                out,
            )
            if rc:
                raise fail(rc)
            return Cursor(self, out[0], history=True)

    def history(
        self,
        lo: Optional[Bytes] = None,
        hi: Optional[Bytes] = None,
        *,
        ts_from: int = 0,
        ts_to: int = 2**64 - 1,
        tombstones: bool = False,
        reverse: bool = False,
        keys_only: bool = False,
        limit: Optional[int] = None,
    ) -> Iterator[HistoryEntry]:
        """The versions of the keys in [lo, hi) with timestamps in [ts_from, ts_to], as
        ``HistoryEntry(key, value, timestamp, kind)``: keys ascending, each key's versions
        newest first (all reversed with ``reverse``); soft deletes only with
        ``tombstones`` (kind ``"soft_delete"``); at most ``limit`` versions. A generator
        reading many versions per call into the engine. Needs ``enable_versioning``."""
        cur = self.history_cursor(
            lo, hi, ts_from=ts_from, ts_to=ts_to, tombstones=tombstones, reverse=reverse,
            keys_only=keys_only, limit=limit,
        )
        return history_entries(cur)


__all__ = ["Txn", "as_bytes", "mode_code", "durability_code", "Bytes"]
