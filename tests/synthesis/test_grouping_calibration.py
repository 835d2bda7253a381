"""The theme step over cross-language mutual neighbours, the exact small SVD, and the means."""

import numpy as np
import pytest
from scipy import sparse

import tashawur.synthesis._embed as embed
from tashawur.synthesis import USEEmbedder
from tashawur.synthesis._cluster import (
    LinkageThemes,
    MutualNeighbourThemes,
    means,
    mutual_neighbour_groups,
)
from tashawur.synthesis._embed import GramSVD, l2_normalise


def _translated_blobs(n_blobs=3, per_blob=20, dim=24, seed=0):
    """Each row of language "a" has a slightly moved copy (its translation) in language "b"."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    source = np.repeat(centres, per_blob, axis=0) + 0.3 * rng.normal(size=(n_blobs * per_blob, dim))
    target = source + 0.05 * rng.normal(size=source.shape)
    vectors = l2_normalise(np.concatenate([source, target]))
    truth = np.tile(np.repeat(np.arange(n_blobs), per_blob), 2)
    return vectors, ["a"] * len(source) + ["b"] * len(target), truth


def test_mutual_neighbours_join_a_row_and_its_translation():
    vectors, groups, _ = _translated_blobs()
    point_of = mutual_neighbour_groups(vectors, groups)
    half = len(vectors) // 2
    assert (point_of[:half] == point_of[half:]).all()
    assert len(np.unique(point_of)) == half


def _mutual_groups_by_hand(vectors, groups, similarity=0.3):
    """Language pairs in order, left rows in order; a mutual pair joins the left row's group
    into the right row's; groups numbered in the order of the rows naming them."""
    name = list(range(len(vectors)))

    def root(i):
        while name[i] != i:
            i = name[i]
        return i

    kinds = sorted(set(groups))
    for a, first in enumerate(kinds):
        for second in kinds[a + 1 :]:
            left = [i for i, g in enumerate(groups) if g == first]
            right = [i for i, g in enumerate(groups) if g == second]
            sims = vectors[left] @ vectors[right].T
            for p, q in enumerate(sims.argmax(axis=1)):
                if sims[:, q].argmax() == p and sims[p, q] >= similarity:
                    name[root(left[p])] = root(right[q])
    roots = [root(i) for i in range(len(vectors))]
    return np.unique(roots, return_inverse=True)[1].tolist()


def test_mutual_neighbour_groups_are_joined_and_numbered_as_by_hand():
    rng = np.random.default_rng(5)
    vectors = l2_normalise(rng.normal(size=(90, 6)))
    groups = rng.choice(["ar", "ary", "fr", "zgh"], size=90).tolist()
    point_of = mutual_neighbour_groups(vectors, groups, similarity=0.0)
    assert point_of.tolist() == _mutual_groups_by_hand(vectors, groups, similarity=0.0)
    assert point_of.max() + 1 < 70  # rows were joined across all four languages


def test_mutual_neighbours_never_join_rows_of_one_language():
    vectors, _, _ = _translated_blobs()
    point_of = mutual_neighbour_groups(vectors, ["a"] * len(vectors))
    assert len(np.unique(point_of)) == len(vectors)


def test_mutual_neighbour_themes_keep_translations_and_blobs_together():
    vectors, groups, truth = _translated_blobs()
    labels = MutualNeighbourThemes(n_themes=3, random_state=0).fit(vectors, groups).labels_
    pairs = {(int(a), int(b)) for a, b in zip(labels, truth, strict=True)}
    assert len(pairs) == 3


def test_mutual_neighbour_themes_choose_the_count_from_the_data():
    vectors, groups, _ = _translated_blobs(n_blobs=5)
    assert MutualNeighbourThemes(random_state=0).fit(vectors, groups).n_themes_ == 5


def test_a_row_dotted_with_a_mean_is_its_average_similarity_to_the_members():
    vectors, _, _ = _translated_blobs()
    labels = np.array([0, 0, 0] + [1] * (len(vectors) - 3), dtype=np.int64)
    average = float((vectors[:3] @ vectors[10]).mean())
    assert float(means(vectors, labels, 2)[0] @ vectors[10]) == pytest.approx(average, abs=1e-6)


def test_gram_svd_gives_the_exact_truncated_svd_up_to_sign():
    rng = np.random.default_rng(0)
    matrix = sparse.random(12, 300, density=0.1, random_state=0, format="csr", dtype=np.float32)
    matrix.data = rng.random(len(matrix.data), dtype=np.float32)
    u, s, _ = np.linalg.svd(matrix.toarray().astype(np.float64), full_matrices=False)
    reduced = GramSVD(n_components=4).fit(matrix).transform(matrix)
    assert np.allclose(np.abs(reduced), np.abs(u[:, :4] * s[:4]), atol=1e-4)


def test_use_runs_one_blas_thread_per_process_by_default(monkeypatch):
    monkeypatch.setattr(embed, "_USE_MODELS", {})
    USEEmbedder().embed(["bonjour"], ["fr"])
    assert list(embed._USE_MODELS) == [1]


def test_themes_of_three_rows_skip_a_cut_into_three_groups():
    # Two orthogonal rows and a zero row (a text without n-grams): every cut into two groups
    # is refined to three, which the silhouette cannot score.
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    assert LinkageThemes().fit(vectors).n_themes_ == 1
