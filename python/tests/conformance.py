#!/usr/bin/env python3
"""conformance.py — the Python runner of the shared conformance suite (tests/conformance/,
format in its README): every step of every case is one call of the public skv package.

    python python/tests/conformance.py [<cases-dir> [<skip-file>]]

prints `ok <id>` / `FAIL <id>: step <n> (<op>): expected X, got Y` / `skip <id>: <reason>`
per case and `<P> passed, <F> failed, <S> skipped`, and exits 1 on a failure or when fewer
cases passed than the suite holds minus the skip list. test_conformance.py runs each case as
a pytest test through run_case().

Errors are compared by name: a call that raises skv.Error gives its ``code``; a call that
returns the package's absent value (None from get, key, value; False from a positioning
call) gives SKV_NOTFOUND.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import skv

SCHEMA = "skv-conformance/1"
REPO = Path(__file__).resolve().parents[2]
CASES_DIR = Path(os.environ.get("SKV_CONFORMANCE_CASES", REPO / "tests" / "conformance" / "cases"))
SKIP_FILE = Path(os.environ.get("SKV_CONFORMANCE_SKIP", REPO / "tests" / "conformance" / "skip" / "python.txt"))
DEFAULT_BATCH = 2
DEFAULT_TIMEOUT_MS = 10000
U64_MAX = 2**64 - 1


class CaseFailure(Exception):
    """The step's result differs from its expectation (or the case itself is malformed)."""


class BadCase(CaseFailure):
    def __init__(self, msg: str):
        super().__init__("bad case: " + msg)


# ---- loading ------------------------------------------------------------------------------


def load_cases(cases_dir: Path = CASES_DIR) -> Tuple[List[dict], List[str]]:
    """Every case in suite order, and the problems found with the files (one per bad file or
    case: no schema, duplicate or missing id, no tags)."""
    cases, problems, seen = [], [], set()
    files = sorted(p.relative_to(cases_dir).as_posix() for p in cases_dir.rglob("*.json"))
    for rel in files:
        try:
            doc = json.loads((cases_dir / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            problems.append(f"FAIL {rel}: cannot read or parse the file: {e}")
            continue
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("cases"), list):
            problems.append(f'FAIL {rel}: not a case file (schema "{SCHEMA}" with a \'cases\' array)')
            continue
        for i, case in enumerate(doc["cases"]):
            cid = case.get("id") if isinstance(case, dict) else None
            if not isinstance(cid, str) or not cid:
                problems.append(f"FAIL {rel}: case {i + 1} has no id")
            elif cid in seen:
                problems.append(f"FAIL {cid}: duplicate case id")
            elif not isinstance(case.get("tags"), list) or not case["tags"]:
                problems.append(f"FAIL {cid}: step 0 (none): bad case: missing 'tags'")
                seen.add(cid)
            else:
                seen.add(cid)
                cases.append(case)
    return cases, problems


def load_skip_list(path: Path = SKIP_FILE) -> Dict[str, str]:
    skips: Dict[str, str] = {}
    if not path.exists():
        return skips
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cid, _, reason = line.partition(" ")
        skips[cid] = reason.strip() or "(no reason given)"
    return skips


# ---- values -------------------------------------------------------------------------------


def decode_bytes(v, what: str) -> bytes:
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, dict):
        if isinstance(v.get("hex"), str):
            try:
                return bytes.fromhex(v["hex"])
            except ValueError:
                raise BadCase(f"{what}: bad hex") from None
        if isinstance(v.get("repeat"), str):
            try:
                pat = bytes.fromhex(v["repeat"])
            except ValueError:
                raise BadCase(f"{what}: bad repeat pattern") from None
            count = v.get("count")
            if not pat or not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 1 << 32:
                raise BadCase(f"{what}: bad repeat")
            return pat * count
    raise BadCase(f"{what} is not a byte string")


def req_bytes(step: dict, name: str) -> bytes:
    if name not in step:
        raise BadCase(f"missing '{name}'")
    return decode_bytes(step[name], name)


def opt_bytes(step: dict, name: str) -> Optional[bytes]:
    return decode_bytes(step[name], name) if name in step else None


def u64(v, what: str) -> int:
    if isinstance(v, bool):
        raise BadCase(f"bad '{what}'")
    if isinstance(v, int) and 0 <= v <= 2**53:
        return v
    if isinstance(v, str) and v.isdigit() and v.isascii():
        x = int(v)
        if x <= U64_MAX:
            return x
    raise BadCase(f"bad '{what}'")


def show(b: Optional[bytes]) -> str:
    if b is None:
        return "(none)"
    if len(b) <= 64 and all(0x20 <= c <= 0x7E and c != 0x22 for c in b):
        return '"' + b.decode() + '"'
    s = "hex:" + b[:24].hex()
    return s + (f"...({len(b)} bytes)" if len(b) > 24 else "")


def expect_set(v, field: str = "expect") -> List[str]:
    if v is None:
        return ["SKV_OK"]
    names = [v] if isinstance(v, str) else v
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise BadCase(f"bad {field}")
    for n in names:
        if n != "SKV_OK" and n not in ERROR_NAMES:
            raise BadCase(f"unknown error name '{n}' in {field}")
    return names


ERROR_NAMES = {name for name, _, _ in skv.ERRORS}


def expect_text(names: List[str]) -> str:
    return ("one of " if len(names) > 1 else "") + "/".join(names)


def call(fn, *args, **kw):
    """(error name, result): "SKV_OK" and the result, or the code of the skv.Error raised."""
    try:
        return "SKV_OK", fn(*args, **kw)
    except skv.Error as e:
        return e.code, None


def check_rc(step: dict, rc: str) -> None:
    names = expect_set(step.get("expect"))
    if rc not in names:
        raise CaseFailure(f"expected {expect_text(names)}, got {rc}")


# ---- the case state -----------------------------------------------------------------------


class DbSlot:
    def __init__(self, db: skv.DB, path: str, options: dict):
        self.db = db
        self.path = path
        self.options = options
        self.open = True


class AsyncCommit:
    """One commit_async step: the future the package returned (None when the call failed)."""

    def __init__(self, txn: str, future):
        self.txn = txn
        self.future = future


class Case:
    def __init__(self, case: dict, directory: str):
        self.case = case
        self.dir = directory
        self.dbs: Dict[str, DbSlot] = {}
        self.txns: Dict[str, skv.Txn] = {}
        self.iters: Dict[str, skv.Cursor] = {}
        self.vars: Dict[str, int] = {}
        self.asyncs: List[AsyncCommit] = []
        self.loop = asyncio.new_event_loop()
        self.loop_errors: List[str] = []
        self.loop.set_exception_handler(lambda loop, ctx: self.loop_errors.append(ctx.get("message", "?")))

    # handles

    def db(self, step: dict) -> DbSlot:
        name = step.get("db")
        if not isinstance(name, str):
            raise BadCase("missing 'db'")
        if name not in self.dbs:
            raise BadCase(f"db '{name}' is not bound")
        return self.dbs[name]

    def txn(self, step: dict) -> skv.Txn:
        name = step.get("txn")
        if not isinstance(name, str):
            raise BadCase("missing 'txn'")
        if name not in self.txns:
            raise BadCase(f"txn '{name}' is not bound")
        return self.txns[name]

    def iter(self, step: dict) -> skv.Cursor:
        name = step.get("iter")
        if not isinstance(name, str):
            raise BadCase("missing 'iter'")
        if name not in self.iters:
            raise BadCase(f"iter '{name}' is not bound")
        return self.iters[name]

    def new_name(self, step: dict, kind: str, table: dict) -> str:
        name = step.get(kind)
        if not isinstance(name, str):
            raise BadCase(f"missing '{kind}'")
        if name in table:
            raise BadCase(f"{kind} '{name}' is still bound")
        return name

    def case_path(self, rel) -> str:
        if not isinstance(rel, str) or not rel or ".." in rel or rel.startswith("/"):
            raise BadCase(f"bad path '{rel}'")
        return os.path.join(self.dir, rel)

    def var(self, name: str) -> int:
        if name not in self.vars:
            raise BadCase(f"variable '{name}' is not saved")
        return self.vars[name]

    def ts(self, v, what: str) -> int:
        if isinstance(v, dict):
            name = v.get("var")
            if not isinstance(name, str):
                raise BadCase(f"bad '{what}'")
            x = self.var(name)
            x += u64(v.get("plus", 0), what) - u64(v.get("minus", 0), what)
            return x % (U64_MAX + 1)
        return u64(v, what)

    # running

    def run(self) -> None:
        steps = self.case.get("steps")
        if not isinstance(steps, list) or not steps:
            raise StepFailure(0, "none", "bad case: missing 'steps'")
        for n, step in enumerate(steps, 1):
            op = step.get("op") if isinstance(step, dict) else None
            fn = OPS.get(op) if isinstance(op, str) else None
            try:
                if fn is None:
                    raise BadCase(f"unknown op '{op if isinstance(op, str) else '(missing)'}'")
                fn(self, step)
            except CaseFailure as e:
                raise StepFailure(n, op if isinstance(op, str) else "?", str(e)) from None

    def cleanup(self) -> Optional[str]:
        """Frees every iterator, then every transaction, closes every database still open,
        then checks the async-commit rules. The first violation, or None."""
        for cur in self.iters.values():
            cur.close()
        self.iters.clear()
        for txn in self.txns.values():
            txn.close()
        self.txns.clear()
        for slot in self.dbs.values():
            if slot.open:
                slot.db.close()
                slot.open = False
        self.loop.run_until_complete(asyncio.sleep(0))  # settles what the callbacks queued
        problem = None
        for a in self.asyncs:
            if a.future is not None and not a.future.done():
                problem = problem or f"expected the callback of txn '{a.txn}' to run exactly once, got 0"
        if self.loop_errors:
            problem = problem or f"expected no error in a callback, got {self.loop_errors[0]}"
        self.loop.close()
        return problem


class StepFailure(Exception):
    def __init__(self, n, op: str, msg: str):
        super().__init__(f"step {n} ({op[:40]}): {msg}")


# ---- steps: library -----------------------------------------------------------------------


def op_version(c: Case, s: dict) -> None:
    if "abi" in s and skv.abi_version() != u64(s["abi"], "abi"):
        raise CaseFailure(f"expected abi {s['abi']}, got {skv.abi_version()}")
    if "number" in s and skv.version_number() != u64(s["number"], "number"):
        raise CaseFailure(f"expected number {s['number']}, got {skv.version_number()}")
    if "string" in s and skv.version_string() != s["string"]:
        raise CaseFailure(f'expected string "{s["string"]}", got "{skv.version_string()}"')


def op_errname(c: Case, s: dict) -> None:
    name = s.get("name")
    if not isinstance(name, str):
        raise BadCase("missing 'name'")
    if "code" in s:
        if not isinstance(s["code"], int) or isinstance(s["code"], bool):
            raise BadCase("bad 'code'")
        code = s["code"]
    else:
        try:
            code = skv.error_code(name)
        except ValueError:
            raise BadCase(f"unknown error name '{name}'") from None
    got = skv.errname(code)
    if got != name:
        raise CaseFailure(f"expected {name}, got {got}")
    if not skv.strerror(code):
        raise CaseFailure("expected a strerror text, got an empty one")


def options_of(s: dict) -> dict:
    opts = s.get("options", {})
    if not isinstance(opts, dict):
        raise BadCase("'options' must be an object")
    for k, v in opts.items():
        if not isinstance(v, str):
            raise BadCase(f"option '{k}' must have a string value")
    return opts


def op_options(c: Case, s: dict) -> None:
    rc, _ = call(skv.Options, **options_of(s))
    check_rc(s, rc)


# ---- steps: databases ---------------------------------------------------------------------


def op_open(c: Case, s: dict) -> None:
    name = s.get("db")
    if not isinstance(name, str):
        raise BadCase("missing 'db'")
    if name in c.dbs and c.dbs[name].open:
        raise BadCase(f"db '{name}' is still open")
    path = s.get("path", name)
    full = c.case_path(path)
    opts = options_of(s)
    rc, db = call(skv.open, full, **opts)
    if rc == "SKV_OK":
        c.dbs[name] = DbSlot(db, full, opts)
    check_rc(s, rc)


def op_close(c: Case, s: dict) -> None:
    slot = c.db(s)
    rc, _ = call(slot.db.close)
    slot.open = False
    check_rc(s, rc)


def op_reopen(c: Case, s: dict) -> None:
    slot = c.db(s)
    rc, _ = call(slot.db.close)
    slot.open = False
    if rc != "SKV_OK":
        raise CaseFailure(f"expected close SKV_OK, got {rc}")
    rc, db = call(skv.open, slot.path, **slot.options)
    if rc == "SKV_OK":
        slot.db = db
        slot.open = True
    check_rc(s, rc)


def op_db_call(method: str):
    def op(c: Case, s: dict) -> None:
        slot = c.db(s)
        rc, _ = call(getattr(slot.db, method))
        check_rc(s, rc)

    return op


def op_property(c: Case, s: dict) -> None:
    slot = c.db(s)
    name = s.get("name")
    if not isinstance(name, str):
        raise BadCase("missing 'name'")
    rc, val = call(slot.db.property, name)
    check_rc(s, rc)
    if rc != "SKV_OK":
        return
    if "text" in s:
        if val != s["text"]:
            raise CaseFailure(f'expected {name} "{s["text"]}", got "{val[:120]}"')
        return
    if not any(k in s for k in ("save", "gt", "ge", "eq", "min")):
        return
    if not (val.isdigit() and val.isascii()) or int(val) > U64_MAX:
        raise CaseFailure(f'expected a decimal integer, got "{val[:120]}"')
    x = int(val)
    if "gt" in s and not x > c.var(s["gt"]):
        raise CaseFailure(f"expected {name} > {s['gt']} ({c.var(s['gt'])}), got {x}")
    if "ge" in s and not x >= c.var(s["ge"]):
        raise CaseFailure(f"expected {name} >= {s['ge']} ({c.var(s['ge'])}), got {x}")
    if "eq" in s and x != c.var(s["eq"]):
        raise CaseFailure(f"expected {name} == {s['eq']} ({c.var(s['eq'])}), got {x}")
    if "min" in s and x < u64(s["min"], "min"):
        raise CaseFailure(f"expected {name} >= {s['min']}, got {x}")
    if "save" in s:
        c.vars[s["save"]] = x


# ---- steps: transactions ------------------------------------------------------------------

MODES = ("read_write", "read_only", "write_only")
DURABILITIES = ("eventual", "immediate")


def op_begin(c: Case, s: dict) -> None:
    slot = c.db(s)
    name = c.new_name(s, "txn", c.txns)
    mode = s.get("mode", "read_write")
    if mode not in MODES:
        raise BadCase(f"bad mode '{mode}'")
    durability = s.get("durability", "eventual")
    if durability not in DURABILITIES:
        raise BadCase(f"bad durability '{durability}'")
    rc, txn = call(slot.db.begin, mode, durability)
    if rc == "SKV_OK":
        c.txns[name] = txn
    check_rc(s, rc)


def op_set_durability(c: Case, s: dict) -> None:
    txn = c.txn(s)
    d = s.get("durability")
    if d not in DURABILITIES:
        raise BadCase(f"bad durability '{d}'")
    rc, _ = call(txn.set_durability, d)
    check_rc(s, rc)


def op_set(c: Case, s: dict) -> None:
    txn = c.txn(s)
    rc, _ = call(txn.set, req_bytes(s, "key"), req_bytes(s, "value"))
    check_rc(s, rc)


def op_set_at(c: Case, s: dict) -> None:
    txn = c.txn(s)
    k, v, ts = req_bytes(s, "key"), req_bytes(s, "value"), u64(s.get("ts"), "ts")
    rc, _ = call(txn.set_at, k, v, ts)
    check_rc(s, rc)


def op_key_call(method: str):
    def op(c: Case, s: dict) -> None:
        txn = c.txn(s)
        rc, _ = call(getattr(txn, method), req_bytes(s, "key"))
        check_rc(s, rc)

    return op


def op_replace(c: Case, s: dict) -> None:
    txn = c.txn(s)
    rc, _ = call(txn.replace, req_bytes(s, "key"), req_bytes(s, "value"))
    check_rc(s, rc)


def check_value(s: dict, got: Optional[bytes], member: str = "value") -> None:
    want = opt_bytes(s, member)
    if want is not None and got != want:
        raise CaseFailure(f"expected {member} {show(want)}, got {show(got)}")


def op_get(c: Case, s: dict) -> None:
    txn = c.txn(s)
    rc, val = call(txn.get, req_bytes(s, "key"))
    if rc == "SKV_OK" and val is None:
        rc = "SKV_NOTFOUND"
    check_rc(s, rc)
    if rc == "SKV_OK":
        check_value(s, val)


def op_txn_call(method: str):
    def op(c: Case, s: dict) -> None:
        txn = c.txn(s)
        rc, _ = call(getattr(txn, method))
        check_rc(s, rc)

    return op


def op_commit_async(c: Case, s: dict) -> None:
    txn = c.txn(s)

    async def submit():
        fut = txn.commit_async()
        return fut, fut.done()  # done right after the call: resolved inside it

    rc, got = call(c.loop.run_until_complete, submit())
    fut, inside = got if got is not None else (None, False)
    if inside:
        raise CaseFailure("expected the commit to resolve after the call, got it resolved inside it")
    c.asyncs.append(AsyncCommit(s["txn"], fut))
    check_rc(s, rc)


def op_await_commit(c: Case, s: dict) -> None:
    name = s.get("txn")
    if not isinstance(name, str):
        raise BadCase("missing 'txn'")
    a = next((a for a in reversed(c.asyncs) if a.txn == name and a.future is not None), None)
    if a is None:
        raise CaseFailure(f"expected a successful commit_async on '{name}', got none")
    want = expect_set(s.get("status"), "status")
    timeout_ms = u64(s.get("timeout_ms", DEFAULT_TIMEOUT_MS), "timeout_ms")

    async def wait():
        if timeout_ms == 0:
            await asyncio.sleep(0)  # only what the callback has already queued
            if not a.future.done():
                raise asyncio.TimeoutError
            return await a.future
        return await asyncio.wait_for(asyncio.shield(a.future), timeout_ms / 1000)

    try:
        c.loop.run_until_complete(wait())
        status = "SKV_OK"
    except skv.Error as e:
        status = e.code
    except asyncio.TimeoutError:
        raise CaseFailure("expected callback, got timeout") from None
    if status not in want:
        raise CaseFailure(f"expected status {expect_text(want)}, got {status}")


def op_txn_free(c: Case, s: dict) -> None:
    txn = c.txn(s)
    txn.close()
    del c.txns[s["txn"]]


# ---- steps: iterators ---------------------------------------------------------------------

FLAGS = {"reverse": "reverse", "keys_only": "keys_only"}


def parse_flags(s: dict, allowed=FLAGS) -> dict:
    flags = s.get("flags", [])
    if not isinstance(flags, list):
        raise BadCase("'flags' must be an array")
    out = {}
    for f in flags:
        if f not in allowed:
            raise BadCase(f"unknown flag '{f}'")
        out[allowed[f]] = True
    return out


def op_iter_open(c: Case, s: dict) -> None:
    txn = c.txn(s)
    name = c.new_name(s, "iter", c.iters)
    rc, cur = call(txn.cursor, opt_bytes(s, "lo"), opt_bytes(s, "hi"), **parse_flags(s))
    if rc == "SKV_OK":
        c.iters[name] = cur
    check_rc(s, rc)


def check_current(s: dict, cur: skv.Cursor) -> None:
    if "key" in s:
        rc, k = call(cur.key)
        if rc != "SKV_OK" or k is None:
            raise CaseFailure(f"expected iter_key SKV_OK, got {rc if rc != 'SKV_OK' else 'SKV_NOTFOUND'}")
        check_value(s, k, "key")
    if "value" in s:
        rc, v = call(cur.value)
        if rc != "SKV_OK" or v is None:
            raise CaseFailure(f"expected iter_value SKV_OK, got {rc if rc != 'SKV_OK' else 'SKV_NOTFOUND'}")
        check_value(s, v, "value")


def op_iter_move(method: str):
    def op(c: Case, s: dict) -> None:
        cur = c.iter(s)
        if method == "seek":
            rc, ok = call(cur.seek, req_bytes(s, "target"))
        else:
            rc, ok = call(getattr(cur, method))
        if rc == "SKV_OK" and not ok:
            rc = "SKV_NOTFOUND"
        check_rc(s, rc)
        if rc == "SKV_OK":
            check_current(s, cur)

    return op


def op_iter_view(method: str):
    def op(c: Case, s: dict) -> None:
        cur = c.iter(s)
        rc, got = call(getattr(cur, method))
        if rc == "SKV_OK" and got is None:
            rc = "SKV_NOTFOUND"
        check_rc(s, rc)
        if rc == "SKV_OK":
            check_value(s, got, method)

    return op


def op_iter_free(c: Case, s: dict) -> None:
    cur = c.iter(s)
    cur.close()
    del c.iters[s["iter"]]


def compare_list(s: dict, got: list) -> None:
    if "entries" in s:
        want = s["entries"]
        if not isinstance(want, list):
            raise BadCase("missing 'entries' or 'keys'")
        pairs = []
        for i, e in enumerate(want):
            if not isinstance(e, list) or len(e) != 2:
                raise BadCase(f"entry {i} is not a [key, value] pair")
            pairs.append((decode_bytes(e[0], "entry key"), decode_bytes(e[1], "entry value")))
    elif "keys" in s:
        if not isinstance(s["keys"], list):
            raise BadCase("missing 'entries' or 'keys'")
        pairs = [(decode_bytes(k, "key"), None) for k in s["keys"]]
    else:
        raise BadCase("missing 'entries' or 'keys'")
    for i, (wk, wv) in enumerate(pairs):
        if i >= len(got):
            raise CaseFailure(
                f"expected {len(pairs)} entries, got {len(got)} (missing entry {i} key {show(wk)})"
            )
        gk, gv = got[i]
        if gk != wk:
            raise CaseFailure(f"expected entry {i} key {show(wk)}, got {show(gk)}")
        if wv is not None and gv != wv:
            raise CaseFailure(f"expected entry {i} value {show(wv)}, got {show(gv)}")
    if len(got) != len(pairs):
        raise CaseFailure(
            f"expected {len(pairs)} entries, got {len(got)} (first extra key {show(got[len(pairs)][0])})"
        )


def op_collect(c: Case, s: dict) -> None:
    cur = c.iter(s)
    batch = u64(s.get("batch", DEFAULT_BATCH), "batch")
    batch_bytes = u64(s.get("batch_bytes", 0), "batch_bytes")
    got: list = []
    rc = "SKV_OK"
    while True:
        rc, entries = call(cur.read_batch, batch, batch_bytes)
        if rc != "SKV_OK" or not entries:
            break
        if batch and len(entries) > batch:
            raise CaseFailure(f"expected 1..{batch} entries from read_batch, got {len(entries)}")
        got.extend(entries)
        if len(got) > 50_000_000:
            raise CaseFailure("expected the iterator to end, got more than 50000000 entries")
    check_rc(s, rc)
    if rc == "SKV_OK":
        compare_list(s, got)


def op_scan(c: Case, s: dict) -> None:
    txn = c.txn(s)
    limit = u64(s["limit"], "limit") if "limit" in s else None
    stop_after = u64(s["stop_after"], "stop_after") if "stop_after" in s else 0
    if "stop_after" in s and stop_after == 0:
        raise BadCase("bad 'stop_after'")
    got: list = []

    def entry(k: bytes, v: bytes) -> bool:
        got.append((k, v))
        return bool(stop_after) and len(got) >= stop_after

    rc, _ = call(txn.scan, entry, opt_bytes(s, "lo"), opt_bytes(s, "hi"), limit=limit or None, **parse_flags(s))
    check_rc(s, rc)
    if rc == "SKV_OK":
        compare_list(s, got)
    elif got:
        raise CaseFailure(f"expected no callback on failure, got {len(got)}")


# ---- steps: time travel -------------------------------------------------------------------

HISTORY_FLAGS = {"reverse": "reverse", "keys_only": "keys_only", "tombstones": "tombstones"}


def op_get_at(c: Case, s: dict) -> None:
    txn = c.txn(s)
    k, ts = req_bytes(s, "key"), c.ts(s.get("ts"), "ts")
    rc, val = call(txn.get_at, k, ts)
    if rc == "SKV_OK" and val is None:
        rc = "SKV_NOTFOUND"
    check_rc(s, rc)
    if rc == "SKV_OK":
        check_value(s, val)


def history_args(c: Case, s: dict) -> dict:
    kw = parse_flags(s, HISTORY_FLAGS)
    if "from" in s:
        kw["ts_from"] = c.ts(s["from"], "from")
    if "to" in s:
        kw["ts_to"] = c.ts(s["to"], "to")
    if "limit" in s:
        kw["limit"] = u64(s["limit"], "limit")
    return kw


def check_version(c: Case, want: dict, ts: int, kind: str, idx: int) -> None:
    if "ts" in want:
        wts = c.ts(want["ts"], "ts")
        if ts != wts:
            raise CaseFailure(f"expected entry {idx} ts {wts}, got {ts}")
    if "kind" in want and want["kind"] != kind:
        raise CaseFailure(f"expected entry {idx} kind {want['kind']}, got {kind}")


def op_history(c: Case, s: dict) -> None:
    txn = c.txn(s)
    kw = history_args(c, s)
    rc, gen = call(txn.history, opt_bytes(s, "lo"), opt_bytes(s, "hi"), **kw)
    check_rc(s, rc)
    if rc != "SKV_OK":
        return
    want = s.get("entries")
    if not isinstance(want, list):
        raise BadCase("missing 'entries'")
    rc, got = call(list, gen)
    if rc != "SKV_OK":
        raise CaseFailure(f"expected the versions readable, got {rc}")
    for i, w in enumerate(want):
        if not isinstance(w, dict) or "key" not in w:
            raise BadCase(f"entry {i} needs an object with 'key'")
        wk, wv = req_bytes(w, "key"), opt_bytes(w, "value")
        if i >= len(got):
            raise CaseFailure(f"expected {len(want)} entries, got {len(got)} (then SKV_NOTFOUND)")
        e = got[i]
        if e.key != wk:
            raise CaseFailure(f"expected entry {i} key {show(wk)}, got {show(e.key)}")
        if wv is not None and e.value != wv:
            raise CaseFailure(f"expected entry {i} value {show(wv)}, got {show(e.value)}")
        check_version(c, w, e.timestamp, e.kind, i)
    if len(got) > len(want):
        raise CaseFailure(f"expected {len(want)} entries, got more (next key {show(got[len(want)].key)})")


def op_history_open(c: Case, s: dict) -> None:
    txn = c.txn(s)
    name = c.new_name(s, "iter", c.iters)
    rc, cur = call(txn.history_cursor, opt_bytes(s, "lo"), opt_bytes(s, "hi"), **history_args(c, s))
    if rc == "SKV_OK":
        c.iters[name] = cur
    check_rc(s, rc)


def op_iter_version(c: Case, s: dict) -> None:
    cur = c.iter(s)
    rc, got = call(cur.version)
    if rc == "SKV_OK" and got is None:
        rc = "SKV_NOTFOUND"
    check_rc(s, rc)
    if rc == "SKV_OK":
        check_version(c, s, got[0], got[1], 0)


# ---- steps: checkpoints, restore and the integrity check ----------------------------------


def op_db_dir(method: str):
    def op(c: Case, s: dict) -> None:
        slot = c.db(s)
        rc, _ = call(getattr(slot.db, method), c.case_path(s.get("dir")))
        check_rc(s, rc)

    return op


def op_check(c: Case, s: dict) -> None:
    try:
        if "db" in s:
            report = c.db(s).db.check()
        else:
            report = skv.check_dir(c.case_path(s.get("path")))
        rc = "SKV_OK"
    except skv.Error as e:
        rc, report = e.code, getattr(e, "report", None)
    check_rc(s, rc)
    has = s.get("report_has")
    if has is not None and (report is None or has not in report):
        raise CaseFailure(f'expected a report containing "{has}"')


OPS = {
    "version": op_version,
    "errname": op_errname,
    "options": op_options,
    "open": op_open,
    "close": op_close,
    "reopen": op_reopen,
    "property": op_property,
    "sync": op_db_call("sync"),
    "flush": op_db_call("flush"),
    "compact": op_db_call("compact"),
    "begin": op_begin,
    "set_durability": op_set_durability,
    "set": op_set,
    "set_at": op_set_at,
    "delete": op_key_call("delete"),
    "soft_delete": op_key_call("soft_delete"),
    "replace": op_replace,
    "get": op_get,
    "savepoint": op_txn_call("savepoint"),
    "rollback_to_savepoint": op_txn_call("rollback_to_savepoint"),
    "commit": op_txn_call("commit"),
    "commit_async": op_commit_async,
    "await_commit": op_await_commit,
    "rollback": op_txn_call("rollback"),
    "txn_free": op_txn_free,
    "iter_open": op_iter_open,
    "iter_first": op_iter_move("first"),
    "iter_last": op_iter_move("last"),
    "iter_next": op_iter_move("next"),
    "iter_prev": op_iter_move("prev"),
    "iter_seek": op_iter_move("seek"),
    "iter_key": op_iter_view("key"),
    "iter_value": op_iter_view("value"),
    "iter_free": op_iter_free,
    "collect": op_collect,
    "scan": op_scan,
    # time travel
    "get_at": op_get_at,
    "history": op_history,
    "history_open": op_history_open,
    "iter_version": op_iter_version,
    # checkpoints, restore and the integrity check
    "checkpoint": op_db_dir("checkpoint"),
    "restore": op_db_dir("restore"),
    "check": op_check,
}


def run_case(case: dict) -> Optional[str]:
    """Runs one case in a fresh temporary directory; None when it passed, else the failure
    text (`step <n> (<op>): ...` or `step cleanup: ...`)."""
    directory = tempfile.mkdtemp(prefix="skv-conformance-py-")
    c = Case(case, directory)
    failure = None
    try:
        try:
            c.run()
        except StepFailure as e:
            failure = str(e)
        problem = c.cleanup()
        if problem and failure is None:
            failure = f"step cleanup: {problem}"
    finally:
        if not c.loop.is_closed():
            c.loop.close()
        shutil.rmtree(directory, ignore_errors=True)
    return failure


def main(argv: List[str]) -> int:
    cases_dir = Path(argv[1]) if len(argv) > 1 else CASES_DIR
    skip_file = Path(argv[2]) if len(argv) > 2 else SKIP_FILE
    cases, problems = load_cases(cases_dir)
    skips = load_skip_list(skip_file)
    passed = failed = skipped = 0
    for p in problems:
        print(p)
        failed += 1
    for case in cases:
        cid = case["id"]
        if cid in skips:
            print(f"skip {cid}: {skips[cid]}")
            skipped += 1
            continue
        failure = run_case(case)
        if failure is None:
            print(f"ok {cid}")
            passed += 1
        else:
            print(f"FAIL {cid}: {failure}")
            failed += 1
        sys.stdout.flush()
    total = len(cases) + len(problems)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or total == 0 or passed + len(skips) < total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
