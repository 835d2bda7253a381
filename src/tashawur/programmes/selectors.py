"""Reads of an action programme: the measure tree with its progress roll-up, budget totals by
funding source, and the measures that are late.

Progress rolls up the tree: a measure without sub-measures stands at its latest progress update
(0 before the first one); a measure with sub-measures stands at the weight-weighted average of
its sub-measures, the weights normalised by their sum (so they need not add up to 100).
Cancelled sub-measures leave the average (a measure whose sub-measures are all cancelled
falls back on its own latest update); when every weight is 0 the sub-measures count equally.
A measure's budget is its own envelope, not counting its sub-measures'.

The findings a measure cites are shown as the diagnosis now reads them
(``findings_resolve``): the citation itself is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.diagnosis.models import Finding, SynthesisRun
from tashawur.programmes import rules
from tashawur.programmes.models import (
    FundingLine,
    FundingSource,
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


@dataclass
class MeasureNode:
    measure: Measure
    depth: int
    children: list[MeasureNode] = field(default_factory=list)
    latest_percent: int | None = None  # the latest update's, None before the first one
    latest_on: dt.date | None = None
    progress: Decimal = _ZERO
    late: bool = False
    # The findings it answers as a reader should see them now (``findings_resolve``).
    findings: list[ResolvedFinding] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return as_percent(self.progress)

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
    return [
        SourceTotal(source=value, label=str(label), amount=sums[value])
        for value, label in FundingSource.choices
        if sums.get(value)
    ]


# --- the findings a measure cites, as the diagnosis now reads them ---------------------------

#: What a measure's findings show: labels, key, curation state and the run's date. The heavy
#: JSON (breakdowns, the run's stored result) stays in the database.
_FINDING_FIELDS = (
    "key",
    "label_ar",
    "label_fr",
    "title_override_ar",
    "title_override_fr",
    "status",
    "merged_into",
    "position",
    "run",
    "run__consultation",
    "run__status",
    "run__finished_at",
)


def _findings_shown() -> QuerySet[Finding]:
    return Finding.objects.select_related("run").only(*_FINDING_FIELDS)


@dataclass(frozen=True)
class ResolvedFinding:
    """A finding a measure cites, as a reader should see it now.

    ``cited`` holds the rows the measure cites, as stored (several when they now resolve to the
    same finding); ``shown`` is the finding to show and link to. ``from_earlier_run`` is set
    when the diagnosis has moved on to a newer run that no longer has this idea: ``shown`` is
    then the cited finding (or what it was merged into in its own run).
    """

    shown: Finding
    cited: tuple[Finding, ...]
    from_earlier_run: bool = False

    @property
    def set_aside(self) -> bool:
        """The analyst rejected it: it no longer shows in the diagnosis."""
        return self.shown.status == Finding.Status.REJECTED

    @property
    def run_finished_at(self) -> dt.datetime | None:
        return self.shown.run.finished_at


def _merge_chain(finding: Finding, by_pk: dict[int, Finding]) -> list[Finding]:
    """The finding, what it was merged into, what that was merged into… to the end. Stops on a
    cycle (which only a write bypassing the services could make)."""
    chain = [finding]
    seen = {finding.pk}
    while chain[-1].merged_into_id is not None:
        target = by_pk.get(chain[-1].merged_into_id)
        if target is None or target.pk in seen:
            break
        chain.append(target)
        seen.add(target.pk)
    return chain


def findings_resolve(*, findings: Iterable[Finding]) -> dict[int, ResolvedFinding]:
    """What a reader should see now for each cited finding, by the cited finding's id.

    1. A finding merged away (``merged_into``) shows as the end of its merge chain.
    2. When the consultation's diagnosis now shows a newer successful run, the finding of that
       run with the same stable ``key`` shows instead (its own merge chain followed too); if
       the cited key is gone there, the keys it was merged into are tried, in chain order.
    3. Failing that, the cited finding (or its chain's end) shows, marked as coming from an
       earlier run.

    A rejected finding still shows, marked as set aside (``ResolvedFinding.set_aside``): the
    measure's authors cited it, and a reader should see that the analyst later set that reading
    aside rather than see the citation silently disappear.

    Two queries whatever the number of findings, runs or merges: the current runs, then every
    finding the chains and keys can lead to.
    """
    cited = {f.pk: f for f in findings}
    if not cited:
        return {}
    current = SynthesisRun.objects.current_ids({f.run.consultation_id for f in cited.values()})
    cited_runs = {f.run_id for f in cited.values()}
    runs = cited_runs | set(current.values())
    merged_targets = Finding.objects.filter(run_id__in=runs, merged_into__isnull=False).values(
        "merged_into_id"
    )
    # The keys a cited finding was merged into, for the newer run's lookup (step 2).
    target_keys = Finding.objects.filter(
        pk__in=Finding.objects.filter(run_id__in=cited_runs, merged_into__isnull=False).values(
            "merged_into_id"
        )
    ).values("key")
    candidates = _findings_shown().filter(
        Q(pk__in=merged_targets)
        | Q(key__in={f.key for f in cited.values()})
        | Q(key__in=target_keys),
        run_id__in=runs,
    )
    by_pk = {f.pk: f for f in candidates}
    by_pk.update(cited)
    by_run_key = {(f.run_id, f.key): f for f in by_pk.values()}

    def resolve(finding: Finding) -> ResolvedFinding:
        chain = _merge_chain(finding, by_pk)
        run_now = current.get(finding.run.consultation_id)
        if run_now is None or run_now == finding.run_id:
            return ResolvedFinding(shown=chain[-1], cited=(finding,))
        for step in chain:
            successor = by_run_key.get((run_now, step.key))
            if successor is not None:
                return ResolvedFinding(shown=_merge_chain(successor, by_pk)[-1], cited=(finding,))
        return ResolvedFinding(shown=chain[-1], cited=(finding,), from_earlier_run=True)

    return {pk: resolve(finding) for pk, finding in cited.items()}


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

    Six queries whatever the size: measures with owners and latest updates, then partners,
    funding lines and the findings they cite, then two to resolve those findings
    (``findings_resolve``; none when no measure cites any).
    """
    today = today or timezone.localdate()
    measures = (
        Measure.objects.filter(programme=programme)
        .select_related("owner")
        .annotate(latest_percent=_latest("percent"), latest_on=_latest("on"))
        .prefetch_related(
            "partners",
            Prefetch("funding_lines", queryset=FundingLine.objects.order_by("source")),
            Prefetch("findings", queryset=_findings_shown().order_by("position", "pk")),
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
            late=is_late(measure, today=today),
        )
        nodes[measure.pk] = node
        node.children = [
            build(child, depth + 1)
            for child in sorted(children.get(measure.pk, []), key=lambda m: code_sort_key(m.code))
        ]
        return node

    roots = [
        build(m, 0) for m in sorted(children.get(None, []), key=lambda m: code_sort_key(m.code))
    ]
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


def programme_visible_for(*, consultation: Any, user: Any) -> Programme | None:
    """The consultation's programme when this user may read it, else None (for links)."""
    programme = Programme.objects.filter(consultation=consultation).first()
    if programme is None:
        return None
    programme.consultation = consultation
    return programme if rules.can_view_programme(user, programme) else None
