"""Reads of an action programme: the measure tree with its progress roll-up, budget totals by
funding source, and the measures that are late.

Progress rolls up the tree: a measure without sub-measures stands at its latest progress update
(0 before the first one); a measure with sub-measures stands at the weight-weighted average of
its sub-measures, the weights normalised by their sum (so they need not add up to 100).
Cancelled sub-measures leave the average (a measure whose sub-measures are all cancelled
falls back on its own latest update); when every weight is 0 the sub-measures count equally.
A measure's budget is its own envelope, not counting its sub-measures'; budgets and funding roll
up the tree the same way (``MeasureNode.subtree_budget``, ``subtree_funded``), and the programme's
totals are those of all its measures. Spending is not tracked: nothing here says what was spent.

Each indicator comes with its values over time (the progress updates that report one, by date)
and the geometry of its small chart (``charts``).

The findings a measure cites are shown as the diagnosis now reads them
(``diagnosis.selectors.findings_resolve``): the citation itself is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from tashawur.consultations.selectors import consultation_get_for_reader, consultation_get_for_user
from tashawur.contributions.generations import consultation_pages_generation
from tashawur.core.caching import cache_get, cache_set, cached_build, version_key
from tashawur.diagnosis.models import Finding
from tashawur.diagnosis.selectors import (
    ResolvedFinding,
    diagnosis_versions_row,
    findings_for_citation,
    findings_resolve,
)
from tashawur.programmes import charts, rules
from tashawur.programmes.models import (
    FundingLine,
    FundingSource,
    Indicator,
    Measure,
    Programme,
    ProgressUpdate,
)

_ZERO = Decimal(0)
_FINISHED = (Measure.Status.DONE, Measure.Status.CANCELLED)


_CODE_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)


def code_sort_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """ "2.10" after "2.9": codes sort by their numbers, not as text.

    Total on any text: a part that is not a number of ASCII digits (a code written before the
    check, or through a raw write: "2.²", "2.a") sorts after the numbers, as text, instead of
    failing the whole page.
    """
    return tuple(
        (0, int(part), part) if _CODE_NUMBER.fullmatch(part) else (1, 0, part)
        for part in code.split(".")
    )


def measure_sort_key(measure: Measure) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """Siblings in the order set in the programme workspace (``position``), then by code."""
    return (measure.position, code_sort_key(measure.code))


def weighted_progress(parts: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """The weight-weighted average of ``(weight, progress)`` pairs, weights normalised by their
    sum; equal weights when they are all 0; None when there is nothing to average."""
    pairs = list(parts)
    if not pairs:
        return None
    total_weight = sum((weight for weight, _progress in pairs), _ZERO)
    if total_weight == 0:
        return sum((progress for _weight, progress in pairs), _ZERO) / len(pairs)
    return sum((weight * progress for weight, progress in pairs), _ZERO) / total_weight


def as_percent(progress: Decimal) -> int:
    """A whole percentage for display, half rounded up."""
    return int(progress.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class IndicatorValue:
    on: dt.date
    value: Decimal


@dataclass
class IndicatorSeries:
    """An indicator with its reported values by date, and its chart."""

    indicator: Indicator
    values: list[IndicatorValue]
    chart: charts.IndicatorChart

    @property
    def latest(self) -> IndicatorValue | None:
        return self.values[-1] if self.values else None

    @property
    def percent_of_way(self) -> int | None:
        """How far the latest value has come from the baseline toward the target, in percent
        (below 0 when it went the wrong way, above 100 past the target); None before any
        value."""
        latest = self.latest
        if latest is None:
            return None
        indicator = self.indicator
        return as_percent(
            (latest.value - indicator.baseline) * 100 / (indicator.target - indicator.baseline)
        )


def indicator_series(
    indicator: Indicator, *, starts_on: dt.date, ends_on: dt.date
) -> IndicatorSeries:
    """The indicator's values (its prefetched ``values``, or a query) in date order, charted
    over the period from ``starts_on`` to ``ends_on``."""
    values = [
        IndicatorValue(on=update.on, value=update.indicator_value)
        for update in sorted(indicator.values.all(), key=lambda u: (u.on, u.created_at, u.pk))
        if update.indicator_value is not None
    ]
    return IndicatorSeries(
        indicator=indicator,
        values=values,
        chart=charts.indicator_chart(
            baseline=indicator.baseline,
            target=indicator.target,
            values=[(v.on, v.value) for v in values],
            starts_on=starts_on,
            ends_on=ends_on,
        ),
    )


@dataclass
class MeasureNode:
    measure: Measure
    depth: int
    children: list[MeasureNode] = field(default_factory=list)
    latest_percent: int | None = None  # the latest update's, None before the first one
    latest_on: dt.date | None = None
    #: The latest progress update whose evidence is marked public, for a "see the evidence" link.
    public_evidence_id: int | None = None
    progress: Decimal = _ZERO
    late: bool = False
    # The findings it answers as a reader should see them now (``findings_resolve``).
    findings: list[ResolvedFinding] = field(default_factory=list)
    indicators: list[IndicatorSeries] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return as_percent(self.progress)

    @property
    def funded(self) -> Decimal:
        """What the measure's own funding lines bring (its prefetched lines)."""
        return sum((line.amount for line in self.measure.funding_lines.all()), _ZERO)

    @property
    def subtree_funded(self) -> Decimal:
        """The funding of the measure and of its sub-measures."""
        return self.funded + sum((child.subtree_funded for child in self.children), _ZERO)

    @property
    def subtree_budget(self) -> Decimal:
        """The measure's budget with its sub-measures' (unset budgets count as 0)."""
        own = self.measure.budget or _ZERO
        return own + sum((child.subtree_budget for child in self.children), _ZERO)

    def walk(self) -> Iterable[MeasureNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def _rollup(node: MeasureNode) -> Decimal:
    counted = [
        (child.measure.weight, _rollup(child))
        for child in node.children
        if child.measure.status != Measure.Status.CANCELLED
    ]
    average = weighted_progress(counted)
    if average is None:
        # No sub-measure to average (none, or all cancelled): the measure's own latest update.
        average = Decimal(node.latest_percent or 0)
    node.progress = average
    return average


@dataclass(frozen=True)
class SourceTotal:
    source: str
    label: str
    amount: Decimal
    #: Its bar's length, in percent of the largest source's (``charts.bar_share``).
    share: int = 0

    @property
    def bar_rest(self) -> int:
        """Where its bar starts when bars grow from the right (right-to-left pages)."""
        return 100 - self.share


@dataclass
class ProgrammeReport:
    programme: Programme
    roots: list[MeasureNode]
    by_source: list[SourceTotal]
    progress: Decimal
    today: dt.date

    @property
    def percent(self) -> int:
        return as_percent(self.progress)

    @property
    def measures(self) -> list[MeasureNode]:
        return [node for root in self.roots for node in root.walk()]

    @property
    def late(self) -> list[MeasureNode]:
        return [node for node in self.measures if node.late]

    @property
    def budget_total(self) -> Decimal:
        return sum((node.measure.budget or _ZERO for node in self.measures), _ZERO)

    @property
    def funded_total(self) -> Decimal:
        return sum((s.amount for s in self.by_source), _ZERO)

    @property
    def funded_percent(self) -> int | None:
        """The share of the budget that funding has been found for; None without a budget."""
        budget = self.budget_total
        if budget <= 0:
            return None
        return as_percent(self.funded_total * 100 / budget)

    @property
    def indicator_count(self) -> int:
        return sum(len(node.indicators) for node in self.measures)


def is_late(measure: Measure, *, today: dt.date) -> bool:
    return (
        measure.ends_on is not None and measure.ends_on < today and measure.status not in _FINISHED
    )


def measures_late(*, programme: Programme, today: dt.date | None = None) -> QuerySet[Measure]:
    """Measures whose end date has passed and that are neither done nor cancelled."""
    today = today or timezone.localdate()
    return (
        Measure.objects.filter(programme=programme, ends_on__lt=today)
        .exclude(status__in=_FINISHED)
        .order_by("ends_on", "code")
    )


def programme_budget_by_source(*, programme: Programme) -> list[SourceTotal]:
    """What each funding source puts into the programme's measures, in the sources' order;
    sources that fund nothing are left out. One query."""
    sums = dict(
        FundingLine.objects.filter(measure__programme=programme)
        .order_by()
        .values_list("source")
        .annotate(total=Sum("amount"))
    )
    largest = max(sums.values(), default=_ZERO)
    return [
        SourceTotal(
            source=value,
            label=str(label),
            amount=sums[value],
            share=charts.bar_share(sums[value], largest),
        )
        for value, label in FundingSource.choices
        if sums.get(value)
    ]


def _group_by_shown(
    cited: Iterable[Finding], resolved: dict[int, ResolvedFinding]
) -> list[ResolvedFinding]:
    """One entry per finding shown, in the order they are first cited: two cited findings
    merged into one show once, citing both."""
    grouped: dict[int, ResolvedFinding] = {}
    for finding in cited:
        one = resolved[finding.pk]
        seen = grouped.get(one.shown.pk)
        if seen is None:
            grouped[one.shown.pk] = one
        else:
            grouped[one.shown.pk] = ResolvedFinding(
                shown=one.shown,
                cited=(*seen.cited, finding),
                from_earlier_run=seen.from_earlier_run,
            )
    return list(grouped.values())


def _latest(column: str) -> Subquery:
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by(
        "-on", "-created_at", "-id"
    )
    return Subquery(latest.values(column)[:1])


def measure_tree(
    *, programme: Programme, today: dt.date | None = None
) -> tuple[list[MeasureNode], Decimal]:
    """The programme's measures as a tree, sorted by code, with their progress rolled up, and
    the programme's own progress (its top-level measures rolled up the same way).

    Seven queries whatever the size: measures with owners and latest updates, then partners,
    funding lines, indicators and the findings they cite, then two to resolve those findings
    (``findings_resolve``; none when no measure cites any); one more for the indicators'
    values when any measure has an indicator.
    """
    today = today or timezone.localdate()
    measures = (
        Measure.objects.filter(programme=programme)
        .select_related("owner")
        .annotate(
            latest_percent=_latest("percent"),
            latest_on=_latest("on"),
            public_evidence_id=Subquery(
                ProgressUpdate.objects.filter(measure=OuterRef("pk"), evidence_public=True)
                .exclude(evidence="")
                .order_by("-on", "-created_at", "-id")
                .values("pk")[:1]
            ),
        )
        .prefetch_related(
            "partners",
            Prefetch("funding_lines", queryset=FundingLine.objects.order_by("source")),
            Prefetch(
                "indicators",
                queryset=Indicator.objects.order_by("id").prefetch_related(
                    Prefetch(
                        "values",
                        queryset=ProgressUpdate.objects.filter(
                            indicator_value__isnull=False
                        ).order_by("on", "created_at", "id"),
                    )
                ),
            ),
            Prefetch("findings", queryset=findings_for_citation().order_by("position", "pk")),
        )
    )
    nodes: dict[int, MeasureNode] = {}
    children: dict[int | None, list[Measure]] = defaultdict(list)
    for measure in measures:
        children[measure.parent_id].append(measure)

    def build(measure: Measure, depth: int) -> MeasureNode:
        node = MeasureNode(
            measure=measure,
            depth=depth,
            latest_percent=measure.latest_percent,  # type: ignore[attr-defined]
            latest_on=measure.latest_on,  # type: ignore[attr-defined]
            public_evidence_id=measure.public_evidence_id,  # type: ignore[attr-defined]
            late=is_late(measure, today=today),
            indicators=[
                indicator_series(
                    indicator, starts_on=programme.starts_on, ends_on=programme.ends_on
                )
                for indicator in measure.indicators.all()
            ],
        )
        nodes[measure.pk] = node
        node.children = [
            build(child, depth + 1)
            for child in sorted(children.get(measure.pk, []), key=measure_sort_key)
        ]
        return node

    roots = [build(m, 0) for m in sorted(children.get(None, []), key=measure_sort_key)]
    for root in roots:
        _rollup(root)
    resolved = findings_resolve(
        findings=[f for node in nodes.values() for f in node.measure.findings.all()]
    )
    for node in nodes.values():
        node.findings = _group_by_shown(node.measure.findings.all(), resolved)
    counted = [
        (root.measure.weight, root.progress)
        for root in roots
        if root.measure.status != Measure.Status.CANCELLED
    ]
    return roots, weighted_progress(counted) or _ZERO


def programme_report(*, programme: Programme, today: dt.date | None = None) -> ProgrammeReport:
    today = today or timezone.localdate()
    roots, progress = measure_tree(programme=programme, today=today)
    return ProgrammeReport(
        programme=programme,
        roots=roots,
        by_source=programme_budget_by_source(programme=programme),
        progress=progress,
        today=today,
    )


@functools.cache
def _programme_counts_sql() -> str:
    """The query of ``_programme_counts``, written once per process: as a queryset of ten
    subqueries it took ~3 ms of CPU to build and compile on every cached request."""
    q = connection.ops.quote_name

    def column(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    measure, progress = q(Measure._meta.db_table), q(ProgressUpdate._meta.db_table)
    partners = Measure.partners.through
    findings = Measure.findings.through
    of_programme = f"m.{column(Measure, 'programme')} = p.{column(Programme, 'id')}"
    measures = f"FROM {measure} m WHERE {of_programme}"

    def of_measures(table: str, measure_column: str, where: str = "") -> str:
        return (
            f"FROM {table} x JOIN {measure} m ON x.{measure_column} = m.{column(Measure, 'id')}"
            f" WHERE {of_programme}{where}"
        )

    rows = {
        "progress": of_measures(progress, column(ProgressUpdate, "measure")),
        "public_evidence": of_measures(
            progress,
            column(ProgressUpdate, "measure"),
            f" AND x.{column(ProgressUpdate, 'evidence_public')} = %s",
        ),
        "partners": of_measures(q(partners._meta.db_table), column(partners, "measure")),
        "findings": of_measures(q(findings._meta.db_table), column(findings, "measure")),
    }
    selected = [
        f"p.{column(Programme, 'updated_at')}",
        f"(SELECT COUNT(*) {measures})",
        f"(SELECT MAX(m.{column(Measure, 'updated_at')}) {measures})",
    ]
    for name in ("progress", "public_evidence", "partners", "findings"):
        selected += [f"(SELECT COUNT(*) {rows[name]})", f"(SELECT MAX(x.{q('id')}) {rows[name]})"]
    # Only the models' own table and column names, quoted; the values are parameters.
    return (
        f"SELECT {', '.join(selected)} FROM {q(Programme._meta.db_table)} p"  # noqa: S608
        f" WHERE p.{column(Programme, 'id')} = %s"
    )


def _programme_counts(programme_id: int) -> tuple[Any, ...] | None:
    """The programme's last change; its measures' number and last change; the number and
    last id of its progress updates, of those with public evidence, of its measures' partners
    and findings (rows only ever added or removed). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_programme_counts_sql(), [True, True, programme_id])
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def programme_page_versions(
    programme: Programme, *, run_versions: tuple[Any, ...] | None = None
) -> tuple[Any, ...]:
    """A version of everything the programme's public page shows, for its cache
    (``core.caching``): the consultation and the programme; the measures (count, last change);
    the progress updates, those with public evidence, and the measures' partners and findings
    (only ever added or removed: count and last id); the funding lines and indicators (no
    timestamp: their rows in full, a few per measure); the findings as the diagnosis now reads
    them (the run shown and its curation, from ``diagnosis_versions_row``, or ``run_versions``
    when read already) and the day (a measure falls late).

    The rows are kept in the cache under the consultation's ``pages`` generation
    (``contributions.generations``), which every writer of them bumps
    (``programmes.generations``): cache reads only, and the three queries only the first time
    after a change (issue 15: a cached page's hit reads no version from the database)."""
    tokens = consultation_pages_generation(programme.consultation.pk)
    counts, funding, indicators = cached_build(
        version_key("programme-versions", programme.pk, *tokens),
        lambda: _programme_rows_read(programme),
        timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS),
    )
    return (
        programme.consultation.pk,
        programme.consultation.updated_at,
        # Their names head the page (a rename bumps ``consultations.generations``).
        programme.consultation.region.updated_at,
        programme.consultation.strategy.updated_at,
        # Whatever the rows do not show: an owner or a partner renamed (``all``).
        tokens,
        programme.pk,
        counts,
        funding,
        indicators,
        run_versions or diagnosis_versions_row(programme.consultation)[1],
        timezone.localdate(),
    )


def _programme_rows_read(programme: Programme) -> tuple[Any, ...]:
    """``programme_page_versions``'s rows read from the database. Three small queries."""
    return (
        _programme_counts(programme.pk),
        list(FundingLine.objects.filter(measure__programme=programme).order_by("pk").values_list()),
        list(Indicator.objects.filter(measure__programme=programme).order_by("pk").values_list()),
    )


def programme_get_for_user(*, slug: str, user: Any) -> Programme:
    """The consultation's action programme, if this user may read it: ``Http404`` when the
    consultation has none, ``PermissionDenied`` for a draft the user may not edit."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    programme = Programme.objects.filter(consultation=consultation).first()
    if programme is None:
        raise Http404
    programme.consultation = consultation
    if not rules.can_view_programme(user, programme):
        raise PermissionDenied
    return programme


def programme_get_for_reader(*, slug: str, user: Any) -> Programme:
    """``programme_get_for_user``; for an anonymous reader (the cached page's versions) from
    the cache: the consultation as ``consultation_get_for_reader`` reads it, its programme
    kept under the consultation's ``pages`` generation (``programmes.generations``). Cache
    reads, no query."""
    if user.is_authenticated:
        return programme_get_for_user(slug=slug, user=user)
    consultation = consultation_get_for_reader(slug=slug, user=user)
    # In a tuple: a consultation without a programme is kept too (``cached_build`` would
    # rebuild a ``None``); one key per consultation at most.
    (programme,) = cached_build(
        version_key(
            "programme-for-reader", consultation.pk, *consultation_pages_generation(consultation.pk)
        ),
        lambda: (Programme.objects.filter(consultation_id=consultation.pk).first(),),
        timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS),
    )
    if programme is None:
        raise Http404
    programme.consultation = consultation
    if not rules.can_view_programme(user, programme):
        raise PermissionDenied
    return programme


def programme_visible_for(*, consultation: Any, user: Any) -> Programme | None:
    """The consultation's programme when this user may read it, else None (for links). Its
    row (or that there is none) is kept in the cache under the consultation's ``pages``
    generation, which every save and delete of a programme bumps (``programmes.generations``):
    a cache read, no query, on the consultation's page (issue 15, item 1)."""
    key = version_key(
        "programme-row", consultation.pk, *consultation_pages_generation(consultation.pk)
    )
    found: tuple[Programme | None] | None = cache_get(key)
    if found is None:
        found = (Programme.objects.filter(consultation=consultation).first(),)
        cache_set(key, found, int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
    (programme,) = found
    if programme is None:
        return None
    programme.consultation = consultation
    return programme if rules.can_view_programme(user, programme) else None
