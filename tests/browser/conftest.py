"""Playwright's sync API driving Debian's chromium against pytest-django's live server.

Without /usr/bin/chromium the browser tests are skipped with the reason, unless
TASHAWUR_REQUIRE_BROWSER=1 (CI sets it): then a missing browser is a failure.

Every page runs under the site's Content-Security-Policy: a test fails when the browser reports
a violation (something inline or from elsewhere that the policy blocked) or when a page of the
site arrives without the header.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from functools import cache
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


#: How long an ``expect(...)`` waits for what it checks (milliseconds).
EXPECT_TIMEOUT_MS = 20_000

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
    from playwright.sync_api import expect, sync_playwright

    # An expectation waits this long for the page to come true (Playwright's default: 5 s): a
    # live server on a busy CI machine can take longer to answer; a passing check waits no more.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
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


# Accessibility: axe-core (tests/browser/vendor/axe-core, for the tests only, never served) runs
# in the page. page.evaluate() is the browser's own channel, so the page's policy, which blocks
# an added <script> tag, does not apply to it.
AXE = Path(__file__).resolve().parent / "vendor/axe-core/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}"""


@cache
def _axe_source() -> str:
    return AXE.read_text()


def assert_accessible(page: Any, context: str = "") -> None:
    """Fails listing each axe-core violation (WCAG 2.1 A and AA, and axe's best practices) of
    the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations = page.evaluate(AXE_RUN, AXE_TAGS)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'][:5])}"
        for v in violations
    ]
    assert not lines, f"axe-core on {context or page.url}:\n" + "\n".join(lines)


# Page weight: what a first visit on a phone transfers, under the 100 KB budget (issue 10).
PAGE_BUDGET = 100 * 1024
# Formats that arrive compressed already; every other body counts gzipped.
COMPRESSED = (".woff2", ".woff", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico")
RESOURCES = """() => performance.getEntriesByType("resource")
  .filter((e) => ["link", "script", "css", "img", "image", "other"].includes(e.initiatorType)
    || e.name.includes("/static/"))
  .map((e) => e.name)"""


def page_weight(page: Any) -> dict[str, int]:
    """Bytes on the wire for the page as a first visit: its document and every stylesheet,
    script, font and image it used (from the browser's resource timing, so cached files count
    too). Each body is fetched again and counted gzipped, as the site serves it (GZipMiddleware
    for pages, WhiteNoise's .gz files for static ones): the live test server gzips the pages but
    serves static files plain, so the browser's own transfer sizes would overstate them. Fonts
    and images count as they are."""
    page.evaluate("document.fonts.ready.then(() => true)")
    urls = [page.url.split("#")[0], *dict.fromkeys(page.evaluate(RESOURCES))]
    sizes = {}
    for url in urls:
        body = page.request.get(url).body()
        path = url.split("?")[0]
        sizes[url] = len(body) if path.endswith(COMPRESSED) else len(gzip.compress(body, 6))
    return sizes


def assert_light(page: Any, context: str = "") -> int:
    """Fails when the page as loaded now weighs PAGE_BUDGET or more; returns its weight."""
    sizes = page_weight(page)
    total = sum(sizes.values())
    detail = ", ".join(f"{url.rsplit('/', 1)[-1] or url}: {n}" for url, n in sizes.items())
    assert total < PAGE_BUDGET, f"{context or page.url} weighs {total} bytes ({detail})"
    return total
