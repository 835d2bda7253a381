"""The site's header comes from the cache (``web.templatetags.tashawur_frame``): each reader
still reads their own name, address and CSRF token, their own menu, in their language, and a
renamed reader their new name at once."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tashawur.core.roles import Role
from tests.actors.factories import UserFactory

pytestmark = pytest.mark.django_db


def _header(client: Client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    found = re.search(r'<header class="site-header">.*?</header>', response.content.decode(), re.S)
    assert found is not None, "no header"
    return found.group(0)


def _signed_in(username: str, role: str = Role.PARTICIPANT) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username=username, role=role))
    return client


def _tokens(header: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', header)


def test_a_cached_header_shows_each_reader_their_name_and_their_token() -> None:
    cache.clear()
    first = _header(_signed_in("amina"))  # cached with the first reader in it
    client = _signed_in("youssef")
    header = _header(client)

    assert "<bdi>youssef</bdi>" in header
    assert "amina" not in header
    assert "TASHAWUR_HEADER" not in header
    assert len(_tokens(header)) == 2
    assert set(_tokens(header)).isdisjoint(_tokens(first))
    # The token put in is the reader's own: the language form it signs is accepted.
    response = client.post(
        "/i18n/setlang/",
        {"language": "fr", "next": "/", "csrfmiddlewaretoken": _tokens(header)[1]},
    )
    assert response.status_code == 302


def test_a_cached_header_escapes_the_readers_name_and_address() -> None:
    cache.clear()
    _header(_signed_in("plain"), "/?q=1")
    header = _header(_signed_in("<b>x&y</b>"), "/?q=<i>&r=2")

    assert "<bdi>&lt;b&gt;x&amp;y&lt;/b&gt;</bdi>" in header
    assert re.search(r'name="next" value="/\?q=[^"<>]+&amp;r=2"', header)
    assert "<i>" not in header


def test_a_renamed_reader_reads_their_new_name_at_once() -> None:
    cache.clear()
    user = UserFactory(username="old-name")
    client = Client()
    client.force_login(user)
    assert "<bdi>old-name</bdi>" in _header(client)
    user.username = "new-name"
    user.save(update_fields=["username"])

    header = _header(client)

    assert "<bdi>new-name</bdi>" in header
    assert "old-name" not in header


def test_a_cached_header_gives_the_workspace_link_to_staff_only() -> None:
    cache.clear()
    staff = _header(_signed_in("coordinator", Role.REGIONAL_COORDINATOR))
    participant = _header(_signed_in("participant"))

    assert 'href="/manage/"' in staff
    assert 'href="/manage/"' not in participant


def test_a_cached_header_follows_the_language_and_the_signed_out_reader() -> None:
    cache.clear()
    arabic = _header(Client())
    french = _header(Client(), "/fr/")

    assert 'href="/fr/' in french
    assert 'href="/fr/' not in arabic
    assert "?next=/fr/" in french
    assert "<bdi>" not in french
