"""The national picture in a real chromium, phone-sized, in Arabic (right to left) and French:
the strategy page draws the regions' map and lists shared and region-specific findings; two
regions are compared side by side through the form, without JavaScript errors (issue 13).
Screenshots land in /tmp/strategy-<language>.png and /tmp/compare-<language>.png for review."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tashawur.diagnosis.models import RollupRun
from tashawur.diagnosis.services import rollup_run_now
from tashawur.territories.services import territories_load_reference
from tests.diagnosis.rollup_corpus import rollup_corpus_build

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def lexical_embedder(settings: object) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"  # type: ignore[attr-defined]
    settings.TASHAWUR_OPEN_DATA_K = 3  # type: ignore[attr-defined]


def _watch(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


@pytest.mark.parametrize(
    ("prefix", "language", "direction", "compare"),
    [("", "ar", "rtl", "قارن"), ("/fr", "fr", "ltr", "Comparer")],
)
def test_the_strategy_map_and_a_comparison_of_two_regions_render(
    live_server: object, page: Page, prefix: str, language: str, direction: str, compare: str
) -> None:
    territories_load_reference(communes=False)  # the whole country, as on a real site
    corpus = rollup_corpus_build()
    run = rollup_run_now(strategy=corpus.strategy)
    assert run.status == RollupRun.Status.SUCCEEDED, run.error_message
    errors = _watch(page)
    base = live_server.url  # type: ignore[attr-defined]
    shots = Path(tempfile.gettempdir())

    page.goto(f"{base}{prefix}/s/{corpus.strategy.slug}/")

    expect(page.locator("html")).to_have_attribute("dir", direction)
    regions = page.locator("figure.region-map svg path")
    expect(regions).to_have_count(12)
    assert page.locator('figure.region-map path[fill="#1f7a5c"]').count() >= 2  # consulted
    expect(page.locator("#shared")).to_be_visible()
    expect(page.locator("#specific")).to_be_visible()
    assert page.locator("#shared + ul a[href*='/s/']").count() >= 2  # citations
    assert_accessible(page, f"the strategy page ({language})")
    assert_light(page, f"the strategy page ({language})")
    page.screenshot(path=shots / f"strategy-{language}.png", full_page=True)

    page.goto(f"{base}{prefix}/s/{corpus.strategy.slug}/compare/")
    boxes = page.locator("input[name=r]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name=compare).click()

    expect(page.locator(".compare-grid section")).to_have_count(2)
    expect(page.locator(".compare-grid table").first).to_be_visible()
    assert_accessible(page, f"the comparison ({language})")
    page.screenshot(path=shots / f"compare-{language}.png", full_page=True)
    assert errors == []
