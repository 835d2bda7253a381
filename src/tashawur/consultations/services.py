from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tashawur.actors.models import Participant
from tashawur.consultations.models import Attendance, Meeting, Registration, Theme, Workshop
from tashawur.core.data import ReferenceLoad, read_package_yaml, upsert
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.text import clean_user_text, contains_bidi_controls

_PACKAGE = "tashawur.consultations"
CLOSING_REPORT_MAX_LENGTH = 20_000


# --- reference data --------------------------------------------------------------------------


def theme_subtheme_slug(theme_id: str, subtheme_id: str) -> str:
    return f"{theme_id}-{subtheme_id}"


@transaction.atomic
def themes_load_reference() -> ReferenceLoad:
    """Load the themes and their sub-themes (slug ``<theme>-<subtheme>``); idempotent."""
    data = read_package_yaml(_PACKAGE, "themes.yaml")
    sources: dict[str, str] = data.get("sources", {})
    load = ReferenceLoad()
    for position, item in enumerate(data["themes"], start=1):
        theme, status = upsert(
            Theme,
            slug=item["id"],
            defaults={
                "parent": None,
                "label_ar": item["label"]["ar"],
                "label_fr": item["label"]["fr"],
                "label_en": item["label"]["en"],
                "in_taroudant_2018_workshops": bool(item.get("in_taroudant_2018_workshops")),
                "source_refs": [
                    {"key": key, "source": sources.get(key, "")}
                    for key in item.get("source_refs", [])
                ],
                "position": position * 100,
            },
        )
        load.count(status)
        for sub_position, sub in enumerate(item.get("subthemes", []), start=1):
            _, status = upsert(
                Theme,
                slug=theme_subtheme_slug(item["id"], sub["id"]),
                defaults={
                    "parent": theme,
                    "label_ar": sub["label"]["ar"],
                    "label_fr": sub["label"]["fr"],
                    "label_en": sub["label"]["en"],
                    "in_taroudant_2018_workshops": False,
                    "source_refs": [],
                    "position": position * 100 + sub_position,
                },
            )
            load.count(status)
    return load


# --- workshops -------------------------------------------------------------------------------


def workshop_status_locked(*, workshop_id: int) -> str:
    """The workshop's status, read under a lock that holds until the transaction ends.

    Contributions and votes take a shared lock (PostgreSQL ``FOR SHARE``: they do not wait for
    each other) and ``workshop_close`` an exclusive one, so nothing lands in a workshop after it
    has closed. SQLite runs one writing transaction at a time (``IMMEDIATE``), which is as safe.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status FROM {Workshop._meta.db_table} WHERE id = %s FOR SHARE",  # noqa: S608
                [workshop_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise Workshop.DoesNotExist
        return str(row[0])
    return Workshop.objects.values_list("status", flat=True).get(pk=workshop_id)


def workshop_not_open_error(status: str) -> DomainError:
    if status == Workshop.Status.CLOSED:
        message = _("This workshop is closed: it no longer takes contributions or votes.")
    else:
        message = _("This workshop has not opened yet.")
    return DomainError(message, code="workshop_not_open")


@transaction.atomic
def workshop_open(*, workshop: Workshop) -> Workshop:
    """Open a planned workshop; its meeting is then under way."""
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if locked.status == Workshop.Status.OPEN:
        raise DomainError(_("This workshop is already open."), code="workshop_already_open")
    if locked.status == Workshop.Status.CLOSED:
        raise DomainError(
            _("This workshop is closed and cannot be opened again."), code="workshop_closed"
        )
    locked.status = Workshop.Status.OPEN
    locked.opened_at = timezone.now()
    locked.save(update_fields=["status", "opened_at", "updated_at"])
    Meeting.objects.filter(pk=locked.meeting_id, status=Meeting.Status.PLANNED).update(
        status=Meeting.Status.OPEN, updated_at=timezone.now()
    )
    return locked


@transaction.atomic
def workshop_close(*, workshop: Workshop, closing_report: str) -> Workshop:
    """Close an open workshop with its rapporteur's closing report.

    Takes the workshop row exclusively, so a contribution or vote in flight either lands before
    the close or is refused.
    """
    if contains_bidi_controls(closing_report):
        raise DomainError(
            _("The report contains invisible direction-control characters; remove them."),
            code="text_bidi_controls",
            field="closing_report",
        )
    report = clean_user_text(closing_report)
    if not report:
        raise DomainError(
            _("Write the closing report before closing the workshop."),
            code="closing_report_empty",
            field="closing_report",
        )
    if len(report) > CLOSING_REPORT_MAX_LENGTH:
        raise DomainError(
            _("The closing report is too long: %(length)s characters, at most %(max)s.")
            % {"length": len(report), "max": CLOSING_REPORT_MAX_LENGTH},
            code="text_too_long",
            field="closing_report",
        )
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if locked.status == Workshop.Status.CLOSED:
        raise DomainError(_("This workshop is already closed."), code="workshop_already_closed")
    if locked.status != Workshop.Status.OPEN:
        raise DomainError(
            _("This workshop has not opened yet, so it cannot be closed."),
            code="workshop_not_open",
        )
    locked.status = Workshop.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.closing_report = report
    locked.save(update_fields=["status", "closed_at", "closing_report", "updated_at"])
    return locked


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
