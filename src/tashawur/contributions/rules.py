"""Who may contribute, vote, record for others and moderate: ``(user, workshop) -> bool``.

Signed-in users with a linked participant contribute and vote while a workshop is open; the
workshop's facilitator and rapporteur record what others say; its facilitator and the
consultation's managers moderate. Scope comes from ``consultations.rules``.
"""

from __future__ import annotations

from typing import Any

from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Workshop


def _linked_participant(user: Any) -> Any:
    if not consultation_rules.is_signed_in(user):
        return None
    participant = getattr(user, "participant", None)
    if participant is None or participant.erased_at is not None:
        return None
    return participant


def can_contribute(user: Any, workshop: Workshop) -> bool:
    return (
        workshop.status == Workshop.Status.OPEN
        and _linked_participant(user) is not None
        and consultation_rules.can_view_workshop(user, workshop)
    )


def can_vote(user: Any, workshop: Workshop) -> bool:
    return can_contribute(user, workshop)


def can_record_for_others(user: Any, workshop: Workshop) -> bool:
    """The workshop's facilitator and rapporteur capture what others say (channel facilitator)."""
    return workshop.status == Workshop.Status.OPEN and consultation_rules.is_workshop_staff(
        user, workshop
    )


def can_capture(user: Any, workshop: Workshop) -> bool:
    """Who opens the round table's offline capture page (``/capture/w/<pk>/``): its staff,
    who record for the room, and participants who may read it, open or not (the page says
    when it is closed; the API refuses what is sent then)."""
    return consultation_rules.is_workshop_staff(user, workshop) or (
        _linked_participant(user) is not None
        and consultation_rules.can_view_workshop(user, workshop)
    )


def can_import_notes(user: Any, workshop: Workshop) -> bool:
    """Who may import the round table's notes from a file, whatever its state (a closed one
    refuses the file): its facilitator, its rapporteur and those who manage its consultation."""
    return consultation_rules.closes_workshop(user, workshop)


def can_moderate(user: Any, workshop: Workshop) -> bool:
    return consultation_rules.manages_workshop(user, workshop) or (
        consultation_rules.is_signed_in(user) and user.pk == workshop.facilitator_id
    )


def can_moderate_consultation(
    user: Any, consultation: Consultation, *, facilitates: bool | None = None
) -> bool:
    """Who may open the consultation's moderation queue: its managers (every item) and the
    facilitators of its workshops (their own workshops' items only: ``can_moderate``).
    ``facilitates``: whether ``user`` facilitates one of them, when the caller counted it."""
    if consultation_rules.can_manage_consultation(user, consultation):
        return True
    if not consultation_rules.is_signed_in(user):
        return False
    if facilitates is not None:
        return facilitates
    return Workshop.objects.filter(meeting__consultation=consultation, facilitator=user).exists()


def can_moderate_contribution(user: Any, contribution: Any) -> bool:
    """A contribution outside any workshop (an import) is moderated by the consultation's
    managers only."""
    if contribution.workshop is None:
        return consultation_rules.can_manage_consultation(user, contribution.consultation)
    return can_moderate(user, contribution.workshop)


def can_flag(user: Any, workshop: Workshop) -> bool:
    """Signed-in participants report published contributions of workshops they may read,
    open or closed."""
    return _linked_participant(user) is not None and consultation_rules.can_view_workshop(
        user, workshop
    )


def can_transcribe(user: Any, workshop: Workshop) -> bool:
    """The round table's rapporteur and facilitator and the consultation's managers write down
    its voice notes, open or closed (a note recorded at the table may be written up after)."""
    return consultation_rules.is_workshop_staff(user, workshop) or (
        consultation_rules.manages_workshop(user, workshop)
    )


def can_hear_voice_note(user: Any, contribution: Any) -> bool:
    """A voice note is personal data: its author hears it, and those who transcribe for its
    round table; nobody else (the public never)."""
    if not consultation_rules.is_signed_in(user):
        return False
    workshop = contribution.workshop
    if workshop is not None and can_transcribe(user, workshop):
        return True
    if workshop is None and consultation_rules.can_manage_consultation(
        user, contribution.consultation
    ):
        return True
    participant = _linked_participant(user)
    return participant is not None and contribution.author_id == participant.pk
