"""Step 1, clean: a normalised form of each text for analysis (the original stays for display)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from ._base import Step

# Bidi controls (LRM, RLM, ALM, embeddings, overrides, isolates), zero-widths and the BOM.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_TATWEEL = "\u0640"
# Arabic harakat, Quranic marks and superscript alef.
_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ALEF = str.maketrans(
    {
        "\u0622": "\u0627",  # آ
        "\u0623": "\u0627",  # أ
        "\u0625": "\u0627",  # إ
        "\u0671": "\u0627",  # ٱ
        "\u0649": "\u064a",  # ى -> ي
        "\u0629": "\u0647",  # ة -> ه
        "\u06a9": "\u0643",  # Persian kaf
        "\u06cc": "\u064a",  # Persian ya
        # Eastern Arabic digits -> ASCII
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
# The same replacements as `_ALEF`, one ``str.replace`` each for the letters a text has (no
# replacement makes another's letter): three times faster than ``translate`` on Arabic text.
_ALEF_PAIRS = tuple((chr(k), str(v)) for k, v in _ALEF.items())
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
# Digits inside Latin words are Arabizi letters: 3=ع 7=ح 9=ق 5=خ 2=ء 8=ه 6=ط.
_ARABIZI_DIGITS = str.maketrans(
    {"2": "ʔ", "3": "ɛ", "5": "x", "6": "ṭ", "7": "ḥ", "8": "h", "9": "q"}
)
_ARABIZI_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*[235679])\w+\b")
_ARABIZI_DIGIT = re.compile("[235679]")


def strip_invisible(text: str) -> str:
    """Remove bidi controls, zero-width characters and the byte-order mark."""
    return _INVISIBLE.sub("", text)


# Every character `normalise_arabic` removes or replaces is in the Arabic block.
_ARABIC_BLOCK = re.compile("[\u0600-\u06ff]")


def normalise_arabic(text: str) -> str:
    """Remove tatweel and diacritics and unify alef, ya/alef maqsura and ta marbuta forms."""
    if not _ARABIC_BLOCK.search(text):
        return text  # nothing to do (a Latin text): skips the slow per-character translate
    text = text.replace(_TATWEEL, "")
    text = _ARABIC_DIACRITICS.sub("", text)
    for letter, replacement in _ALEF_PAIRS:
        if letter in text:
            text = text.replace(letter, replacement)
    return text


def read_arabizi_digits(text: str) -> str:
    """Read the digits inside Latin words as the Arabic letters they stand for."""
    if not _ARABIZI_DIGIT.search(text):
        return text  # most texts: skips the word pattern's look-aheads at every word
    return _ARABIZI_WORD.sub(lambda m: m.group(0).translate(_ARABIZI_DIGITS), text)


def clean_text(text: str) -> str:
    """Return the analysis form of one text.

    Unicode NFC, no bidi controls, tatweel or diacritics, unified Arabic letter forms,
    Arabizi digits read as letters, lower case, punctuation removed, single spaces.

    Parameters
    ----------
    text : str
        The contribution as written.

    Returns
    -------
    str
        The normalised text; empty when ``text`` has no letters or digits.
    """
    text = unicodedata.normalize("NFC", strip_invisible(text))
    text = normalise_arabic(text).casefold()
    text = read_arabizi_digits(text)
    text = _PUNCT.sub(" ", text).replace("_", " ")
    # ``split`` knows the whitespace ``\s`` does: as ``re.sub(r"\s+", " ", text).strip()``.
    return " ".join(text.split())


class Cleaner(Step):
    """Base class of the clean step: ``transform`` maps texts to their analysis form."""

    def fit(self, texts: Sequence[str]) -> Cleaner:
        """Learn nothing; return ``self`` (the step is stateless)."""
        return self

    def transform(self, texts: Sequence[str]) -> list[str]:
        """Return the analysis form of each text."""
        raise NotImplementedError


class TextCleaner(Cleaner):
    """The default cleaner for Arabic, Darija, French and Amazigh text (see `clean_text`)."""

    def transform(self, texts: Sequence[str]) -> list[str]:
        """Return ``clean_text(t)`` for each text."""
        return [_clean_remembered(t) for t in texts]


#: `clean_text` remembered in this process: a long-lived worker cleans the same contributions
#: on every refresh of a consultation (about 6 µs a text, 0.6 s of CPU at 100,000). Bounded:
#: about 80 MiB when full with the benchmarks' contributions (~550 bytes a text and its form).
_clean_remembered = lru_cache(maxsize=150_000)(clean_text)
