import numpy as np
import pytest

from tashawur.synthesis.opinions import (
    VoteError,
    early_admissions,
    polis_participant_filter,
    vote_matrix,
)


def test_latest_vote_wins_by_timestamp_whatever_the_row_order():
    matrix = vote_matrix(["a", "a", "a"], ["s", "s", "s"], [1, -1, 0], timestamps=[3, 1, 2])
    assert matrix.votes.toarray().tolist() == [[1]]
    assert matrix.n_duplicates == 2


def test_later_row_wins_without_timestamps():
    matrix = vote_matrix(["a", "a"], ["s", "s"], [1, -1])
    assert matrix.votes.toarray().tolist() == [[-1]]


def test_later_row_wins_on_equal_timestamps():
    matrix = vote_matrix(["a", "a"], ["s", "s"], [-1, 1], timestamps=[5, 5])
    assert matrix.votes.toarray().tolist() == [[1]]


def test_passes_are_stored_as_seen():
    matrix = vote_matrix(["a", "a", "b"], ["s", "t", "s"], [0, 1, -1])
    assert matrix.n_votes == 3
    assert matrix.counts(0).tolist() == [1, 0]
    assert matrix.counts(1).tolist() == [1, 0]
    assert matrix.counts(-1).tolist() == [0, 1]


def test_participants_are_ordered_by_first_vote_time():
    matrix = vote_matrix(["b", "a", "c"], ["s", "s", "s"], [1, 1, 1], timestamps=[2, 1, 3])
    assert matrix.participant_ids == ["a", "b", "c"]


def test_statements_are_in_natural_id_order():
    matrix = vote_matrix(["a"] * 3, ["10", "9", "x"], [1, 1, 1])
    assert matrix.statement_ids == ["9", "10", "x"]


def test_moderated_out_statements_are_removed_but_counted():
    matrix = vote_matrix(["a", "a", "b"], ["s", "bad", "bad"], [1, 1, -1], moderated_out={"bad"})
    assert matrix.statement_ids == ["s"]
    assert matrix.votes.toarray().tolist() == [[1], [0]]
    assert matrix.n_moderated_out == 1
    assert matrix.vote_counts.tolist() == [2, 1]


def test_unknown_vote_value_is_refused():
    with pytest.raises(VoteError, match=r"unknown vote value 2: votes are 1 \(agree\)"):
        vote_matrix(["a"], ["s"], [2])


def test_integer_arrays_make_the_same_matrix_as_strings():
    from_arrays = vote_matrix(np.array([7, 3, 7]), np.array([1, 1, 2]), np.array([1, -1, 0]))
    from_strings = vote_matrix(["7", "3", "7"], ["1", "1", "2"], [1, -1, 0])
    assert from_arrays.participant_ids == from_strings.participant_ids == ["7", "3"]
    assert (from_arrays.votes != from_strings.votes).nnz == 0


def _voters(n_participants, votes_each, n_statements=10):
    participants, statements = [], []
    for p in range(n_participants):
        for s in range(votes_each[p]):
            participants.append(f"p{p}")
            statements.append(str(s % n_statements))
    return vote_matrix(participants, statements, [1] * len(participants))


def test_filter_keeps_participants_with_seven_votes():
    matrix = _voters(20, [7] * 10 + [6] * 10)
    kept = polis_participant_filter(matrix)
    assert kept.tolist() == [True] * 15 + [False] * 5  # 10 qualify, 5 added


def test_filter_asks_only_for_every_statement_when_there_are_fewer_than_seven():
    matrix = _voters(16, [3] * 15 + [2], n_statements=3)
    assert polis_participant_filter(matrix).tolist() == [True] * 15 + [False]


def test_filter_tops_up_to_fifteen_with_the_most_active():
    matrix = _voters(17, [7] * 14 + [2, 5, 3])
    assert np.flatnonzero(polis_participant_filter(matrix)).tolist() == [*range(14), 15]


def test_early_admissions_admit_the_first_fifteen_voters():
    participants = np.arange(20)
    statements = np.arange(20) % 10
    admitted = early_admissions(participants, statements, 20)
    assert admitted.tolist() == [True] * 15 + [False] * 5


def test_early_admissions_admit_who_voted_on_every_statement_of_a_young_conversation():
    # 15 people vote once on statement 0; then p15 votes on it and on statement 1, while only two
    # statements exist; later statements arrive and others vote on them.
    participants = [*range(15), 15, 15, *([16] * 8)]
    statements = [0] * 15 + [0, 1] + list(range(2, 10))
    admitted = early_admissions(np.array(participants), np.array(statements), 17)
    assert admitted[15]
    assert not admitted[16]


def test_timestamps_turn_on_the_early_admissions():
    participants = [f"p{i}" for i in range(16)]
    statements = [f"s{i}" for i in range(16)]
    with_times = vote_matrix(participants, statements, [1] * 16, timestamps=list(range(16)))
    without = vote_matrix(participants, statements, [1] * 16)
    assert with_times.early_admitted.sum() == 15
    assert without.early_admitted.sum() == 0
