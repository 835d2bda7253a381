"""A participant follows their proposal: signs in, opens their own page, reads what became
of it and follows it to its finding, the published diagnosis and the measure that answers it,
with its progress (issue 11, part 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.chain import MEASURE_AR, build_chain
from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


def test_a_participant_follows_their_proposal_to_a_measure_with_progress(
    live_server: object, world: World, page: Page
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    chain = build_chain(world)
    page.set_viewport_size({"width": 412, "height": 900})
    page.goto(f"{base}/login/?next=/me/")
    page.locator("#id_username").fill(world.participant_user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    fates = page.locator("#my-contributions + ul")
    expect(fates).to_contain_text(MEASURE_AR)
    expect(fates).to_contain_text("45")
    assert_accessible(page, context="me, with the fates of my contributions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 412

    fates.get_by_role("link", name=re.compile(str(chain.mine.pk))).click()
    expect(page).to_have_url(re.compile(rf"/s/{chain.mine.pk}/$"))
    expect(page.locator(".badge.own")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(world.participant.display_name)
    assert_accessible(page, context="the contribution's own page")
    assert_light(page, context="the contribution's own page")
    assert page.evaluate("document.documentElement.scrollWidth") <= 412

    page.locator(".chain").get_by_role("link", name=re.compile(re.escape(MEASURE_AR))).click()
    expect(page).to_have_url(re.compile(rf"/programme/#measure-{chain.measure.pk}$"))
    expect(page.locator(f"#measure-{chain.measure.pk}")).to_contain_text(MEASURE_AR)
