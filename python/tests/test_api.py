"""test_api.py — the Python API call by call: values, errors, options, cursors, scans and
batched ranges, with exact outcomes."""
import pickle

import pytest

import skv
from conftest import fill


def test_set_get_bytes_and_str(db):
    with db.transaction() as txn:
        txn.set(b"k1", b"v1")
        txn.set("k2", "wert-\u00fc")  # str is UTF-8
        txn.set(bytearray(b"k3"), memoryview(b"v3"))
        txn.set(b"empty", b"")
    with db.begin("read_only") as txn:
        assert txn.get(b"k1") == b"v1"
        assert txn.get("k1") == b"v1"
        assert txn.get(b"k2") == "wert-\u00fc".encode()
        assert txn.get(b"k3") == b"v3"
        assert txn.get(b"empty") == b""
        assert txn.get(b"missing") is None
        assert type(txn.get(b"k1")) is bytes


def test_binary_keys_and_large_value(db):
    big = bytes(range(256)) * 4096  # 1 MiB
    with db.transaction() as txn:
        txn.set(b"\x00\xff", big)
        txn.set(b"\x00", b"\x00")
    with db.begin() as txn:
        assert txn.get(b"\x00\xff") == big
        assert list(txn.range()) == [(b"\x00", b"\x00"), (b"\x00\xff", big)]


def test_wrong_types_raise_type_error(db):
    with db.begin() as txn:
        with pytest.raises(TypeError):
            txn.set(1, b"v")
        with pytest.raises(TypeError):
            txn.get(None)
        with pytest.raises(TypeError):
            txn.set(b"k", 2.5)
        with pytest.raises(ValueError):
            db.begin(mode="sideways")
        with pytest.raises(ValueError):
            db.begin(durability="forever")


def test_errors_map_names_to_classes(db):
    with db.begin() as txn:
        with pytest.raises(skv.EmptyKeyError) as e:
            txn.set(b"", b"v")
    assert e.value.code == "SKV_EEMPTYKEY"
    assert e.value.errno == skv.error_code("SKV_EEMPTYKEY") < 0
    assert isinstance(e.value, skv.Error) and isinstance(e.value, ValueError)
    assert "empty key" in str(e.value) and str(e.value).startswith("SKV_EEMPTYKEY: ")
    with db.begin() as txn:
        with pytest.raises(skv.TooBigError):
            txn.set(b"k" * 65536, b"v")
    with db.begin("read_only") as txn:
        with pytest.raises(skv.ReadOnlyError):
            txn.set(b"k", b"v")
    with db.begin("write_only") as txn:
        with pytest.raises(skv.WriteOnlyError):
            txn.get(b"k")
        with pytest.raises(skv.NoSavepointError):
            txn.rollback_to_savepoint()
    # every error of skv.h has a class, named after it, that round-trips through pickle
    for name, code, text in skv.ERRORS:
        if code == 0:
            continue
        err = skv.error_from(code)
        assert err.code == name and err.errno == code and err.message == text
        assert type(err).__name__.endswith("Error") and type(err) is not skv.Error
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.code == name and back.message == text
    unknown = skv.error_from(-12345)
    assert type(unknown) is skv.Error and unknown.code == "SKV_UNKNOWN" and unknown.errno == -12345


def test_conflict_and_ended_transactions(db):
    fill(db, [(b"k", b"0")])
    t1, t2 = db.begin(), db.begin()
    t1.set(b"k", b"1")
    t2.set(b"k", b"2")
    t1.commit()
    with pytest.raises(skv.ConflictError) as e:
        t2.commit()
    assert e.value.code == "SKV_ECONFLICT"
    assert t1.ended and t2.ended
    with pytest.raises(skv.ClosedError):  # the engine's answer for an ended transaction
        t2.set(b"k", b"3")
    t1.close()
    t2.close()
    with pytest.raises(skv.ClosedError):  # the package's answer for a released one
        t2.get(b"k")
    t2.close()  # a no-op
    with db.begin() as txn:
        assert txn.get(b"k") == b"1"


def test_savepoints_deletes_and_replace(db):
    fill(db, [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
    with db.transaction() as txn:
        txn.savepoint()
        txn.set(b"a", b"x")
        txn.delete(b"b")
        assert txn.get(b"a") == b"x" and txn.get(b"b") is None
        txn.rollback_to_savepoint()
        assert txn.get(b"a") == b"1" and txn.get(b"b") == b"2"
        txn.soft_delete(b"c")
        txn.replace(b"a", b"A")
    with db.begin() as txn:
        assert list(txn.range()) == [(b"a", b"A"), (b"b", b"2")]


def test_options_by_c_name(tmp_path):
    opts = skv.Options(max_memtable_size=1 << 20, flush_on_close=True, compression="zstd")
    assert opts.set("block_size", "8192") is opts
    with pytest.raises(skv.InvalidArgumentError) as e:
        skv.Options(no_such_option=1)
    assert "no_such_option" in str(e.value)
    with pytest.raises(skv.InvalidArgumentError):
        skv.Options(max_memtable_size="lots")
    with pytest.raises(TypeError):
        skv.Options(max_memtable_size=[1])
    with skv.open(tmp_path / "db", max_memtable_size=65536, block_size=1024, mmap_reads=False) as d:
        for part in range(30):  # a transaction must fit in one (here small) memtable
            fill(d, [(b"k%05d" % (part * 100 + i), b"v" * 50) for i in range(100)])
        d.flush()
        assert d.property("level-files").split()[0] != "0"
    with pytest.raises(skv.NotFoundError):
        skv.open(tmp_path / "absent", create_if_missing=False)


def test_database_calls_and_properties(db):
    seq0 = int(db.property("sequence"))
    fill(db, [(b"k", b"v")])
    assert int(db.property("sequence")) == seq0 + 1
    assert int(db.property("timestamp")) > 0
    assert "sequence" in db.property("stats").lower() or db.property("stats")
    db.sync()
    db.flush()
    assert db.property("level-files").split()[0] == "1"
    db.compact()
    assert db.property("level-files").split()[0] == "0"
    with pytest.raises(skv.InvalidArgumentError):
        db.property("no-such-property")
    db.close()
    assert db.closed
    for call in (db.flush, db.compact, db.sync, db.begin, db.close, lambda: db.property("stats")):
        with pytest.raises(skv.ClosedError):
            call()


def test_cursor_moves_and_reads(db):
    fill(db, [(k, k.upper()) for k in (b"a", b"b", b"c", b"d")])
    with db.begin() as txn, txn.cursor(b"b", None) as cur:
        assert cur.key() is None and cur.value() is None and cur.item() is None
        assert cur.first() and cur.item() == (b"b", b"B")
        assert cur.next() and cur.key() == b"c"
        assert cur.last() and cur.key() == b"d"
        assert not cur.next()
        assert cur.seek(b"bb") and cur.key() == b"c"
        assert cur.prev() and cur.key() == b"b"
        assert not cur.prev()
        assert not cur.seek(b"z")
        cur.first()
        assert cur.read_batch(2) == [(b"b", b"B"), (b"c", b"C")]
        assert cur.read_batch(0, 0, keys_only=True) == [b"d"]
        assert cur.read_batch() == []
        assert cur.first() and cur.read_batch(10**7) == [(b"b", b"B"), (b"c", b"C"), (b"d", b"D")]
    with db.begin() as txn:
        cur = txn.cursor(reverse=True, keys_only=True)
        assert list(cur) == [(b"d", b""), (b"c", b""), (b"b", b""), (b"a", b"")]
        cur.close()
        with pytest.raises(skv.ClosedError):
            cur.first()


def test_range_bounds_direction_limit(db):
    fill(db, [(b"%03d" % i, b"v%d" % i) for i in range(100)])
    with db.begin() as txn:
        assert [k for k, _ in txn.range(b"010", b"013")] == [b"010", b"011", b"012"]
        assert [k for k, _ in txn.range("095")] == [b"%03d" % i for i in range(95, 100)]
        assert [k for k, _ in txn.range(None, b"003", reverse=True)] == [b"002", b"001", b"000"]
        assert list(txn.range(limit=2)) == [(b"000", b"v0"), (b"001", b"v1")]
        assert list(txn.range(limit=0)) == []
        assert list(txn.range(b"050", b"053", keys_only=True)) == [b"050", b"051", b"052"]
        assert list(txn.range(b"", b"")) == []
        with pytest.raises(ValueError):
            txn.range(limit=-1)


def test_range_reads_in_batches(db, monkeypatch):
    import skv._cursor as cursor_mod

    n = 10_000
    fill(db, [(b"%06d" % i, b"%d" % i) for i in range(n)])
    calls = []
    real = cursor_mod._read_batch

    def counting(*args):
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(cursor_mod, "_read_batch", counting)
    with db.begin() as txn:
        got = list(txn.range())
        assert len(got) == n and got[0] == (b"000000", b"0") and got[-1] == (b"009999", b"9999")
        # 64, 256, 1024, 1024, ... entries per call: one crossing per batch, not per entry
        assert calls[:3] == [64, 256, 1024]
        assert len(calls) == 2 + -(-(n - 64 - 256) // 1024) + 1  # the last one finds the end
        calls.clear()
        assert len(list(txn.range(limit=100))) == 100
        assert calls == [100]  # a limit up to 1024 is one call
        calls.clear()
        assert len(list(txn.range(limit=2000))) == 2000
        assert calls == [64, 256, 1024, 656]
        calls.clear()
        back = list(txn.range(reverse=True, limit=3000))
        assert [k for k, _ in back[:2]] == [b"009999", b"009998"] and len(back) == 3000


def test_range_batch_formats_are_reused_only_when_equal(db, monkeypatch):
    import skv._cursor as cursor_mod

    fill(db, [(b"k%03d" % i, b"v%02d" % (i % 100)) for i in range(200)] + [(b"z", b"long value")])
    compiled = []
    real = cursor_mod._Struct

    def counting(fmt):
        compiled.append(fmt)
        return real(fmt)

    monkeypatch.setattr(cursor_mod, "_Struct", counting)
    want = [(b"k%03d" % i, b"v%02d" % (i % 100)) for i in range(200)]
    with db.begin() as txn:
        for _ in range(3):  # one format, compiled once
            assert list(txn.range(limit=100)) == want[:100]
        assert len(compiled) == 1
        assert list(txn.range(b"k150", limit=100)) == want[150:] + [(b"z", b"long value")]
        assert list(txn.range(b"k150", b"k160")) == want[150:160]  # a prefix of the last one
        assert list(txn.range(b"k150", b"k160", keys_only=True)) == [k for k, _ in want[150:160]]
        assert list(txn.range(b"k100", limit=10)) == want[100:110]
        assert len(compiled) == 5
        assert txn.cursor(b"k000").read_batch(100) == want[:100]  # the first format again
        assert len(compiled) == 6


def test_range_sees_own_writes_at_call_time(db):
    fill(db, [(b"a", b"1"), (b"c", b"3")])
    with db.begin() as txn:
        txn.set(b"b", b"2")
        txn.delete(b"c")
        it = txn.range()
        txn.set(b"d", b"4")  # after the range was opened: not seen by it
        assert list(it) == [(b"a", b"1"), (b"b", b"2")]
        assert list(txn.range()) == [(b"a", b"1"), (b"b", b"2"), (b"d", b"4")]


def test_scan_callback_stop_and_errors(db):
    fill(db, [(b"%d" % i, b"v") for i in range(10)])
    seen = []
    with db.begin() as txn:
        txn.scan(lambda k, v: seen.append(k) or len(seen) == 3)
        assert seen == [b"0", b"1", b"2"]
        seen.clear()
        txn.scan(lambda k, v: seen.append((k, v)), b"5", b"7", reverse=True, keys_only=True)
        assert seen == [(b"6", b""), (b"5", b"")]
        seen.clear()
        txn.scan(lambda k, v: seen.append(k), limit=4)
        assert seen == [b"0", b"1", b"2", b"3"]

        def boom(k, v):
            raise KeyError(k)

        with pytest.raises(KeyError) as e:
            txn.scan(boom)
        assert e.value.args == (b"0",)
    with db.begin("write_only") as txn:
        with pytest.raises(skv.WriteOnlyError):
            txn.scan(lambda k, v: None)


def test_version_and_error_functions():
    assert skv.abi_version() == skv.ABI_VERSION
    assert skv.version_string() == skv.__version__ == "%d.%d.%d" % skv.VERSION
    assert skv.version_number() == skv.VERSION[0] * 10000 + skv.VERSION[1] * 100 + skv.VERSION[2]
    assert skv.errname(skv.error_code("SKV_ECONFLICT")) == "SKV_ECONFLICT"
    assert skv.errname(0) == "SKV_OK"
    assert skv.errname(-999) == "SKV_UNKNOWN"
    assert skv.strerror(skv.error_code("SKV_ECLOSED"))
    with pytest.raises(ValueError):
        skv.error_code("SKV_NOPE")
