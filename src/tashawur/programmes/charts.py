"""The geometry of the accountability page's small charts, drawn on the server as inline SVG.

No chart library and nothing run in the reader's browser: the templates draw the shapes these
functions place, with SVG presentation attributes (``fill``, ``stroke``), which the
Content-Security-Policy allows (they are not CSS) and WeasyPrint renders in the PDF.

An indicator's chart runs over the programme's period (widened to the first and last value
when a value falls outside it): the indicator starts at its baseline on the programme's first
day, goes through its values by date, and is drawn against two dashed lines, its baseline and
its target. Time runs left to right in every language, as Moroccan reports draw it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

# Shared with the diagnosis's charts; still importable from here.
from tashawur.core.charts import bar_share as bar_share

#: The chart's viewBox, in user units; it scales to the width the page gives it.
WIDTH = 240
HEIGHT = 64
#: Room left around the plot so the dots at its edges are drawn whole.
PAD = 5


@dataclass(frozen=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True)
class IndicatorChart:
    width: int
    height: int
    baseline_y: float
    target_y: float
    #: The target, drawn at the end of the period.
    target_dot: Dot
    #: The baseline at the start, then each value by date.
    dots: tuple[Dot, ...]

    @property
    def points(self) -> str:
        """The ``points`` attribute of the line through the dots."""
        return " ".join(f"{dot.x:g},{dot.y:g}" for dot in self.dots)

    @property
    def values(self) -> tuple[Dot, ...]:
        """The dots of the reported values (the first dot is the baseline)."""
        return self.dots[1:]

    @property
    def plot_start(self) -> int:
        return PAD

    @property
    def plot_end(self) -> int:
        return self.width - PAD


def _round(value: float) -> float:
    return round(value, 1)


def indicator_chart(
    *,
    baseline: Decimal,
    target: Decimal,
    values: Sequence[tuple[dt.date, Decimal]],
    starts_on: dt.date,
    ends_on: dt.date,
) -> IndicatorChart:
    """Place an indicator's baseline, target and ``values`` (dates in order) on the chart."""
    first = min([starts_on, *(on for on, _value in values)])
    last = max([ends_on, *(on for on, _value in values)])
    days = max((last - first).days, 1)
    amounts = [baseline, target, *(value for _on, value in values)]
    low, high = min(amounts), max(amounts)
    span = high - low or Decimal(1)
    inner_w = WIDTH - 2 * PAD
    inner_h = HEIGHT - 2 * PAD

    def x(on: dt.date) -> float:
        return _round(PAD + inner_w * (on - first).days / days)

    def y(value: Decimal) -> float:
        return _round(PAD + inner_h * float((high - value) / span))

    dots = (Dot(x(first), y(baseline)), *(Dot(x(on), y(value)) for on, value in values))
    return IndicatorChart(
        width=WIDTH,
        height=HEIGHT,
        baseline_y=y(baseline),
        target_y=y(target),
        target_dot=Dot(x(last), y(target)),
        dots=dots,
    )
