"""``/me/``: "What became of my contributions", each of the person's contributions with its
fate in a line and a link to its own page (``/s/<pk>/``)."""

from __future__ import annotations

from django.test import Client
from django.utils import translation

from tashawur.contributions.models import ModerationStatus
from tashawur.contributions.services import contribution_submit

from .chain import MEASURE_AR, build_chain
from .world import World


def test_me_follows_each_contribution_to_its_measure(world: World) -> None:
    chain = build_chain(world)
    client = Client()
    client.force_login(world.participant_user)

    html = client.get("/me/").content.decode()

    assert 'id="my-contributions"' in html
    assert f'href="/s/{chain.mine.pk}/"' in html
    assert MEASURE_AR in html
    assert "45" in html
    # Only the person's own contributions: the others' are not listed.
    assert f'href="/s/{world.proposal.pk}/"' not in html


def test_me_says_when_a_contribution_awaits_moderation_or_a_synthesis(world: World) -> None:
    pending = contribution_submit(
        workshop=world.workshop,
        text="سؤال ينتظر المراجعة",
        dimension="question",
        channel="web",
        author=world.participant,
        language="ar",
    ).contribution
    pending.moderation_status = ModerationStatus.PENDING
    pending.save(update_fields=["moderation_status"])
    unread = contribution_submit(
        workshop=world.workshop,
        text="Une proposition que la synthèse n'a pas encore lue",
        dimension="proposal",
        channel="web",
        author=world.participant,
        language="fr",
    ).contribution
    client = Client()
    client.force_login(world.participant_user)

    html = client.get("/fr/me/").content.decode()

    assert f'href="/fr/s/{pending.pk}/"' in html
    assert f'href="/fr/s/{unread.pk}/"' in html
    with translation.override("fr"):
        assert str(pending.get_moderation_status_display()) in html


def test_me_without_contributions_says_so(world: World) -> None:
    client = Client()
    client.force_login(world.participant_user)
    html = client.get("/me/").content.decode()
    assert 'id="my-contributions"' in html
    assert "/s/" not in html
