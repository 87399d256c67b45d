"""skvh.py — reads capi/include/skv.h into a language-neutral model of the ABI.

The one description of the C ABI that the language packages are generated from
(bindings/generate.py): the version macros, the error codes of SKV_ERRNO_MAP, the public
enums, the opaque handle types, the callback types and every SKV_API function with its
parameters and the comment that documents it. Only the Python standard library is used.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "capi" / "include" / "skv.h"


@dataclass
class Param:
    ctype: str  # normalised C type, e.g. "const void *"
    name: str


@dataclass
class Function:
    name: str
    ret: str
    params: List[Param]
    doc: str  # the comment right above the declaration, without comment markers

    def signature(self) -> str:
        args = ", ".join(_join(p.ctype, p.name) for p in self.params) or "void"
        return f"{_join(self.ret, self.name)}({args});"


@dataclass
class Callback:
    name: str
    ret: str
    params: List[Param]

    def typedef(self) -> str:
        args = ", ".join(_join(p.ctype, p.name) for p in self.params) or "void"
        return f"typedef {self.ret} (*{self.name})({args});"


@dataclass
class ErrorCode:
    name: str  # "SKV_ECONFLICT"
    code: int
    text: str


@dataclass
class Enum:
    name: str  # "skv_txn_mode"
    values: List[tuple]  # (constant name, int value)


@dataclass
class Api:
    version: tuple  # (major, minor, patch)
    version_number: int
    abi_version: int
    errors: List[ErrorCode] = field(default_factory=list)
    enums: List[Enum] = field(default_factory=list)
    handles: List[str] = field(default_factory=list)  # "skv_db", ...
    callbacks: List[Callback] = field(default_factory=list)
    functions: List[Function] = field(default_factory=list)

    def constants(self):
        """Every integer constant: (name, value), errors first (SKV_OK included)."""
        out = [(e.name, e.code) for e in self.errors]
        for en in self.enums:
            out.extend(en.values)
        return out

    def function(self, name: str) -> Optional[Function]:
        return next((f for f in self.functions if f.name == name), None)


def _join(ctype: str, name: str) -> str:
    return f"{ctype}{name}" if ctype.endswith("*") else f"{ctype} {name}"


def _norm_type(t: str) -> str:
    """'const  void**' -> 'const void **': single spaces, a space before the pointer stars."""
    t = re.sub(r"\s+", " ", t.strip())
    t = re.sub(r"\s*\*", " *", t).replace("* *", "**").replace("* *", "**")
    return t


def _param(text: str) -> Param:
    text = re.sub(r"/\*.*?\*/", "", text).strip()
    m = re.match(r"^(.*?)(\w+)$", text, re.S)
    if not m:
        raise ValueError(f"skv.h: cannot read parameter '{text}'")
    return Param(_norm_type(m.group(1)), m.group(2))


def _params(text: str) -> List[Param]:
    text = text.strip()
    if text in ("", "void"):
        return []
    return [_param(p) for p in text.split(",")]


def _doc_before(src: str, pos: int) -> str:
    head = src[:pos].rstrip()
    if not head.endswith("*/"):
        return ""
    start = head.rfind("/*")
    body = head[start + 2 : -2]
    lines = [re.sub(r"^\s*\* ?", "", ln).rstrip() for ln in body.splitlines()]
    return "\n".join(ln for ln in lines).strip()


def _int(expr: str, known: dict) -> int:
    expr = re.sub(r"/\*.*?\*/", "", expr).strip()
    if expr in known:
        return known[expr]
    return int(eval(expr, {"__builtins__": {}}, dict(known)))  # literals and simple arithmetic


def parse(path: Path = HEADER) -> Api:
    src = path.read_text()
    macro = lambda n: int(re.search(rf"#define {n} (\d+)", src).group(1))
    api = Api(
        version=(macro("SKV_VERSION_MAJOR"), macro("SKV_VERSION_MINOR"), macro("SKV_VERSION_PATCH")),
        version_number=macro("SKV_VERSION_NUMBER"),
        abi_version=macro("SKV_ABI_VERSION"),
    )
    api.errors.append(ErrorCode("SKV_OK", 0, "success"))
    for name, num, text in re.findall(r'XX\((\w+),\s*(-?\d+),\s*"((?:[^"\\]|\\.)*)"\)', src):
        api.errors.append(ErrorCode("SKV_" + name, int(num), text))
    known = {e.name: e.code for e in api.errors}
    for name, body in re.findall(r"\benum\s+(\w+)\s*\{([^}]*)\}", src):
        if name == "skv_error":
            continue
        values = []
        for item in re.sub(r"/\*.*?\*/", "", body, flags=re.S).split(","):
            item = item.strip()
            if not item:
                continue
            const, _, expr = item.partition("=")
            value = _int(expr, known) if expr.strip() else (values[-1][1] + 1 if values else 0)
            values.append((const.strip(), value))
            known[const.strip()] = value
        api.enums.append(Enum(name, values))
    api.handles = re.findall(r"typedef struct (\w+) \1;", src)
    for ret, name, params in re.findall(r"typedef\s+([\w ]+?)\s*\(\*\s*(\w+)\)\s*\(([^)]*)\)\s*;", src):
        api.callbacks.append(Callback(name, _norm_type(ret), _params(params)))
    for m in re.finditer(r"SKV_API\s+([^;(]*?)\b(skv_\w+)\s*\(([^)]*)\)\s*;", src, re.S):
        api.functions.append(
            Function(m.group(2), _norm_type(m.group(1)), _params(m.group(3)), _doc_before(src, m.start()))
        )
    if not api.functions or len(api.errors) < 2:
        raise ValueError(f"{path}: no functions or error codes found")
    return api


if __name__ == "__main__":
    a = parse()
    for f in a.functions:
        print(f.signature())
