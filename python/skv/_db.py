"""_db.py — skv.DB and skv.open: the database handle, its lifecycle (close, garbage
collection, interpreter exit) and the database-wide calls (flush, compact, sync, property,
checkpoint, restore, check).

An skv_db may be used from many threads at once, but skv_close must not run while another
thread is inside a call on the handle: every database-wide call passes a gate that close()
shuts and waits on. Transactions keep the engine's database alive by themselves (skv.h:
"memory is released when the last child is freed"), so their calls do not pass the gate.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import threading
import warnings
import weakref
from typing import Iterator, Union

from . import _abi
from ._ffi import ffi, lib
from ._options import OptionValue, Options
from ._status import closed, fail
from ._txn import Txn, durability_code, mode_code

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

_open_dbs: "weakref.WeakSet[DB]" = weakref.WeakSet()


def _path(path: PathLike) -> bytes:
    return os.fsencode(path)


def _take_text(out) -> str:
    """The text the engine allocated in *out (freed here with skv_free)."""
    p = out[0]
    if p == ffi.NULL:
        return ""
    try:
        return ffi.string(p).decode("utf-8", "replace")
    finally:
        lib.skv_free(p)


class DB:
    """An open skv database. Create with ``skv.open(path, **options)``.

    Safe to share between threads. Use it as a context manager, or call ``close()``; a
    database still open at garbage collection or at interpreter exit is closed then (with a
    ``ResourceWarning`` at garbage collection, like a file).
    """

    __slots__ = ("_h", "_path", "_mu", "_idle", "_active", "__weakref__")

    def __init__(self, path: PathLike, **options: OptionValue):
        self._h = None
        self._path = os.fspath(path)
        self._mu = threading.Lock()
        self._idle = threading.Condition(self._mu)
        self._active = 0
        opts = Options(**options) if options else None
        out = ffi.new("skv_db **")
        rc = lib.skv_open(_path(path), opts._h if opts is not None else ffi.NULL, out)
        if rc:
            raise fail(rc)
        self._h = out[0]
        _open_dbs.add(self)

    # ---- lifecycle --------------------------------------------------------------------

    @property
    def path(self) -> Union[str, bytes]:
        """The directory the database was opened from."""
        return self._path

    @property
    def closed(self) -> bool:
        """True once close() has been called."""
        return self._h is None

    def close(self) -> None:
        """Closes the database: waits for calls running on other threads and for pending
        async commits (their futures resolve first), makes every commit durable when
        ``flush_on_close`` is set and releases the directory lock. Transactions and
        iterators still open then raise ``skv.ClosedError``. Closing twice raises
        ``skv.ClosedError``."""
        with self._mu:
            h = self._h
            if h is None:
                raise closed("database")
            self._h = None
            while self._active:
                self._idle.wait()
        _open_dbs.discard(self)
        rc = lib.skv_close(h)
        if rc:
            raise fail(rc)

    def __enter__(self) -> "DB":
        return self

    def __exit__(self, *exc) -> None:
        if self._h is not None:
            self.close()

    def __del__(self):
        if getattr(self, "_h", None) is not None:
            try:
                warnings.warn(f"unclosed skv database {self._path!r}", ResourceWarning, source=self)
            finally:
                try:
                    self.close()
                except Exception:
                    pass

    def __repr__(self) -> str:
        return f"<skv.DB {self._path!r}{' closed' if self._h is None else ''}>"

    # ---- the gate for database-wide calls ----------------------------------------------

    def _enter(self):
        with self._mu:
            h = self._h
            if h is None:
                raise closed("database")
            self._active += 1
            return h

    def _leave(self) -> None:
        with self._mu:
            self._active -= 1
            if not self._active:
                self._idle.notify_all()

    def _call(self, fn, *args) -> None:
        h = self._enter()
        try:
            rc = fn(h, *args)
            if rc:
                raise fail(rc)
        finally:
            self._leave()

    # ---- transactions -----------------------------------------------------------------

    def begin(self, mode: str = "read_write", durability: str = "eventual") -> Txn:
        """Begins a transaction. ``mode`` is ``"read_write"``, ``"read_only"`` or
        ``"write_only"``; ``durability`` ``"eventual"`` (the commit reaches the OS) or
        ``"immediate"`` (the commit is fsynced before it returns). Read-write and read-only
        transactions read the snapshot taken now. Use it as a context manager (which rolls
        back what was not committed and releases it) or call ``close()``."""
        m = mode_code(mode)
        d = durability_code(durability)
        out = ffi.new("skv_txn **")
        h = self._enter()
        try:
            rc = lib.skv_txn_begin(h, m, out)
            if rc:
                raise fail(rc)
        finally:
            self._leave()
        txn = Txn(self, out[0], mode)
        if d != _abi.SKV_DURABILITY_EVENTUAL:
            txn.set_durability(durability)
        return txn

    @contextlib.contextmanager
    def transaction(self, mode: str = "read_write", durability: str = "eventual") -> Iterator[Txn]:
        """A managed transaction: ``with db.transaction() as txn:`` commits when the block
        ends normally (a read-only one is just released) and rolls back when it raises. A
        failed commit raises (``skv.ConflictError``: retry the whole block)."""
        txn = self.begin(mode, durability)
        try:
            yield txn
            if not txn.ended and mode_code(mode) != _abi.SKV_TXN_READ_ONLY:
                txn.commit()
        finally:
            txn.close()

    # ---- database-wide calls ----------------------------------------------------------

    def flush(self) -> None:
        """Writes every memtable to table files and waits until they are in the manifest."""
        self._call(lib.skv_flush)

    def compact(self) -> None:
        """Flushes, then compacts every table into the last level; returns when done."""
        self._call(lib.skv_compact)

    def sync(self) -> None:
        """fsyncs the write-ahead log: every commit so far becomes durable."""
        self._call(lib.skv_sync)

    def property(self, name: str) -> str:
        """A property as text: ``"stats"``, ``"sequence"``, ``"timestamp"``,
        ``"level-files"``... (skv.h lists them)."""
        out = ffi.new("char **")
        self._call(lib.skv_property, name.encode(), out)
        return _take_text(out)

    def checkpoint(self, directory: PathLike) -> None:
        """Writes a consistent copy of the database into ``directory`` (which must not exist,
        or be empty); it opens as a database of its own and is the input of restore()."""
        self._call(lib.skv_checkpoint, _path(directory))

    def restore(self, directory: PathLike) -> None:
        """Replaces the whole contents of the database with the checkpoint in ``directory``.
        Transactions and iterators begun before raise ``skv.ClosedError`` afterwards."""
        self._call(lib.skv_restore, _path(directory))

    def check(self) -> str:
        """Checks the integrity of every file of the database (reading only) and returns the
        report. Damage raises ``skv.CorruptionError`` (or ``skv.InputOutputError``) whose
        ``report`` attribute holds the report."""
        out = ffi.new("char **")
        h = self._enter()
        try:
            rc = lib.skv_check(h, out)
            err = fail(rc) if rc else None
        finally:
            self._leave()
        report = _take_text(out)
        if err is not None:
            err.report = report
            raise err
        return report


def open(path: PathLike, **options: OptionValue) -> DB:  # noqa: A001 (the package's verb)
    """Opens (creating it when missing, unless ``create_if_missing=False``) the database in
    directory ``path``. Options are the engine's, by their C names:
    ``skv.open("data", max_memtable_size=1 << 26, enable_versioning=True)``."""
    return DB(path, **options)


def check_dir(path: PathLike, **options: OptionValue) -> str:
    """Checks the closed database in directory ``path`` without opening it; returns the
    report, or raises like ``DB.check()``."""
    opts = Options(**options) if options else None
    out = ffi.new("char **")
    rc = lib.skv_check_dir(_path(path), opts._h if opts is not None else ffi.NULL, out)
    err = fail(rc) if rc else None
    report = _take_text(out)
    if err is not None:
        err.report = report
        raise err
    return report


@atexit.register
def _close_all() -> None:
    """Closes every database still open before the interpreter finalizes, so that no
    async-commit callback can enter a finalizing interpreter."""
    for db in list(_open_dbs):
        with contextlib.suppress(Exception):
            db.close()
