"""Step 5, group, last part: findings brought to the grain of an idea after they are cut.

The finding step cuts average linkage at one similarity; what it leaves is refined here:

1. a finding whose members carry different scopes (by default the record's ``dimension``: a
   challenge and a proposal are two findings in the diagnosis, which files each finding under
   one dimension) is split by scope;
2. a large finding whose members are, on average, not close to each other is cut again, by
   average linkage at a stricter similarity;
3. a singleton joins the nearest finding of its scope when close enough to its centre.

Measured in ``benchmarks/bench_grain.py`` (docs/benchmarks.md, "Finding grain").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ._base import Step
from ._cluster import _average_linkage, _relabel_by_first_seen, centroids
from ._embed import FloatArray

IntArray = NDArray[np.int64]


class FindingRefiner(Step):
    """Base class of the refinement step: ``fit`` sets ``labels_`` from the findings given."""

    labels_: IntArray

    def fit(
        self, vectors: FloatArray, labels: IntArray, scopes: Sequence[str] | None = None
    ) -> FindingRefiner:
        """Refine the findings ``labels`` of ``vectors`` (L2-normalised rows); ``scopes``: the
        scope of each row, which a finding should not mix. Return ``self``."""
        raise NotImplementedError


class KeepFindings(FindingRefiner):
    """No refinement: the findings stay as the finding step cut them (turns the step off)."""

    def fit(
        self, vectors: FloatArray, labels: IntArray, scopes: Sequence[str] | None = None
    ) -> KeepFindings:
        """Keep ``labels`` (renumbered by first appearance); return ``self``."""
        labels = np.asarray(labels, dtype=np.int64)
        self.labels_ = _relabel_by_first_seen(labels) if len(labels) else labels.copy()
        return self


class MergeSplitFindings(FindingRefiner):
    """Split findings that mix scopes or ideas, then merge singletons into their nearest finding.

    Calibration (``benchmarks/bench_grain.py``, USE, findings cut at 0.25; cosines after
    centring): 99.7% of the Mawdoo3 question pairs marked similar, and all French STS pairs
    scored 4 or more, reach 0.2, so a singleton below 0.2 from every finding's centre has no
    paraphrase there and stays alone. Public pairs cannot set the grain of an idea itself: their
    best F1 thresholds (0.66 and 0.59) are a paraphrase's, and at 0.35 still 80% of Mawdoo3's
    same-topic "not similar" pairs and 37% of the STS pairs scored 2 or less remain, so a large
    finding averaging below 0.35 likely holds several ideas. On the demo consultation: ARI
    against its idea labels 0.172 -> 0.249 (round tables 1-3: 0.199 -> 0.297, 4-5: 0.187 ->
    0.290), 149 -> 140 findings, singletons 0.29 -> 0.37 (the split by dimension leaves some);
    Flores dev translations in one finding 0.911 -> 0.914 (MSA-French 0.992 -> 0.991).

    Parameters
    ----------
    merge_similarity : float or None
        A finding of at most ``merge_max_size`` members joins the nearest larger finding of its
        scope when the cosine between their centres reaches this; ``None``: no merge.
    merge_max_size : int
        Largest finding that may be merged into another.
    split_similarity : float or None
        A finding of at least ``split_min_size`` members whose average pairwise cosine is below
        this is cut again by average linkage at this similarity; ``None``: no such split.
    split_min_size : int
        Smallest finding that may be cut again.
    split_scopes : bool
        Split a finding whose members have different scopes into one finding per scope.
    """

    def __init__(
        self,
        *,
        merge_similarity: float | None = 0.2,
        merge_max_size: int = 1,
        split_similarity: float | None = 0.35,
        split_min_size: int = 6,
        split_scopes: bool = True,
    ) -> None:
        self.merge_similarity = merge_similarity
        self.merge_max_size = merge_max_size
        self.split_similarity = split_similarity
        self.split_min_size = split_min_size
        self.split_scopes = split_scopes

    def fit(
        self, vectors: FloatArray, labels: IntArray, scopes: Sequence[str] | None = None
    ) -> MergeSplitFindings:
        """Refine the findings ``labels`` of ``vectors`` within ``scopes``; return ``self``."""
        from threadpoolctl import threadpool_limits

        labels = np.asarray(labels, dtype=np.int64)
        n = len(labels)
        if n == 0:
            self.labels_ = labels.copy()
            self.n_merged_ = self.n_split_ = 0
            return self
        scope_of = (
            np.unique(np.asarray(scopes, dtype=str), return_inverse=True)[1].astype(np.int64)
            if scopes is not None
            else np.zeros(n, dtype=np.int64)
        )
        out = _relabel_by_first_seen(labels)
        n_before = int(out.max()) + 1
        if self.split_scopes:
            out = _relabel_by_first_seen(
                np.unique(out * (int(scope_of.max()) + 1) + scope_of, return_inverse=True)[1]
            )
        with threadpool_limits(1, user_api="blas"):
            if self.split_similarity is not None:
                out = self._split(vectors, out)
            n_split = int(out.max()) + 1 - n_before
            merged = 0
            if self.merge_similarity is not None:
                out, merged = self._merge(vectors, out, scope_of)
        self.labels_ = _relabel_by_first_seen(out)
        self.n_split_ = n_split
        self.n_merged_ = merged
        return self

    def _split(self, vectors: FloatArray, labels: IntArray) -> IntArray:
        from scipy.cluster.hierarchy import fcluster

        assert self.split_similarity is not None
        n_labels = int(labels.max()) + 1
        size = np.bincount(labels, minlength=n_labels)
        sums = np.zeros((n_labels, vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, labels, vectors.astype(np.float64))
        # Average cosine over a finding's pairs of distinct members, from the norm of its sum.
        squared = np.einsum("ij,ij->i", sums, sums)
        pairs = np.maximum(size * (size - 1), 1)
        average = (squared - size) / pairs
        out = labels.copy()
        next_label = n_labels
        for f in np.nonzero((size >= self.split_min_size) & (average < self.split_similarity))[0]:
            idx = np.nonzero(labels == f)[0]
            tree = _average_linkage(vectors[idx])
            local = fcluster(tree, 1.0 - self.split_similarity, criterion="distance")
            local = _relabel_by_first_seen(local.astype(np.int64) - 1)
            # The part holding the finding's first member keeps its label.
            moved = local > 0
            out[idx[moved]] = local[moved] - 1 + next_label
            next_label += int(local.max())
        return out

    def _merge(
        self, vectors: FloatArray, labels: IntArray, scope_of: IntArray
    ) -> tuple[IntArray, int]:
        assert self.merge_similarity is not None
        n_labels = int(labels.max()) + 1
        size = np.bincount(labels, minlength=n_labels)
        centres = centroids(vectors, labels, n_labels)
        # A finding's scope is its members' most common one (the only one after a scope split).
        votes = np.zeros((n_labels, int(scope_of.max()) + 1), dtype=np.int64)
        np.add.at(votes, (labels, scope_of), 1)
        finding_scope = votes.argmax(axis=1)
        small = size <= self.merge_max_size
        target = np.arange(n_labels)
        for scope in np.unique(finding_scope).tolist():
            in_scope = finding_scope == scope
            movers = np.nonzero(in_scope & small)[0]
            hosts = np.nonzero(in_scope & ~small)[0]
            if not len(movers) or not len(hosts):
                continue
            for start in range(0, len(movers), 4096):
                chunk = movers[start : start + 4096]
                sims = centres[chunk] @ centres[hosts].T
                best = sims.argmax(axis=1)
                close = sims[np.arange(len(chunk)), best] >= self.merge_similarity
                target[chunk[close]] = hosts[best[close]]
        merged = int((target != np.arange(n_labels)).sum())
        return target[labels], merged
