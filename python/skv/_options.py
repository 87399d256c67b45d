"""_options.py — skv.Options: an engine option set, every option by its C name (DESIGN §2,
skv.h at skv_options_set), so each option of the engine is reachable without changes here."""
from __future__ import annotations

from typing import Union

from ._ffi import ffi, lib
from ._status import fail

OptionValue = Union[str, bool, int, float]


def option_text(name: str, value: OptionValue) -> str:
    """The text form skv_options_set takes: booleans as true/false, numbers in decimal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"option {name!r}: value must be str, bool, int or float, not {type(value).__name__}")


class Options:
    """A set of engine options, e.g. ``Options(max_memtable_size=1 << 20, compression="zstd")``.

    Values are checked as they are set: an unknown name or a bad value raises
    ``skv.InvalidArgumentError`` naming it. ``skv.open(path, **options)`` builds one for you.
    """

    __slots__ = ("_h",)

    def __init__(self, **options: OptionValue):
        out = ffi.new("skv_options **")
        rc = lib.skv_options_new(out)
        if rc:
            raise fail(rc)
        self._h = ffi.gc(out[0], lib.skv_options_free)
        for name, value in options.items():
            self.set(name, value)

    def set(self, name: str, value: OptionValue) -> "Options":
        """Sets one option by its C name; returns self."""
        text = option_text(name, value)
        rc = lib.skv_options_set(self._h, name.encode(), text.encode())
        if rc:
            raise fail(rc)
        return self

    def close(self) -> None:
        """Releases the option set now (it is also released when garbage collected)."""
        h, self._h = self._h, ffi.NULL
        if h:
            ffi.release(h)
