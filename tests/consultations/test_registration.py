"""Registration to a meeting: the waiting list, promotion on cancel, check-in by badge code,
walk-ins with oral consent."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tashawur.actors.models import Consent, Participant
from tashawur.consultations.attendance import (
    meeting_attendance_sheet,
    meeting_door_counts,
    waitlist_position,
)
from tashawur.consultations.models import BADGE_CODE_ALPHABET, Meeting, Registration
from tashawur.consultations.selectors import workshop_speakers
from tashawur.consultations.services import (
    attendance_record,
    badge_code_grouped,
    badge_code_normalise,
    meeting_register,
    registration_cancel,
    registration_check_in,
    walk_in_register,
)
from tashawur.core.errors import DomainError
from tests.actors.factories import (
    ActorTypeFactory,
    ConsentTextFactory,
    OrganisationFactory,
    ParticipantFactory,
    UserFactory,
)
from tests.consultations.factories import MeetingFactory, WorkshopFactory
from tests.contributions.threads import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rejected(error_code, call, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == error_code
    return caught.value.message


# --- waiting list ------------------------------------------------------------------------------


def test_beyond_capacity_people_wait_in_the_order_they_came():
    meeting = MeetingFactory(capacity=2)
    people = ParticipantFactory.create_batch(5)

    registrations = [meeting_register(meeting=meeting, participant=p) for p in people]

    assert [r.status for r in registrations] == ["registered"] * 2 + ["waitlisted"] * 3
    assert [waitlist_position(registration=r) for r in registrations] == [None, None, 1, 2, 3]
    counts = meeting_door_counts(meeting=meeting)
    assert (counts.registered, counts.checked_in, counts.waitlisted) == (2, 0, 3)


def test_registering_again_changes_nothing():
    meeting = MeetingFactory(capacity=1)
    seated, waiting = ParticipantFactory(), ParticipantFactory()
    first = meeting_register(meeting=meeting, participant=seated)
    queued = meeting_register(meeting=meeting, participant=waiting)

    assert meeting_register(meeting=meeting, participant=seated) == first
    again = meeting_register(meeting=meeting, participant=waiting)
    assert (again.pk, again.status) == (queued.pk, "waitlisted")
    assert Registration.objects.count() == 2


def test_a_cancellation_promotes_the_first_person_waiting():
    meeting = MeetingFactory(capacity=1)
    seated = meeting_register(meeting=meeting, participant=ParticipantFactory())
    first = meeting_register(meeting=meeting, participant=ParticipantFactory())
    second = meeting_register(meeting=meeting, participant=ParticipantFactory())

    registration_cancel(registration=seated)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("registered", "waitlisted")
    assert waitlist_position(registration=second) == 1


def test_leaving_the_waiting_list_promotes_nobody_and_a_comeback_queues_last():
    meeting = MeetingFactory(capacity=1)
    meeting_register(meeting=meeting, participant=ParticipantFactory())
    leaver = ParticipantFactory()
    left = registration_cancel(registration=meeting_register(meeting=meeting, participant=leaver))
    other = meeting_register(meeting=meeting, participant=ParticipantFactory())

    back = meeting_register(meeting=meeting, participant=leaver)

    assert left.status == "cancelled"
    assert (back.status, waitlist_position(registration=back)) == ("waitlisted", 2)
    assert waitlist_position(registration=other) == 1


def test_walk_ins_do_not_take_a_seat_and_people_at_a_table_never_wait():
    meeting = MeetingFactory(capacity=1)
    workshop = WorkshopFactory(meeting=meeting)
    ConsentTextFactory()
    walk_in_register(
        meeting=meeting,
        display_name="Walk In",
        actor_type=None,
        territory=None,
        gender="female",
        organisation=None,
        oral_consent=True,
        by=UserFactory(),
    )
    # The walk-in is in the room: the one seat to book is still free.
    booked = meeting_register(meeting=meeting, participant=ParticipantFactory())
    at_table = ParticipantFactory()
    attendance_record(workshop=workshop, participant=at_table)

    assert booked.status == "registered"
    assert Registration.objects.get(participant=at_table).status == "registered"
    late = meeting_register(meeting=meeting, participant=ParticipantFactory())
    assert late.status == "waitlisted"


def test_a_checked_in_registration_cannot_be_cancelled():
    meeting = MeetingFactory()
    registration = meeting_register(meeting=meeting, participant=ParticipantFactory())
    registration_check_in(meeting=meeting, registration=registration, by=UserFactory())

    rejected("registration_checked_in", registration_cancel, registration=registration)


@pytest.mark.django_db(transaction=True)
def test_racing_registrations_never_seat_more_than_the_capacity():
    meeting = MeetingFactory(capacity=2)
    people = ParticipantFactory.create_batch(6)

    results = run_concurrently(
        lambda i: meeting_register(meeting=meeting, participant=people[i]), 6
    )

    assert {type(r).__name__ for r in results} == {"Registration"}
    statuses = sorted(Registration.objects.values_list("status", flat=True))
    assert statuses == ["registered"] * 2 + ["waitlisted"] * 4


# --- check-in ----------------------------------------------------------------------------------


def _registered(code="7K2M9QXD"):
    meeting = MeetingFactory()
    registration = meeting_register(meeting=meeting, participant=ParticipantFactory())
    Registration.objects.filter(pk=registration.pk).update(code=code)
    registration.refresh_from_db()
    return meeting, registration


@pytest.mark.parametrize(
    "typed", ["7K2M9QXD", "7k2m9qxd", "7K2M-9QXD", " 7k2m 9qxd ", "7K2M–9QXD".replace("–", "-")]
)
def test_check_in_by_code_as_typed_or_scanned(typed):
    meeting, registration = _registered()
    door = UserFactory()

    result = registration_check_in(meeting=meeting, code=typed, by=door)

    registration.refresh_from_db()
    assert result.already_at is None
    assert result.registration.pk == registration.pk
    assert registration.checked_in_at is not None
    assert registration.checked_in_by == door


def test_letters_misread_for_digits_are_read_as_the_digits():
    assert badge_code_normalise("io-lo 2345") == "10102345"
    meeting, registration = _registered(code="10A1B0C1")

    result = registration_check_in(meeting=meeting, code="iOal-BocL", by=UserFactory())
    assert result.registration.pk == registration.pk
    assert badge_code_grouped("10A1B0C1") == "10A1-B0C1"


def test_checking_in_twice_keeps_the_first_time():
    meeting, registration = _registered()
    first = registration_check_in(meeting=meeting, code=registration.code, by=UserFactory())

    again = registration_check_in(meeting=meeting, code=registration.code, by=UserFactory())

    assert again.already_at == first.registration.checked_in_at


@pytest.mark.parametrize("typed", ["", "ZZZZZZZZ", "7K2M9QX", "7K2M9QXU", "<script>"])
def test_an_unknown_code_is_refused(typed):
    meeting, _registration = _registered()
    message = rejected(
        "badge_unknown", registration_check_in, meeting=meeting, code=typed, by=UserFactory()
    )
    assert (
        message == "No registration for this meeting has this badge code: check it and try again."
    )
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


def test_a_code_from_another_meeting_is_unknown_here():
    _meeting, registration = _registered()

    rejected(
        "badge_unknown",
        registration_check_in,
        meeting=MeetingFactory(),
        code=registration.code,
        by=UserFactory(),
    )


def test_waitlisted_and_cancelled_people_are_not_checked_in():
    meeting = MeetingFactory(capacity=1)
    seated = meeting_register(meeting=meeting, participant=ParticipantFactory())
    waiting = meeting_register(meeting=meeting, participant=ParticipantFactory())
    assert "waiting list" in rejected(
        "registration_waitlisted",
        registration_check_in,
        meeting=meeting,
        code=waiting.code,
        by=UserFactory(),
    )
    registration_cancel(registration=seated)
    assert "cancelled" in rejected(
        "registration_cancelled",
        registration_check_in,
        meeting=meeting,
        code=seated.code,
        by=UserFactory(),
    )


def test_badge_codes_are_crockford_and_unique():
    meeting = MeetingFactory()
    codes = [
        meeting_register(meeting=meeting, participant=p).code
        for p in ParticipantFactory.create_batch(20)
    ]
    assert len(set(codes)) == 20
    assert all(len(c) == 8 and set(c) <= set(BADGE_CODE_ALPHABET) for c in codes)


# --- walk-ins ----------------------------------------------------------------------------------


def test_a_walk_in_is_a_participant_with_oral_consent_registered_and_checked_in():
    ConsentTextFactory()
    meeting = MeetingFactory(capacity=0)
    door = UserFactory()
    actor_type, organisation = ActorTypeFactory(), OrganisationFactory()

    registration = walk_in_register(
        meeting=meeting,
        display_name="  Aicha  B. ",
        actor_type=actor_type,
        territory=meeting.territory,
        gender="female",
        organisation=organisation,
        oral_consent=True,
        by=door,
    )

    person = registration.participant
    assert (registration.status, registration.walk_in) == ("registered", True)
    assert registration.checked_in_by == door and registration.checked_in_at is not None
    assert (person.display_name, person.user, person.gender) == ("Aicha B.", None, "female")
    assert list(person.organisations.all()) == [organisation]
    consent = Consent.objects.get(participant=person)
    assert (consent.method, consent.granted, consent.recorded_by) == ("oral", True, door)


def test_a_walk_in_without_oral_consent_is_refused_and_nothing_is_written():
    ConsentTextFactory()
    message = rejected(
        "consent_required",
        walk_in_register,
        meeting=MeetingFactory(),
        display_name="Someone",
        actor_type=None,
        territory=None,
        gender="male",
        organisation=None,
        oral_consent=False,
        by=UserFactory(),
    )
    assert "consent" in message
    assert not Participant.objects.exists()
    assert not Registration.objects.exists()


def test_a_walk_in_at_a_closed_meeting_is_refused():
    ConsentTextFactory()
    rejected(
        "meeting_closed",
        walk_in_register,
        meeting=MeetingFactory(status=Meeting.Status.CLOSED),
        display_name="Someone",
        actor_type=None,
        territory=None,
        gender="male",
        organisation=None,
        oral_consent=True,
        by=UserFactory(),
    )
    assert not Participant.objects.exists()


# --- the attendance sheet and the speaker picker -------------------------------------------------


def test_the_attendance_sheet_counts_by_workshop_actor_type_and_gender():
    ConsentTextFactory()
    meeting = MeetingFactory()
    workshop = WorkshopFactory(meeting=meeting)
    door = UserFactory()
    cooperative = ActorTypeFactory(label_en="Cooperative", label_ar="تعاونية")
    for name, gender in (("A", "female"), ("B", "female"), ("C", "male")):
        walk_in_register(
            meeting=meeting,
            display_name=name,
            actor_type=cooperative,
            territory=None,
            gender=gender,
            organisation=None,
            oral_consent=True,
            by=door,
        )
    attendance_record(workshop=workshop, participant=Participant.objects.get(display_name="A"))
    meeting_register(meeting=meeting, participant=ParticipantFactory())  # not checked in

    sheet = meeting_attendance_sheet(meeting=meeting)

    assert sheet.checked_in == 3
    assert sheet.by_workshop == [(workshop, 1)]
    assert sheet.by_actor_type == [("Cooperative", 3)]
    assert (
        dict(sheet.by_gender) == {"امرأة": 2, "رجل": 1}
        or sum(n for _label, n in sheet.by_gender) == 3
    )
    assert [row.name for row in sheet.people] == ["A", "B", "C"]
    assert all(row.walk_in for row in sheet.people)


def test_the_speaker_picker_puts_the_table_then_the_checked_in_first():
    meeting = MeetingFactory()
    workshop = WorkshopFactory(meeting=meeting)
    door = UserFactory()
    at_table = ParticipantFactory(display_name="Zineb")
    checked_in = ParticipantFactory(display_name="Younes")
    registered = ParticipantFactory(display_name="Amine")
    attendance_record(workshop=workshop, participant=at_table)
    registration_check_in(
        meeting=meeting,
        registration=meeting_register(meeting=meeting, participant=checked_in),
        by=door,
    )
    meeting_register(meeting=meeting, participant=registered)

    assert [p.display_name for p in workshop_speakers(workshop=workshop)] == [
        "Zineb",
        "Younes",
        "Amine",
    ]


def test_check_in_time_is_kept_in_utc():
    meeting, registration = _registered()
    before = timezone.now() - dt.timedelta(seconds=1)
    registration_check_in(meeting=meeting, code=registration.code, by=UserFactory())
    registration.refresh_from_db()
    assert registration.checked_in_at >= before
