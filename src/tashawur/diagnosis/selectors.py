"""Reads of the diagnosis: what the page of a consultation's diagnosis shows, and who may act.

Everything shown rests on stored rows: labels and key phrases computed by the synthesis, and
quotes that are the cited contributions' own text (DESIGN.md §6: traceable).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _

from tashawur.actors.models import ActorType
from tashawur.actors.selectors import participants_actor_type
from tashawur.consultations.models import Consultation, Dimension, Theme
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.contributions.models import Channel, Contribution, Language, ModerationStatus
from tashawur.core.i18n import pick_label
from tashawur.core.privacy import anonymity_k, groups_shown
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    CurationEvent,
    DiagnosisDimension,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    OpinionGroup,
    StatementStat,
    SynthesisRun,
)
from tashawur.diagnosis.models import Diagnosis as WrittenDiagnosis
from tashawur.territories.models import Territory

#: Values shown per breakdown field (the most frequent first) where a limit applies: the
#: diagnosis page shows only the over-represented values, a finding's page shows all.
BREAKDOWN_VALUES = 3
#: Findings the overview shows per dimension (the heaviest); a dimension's own view shows all.
FINDINGS_PER_DIMENSION = 5
#: Consensus and divisive statements shown.
STATEMENTS_SHOWN = 5
#: Findings the page does not show: the analyst set them aside.
_HIDDEN = (Finding.Status.REJECTED, Finding.Status.MERGED)
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
class Diagnosis:
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


#: Who a contribution without an author counts as: the round table it was recorded at (a group,
#: but possibly one voice), or, without a table, one unknown voice for all of them.
_ROOM = "room"


def _province_of(
    level: str | None, code: str | None, parent_level: str | None, parent_code: str | None
) -> str:
    """A territory's province code, as the synthesis reads it (a commune stands for its
    province; a region or the country for none)."""
    if level == Territory.Level.COMMUNE:
        level, code = parent_level, parent_code
    return (code or "") if level == Territory.Level.PROVINCE else ""


def _breakdown_authors(
    findings: Iterable[Finding],
) -> dict[int, dict[str, dict[str, set[Hashable]]]]:
    """Per finding, breakdown field and value: who carries it among the contributions the
    finding cites (an author, or the round table of a contribution without one), with the values
    the synthesis reads (``services._inputs_read``), read now in two queries. A value the
    synthesis guessed (the language of a text nobody labelled) has no one here: it is
    suppressed, which fails closed."""
    rows = list(
        FindingContribution.objects.filter(finding__in=list(findings)).values_list(
            "finding_id",
            "contribution__author_id",
            "contribution__workshop_id",
            "contribution__dimension",
            "contribution__theme__slug",
            "contribution__channel",
            "contribution__language",
            "contribution__territory__level",
            "contribution__territory__code",
            "contribution__territory__parent__level",
            "contribution__territory__parent__code",
            "contribution__author__territory__level",
            "contribution__author__territory__code",
            "contribution__author__territory__parent__level",
            "contribution__author__territory__parent__code",
        )
    )
    actor_types = participants_actor_type({row[1] for row in rows if row[1] is not None})
    out: dict[int, dict[str, dict[str, set[Hashable]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    for finding_id, author_id, workshop_id, dimension, theme, channel, language, *places in rows:
        who: Hashable = ("author", author_id) if author_id is not None else (_ROOM, workshop_id)
        own, author_place = places[:4], places[4:]
        province = _province_of(*own) if own[0] is not None else _province_of(*author_place)
        values = {
            "dimension": dimension,
            "theme": theme or "",
            "channel": channel,
            "language": "" if language == Language.UNDETERMINED else language,
            "actor_type": actor_types.get(author_id or 0, ""),
            "province": province,
        }
        cells = out[finding_id]
        for name, value in values.items():
            if value:
                cells[name][value].add(who)
    return out


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


def _last_runs(consultation: Consultation) -> tuple[SynthesisRun | None, SynthesisRun | None]:
    runs = SynthesisRun.objects.filter(consultation=consultation).select_related("created_by")
    latest = runs.order_by("-created_at", "-pk").first()
    shown = (
        runs.filter(status=SynthesisRun.Status.SUCCEEDED).order_by("-finished_at", "-pk").first()
    )
    return shown, latest


def diagnosis_get_for_user(*, slug: str, user: Any, dimension: str | None = None) -> Diagnosis:
    """The diagnosis of a consultation as its last successful run stored it.

    The overview (``dimension`` None) shows the heaviest findings of each dimension and the
    opinion groups; a dimension's view shows all its findings. Raises ``Http404`` or
    ``PermissionDenied`` as ``consultation_get_for_user`` does.
    """
    consultation = consultation_get_for_user(slug=slug, user=user)
    run, latest = _last_runs(consultation)
    if dimension not in Dimension.values:
        dimension = None
    diagnosis = Diagnosis(
        consultation=consultation,
        run=run,
        latest=latest,
        dimension=dimension,
        may_request=rules.can_run_consultation_synthesis(user, consultation),
        may_curate=rules.can_curate_findings(user, consultation),
        publication=DiagnosisPublication.objects.filter(diagnosis__consultation=consultation)
        .order_by("-version")
        .defer("snapshot")
        .first(),
    )
    if run is None:
        return diagnosis
    if diagnosis.may_curate:
        diagnosis.set_aside = list(
            run.findings.filter(status=Finding.Status.REJECTED).order_by("position")
        )
        diagnosis.curation_events = run.curation_events.count()

    visible = run.findings.exclude(status__in=_HIDDEN)
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
    chosen = visible if dimension is None else visible.filter(dimension=dimension)
    by_dimension: dict[str, list[Finding]] = defaultdict(list)
    for finding in chosen.order_by("position"):
        shown = by_dimension[finding.dimension]
        if dimension is not None or len(shown) < FINDINGS_PER_DIMENSION:
            shown.append(finding)
    findings = [f for shown in by_dimension.values() for f in shown]
    quotes: dict[int, list[Contribution]] = defaultdict(list)
    for citation in (
        # A quote moderation has taken down since the run is not shown.
        FindingContribution.objects.filter(
            finding__in=findings,
            is_representative=True,
            contribution__moderation_status=ModerationStatus.PUBLISHED,
        )
        .select_related("contribution")
        .order_by("finding_id", "rank")
    ):
        quotes[citation.finding_id].append(citation.contribution)
    labels = _ValueLabels(findings)
    # The public sees only the groups of at least k authors; the curators see all.
    authors = None if diagnosis.may_curate else _breakdown_authors(findings)
    diagnosis.sections = [
        DimensionSection(
            dimension=value,
            label=str(label),
            findings=[
                FindingItem(
                    finding=finding,
                    quotes=quotes[finding.pk],
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
    stats = list(run.statement_stats.all())
    statement_ids = {i for g in groups for i in g.representative_statement_ids}
    statement_ids |= {s.contribution_id for s in stats}
    # Statements moderation has taken down since the run are left out.
    contributions = Contribution.objects.filter(
        moderation_status=ModerationStatus.PUBLISHED
    ).in_bulk(list(statement_ids))
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
    if groups:
        standing = [s for s in stats if s.contribution_id in cited]
        by_consensus = sorted(standing, key=lambda s: (-s.consensus, s.contribution_id))
        diagnosis.consensus = [
            (cited[s.contribution_id], s) for s in by_consensus[:STATEMENTS_SHOWN]
        ]
        by_division = sorted(standing, key=lambda s: (-s.divisiveness, s.contribution_id))
        diagnosis.divisive = [
            (cited[s.contribution_id], s)
            for s in by_division[:STATEMENTS_SHOWN]
            if s.divisiveness > 0
        ]
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


def _finding_of_consultation(consultation: Consultation, finding_id: int) -> Finding:
    finding = (
        Finding.objects.select_related("run", "merged_into")
        .filter(pk=finding_id, run__consultation=consultation)
        .first()
    )
    if finding is None:
        raise Http404
    return finding


def finding_get_for_curation(*, slug: str, finding_id: int, user: Any) -> Finding:
    """A finding of the consultation that ``user`` may curate; raises ``Http404`` or
    ``PermissionDenied``. Whether it may still be curated (its run is the current one, it is
    not merged) is the services' to say, with a message."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    finding = _finding_of_consultation(consultation, finding_id)
    if not rules.can_curate_findings(user, consultation):
        raise PermissionDenied
    return finding


def finding_get_for_user(*, slug: str, finding_id: int, user: Any) -> FindingPage:
    """A finding of the consultation with every contribution it cites, and what its curators
    need: the findings it may be merged into, its curation history. Contributions moderation
    has taken down since the run are shown to curators only."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    finding = _finding_of_consultation(consultation, finding_id)
    may_curate = rules.can_curate_findings(user, consultation)
    cited = finding.citations.select_related("contribution").order_by("contribution")
    if not may_curate:
        cited = cited.filter(contribution__moderation_status=ModerationStatus.PUBLISHED)
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
            authors=None if may_curate else _breakdown_authors([finding]).get(finding.pk, {}),
        ),
        anonymity_k=anonymity_k(),
        current_run=_last_runs(consultation)[0],
        may_curate=may_curate,
    )
    if page.may_curate:
        page.events = list(finding.curation_events.select_related("actor")[:20])
        if page.is_current and finding.status != Finding.Status.MERGED:
            page.merge_targets = list(
                finding.run.findings.exclude(status__in=_HIDDEN)
                .exclude(pk=finding.pk)
                .order_by("position")
            )
    return page


# -- the written diagnosis ----------------------------------------------------------------------


@dataclass
class EntrySection:
    dimension: str
    label: str
    entries: list[DiagnosisEntry]


@dataclass
class DiagnosisEditor:
    """What the writers' page shows: the entries by dimension, the findings they may cite and
    where the diagnosis stands (its status, its last publication)."""

    consultation: Consultation
    diagnosis: WrittenDiagnosis | None
    run: SynthesisRun | None  # the latest successful run: entries cite its findings
    sections: list[EntrySection] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # citable: shown, of ``run``
    used_finding_ids: set[int] = field(default_factory=set)
    accepted_unused: int = 0  # accepted findings no entry names: what "propose" would add
    # Entries resting on a source that can no longer be cited: publishing refuses them.
    stale_entry_ids: set[int] = field(default_factory=set)
    publication: DiagnosisPublication | None = None
    # Of ``publication``: how many contributions it quotes or cites moderation has withdrawn
    # since, and the statements left with no source standing (to revise and publish again).
    withdrawn_count: int = 0
    withdrawn_entries: list[PublishedEntry] = field(default_factory=list)

    @property
    def entries_count(self) -> int:
        return sum(len(s.entries) for s in self.sections)


def diagnosis_consultation_for_writing(*, slug: str, user: Any) -> Consultation:
    """The consultation whose diagnosis ``user`` may write; ``Http404`` or ``PermissionDenied``."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    if not rules.can_write_diagnosis(user, consultation):
        raise PermissionDenied
    return consultation


def diagnosis_entry_get_for_writing(*, slug: str, entry_id: int, user: Any) -> DiagnosisEntry:
    """An entry of the consultation's diagnosis that ``user`` may write."""
    consultation = diagnosis_consultation_for_writing(slug=slug, user=user)
    entry = (
        DiagnosisEntry.objects.select_related("diagnosis__consultation")
        .filter(pk=entry_id, diagnosis__consultation=consultation)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def diagnosis_editor_get_for_user(*, slug: str, user: Any) -> DiagnosisEditor:
    """The writers' view of the diagnosis, drafts included. Raises ``Http404`` or
    ``PermissionDenied`` for those who may not write it."""
    consultation = diagnosis_consultation_for_writing(slug=slug, user=user)
    run, _latest = _last_runs(consultation)
    diagnosis = WrittenDiagnosis.objects.filter(consultation=consultation).first()
    editor = DiagnosisEditor(consultation=consultation, diagnosis=diagnosis, run=run)
    if run is not None:
        editor.findings = list(run.findings.exclude(status__in=_HIDDEN).order_by("position"))
    if diagnosis is None:
        return editor
    entries = list(
        diagnosis.entries.prefetch_related("findings", "contributions").order_by("position", "pk")
    )
    editor.used_finding_ids = {f.pk for e in entries for f in e.findings.all()}
    editor.stale_entry_ids = {
        e.pk
        for e in entries
        if any(f.run_id != getattr(run, "pk", None) or not f.is_visible for f in e.findings.all())
        or any(c.moderation_status != ModerationStatus.PUBLISHED for c in e.contributions.all())
    }
    editor.accepted_unused = sum(
        1
        for f in editor.findings
        if f.status == Finding.Status.ACCEPTED
        and f.pk not in editor.used_finding_ids
        and f.dimension in DiagnosisDimension.values
    )
    editor.sections = [
        EntrySection(
            dimension=value,
            label=str(label),
            entries=[e for e in entries if e.dimension == value],
        )
        for value, label in DiagnosisDimension.choices
    ]
    editor.publication = diagnosis.publications.select_related("published_by").first()
    if editor.publication is not None:
        snapshot = editor.publication.snapshot
        withdrawn = _withdrawn_ids(snapshot)
        editor.withdrawn_count = len(withdrawn)
        editor.withdrawn_entries = [
            e for _d, e in _published_entries(snapshot, withdrawn) if e.withdrawn
        ]
    return editor


@dataclass(frozen=True)
class PublishedSource:
    """A contribution as the publication copied it: its number, its workshop, its words.

    ``withdrawn``: moderation has since taken it down (or it is gone): the page shows a notice
    in place of its words, the snapshot keeps them."""

    id: int
    workshop_id: int | None
    language: str
    text: str
    translation_fr: str
    withdrawn: bool = False


@dataclass(frozen=True)
class PublishedFinding:
    id: int
    key: str
    label: str
    quotes: list[PublishedSource]

    @property
    def withdrawn(self) -> bool:
        """Every quote the publication shows for it was withdrawn (none: it stands)."""
        return bool(self.quotes) and all(q.withdrawn for q in self.quotes)


@dataclass(frozen=True)
class PublishedEntry:
    statement: str
    findings: list[PublishedFinding]
    contributions: list[PublishedSource]

    @property
    def withdrawn(self) -> bool:
        """Nothing the statement shows it rests on still stands: its writers should revise it
        and publish again."""
        withdrawn = [f.withdrawn for f in self.findings] + [c.withdrawn for c in self.contributions]
        return bool(withdrawn) and all(withdrawn)


@dataclass
class PublishedSection:
    dimension: str
    label: str
    entries: list[PublishedEntry]


@dataclass
class PublishedDiagnosis:
    consultation: Consultation
    publication: DiagnosisPublication | None
    sections: list[PublishedSection] = field(default_factory=list)
    may_write: bool = False


def _snapshot_contribution_ids(snapshot: dict[str, Any]) -> set[int]:
    return {
        int(c["id"])
        for entry in snapshot.get("entries", [])
        for c in [
            *entry["contributions"],
            *(q for f in entry["findings"] for q in f.get("quotes", [])),
        ]
    }


def _withdrawn_ids(snapshot: dict[str, Any]) -> set[int]:
    """The contributions a publication quotes or cites that are no longer published, in one
    query. Asking for the published ones, not the others, fails closed: a contribution that
    is no longer in the database is withdrawn too."""
    ids = _snapshot_contribution_ids(snapshot)
    if not ids:
        return set()
    published = Contribution.objects.filter(
        pk__in=ids, moderation_status=ModerationStatus.PUBLISHED
    ).values_list("pk", flat=True)
    return ids - set(published)


def _published_source(data: dict[str, Any], withdrawn: set[int]) -> PublishedSource:
    return PublishedSource(
        id=int(data["id"]),
        workshop_id=data.get("workshop"),
        language=str(data.get("language") or ""),
        text=str(data["text"]),
        translation_fr=str(data.get("translation_fr") or ""),
        withdrawn=int(data["id"]) in withdrawn,
    )


def _published_entries(
    snapshot: dict[str, Any], withdrawn: set[int]
) -> list[tuple[str, PublishedEntry]]:
    """The snapshot's entries with their dimension, as read now: withdrawn sources marked."""
    return [
        (
            entry["dimension"],
            PublishedEntry(
                statement=pick_label(ar=entry["statement_ar"], fr=entry["statement_fr"]),
                findings=[
                    PublishedFinding(
                        id=int(f["id"]),
                        key=str(f["key"]),
                        label=pick_label(ar=f["label_ar"], fr=f["label_fr"]) or str(f["key"]),
                        quotes=[_published_source(q, withdrawn) for q in f.get("quotes", [])],
                    )
                    for f in entry["findings"]
                ],
                contributions=[_published_source(c, withdrawn) for c in entry["contributions"]],
            ),
        )
        for entry in snapshot.get("entries", [])
    ]


def diagnosis_publication_get_for_user(*, slug: str, user: Any) -> PublishedDiagnosis:
    """The latest publication of the consultation's diagnosis, read from its snapshot: what
    was published stays as it was, except the words of a contribution that moderation has
    withdrawn since, which the page no longer shows (the snapshot keeps them). Anyone who may
    see the consultation reads it."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    publication = (
        DiagnosisPublication.objects.filter(diagnosis__consultation=consultation)
        .order_by("-version")
        .first()
    )
    page = PublishedDiagnosis(
        consultation=consultation,
        publication=publication,
        may_write=rules.can_write_diagnosis(user, consultation),
    )
    if publication is None:
        return page
    by_dimension: dict[str, list[PublishedEntry]] = defaultdict(list)
    withdrawn = _withdrawn_ids(publication.snapshot)
    for dimension, entry in _published_entries(publication.snapshot, withdrawn):
        by_dimension[dimension].append(entry)
    page.sections = [
        PublishedSection(dimension=value, label=str(label), entries=by_dimension[value])
        for value, label in DiagnosisDimension.choices
        if by_dimension.get(value)
    ]
    return page
