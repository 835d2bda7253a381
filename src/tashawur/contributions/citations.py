"""Citations of contributions in a rapporteur's closing report.

The syntax is ``#`` followed by the contribution's number, as the workshop page shows it
("Contribution #12"): ``#12``. Arabic-Indic digits (``#١٢``) are read too, since phones with an
Arabic keyboard type them; any other character ends the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CITATION = re.compile(r"#([0-9\u0660-\u0669\u06f0-\u06f9]+)")
# Larger than any id the database hands out (a BigAutoField): such a citation names nothing.
_LARGEST_ID = 2**63 - 1
_MAX_DIGITS = 19


@dataclass(frozen=True)
class ReportPart:
    """A stretch of report text, or one citation (``number`` set, ``None`` if out of range)."""

    text: str
    number: int | None = None
    cites: bool = False


def _number(digits: str) -> int | None:
    if len(digits) > _MAX_DIGITS:
        return None
    value = int(digits)  # int() reads every Unicode decimal digit; the pattern allows three sets
    return value if 0 < value <= _LARGEST_ID else None


def report_parts(text: str) -> list[ReportPart]:
    """The report cut into text and citations, in order."""
    parts: list[ReportPart] = []
    position = 0
    for match in CITATION.finditer(text):
        if match.start() > position:
            parts.append(ReportPart(text=text[position : match.start()]))
        parts.append(ReportPart(text=match.group(0), number=_number(match.group(1)), cites=True))
        position = match.end()
    if position < len(text):
        parts.append(ReportPart(text=text[position:]))
    return parts


def report_citations(text: str) -> list[ReportPart]:
    """Each citation once, in the order of first appearance."""
    seen: set[object] = set()
    citations = []
    for part in report_parts(text):
        key = part.text if part.number is None else part.number
        if part.cites and key not in seen:
            seen.add(key)
            citations.append(part)
    return citations
