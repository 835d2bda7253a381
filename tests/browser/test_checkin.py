"""The door in a real chromium: the facilitator takes a photo of a badge (here: a PNG of the
badge's QR code made with segno); the page reads the code in the browser (jsQR: headless
chromium on Linux has no BarcodeDetector), fills the code field and checks the person in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tashawur.consultations.models import Registration
from tashawur.consultations.services import meeting_register
from tashawur.web.meeting_views import badge_qr
from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


def test_facilitator_checks_a_person_in_from_a_photo_of_their_badge(
    live_server: object, world: World, page: Page, tmp_path: Path
) -> None:
    registration = meeting_register(meeting=world.meeting, participant=world.participant)
    photo = tmp_path / "badge.png"
    # The badge's own QR code (a full QR code, as printed), photographed at 10 px a module.
    badge_qr(registration.code).save(str(photo), scale=10, border=4)
    base = str(live_server)
    checkin = f"/m/{world.meeting.slug}/checkin/"

    page.goto(f"{base}/login/?next={checkin}")
    page.locator("#id_username").fill(world.facilitator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(re.escape(checkin) + "$"))
    # jsQR reads the photo (headless chromium on Linux has no BarcodeDetector; make sure).
    page.add_init_script("delete window.BarcodeDetector;")
    page.reload()
    assert page.evaluate("'BarcodeDetector' in window") is False
    expect(page.locator("#checkin-scan")).to_be_visible()
    assert_accessible(page, "check-in")
    assert_light(page, "check-in")

    with page.expect_navigation():
        page.locator("#checkin-photo").set_input_files(str(photo))

    expect(page.locator(".notice")).to_contain_text(world.participant.display_name)
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
    assert registration.checked_in_by == world.facilitator
    assert Registration.objects.filter(checked_in_at__isnull=False).count() == 1


def test_without_javascript_the_code_is_typed(
    live_server: object, world: World, browser: object, tmp_path: Path
) -> None:
    registration = meeting_register(meeting=world.meeting, participant=world.participant)
    context = browser.new_context(java_script_enabled=False, locale="ar-MA")  # type: ignore[attr-defined]
    page = context.new_page()
    base = str(live_server)
    checkin = f"/m/{world.meeting.slug}/checkin/"
    try:
        page.goto(f"{base}/login/?next={checkin}")
        page.locator("#id_username").fill(world.facilitator.username)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="تسجيل الدخول").click()
        expect(page.locator("#checkin-scan")).to_be_hidden()
        code = registration.code
        page.locator("#checkin-code").fill(f"{code[:4]}-{code[4:]}".lower())
        page.locator("#checkin-code-form button[type=submit]").click()
        expect(page.locator(".notice")).to_contain_text(world.participant.display_name)
    finally:
        context.close()
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
