"""test_history.py — time travel (get_at, history generators and cursors) and checkpoints,
restore and the integrity check through the Python API."""
import os
from pathlib import Path

import pytest

import skv
from conftest import fill


def commit(db, fn):
    """Runs fn(txn) in a committed transaction; returns the commit's timestamp."""
    with db.transaction() as txn:
        fn(txn)
    return int(db.property("timestamp"))


@pytest.fixture
def vdb(tmp_path):
    d = skv.open(tmp_path / "vdb", enable_versioning=True)
    yield d
    if not d.closed:
        d.close()


def test_get_at_and_history(vdb):
    t1 = commit(vdb, lambda t: t.set(b"k", b"v1"))
    t2 = commit(vdb, lambda t: t.set(b"k", b"v2"))
    t3 = commit(vdb, lambda t: t.soft_delete(b"k"))
    t4 = commit(vdb, lambda t: t.set("other", "x"))
    assert t1 < t2 < t3 < t4
    with vdb.begin("read_only") as txn:
        assert txn.get(b"k") is None
        assert txn.get_at(b"k", t1 - 1) is None
        assert txn.get_at(b"k", t1) == b"v1"
        assert txn.get_at("k", t2) == b"v2"
        assert txn.get_at(b"k", t3) is None
        got = [tuple(e) for e in txn.history()]
        assert got == [(b"k", b"v2", t2, "set"), (b"k", b"v1", t1, "set"), (b"other", b"x", t4, "set")]
        e = next(txn.history(b"k", b"l", tombstones=True))
        assert (e.key, e.value, e.timestamp, e.kind) == (b"k", b"", t3, "soft_delete")
        assert [e.value for e in txn.history(b"k", b"l", ts_from=t2)] == [b"v2"]
        assert [e.value for e in txn.history(b"k", b"l", ts_to=t1)] == [b"v1"]
        assert [e.value for e in txn.history(limit=2)] == [b"v2", b"v1"]
        assert [e.key for e in txn.history(reverse=True)] == [b"other", b"k", b"k"]
        assert [e.value for e in txn.history(b"k", b"l", reverse=True)] == [b"v1", b"v2"]
        assert [e.value for e in txn.history(keys_only=True)] == [b"", b"", b""]
        with pytest.raises(skv.InvalidArgumentError):
            txn.history(ts_from=5, ts_to=4)


def test_history_sees_own_writes_and_replace(vdb):
    t1 = commit(vdb, lambda t: t.set(b"k", b"old"))
    commit(vdb, lambda t: t.replace(b"k", b"new"))
    with vdb.begin() as txn:
        assert [(e.value, e.kind) for e in txn.history()] == [(b"new", "replace")]
        assert txn.get_at(b"k", t1) is None  # a replace cuts older versions off
        txn.set_at(b"k", b"mine", 7)
        txn.set(b"j", b"unstamped")
        got = [(e.key, e.value, e.timestamp) for e in txn.history()]
        assert got[0] == (b"j", b"unstamped", 0) and got[1] == (b"k", b"mine", 7)


def test_history_cursor(vdb):
    stamps = [commit(vdb, lambda t, i=i: t.set(b"k", b"v%d" % i)) for i in range(3)]
    with vdb.begin() as txn, txn.history_cursor(b"k", b"l") as cur:
        assert cur.version() is None
        assert cur.first() and cur.item() == (b"k", b"v2") and cur.version() == (stamps[2], "set")
        assert cur.next() and cur.version() == (stamps[1], "set")
        assert cur.last() and cur.value() == b"v0"
        assert cur.read_batch() == [(b"k", b"v0")]
        assert not cur.next()
    with vdb.begin() as txn, txn.cursor() as plain:
        plain.first()
        with pytest.raises(skv.InvalidArgumentError):
            plain.version()


def test_history_in_batches_and_large_versions(vdb, monkeypatch):
    import skv._cursor as cursor_mod

    for round_ in range(2):
        fill(vdb, [(b"%05d" % i, b"r%d-%d" % (round_, i)) for i in range(3000)])
    big = [os.urandom(200_000) for _ in range(3)]  # larger than the first history buffer
    for b in big:
        commit(vdb, lambda t, b=b: t.set(b"zbig", b))
    calls = []
    real = cursor_mod._read_versions

    def counting(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(cursor_mod, "_read_versions", counting)
    with vdb.begin() as txn:
        got = list(txn.history())
        assert len(got) == 6003
        assert (got[0].key, got[0].value, got[1].value) == (b"00000", b"r1-0", b"r0-0")
        assert [e.value for e in got[-3:]] == big[::-1]
        assert calls[:3] == [64, 256, 1024] and len(calls) < 40  # batches, not versions
        calls.clear()
        assert len(list(txn.history(limit=10))) == 10 and len(calls) == 2


def test_time_travel_needs_versioning(db):
    fill(db, [(b"k", b"v")])
    with db.begin() as txn:
        with pytest.raises(skv.NotSupportedError):
            txn.get_at(b"k", 1)
        with pytest.raises(skv.NotSupportedError):
            txn.history()
    with db.begin("write_only") as txn:
        with pytest.raises(skv.WriteOnlyError):
            txn.history()


def test_checkpoint_restore_and_check(tmp_path):
    path = tmp_path / "db"
    with skv.open(path) as db:
        fill(db, [(b"k%03d" % i, b"before") for i in range(100)])
        db.flush()
        db.checkpoint(tmp_path / "ckpt")
        fill(db, [(b"k000", b"after"), (b"extra", b"x")])
        old = db.begin()
        report = db.check()
        assert "clean, 0 problems" in report
        db.restore(str(tmp_path / "ckpt"))
        with pytest.raises(skv.ClosedError):  # begun before the restore
            old.get(b"k000")
        old.close()
        with db.begin() as txn:
            assert txn.get(b"k000") == b"before" and txn.get(b"extra") is None
        with pytest.raises(skv.InvalidArgumentError):
            db.checkpoint(tmp_path / "ckpt")  # not empty
    assert "clean, 0 problems" in skv.check_dir(path)
    with skv.open(tmp_path / "ckpt") as copy, copy.begin() as txn:
        assert len(list(txn.range())) == 100


def test_check_reports_damage(tmp_path):
    path = tmp_path / "db"
    with skv.open(path) as db:
        fill(db, [(b"k%04d" % i, b"v" * 64) for i in range(2000)])
        db.flush()
    tables = sorted(Path(path).glob("*.sst"))
    assert tables
    with open(tables[0], "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(skv.CorruptionError) as e:
        skv.check_dir(path)
    assert e.value.code == "SKV_ECORRUPT" and "problem" in e.value.report
    with pytest.raises(skv.NotFoundError):
        skv.check_dir(tmp_path / "nowhere")
