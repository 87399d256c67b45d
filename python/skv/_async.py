"""_async.py — the asyncio commit: skv_txn_commit_async with a callback that the engine runs
on its own thread (never inside the submitting call, never after skv_close returns), which
hands the status to the loop that awaits it through loop.call_soon_threadsafe and never
touches a loop that has been closed."""
from __future__ import annotations

import asyncio

from ._ffi import ffi, lib
from ._status import error_from, fail


class _Pending:
    """One submitted commit: its loop and future, kept alive (with the cffi handle that the
    engine holds as user_data) until the callback has run."""

    __slots__ = ("loop", "future", "handle")


_pending = set()


def _settle(future: "asyncio.Future[None]", status: int) -> None:
    """Runs on the loop's thread."""
    if future.done():  # cancelled by the awaiting code; the commit went on regardless
        return
    if status == 0:
        future.set_result(None)
    else:
        future.set_exception(error_from(status))


@ffi.def_extern()
def _skvpy_commit_done(user_data, status):
    p = ffi.from_handle(user_data)
    _pending.discard(p)
    p.handle = None
    loop = p.loop
    if loop.is_closed():
        return
    try:
        loop.call_soon_threadsafe(_settle, p.future, status)
    except RuntimeError:  # the loop closed since the check
        pass


def submit_commit(loop: asyncio.AbstractEventLoop, txn_handle) -> "asyncio.Future[None]":
    """Submits the commit of txn_handle; the caller holds the transaction's lock."""
    p = _Pending()
    p.loop = loop
    p.future = loop.create_future()
    p.handle = ffi.new_handle(p)
    _pending.add(p)
    rc = lib.skv_txn_commit_async(txn_handle, lib._skvpy_commit_done, p.handle)
    if rc:
        err = fail(rc)
        _pending.discard(p)
        p.handle = None
        raise err
    return p.future
