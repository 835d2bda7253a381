"""Step 6, label: Arabic and French key phrases (class-based TF-IDF) and representative quotes."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ._base import Step
from ._clean import strip_invisible
from ._embed import FloatArray
from ._stopwords import ARABIC, FRENCH

IntArray = NDArray[np.int64]

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_HAMZA_ALEF = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627"})
# The stop-word list is written after clean_text's letter unification (ى -> ي, ة -> ه).
_STOP_KEY = str.maketrans({"\u0649": "\u064a", "\u0629": "\u0647"})
_ARABIC_WORD = re.compile("[\u0621-\u064a\u066e-\u06d3]{2,}")
_FRENCH_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]{2,}(?:['’-][a-zàâäçéèêëîïôöùûüÿœæ]{2,})*")
_ELISION = re.compile(r"^(?:l|d|qu|j|n|s|c|m|t)['’]")


def arabic_terms(text: str) -> list[str]:
    """Arabic words of ``text`` without diacritics, tatweel, hamza on alef or stop-words."""
    text = _DIACRITICS.sub("", strip_invisible(unicodedata.normalize("NFC", text)))
    words = _ARABIC_WORD.findall(text.translate(_HAMZA_ALEF))
    return [w for w in words if not _arabic_stop(w)]


@lru_cache(maxsize=200_000)
def _arabic_stop(word: str) -> bool:
    # Cached: a consultation's words repeat from one contribution to the next.
    return _is_arabic_stop_word(word.translate(_STOP_KEY))


def _is_arabic_stop_word(word: str) -> bool:
    return word in ARABIC or _strip_article(word) in ARABIC


def french_terms(text: str) -> list[str]:
    """Lower-case French words of ``text`` without elided articles or stop-words."""
    words = _FRENCH_WORD.findall(unicodedata.normalize("NFC", text).casefold())
    words = [_ELISION.sub("", w) for w in words]
    return [w for w in words if len(w) > 2 and w not in FRENCH]


def _strip_article(word: str) -> str:
    for prefix in ("وال", "بال", "فال", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    return word


def _with_bigrams(terms: list[str]) -> list[str]:
    return terms + [f"{a} {b}" for a, b in itertools.pairwise(terms)]


class Labeler(Step):
    """Base class of the label step: key phrases per group in Arabic and in French.

    ``fit`` reads the texts once; ``key_phrases`` then labels any grouping of them (findings,
    themes) without reading them again.
    """

    def fit(self, arabic_texts: Sequence[str], french_texts: Sequence[str]) -> Labeler:
        """Learn what is needed from the texts (one Arabic and one French text per item)."""
        raise NotImplementedError

    def key_phrases(
        self, labels: IntArray, n_labels: int
    ) -> tuple[list[list[str]], list[list[str]]]:
        """Return the Arabic and the French key phrases of each of ``n_labels`` groups."""
        raise NotImplementedError


class _TermCounts:
    """Unigram and bigram counts of the non-empty texts of one language."""

    def __init__(self, texts: Sequence[str], terms: Callable[[str], list[str]]) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import CountVectorizer

        self.rows = np.array([i for i, t in enumerate(texts) if t], dtype=np.int64)
        self.counts: sparse.csr_matrix | None = None
        self.vocabulary: NDArray[np.str_] = np.array([], dtype=str)
        if not len(self.rows):
            return

        def analyse(text: str) -> list[str]:
            return _with_bigrams(terms(text))

        vectorizer = CountVectorizer(
            analyzer=analyse, min_df=2 if len(self.rows) > 2000 else 1, max_features=200_000
        )
        try:
            self.counts = vectorizer.fit_transform([texts[i] for i in self.rows.tolist()])
        except ValueError:  # nothing but stop-words
            return
        self.vocabulary = vectorizer.get_feature_names_out()


class ClassTfidfLabeler(Labeler):
    """Class-based TF-IDF (as in BERTopic) over unigrams and bigrams, in sparse matrices.

    Parameters
    ----------
    n_phrases : int
        Key phrases kept per group and language.
    """

    def __init__(self, *, n_phrases: int = 5) -> None:
        self.n_phrases = n_phrases

    def fit(self, arabic_texts: Sequence[str], french_texts: Sequence[str]) -> ClassTfidfLabeler:
        """Count the terms of every item's Arabic and French text.

        Parameters
        ----------
        arabic_texts, french_texts : sequence of str
            Per item, its Arabic-script and its French text ("" when it has none).
        """
        self.arabic_ = _TermCounts(arabic_texts, arabic_terms)
        self.french_ = _TermCounts(french_texts, french_terms)
        return self

    def key_phrases(
        self, labels: IntArray, n_labels: int
    ) -> tuple[list[list[str]], list[list[str]]]:
        """Return the Arabic and French key phrases of each group.

        Parameters
        ----------
        labels : ndarray of int
            The group of each item given to `fit`.
        n_labels : int
            Number of groups.
        """
        return (
            self._phrases(self.arabic_, labels, n_labels),
            self._phrases(self.french_, labels, n_labels),
        )

    def _phrases(self, terms: _TermCounts, labels: IntArray, n_labels: int) -> list[list[str]]:
        from scipy import sparse

        out: list[list[str]] = [[] for _ in range(n_labels)]
        if terms.counts is None:
            return out
        rows = terms.rows
        group = sparse.csr_matrix(
            (np.ones(len(rows)), (labels[rows], np.arange(len(rows)))),
            shape=(n_labels, len(rows)),
        )
        per_group = (group @ terms.counts).tocsr().astype(np.float64)
        frequency = np.asarray(per_group.sum(axis=0)).ravel()
        words_per_group = np.asarray(per_group.sum(axis=1)).ravel()
        average = words_per_group[words_per_group > 0].mean()
        idf = np.log1p(average / np.maximum(frequency, 1.0))
        vocabulary = terms.vocabulary
        shortlist = 8 * self.n_phrases
        for g in range(n_labels):
            start, end = per_group.indptr[g], per_group.indptr[g + 1]
            if start == end:
                continue
            cols = per_group.indices[start:end]
            score = np.round(per_group.data[start:end] / words_per_group[g] * idf[cols], 12)
            if len(cols) > shortlist:
                cut = -np.partition(-score, shortlist - 1)[shortlist - 1]
                keep = score >= cut
                cols, score = cols[keep], score[keep]
            # On a tie the bigram wins (it says more), then the term itself, so that results
            # never depend on hash order.
            order = sorted(
                range(len(cols)),
                key=lambda k: (-score[k], -vocabulary[cols[k]].count(" "), vocabulary[cols[k]]),
            )
            chosen: list[str] = []
            used: set[str] = set()
            for k in order:
                phrase = str(vocabulary[cols[k]])
                words = set(phrase.split())
                if words & used:
                    continue
                chosen.append(phrase)
                used |= words
                if len(chosen) == self.n_phrases:
                    break
            out[g] = chosen
        return out


def representative_indices(
    vectors: FloatArray,
    labels: IntArray,
    centres: FloatArray,
    languages: Sequence[str],
    usable: NDArray[np.bool_],
    *,
    n_quotes: int = 3,
    pool: int = 10,
) -> list[list[int]]:
    """Pick one to ``n_quotes`` members near each group's centre, in different languages.

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)
        Embeddings of the members.
    labels : ndarray of int
        The group of each member.
    centres : ndarray of shape (n_groups, dim)
        Group centres.
    languages : sequence of str
        The language of each member.
    usable : ndarray of bool
        Members worth quoting (texts with some substance); others are used only if a group
        has nothing better.
    n_quotes : int
        Quotes per group at most.
    pool : int
        How far down the ranking a member in a new language may be taken from.

    Returns
    -------
    list of list of int
        Member indices per group, nearest first.
    """
    n_groups = len(centres)
    sims = np.einsum("ij,ij->i", vectors, centres[labels])
    order = np.lexsort((np.arange(len(labels)), -sims, ~usable, labels))
    bounds = np.searchsorted(labels[order], np.arange(n_groups + 1))
    picks: list[list[int]] = []
    for g in range(n_groups):
        ranked = order[bounds[g] : bounds[g + 1]].tolist()
        chosen: list[int] = []
        seen: set[str] = set()
        while ranked and len(chosen) < n_quotes:
            window = ranked[:pool]
            pick = next((i for i in window if languages[i] not in seen), ranked[0])
            if chosen and not usable[pick] and usable[chosen[0]]:
                break
            chosen.append(pick)
            seen.add(languages[pick])
            ranked.remove(pick)
        picks.append(chosen)
    return picks
