import numpy as np

from tashawur.synthesis import ClassTfidfLabeler
from tashawur.synthesis._label import arabic_terms, french_terms, representative_indices


def test_arabic_terms_drop_stop_words_diacritics_and_hamza_on_alef():
    assert arabic_terms("نُطالب بإصلاح الطريق في هذا الدوار") == [
        "نطالب",
        "باصلاح",
        "الطريق",
        "الدوار",
    ]


def test_arabic_stop_words_match_whatever_the_ya_form():
    assert arabic_terms("ذهبت إلى المدينة على الطريق") == ["ذهبت", "المدينة", "الطريق"]


def test_french_terms_drop_stop_words_and_elided_articles():
    assert french_terms("L'eau de la source est polluée dans notre douar") == [
        "eau",
        "source",
        "polluée",
        "douar",
    ]


def test_class_tfidf_prefers_words_that_set_a_group_apart():
    french = [
        "eau potable coupée village",
        "eau potable coupée douar",
        "route village goudronnée",
        "route douar goudronnée",
    ]
    labels = np.array([0, 0, 1, 1])
    labeler = ClassTfidfLabeler(n_phrases=2).fit(["", "", "", ""], french)
    arabic, french_phrases = labeler.key_phrases(labels, 2)
    assert french_phrases == [["eau potable", "coupée"], ["goudronnée", "route"]]
    assert arabic == [[], []]


def test_representative_indices_prefer_new_languages_near_the_centre():
    vectors = np.array([[1, 0], [0.99, 0.14], [0.98, 0.2], [0.9, 0.43]], dtype=np.float32)
    centres = np.array([[1, 0]], dtype=np.float32)
    picks = representative_indices(
        vectors,
        np.zeros(4, dtype=np.int64),
        centres,
        ["fr", "fr", "ar", "ary"],
        np.ones(4, dtype=bool),
    )
    assert picks == [[0, 2, 3]]


def test_representative_indices_skip_texts_too_short_to_quote():
    vectors = np.array([[1, 0], [0.9, 0.43]], dtype=np.float32)
    picks = representative_indices(
        vectors,
        np.zeros(2, dtype=np.int64),
        np.array([[1, 0]], dtype=np.float32),
        ["fr", "fr"],
        np.array([False, True]),
    )
    assert picks == [[1]]


def _phrases_group_by_group(terms, labels, n_labels, n_phrases=5):
    """Key phrases ranked one group at a time: score (rounded), bigram first, then the term; a
    long group keeps its ``8 * n_phrases`` best scores; no word twice."""
    from scipy import sparse

    rows = terms.rows
    group = sparse.csr_matrix(
        (np.ones(len(rows)), (labels[rows], np.arange(len(rows)))), shape=(n_labels, len(rows))
    )
    per_group = (group @ terms.counts).tocsr().astype(np.float64)
    frequency = np.asarray(per_group.sum(axis=0)).ravel()
    words = np.asarray(per_group.sum(axis=1)).ravel()
    idf = np.log1p(words[words > 0].mean() / np.maximum(frequency, 1.0))
    out = []
    for g in range(n_labels):
        cols = per_group.indices[per_group.indptr[g] : per_group.indptr[g + 1]]
        data = per_group.data[per_group.indptr[g] : per_group.indptr[g + 1]]
        score = np.round(data / words[g] * idf[cols], 12) if len(cols) else data
        if len(cols) > 8 * n_phrases:
            cut = np.sort(score)[::-1][8 * n_phrases - 1]
            cols, score = cols[score >= cut], score[score >= cut]
        ranked = sorted(
            (-s, -str(terms.vocabulary[c]).count(" "), str(terms.vocabulary[c]))
            for s, c in zip(score.tolist(), cols.tolist(), strict=True)
        )
        chosen, used = [], set()
        for *_, phrase in ranked:
            if not set(phrase.split()) & used and len(chosen) < n_phrases:
                chosen.append(phrase)
                used |= set(phrase.split())
        out.append(chosen)
    return out


def test_key_phrases_of_all_groups_at_once_equal_a_ranking_group_by_group():
    # Groups long enough for the shortlist, ties of scores (repeated texts), empty groups.
    rng = np.random.default_rng(3)
    words = ["".join(rng.choice(list("bcdfglmnprstvz"), 3)) + "ou" for _ in range(60)]
    texts = [" ".join(rng.choice(words, int(rng.integers(3, 12)))) for _ in range(400)]
    texts += texts[:40]
    labels = np.minimum(rng.zipf(1.4, len(texts)) - 1, 29).astype(np.int64)
    labeler = ClassTfidfLabeler().fit([""] * len(texts), texts)

    _, french = labeler.key_phrases(labels, 31)

    assert french == _phrases_group_by_group(labeler.french_, labels, 31)
    assert french[30] == [] and max(len(p) for p in french) == 5


def test_term_counts_equal_scikit_learns_count_vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    from tashawur.synthesis._label import _with_bigrams, term_counts

    rng = np.random.default_rng(5)
    words = ["".join(rng.choice(list("bcdfglmnprstvz"), 3)) + "ou" for _ in range(80)]
    texts = [" ".join(rng.choice(words, int(rng.integers(1, 10)))) for _ in range(300)]

    def analyse(text):
        return _with_bigrams(french_terms(text))

    # min_df drops the terms seen once; a low max_features keeps the most frequent, ties as
    # scikit-learn breaks them.
    for min_df, max_features in ((2, 200_000), (2, 50), (1, 30)):
        vectorizer = CountVectorizer(analyzer=analyse, min_df=min_df, max_features=max_features)
        expected = vectorizer.fit_transform(texts)

        counts, vocabulary = term_counts(texts, analyse, min_df=min_df, max_features=max_features)

        assert list(vocabulary) == list(vectorizer.get_feature_names_out())
        assert counts.shape == expected.shape and (counts != expected).nnz == 0


def test_term_counts_of_stop_words_only_are_none():
    from tashawur.synthesis._label import term_counts

    assert term_counts(["le la les", "de"], french_terms, min_df=1, max_features=10) is None
    assert term_counts(["eau", "route"], french_terms, min_df=2, max_features=10) is None


def test_term_counts_remembered_across_calls_equal_counts_made_afresh():
    from tashawur.synthesis._label import TermMemo, _with_bigrams, term_counts

    rng = np.random.default_rng(7)
    words = ["".join(rng.choice(list("bcdfglmnprstvz"), 3)) + "ou" for _ in range(60)]
    texts = [" ".join(rng.choice(words, int(rng.integers(1, 9)))) for _ in range(400)]

    def analyse(text):
        return _with_bigrams(french_terms(text))

    memo = TermMemo(max_texts=500)
    # A first call fills the memo; the later ones reuse it (and restart it once past its bound).
    for part in (texts[:250], texts[100:], texts[:250], texts):
        for min_df, max_features in ((2, 200_000), (1, 40)):
            fresh = term_counts(part, analyse, min_df=min_df, max_features=max_features)
            kept = term_counts(part, analyse, min_df=min_df, max_features=max_features, memo=memo)
            assert list(kept[1]) == list(fresh[1])
            assert (kept[0] != fresh[0]).nnz == 0 and kept[0].shape == fresh[0].shape
    assert 0 < len(memo) <= 500
