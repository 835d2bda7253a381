"""“Already said”: the published contributions of a consultation closest to a text being typed.

While someone writes a contribution, the workshop page asks for the few published ones that
say nearly the same, in any language, so that they may agree with one instead of writing it
again (``similar_views``).

How: each consultation has an index of its published contributions' sentence vectors (the
synthesis library's multilingual encoder, USE v3: MSA, Darija in either script, French; Amazigh
through its French translation or the Amazigh bridge). The typed text is embedded by the same
encoder (a few ms once the model is loaded, once per process) and compared with every vector by
one matrix product (~20 ms for 100,000 × 512 float32 on one thread). Vectors are centred per
language first (the query by the mean of its guessed language): on the demo consultation this
took "a Darija text finds a contribution of the same idea among its three nearest" from 17% to
36%, and a French one from 50% to 62%, since raw vectors rank a same-language text above a
translation. The best candidates are then read from the database, which drops those no longer
published, the typist's own and those they already voted on. benchmarks/bench_similar.py
measures it (docs/benchmarks.md).

The index lives in each process's memory (float32 centred rows, float16 raw ones: 3 KB a
contribution) and on disk (``TASHAWUR_SIMILAR_DIR``, float16, one ``.npz`` a consultation), so
that a new process starts from the file. A request compares the consultation's published count
and highest id with the index's; when they differ, it drops what was unpublished and embeds
what is new, at most ``EMBED_BUDGET`` texts per request. Beyond that (a first index of a large
consultation), and for re-centring and saving a large index, the task ``similar_index_build``
works in the background; until it is done, the contributions not yet embedded are simply not
suggested.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django_tasks import task
from numpy.typing import NDArray

from tashawur.contributions.models import Contribution

log = logging.getLogger(__name__)

#: Shorter typed texts get no suggestion: too little to compare.
MIN_QUERY_CHARS = 12
#: Only the beginning of a longer typed text is compared.
MAX_QUERY_CHARS = 1000
#: How many suggestions are shown.
SUGGESTIONS = 3
#: Candidates read from the database before filtering (own, voted, no longer published).
CANDIDATES = 40
#: Cosine (after per-language centring) below which a contribution is not suggested. On the
#: demo consultation, texts of one idea average 0.18 and unrelated ones 0.00 (99th percentile
#: 0.27); the best match of a Darija text that has a paraphrase lies between 0.15 and 0.36.
MIN_SIMILARITY = 0.15
#: New contributions one request embeds at most (~1.5 ms each); the rest go to the task.
EMBED_BUDGET = 64
#: A grown index is written to disk at most this often by requests (the task always writes).
SAVE_INTERVAL_S = 60.0
#: Up to this many rows, a request re-centres and saves a grown index itself; beyond, it
#: centres new rows with the current means and leaves both to the task.
INLINE_LIMIT = 1000

MODEL = "use"
DIM = 512
#: A language needs this many rows for a mean of its own, and the index this many for a
#: common mean (the means of a few texts would remove what they say, not their language).
MIN_GROUP = 10
MIN_CENTRED = 30
_AMAZIGH = frozenset({"zgh", "zgh-Latn"})


@dataclass
class _Index:
    ids: NDArray[np.int64]
    #: Unit vectors as the encoder gives them (float16: kept to re-centre and to save).
    raw: NDArray[np.float16]
    #: The language of each row (the centring group).
    languages: NDArray[np.str_]
    #: (published count, highest published id) when the index was complete; None otherwise.
    signature: tuple[int, int] | None = None
    #: Per-language means and the rows centred by them and scaled to unit length (float32:
    #: what a search multiplies; numpy has no fast float16 product).
    means: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    centred: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, DIM), np.float32))
    centred_at: int = 0
    file_mtime: float = 0.0
    saved_at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def empty(cls) -> _Index:
        return cls(
            ids=np.zeros(0, np.int64),
            raw=np.zeros((0, DIM), np.float16),
            languages=np.zeros(0, "<U8"),
        )

    def centre(self, vectors: NDArray[Any], languages: Any) -> NDArray[np.float32]:
        """``vectors`` minus the mean of their language (the whole index's mean for a language
        it holds too few of), scaled to unit length: the "language direction" of the encoder
        otherwise ranks a same-language text above a translation (DESIGN-synthesis.md)."""
        out = np.asarray(vectors, dtype=np.float32).copy()
        fallback = self.means.get("", np.zeros(DIM, np.float32))
        for language in set(np.asarray(languages).tolist()):
            rows = np.asarray(languages) == language
            out[rows] -= self.means.get(language, fallback)
        return _unit(out)

    def recentre(self) -> None:
        """Recompute the means from every row, and every centred row."""
        raw = self.raw.astype(np.float32)
        self.means = {"": raw.mean(axis=0)} if len(raw) >= MIN_CENTRED else {}
        for language in set(self.languages.tolist()):
            rows = self.languages == language
            if self.means and rows.sum() >= MIN_GROUP:
                self.means[language] = raw[rows].mean(axis=0)
        self.centred = self.centre(raw, self.languages)
        self.centred_at = len(self.ids)


_INDEXES: dict[int, _Index] = {}
_INDEXES_LOCK = threading.Lock()
_BUILD_ENQUEUED: dict[int, float] = {}


@dataclass(frozen=True)
class Suggestion:
    contribution: Contribution
    similarity: float


def _unit(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    out: NDArray[np.float32] = (x / norms).astype(np.float32, copy=False)
    return out


# -- embedding ---------------------------------------------------------------------------------


def _encoder() -> Any:
    from tashawur.synthesis import USEEmbedder

    # One BLAS thread: a web worker embeds one short text at a time (synthesis/_embed.py).
    return USEEmbedder(threads=1)


def _guess_language(text: str) -> str:
    import tashawur.synthesis as synthesis

    return str(synthesis.identify(text, synthesis.clean_text(text)).language)


def embed_texts(
    texts: list[str], languages: list[str], translations: list[str] | None = None
) -> NDArray[np.float32]:
    """Unit vectors of ``texts`` in the encoder's space: Arabizi is transliterated first, an
    Amazigh text is read through its French translation or, without one, the Amazigh bridge
    (a zero vector, never suggested, where the bridge is missing)."""
    from tashawur.synthesis._embed import amazigh_bridge, text_to_embed

    translations = translations or [""] * len(texts)
    encoder = _encoder()
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    regular: list[int] = []
    bridged: list[int] = []
    prepared: list[str] = []
    for i, (text, language, translation) in enumerate(
        zip(texts, languages, translations, strict=True)
    ):
        prepared.append(text_to_embed(text, translation, language))
        if language in _AMAZIGH and not translation.strip():
            bridged.append(i)
        else:
            regular.append(i)
    if regular:
        out[regular] = encoder.embed(
            [prepared[i] for i in regular], [languages[i] for i in regular]
        )
    if bridged:
        bridge = amazigh_bridge()
        if bridge is not None:
            vectors = np.asarray(bridge.transform([prepared[i] for i in bridged]), np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            out[bridged] = vectors / norms
    return out


def embed_query(text: str) -> tuple[NDArray[np.float32], str]:
    """The vector of one typed text and its language (guessed as the submission service
    does)."""
    text = text[:MAX_QUERY_CHARS]
    language = _guess_language(text)
    return embed_texts([text], [language])[0], language


# -- the index ---------------------------------------------------------------------------------


def _published(consultation_id: int) -> Any:
    return Contribution.objects.published().filter(consultation_id=consultation_id).exclude(text="")


def _index_path(consultation_id: int) -> Path | None:
    directory = getattr(settings, "TASHAWUR_SIMILAR_DIR", None)
    if not directory:
        return None
    return Path(directory) / f"consultation-{consultation_id}-{MODEL}.npz"


def _load(consultation_id: int) -> _Index | None:
    path = _index_path(consultation_id)
    if path is None or not path.is_file():
        return None
    try:
        mtime = path.stat().st_mtime
        with np.load(path) as data:
            ids = data["ids"].astype(np.int64)
            raw = data["vectors"].astype(np.float16)
            languages = data["languages"].astype("<U8")
    except (OSError, KeyError, ValueError):
        log.warning("Similar-contribution index %s unreadable: rebuilt.", path)
        return None
    if raw.shape[1:] != (DIM,) or not len(ids) == len(raw) == len(languages):
        return None
    index = _Index(ids=ids, raw=raw, languages=languages, file_mtime=mtime)
    index.recentre()
    return index


def _save(consultation_id: int, index: _Index) -> None:
    path = _index_path(consultation_id)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(temporary, ids=index.ids, vectors=index.raw, languages=index.languages)
    temporary.replace(path)  # atomic: readers see the old file or the new one
    index.file_mtime = path.stat().st_mtime
    index.saved_at = time.monotonic()


def _signature(consultation_id: int) -> tuple[int, int]:
    row = _published(consultation_id).aggregate(n=Count("id"), top=Max("id"))
    return int(row["n"] or 0), int(row["top"] or 0)


def _embed_rows(ids: list[int]) -> tuple[NDArray[np.float32], list[str]]:
    rows = {
        pk: (text, language, translation)
        for pk, text, language, translation in Contribution.objects.filter(pk__in=ids).values_list(
            "pk", "text", "language", "translation_fr"
        )
    }
    languages = [rows[pk][1] for pk in ids]
    texts = [rows[pk][0] for pk in ids]
    return embed_texts(texts, languages, [rows[pk][2] for pk in ids]), languages


def _refresh(consultation_id: int, index: _Index, *, budget: int | None) -> bool:
    """Bring ``index`` up to the published contributions; return whether it is complete."""
    signature = _signature(consultation_id)
    if index.signature == signature:
        return True
    published = np.fromiter(
        _published(consultation_id).values_list("id", flat=True), dtype=np.int64
    )
    keep = np.isin(index.ids, published)
    if not keep.all():
        index.ids, index.raw = index.ids[keep], index.raw[keep]
        index.languages = index.languages[keep]
        index.centred = index.centred[keep]
    missing = np.setdiff1d(published, index.ids)[::-1]  # newest first
    todo = missing if budget is None else missing[:budget]
    if len(todo):
        vectors, languages = _embed_rows([int(pk) for pk in todo])
        index.ids = np.concatenate([index.ids, todo])
        index.raw = np.concatenate([index.raw, vectors.astype(np.float16)])
        index.languages = np.concatenate([index.languages, np.array(languages, "<U8")])
        if budget is None or len(index.ids) < INLINE_LIMIT:
            index.recentre()  # the means have moved (4.5 s at 100,000 rows: the task's job)
        else:
            index.centred = np.concatenate([index.centred, index.centre(vectors, languages)])
    complete = len(todo) == len(missing)
    index.signature = signature if complete else None
    return complete


def similar_index(consultation_id: int, *, budget: int | None = EMBED_BUDGET) -> _Index:
    """The consultation's index, refreshed (see the module's docstring)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(consultation_id)
        if index is None:
            index = _load(consultation_id) or _Index.empty()
            _INDEXES[consultation_id] = index
    with index.lock:
        path = _index_path(consultation_id)
        # An incomplete index: another process (the task) may have written a fuller one.
        fresher = (
            index.signature is None
            and path is not None
            and path.is_file()
            and path.stat().st_mtime > index.file_mtime
        )
        loaded = _load(consultation_id) if fresher else None
        if loaded is not None and len(loaded.ids) >= len(index.ids):
            index.ids, index.raw, index.languages = loaded.ids, loaded.raw, loaded.languages
            index.means, index.centred = loaded.means, loaded.centred
            index.centred_at, index.file_mtime = loaded.centred_at, loaded.file_mtime
        before = len(index.ids)
        complete = _refresh(consultation_id, index, budget=budget)
        grown = len(index.ids) != before
        small = len(index.ids) < INLINE_LIMIT
        if grown and (
            budget is None or (small and time.monotonic() - index.saved_at > SAVE_INTERVAL_S)
        ):
            _save(consultation_id, index)
    if not complete or (grown and not small and budget is not None):
        # Large: re-centring and writing the file are the task's (a second per 10,000 rows).
        _enqueue_build(consultation_id)
    return index


def _enqueue_build(consultation_id: int) -> None:
    now = time.monotonic()
    if now - _BUILD_ENQUEUED.get(consultation_id, -1e9) < 600:
        return
    _BUILD_ENQUEUED[consultation_id] = now
    transaction.on_commit(
        lambda: similar_index_build.enqueue(consultation_id=consultation_id), robust=True
    )


@task()
def similar_index_build(*, consultation_id: int) -> int:
    """Embed every published contribution of the consultation and save its index; the number
    of contributions indexed."""
    index = similar_index(consultation_id, budget=None)
    return len(index.ids)


def similar_index_forget() -> None:
    """Drop every index held in memory (tests)."""
    with _INDEXES_LOCK:
        _INDEXES.clear()
        _BUILD_ENQUEUED.clear()


# -- the search ---------------------------------------------------------------------------------


def top_candidates(
    index_vectors: NDArray[np.float32],
    query: NDArray[np.float32],
    *,
    k: int = CANDIDATES,
    min_similarity: float = MIN_SIMILARITY,
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Row numbers and cosines of the ``k`` rows closest to ``query``, best first."""
    if not len(index_vectors) or not np.any(query):
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    scores = index_vectors @ query
    k = min(k, len(scores))
    rows = np.argpartition(-scores, k - 1)[:k]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    rows = rows[scores[rows] >= min_similarity]
    return rows.astype(np.int64), scores[rows]


def similar_contributions(
    *,
    consultation_id: int,
    text: str,
    participant: Any = None,
    limit: int = SUGGESTIONS,
    visible: Any = None,
) -> list[Suggestion]:
    """The published contributions of the consultation closest to ``text``, best first.

    The participant's own contributions and those they already voted on are left out;
    ``visible`` (``Contribution -> bool``), when given, keeps only those the reader may see.
    """
    text = text.strip()[:MAX_QUERY_CHARS]
    if len(text) < MIN_QUERY_CHARS:
        return []
    index = similar_index(consultation_id)
    vector, language = embed_query(text)
    rows, scores = top_candidates(index.centred, index.centre(vector[None, :], [language])[0])
    if not len(rows):
        return []
    score_of = {int(pk): float(s) for pk, s in zip(index.ids[rows], scores, strict=True)}
    candidates = _published(consultation_id).filter(pk__in=list(score_of))
    if participant is not None:
        candidates = candidates.exclude(author=participant).exclude(votes__participant=participant)
    found = sorted(
        candidates.select_related("workshop__meeting__consultation"),
        key=lambda c: -score_of[c.pk],
    )
    out: list[Suggestion] = []
    for contribution in found:
        if visible is not None and not visible(contribution):
            continue
        out.append(Suggestion(contribution=contribution, similarity=score_of[contribution.pk]))
        if len(out) >= limit:
            break
    return out
