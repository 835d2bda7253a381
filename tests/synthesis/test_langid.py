"""The shipped language model (issue 14): marker fixes, model answers, ``mixed``, the files."""

import csv
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse

from tashawur.synthesis import (
    LanguageGuess,
    _langid,
    _language,
    clean_text,
    identify,
    identify_language,
)
from tashawur.synthesis._langid import (
    PARAMS_FILE,
    WEIGHTS_FILE,
    LanguageModel,
    _Hashes,
    featurize,
    make_vectorizers,
    model_text,
)
from tashawur.synthesis._language import (
    darija_marker_count,
    identify_many,
    identify_rules,
    msa_marker_count,
    segments,
)

# --- the Darija markers -------------------------------------------------------------------


@pytest.mark.parametrize("word", ["حتى", "بلا", "كيلومتر", "كيسنجر", "كتاكسي", "كيف", "كتاب"])
def test_msa_words_and_loanwords_are_not_darija_markers(word):
    assert darija_marker_count(clean_text(word)) == 0


def test_an_msa_sentence_with_hatta_and_bila_has_no_darija_marker():
    sentence = "سار الرجل حتى وصل إلى القرية بلا ماء ولا زاد بعد عشرين كيلومترا"
    assert darija_marker_count(clean_text(sentence)) == 0


@pytest.mark.parametrize("word", ["كنطالبو", "كيمشيو", "كتقرا", "ديال", "بزاف", "ماكاينش"])
def test_darija_markers_still_count(word):
    assert darija_marker_count(clean_text(word)) == 1


def test_msa_markers_count_msa_function_words():
    assert msa_marker_count(clean_text("هذه هي المدرسة التي سوف نبنيها")) == 3
    assert msa_marker_count(clean_text("هادي هي المدرسة اللي غادي نبنيو")) == 0


@pytest.mark.parametrize(
    "sentence",
    [
        "قطع المسافرون عشرين كيلومترا حتى وصلوا إلى المدينة",
        "التقى وزير الخارجية بهنري كيسنجر في واشنطن لمناقشة الاتفاق",
        "لا يمكن أن نعيش بلا ماء صالح للشرب في هذه القرية",
    ],
)
def test_msa_sentences_with_former_false_markers_are_msa(sentence):
    assert identify_language(sentence).language == "ar"


# --- the model's answers on sentences written for these tests ------------------------------

OWN = [
    ("ar", "نطالب ببناء مستشفى جديد في الإقليم لأن المستوصف الحالي لا يكفي"),
    ("ar", "يجب على الجماعة أن تصلح الطريق التي تربط القرية بالسوق الأسبوعي"),
    ("ary", "بغينا سبيطار جديد فالإقليم حيت المستوصف لي كاين ما كافيش"),
    ("ary", "خاص الجماعة تصلح الطريق اللي كتربط الدوار بالسوق ديال الأسبوع"),
    ("ary-Latn", "bghina sbitar jdid f l9lim 7it lmostawsaf li kayn ma kafich"),
    ("ary-Latn", "khass jama3a tsle7 triq li katrbet douar m3a souk"),
    ("fr", "Nous demandons un nouvel hôpital dans la province car le dispensaire ne suffit pas"),
    ("en", "We are asking for a new hospital in the province because the clinic is not enough"),
]


@pytest.mark.parametrize(("language", "sentence"), OWN)
def test_identify_language_of_own_sentences(language, sentence):
    guess = identify_language(sentence)
    assert guess.language == language
    assert guess.mixed is False
    assert guess.languages == (language,)
    assert 0.5 <= guess.confidence <= 1.0


def test_identify_many_answers_as_identify_one_by_one():
    texts = [sentence for _, sentence in OWN]
    batch = identify_many(texts)
    single = [identify(t, clean_text(t)) for t in texts]
    assert [g.language for g in batch] == [g.language for g in single]
    assert [g.confidence for g in batch] == pytest.approx([g.confidence for g in single])


def test_confidence_stays_in_the_unit_interval():
    texts = [s for _, s in OWN] + ["ok", "واش", "123 !!", "ⴰⵎⴰⵏ", "bla 3la 7ta", ""]
    for guess in identify_many(texts):
        assert 0.0 <= guess.confidence <= 1.0


def test_a_short_ambiguous_text_is_less_sure_than_a_long_clear_one():
    short = identify_language("مزيان")
    long = identify_language(OWN[2][1] + " " + OWN[3][1])
    assert long.confidence > short.confidence


# --- mixed ------------------------------------------------------------------------------


def test_segments_split_sentences_and_script_runs():
    text = "الما مقطوع عندنا فالدوار. c'est grave pour les enfants"
    assert segments(text) == ["الما مقطوع عندنا فالدوار.", "c'est grave pour les enfants"]


def test_a_text_that_switches_from_darija_to_french_is_mixed():
    text = (
        "الما مقطوع عندنا فالدوار هادي سيمانة وحتى واحد ما جا يشوف. "
        "Les enfants ne peuvent plus aller à l'école et personne ne nous répond."
    )
    guess = identify_language(text)
    assert guess.mixed is True
    assert set(guess.languages) == {"ary", "fr"}
    assert guess.language == guess.languages[0]
    assert 0.0 < guess.confidence <= 1.0


def test_a_switch_after_a_comma_is_mixed():
    guess = identify_language(
        "lma ma kaynch f douar, les enfants souffrent beaucoup depuis des mois"
    )
    assert guess.mixed is True
    assert set(guess.languages) == {"ary-Latn", "fr"}


def test_a_french_word_in_a_darija_sentence_does_not_make_it_mixed():
    guess = identify_language("خاصنا طبيب فالسبيطار ديال الدوار، le docteur ما كيجيش")
    assert guess.mixed is False
    assert guess.language == "ary"


# --- compatibility and fallback -------------------------------------------------------------


def test_language_guess_still_takes_three_arguments():
    guess = LanguageGuess("ar", "Arab", 0.5)
    assert (guess.mixed, guess.languages) == (False, ())


def test_the_rules_stay_callable_and_never_say_mixed():
    guess = identify_rules("خاصنا طبيب فالسبيطار", clean_text("خاصنا طبيب فالسبيطار"))
    assert (guess.language, guess.mixed) == ("ary", False)


def test_without_model_files_identify_falls_back_to_the_rules(monkeypatch):
    monkeypatch.setattr(_language._Model, "get", classmethod(lambda cls: None))
    assert identify_language("The water has been cut for a week").language == "en"


# --- the shipped files --------------------------------------------------------------------


def _data_dir():
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("tashawur.synthesis") / "data"))


def test_the_shipped_model_loads_with_its_recorded_checksum_and_version():
    directory = _data_dir()
    params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
    weights = (directory / WEIGHTS_FILE).read_bytes()
    assert params["weights_sha256"] == hashlib.sha256(weights).hexdigest()
    assert params["format_version"] == 1
    assert "sklearn_version" in params
    assert len(weights) < 2 * 1024 * 1024
    model = LanguageModel.load()
    assert model.classes == {"arabic": ["ar", "ary"], "latin": ["ary-Latn", "en", "fr"]}
    probs = model.probabilities("latin", ["bonjour tout le monde", "hello everybody"])
    assert probs.shape == (2, 3)
    assert probs.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_a_tampered_weights_file_is_refused(tmp_path):
    for name in (WEIGHTS_FILE, PARAMS_FILE):
        shutil.copy(_data_dir() / name, tmp_path / name)
    with (tmp_path / WEIGHTS_FILE).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ValueError, match="SHA-256"):
        LanguageModel.load(tmp_path)


def test_a_missing_model_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        LanguageModel.load(tmp_path)


def test_save_then_load_gives_the_same_answers(tmp_path):
    model = LanguageModel.load()
    model.save(tmp_path)
    again = LanguageModel.load(tmp_path)
    texts = [s for _, s in OWN]
    assert again.probabilities("arabic", texts) == pytest.approx(
        model.probabilities("arabic", texts), abs=1e-3
    )


def test_model_text_folds_repeats_markup_and_letter_forms():
    assert model_text("Waaaaaw&amp;<br>  @user ZWIIIN") == "waaw zwiin"
    assert model_text("مدرسة إلى") == model_text("مدرسه الي")


# --- fast features: the vectorizers' matrix, bit for bit ----------------------------------

EVAL_DATA = Path(
    os.environ.get("TASHAWUR_EVAL_DATA", Path(__file__).resolve().parents[3] / "shared/eval-data")
)
OWN_TEXTS = [
    "",
    "a",
    "ab",
    "x y z",
    "بغيت نقرا فالمدرسه ديال الدوار",
    "نحتاج الى مستشفى قريب من القريه",
    "khassna tobis l lycée 3afak",
    "nous voulons une route goudronnée nous voulons une route",
    "we need clean water",
    "ⴰⵎⴰⵣⵉⵖ ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "ɣer tmurt aṭas n yiɣallen",
    "123 456 7 waaa",
    "supercalifragilisticexpialidocious انتيكونستيتيوسيونيل",
]


def _eval_texts(limit: int) -> list[str]:
    texts: list[str] = []
    for lang in ("arb_Arab", "ary_Arab", "fra_Latn", "eng_Latn", "tzm_Tfng", "kab_Latn"):
        rows: list[dict[str, str]] = []
        for split in ("dev", "train"):
            path = EVAL_DATA / "sib200" / lang / f"{split}.tsv"
            if path.exists():
                with path.open(encoding="utf-8") as handle:
                    rows += csv.DictReader(handle, delimiter="\t")
        texts += [r["text"] for r in rows[: limit // 6]]
    return texts


def _reference_features(texts: list[str], params: dict[str, Any]) -> Any:
    chars, words = make_vectorizers(params)
    return scipy.sparse.hstack([chars.transform(texts), words.transform(texts)]).tocsr()


def _assert_same_matrix(got: Any, want: Any) -> None:
    assert got.shape == want.shape
    assert np.array_equal(got.indptr, want.indptr)
    assert np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)


@pytest.mark.parametrize("max_entries", [200_000, 7])
def test_features_are_the_vectorizers_matrix(monkeypatch, max_entries):
    # The hashed n-grams are remembered across calls (and forgotten past MAX_ENTRIES): the
    # first call, the second (everything remembered) and a small memory all give the matrix
    # of scikit-learn's HashingVectorizers.
    monkeypatch.setattr(_Hashes, "_by_params", {})
    monkeypatch.setattr(_Hashes, "MAX_ENTRIES", max_entries)
    model = LanguageModel.load()
    texts = [model_text(t) for t in OWN_TEXTS + _eval_texts(3000)]
    want = _reference_features(texts, model.params)
    _assert_same_matrix(featurize(texts, model.params), want)
    _assert_same_matrix(featurize(texts, model.params), want)
    _assert_same_matrix(featurize(texts[::-1], model.params), want[::-1])


@pytest.mark.skipif(
    not (EVAL_DATA / "sib200" / "ary_Arab" / "dev.tsv").exists(), reason="eval data not found"
)
def test_probabilities_from_the_fast_features_are_the_vectorizers(monkeypatch):
    model = LanguageModel.load()
    texts = _eval_texts(3000)
    assert len(texts) == 3000
    fast = {m: model.probabilities(m, texts) for m in ("arabic", "latin")}
    monkeypatch.setattr(_langid, "featurize", _reference_features)
    for m in ("arabic", "latin"):
        np.testing.assert_allclose(fast[m], model.probabilities(m, texts), rtol=0, atol=1e-12)
