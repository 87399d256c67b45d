"""skv — an embedded, transactional, versioned key-value store.

A thin layer over the skv C ABI (compiled into the extension module skv._skv with cffi):

    import skv

    with skv.open("data") as db:
        with db.transaction() as txn:
            txn.set(b"hello", b"world")
        with db.begin("read_only") as txn:
            print(txn.get(b"hello"))
            for key, value in txn.range(b"a", b"z"):
                ...

Keys and values are bytes (str is accepted and encoded as UTF-8). Errors raise subclasses
of skv.Error whose ``code`` is the engine's error name (``"SKV_ECONFLICT"``...). The GIL is
released inside every engine call; a DB may be shared by threads.
"""
from __future__ import annotations

from . import _ffi  # checks the ABI version of the compiled library first
from ._abi import ABI_VERSION, ERRORS, FUNCTIONS, VERSION, __version__
from ._cursor import Cursor, HistoryEntry
from ._db import DB, check_dir, open
from ._error import Error
from ._errors import *  # noqa: F401,F403 - one class per error code
from ._errors import __all__ as _error_classes
from ._options import Options
from ._status import error_code, error_from
from ._txn import Txn

_lib = _ffi.lib
_ffi_ = _ffi.ffi


def version_number() -> int:
    """The library's version as MAJOR*10000 + MINOR*100 + PATCH."""
    return _lib.skv_version_number()


def version_string() -> str:
    """The library's version as text ("0.1.0")."""
    return _ffi_.string(_lib.skv_version_string()).decode()


def abi_version() -> int:
    """The ABI version of the library (checked against the package's at import)."""
    return _lib.skv_abi_version()


def errname(code: int) -> str:
    """The stable name of an error number ("SKV_ECONFLICT"; "SKV_UNKNOWN" for others)."""
    return _ffi_.string(_lib.skv_errname(code)).decode()


def strerror(code: int) -> str:
    """The fixed English text of an error number."""
    return _ffi_.string(_lib.skv_strerror(code)).decode()


__all__ = [
    "ABI_VERSION",
    "Cursor",
    "DB",
    "ERRORS",
    "Error",
    "FUNCTIONS",
    "HistoryEntry",
    "Options",
    "Txn",
    "VERSION",
    "__version__",
    "abi_version",
    "check_dir",
    "errname",
    "error_code",
    "error_from",
    "open",
    "strerror",
    "version_number",
    "version_string",
] + list(_error_classes)
