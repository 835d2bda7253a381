"""The action programme in the admin (how coordinators build it in this first slice): pages
render right to left, funding lines stay within the budget, adoption goes through the service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.programmes.models import FundingLine, Measure, Programme, ProgressUpdate
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


def test_admin_refuses_a_measure_under_its_own_sub_measure(admin_client_ar: Client) -> None:
    top = MeasureFactory(code="1")
    child = MeasureFactory(programme=top.programme, parent=top, code="1.1")
    form = _measure_form(top, [])
    form["parent"] = str(child.pk)

    response = admin_client_ar.post(f"/admin/programmes/measure/{top.pk}/change/", form)

    assert response.status_code == 200
    assert "لا يمكن وضع إجراء تحت نفسه أو تحت أحد إجراءاته الفرعية." in response.content.decode()
    top.refresh_from_db()
    assert top.parent is None


def test_admin_refuses_a_measure_dated_outside_the_programme(admin_client_ar: Client) -> None:
    measure = MeasureFactory()
    form = _measure_form(measure, [])
    form["ends_on"] = "2030-01-01"

    response = admin_client_ar.post(f"/admin/programmes/measure/{measure.pk}/change/", form)

    assert "يجب أن تقع تواريخ الإجراء داخل فترة البرنامج" in response.content.decode()
    measure.refresh_from_db()
    assert measure.ends_on is None


def _progress_form(measure: Measure, **changes: str) -> dict[str, str]:
    return {
        "measure": str(measure.pk),
        "on": "2020-05-01",
        "percent": "30",
        "note": "",
        "indicator": "",
        "indicator_value": "",
        **changes,
    }


def test_admin_records_progress_with_its_author(admin_client_ar: Client) -> None:
    measure = MeasureFactory()

    response = admin_client_ar.post(
        "/admin/programmes/progressupdate/add/", _progress_form(measure)
    )

    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert (update.percent, update.recorded_by.username) == (30, "root")


@pytest.mark.parametrize(
    ("status", "changes", "message"),
    [
        ("planned", {"on": "2999-01-01"}, "لا يمكن أن يحمل تحيين التقدم تاريخا في المستقبل."),
        ("cancelled", {}, "هذا الإجراء ملغى: لم يعد يقبل تحيينات التقدم."),
        ("planned", {"indicator_value": "4"}, "اختر المؤشر الذي تقيسه هذه القيمة."),
    ],
)
def test_admin_refuses_progress_the_service_refuses(
    admin_client_ar: Client, status: str, changes: dict[str, str], message: str
) -> None:
    measure = MeasureFactory(status=status)

    response = admin_client_ar.post(
        "/admin/programmes/progressupdate/add/", _progress_form(measure, **changes)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_a_staff_coordinator_adopts_nothing_through_the_back_office() -> None:
    """The back office opens to superusers only: a coordinator given the staff flag and the
    programme permissions by mistake is sent to sign in, and nothing is adopted."""
    mine, theirs = ProgrammeFactory(), ProgrammeFactory()
    MeasureFactory(programme=mine)
    MeasureFactory(programme=theirs)
    coordinator = User.objects.create_user(
        "coordinator", role=Role.REGIONAL_COORDINATOR, is_staff=True
    )
    coordinator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_programme", "change_programme"])
    )
    mine.consultation.coordinators.add(coordinator)
    client = Client()
    client.force_login(coordinator)

    response = client.post(
        "/admin/programmes/programme/",
        {"action": "adopt", "_selected_action": [str(mine.pk), str(theirs.pk)]},
    )

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("draft", "draft")
