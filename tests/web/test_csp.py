"""Every page, the API and the admin carry a Content-Security-Policy that allows nothing inline
and nothing from elsewhere; the templates hold nothing that it would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import tashawur
from tashawur.core.models import User

from .world import World

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def _policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/login/", 200),
        ("/api/consultations", 200),
        ("/api/no-such-route", 404),
        ("/no-such-page/", 404),
    ],
)
def test_policy_is_sent_with_the_expected_directives(
    world: World, client: Client, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert _policy(response) == POLICY


def test_workshop_page_of_a_participant_carries_the_policy(
    world: World, participant_client: Client
) -> None:
    response = participant_client.get(f"/w/{world.workshop.pk}/")
    assert response.status_code == 200
    assert _policy(response) == POLICY


def test_admin_carries_the_same_policy(world: World, client: Client) -> None:
    client.force_login(User.objects.create_superuser("root", password="x-admin-password"))
    response = client.get("/admin/contributions/contribution/")
    assert response.status_code == 200
    assert _policy(response) == POLICY
    # Django's changelist adds an inline <style> only to a model admin without actions.
    assert b"<style" not in response.content


# Rendered to PDF by WeasyPrint on the server, never served to a browser.
SERVER_ONLY = {
    "programmes/programme_print.html",
    "web/meeting_badge_print.html",
    "web/meeting_attendance_print.html",
    "diagnosis/published_print.html",
    "web/strategy/rollup_print.html",
}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event handler attribute"),
    (re.compile(r"\shx-on", re.IGNORECASE), "hx-on attribute (needs eval)"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
    (re.compile(r"\bjs:", re.IGNORECASE), "htmx js: expression (needs eval)"),
]


def test_templates_hold_nothing_the_policy_blocks() -> None:
    package = Path(tashawur.__file__).parent
    found = []
    for template in sorted(package.glob("**/templates/**/*.html")):
        name = template.as_posix().split("/templates/", 1)[1]
        if name in SERVER_ONLY:
            continue
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            if pattern.search(text):
                found.append(f"{name}: {what}")
    assert found == []
