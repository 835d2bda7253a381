"""A generation bumped by many rows of one transaction is replaced once when it commits
(``core.caching.generation_bump``), and a savepoint rolled back loses no other row's bump."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from tashawur.core.caching import _generation_key, generation, generation_bump

pytestmark = pytest.mark.django_db

SCOPES = [f"test:{n}" for n in range(50)]


def _set_many_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The cache writes, each as the keys and values it wrote (a ``set`` writes one)."""
    calls: list[dict[str, Any]] = []
    set_many, set_one = cache.set_many, cache.set
    in_set_many: list[bool] = []  # locmem's set_many calls set for each key

    def counting(data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(dict(data))
        in_set_many.append(True)
        try:
            return set_many(data, *args, **kwargs)
        finally:
            in_set_many.pop()

    def counting_one(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if not in_set_many:
            calls.append({key: value})
        return set_one(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set_many", counting)
    monkeypatch.setattr(cache, "set", counting_one)
    return calls


def test_many_bumps_of_one_transaction_are_replaced_in_one_write_on_commit(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    calls = _set_many_calls(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for scope in SCOPES:
            generation_bump(scope)
            generation_bump(scope)  # a row saved twice
        assert len(calls) == 2 * len(SCOPES)  # each at once, for the writer's own reads
        before_commit = {scope: generation(scope) for scope in SCOPES}
    assert len(callbacks) == 2 * len(SCOPES)
    on_commit = calls[2 * len(SCOPES) :]
    assert len(on_commit) == 1
    # with, maybe, what an earlier transaction rolled back left waiting (bumped once too often)
    assert {_generation_key(scope) for scope in SCOPES} <= set(on_commit[0])
    assert all(generation(scope) != before_commit[scope] for scope in SCOPES)


def test_one_scope_is_replaced_with_one_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """A vote bumps one scope, outside any transaction: one SET, no pipeline."""
    calls = _set_many_calls(monkeypatch)
    before = generation("test:one")
    generation_bump("test:one")
    assert calls == [{_generation_key("test:one"): generation("test:one")}]
    assert generation("test:one") != before


def test_a_rolled_back_savepoint_loses_no_bump_of_the_transaction(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            generation_bump("test:rolled-back")  # its callback goes with the savepoint
            raise RuntimeError
        generation_bump("test:kept")
        kept = generation("test:kept")
    assert len(callbacks) == 1
    assert generation("test:kept") != kept
