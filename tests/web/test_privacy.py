"""The workshop page names no one: contributions show their number, their author's actor type
and province only where open data would show them (k authors), and "Your contribution" to their
own author."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tashawur.contributions.models import Channel
from tashawur.contributions.services import contribution_submit

from .world import World

OWN = "مساهمتك"


def _cards(html: str) -> dict[int, str]:
    return {
        int(pk): body
        for pk, body in re.findall(
            r'<li class="card contribution" id="c-(\d+)">(.*?)</li>', html, flags=re.DOTALL
        )
    }


def test_anonymous_visitors_read_numbers_not_names(world: World, client: Client) -> None:
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()

    assert "Ahmed B." not in html
    assert "فاطمة أ." not in html
    cards = _cards(html)
    assert sorted(cards) == sorted(c.pk for c in (world.proposal, world.challenge, world.tifinagh))
    for pk, card in cards.items():
        assert f'<a class="number" href="#c-{pk}">المساهمة رقم {pk}</a>' in card
        assert OWN not in card


def test_the_author_sees_their_own_contribution_marked(
    world: World, participant_client: Client
) -> None:
    own = contribution_submit(
        workshop=world.workshop,
        text="تسهيل ولوج التعاونيات إلى الأسواق",
        dimension="proposal",
        channel=Channel.WEB,
        author=world.participant,
        language="ar",
    ).contribution

    cards = _cards(participant_client.get(f"/w/{world.workshop.pk}/").content.decode())

    assert [pk for pk, card in cards.items() if OWN in card] == [own.pk]
    assert "فاطمة أ." not in cards[own.pk]


def test_actor_type_shows_only_where_k_authors_share_it(
    world: World, client: Client, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 1
    shown = _cards(client.get(f"/w/{world.workshop.pk}/").content.decode())
    settings.TASHAWUR_OPEN_DATA_K = 2
    hidden = _cards(client.get(f"/w/{world.workshop.pk}/").content.decode())

    # One author (Ahmed B., of a cooperative) wrote the three contributions.
    assert all('<span class="author"><bdi>تعاونية</bdi></span>' in card for card in shown.values())
    assert all('class="author"' not in card for card in hidden.values())
