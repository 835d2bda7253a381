"""Who may do what with a consultation and its workshops: one small predicate per action,
``(user, workshop) -> bool``. The rules of higher layers live with their apps
(``contributions.rules``, ``diagnosis.rules``, ``programmes.rules``) and build on these.

Scope comes from assignments, not from the role alone: a regional coordinator acts on the
consultations they coordinate, an analyst on those they are assigned to, a facilitator and a
rapporteur on their own workshops; the national coordinator on all.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tashawur.consultations.models import Consultation, Meeting, Workshop
from tashawur.core.roles import Role


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_national_coordinator(user: Any) -> bool:
    return is_signed_in(user) and (user.is_superuser or user.role == Role.NATIONAL_COORDINATOR)


def is_consultation_coordinator(user: Any, consultation: Consultation) -> bool:
    if not is_signed_in(user) or user.role != Role.REGIONAL_COORDINATOR:
        return False
    return consultation.coordinators.filter(pk=user.pk).exists()


def is_workshop_staff(user: Any, workshop: Workshop) -> bool:
    return is_signed_in(user) and user.pk in {workshop.facilitator_id, workshop.rapporteur_id}


def can_manage_consultation(user: Any, consultation: Consultation) -> bool:
    return is_national_coordinator(user) or is_consultation_coordinator(user, consultation)


def manages_workshop(user: Any, workshop: Workshop) -> bool:
    return can_manage_consultation(user, workshop.meeting.consultation)


def can_view_workshop(user: Any, workshop: Workshop) -> bool:
    """Workshops are public once their consultation is; drafts only for those who manage it."""
    if workshop.meeting.consultation.status != Consultation.Status.DRAFT:
        return True
    return manages_workshop(user, workshop) or is_workshop_staff(user, workshop)


def opens_workshop(user: Any, workshop: Workshop) -> bool:
    """Whose job it is to open the workshop, whatever its state: its facilitator and those
    who manage its consultation (a page tells them why a closed one cannot open again)."""
    return manages_workshop(user, workshop) or (
        is_signed_in(user) and user.pk == workshop.facilitator_id
    )


def closes_workshop(user: Any, workshop: Workshop) -> bool:
    """Whose job it is to close the workshop, whatever its state: its facilitator, its
    rapporteur and those who manage its consultation."""
    return manages_workshop(user, workshop) or is_workshop_staff(user, workshop)


def can_open_workshop(user: Any, workshop: Workshop) -> bool:
    return workshop.status == Workshop.Status.PLANNED and opens_workshop(user, workshop)


def can_close_workshop(user: Any, workshop: Workshop) -> bool:
    return workshop.status == Workshop.Status.OPEN and closes_workshop(user, workshop)


def is_consultation_analyst(user: Any, consultation: Consultation) -> bool:
    """An analyst assigned to the consultation (its ``analysts``); the role alone is no scope."""
    if not is_signed_in(user) or user.role != Role.ANALYST:
        return False
    return consultation.analysts.filter(pk=user.pk).exists()


#: The roles whose people have a staff workspace (``/manage/``); the national coordinator too.
WORKSPACE_ROLES = frozenset(
    {Role.REGIONAL_COORDINATOR, Role.FACILITATOR, Role.RAPPORTEUR, Role.ANALYST}
)


def can_use_workspace(user: Any) -> bool:
    """Staff only: a participant has no workspace (the page answers 403)."""
    return is_national_coordinator(user) or (is_signed_in(user) and user.role in WORKSPACE_ROLES)


def can_create_consultation(user: Any) -> bool:
    """A consultation belongs to a strategy and a region: the national coordinator opens it and
    names its regional coordinators, who then run it."""
    return is_national_coordinator(user)


def is_meeting_staff(user: Any, meeting: Meeting) -> bool:
    """Those who run the meeting's day: its consultation's coordinators, the national
    coordinator, and the facilitators and rapporteurs of its round tables. They check people in
    at the door and read the attendance sheet (names included: a staff document)."""
    if can_manage_consultation(user, meeting.consultation):
        return True
    return (
        is_signed_in(user)
        and meeting.workshops.filter(Q(facilitator=user) | Q(rapporteur=user)).exists()
    )


# --- device tokens for the write API (core.tokens) -------------------------------------------


def can_issue_device_tokens(user: Any) -> bool:
    """Who makes device tokens for others (``/manage/tokens/``): the national coordinator, for
    any staff; a regional coordinator, for the round tables' staff of their consultations."""
    return is_national_coordinator(user) or (
        is_signed_in(user) and user.role == Role.REGIONAL_COORDINATOR
    )


def can_issue_device_token_for(user: Any, holder: Any) -> bool:
    """Whether ``user`` may make (or revoke) a device token that acts for ``holder``."""
    if not can_issue_device_tokens(user) or holder is None or not holder.is_active:
        return False
    if is_national_coordinator(user):
        return bool(
            holder.is_superuser or holder.role in WORKSPACE_ROLES | {Role.NATIONAL_COORDINATOR}
        )
    return Workshop.objects.filter(
        Q(facilitator=holder) | Q(rapporteur=holder), meeting__consultation__coordinators=user
    ).exists()
