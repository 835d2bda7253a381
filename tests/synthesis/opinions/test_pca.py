import numpy as np
import pytest

from tashawur.synthesis.opinions import PolisPCA, _pca, vote_matrix

from .conftest import planted_votes


def _dense_reference(matrix):
    """Pol.is's PCA written densely: mean-fill, centre, SVD, project voted cells, scale."""
    votes = matrix.votes.toarray().astype(float)
    seen = np.zeros(matrix.shape, dtype=bool)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.votes.indptr))
    seen[rows, matrix.votes.indices] = True
    means = np.array([votes[seen[:, j], j].mean() for j in range(matrix.shape[1])])
    filled = np.where(seen, votes, means)
    centred = filled - filled.mean(axis=0)
    components = np.linalg.svd(centred, full_matrices=False)[2][:2]
    n_statements = matrix.shape[1] + matrix.n_moderated_out
    n_votes = seen.sum(axis=1) + matrix.n_moderated_out
    projection = np.where(seen, votes - means, 0.0) @ components.T
    return components, projection * np.sqrt(n_statements / np.maximum(n_votes, 1))[:, None]


def _sparse_planted(moderated_out=()):
    participants, statements, votes, _ = planted_votes(per_group=15, seed=3)
    keep = [i for i in range(len(votes)) if (i * 7) % 10 < 7]  # leave out ~30% of the votes
    return vote_matrix(
        [participants[i] for i in keep],
        [statements[i] for i in keep],
        [votes[i] for i in keep],
        moderated_out=moderated_out,
    )


def _same_up_to_sign(a, b):
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a * signs, b, atol=1e-9)


def test_components_are_those_of_the_mean_filled_matrix():
    matrix = _sparse_planted()
    components, _ = _dense_reference(matrix)
    pca = PolisPCA(random_state=0).fit(matrix)
    _same_up_to_sign(pca.components_.T, components.T)


def test_projection_uses_only_cast_votes_scaled_by_sqrt_statements_over_votes():
    matrix = _sparse_planted()
    _, expected = _dense_reference(matrix)
    _same_up_to_sign(PolisPCA(random_state=0).fit(matrix).embedding_, expected)


def test_moderated_out_statements_count_in_the_scaling_as_in_polis():
    matrix = _sparse_planted(moderated_out={"7"})
    assert matrix.n_moderated_out == 1
    _, expected = _dense_reference(matrix)
    _same_up_to_sign(PolisPCA(random_state=0).fit(matrix).embedding_, expected)


def test_lanczos_path_matches_the_dense_path(monkeypatch: pytest.MonkeyPatch):
    matrix = _sparse_planted()
    dense = PolisPCA(random_state=0).fit(matrix)
    monkeypatch.setattr(_pca, "DENSE_LIMIT", 0)
    sparse = PolisPCA(random_state=0).fit(matrix)
    np.testing.assert_allclose(sparse.components_, dense.components_, atol=1e-8)
    np.testing.assert_allclose(sparse.embedding_, dense.embedding_, atol=1e-8)


def test_a_single_statement_gives_one_component_and_a_zero_one():
    matrix = vote_matrix(["a", "b", "c"], ["s", "s", "s"], [1, -1, 1])
    pca = PolisPCA().fit(matrix)
    assert pca.components_.tolist() == [[1.0], [0.0]]
    assert pca.embedding_[:, 1].tolist() == [0.0, 0.0, 0.0]


def test_identical_votes_project_to_the_origin():
    matrix = vote_matrix(["a", "b"], ["s", "s"], [1, 1])
    pca = PolisPCA().fit(matrix)
    assert pca.embedding_.tolist() == [[0.0, 0.0], [0.0, 0.0]]
