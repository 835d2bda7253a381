"""Who may do what with a workshop: one small predicate per action, ``(user, workshop) -> bool``.

Scope comes from assignments, not from the role alone: a regional coordinator acts on the
consultations they coordinate, an analyst on those they are assigned to, a facilitator and a
rapporteur on their own workshops; the national coordinator on all. Signed-in users with a
linked participant contribute and vote while a workshop is open.
"""

from __future__ import annotations

from typing import Any

from tashawur.consultations.models import Consultation, Workshop
from tashawur.core.roles import Role


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_national_coordinator(user: Any) -> bool:
    return _signed_in(user) and (user.is_superuser or user.role == Role.NATIONAL_COORDINATOR)


def is_consultation_coordinator(user: Any, consultation: Consultation) -> bool:
    if not _signed_in(user) or user.role != Role.REGIONAL_COORDINATOR:
        return False
    return consultation.coordinators.filter(pk=user.pk).exists()


def _is_workshop_staff(user: Any, workshop: Workshop) -> bool:
    return _signed_in(user) and user.pk in {workshop.facilitator_id, workshop.rapporteur_id}


def _linked_participant(user: Any) -> Any:
    if not _signed_in(user):
        return None
    participant = getattr(user, "participant", None)
    if participant is None or participant.erased_at is not None:
        return None
    return participant


def can_manage_consultation(user: Any, consultation: Consultation) -> bool:
    return is_national_coordinator(user) or is_consultation_coordinator(user, consultation)


def _manages(user: Any, workshop: Workshop) -> bool:
    return can_manage_consultation(user, workshop.meeting.consultation)


def can_view_workshop(user: Any, workshop: Workshop) -> bool:
    """Workshops are public once their consultation is; drafts only for those who manage it."""
    if workshop.meeting.consultation.status != Consultation.Status.DRAFT:
        return True
    return _manages(user, workshop) or _is_workshop_staff(user, workshop)


def can_contribute(user: Any, workshop: Workshop) -> bool:
    return (
        workshop.status == Workshop.Status.OPEN
        and _linked_participant(user) is not None
        and can_view_workshop(user, workshop)
    )


def can_vote(user: Any, workshop: Workshop) -> bool:
    return can_contribute(user, workshop)


def can_record_for_others(user: Any, workshop: Workshop) -> bool:
    """The workshop's facilitator and rapporteur capture what others say (channel facilitator)."""
    return workshop.status == Workshop.Status.OPEN and _is_workshop_staff(user, workshop)


def can_open_workshop(user: Any, workshop: Workshop) -> bool:
    return workshop.status == Workshop.Status.PLANNED and (
        _manages(user, workshop) or (_signed_in(user) and user.pk == workshop.facilitator_id)
    )


def can_close_workshop(user: Any, workshop: Workshop) -> bool:
    return workshop.status == Workshop.Status.OPEN and (
        _manages(user, workshop) or _is_workshop_staff(user, workshop)
    )


def can_moderate(user: Any, workshop: Workshop) -> bool:
    return _manages(user, workshop) or (_signed_in(user) and user.pk == workshop.facilitator_id)


def can_run_synthesis(user: Any, workshop: Workshop) -> bool:
    return can_run_consultation_synthesis(user, workshop.meeting.consultation)


def is_consultation_analyst(user: Any, consultation: Consultation) -> bool:
    """An analyst assigned to the consultation (its ``analysts``); the role alone is no scope."""
    if not _signed_in(user) or user.role != Role.ANALYST:
        return False
    return consultation.analysts.filter(pk=user.pk).exists()


def can_run_consultation_synthesis(user: Any, consultation: Consultation) -> bool:
    """The national coordinator, the consultation's regional coordinators and its analysts."""
    return can_manage_consultation(user, consultation) or is_consultation_analyst(
        user, consultation
    )


def can_curate_findings(user: Any, consultation: Consultation) -> bool:
    """Curating findings (rename, accept, reject, merge, split) is part of running the
    synthesis: the same people may do it."""
    return can_run_consultation_synthesis(user, consultation)


def can_write_diagnosis(user: Any, consultation: Consultation) -> bool:
    """Writing and publishing the diagnosis rests on the curated findings: those who curate
    them write it. Its publications are read by whoever may see the consultation."""
    return can_curate_findings(user, consultation)
