"""The staff workspace in a real chromium, phone-sized: the regional coordinator plans a meeting
with an agenda item, then a round table for it, without ever opening /admin/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tashawur.consultations.models import Meeting, Workshop
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.browser.conftest import assert_accessible
from tests.web.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


@pytest.fixture
def coordinator(world: World) -> User:
    user = User.objects.create_user(
        "coordinator", password=PASSWORD, role=Role.REGIONAL_COORDINATOR
    )
    world.consultation.coordinators.add(user)
    User.objects.create_user("rapporteur", password=PASSWORD, role=Role.RAPPORTEUR)
    return user


def test_regional_coordinator_plans_a_meeting_and_a_round_table(
    live_server: object, world: World, coordinator: User, page: Page
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))

    page.goto(f"{base}/login/?next=/")
    page.locator("#id_username").fill("coordinator")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator('header a[href="/manage/"]').click()
    expect(page).to_have_url(f"{base}/manage/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    assert_accessible(page, context="workspace dashboard")

    page.locator(f'a[href="/manage/c/{world.consultation.slug}/meetings/new/"]').click()
    page.locator("#id_title_ar").fill("لقاء أكادير")
    page.locator("#id_title_fr").fill("Rencontre d'Agadir")
    page.locator("#id_starts_at").fill("2027-03-10T09:00")
    page.locator("#id_ends_at").fill("2027-03-10T17:00")
    page.locator("#id_venue_ar").fill("قاعة البلدية")
    page.locator("#id_venue_fr").fill("Salle municipale")
    page.locator("#id_territory").select_option(str(world.meeting.territory_id))
    page.locator("#id_capacity").fill("80")
    page.locator("#id_agenda-0-position").fill("1")
    page.locator("#id_agenda-0-starts_at").fill("09:00")
    page.locator("#id_agenda-0-ends_at").fill("10:00")
    page.locator("#id_agenda-0-kind").select_option("opening")
    page.locator("#id_agenda-0-title_ar").fill("الجلسة الافتتاحية")
    page.locator("#id_agenda-0-title_fr").fill("Séance d'ouverture")
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    assert_accessible(page, context="new meeting form")
    page.locator("form.form-card button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/manage/m/rencontre-dagadir-2027-03-10/$"))
    expect(page.locator("[role=status]").first).to_contain_text("أُنشئ اللقاء.")
    meeting = Meeting.objects.get(slug="rencontre-dagadir-2027-03-10")
    assert [item.title_fr for item in meeting.agenda_items.all()] == ["Séance d'ouverture"]
    assert meeting.capacity == 80

    page.locator(f'main a[href="/manage/m/{meeting.slug}/workshops/new/"]').click()
    page.locator("#id_theme").select_option(str(world.workshop.theme_id))
    page.locator("#id_title_ar").fill("التسويق الرقمي")
    page.locator("#id_title_fr").fill("Commercialisation numérique")
    page.locator("#id_question_ar").fill("كيف نبيع عبر الإنترنت؟")
    page.locator("#id_facilitator").select_option(str(world.facilitator.pk))
    page.locator("#id_rapporteur").select_option(label="rapporteur")
    assert_accessible(page, context="new round table form")
    page.locator("form.form-card button[type=submit]").click()

    workshop = Workshop.objects.get(meeting=meeting)
    expect(page).to_have_url(f"{base}/manage/w/{workshop.pk}/")
    assert (workshop.position, workshop.facilitator) == (1, world.facilitator)
    assert workshop.rapporteur is not None and workshop.rapporteur.username == "rapporteur"
    assert not [url for url in visited if "/admin/" in url]
