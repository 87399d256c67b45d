"""tour.py — a quick tour of skv from Python: open a folder, check what earlier tours left,
then a transaction, a conflict, a range scan, a versioned read, an async commit, a
checkpoint and the integrity check.

    python tour.py [dbdir]          (default ./skv-tour.db)

`make tour` runs four tours on one database: C (tools/tour.c), this one, Node
(node/examples/tour.js) and Go (go/examples/tour). The tour of language L keeps its keys in
[L/, L0) and leaves L/apple = green, L/cherry = dark red and L/elderberry = purple;
tour/red-at/L holds a timestamp at which L/apple was still red, and tour/langs lists the
languages whose tours ran. Each tour checks what the others left and exits non-zero with a
message when something differs, so together they check that the packages agree.
"""

import asyncio
import os
import shutil
import sys

import skv

LANG = "python"
LEFT = {"apple": b"green", "cherry": b"dark red", "elderberry": b"purple"}


def say(*words):
    print(f"{LANG}:", *words, flush=True)


def expect(what, got, want):
    if got != want:
        sys.exit(f"{LANG} tour: {what} is {got!r}, expected {want!r}")


def check_tour_of(txn, lang):
    """The tour of `lang` left exactly its three keys, and lang/apple was red back then."""
    left = dict(txn.range(f"{lang}/".encode(), f"{lang}0".encode()))
    shown = ", ".join(f"{k.decode()} = {v.decode()}" for k, v in left.items())
    say(f"  the {lang} tour left:", shown)
    expect(f"what the {lang} tour left", left, {f"{lang}/{k}".encode(): v for k, v in LEFT.items()})
    red_at = int(txn.get(f"tour/red-at/{lang}") or 0)  # 0 when missing: nothing was red then
    expect(f"{lang}/apple as of {red_at}", txn.get_at(f"{lang}/apple", red_at), b"red")
    say(f"    {lang}/apple as of {red_at} -> red")


async def add_elderberry(db):
    with db.begin() as txn:
        txn.set("python/elderberry", "purple")
        await txn.commit_async()  # the engine completes it on its own thread


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "skv-tour.db"
    with skv.open(path, enable_versioning=True) as db:
        say("== opened", path, "with versioning")

        say("== what the earlier tours wrote")
        with db.begin("read_only") as txn:
            langs = (txn.get("tour/langs") or b"").decode().split()
            say("  tour/langs =", " ".join(langs) or "(not found: the first tour here)")
            for lang in langs:
                check_tour_of(txn, lang)

        say("== clear what an earlier run of this tour left")
        with db.transaction() as txn:
            old = list(txn.range(b"python/", b"python0", keys_only=True))
            for key in old:
                txn.delete(key)
        say(f"  deleted {len(old)} keys")

        say("== a transaction: set, get, delete, commit")
        with db.transaction() as txn:  # commits when the block ends
            txn.set("python/apple", "red")
            txn.set("python/banana", "yellow")
            txn.set("python/cherry", "dark red")
            expect("python/banana", txn.get("python/banana"), b"yellow")
            txn.delete("python/banana")
        red_at = int(db.property("timestamp"))  # the commit's timestamp
        say(f"  committed apple = red, cherry = dark red at {red_at}")

        say("== a conflict: two transactions write python/apple, the first commit wins")
        with db.begin() as t1, db.begin() as t2:
            t1.set("python/apple", "green")
            t2.set("python/apple", "crimson")
            t1.commit()
            try:
                t2.commit()
                sys.exit(f"{LANG} tour: the second commit did not conflict")
            except skv.ConflictError as err:
                say("  second commit ->", err.code)

        say("== a range scan of [python/, python0)")
        with db.begin("read_only") as txn:
            scanned = list(txn.range(b"python/", b"python0"))
            for key, value in scanned:
                say(f"  {key.decode()} = {value.decode()}")
            want = [(b"python/apple", b"green"), (b"python/cherry", b"dark red")]
            expect("the scan", scanned, want)

            say("== a versioned read: python/apple as of the first commit")
            old_apple = txn.get_at("python/apple", red_at)
            now = txn.get("python/apple")
            say(f"  get_at python/apple {red_at} -> {old_apple.decode()}, now {now.decode()}")
            expect("python/apple back then", old_apple, b"red")

        say("== an async commit (asyncio)")
        asyncio.run(add_elderberry(db))
        with db.begin("read_only") as txn:
            expect("python/elderberry", txn.get("python/elderberry"), b"purple")
        say("  committed python/elderberry = purple")

        say("== a note for the next tours")
        if LANG not in langs:
            langs.append(LANG)
        with db.transaction() as txn:
            txn.set("tour/red-at/python", str(red_at))
            txn.set("tour/langs", " ".join(langs))
        say("  tour/red-at/python =", red_at, "and tour/langs =", " ".join(langs))

        say("== a checkpoint next to the database folder")
        copy_path = os.path.abspath(path) + "-checkpoint"
        shutil.rmtree(copy_path, ignore_errors=True)
        db.checkpoint(copy_path)
        with skv.open(copy_path, enable_versioning=True) as copy, copy.begin("read_only") as txn:
            expect("python/elderberry in the checkpoint", txn.get("python/elderberry"), b"purple")
        say("  checkpoint in", copy_path, "opens and holds python/elderberry")

        say("== the integrity check")
        say(" ", db.check().splitlines()[-1])
    say("tour complete:", path)


if __name__ == "__main__":
    main()
