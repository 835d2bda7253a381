"""The language cache: a run identifies only the distinct texts the cache does not know."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tashawur.synthesis import (
    LanguageCache,
    LanguageGuess,
    RuleLanguageIdentifier,
    Synthesizer,
    identifier_version,
    language_key,
)

from .corpus import records


class CountingIdentifier(RuleLanguageIdentifier):
    """The default identifier, recording the texts it is asked about."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def transform(
        self, texts: Sequence[str], cleaned: Sequence[str] | None = None
    ) -> list[LanguageGuess]:
        self.seen.extend(texts)
        return super().transform(texts, cleaned)


def fit(data, identifier, cache):
    return Synthesizer(
        embedder="lexical", identifier=identifier, language_cache=cache, random_state=0
    ).fit(data)


@pytest.fixture
def data() -> list[dict[str, str]]:
    return records()


def test_a_second_run_identifies_nothing_it_already_knows(data):
    cache = LanguageCache()
    first = CountingIdentifier()
    fit(data, first, cache)
    assert sorted(first.seen) == sorted({r["text"] for r in data})  # each distinct text once
    assert len(cache) == len({r["text"] for r in data})

    second = CountingIdentifier()
    fit(data, second, cache)
    assert second.seen == []


def test_cached_languages_give_the_same_records_as_identifying_again(data):
    cache = LanguageCache()
    fit(data, RuleLanguageIdentifier(), cache)
    cached = fit(data, RuleLanguageIdentifier(), cache).records_
    fresh = fit(data, RuleLanguageIdentifier(), None).records_
    assert [(r.id, r.analysis_text, r.language, r.script) for r in cached] == [
        (r.id, r.analysis_text, r.language, r.script) for r in fresh
    ]
    assert [r.language_confidence for r in cached] == pytest.approx(
        [r.language_confidence for r in fresh]
    )


def test_an_edited_text_is_identified_again(data):
    cache = LanguageCache()
    fit(data, RuleLanguageIdentifier(), cache)
    edited = [dict(r) for r in data]
    edited[0]["text"] = "Nous demandons une route goudronnée jusqu'au douar"
    identifier = CountingIdentifier()
    result = fit(edited, identifier, cache)
    assert identifier.seen == [edited[0]["text"]]
    assert result.records_[0].language == "fr"


def test_guesses_are_stored_under_the_identifier_version(data):
    cache = LanguageCache()
    fit(data, RuleLanguageIdentifier(), cache)
    text = data[0]["text"]
    assert cache.get(language_key(identifier_version(), text)) is not None
    assert cache.get(language_key("another-version", text)) is None


def test_another_identifier_version_does_not_reuse_the_guesses(data):
    class NewerIdentifier(CountingIdentifier):
        version = "rule-langid/newer"

    cache = LanguageCache()
    fit(data, RuleLanguageIdentifier(), cache)
    newer = NewerIdentifier()
    fit(data, newer, cache)
    assert sorted(newer.seen) == sorted({r["text"] for r in data})


def test_an_identifier_without_a_version_is_never_cached(data):
    class Unversioned(CountingIdentifier):
        version = None

    cache = LanguageCache()
    identifier = Unversioned()
    fit(data, identifier, cache)
    assert len(cache) == 0
    assert len(identifier.seen) == len(data)


def test_the_identifier_version_changes_with_the_rules(monkeypatch):
    from tashawur.synthesis import _language

    before = identifier_version()
    monkeypatch.setattr(_language, "MARKER_WEIGHT", _language.MARKER_WEIGHT + 0.5)
    assert identifier_version() != before
    assert len(before) <= 64  # TextLanguage.identifier


def test_without_a_cache_each_distinct_text_is_identified_once(data):
    copied = data + [dict(r, id=f"{r['id']}-copy") for r in data[:10]]
    identifier = CountingIdentifier()
    run = fit(copied, identifier, None)
    assert sorted(identifier.seen) == sorted({r["text"] for r in copied})
    by_id = {r.id: r for r in run.records_}
    for r in data[:10]:
        copy, first = by_id[f"{r['id']}-copy"], by_id[r["id"]]
        assert (copy.language, copy.analysis_text) == (first.language, first.analysis_text)
