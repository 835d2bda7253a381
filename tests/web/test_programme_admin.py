"""The action programme in the admin (how coordinators build it in this first slice): pages
render right to left, funding lines stay within the budget, adoption goes through the service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tashawur.core.models import User
from tashawur.programmes.models import FundingLine, Measure, Programme
from tests.programmes.factories import IndicatorFactory, MeasureFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_ar() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x-admin-password"))
    return client


@pytest.mark.parametrize(
    "model", ["programme", "measure", "fundingline", "indicator", "progressupdate"]
)
def test_admin_lists_render_right_to_left(admin_client_ar: Client, model: str) -> None:
    IndicatorFactory()
    response = admin_client_ar.get(f"/admin/programmes/{model}/")
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def _measure_form(measure: Measure, lines: list[tuple[str, str]]) -> dict[str, str]:
    data = {
        "programme": str(measure.programme_id),
        "code": measure.code,
        "title_ar": measure.title_ar,
        "title_fr": measure.title_fr,
        "owner": str(measure.owner_id),
        "budget": str(measure.budget),
        "weight": "100",
        "status": "planned",
        "funding_lines-TOTAL_FORMS": str(len(lines)),
        "funding_lines-INITIAL_FORMS": "0",
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
    }
    for n, (source, amount) in enumerate(lines):
        data[f"funding_lines-{n}-source"] = source
        data[f"funding_lines-{n}-amount"] = amount
    return data


def test_admin_refuses_funding_lines_over_the_budget(admin_client_ar: Client) -> None:
    measure = MeasureFactory(budget=Decimal("1000"))

    response = admin_client_ar.post(
        f"/admin/programmes/measure/{measure.pk}/change/",
        _measure_form(measure, [("indh_p3", "600"), ("odco", "400.01")]),
    )

    assert response.status_code == 200
    assert "التمويل (1000.01 درهم) يتجاوز ميزانية الإجراء (1000.00 درهم)." in (
        response.content.decode()
    )
    assert not FundingLine.objects.exists()


def test_admin_saves_funding_lines_within_the_budget(admin_client_ar: Client) -> None:
    measure = MeasureFactory(budget=Decimal("1000"))

    response = admin_client_ar.post(
        f"/admin/programmes/measure/{measure.pk}/change/",
        _measure_form(measure, [("indh_p3", "600"), ("odco", "400")]),
    )

    assert response.status_code == 302
    assert FundingLine.objects.count() == 2


def test_admin_adopts_through_the_service(admin_client_ar: Client) -> None:
    ready = ProgrammeFactory()
    MeasureFactory(programme=ready)
    empty = ProgrammeFactory()

    response = admin_client_ar.post(
        "/admin/programmes/programme/",
        {"action": "adopt", "_selected_action": [str(ready.pk), str(empty.pk)]},
        follow=True,
    )

    ready.refresh_from_db()
    empty.refresh_from_db()
    assert (ready.status, empty.status) == (Programme.Status.ADOPTED, Programme.Status.DRAFT)
    assert "أضف إجراء واحدا على الأقل قبل اعتماد برنامج العمل." in response.content.decode()
