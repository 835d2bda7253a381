"""Any small vote set maps without error, and the map's counts agree with the votes."""

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tashawur.synthesis.opinions import OpinionMap, vote_matrix
from tashawur.synthesis.opinions._report import write_groups, write_report, write_statements

votes_strategy = st.lists(
    st.tuples(
        st.integers(0, 24),  # participant
        st.integers(0, 9),  # statement
        st.sampled_from([1, -1, 0]),
        st.integers(0, 1_000),  # timestamp
    ),
    min_size=1,
    max_size=150,
)


@settings(max_examples=60, deadline=None)
@given(votes=votes_strategy, moderated=st.sets(st.integers(0, 9), max_size=3))
def test_any_small_vote_set_maps_consistently(tmp_path_factory, votes, moderated):
    participants = [f"p{p}" for p, _, _, _ in votes]
    statements = [str(s) for _, s, _, _ in votes]
    matrix = vote_matrix(
        participants,
        statements,
        [v for _, _, v, _ in votes],
        timestamps=[t for _, _, _, t in votes],
        moderated_out={str(s) for s in moderated},
    )
    result = OpinionMap(random_state=0).fit(matrix)

    assert 1 <= result.n_groups_ <= 5
    assert set(result.labels_[result.kept_].tolist()) == set(range(result.n_groups_))
    assert (result.labels_[~result.kept_] == -1).all()
    stats = result.statements_
    clustered = result.labels_ >= 0
    seen = np.asarray((matrix.votes[np.flatnonzero(clustered)] != 0).sum(axis=0)).ravel()
    passes = matrix.votes.data == 0
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.votes.indptr))
    seen = seen + np.bincount(
        matrix.votes.indices[passes & clustered[rows]], minlength=matrix.shape[1]
    )
    total = stats.agree.sum(axis=0) + stats.disagree.sum(axis=0) + stats.passes.sum(axis=0)
    assert total.tolist() == seen.tolist()
    assert ((stats.consensus > 0) & (stats.consensus < 1)).all()
    json.dumps(result.to_dict(), allow_nan=False)

    out = tmp_path_factory.mktemp("out")
    write_groups(out / "groups.csv", result)
    write_statements(out / "statements.csv", result, {})
    write_report(out / "report.html", result, {})
