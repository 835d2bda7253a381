"""Agree / disagree / pass on proposals: the partial shows the counts and the current vote."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tashawur.contributions.models import Contribution, Vote

from .world import World

pytestmark = pytest.mark.django_db


def _vote(client: Client, contribution: Contribution, value: str, headers: dict[str, str]):
    return client.post(f"/s/{contribution.pk}/vote/", {"value": value}, headers=headers)


def _pressed(html: str) -> list[str]:
    return re.findall(
        r'<button type="submit" name="value" value="(-?\d)" aria-pressed="true">', html
    )


def _counts(html: str) -> list[str]:
    return re.findall(r"<b>(\d+)</b>", html)


def test_vote_returns_the_partial_with_counts_and_current_vote(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = _vote(participant_client, world.proposal, "1", htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<form class="vote" id="vote-{world.proposal.pk}"')
    assert _counts(html) == ["2", "0", "0"]
    assert _pressed(html) == ["1"]
    assert "أنت موافق." in html


def test_second_vote_replaces_the_first(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    _vote(participant_client, world.proposal, "1", htmx_headers)
    html = _vote(participant_client, world.proposal, "-1", htmx_headers).content.decode()
    assert _counts(html) == ["1", "1", "0"]
    assert _pressed(html) == ["-1"]
    assert list(
        Vote.objects.filter(participant=world.participant).values_list("value", flat=True)
    ) == [-1]


def test_workshop_page_shows_the_participants_vote(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    _vote(participant_client, world.proposal, "0", htmx_headers)
    html = participant_client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert _pressed(html) == ["0"]


def test_vote_without_javascript_redirects_to_the_card(
    world: World, participant_client: Client
) -> None:
    response = participant_client.post(f"/s/{world.proposal.pk}/vote/", {"value": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/w/{world.workshop.pk}/#c-{world.proposal.pk}"
    assert Vote.objects.filter(participant=world.participant, value=1).exists()


def test_only_proposals_are_put_to_the_vote(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = _vote(participant_client, world.challenge, "1", htmx_headers)
    assert response.status_code == 422
    assert '<p class="errors" role="alert">لا يُعرض للتصويت إلا المقترحات.</p>' in (
        response.content.decode()
    )
    assert not Vote.objects.filter(contribution=world.challenge).exists()


def test_invalid_value_is_refused(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = _vote(participant_client, world.proposal, "7", htmx_headers)
    assert response.status_code == 422
    assert "اختر موافق أو غير موافق أو محايد." in response.content.decode()


def test_vote_on_a_closed_workshop_is_refused_with_the_translated_message(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    world.workshop.status = "closed"
    world.workshop.closed_at = world.workshop.opened_at
    world.workshop.save()
    response = _vote(participant_client, world.proposal, "1", htmx_headers)
    assert response.status_code == 422
    assert "هذه الورشة مغلقة: لم تعد تقبل المساهمات ولا التصويت." in response.content.decode()
    assert not Vote.objects.filter(participant=world.participant).exists()


def test_staff_without_a_participant_cannot_vote(
    world: World, client: Client, htmx_headers: dict[str, str]
) -> None:
    client.force_login(world.facilitator)
    assert _vote(client, world.proposal, "1", htmx_headers).status_code == 403


def test_anonymous_vote_is_sent_to_sign_in(world: World, client: Client) -> None:
    response = client.post(f"/s/{world.proposal.pk}/vote/", {"value": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_vote_answer_is_the_templates_vote_partial(
    world: World, participant_client: Client, htmx_headers: dict[str, str], language: str
) -> None:
    """The answer is put together from a skeleton rendered once per language and vote
    (views._vote_form_html): byte for byte the partial the template renders for it."""
    from django.middleware.csrf import _unmask_cipher_token
    from django.template.loader import get_template
    from django.test import RequestFactory
    from django.urls import reverse
    from django.utils import translation

    prefix = "" if language == "ar" else f"/{language}"
    for value in ("1", "-1", "0", "1", "1"):
        response = participant_client.post(
            f"{prefix}/s/{world.proposal.pk}/vote/", {"value": value}, headers=htmx_headers
        )
        assert response.status_code == 200
        html = response.content.decode()
        world.proposal.refresh_from_db()
        with translation.override(language):
            expected = get_template("contributions/workshop.html#vote").render(
                {
                    "c": world.proposal,
                    "card": {
                        "urls": {"vote": reverse("contributions:vote", args=[world.proposal.pk])}
                    },
                    "votes": {world.proposal.pk: int(value)},
                    "vote_error": None,
                },
                RequestFactory().post("/"),
            )
        token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
        found = token.search(html)
        # The reader's own token (masked afresh, as the template's {% csrf_token %} writes it).
        assert found is not None
        secret = participant_client.cookies["csrftoken"].value
        assert _unmask_cipher_token(found.group(1)) == secret
        assert token.sub("", html) == token.sub("", expected)
