"""What the pages of the written diagnosis show: the writers' editor (entries by dimension, the
findings they may cite, what publishing would refuse) and the published diagnosis as its
snapshot stands, assembled from the selectors' data for the views.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

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
from tashawur.diagnosis.pages import CarryOverItem, carry_over_items
from tashawur.diagnosis.selectors import (
    FINDINGS_HIDDEN,
    diagnosis_consultation_for_writing,
    diagnosis_publication_latest,
    publication_withdrawn_ids,
)
from tashawur.diagnosis.services.writing import finding_has_title, finding_proposable


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
    # Accepted findings no entry names that "propose" leaves aside: they have no title yet.
    accepted_untitled: list[Finding] = field(default_factory=list)
    # Entries resting on a source that can no longer be cited: publishing refuses them.
    stale_entry_ids: set[int] = field(default_factory=set)
    publication: DiagnosisPublication | None = None
    # Of ``publication``: how many contributions it quotes or cites moderation has withdrawn
    # since, and the statements left with no source standing (to revise and publish again).
    withdrawn_count: int = 0
    withdrawn_entries: list[PublishedEntry] = field(default_factory=list)
    # What the last run could not carry over of the curation before it, to decide.
    carry_over: list[CarryOverItem] = field(default_factory=list)

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
        editor.carry_over = carry_over_items(run)
    entries = (
        list(
            diagnosis.entries.prefetch_related("findings", "contributions").order_by(
                "position", "pk"
            )
        )
        if diagnosis is not None
        else []
    )
    editor.used_finding_ids = {f.pk for e in entries for f in e.findings.all()}
    editor.stale_entry_ids = {
        e.pk
        for e in entries
        if any(f.run_id != getattr(run, "pk", None) or not f.is_visible for f in e.findings.all())
        or any(c.moderation_status != ModerationStatus.PUBLISHED for c in e.contributions.all())
    }
    waiting = [
        f
        for f in editor.findings
        if f.status == Finding.Status.ACCEPTED
        and f.pk not in editor.used_finding_ids
        and f.dimension in DiagnosisDimension.values
    ]
    # The same predicate as "propose": the count is what it adds.
    editor.accepted_unused = sum(1 for f in waiting if finding_proposable(f))
    editor.accepted_untitled = [f for f in waiting if not finding_has_title(f)]
    if diagnosis is None:
        return editor
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


def _same_words(a: str, b: str) -> bool:
    return bool(a) and " ".join(a.split()) == " ".join(b.split())


@dataclass(frozen=True)
class Statement:
    """A statement in the reader's language, with the language it is written in (its
    direction follows: Arabic right to left, French left to right). ``pending``: the reader's
    language has no version of it yet, so the other one shows, marked as awaiting its
    translation (never a second text that might say something else)."""

    text: str
    lang: str
    pending: bool = False

    @property
    def dir(self) -> str:
        return "rtl" if self.lang == "ar" else "ltr"


def statement_in_reader_language(*, ar: str, fr: str) -> Statement:
    """The statement ``ar``/``fr`` in the active language, else the other one, marked
    pending (``Statement``)."""
    lang = (get_language() or "ar").split("-")[0]
    if lang == "fr" and fr:
        return Statement(text=fr, lang="fr")
    if lang == "ar" and ar:
        return Statement(text=ar, lang="ar")
    if ar:
        return Statement(text=ar, lang="ar", pending=lang == "fr")
    return Statement(text=fr, lang="fr", pending=lang == "ar")


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
    #: Its words are the statement's own (an analyst titled the finding with this quote): the
    #: page names it without printing them a second time.
    is_statement: bool = False


@dataclass(frozen=True)
class PublishedFinding:
    id: int
    key: str
    label: str
    quotes: list[PublishedSource]
    #: Its title is the statement's words: the link names it by its key only.
    label_is_statement: bool = False

    @property
    def withdrawn(self) -> bool:
        """Every quote the publication shows for it was withdrawn (none: it stands)."""
        return bool(self.quotes) and all(q.withdrawn for q in self.quotes)


@dataclass(frozen=True)
class PublishedEntry:
    statement: str
    findings: list[PublishedFinding]
    contributions: list[PublishedSource]
    #: The statement as the reader reads it: its language, direction and whether the
    #: reader's language awaits its translation.
    shown: Statement | None = None

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


def _published_source(
    data: dict[str, Any], withdrawn: set[int], statements: tuple[str, ...] = ()
) -> PublishedSource:
    text = str(data["text"])
    translation_fr = str(data.get("translation_fr") or "")
    return PublishedSource(
        id=int(data["id"]),
        workshop_id=data.get("workshop"),
        language=str(data.get("language") or ""),
        text=text,
        translation_fr=translation_fr,
        withdrawn=int(data["id"]) in withdrawn,
        is_statement=any(
            _same_words(text, s) or _same_words(translation_fr, s) for s in statements
        ),
    )


def _published_entry(entry: dict[str, Any], withdrawn: set[int]) -> PublishedEntry:
    ar, fr = str(entry.get("statement_ar") or ""), str(entry.get("statement_fr") or "")
    statements = (ar, fr)
    return PublishedEntry(
        statement=pick_label(ar=ar, fr=fr),
        shown=statement_in_reader_language(ar=ar, fr=fr),
        findings=[
            PublishedFinding(
                id=int(f["id"]),
                key=str(f["key"]),
                label=pick_label(ar=f["label_ar"], fr=f["label_fr"]) or str(f["key"]),
                quotes=[_published_source(q, withdrawn, statements) for q in f.get("quotes", [])],
                label_is_statement=any(
                    _same_words(str(f.get(name) or ""), s)
                    for name in ("label_ar", "label_fr")
                    for s in statements
                ),
            )
            for f in entry["findings"]
        ],
        contributions=[_published_source(c, withdrawn, statements) for c in entry["contributions"]],
    )


def _published_entries(
    snapshot: dict[str, Any], withdrawn: set[int]
) -> list[tuple[str, PublishedEntry]]:
    """The snapshot's entries with their dimension, as read now: withdrawn sources marked."""
    return [
        (entry["dimension"], _published_entry(entry, withdrawn))
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
