"""Pol.is's two-level k-means: about 100 base clusters, then 2 to 5 groups of base clusters.

Pol.is first summarises the projected participants by ``base_k`` base clusters, then clusters the
base-cluster centres, weighted by their sizes, for each k from 2 to ``min(5, 2 + n_base // 12)``,
and keeps the k whose clustering of the base clusters has the best silhouette. Its k-means starts
from the first k distinct points (in the order participants arrived), drops clusters that lose
all their members, and stops when no centre moves by 0.01 or more; base clustering runs at most
100 steps and group clustering 20 (Pol.is's default, its own option name notwithstanding).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

#: Rows per block when measuring point-to-centre distances, to bound memory.
_BLOCK = 16_384
#: Up to this many point-centre pairs, measuring them all is cheaper than keeping bounds.
_SMALL = 400_000


def _nearest(points: NDArray[np.float64], centers: NDArray[np.float64]) -> NDArray[np.int64]:
    labels = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), _BLOCK):
        block = points[start : start + _BLOCK]
        labels[start : start + _BLOCK] = cdist(block, centers, "sqeuclidean").argmin(axis=1)
    return labels


def _nearest_two(
    points: NDArray[np.float64], centers: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Nearest centre of each point, its distance, and the distance to the second nearest."""
    n = len(points)
    labels = np.empty(n, dtype=np.int64)
    first = np.empty(n)
    second = np.full(n, np.inf)
    rows = np.arange(min(n, _BLOCK))
    for start in range(0, n, _BLOCK):
        squared = cdist(points[start : start + _BLOCK], centers, "sqeuclidean")
        nearest = squared.argmin(axis=1)
        r = rows[: len(squared)]
        labels[start : start + _BLOCK] = nearest
        first[start : start + _BLOCK] = squared[r, nearest]
        if len(centers) > 1:
            squared[r, nearest] = np.inf
            second[start : start + _BLOCK] = squared.min(axis=1)
    return labels, np.sqrt(first), np.sqrt(second)


def first_distinct(points: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """The first ``k`` distinct rows of ``points``, in order: Pol.is's k-means start."""
    if len(points) == 0:
        return points[:0].copy()
    first_index = np.unique(points, axis=0, return_index=True)[1]
    return points[np.sort(first_index)[:k]].copy()


def polis_kmeans(
    points: NDArray[np.float64],
    k: int,
    *,
    weights: NDArray[np.float64] | None = None,
    max_iter: int = 20,
    tol: float = 0.01,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Weighted k-means as Pol.is runs it.

    Parameters
    ----------
    points : ndarray of shape (n, d)
    k : int
        Clusters wanted; fewer come back when there are fewer distinct points or a cluster
        empties.
    weights : ndarray of shape (n,), optional
        Weight of each point in the centre means.
    max_iter : int
        Steps after the first.
    tol : float
        Stop when every centre (sorted) moved less than this.

    Returns
    -------
    labels : ndarray of shape (n,)
        Index of each point's cluster in ``centers``.
    centers : ndarray of shape (n_clusters, d)
    """
    w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    centers = first_distinct(points, k)
    labels = np.zeros(len(points), dtype=np.int64)
    if len(centers) == 0:
        return labels, centers
    # Lloyd's steps, with Hamerly's bounds so that a point is measured against every centre
    # only when its nearest centre may have changed: same assignments, far fewer distances.
    labels, upper, lower = _nearest_two(points, centers)
    for step in range(max_iter + 1):
        if step and len(points) * len(centers) <= _SMALL:
            labels = _nearest(points, centers)
        elif step:
            stale = upper > lower
            if stale.any():
                gap = points[stale] - centers[labels[stale]]
                upper[stale] = np.sqrt((gap**2).sum(axis=1))
                stale &= upper > lower
            if stale.any():
                labels[stale], upper[stale], lower[stale] = _nearest_two(points[stale], centers)
        mass = np.bincount(labels, weights=w, minlength=len(centers))
        alive = np.bincount(labels, minlength=len(centers)) > 0
        sums = np.stack(
            [
                np.bincount(labels, weights=w * points[:, j], minlength=len(centers))
                for j in range(points.shape[1])
            ],
            axis=1,
        )
        new_centers = sums[alive] / mass[alive, None]
        labels = (np.cumsum(alive) - 1)[labels]
        shifts = np.sqrt(((new_centers - centers[alive]) ** 2).sum(axis=1))
        converged = len(new_centers) == len(centers) and bool(
            np.all(np.linalg.norm(_lexsorted(centers) - _lexsorted(new_centers), axis=1) < tol)
        )
        centers = new_centers
        # Moving centres loosen the bounds: a removed centre can only raise the lower one.
        if len(points) * len(centers) > _SMALL:
            upper += shifts[labels]
            lower -= shifts.max(initial=0.0)
        if converged:
            break
    return labels, centers


def _lexsorted(centers: NDArray[np.float64]) -> NDArray[np.float64]:
    return centers[np.lexsort(centers.T[::-1])]


def polis_silhouette(points: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """Mean silhouette of ``points`` (Euclidean); a point alone in its cluster scores 0.

    ``sklearn.metrics.silhouette_score`` on exact pairwise distances, which scores singletons 0
    as Pol.is does; with fewer than two clusters, or every point alone, the score is 0.
    """
    from scipy.spatial.distance import pdist, squareform
    from sklearn.metrics import silhouette_score

    n_clusters = len(np.unique(labels))
    if not 2 <= n_clusters < len(points):
        return 0.0
    distances = squareform(pdist(points, "euclidean"))
    return float(silhouette_score(distances, labels, metric="precomputed"))


class TwoLevelKMeans:
    """Pol.is's base clusters, then groups of base clusters for k chosen by silhouette.

    Parameters
    ----------
    base_clusters : int, default=100
        Base clusters (Pol.is's ``base-k``).
    max_groups : int, default=5
        Largest k tried (Pol.is's ``max-k``); Pol.is also caps it at ``2 + n_base // 12``.
    base_iterations : int, default=100
    group_iterations : int, default=20
    sample_size : int or None, default=100_000
        With more points than this, the base clusters are fitted on a random sample of this
        many (kept in arrival order, so Pol.is's start is the sample's first distinct points),
        then every point joins its nearest base centre and each centre moves to the mean of its
        members. None always clusters every point, as Pol.is does.
    random_state : int or None, default=None
        Draws the sample.

    Attributes
    ----------
    base_labels_ : ndarray of shape (n_points,)
    base_centers_ : ndarray of shape (n_base, 2)
    base_weights_ : ndarray of shape (n_base,)
        Points per base cluster.
    silhouettes_ : dict of int to float
        Silhouette of the base clusters' grouping for each k tried.
    group_of_base_ : ndarray of shape (n_base,)
    labels_ : ndarray of shape (n_points,)
        Group of each point; all 0 when fewer than two groups can be formed.
    n_groups_ : int
    """

    def __init__(
        self,
        *,
        base_clusters: int = 100,
        max_groups: int = 5,
        base_iterations: int = 100,
        group_iterations: int = 20,
        sample_size: int | None = 100_000,
        random_state: int | None = None,
    ) -> None:
        self.base_clusters = base_clusters
        self.max_groups = max_groups
        self.base_iterations = base_iterations
        self.group_iterations = group_iterations
        self.sample_size = sample_size
        self.random_state = random_state

    def fit(self, points: NDArray[np.float64]) -> TwoLevelKMeans:
        """Cluster ``points`` (n, 2).

        Returns
        -------
        self
        """
        points = np.asarray(points, dtype=np.float64)
        if self.sample_size is not None and len(points) > self.sample_size:
            base_labels, base_centers = self._sampled_base(points, self.sample_size)
        else:
            base_labels, base_centers = polis_kmeans(
                points, self.base_clusters, max_iter=self.base_iterations
            )
        weights = np.bincount(base_labels, minlength=len(base_centers)).astype(np.float64)
        max_k = min(self.max_groups, 2 + len(base_centers) // 12)
        silhouettes: dict[int, float] = {}
        groupings: dict[int, NDArray[np.int64]] = {}
        for k in range(2, max_k + 1):
            labels, centers = polis_kmeans(
                base_centers, k, weights=weights, max_iter=self.group_iterations
            )
            if len(centers) < 2:
                continue
            groupings[k] = labels
            silhouettes[k] = polis_silhouette(base_centers, labels)
        if groupings:
            # Pol.is takes the best silhouette, the larger k on ties.
            best = max(groupings, key=lambda k: (silhouettes[k], k))
            group_of_base = groupings[best]
        else:
            group_of_base = np.zeros(len(base_centers), dtype=np.int64)
        self.base_labels_ = base_labels
        self.base_centers_ = base_centers
        self.base_weights_ = weights
        self.silhouettes_ = silhouettes
        self.group_of_base_ = group_of_base
        self.labels_ = (
            group_of_base[base_labels] if len(base_centers) else np.zeros(0, dtype=np.int64)
        )
        self.n_groups_ = int(group_of_base.max()) + 1 if len(group_of_base) else 0
        return self

    def _sampled_base(
        self, points: NDArray[np.float64], size: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Base clusters of a sample, then every point assigned and the centres updated once."""
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(points), size, replace=False))
        _, centers = polis_kmeans(points[sample], self.base_clusters, max_iter=self.base_iterations)
        labels = _nearest(points, centers)
        counts = np.bincount(labels, minlength=len(centers))
        alive = counts > 0
        sums = np.stack(
            [
                np.bincount(labels, weights=points[:, j], minlength=len(centers))
                for j in range(points.shape[1])
            ],
            axis=1,
        )
        centers = sums[alive] / counts[alive, None]
        return (np.cumsum(alive) - 1)[labels], centers
