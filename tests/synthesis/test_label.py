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
