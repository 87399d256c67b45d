#!/usr/bin/env python3
"""bench.py — per-call cost of the skv Python package against py-lmdb and RocksDict (or
plyvel), measured in the same run so that the results are ratios.

    python python/bench/bench.py [--num 100000] [--rounds 7] [--dir /tmp/skv-pybench]

Workloads, each on N keys of 16 bytes with 100-byte values, loaded in key order and then
flushed to the stores' files:
  get        one read of an existing key, the N keys in a shuffled order, inside one read
             transaction
  get (hot)  the same key read N times: the cost of a call when the data is in the CPU cache
  set+commit one write transaction per key (write, commit), eventual durability (no fsync)
  range      iterate 1,000 consecutive entries from a random start (cost per entry)

Every workload runs `--rounds` times per store, the stores taking turns; the best round of
each is reported (the machine is shared, so the minimum is the least disturbed figure). The
cost is the process's CPU time per call (user + system, all threads), which other programs
on a shared machine do not inflate as they do wall time; `--wall` reports wall time instead.
The peers are optional: install them for the benchmark only (`pip install lmdb rocksdict`),
they are never dependencies of skv. `make bench-python` does that in its own environment.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from itertools import islice

VALUE = b"v" * 100
RANGE_LEN = 1000


class SkvStore:
    name = "skv"

    def __init__(self, path):
        import skv

        self.skv = skv
        self.db = skv.open(path)

    def load(self, keys):
        with self.db.transaction() as txn:
            for k in keys:
                txn.set(k, VALUE)
        self.db.flush()

    def get_loop(self, keys):
        with self.db.begin("read_only") as txn:
            get = txn.get
            for k in keys:
                if get(k) is None:
                    raise AssertionError(k)

    def get_c_loop(self, keys):
        """The same gets as bare calls of the C function txn.get() makes (engine + cffi),
        without the package's Python code: the difference to get_loop is what the package
        adds."""
        from skv._skv import lib

        with self.db.begin("read_only") as txn:
            txn.get(keys[0])
            txn.get(keys[0])  # the second get gives this thread the transaction's reader
            r, get = txn._r, lib.skvpy_reader_get
            for k in keys:
                get(r, k, len(k))

    def set_loop(self, keys):
        begin = self.db.begin
        for k in keys:
            txn = begin()
            txn.set(k, VALUE)
            txn.commit()
            txn.close()

    def range_loop(self, starts):
        n = 0
        with self.db.begin("read_only") as txn:
            for s in starts:
                for _ in txn.range(s, limit=RANGE_LEN):
                    n += 1
        return n

    def close(self):
        self.db.close()


class LmdbStore:
    name = "lmdb"

    def __init__(self, path):
        import lmdb

        os.makedirs(path, exist_ok=True)
        self.env = lmdb.open(path, map_size=1 << 32, sync=False, metasync=False)

    def load(self, keys):
        with self.env.begin(write=True) as txn:
            for k in keys:
                txn.put(k, VALUE)

    def get_loop(self, keys):
        with self.env.begin() as txn:
            get = txn.get
            for k in keys:
                get(k)

    def set_loop(self, keys):
        begin = self.env.begin
        for k in keys:
            txn = begin(write=True)
            txn.put(k, VALUE)
            txn.commit()

    def range_loop(self, starts):
        n = 0
        with self.env.begin() as txn:
            cur = txn.cursor()
            for s in starts:
                cur.set_range(s)
                for _ in islice(cur, RANGE_LEN):
                    n += 1
        return n

    def close(self):
        self.env.close()


class RocksDictStore:
    name = "rocksdict"

    def __init__(self, path):
        import rocksdict

        self.rocksdict = rocksdict
        self.db = rocksdict.Rdict(path, options=rocksdict.Options(raw_mode=True))

    def load(self, keys):
        wb = self.rocksdict.WriteBatch(raw_mode=True)
        for k in keys:
            wb.put(k, VALUE)
        self.db.write(wb)
        self.db.flush()

    def get_loop(self, keys):
        get = self.db.get
        for k in keys:
            get(k)

    def set_loop(self, keys):
        # RocksDict has no transactions: one put (one write batch of one entry) per key.
        put = self.db.put
        for k in keys:
            put(k, VALUE)

    def range_loop(self, starts):
        n = 0
        for s in starts:
            for _ in islice(self.db.items(from_key=s), RANGE_LEN):
                n += 1
        return n

    def close(self):
        self.db.close()


class PlyvelStore(RocksDictStore):
    name = "plyvel"

    def __init__(self, path):
        import plyvel

        self.db = plyvel.DB(path, create_if_missing=True)

    def load(self, keys):
        with self.db.write_batch() as wb:
            for k in keys:
                wb.put(k, VALUE)

    def get_loop(self, keys):
        get = self.db.get
        for k in keys:
            get(k)

    def set_loop(self, keys):
        put = self.db.put
        for k in keys:
            put(k, VALUE)

    def range_loop(self, starts):
        n = 0
        for s in starts:
            for _ in islice(self.db.iterator(start=s), RANGE_LEN):
                n += 1
        return n


def available_stores():
    stores = [SkvStore]
    for cls, module in ((LmdbStore, "lmdb"), (RocksDictStore, "rocksdict"), (PlyvelStore, "plyvel")):
        try:
            __import__(module)
        except ImportError:
            print(f"bench: {module} is not installed; skipped", file=sys.stderr)
            continue
        if cls is PlyvelStore and any(s is RocksDictStore for s in stores):
            continue
        stores.append(cls)
    return stores


CLOCK = time.process_time_ns


def timed(fn, *args):
    t0 = CLOCK()
    out = fn(*args)
    return CLOCK() - t0, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num", type=int, default=100_000, help="keys (default 100000)")
    ap.add_argument("--rounds", type=int, default=7, help="rounds per workload (default 7)")
    ap.add_argument("--ranges", type=int, default=100, help="1000-entry ranges per round (default 100)")
    ap.add_argument("--writes", type=int, default=20_000, help="set+commit per round (default 20000)")
    ap.add_argument("--dir", default="/tmp/skv-pybench", help="scratch directory (removed)")
    ap.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    args = ap.parse_args(argv)
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter_ns

    rnd = random.Random(42)
    keys = [b"key%013d" % i for i in range(args.num)]
    shuffled = keys[:]
    rnd.shuffle(shuffled)
    hot = [keys[args.num // 2]] * args.num
    starts = [keys[rnd.randrange(0, args.num - RANGE_LEN)] for _ in range(args.ranges)]

    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    stores = [cls(os.path.join(args.dir, cls.name)) for cls in available_stores()]
    for s in stores:
        s.load(keys)

    best = {s.name: {} for s in stores}

    def record(name, work, t, n):
        b = best[name]
        b[work] = min(b.get(work, t / n), t / n)

    for r in range(args.rounds):
        for s in stores:
            record(s.name, "get", timed(s.get_loop, shuffled)[0], len(shuffled))
            record(s.name, "get (hot)", timed(s.get_loop, hot)[0], len(hot))
            if isinstance(s, SkvStore):
                record(s.name, "get, C call alone", timed(s.get_c_loop, shuffled)[0], len(shuffled))
                record(s.name, "get (hot), C call alone", timed(s.get_c_loop, hot)[0], len(hot))
            wkeys = [b"new%06d-%07d" % (r, i) for i in range(args.writes)]
            record(s.name, "set+commit", timed(s.set_loop, wkeys)[0], len(wkeys))
            t, n = timed(s.range_loop, starts)
            record(s.name, "range (per entry)", t, n)
    for s in stores:
        s.close()
    shutil.rmtree(args.dir, ignore_errors=True)

    names = [s.name for s in stores]
    clock = "wall time" if args.wall else "CPU time"
    print(f"per-call {clock} in ns (best of {args.rounds} rounds; {args.num} keys, 16-byte keys, 100-byte values)")
    header = f"{'workload':<20}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{'skv/' + n:>16}" for n in names[1:])
    print(header)
    for w in ("get", "get (hot)", "set+commit", "range (per entry)"):
        line = f"{w:<20}" + "".join(f"{best[n][w]:>12.0f}" for n in names)
        line += "".join(f"{best['skv'][w] / best[n][w]:>16.2f}" for n in names[1:])
        print(line)
    b = best["skv"]
    print(
        f"skv's get: the C call alone (engine + cffi) takes {b['get, C call alone']:.0f} ns "
        f"({b['get (hot), C call alone']:.0f} ns hot), the package's Python code "
        f"{b['get'] - b['get, C call alone']:.0f} ns ({b['get (hot)'] - b['get (hot), C call alone']:.0f} ns hot)"
    )
    if "lmdb" in best:
        g = best["skv"]["get"] / best["lmdb"]["get"]
        r = best["skv"]["range (per entry)"] / best["lmdb"]["range (per entry)"]
        print(f"targets: get within 1.5x of py-lmdb: {g:.3f}x {'met' if g <= 1.5 else 'NOT met'}; "
              f"range per entry at most py-lmdb's: {r:.3f}x {'met' if r <= 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
