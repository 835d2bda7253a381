"""Finding titles in the members' own words (issue 14): extractive, clean ends, never an id,
never a profane word, Arabic when a member writes Arabic, borrowed and marked for Tamazight."""

import re
import unicodedata

import numpy as np
import pytest

from tashawur.synthesis import Record, Synthesizer
from tashawur.synthesis._schema import check_result
from tashawur.synthesis._title import (
    ELLIPSIS,
    MAX_WORDS,
    finding_titles,
    is_profane,
    is_stop_word,
    profanity,
)

from .corpus import records

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).replace(ELLIPSIS, " ")
    return _WORD.findall(_DIACRITICS.sub("", text).casefold())


def _contiguous_in(title: str, texts: list[str]) -> bool:
    phrase = _words(title)
    for text in texts:
        tokens = _words(text)
        if any(tokens[i : i + len(phrase)] == phrase for i in range(len(tokens))):
            return True
    return False


def _clean_ends(title: str) -> bool:
    words = title.replace(ELLIPSIS, "").split()
    return bool(words) and not is_stop_word(words[0]) and not is_stop_word(words[-1])


def _record(id: str, text: str, language: str, translation: str | None = None) -> Record:
    script = (
        "Tfng"
        if language == "zgh"
        else ("Latn" if language in ("fr", "ary-Latn", "en") else "Arab")
    )
    return Record(id=id, text=text, language=language, script=script, translation=translation)


def _titles(members: list[Record], groups: list[int], vectors=None):
    finding_of = np.array(groups, dtype=np.int64)
    n = int(finding_of.max()) + 1
    if vectors is None:
        vectors = np.eye(n)[finding_of] + 0.01
    vectors = np.asarray(vectors, dtype=np.float64)
    centres = np.stack([vectors[finding_of == g].mean(axis=0) for g in range(n)])
    return finding_titles(members, finding_of, vectors, centres, [f"F{g}" for g in range(n)])


# -- on real outputs --------------------------------------------------------------------------


def test_every_title_of_a_run_is_a_contiguous_phrase_of_its_members_with_clean_ends(
    use_result, trilingual_records
):
    texts = {r["id"]: [r["text"]] for r in trilingual_records}
    by_id = {f.id: f for f in use_result.findings}
    titled = 0
    for f in use_result.findings:
        source = by_id[f.title_borrowed_from] if f.title_borrowed_from else f
        members = [t for m in source.member_ids for t in texts[m]]
        for title in (f.title_ar, f.title_fr):
            if title:
                titled += 1
                assert _contiguous_in(title, members), (f.id, title)
                assert _clean_ends(title), (f.id, title)
                assert len(title.replace(ELLIPSIS, "").split()) <= MAX_WORDS
    assert titled >= len(use_result.findings)


def test_a_finding_with_an_arabic_script_member_has_an_arabic_title_and_none_is_an_id(
    use_result, trilingual_records
):
    ids = {r["id"] for r in trilingual_records} | {f.id for f in use_result.findings}
    arabic = {r["id"] for r in trilingual_records if r["id"].endswith(("-ar", "-ary"))}
    for f in use_result.findings:
        if arabic & set(f.member_ids):
            assert re.search("[\u0621-\u064a]", f.title_ar), f
            assert f.title_ar_source in f.member_ids
        assert f.title_ar or f.title_fr
        for title in (f.title_ar, f.title_fr):
            assert title.strip() not in ids
            assert not re.fullmatch(r"[A-Z]?\d+", title.strip())


def test_the_result_with_titles_still_matches_its_schema(use_result):
    check_result(use_result.to_dict(assignments=False))


def test_a_tamazight_only_finding_borrows_a_marked_title_through_the_bridge():
    rows = records(("ar", "fr", "zgh"))
    # Every contribution its own finding: the Tifinagh ones have no Arabic or French words.
    result = Synthesizer(random_state=0, finding_similarity=0.999).run(rows)
    by_id = {f.id: f for f in result.findings}
    amazigh_only = [f for f in result.findings if all(m.endswith("-zgh") for m in f.member_ids)]
    assert amazigh_only
    for f in amazigh_only:
        donor = by_id[f.title_borrowed_from]
        assert not all(m.endswith("-zgh") for m in donor.member_ids)
        assert (f.title_ar, f.title_fr) == (donor.title_ar, donor.title_fr)
        assert f.title_ar or f.title_fr
        assert f.title_ar_source is None and f.title_fr_source is None
    for f in result.findings:
        if f not in amazigh_only:
            assert f.title_borrowed_from is None


# -- the rules, on small hand-made findings ---------------------------------------------------


def test_a_tamazight_only_finding_borrows_from_the_nearest_titled_finding():
    members = [
        _record("a1", "الماء مقطوع في القرية منذ أسبوع", "ar"),
        _record("a2", "L'eau potable est coupée au village", "fr"),
        _record("b1", "المدرسة بعيدة جدا عن القرية", "ar"),
        _record("z1", "ⴰⵎⴰⵏ ⴱⴱⵉⵏ ⴳ ⵓⴷⵡⴰⵔ", "zgh"),
    ]
    vectors = [[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.8, 0.2, 0.1]]
    titles = _titles(members, [0, 0, 1, 2], vectors)
    assert titles[2].borrowed_from == "F0"
    assert (titles[2].ar, titles[2].fr) == (titles[0].ar, titles[0].fr)
    assert titles[0].borrowed_from is None and titles[1].borrowed_from is None


def test_an_arabizi_only_finding_is_titled_in_its_own_words_not_borrowed():
    members = [
        _record("a1", "الماء مقطوع في القرية منذ أسبوع", "ar"),
        _record("z1", "daba ga3 nass 3ndhom tilifoun, ymkn nkhlsso bih", "ary-Latn"),
    ]
    titles = _titles(members, [0, 1], [[1, 0], [0.9, 0.1]])
    assert titles[1].borrowed_from is None
    assert titles[1].ar == "" and titles[1].fr
    assert _contiguous_in(titles[1].fr, [members[1].text])
    assert titles[1].fr_source == "z1"


def test_a_translation_given_with_a_tifinagh_text_is_its_own_french_title_marked_as_french():
    members = [
        _record(
            "z1", "ⵜⵉⵡⵉⵣⵉ ⴷ ⴰⵙⴰⵙ ⵏ ⵜⵎⵢⴰⵡⴰⵙⵜ.", "zgh", "La tiwizi est la base de la coopérative."
        ),
    ]
    (title,) = _titles(members, [0])
    # Seven words: cut at six, less the stop words it would end on.
    assert title.fr == "tiwizi est la base…"
    assert title.ar == "" and title.language_fallback and title.borrowed_from is None


def test_a_phrase_several_members_share_wins_over_a_single_members_words():
    members = [
        _record("1", "Les coopératives féminines manquent de fonds de roulement", "fr"),
        _record("2", "Il faut aider les coopératives féminines à vendre", "fr"),
        _record("3", "Nos coopératives féminines n'ont pas de local", "fr"),
        _record("4", "التعاونيات النسائية ديالنا ما عندهاش المحل", "ary"),
        _record("5", "دعم التعاونيات النسائية في التسويق", "ar"),
    ]
    (title,) = _titles(members, [0, 0, 0, 0, 0])
    assert title.fr == "coopératives féminines"
    assert title.ar == "التعاونيات النسائية"
    assert title.fr_source == "1"


def test_darija_and_french_stop_words_never_end_a_title():
    for word in ("ديال", "ديالها", "كاملين", "غير", "راه", "واش", "باش", "نديرو"):
        assert is_stop_word(word), word
    for word in ("aucune", "les", "l'on", "qu'il"):
        assert is_stop_word(word), word
    members = [
        _record("1", "ديالها، كاملين، نديرو", "ary"),
        _record("2", "راه الطريق ديال الدوار مقطوعة غير باش", "ary"),
        _record("3", "واش الطريق ديال الدوار غادي تتصلح", "ary"),
    ]
    (title,) = _titles(members, [0, 0, 0])
    assert title.ar == "الطريق ديال الدوار"
    assert _clean_ends(title.ar)


def test_a_finding_without_a_shared_phrase_takes_its_central_members_clause_cut_with_an_ellipsis():
    text = (
        "Les routes rurales de la province restent impraticables pendant toute la saison "
        "des pluies, surtout en montagne"
    )
    (title,) = _titles([_record("1", text, "fr")], [0])
    assert title.fr.endswith(ELLIPSIS)
    assert title.fr == "routes rurales de la province restent…"
    assert _contiguous_in(title.fr, [text]) and _clean_ends(title.fr)
    assert title.fr_source == "1"


def test_no_title_holds_a_word_of_the_profanity_list():
    members = [
        _record("1", "putain de route coupée encore", "fr"),
        _record("2", "putain de route coupée depuis hier", "fr"),
        _record("3", "La route est coupée depuis hier", "fr"),
        _record("4", "الطريق مقطوعة يا ولد القحبة", "ary"),
        _record("5", "الطريق مقطوعة والقحبة ديال الحالة", "ary"),
    ]
    (title,) = _titles(members, [0] * 5)
    assert title.fr and title.ar
    for t in (title.fr, title.ar):
        assert not any(is_profane(w) for w in t.split()), t
    assert "putain" not in title.fr and "قحب" not in title.ar


def test_a_clause_holding_a_profane_word_is_not_a_fallback_title():
    members = [_record("1", "Merde à la commune. Aucun bus pour le souk", "fr")]
    (title,) = _titles(members, [0])
    assert title.fr == "bus pour le souk"


@pytest.mark.parametrize(
    "word", ["putain", "Putain", "MERDE", "enculés", "encules", "قحبة", "والقحبة", "زامل"]
)
def test_the_profanity_list_is_read_and_matches_whatever_the_case_accent_or_proclitic(word):
    assert profanity()
    assert is_profane(word)


@pytest.mark.parametrize("word", ["route", "coopérative", "الطريق", "التعاونية", "commune"])
def test_ordinary_words_are_not_profane(word):
    assert not is_profane(word)
