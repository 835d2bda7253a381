"""Playwright's sync API driving Debian's chromium against pytest-django's live server.

Without /usr/bin/chromium the browser tests are skipped with the reason, unless
TASHAWUR_REQUIRE_BROWSER=1 (CI sets it): then a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate (the live server runs elsewhere).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


MISSING = f"{CHROMIUM} is missing (apt-get install chromium); the browser tests need it"


def browser_plan(*, chromium_present: bool, required: bool) -> str:
    """``run`` with chromium; without it ``skip``, or ``fail`` when CI requires the browser."""
    if chromium_present:
        return "run"
    return "fail" if required else "skip"


def _plan() -> str:
    return browser_plan(
        chromium_present=CHROMIUM.exists(),
        required=os.environ.get("TASHAWUR_REQUIRE_BROWSER") == "1",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _plan() != "skip":
        return  # with "fail", the browser fixture fails each browser test loudly
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if _plan() == "fail":
        pytest.fail(f"TASHAWUR_REQUIRE_BROWSER=1 but {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="ar-MA", viewport={"width": 412, "height": 915})  # type: ignore[attr-defined]
    try:
        yield context.new_page()
    finally:
        context.close()
