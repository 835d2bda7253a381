"""Every main page of the site, public and signed in, in Arabic and in French, on a phone: no
axe-core violation (WCAG 2.1 A and AA, and axe's best practices) and under 100 KB transferred
on a first visit (issue 10)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.consultations.factories import analyst_of
from tests.diagnosis.conftest import corpus_build, run_now
from tests.web.test_programme_page import adopted_programme
from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light, page_weight

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"ar": "", "fr": "/fr"}


@pytest.fixture
def world(transactional_db: object) -> World:
    world = build_world()
    User.objects.create_user("rapporteur", password=PASSWORD, role=Role.RAPPORTEUR)
    world.workshop.rapporteur = User.objects.get(username="rapporteur")
    world.workshop.save(update_fields=["rapporteur"])
    return world


def _public_paths(world: World) -> dict[str, str]:
    return {
        "home": "/",
        "consultation": f"/c/{world.consultation.slug}/",
        "meeting": f"/m/{world.meeting.slug}/",
        "workshop": f"/w/{world.workshop.pk}/",
        "closed workshop": f"/w/{world.closed_workshop.pk}/",
        "sign in": "/login/",
        "sign up": "/signup/",
        "password reset": "/password-reset/",
    }


SIGNED_IN = {
    "participant": {
        "workshop": "/w/{workshop}/",
        "me": "/me/",
        "consent": "/me/consent/",
        "my data": "/me/data/",
        "erase": "/me/erase/",
        "meeting": "/m/{meeting}/",
    },
    "facilitator": {
        "workshop": "/w/{workshop}/",
        "moderation queue": "/c/{consultation}/moderation/",
    },
    "rapporteur": {
        "close": "/w/{workshop}/close/",
    },
}


def _check_all(page: Page, base: str, paths: dict[str, str], language: str, who: str) -> None:
    """Visits every page, then fails once listing every page's problems."""
    problems, weights = [], {}
    for name, path in paths.items():
        context = f"{name}{who} ({language})"
        page.goto(f"{base}{PREFIX[language]}{path}")
        assert page.locator("html").get_attribute("lang") == language
        try:
            assert_accessible(page, context=context)
        except AssertionError as error:
            problems.append(str(error))
        try:
            weights[name] = assert_light(page, context=context)
        except AssertionError as error:
            problems.append(str(error))
    print(language, who, weights)  # the measured weights, shown with pytest -s
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_public_pages(live_server: object, world: World, page: Page, language: str) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    _check_all(page, base, _public_paths(world), language, "")


@pytest.mark.parametrize("language", ["ar", "fr"])
@pytest.mark.parametrize("username", list(SIGNED_IN))
def test_signed_in_pages(
    live_server: object, world: World, page: Page, language: str, username: str
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}{PREFIX[language]}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    ids = {
        "workshop": world.workshop.pk,
        "meeting": world.meeting.slug,
        "consultation": world.consultation.slug,
    }
    paths = {name: path.format(**ids) for name, path in SIGNED_IN[username].items()}
    _check_all(page, base, paths, language, f" as {username}")


def test_the_checks_catch_an_unlabelled_field_and_count_every_file(
    live_server: object, world: World, page: Page
) -> None:
    page.goto(f"{live_server.url}/w/{world.workshop.pk}/")  # type: ignore[attr-defined]
    sizes = page_weight(page)
    names = {url.rsplit("/", 1)[-1] for url in sizes}
    assert {"", "site.css", "htmx.min.js"} <= names
    # A field without a label, slipped into the page after it loaded.
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    with pytest.raises(AssertionError, match=r"label \(critical\)"):
        assert_accessible(page, context="an unlabelled field")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_diagnosis_pages_as_their_analyst(
    live_server: object, page: Page, settings: Any, language: str
) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"  # the fast one, as in tests/diagnosis
    corpus = corpus_build()
    run = run_now(corpus)
    analyst = analyst_of(corpus.consultation, username="analyst")
    analyst.set_password(PASSWORD)
    analyst.save(update_fields=["password"])
    base = live_server.url  # type: ignore[attr-defined]
    slug = corpus.consultation.slug
    finding = run.findings.order_by("pk").first()
    assert finding is not None
    public = {
        "diagnosis": f"/c/{slug}/diagnosis/",
        "finding": f"/c/{slug}/diagnosis/findings/{finding.pk}/",
    }
    _check_all(page, base, public, language, "")
    page.goto(f"{base}{PREFIX[language]}/login/")
    page.locator("#id_username").fill("analyst")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    _check_all(
        page, base, {**public, "writing": f"/c/{slug}/diagnosis/write/"}, language, " as analyst"
    )


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_programme_page(live_server: object, page: Page, language: str) -> None:
    programme = adopted_programme()
    path = f"/c/{programme.consultation.slug}/programme/"
    _check_all(page, live_server.url, {"programme": path}, language, "")  # type: ignore[attr-defined]
