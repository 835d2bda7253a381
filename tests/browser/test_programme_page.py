"""The accountability page as a phone shows it: the demo's programme, with its indicators'
charts, rolled-up totals and funding bars, accessible (axe-core) and under the 100 KB budget,
in Arabic and in French, within the Content-Security-Policy (the ``page`` fixture checks it)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tashawur.demo.loader import CONSULTATION_SLUG, demo_load
from tashawur.programmes.models import Indicator, Measure
from tests.web.test_programme_page import accountable_programme

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFIX = {"ar": "", "fr": "/fr"}


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_demo_programme_reads_at_a_glance(
    live_server: object, page: Page, language: str
) -> None:
    call_command("load_reference_data", verbosity=0)
    demo_load()
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}{PREFIX[language]}/c/{CONSULTATION_SLUG}/programme/")

    assert page.locator("html").get_attribute("lang") == language
    charts = page.locator("svg.indicator-chart")
    expect(charts).to_have_count(Indicator.objects.count())
    assert Indicator.objects.count() > 0
    # Each chart is drawn (it has a size) and stated in words next to it.
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20
    expect(page.locator("dl.indicator-values")).to_have_count(Indicator.objects.count())
    parents = Measure.objects.filter(children__isnull=False).distinct().count()
    expect(page.locator(".facts dd.total")).to_have_count(2 * parents)
    expect(page.locator("table.funding svg.bar").first).to_be_visible()
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    assert_accessible(page, context=f"demo programme ({language})")
    weight = assert_light(page, context=f"demo programme ({language})")
    print(language, weight)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_findings_by_title_and_the_values_table(
    live_server: object, page: Page, language: str
) -> None:
    programme = accountable_programme()
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}{PREFIX[language]}/c/{programme.consultation.slug}/programme/")

    title = {"ar": "تنسيق ضعيف بين المتدخلين", "fr": "Une coordination faible"}[language]
    expect(page.locator("ul.findings a").first).to_contain_text(title)
    # The values over time open without JavaScript (a disclosure) and stay accessible.
    page.locator(".indicator-history summary").first.click()
    expect(page.locator(".indicator-history table tbody tr")).to_have_count(3)
    assert_accessible(page, context=f"programme with findings ({language})")
