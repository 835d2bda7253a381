"""“Already said” under the contribution's text box: GET /w/<pk>/similar/?text=… returns an
HTMX partial with up to three published contributions of the consultation that say nearly the
same, each with an “I agree” button that casts a vote. Participants who may contribute only;
short texts get nothing, long ones are cut; counted per account like the other writes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from tashawur.contributions.models import Vote
from tashawur.contributions.similar import MAX_QUERY_CHARS

from .world import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_windows")]

# An Arabic paraphrase of the world's French proposal ("a single window to accompany
# cooperatives towards the IGP label").
PARAPHRASE = "إحداث شباك وحيد لمواكبة التعاونيات في الحصول على علامة الجودة"


def _similar(client: Client, world: World, text: str, **extra):
    return client.get(
        f"/w/{world.workshop.pk}/similar/", {"text": text}, headers={"HX-Request": "true"}, **extra
    )


def test_a_participant_sees_the_proposal_already_made_with_an_agree_button(
    participant_client, world
):
    response = _similar(participant_client, world, PARAPHRASE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="similar"')
    assert "<html" not in html
    assert escape(world.proposal.text) in html
    assert f"/s/{world.proposal.pk}/vote/" in html
    assert 'hx-vals=\'{"value": "1"}\'' in html
    assert html.count('class="similar-item"') <= 3
    assert "no-store" in response["Cache-Control"]


def test_the_agree_button_casts_a_vote(participant_client, world):
    response = participant_client.post(
        f"/s/{world.proposal.pk}/vote/", {"value": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'class="tally"' in response.content.decode()  # what the button selects (hx-select)
    assert Vote.objects.filter(
        contribution=world.proposal, participant=world.participant, value=Vote.Value.AGREE
    ).exists()
    # Voted on: no longer suggested.
    assert (
        escape(world.proposal.text)
        not in _similar(participant_client, world, PARAPHRASE).content.decode()
    )


def test_own_contributions_are_not_suggested(participant_client, world):
    world.proposal.author = world.participant
    world.proposal.save(update_fields=["author"])

    html = _similar(participant_client, world, PARAPHRASE).content.decode()

    assert escape(world.proposal.text) not in html


def test_short_texts_get_an_empty_region_and_long_ones_are_served(participant_client, world):
    short = _similar(participant_client, world, "  شباك  ")
    assert short.status_code == 200
    assert (
        short.content.decode().strip()
        == '<div id="similar" class="similar" aria-live="polite"></div>'
    )

    long = _similar(participant_client, world, PARAPHRASE * 100)
    assert len(PARAPHRASE * 100) > MAX_QUERY_CHARS
    assert long.status_code == 200

    hostile = _similar(participant_client, world, "\x00\u202e" + PARAPHRASE)
    assert hostile.status_code == 200


def test_too_many_look_ups_are_refused_with_a_translated_429(participant_client, world, settings):
    settings.TASHAWUR_RATE_SIMILAR = "2/m"
    for _ in range(2):
        assert _similar(participant_client, world, PARAPHRASE).status_code == 200
    # Short texts are not counted (nothing is looked up).
    assert _similar(participant_client, world, "قصير").status_code == 200

    refused = _similar(participant_client, world, PARAPHRASE)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "keep writing" in refused.content.decode() or "واصل" in refused.content.decode()
    assert escape(world.proposal.text) not in refused.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "facilitator", "closed"])
def test_who_may_not_ask(world, who):
    client = Client()
    workshop = world.workshop
    if who == "facilitator":
        client.force_login(world.facilitator)
    elif who == "closed":
        client.force_login(world.participant_user)
        workshop = world.closed_workshop
    response = client.get(f"/w/{workshop.pk}/similar/", {"text": PARAPHRASE})
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    else:
        assert response.status_code == 403


def test_the_text_box_asks_while_typing_only_for_participants(participant_client, world):
    page = participant_client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert f'hx-get="/w/{world.workshop.pk}/similar/"' in page
    assert 'hx-trigger="input changed delay:400ms"' in page
    assert '<div id="similar" class="similar" aria-live="polite"></div>' in page

    staff = Client()
    staff.force_login(world.facilitator)
    assert "/similar/" not in staff.get(f"/w/{world.workshop.pk}/").content.decode()
