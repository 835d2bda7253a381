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


def _cell_by_cell(fields, labels, n_labels, *, alpha=0.05, min_count=3, max_values=100):
    """The profiles worked out one (finding, value) cell at a time, as the step defines them."""
    from scipy.stats import hypergeom

    profiles = [{} for _ in range(n_labels)]
    for name in sorted(fields):
        kept = [(int(f), str(v)) for v, f in zip(fields[name], labels, strict=True) if v and f >= 0]
        vocabulary = sorted({v for _, v in kept})
        if not kept or len(vocabulary) > max_values:
            continue
        total = len(kept)
        for f in range(n_labels):
            size = sum(1 for g, _ in kept if g == f)
            cells = []
            for value in vocabulary:
                k = sum(1 for g, v in kept if g == f and v == value)
                if not k:
                    continue
                overall = sum(1 for _, v in kept if v == value) / total
                share = k / size
                lift = share / overall
                p = 1.0
                if lift > 1.0 and k >= min_count:
                    p = float(hypergeom.sf(k - 1, total, round(overall * total), size))
                corrected = min(1.0, p * len(vocabulary))
                flag = lift > 1.0 and k >= min_count and corrected < alpha
                cells.append((-k, value, k, share, overall, lift, corrected, flag))
            if cells:
                profiles[f][name] = [
                    (
                        value,
                        k,
                        round(share, 4),
                        round(overall, 4),
                        round(lift, 3),
                        float(f"{corrected:.4g}"),
                        flag,
                    )
                    for _, value, k, share, overall, lift, corrected, flag in sorted(cells)
                ]
    return profiles


def test_cells_alike_share_their_figures_and_equal_a_cell_by_cell_count():
    # Many small findings alike in size and counts (worked out once for all of them), a few
    # large ones, missing values and unassigned contributions.
    rng = np.random.default_rng(7)
    n, n_labels = 3000, 400
    labels = np.minimum(rng.zipf(1.6, n) - 1, n_labels - 1).astype(np.int64)
    labels[rng.random(n) < 0.05] = -1
    fields = {
        "province": [str(v) for v in rng.choice(["", "Tiznit", "Agadir", "Azilal", "Fès"], n)],
        "channel": [str(v) for v in rng.choice(["web", "sms", "facilitator"], n)],
    }

    profiles = HypergeometricProfiler().fit(fields, labels, n_labels).profiles_

    got = [
        {
            name: [
                (g.value, g.count, g.share, g.overall_share, g.lift, g.p_value, g.over_represented)
                for g in groups
            ]
            for name, groups in profile.items()
        }
        for profile in profiles
    ]
    assert got == _cell_by_cell(fields, labels, n_labels)
    assert any(g.over_represented for p in profiles for gs in p.values() for g in gs)
