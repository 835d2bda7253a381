import numpy as np
from sklearn.metrics import adjusted_rand_score

from tashawur.synthesis.opinions import OpinionMap, vote_matrix

from .conftest import CONSENSUS, SPLIT, planted_votes


def _fit(**data_kwargs):
    participants, statements, votes, planted = planted_votes(**data_kwargs)
    matrix = vote_matrix(participants, statements, votes)
    return OpinionMap(random_state=0).fit(matrix), planted


def test_recovers_two_planted_groups():
    result, planted = _fit()
    truth = [planted[p] for p in result.participant_ids_]
    assert result.n_groups_ == 2
    assert adjusted_rand_score(truth, result.labels_) == 1.0


def test_same_random_state_same_map():
    first, _ = _fit(seed=5)
    second, _ = _fit(seed=5)
    assert first.labels_.tolist() == second.labels_.tolist()
    np.testing.assert_array_equal(first.embedding_, second.embedding_)


def test_consensus_statements_rank_first_and_split_ones_are_most_divisive():
    result, _ = _fit()
    consensus = [int(result.statement_ids_[j]) for j in result.consensus_order()[:2]]
    divisive = [int(result.statement_ids_[j]) for j in result.divisive_order()[:6]]
    assert sorted(consensus) == list(CONSENSUS)
    assert sorted(divisive) == list(SPLIT)


def test_each_group_is_represented_by_statements_of_the_split():
    result, _ = _fit()
    for group, reps in result.representatives_.items():
        split = [r for r in reps if not r.best_agree]
        assert split, f"group {group} has no representative from the split"
        assert all(int(result.statement_ids_[r.statement]) in SPLIT for r in split)


def test_breakdowns_count_each_group_by_actor_type():
    participants, statements, votes, planted = planted_votes()
    matrix = vote_matrix(participants, statements, votes)
    fields = {
        p: {"actor_type": "cooperative" if g == 0 else "association"} for p, g in planted.items()
    }
    result = OpinionMap(random_state=0).fit(matrix, fields)
    rows = {(b.value, b.group): (b.count, b.share) for b in result.breakdowns_}
    group_of_p000 = int(result.labels_[result.participant_ids_.index("p000")])
    assert rows[("cooperative", group_of_p000)] == (20, 1.0)
    assert rows[("association", group_of_p000)] == (0, 0.0)
    assert {b.field for b in result.breakdowns_} == {"actor_type"}


def test_missing_fields_count_as_unknown():
    participants, statements, votes, _ = planted_votes()
    matrix = vote_matrix(participants, statements, votes)
    result = OpinionMap(random_state=0).fit(matrix, {"p000": {"province": "Agadir Ida-Outanane"}})
    counts = {}
    for b in result.breakdowns_:
        counts[b.value] = counts.get(b.value, 0) + b.count
    assert counts == {"unknown": 39, "Agadir Ida-Outanane": 1}


def test_single_participant_makes_one_group_without_representativeness():
    result = OpinionMap().fit(vote_matrix(["a", "a"], ["s", "t"], [1, -1]))
    assert result.n_groups_ == 1
    assert result.labels_.tolist() == [0]
    assert result.representatives_ == {}


def test_participants_with_identical_votes_make_one_group():
    result = OpinionMap().fit(vote_matrix(["a", "b", "c"], ["s"] * 3, [1, 1, 1]))
    assert result.n_groups_ == 1


def test_get_params_returns_the_constructor_arguments():
    assert OpinionMap(max_groups=3, random_state=7).get_params() == {
        "min_votes": 7,
        "min_participants": 15,
        "base_clusters": 100,
        "max_groups": 3,
        "base_iterations": 100,
        "group_iterations": 20,
        "confidence": 0.9,
        "top_statements": 5,
        "random_state": 7,
        "replay_window": None,
        "cluster_sample": 100_000,
    }


def test_to_dict_is_json_with_every_participant_and_statement():
    import json

    result, planted = _fit()
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["engine"] == "tashawur.synthesis.opinions"
    assert data["parameters"]["random_state"] == 0
    assert {p["id"] for p in data["participants"]} == set(planted)
    assert [s["id"] for s in data["statements"]] == result.statement_ids_
    group_of = {p["id"]: p["group"] for p in data["participants"]}
    assert group_of["p000"] == int(result.labels_[result.participant_ids_.index("p000")])
    assert set(data["representatives"]) == {"0", "1"}


def test_to_dict_turns_missing_representativeness_into_none():
    import json

    result = OpinionMap().fit(vote_matrix(["a", "a"], ["s", "t"], [1, -1]))
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["statements"][0]["groups"][0]["repness"] is None
    assert data["statements"][0]["groups"][0]["repful_for"] is None
