"""The workshop page's blank contribution form comes from the cache
(``contributions.views.contribution_form_cached``): each reader still gets their own CSRF token
and a fresh idempotency key, the dimension they filtered by and their language."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tashawur.contributions.models import Contribution
from tests.actors.factories import ParticipantFactory, UserFactory

from .world import World

pytestmark = pytest.mark.django_db


def _form(html: str) -> str:
    found = re.search(r'<form id="contribution-form".*?</form>', html, re.S)
    assert found is not None, "no contribution form"
    return found.group(0)


def _field(form: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert found is not None, f"no {name}"
    return found.group(1)


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _reader(username: str) -> Client:
    reader = ParticipantFactory(user=UserFactory(username=username), consented=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader.user)
    return client


def test_a_cached_form_carries_the_readers_own_token_and_a_fresh_key(world: World) -> None:
    cache.clear()
    url = f"/w/{world.workshop.pk}/"
    first = _form(_page(_reader("first-reader"), url))  # cached as the first reader has it
    client = _reader("second-reader")
    form = _form(_page(client, url))
    again = _form(_page(client, url))
    key = _field(form, "idempotency_key")

    assert key not in {_field(first, "idempotency_key"), _field(again, "idempotency_key")}
    assert "tashawur-idempotency-key" not in form
    response = client.post(
        f"/w/{world.workshop.pk}/contribute/",
        {
            "csrfmiddlewaretoken": _field(form, "csrfmiddlewaretoken"),
            "idempotency_key": key,
            "text": "Un marché hebdomadaire pour les coopératives de la province.",
            "dimension": "proposal",
        },
    )

    assert response.status_code == 302  # accepted (no JavaScript: back to the page)
    assert Contribution.objects.filter(
        idempotency_key=key, text__startswith="Un marché hebdomadaire"
    ).exists()


def test_a_cached_form_checks_the_dimension_filtered_by(
    world: World, participant_client: Client
) -> None:
    cache.clear()
    url = f"/w/{world.workshop.pk}/"
    filtered = _form(_page(participant_client, f"{url}?dimension=proposal"))
    unfiltered = _form(_page(participant_client, url))

    checked = r'name="dimension" value="(\w+)"[^>]* checked'
    assert re.findall(checked, filtered) == ["proposal"]
    assert re.findall(checked, unfiltered) == []


def test_a_cached_form_is_in_the_readers_language(world: World, participant_client: Client) -> None:
    cache.clear()
    arabic = _form(_page(participant_client, f"/w/{world.workshop.pk}/"))
    french = _form(_page(participant_client, f"/fr/w/{world.workshop.pk}/"))

    assert 'action="/fr/w/' in french
    assert 'action="/fr/w/' not in arabic
    assert "Votre contribution" in french
    assert "Votre contribution" not in arabic
