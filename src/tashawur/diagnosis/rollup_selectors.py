"""Reads of the national roll-up of a strategy: its regions with their participation, the
roll-up run shown, its findings with their regions and citations, and the side-by-side profile
of a few regions. The strategy page, its comparison and the roll-up API all read these.

Public data only: contributions still published (a contribution taken down since the run is no
longer cited), no author's name; a count of people below ``core.privacy.anonymity_k`` is
suppressed (``None``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from tashawur.actors.models import ActorType
from tashawur.actors.selectors import participants_actor_type
from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Dimension, Strategy
from tashawur.contributions.generations import consultations_votes_generations
from tashawur.contributions.models import Contribution
from tashawur.core.i18n import pick_label
from tashawur.core.privacy import anonymity_k
from tashawur.diagnosis.models import RollupCitation, RollupFinding, RollupFindingRegion, RollupRun
from tashawur.territories.models import Territory

#: Quotes shown per region under a finding on the strategy page.
QUOTES_PER_REGION = 2
#: Regions the comparison shows side by side at most.
COMPARE_MAX = 4


def strategy_get_for_user(*, slug: str, user: Any) -> Strategy:
    """A strategy by slug; a draft one only for the national coordinator, else ``Http404``."""
    strategy = Strategy.objects.filter(slug=slug).first()
    if strategy is None or (
        strategy.status == Strategy.Status.DRAFT
        and not consultation_rules.is_national_coordinator(user)
    ):
        raise Http404
    return strategy


def _suppressed(count: int, k: int) -> int | None:
    return count if count >= k else None


@dataclass(frozen=True)
class RegionRow:
    region: Territory
    consultation: Consultation | None
    contributions: int
    # Distinct authors; ``None`` when fewer than k (suppressed).
    participants: int | None
    per_10k: float | None

    @property
    def consulted(self) -> bool:
        return self.consultation is not None


def strategy_regions(strategy: Strategy) -> list[RegionRow]:
    """The regions of the country in HCP code order, each with the strategy's public
    consultation there (if any), its published contributions, its participants and their
    number per 10,000 inhabitants (census population). Three queries."""
    k = anonymity_k()
    consultations = {
        c.region_id: c
        for c in Consultation.objects.filter(strategy=strategy).exclude(
            status=Consultation.Status.DRAFT
        )
    }
    counts: dict[int, dict[str, Any]] = {
        row["consultation__region_id"]: dict(row)
        for row in Contribution.objects.published()
        .filter(consultation__in=list(consultations.values()))
        .values("consultation__region_id")
        .annotate(n=Count("pk"), authors=Count("author", distinct=True))
        .order_by()
    }
    rows = []
    for region in Territory.objects.filter(level=Territory.Level.REGION).order_by("code"):
        row = counts.get(region.pk, {})
        authors = int(row.get("authors", 0))
        participants = _suppressed(authors, k)
        per_10k = (
            round(authors * 10_000 / region.population, 2)
            if participants is not None and region.population
            else None
        )
        rows.append(
            RegionRow(
                region=region,
                consultation=consultations.get(region.pk),
                contributions=int(row.get("n", 0)),
                participants=participants,
                per_10k=per_10k,
            )
        )
    return rows


def strategy_page_versions(strategy: Strategy) -> tuple[Any, ...]:
    """A version of everything the strategy page shows an anonymous reader, for its cache
    (``core.caching``): the strategy, the last roll-up run requested (its status) and the run
    shown, the strategy's consultations, and their contributions (their generation, a cache
    read: a new one, a moderation decision; the region counts and the quotes read them
    live). Three small queries."""
    runs = RollupRun.objects.filter(strategy=strategy)
    latest = runs.order_by("-created_at", "-pk").values_list("pk", "status", "updated_at").first()
    shown = RollupRun.objects.current_for(strategy)
    consultations = list(
        Consultation.objects.filter(strategy=strategy)
        .order_by("pk")
        .values_list("pk", "status", "region_id", "updated_at")
    )
    # The contributions' generations (contributions.generations): one cache read, no scan.
    generations = consultations_votes_generations(c[0] for c in consultations)
    return (
        strategy.pk,
        strategy.updated_at,
        latest,
        None if shown is None else (shown.pk, shown.finished_at),
        consultations,
        [generations[c[0]][0] for c in consultations],
        generations[consultations[0][0]][2] if consultations else None,
        anonymity_k(),
    )


def rollup_runs_shown_and_latest(strategy: Strategy) -> tuple[RollupRun | None, RollupRun | None]:
    """The roll-up the strategy page shows (the last that succeeded) and the last requested."""
    latest = RollupRun.objects.filter(strategy=strategy).order_by("-created_at", "-pk").first()
    return RollupRun.objects.current_for(strategy), latest


@dataclass(frozen=True)
class Quote:
    contribution_id: int
    text: str
    language: str


@dataclass
class RegionCell:
    region: Territory
    contributions: int
    authors: int | None  # suppressed below k
    share: float
    lift: float
    q_value: float
    over_represented: bool
    quotes: list[Quote] = field(default_factory=list)
    contribution_ids: list[int] = field(default_factory=list)


@dataclass
class FindingView:
    finding: RollupFinding
    cells: list[RegionCell]

    @property
    def cells_by_code(self) -> dict[str, RegionCell]:
        return {c.region.code: c for c in self.cells}


def rollup_findings(
    run: RollupRun,
    *,
    kinds: Sequence[str] = (RollupFinding.Kind.SHARED, RollupFinding.Kind.SPECIFIC),
    region_ids: Iterable[int] | None = None,
    quotes: int = QUOTES_PER_REGION,
    all_citations: bool = False,
) -> list[FindingView]:
    """The run's findings of ``kinds`` (those of ``region_ids`` only, when given), each with its
    regions (most contributions first) and up to ``quotes`` published quotes per region —
    representatives first; with ``all_citations`` every published citation's id too. Three
    queries, whatever the number of findings."""
    k = anonymity_k()
    findings = RollupFinding.objects.filter(run=run, kind__in=list(kinds)).select_related("region")
    cells_query = RollupFindingRegion.objects.filter(run=run, finding__kind__in=list(kinds))
    if region_ids is not None:
        wanted = list(region_ids)
        findings = findings.filter(regions__region_id__in=wanted).distinct()
        cells_query = cells_query.filter(region_id__in=wanted)
    cells: dict[int, list[RegionCell]] = defaultdict(list)
    for stored in cells_query.select_related("region").order_by(
        "finding_id", "-contributions", "region__code"
    ):
        cells[stored.finding_id].append(
            RegionCell(
                region=stored.region,
                contributions=stored.contributions,
                authors=_suppressed(stored.authors, k),
                share=stored.share,
                lift=stored.lift,
                q_value=stored.q_value,
                over_represented=stored.over_represented,
            )
        )
    citations = RollupCitation.objects.filter(
        run=run,
        finding__kind__in=list(kinds),
        contribution__in=Contribution.objects.published(),
    )
    if region_ids is not None:
        citations = citations.filter(region_id__in=wanted)
    by_cell: dict[tuple[int, int], RegionCell] = {
        (finding_id, c.region.pk): c for finding_id, row in cells.items() for c in row
    }
    if all_citations:
        for finding_id, region_id, contribution_id in citations.order_by(
            "contribution_id"
        ).values_list("finding_id", "region_id", "contribution_id"):
            cell = by_cell.get((finding_id, region_id))
            if cell is not None:
                cell.contribution_ids.append(contribution_id)
    if quotes:
        ranked = (
            citations.filter(is_duplicate=False)
            .annotate(
                row=Window(
                    RowNumber(),
                    partition_by=[F("finding_id"), F("region_id")],
                    order_by=[F("rank").asc(nulls_last=True), F("contribution_id").asc()],
                )
            )
            .filter(row__lte=quotes)
            .values_list(
                "finding_id",
                "region_id",
                "contribution_id",
                "contribution__text",
                "contribution__language",
            )
        )
        for finding_id, region_id, contribution_id, text, language in ranked:
            cell = by_cell.get((finding_id, region_id))
            if cell is not None:
                cell.quotes.append(Quote(contribution_id, text, language))
    return [
        FindingView(finding=f, cells=cells.get(f.pk, [])) for f in findings.order_by("position")
    ]


@dataclass(frozen=True)
class RegionProfile:
    row: RegionRow
    # Dimension → (count, share) of its published contributions.
    dimensions: list[tuple[str, str, int, float]]
    # (actor type, its label, authors), each at least k (smaller types: ``suppressed``).
    actor_types: list[tuple[str, str, int]]
    suppressed: bool
    findings: list[FindingView]


def rollup_compare(
    *, strategy: Strategy, run: RollupRun | None, codes: Sequence[str]
) -> list[RegionProfile]:
    """Side by side, the consulted regions of ``codes`` (at most ``COMPARE_MAX``, unknown and
    unconsulted codes dropped): their dimension shares, actor-type profile and roll-up
    findings."""
    k = anonymity_k()
    rows = {r.region.code: r for r in strategy_regions(strategy) if r.consulted}
    chosen = [rows[c] for c in dict.fromkeys(codes) if c in rows][:COMPARE_MAX]
    profiles = []
    labels = dict(Dimension.choices)
    for row in chosen:
        published = Contribution.objects.published().filter(consultation=row.consultation)
        per_dimension = dict(published.values_list("dimension").annotate(n=Count("pk")).order_by())
        total = sum(per_dimension.values()) or 1
        dimensions = [
            (
                value,
                str(labels[value]),
                per_dimension.get(value, 0),
                round(per_dimension.get(value, 0) / total, 3),
            )
            for value in Dimension.values
            if per_dimension.get(value)
        ]
        authors = set(published.exclude(author=None).values_list("author_id", flat=True))
        types: dict[str, int] = defaultdict(int)
        for actor_type in participants_actor_type(authors).values():
            types[actor_type or ""] += 1
        names = {
            a.slug: pick_label(ar=a.label_ar, fr=a.label_fr)
            for a in ActorType.objects.filter(slug__in=list(types))
        }
        shown = sorted(
            ((t, names.get(t, t), n) for t, n in types.items() if t and n >= k),
            key=lambda p: (-p[2], p[0]),
        )
        findings = (
            rollup_findings(run, region_ids=[row.region.pk], quotes=1) if run is not None else []
        )
        profiles.append(
            RegionProfile(
                row=row,
                dimensions=dimensions,
                actor_types=shown,
                suppressed=any(n < k or not t for t, n in types.items()),
                findings=findings,
            )
        )
    return profiles


def rollup_has_findings(run: RollupRun | None) -> bool:
    return (
        run is not None
        and RollupFinding.objects.filter(
            Q(kind=RollupFinding.Kind.SHARED) | Q(kind=RollupFinding.Kind.SPECIFIC), run=run
        ).exists()
    )
