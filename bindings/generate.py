#!/usr/bin/env python3
"""generate.py — writes the files the language packages take from skv.h, or checks them.

    python3 bindings/generate.py          # (re)write every generated file
    python3 bindings/generate.py --check  # exit 1, naming the files, when any is out of date

Each emitter maps the model of the ABI (bindings/skvh.py) to the files of one target: the
exported-symbol list (bindings/abi/skv.symbols) and one emitter per language package
(bindings/emit_*.py). Generated files are committed, so building a package never needs this
script; the test command runs --check so that skv.h and the generated files cannot drift.
"""
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import skvh  # noqa: E402

ROOT = skvh.ROOT


def emit_abi(api):
    """The exported functions, one per line in byte order (the ABI test compares it with the
    header, the linker version script and the library's exports)."""
    names = sorted(f.name for f in api.functions)
    return {"bindings/abi/skv.symbols": "".join(n + "\n" for n in names)}


# Language emitters: modules in bindings/ with emit(api) -> {relative path: content}.
LANGUAGE_EMITTERS = [
    "emit_go",
    "emit_node",
    "emit_python",
]


def outputs(api):
    files = dict(emit_abi(api))
    for mod in LANGUAGE_EMITTERS:
        files.update(importlib.import_module(mod).emit(api))
    return files


def main(argv):
    check = "--check" in argv[1:]
    api = skvh.parse()
    stale = []
    for rel, content in sorted(outputs(api).items()):
        path = ROOT / rel
        current = path.read_text() if path.exists() else None
        if current == content:
            continue
        if check:
            stale.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            print(f"wrote {rel}")
    if stale:
        print("generated files out of date with capi/include/skv.h (run bindings/generate.py):")
        for rel in stale:
            print("  " + rel)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
