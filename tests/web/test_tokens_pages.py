"""API tokens in pages: a person makes, lists and revokes their own in /me/tokens/; a regional
coordinator makes device tokens for the staff of their consultations' round tables only; the
national coordinator for any staff. A key is shown once and never stored."""

from __future__ import annotations

import pytest
from django.test import Client

from tashawur.core.models import ApiToken, User
from tashawur.core.roles import Role
from tashawur.core.tokens import api_token_authenticate, api_token_create, key_hash

from .world import World

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _shown_key(html: str) -> str:
    start = html.index('id="new-token-key"')
    value = html.index('value="', start) + len('value="')
    return html[value : html.index('"', value)]


def test_a_person_creates_sees_once_and_revokes_their_token(
    world: World, participant_client: Client
) -> None:
    response = participant_client.post("/me/tokens/", {"name": "my script"})
    assert response.status_code == 200
    assert response["Cache-Control"].count("no-store") == 1
    key = _shown_key(response.content.decode())
    token = ApiToken.objects.get()
    assert (token.user, token.kind, token.key_hash) == (
        world.participant_user,
        ApiToken.Kind.PERSONAL,
        key_hash(key),
    )
    listing = participant_client.get("/me/tokens/").content.decode()
    assert key not in listing
    assert token.prefix in listing and "my script" in listing

    revoked = participant_client.post("/me/tokens/", {"revoke": token.pk})
    assert revoked.status_code == 302
    assert api_token_authenticate(key) is None


def test_a_name_is_required(participant_client: Client) -> None:
    response = participant_client.post("/me/tokens/", {"name": ""})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_person_token(world: World, participant_client: Client) -> None:
    token, key = api_token_create(user=world.facilitator, name="phone", created_by=None)
    response = participant_client.post("/me/tokens/", {"revoke": token.pk})
    assert response.status_code == 403
    assert api_token_authenticate(key) == world.facilitator
    hostile = participant_client.post("/me/tokens/", {"revoke": "٣"})
    assert hostile.status_code == 400


def test_me_links_to_the_tokens_page(participant_client: Client) -> None:
    assert 'href="/me/tokens/"' in participant_client.get("/me/").content.decode()


def test_a_coordinator_makes_a_device_token_for_their_facilitator_only(world: World) -> None:
    coordinator = User.objects.create_user("coord", role=Role.REGIONAL_COORDINATOR)
    world.consultation.coordinators.add(coordinator)
    stranger = User.objects.create_user("far-facilitator", role=Role.FACILITATOR)
    client = _signed_in(coordinator)

    page = client.get("/manage/tokens/").content.decode()
    assert f'value="{world.facilitator.pk}"' in page
    assert f'value="{stranger.pk}"' not in page

    made = client.post("/manage/tokens/", {"holder": world.facilitator.pk, "name": "tablet 3"})
    refused = client.post("/manage/tokens/", {"holder": stranger.pk, "name": "tablet 4"})

    assert made.status_code == 200
    key = _shown_key(made.content.decode())
    token = ApiToken.objects.get()
    assert (token.user, token.kind, token.created_by) == (
        world.facilitator,
        ApiToken.Kind.DEVICE,
        coordinator,
    )
    assert api_token_authenticate(key) == world.facilitator
    assert refused.status_code == 422  # not on the list: the form says so
    assert ApiToken.objects.count() == 1

    assert client.post("/manage/tokens/", {"revoke": token.pk}).status_code == 302
    assert api_token_authenticate(key) is None


def test_a_coordinator_cannot_revoke_someone_else_token(world: World) -> None:
    coordinator = User.objects.create_user("coord", role=Role.REGIONAL_COORDINATOR)
    world.consultation.coordinators.add(coordinator)
    stranger = User.objects.create_user("far-facilitator", role=Role.FACILITATOR)
    theirs, _key = api_token_create(
        user=stranger, name="phone", kind=ApiToken.Kind.DEVICE, created_by=None
    )
    personal, _key = api_token_create(user=world.facilitator, name="own", created_by=None)
    client = _signed_in(coordinator)
    assert client.post("/manage/tokens/", {"revoke": theirs.pk}).status_code == 403
    assert client.post("/manage/tokens/", {"revoke": personal.pk}).status_code == 403
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_the_national_coordinator_issues_for_any_staff_not_participants(world: World) -> None:
    national = User.objects.create_user("nat", role=Role.NATIONAL_COORDINATOR)
    stranger = User.objects.create_user("far-facilitator", role=Role.FACILITATOR)
    client = _signed_in(national)
    page = client.get("/manage/tokens/").content.decode()
    assert f'value="{stranger.pk}"' in page
    assert f'value="{world.participant_user.pk}"' not in page
    assert "/manage/tokens/" in client.get("/manage/").content.decode()


def test_facilitators_and_participants_have_no_device_token_page(
    world: World, participant_client: Client
) -> None:
    assert _signed_in(world.facilitator).get("/manage/tokens/").status_code == 403
    assert participant_client.get("/manage/tokens/").status_code == 403
