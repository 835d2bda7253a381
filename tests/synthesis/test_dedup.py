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
