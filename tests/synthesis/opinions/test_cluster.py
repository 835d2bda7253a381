import numpy as np
from sklearn.metrics import silhouette_score

from tashawur.synthesis.opinions import TwoLevelKMeans, polis_kmeans, polis_silhouette


def test_kmeans_starts_from_the_first_distinct_points():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0], [0.5, 0.0], [10.5, 0.0]])
    labels, centers = polis_kmeans(points, 2)
    assert labels.tolist() == [0, 0, 1, 0, 1]
    np.testing.assert_allclose(centers, [[1 / 6, 0.0], [10.25, 0.0]])


def test_kmeans_gives_fewer_clusters_than_distinct_points_allow():
    points = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    labels, centers = polis_kmeans(points, 5)
    assert labels.tolist() == [0, 0, 1]
    assert len(centers) == 2


def test_kmeans_weights_pull_the_centre():
    points = np.array([[0.0, 0.0], [3.0, 0.0], [100.0, 0.0]])
    _, centers = polis_kmeans(points, 2, weights=np.array([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(centers[0], [2.0, 0.0])


def test_silhouette_matches_sklearn_without_singletons():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(30, 2))
    labels = (points[:, 0] > 0).astype(np.int64)
    assert np.isclose(polis_silhouette(points, labels), silhouette_score(points, labels))


def test_silhouette_scores_a_singleton_zero():
    points = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 1.0]])
    # The singleton scores 0; the pair scores 1 - 1/mean(10, sqrt(101)) each.
    pair = 1 - 1 / ((10 + np.sqrt(101)) / 2)
    assert np.isclose(polis_silhouette(points, np.array([0, 1, 1])), 2 * pair / 3)


def _blobs(centres, per_blob, seed=0):
    rng = np.random.default_rng(seed)
    points = np.vstack([rng.normal(c, 0.3, size=(per_blob, 2)) for c in centres])
    truth = np.repeat(np.arange(len(centres)), per_blob)
    order = rng.permutation(len(points))
    return points[order], truth[order]


def test_two_level_kmeans_recovers_three_planted_groups():
    points, truth = _blobs([(0, 0), (6, 0), (0, 6)], 200)
    model = TwoLevelKMeans().fit(points)
    assert model.n_groups_ == 3
    assert len(model.base_centers_) == 100
    pairs = set(zip(truth.tolist(), model.labels_.tolist(), strict=True))
    assert len(pairs) == 3


def test_group_count_is_capped_by_the_number_of_base_clusters():
    points, _ = _blobs([(0, 0), (6, 0), (0, 6), (6, 6)], 5)
    model = TwoLevelKMeans().fit(points)
    assert len(model.base_centers_) == 20
    assert sorted(model.silhouettes_) == [2, 3]  # 2 + 20 // 12 = 3


def test_one_distinct_point_makes_one_group():
    model = TwoLevelKMeans().fit(np.zeros((4, 2)))
    assert model.n_groups_ == 1
    assert model.labels_.tolist() == [0, 0, 0, 0]
