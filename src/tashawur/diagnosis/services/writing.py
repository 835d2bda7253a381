"""Writing the diagnosis on the curated findings: its entries (each resting on findings of the
run the diagnosis shows or on published contributions), proposed entries, and publication as a
snapshot that later changes never alter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tashawur.consultations.models import Consultation
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.core.errors import DomainError
from tashawur.core.validation import user_text_clean
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    Diagnosis,
    DiagnosisDimension,
    DiagnosisEntry,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)

#: Longest statement of a diagnosis entry, per language.
STATEMENT_MAX_LENGTH = 1000
_ENTRY_DIMENSION_ORDER = {value: index for index, value in enumerate(DiagnosisDimension.values)}


def _writing_check_allowed(user: Any, consultation: Consultation) -> None:
    if not rules.can_write_diagnosis(user, consultation):
        raise DomainError(
            _("You are not allowed to write the diagnosis of this consultation."),
            code="diagnosis_not_allowed",
        )


def _diagnosis_lock(consultation: Consultation) -> Diagnosis:
    """The consultation's diagnosis, created on first write and locked: writes of one
    diagnosis are serialised."""
    Diagnosis.objects.get_or_create(consultation=consultation)
    return Diagnosis.objects.select_for_update().get(consultation=consultation)


def _current_run_lock(consultation: Consultation) -> int | None:
    """Lock the run the diagnosis page shows (curation locks it too, so that no finding is
    merged or rejected while an entry names it) and return its id, or ``None``."""
    current: int | None = (
        SynthesisRun.objects.filter(consultation=consultation)
        .shown_first()
        .values_list("pk", flat=True)
        .first()
    )
    if current is not None:
        list(SynthesisRun.objects.select_for_update().filter(pk=current).values_list("pk"))
    return current


def _numbers(ids: Sequence[int]) -> str:
    return ", #".join(str(i) for i in ids)


def _entry_fields_clean(
    *, dimension: str, statement_ar: str, statement_fr: str
) -> tuple[str, str, str]:
    if dimension not in DiagnosisDimension.values:
        raise DomainError(
            _("Choose potential, specificity, challenge or proposal."),
            code="entry_dimension_invalid",
            field="dimension",
        )
    ar = user_text_clean(statement_ar, field="statement_ar", max_length=STATEMENT_MAX_LENGTH)
    fr = user_text_clean(statement_fr, field="statement_fr", max_length=STATEMENT_MAX_LENGTH)
    if not ar and not fr:
        raise DomainError(
            _("Write the statement in Arabic or in French."),
            code="entry_statement_missing",
            field="statement_ar",
        )
    return dimension, ar, fr


def _findings_check(findings: Sequence[Finding], current_run_id: int | None) -> None:
    """Findings an entry may rest on: of the latest run, neither merged nor rejected."""
    old = [f.key for f in findings if f.run_id != current_run_id]
    if old:
        raise DomainError(
            ngettext(
                "Finding %(keys)s belongs to an earlier synthesis run; choose among the "
                "findings of the latest run.",
                "Findings %(keys)s belong to an earlier synthesis run; choose among the "
                "findings of the latest run.",
                len(old),
            )
            % {"keys": ", ".join(old)},
            code="entry_finding_superseded",
            field="findings",
        )
    hidden = [f.key for f in findings if not f.is_visible]
    if hidden:
        raise DomainError(
            ngettext(
                "Finding %(keys)s was merged or rejected: the diagnosis cannot rest on it.",
                "Findings %(keys)s were merged or rejected: the diagnosis cannot rest on them.",
                len(hidden),
            )
            % {"keys": ", ".join(hidden)},
            code="entry_finding_hidden",
            field="findings",
        )


def _contributions_check(contributions: Sequence[Contribution]) -> None:
    unpublished = [c.pk for c in contributions if c.moderation_status != ModerationStatus.PUBLISHED]
    if unpublished:
        raise DomainError(
            ngettext(
                "Contribution #%(numbers)s is not published: only published contributions "
                "can be cited.",
                "Contributions #%(numbers)s are not published: only published contributions "
                "can be cited.",
                len(unpublished),
            )
            % {"numbers": _numbers(unpublished)},
            code="entry_contribution_not_published",
            field="contributions",
        )


def _sources_get(
    *,
    consultation: Consultation,
    finding_ids: Sequence[int],
    contribution_ids: Sequence[int],
    current_run_id: int | None,
) -> tuple[list[Finding], list[Contribution]]:
    """The findings and contributions an entry names, checked: at least one, all of this
    consultation, findings of the latest run and shown, contributions published."""
    wanted_findings = sorted({int(i) for i in finding_ids})
    wanted_contributions = sorted({int(i) for i in contribution_ids})
    if not wanted_findings and not wanted_contributions:
        raise DomainError(
            _(
                "An entry of the diagnosis must name at least one source: a finding or a "
                "contribution."
            ),
            code="entry_no_source",
            field="findings",
        )
    findings = list(
        Finding.objects.filter(pk__in=wanted_findings, run__consultation=consultation).order_by(
            "position"
        )
    )
    strangers = sorted(set(wanted_findings) - {f.pk for f in findings})
    if strangers:
        raise DomainError(
            ngettext(
                "Finding #%(numbers)s is not a finding of this consultation.",
                "Findings #%(numbers)s are not findings of this consultation.",
                len(strangers),
            )
            % {"numbers": _numbers(strangers)},
            code="entry_finding_other_consultation",
            field="findings",
        )
    _findings_check(findings, current_run_id)
    contributions = list(
        Contribution.objects.filter(
            pk__in=wanted_contributions, consultation=consultation
        ).order_by("pk")
    )
    strangers = sorted(set(wanted_contributions) - {c.pk for c in contributions})
    if strangers:
        raise DomainError(
            ngettext(
                "Contribution #%(numbers)s is not a contribution of this consultation.",
                "Contributions #%(numbers)s are not contributions of this consultation.",
                len(strangers),
            )
            % {"numbers": _numbers(strangers)},
            code="entry_contribution_other_consultation",
            field="contributions",
        )
    _contributions_check(contributions)
    return findings, contributions


def _next_position(diagnosis: Diagnosis, dimension: str) -> int:
    last = (
        diagnosis.entries.filter(dimension=dimension)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return (last or 0) + 1


def _diagnosis_mark_changed(diagnosis: Diagnosis) -> None:
    """The entries now differ from what was published: a draft until the next publication."""
    diagnosis.status = Diagnosis.Status.DRAFT
    diagnosis.save(update_fields=["status", "updated_at"])


def _entry_lock(entry: DiagnosisEntry, diagnosis: Diagnosis) -> DiagnosisEntry:
    locked = DiagnosisEntry.objects.select_for_update().filter(pk=entry.pk, diagnosis=diagnosis)
    found = locked.first()
    if found is None:
        raise DomainError(
            _("This entry of the diagnosis no longer exists."), code="entry_not_found"
        )
    return found


@transaction.atomic
def diagnosis_entry_create(
    *,
    consultation: Consultation,
    user: Any,
    dimension: str,
    statement_ar: str = "",
    statement_fr: str = "",
    finding_ids: Sequence[int] = (),
    contribution_ids: Sequence[int] = (),
) -> DiagnosisEntry:
    """Add an entry at the end of its dimension. It must name at least one source."""
    _writing_check_allowed(user, consultation)
    dimension, ar, fr = _entry_fields_clean(
        dimension=dimension, statement_ar=statement_ar, statement_fr=statement_fr
    )
    diagnosis = _diagnosis_lock(consultation)
    findings, contributions = _sources_get(
        consultation=consultation,
        finding_ids=finding_ids,
        contribution_ids=contribution_ids,
        current_run_id=_current_run_lock(consultation),
    )
    entry = DiagnosisEntry.objects.create(
        diagnosis=diagnosis,
        dimension=dimension,
        position=_next_position(diagnosis, dimension),
        statement_ar=ar,
        statement_fr=fr,
    )
    entry.findings.set(findings)
    entry.contributions.set(contributions)
    _diagnosis_mark_changed(diagnosis)
    return entry


@transaction.atomic
def diagnosis_entry_update(
    *,
    entry: DiagnosisEntry,
    user: Any,
    dimension: str,
    statement_ar: str = "",
    statement_fr: str = "",
    finding_ids: Sequence[int] = (),
    contribution_ids: Sequence[int] = (),
) -> DiagnosisEntry:
    """Change an entry's dimension (it goes to the end of the new one), statements and
    sources; the same checks as ``diagnosis_entry_create``."""
    consultation = entry.diagnosis.consultation
    _writing_check_allowed(user, consultation)
    dimension, ar, fr = _entry_fields_clean(
        dimension=dimension, statement_ar=statement_ar, statement_fr=statement_fr
    )
    diagnosis = _diagnosis_lock(consultation)
    locked = _entry_lock(entry, diagnosis)
    findings, contributions = _sources_get(
        consultation=consultation,
        finding_ids=finding_ids,
        contribution_ids=contribution_ids,
        current_run_id=_current_run_lock(consultation),
    )
    if locked.dimension != dimension:
        locked.position = _next_position(diagnosis, dimension)
    locked.dimension = dimension
    locked.statement_ar = ar
    locked.statement_fr = fr
    locked.save()
    locked.findings.set(findings)
    locked.contributions.set(contributions)
    _diagnosis_mark_changed(diagnosis)
    return locked


@transaction.atomic
def diagnosis_entry_move(*, entry: DiagnosisEntry, user: Any, direction: str) -> DiagnosisEntry:
    """Move an entry one place up or down within its dimension; at either end it stays."""
    consultation = entry.diagnosis.consultation
    _writing_check_allowed(user, consultation)
    if direction not in ("up", "down"):
        raise DomainError(
            _("Choose to move the entry up or down."),
            code="entry_move_invalid",
            field="direction",
        )
    diagnosis = _diagnosis_lock(consultation)
    locked = _entry_lock(entry, diagnosis)
    siblings = list(diagnosis.entries.filter(dimension=locked.dimension).order_by("position", "pk"))
    index = next(k for k, e in enumerate(siblings) if e.pk == locked.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return locked
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    DiagnosisEntry.objects.bulk_update(siblings, ["position"])
    _diagnosis_mark_changed(diagnosis)
    return next(e for e in siblings if e.pk == locked.pk)


@transaction.atomic
def diagnosis_entry_delete(*, entry: DiagnosisEntry, user: Any) -> None:
    """Delete an entry; what was published keeps it until the next publication."""
    consultation = entry.diagnosis.consultation
    _writing_check_allowed(user, consultation)
    diagnosis = _diagnosis_lock(consultation)
    _entry_lock(entry, diagnosis).delete()
    _diagnosis_mark_changed(diagnosis)


def finding_has_title(finding: Finding) -> bool:
    """A title or label to propose an entry from, in either language."""
    return bool(
        finding.title_override_ar
        or finding.label_ar
        or finding.title_override_fr
        or finding.label_fr
    )


def finding_proposable(finding: Finding) -> bool:
    """Whether ``diagnosis_entries_propose`` writes an entry for this accepted finding no
    entry names: it must be of a dimension the diagnosis has and have a title to state. The
    editor counts with the same predicate, so that its count is what "propose" adds."""
    return (
        finding.status == Finding.Status.ACCEPTED
        and finding.dimension in DiagnosisDimension.values
        and finding_has_title(finding)
    )


@transaction.atomic
def diagnosis_entries_propose(*, consultation: Consultation, user: Any) -> list[DiagnosisEntry]:
    """One draft entry per accepted finding of the latest run that no entry names yet, its
    statement the finding's own title or label (nothing written for it), in the finding's
    dimension. Findings of a dimension the diagnosis does not have (questions, coordination)
    and findings without a label are left to the analyst. Returns the new entries."""
    _writing_check_allowed(user, consultation)
    diagnosis = _diagnosis_lock(consultation)
    current = _current_run_lock(consultation)
    if current is None:
        raise DomainError(
            _(
                "No synthesis has run for this consultation yet: there are no findings to "
                "write from."
            ),
            code="diagnosis_no_run",
        )
    used = DiagnosisEntry.findings.through.objects.filter(
        diagnosisentry__diagnosis=diagnosis
    ).values_list("finding_id", flat=True)
    accepted = (
        Finding.objects.filter(run_id=current, status=Finding.Status.ACCEPTED)
        .exclude(pk__in=used)
        .order_by("position")
    )
    created: list[DiagnosisEntry] = []
    positions: dict[str, int] = {}
    for finding in accepted:
        if not finding_proposable(finding):
            continue
        ar = finding.title_override_ar or finding.label_ar
        fr = finding.title_override_fr or finding.label_fr
        if finding.dimension not in positions:
            positions[finding.dimension] = _next_position(diagnosis, finding.dimension)
        entry = DiagnosisEntry.objects.create(
            diagnosis=diagnosis,
            dimension=finding.dimension,
            position=positions[finding.dimension],
            statement_ar=ar,
            statement_fr=fr,
        )
        positions[finding.dimension] += 1
        entry.findings.add(finding)
        created.append(entry)
    if created:
        _diagnosis_mark_changed(diagnosis)
    return created


def _entry_label(entry: DiagnosisEntry) -> str:
    return Truncator(entry.statement).chars(60)


def _contribution_snapshot(contribution: Contribution) -> dict[str, Any]:
    return {
        "id": contribution.pk,
        "workshop": contribution.workshop_id,
        "language": contribution.language,
        "text": contribution.text,
        "translation_fr": contribution.translation_fr,
    }


@transaction.atomic
def diagnosis_publish(*, consultation: Consultation, user: Any) -> DiagnosisPublication:
    """Publish the diagnosis as it is now: a new version whose snapshot copies every entry
    with its sources' keys, labels and quotes, word for word. Readers read that snapshot, so
    later curation, runs or edits never change what was published.

    Refused, with nothing stored, when there is no entry, or when an entry names no source or
    rests on a source that can no longer be cited (a finding merged, rejected or of an
    earlier run; a contribution no longer published).
    """
    _writing_check_allowed(user, consultation)
    diagnosis = _diagnosis_lock(consultation)
    current = _current_run_lock(consultation)
    entries = sorted(
        diagnosis.entries.prefetch_related("findings", "contributions"),
        key=lambda e: (_ENTRY_DIMENSION_ORDER[e.dimension], e.position, e.pk),
    )
    if not entries:
        raise DomainError(
            _("Write at least one entry before publishing the diagnosis."),
            code="diagnosis_empty",
        )
    for entry in entries:
        findings = list(entry.findings.all())
        contributions = list(entry.contributions.all())
        if not findings and not contributions:
            raise DomainError(
                _(
                    "The entry “%(statement)s” names no source: give it a finding or a "
                    "contribution, or delete it."
                )
                % {"statement": _entry_label(entry)},
                code="entry_no_source",
            )
        try:
            _findings_check(findings, current)
            _contributions_check(contributions)
        except DomainError as error:
            raise DomainError(
                _("The entry “%(statement)s” cannot be published: %(reason)s Edit it first.")
                % {"statement": _entry_label(entry), "reason": error.message},
                code=error.code,
            ) from error
    finding_ids = {f.pk for e in entries for f in e.findings.all()}
    quotes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    # A run's quotes stay as they were chosen; one moderation has rejected since is not
    # copied again (readers would not see it, and writers could not clear its flag).
    for citation in (
        FindingContribution.objects.filter(
            finding_id__in=finding_ids,
            is_representative=True,
            contribution__in=Contribution.objects.published(),
        )
        .select_related("contribution")
        .order_by("finding_id", "rank")
    ):
        quotes[citation.finding_id].append(_contribution_snapshot(citation.contribution))
    snapshot = {
        "entries": [
            {
                "dimension": entry.dimension,
                "position": position,
                "statement_ar": entry.statement_ar,
                "statement_fr": entry.statement_fr,
                "findings": [
                    {
                        "id": f.pk,
                        "key": f.key,
                        "run": f.run_id,
                        "label_ar": f.title_override_ar or f.label_ar,
                        "label_fr": f.title_override_fr or f.label_fr,
                        "size": f.size,
                        "quotes": quotes[f.pk],
                    }
                    for f in sorted(entry.findings.all(), key=lambda f: f.position)
                ],
                "contributions": [
                    _contribution_snapshot(c)
                    for c in sorted(entry.contributions.all(), key=lambda c: c.pk)
                ],
            }
            for position, entry in enumerate(entries, start=1)
        ]
    }
    now = timezone.now()
    publisher = user if getattr(user, "is_authenticated", False) else None
    diagnosis.version += 1
    diagnosis.status = Diagnosis.Status.PUBLISHED
    diagnosis.published_at = now
    diagnosis.published_by = publisher
    diagnosis.save(
        update_fields=["version", "status", "published_at", "published_by", "updated_at"]
    )
    return DiagnosisPublication.objects.create(
        diagnosis=diagnosis,
        version=diagnosis.version,
        published_at=now,
        published_by=publisher,
        snapshot=snapshot,
    )
