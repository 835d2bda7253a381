"""How scripts/run-tests spreads the suite over its workers (tests/conftest.py): the heaviest
files first, in the order pytest-xdist hands them out, and the split files' tests one by one."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import (
    FILE_SECONDS,
    SPLIT_FILES,
    _heaviest_files_first,
    pytest_xdist_make_scheduler,
)

ROOT = Path(__file__).resolve().parents[1]


def _items(*nodeids: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]


def test_the_heaviest_files_go_first_and_each_file_keeps_its_order() -> None:
    small = "tests/core/test_small.py"
    items = _items(
        f"{small}::test_a",
        "tests/web/test_role_matrix.py::test_x[1]",
        "tests/web/test_privacy_crawl.py::test_one",
        "tests/web/test_role_matrix.py::test_x[0]",
        "tests/web/test_privacy_crawl.py::test_two",
    )
    _heaviest_files_first(items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        "tests/web/test_privacy_crawl.py::test_one",
        "tests/web/test_privacy_crawl.py::test_two",
        "tests/web/test_role_matrix.py::test_x[1]",
        "tests/web/test_role_matrix.py::test_x[0]",
        f"{small}::test_a",
    ]


def test_an_unlisted_file_weighs_by_its_number_of_tests() -> None:
    many = [f"tests/core/test_many.py::test_{i}" for i in range(10)]
    items = _items("tests/core/test_few.py::test_a", *many)
    _heaviest_files_first(items)  # type: ignore[arg-type]
    assert items[0].nodeid == many[0]


def test_the_listed_files_exist() -> None:
    """A renamed file would silently fall back to its test count."""
    assert [name for name in {*FILE_SECONDS, *SPLIT_FILES} if not (ROOT / name).is_file()] == []


@pytest.mark.parametrize("name", sorted(SPLIT_FILES))
def test_a_split_file_has_no_fixture_wider_than_a_test(name: str) -> None:
    """Its tests may run on different workers: a module fixture would be built on each."""
    tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
    scopes = [
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant)
    ]
    assert scopes == []


def test_the_scheduler_hands_out_split_files_test_by_test() -> None:
    pytest.importorskip("xdist")
    config = SimpleNamespace(
        getvalue=lambda name: "loadfile",
        option=SimpleNamespace(loadscopereorder=True, maxworkerrestart=None, numprocesses=2),
        getoption=lambda name, default=None: default,
    )
    scheduler = pytest_xdist_make_scheduler(config, None)
    assert config.option.loadscopereorder is False  # the collection's order is kept
    split = "tests/web/test_role_matrix.py::test_x[0]"
    assert scheduler._split_scope(split) == split
    assert scheduler._split_scope("tests/core/test_a.py::test_b") == "tests/core/test_a.py"


def test_other_distributions_keep_pytest_xdist_s_scheduler() -> None:
    config = SimpleNamespace(getvalue=lambda name: "load")
    assert pytest_xdist_make_scheduler(config, None) is None
