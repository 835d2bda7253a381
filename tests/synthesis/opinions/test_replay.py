"""Replaying Pol.is's incremental updates from vote times."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from tashawur.synthesis.opinions import (
    OpinionMap,
    VoteMatrix,
    read_statements,
    read_votes,
    vote_matrix,
)
from tashawur.synthesis.opinions._replay import Clustering, carried_kmeans, replay_groups

from .conftest import planted_votes

EVAL_DATA = Path(
    os.environ.get("TASHAWUR_EVAL_DATA", Path(__file__).resolve().parents[4] / "shared/eval-data")
)


def _timed(
    per_group: int = 20, seed: int = 0
) -> tuple[list[str], list[str], list[int], list[float], dict[str, int]]:
    """Planted votes cast over time, the two groups' participants arriving interleaved."""
    participants, statements, votes, planted = planted_votes(per_group, seed=seed)
    rng = np.random.default_rng(seed)
    arrival = {p: float(i) for i, p in enumerate(rng.permutation(sorted(planted)).tolist())}
    times = [arrival[p] * 100 + float(s) for p, s in zip(participants, statements, strict=True)]
    return participants, statements, votes, times, planted


def _matrix(seed: int = 0) -> tuple[VoteMatrix, dict[str, int]]:
    participants, statements, votes, times, planted = _timed(seed=seed)
    matrix = vote_matrix(participants, statements, votes, timestamps=times, keep_history=True)
    return matrix, planted


def test_replay_recovers_planted_groups() -> None:
    matrix, planted = _matrix()
    result = OpinionMap(random_state=0, replay_window=250.0).fit(matrix)
    assert result.replay_ is not None and result.replay_.n_updates > 5
    assert result.clusterer_ is None
    truth = [planted[p] for p in result.participant_ids_]
    assert adjusted_rand_score(truth, result.labels_) == pytest.approx(1.0)


def test_replay_is_deterministic_for_a_seed() -> None:
    matrix, _ = _matrix(seed=3)
    first = OpinionMap(random_state=5, replay_window=300.0).fit(matrix)
    second = OpinionMap(random_state=5, replay_window=300.0).fit(matrix)
    assert first.labels_.tolist() == second.labels_.tolist()
    assert first.replay_ is not None and second.replay_ is not None
    assert first.replay_.components is not None and second.replay_.components is not None
    np.testing.assert_allclose(first.replay_.components, second.replay_.components, atol=1e-9)


def test_without_history_the_window_is_not_used() -> None:
    participants, statements, votes, times, _ = _timed()
    plain = vote_matrix(participants, statements, votes, timestamps=times)
    assert plain.history is None
    with_window = OpinionMap(random_state=0, replay_window=300.0).fit(plain)
    without = OpinionMap(random_state=0).fit(plain)
    assert with_window.replay_ is None
    assert with_window.labels_.tolist() == without.labels_.tolist()


def test_history_is_time_ordered_by_matrix_row_and_column() -> None:
    matrix = vote_matrix(
        ["b", "a", "b"], ["2", "1", "9"], [1, -1, 0], timestamps=[5, 1, 9],
        moderated_out={"9"}, keep_history=True,
    )  # fmt: skip
    history = matrix.history
    assert history is not None
    assert history.times.tolist() == [1.0, 5.0, 9.0]
    assert [matrix.participant_ids[r] for r in history.rows.tolist()] == ["a", "b", "b"]
    # The moderated-out statement is numbered after the kept columns.
    assert history.columns.tolist() == [0, 1, 2]
    assert history.values.tolist() == [-1, 1, 0]


def test_a_non_positive_window_is_refused() -> None:
    matrix, _ = _matrix()
    assert matrix.history is not None
    with pytest.raises(ValueError, match="positive"):
        replay_groups(matrix.history, matrix.shape[0], matrix.shape[1], 0.0)


def test_carried_kmeans_keeps_the_last_clusters_when_points_barely_move() -> None:
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(-3, 0.3, (20, 2)), rng.normal(3, 0.3, (20, 2))])
    names = np.arange(40)
    first = carried_kmeans(names, points, 2, last=None)
    moved = points + rng.normal(0, 0.01, points.shape)
    second = carried_kmeans(names, moved, 2, last=first)
    assert second.ids == first.ids
    assert [m.tolist() for m in second.members] == [m.tolist() for m in first.members]


def test_clean_start_splits_off_the_most_distant_point_for_a_new_cluster() -> None:
    points = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0]])
    last = Clustering(ids=[7], members=[np.array([0, 1])], centers=np.array([[0.05, 0.0]]))
    result = carried_kmeans(np.arange(3), points, 2, last=last)
    assert result.ids == [7, 8]
    assert [m.tolist() for m in result.members] == [[0, 1], [2]]


def _polis_groups(folder: Path) -> dict[str, int]:
    with (folder / "participants-votes.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["participant"]: int(float(row["group-id"]))
            for row in csv.DictReader(handle)
            if row["group-id"].strip()
        }


@pytest.mark.slow
@pytest.mark.skipif(
    not (EVAL_DATA / "polis/15-per-hour-seattle/votes.csv").exists(),
    reason="the Pol.is conversations are not in the eval data",
)
def test_replay_does_not_lose_agreement_with_polis_on_a_small_conversation() -> None:
    folder = EVAL_DATA / "polis/15-per-hour-seattle"
    votes = read_votes(folder / "votes.csv")
    matrix = vote_matrix(
        votes.participants,
        votes.statements,
        votes.values,
        timestamps=votes.timestamps,
        moderated_out=read_statements(folder / "comments.csv").moderated_out,
        keep_history=True,
    )
    reference = _polis_groups(folder)

    def ari(result: OpinionMap) -> float:
        labels = dict(zip(result.participant_ids_, result.labels_.tolist(), strict=True))
        ids = sorted(reference)
        return float(adjusted_rand_score([reference[p] for p in ids], [labels[p] for p in ids]))

    plain = ari(OpinionMap(random_state=0).fit(matrix))
    replayed = ari(OpinionMap(random_state=0, replay_window=300_000.0).fit(matrix))  # 5 min, ms
    assert replayed >= plain - 0.02


def test_participants_who_all_vote_alike_make_one_group() -> None:
    matrix = vote_matrix(
        ["a", "b", "a", "b"], ["1", "1", "2", "2"], [1, 1, -1, -1],
        timestamps=[1, 2, 30, 40], keep_history=True,
    )  # fmt: skip
    result = OpinionMap(random_state=0, replay_window=10.0).fit(matrix)
    assert result.labels_.tolist() == [0, 0]
    assert result.n_groups_ == 1
