"""Moderation in a real chromium, on a phone-sized Arabic page: a participant reports a
contribution, the facilitator rejects it from the queue with a reason, and its author reads
the reason on the workshop page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tashawur.actors.models import Participant
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


def _sign_in_as(page: Page, base: str, username: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    assert_accessible(page, context="sign-in")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def test_report_reject_with_a_reason_and_the_author_reads_it(
    live_server: object, world: World, page: Page
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    workshop_path = f"/w/{world.workshop.pk}/"
    reporter = User.objects.create_user(
        username="reporter", password=PASSWORD, role=Role.PARTICIPANT
    )
    Participant.objects.create(display_name="Youssef R.", user=reporter)

    # The author contributes through the page.
    _sign_in_as(page, base, "participant", workshop_path)
    text = "رقم هاتفي 0600000000 للتواصل بخصوص التعاونية"
    page.locator("#id_text").fill(text)
    page.get_by_label("إكراه").check()
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator("#contributions > li").first).to_contain_text(text)
    contribution = Contribution.objects.get(text=text)
    card = f"#c-{contribution.pk}"

    # Another participant reports it.
    _sign_in_as(page, base, "reporter", workshop_path)
    page.locator(card).get_by_text("تبليغ", exact=True).click()
    assert_accessible(page, context="workshop with a report form open")
    page.locator(card).get_by_label("لماذا تبلّغ عنها؟").select_option(label="معطيات شخصية")
    page.locator(card).get_by_role("button", name="إرسال التبليغ").click()
    expect(page.locator("[role=status] ul.notice")).to_contain_text(
        "شكرًا: سيطّلع المشرفون على تبليغك."
    )
    expect(page.locator(card)).to_contain_text("بلّغت عن هذه المساهمة")

    # The facilitator finds it in the queue and rejects it with a reason and a note.
    queue_path = f"/c/{world.consultation.slug}/moderation/"
    _sign_in_as(page, base, "facilitator", queue_path)
    item = page.locator(f"#q-{contribution.pk}")
    expect(item).to_contain_text("بُلّغ عنها مرة واحدة")
    assert_accessible(page, context="moderation queue")
    assert_light(page, context="moderation queue")
    page.goto(f"{base}/fr{queue_path}")
    assert_accessible(page, context="moderation queue in French")
    page.goto(f"{base}{queue_path}")
    item.get_by_label("السبب").select_option(label="معطيات شخصية")
    item.get_by_label("ملاحظة لصاحب المساهمة (اختيارية)").fill("أزيلوا رقم الهاتف وأعيدوا الإرسال")
    item.get_by_role("button", name="رفض").click()
    expect(page.locator("[role=status] ul.notice")).to_contain_text(
        f"رُفضت المساهمة رقم {contribution.pk}."
    )
    expect(page.locator(f"#q-{contribution.pk}")).to_have_count(0)
    contribution.refresh_from_db()
    assert contribution.moderation_status == ModerationStatus.REJECTED

    # Its author reads the status and the reason; the public no longer sees it.
    _sign_in_as(page, base, "participant", workshop_path)
    own = page.locator(card)
    expect(own.locator(".badge.rejected")).to_have_text("مرفوضة")
    expect(own.locator(".moderation-reason")).to_contain_text("غير منشورة. السبب: معطيات شخصية.")
    expect(own.locator(".moderation-reason")).to_contain_text("أزيلوا رقم الهاتف")
    assert_accessible(page, context="workshop with a rejected contribution of one's own")
    page.context.clear_cookies()
    page.goto(f"{base}{workshop_path}")
    expect(page.locator(card)).to_have_count(0)
