"""Reads for a meeting's door and its attendance sheet: a person's registration and place on
the waiting list, the counts staff watch at the door, the name search, and the sheet itself.
Names appear only in what the meeting's staff read (``rules.is_meeting_staff``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.consultations.models import Meeting, Registration, Workshop

#: How many registered people a name search at the door lists at once.
DOOR_SEARCH_SHOWN = 20


def registration_of(*, meeting: Meeting, participant: Participant | None) -> Registration | None:
    if participant is None:
        return None
    return Registration.objects.filter(meeting=meeting, participant=participant).first()


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the first in line; None when the registration is not waiting."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = (
        Registration.objects.filter(
            meeting_id=registration.meeting_id, status=Registration.Status.WAITLISTED
        )
        .filter(
            Q(status_since__lt=registration.status_since)
            | Q(status_since=registration.status_since, pk__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


@dataclass(frozen=True)
class DoorCounts:
    registered: int
    checked_in: int
    waitlisted: int


def meeting_door_counts(*, meeting: Meeting) -> DoorCounts:
    counts = Registration.objects.filter(meeting=meeting).aggregate(
        registered=Count("pk", filter=Q(status=Registration.Status.REGISTERED)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        waitlisted=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
    )
    return DoorCounts(**counts)


def meeting_registrations_search(
    *, meeting: Meeting, query: str, limit: int = DOOR_SEARCH_SHOWN
) -> list[Registration]:
    """Registered people whose name or organisation holds every word of ``query``; those not
    yet checked in first, by name."""
    registrations = Registration.objects.filter(
        meeting=meeting,
        status=Registration.Status.REGISTERED,
        participant__erased_at__isnull=True,
    )
    for word in query.split()[:5]:
        registrations = registrations.filter(
            Q(participant__display_name__icontains=word)
            | Q(participant__organisations__name__icontains=word)
            | Q(participant__organisations__name_fr__icontains=word)
        )
    return list(
        registrations.distinct()
        .select_related("participant")
        .order_by(F("checked_in_at").asc(nulls_first=True), "participant__display_name", "pk")[
            :limit
        ]
    )


@dataclass(frozen=True)
class SheetRow:
    name: str
    organisation: str
    actor_type: str
    province: str
    walk_in: bool
    checked_in_at: datetime


@dataclass
class AttendanceSheet:
    meeting: Meeting
    by_workshop: list[tuple[Workshop, int]] = field(default_factory=list)
    by_actor_type: list[tuple[str, int]] = field(default_factory=list)
    by_gender: list[tuple[str, int]] = field(default_factory=list)
    people: list[SheetRow] = field(default_factory=list)

    @property
    def checked_in(self) -> int:
        return len(self.people)


def _actor_type_label(participant: Participant) -> str:
    """The person's own actor type, else that of their first organisation (by name)."""
    if participant.actor_type is not None:
        return participant.actor_type.label
    organisations = list(participant.organisations.all())
    return organisations[0].actor_type.label if organisations else ""


def meeting_attendance_sheet(*, meeting: Meeting) -> AttendanceSheet:
    """The staff's attendance sheet: the round tables' rosters counted, the people checked in
    counted by actor type and by gender, and listed in the order they came."""
    sheet = AttendanceSheet(meeting=meeting)
    sheet.by_workshop = [
        (workshop, workshop.attendance_count)
        for workshop in Workshop.objects.filter(meeting=meeting)
        .annotate(attendance_count=Count("attendances"))
        .order_by("position")
    ]
    registrations = (
        Registration.objects.filter(
            meeting=meeting,
            status=Registration.Status.REGISTERED,
            checked_in_at__isnull=False,
        )
        .select_related("participant__actor_type", "participant__territory")
        .prefetch_related("participant__organisations__actor_type")
        .order_by("checked_in_at", "pk")
    )
    actor_types: Counter[str] = Counter()
    genders: Counter[str] = Counter()
    gender_labels = dict(Participant.Gender.choices)
    for registration in registrations:
        person = registration.participant
        organisations = sorted(person.organisations.all(), key=lambda o: (o.name, o.pk))
        actor_type = _actor_type_label(person)
        actor_types[actor_type or _("Not given")] += 1
        genders[str(gender_labels.get(person.gender, person.gender))] += 1
        sheet.people.append(
            SheetRow(
                name=person.display_name,
                organisation=organisations[0].name if organisations else "",
                actor_type=actor_type,
                province=person.territory.name if person.territory else "",
                walk_in=registration.walk_in,
                checked_in_at=registration.checked_in_at or registration.updated_at,
            )
        )
    sheet.by_actor_type = sorted(actor_types.items(), key=lambda item: (-item[1], item[0]))
    sheet.by_gender = sorted(genders.items(), key=lambda item: (-item[1], item[0]))
    return sheet
