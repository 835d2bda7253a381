"""Vendored front-end files match VENDOR.md; the CSS is direction-neutral; pages stay light."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tashawur.actors.models import Participant
from tashawur.contributions.models import Channel
from tashawur.contributions.services import contribution_submit
from tashawur.contributions.views import CONTRIBUTIONS_PER_PAGE

from .world import World

STATIC = Path(__file__).resolve().parents[2] / "src/tashawur/core/static"
VENDOR = STATIC / "vendor"
ROW = re.compile(r"^\| (\S+) \| (\S+@\S+) \| (\S+) \| ([0-9a-f]{64}) \|$", re.MULTILINE)
PAGE_BUDGET = 100 * 1024


def _vendored() -> list[tuple[str, str, str, str]]:
    return ROW.findall((VENDOR / "VENDOR.md").read_text())


def test_vendor_list_names_every_vendored_file() -> None:
    listed = {path for path, *_ in _vendored()}
    on_disk = {
        str(p.relative_to(VENDOR))
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name != "VENDOR.md"
    }
    assert listed == on_disk


@pytest.mark.parametrize(("path", "package", "licence", "sha256"), _vendored())
def test_vendored_file_matches_its_checksum(
    path: str, package: str, licence: str, sha256: str
) -> None:
    assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == sha256


def test_htmx_is_pinned_to_a_2x_version() -> None:
    packages = {package for _, package, _, _ in _vendored()}
    assert "htmx.org@2.0.11" in packages


def test_site_css_uses_logical_properties_only() -> None:
    css = (STATIC / "tashawur/site.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right)",
        css,
    )
    assert physical == []


def _served_size(url: str) -> int:
    """Bytes on the wire for a static file: text is gzipped (WhiteNoise), fonts are already."""
    path = finders.find(url.removeprefix("/static/"))
    assert path, url
    data = Path(path).read_bytes()
    return len(data) if url.endswith(".woff2") else len(gzip.compress(data, 9))


@pytest.fixture
def full_workshop_page(world: World) -> World:
    """A full page of long Arabic proposals (each about 330 letters, longer than most)."""
    speaker = Participant.objects.get(display_name="Ahmed B.")
    for n in range(CONTRIBUTIONS_PER_PAGE):
        contribution_submit(
            workshop=world.workshop,
            text=f"مقترح رقم {n}: " + "تثمين منتوجات الأركان والزعفران وتسويقها " * 8,
            dimension="proposal",
            channel=Channel.WEB,
            author=speaker,
            language="ar",
        )
    return world


@pytest.mark.django_db
def test_workshop_page_first_visit_stays_under_100_kb(
    full_workshop_page: World, participant_client: Client
) -> None:
    """A first visit from a phone with Arabic system fonts but no Tifinagh: the HTML (as it
    travels: GZipMiddleware compresses it, at level 6 here to stay on the safe side of
    Django's), the stylesheet and htmx (gzipped by WhiteNoise) and the Tifinagh face. The
    uncompressed HTML alone must also stay under the budget, so a page cannot hide its
    growth behind compression."""
    html_raw = participant_client.get(f"/w/{full_workshop_page.workshop.pk}/").content
    assert len(html_raw) < PAGE_BUDGET, f"{len(html_raw)} bytes of HTML"
    html = gzip.compress(html_raw, 6)
    assets = [
        "/static/tashawur/site.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/fonts/noto-sans-tifinagh-tifinagh-400-normal.woff2",
    ]
    total = len(html) + sum(_served_size(url) for url in assets)
    assert total < PAGE_BUDGET, f"{total} bytes"


def test_stylesheet_stays_small() -> None:
    assert _served_size("/static/tashawur/site.css") < 5 * 1024


def test_pages_reference_no_outside_host() -> None:
    templates = Path(__file__).resolve().parents[2] / "src/tashawur"
    for template in templates.rglob("*.html"):
        assert not re.search(r"""(?:src|href)=["']https?://""", template.read_text()), template


@pytest.mark.django_db
def test_home_first_visit_without_any_system_font_stays_under_100_kb(
    world: World, client: Client
) -> None:
    """Worst case for the fonts: a device with neither Arabic nor Tifinagh faces downloads both
    vendored fonts (the home page shows the region's name in Tifinagh)."""
    html = client.get("/").content
    assert "ⵙⵓⵙ ⵎⴰⵙⵙⴰ".encode() in html
    assets = [
        "/static/tashawur/site.css",
        "/static/vendor/fonts/noto-sans-arabic-arabic-400-normal.woff2",
        "/static/vendor/fonts/noto-sans-tifinagh-tifinagh-400-normal.woff2",
    ]
    total = len(html) + sum(_served_size(url) for url in assets)
    assert total < PAGE_BUDGET, f"{total} bytes"
