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


def _planted(n: int, m: int, per: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    p_agree = rng.beta(0.5, 0.5, size=(3, m))
    participants = np.repeat(np.arange(n), per)
    statements = np.concatenate([rng.choice(m, per, replace=False) for _ in range(n)])
    agree = rng.random(n * per) < p_agree[group[participants], statements]
    passes = rng.random(n * per) < 0.1
    votes = np.where(passes, 0, np.where(agree, 1, -1))
    return participants, statements, votes, group


def test_sampled_clustering_agrees_with_clustering_everyone():
    participants, statements, votes, group = _planted(3_000, 600, 30, 1)
    matrix = vote_matrix(participants, statements, votes)
    exact = OpinionMap(random_state=0, cluster_sample=None).fit(matrix)
    sampled = OpinionMap(random_state=0, cluster_sample=500).fit(matrix)
    assert exact.clusterer_ is not None and sampled.clusterer_ is not None
    assert len(exact.clusterer_.base_labels_) == len(sampled.clusterer_.base_labels_) == 3_000
    assert sampled.n_groups_ == exact.n_groups_ == 3
    assert adjusted_rand_score(exact.labels_, sampled.labels_) > 0.95
    ids = np.array([int(p) for p in sampled.participant_ids_])
    assert adjusted_rand_score(group[ids], sampled.labels_) > 0.95
    # Every base centre is the mean of its members after the final assignment.
    clusterer = sampled.clusterer_
    points = sampled.embedding_[sampled.kept_]
    for b in range(len(clusterer.base_centers_)):
        members = points[clusterer.base_labels_ == b]
        np.testing.assert_allclose(clusterer.base_centers_[b], members.mean(axis=0))


def test_group_counts_in_blocks_match_a_plain_count(monkeypatch):
    from tashawur.synthesis.opinions import _repness

    participants, statements, votes, _ = _planted(200, 40, 10, 2)
    matrix = vote_matrix(participants, statements, votes)
    labels = np.random.default_rng(3).integers(-1, 3, matrix.shape[0])
    monkeypatch.setattr(_repness, "_BLOCK_VOTES", 97)  # many blocks
    agree, disagree, seen = _repness.group_vote_counts(matrix, labels, 3)
    dense = matrix.votes.toarray()
    voted = np.zeros(matrix.shape, dtype=bool)
    voted[
        np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.votes.indptr)), matrix.votes.indices
    ] = True
    for g in range(3):
        rows = labels == g
        np.testing.assert_array_equal(agree[g], (dense[rows] == 1).sum(axis=0))
        np.testing.assert_array_equal(disagree[g], (dense[rows] == -1).sum(axis=0))
        np.testing.assert_array_equal(seen[g], voted[rows].sum(axis=0))


def test_integer_ids_give_the_matrix_of_their_text():
    rng = np.random.default_rng(4)
    participants = rng.integers(-5, 60, 2_000)  # unsorted, negative, repeated pairs
    statements = rng.integers(1_000, 1_030, 2_000)
    votes = rng.integers(-1, 2, 2_000)
    for p in (participants, np.sort(participants)):
        fast = vote_matrix(p, statements, votes)
        text = vote_matrix([str(x) for x in p], [str(x) for x in statements], votes.tolist())
        assert fast.participant_ids == text.participant_ids
        assert fast.statement_ids == text.statement_ids
        assert fast.n_duplicates == text.n_duplicates > 0
        np.testing.assert_array_equal(fast.vote_counts, text.vote_counts)
        assert (fast.votes != text.votes).nnz == 0
        np.testing.assert_array_equal(fast.votes.indptr, text.votes.indptr)
        np.testing.assert_array_equal(fast.votes.indices, text.votes.indices)
