import pytest
from django.utils import translation

from tashawur.consultations.models import Attendance, Meeting, Registration, Workshop
from tashawur.consultations.services import (
    attendance_record,
    meeting_register,
    registration_cancel,
    workshop_close,
    workshop_open,
)
from tashawur.core.errors import DomainError
from tests.actors.factories import ParticipantFactory
from tests.consultations.factories import MeetingFactory, WorkshopFactory
from tests.contributions.threads import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def assert_rejected(code, message, call, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert (caught.value.code, caught.value.message) == (code, message)


# --- workshop_open / workshop_close ------------------------------------------------------------


def test_workshop_open_opens_a_planned_workshop_and_its_meeting():
    workshop = WorkshopFactory(status="planned", meeting__status=Meeting.Status.PLANNED)

    opened = workshop_open(workshop=workshop)

    workshop.refresh_from_db()
    assert (workshop.status, workshop.opened_at) == ("open", opened.opened_at)
    assert workshop.opened_at is not None
    assert Meeting.objects.get().status == Meeting.Status.OPEN


def test_workshop_open_rejects_an_open_workshop():
    assert_rejected(
        "workshop_already_open",
        "This workshop is already open.",
        workshop_open,
        workshop=WorkshopFactory(),
    )


def test_workshop_open_rejects_a_closed_workshop():
    assert_rejected(
        "workshop_closed",
        "This workshop is closed and cannot be opened again.",
        workshop_open,
        workshop=WorkshopFactory(status="closed"),
    )


def test_workshop_close_stores_the_cleaned_report():
    workshop = WorkshopFactory()

    workshop_close(workshop=workshop, closing_report="  أوصى المشاركون   بشباك موحد. \r\n")

    workshop.refresh_from_db()
    assert (workshop.status, workshop.closing_report) == ("closed", "أوصى المشاركون بشباك موحد.")
    assert workshop.closed_at is not None


def test_workshop_close_rejects_a_second_close():
    workshop = WorkshopFactory()
    workshop_close(workshop=workshop, closing_report="Rapport.")
    closed_at = Workshop.objects.get().closed_at

    assert_rejected(
        "workshop_already_closed",
        "This workshop is already closed.",
        workshop_close,
        workshop=workshop,
        closing_report="Autre rapport.",
    )
    assert Workshop.objects.values_list("closing_report", "closed_at").get() == (
        "Rapport.",
        closed_at,
    )


def test_workshop_close_rejects_a_planned_workshop():
    assert_rejected(
        "workshop_not_open",
        "This workshop has not opened yet, so it cannot be closed.",
        workshop_close,
        workshop=WorkshopFactory(status="planned"),
        closing_report="Rapport.",
    )


@pytest.mark.parametrize("report", ["", "  \n "])
def test_workshop_close_needs_a_report(report):
    assert_rejected(
        "closing_report_empty",
        "Write the closing report before closing the workshop.",
        workshop_close,
        workshop=WorkshopFactory(),
        closing_report=report,
    )
    assert Workshop.objects.get().status == "open"


def test_workshop_close_rejects_bidi_controls_in_the_report():
    assert_rejected(
        "text_bidi_controls",
        "The report contains invisible direction-control characters; remove them.",
        workshop_close,
        workshop=WorkshopFactory(),
        closing_report="Rapport \u202e",
    )


# --- meeting_register --------------------------------------------------------------------------


def test_meeting_register_registers_once():
    meeting, participant = MeetingFactory(), ParticipantFactory()

    first = meeting_register(meeting=meeting, participant=participant)
    again = meeting_register(meeting=meeting, participant=participant)

    assert first == again
    assert Registration.objects.count() == 1


def test_meeting_register_reactivates_a_cancelled_registration():
    meeting, participant = MeetingFactory(), ParticipantFactory()
    registration = registration_cancel(
        registration=meeting_register(meeting=meeting, participant=participant)
    )

    again = meeting_register(meeting=meeting, participant=participant)

    assert again.pk == registration.pk
    assert list(Registration.objects.values_list("status", flat=True)) == ["registered"]


def test_meeting_register_rejects_a_closed_meeting():
    assert_rejected(
        "meeting_closed",
        "This meeting is over: registration is closed.",
        meeting_register,
        meeting=MeetingFactory(status=Meeting.Status.CLOSED),
        participant=ParticipantFactory(),
    )
    assert Registration.objects.count() == 0


def test_meeting_register_waitlists_beyond_capacity_and_cancelled_seats_free_up():
    meeting = MeetingFactory(capacity=1)
    seated = meeting_register(meeting=meeting, participant=ParticipantFactory())
    late = ParticipantFactory()

    assert meeting_register(meeting=meeting, participant=late).status == "waitlisted"
    registration_cancel(registration=seated)
    assert Registration.objects.get(participant=late).status == "registered"


def test_meeting_register_rejects_an_erased_participant():
    assert_rejected(
        "participant_erased",
        "This participant's data has been erased.",
        meeting_register,
        meeting=MeetingFactory(),
        participant=ParticipantFactory(erased_at="2024-01-01T00:00Z"),
    )


@pytest.mark.django_db(transaction=True)
def test_meeting_register_racing_requests_leave_one_registration():
    meeting, participant = MeetingFactory(), ParticipantFactory()

    results = run_concurrently(
        lambda i: meeting_register(meeting=meeting, participant=participant), 5
    )

    assert {type(r).__name__ for r in results} == {"Registration"}
    assert Registration.objects.count() == 1


# --- attendance_record -------------------------------------------------------------------------


def test_attendance_record_puts_a_walk_in_on_the_roster_and_registers_them():
    workshop, participant = WorkshopFactory(), ParticipantFactory()

    attendance = attendance_record(workshop=workshop, participant=participant)
    again = attendance_record(workshop=workshop, participant=participant)

    assert attendance == again
    assert Attendance.objects.count() == 1
    assert Registration.objects.get().participant == participant


def test_attendance_record_rejects_a_closed_workshop():
    assert_rejected(
        "workshop_closed",
        "This workshop is closed: its roster can no longer change.",
        attendance_record,
        workshop=WorkshopFactory(status="closed"),
        participant=ParticipantFactory(),
    )
    assert (Attendance.objects.count(), Registration.objects.count()) == (0, 0)
