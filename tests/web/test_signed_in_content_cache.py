"""The body of the home and consultation pages is cached for signed-in readers
(``web.content_cache``): what it shows of its reader stays theirs, and a change shows at once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tashawur.contributions.models import ModerationStatus
from tests.consultations.factories import MeetingFactory
from tests.contributions.factories import ContributionFactory

from .world import World

pytestmark = pytest.mark.django_db


def test_the_moderation_link_stays_with_those_who_moderate(
    world: World, participant_client: Client
) -> None:
    url = f"/fr/c/{world.consultation.slug}/"
    queue = reverse("contributions:moderation", args=[world.consultation.slug])
    facilitator = Client()
    facilitator.force_login(world.facilitator)

    assert queue in facilitator.get(url).content.decode()  # cached as the facilitator sees it
    assert queue not in participant_client.get(url).content.decode()
    assert queue in facilitator.get(url).content.decode()


def test_a_signed_in_reader_sees_a_new_meeting_at_once(
    world: World, participant_client: Client
) -> None:
    url = f"/fr/c/{world.consultation.slug}/"
    participant_client.get(url)
    meeting = MeetingFactory(consultation=world.consultation, title_fr="Une réunion nouvelle")

    assert meeting.title_fr in participant_client.get(url).content.decode()


def test_the_home_page_counts_a_new_contribution_at_once_when_signed_in(
    world: World, participant_client: Client
) -> None:
    def contributions_shown() -> str:
        html = participant_client.get("/fr/").content.decode()
        return html.split('<ul class="counts">')[1].split("</ul>")[0]

    before = contributions_shown()
    ContributionFactory(workshop=world.workshop, moderation_status=ModerationStatus.PUBLISHED)

    assert contributions_shown() != before
    assert world.participant_user.username in participant_client.get("/fr/").content.decode()
