import pytest

from tashawur.synthesis import RuleLanguageIdentifier, clean_text, identify, identify_language

from .corpus import IDEAS

LANGUAGES = ["ar", "ary", "fr", "ary-Latn", "zgh"]
SCRIPTS = {"ar": "Arab", "ary": "Arab", "fr": "Latn", "ary-Latn": "Latn", "zgh": "Tfng"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_identify_finds_the_language_of_each_test_sentence(language):
    for idea in IDEAS.values():
        guess = identify(idea[language], clean_text(idea[language]))
        assert (guess.language, guess.script) == (language, SCRIPTS[language])
        assert 0.0 < guess.confidence <= 1.0


def test_identify_reads_amazigh_in_latin_letters():
    assert identify("Aman ur llin ɣer taddart", "").language == "zgh-Latn"


def test_identify_gives_und_with_no_confidence_to_text_without_letters():
    guess = identify("123 !!", "123")
    assert (guess.language, guess.script, guess.confidence) == ("und", "Zyyy", 0.0)


def test_identify_reads_english():
    assert identify("The water has been cut for a week", "").language == "en"


def test_rule_identifier_cleans_when_not_given_cleaned_texts():
    guesses = RuleLanguageIdentifier().transform(["بغينا الما ديال الشرب فالدوار"])
    assert guesses[0].language == "ary"


def test_identify_language_cleans_the_text_itself():
    guess = identify_language("خاصنا طبيب فالسبيطار")
    assert (guess.language, guess.script) == ("ary", "Arab")
