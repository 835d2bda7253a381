"""The Taroudant day, end to end, in a real chromium on a phone-sized screen, with the demo's
accounts and a newcomer, and never a page of ``/admin/``:

a newcomer signs up and accepts the terms, registers for the meeting and downloads their badge;
the facilitator checks them in by scanning the badge (a photo of its QR code) and checks a
latecomer in by the code typed; the newcomer speaks at a round table in pre-moderation, the
regional coordinator publishes it from the queue, a participant votes for it; the facilitator
records what a checked-in speaker says, with their oral consent; the rapporteur closes the
round table with a report citing contributions; the coordinator downloads the attendance sheet.

The shipped demo holds the day as it was (held, round tables closed). The test replays it: the
meeting is moved to today, one round table opened again and the consultation set to
pre-moderation, as the coordinator would in the workspace (tests/browser/test_workspace.py
plays that part). Every page passes axe-core and the 100 KB budget.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Meeting, Registration, Workshop
from tashawur.contributions.models import Contribution, ModerationStatus, Vote
from tashawur.demo.accounts import DEMO_PASSWORD
from tashawur.demo.loader import demo_load
from tashawur.demo.people import MEETING_SLUG
from tashawur.web.meeting_views import badge_qr

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEWCOMER = "فاطمة أيت الحاج"
NEWCOMER_PASSWORD = "safran-taliouine-2018"
SAID_BY_NEWCOMER = "خاصنا شي صندوق ديال الضمان للتعاونيات الصغيرة، البنك كيطلب ضمانات ما عندناش"
SAID_FOR_SPEAKER = "ⵜⴰⵡⵏⵏⴰⵡⵜ ⵏ ⵜⵎⵖⴰⵔⵉⵏ ⵜⵔⴰ ⴰⵙⵍⵎⴷ ⵏ ⵓⵙⵉⴼⵍ ⵏ ⵡⴰⴷⵔⴰⵎ"


def ar(message: str) -> str:
    """The Arabic the page shows for ``message`` (the catalogue, not a copy of it)."""
    with translation.override("ar"):
        return gettext(message)


@pytest.fixture
def day(transactional_db: object) -> dict[str, Any]:
    demo_load()
    now = timezone.now()
    meeting = Meeting.objects.get(slug=MEETING_SLUG)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=6),
        status=Meeting.Status.OPEN,
        capacity=300,
    )
    table = meeting.workshops.get(theme__slug="financing")
    Workshop.objects.filter(pk=table.pk).update(
        status=Workshop.Status.OPEN, closed_at=None, closing_report=""
    )
    Consultation.objects.filter(pk=meeting.consultation_id).update(
        moderation=Consultation.Moderation.PRE
    )
    # The demo's participant arrives late: registered, not yet at the door.
    latecomer = Registration.objects.get(meeting=meeting, participant__user__username="participant")
    Registration.objects.filter(pk=latecomer.pk).update(checked_in_at=None, checked_in_by=None)
    return {"meeting": Meeting.objects.get(pk=meeting.pk), "table": table, "latecomer": latecomer}


def _sign_in(page: Page, base: str, username: str, password: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=ar("Sign in")).click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def _checked(page: Page, context: str) -> None:
    assert_accessible(page, context=context)
    assert_light(page, context=context)


def test_the_taroudant_day_end_to_end(
    live_server: object, day: dict[str, Any], page: Page, tmp_path: Path
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    meeting: Meeting = day["meeting"]
    table: Workshop = day["table"]
    meeting_path = f"/m/{meeting.slug}/"
    register_path = f"/m/{meeting.slug}/register/"
    checkin_path = f"/m/{meeting.slug}/checkin/"
    table_path = f"/w/{table.pk}/"

    # 1. The newcomer finds the meeting, signs up from the sign-in page and accepts the terms.
    page.goto(f"{base}{meeting_path}")
    expect(page.locator("h1")).to_contain_text(meeting.title_ar)
    _checked(page, "meeting, anonymous")
    page.get_by_role("link", name=ar("Register for this meeting")).click()
    page.get_by_role("link", name=ar("Sign up")).last.click()
    expect(page).to_have_url(re.compile(r"/signup/\?next="))
    _checked(page, "sign-up")
    page.get_by_label(ar("Your name")).fill(NEWCOMER)
    page.get_by_label(ar("Phone number")).fill("06 61 23 45 67")
    page.get_by_label(ar("Password")).fill(NEWCOMER_PASSWORD)
    page.get_by_label(ar("Province")).select_option(label="تارودانت")
    page.get_by_label(ar("You take part as")).select_option(index=1)
    page.get_by_label(ar("I accept these terms")).check()
    page.get_by_role("button", name=ar("Create my account")).click()

    # 2. Back on the registration page: registers, downloads the badge.
    expect(page).to_have_url(re.compile(re.escape(register_path) + "$"))
    _checked(page, "registration, not registered")
    page.get_by_role("button", name=ar("Register for this meeting")).click()
    expect(page.get_by_text(ar("You are registered for this meeting.")).first).to_be_visible()
    _checked(page, "registration, registered")
    with page.expect_download() as download:
        page.get_by_role("link", name=ar("Download my badge (PDF)")).click()
    badge = tmp_path / "badge.pdf"
    download.value.save_as(badge)
    newcomer = Participant.objects.get(display_name=NEWCOMER)
    registration = Registration.objects.get(meeting=meeting, participant=newcomer)
    badge_text = "".join(p.extract_text() for p in PdfReader(badge).pages).replace(" ", "")
    assert registration.code[:4] in badge_text and registration.code[4:] in badge_text
    assert "0661234567" not in badge_text.replace("-", "")

    # 3. At the door the facilitator scans the badge (a photo of its QR code; jsQR reads it in
    #    the page), then types the latecomer's code.
    photo = tmp_path / "badge.png"
    badge_qr(registration.code).save(str(photo), scale=8, border=4)
    _sign_in(page, base, "facilitator", DEMO_PASSWORD, checkin_path)
    page.add_init_script("delete window.BarcodeDetector;")
    page.reload()
    _checked(page, "check-in")
    with page.expect_navigation():
        page.locator("#checkin-photo").set_input_files(str(photo))
    expect(page.locator(".notice")).to_contain_text(NEWCOMER)
    latecomer: Registration = day["latecomer"]
    page.locator("#checkin-code").fill(f"{latecomer.code[:4]} {latecomer.code[4:]}".lower())
    page.locator("#checkin-code-form button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text(latecomer.participant.display_name)
    _checked(page, "check-in after two arrivals")
    registration.refresh_from_db()
    latecomer.refresh_from_db()
    assert registration.checked_in_at is not None and latecomer.checked_in_at is not None

    # 4. The newcomer speaks at the round table (in Darija); pre-moderation holds it back.
    _sign_in(page, base, newcomer.user.username, NEWCOMER_PASSWORD, table_path)
    page.locator("#id_text").fill(SAID_BY_NEWCOMER)
    page.get_by_label(ar("Proposal")).check()
    page.get_by_role("button", name=ar("Send")).click()
    expect(page.locator("#contributions")).to_contain_text(SAID_BY_NEWCOMER)
    _checked(page, "round table, own contribution pending")
    said = Contribution.objects.get(text=SAID_BY_NEWCOMER)
    assert said.moderation_status == ModerationStatus.PENDING
    page.context.clear_cookies()
    page.goto(f"{base}{table_path}")
    expect(page.locator(f"#c-{said.pk}")).to_have_count(0)

    # 5. The regional coordinator publishes it from the moderation queue.
    queue_path = f"/c/{meeting.consultation.slug}/moderation/"
    _sign_in(page, base, "regional", DEMO_PASSWORD, queue_path)
    _checked(page, "moderation queue")
    item = page.locator(f"#q-{said.pk}")
    item.get_by_role("button", name=ar("Publish")).click()
    expect(page.locator(f"#q-{said.pk}")).to_have_count(0)
    said.refresh_from_db()
    assert said.moderation_status == ModerationStatus.PUBLISHED

    # 6. The late participant votes for it.
    _sign_in(page, base, "participant", DEMO_PASSWORD, table_path)
    card = page.locator(f"#c-{said.pk}")
    expect(card).to_contain_text(SAID_BY_NEWCOMER)
    card.get_by_role("button", name=re.compile("^" + re.escape(ar("Agree")))).click()
    expect(
        page.locator(f"#c-{said.pk}").get_by_role(
            "button", name=re.compile("^" + re.escape(ar("Agree")))
        )
    ).to_have_attribute("aria-pressed", "true")
    _checked(page, "round table after a vote")
    assert Vote.objects.filter(
        contribution=said, participant__user__username="participant"
    ).exists()

    # 7. The facilitator records what the newcomer, now checked in, says next (in Tifinagh).
    _sign_in(page, base, "facilitator", DEMO_PASSWORD, table_path)
    page.get_by_label(ar("Find by name, organisation or actor type")).fill(NEWCOMER[:5])
    page.get_by_label(NEWCOMER).check()
    page.locator("#id_text").fill(SAID_FOR_SPEAKER)
    page.get_by_label(ar("Challenge")).check()
    page.get_by_label(
        ar("The speaker agreed aloud to take part and to have their words published.")
    ).check()
    page.get_by_role("button", name=ar("Send")).click()
    expect(page.locator("#contribution-form [role=status]")).to_contain_text(NEWCOMER)
    _checked(page, "round table, facilitator recording")
    recorded = Contribution.objects.get(text=SAID_FOR_SPEAKER)
    assert recorded.author == newcomer and recorded.recorded_by is not None

    # 8. The rapporteur closes the round table with a report citing both.
    _sign_in(page, base, "rapporteur", DEMO_PASSWORD, table_path)
    page.get_by_role("link", name=ar("Close the round table with its report")).click()
    _checked(page, "closing with a report")
    page.get_by_label(ar("The rapporteur's report")).fill(
        f"طالبت المائدة بصندوق جهوي للضمان (#{said.pk}) وبالتكوين (#{recorded.pk})."
    )
    page.get_by_role("button", name=ar("Close the round table and publish the report")).click()
    page.context.clear_cookies()
    page.goto(f"{base}{table_path}")
    report = page.locator("#report")
    expect(report.get_by_role("link", name=f"#{said.pk}")).to_be_visible()
    _checked(page, "closed round table with its report, public")
    table.refresh_from_db()
    assert table.status == Workshop.Status.CLOSED

    # 9. The coordinator downloads the attendance sheet.
    _sign_in(page, base, "regional", DEMO_PASSWORD, meeting_path)
    with page.expect_download() as download:
        page.get_by_role("link", name=ar("Attendance sheet (XLSX)")).click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    cells = {str(cell.value) for ws in sheet.worksheets for row in ws.iter_rows() for cell in row}
    assert NEWCOMER in cells and latecomer.participant.display_name in cells

    assert [url for url in visited if "/admin/" in url] == []
