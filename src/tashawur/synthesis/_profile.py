"""Step 7, profile: who carries each finding, with lift and an over-representation test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress

import numpy as np
from numpy.typing import NDArray

from ._base import Step
from ._types import ProfileGroup

IntArray = NDArray[np.int64]


class Profiler(Step):
    """Base class of the profile step."""

    profiles_: list[dict[str, list[ProfileGroup]]]

    def fit(
        self, fields: Mapping[str, Sequence[str | None]], labels: IntArray, n_labels: int
    ) -> Profiler:
        """Compute, for each of ``n_labels`` groups, the breakdown of every field; return self."""
        raise NotImplementedError


class HypergeometricProfiler(Profiler):
    """Breakdowns with lift and a one-sided hypergeometric test, Bonferroni-corrected per field.

    A group (a value of a field) is over-represented in a finding when its lift is above 1, it
    has at least ``min_count`` contributions there, and the corrected p-value is below ``alpha``.
    Groups that fail the first two conditions are not tested and report ``p_value`` 1.

    Parameters
    ----------
    alpha : float
        Significance level after correction.
    min_count : int
        Fewer contributions than this are never flagged.
    max_values : int
        Fields with more distinct values than this are not profiled (free text, ids).
    """

    def __init__(self, *, alpha: float = 0.05, min_count: int = 3, max_values: int = 100) -> None:
        self.alpha = alpha
        self.min_count = min_count
        self.max_values = max_values

    def fit(
        self, fields: Mapping[str, Sequence[str | None]], labels: IntArray, n_labels: int
    ) -> HypergeometricProfiler:
        """Compute the breakdowns.

        Parameters
        ----------
        fields : mapping of str to sequence of str or None
            Per field (``language``, ``province``, ``actor_type``…), the value of each
            contribution; ``None`` or ``""`` when it has none.
        labels : ndarray of int
            The finding of each contribution (-1 for contributions in no finding).
        n_labels : int
            Number of findings.
        """
        from scipy.stats import hypergeom

        profiles: list[dict[str, list[ProfileGroup]]] = [{} for _ in range(n_labels)]
        for name in sorted(fields):
            values = fields[name]
            present = np.fromiter(map(bool, values), dtype=bool, count=len(values))
            present &= labels >= 0
            if not present.any():
                continue
            kept_values = list(map(str, compress(values, present.tolist())))
            # Codes in sorted (code point) order, as ``np.unique`` gives them, without sorting
            # every value.
            vocabulary = sorted(set(kept_values))
            n_values = len(vocabulary)
            if n_values > self.max_values:
                continue
            code_of = {v: c for c, v in enumerate(vocabulary)}
            codes = np.fromiter(
                map(code_of.__getitem__, kept_values), dtype=np.int64, count=len(kept_values)
            )
            groups = labels[present]
            table = np.bincount(groups * n_values + codes, minlength=n_labels * n_values)
            table = table.reshape(n_labels, n_values)
            total = int(table.sum())
            per_value = table.sum(axis=0)
            per_group = table.sum(axis=1)
            rows, cols = np.nonzero(table)
            # Every figure of a cell follows from its value, its count and its finding's size:
            # cells alike in those three (most findings are small) are worked out once and
            # share one (frozen) group. Same numbers as cell by cell, elementwise.
            k_all, size_all = table[rows, cols], per_group[rows]
            cell = (cols * (total + 1) + k_all) * (total + 1) + size_all
            _, first, alike = np.unique(cell, return_index=True, return_inverse=True)
            col, k, size = cols[first], k_all[first], size_all[first]
            share = k / size
            overall = per_value[col] / total
            lift = share / overall
            # Only cells that could be flagged are tested (scipy's hypergeometric tail is a
            # Python loop per cell); the others keep p = 1.
            tested = (lift > 1.0) & (k >= self.min_count)
            p = np.ones(len(k))
            if tested.any():
                p[tested] = hypergeom.sf(k[tested] - 1, total, per_value[col[tested]], size[tested])
            corrected = np.minimum(1.0, p * n_values)
            flag = (lift > 1.0) & (k >= self.min_count) & (corrected < self.alpha)
            made = [
                ProfileGroup(
                    value=vocabulary[c],
                    count=count,
                    share=round(s, 4),
                    overall_share=round(o, 4),
                    lift=round(lf, 3),
                    p_value=float(f"{pv:.4g}"),
                    over_represented=fl,
                )
                for c, count, s, o, lf, pv, fl in zip(
                    col.tolist(),
                    k.tolist(),
                    share.tolist(),
                    overall.tolist(),
                    lift.tolist(),
                    corrected.tolist(),
                    flag.tolist(),
                    strict=True,
                )
            ]
            # Per finding (rows are in order), its groups by count, then value.
            order = np.lexsort((cols, -k_all, rows))
            ordered = [made[j] for j in alike.ravel()[order].tolist()]
            sorted_rows = rows[order]
            bounds = np.flatnonzero(np.diff(sorted_rows)) + 1
            starts = [0, *bounds.tolist()]
            ends = [*bounds.tolist(), len(ordered)]
            for row, a, b in zip(sorted_rows[starts].tolist(), starts, ends, strict=True):
                profiles[row][name] = ordered[a:b]
        self.profiles_ = profiles
        return self
