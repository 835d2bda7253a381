"""The offline capture pages (/capture/): who sees which round tables and forms, and the
service worker and web app manifest that make the page installable and usable offline."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from tashawur.consultations.models import Workshop
from tashawur.core.models import User
from tashawur.core.roles import Role

from .world import World

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_needs_a_signed_in_user(world: World, client: Client) -> None:
    response = client.get("/capture/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_participant_sees_the_open_round_tables_and_the_install_hint(
    world: World, participant_client: Client
) -> None:
    response = participant_client.get("/capture/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/capture/w/{world.workshop.pk}/"' in page
    assert f'href="/capture/w/{world.closed_workshop.pk}/"' not in page
    assert 'rel="manifest" href="/capture/manifest.webmanifest"' in page
    assert 'class="notice install-hint"' in page


def test_the_facilitator_sees_their_round_tables_first(world: World) -> None:
    response = _signed_in(world.facilitator).get("/capture/")
    page = response.content.decode()
    assert 'id="recorded-title"' in page
    assert f'href="/capture/w/{world.workshop.pk}/"' in page
    # A facilitator without a participant record contributes to nothing else.
    assert 'id="contributed-title"' not in page


def test_the_participant_form_queues_to_the_api_and_falls_back_to_the_form(
    world: World, participant_client: Client
) -> None:
    response = participant_client.get(f"/capture/w/{world.workshop.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    # The API the outbox sends to; the form itself posts to the workshop's view without JS.
    assert f'data-contributions-url="/api/workshops/{world.workshop.pk}/contributions"' in page
    assert f'action="/w/{world.workshop.pk}/contribute/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    # The outbox sends only the signed-in person's items (a phone may be shared).
    assert f'data-user="{world.participant_user.pk}"' in page
    assert 'name="author"' not in page  # only the staff name a speaker
    # Votes on published contributions, through the API when JavaScript runs.
    assert f'data-vote-url="/api/contributions/{world.proposal.pk}/votes"' in page
    assert 'id="outbox"' in page and "contributions/capture.js" in page
    assert "<script>" not in page and "style=" not in page


def test_the_facilitator_picks_a_speaker_and_does_not_vote(world: World) -> None:
    response = _signed_in(world.facilitator).get(f"/capture/w/{world.workshop.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="author"' in page and 'name="oral_consent"' in page
    assert f"<bdi>{world.participant.display_name}</bdi>" in page
    assert "data-vote-url" not in page


def test_a_closed_round_table_shows_no_form(world: World, participant_client: Client) -> None:
    response = participant_client.get(f"/capture/w/{world.closed_workshop.pk}/")
    assert response.status_code == 200
    assert b'id="capture-form"' not in response.content
    assert b"data-vote-url" not in response.content


def test_someone_who_neither_records_nor_contributes_is_refused(world: World) -> None:
    analyst = User.objects.create_user("analyst", password="x-password-1", role=Role.ANALYST)
    assert _signed_in(analyst).get(f"/capture/w/{world.workshop.pk}/").status_code == 403
    response = Client().get(f"/capture/w/{world.workshop.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_service_worker_is_a_script_that_is_always_revalidated(
    world: World, client: Client
) -> None:
    response = client.get("/capture/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))  # type: ignore[union-attr]
    assert "/static/contributions/capture.js" in precache
    assert "/static/tashawur/site.css" in precache
    assert any(url.endswith(".woff2") for url in precache)
    # POSTs (the API) are never intercepted; pages are kept only under /capture/.
    assert 'request.method !== "GET"' in script
    assert 'const HOME = "/capture/";' in script
    assert "&quot;" not in script and "&#x27;" not in script


def test_the_cache_version_follows_the_static_files(world: World, client: Client) -> None:
    from tashawur.contributions import capture_views

    first = client.get("/capture/sw.js").content
    assert client.get("/capture/sw.js").content == first
    capture_views._static_digest.cache_clear()
    try:
        original = capture_views.PRECACHED
        capture_views.PRECACHED = (*original, "vendor/htmx/htmx.min.js")
        assert client.get("/capture/sw.js").content != first
    finally:
        capture_views.PRECACHED = original
        capture_views._static_digest.cache_clear()


def test_the_manifest_makes_the_capture_page_installable_in_arabic(
    world: World, client: Client
) -> None:
    response = client.get("/capture/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/capture/" and manifest["scope"] == "/capture/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "ar" and manifest["dir"] == "rtl"
    assert manifest["theme_color"] == "#0b6e4f"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    with translation.override("ar"):
        assert manifest["name"] == gettext("Tashawur: capture in the field")
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        served.close()  # a static file is streamed
        assert served.status_code == 200


def test_the_manifest_in_french(world: World, client: Client) -> None:
    manifest = json.loads(client.get("/fr/capture/manifest.webmanifest").content)
    assert manifest["lang"] == "fr" and manifest["dir"] == "ltr"
    # The French pages have their own address, and so their own worker and scope.
    assert manifest["start_url"] == "/fr/capture/" and manifest["scope"] == "/fr/capture/"
    script = client.get("/fr/capture/sw.js").content.decode()
    assert 'const HOME = "/fr/capture/";' in script


def test_a_participant_of_a_draft_consultation_sees_nothing_of_it(
    world: World, participant_client: Client
) -> None:
    from tashawur.consultations.models import Consultation

    Consultation.objects.filter(pk=world.consultation.pk).update(status=Consultation.Status.DRAFT)
    assert participant_client.get(f"/capture/w/{world.workshop.pk}/").status_code == 403
    page = participant_client.get("/capture/").content.decode()
    assert f"/capture/w/{world.workshop.pk}/" not in page
    assert Workshop.objects.filter(pk=world.workshop.pk, status="open").exists()
