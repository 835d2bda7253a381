"""The orchestrator: clean, identify, embed, near-duplicates, group, label, profile, assemble."""

from __future__ import annotations

import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from ._clean import Cleaner, TextCleaner
from ._cluster import (
    FindingClusterer,
    LinkageFindings,
    MutualNeighbourThemes,
    ThemeClusterer,
    centre_by_language,
    centroids,
    means,
    nearest,
)
from ._dedup import DuplicateFinder, ThreeLevelDuplicateFinder, duplicate_groups
from ._embed import (
    Embedder,
    EmbeddingCache,
    FloatArray,
    LexicalEmbedder,
    amazigh_bridge,
    content_key,
    embed_chunk,
    make_embedder,
    text_to_embed,
)
from ._label import ClassTfidfLabeler, Labeler, representative_indices
from ._language import LanguageGuess, LanguageIdentifier, RuleLanguageIdentifier
from ._profile import HypergeometricProfiler, Profiler
from ._types import (
    AMAZIGH,
    DuplicateGroup,
    Finding,
    Quote,
    Record,
    SynthesisResult,
    Theme,
    previous_assignment,
    previous_themes,
)

ENGINE_VERSION = "tashawur.synthesis 0.1.0"
#: Inputs at least this large get a local process pool for cleaning when no executor is given.
POOL_THRESHOLD = 50_000
#: At least this many distinct texts to embed get a local process pool (one BLAS thread each)
#: when no executor is given; below it, loading the model in every worker does not pay.
#: 10k resampled texts: ~735 texts/s in process, ~1,200 on the pool (2 cores).
EMBED_POOL_THRESHOLD = 5_000
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_RESERVED = frozenset({"id", "text", "translation"})

T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")
IntArray = NDArray[np.int64]


class SynthesisInputError(ValueError):
    """The records cannot be synthesised; the message says why, in words for the user."""


def coerce_records(records: Iterable[Mapping[str, Any] | Record]) -> list[Record]:
    """Turn mappings with ``id``, ``text``, optional ``translation`` and metadata into `Record`.

    Raises
    ------
    SynthesisInputError
        When there are no records, a record has no id, or two records share an id.
    """
    out: list[Record] = []
    seen: set[str] = set()
    for position, raw in enumerate(records, start=1):
        if isinstance(raw, Record):
            record = raw
        else:
            if raw.get("id") is None or str(raw.get("id")).strip() == "":
                raise SynthesisInputError(f"record {position} has no id")
            text = raw.get("text")
            translation = raw.get("translation")
            record = Record(
                id=str(raw["id"]).strip(),
                text="" if text is None else str(text),
                translation=None if translation in (None, "") else str(translation),
                metadata={
                    str(k): "" if v is None else str(v)
                    for k, v in raw.items()
                    if k not in _RESERVED
                },
            )
        if record.id in seen:
            raise SynthesisInputError(f"the id {record.id!r} is used by more than one record")
        seen.add(record.id)
        out.append(record)
    if not out:
        raise SynthesisInputError("there are no records to synthesise")
    return out


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_chunks(array: FloatArray, size: int) -> list[FloatArray]:
    return [array[i : i + size] for i in range(0, len(array), size)]


def clean_and_identify(
    cleaner: Cleaner, identifier: LanguageIdentifier, texts: Sequence[str]
) -> tuple[list[str], list[LanguageGuess]]:
    """Clean and identify one chunk of texts (the map function of the first step)."""
    cleaned = cleaner.transform(texts)
    return cleaned, identifier.transform(texts, cleaned)


def _nearest_chunk(centres: FloatArray, vectors: FloatArray) -> tuple[IntArray, FloatArray]:
    return nearest(vectors, centres)


def _number(identifier: str, prefix: str) -> int:
    match = re.fullmatch(rf"{prefix}(\d+)", identifier)
    return int(match.group(1)) if match else 0


class Synthesizer:
    """Turn contributions into themes, findings and duplicates that cite their sources.

    Follows scikit-learn's contract: ``__init__`` only stores parameters, `fit` learns and
    returns ``self`` with ``result_`` set; `run` is ``fit(...).result_``. Every step is a
    replaceable object (pass one to the matching parameter).

    Parameters
    ----------
    n_themes : int or None
        Forces the number of themes; ``None`` chooses it from the data.
    embedder : {"use", "lexical"} or Embedder
        The embedding backend: the multilingual Universal Sentence Encoder (default), the
        character TF-IDF + SVD backend, or any object following the `Embedder` protocol.
    random_state : int
        Seed of every random choice; a run is deterministic for a given value.
    executor : concurrent.futures.Executor or None
        Runs the map steps (cleaning and identification, embedding, assignment). ``None``: a
        local process pool for cleaning large inputs, the rest in this process.
    progress : bool
        Show progress bars on standard error.
    cache : EmbeddingCache, str or None
        Embeddings by content hash, reused across runs: an `EmbeddingCache` (kept in memory,
        e.g. shared by the runs of one process) or a directory (read at the start of a run,
        new vectors written at its end). ``None``: no cache (within a run, identical texts
        are embedded once anyway).
    finding_similarity : float or None
        Average cosine similarity (after per-language centring) from which contributions say
        the same thing; ``None`` takes the embedder's ``same_idea_similarity`` or 0.35.
    paraphrase_similarity : float or None
        Cosine similarity from which two same-language contributions are paraphrase
        duplicates; ``None`` takes the embedder's ``paraphrase_similarity`` or 0.9.
    chunk_size : int
        Records per task of the map steps.
    cleaner, identifier, duplicate_finder, theme_clusterer, finding_clusterer, labeler, profiler
        Replacement steps; ``None`` uses the default of each.
    """

    def __init__(
        self,
        *,
        n_themes: int | None = None,
        embedder: str | Embedder = "use",
        random_state: int = 0,
        executor: Executor | None = None,
        progress: bool = False,
        cache: EmbeddingCache | str | None = None,
        finding_similarity: float | None = None,
        paraphrase_similarity: float | None = None,
        chunk_size: int = 2048,
        cleaner: Cleaner | None = None,
        identifier: LanguageIdentifier | None = None,
        duplicate_finder: DuplicateFinder | None = None,
        theme_clusterer: ThemeClusterer | None = None,
        finding_clusterer: FindingClusterer | None = None,
        labeler: Labeler | None = None,
        profiler: Profiler | None = None,
    ) -> None:
        self.n_themes = n_themes
        self.embedder = embedder
        self.random_state = random_state
        self.executor = executor
        self.progress = progress
        self.cache = cache
        self.finding_similarity = finding_similarity
        self.paraphrase_similarity = paraphrase_similarity
        self.chunk_size = chunk_size
        self.cleaner = cleaner
        self.identifier = identifier
        self.duplicate_finder = duplicate_finder
        self.theme_clusterer = theme_clusterer
        self.finding_clusterer = finding_clusterer
        self.labeler = labeler
        self.profiler = profiler

    # -- public API -------------------------------------------------------------------------

    def run(
        self,
        records: Iterable[Mapping[str, Any] | Record],
        previous: SynthesisResult | Mapping[str, Any] | None = None,
    ) -> SynthesisResult:
        """Synthesise ``records`` and return the result (see `fit`)."""
        return self.fit(records, previous=previous).result_

    def fit(
        self,
        records: Iterable[Mapping[str, Any] | Record],
        previous: SynthesisResult | Mapping[str, Any] | None = None,
    ) -> Synthesizer:
        """Synthesise ``records``; the result is in ``result_``.

        Parameters
        ----------
        records : iterable of mapping
            Each with ``id``, ``text``, an optional ``translation`` and any metadata
            (``province``, ``actor_type``, ``channel``…), which the profiles break down by.
        previous : SynthesisResult, its ``to_dict()`` form, or None
            An earlier result: contributions it placed keep their finding and theme; new
            ones join the nearest existing finding when they say the same thing, or open new
            findings (with new ids) inside the nearest existing theme.

        Returns
        -------
        Synthesizer
            ``self``, with ``result_``, ``records_`` and ``embeddings_`` set.

        Raises
        ------
        SynthesisInputError
            When the input cannot be synthesised (no records, shared ids, no text at all).
        """
        if self.n_themes is not None and self.n_themes < 1:
            raise SynthesisInputError("the number of themes must be at least 1")
        timings: dict[str, float] = {}
        warnings: list[str] = []
        started = time.perf_counter()

        with self._timed(timings, "clean_identify"):
            records_ = coerce_records(records)
            records_ = self._clean_identify(records_)
        analysable = np.array([bool(r.analysis_text) for r in records_])
        if not analysable.any():
            raise SynthesisInputError("no contribution has any text to analyse")
        skipped = int((~analysable).sum())
        if skipped:
            warnings.append(f"{skipped} contribution(s) without any letter or digit were left out")

        finder = self.duplicate_finder or ThreeLevelDuplicateFinder(random_state=self.random_state)
        live = np.nonzero(analysable)[0]
        with self._timed(timings, "duplicates"):
            canonical, levels = _fold_copies(finder, records_, live)

        embedder = make_embedder(self.embedder, random_state=self.random_state)
        with self._timed(timings, "embed"):
            firsts = np.nonzero(analysable & (canonical == np.arange(len(records_))))[0]
            vectors, groups = self._embed([records_[i] for i in firsts], embedder, warnings)

        with self._timed(timings, "duplicates"):
            threshold = self.paraphrase_similarity or float(
                getattr(embedder, "paraphrase_similarity", 0.9)
            )
            roots = finder.find_paraphrases(vectors, groups, threshold)
            _fold_paraphrases(canonical, levels, live, firsts, roots)
            keep = roots == np.arange(len(firsts))
            members = firsts[keep]
            member_vectors = vectors[keep]
            del vectors  # the members' rows are all that is needed from here on
            member_groups = [g for g, k in zip(groups, keep, strict=True) if k]
            member_vectors = centre_by_language(member_vectors, member_groups, copy=False)
            member_langs = [records_[i].language for i in members.tolist()]

        with self._timed(timings, "group"):
            similarity = self.finding_similarity or float(
                getattr(embedder, "same_idea_similarity", 0.35)
            )
            if previous is None:
                theme_of, finding_of, theme_ids, finding_ids = self._group_fresh(
                    member_vectors, similarity, member_groups
                )
            else:
                theme_of, finding_of, theme_ids, finding_ids = self._group_incremental(
                    records_, members, member_vectors, member_groups, similarity, previous, warnings
                )

        with self._timed(timings, "label"):
            n_findings, n_themes = len(finding_ids), len(theme_ids)
            finding_centres = centroids(member_vectors, finding_of, n_findings)
            arabic, french = _label_texts([records_[i] for i in members.tolist()])
            labeler = self.labeler or ClassTfidfLabeler()
            labeler.fit(arabic, french)
            f_ar, f_fr = labeler.key_phrases(finding_of, n_findings)
            t_ar, t_fr = labeler.key_phrases(theme_of, n_themes)
            usable = np.array(
                [len(records_[i].analysis_text) >= 12 for i in members.tolist()], dtype=bool
            )
            quotes = representative_indices(
                member_vectors, finding_of, finding_centres, member_langs, usable
            )

        with self._timed(timings, "profile"):
            # Duplicates count where their canonical item is: each is someone's contribution.
            position = np.full(len(records_), -1, dtype=np.int64)
            position[members] = np.arange(len(members))
            finding_of_record = np.full(len(records_), -1, dtype=np.int64)
            finding_of_record[live] = finding_of[position[canonical[live]]]
            profiler = self.profiler or HypergeometricProfiler()
            profiler.fit(_profile_fields(records_), finding_of_record, n_findings)

        with self._timed(timings, "assemble"):
            result = self._assemble(
                records_,
                canonical,
                levels,
                analysable,
                members,
                theme_of,
                finding_of,
                theme_ids,
                finding_ids,
                (f_ar, f_fr, t_ar, t_fr),
                quotes,
                profiler.profiles_,
                finding_of_record,
            )
        timings["total"] = round(time.perf_counter() - started, 3)
        result.warnings = warnings
        result.timings = {k: round(v, 3) for k, v in timings.items()}
        result.parameters = {
            "n_themes": self.n_themes,
            "embedder": embedder.name,
            "random_state": self.random_state,
            "finding_similarity": similarity,
            "paraphrase_similarity": threshold,
            "incremental": previous is not None,
            "n_records": len(records_),
        }
        self.result_ = result
        self.records_ = records_
        self.embeddings_ = member_vectors
        return self

    # -- steps ------------------------------------------------------------------------------

    @contextmanager
    def _timed(self, timings: dict[str, float], step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            timings[step] = timings.get(step, 0.0) + time.perf_counter() - start

    def _map(
        self,
        fn: Callable[[C], R],
        chunks: Sequence[C],
        step: str,
        *,
        pool: bool = False,
    ) -> list[R]:
        from tqdm import tqdm

        bar = tqdm(total=len(chunks), desc=step, disable=not self.progress, file=sys.stderr)
        out: list[R] = []
        try:
            if self.executor is not None:
                for item in self.executor.map(fn, chunks):
                    out.append(item)
                    bar.update()
            elif pool and len(chunks) > 1:
                with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as executor:
                    for item in executor.map(fn, chunks):
                        out.append(item)
                        bar.update()
            else:
                for chunk in chunks:
                    out.append(fn(chunk))
                    bar.update()
        finally:
            bar.close()
        return out

    def _clean_identify(self, records: list[Record]) -> list[Record]:
        from functools import partial

        cleaner = self.cleaner or TextCleaner()
        identifier = self.identifier or RuleLanguageIdentifier()
        texts = [unicodedata.normalize("NFC", r.text) for r in records]
        parts = self._map(
            partial(clean_and_identify, cleaner, identifier),
            _chunks(texts, self.chunk_size),
            "clean",
            pool=len(records) >= POOL_THRESHOLD,
        )
        out: list[Record] = []
        position = 0
        for cleaned, guesses in parts:
            for clean, guess in zip(cleaned, guesses, strict=True):
                r = records[position]
                out.append(
                    Record(
                        id=r.id,
                        text=r.text,
                        translation=r.translation,
                        metadata=r.metadata,
                        analysis_text=clean,
                        language=guess.language,
                        script=guess.script,
                        language_confidence=guess.confidence,
                    )
                )
                position += 1
        return out

    def _embed(
        self, records: list[Record], embedder: Embedder, warnings: list[str]
    ) -> tuple[FloatArray, list[str]]:
        """Embed the records; return the vectors and the group each was centred in."""
        from functools import partial

        n = len(records)
        vectors = np.zeros((n, embedder.dim), dtype=np.float32)
        groups = [r.language for r in records]
        lexical = isinstance(embedder, LexicalEmbedder)
        bridged: list[int] = []
        regular: list[int] = []
        texts: list[str] = []
        for i, r in enumerate(records):
            has_translation = bool(r.translation and r.translation.strip())
            texts.append(text_to_embed(r.text, r.translation, r.language))
            if r.language in AMAZIGH and has_translation:
                groups[i] = f"{r.language}:translated"
            if r.language in AMAZIGH and not has_translation and not lexical:
                bridged.append(i)
            else:
                regular.append(i)

        if lexical:
            assert isinstance(embedder, LexicalEmbedder)
            if not hasattr(embedder, "vectorizer_"):
                embedder.fit([texts[i] for i in regular])
            cache = None
        else:
            cache = EmbeddingCache(self.cache) if isinstance(self.cache, str) else self.cache
        todo: list[int] = []
        keys: dict[int, str] = {}
        for i in regular:
            if cache is None:
                todo.append(i)
                continue
            keys[i] = content_key(embedder.name, texts[i])
            hit = cache.get(keys[i])
            if hit is None:
                todo.append(i)
            else:
                vectors[i] = hit
        # Identical embedded texts (e.g. the same translation) are embedded once.
        unique: dict[str, int] = {}
        for i in todo:
            unique.setdefault(texts[i], i)
        order = list(unique.values())
        chunk_items = [(texts[i], groups[i]) for i in order]
        parts = self._map(
            partial(_embed_pairs, embedder),
            _chunks(chunk_items, self.chunk_size),
            "embed",
            pool=len(chunk_items) >= EMBED_POOL_THRESHOLD and not lexical,
        )
        order_array = np.array(order, dtype=np.int64)
        start = 0
        for part in parts:
            vectors[order_array[start : start + len(part)]] = part
            start += len(part)
        del parts
        for i in todo:
            first = unique[texts[i]]
            if first != i:  # the same text embedded once, under another record
                vectors[i] = vectors[first]
            if cache is not None:
                cache.put(keys[i], vectors[i].copy())
        if cache is not None:
            cache.save()

        if bridged:
            bridge = amazigh_bridge() if embedder.name == "use" and embedder.dim == 512 else None
            amazigh_texts = [texts[i] for i in bridged]
            if bridge is not None:
                vectors[bridged] = bridge.transform(amazigh_texts)
            else:
                fallback = LexicalEmbedder(dim=embedder.dim, random_state=self.random_state)
                vectors[bridged] = fallback.embed(amazigh_texts, [groups[i] for i in bridged])
                why = (
                    "the Amazigh bridge is not available"
                    if embedder.name == "use"
                    else "the Amazigh bridge maps into the 'use' embedder's space only"
                )
                warnings.append(
                    f"{len(bridged)} Amazigh contribution(s) without a translation were embedded "
                    f"by spelling only ({why}): they group among themselves, not with their "
                    "Arabic or French equivalents"
                )
        return vectors, groups

    def _group_fresh(
        self, vectors: FloatArray, similarity: float, groups: Sequence[str]
    ) -> tuple[IntArray, IntArray, list[str], list[str]]:
        from functools import partial

        themes = self.theme_clusterer or MutualNeighbourThemes(
            n_themes=self.n_themes, random_state=self.random_state
        )
        sample_size = int(getattr(themes, "sample_size", 4000))
        n = len(vectors)

        def fit_themes(rows: IntArray | slice) -> None:
            if isinstance(themes, MutualNeighbourThemes):
                themes.fit(vectors[rows], groups=np.asarray(groups)[rows].tolist())
            else:
                themes.fit(vectors[rows])

        if n > sample_size:
            rng = np.random.default_rng(self.random_state)
            sample = np.sort(rng.choice(n, sample_size, replace=False))
            fit_themes(sample)
            parts = self._map(
                partial(_nearest_chunk, themes.centroids_),
                _array_chunks(vectors, self.chunk_size * 4),
                "assign",
            )
            theme_of = np.concatenate([p[0] for p in parts])
            theme_of[sample] = themes.labels_
        else:
            fit_themes(slice(None))
            theme_of = themes.labels_.copy()
        # Findings are cut over all contributions, not inside each theme: a theme boundary
        # would split an idea whose wordings straddle it. Each finding then takes the theme
        # most of its members were given, so that themes stay unions of findings. Blocks are
        # as large as the theme sample: with 1,500-row blocks, SIB-200 train (2,050 rows) had
        # 0.57 of a sentence's translations in one finding, against 0.93 in one block.
        findings = self.finding_clusterer or LinkageFindings(
            similarity=similarity, block_size=sample_size, random_state=self.random_state
        )
        finding_of = findings.fit(vectors).labels_.astype(np.int64) if n else np.zeros(0, np.int64)
        if n:
            n_f, n_t = int(finding_of.max()) + 1, int(theme_of.max()) + 1
            votes = np.zeros((n_f, n_t), dtype=np.int64)
            np.add.at(votes, (finding_of, theme_of), 1)
            theme_of = votes.argmax(axis=1)[finding_of]
            theme_of = np.unique(theme_of, return_inverse=True)[1].astype(np.int64)
        return _number_groups(theme_of, finding_of, {}, {}, 1, 1)

    def _group_incremental(
        self,
        records: list[Record],
        members: IntArray,
        vectors: FloatArray,
        groups: Sequence[str],
        similarity: float,
        previous: SynthesisResult | Mapping[str, Any],
        warnings: list[str],
    ) -> tuple[IntArray, IntArray, list[str], list[str]]:
        from functools import partial

        finding_before = previous_assignment(previous)
        theme_before = previous_themes(previous)
        max_finding = max((_number(f, "F") for f in theme_before), default=0)
        max_theme = max((_number(t, "T") for t in theme_before.values()), default=0)
        old = [finding_before.get(records[i].id) for i in members.tolist()]
        known = np.array([f is not None and f in theme_before for f in old], dtype=bool)
        if not known.any():
            warnings.append("no contribution of the previous result is in this input: regrouped")
            theme_of, finding_of, _, _ = self._group_fresh(vectors, similarity, groups)
            return _number_groups(theme_of, finding_of, {}, {}, max_theme + 1, max_finding + 1)

        old_findings = sorted({f for f, k in zip(old, known, strict=True) if k and f}, key=_key)
        old_themes = sorted({theme_before[f] for f in old_findings}, key=_key)
        f_index = {f: k for k, f in enumerate(old_findings)}
        t_index = {t: k for k, t in enumerate(old_themes)}
        finding_of = np.full(len(members), -1, dtype=np.int64)
        for k in np.nonzero(known)[0].tolist():
            finding_of[k] = f_index[str(old[k])]
        finding_theme = np.array([t_index[theme_before[f]] for f in old_findings], dtype=np.int64)
        theme_of = np.where(finding_of >= 0, finding_theme[np.maximum(finding_of, 0)], -1)

        new = np.nonzero(~known)[0]
        if len(new):
            # The mean, not the centroid: a new record joins a finding when its average
            # similarity to the members reaches the threshold, as the findings were cut.
            f_centres = means(vectors[known], finding_of[known], len(old_findings))
            parts = self._map(
                partial(_nearest_chunk, f_centres),
                _array_chunks(vectors[new], self.chunk_size * 4),
                "assign",
            )
            best = np.concatenate([p[0] for p in parts])
            sims = np.concatenate([p[1] for p in parts])
            joins = sims >= similarity
            finding_of[new[joins]] = best[joins]
            theme_of[new[joins]] = finding_theme[best[joins]]
            rest = new[~joins]
            if len(rest):
                t_centres = centroids(vectors[known], theme_of[known], len(old_themes))
                theme_of[rest], _ = nearest(vectors[rest], t_centres)
                next_label = len(old_findings)
                for t in np.unique(theme_of[rest]).tolist():
                    idx = rest[theme_of[rest] == t]
                    findings = self.finding_clusterer or LinkageFindings(
                        similarity=similarity, random_state=self.random_state
                    )
                    local = findings.fit(vectors[idx]).labels_
                    finding_of[idx] = local + next_label
                    next_label += int(local.max()) + 1
        fixed_findings = dict(enumerate(old_findings))
        fixed_themes = dict(enumerate(old_themes))
        return _number_groups(
            theme_of, finding_of, fixed_themes, fixed_findings, max_theme + 1, max_finding + 1
        )

    def _assemble(
        self,
        records: list[Record],
        canonical: IntArray,
        levels: list[str],
        analysable: NDArray[np.bool_],
        members: IntArray,
        theme_of: IntArray,
        finding_of: IntArray,
        theme_ids: list[str],
        finding_ids: list[str],
        phrases: tuple[list[list[str]], ...],
        quotes: list[list[int]],
        profiles: list[Any],
        finding_of_record: IntArray,
    ) -> SynthesisResult:
        f_ar, f_fr, t_ar, t_fr = phrases
        finding_theme = np.zeros(len(finding_ids), dtype=np.int64)
        finding_theme[finding_of] = theme_of
        sizes = np.bincount(finding_of_record[finding_of_record >= 0], minlength=len(finding_ids))
        member_lists: list[list[str]] = [[] for _ in finding_ids]
        for k, i in enumerate(members.tolist()):
            member_lists[finding_of[k]].append(records[i].id)
        findings: list[Finding] = []
        for f, fid in enumerate(finding_ids):
            quoted = [records[members[k]] for k in quotes[f]]
            findings.append(
                Finding(
                    id=fid,
                    theme=theme_ids[finding_theme[f]],
                    size=int(sizes[f]),
                    label_ar="، ".join(f_ar[f][:3]),
                    label_fr=", ".join(f_fr[f][:3]),
                    key_phrases_ar=f_ar[f],
                    key_phrases_fr=f_fr[f],
                    representative_ids=[r.id for r in quoted],
                    member_ids=member_lists[f],
                    profiles=profiles[f],
                    quotes=[Quote(id=r.id, text=r.text, language=r.language) for r in quoted],
                    duplicate_count=int(sizes[f]) - len(member_lists[f]),
                )
            )
        theme_sizes = np.bincount(finding_theme, weights=sizes, minlength=len(theme_ids))
        themes = [
            Theme(
                id=tid,
                size=int(theme_sizes[t]),
                label_ar="، ".join(t_ar[t][:3]),
                label_fr=", ".join(t_fr[t][:3]),
                finding_ids=[finding_ids[f] for f in np.nonzero(finding_theme == t)[0].tolist()],
                key_phrases_ar=t_ar[t],
                key_phrases_fr=t_fr[t],
            )
            for t, tid in enumerate(theme_ids)
        ]
        assignments: list[dict[str, str | None]] = []
        for i, r in enumerate(records):
            f = int(finding_of_record[i])
            dup = canonical[i] != i
            assignments.append(
                {
                    "id": r.id,
                    "language": r.language,
                    "script": r.script,
                    "theme": theme_ids[finding_theme[f]] if f >= 0 else None,
                    "finding": finding_ids[f] if f >= 0 else None,
                    "duplicate_of": records[canonical[i]].id if dup and analysable[i] else None,
                }
            )
        groups: list[DuplicateGroup] = duplicate_groups([r.id for r in records], canonical, levels)
        findings.sort(key=lambda f: (_key(f.theme), _key(f.id)))
        themes.sort(key=lambda t: _key(t.id))
        return SynthesisResult(
            assignments=assignments,
            findings=findings,
            themes=themes,
            duplicates=groups,
            warnings=[],
            parameters={},
            timings={},
            engine_version=ENGINE_VERSION,
        )


def _fold_copies(
    finder: DuplicateFinder, records: Sequence[Record], live: IntArray
) -> tuple[IntArray, list[str]]:
    """Canonical index and duplicate level of every record, by exact and normalised copy."""
    copy_of, level = finder.find_copies(
        [records[i].text for i in live], [records[i].analysis_text for i in live]
    )
    canonical = np.arange(len(records), dtype=np.int64)
    canonical[live] = live[copy_of]
    levels = [""] * len(records)
    for k, i in enumerate(live.tolist()):
        levels[i] = level[k]
    return canonical, levels


def _fold_paraphrases(
    canonical: IntArray, levels: list[str], live: IntArray, firsts: IntArray, roots: IntArray
) -> None:
    """Point every copy of a paraphrase to the paraphrase group's canonical item, in place."""
    root_of = np.arange(len(canonical), dtype=np.int64)
    root_of[firsts] = firsts[roots]
    target = root_of[canonical[live]]
    moved = target != canonical[live]
    for i in live[moved].tolist():
        levels[i] = "paraphrase"
    canonical[live] = target


def _profile_fields(records: Sequence[Record]) -> dict[str, list[str | None]]:
    """The language and every metadata field of the records, by field name."""
    fields: dict[str, list[str | None]] = {"language": [r.language for r in records]}
    for key in sorted({k for r in records for k in r.metadata}):
        fields[key] = [r.metadata.get(key) for r in records]
    return fields


def _embed_pairs(embedder: Embedder, items: Sequence[tuple[str, str]]) -> FloatArray:
    return embed_chunk(embedder, [t for t, _ in items], [g for _, g in items])


def _key(identifier: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", identifier)
    return (match.group(1), int(match.group(2))) if match else (identifier, 0)


def _number_groups(
    theme_of: IntArray,
    finding_of: IntArray,
    fixed_themes: Mapping[int, str],
    fixed_findings: Mapping[int, str],
    next_theme: int,
    next_finding: int,
) -> tuple[IntArray, IntArray, list[str], list[str]]:
    """Give ids: fixed ones kept, new ones numbered by size (largest first), then first seen."""
    n_t = int(theme_of.max()) + 1 if len(theme_of) else 0
    n_f = int(finding_of.max()) + 1 if len(finding_of) else 0
    t_size = np.bincount(theme_of, minlength=n_t)
    f_size = np.bincount(finding_of, minlength=n_f)
    t_first = np.full(n_t, len(theme_of))
    np.minimum.at(t_first, theme_of, np.arange(len(theme_of)))
    f_first = np.full(n_f, len(finding_of))
    np.minimum.at(f_first, finding_of, np.arange(len(finding_of)))
    theme_ids = [fixed_themes.get(t, "") for t in range(n_t)]
    for rank, t in enumerate(
        sorted(
            (t for t in range(n_t) if t not in fixed_themes), key=lambda t: (-t_size[t], t_first[t])
        )
    ):
        theme_ids[t] = f"T{next_theme + rank}"
    # Findings are numbered theme by theme so that a fresh run reads in order.
    theme_rank = {t: _key(theme_ids[t]) for t in range(n_t)}
    finding_theme = np.zeros(n_f, dtype=np.int64)
    finding_theme[finding_of] = theme_of
    finding_ids = [fixed_findings.get(f, "") for f in range(n_f)]
    fresh = sorted(
        (f for f in range(n_f) if f not in fixed_findings),
        key=lambda f: (theme_rank[int(finding_theme[f])], -f_size[f], f_first[f]),
    )
    for rank, f in enumerate(fresh):
        finding_ids[f] = f"F{next_finding + rank}"
    return theme_of, finding_of, theme_ids, finding_ids


def _label_texts(records: Sequence[Record]) -> tuple[list[str], list[str]]:
    """Per record, its Arabic-script text and its French text for key phrases."""
    arabic: list[str] = []
    french: list[str] = []
    for r in records:
        ar = r.text if r.script == "Arab" else ""
        fr = r.text if r.language == "fr" else ""
        if r.translation:
            if _ARABIC_LETTER.search(r.translation):
                ar = f"{ar} {r.translation}".strip()
            elif _LATIN_LETTER.search(r.translation) and r.language not in {"en"}:
                fr = f"{fr} {r.translation}".strip()
        arabic.append(ar)
        french.append(fr)
    return arabic, french
