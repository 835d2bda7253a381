"""The one privacy threshold of the public pages and of open data (DESIGN.md §6, Law 09-08).

A group of people (the authors of a consultation sharing an actor type and a province, the
authors of a finding from one province, the people of one actor type at a round table) is
shown to the public only when it holds at least ``TASHAWUR_OPEN_DATA_K`` people; smaller
groups are suppressed. Open data, the workshop page and the diagnosis all read ``anonymity_k``,
so that no page shows a group that open data hides.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from django.conf import settings

K_ANONYMITY_DEFAULT = 5

Key = TypeVar("Key", bound=Hashable)


def anonymity_k() -> int:
    """The smallest group of people the public may see counted or described (read at call
    time: ``TASHAWUR_OPEN_DATA_K``, default 5)."""
    return int(getattr(settings, "TASHAWUR_OPEN_DATA_K", K_ANONYMITY_DEFAULT))


def groups_shown(people: Mapping[Key, Iterable[Hashable]], *, k: int | None = None) -> set[Key]:
    """The keys of ``people`` (each group's members, any hashable id) that hold at least
    ``k`` distinct members (default ``anonymity_k()``)."""
    k = anonymity_k() if k is None else k
    return {key for key, members in people.items() if len(set(members)) >= k}
