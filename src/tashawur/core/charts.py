"""Bar charts drawn on the server as inline SVG, for the pages and their PDFs.

No chart library and nothing run in the reader's browser: a template draws each bar as two
``rect`` elements placed here, with SVG presentation attributes (``fill``), which the
Content-Security-Policy allows (they are not CSS) and WeasyPrint renders in a PDF. A bar grows
from the start of the line: from the right in Arabic, from the left in French.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


def bar_share(amount: Decimal | float, largest: Decimal | float) -> int:
    """A bar's length, in percent of the longest bar (at least 1 for any amount above 0)."""
    if largest <= 0 or amount <= 0:
        return 0
    return max(1, round(float(Decimal(str(amount)) * 100 / Decimal(str(largest)))))


@dataclass(frozen=True)
class Bar:
    """One line of a bar chart: its label, its value and its bar's length (percent of the
    longest)."""

    key: str
    label: str
    value: int
    share: int

    @property
    def bar_rest(self) -> int:
        """Where a right-to-left bar starts: the room left of it."""
        return 100 - self.share

    #: The names the diagnosis's charts read (``diagnosis/_bar.html``).
    rest = bar_rest

    @property
    def count(self) -> int:
        return self.value


def bars(lines: Iterable[tuple[str, str, int]]) -> list[Bar]:
    """``(key, label, value)`` lines as bars, in the order given; lines of value 0 are kept
    (a dimension nobody spoke of is news too)."""
    lines = list(lines)
    largest = max((value for _key, _label, value in lines), default=0)
    return [
        Bar(key=key, label=label, value=value, share=bar_share(value, largest))
        for key, label, value in lines
    ]
