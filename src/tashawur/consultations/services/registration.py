"""Registration to a meeting and attendance at its round tables."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.actors.models import ActorType, Consent, Organisation, Participant
from tashawur.actors.services import consent_record
from tashawur.consultations.models import (
    BADGE_CODE_ALPHABET,
    Attendance,
    Meeting,
    Registration,
    Workshop,
)
from tashawur.consultations.services.workshops import workshop_status_locked
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import user_text_clean
from tashawur.territories.models import Territory

# --- registration and attendance -------------------------------------------------------------

_NAME_MAX = 200
# What people put between the groups of a typed code, and what they misread on a badge.
_CODE_SEPARATORS = re.compile(r"[\s\-_.]+")
_CODE_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _participant_check_not_erased(participant: Participant) -> None:
    if participant.erased_at is not None:
        raise DomainError(_("This participant's data has been erased."), code="participant_erased")


def _meeting_locked_open(meeting: Meeting) -> Meeting:
    """The meeting's row, locked (registrations are counted under this lock), if not over."""
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status == Meeting.Status.CLOSED:
        raise DomainError(_("This meeting is over: registration is closed."), code="meeting_closed")
    return locked


def _seats_taken(meeting: Meeting) -> int:
    """Seats counted against the capacity: registrations made beforehand (walk-ins are already
    in the room and are not turned away)."""
    return Registration.objects.filter(
        meeting=meeting, status=Registration.Status.REGISTERED, walk_in=False
    ).count()


def _register(*, meeting: Meeting, participant: Participant, in_room: bool) -> Registration:
    _participant_check_not_erased(participant)
    locked = _meeting_locked_open(meeting)
    registration = (
        Registration.objects.select_for_update()
        .filter(meeting=locked, participant=participant)
        .first()
    )
    if registration is not None and registration.status == Registration.Status.REGISTERED:
        return registration
    if (
        registration is not None
        and registration.status == Registration.Status.WAITLISTED
        and not in_room
    ):
        return registration
    full = locked.capacity is not None and _seats_taken(locked) >= locked.capacity
    status = (
        Registration.Status.WAITLISTED if full and not in_room else Registration.Status.REGISTERED
    )
    if registration is not None:
        registration.status = status
        registration.status_since = timezone.now()  # a person who comes back queues again
        registration.save(update_fields=["status", "status_since", "updated_at"])
        return registration
    try:
        with transaction.atomic():
            return Registration.objects.create(
                meeting=locked, participant=participant, status=status
            )
    except IntegrityError:
        # Registered a moment ago by another request (the constraint holds the line).
        return Registration.objects.get(meeting=locked, participant=participant)


@transaction.atomic
def meeting_register(*, meeting: Meeting, participant: Participant) -> Registration:
    """Register a participant to a meeting: one registration each; a cancelled one comes back.

    Beyond the meeting's capacity the registration waits (``WAITLISTED``), in the order people
    came; registering again while registered or waiting changes nothing. The meeting row is
    locked so that two last registrations cannot both take the last seat.
    """
    return _register(meeting=meeting, participant=participant, in_room=False)


@transaction.atomic
def registration_cancel(*, registration: Registration) -> Registration:
    """Cancel a registration; the row stays, so registering again reactivates it. The seat
    goes to the first person on the waiting list."""
    locked_meeting = Meeting.objects.select_for_update().get(pk=registration.meeting_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    if registration.checked_in_at is not None:
        raise DomainError(
            _("This person has already been checked in: the registration cannot be cancelled."),
            code="registration_checked_in",
        )
    registration.status = Registration.Status.CANCELLED
    registration.status_since = timezone.now()
    registration.save(update_fields=["status", "status_since", "updated_at"])
    _waitlist_promote(locked_meeting)
    return registration


def waitlist_ordered(meeting: Meeting) -> list[Registration]:
    return list(
        Registration.objects.filter(
            meeting=meeting, status=Registration.Status.WAITLISTED
        ).order_by("status_since", "pk")
    )


def _waitlist_promote(meeting: Meeting) -> None:
    """Give the free seats (the meeting row is locked) to the first people waiting."""
    free = None if meeting.capacity is None else meeting.capacity - _seats_taken(meeting)
    for waiting in waitlist_ordered(meeting):
        if free is not None and free <= 0:
            break
        waiting.status = Registration.Status.REGISTERED
        waiting.status_since = timezone.now()
        waiting.save(update_fields=["status", "status_since", "updated_at"])
        if free is not None:
            free -= 1


# --- check-in --------------------------------------------------------------------------------


def badge_code_normalise(raw: str) -> str:
    """A typed or scanned badge code as stored: capitals, without spaces or dashes, with the
    letters people mistake for digits (O, I, L) read as the digits (Crockford's rule)."""
    return _CODE_SEPARATORS.sub("", raw).upper().translate(_CODE_MISREAD)


def badge_code_grouped(code: str) -> str:
    """The code as printed on the badge, in groups of four: ``7K2M-9QXD``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    #: When the person had already been checked in (this check-in changed nothing), else None.
    already_at: dt.datetime | None


def _unknown_code() -> DomainError:
    return DomainError(
        _("No registration for this meeting has this badge code: check it and try again."),
        code="badge_unknown",
        field="code",
    )


@transaction.atomic
def registration_check_in(
    *,
    meeting: Meeting,
    code: str | None = None,
    registration: Registration | None = None,
    by: User,
) -> CheckIn:
    """Check a registered person in at the door, by their badge code (typed or scanned) or by
    their registration (found by name). Twice is harmless: the first time is kept."""
    if registration is not None:
        if registration.meeting_id != meeting.pk:
            raise _unknown_code()
        found = Registration.objects.select_for_update().filter(pk=registration.pk).first()
    else:
        normalised = badge_code_normalise(code or "")
        if not normalised or any(ch not in BADGE_CODE_ALPHABET for ch in normalised):
            raise _unknown_code()
        found = (
            Registration.objects.select_for_update()
            .filter(meeting=meeting, code=normalised)
            .first()
        )
    if found is None:
        raise _unknown_code()
    if found.participant.erased_at is not None:
        raise DomainError(_("This participant's data has been erased."), code="participant_erased")
    if found.status == Registration.Status.WAITLISTED:
        raise DomainError(
            _("This person is on the waiting list, not registered: they have no seat yet."),
            code="registration_waitlisted",
        )
    if found.status == Registration.Status.CANCELLED:
        raise DomainError(
            _("This registration was cancelled: register the person again first."),
            code="registration_cancelled",
        )
    if found.checked_in_at is not None:
        return CheckIn(registration=found, already_at=found.checked_in_at)
    found.checked_in_at = timezone.now()
    found.checked_in_by = by
    found.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    return CheckIn(registration=found, already_at=None)


@transaction.atomic
def walk_in_register(
    *,
    meeting: Meeting,
    display_name: str,
    actor_type: ActorType | None,
    territory: Territory | None,
    gender: str,
    organisation: Organisation | None,
    oral_consent: bool,
    by: User,
) -> Registration:
    """Register someone who came to the door without registering: a participant without an
    account, their oral consent recorded by ``by``, registered (whatever the capacity: they are
    in the room) and checked in at once."""
    if not oral_consent:
        raise DomainError(
            _("Ask the person for their consent and tick the box before registering them."),
            code="consent_required",
            field="oral_consent",
        )
    display_name = user_text_clean(
        display_name, field="display_name", max_length=_NAME_MAX, required=True
    )
    if gender not in Participant.Gender.values:
        gender = Participant.Gender.UNDISCLOSED
    if territory is not None and territory.level != Territory.Level.PROVINCE:
        raise DomainError(_("Choose a province."), code="province_invalid", field="territory")
    locked = _meeting_locked_open(meeting)
    participant = Participant.objects.create(
        display_name=display_name,
        actor_type=actor_type,
        territory=territory,
        gender=gender,
    )
    if organisation is not None:
        participant.organisations.add(organisation)
    consent_record(
        participant=participant, granted=True, method=Consent.Method.ORAL, recorded_by=by
    )
    return Registration.objects.create(
        meeting=locked,
        participant=participant,
        status=Registration.Status.REGISTERED,
        walk_in=True,
        checked_in_at=timezone.now(),
        checked_in_by=by,
    )


@transaction.atomic
def attendance_record(
    *, workshop: Workshop, participant: Participant, recorded_by: User | None = None
) -> Attendance:
    """Put a participant on a workshop's roster (once); they are registered to the meeting
    (whatever its capacity: they are at the table)."""
    _participant_check_not_erased(participant)
    status = workshop_status_locked(workshop_id=workshop.pk)
    if status == Workshop.Status.CLOSED:
        raise DomainError(
            _("This workshop is closed: its roster can no longer change."),
            code="workshop_closed",
        )
    _register(meeting=workshop.meeting, participant=participant, in_room=True)
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
