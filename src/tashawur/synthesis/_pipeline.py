"""The orchestrator: clean, identify, embed, near-duplicates, group, label, profile, assemble."""

from __future__ import annotations

import os
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from ._assemble import assemble, fold_copies, fold_paraphrases, label_texts, profile_fields
from ._base import Step, clone
from ._clean import Cleaner, TextCleaner
from ._cluster import (
    FindingClusterer,
    LinkageFindings,
    MutualNeighbourThemes,
    ThemeClusterer,
    centre_by_language,
    centroids,
)
from ._dedup import DuplicateFinder, ThreeLevelDuplicateFinder
from ._embed import Embedder, EmbeddingCache, embed_records, make_embedder
from ._group import GroupingSteps, group_fresh, group_incremental
from ._label import ClassTfidfLabeler, Labeler, representative_indices
from ._language import (
    LanguageGuess,
    LanguageIdentifier,
    LanguageStore,
    RuleLanguageIdentifier,
    language_key,
)
from ._profile import HypergeometricProfiler, Profiler
from ._refine import FindingRefiner, MergeSplitFindings
from ._schema import check_result
from ._title import finding_titles, kept_titles
from ._types import ENGINE_VERSION, Record, SynthesisResult

__all__ = ["ENGINE_VERSION", "SynthesisInputError", "Synthesizer", "coerce_records"]

#: Inputs at least this large get a local process pool for cleaning and identifying when no
#: executor is given. Identifying costs about 0.5 ms a text on one core (5 s for 10,000), and a
#: pool's start (importing scikit-learn and the language model in each worker) about 1 s; at
#: 50,000 the 20,000-text run identified on one core while the other waited for the embed step.
POOL_THRESHOLD = 10_000
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


def clean_and_identify(
    cleaner: Cleaner, identifier: LanguageIdentifier, texts: Sequence[str]
) -> tuple[list[str], list[LanguageGuess]]:
    """Clean and identify one chunk of texts (the map function of the first step)."""
    cleaned = cleaner.transform(texts)
    return cleaned, identifier.transform(texts, cleaned)


class Synthesizer(Step):
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
        character TF-IDF + SVD backend, or any object following the `Embedder` protocol
        (a `FittableEmbedder` is fitted, on a copy, on each run's texts).
    random_state : int
        Seed of every random choice; a run is deterministic for a given value.
    executor : concurrent.futures.Executor or None
        Runs the map steps (cleaning and identification, embedding, assignment). ``None``: a
        local process pool for cleaning large inputs, the rest in this process. A Dask client's
        must run every call: ``client.get_executor(pure=False)`` (with Dask's default, a run
        of 5,000 texts gave other findings than the local executor).
    progress : bool
        Show progress bars on standard error.
    cache : EmbeddingCache, str or None
        Embeddings by content hash, reused across runs: an `EmbeddingCache` (kept in memory,
        e.g. shared by the runs of one process) or a directory (read at the start of a run,
        new vectors written at its end), or any object with the same ``get``, ``put`` and
        ``save`` (and optionally ``prefetch``, called once with every key a run looks up).
        ``None``: no cache (within a run, identical texts are embedded once anyway).
    language_cache : LanguageCache or None
        Identified languages by `language_key` (the identifier's ``version`` and the text),
        reused across runs: a run identifies only the texts the cache does not know (and each
        distinct text once). Any object with ``get``, ``put``, ``save`` (and optionally
        ``prefetch``), as for ``cache``. Used only with an identifier that has a ``version``
        (the default has); ``None``: every text is identified.
    finding_similarity : float or None
        Average cosine similarity (after per-language centring) from which contributions say
        the same thing; ``None`` takes the embedder's ``same_idea_similarity`` or 0.35.
    paraphrase_similarity : float or None
        Cosine similarity from which two same-language contributions are paraphrase
        duplicates; ``None`` takes the embedder's ``paraphrase_similarity`` or 0.9.
    chunk_size : int
        Records per task of the map steps.
    finding_scope : str or None
        The metadata field (by default ``dimension``) whose values a finding should not mix:
        the refinement splits findings by it and merges only within it. ``None``, or records
        without the field: one scope.
    finding_refiner : FindingRefiner or None
        The step that merges and splits the findings of a fresh grouping; ``None``:
        `MergeSplitFindings` with thresholds set from ``finding_similarity`` (merge from 0.05
        below it, cut again 0.1 above it); `KeepFindings` turns the refinement off. Copied
        before each fit, like the steps below.
    cleaner, identifier, duplicate_finder, theme_clusterer, finding_clusterer, labeler, profiler
        Replacement steps; ``None`` uses the default of each (the theme step's default is
        `MutualNeighbourThemes`). A step that learns (the theme, finding, label and profile
        steps, and a `FittableEmbedder`) is copied with ``sklearn.base.clone`` before each fit:
        the objects passed here are never changed. The theme step receives each row's language
        group (``fit(vectors, groups=...)``) and at most its ``sample_size`` rows.
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
        language_cache: LanguageStore | None = None,
        finding_similarity: float | None = None,
        paraphrase_similarity: float | None = None,
        chunk_size: int = 2048,
        finding_scope: str | None = "dimension",
        cleaner: Cleaner | None = None,
        identifier: LanguageIdentifier | None = None,
        duplicate_finder: DuplicateFinder | None = None,
        theme_clusterer: ThemeClusterer | None = None,
        finding_clusterer: FindingClusterer | None = None,
        finding_refiner: FindingRefiner | None = None,
        labeler: Labeler | None = None,
        profiler: Profiler | None = None,
    ) -> None:
        self.n_themes = n_themes
        self.embedder = embedder
        self.random_state = random_state
        self.executor = executor
        self.progress = progress
        self.cache = cache
        self.language_cache = language_cache
        self.finding_similarity = finding_similarity
        self.paraphrase_similarity = paraphrase_similarity
        self.chunk_size = chunk_size
        self.finding_scope = finding_scope
        self.cleaner = cleaner
        self.identifier = identifier
        self.duplicate_finder = duplicate_finder
        self.theme_clusterer = theme_clusterer
        self.finding_clusterer = finding_clusterer
        self.finding_refiner = finding_refiner
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
            findings (with new ids) inside the nearest existing theme. A finding whose members
            are the ones it had keeps its titles while their words are still its members'
            (`kept_titles`): titles are worked out only for the findings that changed.

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
        if previous is not None and not isinstance(previous, SynthesisResult):
            try:
                check_result(previous)
            except ValueError as error:
                raise SynthesisInputError(
                    f"the previous result is not a synthesis result: {error}"
                ) from error
        timings: dict[str, float] = {}
        warnings: list[str] = []
        started = time.perf_counter()

        with self._timed(timings, "clean_identify"):
            records_ = self._clean_identify(coerce_records(records))
        analysable = np.array([bool(r.analysis_text) for r in records_])
        if not analysable.any():
            raise SynthesisInputError("no contribution has any text to analyse")
        skipped = int((~analysable).sum())
        if skipped:
            warnings.append(f"{skipped} contribution(s) without any letter or digit were left out")

        finder = self.duplicate_finder or ThreeLevelDuplicateFinder(random_state=self.random_state)
        live = np.nonzero(analysable)[0]
        with self._timed(timings, "duplicates"):
            canonical, levels = fold_copies(finder, records_, live)

        embedder = make_embedder(self.embedder, random_state=self.random_state)
        with self._timed(timings, "embed"):
            firsts = np.nonzero(analysable & (canonical == np.arange(len(records_))))[0]
            vectors, groups = embed_records(
                [records_[i] for i in firsts],
                embedder,
                map_chunks=self._map,
                chunk_size=self.chunk_size,
                cache=self.cache,
                random_state=self.random_state,
                warnings=warnings,
            )

        with self._timed(timings, "duplicates"):
            threshold = self.paraphrase_similarity or float(
                getattr(embedder, "paraphrase_similarity", 0.9)
            )
            roots = finder.find_paraphrases(vectors, groups, threshold)
            fold_paraphrases(canonical, levels, live, firsts, roots)
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
            steps = self._grouping_steps(similarity)
            scopes = (
                [records_[i].metadata.get(self.finding_scope, "") for i in members.tolist()]
                if self.finding_scope
                else None
            )
            if previous is None:
                grouping = group_fresh(member_vectors, member_groups, steps, scopes)
            else:
                grouping = group_incremental(
                    records_,
                    members,
                    member_vectors,
                    member_groups,
                    similarity,
                    previous,
                    steps,
                    warnings,
                    scopes,
                )
            theme_of, finding_of, theme_ids, finding_ids = grouping

        with self._timed(timings, "label"):
            n_findings, n_themes = len(finding_ids), len(theme_ids)
            finding_centres = centroids(member_vectors, finding_of, n_findings)
            arabic, french = label_texts([records_[i] for i in members.tolist()])
            labeler = clone(self.labeler) if self.labeler is not None else ClassTfidfLabeler()
            labeler.fit(arabic, french)
            f_ar, f_fr = labeler.key_phrases(finding_of, n_findings)
            t_ar, t_fr = labeler.key_phrases(theme_of, n_themes)
            usable = np.array(
                [len(records_[i].analysis_text) >= 12 for i in members.tolist()], dtype=bool
            )
            quotes = representative_indices(
                member_vectors, finding_of, finding_centres, member_langs, usable
            )
            member_records = [records_[i] for i in members.tolist()]
            titles = finding_titles(
                member_records,
                finding_of,
                member_vectors,
                finding_centres,
                finding_ids,
                # An update works titles out only for the findings whose members changed.
                kept=(
                    kept_titles(previous, member_records, finding_of, finding_ids)
                    if previous is not None
                    else None
                ),
            )

        with self._timed(timings, "profile"):
            # Duplicates count where their canonical item is: each is someone's contribution.
            position = np.full(len(records_), -1, dtype=np.int64)
            position[members] = np.arange(len(members))
            finding_of_record = np.full(len(records_), -1, dtype=np.int64)
            finding_of_record[live] = finding_of[position[canonical[live]]]
            profiler = (
                clone(self.profiler) if self.profiler is not None else HypergeometricProfiler()
            )
            profiler.fit(profile_fields(records_), finding_of_record, n_findings)

        with self._timed(timings, "assemble"):
            result = assemble(
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
                titles,
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

    def _grouping_steps(self, similarity: float) -> GroupingSteps:
        """The theme and finding steps: the caller's (copied before each fit) or the defaults."""
        themes = self.theme_clusterer or MutualNeighbourThemes(
            n_themes=self.n_themes, random_state=self.random_state
        )
        # Fresh findings are cut in blocks as large as the theme sample: with 1,500-row blocks,
        # SIB-200 train (2,050 rows) had 0.57 of a sentence's translations in one finding,
        # against 0.93 in one block.
        findings = self.finding_clusterer or LinkageFindings(
            similarity=similarity, block_size=themes.sample_size, random_state=self.random_state
        )
        new_findings = self.finding_clusterer or LinkageFindings(
            similarity=similarity, random_state=self.random_state
        )
        # Thresholds of the refinement relative to the findings' (USE, 0.25: merge from 0.2,
        # cut again below 0.35), calibrated in benchmarks/bench_grain.py.
        refiner = self.finding_refiner or MergeSplitFindings(
            merge_similarity=similarity - 0.05, split_similarity=similarity + 0.1
        )
        return GroupingSteps(
            themes=themes,
            findings=findings,
            new_findings=new_findings,
            refiner=refiner,
            random_state=self.random_state,
            chunk_size=self.chunk_size,
            map_chunks=self._map,
        )

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
        cleaner = self.cleaner or TextCleaner()
        identifier = self.identifier or RuleLanguageIdentifier()
        texts = [unicodedata.normalize("NFC", r.text) for r in records]
        version = getattr(identifier, "version", None)
        if self.language_cache is None or not version:
            # Each distinct text once (a text's guess does not depend on the others, as the
            # language cache assumes): copies are common in a consultation.
            distinct = list(dict.fromkeys(texts))
            cleaned, guesses = self._clean_identify_texts(cleaner, identifier, distinct)
            if len(distinct) < len(texts):
                at = {text: k for k, text in enumerate(distinct)}
                cleaned = [cleaned[at[t]] for t in texts]
                guesses = [guesses[at[t]] for t in texts]
        else:
            cleaned, guesses = self._clean_identify_cached(
                cleaner, identifier, texts, self.language_cache, str(version)
            )
        return [
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
            for r, clean, guess in zip(records, cleaned, guesses, strict=True)
        ]

    def _clean_identify_texts(
        self, cleaner: Cleaner, identifier: LanguageIdentifier, texts: Sequence[str]
    ) -> tuple[list[str], list[LanguageGuess]]:
        """Clean and identify every text, in chunks (on a local pool for large inputs)."""
        from functools import partial

        chunks = _chunks(texts, self.chunk_size)
        pool = len(texts) >= POOL_THRESHOLD
        warm_up = getattr(identifier, "warm_up", None)
        if pool and self.executor is None and len(chunks) > 1 and warm_up is not None:
            warm_up()  # the local pool's workers fork with the model and its imports loaded
        parts = self._map(
            partial(clean_and_identify, cleaner, identifier), chunks, "clean", pool=pool
        )
        cleaned = [c for part, _ in parts for c in part]
        guesses = [g for _, part in parts for g in part]
        return cleaned, guesses

    def _clean_identify_cached(
        self,
        cleaner: Cleaner,
        identifier: LanguageIdentifier,
        texts: Sequence[str],
        store: LanguageStore,
        version: str,
    ) -> tuple[list[str], list[LanguageGuess]]:
        """Identify only the distinct texts ``store`` does not know, and store their guesses.

        Cleaning costs about 3 % of identifying (16 µs a text against 500 µs): the known texts
        are cleaned here, the unknown ones with their identification, on the map step.
        """
        keys = [language_key(version, t) for t in texts]
        distinct = list(dict.fromkeys(keys))
        prefetch = getattr(store, "prefetch", None)
        if prefetch is not None:
            prefetch(distinct)
        known: dict[str, LanguageGuess] = {}
        unknown: dict[str, int] = {}  # key -> first text with it
        for i, key in enumerate(keys):
            if key in known or key in unknown:
                continue
            guess = store.get(key)
            if guess is None:
                unknown[key] = i
            else:
                known[key] = guess
        todo = [texts[i] for i in unknown.values()]
        fresh_cleaned, fresh_guesses = self._clean_identify_texts(cleaner, identifier, todo)
        cleaned_of = dict(zip(unknown, fresh_cleaned, strict=True))
        for key, guess in zip(unknown, fresh_guesses, strict=True):
            store.put(key, guess)
            known[key] = guess
        if unknown:
            store.save()
        rest = [i for i, key in enumerate(keys) if key not in cleaned_of]
        cleaned = [""] * len(texts)
        for i, clean in zip(rest, cleaner.transform([texts[i] for i in rest]), strict=True):
            cleaned[i] = clean
        for i, key in enumerate(keys):
            if key in cleaned_of:
                cleaned[i] = cleaned_of[key]
        return cleaned, [known[key] for key in keys]
