"""Opening and closing a round table from its page, the rapporteur's report, and the
facilitator's speaker picker (search, oral-consent tick, "recorded for")."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tashawur.actors.models import ActorType, Consent, Organisation, Participant
from tashawur.consultations.models import Attendance, Registration, Workshop
from tashawur.contributions.models import Contribution
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.consultations.factories import ConsultationFactory

from .world import World

pytestmark = pytest.mark.django_db

REPORT = "تطالب المائدة بشباك موحد"


@pytest.fixture
def planned(world: World) -> Workshop:
    return Workshop.objects.create(
        meeting=world.meeting,
        theme=world.workshop.theme,
        position=3,
        title_ar="التسويق",
        title_fr="Commercialisation",
        facilitator=world.facilitator,
    )


@pytest.fixture
def users(world: World, planned: Workshop) -> dict[str, User | None]:
    rapporteur = User.objects.create_user("rapporteur", password="x-pass-1", role=Role.RAPPORTEUR)
    for workshop in (world.workshop, planned):
        workshop.rapporteur = rapporteur
        workshop.save()
    regional = User.objects.create_user(
        "regional", password="x-pass-1", role=Role.REGIONAL_COORDINATOR
    )
    world.consultation.coordinators.add(regional)
    other_regional = User.objects.create_user(
        "regional-elsewhere", password="x-pass-1", role=Role.REGIONAL_COORDINATOR
    )
    ConsultationFactory(coordinators=[other_regional])
    other_facilitator = User.objects.create_user(
        "facilitator-elsewhere", password="x-pass-1", role=Role.FACILITATOR
    )
    return {
        "anonymous": None,
        "participant": world.participant_user,
        "facilitator": world.facilitator,
        "other_facilitator": other_facilitator,
        "rapporteur": rapporteur,
        "regional_coordinator": regional,
        "other_regional_coordinator": other_regional,
        "national_coordinator": User.objects.create_superuser(
            "national", password="x-pass-1", role=Role.NATIONAL_COORDINATOR
        ),
    }


def _client(users: dict[str, User | None], role: str) -> Client:
    client = Client()
    user = users[role]
    if user is not None:
        client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- who may open and close ----------------------------------------------------------------------

OPENERS = {"facilitator", "regional_coordinator", "national_coordinator"}
CLOSERS = {"facilitator", "rapporteur", "regional_coordinator", "national_coordinator"}
ROLES = [
    "anonymous",
    "participant",
    "facilitator",
    "other_facilitator",
    "rapporteur",
    "regional_coordinator",
    "other_regional_coordinator",
    "national_coordinator",
]


def _refused(response, role: str) -> bool:
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
        return True
    return response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_open_matrix(users: dict[str, User | None], planned: Workshop, role: str) -> None:
    response = _client(users, role).post(f"/w/{planned.pk}/open/")
    planned.refresh_from_db()
    if role in OPENERS:
        assert response.status_code == 302
        assert response["Location"] == f"/w/{planned.pk}/"
        assert planned.status == Workshop.Status.OPEN
        assert _messages(response) == ["فُتحت المائدة المستديرة: صارت تستقبل المساهمات والتصويت."]
    else:
        assert _refused(response, role)
        assert planned.status == Workshop.Status.PLANNED


@pytest.mark.parametrize("role", ROLES)
def test_close_matrix(users: dict[str, User | None], world: World, role: str) -> None:
    client = _client(users, role)
    form = client.get(f"/w/{world.workshop.pk}/close/")
    response = client.post(f"/w/{world.workshop.pk}/close/", {"closing_report": REPORT})
    world.workshop.refresh_from_db()
    if role in CLOSERS:
        assert form.status_code == 200
        assert 'name="closing_report"' in form.content.decode()
        assert response.status_code == 302
        assert response["Location"] == f"/w/{world.workshop.pk}/#report"
        assert (world.workshop.status, world.workshop.closing_report) == ("closed", REPORT)
    else:
        assert _refused(form, role)
        assert _refused(response, role)
        assert (world.workshop.status, world.workshop.closing_report) == ("open", "")


@pytest.mark.parametrize("role", ROLES)
def test_buttons_show_only_to_those_allowed(
    users: dict[str, User | None], world: World, planned: Workshop, role: str
) -> None:
    client = _client(users, role)
    planned_page = client.get(f"/w/{planned.pk}/").content.decode()
    open_page = client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert (f'action="/w/{planned.pk}/open/"' in planned_page) == (role in OPENERS)
    assert (f'href="/w/{world.workshop.pk}/close/"' in open_page) == (role in CLOSERS)
    assert f"/w/{planned.pk}/close/" not in planned_page  # a planned table cannot close
    assert f"/w/{world.workshop.pk}/open/" not in open_page


def test_opening_an_open_table_tells_why(users: dict[str, User | None], world: World) -> None:
    response = _client(users, "facilitator").post(f"/w/{world.workshop.pk}/open/")
    assert response.status_code == 302
    assert _messages(response) == ["هذه الورشة مفتوحة أصلًا."]


def test_closing_a_closed_table_shows_no_form(users: dict[str, User | None], world: World) -> None:
    response = _client(users, "national_coordinator").get(f"/w/{world.closed_workshop.pk}/close/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="closing_report"' not in html
    assert "هذه المائدة المستديرة غير مفتوحة، فلا يمكن إغلاقها." in html


# -- the report ------------------------------------------------------------------------------------


def test_a_report_citing_another_workshops_contribution_is_refused_and_changes_nothing(
    users: dict[str, User | None], world: World
) -> None:
    elsewhere = Contribution.objects.create(
        consultation=world.consultation,
        workshop=world.closed_workshop,
        text="مساهمة من مائدة أخرى",
        dimension="challenge",
        channel="web",
        author=world.participant,
    )
    client = _client(users, "rapporteur")
    response = client.post(
        f"/w/{world.workshop.pk}/close/",
        {"closing_report": f"{REPORT} #{world.proposal.pk} #{elsewhere.pk}"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert (
        f"يستشهد التقرير بـ #{elsewhere.pk}، وليست مساهمة منشورة لهذه المائدة المستديرة: "
        "استشهد فقط بالأرقام الظاهرة في صفحتها."
    ) in html
    assert f"{REPORT} #{world.proposal.pk} #{elsewhere.pk}" in html  # what was typed stays
    world.workshop.refresh_from_db()
    assert (world.workshop.status, world.workshop.closing_report) == ("open", "")


def test_the_refusal_reads_in_french(users: dict[str, User | None], world: World) -> None:
    response = _client(users, "rapporteur").post(
        f"/fr/w/{world.workshop.pk}/close/", {"closing_report": "#999999"}
    )
    assert response.status_code == 422
    assert (
        "Le rapport cite #999999, qui n&#x27;est pas une contribution publiée de cette table "
        "ronde : ne citez que les numéros affichés sur sa page."
    ) in response.content.decode()


def test_the_report_is_shown_once_closed_with_its_citations_linked(
    users: dict[str, User | None], world: World
) -> None:
    report = f"{REPORT} (#{world.proposal.pk})\nوالكلفة #{world.challenge.pk}."
    _client(users, "rapporteur").post(f"/w/{world.workshop.pk}/close/", {"closing_report": report})

    html = Client().get(f"/w/{world.workshop.pk}/").content.decode()

    section = html.split('<section id="report"')[1].split("</section>")[0]
    assert "تقرير المقرّر" in section
    assert f'<a href="#cited-{world.proposal.pk}">#{world.proposal.pk}</a>' in section
    assert f'<a href="#cited-{world.challenge.pk}">#{world.challenge.pk}</a>' in section
    cited = re.findall(r'<li class="card contribution" id="cited-(\d+)">', section)
    assert cited == [str(world.proposal.pk), str(world.challenge.pk)]
    assert world.challenge.text in section
    assert "Ahmed B." not in section  # contributions by number, never by author


def test_no_report_section_while_the_table_is_open(world: World) -> None:
    assert '<section id="report"' not in Client().get(f"/w/{world.workshop.pk}/").content.decode()


# -- the facilitator's speaker picker ------------------------------------------------------------


def _speakers(html: str) -> list[str]:
    choices = html.split('<div id="speaker-choices"')[1].split("</div>")[0]
    return re.findall(r'<input type="radio" name="author" value="\d+"[^>]*><bdi>([^<]*)', choices)


@pytest.fixture
def crowd(world: World) -> list[Participant]:
    """Thirty people registered for the meeting, one of them from a women's association."""
    association = ActorType.objects.create(
        slug="association",
        category="ess",
        label_ar="جمعية",
        label_fr="Association",
        label_en="Association",
    )
    women = Organisation.objects.create(
        name="جمعية نساء تالوين",
        slug="women-taliouine",
        actor_type=association,
        territory=world.meeting.territory,
        sector=Organisation.Sector.ARGAN,
    )
    people = []
    for n in range(30):
        person = Participant.objects.create(display_name=f"Amina {n:02}")
        Registration.objects.create(meeting=world.meeting, participant=person)
        people.append(person)
    people[29].organisations.add(women)
    return people


def test_search_lists_people_at_the_table_first_and_at_most_twenty(
    world: World, crowd: list[Participant]
) -> None:
    Attendance.objects.create(workshop=world.workshop, participant=crowd[25])
    client = Client()
    client.force_login(world.facilitator)

    names = _speakers(client.get(f"/w/{world.workshop.pk}/").content.decode())

    assert len(names) == 20
    assert sorted(names[:3]) == sorted(["Ahmed B.", "Amina 25", "فاطمة أ."])
    assert names[3:] == [f"Amina {n:02}" for n in range(17)]


def test_search_without_javascript_filters_by_name_organisation_and_actor_type(
    world: World, crowd: list[Participant]
) -> None:
    client = Client()
    client.force_login(world.facilitator)
    url = f"/w/{world.workshop.pk}/"
    # Every word must match, each in any of the fields.
    assert _speakers(client.get(url, {"speaker_q": "mina 2"}).content.decode()) == [
        "Amina 02",
        "Amina 12",
        *[f"Amina {n}" for n in range(20, 30)],
    ]
    assert _speakers(client.get(url, {"speaker_q": "amina 27"}).content.decode()) == ["Amina 27"]
    assert _speakers(client.get(url, {"speaker_q": "تالوين"}).content.decode()) == ["Amina 29"]
    assert _speakers(client.get(url, {"speaker_q": "association"}).content.decode()) == ["Amina 29"]
    # The world's two at the table belong to a cooperative.
    assert sorted(_speakers(client.get(url, {"speaker_q": "تعاونية"}).content.decode())) == sorted(
        ["Ahmed B.", "فاطمة أ."]
    )


def test_search_as_you_type_returns_the_choices_partial(
    world: World, crowd: list[Participant], htmx_headers: dict[str, str]
) -> None:
    client = Client()
    client.force_login(world.facilitator)
    response = client.get(
        f"/w/{world.workshop.pk}/speakers/", {"speaker_q": "Amina 29"}, headers=htmx_headers
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="speaker-choices"')
    assert _speakers(html) == ["Amina 29"]
    assert "جمعية نساء تالوين" in html


def test_only_those_recording_for_the_table_may_search_speakers(
    world: World, participant_client: Client
) -> None:
    assert participant_client.get(f"/w/{world.workshop.pk}/speakers/").status_code == 403
    assert Client().get(f"/w/{world.workshop.pk}/speakers/").status_code == 302
    assert (
        'id="speaker-choices"'
        not in participant_client.get(f"/w/{world.workshop.pk}/").content.decode()
    )


def _record(client: Client, world: World, **data: str):
    payload = {"text": REPORT, "dimension": "challenge", "idempotency_key": "", **data}
    return client.post(f"/w/{world.workshop.pk}/contribute/", payload)


def test_recording_for_someone_without_the_consent_tick_is_refused(
    world: World, crowd: list[Participant]
) -> None:
    client = Client()
    client.force_login(world.facilitator)

    response = _record(client, world, author=str(crowd[3].pk))

    html = response.content.decode()
    assert response.status_code == 422
    assert (
        "ضع علامة في الخانة بعد أن يوافق المتحدث شفهيًا على المشاركة: بدونها لا يمكن تسجيل "
        "كلامه باسمه."
    ) in html
    assert not Contribution.objects.filter(text=REPORT).exists()
    assert not Consent.objects.filter(participant=crowd[3]).exists()
    # The speaker chosen stays chosen, even though the first twenty leave them out.
    checked = re.findall(r'name="author" value="(\d+)" checked', html)
    assert checked == [str(crowd[3].pk)]


def test_recording_for_someone_says_whom_it_was_recorded_for(
    world: World, crowd: list[Participant]
) -> None:
    client = Client()
    client.force_login(world.facilitator)

    response = _record(client, world, author=str(crowd[3].pk), oral_consent="on")

    stored = Contribution.objects.get(text=REPORT)
    assert stored.author == crowd[3]
    assert _messages(response) == ["سُجّلت المساهمة باسم Amina 03."]
    consent = Consent.objects.get(participant=crowd[3])
    assert (consent.granted, consent.method) == (True, Consent.Method.ORAL)


def test_recording_for_the_table_without_a_name_needs_no_tick(world: World) -> None:
    client = Client()
    client.force_login(world.facilitator)
    response = _record(client, world)
    assert response.status_code == 302
    assert Contribution.objects.get(text=REPORT).author is None
    assert _messages(response) == ["سُجّلت المساهمة باسم المائدة المستديرة، دون تسمية المتحدث."]


def test_control_characters_in_a_search_are_dropped(world: World) -> None:
    client = Client()
    client.force_login(world.facilitator)
    response = client.get(f"/w/{world.workshop.pk}/speakers/", {"speaker_q": "\x00Ahm\u202eed"})
    assert response.status_code == 200
    assert _speakers(response.content.decode()) == ["Ahmed B."]
