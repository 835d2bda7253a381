"""Step 5's orchestration: members into themes and findings, fresh or as an incremental update.

The theme and finding steps are given unfitted; each fit is on a copy (``sklearn.base.clone``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._base import MapChunks, clone
from ._cluster import FindingClusterer, ThemeClusterer, centroids, means, nearest
from ._embed import FloatArray
from ._refine import FindingRefiner, KeepFindings
from ._types import Record, SynthesisResult, previous_assignment, previous_themes

IntArray = NDArray[np.int64]
#: Theme of each member, finding of each member, theme ids, finding ids.
Grouping = tuple[IntArray, IntArray, list[str], list[str]]


@dataclass(frozen=True, slots=True)
class GroupingSteps:
    """The steps and the means a grouping runs with.

    ``findings`` cuts a fresh grouping; ``new_findings`` cuts, theme by theme, the new
    contributions of an incremental update that join no existing finding. ``refiner`` then
    merges and splits the findings of a fresh grouping (`KeepFindings`: as cut).
    """

    themes: ThemeClusterer
    findings: FindingClusterer
    new_findings: FindingClusterer
    random_state: int
    chunk_size: int
    map_chunks: MapChunks
    refiner: FindingRefiner = field(default_factory=KeepFindings)


def _array_chunks(array: FloatArray, size: int) -> list[FloatArray]:
    return [array[i : i + size] for i in range(0, len(array), size)]


def _nearest_chunk(centres: FloatArray, vectors: FloatArray) -> tuple[IntArray, FloatArray]:
    return nearest(vectors, centres)


def _nearest_mapped(
    steps: GroupingSteps, vectors: FloatArray, centres: FloatArray
) -> tuple[IntArray, FloatArray]:
    parts = steps.map_chunks(
        partial(_nearest_chunk, centres), _array_chunks(vectors, steps.chunk_size * 4), "assign"
    )
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _number(identifier: str, prefix: str) -> int:
    match = re.fullmatch(rf"{prefix}(\d+)", identifier)
    return int(match.group(1)) if match else 0


def id_key(identifier: str) -> tuple[str, int]:
    """Ids in number order: ``"F9"`` before ``"F10"``."""
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", identifier)
    return (match.group(1), int(match.group(2))) if match else (identifier, 0)


def group_fresh(
    vectors: FloatArray,
    groups: Sequence[str],
    steps: GroupingSteps,
    scopes: Sequence[str] | None = None,
) -> Grouping:
    """Themes on (a sample of) the members, findings over all of them, numbered from 1.

    ``scopes``: each member's scope (its dimension), which the refinement keeps findings in.
    """
    theme_of, finding_of = _themes_and_findings(vectors, groups, steps, scopes)
    return _number_groups(theme_of, finding_of, {}, {}, 1, 1)


def _themes_and_findings(
    vectors: FloatArray,
    groups: Sequence[str],
    steps: GroupingSteps,
    scopes: Sequence[str] | None = None,
) -> tuple[IntArray, IntArray]:
    themes = clone(steps.themes)
    sample_size = themes.sample_size
    n = len(vectors)
    if n > sample_size:
        rng = np.random.default_rng(steps.random_state)
        sample = np.sort(rng.choice(n, sample_size, replace=False))
        themes.fit(vectors[sample], groups=np.asarray(groups)[sample].tolist())
        theme_of, _ = _nearest_mapped(steps, vectors, themes.centroids_)
        theme_of[sample] = themes.labels_
    else:
        themes.fit(vectors, groups=list(groups))
        theme_of = themes.labels_.copy()
    # Findings are cut over all contributions, not inside each theme: a theme boundary
    # would split an idea whose wordings straddle it. Each finding then takes the theme
    # most of its members were given, so that themes stay unions of findings.
    findings = clone(steps.findings)
    finding_of = findings.fit(vectors).labels_.astype(np.int64) if n else np.zeros(0, np.int64)
    if n:
        finding_of = clone(steps.refiner).fit(vectors, finding_of, scopes).labels_.astype(np.int64)
        n_f, n_t = int(finding_of.max()) + 1, int(theme_of.max()) + 1
        votes = np.zeros((n_f, n_t), dtype=np.int64)
        np.add.at(votes, (finding_of, theme_of), 1)
        theme_of = votes.argmax(axis=1)[finding_of]
        theme_of = np.unique(theme_of, return_inverse=True)[1].astype(np.int64)
    return theme_of, finding_of


def group_incremental(
    records: list[Record],
    members: IntArray,
    vectors: FloatArray,
    groups: Sequence[str],
    similarity: float,
    previous: SynthesisResult | Mapping[str, Any],
    steps: GroupingSteps,
    warnings: list[str],
    scopes: Sequence[str] | None = None,
) -> Grouping:
    """Members keep their earlier finding and theme; new ones join or open findings.

    Only a regrouping from scratch (no member of ``previous`` left) is refined, within
    ``scopes``: the findings of an update keep their members.
    """
    finding_before = previous_assignment(previous)
    theme_before = previous_themes(previous)
    max_finding = max((_number(f, "F") for f in theme_before), default=0)
    max_theme = max((_number(t, "T") for t in theme_before.values()), default=0)
    old = [finding_before.get(records[i].id) for i in members.tolist()]
    known = np.array([f is not None and f in theme_before for f in old], dtype=bool)
    if not known.any():
        warnings.append("no contribution of the previous result is in this input: regrouped")
        theme_of, finding_of = _themes_and_findings(vectors, groups, steps, scopes)
        return _number_groups(theme_of, finding_of, {}, {}, max_theme + 1, max_finding + 1)

    old_findings = sorted({f for f, k in zip(old, known, strict=True) if k and f}, key=id_key)
    old_themes = sorted({theme_before[f] for f in old_findings}, key=id_key)
    f_index = {f: k for k, f in enumerate(old_findings)}
    t_index = {t: k for k, t in enumerate(old_themes)}
    finding_of = np.full(len(members), -1, dtype=np.int64)
    for k in np.nonzero(known)[0].tolist():
        finding_of[k] = f_index[str(old[k])]
    finding_theme = np.array([t_index[theme_before[f]] for f in old_findings], dtype=np.int64)
    theme_of = np.where(finding_of >= 0, finding_theme[np.maximum(finding_of, 0)], -1)

    new = np.nonzero(~known)[0]
    if len(new):
        # The mean, not the centroid: a new record joins a finding when its average
        # similarity to the members reaches the threshold, as the findings were cut.
        f_centres = means(vectors[known], finding_of[known], len(old_findings))
        best, sims = _nearest_mapped(steps, vectors[new], f_centres)
        joins = sims >= similarity
        finding_of[new[joins]] = best[joins]
        theme_of[new[joins]] = finding_theme[best[joins]]
        rest = new[~joins]
        if len(rest):
            t_centres = centroids(vectors[known], theme_of[known], len(old_themes))
            theme_of[rest], _ = nearest(vectors[rest], t_centres)
            next_label = len(old_findings)
            for t in np.unique(theme_of[rest]).tolist():
                idx = rest[theme_of[rest] == t]
                local = clone(steps.new_findings).fit(vectors[idx]).labels_
                finding_of[idx] = local + next_label
                next_label += int(local.max()) + 1
    fixed_findings = dict(enumerate(old_findings))
    fixed_themes = dict(enumerate(old_themes))
    return _number_groups(
        theme_of, finding_of, fixed_themes, fixed_findings, max_theme + 1, max_finding + 1
    )


def _number_groups(
    theme_of: IntArray,
    finding_of: IntArray,
    fixed_themes: Mapping[int, str],
    fixed_findings: Mapping[int, str],
    next_theme: int,
    next_finding: int,
) -> tuple[IntArray, IntArray, list[str], list[str]]:
    """Give ids: fixed ones kept, new ones numbered by size (largest first), then first seen."""
    n_t = int(theme_of.max()) + 1 if len(theme_of) else 0
    n_f = int(finding_of.max()) + 1 if len(finding_of) else 0
    t_size = np.bincount(theme_of, minlength=n_t)
    f_size = np.bincount(finding_of, minlength=n_f)
    t_first = np.full(n_t, len(theme_of))
    np.minimum.at(t_first, theme_of, np.arange(len(theme_of)))
    f_first = np.full(n_f, len(finding_of))
    np.minimum.at(f_first, finding_of, np.arange(len(finding_of)))
    theme_ids = [fixed_themes.get(t, "") for t in range(n_t)]
    for rank, t in enumerate(
        sorted(
            (t for t in range(n_t) if t not in fixed_themes), key=lambda t: (-t_size[t], t_first[t])
        )
    ):
        theme_ids[t] = f"T{next_theme + rank}"
    # Findings are numbered theme by theme so that a fresh run reads in order.
    theme_rank = {t: id_key(theme_ids[t]) for t in range(n_t)}
    finding_theme = np.zeros(n_f, dtype=np.int64)
    finding_theme[finding_of] = theme_of
    finding_ids = [fixed_findings.get(f, "") for f in range(n_f)]
    fresh = sorted(
        (f for f in range(n_f) if f not in fixed_findings),
        key=lambda f: (theme_rank[int(finding_theme[f])], -f_size[f], f_first[f]),
    )
    for rank, f in enumerate(fresh):
        finding_ids[f] = f"F{next_finding + rank}"
    return theme_of, finding_of, theme_ids, finding_ids
