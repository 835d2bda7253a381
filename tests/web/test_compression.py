"""Pages travel compressed to browsers that accept it (participant pages stay small on 3G)."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

from .world import World

pytestmark = pytest.mark.django_db


def test_workshop_page_is_gzipped_for_a_browser_that_accepts_it(
    world: World, client: Client
) -> None:
    url = f"/w/{world.workshop.pk}/"
    plain = client.get(url)
    packed = client.get(url, headers={"accept-encoding": "gzip"})

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    html = gzip.decompress(packed.content).decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert len(packed.content) < len(plain.content) / 2
