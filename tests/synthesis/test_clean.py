from tashawur.synthesis import TextCleaner, clean_text


def test_clean_text_removes_tatweel_diacritics_and_bidi_controls():
    assert clean_text("\u200fمَـــاءٌ\u202b") == "ماء"


def test_clean_text_unifies_alef_ya_and_ta_marbuta():
    assert clean_text("أإآ مستشفى مدرسة") == "ااا مستشفي مدرسه"


def test_clean_text_reads_arabizi_digits_only_inside_latin_words():
    assert clean_text("Lma m9tou3 3 ayam") == "lma mqtouɛ 3 ayam"


def test_clean_text_of_punctuation_only_is_empty():
    assert clean_text(" ... !! ؟ ") == ""


def test_text_cleaner_transforms_each_text():
    assert TextCleaner().fit(["x"]).transform(["Ça VA", "٣ أيام"]) == ["ça va", "3 ايام"]


def test_clean_text_folds_every_unicode_space_as_the_whitespace_pattern_does():
    # Separators of the Unicode whitespace class (no-break, ideographic, NEL, information
    # separators): one space between words, none at the ends.
    spaced = "\u00a0أ\u3000b\x85c\x1cd\u2028 e\t\n"
    assert clean_text(spaced) == "ا b c d e"
    assert clean_text("mo7\u00a0ta3\u2009x") == "moḥ taɛ x"
