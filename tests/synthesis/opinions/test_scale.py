import numpy as np
from sklearn.metrics import adjusted_rand_score

from tashawur.synthesis.opinions import OpinionMap, vote_matrix


def test_sparse_votes_of_thousands_recover_planted_groups():
    # 3,000 participants, 600 statements (past the dense PCA limit), 30 votes each, 3 groups.
    rng = np.random.default_rng(0)
    n, m, per = 3_000, 600, 30
    group = rng.integers(0, 3, n)
    p_agree = rng.beta(0.5, 0.5, size=(3, m))
    participants = np.repeat(np.arange(n), per)
    statements = np.concatenate([rng.choice(m, per, replace=False) for _ in range(n)])
    agree = rng.random(n * per) < p_agree[group[participants], statements]
    votes = np.where(agree, 1, -1)
    result = OpinionMap(random_state=0).fit(vote_matrix(participants, statements, votes))
    ids = np.array([int(p) for p in result.participant_ids_])
    assert result.n_groups_ == 3
    assert adjusted_rand_score(group[ids], result.labels_) > 0.95
