"""What a transaction queued on commit, less the cache generations' bumps
(``core.caching.generation_bump``), which every write of a contribution or an author adds."""

from collections.abc import Callable, Sequence
from typing import Any


def queued(callbacks: Sequence[Callable[[], Any]]) -> list[Callable[[], Any]]:
    """The on-commit callbacks that are not a generation bump."""
    return [c for c in callbacks if c.__qualname__ != "generation_bump.<locals>.bump"]
