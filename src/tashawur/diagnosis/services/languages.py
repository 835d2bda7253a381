"""Identified languages kept across synthesis runs (``TextLanguage``), so that a run identifies
only the texts no earlier run has identified: new or edited contributions.

``StoredLanguageCache`` is the library's language cache backed by the database, as
``embeddings.StoredEmbeddingCache`` is its embedding cache: the library calls ``prefetch`` once
with the key of every distinct text (a few bulk queries), ``get`` for each, ``put`` for the
guesses it made and ``save`` at the end (one bulk insert that ignores the rows another run
inserted meanwhile). Keys carry the identifier's version, so a new version of the identifier
identifies every text again; ``languages_prune`` deletes what no contribution produces.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from tashawur.diagnosis.models import TextLanguage
from tashawur.diagnosis.services.embeddings import RowMemo, _chunks, rows_by_key

if TYPE_CHECKING:
    from tashawur.synthesis import LanguageGuess

#: Rows per insert when saving.
WRITE_BATCH = 1000
#: The guesses read by this process's runs (``embeddings.RowMemo``): about 100 bytes each.
_REMEMBERED = RowMemo(TextLanguage, max_rows=300_000)


def synthesis_language_cache() -> StoredLanguageCache:
    """The stored cache for a run with the library's default identifier."""
    from tashawur.synthesis import identifier_version

    return StoredLanguageCache(identifier=identifier_version())


class StoredLanguageCache:
    """The library's language cache over ``TextLanguage`` rows of one identifier version
    (duck-typed, like ``StoredEmbeddingCache``).

    Counts ``hits`` and ``misses`` of ``get`` (texts reused, texts identified) and ``saved``
    (rows written by the last ``save``).
    """

    def __init__(self, *, identifier: str) -> None:
        self.identifier = identifier
        self._guesses: dict[str, LanguageGuess] = {}
        self._unsaved: list[str] = []
        self.hits = 0
        self.misses = 0
        self.saved = 0

    def __len__(self) -> int:
        return len(self._guesses)

    def prefetch(self, keys: Sequence[str]) -> None:
        """Load the stored guesses of ``keys`` in a few queries (``embeddings.rows_by_key``)."""
        from tashawur.synthesis import LanguageGuess

        wanted = [k for k in keys if k not in self._guesses]
        # Rows this process has read before and that are unchanged (``RowMemo``): not read again.
        self._guesses.update(
            (key, guess)
            for key, (identifier, guess) in _REMEMBERED.confirmed(wanted)
            if identifier == self.identifier
        )
        wanted = [k for k in wanted if k not in self._guesses]
        columns = (
            "key",
            "id",
            "created_at",
            "identifier",
            "language",
            "script",
            "confidence",
            "mixed",
            "languages",
        )
        for (
            key,
            pk,
            created_at,
            identifier,
            language,
            script,
            confidence,
            mixed,
            languages,
        ) in rows_by_key(TextLanguage, columns, wanted):
            if identifier != self.identifier:
                continue  # the key names the version: only a forged row lands here
            guess = self._guesses[key] = LanguageGuess(
                language,
                script,
                float(confidence),
                bool(mixed),  # SQLite gives 0 or 1
                tuple(languages.split(",")) if languages else (),
            )
            _REMEMBERED.remember(key, pk, created_at, (identifier, guess))

    def get(self, key: str) -> LanguageGuess | None:
        """The guess stored for ``key`` (prefetched), or ``None``."""
        guess = self._guesses.get(key)
        if guess is None:
            self.misses += 1
        else:
            self.hits += 1
        return guess

    def put(self, key: str, guess: LanguageGuess) -> None:
        """Keep ``guess`` under ``key``, to be written by ``save``."""
        if key not in self._guesses:
            self._unsaved.append(key)
        self._guesses[key] = guess

    def save(self) -> None:
        """Write the guesses added since the last save; rows another run wrote meanwhile are
        kept as they are (same key: same text, same identifier version, same guess)."""
        self.saved = 0
        if not self._unsaved:
            return
        with transaction.atomic():
            for chunk in _chunks(self._unsaved, WRITE_BATCH):
                TextLanguage.objects.bulk_create(
                    [_row(key, self.identifier, self._guesses[key]) for key in chunk],
                    ignore_conflicts=True,
                )
        self.saved = len(self._unsaved)
        self._unsaved = []


def _row(key: str, identifier: str, guess: LanguageGuess) -> TextLanguage:
    languages = ",".join(guess.languages)
    max_length = TextLanguage._meta.get_field("languages").max_length or 64
    if len(languages) > max_length:  # never with the shipped identifier (8 languages at most)
        languages = languages[:max_length].rsplit(",", 1)[0]
    return TextLanguage(
        key=key,
        identifier=identifier,
        language=guess.language[:16],
        script=guess.script[:8],
        confidence=float(guess.confidence),
        mixed=bool(guess.mixed),
        languages=languages,
    )


def languages_prune() -> int:
    """Delete the stored languages no contribution's text produces any more (edited or erased
    contributions) and those of other identifier versions; return how many."""
    from tashawur.contributions.models import Contribution
    from tashawur.synthesis import identifier_version, language_key

    version = identifier_version()
    deleted, _ = TextLanguage.objects.exclude(identifier=version).delete()
    kept = {
        language_key(version, unicodedata.normalize("NFC", text))
        for text in Contribution.objects.values_list("text", flat=True).iterator(chunk_size=5000)
    }
    unused = [
        pk
        for pk, key in TextLanguage.objects.values_list("pk", "key").iterator(chunk_size=10_000)
        if key not in kept
    ]
    for chunk in _chunks(unused, 900):
        deleted += TextLanguage.objects.filter(pk__in=chunk).delete()[0]
    return deleted
