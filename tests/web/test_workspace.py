"""The staff workspace (/manage/) and the invitation landing (/i/<token>/): every URL as every
role, in this consultation's region and in another one; creation and edit round-trips; bad input
answered with a translated message and nothing written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import ngettext

from tashawur.actors.models import ActorType
from tashawur.consultations.models import (
    AgendaItem,
    Consultation,
    Invitation,
    Meeting,
    Theme,
    Workshop,
)
from tashawur.consultations.services import invitation_create
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.territories.models import Territory
from tashawur.web.workspace_forms import AGENDA_MAX_ROWS

from .world import PASSWORD, World

pytestmark = pytest.mark.django_db

ENDS_FIRST_AR = "يجب أن ينتهي اللقاء بعد بدايته."
ENDS_FIRST_FR = "La rencontre doit se terminer après son début."


@dataclass
class Staff:
    national: User
    coordinator: User
    other_coordinator: User
    analyst: User
    facilitator: User
    rapporteur: User
    participant: User
    elsewhere: Consultation
    elsewhere_meeting: Meeting
    elsewhere_workshop: Workshop


def _user(username: str, role: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role)


@pytest.fixture
def staff(world: World) -> Staff:
    """This consultation's staff, and a second region's consultation with its own coordinator."""
    coordinator = _user("coordinator", Role.REGIONAL_COORDINATOR)
    world.consultation.coordinators.add(coordinator)
    analyst = _user("analyst", Role.ANALYST)
    world.consultation.analysts.add(analyst)
    rapporteur = _user("rapporteur", Role.RAPPORTEUR)
    world.workshop.rapporteur = rapporteur
    world.workshop.save()
    region = Territory.objects.create(
        level="region",
        kind="region",
        code="01",
        parent=world.consultation.region.parent,
        name_ar="طنجة تطوان الحسيمة",
        name_fr="Tanger-Tétouan-Al Hoceïma",
    )
    province = Territory.objects.create(
        level="province",
        kind="province",
        code="01.511",
        parent=region,
        name_ar="شفشاون",
        name_fr="Chefchaouen",
    )
    elsewhere = Consultation.objects.create(
        strategy=world.consultation.strategy,
        region=region,
        slug="tanger-2026",
        title_ar="التشاور الجهوي طنجة",
        title_fr="Concertation régionale Tanger",
    )
    other_coordinator = _user("other-coordinator", Role.REGIONAL_COORDINATOR)
    elsewhere.coordinators.add(other_coordinator)
    starts = timezone.now() + dt.timedelta(days=20)
    elsewhere_meeting = Meeting.objects.create(
        consultation=elsewhere,
        slug="chefchaouen-2026",
        title_ar="لقاء شفشاون",
        title_fr="Rencontre de Chefchaouen",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=6),
        venue_ar="القاعة",
        venue_fr="La salle",
        territory=province,
    )
    elsewhere_workshop = Workshop.objects.create(
        meeting=elsewhere_meeting,
        theme=world.workshop.theme,
        position=1,
        title_ar="مائدة شفشاون",
        title_fr="Table de Chefchaouen",
    )
    return Staff(
        national=_user("national", Role.NATIONAL_COORDINATOR),
        coordinator=coordinator,
        other_coordinator=other_coordinator,
        analyst=analyst,
        facilitator=world.facilitator,
        rapporteur=rapporteur,
        participant=world.participant_user,
        elsewhere=elsewhere,
        elsewhere_meeting=elsewhere_meeting,
        elsewhere_workshop=elsewhere_workshop,
    )


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _object_urls(world: World) -> list[str]:
    slug, meeting = world.consultation.slug, world.meeting.slug
    return [
        f"/manage/c/{slug}/",
        f"/manage/c/{slug}/meetings/new/",
        f"/manage/c/{slug}/invitations/",
        f"/manage/m/{meeting}/",
        f"/manage/m/{meeting}/workshops/new/",
        f"/manage/w/{world.workshop.pk}/",
    ]


# -- the role matrix -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_from_every_workspace_url(world: World) -> None:
    for url in ["/manage/", "/manage/c/new/", *_object_urls(world)]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_participant_is_refused_every_workspace_url(world: World, staff: Staff) -> None:
    client = _client(staff.participant)
    for url in ["/manage/", "/manage/c/new/", *_object_urls(world)]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code in {403, 405}, url


def test_participant_has_no_workspace_link(world: World, staff: Staff) -> None:
    assert 'href="/manage/"' not in _client(staff.participant).get("/").content.decode()
    assert 'href="/manage/"' in _client(staff.coordinator).get("/").content.decode()


def test_facilitator_sees_their_round_tables_but_edits_nothing(world: World, staff: Staff) -> None:
    client = _client(staff.facilitator)
    page = client.get("/manage/").content.decode()
    assert f'href="/w/{world.workshop.pk}/"' in page
    assert world.workshop.title_ar in page
    assert world.closed_workshop.title_ar not in page  # not theirs
    for url in ["/manage/c/new/", *_object_urls(world)]:
        assert client.get(url).status_code == 403, url


def test_rapporteur_sees_the_round_table_they_report_on(world: World, staff: Staff) -> None:
    page = _client(staff.rapporteur).get("/manage/").content.decode()
    assert f'href="/w/{world.workshop.pk}/"' in page
    assert f"/w/{world.workshop.pk}/close/" in page


def test_analyst_sees_assigned_consultations_with_the_analysis_link(
    world: World, staff: Staff
) -> None:
    client = _client(staff.analyst)
    page = client.get("/manage/").content.decode()
    assert f"/c/{world.consultation.slug}/diagnosis/" in page
    assert staff.elsewhere.title_ar not in page
    assert f"/manage/c/{world.consultation.slug}/" not in page
    for url in ["/manage/c/new/", *_object_urls(world)]:
        assert client.get(url).status_code == 403, url


def test_regional_coordinator_manages_their_consultation(world: World, staff: Staff) -> None:
    client = _client(staff.coordinator)
    page = client.get("/manage/").content.decode()
    assert world.consultation.title_ar in page
    assert staff.elsewhere.title_ar not in page
    assert f"/c/{world.consultation.slug}/moderation/" in page
    assert escape(world.meeting.phase_label) in page
    for url in _object_urls(world):
        assert client.get(url).status_code == 200, url
    assert client.get("/manage/c/new/").status_code == 403


def test_regional_coordinator_of_another_region_is_refused_every_object(
    world: World, staff: Staff
) -> None:
    client = _client(staff.other_coordinator)
    for url in _object_urls(world):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"title_ar": "x"}).status_code == 403, url
    # and their own region's objects are theirs
    assert client.get(f"/manage/c/{staff.elsewhere.slug}/").status_code == 200
    assert client.get(f"/manage/m/{staff.elsewhere_meeting.slug}/").status_code == 200
    assert client.get(f"/manage/w/{staff.elsewhere_workshop.pk}/").status_code == 200
    assert (
        _client(staff.coordinator).get(f"/manage/w/{staff.elsewhere_workshop.pk}/").status_code
        == 403
    )


def test_an_unknown_object_is_not_found(world: World, staff: Staff) -> None:
    client = _client(staff.national)
    assert client.get("/manage/c/nowhere/").status_code == 404
    assert client.get("/manage/m/nowhere/").status_code == 404
    assert client.get("/manage/w/999999/").status_code == 404


def test_national_coordinator_manages_every_region(world: World, staff: Staff) -> None:
    client = _client(staff.national)
    page = client.get("/manage/").content.decode()
    assert world.consultation.title_ar in page
    assert staff.elsewhere.title_ar in page
    for url in ["/manage/c/new/", *_object_urls(world)]:
        assert client.get(url).status_code == 200, url
    assert client.get(f"/manage/c/{staff.elsewhere.slug}/").status_code == 200


def test_a_past_meeting_reads_held(world: World, staff: Staff) -> None:
    page = _client(staff.coordinator).get("/manage/").content.decode()
    assert '<span class="badge closed">انعقد</span>' in page  # the 2018 meeting
    page = _client(staff.national).get("/fr/manage/").content.decode()
    assert '<span class="badge closed">Tenu</span>' in page
    assert '<span class="badge planned">À venir</span>' in page  # Chefchaouen, in 20 days


# -- consultations -------------------------------------------------------------------------------


def _consultation_post(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "strategy": world.consultation.strategy_id,
        "region": "",
        "title_ar": "التشاور الجهوي درعة تافيلالت",
        "title_fr": "Concertation régionale Drâa-Tafilalet",
        "status": "draft",
        "moderation": "pre",
    }
    data.update(changes)
    return data


def test_national_coordinator_creates_a_consultation_with_a_slug_from_the_french_title(
    world: World, staff: Staff
) -> None:
    region = Territory.objects.create(
        level="region",
        kind="region",
        code="08",
        parent=world.consultation.region.parent,
        name_ar="درعة تافيلالت",
        name_fr="Drâa-Tafilalet",
    )
    response = _client(staff.national).post(
        "/manage/c/new/",
        _consultation_post(world, region=region.pk, coordinators=[staff.coordinator.pk]),
    )
    consultation = Consultation.objects.get(region=region)
    assert response.status_code == 302
    assert response["Location"] == f"/manage/c/{consultation.slug}/"
    assert consultation.slug == "concertation-regionale-draa-tafilalet"
    assert consultation.moderation == Consultation.Moderation.PRE
    assert list(consultation.coordinators.all()) == [staff.coordinator]


def test_a_second_consultation_for_the_same_region_is_refused(world: World, staff: Staff) -> None:
    before = Consultation.objects.count()
    response = _client(staff.national).post(
        "/manage/c/new/", _consultation_post(world, region=world.consultation.region_id)
    )
    assert response.status_code == 422
    assert Consultation.objects.count() == before


def test_coordinator_edits_their_consultation_but_not_its_region_or_coordinators(
    world: World, staff: Staff
) -> None:
    response = _client(staff.coordinator).post(
        f"/manage/c/{world.consultation.slug}/",
        _consultation_post(
            world,
            region=staff.elsewhere.region_id,
            title_fr="Concertation Souss-Massa",
            status="open",
            coordinators=[staff.other_coordinator.pk],
            analysts=[],
        ),
    )
    assert response.status_code == 302
    world.consultation.refresh_from_db()
    assert world.consultation.title_fr == "Concertation Souss-Massa"
    assert world.consultation.slug == "souss-massa-2018"
    assert world.consultation.moderation == Consultation.Moderation.PRE
    assert world.consultation.region.code == "09"
    assert list(world.consultation.coordinators.all()) == [staff.coordinator]
    assert list(world.consultation.analysts.all()) == []


def test_national_coordinator_names_a_consultations_coordinators(
    world: World, staff: Staff
) -> None:
    response = _client(staff.national).post(
        f"/manage/c/{world.consultation.slug}/",
        _consultation_post(
            world,
            region=world.consultation.region_id,
            coordinators=[staff.coordinator.pk, staff.other_coordinator.pk],
            analysts=[staff.analyst.pk],
        ),
    )
    assert response.status_code == 302
    assert set(world.consultation.coordinators.all()) == {
        staff.coordinator,
        staff.other_coordinator,
    }


def test_an_unreadable_coordinator_id_is_refused_without_a_query(
    world: World, staff: Staff
) -> None:
    response = _client(staff.national).post(
        f"/manage/c/{world.consultation.slug}/",
        _consultation_post(
            world, region=world.consultation.region_id, coordinators=["٣", "9" * 40]
        ),
    )
    assert response.status_code == 422


# -- meetings and their agenda -------------------------------------------------------------------


def _meeting_post(
    world: World, rows: list[dict[str, str]] | None = None, **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_ar": "لقاء أكادير",
        "title_fr": "Rencontre d'Agadir",
        "starts_at": "2027-03-10T09:00",
        "ends_at": "2027-03-10T17:00",
        "venue_ar": "قاعة البلدية",
        "venue_fr": "Salle municipale",
        "territory": world.meeting.territory_id,
        "capacity": "120",
    }
    rows = rows or []
    data["agenda-TOTAL_FORMS"] = str(len(rows) + 1)
    data["agenda-INITIAL_FORMS"] = "0"
    data["agenda-MIN_NUM_FORMS"] = "0"
    data["agenda-MAX_NUM_FORMS"] = "1000"
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"agenda-{i}-{key}"] = value
    data.update(changes)
    return data


OPENING = {
    "position": "1",
    "starts_at": "09:00",
    "ends_at": "10:00",
    "kind": "opening",
    "title_ar": "الجلسة الافتتاحية",
    "title_fr": "Séance d'ouverture",
}
TABLES = {
    "position": "2",
    "starts_at": "10:30",
    "ends_at": "12:30",
    "kind": "workshops",
    "title_ar": "الموائد المستديرة",
    "title_fr": "Tables rondes",
}


def test_coordinator_creates_a_meeting_with_its_agenda(world: World, staff: Staff) -> None:
    response = _client(staff.coordinator).post(
        f"/manage/c/{world.consultation.slug}/meetings/new/",
        _meeting_post(world, rows=[OPENING, TABLES]),
    )
    meeting = Meeting.objects.get(title_fr="Rencontre d'Agadir")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/m/{meeting.slug}/"
    assert meeting.slug == "rencontre-dagadir-2027-03-10"
    assert meeting.capacity == 120
    assert meeting.consultation == world.consultation
    assert [(i.position, i.kind) for i in meeting.agenda_items.all()] == [
        (1, "opening"),
        (2, "workshops"),
    ]
    page = _client(staff.coordinator).get(response["Location"]).content.decode()
    assert "Séance d&#x27;ouverture" in page


@pytest.mark.parametrize("claimed", ["61", "999999999"])
def test_an_agenda_claiming_too_many_rows_is_refused_without_building_them(
    world: World, staff: Staff, claimed: str
) -> None:
    data = _meeting_post(world, rows=[OPENING])
    data["agenda-TOTAL_FORMS"] = claimed
    response = _client(staff.coordinator).post(
        f"/manage/c/{world.consultation.slug}/meetings/new/", data
    )
    assert response.status_code == 422
    assert len(response.context["agenda"].forms) == AGENDA_MAX_ROWS
    with translation.override("ar"):
        refusal = ngettext(
            "An agenda holds at most %(num)d item.", "An agenda holds at most %(num)d items.", 60
        ) % {"num": 60}
    assert refusal != "An agenda holds at most 60 items."
    assert escape(refusal) in response.content.decode()
    assert not Meeting.objects.filter(title_fr="Rencontre d'Agadir").exists()


def test_coordinator_edits_a_meeting_and_replaces_its_agenda(world: World, staff: Staff) -> None:
    data = _meeting_post(
        world, rows=[{**OPENING, "DELETE": "on"}, TABLES], venue_fr="Dar INDH, Taroudant"
    )
    response = _client(staff.coordinator).post(f"/manage/m/{world.meeting.slug}/", data)
    assert response.status_code == 302
    world.meeting.refresh_from_db()
    assert world.meeting.venue_fr == "Dar INDH, Taroudant"
    assert list(world.meeting.agenda_items.values_list("title_fr", flat=True)) == ["Tables rondes"]


def test_a_meeting_that_ends_before_it_starts_is_refused_in_arabic(
    world: World, staff: Staff
) -> None:
    before = (Meeting.objects.count(), AgendaItem.objects.count())
    response = _client(staff.coordinator).post(
        f"/manage/c/{world.consultation.slug}/meetings/new/",
        _meeting_post(world, rows=[OPENING], ends_at="2027-03-10T08:00"),
    )
    assert response.status_code == 422
    assert ENDS_FIRST_AR in response.content.decode()
    assert (Meeting.objects.count(), AgendaItem.objects.count()) == before


def test_the_same_error_reads_in_french(world: World, staff: Staff) -> None:
    response = _client(staff.coordinator).post(
        f"/fr/manage/c/{world.consultation.slug}/meetings/new/",
        _meeting_post(world, ends_at="2027-03-10T08:00"),
    )
    assert response.status_code == 422
    assert escape(ENDS_FIRST_FR) in response.content.decode()


def test_two_agenda_items_at_one_position_are_refused_and_nothing_is_written(
    world: World, staff: Staff
) -> None:
    agenda = list(world.meeting.agenda_items.values_list("pk", flat=True))
    response = _client(staff.coordinator).post(
        f"/manage/m/{world.meeting.slug}/",
        _meeting_post(world, rows=[OPENING, {**TABLES, "position": "1"}]),
    )
    assert response.status_code == 422
    assert "بندان من جدول الأعمال في الموضع 1" in response.content.decode()
    world.meeting.refresh_from_db()
    assert world.meeting.title_fr == "Rencontre régionale de Taroudant"
    assert list(world.meeting.agenda_items.values_list("pk", flat=True)) == agenda


def test_a_province_of_another_region_is_refused(world: World, staff: Staff) -> None:
    other_province = staff.elsewhere_meeting.territory_id
    response = _client(staff.national).post(
        f"/manage/c/{world.consultation.slug}/meetings/new/",
        _meeting_post(world, territory=other_province),
    )
    assert response.status_code == 422
    assert not Meeting.objects.filter(title_fr="Rencontre d'Agadir").exists()


# -- workshops -----------------------------------------------------------------------------------


def _workshop_post(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "theme": world.workshop.theme_id,
        "position": "3",
        "title_ar": "التسويق الرقمي",
        "title_fr": "Commercialisation numérique",
        "question_ar": "كيف نبيع عبر الإنترنت؟",
        "question_fr": "Comment vendre en ligne ?",
        "room": "B",
        "facilitator": world.facilitator.pk,
        "rapporteur": "",
    }
    data.update(changes)
    return data


def test_coordinator_creates_and_edits_a_workshop(world: World, staff: Staff) -> None:
    client = _client(staff.coordinator)
    response = client.post(
        f"/manage/m/{world.meeting.slug}/workshops/new/",
        _workshop_post(world, rapporteur=staff.rapporteur.pk),
    )
    workshop = Workshop.objects.get(title_fr="Commercialisation numérique")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/w/{workshop.pk}/"
    assert (workshop.facilitator, workshop.rapporteur) == (world.facilitator, staff.rapporteur)
    assert workshop.status == Workshop.Status.PLANNED
    response = client.post(f"/manage/w/{workshop.pk}/", _workshop_post(world, room="C"))
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.room == "C"
    assert workshop.rapporteur is None


def test_a_workshop_at_a_taken_position_is_refused(world: World, staff: Staff) -> None:
    before = Workshop.objects.count()
    response = _client(staff.coordinator).post(
        f"/manage/m/{world.meeting.slug}/workshops/new/", _workshop_post(world, position="1")
    )
    assert response.status_code == 422
    assert "مائدة مستديرة أخرى من هذا اللقاء في الموضع 1" in response.content.decode()
    assert Workshop.objects.count() == before


def test_a_facilitator_must_hold_the_facilitator_role(world: World, staff: Staff) -> None:
    response = _client(staff.coordinator).post(
        f"/manage/m/{world.meeting.slug}/workshops/new/",
        _workshop_post(world, facilitator=staff.analyst.pk),
    )
    assert response.status_code == 422
    assert not Workshop.objects.filter(title_fr="Commercialisation numérique").exists()


def test_new_workshop_page_offers_the_next_position(world: World, staff: Staff) -> None:
    page = _client(staff.coordinator).get(f"/manage/m/{world.meeting.slug}/workshops/new/")
    assert 'name="position" value="3"' in page.content.decode()


# -- invitations ---------------------------------------------------------------------------------


def test_coordinator_creates_an_invitation_and_sees_its_link(world: World, staff: Staff) -> None:
    client = _client(staff.coordinator)
    url = f"/manage/c/{world.consultation.slug}/invitations/"
    actor_type = ActorType.objects.get(slug="cooperative")
    response = client.post(
        url,
        {
            "label": "Coopératives d'argan",
            "meeting": world.meeting.pk,
            "organisation": "تعاونية أركان تيوت",
            "actor_type": actor_type.pk,
            "territory": world.meeting.territory_id,
            "expires_at": "",
        },
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(label="Coopératives d'argan")
    assert invitation.created_by == staff.coordinator
    assert len(invitation.token) >= 32
    lifetime = invitation.expires_at - timezone.now()
    assert dt.timedelta(days=29) < lifetime <= dt.timedelta(days=30)
    page = client.get(url).content.decode()
    assert f"http://testserver/i/{invitation.token}/" in page


def test_coordinator_withdraws_an_invitation(world: World, staff: Staff) -> None:
    invitation = invitation_create(
        consultation=world.consultation, label="Tous", created_by=staff.coordinator
    )
    url = f"/manage/c/{world.consultation.slug}/invitations/"
    assert _client(staff.coordinator).post(url, {"withdraw": invitation.pk}).status_code == 302
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None
    assert Client().get(f"/i/{invitation.token}/").status_code == 410


def test_another_regions_invitation_cannot_be_withdrawn(world: World, staff: Staff) -> None:
    invitation = invitation_create(
        consultation=staff.elsewhere, label="Tanger", created_by=staff.other_coordinator
    )
    url = f"/manage/c/{world.consultation.slug}/invitations/"
    response = _client(staff.coordinator).post(url, {"withdraw": invitation.pk})
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None


def test_an_invitation_leads_to_a_prefilled_sign_up_and_counts_the_sign_up(
    world: World, staff: Staff
) -> None:
    actor_type = ActorType.objects.get(slug="cooperative")
    invitation = invitation_create(
        consultation=world.consultation,
        label="Coopératives",
        meeting=world.meeting,
        actor_type=actor_type,
        territory=world.meeting.territory,
        organisation="تعاونية أركان تيوت",
        created_by=staff.coordinator,
    )
    client = Client()
    response = client.get(f"/i/{invitation.token}/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/signup/?")
    assert f"territory={world.meeting.territory_id}" in location
    assert f"actor_type={actor_type.pk}" in location
    assert "next=%2Fm%2Ftaroudant-2018-08-04%2F" in location
    page = client.get(location).content.decode()
    assert f'<option value="{actor_type.pk}" selected>' in page
    response = client.post(
        "/signup/",
        {
            "display_name": "Nadia",
            "phone": "0612345678",
            "email": "",
            "password": "a-strong-pass-42!",
            "territory": world.meeting.territory_id,
            "actor_type": actor_type.pk,
            "organisation": "",
            "consent": "on",
            "next": "/",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invitation.refresh_from_db()
    assert invitation.sign_ups == 1


def test_an_expired_invitation_says_so(world: World, staff: Staff) -> None:
    invitation = invitation_create(
        consultation=world.consultation, label="Tous", created_by=staff.coordinator
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    response = Client().get(f"/fr/i/{invitation.token}/")
    assert response.status_code == 410
    assert "Ce lien d'invitation a expiré." in response.content.decode()
    assert Client().get("/i/no-such-token/").status_code == 404


def test_theme_choice_lists_the_themes(world: World, staff: Staff) -> None:
    page = _client(staff.national).get(f"/manage/m/{world.meeting.slug}/workshops/new/")
    assert Theme.objects.get().label_ar in page.content.decode()
