"""A newcomer signs up on a phone, accepts the participation terms and lands on their own
page; then withdraws consent and accepts it again from the consent page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.world import World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


def test_newcomer_signs_up_accepts_consent_and_lands_on_me(
    live_server: object, world: World, page: Page
) -> None:
    page.goto(f"{live_server.url}/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="إنشاء حساب").first.click()
    expect(page).to_have_url(re.compile(r"/signup/"))
    assert_accessible(page, context="sign-up")
    assert_light(page, context="sign-up")
    page.get_by_label("اسمك").fill("عائشة ب.")
    page.get_by_label("رقم الهاتف").fill("06 12 34 56 78")
    page.get_by_label("كلمة المرور").fill("argan-tiout-2018")
    page.get_by_label("الإقليم").select_option(label="تارودانت")
    page.get_by_label("تشارك بصفتك").select_option(label="تعاونية")
    # Without ticking the terms: refused, nothing created, the form keeps what was typed.
    page.get_by_role("button", name="أنشئ حسابي").click()
    expect(page.get_by_text("للمشاركة، وافق على شروط المشاركة.")).to_be_visible()
    assert_accessible(page, context="sign-up refused")
    page.get_by_label("كلمة المرور").fill("argan-tiout-2018")
    page.get_by_label("أوافق على هذه الشروط").check()
    page.get_by_role("button", name="أنشئ حسابي").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("مرحبًا: حسابك جاهز.")).to_be_visible()
    assert_accessible(page, context="home signed in, with a message")
    page.get_by_role("link", name="+212612345678").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("حسابي")
    expect(page.get_by_text("الصيغة 1")).to_be_visible()
    assert_accessible(page, context="me")
    assert_light(page, context="me")
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 412

    page.get_by_role("button", name="اسحب موافقتي").click()
    expect(page.get_by_text("سُحبت موافقتك.")).to_be_visible()
    page.get_by_role("link", name="شروط المشاركة").click()
    expect(page).to_have_url(re.compile(r"/me/consent/$"))
    assert_accessible(page, context="consent")
    assert_light(page, context="consent")
    page.get_by_role("button", name="أوافق على هذه الشروط").click()
    expect(page.get_by_text("شكرًا: سُجّلت موافقتك.")).to_be_visible()
    expect(page.get_by_text("لقد وافقت على هذه الشروط.")).to_be_visible()
    assert_accessible(page, context="consent accepted")

    # The same pages in French.
    page.goto(page.url.replace("/me/consent/", "/fr/me/"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert_accessible(page, context="me in French")
    assert_light(page, context="me in French")
