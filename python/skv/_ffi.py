"""_ffi.py — loads the compiled module skv._skv and checks, once at import, that the library
inside it has the ABI version the package was generated for."""
from __future__ import annotations

from . import _abi
from ._skv import ffi, lib

if lib.skv_abi_version() != _abi.ABI_VERSION or lib.SKV_ABI_VERSION != _abi.ABI_VERSION:
    raise ImportError(
        f"skv: the compiled library has ABI version {lib.skv_abi_version()} (header "
        f"{lib.SKV_ABI_VERSION}) but this package was generated for ABI version "
        f"{_abi.ABI_VERSION}; reinstall the package"
    )

__all__ = ["ffi", "lib"]
