"""What the pages of the written diagnosis show: the writers' editor (entries by dimension, the
findings they may cite, what publishing would refuse) and the published diagnosis as its
snapshot stands, assembled from the selectors' data for the views.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tashawur.consultations.models import Consultation
from tashawur.consultations.selectors import consultation_get_for_user
from tashawur.contributions.models import ModerationStatus
from tashawur.core.i18n import pick_label
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    Diagnosis,
    DiagnosisDimension,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    SynthesisRun,
)
from tashawur.diagnosis.selectors import (
    FINDINGS_HIDDEN,
    diagnosis_consultation_for_writing,
    diagnosis_publication_latest,
    publication_withdrawn_ids,
)


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
    diagnosis: Diagnosis | None
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


def diagnosis_editor_page(*, slug: str, user: Any) -> DiagnosisEditor:
    """The writers' view of the diagnosis, drafts included. Raises ``Http404`` or
    ``PermissionDenied`` for those who may not write it."""
    consultation = diagnosis_consultation_for_writing(slug=slug, user=user)
    run = SynthesisRun.objects.current_for(consultation)
    diagnosis = Diagnosis.objects.filter(consultation=consultation).first()
    editor = DiagnosisEditor(consultation=consultation, diagnosis=diagnosis, run=run)
    if run is not None:
        editor.findings = list(
            run.findings.exclude(status__in=FINDINGS_HIDDEN).order_by("position")
        )
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
        withdrawn = publication_withdrawn_ids(snapshot)
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


def diagnosis_publication_page(*, slug: str, user: Any) -> PublishedDiagnosis:
    """The latest publication of the consultation's diagnosis, read from its snapshot: what
    was published stays as it was, except the words of a contribution that moderation has
    withdrawn since, which the page no longer shows (the snapshot keeps them). Anyone who may
    see the consultation reads it."""
    consultation = consultation_get_for_user(slug=slug, user=user)
    publication = diagnosis_publication_latest(consultation)
    page = PublishedDiagnosis(
        consultation=consultation,
        publication=publication,
        may_write=rules.can_write_diagnosis(user, consultation),
    )
    if publication is None:
        return page
    by_dimension: dict[str, list[PublishedEntry]] = defaultdict(list)
    withdrawn = publication_withdrawn_ids(publication.snapshot)
    for dimension, entry in _published_entries(publication.snapshot, withdrawn):
        by_dimension[dimension].append(entry)
    page.sections = [
        PublishedSection(dimension=value, label=str(label), entries=by_dimension[value])
        for value, label in DiagnosisDimension.choices
        if by_dimension.get(value)
    ]
    return page
