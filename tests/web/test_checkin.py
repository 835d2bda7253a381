"""The meeting's door as pages: registration, badge, check-in and the attendance sheet, for
each role (anonymous, participant, the meeting's staff, staff of elsewhere)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from pypdf import PdfReader

from tashawur.actors.models import Consent, Participant
from tashawur.consultations.models import Registration
from tashawur.consultations.services import (
    badge_code_grouped,
    meeting_register,
    registration_check_in,
)
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.actors.factories import ParticipantFactory, UserFactory
from tests.consultations.factories import ConsultationFactory, MeetingFactory, WorkshopFactory

from .world import World

pytestmark = pytest.mark.django_db


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _urls(slug: str) -> dict[str, str]:
    return {
        "register": f"/m/{slug}/register/",
        "badge": f"/m/{slug}/badge.pdf",
        "checkin": f"/m/{slug}/checkin/",
        "xlsx": f"/m/{slug}/attendance.xlsx",
        "pdf": f"/m/{slug}/attendance.pdf",
    }


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def people(world: World) -> dict[str, User | None]:
    """One user per role in the matrix."""
    rapporteur = UserFactory(username="rapporteur", role=Role.RAPPORTEUR)
    world.closed_workshop.rapporteur = rapporteur
    world.closed_workshop.save()
    coordinator = UserFactory(username="coordinator", role=Role.REGIONAL_COORDINATOR)
    world.consultation.coordinators.add(coordinator)
    elsewhere_facilitator = UserFactory(username="fac-elsewhere", role=Role.FACILITATOR)
    WorkshopFactory(facilitator=elsewhere_facilitator)
    elsewhere_coordinator = UserFactory(username="coord-elsewhere", role=Role.REGIONAL_COORDINATOR)
    ConsultationFactory(coordinators=[elsewhere_coordinator])
    national = UserFactory(username="national", role=Role.NATIONAL_COORDINATOR)
    return {
        "anonymous": None,
        "participant": world.participant_user,
        "facilitator": world.facilitator,
        "rapporteur": rapporteur,
        "coordinator": coordinator,
        "national": national,
        "facilitator_elsewhere": elsewhere_facilitator,
        "coordinator_elsewhere": elsewhere_coordinator,
    }


STAFF = {"facilitator", "rapporteur", "coordinator", "national"}


@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        "participant",
        "facilitator",
        "rapporteur",
        "coordinator",
        "national",
        "facilitator_elsewhere",
        "coordinator_elsewhere",
    ],
)
@pytest.mark.parametrize("page", ["checkin", "xlsx", "pdf"])
def test_staff_pages_by_role(world: World, people: dict, role: str, page: str) -> None:
    response = _client(people[role]).get(_urls(world.meeting.slug)[page])

    if role == "anonymous":
        assert response.status_code == 302
        assert (
            response["Location"].startswith("/accounts/login/") or "login" in response["Location"]
        )
        assert "next=" in response["Location"]
    elif role in STAFF:
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
    else:
        assert response.status_code == 403


def test_registration_requires_sign_in(world: World) -> None:
    response = Client().get(_urls(world.meeting.slug)["register"])
    assert response.status_code == 302
    assert "login" in response["Location"] and "next=" in response["Location"]


def test_a_participant_registers_downloads_their_badge_and_cancels(world: World) -> None:
    world.participant_user.email = "fatima@example.ma"
    world.participant_user.save()
    client = _client(world.participant_user)
    urls = _urls(world.meeting.slug)

    assert client.get(urls["badge"]).status_code == 404
    page = client.get(urls["register"])
    assert page.status_code == 200
    registered = client.post(urls["register"], {"action": "register"})
    assert registered.status_code == 302
    registration = Registration.objects.get(participant=world.participant)
    assert registration.status == "registered"

    badge = client.get(urls["badge"])
    assert badge.status_code == 200 and badge["Content-Type"] == "application/pdf"
    assert "no-store" in badge["Cache-Control"]
    text = _pdf_text(badge.content)
    assert badge_code_grouped(registration.code) in text
    assert "fatima@example.ma" not in text and "+212" not in text

    meeting_page = client.get(f"/m/{world.meeting.slug}/").content.decode()
    assert urls["badge"] in meeting_page

    client.post(urls["register"], {"action": "cancel"})
    registration.refresh_from_db()
    assert registration.status == "cancelled"
    assert client.get(urls["badge"]).status_code == 404


def test_another_participant_cannot_get_someone_elses_badge(world: World) -> None:
    meeting_register(meeting=world.meeting, participant=world.participant)
    other = ParticipantFactory(user=UserFactory(username="someone-else"), consented=True)

    response = _client(other.user).get(_urls(world.meeting.slug)["badge"])

    assert response.status_code == 404


def test_a_participant_without_consent_is_sent_to_the_consent_page(world: World) -> None:
    Consent.objects.filter(participant=world.participant).update(withdrawn_at="2020-01-01T00:00Z")

    response = _client(world.participant_user).post(
        _urls(world.meeting.slug)["register"], {"action": "register"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/me/consent/?next=")
    assert not Registration.objects.exists()


def test_a_user_without_participant_gets_a_clear_message(world: World) -> None:
    response = _client(world.facilitator).get(_urls(world.meeting.slug)["register"])

    assert response.status_code == 200
    with translation.override("ar"):
        expected = gettext(
            "Your account is not linked to a participant: only participants register for a meeting."
        )
    assert expected in response.content.decode()


def test_a_full_meeting_puts_the_participant_on_the_waiting_list(world: World) -> None:
    world.meeting.capacity = 1
    world.meeting.save()
    meeting_register(meeting=world.meeting, participant=ParticipantFactory())
    client = _client(world.participant_user)

    client.post(_urls(world.meeting.slug)["register"], {"action": "register"})

    assert Registration.objects.get(participant=world.participant).status == "waitlisted"
    page = client.get(f"/m/{world.meeting.slug}/").content.decode()
    assert _urls(world.meeting.slug)["badge"] not in page


def test_the_facilitator_checks_in_by_code_and_by_name(world: World) -> None:
    registration = meeting_register(meeting=world.meeting, participant=world.participant)
    client = _client(world.facilitator)
    url = _urls(world.meeting.slug)["checkin"]

    response = client.post(url, {"action": "code", "code": registration.code.lower()}, follow=True)

    registration.refresh_from_db()
    assert registration.checked_in_by == world.facilitator
    assert world.participant.display_name in response.content.decode()
    again = client.post(url, {"action": "code", "code": registration.code}, follow=True)
    first_time = timezone.localtime(registration.checked_in_at).strftime("%H:%M")
    assert first_time in again.content.decode()

    other = meeting_register(
        meeting=world.meeting, participant=Participant.objects.get(display_name="Ahmed B.")
    )
    found = client.get(url, {"q": "Ahmed"}).content.decode()
    assert "Ahmed B." in found
    client.post(url + "?q=Ahmed", {"action": "registration", "registration": str(other.pk)})
    other.refresh_from_db()
    assert other.checked_in_at is not None


def test_an_unknown_code_is_answered_with_a_message(world: World) -> None:
    response = _client(world.facilitator).post(
        _urls(world.meeting.slug)["checkin"], {"action": "code", "code": "ZZZZ-ZZZZ"}
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()


def test_a_walk_in_without_oral_consent_is_refused_and_nothing_written(world: World) -> None:
    before = (Participant.objects.count(), Registration.objects.count(), Consent.objects.count())

    response = _client(world.facilitator).post(
        _urls(world.meeting.slug)["checkin"],
        {"action": "walk_in", "display_name": "Walk In", "gender": "male"},
    )

    assert response.status_code == 422
    after = (Participant.objects.count(), Registration.objects.count(), Consent.objects.count())
    assert after == before


def test_a_walk_in_with_oral_consent_is_registered_and_checked_in(world: World) -> None:
    response = _client(world.facilitator).post(
        _urls(world.meeting.slug)["checkin"],
        {"action": "walk_in", "display_name": "Walk In", "gender": "male", "oral_consent": "on"},
    )

    assert response.status_code == 302
    registration = Registration.objects.get(participant__display_name="Walk In")
    assert registration.walk_in and registration.checked_in_at is not None


def test_the_xlsx_sheet_lists_people_and_escapes_formulas(world: World) -> None:
    hostile = ParticipantFactory(display_name='=HYPERLINK("http://x","y")')
    registration_check_in(
        meeting=world.meeting,
        registration=meeting_register(meeting=world.meeting, participant=hostile),
        by=world.facilitator,
    )
    registration_check_in(
        meeting=world.meeting,
        registration=meeting_register(meeting=world.meeting, participant=world.participant),
        by=world.facilitator,
    )

    response = _client(world.facilitator).get(_urls(world.meeting.slug)["xlsx"])

    book = load_workbook(io.BytesIO(response.content))
    people = book.worksheets[1]
    names = [row[0] for row in people.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x","y")' in names
    assert world.participant.display_name in names
    assert all(cell.data_type != "f" for row in people.iter_rows() for cell in row)
    totals = list(book.worksheets[0].iter_rows(values_only=True))
    assert any(row[:2] == (world.workshop.title, 2) for row in totals)


def test_the_pdf_sheet_has_the_totals_and_names(world: World) -> None:
    registration_check_in(
        meeting=world.meeting,
        registration=meeting_register(meeting=world.meeting, participant=world.participant),
        by=world.facilitator,
    )

    response = _client(world.facilitator).get(_urls(world.meeting.slug)["pdf"])

    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Ahmed" not in text  # registered at a table but not checked in at the door


def test_the_meeting_page_links_staff_to_the_door(world: World) -> None:
    staff = _client(world.facilitator).get(f"/m/{world.meeting.slug}/").content.decode()
    public = Client().get(f"/m/{world.meeting.slug}/").content.decode()

    assert _urls(world.meeting.slug)["checkin"] in staff
    assert _urls(world.meeting.slug)["checkin"] not in public


def test_another_meeting_is_not_checked_in_from_this_one(world: World) -> None:
    elsewhere = MeetingFactory()
    registration = meeting_register(meeting=elsewhere, participant=world.participant)

    response = _client(world.facilitator).post(
        _urls(world.meeting.slug)["checkin"], {"action": "code", "code": registration.code}
    )

    assert response.status_code == 422
    registration.refresh_from_db()
    assert registration.checked_in_at is None
