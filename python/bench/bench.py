#!/usr/bin/env python3
"""bench.py — per-call cost of the skv Python package against py-lmdb and RocksDict (or
plyvel), measured in the same run so that the results are ratios.

    python python/bench/bench.py [--num 100000] [--rounds 7] [--dir /tmp/skv-pybench]

Workloads, each on N keys of 16 bytes with 100-byte values, loaded in key order:
  get        one read of an existing key, in a shuffled order, inside one read transaction
  set+commit one write transaction per key (write, commit), eventual durability
  range      iterate 1,000 consecutive entries from a random start (cost per entry)

Every workload runs `--rounds` times per store, the stores taking turns; the best round of
each is reported (the machine is shared, so the minimum is the least disturbed figure). The
peers are optional: install them for the benchmark only (`pip install lmdb rocksdict`), they
are never dependencies of skv. `make bench-python` does that in its own environment.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time

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
                get(k)

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
                i = 0
                for _ in cur:
                    n += 1
                    i += 1
                    if i == RANGE_LEN:
                        break
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
            i = 0
            for _ in self.db.items(from_key=s):
                i += 1
                if i == RANGE_LEN:
                    break
            n += i
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
            i = 0
            for _ in self.db.iterator(start=s):
                i += 1
                if i == RANGE_LEN:
                    break
            n += i
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


def timed(fn, *args):
    t0 = time.perf_counter_ns()
    fn(*args)
    return time.perf_counter_ns() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--num", type=int, default=100_000, help="keys (default 100000)")
    ap.add_argument("--rounds", type=int, default=7, help="rounds per workload (default 7)")
    ap.add_argument("--ranges", type=int, default=100, help="1000-entry ranges per round (default 100)")
    ap.add_argument("--writes", type=int, default=20_000, help="set+commit per round (default 20000)")
    ap.add_argument("--dir", default="/tmp/skv-pybench", help="scratch directory (removed)")
    args = ap.parse_args(argv)

    rnd = random.Random(42)
    keys = [b"key%013d" % i for i in range(args.num)]
    shuffled = keys[:]
    rnd.shuffle(shuffled)
    starts = [keys[rnd.randrange(0, args.num - RANGE_LEN)] for _ in range(args.ranges)]

    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    stores = [cls(os.path.join(args.dir, cls.name)) for cls in available_stores()]
    for s in stores:
        s.load(keys)

    best = {s.name: {} for s in stores}
    write_round = 0
    for r in range(args.rounds):
        for s in stores:
            b = best[s.name]
            t = timed(s.get_loop, shuffled) / len(shuffled)
            b["get"] = min(b.get("get", t), t)
            wkeys = [b"new%06d-%07d" % (write_round, i) for i in range(args.writes)]
            t = timed(s.set_loop, wkeys) / len(wkeys)
            b["set+commit"] = min(b.get("set+commit", t), t)
            t0 = time.perf_counter_ns()
            n = s.range_loop(starts)
            t = (time.perf_counter_ns() - t0) / n
            b["range (per entry)"] = min(b.get("range (per entry)", t), t)
        write_round += 1
    for s in stores:
        s.close()
    shutil.rmtree(args.dir, ignore_errors=True)

    names = [s.name for s in stores]
    print(f"per-call cost in ns (best of {args.rounds} rounds; {args.num} keys, 16-byte keys, 100-byte values)")
    header = f"{'workload':<20}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{'skv/' + n:>16}" for n in names[1:])
    print(header)
    for w in ("get", "set+commit", "range (per entry)"):
        line = f"{w:<20}" + "".join(f"{best[n][w]:>12.0f}" for n in names)
        line += "".join(f"{best['skv'][w] / best[n][w]:>16.2f}" for n in names[1:])
        print(line)
    if "lmdb" in best:
        g = best["skv"]["get"] / best["lmdb"]["get"]
        r = best["skv"]["range (per entry)"] / best["lmdb"]["range (per entry)"]
        print(f"targets: get within 1.5x of py-lmdb: {g:.2f}x {'met' if g <= 1.5 else 'NOT met'}; "
              f"range per entry at most py-lmdb's: {r:.2f}x {'met' if r <= 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
