"""Playwright's sync API driving Debian's chromium against pytest-django's live server.

Without /usr/bin/chromium the browser tests are skipped with the reason, unless
TASHAWUR_REQUIRE_BROWSER=1 (CI sets it): then a missing browser is a failure.

Every page runs under the site's Content-Security-Policy: a test fails when the browser reports
a violation (something inline or from elsewhere that the policy blocked) or when a page of the
site arrives without the header.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# Installed before any page script runs; reports each violation to the test through a binding
# (bindings and init scripts are the browser's own, so the policy does not block them).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__tashawurCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}`
    + `:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser reported against the Content-Security-Policy during the test."""
    return []


@pytest.fixture
def page(browser: object, csp_violations: list[str]) -> Iterator[object]:
    context = browser.new_context(locale="ar-MA", viewport={"width": 412, "height": 915})  # type: ignore[attr-defined]
    unprotected: list[str] = []
    context.expose_binding(
        "__tashawurCspViolation",
        lambda source, report: csp_violations.append(f"{source['frame'].url}: {report}"),
    )
    context.add_init_script(CSP_LISTENER)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(f"console: {message.text}")

    def on_response(response: Any) -> None:
        if (
            response.request.resource_type == "document"
            and response.status == 200
            and "content-security-policy" not in response.headers
        ):
            unprotected.append(response.url)

    try:
        page = context.new_page()
        page.on("console", on_console)
        page.on("response", on_response)
        yield page
    finally:
        context.close()
    assert csp_violations == [], "the page broke its Content-Security-Policy"
    assert unprotected == [], "pages served without a Content-Security-Policy"
