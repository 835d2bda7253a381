"""Step 6, label: Arabic and French key phrases (class-based TF-IDF) and representative quotes."""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

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

        self.rows = np.array([i for i, t in enumerate(texts) if t], dtype=np.int64)
        self.counts: sparse.csr_matrix | None = None
        self.vocabulary: NDArray[np.str_] = np.array([], dtype=str)
        #: Spaces in each term: 1 for a bigram, which wins a tie of scores.
        self.spaces: IntArray = np.zeros(0, dtype=np.int64)
        if not len(self.rows):
            return

        def analyse(text: str) -> list[str]:
            return _with_bigrams(terms(text))

        counted = term_counts(
            [texts[i] for i in self.rows.tolist()],
            analyse,
            min_df=2 if len(self.rows) > 2000 else 1,
            max_features=200_000,
            # The shipped analysers depend on the text alone: a worker remembers their terms.
            memo=_REMEMBERED.get(terms),
        )
        if counted is None:  # nothing but stop-words
            return
        self.counts, self.vocabulary = counted
        self.spaces = np.char.count(self.vocabulary.astype(str), " ").astype(np.int64)


class TermMemo:
    """Each text's distinct terms, as ids into one index of every term seen, with their counts
    (in the order the analyser first gives them), remembered across calls of `term_counts`.

    An analyser's terms depend on the text alone, so a long-lived worker that labels the same
    consultation again analyses only its new texts: the members' terms were most of the label
    step at national scale. Bounded by ``max_texts``: a call that would go over it starts the
    memo afresh (ids and all). A lock keeps the threads of one process apart.
    """

    def __init__(self, max_texts: int = 150_000) -> None:
        self.max_texts = max_texts
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.texts: dict[str, tuple[IntArray, IntArray]] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def counted(
        self, texts: Sequence[str], analyse: Callable[[str], list[str]]
    ) -> list[tuple[IntArray, IntArray]]:
        """The term ids and counts of each text (analysed now when not remembered); call it
        with ``lock`` held, and read ``names`` before letting it go."""
        if len(self.texts) + len(texts) > self.max_texts:
            self._reset()  # before any id of this call is handed out
        remembered = self.texts
        index, names = self.index, self.names
        out = []
        for text in texts:
            entry = remembered.get(text)
            if entry is None:
                counter: dict[int, int] = {}
                get = counter.get
                for term in analyse(text):
                    k = index.get(term)
                    if k is None:
                        k = index[term] = len(names)
                        names.append(term)
                    counter[k] = get(k, 0) + 1
                entry = (
                    np.fromiter(counter, dtype=np.int64, count=len(counter)),
                    np.fromiter(counter.values(), dtype=np.int64, count=len(counter)),
                )
                remembered[text] = entry
            out.append(entry)
        return out


#: The memos of the shipped analysers, kept by this process (``TermMemo``).
_REMEMBERED: dict[Callable[[str], list[str]], TermMemo] = {}


def term_counts(
    texts: Sequence[str],
    analyse: Callable[[str], list[str]],
    *,
    min_df: int,
    max_features: int,
    memo: TermMemo | None = None,
) -> tuple[Any, NDArray[Any]] | None:
    """The matrix and vocabulary of scikit-learn's ``CountVectorizer(analyzer=analyse,
    min_df=min_df, max_features=max_features).fit_transform(texts)`` (``None`` where it raises:
    no term, or none left), with the terms under ``min_df`` dropped before the vocabulary is
    sorted: a consultation's bigrams are mostly seen once, and sorting and pruning every one of
    them was most of the vectorizer's own time.

    ``memo``: where each text's terms are remembered across calls (`TermMemo`; only for an
    ``analyse`` that depends on the text alone, and always the same one); ``None``: none kept.
    """
    memo = memo if memo is not None else TermMemo(max_texts=max(len(texts), 1))
    with memo.lock:
        entries = memo.counted(texts, analyse)
        names = memo.names
        n_terms = len(names)
        per_text = np.fromiter((len(ids) for ids, _ in entries), dtype=np.int64, count=len(texts))
        if not per_text.any():
            return None
        j = np.concatenate([ids for ids, _ in entries])  # one entry per (text, distinct term)
        values = np.concatenate([counts for _, counts in entries])
        del entries
        df = np.bincount(j, minlength=n_terms)
        kept = np.flatnonzero(df >= min_df)  # df <= the number of texts: no upper bound bites
        if not len(kept):
            return None
        kept_names = [names[k] for k in kept.tolist()]
        by_name = sorted(range(len(kept)), key=kept_names.__getitem__)
        kept = kept[by_name]
        if len(kept) > max_features:
            # As the vectorizer limits them: the most frequent (total count), ties as its
            # argsort of the sorted terms leaves them, kept in term order.
            total = np.zeros(n_terms, dtype=np.int64)
            np.add.at(total, j, values)
            top = (-total[kept]).argsort()[:max_features]
            kept = kept[np.sort(top)]
        vocabulary = np.asarray([names[k] for k in kept.tolist()], dtype=object)
    from scipy import sparse

    column_of = np.full(n_terms, -1, dtype=np.int64)
    column_of[kept] = np.arange(len(kept))
    rows = np.repeat(np.arange(len(texts)), per_text)
    cols = column_of[j]
    present = cols >= 0
    counts = sparse.csr_matrix(
        (values[present], (rows[present], cols[present])),
        shape=(len(texts), len(kept)),
    )
    return counts, vocabulary


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
        # Every group at once, in the order the groups were ranked one by one before (the same
        # figures, elementwise): score, then the bigram first, then the term (the vocabulary is
        # sorted, so its index orders the terms as the strings do).
        indptr, cols_all = per_group.indptr, per_group.indices
        sizes = np.diff(indptr)
        row_of = np.repeat(np.arange(n_labels), sizes)
        score_all = np.round(per_group.data / words_per_group[row_of] * idf[cols_all], 12)
        # A long group keeps its ``shortlist`` best scores (and every tie of the last).
        by_score = np.lexsort((-score_all, row_of))
        cut = np.full(n_labels, -np.inf)
        long = np.flatnonzero(sizes > shortlist)
        cut[long] = score_all[by_score[indptr[long] + shortlist - 1]]
        kept = np.flatnonzero(score_all >= cut[row_of])
        rows_k, cols_k, score_k = row_of[kept], cols_all[kept], score_all[kept]
        order = np.lexsort((cols_k, -terms.spaces[cols_k], -score_k, rows_k))
        ranked_cols = cols_k[order].tolist()
        bounds = np.searchsorted(rows_k[order], np.arange(n_labels + 1)).tolist()
        words_of: dict[int, tuple[str, set[str]]] = {}
        for g in range(n_labels):
            start, end = bounds[g], bounds[g + 1]
            if start == end:
                continue
            chosen: list[str] = []
            used: set[str] = set()
            for col in ranked_cols[start:end]:
                entry = words_of.get(col)
                if entry is None:
                    phrase = str(vocabulary[col])
                    entry = words_of[col] = (phrase, set(phrase.split()))
                phrase, words = entry
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


_REMEMBERED.update({arabic_terms: TermMemo(), french_terms: TermMemo()})
