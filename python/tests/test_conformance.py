"""test_conformance.py — every case of the shared conformance suite (tests/conformance/) as
one pytest test, run through the public skv package by conformance.py; a case is skipped only
through the checked-in list tests/conformance/skip/python.txt, with its reason."""
import pytest

import conformance

CASES, PROBLEMS = conformance.load_cases()
SKIPS = conformance.load_skip_list()


def test_suite_is_readable():
    assert CASES, f"no cases found in {conformance.CASES_DIR}"
    assert PROBLEMS == []


def test_skip_list_names_cases_with_reasons():
    ids = {c["id"] for c in CASES}
    for cid, reason in SKIPS.items():
        assert cid in ids, f"skip list names an unknown case {cid}"
        assert reason and reason != "(no reason given)", f"skip list entry {cid} has no reason"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    if case["id"] in SKIPS:
        pytest.skip(SKIPS[case["id"]])
    failure = conformance.run_case(case)
    assert failure is None, f"{case['id']}: {failure}"
