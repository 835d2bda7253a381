"""A round table's day in a real chromium: the facilitator opens it, finds a speaker by
searching as they type, records for them with the oral-consent tick; the rapporteur closes it
with a report that cites the contribution, and the public page links the citation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tashawur.actors.models import Participant
from tashawur.consultations.models import Registration, Workshop
from tashawur.contributions.models import Contribution
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAID = "نطالب بتكوين في التسويق الرقمي لفائدة التعاونيات"


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


@pytest.fixture
def planned(world: World) -> Workshop:
    rapporteur = User.objects.create_user("rapporteur", password=PASSWORD, role=Role.RAPPORTEUR)
    for n in range(40):
        person = Participant.objects.create(display_name=f"مشارك {n:02}")
        Registration.objects.create(meeting=world.meeting, participant=person)
    speaker = Participant.objects.create(display_name="زينب الحسني")
    Registration.objects.create(meeting=world.meeting, participant=speaker)
    return Workshop.objects.create(
        meeting=world.meeting,
        theme=world.workshop.theme,
        position=3,
        title_ar="التسويق الرقمي",
        title_fr="Commercialisation numérique",
        facilitator=world.facilitator,
        rapporteur=rapporteur,
    )


def _sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def test_facilitator_opens_records_for_a_searched_speaker_and_rapporteur_closes(
    live_server: object, world: World, planned: Workshop, page: Page
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    path = f"/w/{planned.pk}/"
    _sign_in(page, base, "facilitator", path)
    assert_accessible(page, context="planned workshop as facilitator")

    page.get_by_role("button", name="افتح المائدة المستديرة").click()
    expect(page.locator("[role=status], .messages").first).to_contain_text("فُتحت المائدة")
    assert_accessible(page, context="open workshop as facilitator")
    assert_light(page, context="open workshop as facilitator")

    # The list holds the first twenty; typing narrows it without reloading the page.
    choices = page.locator("#speaker-choices input[name=author]")
    expect(choices).to_have_count(21)  # "not named" and twenty people
    page.evaluate("window.__stayed = true")
    page.get_by_label("ابحث بالاسم أو الهيئة أو نوع الفاعل").fill("زينب")
    expect(choices).to_have_count(2)
    assert_accessible(page, context="speaker search narrowed")
    # Enter in the search narrows the list in place: what is typed in the form stays.
    page.locator("#id_text").fill(SAID)
    # The list has two choices before the search answers: wait for the answer, or a choice
    # ticked below could be swapped out by it (a race that a busy machine loses).
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(f"{path}speakers/")):
        page.get_by_label("ابحث بالاسم أو الهيئة أو نوع الفاعل").press("Enter")
    expect(choices).to_have_count(2)
    assert page.evaluate("window.__stayed") is True
    expect(page.locator("#id_text")).to_have_value(SAID)
    page.get_by_label("زينب الحسني").check()
    page.get_by_label("مقترح").check()

    # Without the tick: refused next to it, nothing stored.
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator("#contribution-form .errors")).to_contain_text("ضع علامة في الخانة")
    assert_accessible(page, context="recording refused without the consent tick")
    assert not Contribution.objects.filter(text=SAID).exists()

    page.get_by_label("وافق المتحدث شفهيًا على المشاركة وعلى نشر كلامه.").check()
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator("#contribution-form [role=status]")).to_have_text(
        "سُجّلت المساهمة باسم زينب الحسني."
    )
    assert page.evaluate("window.__stayed") is True
    recorded = Contribution.objects.get(text=SAID)
    assert recorded.author is not None and recorded.author.display_name == "زينب الحسني"

    page.context.clear_cookies()
    _sign_in(page, base, "rapporteur", path)
    page.get_by_role("link", name="أغلق المائدة المستديرة بتقريرها").click()
    assert_accessible(page, context="closing with a report")
    assert_light(page, context="closing with a report")
    page.get_by_label("تقرير المقرّر").fill(f"طالبت المائدة بالتكوين (#{recorded.pk}).")
    page.get_by_role("button", name="أغلق المائدة المستديرة وانشر التقرير").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}#report$"))

    page.context.clear_cookies()
    page.goto(f"{base}{path}")
    report = page.locator("#report")
    expect(report).to_contain_text("طالبت المائدة بالتكوين")
    assert_accessible(page, context="closed workshop with its report")
    assert_light(page, context="closed workshop with its report")
    page.goto(f"{base}/fr{path}")
    assert_accessible(page, context="closed workshop with its report in French")
    page.goto(f"{base}{path}")
    report.get_by_role("link", name=f"#{recorded.pk}").click()
    expect(page).to_have_url(re.compile(rf"#cited-{recorded.pk}$"))
    expect(page.locator(f"#cited-{recorded.pk}")).to_contain_text(SAID)
    expect(report).not_to_contain_text("زينب")
