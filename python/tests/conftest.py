"""conftest.py — shared fixtures of the Python package tests."""
import pytest

import skv


@pytest.fixture
def db(tmp_path):
    d = skv.open(tmp_path / "db")
    yield d
    if not d.closed:
        d.close()


def fill(db, items):
    """Commits the (key, value) pairs in one transaction."""
    with db.transaction() as txn:
        for k, v in items:
            txn.set(k, v)
