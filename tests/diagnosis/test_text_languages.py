"""Languages identified by earlier runs are stored (``TextLanguage``) and reused: a run
identifies only new or edited texts, never reuses another identifier version's guesses, and
``prune_embeddings`` deletes the guesses no contribution's text produces any more."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

import pytest

from tashawur.contributions.models import Contribution
from tashawur.diagnosis.models import TextLanguage
from tashawur.diagnosis.services import languages
from tashawur.diagnosis.services.languages import StoredLanguageCache
from tashawur.synthesis import LanguageGuess, _language, identifier_version, language_key

from .conftest import Corpus, run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def identified(monkeypatch) -> list[str]:
    """Every text the library's identifier is asked about during the test."""
    seen: list[str] = []
    identify_many = _language.identify_many

    def counting(texts: Sequence[str], cleaned: Sequence[str] | None = None):
        seen.extend(texts)
        return identify_many(texts, cleaned)

    monkeypatch.setattr(_language, "identify_many", counting)
    return seen


def published_texts() -> set[str]:
    return {
        unicodedata.normalize("NFC", text)
        for text in Contribution.objects.published().values_list("text", flat=True)
    }


def test_a_run_stores_each_distinct_text_s_language_once(corpus: Corpus, identified) -> None:
    run_now(corpus)

    texts = published_texts()
    assert sorted(identified) == sorted(texts)  # the exact copy is identified once
    version = identifier_version()
    rows = {row.key: row for row in TextLanguage.objects.all()}
    assert set(rows) == {language_key(version, t) for t in texts}
    assert {row.identifier for row in rows.values()} == {version}
    water = rows[language_key(version, corpus.by_key["water-ar"].text)]
    assert (water.language, water.script) == ("ar", "Arab")
    assert water.languages.split(",")[0] == water.language


def test_a_second_run_identifies_nothing_already_known(corpus: Corpus, identified) -> None:
    first = run_now(corpus)
    identified.clear()

    second = run_now(corpus)

    assert identified == []
    assert second.findings.count() == first.findings.count()
    assert TextLanguage.objects.count() == len(published_texts())


def test_an_edited_text_is_identified_again(corpus: Corpus, identified) -> None:
    run_now(corpus)
    identified.clear()
    edited = "Nous demandons une route goudronnée jusqu'au douar"
    Contribution.objects.filter(pk=corpus.by_key["water-ar"].pk).update(text=edited)

    run_now(corpus)

    assert identified == [edited]
    row = TextLanguage.objects.get(key=language_key(identifier_version(), edited))
    assert row.language == "fr"


def test_another_identifier_version_does_not_reuse_the_rows(
    corpus: Corpus, identified, monkeypatch
) -> None:
    run_now(corpus)
    old_version = identifier_version()
    identified.clear()
    monkeypatch.setattr(_language, "RULES_VERSION", _language.RULES_VERSION + 1)
    assert identifier_version() != old_version

    run_now(corpus)

    assert sorted(identified) == sorted(published_texts())
    assert TextLanguage.objects.filter(identifier=identifier_version()).count() == len(
        published_texts()
    )


def test_the_stored_cache_gives_back_what_it_saved() -> None:
    cache = StoredLanguageCache(identifier="v1")
    mixed = LanguageGuess("ary", "Arab", 0.75, True, ("ary", "fr"))
    plain = LanguageGuess("zgh", "Tfng", 1.0, False, ())
    cache.put("a" * 64, mixed)
    cache.put("b" * 64, plain)
    cache.save()
    assert cache.saved == 2

    again = StoredLanguageCache(identifier="v1")
    again.prefetch(["a" * 64, "b" * 64, "c" * 64])
    assert again.get("a" * 64) == mixed
    assert again.get("b" * 64) == plain
    assert again.get("c" * 64) is None
    assert (again.hits, again.misses) == (2, 1)
    # Saving a row another run wrote meanwhile keeps it.
    other = StoredLanguageCache(identifier="v1")
    other.put("a" * 64, mixed)
    other.save()
    assert TextLanguage.objects.count() == 2


def test_pruning_deletes_the_languages_no_contribution_produces(corpus: Corpus) -> None:
    from django.core.management import call_command

    run_now(corpus)
    version = identifier_version()
    water = corpus.by_key["water-ar"]
    TextLanguage.objects.create(
        key="0" * 64, identifier=version, language="ar", script="Arab", confidence=1.0
    )
    TextLanguage.objects.create(
        key=language_key("rule-langid/old", water.text),
        identifier="rule-langid/old",
        language="ar",
        script="Arab",
        confidence=1.0,
    )

    out = io.StringIO()
    call_command("prune_embeddings", stdout=out)

    assert "Deleted 2 unused stored language(s)" in out.getvalue()
    assert set(TextLanguage.objects.values_list("key", flat=True)) == {
        language_key(version, t) for t in published_texts()
    }
    Contribution.objects.filter(pk=water.pk).update(text="نص معدل")
    Contribution.objects.filter(pk=corpus.copy.pk).update(text="نص آخر")  # the same text
    assert languages.languages_prune() == 1
    assert not TextLanguage.objects.filter(key=language_key(version, water.text)).exists()
