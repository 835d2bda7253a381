"""Titles in words: per finding, a short Arabic-script and a French title taken from its members.

A title is extractive: a contiguous phrase of two to six words that occurs in a member's text
(or in the translation given with it), with no stop word at either end and no word of the
profanity list (``data/profanity.txt``). Phrases that several members share win, weighted by
how central those members are; a finding whose members share none takes the shortest clause of
its most central member, cut at a word boundary with an ellipsis when it is long. A finding with
no Arabic-script or French text of its own (Tamazight only, say) borrows the titles of the
nearest finding that has some (through the Amazigh bridge, which puts Tamazight in the same
space), and says so in ``borrowed_from``. Nothing is invented: every title's words are a
member's words, in their order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from ._clean import strip_invisible
from ._stopwords import ARABIC, FRENCH
from ._types import Record, SynthesisResult

#: Words in a title phrase, at least and at most.
MIN_WORDS, MAX_WORDS = 2, 6
#: Members read per finding, most central first (bounds the cost of a large finding).
MEMBERS_READ = 40
ELLIPSIS = "…"

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_UNIFY = str.maketrans(
    {
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0622": "\u0627",
        "\u0649": "\u064a",
        "\u0629": "\u0647",
    }
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3]")
_LATIN_LETTER = re.compile("[A-Za-zÀ-ÖØ-öø-ÿŒœÆæ]")
_OTHER_LETTER = re.compile(r"[^\W\d_]")
# Clauses end at sentence and clause punctuation; a full stop or comma only before a space (so
# "112.12" and "3,5" stay whole), a dash only between spaces.
_CLAUSE_END = re.compile(r"[!?;:،؛؟\n\r()\[\]{}«»\"“”„…|/]+|[.,](?=\s|$)|\s[-–—]+\s")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_ELISION = re.compile(r"^(?:l|d|qu|j|n|s|c|m|t|jusqu|lorsqu|puisqu)['’]")
_PROCLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")


@dataclass(frozen=True, slots=True)
class FindingTitle:
    """A finding's titles and where they come from.

    ``ar_source``/``fr_source`` are the ids of the contributions whose words make the title
    (``None`` when there is no title, or when it is borrowed); ``borrowed_from`` is the id of the
    finding whose titles were taken; ``language_fallback`` is true when there is a French title
    but no Arabic-script one (an Arabic page shows the French, marked as such).
    """

    ar: str = ""
    fr: str = ""
    ar_source: str | None = None
    fr_source: str | None = None
    borrowed_from: str | None = None

    @property
    def language_fallback(self) -> bool:
        return not self.ar and bool(self.fr)


@dataclass(frozen=True, slots=True)
class _Token:
    surface: str
    key: str
    script: str  # "Arab", "Latn" or "" (digits, other scripts)
    stop: bool
    profane: bool


def _arabic_key(word: str) -> str:
    return _DIACRITICS.sub("", word).translate(_UNIFY)


def _latin_key(word: str) -> str:
    return word.casefold().replace("’", "'")


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _bare_arabic(key: str) -> list[str]:
    """The word and the word without each proclitic it may carry."""
    out = [key]
    for prefix in _PROCLITICS:
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            out.append(key[len(prefix) :])
    return out


def _match_key(key: str) -> str:
    """The word as phrases are matched across members: without an article or a one-letter
    conjunction or preposition (فطلب and طلب, التعاونيات and تعاونيات match)."""
    for prefix in ("وال", "بال", "فال", "كال", "لل", "ال"):
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            return key[len(prefix) :]
    if key[:1] in ("و", "ف", "ب") and len(key) >= 4:
        return key[1:]
    return key


@cache
def profanity() -> frozenset[str]:
    """The words never used in titles (``data/profanity.txt``), unified as tokens are."""
    text = (resources.files(__package__) / "data" / "profanity.txt").read_text("utf-8")
    words = set()
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(
                _arabic_key(word) if _ARABIC_LETTER.search(word) else _plain(_latin_key(word))
            )
    return frozenset(words)


def is_stop_word(word: str) -> bool:
    """Whether ``word`` (as written) is an MSA, Darija or French stop word."""
    return _token(word).stop


def is_profane(word: str) -> bool:
    """Whether ``word`` (as written) is on the profanity list."""
    return _token(word).profane


@lru_cache(maxsize=200_000)
def _token(surface: str) -> _Token:
    if _ARABIC_LETTER.search(surface):
        key = _arabic_key(surface)
        bare = _bare_arabic(key)
        stop = len(key) < 2 or any(b in ARABIC for b in bare)
        banned = profanity()
        return _Token(surface, _match_key(key), "Arab", stop, any(b in banned for b in bare))
    if _LATIN_LETTER.search(surface):
        key = _latin_key(surface)
        rest = _ELISION.sub("", key)
        stop = len(rest) < 3 or key in FRENCH or rest in FRENCH
        banned = profanity()
        profane = _plain(key) in banned or _plain(rest) in banned
        return _Token(surface, key, "Latn", stop, profane)
    # Digits ("112-12") may sit inside a phrase but never end one.
    return _Token(surface, surface.casefold(), "", True, False)


def clauses(text: str) -> list[list[_Token]]:
    """The text's clauses, each as its tokens (words without the punctuation around them)."""
    text = strip_invisible(unicodedata.normalize("NFC", text))
    out: list[list[_Token]] = []
    for clause in _CLAUSE_END.split(text):
        tokens = [t for t in map(_word_token, clause.split()) if t is not None]
        if tokens:
            out.append(tokens)
    return out


@lru_cache(maxsize=200_000)
def _word_token(raw: str) -> _Token | None:
    # A word as split, without the punctuation around it (None when nothing is left); cached
    # as `_token`: titles read every member's words, and words repeat.
    surface = _EDGE.sub("", raw)
    return _token(surface) if surface else None


def _phrases(tokens: list[_Token], script: str) -> list[tuple[int, int]]:
    """Spans of ``MIN_WORDS`` to ``MAX_WORDS`` tokens in one script (digits allowed inside),
    with no profane word and a content word at either end."""
    usable = [t.script in (script, "") and not t.profane for t in tokens]
    ends = [u and not t.stop for u, t in zip(usable, tokens, strict=True)]
    spans = []
    for start in range(len(tokens)):
        if not ends[start]:
            continue
        for end in range(start + 1, min(start + MAX_WORDS, len(tokens))):
            if not usable[end]:
                break
            if ends[end]:
                spans.append((start, end + 1))
    return spans


def _clause_title(tokens: list[_Token], script: str) -> tuple[str, int] | None:
    """A clause trimmed of stop words at its ends and cut at ``MAX_WORDS`` words (with an
    ellipsis), or None when it holds a profane word, another script or no content word."""
    if any(t.profane or t.script not in (script, "") for t in tokens):
        return None
    start, end = 0, len(tokens)
    while start < end and tokens[start].stop:
        start += 1
    while end > start and tokens[end - 1].stop:
        end -= 1
    if start == end:
        return None
    cut = end - start > MAX_WORDS
    if cut:
        end = start + MAX_WORDS
        while tokens[end - 1].stop:
            end -= 1
    words = " ".join(t.surface for t in tokens[start:end])
    return (words + ELLIPSIS if cut else words), end - start


def _side_title(
    texts: Sequence[str], ids: Sequence[str], weights: Sequence[float], script: str
) -> tuple[str, str | None]:
    """The best title of one script from member texts, most central first."""
    support: dict[tuple[str, ...], float] = {}
    members: dict[tuple[str, ...], set[int]] = {}
    first: dict[tuple[str, ...], tuple[int, int, int, int]] = {}  # member, clause, span
    parsed = [clauses(text) if text else [] for text in texts]
    # No phrase can be shared unless two members have text in this script.
    sharing = sum(bool(p) for p in parsed) >= 2
    for m, parts in enumerate(parsed):
        if not sharing:
            break
        seen: set[tuple[str, ...]] = set()
        for c, tokens in enumerate(parts):
            keys = [t.key for t in tokens]
            for start, end in _phrases(tokens, script):
                key = tuple(keys[start:end])
                if key in seen:
                    continue
                seen.add(key)
                if key in first:
                    support[key] += weights[m]
                    members[key].add(m)
                else:
                    support[key] = weights[m]
                    members[key] = {m}
                    first[key] = (m, c, start, end)
    shared = [k for k, ms in members.items() if len(ms) >= 2]
    if shared:
        # More (and more central) members first, then longer, then the earliest seen.
        best = max(shared, key=lambda k: (support[k] * (1 + 0.1 * (len(k) - MIN_WORDS)), len(k)))
        m, c, start, end = first[best]
        return " ".join(t.surface for t in parsed[m][c][start:end]), ids[m]
    for m, parts in enumerate(parsed):
        candidates = [c for c in (_clause_title(t, script) for t in parts) if c is not None]
        if not candidates:
            continue
        # The shortest clause of two words or more, else the longest one-word clause.
        several = [c for c in candidates if c[1] >= MIN_WORDS]
        words = min(several, key=lambda c: c[1])[0] if several else candidates[0][0]
        return words, ids[m]
    return "", None


def _side_texts(record: Record) -> tuple[str, str]:
    """A member's Arabic-script text and French text (its own, or the translation given)."""
    ar = record.text if record.script == "Arab" else ""
    fr = record.text if record.language == "fr" else ""
    if record.translation:
        if _ARABIC_LETTER.search(record.translation):
            ar = f"{ar}\n{record.translation}".strip()
        elif _LATIN_LETTER.search(record.translation) and record.language != "en":
            fr = f"{fr}\n{record.translation}".strip()
    return ar, fr


def _latin_text(record: Record) -> str:
    """A member's text in Latin letters that is not English (the titles are for Arabic and
    French readers): Darija in Arabizi, Amazigh in Latin letters."""
    if record.language == "en" or not _LATIN_LETTER.search(record.text):
        return ""
    return record.text if record.script == "Latn" else ""


def finding_titles(
    records: Sequence[Record],
    finding_of: NDArray[np.int64],
    vectors: NDArray[np.floating],
    centres: NDArray[np.floating],
    finding_ids: Sequence[str],
    kept: Mapping[int, FindingTitle] | None = None,
) -> list[FindingTitle]:
    """Titles of every finding.

    Parameters
    ----------
    records : sequence of Record
        The findings' members (canonical contributions), identified.
    finding_of : ndarray of int
        The finding of each member.
    vectors : ndarray of shape (n, dim)
        The members' embeddings (Tamazight through the bridge), as grouped.
    centres : ndarray of shape (n_findings, dim)
        The findings' centres in the same space.
    finding_ids : sequence of str
        The findings' ids.
    kept : mapping of int to FindingTitle, optional
        Titles already known for some findings (by index; `kept_titles`): not worked out again.
        A finding kept without a title of its own still borrows one.
    """
    kept = kept or {}
    n_findings = len(finding_ids)
    sims = np.einsum("ij,ij->i", vectors, centres[finding_of]) if len(records) else np.zeros(0)
    order = np.lexsort((np.arange(len(records)), -sims, finding_of))
    bounds = np.searchsorted(finding_of[order], np.arange(n_findings + 1))
    titles: list[FindingTitle] = []
    for f in range(n_findings):
        if f in kept:
            titles.append(kept[f])
            continue
        ranked = order[bounds[f] : bounds[f + 1]][:MEMBERS_READ].tolist()
        ids = [records[i].id for i in ranked]
        weights = [max(float(sims[i]), 0.05) for i in ranked]
        sides = [_side_texts(records[i]) for i in ranked]
        latin = [s[1] for s in sides]
        if not any(latin):
            # No French: the members' own Latin-script words (Darija in Arabizi, Amazigh in
            # Latin letters) title it before any borrowing.
            latin = [_latin_text(records[i]) for i in ranked]
        ar, ar_source = _side_title([s[0] for s in sides], ids, weights, "Arab")
        fr, fr_source = _side_title(latin, ids, weights, "Latn")
        titles.append(FindingTitle(ar=ar, fr=fr, ar_source=ar_source, fr_source=fr_source))
    return _borrow(titles, centres, finding_ids)


def kept_titles(
    previous: SynthesisResult | Mapping[str, object],
    records: Sequence[Record],
    finding_of: NDArray[np.int64],
    finding_ids: Sequence[str],
) -> dict[int, FindingTitle]:
    """The titles of an earlier result that still hold, by finding index: those of the findings
    whose members are the same contributions as before, and whose title's words are still in
    the words of the member they come from (a member may have been edited).

    An incremental run thus works titles out only for the findings that changed, and a finding
    that did not change keeps its titles from one refresh to the next. A finding that borrowed
    its titles keeps none of its own: it borrows again (its neighbours may have changed).

    Parameters
    ----------
    previous : SynthesisResult or its ``to_dict()`` form
        The earlier result.
    records, finding_of, finding_ids
        The findings' members, the finding of each, and the findings' ids, as for
        `finding_titles`.
    """
    before: dict[str, tuple[frozenset[str], FindingTitle]] = {}
    for finding in _findings_of(previous):
        ar, fr = str(finding.get("title_ar") or ""), str(finding.get("title_fr") or "")
        borrowed = finding.get("title_borrowed_from")
        if not (ar or fr or borrowed):
            continue  # no title at all (an engine before titles): work it out
        own = (
            FindingTitle()
            if borrowed
            else FindingTitle(
                ar=ar,
                fr=fr,
                ar_source=_str_or_none(finding.get("title_ar_source")),
                fr_source=_str_or_none(finding.get("title_fr_source")),
            )
        )
        members = finding.get("member_ids")
        if not isinstance(members, list):
            continue
        before[str(finding["id"])] = (frozenset(str(m) for m in members), own)
    if not before:
        return {}
    members_of: list[list[str]] = [[] for _ in finding_ids]
    for k, f in enumerate(finding_of.tolist()):
        members_of[f].append(records[k].id)
    by_id = {r.id: r for r in records}
    kept: dict[int, FindingTitle] = {}
    for f, finding_id in enumerate(finding_ids):
        earlier = before.get(finding_id)
        if earlier is None:
            continue
        ids, title = earlier
        if len(ids) != len(members_of[f]) or not ids.issuperset(members_of[f]):
            continue
        if _words_hold(title.ar, title.ar_source, by_id) and _words_hold(
            title.fr, title.fr_source, by_id
        ):
            kept[f] = title
    return kept


def _findings_of(previous: SynthesisResult | Mapping[str, object]) -> list[Mapping[str, object]]:
    if isinstance(previous, SynthesisResult):
        return [
            {
                "id": f.id,
                "member_ids": f.member_ids,
                "title_ar": f.title_ar,
                "title_fr": f.title_fr,
                "title_ar_source": f.title_ar_source,
                "title_fr_source": f.title_fr_source,
                "title_borrowed_from": f.title_borrowed_from,
            }
            for f in previous.findings
        ]
    findings = previous.get("findings")
    return findings if isinstance(findings, list) else []


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _words_hold(title: str, source: str | None, records: Mapping[str, Record]) -> bool:
    """Whether ``title``'s words are still, in their order, words of the member ``source``
    (its text or the translation given with it); an empty title holds."""
    if not title:
        return True
    record = records.get(source) if source is not None else None
    if record is None:
        return False
    phrase = title.removesuffix(ELLIPSIS)
    # Most titles stand in the text as written, between word boundaries: no need to parse it.
    if any(_has_words(text, phrase) for text in (record.text, record.translation or "")):
        return True
    wanted = phrase.split()
    n = len(wanted)
    for text in (record.text, record.translation or ""):
        for tokens in clauses(text) if text else []:
            surfaces = [t.surface for t in tokens]
            if any(surfaces[i : i + n] == wanted for i in range(len(surfaces) - n + 1)):
                return True
    return False


def _has_words(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` with no letter or digit right before or after it."""
    start = text.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        ):
            return True
        start = text.find(phrase, start + 1)
    return False


def _borrow(
    titles: list[FindingTitle], centres: NDArray[np.floating], finding_ids: Sequence[str]
) -> list[FindingTitle]:
    """Give each finding without a title of its own the titles of the nearest finding that has
    one (by the cosine of their centres)."""
    titled = np.array([bool(t.ar or t.fr) for t in titles], dtype=bool)
    if titled.all() or not titled.any():
        return titles
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    unit = centres / np.maximum(norms, 1e-12)
    donors = np.nonzero(titled)[0]
    takers = np.nonzero(~titled)[0]
    out = list(titles)
    # The takers' cosines to every donor, a block of takers at a time (one product each, not
    # one per taker: thousands of untitled findings at national scale).
    for start in range(0, len(takers), _BORROW_BLOCK):
        block = takers[start : start + _BORROW_BLOCK]
        best = np.argmax(unit[block] @ unit[donors].T, axis=1)
        for f, k in zip(block.tolist(), best.tolist(), strict=True):
            donor = int(donors[k])
            source = titles[donor]
            out[f] = FindingTitle(ar=source.ar, fr=source.fr, borrowed_from=finding_ids[donor])
    return out


#: Untitled findings whose cosines to the donors are worked out at once in `_borrow`.
_BORROW_BLOCK = 1024
