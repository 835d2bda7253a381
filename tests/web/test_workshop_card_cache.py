"""The workshop page's cards come from the cache (``contributions.views.cards_cached``): each
reader still sees their own vote, report and CSRF token, and everyone sees the counters and
the moderation as they are now."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tashawur.contributions import views
from tashawur.contributions.models import ModerationStatus
from tests.actors.factories import ParticipantFactory, UserFactory

from .world import World

pytestmark = pytest.mark.django_db


def _card(html: str, pk: int) -> str:
    found = re.search(rf'<li class="card contribution" id="c-{pk}">.*?</li>', html, re.S)
    assert found is not None, f"no card #{pk}"
    return found.group(0)


def _pressed(card: str) -> list[str]:
    return re.findall(r'name="value" value="(-?\d)" aria-pressed="true"', card)


def _counts(card: str) -> list[str]:
    return re.findall(r"<b>(\d+)</b>", card)


def _page(client: Client, world: World) -> str:
    response = client.get(f"/w/{world.workshop.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _other_client() -> Client:
    other = ParticipantFactory(user=UserFactory(username="another-voter"), consented=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(other.user)
    return client


def test_a_cached_card_shows_each_reader_their_own_vote(
    world: World, participant_client: Client
) -> None:
    participant_client.post(f"/s/{world.proposal.pk}/vote/", {"value": "-1"})
    other = _other_client()
    _page(other, world)  # the card cached as the other reader sees it

    assert _pressed(_card(_page(participant_client, world), world.proposal.pk)) == ["-1"]
    assert _pressed(_card(_page(other, world), world.proposal.pk)) == []


def test_a_cached_card_carries_the_readers_own_csrf_token(
    world: World, participant_client: Client
) -> None:
    _page(participant_client, world)  # cached with the first reader's token
    other = _other_client()
    html = _page(other, world)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _card(html, world.proposal.pk))
    assert token is not None

    response = other.post(
        f"/s/{world.proposal.pk}/vote/", {"value": "1", "csrfmiddlewaretoken": token.group(1)}
    )

    assert response.status_code == 302  # accepted (no JavaScript: back to the page)
    assert _pressed(_card(_page(other, world), world.proposal.pk)) == ["1"]


def test_a_cached_card_shows_the_counters_after_another_readers_vote(
    world: World, participant_client: Client
) -> None:
    before = _counts(_card(_page(participant_client, world), world.proposal.pk))
    other = _other_client()
    html = _page(other, world)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    other.post(
        f"/s/{world.proposal.pk}/vote/", {"value": "1", "csrfmiddlewaretoken": token.group(1)}
    )

    after = _counts(_card(_page(participant_client, world), world.proposal.pk))
    assert int(after[0]) == int(before[0]) + 1


def test_a_card_taken_down_leaves_the_page_though_it_was_cached(
    world: World, participant_client: Client
) -> None:
    other = _other_client()
    assert f'id="c-{world.proposal.pk}"' in _page(other, world)
    # Past the services, as a bulk fix would: the card's key holds its status, not a version.
    type(world.proposal).objects.filter(pk=world.proposal.pk).update(
        moderation_status=ModerationStatus.REJECTED
    )

    assert f'id="c-{world.proposal.pk}"' not in _page(other, world)


def _rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the workshop page's partials that the card cache renders from now on."""
    names: list[str] = []
    get_template = views.get_template

    def recording(name: str, *args: Any, **kwargs: Any) -> Any:
        names.append(name.rpartition("#")[2])
        return get_template(name, *args, **kwargs)

    monkeypatch.setattr(views, "get_template", recording)
    return names


def test_a_vote_renders_again_the_tally_of_its_card_not_the_card(
    world: World, participant_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every card cached, its body and its tally.
    before = _counts(_card(_page(participant_client, world), world.proposal.pk))
    other = _other_client()
    html = _page(other, world)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    other.post(
        f"/s/{world.proposal.pk}/vote/", {"value": "1", "csrfmiddlewaretoken": token.group(1)}
    )
    rendered = _rendered(monkeypatch)

    card = _card(_page(participant_client, world), world.proposal.pk)

    assert [name for name in rendered if name in {"card", "vote"}] == ["vote"]
    assert int(_counts(card)[0]) == int(before[0]) + 1
    assert card.count('<form class="vote"') == 1
    assert "<tashawur:" not in card


def test_a_card_after_the_readers_own_vote_shows_it_pressed_and_one_tally(
    world: World, participant_client: Client
) -> None:
    _page(participant_client, world)
    participant_client.post(f"/s/{world.proposal.pk}/vote/", {"value": "0"})

    card = _card(_page(participant_client, world), world.proposal.pk)

    assert _pressed(card) == ["0"]
    assert card.count('<span class="tally" role="status">') == 1


def _oob_card(html: str) -> str:
    found = re.search(r'<ol hx-swap-oob="afterbegin:#contributions">(.*)</ol>', html, re.S)
    assert found is not None, "no card of the contribution stored"
    return found.group(1)


def _card_rendered(world: World, contribution: Any, participant: Any, language: str) -> str:
    """The card of a contribution just stored as the template renders it, uncached."""
    from django.template.loader import get_template
    from django.test import RequestFactory
    from django.utils import translation

    request = RequestFactory().post("/")
    request.user = participant.user
    with translation.override(language):
        (card,) = views.contribution_cards([contribution], own_author_id=participant.pk)
        return str(
            get_template("contributions/workshop.html#card").render(
                {
                    "workshop": world.workshop,
                    "card": card,
                    "own_author_id": participant.pk,
                    "may_vote": True,
                    "votes": {},
                },
                request,
            )
        )


@pytest.mark.parametrize("language", ["ar", "fr"])
@pytest.mark.parametrize("moderation", ["post", "pre"])
def test_the_card_of_a_contribution_just_stored_is_the_templates(
    world: World,
    htmx_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    moderation: str,
) -> None:
    """The card sent back with a stored contribution is filled in from a skeleton
    (``views._created_card_filled``): byte for byte the template's card, the text escaped,
    for each dimension, the skeleton rendered once per kind of card."""
    from tashawur.contributions.models import Contribution

    world.consultation.moderation = moderation
    world.consultation.save()
    monkeypatch.setattr(views, "_card_skeletons", {})
    reader = ParticipantFactory(user=UserFactory(username=f"stored-{language}"), consented=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader.user)
    prefix = "" if language == "ar" else f"/{language}"
    client.get(f"{prefix}/w/{world.workshop.pk}/")
    secret = client.cookies["csrftoken"].value
    texts = [
        ("proposal", "Des pépinières <b>communales</b> & « 987654321987 » tashawurstandintext"),
        ("proposal", "  Un second   texte, 2001  "),
        ("challenge", "Les routes coupées l’hiver"),
    ]
    for number, (dimension, text) in enumerate(texts):
        key = f"stored-{language}-{moderation}-{number}"
        response = client.post(
            f"{prefix}/w/{world.workshop.pk}/contribute/",
            {"idempotency_key": key, "text": text, "dimension": dimension},
            headers={**htmx_headers, "X-CSRFToken": secret},
        )
        assert response.status_code == 200
        card = _oob_card(response.content.decode())
        contribution = Contribution.objects.get(idempotency_key=key)
        expected = _card_rendered(world, contribution, reader, language)
        token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
        assert token.sub("", card) == token.sub("", expected)
        assert all(_unmask(found) == secret for found in token.findall(card))
    # One skeleton per kind of card: the two proposals shared theirs.
    assert len(views._card_skeletons) == 2


def _unmask(token: str) -> str:
    from django.middleware.csrf import _unmask_cipher_token

    return _unmask_cipher_token(token)
