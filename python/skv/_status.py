"""_status.py — turns the engine's return codes into exceptions: the detail message of the
failing call (skv_errmsg(), read on the calling thread right after the call), the class of
the code (generated from skv.h), and the errors the package raises itself for handles it has
already released."""
from __future__ import annotations

from . import _abi
from ._error import Error
from ._errors import CLASSES, ClosedError
from ._ffi import ffi, lib

_NAMES = {code: name for name, code, _ in _abi.ERRORS}
_TEXTS = {code: text for _, code, text in _abi.ERRORS}
_errmsg = lib.skv_errmsg
_string = ffi.string


def error_from(rc: int, message: str = "") -> Error:
    """The exception for return code rc with the given detail (default: the code's text)."""
    name = _NAMES.get(rc)
    if name is None:
        name = _string(lib.skv_errname(rc)).decode()
        text = _string(lib.skv_strerror(rc)).decode()
        return Error(message or text, code=name, errno=rc)
    return CLASSES[name](message or _TEXTS[rc])


def fail(rc: int) -> Error:
    """The exception for rc returned by the skv call made just now on this thread."""
    msg = _string(_errmsg()).decode("utf-8", "replace")
    return error_from(rc, msg)


def closed(what: str) -> ClosedError:
    """SKV_ECLOSED for a handle the package has already released (closed or freed)."""
    return ClosedError(f"{what} is closed")


def error_code(name: str) -> int:
    """The number of an error name ("SKV_ECONFLICT" -> -7) from the package's error table."""
    for n, code, _ in _abi.ERRORS:
        if n == name:
            return code
    raise ValueError(f"unknown error name {name!r}")
