"""A participant's path through the Arabic site in a real chromium: direction, contributing
through the HTMX form, voting on a proposal, switching to French."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


def _html(page: Page) -> tuple[str | None, str | None]:
    root = page.locator("html")
    return root.get_attribute("lang"), root.get_attribute("dir")


def _sign_in(page: Page) -> None:
    page.get_by_role("link", name="سجّل الدخول").first.click()
    page.locator("#id_username").fill("participant")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()


def test_arabic_home_is_right_to_left(live_server: object, world: World, page: Page) -> None:
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    assert _html(page) == ("ar", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("المشاورات الجهوية")
    assert_accessible(page, context="home")
    assert_light(page, context="home")
    # The page reads right to left: the brand sits at the right edge of the header.
    box = page.locator(".brand").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] > 412 / 2


def test_participant_contributes_and_votes_through_htmx(
    live_server: object, world: World, page: Page
) -> None:
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="التشاور الجهوي سوس ماسة").click()
    assert_accessible(page, context="consultation")
    assert_light(page, context="consultation")
    page.get_by_role("link", name="اللقاء الجهوي بتارودانت").click()
    assert_accessible(page, context="meeting")
    assert_light(page, context="meeting")
    page.get_by_role("link", name="الحصول على علامات الجودة").first.click()
    expect(page).to_have_url(re.compile(rf"/w/{world.workshop.pk}/$"))
    _sign_in(page)
    expect(page).to_have_url(re.compile(rf"/w/{world.workshop.pk}/$"))
    assert_accessible(page, context="workshop as participant")
    assert_light(page, context="workshop as participant")

    # A marker on window survives only if the page is not reloaded: the swaps are HTMX's.
    page.evaluate("window.__stayed = true")
    # An empty contribution: the translated error shows inline (a 422 that HTMX swaps in).
    page.get_by_label("مقترح").check()
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator("#contribution-form .errors")).to_have_text(
        "المساهمة فارغة: اكتب أو سجّل شيئًا أولًا."
    )
    assert_accessible(page, context="workshop with the form's error")
    text = "نقترح شباكًا وحيدًا لمواكبة التعاونيات نحو علامة الجودة"
    page.locator("#id_text").fill(text)
    page.get_by_label("مقترح").check()
    page.get_by_role("button", name="إرسال").click()
    first_card = page.locator("#contributions > li").first
    expect(first_card).to_contain_text(text)
    expect(page.locator("#contribution-form [role=status]")).to_have_text("شكرًا: سُجّلت مساهمتك.")
    expect(page.locator("#id_text")).to_have_value("")

    proposal = page.locator(f"#c-{world.proposal.pk}")
    agree = proposal.get_by_role("button", name=re.compile("^موافق"))
    expect(agree).to_have_attribute("aria-pressed", "false")
    expect(agree.locator("b")).to_have_text("1")
    agree.click()
    agree = page.locator(f"#c-{world.proposal.pk}").get_by_role("button", name=re.compile("^موافق"))
    expect(agree.locator("b")).to_have_text("2")
    expect(agree).to_have_attribute("aria-pressed", "true")
    assert_accessible(page, context="workshop after contributing and voting")
    assert page.evaluate("window.__stayed") is True


def test_language_switch_turns_the_page_left_to_right(
    live_server: object, world: World, page: Page
) -> None:
    page.goto(f"{live_server.url}/w/{world.workshop.pk}/")  # type: ignore[attr-defined]
    assert _html(page) == ("ar", "rtl")
    page.get_by_role("button", name="Français").click()
    expect(page).to_have_url(re.compile(rf"/fr/w/{world.workshop.pk}/$"))
    assert _html(page) == ("fr", "ltr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Obtenir des labels de qualité")
    assert_accessible(page, context="workshop in French")
    assert_light(page, context="workshop in French")


def test_dimension_filter_swaps_the_list_and_updates_the_address(
    live_server: object, world: World, page: Page
) -> None:
    page.goto(f"{live_server.url}/w/{world.workshop.pk}/")  # type: ignore[attr-defined]
    page.evaluate("window.__stayed = true")
    expect(page.locator("#contributions > li")).to_have_count(3)
    page.locator(".filters").get_by_role("link", name=re.compile("^إكراه")).click()
    expect(page).to_have_url(re.compile(r"\?dimension=challenge$"))
    expect(page.locator("#contributions > li")).to_have_count(1)
    expect(page.locator("#contributions > li").first).to_contain_text("شهادة الجودة")
    assert_accessible(page, context="workshop filtered by dimension")
    assert page.evaluate("window.__stayed") is True
