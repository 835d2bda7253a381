"""The opinion map: Pol.is's pipeline from a vote matrix to groups, repness and consensus."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._breakdown import group_breakdowns
from ._cluster import TwoLevelKMeans
from ._matrix import (
    POLIS_MIN_PARTICIPANTS,
    POLIS_MIN_VOTES,
    VoteMatrix,
    polis_participant_filter,
)
from ._pca import PolisPCA
from ._replay import ReplayState, replay_groups
from ._repness import (
    representative_statements,
    statement_stats,
)


class OpinionMap:
    """Opinion groups, representative statements, consensus and divisiveness, as Pol.is.

    Steps: keep the participants Pol.is clusters; project everyone with Pol.is's PCA; cluster
    the kept ones with Pol.is's two-level k-means; compute each group's statistics.

    Parameters
    ----------
    min_votes : int, default=7
        Votes a participant needs to be clustered (Pol.is: ``min(7, n_statements)``).
    min_participants : int, default=15
        The most active participants are added while fewer than this qualify. Participants
        admitted early in a time-ordered conversation (``VoteMatrix.early_admitted``, replayed
        with Pol.is's own 7 and 15) are kept whatever these two are.
    base_clusters : int, default=100
    max_groups : int, default=5
    base_iterations : int, default=100
    group_iterations : int, default=20
    confidence : float, default=0.9
        Confidence of the z-tests that pick representative statements.
    top_statements : int, default=5
        Representative statements kept per group.
    random_state : int or None, default=None
        Seeds the PCA's start vector; the rest is deterministic, as in Pol.is.
    replay_window : float or None, default=None
        Replay Pol.is's incremental updates, one per window of this length (in the unit of the
        vote times), and take the groups of the last one (see :func:`replay_groups`). Used only
        when the matrix carries its vote history (``vote_matrix(..., keep_history=True)``);
        otherwise, or when None, the groups come from one clustering of all the votes.
    cluster_sample : int or None, default=100_000
        With more participants to cluster than this, the base clusters are fitted on a random
        sample of this many and every participant then joins the nearest (see
        :class:`TwoLevelKMeans`); None clusters everyone, as Pol.is does.

    Attributes
    ----------
    participant_ids_ : list of str
    statement_ids_ : list of str
    n_votes_ : int
        Votes in the matrix.
    kept_ : ndarray of bool, shape (n_participants,)
        Participants that passed the filter and were clustered.
    embedding_ : ndarray of shape (n_participants, 2)
        Pol.is's projection of every participant.
    pca_ : PolisPCA
    clusterer_ : TwoLevelKMeans or None
        None when nobody could be clustered, or when the groups come from a replay.
    replay_ : ReplayState or None
        The last update of the replay, when there was one.
    labels_ : ndarray of int, shape (n_participants,)
        Group of each participant, -1 when not clustered.
    n_groups_ : int
    statements_ : StatementStats
    representatives_ : dict of int to list of Representative
    breakdowns_ : list of GroupBreakdown
        Empty unless participant fields were given to :meth:`fit`.
    timings_ : dict of str to float
        Seconds spent in each step.
    cpu_timings_ : dict of str to float
        CPU seconds of this process (all threads) spent in each step.
    """

    def __init__(
        self,
        *,
        min_votes: int = POLIS_MIN_VOTES,
        min_participants: int = POLIS_MIN_PARTICIPANTS,
        base_clusters: int = 100,
        max_groups: int = 5,
        base_iterations: int = 100,
        group_iterations: int = 20,
        confidence: float = 0.9,
        top_statements: int = 5,
        random_state: int | None = None,
        replay_window: float | None = None,
        cluster_sample: int | None = 100_000,
    ) -> None:
        self.min_votes = min_votes
        self.min_participants = min_participants
        self.base_clusters = base_clusters
        self.max_groups = max_groups
        self.base_iterations = base_iterations
        self.group_iterations = group_iterations
        self.confidence = confidence
        self.top_statements = top_statements
        self.random_state = random_state
        self.replay_window = replay_window
        self.cluster_sample = cluster_sample

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters, by name."""
        return {name: getattr(self, name) for name in _PARAMS}

    def fit(
        self,
        matrix: VoteMatrix,
        participants: Mapping[str, Mapping[str, str]] | None = None,
    ) -> OpinionMap:
        """Map the opinions in ``matrix``.

        Parameters
        ----------
        matrix : VoteMatrix
        participants : mapping of participant id to fields, optional
            ``actor_type``, ``province``, ``gender`` and ``age_band`` are broken down by group.

        Returns
        -------
        self
        """
        timings: dict[str, float] = {}
        cpu: dict[str, float] = {}
        start, cpu_start = time.perf_counter(), time.process_time()
        kept = polis_participant_filter(
            matrix, min_votes=self.min_votes, min_participants=self.min_participants
        )
        pca = PolisPCA(random_state=self.random_state).fit(matrix)
        timings["pca"] = time.perf_counter() - start
        cpu["pca"] = time.process_time() - cpu_start

        start, cpu_start = time.perf_counter(), time.process_time()
        labels: NDArray[np.int64] = np.full(matrix.shape[0], -1, dtype=np.int64)
        clusterer: TwoLevelKMeans | None = None
        replay: ReplayState | None = None
        n_groups = 0
        if self.replay_window is not None and matrix.history is not None:
            labels, replay = replay_groups(
                matrix.history,
                matrix.shape[0],
                matrix.shape[1],
                self.replay_window,
                min_votes=self.min_votes,
                min_participants=self.min_participants,
                base_clusters=self.base_clusters,
                max_groups=self.max_groups,
                base_iterations=self.base_iterations,
                group_iterations=self.group_iterations,
                random_state=self.random_state,
            )
            kept = labels >= 0
            n_groups = int(labels.max()) + 1 if kept.any() else 0
        elif kept.any():
            clusterer = TwoLevelKMeans(
                base_clusters=self.base_clusters,
                max_groups=self.max_groups,
                base_iterations=self.base_iterations,
                group_iterations=self.group_iterations,
                sample_size=self.cluster_sample,
                random_state=self.random_state,
            ).fit(pca.embedding_[kept])
            labels[kept] = clusterer.labels_
            n_groups = clusterer.n_groups_
        timings["cluster"] = time.perf_counter() - start
        cpu["cluster"] = time.process_time() - cpu_start

        start, cpu_start = time.perf_counter(), time.process_time()
        stats = statement_stats(matrix, labels, n_groups)
        representatives = representative_statements(
            stats, confidence=self.confidence, top=self.top_statements
        )
        breakdowns = (
            group_breakdowns(matrix.participant_ids, labels, n_groups, participants)
            if participants
            else []
        )
        timings["statements"] = time.perf_counter() - start
        cpu["statements"] = time.process_time() - cpu_start

        self.participant_ids_ = matrix.participant_ids
        self.statement_ids_ = matrix.statement_ids
        self.n_votes_ = matrix.n_votes
        self.kept_ = kept
        self.pca_ = pca
        self.embedding_ = pca.embedding_
        self.clusterer_ = clusterer
        self.replay_ = replay
        self.labels_ = labels
        self.n_groups_ = n_groups
        self.statements_ = stats
        self.representatives_ = representatives
        self.breakdowns_ = breakdowns
        self.timings_ = timings
        self.cpu_timings_ = cpu
        return self

    def to_dict(self) -> dict[str, Any]:
        """The fitted map as plain JSON-serialisable data (NaN becomes None).

        Returns
        -------
        dict
            ``engine``, ``version``, ``parameters``, ``timings``, ``n_groups``, and per
            ``participants`` (id, group or None, x, y), ``statements`` (id, consensus,
            divisiveness, per-group counts and repness), ``representatives`` (per group, by
            statement id) and ``breakdowns``.
        """
        from tashawur import __version__

        stats = self.statements_
        repness = stats.repness
        repful = stats.repful_for_agree

        def number(value: float) -> float | None:
            return None if math.isnan(value) else float(value)

        statements = []
        for j, statement in enumerate(self.statement_ids_):
            groups = []
            for g in range(self.n_groups_):
                compared = not math.isnan(float(repness[g, j]))
                groups.append(
                    {
                        "agree": int(stats.agree[g, j]),
                        "disagree": int(stats.disagree[g, j]),
                        "pass": int(stats.passes[g, j]),
                        "repness": number(float(repness[g, j])),
                        "repful_for": ("agree" if repful[g, j] else "disagree")
                        if compared
                        else None,
                    }
                )
            statements.append(
                {
                    "id": statement,
                    "consensus": number(float(stats.consensus[j])),
                    "divisiveness": number(float(stats.divisiveness[j])),
                    "groups": groups,
                }
            )
        return {
            "engine": "tashawur.synthesis.opinions",
            "version": __version__,
            "parameters": self.get_params(),
            "timings": dict(self.timings_),
            "n_groups": self.n_groups_,
            "participants": [
                {
                    "id": participant,
                    "group": int(group) if group >= 0 else None,
                    "x": float(x),
                    "y": float(y),
                }
                for participant, group, (x, y) in zip(
                    self.participant_ids_,
                    self.labels_.tolist(),
                    self.embedding_[:, :2].tolist(),
                    strict=True,
                )
            ],
            "statements": statements,
            "representatives": {
                str(g): [{**asdict(r), "statement": self.statement_ids_[r.statement]} for r in reps]
                for g, reps in self.representatives_.items()
            },
            "breakdowns": [asdict(b) for b in self.breakdowns_],
        }

    def consensus_order(self) -> list[int]:
        """Statement columns from most to least group-informed consensus."""
        return [int(j) for j in np.argsort(-self.statements_.consensus, kind="stable")]

    def divisive_order(self) -> list[int]:
        """Statement columns from most to least divisive."""
        return [int(j) for j in np.argsort(-self.statements_.divisiveness, kind="stable")]


_PARAMS = (
    "min_votes",
    "min_participants",
    "base_clusters",
    "max_groups",
    "base_iterations",
    "group_iterations",
    "confidence",
    "top_statements",
    "random_state",
    "replay_window",
    "cluster_sample",
)
