import numpy as np
import pytest

from tashawur.synthesis import HypergeometricProfiler


def test_an_over_represented_province_is_flagged_with_its_lift():
    # 40 contributions: finding 0 has 10, 9 of them from Tiznit; Tiznit has 12 overall.
    province = ["Tiznit"] * 9 + ["Agadir"] + ["Tiznit"] * 3 + ["Agadir"] * 27
    labels = np.array([0] * 10 + [1] * 30)
    profiles = HypergeometricProfiler().fit({"province": province}, labels, 2).profiles_
    tiznit = next(g for g in profiles[0]["province"] if g.value == "Tiznit")
    assert (tiznit.count, tiznit.share, tiznit.overall_share) == (9, 0.9, 0.3)
    assert tiznit.lift == pytest.approx(3.0)
    assert tiznit.over_represented is True
    assert tiznit.p_value < 0.001
    agadir = next(g for g in profiles[0]["province"] if g.value == "Agadir")
    assert agadir.over_represented is False


def test_a_group_in_line_with_the_whole_is_not_flagged():
    province = ["A", "B"] * 20
    labels = np.array([0] * 20 + [1] * 20)
    profiles = HypergeometricProfiler().fit({"province": province}, labels, 2).profiles_
    assert [g.over_represented for g in profiles[0]["province"]] == [False, False]
    assert [g.lift for g in profiles[0]["province"]] == [1.0, 1.0]


def test_small_counts_are_never_flagged():
    values = ["rare", "rare"] + ["common"] * 98
    labels = np.array([0, 0] + [1] * 98)
    profiles = HypergeometricProfiler(min_count=3).fit({"channel": values}, labels, 2).profiles_
    assert profiles[0]["channel"][0].over_represented is False


def test_missing_values_and_unassigned_contributions_are_left_out():
    values = ["x", "", None, "x"]
    labels = np.array([0, 0, 0, -1])
    profiles = HypergeometricProfiler().fit({"channel": values}, labels, 1).profiles_
    assert [(g.value, g.count) for g in profiles[0]["channel"]] == [("x", 1)]


def test_fields_with_too_many_values_are_not_profiled():
    values = [str(i) for i in range(10)]
    labels = np.zeros(10, dtype=np.int64)
    profiles = HypergeometricProfiler(max_values=5).fit({"free": values}, labels, 1).profiles_
    assert profiles == [{}]
