"""The moderation pages: the queue (/c/<slug>/moderation/), a decision on one contribution
(/c/<slug>/moderation/<pk>/) and a participant's report (/s/<pk>/flag/), as every role, with
pre- and post-moderation and hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from tashawur.consultations.models import Consultation, Workshop
from tashawur.contributions.models import (
    Contribution,
    ContributionFlag,
    ModerationEvent,
    ModerationStatus,
)
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.consultations.factories import ConsultationFactory, WorkshopFactory

from .world import World

pytestmark = pytest.mark.django_db

QUEUE = "/c/souss-massa-2018/moderation/"
OPEN_DATA = "/api/consultations/souss-massa-2018/contributions.json"


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _user(username: str, role: str) -> User:
    return User.objects.create_user(username=username, password="x-pass-1", role=role)


@pytest.fixture
def users(world: World) -> dict[str, User | None]:
    """Every role, with its scope: this consultation's or another region's, this
    consultation's round table or another consultation's."""
    consultation = world.consultation
    regional = _user("regional", Role.REGIONAL_COORDINATOR)
    consultation.coordinators.add(regional)
    elsewhere = ConsultationFactory(
        strategy=consultation.strategy, region__code="01", slug="tanger-2018"
    )
    regional_elsewhere = _user("regional-elsewhere", Role.REGIONAL_COORDINATOR)
    elsewhere.coordinators.add(regional_elsewhere)
    facilitator_elsewhere = _user("facilitator-elsewhere", Role.FACILITATOR)
    WorkshopFactory(meeting__consultation=elsewhere, facilitator=facilitator_elsewhere)
    rapporteur = _user("rapporteur", Role.RAPPORTEUR)
    world.workshop.rapporteur = rapporteur
    world.workshop.save()
    analyst = _user("analyst", Role.ANALYST)
    consultation.analysts.add(analyst)
    national = User.objects.create_superuser(
        "national", password="x-pass-1", role=Role.NATIONAL_COORDINATOR
    )
    return {
        "national": national,
        "regional": regional,
        "regional_elsewhere": regional_elsewhere,
        "facilitator": world.facilitator,
        "facilitator_elsewhere": facilitator_elsewhere,
        "rapporteur": rapporteur,
        "analyst": analyst,
        "participant": world.participant_user,
        "anonymous": None,
    }


#: Who may open the queue and decide on a contribution of this consultation's round table.
MODERATORS = {"national", "regional", "facilitator"}
ROLES = [
    "national",
    "regional",
    "regional_elsewhere",
    "facilitator",
    "facilitator_elsewhere",
    "rapporteur",
    "analyst",
    "participant",
    "anonymous",
]


def _pending(world: World, text: str = "نص ينتظر الإشراف") -> Contribution:
    return Contribution.objects.create(
        consultation=world.consultation,
        workshop=world.workshop,
        text=text,
        dimension="challenge",
        channel="web",
        author=world.participant,
        moderation_status=ModerationStatus.PENDING,
    )


def _moderate(client: Client, contribution: Contribution, **data: str) -> Any:
    return client.post(f"{QUEUE}{contribution.pk}/", data)


@pytest.mark.parametrize("role", ROLES)
def test_queue_role_matrix(world: World, users: dict[str, User | None], role: str) -> None:
    pending = _pending(world)

    response = _client(users[role]).get(QUEUE)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    elif role in MODERATORS:
        assert response.status_code == 200
        assert pending.text in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_moderate_role_matrix(world: World, users: dict[str, User | None], role: str) -> None:
    pending = _pending(world)

    response = _moderate(_client(users[role]), pending, action="publish")

    pending.refresh_from_db()
    if role in MODERATORS:
        assert response.status_code == 302
        assert pending.moderation_status == ModerationStatus.PUBLISHED
        assert ModerationEvent.objects.get().actor == users[role]
    else:
        assert response.status_code == (302 if role == "anonymous" else 403)
        assert pending.moderation_status == ModerationStatus.PENDING
        assert not ModerationEvent.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_flag_role_matrix(world: World, users: dict[str, User | None], role: str) -> None:
    response = _client(users[role]).post(f"/s/{world.proposal.pk}/flag/", {"reason": "spam"})

    if role == "participant":
        assert response.status_code == 302
        assert ContributionFlag.objects.get().participant == world.participant
    else:
        # Staff accounts have no participant to report as; anonymous visitors sign in first.
        assert response.status_code == (302 if role == "anonymous" else 403)
        assert not ContributionFlag.objects.exists()


def test_a_facilitator_of_another_round_table_sees_and_decides_only_their_own(
    world: World,
) -> None:
    neighbour = _user("neighbour", Role.FACILITATOR)
    theirs = WorkshopFactory(meeting=world.meeting, facilitator=neighbour)
    mine = _pending(world, "نص من المائدة الأولى")
    client = _client(neighbour)

    queue = client.get(QUEUE).content.decode()
    refused = _moderate(client, mine, action="reject", reason="spam")
    other_filter = client.get(QUEUE, {"workshop": world.workshop.pk})

    assert mine.text not in queue
    assert refused.status_code == 403
    assert other_filter.status_code == 400
    assert client.get(QUEUE, {"workshop": theirs.pk}).status_code == 200
    mine.refresh_from_db()
    assert mine.moderation_status == ModerationStatus.PENDING


def test_a_contribution_of_another_consultation_is_not_found_here(
    world: World, users: dict[str, User | None]
) -> None:
    elsewhere = Consultation.objects.get(slug="tanger-2018")
    workshop = Workshop.objects.get(meeting__consultation=elsewhere)
    other = Contribution.objects.create(
        consultation=elsewhere,
        workshop=workshop,
        text="نص من جهة أخرى",
        dimension="challenge",
        channel="web",
        author=world.participant,
    )

    response = _moderate(_client(users["national"]), other, action="reject", reason="spam")

    assert response.status_code == 404


# --- pre- and post-moderation, seen by the public, the author and open data --------------------


def _submit(client: Client, world: World, text: str) -> Any:
    return client.post(
        f"/w/{world.workshop.pk}/contribute/", {"text": text, "dimension": "challenge"}
    )


def _open_data_ids() -> set[int]:
    return {row["id"] for row in Client().get(OPEN_DATA).json()["results"]}


def test_pre_moderation_holds_a_contribution_out_of_public_pages_and_open_data(
    world: World, participant_client: Client
) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(moderation="pre")
    text = "نقترح تكوينًا في التسويق الرقمي"

    response = _submit(participant_client, world, text)
    contribution = Contribution.objects.get(text=text)
    message = participant_client.get(response["Location"]).content.decode()

    assert contribution.moderation_status == ModerationStatus.PENDING
    assert "ستُنشر بعد أن يطّلع عليها مشرف" in message
    assert "في انتظار الإشراف" in message  # the author sees their item and its status
    assert text not in Client().get(f"/w/{world.workshop.pk}/").content.decode()
    assert contribution.pk not in _open_data_ids()

    _moderate(_client(world.facilitator), contribution, action="publish")

    assert text in Client().get(f"/w/{world.workshop.pk}/").content.decode()
    assert contribution.pk in _open_data_ids()


def test_post_moderation_publishes_at_once(world: World, participant_client: Client) -> None:
    text = "نقترح تكوينًا في التسويق الرقمي"

    _submit(participant_client, world, text)

    contribution = Contribution.objects.get(text=text)
    assert contribution.moderation_status == ModerationStatus.PUBLISHED
    assert text in Client().get(f"/w/{world.workshop.pk}/").content.decode()
    assert contribution.pk in _open_data_ids()


def test_reject_with_a_reason_shows_it_to_the_author_only(
    world: World, participant_client: Client
) -> None:
    text = "هذا نص المشاركة فاطمة"
    own = Contribution.objects.create(
        consultation=world.consultation,
        workshop=world.workshop,
        text=text,
        dimension="challenge",
        channel="web",
        author=world.participant,
    )
    response = _moderate(
        _client(world.facilitator),
        own,
        action="reject",
        reason="personal_data",
        note="يذكر رقم هاتف",
    )
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?status=to_review&page=1"

    author_page = participant_client.get(f"/w/{world.workshop.pk}/").content.decode()
    public_page = Client().get(f"/w/{world.workshop.pk}/").content.decode()

    assert text in author_page
    assert "غير منشورة. السبب: معطيات شخصية." in author_page
    assert "يذكر رقم هاتف" in author_page
    assert text not in public_page
    assert own.pk not in _open_data_ids()


def test_restore_publishes_again_and_both_decisions_are_recorded(world: World) -> None:
    client = _client(world.facilitator)

    _moderate(client, world.challenge, action="reject", reason="duplicate")
    _moderate(client, world.challenge, action="restore")

    world.challenge.refresh_from_db()
    assert world.challenge.moderation_status == ModerationStatus.PUBLISHED
    assert list(
        ModerationEvent.objects.order_by("at", "pk").values_list("action", "reason", "actor")
    ) == [("reject", "duplicate", world.facilitator.pk), ("restore", "", world.facilitator.pk)]
    assert world.challenge.text in Client().get(f"/w/{world.workshop.pk}/").content.decode()


def test_the_decision_message_is_translated(world: World) -> None:
    client = _client(world.facilitator)
    response = _moderate(client, world.challenge, action="reject", reason="spam")
    page = client.get(response["Location"]).content.decode()
    assert f"رُفضت المساهمة رقم {world.challenge.pk}." in page


# --- reports -----------------------------------------------------------------------------------


def test_a_second_report_is_refused_politely_and_stored_once(
    world: World, participant_client: Client
) -> None:
    url = f"/s/{world.proposal.pk}/flag/"
    participant_client.post(url, {"reason": "spam"})
    response = participant_client.post(url, {"reason": "insult"})
    page = participant_client.get(response["Location"]).content.decode()

    assert ContributionFlag.objects.count() == 1
    assert "سبق أن بلّغت عن هذه المساهمة." in page
    assert "بلّغت عن هذه المساهمة: سيطّلع عليها المشرفون." in page


def test_a_reported_contribution_surfaces_in_the_queue_with_its_count(
    world: World, participant_client: Client
) -> None:
    participant_client.post(f"/s/{world.proposal.pk}/flag/", {"reason": "insult"})

    page = _client(world.facilitator).get(QUEUE).content.decode()

    assert escape(world.proposal.text) in page
    assert "بُلّغ عنها مرة واحدة" in page
    assert "سبّ أو كراهية (1)" in page
    assert world.challenge.text not in page  # not reported: not to review


def test_reports_are_rate_limited(
    world: World, participant_client: Client, settings: Any, frozen_rate_windows: None
) -> None:
    settings.TASHAWUR_RATE_FLAGS = "1/m"
    participant_client.post(f"/s/{world.proposal.pk}/flag/", {"reason": "spam"})

    response = participant_client.post(f"/s/{world.challenge.pk}/flag/", {"reason": "spam"})

    assert response.status_code == 429
    assert "أنت ترسل التبليغات بسرعة كبيرة. انتظر دقيقة واحدة، ثم أرسل من جديد." in (
        response.content.decode()
    )
    assert ContributionFlag.objects.count() == 1


# --- hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "reject", "reason": "rude"}, "اختر سببًا من القائمة."),
        ({"action": "reject"}, "اختر سبب رفض هذه المساهمة: سيقرؤه صاحبها."),
        ({"action": "delete"}, "اختر النشر أو الرفض أو الاستعادة."),
        ({"action": "reject", "reason": "spam", "note": "x" * 501}, None),
    ],
)
def test_a_refused_decision_changes_nothing_and_says_why(
    world: World, data: dict[str, str], message: str | None
) -> None:
    client = _client(world.facilitator)
    response = _moderate(client, world.challenge, **data)
    page = client.get(response["Location"]).content.decode()

    world.challenge.refresh_from_db()
    assert world.challenge.moderation_status == ModerationStatus.PUBLISHED
    assert not ModerationEvent.objects.exists()
    if message:
        assert message in page


def test_a_report_with_an_unknown_reason_is_refused(
    world: World, participant_client: Client
) -> None:
    response = participant_client.post(f"/s/{world.proposal.pk}/flag/", {"reason": "boring"})
    page = participant_client.get(response["Location"]).content.decode()
    assert "اختر سبب تبليغك عن هذه المساهمة." in page
    assert not ContributionFlag.objects.exists()


@pytest.mark.parametrize(
    "query",
    [{"status": "hidden"}, {"workshop": "٣"}, {"workshop": "9" * 30}, {"page": "²"}],
)
def test_queue_answers_400_to_hostile_filters(world: World, query: dict[str, str]) -> None:
    assert _client(world.facilitator).get(QUEUE, query).status_code == 400


def test_unknown_ids_are_not_found(world: World, participant_client: Client) -> None:
    assert (
        _client(world.facilitator).post(f"{QUEUE}999999/", {"action": "publish"}).status_code == 404
    )
    assert participant_client.post("/s/999999/flag/", {"reason": "spam"}).status_code == 404
    assert _client(world.facilitator).get("/c/nowhere/moderation/").status_code == 404


def test_the_queue_speaks_french_under_fr(world: World) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(moderation="pre")
    _pending(world)

    page = _client(world.facilitator).get(f"/fr{QUEUE}").content.decode()

    assert '<html lang="fr" dir="ltr">' in page
    assert "Les contributions attendent ici qu'un modérateur les publie." in page
    assert "Note à l'auteur (facultative)" in page
    assert ">Publier</button>" in page
    assert '<option value="personal_data">Données personnelles</option>' in page


def test_pre_moderation_tells_an_htmx_author_that_it_waits(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(moderation="pre")

    response = participant_client.post(
        f"/w/{world.workshop.pk}/contribute/",
        {"text": "نقترح سوقًا أسبوعية للتعاونيات", "dimension": "proposal"},
        headers=htmx_headers,
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "شكرًا: سُجّلت مساهمتك. ستُنشر بعد أن يطّلع عليها مشرف." in html
    assert '<span class="badge pending">في انتظار الإشراف</span>' in html
    assert 'class="vote"' not in html  # a held proposal is not put to the vote yet


@pytest.mark.parametrize("role", ROLES)
def test_the_consultation_page_links_the_queue_for_moderators_only(
    world: World, users: dict[str, User | None], role: str
) -> None:
    page = _client(users[role]).get("/c/souss-massa-2018/").content.decode()
    assert (f'href="{QUEUE}"' in page) == (role in MODERATORS)
