"""test_package.py — the package as built: every function of skv.h is called by it, the
declarations and error table are the generated ones, the ABI check at import, py.typed."""
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skv
from skv import _abi

PACKAGE = Path(skv.__file__).resolve().parent
REPO = Path(__file__).resolve().parents[2]


def test_every_function_of_the_header_is_called():
    source = "".join(p.read_text() for p in PACKAGE.glob("*.py"))
    build = (REPO / "python" / "build_ffi.py").read_text() if (REPO / "python" / "build_ffi.py").exists() else ""
    missing = [
        f
        for f in skv.FUNCTIONS
        if not re.search(rf"lib\.{f}\b", source) and not re.search(rf"\b{f}\(", build)
    ]
    assert missing == []


def test_functions_match_the_header():
    header = REPO / "capi" / "include" / "skv.h"
    if not header.exists():
        pytest.skip("not in a checkout")
    declared = re.findall(r"SKV_API\s+[^;(]*?\b(skv_\w+)\s*\(", header.read_text())
    assert sorted(declared) == sorted(skv.FUNCTIONS)


def test_generated_files_are_up_to_date():
    gen = REPO / "bindings" / "generate.py"
    if not gen.exists():
        pytest.skip("not in a checkout")
    proc = subprocess.run([sys.executable, str(gen), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_error_classes_cover_the_error_table():
    for name, code, _ in skv.ERRORS:
        if code == 0:
            continue
        cls = type(skv.error_from(code))
        assert cls.code == name and cls.errno == code
        assert getattr(skv, cls.__name__) is cls and cls.__name__ in skv.__all__
    assert skv.ConflictError.code == "SKV_ECONFLICT"
    assert skv.RetryError.code == "SKV_ERETRY"
    assert skv.ClosedError.code == "SKV_ECLOSED"
    assert skv.ReadOnlyError.code == "SKV_EREADONLY"
    assert skv.CorruptionError.code == "SKV_ECORRUPT"


def test_import_refuses_a_library_of_another_abi(monkeypatch):
    import skv._ffi as ffi_mod

    monkeypatch.setattr(_abi, "ABI_VERSION", _abi.ABI_VERSION + 1)
    with pytest.raises(ImportError, match="ABI version"):
        importlib.reload(ffi_mod)
    monkeypatch.undo()
    importlib.reload(ffi_mod)


def test_typed_package():
    assert (PACKAGE / "py.typed").exists()
    assert skv.Txn.get.__annotations__ and skv.open.__doc__
    assert skv.DB.begin.__doc__ and skv.Txn.range.__doc__ and skv.Cursor.seek.__doc__


def test_build_refuses_a_header_the_declarations_were_not_generated_from(tmp_path):
    build_dir = REPO / "python"
    if not (build_dir / "build_ffi.py").exists() or not (REPO / "capi" / "include" / "skv.h").exists():
        pytest.skip("not in a checkout")
    sys.path.insert(0, str(build_dir))
    try:
        import build_ffi
    finally:
        sys.path.remove(str(build_dir))
    build_ffi.check_header(REPO)  # the checkout's header: accepted
    header = tmp_path / "capi" / "include" / "skv.h"
    header.parent.mkdir(parents=True)
    header.write_text((REPO / "capi" / "include" / "skv.h").read_text() + "\n/* changed */\n")
    with pytest.raises(RuntimeError, match="generate.py"):
        build_ffi.check_header(tmp_path)
