"""_error.py — skv.Error, the base of every exception the package raises for an engine error.

The subclasses, one per error code, are generated from skv.h (_errors.py)."""
from __future__ import annotations

from typing import Optional


class Error(Exception):
    """An error returned by the skv engine.

    ``code`` is the stable error name (``"SKV_ECONFLICT"``), ``errno`` its (negative) number
    and ``message`` the detail the engine gave (naming the option, file, offset...) or, when
    it gave none, the fixed text of the code. Catch a subclass (``skv.ConflictError``...) or
    compare ``code``; never parse the message.
    """

    __module__ = "skv"
    code: str = "SKV_UNKNOWN"
    errno: int = 0

    def __init__(self, message: str = "", *, code: Optional[str] = None, errno: Optional[int] = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if errno is not None:
            self.errno = errno

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.code, self.errno))


def _rebuild(cls, message, code, errno):
    return cls(message, code=code, errno=errno)
