"""Step 7, profile: who carries each finding, with lift and an over-representation test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
            present = np.array([bool(v) for v in values]) & (labels >= 0)
            if not present.any():
                continue
            kept_values = [str(v) for v, p in zip(values, present, strict=True) if p]
            vocabulary, codes = np.unique(np.array(kept_values), return_inverse=True)
            n_values = len(vocabulary)
            if n_values > self.max_values:
                continue
            groups = labels[present]
            table = np.bincount(groups * n_values + codes, minlength=n_labels * n_values)
            table = table.reshape(n_labels, n_values)
            total = int(table.sum())
            per_value = table.sum(axis=0)
            per_group = table.sum(axis=1)
            rows, cols = np.nonzero(table)
            k = table[rows, cols]
            share = k / per_group[rows]
            overall = per_value[cols] / total
            lift = share / overall
            # Only cells that could be flagged are tested (scipy's hypergeometric tail is a
            # Python loop per cell); the others keep p = 1.
            tested = (lift > 1.0) & (k >= self.min_count)
            p = np.ones(len(k))
            if tested.any():
                p[tested] = hypergeom.sf(
                    k[tested] - 1, total, per_value[cols[tested]], per_group[rows[tested]]
                )
            corrected = np.minimum(1.0, p * n_values)
            flag = (lift > 1.0) & (k >= self.min_count) & (corrected < self.alpha)
            for i in np.lexsort((cols, -k, rows)).tolist():
                profiles[int(rows[i])].setdefault(name, []).append(
                    ProfileGroup(
                        value=str(vocabulary[cols[i]]),
                        count=int(k[i]),
                        share=round(float(share[i]), 4),
                        overall_share=round(float(overall[i]), 4),
                        lift=round(float(lift[i]), 3),
                        p_value=float(f"{float(corrected[i]):.4g}"),
                        over_represented=bool(flag[i]),
                    )
                )
        self.profiles_ = profiles
        return self
