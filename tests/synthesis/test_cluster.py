import numpy as np

from tashawur.synthesis import LinkageFindings, LinkageThemes, centre_by_language
from tashawur.synthesis._cluster import split_into_blocks
from tashawur.synthesis._embed import l2_normalise


def _blobs(n_blobs, per_blob, spread=0.3, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    points = np.repeat(centres, per_blob, axis=0) + spread * rng.normal(
        size=(n_blobs * per_blob, dim)
    )
    return l2_normalise(points), np.repeat(np.arange(n_blobs), per_blob)


def _same_partition(a, b):
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_the_number_of_themes_is_chosen_from_the_data():
    vectors, truth = _blobs(6, 80)
    themes = LinkageThemes(random_state=0).fit(vectors)
    assert themes.n_themes_ == 6
    assert _same_partition(themes.labels_, truth)


def test_n_themes_forces_the_count():
    vectors, _ = _blobs(6, 80)
    assert LinkageThemes(n_themes=3).fit(vectors).n_themes_ == 3


def test_themes_on_a_sample_assign_every_row():
    vectors, truth = _blobs(4, 300)
    themes = LinkageThemes(n_themes=4, sample_size=200, random_state=0).fit(vectors)
    assert _same_partition(themes.labels_, truth)


def test_findings_cut_at_the_similarity_threshold():
    vectors, truth = _blobs(5, 10, spread=0.05)
    assert _same_partition(LinkageFindings(similarity=0.5).fit(vectors).labels_, truth)


def test_findings_in_blocks_cover_every_row_once():
    vectors, _ = _blobs(20, 30, spread=0.05)
    labels = LinkageFindings(similarity=0.5, block_size=100).fit(vectors).labels_
    assert labels.shape == (600,)
    assert labels.min() == 0


def test_split_into_blocks_partitions_the_rows_into_small_blocks():
    vectors, _ = _blobs(10, 100)
    blocks = split_into_blocks(vectors, 64, random_state=1)
    assert sorted(np.concatenate(blocks).tolist()) == list(range(1000))
    assert max(len(b) for b in blocks) <= 64


def _block_of_each_row(blocks, n):
    owners = [set() for _ in range(n)]
    for number, block in enumerate(blocks):
        for row in block.tolist():
            owners[row].add(number)
    return owners


def test_split_into_blocks_keeps_identical_rows_together_wherever_they_stand():
    # Copies of one row at other positions of the matrix: BLAS kernels may project them a few
    # ulps apart (seen with OPENBLAS_CORETYPE=Haswell); hashing splits them as one row.
    vectors, _ = _blobs(10, 100)
    vectors = np.concatenate([vectors, vectors[::-1], vectors[::7]]).astype(np.float32)
    blocks = split_into_blocks(vectors, 16, random_state=3)
    owners = _block_of_each_row(blocks, len(vectors))
    assert all(len(o) == 1 for o in owners)  # still a partition
    for row in range(1000):
        assert owners[row] == owners[1999 - row]
    for k, row in enumerate(range(0, 1000, 7)):
        assert owners[row] == owners[2000 + k]


def test_split_into_blocks_with_overlap_never_cuts_near_identical_rows_apart():
    rng = np.random.default_rng(5)
    base, _ = _blobs(20, 100, dim=64)
    twins = l2_normalise(base + 1e-6 * rng.normal(size=base.shape))
    vectors = np.concatenate([base, twins]).astype(np.float32)
    for seed in range(3):
        blocks = split_into_blocks(vectors, 32, random_state=seed, overlap=1e-4)
        owners = _block_of_each_row(blocks, len(vectors))
        assert all(owners[i] & owners[i + 2000] for i in range(2000))
        assert sorted(set(np.concatenate(blocks).tolist())) == list(range(4000))
        # The band is narrow: blocks stay near their size and rows are rarely copied.
        assert max(len(b) for b in blocks) <= 2 * 32
        assert sum(len(b) for b in blocks) < 1.2 * len(vectors)


def test_split_into_blocks_keeps_an_uncuttable_node_whole():
    vectors = np.tile(np.float32([[1.0, 0.0]]), (50, 1))
    vectors[::2, 1] = 1e-7
    blocks = split_into_blocks(vectors, 8, overlap=1e-4)
    assert [b.tolist() for b in blocks] == [list(range(50))]


def test_centring_removes_a_language_offset():
    rng = np.random.default_rng(0)
    meaning = rng.normal(size=(50, 16))
    offset = np.zeros(16)
    offset[0] = 5.0
    vectors = l2_normalise(np.concatenate([meaning, meaning + offset]))
    centred = centre_by_language(vectors, ["ar"] * 50 + ["fr"] * 50, shrink=0.0)
    sims = np.einsum("ij,ij->i", centred[:50], centred[50:])
    assert sims.min() > 0.9


def test_precomputed_silhouette_is_scikit_learns():
    from sklearn.metrics import silhouette_score

    from tashawur.synthesis._cluster import _cosine_distances, precomputed_silhouette

    rng = np.random.default_rng(3)
    vectors = l2_normalise(rng.normal(size=(700, 16)))
    dist = _cosine_distances(vectors)
    for k in (2, 7):
        labels = rng.integers(0, k, len(vectors)) * 3 + 1  # any label values, not 0..k-1
        labels[5] = 1000  # a group of one scores 0
        expected = silhouette_score(dist, labels, metric="precomputed")
        # Blocks of rows that do not divide the input, and one row at a time.
        for block in (256, 1):
            assert np.isclose(precomputed_silhouette(dist, labels, block=block), expected)
