import numpy as np

from tashawur.synthesis import ThreeLevelDuplicateFinder, clean_text
from tashawur.synthesis._dedup import duplicate_groups


def test_find_copies_tells_exact_from_normalised_copies():
    texts = ["الماء مقطوع", "الماء مقطوع", "الماءُ مقطوعٌ!", "autre chose", ""]
    canonical, level = ThreeLevelDuplicateFinder().find_copies(
        texts, [clean_text(t) for t in texts]
    )
    assert canonical.tolist() == [0, 0, 0, 3, 4]
    assert level == ["", "exact", "normalised", "", ""]


def test_an_exact_copy_of_a_normalised_copy_points_to_the_canonical_item():
    texts = ["Route coupée", "route coupée !", "route coupée !"]
    canonical, level = ThreeLevelDuplicateFinder().find_copies(
        texts, [clean_text(t) for t in texts]
    )
    assert canonical.tolist() == [0, 0, 0]
    assert level == ["", "normalised", "normalised"]


def test_find_copies_never_merges_empty_texts():
    canonical, _ = ThreeLevelDuplicateFinder().find_copies(["", "!!"], ["", ""])
    assert canonical.tolist() == [0, 1]


def test_find_paraphrases_links_close_vectors_of_one_language_only():
    vectors = np.array([[1, 0], [0.99, 0.141], [1, 0], [0, 1]], dtype=np.float32)
    roots = ThreeLevelDuplicateFinder().find_paraphrases(vectors, ["fr", "fr", "ar", "fr"], 0.95)
    assert roots.tolist() == [0, 0, 2, 3]


def test_find_paraphrases_in_blocks_still_links_neighbours(monkeypatch):
    import tashawur.synthesis._dedup as dedup

    monkeypatch.setattr(dedup, "BLOCK_SIZE", 8)
    rng = np.random.default_rng(0)
    base = rng.normal(size=(20, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vectors = np.concatenate([base, base])  # every item has an exact twin 20 rows later
    roots = ThreeLevelDuplicateFinder().find_paraphrases(vectors, ["fr"] * 40, 0.99)
    assert roots.tolist() == list(range(20)) * 2


def test_duplicate_groups_count_the_copies_of_each_canonical_item():
    groups = duplicate_groups(
        ["a", "b", "c", "d"], np.array([0, 0, 2, 0]), ["", "exact", "", "paraphrase"]
    )
    assert len(groups) == 1
    assert (groups[0].canonical_id, groups[0].duplicate_ids, groups[0].count) == (
        "a",
        ("b", "d"),
        2,
    )
    assert groups[0].levels == ("exact", "paraphrase")


def _paraphrase_groups_by_hand(vectors, languages, threshold):
    """Every same-language pair at or above the threshold, joined transitively: the earliest
    item of each group is its canonical item."""
    n = len(vectors)
    canonical = list(range(n))

    def root(i):
        while canonical[i] != i:
            i = canonical[i]
        return i

    sims = vectors @ vectors.T
    for i in range(n):
        for j in range(i + 1, n):
            if languages[i] == languages[j] and sims[i, j] >= threshold:
                a, b = root(i), root(j)
                canonical[max(a, b)] = min(a, b)
    return [root(i) for i in range(n)]


def _near_copies(n, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n // 4, dim))
    rows = base[rng.integers(0, len(base), size=n)] + 0.08 * rng.normal(size=(n, dim))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    languages = rng.choice(["ar", "fr"], size=n).tolist()
    return rows.astype(np.float32), languages


def test_paraphrase_groups_are_the_connected_pairs_with_the_earliest_item_canonical():
    vectors, languages = _near_copies(200)
    roots = ThreeLevelDuplicateFinder().find_paraphrases(vectors, languages, 0.97)
    expected = _paraphrase_groups_by_hand(vectors, languages, 0.97)
    assert roots.tolist() == expected
    assert len(set(expected)) < 150  # the data has groups to find


def test_paraphrase_groups_are_deterministic_across_blocks():
    vectors, languages = _near_copies(1500, seed=1)
    finder = ThreeLevelDuplicateFinder(random_state=3)
    first = finder.find_paraphrases(vectors, languages, 0.97)
    again = ThreeLevelDuplicateFinder(random_state=3).find_paraphrases(vectors, languages, 0.97)
    assert first.tolist() == again.tolist()
    assert (first <= np.arange(len(first))).all()  # the canonical item is the earliest
