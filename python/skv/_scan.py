"""_scan.py — Txn.scan(): skv_txn_scan with a Python callback, which the engine calls on the
scanning thread inside the scan call; an exception raised by the callback stops the scan and
is raised again once the engine has returned."""
from __future__ import annotations

from ._ffi import ffi, lib
from ._status import fail

_buffer = ffi.buffer


class _Scan:
    __slots__ = ("callback", "error")


@ffi.def_extern()
def _skvpy_scan_entry(user_data, key, klen, val, vlen):
    s = ffi.from_handle(user_data)
    try:
        stop = s.callback(_buffer(key, klen)[:], _buffer(val, vlen)[:] if vlen else b"")
    except BaseException as e:  # noqa: B902 - re-raised by run_scan
        s.error = e
        return 1
    return 1 if stop else 0


def run_scan(txn_handle, lo, hi, flags, limit, callback) -> None:
    """The caller holds the transaction's lock."""
    s = _Scan()
    s.callback = callback
    s.error = None
    handle = ffi.new_handle(s)
    rc = lib.skv_txn_scan(
        txn_handle,
        lo if lo is not None else ffi.NULL,
        len(lo) if lo is not None else 0,
        hi if hi is not None else ffi.NULL,
        len(hi) if hi is not None else 0,
        flags,
        limit,
        lib._skvpy_scan_entry,
        handle,
    )
    err = fail(rc) if rc else None
    if s.error is not None:
        e, s.error = s.error, None
        raise e
    if err is not None:
        raise err
