"""The Content-Security-Policy as chromium applies it: what it blocks is reported (so the other
browser tests fail on a violation), and the admin's pages and widgets work under it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tashawur.core.models import User
from tests.web.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "x-admin-password-1"


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


def _wait_for(page: Page, violations: list[str], count: int) -> None:
    for _ in range(40):
        if len(violations) >= count:
            return
        page.wait_for_timeout(50)


def test_inline_script_and_style_are_blocked_and_reported(
    live_server: object, world: World, page: Page, csp_violations: list[str]
) -> None:
    home = f"{live_server.url}/"  # type: ignore[attr-defined]

    def inject(route: Route) -> None:
        # The site's own response and headers, with an inline script and style slipped in.
        response = route.fetch()
        body = response.text().replace(
            "</main>", '<script>window.__ran = true</script><p style="color:red">x</p></main>'
        )
        route.fulfill(response=response, body=body)

    page.route(home, inject)
    page.goto(home)
    expect(page.get_by_role("heading", level=1)).to_have_text("المشاورات الجهوية")
    assert page.evaluate("window.__ran") is None
    _wait_for(page, csp_violations, 2)
    reports = " | ".join(csp_violations)
    assert "script-src-elem blocked inline" in reports
    assert "style-src-attr blocked inline" in reports
    csp_violations.clear()  # seen: the fixture's own check would otherwise fail this test


def test_admin_pages_and_widgets_work_under_the_policy(
    live_server: object, world: World, page: Page
) -> None:
    User.objects.create_superuser("root", password=ADMIN_PASSWORD)
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/admin/login/")
    page.locator("#id_username").fill("root")
    page.locator("#id_password").fill(ADMIN_PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(f"{base}/admin/")

    # A changelist with its actions, filters and search; the action checkbox is scripted.
    page.goto(f"{base}/admin/consultations/workshop/")
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("2")

    # A change form with date and time widgets: the calendar and clock shortcuts are scripted.
    page.goto(f"{base}/admin/consultations/meeting/{world.meeting.pk}/change/")
    page.locator(".datetimeshortcuts a").first.click()  # "now"/"today" fills the field
    expect(page.locator("#id_starts_at_0")).to_have_value(re.compile(r"\d"))
    page.goto(f"{base}/admin/consultations/meeting/add/")
    expect(page.locator("#id_starts_at_0")).to_be_visible()
