"""The programme workspace in a real chromium, phone-sized: the regional coordinator builds a
three-level programme with funding, an indicator with two values and a progress update with a
photo, entirely through /c/<slug>/programme/edit/ pages, never opening /admin/."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from playwright.sync_api import Page, expect

from tashawur.actors.models import Organisation
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.programmes.models import FundingLine, Measure, Programme, ProgressUpdate
from tests.browser.conftest import assert_accessible, assert_light
from tests.web.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def world(transactional_db: object) -> World:
    return build_world()


@pytest.fixture
def coordinator(world: World) -> User:
    user = User.objects.create_user(
        "coordinator", password=PASSWORD, role=Role.REGIONAL_COORDINATOR
    )
    world.consultation.coordinators.add(user)
    return user


@pytest.fixture(autouse=True)
def private_media(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    field = ProgressUpdate._meta.get_field("evidence")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=root))
    return root


def _check(page: Page, context: str, path: str | None = None) -> None:
    if path is not None:
        # A click on a link does not wait for the page it opens: wait for
        # its address, then for it to load, before measuring it.
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 412, context
    assert_accessible(page, context=context)
    assert_light(page, context=context)


def _measure_form(page: Page, *, code: str, title_ar: str, title_fr: str, **fields: Any) -> None:
    page.locator("#id_code").fill(code)
    page.locator("#id_title_ar").fill(title_ar)
    page.locator("#id_title_fr").fill(title_fr)
    page.locator("#id_owner").select_option(str(fields["owner"]))
    page.locator("#id_budget").fill(fields["budget"])
    page.locator("#id_weight").fill(fields.get("weight", "100"))


def test_regional_coordinator_builds_a_programme_on_a_phone(
    live_server: object, world: World, coordinator: User, page: Page, private_media: Path
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    slug = world.consultation.slug
    organisation = Organisation.objects.get(slug="cooperative-argan-tiout")
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))

    page.goto(f"{base}/login/?next=/c/{slug}/programme/edit/")
    page.locator("#id_username").fill("coordinator")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/c/{slug}/programme/edit/")
    _check(page, "new programme form")

    # The programme.
    page.locator("#id_title_ar").fill("برنامج العمل الجهوي سوس ماسة")
    page.locator("#id_title_fr").fill("Programme d'action Souss-Massa")
    page.locator("#id_starts_on").fill("2019-01-01")
    page.locator("#id_ends_on").fill("2025-12-31")
    page.locator("main form.form-card button[type=submit]").click()
    expect(page.locator("[role=status]").first).to_contain_text("أُنشئ برنامج العمل.")
    programme = Programme.objects.get(consultation=world.consultation)

    # Level 1, the axis.
    page.locator(f'main a[href="/c/{slug}/programme/edit/measures/new/"]').click()
    _check(page, "new axis form", f"/c/{slug}/programme/edit/measures/new/")
    _measure_form(
        page, code="1", title_ar="تثمين المنتجات المحلية", title_fr="Valoriser les produits",
        owner=organisation.pk, budget="1000000",
    )  # fmt: skip
    page.locator("main form.form-card[method=post] button[type=submit]").click()
    axis = Measure.objects.get(programme=programme, code="1")
    expect(page).to_have_url(f"{base}/c/{slug}/programme/edit/measures/{axis.pk}/")
    _check(page, "the axis's page")

    # Level 2, under the axis; level 3, under the measure.
    parent = axis
    for code, title_ar, title_fr in (
        ("1.1", "مواكبة التعاونيات نحو علامات الجودة", "Accompagner vers les labels"),
        ("1.1.1", "شباك وحيد بتارودانت", "Guichet unique à Taroudant"),
    ):
        page.locator(f'nav.crumbs a[href="/c/{slug}/programme/edit/"]').click()
        page.locator(f'main a[href$="?parent={parent.pk}"]').click()
        _measure_form(
            page, code=code, title_ar=title_ar, title_fr=title_fr, owner=organisation.pk,
            budget="500000", weight="50",
        )  # fmt: skip
        page.locator("main form.form-card[method=post] button[type=submit]").click()
        parent = Measure.objects.get(programme=programme, code=code)
        expect(page).to_have_url(f"{base}/c/{slug}/programme/edit/measures/{parent.pk}/")
    action = parent
    assert action.parent is not None and action.parent.parent_id == axis.pk

    page.locator(f'nav.crumbs a[href="/c/{slug}/programme/edit/"]').click()
    _check(page, "the measure tree", f"/c/{slug}/programme/edit/")
    # An action takes nothing under it.
    expect(page.locator(f'main a[href$="?parent={action.pk}"]')).to_have_count(0)

    # Funding of the action, by call.
    page.locator(f'main a[href="/c/{slug}/programme/edit/measures/{action.pk}/"]').click()
    page.locator(f'main a[href="/c/{slug}/programme/edit/measures/{action.pk}/funding/"]').click()
    _check(page, "funding form", f"/c/{slug}/programme/edit/measures/{action.pk}/funding/")
    page.locator("#id_indh_p3-amount").fill("300000")
    page.locator("#id_indh_p3-call").fill("INDH P3 2024")
    page.locator("#id_indh_p3-cofinancing_rate").fill("60")
    page.locator("#id_indh_p3-cap").fill("350000")
    page.locator("#id_regional_council-amount").fill("200000")
    page.locator("main form.form-card button[type=submit]").click()
    expect(page).to_have_url(f"{base}/c/{slug}/programme/edit/measures/{action.pk}/")
    assert {line.source: line.amount for line in FundingLine.objects.filter(measure=action)} == {
        "indh_p3": Decimal("300000"),
        "regional_council": Decimal("200000"),
    }

    # An indicator with two values.
    page.locator(
        f'main a[href="/c/{slug}/programme/edit/measures/{action.pk}/indicators/new/"]'
    ).click()
    _check(
        page, "new indicator form", f"/c/{slug}/programme/edit/measures/{action.pk}/indicators/new/"
    )
    page.locator("#id_name_ar").fill("عدد التعاونيات الحاصلة على علامة")
    page.locator("#id_name_fr").fill("Coopératives labellisées")
    page.locator("#id_unit").fill("تعاونية")
    page.locator("#id_baseline").fill("4")
    page.locator("#id_target").fill("20")
    page.locator("main form.form-card button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/c/{slug}/programme/edit/indicators/\d+/$"))
    for on, value in (("2020-06-30", "7"), ("2021-06-30", "11")):
        page.locator("#id_on").fill(on)
        page.locator("#id_value").fill(value)
        page.locator("main form[action$='/values/'] button[type=submit]").click()
        expect(page.locator("[role=status]").first).to_contain_text("سُجّلت القيمة.")
    _check(page, "the indicator with its values")

    # Progress with a photo, shown in public.
    page.locator(f'nav.crumbs a[href="/c/{slug}/programme/edit/measures/{action.pk}/"]').click()
    page.locator(f'main a[href="/c/{slug}/programme/edit/measures/{action.pk}/progress/"]').click()
    _check(page, "progress form", f"/c/{slug}/programme/edit/measures/{action.pk}/progress/")
    page.locator("#id_on").fill(dt.date(2021, 7, 1).isoformat())
    page.locator("#id_percent").fill("40")
    page.locator("#id_note").fill("افتُتح الشباك واستقبل 12 تعاونية")
    page.locator("#id_evidence").set_input_files(
        files=[{"name": "chantier.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.locator("#id_evidence_public").check()
    page.locator("main form.form-card button[type=submit]").click()
    expect(page).to_have_url(f"{base}/c/{slug}/programme/edit/measures/{action.pk}/")
    expect(page.locator("[role=status]").first).to_contain_text("سُجّل تحديث التقدم.")

    update = ProgressUpdate.objects.get(measure=action, indicator=None)
    assert (update.percent, update.evidence_public) == (40, True)
    assert (private_media / update.evidence.name).read_bytes() == PNG
    values = ProgressUpdate.objects.filter(measure=action).exclude(indicator=None)
    assert sorted(values.values_list("indicator_value", flat=True)) == [Decimal(7), Decimal(11)]
    assert Measure.objects.filter(programme=programme).count() == 3
    assert not [url for url in visited if "/admin/" in url]
