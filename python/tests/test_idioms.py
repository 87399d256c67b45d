"""test_idioms.py — the Python idioms: context managers, generators closed early, threads
(parallel progress with the GIL released, shared handles), asyncio commits, garbage
collection of a database with live children, interpreter exit with an open database."""
import asyncio
import gc
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import pytest

import skv
from conftest import fill

# ---- context managers ---------------------------------------------------------------------


def test_db_context_manager_closes(tmp_path):
    with skv.open(tmp_path / "db") as db:
        fill(db, [(b"k", b"v")])
    assert db.closed
    with skv.open(tmp_path / "db") as db:  # the lock was released
        with db.begin() as txn:
            assert txn.get(b"k") == b"v"


def test_transaction_commits_on_success(db):
    with db.transaction() as txn:
        txn.set(b"k", b"v")
    assert txn.ended
    with db.transaction("read_only") as txn:  # released, not committed (no error)
        assert txn.get(b"k") == b"v"
    with db.transaction(durability="immediate") as txn:
        txn.set(b"k2", b"v2")
    with db.begin() as txn:
        assert txn.get(b"k2") == b"v2"


def test_transaction_rolls_back_on_exception(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as txn:
            txn.set(b"k", b"v")
            raise RuntimeError("no")
    with db.begin() as txn:
        assert txn.get(b"k") is None


def test_transaction_conflict_raises_and_writes_nothing(db):
    fill(db, [(b"k", b"0")])
    with pytest.raises(skv.ConflictError):
        with db.transaction() as txn:
            txn.set(b"k", b"mine")
            fill(db, [(b"k", b"theirs")])  # commits first
    with db.begin() as txn:
        assert txn.get(b"k") == b"theirs"


def test_transaction_block_may_end_it_itself(db):
    with db.transaction() as txn:
        txn.set(b"a", b"1")
        txn.commit()
    with db.transaction() as txn:
        txn.set(b"b", b"2")
        txn.rollback()
    with db.begin() as txn:
        assert txn.get(b"a") == b"1" and txn.get(b"b") is None


def test_begin_context_manager_rolls_back_uncommitted(db):
    with db.begin() as txn:
        txn.set(b"k", b"v")
    with pytest.raises(skv.ClosedError):
        txn.get(b"k")
    with db.begin() as txn:
        assert txn.get(b"k") is None


# ---- generators ---------------------------------------------------------------------------


def test_generator_closed_early_releases_its_iterator(db):
    fill(db, [(b"%04d" % i, b"v") for i in range(5000)])
    with db.begin() as txn:
        gen = txn.range()
        assert next(gen) == (b"0000", b"v")
        cursor = weakref.ref(gen.gi_frame.f_locals["cur"])
        gen.close()
        assert cursor() is None  # the generator let go of its cursor, which freed the iterator
        for k, _ in txn.range(b"0100"):  # break out of a for loop
            if k == b"0102":
                break
        txn.set(b"new", b"1")  # the transaction goes on
        txn.commit()
    with db.begin() as txn:
        assert txn.get(b"new") == b"1"


def test_generator_dropped_unstarted_and_after_close(db):
    fill(db, [(b"a", b"1"), (b"b", b"2")])
    txn = db.begin()
    unstarted = txn.range()
    started = txn.range()
    next(started)
    del unstarted, started
    gc.collect()
    txn.close()
    with pytest.raises(skv.ClosedError):
        txn.range()
    gen_txn = db.begin()
    gen = gen_txn.range()
    next(gen)
    gen_txn.close()  # the generator's iterator now answers SKV_ECLOSED
    with pytest.raises(skv.ClosedError):
        list(gen)


def test_cursor_collected_while_transaction_busy_is_freed_later(db):
    fill(db, [(b"a", b"1")])
    txn = db.begin()
    cur = txn.cursor()
    assert cur.first()
    with txn._lock:  # as if another thread were inside a call on the transaction
        acquired = []

        def drop():
            nonlocal cur
            acquired.append(txn._lock.acquire(False))  # another thread cannot take it
            c, cur = cur, None
            del c
            gc.collect()

        holder = threading.Thread(target=drop)
        holder.start()
        holder.join()
    assert acquired == [False]
    assert len(txn._orphans) == 1
    txn.cursor().close()  # the next iterator open frees the orphan
    assert txn._orphans == []
    txn.close()


# ---- threads ------------------------------------------------------------------------------


def test_gil_released_during_a_long_engine_call(tmp_path):
    db = skv.open(tmp_path / "db", max_memtable_size=1 << 26)
    value = b"x" * 200
    for part in range(4):
        fill(db, [(b"k%08d" % (part * 50_000 + i), value) for i in range(50_000)])
    db.flush()
    fill(db, [(b"k%08d" % i, b"y" * 200) for i in range(0, 200_000, 2)])
    span = {}

    def compact():
        span["start"] = time.monotonic()
        db.compact()
        span["end"] = time.monotonic()

    ticks = []
    t = threading.Thread(target=compact)
    t.start()
    while t.is_alive():
        ticks.append(time.monotonic())
    t.join()
    start, end = span["start"], span["end"]
    inside = [x for x in ticks if start < x < end]
    assert end - start > 0.02, "compaction too short to tell"
    # with the GIL held for the whole call this thread could not have run at all meanwhile
    assert len(inside) > 100, (len(inside), end - start)
    assert db.property("level-files").split()[0] == "0"
    db.close()


def test_threads_share_a_database(db):
    errors = []

    def worker(n):
        try:
            for i in range(200):
                while True:
                    try:
                        with db.transaction() as txn:
                            txn.set(b"t%d-%d" % (n, i), b"%d" % i)
                            txn.set(b"counter-%d" % (i % 5), b"%d" % n)
                        break
                    except skv.ConflictError:
                        continue
                with db.begin("read_only") as txn:
                    assert txn.get(b"t%d-%d" % (n, i)) == b"%d" % i
                    assert len(list(txn.range(b"t%d-" % n, b"t%d." % n))) == i + 1
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.begin() as txn:
        assert len(list(txn.range(b"t", b"u"))) == 6 * 200


def test_threads_share_one_transaction(db):
    fill(db, [(b"%04d" % i, b"v") for i in range(2000)])
    txn = db.begin()
    errors = []

    def reader():
        try:
            for _ in range(20):
                assert len(list(txn.range())) >= 2000
                assert txn.get(b"0001") == b"v"
        except Exception as e:  # pragma: no cover
            errors.append(e)

    def writer(n):
        try:
            for i in range(300):
                txn.set(b"w%d-%d" % (n, i), b"x")
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    txn.commit()
    txn.close()
    with db.begin() as txn:
        assert len(list(txn.range(b"w", b"x"))) == 900


def test_gets_of_one_thread_skip_the_lock(db):
    fill(db, [(b"k%d" % i, b"v%d" % i) for i in range(10)])
    fill(db, [(b"big", b"b" * 5000), (b"empty", b"")])
    txn = db.begin()
    got = []
    owns, locked = threading.Event(), threading.Event()

    def owner():
        got.append(txn.get(b"k1"))  # the first get takes the lock, the second makes the reader
        got.append(txn.get(b"k2"))
        owns.set()
        locked.wait()
        got.extend([txn.get(b"k3"), txn.get(b"nope"), txn.get("k4"), txn.get(b"empty")])

    t = threading.Thread(target=owner)
    t.start()
    owns.wait()
    with txn._lock:  # as if another thread were inside a call on the transaction
        locked.set()
        t.join(10)
        finished = not t.is_alive()
    t.join()
    assert finished  # its gets after the second did not wait for the lock
    assert got == [b"v1", b"v2", b"v3", None, b"v4", b""]
    assert txn._owner == t.ident and txn._r is not None
    assert txn.get(b"k5") == b"v5"  # another thread: it shares the reader, then takes the lock
    assert txn._r is None and txn._owner == -1
    txn.close()


def test_reader_owner_reads_long_values_and_errors(db):
    fill(db, [(b"big", b"b" * 5000), (b"k", b"v")])
    txn = db.begin()
    assert [txn.get(b"k"), txn.get(b"k")] == [b"v", b"v"]
    assert txn._owner == threading.get_ident()
    assert txn.get(b"big") == b"b" * 5000  # longer than the reader's buffer: read under the lock
    txn.set(b"own", b"write")
    assert txn.get(b"own") == b"write"
    assert txn._owner == threading.get_ident()  # its own calls keep the reader
    txn.commit()
    with pytest.raises(skv.ClosedError):
        txn.get(b"k")
    txn.close()
    with pytest.raises(skv.ClosedError):
        txn.get(b"k")
    with db.begin("write_only") as wo:
        for _ in range(3):
            with pytest.raises(skv.WriteOnlyError):
                wo.get(b"k")


@pytest.mark.parametrize("call", ["get", "set", "range", "cursor"])
def test_reader_shared_while_its_owner_reads(db, call):
    n = 400
    fill(db, [(b"k%04d" % i, b"v%04d" % i) for i in range(n)])
    for _ in range(10):
        txn = db.begin()
        assert [txn.get(b"k0000"), txn.get(b"k0001")] == [b"v0000", b"v0001"]  # the reader
        errors = []
        go = threading.Event()

        def other():
            go.wait()
            try:
                for i in range(0, n, 7):
                    if call == "get":
                        assert txn.get(b"k%04d" % i) == b"v%04d" % i
                    elif call == "set":
                        txn.set(b"w%04d" % i, b"x")
                    elif call == "range":
                        first = list(txn.range(b"k%04d" % i, limit=2))[0]
                        assert first == (b"k%04d" % i, b"v%04d" % i)
                    else:
                        with txn.cursor(b"k%04d" % i) as cur:
                            assert cur.first() and cur.item() == (b"k%04d" % i, b"v%04d" % i)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        t = threading.Thread(target=other)
        t.start()
        go.set()
        mine = [txn.get(b"k%04d" % i) for i in range(n)]
        t.join()
        assert errors == []
        assert mine == [b"v%04d" % i for i in range(n)]
        assert txn._r is None and txn._owner == -1  # the other thread's first call shared it
        assert txn.get(b"k0399") == b"v0399"
        txn.close()


def test_close_waits_for_calls_on_other_threads(tmp_path):
    db = skv.open(tmp_path / "db")
    fill(db, [(b"k%06d" % i, b"v" * 100) for i in range(100_000)])
    results = []

    def flush():
        try:
            db.compact()
            results.append("compacted")
        except skv.ClosedError:
            results.append("closed")

    t = threading.Thread(target=flush)
    t.start()
    time.sleep(0.01)
    db.close()  # waits for the compaction if it already started
    t.join()
    assert results in (["compacted"], ["closed"])
    with skv.open(tmp_path / "db") as again, again.begin() as txn:
        assert txn.get(b"k000042") == b"v" * 100


# ---- asyncio ------------------------------------------------------------------------------


def test_commit_async(db):
    async def main():
        txn = db.begin()
        txn.set(b"k", b"v")
        fut = txn.commit_async()
        assert not fut.done()  # never resolved inside the call
        await fut
        txn.close()
        # many in flight at once
        txns = [db.begin() for _ in range(50)]
        for i, t in enumerate(txns):
            t.set(b"a%02d" % i, b"%d" % i)
        await asyncio.gather(*(t.commit_async() for t in txns))
        for t in txns:
            t.close()

    asyncio.run(main())
    with db.begin() as txn:
        assert txn.get(b"k") == b"v"
        assert len(list(txn.range(b"a", b"b"))) == 50


def test_commit_async_raises_mapped_errors(db):
    fill(db, [(b"k", b"0")])

    async def main():
        t1, t2 = db.begin(), db.begin()
        t1.set(b"k", b"1")
        t2.set(b"k", b"2")
        await t1.commit_async()
        with pytest.raises(skv.ConflictError):
            await t2.commit_async()  # reported through the callback
        ro = db.begin("read_only")
        with pytest.raises(skv.ReadOnlyError):
            ro.commit_async()  # an immediate error: raised by the call
        with pytest.raises(skv.ClosedError):
            await t1.commit_async()  # ended
        for t in (t1, t2, ro):
            t.close()

    asyncio.run(main())


def test_commit_async_needs_a_running_loop(db):
    with db.begin() as txn:
        with pytest.raises(RuntimeError):
            txn.commit_async()
        assert not txn.ended


def test_commit_async_cancelled_still_commits(db):
    async def main():
        txn = db.begin()
        txn.set(b"k", b"v")
        fut = txn.commit_async()
        fut.cancel()
        await asyncio.sleep(0.2)
        txn.close()

    asyncio.run(main())
    db.close()  # every callback has run
    with skv.open(db.path) as again, again.begin() as txn:
        assert txn.get(b"k") == b"v"


def test_commit_async_never_touches_a_closed_loop(db, capfd):
    loop = asyncio.new_event_loop()
    txns = []

    async def submit():
        for i in range(20):
            t = db.begin("read_write", "immediate")
            t.set(b"k%d" % i, b"v")
            txns.append(t)
            t.commit_async()

    loop.run_until_complete(submit())
    loop.close()  # before the engine has answered (it fsyncs first)
    db.close()  # waits for every callback: they find the loop closed
    out, err = capfd.readouterr()
    assert err == "" and out == ""
    for t in txns:
        t.close()
    with skv.open(db.path) as again, again.begin() as txn:
        assert len(list(txn.range())) == 20


# ---- garbage collection and interpreter exit ----------------------------------------------


def test_gc_of_database_with_live_transactions_and_iterators(tmp_path):
    path = tmp_path / "db"
    db = skv.open(path)
    fill(db, [(b"%03d" % i, b"v") for i in range(300)])
    txn = db.begin()
    txn.set(b"uncommitted", b"x")
    gen = txn.range()
    next(gen)
    cur = txn.cursor()
    cur.first()
    cycle = [db, txn, gen, cur]
    cycle.append(cycle)
    ref = weakref.ref(db)
    del db, txn, gen, cur, cycle
    with pytest.warns(ResourceWarning):
        gc.collect()
    assert ref() is None
    with skv.open(path) as db, db.begin() as txn:  # the lock is free again
        assert len(list(txn.range())) == 300
        assert txn.get(b"uncommitted") is None


def test_collected_database_leaves_children_usable_and_closed(tmp_path):
    db = skv.open(tmp_path / "db")
    fill(db, [(b"a", b"1")])
    txn = db.begin()
    db.close()
    with pytest.raises(skv.ClosedError):
        txn.get(b"a")
    del db
    gc.collect()
    txn.close()


SHUTDOWN_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, threading, time
    import skv

    db = skv.open(sys.argv[1])
    with db.transaction() as t:
        t.set(b"k", b"v")
    live = db.begin()                      # a live transaction
    gen = live.range()                     # and a live iterator
    next(gen, None)
    loop = asyncio.new_event_loop()        # an async commit still in flight
    pending = db.begin("read_write", "immediate")
    pending.set(b"k2", b"v2")
    async def submit():
        return pending.commit_async()
    loop.run_until_complete(submit())

    def hammer():                          # a daemon thread still using the database
        i = 0
        try:
            while True:
                with db.transaction() as t:
                    t.set(b"h", b"%d" % i)
                i += 1
        except skv.ClosedError:
            pass
    threading.Thread(target=hammer, daemon=True).start()
    time.sleep(0.05)
    print("exiting")
    """
)


def test_interpreter_exit_with_an_open_database(tmp_path):
    path = tmp_path / "db"
    proc = subprocess.run(
        [sys.executable, "-c", SHUTDOWN_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # not the source tree: the installed package
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "exiting\n"
    assert proc.stderr == ""
    with skv.open(path) as db, db.begin() as txn:
        assert txn.get(b"k") == b"v"
        assert txn.get(b"k2") == b"v2"  # the async commit finished before the close
        assert txn.get(b"h") is not None
