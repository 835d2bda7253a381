"""A voice note in a real chromium with a fake microphone: the participant records two seconds
on the workshop page, listens, sends; the rapporteur plays and transcribes it on the round
table's voice notes page; it appears published, and the public page never links the voice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tashawur.consultations.models import Consultation, Workshop
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.core.models import User
from tashawur.core.roles import Role
from tests.web.world import PASSWORD, World, build_world

from .conftest import CHROMIUM, CHROMIUM_ARGS, CSP_LISTENER, assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium's own fake microphone (a beeping tone), granted without asking.
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def world(transactional_db: object) -> World:
    world = build_world()
    Consultation.objects.filter(pk=world.consultation.pk).update(
        moderation=Consultation.Moderation.POST
    )
    return world


@pytest.fixture
def rapporteur(world: World) -> User:
    user = User.objects.create_user("rapporteur", password=PASSWORD, role=Role.RAPPORTEUR)
    Workshop.objects.filter(pk=world.workshop.pk).update(rapporteur=user)
    return user


@pytest.fixture
def microphone_page(browser: Any, csp_violations: list[str]) -> Iterator[Page]:
    """The conftest's page (its CSP listener and checks) in a second chromium, started by the
    session's Playwright with a fake microphone."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + FAKE_MICROPHONE, headless=True
    )
    context = chromium.new_context(locale="ar-MA", viewport={"width": 412, "height": 915})
    context.grant_permissions(["microphone"])
    context.expose_binding(
        "__tashawurCspViolation",
        lambda source, report: csp_violations.append(f"{source['frame'].url}: {report}"),
    )
    context.add_init_script(CSP_LISTENER)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(f"console: {message.text}")

    try:
        page = context.new_page()
        page.on("console", on_console)
        yield page
    finally:
        context.close()
        chromium.close()
    assert csp_violations == [], "the page broke its Content-Security-Policy"


def _sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def test_participant_records_a_voice_note_and_the_rapporteur_transcribes_it(
    live_server: object, world: World, rapporteur: User, microphone_page: Page
) -> None:
    page = microphone_page
    base = live_server.url  # type: ignore[attr-defined]
    workshop_path = f"/w/{world.workshop.pk}/"
    _sign_in(page, base, "participant", workshop_path)

    recorder = page.locator("#contribution-form .voice-recorder")
    expect(recorder).to_be_visible()
    assert_accessible(page, context="workshop with the recorder")
    assert_light(page, context="workshop with the recorder")

    record, stop, discard = (recorder.locator("button").nth(i) for i in range(3))
    record.click()
    expect(stop).to_be_visible()
    page.wait_for_timeout(2000)
    expect(recorder.locator(".voice-timer")).to_have_text(re.compile(r"^0:0[2-9]$"))
    stop.click()
    expect(recorder.locator("audio")).to_be_visible()
    expect(discard).to_be_visible()
    assert page.evaluate("document.querySelector('#id_audio').files.length") == 1
    assert_accessible(page, context="workshop with a recorded voice note")

    # Sent without saying what kind of contribution it is: the error comes back, and the
    # recording is still attached to the form that HTMX swapped in.
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator("#contribution-form .has-error")).to_have_count(1)
    expect(page.locator("#contribution-form .voice-recorder audio")).to_be_visible()
    assert page.evaluate("document.querySelector('#id_audio').files.length") == 1
    page.get_by_label("مقترح").check()
    page.get_by_role("button", name="إرسال").click()
    expect(page.locator("#contribution-form [role=status].notice")).to_be_visible()
    note = Contribution.objects.exclude(audio="").get()
    assert (note.text, note.author_id) == ("", world.participant.pk)
    assert note.moderation_status == ModerationStatus.PENDING
    assert note.audio.name.endswith(".webm")
    # The participant's own card says it waits, and plays it back to them.
    expect(page.locator(f"#c-{note.pk} audio")).to_have_count(1)

    # The rapporteur plays it and writes it down.
    page.context.clear_cookies()
    voice_path = f"/w/{world.workshop.pk}/voice/"
    _sign_in(page, base, "rapporteur", voice_path)
    item = page.locator(f"#n-{note.pk}")
    expect(item.locator("audio")).to_have_attribute("src", f"/s/{note.pk}/audio")
    assert_accessible(page, context="voice notes to transcribe")
    streamed = page.request.get(f"{base}/s/{note.pk}/audio")
    assert streamed.status == 200
    assert streamed.headers["content-type"] == "audio/webm"
    assert streamed.headers["cache-control"] == "private, no-store"
    text = "نقترح شباكا وحيدا لمواكبة التعاونيات"
    item.locator("textarea").fill(text)
    item.get_by_role("button").click()
    expect(page.locator(f"#n-{note.pk}")).to_have_count(0)

    note.refresh_from_db()
    assert (note.text, note.moderation_status) == (text, ModerationStatus.PUBLISHED)

    # Published for everyone; the voice stays private.
    page.context.clear_cookies()
    page.goto(f"{base}{workshop_path}")
    expect(page.locator(f"#c-{note.pk} .text")).to_have_text(text)
    assert "/audio" not in page.content()
    assert page.request.get(f"{base}/s/{note.pk}/audio").status == 404
