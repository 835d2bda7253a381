"""Registration to a meeting and attendance at its round tables."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tashawur.actors.models import Participant
from tashawur.consultations.models import Attendance, Meeting, Registration, Workshop
from tashawur.consultations.services.workshops import workshop_status_locked
from tashawur.core.errors import DomainError
from tashawur.core.models import User

# --- registration and attendance -------------------------------------------------------------


def _participant_check_not_erased(participant: Participant) -> None:
    if participant.erased_at is not None:
        raise DomainError(_("This participant's data has been erased."), code="participant_erased")


@transaction.atomic
def meeting_register(*, meeting: Meeting, participant: Participant) -> Registration:
    """Register a participant to a meeting: one registration each; a cancelled one comes back.

    The meeting row is locked so that two last registrations cannot both take the last seat.
    """
    _participant_check_not_erased(participant)
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status == Meeting.Status.CLOSED:
        raise DomainError(_("This meeting is over: registration is closed."), code="meeting_closed")
    registration = Registration.objects.filter(meeting=locked, participant=participant).first()
    if registration is not None and registration.status == Registration.Status.REGISTERED:
        return registration
    if locked.capacity is not None:
        taken = Registration.objects.filter(
            meeting=locked, status=Registration.Status.REGISTERED
        ).count()
        if taken >= locked.capacity:
            raise DomainError(
                ngettext(
                    "This meeting is full (%(capacity)s place).",
                    "This meeting is full (%(capacity)s places).",
                    locked.capacity,
                )
                % {"capacity": locked.capacity},
                code="meeting_full",
            )
    if registration is not None:
        registration.status = Registration.Status.REGISTERED
        registration.save(update_fields=["status", "updated_at"])
        return registration
    try:
        with transaction.atomic():
            return Registration.objects.create(meeting=locked, participant=participant)
    except IntegrityError:
        # Registered a moment ago by another request (the constraint holds the line).
        return Registration.objects.get(meeting=locked, participant=participant)


@transaction.atomic
def registration_cancel(*, registration: Registration) -> Registration:
    """Cancel a registration; the row stays, so registering again reactivates it."""
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    return registration


@transaction.atomic
def attendance_record(
    *, workshop: Workshop, participant: Participant, recorded_by: User | None = None
) -> Attendance:
    """Put a participant on a workshop's roster (once); a walk-in is registered to the meeting."""
    _participant_check_not_erased(participant)
    status = workshop_status_locked(workshop_id=workshop.pk)
    if status == Workshop.Status.CLOSED:
        raise DomainError(
            _("This workshop is closed: its roster can no longer change."),
            code="workshop_closed",
        )
    meeting_register(meeting=workshop.meeting, participant=participant)
    existing = Attendance.objects.filter(workshop=workshop, participant=participant).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Attendance.objects.create(
                workshop=workshop, participant=participant, recorded_by=recorded_by
            )
    except IntegrityError:
        return Attendance.objects.get(workshop=workshop, participant=participant)
