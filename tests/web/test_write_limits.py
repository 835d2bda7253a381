"""Per-participant rates of contributions and votes: counted per account (a workshop shares
one hotspot), a higher rate for a facilitator recording the room, and a translated 429 in the
HTMX partial and on the page without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tashawur.actors.models import Participant
from tashawur.actors.services import consent_record
from tashawur.consultations.models import Attendance
from tashawur.contributions.models import Contribution, Vote
from tashawur.core.models import User
from tashawur.core.roles import Role

from .world import PASSWORD, World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_windows")]

TOO_FAST_AR = "أنت ترسل المساهمات بسرعة كبيرة. انتظر دقيقة واحدة، ثم أعد الإرسال: نصك ما زال هنا."
TOO_FAST_FR = (
    "Vous envoyez des contributions trop vite. Attendez 1 minute, puis renvoyez : votre texte "
    "est toujours là."
)
VOTING_TOO_FAST_AR = "أنت تصوّت بسرعة كبيرة. انتظر دقيقة واحدة، ثم صوّت من جديد."


def _contribute(client: Client, world: World, text: str, *, htmx: bool = True, prefix: str = ""):
    return client.post(
        f"{prefix}/w/{world.workshop.pk}/contribute/",
        {"text": text, "dimension": "proposal", "idempotency_key": ""},
        headers={"HX-Request": "true"} if htmx else {},
    )


def _vote(client: Client, contribution: Contribution, value: str, *, htmx: bool = True):
    return client.post(
        f"/s/{contribution.pk}/vote/",
        {"value": value},
        headers={"HX-Request": "true"} if htmx else {},
    )


def _errors(html: str) -> list[str]:
    return re.findall(
        r"<li>([^<]+)</li>", "".join(re.findall(r'<ul class="errors"[^>]*>(.*?)</ul>', html))
    )


def _second_participant(world: World) -> Client:
    user = User.objects.create_user(username="neighbour", password=PASSWORD, role=Role.PARTICIPANT)
    participant = Participant.objects.create(display_name="Youssef A.", user=user)
    Attendance.objects.create(workshop=world.workshop, participant=participant)
    consent_record(participant=participant, granted=True, method="web")
    client = Client()  # the same address as everyone's: 127.0.0.1
    client.force_login(user)
    return client


def test_the_eleventh_contribution_in_a_minute_is_refused_with_the_translated_message(
    world: World, participant_client: Client
) -> None:
    statuses = [
        _contribute(participant_client, world, f"اقتراح رقم {n}").status_code for n in range(10)
    ]
    assert statuses == [200] * 10

    response = _contribute(participant_client, world, "اقتراح زائد")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert _errors(html) == [TOO_FAST_AR]
    assert "اقتراح زائد</textarea>" in html  # the text is kept in the form
    assert not Contribution.objects.filter(text="اقتراح زائد").exists()
    assert Contribution.objects.filter(author=world.participant).count() == 10


def test_without_javascript_the_page_says_it_with_429(
    world: World, participant_client: Client
) -> None:
    for n in range(10):
        assert _contribute(participant_client, world, f"رقم {n}", htmx=False).status_code == 302

    response = _contribute(participant_client, world, "اقتراح زائد", htmx=False, prefix="/fr")

    assert response.status_code == 429
    html = response.content.decode()
    assert "<h1>" in html  # the whole page, not a partial
    assert _errors(html) == [TOO_FAST_FR]


def test_htmx_swaps_a_429_answer_into_the_page(world: World, participant_client: Client) -> None:
    html = participant_client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert '{"code":"429","swap":true}' in html


def test_the_limit_is_per_account_not_per_hotspot(world: World, participant_client: Client) -> None:
    for n in range(11):
        _contribute(participant_client, world, f"رقم {n}")
    neighbour = _second_participant(world)

    assert _contribute(neighbour, world, "من نفس الشبكة").status_code == 200


@override_settings(TASHAWUR_RATE_CONTRIBUTIONS_RECORDED="15/m")
def test_a_facilitator_recording_the_room_has_a_higher_rate(world: World, client: Client) -> None:
    client.force_login(world.facilitator)

    statuses = [_contribute(client, world, f"قالها أحدهم {n}").status_code for n in range(16)]

    assert statuses == [200] * 15 + [429]
    assert _errors(_contribute(client, world, "أخرى").content.decode()) == [TOO_FAST_AR]


@override_settings(TASHAWUR_RATE_VOTES="5/m")
def test_votes_past_the_rate_are_refused_in_the_partial(
    world: World, participant_client: Client
) -> None:
    values = ["1", "-1", "0", "1", "-1"]
    assert [_vote(participant_client, world.proposal, v).status_code for v in values] == [200] * 5

    response = _vote(participant_client, world.proposal, "1")

    assert response.status_code == 429
    html = response.content.decode()
    assert f'<p class="errors" role="alert">{VOTING_TOO_FAST_AR}</p>' in html
    assert Vote.objects.get(participant=world.participant).value == -1  # the refused one not cast


@override_settings(TASHAWUR_RATE_VOTES="2/m")
def test_votes_past_the_rate_without_javascript_give_the_page_with_429(
    world: World, participant_client: Client
) -> None:
    for value in ("1", "-1"):
        assert _vote(participant_client, world.proposal, value, htmx=False).status_code == 302

    response = _vote(participant_client, world.proposal, "0", htmx=False)

    assert response.status_code == 429
    html = response.content.decode()
    assert f"<li>{VOTING_TOO_FAST_AR}</li>" in html
    assert world.workshop.title_ar in html
    assert _vote(_second_participant(world), world.proposal, "1").status_code == 200
