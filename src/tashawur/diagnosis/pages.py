"""What the diagnosis pages show, assembled from the selectors' data for the views: the
diagnosis of a consultation as its last successful run stored it, and a finding's own page.

Everything shown rests on stored rows: labels and key phrases computed by the synthesis, and
quotes that are the cited contributions' own text (DESIGN.md §6: traceable).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tashawur.actors.models import ActorType
from tashawur.consultations.models import Consultation, Dimension, Theme
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.contributions.models import Channel, Contribution, Language
from tashawur.core.privacy import anonymity_k, groups_shown
from tashawur.diagnosis import rules
from tashawur.diagnosis.glance import VOTED_STATEMENTS, Glance, diagnosis_glance
from tashawur.diagnosis.models import (
    CarryOverIssue,
    CurationEvent,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    OpinionGroup,
    StatementStat,
    SynthesisRun,
)
from tashawur.diagnosis.selectors import (
    FINDINGS_HIDDEN,
    diagnosis_publication_latest,
    finding_breakdown_authors,
    finding_of_consultation,
    finding_quotes,
    findings_heaviest_per_dimension,
    statement_stats_shown,
    synthesis_runs_shown_and_latest,
)
from tashawur.territories.models import Territory

#: Values shown per breakdown field (the most frequent first) where a limit applies: the
#: diagnosis page shows only the over-represented values, a finding's page shows all.
BREAKDOWN_VALUES = 3
#: Findings the overview shows per dimension (the heaviest); a dimension's own view shows all,
#: a page at a time.
FINDINGS_PER_DIMENSION = 5
FINDINGS_PER_PAGE = 20
#: Consensus and divisive statements shown.
STATEMENTS_SHOWN = 5
#: Breakdown fields, in the order the page shows them.
_FIELDS = ("dimension", "actor_type", "province", "language", "channel", "theme")


@dataclass(frozen=True)
class BreakdownValue:
    value: str  # as the profile stores it: a slug, a code
    label: str
    count: int
    share: float
    over_represented: bool


@dataclass(frozen=True)
class Breakdown:
    field: str
    label: str
    values: list[BreakdownValue]
    # Values left out because fewer than k authors carry them (the public's view).
    hidden: int = 0


@dataclass
class FindingItem:
    finding: Finding
    quotes: list[Contribution]
    breakdowns: list[Breakdown]
    url: str = ""  # the finding's page; its quotes link to anchors of it

    @property
    def breakdowns_html(self) -> SafeString:
        """The over-represented values on one line, written here rather than by nested
        template loops (the overview shows dozens of findings)."""
        return mark_safe(  # noqa: S308 - each part escaped by format_html
            " · ".join(
                format_html("<bdi>{}</bdi> ({}, {})", v.label, b.label, localize(v.count))
                for b in self.breakdowns
                for v in b.values
            )
        )


@dataclass
class DimensionSection:
    dimension: str
    label: str
    findings: list[FindingItem]
    total: int  # findings of the dimension, shown or not

    @property
    def more(self) -> bool:
        return self.total > len(self.findings)


@dataclass(frozen=True)
class DimensionFilter:
    value: str
    label: str
    count: int
    current: bool


@dataclass(frozen=True)
class Cited:
    """A contribution shown on the page, with the finding whose page lists it (its source)."""

    contribution: Contribution
    finding_id: int | None


@dataclass(frozen=True)
class GroupStatement:
    cited: Cited
    agrees: bool
    share: float  # of the group voting that way (Pol.is's smoothed rate)

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass
class GroupItem:
    group: OpinionGroup
    statements: list[GroupStatement]


@dataclass
class CarryOverItem:
    """A decision left by the carry-over of curation to ``issue.run``: the earlier finding,
    the new findings sharing its contributions (``candidates``) and all it may be given to."""

    issue: CarryOverIssue
    candidates: list[tuple[Finding, int]]  # finding, contributions shared
    choices: list[Finding]


def carry_over_items(run: SynthesisRun) -> list[CarryOverItem]:
    """The open decisions of the carry-over to ``run``, oldest first, in three queries."""
    issues = list(
        run.carry_over_issues.filter(resolution="")
        .select_related("old_finding", "entry")
        .order_by("created_at", "pk")
    )
    if not issues:
        return []
    choices = list(run.findings.exclude(status__in=FINDINGS_HIDDEN).order_by("position"))
    by_pk = {f.pk: f for f in choices}
    return [
        CarryOverItem(
            issue=issue,
            candidates=[
                (by_pk[int(c["id"])], int(c["overlap"]))
                for c in issue.details.get("candidates", [])
                if int(c["id"]) in by_pk
            ],
            choices=choices,
        )
        for issue in issues
    ]


@dataclass(frozen=True)
class CarryOverPreview:
    """What a new run will carry over of the curation of ``run``, and what may need a
    decision, for the confirmation before a re-run."""

    run: SynthesisRun
    titles: int
    accepted: int
    rejected: int
    merges: int
    splits: int
    entries: int
    open_decisions: int

    @property
    def total(self) -> int:
        return self.titles + self.accepted + self.rejected + self.merges + self.splits


def carry_over_preview(run: SynthesisRun) -> CarryOverPreview:
    findings = run.findings.exclude(status=Finding.Status.MERGED)
    return CarryOverPreview(
        run=run,
        titles=findings.exclude(title_override_ar="", title_override_fr="").count(),
        accepted=findings.filter(status=Finding.Status.ACCEPTED).count(),
        rejected=findings.filter(status=Finding.Status.REJECTED).count(),
        merges=run.findings.filter(status=Finding.Status.MERGED).count(),
        splits=run.curation_events.filter(action=CurationEvent.Action.SPLIT).count(),
        entries=DiagnosisEntry.objects.filter(findings__run=run).distinct().count(),
        open_decisions=run.carry_over_issues.filter(resolution="").count(),
    )


@dataclass
class DiagnosisPage:
    """The diagnosis of a consultation as the run it shows stored it, with what its analysts
    may do."""

    consultation: Consultation
    run: SynthesisRun | None  # the last successful run: what the page shows
    latest: SynthesisRun | None  # the last run requested, whatever its status
    dimension: str | None = None  # the one dimension shown, or None for the overview
    filters: list[DimensionFilter] = field(default_factory=list)
    sections: list[DimensionSection] = field(default_factory=list)
    groups: list[GroupItem] = field(default_factory=list)
    consensus: list[tuple[Cited, StatementStat]] = field(default_factory=list)
    divisive: list[tuple[Cited, StatementStat]] = field(default_factory=list)
    may_request: bool = False
    # Curation, for those allowed: the findings set aside (rejected, hidden from the public)
    # and how many curation actions the shown run has had.
    may_curate: bool = False
    set_aside: list[Finding] = field(default_factory=list)
    curation_events: int = 0
    # The written diagnosis: its latest publication (what the public reads), if any.
    publication: DiagnosisPublication | None = None
    # What the last run could not carry over of the curation before it, to decide.
    carry_over: list[CarryOverItem] = field(default_factory=list)
    # The overview's top: the heaviest findings and the charts (``glance``).
    glance: Glance | None = None
    # A dimension's view: the page of its findings shown.
    page: Page[Finding] | None = None

    @property
    def pending(self) -> bool:
        return self.latest is not None and self.latest.status in (
            SynthesisRun.Status.QUEUED,
            SynthesisRun.Status.RUNNING,
        )

    @property
    def findings_count(self) -> int:
        return sum(f.count for f in self.filters)


def _field_labels() -> dict[str, str]:
    return {
        "dimension": _("Dimension"),
        "actor_type": _("Actor type"),
        "province": _("Province"),
        "language": _("Language"),
        "channel": _("Channel"),
        "theme": _("Theme"),
    }


class _ValueLabels:
    """Human labels of the values the profiles carry (slugs, codes), looked up in bulk."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for finding in findings:
            for name, groups in (finding.profiles or {}).items():
                wanted[name].update(str(g["value"]) for g in groups)
        self.labels: dict[str, dict[str, str]] = {
            "dimension": {str(v): str(label) for v, label in Dimension.choices},
            "channel": {str(v): str(label) for v, label in Channel.choices},
            "language": {str(v): str(label) for v, label in Language.choices},
            "actor_type": {
                t.slug: t.label for t in ActorType.objects.filter(slug__in=wanted["actor_type"])
            },
            "province": {
                t.code: t.name for t in Territory.objects.filter(code__in=wanted["province"])
            },
            "theme": {t.slug: t.label for t in Theme.objects.filter(slug__in=wanted["theme"])},
        }

    def __call__(self, name: str, value: str) -> str:
        return self.labels.get(name, {}).get(value, value)


def _breakdowns(
    finding: Finding,
    labels: _ValueLabels,
    *,
    limit: int | None = BREAKDOWN_VALUES,
    over_represented_only: bool = False,
    authors: dict[str, dict[str, set[Hashable]]] | None = None,
) -> list[Breakdown]:
    """The finding's breakdowns; with ``authors`` (the public's view), only the values that
    at least ``anonymity_k()`` authors carry."""
    names = _field_labels()
    profiles: dict[str, list[dict[str, Any]]] = finding.profiles or {}
    k = anonymity_k()
    out = []
    for name in _FIELDS:
        groups = profiles.get(name) or []
        if over_represented_only:
            groups = [g for g in groups if g["over_represented"]]
        hidden = 0
        if authors is not None:
            shown_values = groups_shown(authors.get(name, {}), k=k)
            kept = [g for g in groups if str(g["value"]) in shown_values]
            hidden = len(groups) - len(kept)
            groups = kept
        if not groups and not hidden:
            continue
        if not groups and over_represented_only:
            continue
        shown = groups if limit is None else groups[:limit]
        out.append(
            Breakdown(
                field=name,
                label=names[name],
                values=[
                    BreakdownValue(
                        value=str(g["value"]),
                        label=labels(name, str(g["value"])),
                        count=int(g["count"]),
                        share=float(g["share"]),
                        over_represented=bool(g["over_represented"]),
                    )
                    for g in shown
                ],
                hidden=hidden,
            )
        )
    return out


def diagnosis_page(
    *, slug: str, user: Any, dimension: str | None = None, page: int = 1
) -> DiagnosisPage:
    """The diagnosis of a consultation as its last successful run stored it.

    The overview (``dimension`` None) shows the heaviest findings of each dimension and the
    opinion groups; a dimension's view shows its findings ``FINDINGS_PER_PAGE`` at a time
    (``page``; past the last: the last). The queries and the rows read do not grow with the
    run: each list is the first rows of an index. Raises ``Http404`` or ``PermissionDenied``
    as ``consultation_get_for_user`` does.
    """
    consultation = consultation_get_for_user(slug=slug, user=user)
    run, latest = synthesis_runs_shown_and_latest(consultation)
    if dimension not in Dimension.values:
        dimension = None
    diagnosis = DiagnosisPage(
        consultation=consultation,
        run=run,
        latest=latest,
        dimension=dimension,
        may_request=rules.can_run_consultation_synthesis(user, consultation),
        may_curate=rules.can_curate_findings(user, consultation),
        publication=diagnosis_publication_latest(consultation, with_snapshot=False),
    )
    if run is None:
        return diagnosis
    if diagnosis.may_curate:
        diagnosis.set_aside = list(
            run.findings.filter(status=Finding.Status.REJECTED).order_by("position")
        )
        diagnosis.curation_events = run.curation_events.count()
        diagnosis.carry_over = carry_over_items(run)

    visible = run.findings.exclude(status__in=FINDINGS_HIDDEN)
    per_dimension = dict(visible.order_by().values_list("dimension").annotate(n=Count("pk")))
    diagnosis.filters = [
        DimensionFilter(
            value=value,
            label=str(label),
            count=per_dimension.get(value, 0),
            current=value == dimension,
        )
        for value, label in Dimension.choices
        if per_dimension.get(value)
    ]
    if dimension is None:
        by_dimension = findings_heaviest_per_dimension(
            visible, per_dimension, FINDINGS_PER_DIMENSION
        )
    else:
        paginator = Paginator(
            visible.filter(dimension=dimension).order_by("position"), FINDINGS_PER_PAGE
        )
        # Counted above with the filters: not counted again.
        paginator.count = per_dimension.get(dimension, 0)
        diagnosis.page = paginator.get_page(page)
        by_dimension = {dimension: list(diagnosis.page.object_list)}
    findings = [f for shown in by_dimension.values() for f in shown]
    # A quote moderation has taken down since the run is not shown.
    quotes = finding_quotes(findings)
    labels = _ValueLabels(findings)
    # The public sees only the groups of at least k authors; the curators see all (but the
    # charts suppress them for everyone).
    carriers = finding_breakdown_authors(findings)
    authors = None if diagnosis.may_curate else carriers
    diagnosis.sections = [
        DimensionSection(
            dimension=value,
            label=str(label),
            findings=[
                FindingItem(
                    finding=finding,
                    url=reverse("diagnosis:finding", args=[consultation.slug, finding.pk]),
                    quotes=quotes.get(finding.pk, []),
                    breakdowns=_breakdowns(
                        finding,
                        labels,
                        over_represented_only=True,
                        authors=None if authors is None else authors.get(finding.pk, {}),
                    ),
                )
                for finding in by_dimension[value]
            ],
            total=per_dimension.get(value, 0),
        )
        for value, label in Dimension.choices
        if by_dimension.get(value)
    ]
    if dimension is not None:
        return diagnosis

    groups = list(run.opinion_groups.order_by("key"))
    # Only the statements the page shows are read: the first rows of the run's indexes
    # (``StatementStat.Meta.indexes``), not its tens of thousands of statistics.
    statements = statement_stats_shown(
        run, shown=STATEMENTS_SHOWN, voted=VOTED_STATEMENTS, with_groups=bool(groups)
    )
    statement_ids = {i for g in groups for i in g.representative_statement_ids}
    statement_ids |= {s.contribution_id for s in statements.all}
    # Statements moderation has taken down since the run are left out.
    contributions = Contribution.objects.published().in_bulk(list(statement_ids))
    finding_of = dict(
        FindingContribution.objects.filter(
            run=run, contribution_id__in=list(statement_ids)
        ).values_list("contribution_id", "finding_id")
    )
    cited = {
        pk: Cited(contribution=c, finding_id=finding_of.get(pk)) for pk, c in contributions.items()
    }
    for group in groups:
        diagnosis.groups.append(
            GroupItem(
                group=group,
                statements=[
                    GroupStatement(
                        cited=cited[rep["id"]],
                        agrees=rep["repful_for"] == "agree",
                        share=float(rep["p_success"]),
                    )
                    for rep in group.representatives
                    if rep["id"] in cited
                ],
            )
        )
    diagnosis.consensus = [
        (cited[s.contribution_id], s) for s in statements.consensus if s.contribution_id in cited
    ]
    diagnosis.divisive = [
        (cited[s.contribution_id], s) for s in statements.divisive if s.contribution_id in cited
    ]
    diagnosis.glance = diagnosis_glance(
        consultation=consultation,
        run=run,
        by_dimension=by_dimension,
        authors=carriers,
        stats=statements.voted,
        cited={pk: (c.contribution.text, c.finding_id) for pk, c in cited.items()},
    )
    return diagnosis


@dataclass
class FindingPage:
    consultation: Consultation
    finding: Finding
    # Each member (quotes first, by rank) with the contributions that repeat it.
    members: list[tuple[FindingContribution, list[Contribution]]]
    breakdowns: list[Breakdown]
    # The smallest group of authors a breakdown shows the public.
    anonymity_k: int
    # The run the diagnosis shows, and whether this finding belongs to it: only its findings
    # are curated.
    current_run: SynthesisRun | None = None
    may_curate: bool = False
    # The run's other visible findings: what this one may be merged into.
    merge_targets: list[Finding] = field(default_factory=list)
    events: list[CurationEvent] = field(default_factory=list)

    @property
    def is_current(self) -> bool:
        return self.current_run is not None and self.current_run.pk == self.finding.run_id


def finding_page(*, slug: str, finding_id: int, user: Any) -> FindingPage:
    """A finding of the consultation with every contribution it cites, and what its curators
    need: the findings it may be merged into, its curation history. Contributions moderation
    has taken down since the run are shown to curators only."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    finding = finding_of_consultation(consultation, finding_id)
    may_curate = rules.can_curate_findings(user, consultation)
    cited = finding.citations.select_related("contribution").order_by("contribution")
    if not may_curate:
        cited = cited.filter(contribution__in=Contribution.objects.published())
    citations = list(cited)
    duplicates: dict[int, list[Contribution]] = defaultdict(list)
    for c in citations:
        if c.duplicate_of_id is not None:
            duplicates[c.duplicate_of_id].append(c.contribution)
    members = [c for c in citations if c.duplicate_of_id is None]
    members.sort(key=lambda c: (c.rank is None, c.rank or 0, c.contribution_id))
    page = FindingPage(
        consultation=consultation,
        finding=finding,
        members=[(c, duplicates.get(c.contribution_id, [])) for c in members],
        breakdowns=_breakdowns(
            finding,
            _ValueLabels([finding]),
            limit=None,
            # The public sees only the groups of at least k authors; the curators see all.
            authors=(
                None if may_curate else finding_breakdown_authors([finding]).get(finding.pk, {})
            ),
        ),
        anonymity_k=anonymity_k(),
        current_run=SynthesisRun.objects.current_for(consultation),
        may_curate=may_curate,
    )
    if page.may_curate:
        page.events = list(finding.curation_events.select_related("actor")[:20])
        if page.is_current and finding.status != Finding.Status.MERGED:
            page.merge_targets = list(
                finding.run.findings.exclude(status__in=FINDINGS_HIDDEN)
                .exclude(pk=finding.pk)
                .order_by("position")
            )
    return page
