"""What became of a contribution: the chain from what someone said to what is done about it.

A contribution is read by the synthesis into a finding of the run the diagnosis shows
(``SynthesisRun.objects.current_for``; a finding merged away leads to what it was merged
into); the published diagnosis may cite the contribution or one of its findings (of any run:
a publication is a snapshot); the programme's measures may answer that finding (a measure's
cited findings resolve as the programme page shows them: ``findings_resolve``), each with its
latest progress update.

Read in a few queries whatever the number of contributions, so that ``/me/`` can show every
one of a person's contributions with its fate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery

from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.diagnosis.models import (
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.selectors import findings_for_citation, findings_resolve
from tashawur.diagnosis.written_pages import Statement, statement_in_reader_language
from tashawur.programmes import rules
from tashawur.programmes.models import Measure, Programme, ProgressUpdate
from tashawur.programmes.selectors import code_sort_key


@dataclass(frozen=True)
class ChainEntry:
    """A statement of the published diagnosis that cites the contribution or its finding."""

    shown: Statement  # in the reader's language, with its direction
    dimension: str
    version: int

    @property
    def statement(self) -> str:
        return self.shown.text


@dataclass(frozen=True)
class ChainMeasure:
    """A measure of the programme answering the contribution's finding, with its progress."""

    measure: Measure
    percent: int | None  # the latest progress update's; None before the first one


@dataclass
class Chain:
    contribution: Contribution
    #: The finding of the run the diagnosis shows, merges followed; None when that run did
    #: not read it (not published then, or no run yet).
    finding: Finding | None = None
    entries: list[ChainEntry] = field(default_factory=list)
    measures: list[ChainMeasure] = field(default_factory=list)
    #: Where the consultation's programme may be read by this user (for the link).
    programme: Programme | None = None

    @property
    def published(self) -> bool:
        return self.contribution.moderation_status == ModerationStatus.PUBLISHED

    @property
    def finding_set_aside(self) -> bool:
        return self.finding is not None and self.finding.status == Finding.Status.REJECTED

    @property
    def is_empty(self) -> bool:
        return self.finding is None and not self.entries and not self.measures


def _latest_percent() -> Subquery:
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by(
        "-on", "-created_at", "-id"
    )
    return Subquery(latest.values("percent")[:1])


def _latest_publications(consultation_ids: set[int]) -> dict[int, DiagnosisPublication]:
    latest: dict[int, DiagnosisPublication] = {}
    for publication in (
        DiagnosisPublication.objects.filter(diagnosis__consultation_id__in=consultation_ids)
        .select_related("diagnosis")
        .order_by("diagnosis__consultation_id", "-version")
    ):
        latest.setdefault(publication.diagnosis.consultation_id, publication)
    return latest


def _entries_citing(
    publication: DiagnosisPublication, contribution_id: int, finding_ids: set[int]
) -> list[ChainEntry]:
    found = []
    for entry in publication.snapshot.get("entries", []):
        cited = {int(c["id"]) for c in entry.get("contributions", [])}
        quoted = {int(q["id"]) for f in entry.get("findings", []) for q in f.get("quotes", [])}
        findings = {int(f["id"]) for f in entry.get("findings", [])}
        if contribution_id in cited | quoted or findings & finding_ids:
            found.append(
                ChainEntry(
                    shown=statement_in_reader_language(
                        ar=str(entry.get("statement_ar") or ""),
                        fr=str(entry.get("statement_fr") or ""),
                    ),
                    dimension=str(entry.get("dimension") or ""),
                    version=publication.version,
                )
            )
    return found


def contribution_chains(*, contributions: Iterable[Contribution], user: Any) -> dict[int, Chain]:
    """By contribution id, what became of each: its finding now, the published statements
    citing it or its findings, the measures of a programme ``user`` may read answering its
    finding. A contribution that is not published has an empty chain (the synthesis and the
    diagnosis read published contributions only)."""
    contributions = list(contributions)
    chains = {c.pk: Chain(contribution=c) for c in contributions}
    published = [c for c in contributions if c.moderation_status == ModerationStatus.PUBLISHED]
    if not published:
        return chains
    ids = [c.pk for c in published]
    consultation_ids = {c.consultation_id for c in published}
    # Every finding that ever cited them (any run): a publication may cite an older one.
    citations = list(
        FindingContribution.objects.filter(contribution_id__in=ids).select_related("finding__run")
    )
    resolved = findings_resolve(findings=[c.finding for c in citations])
    current = SynthesisRun.objects.current_ids(consultation_ids)
    finding_ids: dict[int, set[int]] = defaultdict(set)
    for citation in citations:
        shown = resolved[citation.finding_id]
        finding_ids[citation.contribution_id].update(
            {citation.finding_id, shown.shown.pk, *(f.pk for f in shown.cited)}
        )
        if citation.run_id == current.get(citation.finding.run.consultation_id):
            chains[citation.contribution_id].finding = shown.shown
    publications = _latest_publications(consultation_ids)
    for contribution in published:
        publication = publications.get(contribution.consultation_id)
        if publication is not None:
            chains[contribution.pk].entries = _entries_citing(
                publication, contribution.pk, finding_ids[contribution.pk]
            )
    programmes = {
        p.consultation_id: p
        for p in Programme.objects.filter(consultation_id__in=consultation_ids).select_related(
            "consultation"
        )
        if rules.can_view_programme(user, p)
    }
    for contribution in published:
        chains[contribution.pk].programme = programmes.get(contribution.consultation_id)
    if not programmes:
        return chains
    measures = list(
        Measure.objects.filter(programme__in=list(programmes.values()), findings__isnull=False)
        .distinct()
        .select_related("programme")
        .annotate(latest_percent=_latest_percent())
        .prefetch_related(Prefetch("findings", queryset=findings_for_citation()))
    )
    cited = findings_resolve(findings=[f for m in measures for f in m.findings.all()])
    answering: dict[int, list[Measure]] = defaultdict(list)
    for measure in measures:
        for shown_pk in {cited[f.pk].shown.pk for f in measure.findings.all()}:
            answering[shown_pk].append(measure)
    for chain in chains.values():
        if chain.finding is None or chain.programme is None:
            continue
        chain.measures = [
            ChainMeasure(measure=m, percent=m.latest_percent)  # type: ignore[attr-defined]
            for m in sorted(
                answering.get(chain.finding.pk, []), key=lambda m: code_sort_key(m.code)
            )
            if m.programme_id == chain.programme.pk
        ]
    return chains


def contribution_chain(*, contribution: Contribution, user: Any) -> Chain:
    """What became of one contribution (``contribution_chains``)."""
    return contribution_chains(contributions=[contribution], user=user)[contribution.pk]
