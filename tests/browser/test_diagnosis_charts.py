"""The diagnosis at a glance in a real chromium, phone-sized, in Arabic (right to left) and in
French: the top findings, the charts and the opinion map render without JavaScript errors, are
accessible, and keep the page light; the full list is folded by dimension (issue 13, part 4).
Screenshots land in /tmp/charts-<language>.png for review."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tashawur.contributions.models import Vote
from tests.actors.factories import ParticipantFactory
from tests.contributions.factories import VoteFactory
from tests.diagnosis.conftest import LANGUAGES, Corpus, corpus_build, run_now, votes_cast
from tests.diagnosis.test_charts import crowd_add

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def lexical_embedder(settings: object) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"  # type: ignore[attr-defined]
    settings.TASHAWUR_OPEN_DATA_K = 3  # type: ignore[attr-defined]


def voters_between(corpus: Corpus, count: int = 14) -> None:
    """Voters between the two camps of ``votes_cast``, each with a pattern of their own, so that
    the map has more than two spots."""
    values = (Vote.Value.AGREE, Vote.Value.DISAGREE, Vote.Value.PASS)
    statements = [
        corpus.by_key[f"{idea}-{lang}"] for idea in ("doctor", "jobs") for lang in LANGUAGES
    ]
    for n in range(count):
        voter = ParticipantFactory()
        for j, statement in enumerate(statements):
            VoteFactory(
                participant=voter,
                contribution=statement,
                value=values[(n * 7 + j * (n % 4 + 1)) % 3],
            )


@pytest.mark.parametrize(
    ("prefix", "language", "direction"), [("", "ar", "rtl"), ("/fr", "fr", "ltr")]
)
def test_the_diagnosis_charts_and_opinion_map_render(
    live_server: object, page: Page, prefix: str, language: str, direction: str
) -> None:
    corpus = corpus_build()
    crowd_add(corpus)
    votes_cast(corpus)
    voters_between(corpus)
    run_now(corpus)
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # The browser asks for /favicon.ico on its own; the site has none (not this page's).
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
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}{prefix}/c/{corpus.consultation.slug}/diagnosis/")

    expect(page.locator("html")).to_have_attribute("dir", direction)
    glance = page.locator("#glance")
    expect(glance).to_be_visible()
    expect(glance.locator("meter.bar").first).to_be_visible()
    for chart in ("#chart-themes", "#chart-actor-types", "#chart-provinces", "#chart-votes"):
        expect(page.locator(chart)).to_be_visible()
    expect(page.locator("table.heatmap td.heat-4").first).to_be_visible()
    opinion_map = page.locator("figure.opinion-map svg[role=img]")
    expect(opinion_map).to_be_visible()
    assert opinion_map.locator("circle").count() >= 2
    # The full list is folded by dimension: its quotes show once a dimension is opened.
    folded = page.locator("details.dimension").first
    expect(folded.locator("blockquote").first).to_be_hidden()
    folded.locator("summary").click()
    expect(folded.locator("blockquote").first).to_be_visible()

    assert_accessible(page, f"the diagnosis ({language})")
    weight = assert_light(page, f"the diagnosis ({language})")
    shots = Path(tempfile.gettempdir())
    page.screenshot(path=shots / f"charts-{language}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=shots / f"charts-{language}-wide.png", full_page=True)
    assert errors == []
    print(f"diagnosis page ({language}): {weight} bytes")
