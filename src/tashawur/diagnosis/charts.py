"""The diagnosis page's charts, placed on the server and drawn as inline SVG and HTML tables.

No chart library and nothing run in the reader's browser, as the programmes' charts
(``programmes.charts``): a chart library (ECharts: about 330 KB gzipped) would weigh three times
the whole page budget (``tests/web/test_static.py``), and the page must read without JavaScript.
The templates draw what these functions place with SVG presentation attributes (``fill``),
which the Content-Security-Policy allows.

Bar charts and heatmaps are tables (a bar or a shade in a cell, the number beside it): what is
seen is what a screen reader reads. The opinion map is a picture with a table beside it.

Heatmap significance
--------------------
A heatmap cell counts the authors of a finding (row) who share a value (column: an actor
type, a province). Each cell is marked when its adjusted standardised residual (Haberman, 1973)
is beyond ±1.96 (two-sided 5 %): ``z = (o - e) / sqrt(e (1 - r/N) (1 - c/N))`` with
``e = r c / N`` over the rows, columns and total ``N`` of the whole table. An author may carry
several findings, so the cells are not independent draws: the mark is a reading aid (this
group speaks of it more, or less, than the others), not a test to cite. Cells under ``k``
authors are suppressed (``core.privacy``): their count is not shown, and they carry no mark.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tashawur.core.charts import Bar as Bar
from tashawur.core.charts import bar_share as bar_share
from tashawur.core.charts import bars as core_bars

#: |z| beyond which a heatmap cell is marked (two-sided 5 %).
Z_CRITICAL = 1.96
#: Shades of a heatmap cell, from the lightest shown count to the largest (0: none or hidden).
HEAT_LEVELS = 4
#: The opinion map's viewBox, in user units; it scales to the width the page gives it.
MAP_WIDTH = 320
MAP_HEIGHT = 220
MAP_PAD = 8
#: Participants the opinion map draws at most: past it, a sample (``opinion_sample``). A dot is
#: some 35 bytes of HTML; ten thousand of them made half a megabyte of page.
MAP_POINTS = 2_000
#: Opinion groups' colours (A, B, C …), told apart by people with common colour-blindness
#: (Okabe–Ito); participants left out of the groups are grey.
GROUP_FILLS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00")
UNGROUPED_FILL = "#8c959d"
#: The votes' colours: agree, disagree, pass.
VOTE_FILLS = ("#0b6e4f", "#b3261e", "#8c959d")


def bars(rows: Sequence[tuple[str, str, int]]) -> list[Bar]:
    """Bars for ``(key, label, count)`` rows, longest first (then by label)."""
    return core_bars(sorted(rows, key=lambda r: (-r[2], r[1])))


@dataclass(frozen=True)
class Segment:
    x: float  # percent of the chart's width, from its left edge
    width: float
    fill: str


def stacked(parts: Sequence[int], largest: int, *, rtl: bool) -> list[Segment]:
    """One stacked bar's segments (``parts`` in the order of ``VOTE_FILLS``), scaled to the
    longest bar ``largest``; in a right-to-left page the bar starts from the right."""
    out = []
    start = 0.0
    for part, fill in zip(parts, VOTE_FILLS, strict=False):
        width = round(100 * part / largest, 1) if largest > 0 else 0.0
        if width > 0:
            x = 100 - start - width if rtl else start
            out.append(Segment(x=round(x, 1), width=width, fill=fill))
        start += width
    return out


# -- heatmaps --------------------------------------------------------------------------------------


def adjusted_residuals(table: Sequence[Sequence[int]]) -> list[list[float | None]]:
    """Each cell's adjusted standardised residual (see the module's docstring); ``None`` where
    it is undefined (an empty row or column, a row or column holding the whole table)."""
    total = sum(sum(row) for row in table)
    rows = [sum(row) for row in table]
    columns = [sum(col) for col in zip(*table, strict=True)] if table else []
    out: list[list[float | None]] = []
    for i, row in enumerate(table):
        line: list[float | None] = []
        for j, observed in enumerate(row):
            if total == 0:
                line.append(None)
                continue
            expected = rows[i] * columns[j] / total
            variance = expected * (1 - rows[i] / total) * (1 - columns[j] / total)
            line.append(None if variance <= 0 else (observed - expected) / math.sqrt(variance))
        out.append(line)
    return out


@dataclass(frozen=True)
class HeatCell:
    count: int | None  # None: fewer than k authors, suppressed
    z: float | None
    level: int  # 0 … HEAT_LEVELS

    @property
    def over(self) -> bool:
        return self.count is not None and self.z is not None and self.z > Z_CRITICAL

    @property
    def under(self) -> bool:
        return self.count is not None and self.z is not None and self.z < -Z_CRITICAL


@dataclass(frozen=True)
class HeatRow:
    key: Hashable
    label: str
    cells: list[HeatCell]

    @property
    def cells_html(self) -> SafeString:
        """The row's cells (``td``), written here rather than by a template loop: a heatmap's
        cells are most of the nodes the diagnosis page renders. Counts and fixed words only."""
        hidden = format_html(
            '<span aria-hidden="true">·</span><span class="visually-hidden">{}</span>',
            _("not shown"),
        )
        more = format_html(
            ' <span aria-hidden="true">▲</span><span class="visually-hidden">{}</span>',
            _("significantly more"),
        )
        less = format_html(
            ' <span aria-hidden="true">▼</span><span class="visually-hidden">{}</span>',
            _("significantly less"),
        )
        out = []
        for c in self.cells:
            if c.count is None:
                shown: str = hidden
            else:
                mark = more if c.over else less if c.under else ""
                shown = f"{conditional_escape(localize(c.count))}{mark}"
            out.append(f'<td class="heat-{c.level}">{shown}</td>')
        return mark_safe("".join(out))  # noqa: S308 - escaped above


@dataclass(frozen=True)
class Heatmap:
    columns: list[tuple[str, str]]  # key, label
    rows: list[HeatRow]
    k: int
    suppressed: int  # cells with people in them but fewer than k

    @property
    def marked(self) -> bool:
        return any(c.over or c.under for r in self.rows for c in r.cells)


def heatmap(
    rows: Sequence[tuple[Hashable, str]],
    columns: Sequence[tuple[str, str]],
    counts: Mapping[tuple[Hashable, str], int],
    *,
    k: int,
) -> Heatmap:
    """A heatmap of ``counts`` (people per row and column key). The residuals are computed on
    the whole table; a cell of fewer than ``k`` people (but some) shows neither count nor
    mark, and its shade is none."""
    table = [[counts.get((r, c), 0) for c, _label in columns] for r, _label in rows]
    residuals = adjusted_residuals(table)
    largest = max((n for line in table for n in line if n >= k), default=0)
    suppressed = 0
    out = []
    for (key, label), line, zs in zip(rows, table, residuals, strict=True):
        cells = []
        for n, z in zip(line, zs, strict=True):
            if 0 < n < k:
                suppressed += 1
                cells.append(HeatCell(count=None, z=None, level=0))
                continue
            level = math.ceil(HEAT_LEVELS * n / largest) if largest and n else 0
            cells.append(HeatCell(count=n, z=None if z is None else round(z, 2), level=level))
        out.append(HeatRow(key=key, label=label, cells=cells))
    return Heatmap(columns=list(columns), rows=out, k=k, suppressed=suppressed)


# -- the opinion map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapDot:
    x: float
    y: float
    r: float
    fill: str

    @property
    def css(self) -> str:
        """The dot's class in site.css (``g0``…``g4``, ``gx`` out of the groups): the same
        colour as ``fill``, in a few bytes per dot."""
        return f"g{GROUP_FILLS.index(self.fill)}" if self.fill in GROUP_FILLS else "gx"


@dataclass(frozen=True)
class MapGroup:
    key: int | None  # None: participants left out of the groups
    name: str
    size: int
    fill: str


@dataclass(frozen=True)
class OpinionPicture:
    width: int
    height: int
    dots: list[MapDot]
    groups: list[MapGroup]
    participants: int
    drawn: int  # participants drawn: all of them, or a sample past ``MAP_POINTS``

    @property
    def sampled(self) -> bool:
        return self.drawn < self.participants

    @property
    def svg(self) -> SafeString:
        """The dots as SVG, written here rather than by a template loop (thousands of dots at a
        few template nodes each cost more than the rest of the page): one ``g`` per colour,
        the largest group first, each dot a ``circle``. Numbers and class names only, written
        without the locale (a French decimal comma would break the SVG)."""
        by_class: dict[str, list[str]] = {}
        for d in self.dots:
            by_class.setdefault(d.css, []).append(
                f'<circle cx="{d.x:g}" cy="{d.y:g}" r="{d.r:g}"/>'
            )
        order = dict.fromkeys(
            group_class(g.key) for g in sorted(self.groups, key=lambda g: -g.size)
        )
        return mark_safe(  # noqa: S308 - numbers and fixed class names, nothing from a user
            "".join(
                f'<g class="{css}">{"".join(by_class[css])}</g>' for css in order if css in by_class
            )
        )


def group_class(key: int | None) -> str:
    """A group's class in site.css (``g0``…``g4``; ``gx``: out of the groups)."""
    return "gx" if key is None or key < 0 else f"g{key % len(GROUP_FILLS)}"


def group_fill(key: int | None) -> str:
    return UNGROUPED_FILL if key is None or key < 0 else GROUP_FILLS[key % len(GROUP_FILLS)]


def group_name(key: int) -> str:
    """Pol.is names groups by letter (as ``OpinionGroup.name``)."""
    return chr(ord("A") + key)


def opinion_sample(groups: Sequence[int], limit: int) -> list[int]:
    """The indices of the points to draw, in their order: all of them up to ``limit``; past it,
    ``limit`` of them stratified by group. Each group (``groups[i]``: the group of point ``i``)
    gets its share of ``limit`` (largest remainders, at least one point: no group vanishes from
    the picture, even if that draws a few more than ``limit``), chosen within it by a generator
    seeded with the group: the same points on every request for the same stored points."""
    if len(groups) <= limit:
        return list(range(len(groups)))
    members: defaultdict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    total = len(groups)
    exact = {g: limit * len(ids) / total for g, ids in members.items()}
    quota = {g: max(1, math.floor(q)) for g, q in exact.items()}
    spare = limit - sum(quota.values())
    for g in sorted(exact, key=lambda g: (quota[g] - exact[g], g))[: max(0, spare)]:
        quota[g] += 1
    chosen: list[int] = []
    for g, ids in members.items():
        # A fixed seed: the same sample on every request, not secrecy.
        chosen.extend(random.Random(g).sample(ids, min(quota[g], len(ids))))  # noqa: S311
    return sorted(chosen)


def opinion_picture(
    points: Sequence[Sequence[float | int | None]], *, limit: int = MAP_POINTS
) -> OpinionPicture | None:
    """Participants (``x``, ``y``, group or None) placed on the map, the first principal
    component across, the second up. Participants falling on the same spot (to a unit of the
    map) and in the same group are drawn as one larger dot: the page stays light with thousands
    of voters, and no dot stands for one person more precisely than the picture shows. Past
    ``limit`` participants, a sample of them is drawn (``opinion_sample``), on the frame of
    all of them; the groups' sizes count everyone."""
    if not points:
        return None
    xs = [float(p[0] or 0) for p in points]
    ys = [float(p[1] or 0) for p in points]
    groups = [-1 if p[2] is None else int(p[2]) for p in points]
    low_x, high_x = min(xs), max(xs)
    low_y, high_y = min(ys), max(ys)
    inner_w = MAP_WIDTH - 2 * MAP_PAD
    inner_h = MAP_HEIGHT - 2 * MAP_PAD
    # Everyone on one line of a component: that line runs through the middle.
    span_x = high_x - low_x or 2.0
    span_y = high_y - low_y or 2.0
    if high_x == low_x:
        low_x -= 1.0
    if high_y == low_y:
        high_y += 1.0
    drawn = opinion_sample(groups, limit)
    spots: dict[tuple[int, int, int], int] = {}
    for i in drawn:
        spot = (
            round(MAP_PAD + inner_w * (xs[i] - low_x) / span_x),
            round(MAP_PAD + inner_h * (high_y - ys[i]) / span_y),
            groups[i],
        )
        spots[spot] = spots.get(spot, 0) + 1
    sizes = Counter(groups)
    dots = [
        MapDot(x=x, y=y, r=round(3 + 1.5 * math.sqrt(n - 1), 1), fill=group_fill(group))
        for (x, y, group), n in sorted(spots.items(), key=lambda s: (-s[1], s[0]))
    ]
    shown = [
        MapGroup(key=g, name=group_name(g), size=sizes[g], fill=group_fill(g))
        for g in sorted(g for g in sizes if g >= 0)
    ]
    if -1 in sizes:
        shown.append(MapGroup(key=None, name="", size=sizes[-1], fill=UNGROUPED_FILL))
    return OpinionPicture(
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        dots=dots,
        groups=shown,
        participants=len(points),
        drawn=len(drawn),
    )
