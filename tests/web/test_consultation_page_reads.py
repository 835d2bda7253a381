"""The consultation's page reads its programme's row from the cache (``programmes.selectors.
programme_visible_for``) and whether its reader facilitates one of its round tables with the
round tables' version (``web.page_versions``): a change to either shows at once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tashawur.programmes.models import Programme
from tests.actors.factories import UserFactory
from tests.consultations.factories import WorkshopFactory
from tests.programmes.factories import ProgrammeFactory

from .world import World

pytestmark = pytest.mark.django_db


def _page(client: Client, world: World) -> str:
    response = client.get(f"/fr/c/{world.consultation.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_programmes_link_follows_its_adoption_and_deletion_at_once(
    world: World, participant_client: Client
) -> None:
    # The link itself (the exports block's files have addresses under it).
    with translation.override("fr"):
        link = f'href="{reverse("programmes:programme", args=[world.consultation.slug])}"'
    assert link not in _page(participant_client, world)  # none yet, and cached so

    programme = ProgrammeFactory(consultation=world.consultation, status=Programme.Status.DRAFT)
    assert link not in _page(participant_client, world)  # a draft is not the public's

    programme.status = Programme.Status.ADOPTED
    programme.adopted_at = timezone.now()
    programme.save()
    assert link in _page(participant_client, world)

    programme.delete()
    assert link not in _page(participant_client, world)


def test_a_reader_made_facilitator_of_a_round_table_gets_the_queue_at_once(
    world: World,
) -> None:
    with translation.override("fr"):
        queue = f'href="{reverse("contributions:moderation", args=[world.consultation.slug])}"'
    user = UserFactory()
    client = Client()
    client.force_login(user)
    # Facilitating a round table of another consultation gives no queue here.
    WorkshopFactory(facilitator=user)
    assert queue not in _page(client, world)

    world.workshop.facilitator = user
    world.workshop.save()

    assert queue in _page(client, world)
