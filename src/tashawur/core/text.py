"""Sanitising what people type before it is stored (display text keeps its letters and marks)."""

from __future__ import annotations

import re
import unicodedata

# Embeddings, overrides and isolates reorder what a reader sees and can disguise text
# (CVE-2021-42574 "Trojan Source"). The plain marks LRM, RLM and ALM are legitimate in
# mixed Arabic/French writing and are kept.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_OTHER_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def contains_bidi_controls(text: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in text)


def clean_user_text(text: str) -> str:
    """NFC-normalise, drop C0 controls, unify line ends and collapse runs of spaces.

    Bidi controls are *not* silently removed here: callers reject them with a clear error,
    so that nobody's text is changed behind their back.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _OTHER_CONTROLS.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe.

    The synthesis library has its own copy (``tashawur.synthesis._io``): it depends on nothing
    in the project, so that it can run alone.
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


def text_direction(text: object) -> str:
    """ "rtl" or "ltr": the direction of the text's first strongly directional character, as
    ``dir="auto"`` would find it ("" without one: the element then follows its parent).

    WeasyPrint ignores ``dir="auto"`` and ``unicode-bidi: isolate``, so a print template sets
    each run's direction itself: a French note inside an Arabic page keeps its full stop at its
    end, not its start (".Un comité régional")."""
    for char in str(text or ""):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""
