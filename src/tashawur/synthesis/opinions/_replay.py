"""Replay of Pol.is's incremental updates over a time-ordered vote stream.

Pol.is does not cluster a conversation once: its math worker updates it as votes arrive, and
every update starts from the previous one. The PCA's power iteration starts from the previous
components (so the axes keep their sign), base k-means starts from the previous base clusters
("clean start": recentred on their members' new positions, then the most distant points split
off into new clusters until there are ``base_k``), each group k-means for k = 2 to 5 starts from
the previous clustering for that k, and the number of groups changes only after the best
silhouette has pointed at the same new k on ``k_buffer`` (4) updates in a row. Participants
admitted to the clustering stay admitted. The final groups therefore depend on the history of
updates, which an export does not carry; this replays it from the vote times, one update per
window of time that received votes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

from ._cluster import first_distinct, polis_silhouette
from ._matrix import POLIS_MIN_PARTICIPANTS, POLIS_MIN_VOTES, VoteHistory
from ._pca import _blas_controller

#: Updates in a row that must agree on a new number of groups before it is taken (Pol.is's
#: ``group-k-buffer``).
K_BUFFER = 4


@dataclass
class Clustering:
    """A k-means result Pol.is carries to the next update: members by name, centres by id."""

    ids: list[int] = field(default_factory=list)
    members: list[NDArray[np.int64]] = field(default_factory=list)
    centers: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 2)))


def _weighted_mean(
    points: NDArray[np.float64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.asarray((weights[:, None] * points).sum(axis=0) / weights.sum())


def _clean_start(
    names: NDArray[np.int64],
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    last: Clustering,
    k: int,
) -> Clustering:
    """Pol.is's ``clean-start-clusters``: the last clusters made ready for the new data."""
    row_of = {int(n): i for i, n in enumerate(names.tolist())}
    ids: list[int] = []
    members: list[list[int]] = []
    for cid, old in zip(last.ids, last.members, strict=True):
        rows = [row_of[m] for m in old.tolist() if m in row_of]
        if rows:
            ids.append(cid)
            members.append(rows)
    if not ids:
        ids, members = [max(last.ids, default=-1) + 1], [list(range(len(names)))]
    # Clusters whose recentred centres coincide are merged (the larger one's id is kept).
    centers = [_weighted_mean(points[m], weights[m]) for m in members]
    merged: dict[tuple[float, ...], int] = {}
    keep_ids: list[int] = []
    keep_members: list[list[int]] = []
    for cid, rows, center in zip(ids, members, centers, strict=True):
        key = tuple(center.tolist())
        if key in merged:
            i = merged[key]
            if len(rows) > len(keep_members[i]):
                keep_ids[i] = cid
            keep_members[i] = keep_members[i] + rows
        else:
            merged[key] = len(keep_ids)
            keep_ids.append(cid)
            keep_members.append(rows)
    ids, members = keep_ids, keep_members
    possible = min(k, len(np.unique(points, axis=0)))
    owner = np.full(len(names), -1, dtype=np.int64)
    for i, rows in enumerate(members):
        owner[rows] = i
    while True:
        alive = [i for i in range(len(ids)) if (owner == i).any()]
        remap = np.full(len(ids) + 1, -1, dtype=np.int64)
        remap[alive] = np.arange(len(alive))
        ids = [ids[i] for i in alive]
        owner = np.where(owner >= 0, remap[owner], -1)
        center_array = np.array(
            [_weighted_mean(points[owner == i], weights[owner == i]) for i in range(len(ids))]
        ).reshape(-1, points.shape[1])
        if possible <= len(ids):
            break
        nearest = cdist(points, center_array).min(axis=1)
        # The most distant point (the last of equals, as Clojure's max-key) starts a new cluster.
        far = len(nearest) - 1 - int(np.argmax(nearest[::-1]))
        if nearest[far] <= 0:
            break
        owner[far] = len(ids)
        ids.append(max(ids) + 1)
    return Clustering(
        ids=ids,
        members=[names[owner == i] for i in range(len(ids))],
        centers=center_array,
    )


def _same(a: NDArray[np.float64], b: NDArray[np.float64], tol: float = 0.01) -> bool:
    """Pol.is's ``same-clustering?``: sorted centres pairwise closer than ``tol``."""
    a = a[np.lexsort(a.T[::-1])]
    b = b[np.lexsort(b.T[::-1])]
    n = min(len(a), len(b))
    return bool(np.all(np.linalg.norm(a[:n] - b[:n], axis=1) < tol))


def carried_kmeans(
    names: NDArray[np.int64],
    points: NDArray[np.float64],
    k: int,
    *,
    last: Clustering | None,
    weights: NDArray[np.float64] | None = None,
    max_iter: int = 20,
) -> Clustering:
    """Pol.is's k-means, started from the last update's clustering when there is one.

    Parameters
    ----------
    names : ndarray of int
        A stable name for each point (participant row, base-cluster id), by which the last
        clustering's members are found again.
    points : ndarray of shape (n, 2)
    k : int
    last : Clustering or None
    weights : ndarray of shape (n,), optional
    max_iter : int
        Steps after the first.

    Returns
    -------
    Clustering
    """
    w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    if last is not None and last.ids:
        clustering = _clean_start(names, points, w, last, k)
        ids, centers = clustering.ids, clustering.centers
    else:
        centers = first_distinct(points, k)
        ids = list(range(len(centers)))
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(max_iter + 1):
        labels = cdist(points, centers, "sqeuclidean").argmin(axis=1)
        alive = np.bincount(labels, minlength=len(centers)) > 0
        mass = np.bincount(labels, weights=w, minlength=len(centers))[alive]
        sums = np.stack(
            [
                np.bincount(labels, weights=w * points[:, j], minlength=len(centers))[alive]
                for j in range(points.shape[1])
            ],
            axis=1,
        )
        new_centers = sums / mass[:, None]
        labels = (np.cumsum(alive) - 1)[labels]
        ids = [cid for cid, a in zip(ids, alive.tolist(), strict=True) if a]
        done = _same(centers, new_centers)
        centers = new_centers
        if done:
            break
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    labels = rank[labels]
    return Clustering(
        ids=[ids[i] for i in order.tolist()],
        members=[names[labels == i] for i in range(len(ids))],
        centers=centers[order],
    )


@dataclass
class ReplayState:
    """What one update hands to the next."""

    components: NDArray[np.float64] | None = None
    in_conv: NDArray[np.bool_] | None = None
    base: Clustering | None = None
    groups: dict[int, Clustering] = field(default_factory=dict)
    last_k: int | None = None
    last_k_count: int = 0
    smoothed_k: int | None = None
    n_updates: int = 0


def _power_iteration(
    gram: NDArray[np.float64], start: NDArray[np.float64], iterations: int
) -> NDArray[np.float64]:
    """Pol.is's ``power-iteration`` on ``XᵀX``: at most ``iterations + 1`` products."""
    vector, last = start, -1.0
    for _ in range(iterations + 1):
        product = gram @ vector
        value = float(np.linalg.norm(product))
        if value == 0.0:
            return product
        vector = product / value
        if value == last:
            break
        last = value
    return vector


def _pca(
    block: NDArray[np.float64],
    n_moderated_out: int,
    starts: NDArray[np.float64],
    iterations: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pol.is's PCA of a dense block of votes (NaN where none), from ``starts``.

    Pol.is finds each component by power iteration from the last update's component (new
    statements loaded 1), then factors it out of the data before the next: this keeps the axes'
    signs from one update to the next. Returns the components and the scaled projection.
    """
    voted = ~np.isnan(block)
    n_seen = voted.sum(axis=0)
    totals = np.where(voted, block, 0.0).sum(axis=0)
    center = np.divide(totals, n_seen, out=np.zeros(block.shape[1]), where=n_seen > 0)
    centred = np.where(voted, block - center, 0.0)
    gram = centred.T @ centred
    components = np.zeros((2, block.shape[1]))
    for i in range(min(2, *block.shape)):
        component = _power_iteration(gram, starts[i], iterations)
        components[i] = component
        if component.any():
            # Factor the component out of the data (Gram-Schmidt), as Pol.is does.
            # (I - ccᵀ) G (I - ccᵀ), without forming the projector.
            gc = gram @ component
            gram = (
                gram
                - np.outer(component, gc)
                - np.outer(gc, component)
                + float(component @ gc) * np.outer(component, component)
            )
    n_statements = block.shape[1] + n_moderated_out
    n_votes = voted.sum(axis=1) + n_moderated_out
    scale = np.sqrt(n_statements / np.maximum(n_votes, 1))
    return components, (centred @ components.T) * scale[:, None]


def replay_groups(
    history: VoteHistory,
    n_participants: int,
    n_statements: int,
    window: float,
    *,
    min_votes: int = POLIS_MIN_VOTES,
    min_participants: int = POLIS_MIN_PARTICIPANTS,
    base_clusters: int = 100,
    max_groups: int = 5,
    base_iterations: int = 100,
    group_iterations: int = 20,
    pca_iterations: int = 100,
    random_state: int | None = None,
) -> tuple[NDArray[np.int64], ReplayState]:
    """Groups after replaying Pol.is's updates, one per ``window`` of vote time.

    Parameters
    ----------
    history : VoteHistory
        Every vote, in time order, by matrix row and column (moderated-out statements after the
        kept ones).
    n_participants : int
    n_statements : int
        Kept statements (columns below this); columns from it on are moderated out.
    window : float
        Length of an update's window, in the unit of the vote times.
    pca_iterations : int, default=100
        Power-iteration steps of each update's PCA (Pol.is's ``pca-iters``).
    random_state : int or None
        Seeds the first update's PCA start vectors (Pol.is starts them at random).

    Returns
    -------
    labels : ndarray of int, shape (n_participants,)
        Group of each participant after the last update (groups numbered by Pol.is's group id
        order), -1 when not clustered.
    state : ReplayState
    """
    if window <= 0:
        raise ValueError("the replay window must be positive")
    n_columns = int(history.columns.max()) + 1 if len(history.columns) else n_statements
    n_columns = max(n_columns, n_statements)
    latest = np.full((n_participants, n_columns), np.nan)
    counts = np.zeros(n_participants, dtype=np.int64)
    seen_column = np.zeros(n_columns, dtype=bool)
    state = ReplayState(in_conv=np.zeros(n_participants, dtype=bool))
    rng = np.random.default_rng(random_state)
    # Last components, by statement; NaN where a statement was not seen yet.
    components_full = np.full((2, n_statements), np.nan)
    times = history.times
    bins = np.floor((times - times[0]) / window) if len(times) else times
    ends = np.flatnonzero(np.diff(bins) != 0) + 1
    bounds = [0, *ends.tolist(), len(times)]
    n_seen = 0
    # Small matrices, many updates: BLAS threads only add overhead.
    with _blas_controller().limit(limits=1, user_api="blas"):
        for start, stop in itertools.pairwise(bounds):
            rows = history.rows[start:stop]
            cols = history.columns[start:stop]
            fresh = np.isnan(latest[rows, cols])
            # A participant's repeated vote in a window counts once.
            cells = np.unique(rows[fresh] * n_columns + cols[fresh])
            np.add.at(counts, cells // n_columns, 1)
            latest[rows, cols] = history.values[start:stop]
            seen_column[cols] = True
            n_seen = max(n_seen, int(rows.max()) + 1)
            kept_cols = np.flatnonzero(seen_column[:n_statements])
            n_mod_out = int(seen_column[n_statements:].sum())
            starts = np.nan_to_num(components_full[:, kept_cols], nan=1.0)
            for i in range(2):
                if not np.nan_to_num(components_full[i]).any():
                    starts[i] = rng.random(len(kept_cols))
            components, embedding = _pca(
                latest[:n_seen, kept_cols], n_mod_out, starts, pca_iterations
            )
            components_full = np.full((2, n_statements), np.nan)
            components_full[:, kept_cols] = components
            _update(
                state,
                embedding,
                counts[:n_seen],
                len(kept_cols) + n_mod_out,
                min_votes=min_votes,
                min_participants=min_participants,
                base_clusters=base_clusters,
                max_groups=max_groups,
                base_iterations=base_iterations,
                group_iterations=group_iterations,
            )
    state.components = np.nan_to_num(components_full)
    labels = np.full(n_participants, -1, dtype=np.int64)
    if state.base is not None and state.smoothed_k is not None:
        groups = state.groups[state.smoothed_k]
        group_of_base = {int(b): g for g, bids in enumerate(groups.members) for b in bids.tolist()}
        for bid, rows in zip(state.base.ids, state.base.members, strict=True):
            labels[rows] = group_of_base[bid]
    return labels, state


def _update(
    state: ReplayState,
    embedding: NDArray[np.float64],
    counts: NDArray[np.int64],
    n_columns: int,
    *,
    min_votes: int,
    min_participants: int,
    base_clusters: int,
    max_groups: int,
    base_iterations: int,
    group_iterations: int,
) -> None:
    assert state.in_conv is not None
    n = len(counts)
    in_conv = state.in_conv[:n]
    in_conv |= counts >= min(min_votes, n_columns)
    missing = min_participants - int(in_conv.sum())
    if missing > 0:
        others = np.flatnonzero(~in_conv)
        in_conv[others[np.argsort(-counts[others], kind="stable")[:missing]]] = True
    state.n_updates += 1
    rows = np.flatnonzero(in_conv)
    if not len(rows):
        return
    state.base = carried_kmeans(
        rows, embedding[rows], base_clusters, last=state.base, max_iter=base_iterations
    )
    base_ids = np.array(state.base.ids, dtype=np.int64)
    base_centers = state.base.centers
    weights = np.array([len(m) for m in state.base.members], dtype=np.float64)
    max_k = min(max_groups, 2 + len(base_ids) // 12)
    silhouettes: dict[int, float] = {}
    groupings: dict[int, Clustering] = {}
    for k in range(2, max_k + 1):
        clustering = carried_kmeans(
            base_ids,
            base_centers,
            k,
            last=state.groups.get(k),
            weights=weights,
            max_iter=group_iterations,
        )
        if len(clustering.ids) < 2:
            continue  # as TwoLevelKMeans: fewer distinct points than groups
        groupings[k] = clustering
        position = {int(b): i for i, b in enumerate(base_ids.tolist())}
        labels = np.zeros(len(base_ids), dtype=np.int64)
        for g, bids in enumerate(clustering.members):
            labels[[position[int(b)] for b in bids.tolist()]] = g
        silhouettes[k] = polis_silhouette(base_centers, labels)
    state.groups = {**state.groups, **groupings}
    if not groupings:
        # Too few base clusters for two groups: everyone in one.
        one = Clustering(ids=[0], members=[base_ids.copy()], centers=base_centers[:1])
        state.groups[1] = one
        state.smoothed_k = 1
        return
    # Clojure's max-key: the last of equal silhouettes, i.e. the larger k.
    this_k = max(groupings, key=lambda k: (silhouettes[k], k))
    state.last_k_count = state.last_k_count + 1 if state.last_k == this_k else 1
    state.last_k = this_k
    if state.last_k_count >= K_BUFFER or state.smoothed_k not in groupings:
        state.smoothed_k = this_k
