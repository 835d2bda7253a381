import numpy as np
import pytest

from tashawur.synthesis.opinions import (
    representative_statements,
    statement_stats,
    vote_matrix,
)
from tashawur.synthesis.opinions._repness import prop_test, two_prop_test, z_threshold


def test_prop_test_is_polis_one_proportion_statistic():
    # Pol.is: 2 * sqrt(n + 1) * ((s + 1) / (n + 1) - 0.5)
    assert prop_test(np.array([8.0]), np.array([10.0]))[0] == pytest.approx(
        2 * np.sqrt(11) * (9 / 11 - 0.5)
    )


def test_two_prop_test_is_polis_two_proportion_statistic():
    s1, s2, n1, n2 = 9, 3, 11, 11  # counts after Pol.is's +1
    pooled = (s1 + s2) / (n1 + n2)
    expected = (s1 / n1 - s2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    got = two_prop_test(np.array([8.0]), np.array([2.0]), np.array([10.0]), np.array([10.0]))
    assert got[0] == pytest.approx(expected)


def test_two_prop_test_is_zero_when_everyone_succeeds():
    got = two_prop_test(np.array([4.0]), np.array([4.0]), np.array([4.0]), np.array([4.0]))
    assert got.tolist() == [0.0]


def test_ninety_percent_threshold_is_polis_constant():
    assert z_threshold(0.9) == pytest.approx(1.2816, abs=1e-4)


def _two_groups():
    # Group 0 (a, b, c) agrees with s1, group 1 (d, e, f) disagrees; everyone agrees with s2.
    people = ["a", "b", "c", "d", "e", "f"]
    participants = people * 2
    statements = ["s1"] * 6 + ["s2"] * 6
    votes = [1, 1, 1, -1, -1, 0] + [1] * 6
    matrix = vote_matrix(participants, statements, votes)
    return matrix, np.array([0, 0, 0, 1, 1, 1])


def test_counts_per_group():
    matrix, labels = _two_groups()
    stats = statement_stats(matrix, labels, 2)
    assert stats.agree.tolist() == [[3, 3], [0, 3]]
    assert stats.disagree.tolist() == [[0, 0], [2, 0]]
    assert stats.passes.tolist() == [[0, 0], [1, 0]]


def test_smoothed_rates_and_ratio_to_the_rest():
    matrix, labels = _two_groups()
    stats = statement_stats(matrix, labels, 2)
    assert stats.p_agree[0, 0] == pytest.approx(4 / 5)
    assert stats.repness_agree[0, 0] == pytest.approx((4 / 5) / (1 / 5))
    assert stats.repness_disagree[1, 0] == pytest.approx((3 / 5) / (1 / 5))


def test_group_informed_consensus_is_the_product_of_smoothed_agreement():
    matrix, labels = _two_groups()
    stats = statement_stats(matrix, labels, 2)
    assert stats.consensus.tolist() == pytest.approx([4 / 5 * 1 / 5, 4 / 5 * 4 / 5])


def test_divisiveness_is_the_spread_of_group_agreement():
    matrix, labels = _two_groups()
    stats = statement_stats(matrix, labels, 2)
    assert stats.divisiveness.tolist() == pytest.approx([3 / 5, 0.0])


def test_unclustered_participants_are_not_counted():
    matrix, labels = _two_groups()
    labels[0] = -1
    assert statement_stats(matrix, labels, 2).agree[0].tolist() == [2, 2]


def test_one_group_has_no_representativeness():
    matrix, _ = _two_groups()
    stats = statement_stats(matrix, np.zeros(6, dtype=np.int64), 1)
    assert np.isnan(stats.repness_agree).all()
    assert representative_statements(stats) == {}


def test_each_group_is_represented_by_its_side_of_the_split():
    # Twelve people a side: group 0 agrees with s1, group 1 disagrees; everyone agrees with s2.
    people = [f"p{i:02d}" for i in range(24)]
    votes = [1] * 12 + [-1] * 12 + [1] * 24
    matrix = vote_matrix(people * 2, ["s1"] * 24 + ["s2"] * 24, votes)
    labels = np.repeat([0, 1], 12)
    reps = representative_statements(statement_stats(matrix, labels, 2))
    assert [(r.statement, r.repful_for, r.best_agree) for r in reps[0]] == [(0, "agree", True)]
    assert [(r.statement, r.repful_for, r.best_agree) for r in reps[1]] == [
        (1, "agree", True),
        (0, "disagree", False),
    ]


def test_a_group_without_significant_statements_keeps_its_best_agreed_one():
    matrix, labels = _two_groups()
    reps = representative_statements(statement_stats(matrix, labels, 2))
    assert [(r.statement, r.repful_for) for r in reps[1]] == [(1, "agree")]
