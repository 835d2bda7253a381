"""Offline capture on a phone, in a real chromium: the facilitator opens the round table's
capture page online, the service worker takes it over, the network goes; the page opens again
from the worker's cache, 50 contributions wait on the phone (none reaches the server), the
network returns and the outbox empties into 50 rows of channel ``offline``. Replaying the sync
three times stores nothing more; items written for a round table closed meanwhile come back
refused with the server's message, and stay listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import Page, expect

from tashawur.consultations.models import Workshop
from tashawur.contributions.models import Channel, Contribution, Vote
from tests.web.world import PASSWORD, World, build_world

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAPTURED = 50
SYNC_TIMEOUT = 60_000
SERVICE_WORKER = "/capture/sw.js"
# Resolves once the service worker controls the page (evaluate runs outside the page's CSP,
# which forbids the eval that wait_for_function would use).
CONTROLLED = """async () => {
  // Polled with a deadline: waiting for "controllerchange" could miss an event fired before the
  // listener is attached, and evaluate() itself never times out.
  const deadline = Date.now() + 20000;
  const ready = await Promise.race([
    navigator.serviceWorker.ready.then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 20000)),
  ]);
  if (!ready) return false;
  while (!navigator.serviceWorker.controller) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}"""


def _wait_until_controlled(page: Page) -> None:
    """The page registers its worker at each load; a first install can fail (a precached file
    answered late by a busy test server), and the next load tries again, as on a phone."""
    for _attempt in range(3):
        if page.evaluate(CONTROLLED):
            return
        page.reload()
    raise AssertionError("the service worker never took control of the page")


@pytest.fixture
def world(transactional_db: object, settings: Any) -> World:
    # 53 contributions in a minute from one facilitator: above the recording rate of a room.
    settings.TASHAWUR_RATE_CONTRIBUTIONS_RECORDED = "1000/m"
    return build_world()


@pytest.fixture
def server_requests() -> Iterator[list[str]]:
    """The path of every request that reaches Django (the live server's thread included)."""
    seen: list[str] = []

    def record(sender: object, environ: dict[str, Any] | None = None, **kwargs: object) -> None:
        if environ is not None:
            seen.append(environ.get("PATH_INFO", ""))

    request_started.connect(record, weak=False)
    yield seen
    request_started.disconnect(record)


def _offline_rows(world: World) -> int:
    return Contribution.objects.filter(workshop=world.workshop, channel=Channel.OFFLINE).count()


def _count(page: Page, state: str) -> Any:
    return page.locator(f'[data-capture="count-{state}"]')


def _capture(page: Page, text: str) -> None:
    page.locator("#id_text").fill(text)
    page.locator("#capture-form input[name=dimension][value=proposal]").check()
    page.locator('[data-capture="send"]').click()


def test_fifty_contributions_captured_offline_are_synced_once(
    live_server: Any, world: World, page: Page, server_requests: list[str]
) -> None:
    address = f"{live_server.url}/capture/w/{world.workshop.pk}/"
    page.goto(f"{live_server.url}/login/?next=/capture/w/{world.workshop.pk}/")
    page.locator("#id_username").fill("facilitator")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(rf"/capture/w/{world.workshop.pk}/$"))
    assert page.locator("link[rel=manifest]").get_attribute("href") == (
        "/capture/manifest.webmanifest"
    )
    # The worker takes over the page; a visit under it keeps the page for later.
    _wait_until_controlled(page)
    page.reload()
    expect(page.locator("#outbox")).to_be_visible()
    assert_accessible(page, context="capture page")
    assert_light(page, context="capture page")

    page.context.set_offline(True)
    before = len(server_requests)
    assert f"/capture/w/{world.workshop.pk}/" in server_requests  # the signal sees the server
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("#capture-form")).to_be_visible()
    for number in range(1, CAPTURED + 1):
        _capture(page, f"مساهمة دونت دون شبكة رقم {number}")
    expect(_count(page, "pending")).to_have_attribute("data-count", str(CAPTURED))
    expect(page.locator(".outbox-item.pending")).to_have_count(CAPTURED)
    assert_accessible(page, context="capture page offline with its outbox")
    # Chromium's offline emulation covers pages, not the browser's own check for a newer
    # service worker script after a navigation (the soft update), which can reach the server:
    # it carries nothing of the person's. Every other request must stay on the phone.
    reached = [path for path in server_requests[before:] if path != SERVICE_WORKER]
    assert reached == [], "a request reached the server while offline"
    assert _offline_rows(world) == 0

    page.context.set_offline(False)
    expect(_count(page, "pending")).to_have_attribute("data-count", "0", timeout=SYNC_TIMEOUT)
    expect(_count(page, "sent")).to_have_attribute("data-count", str(CAPTURED))
    expect(page.locator(".outbox-item.sent").first).to_contain_text("#")
    assert _offline_rows(world) == CAPTURED
    sent = f"/api/workshops/{world.workshop.pk}/contributions"
    assert server_requests.count(sent) >= CAPTURED
    texts = set(
        Contribution.objects.filter(workshop=world.workshop, channel=Channel.OFFLINE).values_list(
            "text", flat=True
        )
    )
    assert len(texts) == CAPTURED
    assert all(
        row.recorded_by_id == world.facilitator.pk
        for row in Contribution.objects.filter(channel=Channel.OFFLINE)
    )

    # A phone that syncs again (three times) is answered with what was stored, nothing new.
    for _replay in range(3):
        statuses = page.evaluate("window.tashawurCapture.resendSent()")
        assert statuses == [200] * CAPTURED
    assert _offline_rows(world) == CAPTURED

    # Written offline while the round table closes: refused with the reason, not lost.
    page.context.set_offline(True)
    for number in range(1, 4):
        _capture(page, f"بعد الإغلاق {number}")
    expect(_count(page, "pending")).to_have_attribute("data-count", "3")
    Workshop.objects.filter(pk=world.workshop.pk).update(
        status=Workshop.Status.CLOSED, closed_at=timezone.now()
    )
    page.context.set_offline(False)
    expect(_count(page, "refused")).to_have_attribute("data-count", "3", timeout=SYNC_TIMEOUT)
    refused = page.locator(".outbox-item.refused")
    expect(refused).to_have_count(3)
    for index in range(3):
        state = refused.nth(index).locator(".outbox-state").inner_text()
        assert re.search(r"\(.{10,}\)", state), state  # the server's message, in brackets
    expect(refused.first).to_contain_text("بعد الإغلاق")
    assert _offline_rows(world) == CAPTURED
    items = page.evaluate("window.tashawurCapture.outbox()")
    assert sorted(item["state"] for item in items).count("refused") == 3
    assert len({item["key"] for item in items}) == CAPTURED + 3
    assert_accessible(page, context="capture page with refused items")

    # Dismissed by the person, an item leaves the list.
    refused.first.get_by_role("button").click()
    expect(page.locator(".outbox-item.refused")).to_have_count(2)
    page.goto(address)
    expect(page.locator(".outbox-item.refused")).to_have_count(2)


def test_a_participant_votes_and_contributes_offline(
    live_server: Any, world: World, page: Page
) -> None:
    page.goto(f"{live_server.url}/login/?next=/capture/")
    page.locator("#id_username").fill("participant")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page).to_have_url(re.compile(r"/capture/$"))
    assert_accessible(page, context="capture list")
    page.locator(f'a[href="/capture/w/{world.workshop.pk}/"]').click()
    _wait_until_controlled(page)
    page.reload()
    expect(page.locator("#outbox")).to_be_visible()

    page.context.set_offline(True)
    page.reload()
    vote = page.locator(f"#c-{world.proposal.pk} form.vote")
    vote.locator('button[data-vote="agree"]').click()
    expect(vote.locator('button[data-vote="agree"]')).to_have_attribute("aria-pressed", "true")
    _capture(page, "اقتراح من هاتف دون شبكة")
    expect(_count(page, "pending")).to_have_attribute("data-count", "2")
    assert not Vote.objects.filter(participant=world.participant).exists()

    page.context.set_offline(False)
    expect(_count(page, "sent")).to_have_attribute("data-count", "2", timeout=SYNC_TIMEOUT)
    vote_row = Vote.objects.get(participant=world.participant, contribution=world.proposal)
    assert vote_row.value == Vote.Value.AGREE
    mine = Contribution.objects.get(author=world.participant, channel=Channel.OFFLINE)
    assert mine.text == "اقتراح من هاتف دون شبكة" and mine.recorded_by_id is None
    assert_accessible(page, context="capture page of a participant, synced")
