import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tashawur.consultations.models import Attendance, Registration
from tashawur.consultations.selectors import (
    consultation_get_for_user,
    meeting_get_for_user,
    workshop_get_for_user,
    workshop_roster_by_actor_type,
    workshop_speakers,
)
from tashawur.core.roles import Role
from tests.actors.factories import (
    ActorTypeFactory,
    OrganisationFactory,
    ParticipantFactory,
    UserFactory,
)
from tests.consultations.factories import ConsultationFactory, MeetingFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def test_consultation_get_for_user_returns_an_open_consultation_to_anyone():
    consultation = ConsultationFactory()

    assert consultation_get_for_user(slug=consultation.slug, user=AnonymousUser()) == consultation


def test_consultation_get_for_user_raises_404_for_an_unknown_slug():
    with pytest.raises(Http404):
        consultation_get_for_user(slug="nowhere", user=AnonymousUser())


def test_a_draft_is_refused_to_the_public_and_shown_to_its_coordinator():
    coordinator = UserFactory(role=Role.REGIONAL_COORDINATOR)
    consultation = ConsultationFactory(status="draft", coordinators=[coordinator])
    meeting = MeetingFactory(consultation=consultation)

    with pytest.raises(PermissionDenied):
        consultation_get_for_user(slug=consultation.slug, user=AnonymousUser())
    with pytest.raises(PermissionDenied):
        meeting_get_for_user(slug=meeting.slug, user=UserFactory())
    assert meeting_get_for_user(slug=meeting.slug, user=coordinator) == meeting


def test_workshop_get_for_user_raises_404_for_an_unknown_id():
    with pytest.raises(Http404):
        workshop_get_for_user(workshop_id=424242, user=AnonymousUser())


def test_workshop_get_for_user_refuses_a_draft_consultations_workshop():
    workshop = WorkshopFactory(meeting__consultation__status="draft")

    with pytest.raises(PermissionDenied):
        workshop_get_for_user(workshop_id=workshop.pk, user=AnonymousUser())


def test_workshop_roster_by_actor_type_counts_people_under_the_top_type():
    cooperative = ActorTypeFactory(slug="cooperative", position=1)
    argan = ActorTypeFactory(slug="cooperative-argan", parent=cooperative)
    bank = ActorTypeFactory(slug="bank", position=2)
    workshop = WorkshopFactory()
    people = {
        "argan_member": [OrganisationFactory(actor_type=argan)],
        "coop_member": [OrganisationFactory(actor_type=cooperative)],
        "two_coops": [
            OrganisationFactory(actor_type=cooperative),
            OrganisationFactory(actor_type=argan),
        ],
        "banker": [OrganisationFactory(actor_type=bank)],
        "no_organisation": [],
    }
    for organisations in people.values():
        participant = ParticipantFactory()
        participant.organisations.set(organisations)
        Attendance.objects.create(workshop=workshop, participant=participant)
    elsewhere = ParticipantFactory()
    elsewhere.organisations.set([OrganisationFactory(actor_type=bank)])
    Attendance.objects.create(workshop=WorkshopFactory(), participant=elsewhere)

    roster = workshop_roster_by_actor_type(workshop=workshop)

    assert [(t.slug, n) for t, n in roster] == [("cooperative", 3), ("bank", 1)]


def test_workshop_speakers_lists_the_table_first_then_the_meetings_registered():
    workshop = WorkshopFactory()
    attending_b = ParticipantFactory(display_name="ب مشارك في المائدة")
    attending_a = ParticipantFactory(display_name="أ مشارك في المائدة")
    registered = ParticipantFactory(display_name="آ مسجّل في اللقاء")
    for person in (attending_a, attending_b):
        Attendance.objects.create(workshop=workshop, participant=person)
    # Registered and attending: listed once, with the table.
    Registration.objects.create(meeting=workshop.meeting, participant=attending_b)
    Registration.objects.create(meeting=workshop.meeting, participant=registered)

    assert [(p.display_name, p.attends) for p in workshop_speakers(workshop=workshop)] == [
        ("أ مشارك في المائدة", True),
        ("ب مشارك في المائدة", True),
        ("آ مسجّل في اللقاء", False),
    ]


def test_workshop_speakers_leaves_out_the_erased_the_cancelled_and_other_tables():
    workshop = WorkshopFactory()
    erased = ParticipantFactory(erased_at="2024-01-01T00:00Z")
    Attendance.objects.create(workshop=workshop, participant=erased)
    cancelled = ParticipantFactory()
    Registration.objects.create(
        meeting=workshop.meeting, participant=cancelled, status=Registration.Status.CANCELLED
    )
    next_table = ParticipantFactory()
    Attendance.objects.create(
        workshop=WorkshopFactory(meeting=workshop.meeting), participant=next_table
    )
    other_meeting = ParticipantFactory()
    Registration.objects.create(meeting=MeetingFactory(), participant=other_meeting)
    at_the_table = ParticipantFactory()
    Attendance.objects.create(workshop=workshop, participant=at_the_table)

    assert list(workshop_speakers(workshop=workshop)) == [at_the_table]


def test_workshop_speakers_takes_one_query(django_assert_num_queries):
    workshop = WorkshopFactory()
    for _ in range(3):
        Attendance.objects.create(workshop=workshop, participant=ParticipantFactory())
        Registration.objects.create(meeting=workshop.meeting, participant=ParticipantFactory())

    with django_assert_num_queries(1):
        names = [str(p) for p in workshop_speakers(workshop=workshop)]

    assert len(names) == 6
