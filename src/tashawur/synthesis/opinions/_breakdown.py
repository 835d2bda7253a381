"""Who is in each opinion group: counts by actor type, province, gender and age band."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: The participant fields broken down, in report order.
BREAKDOWN_FIELDS = ("actor_type", "province", "gender", "age_band")
#: How a participant without a value for a field is counted.
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class GroupBreakdown:
    """How many members of a group carry one value of one field.

    ``share`` is the part of the group with that value; ``overall_share`` the part of all
    clustered participants, so ``share / overall_share`` above 1 means over-represented.
    """

    field: str
    value: str
    group: int
    count: int
    share: float
    overall_share: float


def group_breakdowns(
    participant_ids: Sequence[str],
    labels: NDArray[np.int64],
    n_groups: int,
    participants: Mapping[str, Mapping[str, str]],
    *,
    fields: Sequence[str] = BREAKDOWN_FIELDS,
) -> list[GroupBreakdown]:
    """Break each group down by each field that at least one participant carries.

    Parameters
    ----------
    participant_ids : sequence of str
        Rows of the vote matrix.
    labels : ndarray of int
        Group of each row, -1 when not clustered (left out).
    n_groups : int
    participants : mapping of participant id to its fields
        Participants absent from it, or without a field, count as ``"unknown"``.
    fields : sequence of str

    Returns
    -------
    list of GroupBreakdown
        By field, then value (most frequent overall first), then group.
    """
    present = [f for f in fields if any(f in meta and meta[f] for meta in participants.values())]
    clustered = [(pid, int(g)) for pid, g in zip(participant_ids, labels, strict=True) if g >= 0]
    sizes = Counter(g for _, g in clustered)
    result: list[GroupBreakdown] = []
    for field in present:
        values = [((participants.get(pid) or {}).get(field) or UNKNOWN, g) for pid, g in clustered]
        overall = Counter(v for v, _ in values)
        per_group = Counter(values)
        for value, total in sorted(overall.items(), key=lambda kv: (-kv[1], kv[0])):
            for g in range(n_groups):
                count = per_group[(value, g)]
                result.append(
                    GroupBreakdown(
                        field=field,
                        value=value,
                        group=g,
                        count=count,
                        share=count / sizes[g] if sizes[g] else 0.0,
                        overall_share=total / len(clustered),
                    )
                )
    return result
